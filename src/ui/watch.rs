//! Lists the window's folder, then follows it for what other programs do to it: images copied
//! or saved into it (a file manager, an editor, another `magpie fetch`) join the gallery,
//! removed or moved-away ones leave it, and one rewritten in place gets a new thumbnail. Nothing
//! here reads an image: names, sizes and times are looked at on a thread of its own, once the
//! folder has been quiet a moment.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime};

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecursiveMode, Watcher as _};

use super::platform::{self, Background};

/// How long the folder stays quiet before what changed is looked at. A file manager's copy is
/// done by then, and Magpie's own downloads have been reported saved by the engine (they are
/// then known, and not shown twice).
const QUIET: Duration = Duration::from_millis(300);

/// The longest wait while changes keep coming (a large copy), so the gallery still moves.
const LONGEST: Duration = Duration::from_secs(2);

/// What changed in the folder, as found once it was quiet.
#[derive(Debug, Default, PartialEq)]
pub struct Change {
    /// Images there now, with their sizes and times: new ones, and ones that may have been
    /// rewritten.
    pub present: Vec<(PathBuf, u64, SystemTime)>,
    /// Paths no longer there: files, or whole subfolders moved away or deleted.
    pub gone: Vec<PathBuf>,
    /// Those of `present` whose bytes were written where they are: rewritten, whatever their
    /// size now. (Magpie writes a download before it has its name, so never one of these.)
    pub written: HashSet<PathBuf>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.present.is_empty() && self.gone.is_empty()
    }
}

/// Following one folder and its subfolders; dropping it stops.
pub struct FolderWatch {
    notes: Sender<Note>,
}

/// What the watch's thread hears.
enum Note {
    /// Paths something happened to, and whether their bytes were written.
    Changed(Vec<PathBuf>, bool),
    /// The window left the folder.
    Stop,
}

impl std::fmt::Debug for FolderWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FolderWatch")
    }
}

impl Drop for FolderWatch {
    fn drop(&mut self) {
        let _ = self.notes.send(Note::Stop);
    }
}

