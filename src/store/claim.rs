//! Giving a finished file its final name without ever overwriting anything: an unnamed file is
//! linked into place (fails if the name exists); a `.part` file gets a no-replace rename (Linux),
//! else a hard link, else an exclusively created placeholder. Names compared as case-insensitive,
//! Unicode-normalizing file systems see them; `name (1)` … then tagged names.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use super::{StoreError, names, unnamed};

/// The finished file waiting for a name.
pub(super) enum Pending<'a> {
    /// A hidden `.part` file.
    Named(&'a Path),
    /// An unnamed file (`O_TMPFILE`), open.
    Unnamed(&'a std::fs::File),
}

/// Renames `from` to `to` unless `to` exists, in one step (Linux `RENAME_NOREPLACE`).
/// `Ok(false)`: this file system or OS cannot; the caller links instead.
#[cfg(target_os = "linux")]
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn rename_noreplace(_from: &Path, _to: &Path) -> io::Result<bool> {
    Ok(false)
}

/// Folded names (case and Unicode form ignored) of everything in `dir`.
pub(super) fn names_in(dir: &Path) -> HashSet<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| names::folded(&e.file_name().to_string_lossy()))
        .collect()
}

/// Numbered names tried before falling back to tagged ones (`cat-1a2b3c4d.jpg`).
pub(super) const NUMBERED_NAMES: u32 = 10_000;

/// Claims the first free name among `name`, `name (1)`, … for `from`. A no-replace rename (Linux)
/// or a hard link fails if the name exists in any form (file, folder, symlink, dangling symlink),
/// which is what makes it safe; file systems with neither get an exclusively created placeholder
/// that is then replaced.
pub(super) fn claim_name(
    dir: &Path,
    pending: Pending<'_>,
    name: &str,
    taken: &mut HashSet<String>,
) -> Result<PathBuf, StoreError> {
    // `name`, `name (1)` … `name (9999)`, then names with a random tag: never "no free name"
    // because many files want the same one.
    for n in 0..NUMBERED_NAMES + 64 {
        let candidate = match n {
            0 => name.to_string(),
            n if n < NUMBERED_NAMES => names::numbered(name, n),
            _ => names::tagged(name, fastrand::u32(..)),
        };
        let folded = names::folded(&candidate);
        if taken.contains(&folded) {
            continue;
        }
        let to = dir.join(&candidate);
        let from = match pending {
            Pending::Unnamed(file) => match unnamed::link(file, &to) {
                Ok(()) => {
                    taken.insert(folded);
                    return Ok(to);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    taken.insert(folded);
                    continue;
                }
                Err(e) => return Err(StoreError::write(&to, e)),
            },
            Pending::Named(from) => from,
        };
        match rename_noreplace(from, &to) {
            Ok(true) => {
                taken.insert(folded);
                return Ok(to);
            }
            Ok(false) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                taken.insert(folded);
                continue;
            }
            Err(e) => return Err(StoreError::write(&to, e)),
        }
        match std::fs::hard_link(from, &to) {
            Ok(()) => {
                taken.insert(folded);
                // The link is complete; a leftover .part would be removed by Drop anyway.
                let _ = std::fs::remove_file(from);
                return Ok(to);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                taken.insert(folded);
                continue;
            }
            Err(_) => match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&to)
            {
                Ok(_) => {
                    if let Err(e) = std::fs::rename(from, &to) {
                        // Never leave the empty placeholder under the final name.
                        let _ = std::fs::remove_file(&to);
                        return Err(StoreError::write(&to, e));
                    }
                    taken.insert(folded);
                    return Ok(to);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    taken.insert(folded);
                    continue;
                }
                Err(e) => return Err(StoreError::write(&to, e)),
            },
        }
    }
    Err(StoreError::NoFreeName {
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_ten_thousand_files_wanting_one_name_still_get_distinct_names() {
        let dir = tempfile::tempdir().unwrap();
        let mut taken: HashSet<String> = (0..NUMBERED_NAMES)
            .map(|n| match n {
                0 => "x.jpg".to_string(),
                n => names::numbered("x.jpg", n),
            })
            .collect();
        let from = dir.path().join(".magpie-1.part");
        std::fs::write(&from, b"data").unwrap();
        let to = claim_name(dir.path(), Pending::Named(&from), "x.jpg", &mut taken).unwrap();
        let name = to.file_name().unwrap().to_str().unwrap();
        assert!(
            name.len() == "x-12345678.jpg".len()
                && name.starts_with("x-")
                && name.ends_with(".jpg"),
            "{name}"
        );
        assert_eq!(std::fs::read(&to).unwrap(), b"data");
    }

    #[test]
    fn a_name_differing_only_in_case_or_unicode_form_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cafe\u{301}.PNG"), b"old").unwrap();
        let from = dir.path().join(".magpie-2.part");
        std::fs::write(&from, b"new").unwrap();
        let mut taken = names_in(dir.path());
        let to = claim_name(dir.path(), Pending::Named(&from), "café.png", &mut taken).unwrap();
        assert_eq!(to.file_name().unwrap(), "café (1).png");
    }
}
