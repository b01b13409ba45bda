//! The one place settings are read and written: a [`Config`] of `[fetch]`, `[window]` and
//! `[hosts]`, kept as a human-editable TOML file in the platform config dir
//! (`~/.config/magpie/config.toml` on Linux).
//!
//! Loading never stops Magpie: a missing file gives the defaults, an unknown key is reported and
//! ignored, and a file that cannot be read as TOML is reported with its line number and the
//! defaults are used. Saving is atomic (temp file, then rename), so a crash never leaves half a
//! file. The window edits it in its Settings panel; `magpie fetch` reads it (`--config FILE`
//! picks another) and its flags override it.

mod fetch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use fetch::{FetchSettings, default_output_dir, journal_dir, user_agent};

/// Everything Magpie lets a person set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// How downloads are run.
    pub fetch: FetchSettings,
    /// What the window remembers and shows.
    pub window: WindowSettings,
    /// Settings for one host and its subdomains, keyed by host name (`[hosts."example.org"]`).
    pub hosts: BTreeMap<String, HostSettings>,
}

impl Config {
    /// The download settings with the per-host tables in them, as the engine takes them.
    pub fn fetch_settings(&self) -> FetchSettings {
        FetchSettings {
            hosts: self.hosts.clone(),
            ..self.fetch.clone()
        }
    }
}

/// The `[window]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowSettings {
    /// Where images are saved, as written (`~/…` and paths relative to the home folder are
    /// allowed; [`WindowSettings::folder`] resolves them); unset means the Pictures folder +
    /// `Magpie`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<PathBuf>,
    /// Side of a gallery tile, in points (96–320).
    pub thumb_size: f32,
}

impl Default for WindowSettings {
    fn default() -> Self {
        Self {
            folder: None,
            thumb_size: 200.0,
        }
    }
}

impl WindowSettings {
    /// The chosen folder, with `~` and a relative path taken from the home folder.
    pub fn folder(&self) -> Option<PathBuf> {
        self.folder.as_deref().map(crate::home::folder)
    }

    /// The folder to save into: the chosen one, else the default.
    pub fn folder_or_default(&self) -> PathBuf {
        self.folder().unwrap_or_else(default_output_dir)
    }
}

/// One `[hosts."name"]` table: how requests to that host and its subdomains are made. Unset
/// fields fall back to a less specific table, then to `[fetch]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostSettings {
    /// `magpie`, `browser` (a current desktop Firefox), or the exact User-Agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `none`, `origin` (the image's own `https://host/`), `page` (where it was found), or a URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referer: Option<String>,
    /// Extra request headers, e.g. `{ "X-Api-Key" = "…" }`; never sent to another host.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A Netscape `cookies.txt` file (as browser extensions export it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookies_file: Option<PathBuf>,
    /// A `Cookie` header value, e.g. `"session=abc; theme=dark"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookie: Option<String>,
    /// Downloads at once to this host (instead of `[fetch] per_host`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_host: Option<usize>,
    /// Requests started per second on this host, at most.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_second: Option<f64>,
    /// Accept this host's certificate even if it is invalid (expired, self-signed, wrong name).
    /// Off by default; Magpie warns while it is on.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub accept_invalid_certs: bool,
}

/// A config as loaded, with what was wrong in the file (each a sentence with the file and line).
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

/// Where the config lives by default (`None` on a system with no home folder).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "Magpie").map(|d| d.config_dir().join("config.toml"))
}

/// What a config file says at its top.
const HEADER: &str = "\
# Magpie settings. Edit freely: unknown keys are reported, a broken file falls back to the
# defaults (with a message saying which line). Durations: \"500ms\", \"30s\", \"10m\".
# Every key is described in the README under \"Settings\".

";

