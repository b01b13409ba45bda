//! The window's dealings with the desktop and the disk, all off the UI thread: native dialogs,
//! opening files with the system viewer, moving deleted files to the trash, listing a folder's
//! images, reading dropped lists.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::urls::{self, UrlList};

/// What went wrong in background work, said to the user as a notice.
#[derive(Debug, thiserror::Error)]
pub enum BackgroundError {
    #[error("cannot read {}: {source}", path.display())]
    ReadList {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Cannot delete {}: {source}", path.display())]
    Delete {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Cannot move {} to the trash: {reason}", path.display())]
    Trash { path: PathBuf, reason: String },
    #[error("Cannot write the list of failed URLs in {}: {source}", dir.display())]
    Export {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("Cannot save settings to {}: {source}", path.display())]
    SaveConfig {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Results of background work, delivered to the UI on its next frame.
#[derive(Debug)]
pub enum Background {
    /// The folder dialog closed. `unavailable` when it returned at once: no dialog exists here.
    FolderPicked {
        picked: Option<PathBuf>,
        unavailable: bool,
    },
    /// What was pasted (large) so far was parsed, for the paste numbered `generation`.
    PasteParsed { generation: u64, list: UrlList },
    /// URL lists were read and parsed (from a dialog or a drop), and a folder dropped on the
    /// window to save into.
    ListsLoaded {
        lists: Vec<(String, Result<UrlList, BackgroundError>)>,
        folder: Option<PathBuf>,
    },
    /// The images already in `dir`, newest first.
    FolderScanned {
        dir: PathBuf,
        files: Vec<(PathBuf, u64)>,
    },
    /// Another program added, rewrote or removed images in `dir` (see `watch.rs`).
    FolderChanged {
        dir: PathBuf,
        change: super::watch::Change,
    },
    /// The failed URLs were written to a list (`count` of them).
    Exported {
        count: usize,
        result: Result<PathBuf, BackgroundError>,
    },
    /// Files the user asked to delete: the items of those that went, and why others did not.
    Deleted {
        gone: Vec<u64>,
        failed: Vec<BackgroundError>,
    },
    /// The config was written (or not, with the reason).
    ConfigSaved { result: Result<(), BackgroundError> },
}

/// Runs `work` on a named thread and sends its result, then wakes the UI.
pub fn spawn(
    name: &str,
    tx: &Sender<Background>,
    wake: impl Fn() + Send + 'static,
    work: impl FnOnce() -> Background + Send + 'static,
) {
    let tx = tx.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("magpie-{name}"))
        .spawn(move || {
            let _ = tx.send(work());
            wake();
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start background work {name}: {e}");
    }
}

/// Shows the native folder dialog; a dialog that returns within this time never appeared.
pub fn pick_folder(start: PathBuf) -> Background {
    let t = Instant::now();
    let picked = rfd::FileDialog::new()
        .set_title("Choose where Magpie saves images")
        .set_directory(start)
        .pick_folder();
    Background::FolderPicked {
        unavailable: picked.is_none() && t.elapsed() < Duration::from_millis(300),
        picked,
    }
}

/// Shows the native open dialog for URL lists and reads what was chosen.
pub fn pick_lists() -> Background {
    let files = rfd::FileDialog::new()
        .set_title("Open URL lists")
        .add_filter("URL lists", &["txt", "csv", "html", "htm", "md", "list"])
        .add_filter("All files", &["*"])
        .pick_files()
        .unwrap_or_default();
    read_lists(files)
}

/// What was dropped on the window: a folder means "save here" (the first, if several), files
/// are URL lists. Looked at here, off the UI thread: a `stat` on a dead network mount hangs.
pub fn read_drop(paths: Vec<PathBuf>) -> Background {
    let (folders, files): (Vec<_>, Vec<_>) = paths.into_iter().partition(|p| p.is_dir());
    Background::ListsLoaded {
        lists: parse_lists(files),
        folder: folders.into_iter().next(),
    }
}

/// Reads and parses URL list files.
pub fn read_lists(paths: Vec<PathBuf>) -> Background {
    Background::ListsLoaded {
        lists: parse_lists(paths),
        folder: None,
    }
}

fn parse_lists(paths: Vec<PathBuf>) -> Vec<(String, Result<UrlList, BackgroundError>)> {
    paths
        .into_iter()
        .map(|p| {
            let label = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string());
            let parsed = std::fs::read(&p)
                .map(|bytes| urls::parse_bytes(&bytes, None))
                .map_err(|source| BackgroundError::ReadList {
                    path: p.clone(),
                    source,
                });
            (label, parsed)
        })
        .collect()
}

/// Lists the images in `dir` and its subfolders (a name template may make them; not hidden
/// files, not in-progress downloads, links not followed), newest first: the gallery shows them
/// so, and a large folder's first screen is then right from its first slice. `enter` is told of
/// each folder just before it is read.
pub fn scan_folder(dir: PathBuf, enter: &mut dyn FnMut(&Path)) -> Background {
    let mut files: Vec<(PathBuf, u64, std::time::SystemTime)> = Vec::new();
    scan_into(&dir, 0, &mut files, enter);
    newest_first(&mut files);
    Background::FolderScanned {
        dir,
        files: files.into_iter().map(|(p, s, _)| (p, s)).collect(),
    }
}

/// The gallery's order for a folder's images: the newest first, and by name, last first,
/// among those of the same time.
pub(super) fn newest_first(files: &mut [(PathBuf, u64, std::time::SystemTime)]) {
    files.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| b.0.cmp(&a.0)));
}

/// Subfolder levels the gallery looks into.
pub(super) const SCAN_DEPTH: usize = 8;

/// Adds the images in `dir`, `depth` levels below the folder, and in its subfolders to `files`.
pub(super) fn scan_into(
    dir: &Path,
    depth: usize,
    files: &mut Vec<(PathBuf, u64, std::time::SystemTime)>,
    enter: &mut dyn FnMut(&Path),
) {
    enter(dir);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // file_type does not follow links: a link never leads the gallery out of the folder.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() && depth < SCAN_DEPTH {
            scan_into(&path, depth + 1, files, enter);
        } else if kind.is_file()
            && crate::thumbs::is_image_file(&path)
            && let Ok(meta) = entry.metadata()
        {
            let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            files.push((path, meta.len(), modified));
        }
    }
}

