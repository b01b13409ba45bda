//! Open files: each site a list names keeps a socket open for its next image (for a while, as
//! browsers do), beside the files being written, journals and the runtime's own. Desktop
//! sessions start programs with a soft limit of 1,024 open files (macOS: 256), kept low for old
//! programs that use `select`; a dataset's list over a thousand sites then failed downloads with
//! "Too many open files", for sockets and for the files being saved alike.
//!
//! At start the soft limit is raised to the hard one (on Linux usually 524,288), as Go programs
//! do and as systemd asks programs that need many files to do themselves. Magpie never uses
//! `select`. Where it cannot be raised, the limit stays as it was.

/// Raises the soft limit on open files as far as the hard limit allows; returns it.
pub fn raise_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::debug!("open files: up to {limit}");
            Some(limit)
        }
        Err(e) => {
            tracing::warn!("cannot raise the limit on open files: {e}");
            None
        }
    }
}
