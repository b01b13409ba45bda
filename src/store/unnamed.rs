//! Unnamed files (Linux `O_TMPFILE`): a download is written to a file with no name in the output
//! folder and linked into place under its final name once whole. Publishing is then one directory
//! operation instead of two (create `.part`, rename), the link fails rather than overwrites
//! (`EEXIST`), and a crash or a kill leaves nothing behind. Where the file system or the kernel
//! cannot (or `/proc` is not mounted, which the link goes through), the caller falls back to a
//! named `.part` file.

use std::fs::File;
use std::io;
use std::path::Path;

/// Creates an unnamed, readable and writable file in `dir`. `Ok(None)`: not supported here.
#[cfg(target_os = "linux")]
pub fn create(dir: &Path) -> io::Result<Option<File>> {
    use rustix::fs::{CWD, Mode, OFlags, openat};
    // Looked up once: a stat per download showed in profiles.
    static PROC_MOUNTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*PROC_MOUNTED.get_or_init(|| Path::new("/proc/self/fd").is_dir()) {
        return Ok(None);
    }
    let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
    match openat(CWD, dir, flags, Mode::from_raw_mode(0o666)) {
        Ok(fd) => Ok(Some(File::from(fd))),
        // Kernel or file system without O_TMPFILE support (EISDIR on kernels that predate it).
        Err(e)
            if e == rustix::io::Errno::OPNOTSUPP
                || e == rustix::io::Errno::ISDIR
                || e == rustix::io::Errno::INVAL
                || e == rustix::io::Errno::NOSYS =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn create(_dir: &Path) -> io::Result<Option<File>> {
    Ok(None)
}

/// Gives `file` (from [`create`]) the name `to`; fails with `AlreadyExists` if anything has that
/// name, touching nothing.
#[cfg(target_os = "linux")]
pub fn link(file: &File, to: &Path) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, linkat};
    use std::os::fd::AsRawFd as _;
    // Linking an unnamed file by its descriptor needs a privilege (AT_EMPTY_PATH) on older
    // kernels; through /proc it does not.
    let by_fd = format!("/proc/self/fd/{}", file.as_raw_fd());
    linkat(CWD, by_fd.as_str(), CWD, to, AtFlags::SYMLINK_FOLLOW).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
pub fn link(_file: &File, _to: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn an_unnamed_file_appears_only_when_linked_and_never_over_another() {
        let dir = tempfile::tempdir().unwrap();
        let Some(mut file) = create(dir.path()).unwrap() else {
            return; // this file system cannot; the named fallback is tested elsewhere
        };
        file.write_all(b"pixels").unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        std::fs::write(dir.path().join("taken.jpg"), b"mine").unwrap();
        let err = link(&file, &dir.path().join("taken.jpg")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(
            std::fs::read(dir.path().join("taken.jpg")).unwrap(),
            b"mine"
        );
        link(&file, &dir.path().join("new.jpg")).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("new.jpg")).unwrap(),
            b"pixels"
        );
    }
}