/// Opens `path` with the desktop's default program.
pub fn open_with_system(path: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "macos")]
    let mut cmd = std::process::Command::new("open");
    #[cfg(target_os = "windows")]
    let mut cmd = std::process::Command::new("explorer");
    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    let mut cmd = std::process::Command::new("xdg-open");
    cmd.arg(path).spawn().map(|_| ())
}

/// Opens `url` in the desktop's browser.
pub fn open_url(url: &url::Url) -> std::io::Result<()> {
    #[cfg(target_os = "macos")]
    let mut cmd = std::process::Command::new("open");
    #[cfg(target_os = "windows")]
    let mut cmd = {
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    };
    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    let mut cmd = std::process::Command::new("xdg-open");
    cmd.arg(url.as_str()).spawn().map(|_| ())
}

/// Moves the file at `path` to the desktop's trash, or with `trash` false deletes it for good.
/// Where the trash cannot take it (a drive with none), it stays, and the error says so.
pub fn delete(path: PathBuf, trash: bool) -> Result<(), BackgroundError> {
    if !trash {
        return std::fs::remove_file(&path)
            .map_err(|source| BackgroundError::Delete { path, source });
    }
    trash::delete(&path).map_err(|e| {
        // The crate's own words are a debug dump; these are the parts a person can act on.
        let reason = match e {
            // The freedesktop.org trash's own variant (Linux and the BSDs).
            #[cfg(all(
                unix,
                not(any(target_os = "macos", target_os = "ios", target_os = "android"))
            ))]
            trash::Error::FileSystem { source, .. } => source.to_string(),
            trash::Error::Os { description, .. } | trash::Error::Unknown { description } => {
                description
            }
            trash::Error::CouldNotAccess { .. } => "it cannot be read".into(),
            other => format!("{other:?}"),
        };
        BackgroundError::Trash { path, reason }
    })
}

/// Opens the folder holding `path` in the file manager.
pub fn show_in_folder(path: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "macos")]
    return std::process::Command::new("open")
        .arg("-R")
        .arg(path)
        .spawn()
        .map(|_| ());
    #[cfg(target_os = "windows")]
    return std::process::Command::new("explorer")
        .arg(format!("/select,{}", path.display()))
        .spawn()
        .map(|_| ());
    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    open_with_system(path.parent().unwrap_or(path))
}

/// Writes `urls` one per line to a new `failed-urls.txt` in `dir` (`failed-urls (1).txt` … if
/// taken: nothing is overwritten), a list `magpie fetch` takes as it is.
pub fn export_failed(dir: PathBuf, urls: Vec<String>) -> Background {
    use std::io::Write as _;
    let count = urls.len();
    let write = || -> std::io::Result<PathBuf> {
        for n in 0..1000 {
            let name = match n {
                0 => "failed-urls.txt".to_string(),
                n => format!("failed-urls ({n}).txt"),
            };
            let path = dir.join(name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    let written = file.write_all((urls.join("\n") + "\n").as_bytes());
                    if written.is_err() {
                        let _ = std::fs::remove_file(&path); // no half list left behind
                    }
                    return written.map(|()| path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free name"))
    };
    Background::Exported {
        count,
        result: write().map_err(|source| BackgroundError::Export { dir, source }),
    }
}
