//! Paths as people type and read them: `~` stands for the home folder, as in a shell. The window's
//! folder box and the settings file take `~/Pictures/cats`; a folder under the home folder is
//! shown that way. Without this a typed `~/x` became a folder named `~` wherever the process
//! happened to start.

use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

/// The user's home folder, if the system has one (looked up once: the window asks every frame).
pub fn dir() -> Option<PathBuf> {
    static HOME: OnceLock<Option<PathBuf>> = OnceLock::new();
    HOME.get_or_init(|| directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()))
        .clone()
}

/// `path` with a leading `~` replaced by the home folder; any other path as it is.
pub fn expand(path: &Path) -> PathBuf {
    expand_in(path, dir().as_deref())
}

/// A folder named in the window or the settings file: `~` expanded, and a relative path taken
/// from the home folder, since a window has no current folder a person could know.
pub fn folder(path: &Path) -> PathBuf {
    folder_in(path, dir().as_deref())
}

/// How a path is shown to people: under the home folder as `~/…` (on Unix, where `~` is
/// understood), else in full.
pub fn show(path: &Path) -> String {
    if cfg!(unix) {
        show_in(path, dir().as_deref())
    } else {
        path.display().to_string()
    }
}

fn expand_in(path: &Path, home: Option<&Path>) -> PathBuf {
    let mut parts = path.components();
    match (parts.next(), home) {
        (Some(Component::Normal(first)), Some(home)) if first == "~" => {
            let rest = parts.as_path();
            if rest.as_os_str().is_empty() {
                home.to_path_buf()
            } else {
                home.join(rest)
            }
        }
        _ => path.to_path_buf(),
    }
}

fn folder_in(path: &Path, home: Option<&Path>) -> PathBuf {
    let expanded = expand_in(path, home);
    match home {
        Some(home) if expanded.is_relative() && !expanded.as_os_str().is_empty() => {
            home.join(expanded)
        }
        _ => expanded,
    }
}

fn show_in(path: &Path, home: Option<&Path>) -> String {
    // The root as home (a container's root user) would turn every path into `~/…`.
    let home = home.filter(|h| h.parent().is_some());
    match home.and_then(|h| path.strip_prefix(h).ok()) {
        Some(rest) if rest.as_os_str().is_empty() => "~".into(),
        Some(rest) => format!("~{}{}", std::path::MAIN_SEPARATOR, rest.display()),
        None => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "/home/ada";

    fn home() -> Option<&'static Path> {
        Some(Path::new(HOME))
    }

    #[test]
    fn a_leading_tilde_is_the_home_folder() {
        assert_eq!(expand_in(Path::new("~"), home()), Path::new(HOME));
        assert_eq!(expand_in(Path::new("~/"), home()), Path::new(HOME));
        assert_eq!(
            expand_in(Path::new("~/Pictures/cats"), home()),
            Path::new("/home/ada/Pictures/cats")
        );
    }

    #[test]
    fn other_paths_are_left_alone() {
        for p in ["/tmp/~", "pics/~/x", "~bob/x", "./~", "", "/srv/pics"] {
            assert_eq!(expand_in(Path::new(p), home()), Path::new(p), "{p}");
        }
        // No home folder: nothing to put in.
        assert_eq!(expand_in(Path::new("~/x"), None), Path::new("~/x"));
    }

    #[test]
    fn a_relative_folder_is_taken_from_the_home_folder() {
        assert_eq!(
            folder_in(Path::new("Pictures/cats"), home()),
            Path::new("/home/ada/Pictures/cats")
        );
        assert_eq!(
            folder_in(Path::new("~/cats"), home()),
            Path::new("/home/ada/cats")
        );
        assert_eq!(
            folder_in(Path::new("/srv/pics"), home()),
            Path::new("/srv/pics")
        );
    }

    #[test]
    fn folders_under_home_are_shown_with_a_tilde() {
        assert_eq!(show_in(Path::new("/home/ada"), home()), "~");
        assert_eq!(
            show_in(Path::new("/home/ada/Pictures/Magpie"), home()),
            "~/Pictures/Magpie"
        );
        // Only whole components: /home/adam is not under /home/ada.
        assert_eq!(show_in(Path::new("/home/adam/x"), home()), "/home/adam/x");
        assert_eq!(show_in(Path::new("/srv/pics"), home()), "/srv/pics");
        assert_eq!(
            show_in(Path::new("/srv/pics"), Some(Path::new("/"))),
            "/srv/pics"
        );
    }

    #[test]
    fn what_is_shown_reads_back_as_the_same_folder() {
        for p in ["/home/ada", "/home/ada/Pictures/Magpie", "/srv/pics"] {
            let shown = show_in(Path::new(p), home());
            assert_eq!(folder_in(Path::new(&shown), home()), Path::new(p), "{p}");
        }
    }
}