impl Config {
    /// Reads the config at `path`. Never fails: problems come back as warnings.
    pub fn load(path: &Path) -> Loaded {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Loaded {
                config: Self::from_window_json(path).unwrap_or_default(),
                warnings: Vec::new(),
            },
            Err(e) => Loaded {
                config: Config::default(),
                warnings: vec![format!(
                    "cannot read {}: {e}; using the default settings",
                    path.display()
                )],
            },
        }
    }

    /// The folder and tile size that versions before the TOML config kept in `window.json` beside
    /// it, so an upgrade keeps the user's folder.
    fn from_window_json(path: &Path) -> Option<Config> {
        #[derive(Deserialize)]
        struct Legacy {
            out_dir: Option<PathBuf>,
            thumb_size: Option<f32>,
        }
        let bytes = std::fs::read(path.with_file_name("window.json")).ok()?;
        let legacy: Legacy = serde_json::from_slice(&bytes).ok()?;
        let mut config = Config::default();
        config.window.folder = legacy.out_dir;
        if let Some(size) = legacy.thumb_size {
            config.window.thumb_size = size.clamp(96.0, 320.0);
        }
        Some(config)
    }

    /// Parses config text; `name` labels the messages.
    pub fn parse(text: &str, name: &str) -> Loaded {
        let mut unknown = Vec::new();
        let parsed: Result<Config, toml::de::Error> = toml::Deserializer::parse(text)
            .and_then(|de| serde_ignored::deserialize(de, |path| unknown.push(path.to_string())));
        match parsed {
            Ok(mut config) => {
                config.window.thumb_size = config.window.thumb_size.clamp(96.0, 320.0);
                Loaded {
                    config,
                    warnings: unknown
                        .into_iter()
                        .map(|key| format!("{name}: unknown setting `{key}` (ignored)"))
                        .collect(),
                }
            }
            Err(e) => {
                let line = e
                    .span()
                    .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
                let place = line.map_or_else(|| name.to_string(), |l| format!("{name} line {l}"));
                Loaded {
                    config: Config::default(),
                    warnings: vec![format!(
                        "{place}: {}; using the default settings",
                        e.message().trim_end()
                    )],
                }
            }
        }
    }

    /// The config as TOML text, with a header comment.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        format!("{HEADER}{body}")
    }

    /// Writes the config to `path` atomically (temp file, then rename), creating its folder.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            crate::private::create_dir(dir)?;
        }
        let tmp = path.with_extension("toml.tmp");
        crate::private::write(&tmp, self.to_toml().as_bytes())?;
        std::fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_host_table_reads_every_per_host_setting() {
        let text = "[fetch]\nuser_agent = \"browser\"\nproxy = \"socks5h://127.0.0.1:1080\"\n\
                    [hosts.\"img.example.org\"]\nreferer = \"origin\"\n\
                    cookies_file = \"/home/me/cookies.txt\"\naccept_invalid_certs = true\n\
                    headers = { \"X-Api-Key\" = \"k\" }\n";
        let loaded = Config::parse(text, "config.toml");
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let fetch = loaded.config.fetch_settings();
        assert_eq!(fetch.user_agent, "browser");
        assert_eq!(fetch.proxy, "socks5h://127.0.0.1:1080");
        let host = &fetch.hosts["img.example.org"];
        assert_eq!(host.referer.as_deref(), Some("origin"));
        assert!(host.accept_invalid_certs);
        assert_eq!(host.headers["X-Api-Key"], "k");
        assert_eq!(
            host.cookies_file.as_deref(),
            Some(Path::new("/home/me/cookies.txt"))
        );
    }

    #[test]
    fn a_saved_config_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let mut config = Config::default();
        config.fetch.concurrency = 3;
        config.fetch.stall_timeout = Duration::from_millis(1500);
        config.window.folder = Some(dir.path().join("pics"));
        config.window.thumb_size = 150.0;
        config.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("stall_timeout = \"1s 500ms\""), "{text}");
        assert!(text.starts_with("# Magpie settings"));
        let loaded = Config::load(&path);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert_eq!(loaded.config, config);
    }

    #[test]
    fn a_missing_file_gives_the_defaults_quietly() {
        let loaded = Config::load(Path::new("/nonexistent/magpie/config.toml"));
        assert_eq!(loaded.config, Config::default());
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn a_bad_line_is_reported_with_its_number_and_the_defaults_apply() {
        let text = "[fetch]\nconcurrency = 4\nstall_timeout = \"soon\"\n";
        let loaded = Config::parse(text, "config.toml");
        assert_eq!(loaded.config, Config::default());
        assert_eq!(loaded.warnings.len(), 1);
        assert!(
            loaded.warnings[0].starts_with("config.toml line 3:"),
            "{:?}",
            loaded.warnings
        );
        assert!(loaded.warnings[0].ends_with("using the default settings"));
    }

    #[test]
    fn unknown_keys_are_reported_and_the_rest_applies() {
        let text = "[fetch]\nconcurency = 4\nper_host = 2\n[hosts.\"example.org\"]\n";
        let loaded = Config::parse(text, "config.toml");
        assert_eq!(loaded.config.fetch.per_host, 2);
        assert!(loaded.config.hosts.contains_key("example.org"));
        assert_eq!(
            loaded.warnings,
            ["config.toml: unknown setting `fetch.concurency` (ignored)"]
        );
    }

    #[test]
    fn the_folder_chosen_before_the_toml_config_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("window.json"),
            r#"{"out_dir": "/home/me/Cats", "thumb_size": 150.0}"#,
        )
        .unwrap();
        let loaded = Config::load(&dir.path().join("config.toml"));
        assert_eq!(
            loaded.config.window.folder,
            Some(PathBuf::from("/home/me/Cats"))
        );
        assert_eq!(loaded.config.window.thumb_size, 150.0);
    }

    #[test]
    fn durations_read_as_people_write_them() {
        let loaded = Config::parse(
            "[fetch]\ndeadline = \"2m\"\nbackoff_base = \"250ms\"\n",
            "c",
        );
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert_eq!(loaded.config.fetch.deadline, Duration::from_secs(120));
        assert_eq!(loaded.config.fetch.backoff_base, Duration::from_millis(250));
    }
}