impl FolderWatch {
    /// Lists `dir`'s images ([`platform::scan_folder`]) and then follows it, on a thread of
    /// its own. Each folder is watched just before it is read, so nothing added meanwhile is
    /// missed (an image both listed and reported is shown once), and watching costs no pass
    /// of its own over the folder. The listing and then what changes are sent as
    /// [`Background`] results, each followed by `wake`. Where the system cannot follow the
    /// folder that is logged, and the gallery shows what was there when it was listed.
    pub fn start(dir: PathBuf, tx: Sender<Background>, wake: impl Fn() + Send + 'static) -> Self {
        let (notes, heard) = mpsc::channel();
        let changes = notes.clone();
        let spawned = std::thread::Builder::new()
            .name("magpie-watch".into())
            .spawn(move || {
                // Kept for as long as the thread runs: dropping it stops the system's reports.
                let mut watcher = watcher(changes)
                    .inspect_err(|e| tracing::warn!("cannot follow folders for changes: {e}"))
                    .ok();
                let listing = platform::scan_folder(dir.clone(), &mut |d| {
                    follow(watcher.as_mut(), d, d == dir);
                });
                if tx.send(listing).is_err() {
                    return;
                }
                wake();
                if let Some(watcher) = watcher {
                    gather(&dir, watcher, &heard, &tx, wake);
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot list the folder: {e}");
        }
        Self { notes }
    }
}

/// A watcher reporting to `notes`, watching nothing yet.
fn watcher(notes: Sender<Note>) -> notify::Result<notify::RecommendedWatcher> {
    let config = notify::Config::default().with_follow_symlinks(false);
    notify::RecommendedWatcher::new(
        move |event: notify::Result<notify::Event>| match event {
            // Reading a file changes nothing (the thumbnailer opens every image it shows).
            Ok(e) if matches!(e.kind, EventKind::Access(a) if a != WRITTEN) => {}
            Ok(e) => {
                let written = matches!(e.kind, EventKind::Modify(ModifyKind::Data(_)))
                    || e.kind == EventKind::Access(WRITTEN);
                let _ = notes.send(Note::Changed(e.paths, written));
            }
            Err(e) => tracing::debug!("folder watch: {e}"),
        },
        config,
    )
}

/// Follows folder `dir` as the listing enters it (`top`: the window's folder). Linux's inotify
/// watches one folder at a time, so each is watched as it is entered (notify's own recursive
/// mode would first stat every entry of the tree). FSEvents and ReadDirectoryChangesW watch a
/// whole tree at once: there the top folder's watch covers the rest. Only the top folder
/// failing is worth a warning.
fn follow(watcher: Option<&mut notify::RecommendedWatcher>, dir: &Path, top: bool) {
    let Some(watcher) = watcher else { return };
    let mode = if cfg!(any(target_os = "linux", target_os = "android")) {
        RecursiveMode::NonRecursive
    } else if top {
        RecursiveMode::Recursive
    } else {
        return;
    };
    if let Err(e) = watcher.watch(dir, mode) {
        if top {
            tracing::warn!(
                "not following {} for changes by other programs: {e}",
                dir.display()
            );
        } else {
            tracing::debug!("not following {}: {e}", dir.display());
        }
    }
}

/// A file closed after writing: it is complete, or a step nearer.
const WRITTEN: AccessKind = AccessKind::Close(AccessMode::Write);

/// Collects changed paths until the folder is quiet, looks at them (following subfolders that
/// appear), sends what changed; ends when the window leaves the folder or is gone.
fn gather(
    dir: &Path,
    mut watcher: notify::RecommendedWatcher,
    heard: &Receiver<Note>,
    tx: &Sender<Background>,
    wake: impl Fn(),
) {
    let note = |paths: &mut HashMap<PathBuf, bool>, changed: Vec<PathBuf>, written: bool| {
        for path in changed {
            *paths.entry(path).or_default() |= written;
        }
    };
    while let Ok(Note::Changed(first, written)) = heard.recv() {
        let mut paths = HashMap::new();
        note(&mut paths, first, written);
        let start = Instant::now();
        loop {
            let left = LONGEST.saturating_sub(start.elapsed());
            match heard.recv_timeout(QUIET.min(left)) {
                Ok(Note::Changed(more, written)) => note(&mut paths, more, written),
                Err(RecvTimeoutError::Timeout) => break,
                Ok(Note::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let change = examine(dir, paths, &mut |d| follow(Some(&mut watcher), d, false));
        if change.is_empty() {
            continue;
        }
        let changed = Background::FolderChanged {
            dir: dir.to_path_buf(),
            change,
        };
        if tx.send(changed).is_err() {
            return;
        }
        wake();
    }
}

/// What the changed `paths` in `dir` are now, by the gallery's rules for a folder's images (see
/// [`platform::scan_folder`]): hidden names and links are left out, a subfolder that appears is
/// looked into (`enter` told of each of its folders first). Each path comes with whether its
/// bytes were written.
pub fn examine(
    dir: &Path,
    paths: impl IntoIterator<Item = (PathBuf, bool)>,
    enter: &mut dyn FnMut(&Path),
) -> Change {
    let mut change = Change::default();
    for (path, written) in paths {
        let Ok(relative) = path.strip_prefix(dir) else {
            continue;
        };
        let depth = relative.components().count();
        let hidden = relative
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
        if depth == 0 || depth > platform::SCAN_DEPTH + 1 || hidden || unnamed(&path) {
            continue;
        }
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => {
                if crate::thumbs::is_image_file(&path) {
                    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                    if written {
                        change.written.insert(path.clone());
                    }
                    change.present.push((path, meta.len(), modified));
                }
            }
            Ok(meta) if meta.is_dir() => {
                platform::scan_into(&path, depth, &mut change.present, enter);
            }
            Ok(_) => {} // a link: never followed out of the folder
            Err(e) if e.kind() == io::ErrorKind::NotFound => change.gone.push(path),
            Err(_) => {}
        }
    }
    change
}

/// Whether `path` is the name Linux reports for a file opened without one (`O_TMPFILE`,
/// `#` and the inode number): how the engine writes a download before linking it into place.
/// Reports about it are not about an image in the folder.
fn unnamed(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix('#'))
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_changed_is_read_by_the_gallerys_rules() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("new.png"), b"12345").unwrap();
        std::fs::write(d.join("notes.txt"), b"x").unwrap();
        std::fs::write(d.join(".hidden.png"), b"x").unwrap();
        std::fs::create_dir_all(d.join("moved/in")).unwrap();
        std::fs::write(d.join("moved/in/a.jpg"), b"123").unwrap();
        std::fs::write(d.join("moved/b.gif"), b"1").unwrap();
        let mut entered = Vec::new();
        let change = examine(
            d,
            [
                (d.join("new.png"), true),
                (d.join("notes.txt"), true),
                (d.join(".hidden.png"), false),
                (d.join("moved"), false),
                (d.join("deleted.jpg"), false),
                // A download being written, before it has a name.
                (d.join("#10067967"), true),
                (d.to_path_buf(), false),
                (PathBuf::from("/elsewhere/x.png"), false),
            ],
            &mut |f| entered.push(f.to_path_buf()),
        );
        assert_eq!(
            entered,
            [d.join("moved"), d.join("moved/in")],
            "followed as they appear"
        );
        let mut present: Vec<(PathBuf, u64)> = change
            .present
            .into_iter()
            .map(|(p, size, _)| (p, size))
            .collect();
        present.sort();
        assert_eq!(
            present,
            [
                (d.join("moved/b.gif"), 1),
                (d.join("moved/in/a.jpg"), 3),
                (d.join("new.png"), 5),
            ]
        );
        assert_eq!(change.gone, [d.join("deleted.jpg")]);
        assert_eq!(change.written, HashSet::from([d.join("new.png")]));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_not_followed_out_of_the_folder() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.png"), b"x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.png"),
            dir.path().join("one.png"),
        )
        .unwrap();
        let mut entered = 0;
        let change = examine(
            dir.path(),
            [
                (dir.path().join("link"), false),
                (dir.path().join("one.png"), true),
            ],
            &mut |_| entered += 1,
        );
        assert!(change.is_empty(), "{change:?}");
        assert_eq!(entered, 0, "a linked folder is not followed");
    }
}
