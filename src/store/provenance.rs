//! Where a saved file came from, kept on the file itself: the `user.xdg.origin.url` and
//! `user.xdg.referrer.url` extended attributes that Chromium, wget and curl (`--xattr`) write
//! and file managers show. Set on the open file before it gets its name, so the file appears with
//! them; quietly skipped where the file system has no user attributes. With `remote_time`, the
//! server's Last-Modified becomes the file's modification time, as `curl -R` and wget do.

use std::fs::File;

/// The addresses to remember on a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The image's address (secret-looking parts masked, as everywhere Magpie shows a URL: these
    /// attributes are readable by anyone who can read the file).
    pub url: String,
    /// The page it was found on, if any.
    pub referrer: Option<String>,
    /// The server's Last-Modified, to become the file's modification time (`remote_time`).
    pub modified: Option<std::time::SystemTime>,
}

/// Writes `origin` as extended attributes of `file` (a file system without them is no error),
/// and its time as the file's modification time.
pub fn tag(file: &File, origin: &Origin) {
    if let Some(t) = origin.modified
        && let Err(e) = file.set_modified(t)
    {
        tracing::debug!("cannot set the file's time: {e}");
    }
    set(file, "user.xdg.origin.url", &origin.url);
    if let Some(r) = &origin.referrer {
        set(file, "user.xdg.referrer.url", r);
    }
}

#[cfg(target_os = "linux")]
fn set(file: &File, name: &str, value: &str) {
    if let Err(e) = rustix::fs::fsetxattr(
        file,
        name,
        value.as_bytes(),
        rustix::fs::XattrFlags::empty(),
    ) {
        tracing::debug!("no {name} on this file system: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn set(_file: &File, _name: &str, _value: &str) {}
