//! Running the real `magpie` binary as a user or a script would, with its data, config and
//! cache folders kept apart from the user's.

use std::io::Write;
use std::process::{Command, Output, Stdio};

pub fn magpie(args: &[&str], stdin: Option<&str>) -> Output {
    magpie_with_data(args, stdin, None)
}

/// Runs magpie with its data dir (journals) under `data`, or a throwaway one.
pub fn magpie_with_data(
    args: &[&str],
    stdin: Option<&str>,
    data: Option<&std::path::Path>,
) -> Output {
    let scratch = tempfile::tempdir().unwrap();
    let data = data.unwrap_or(scratch.path());
    let mut command = Command::new(env!("CARGO_BIN_EXE_magpie"));
    command
        .args(args)
        .env("XDG_DATA_HOME", data)
        .env("XDG_CONFIG_HOME", data)
        .env("XDG_CACHE_HOME", data);
    run(command, stdin)
}

/// Runs magpie (data dirs thrown away) started with a soft limit of `open_files` open files, as
/// a desktop session starts programs with 1,024; the hard limit stays as it was.
pub fn magpie_with_open_files(open_files: u32, args: &[&str], stdin: Option<&str>) -> Output {
    let scratch = tempfile::tempdir().unwrap();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -Sn {open_files} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_magpie"))
        .args(args)
        .env("XDG_DATA_HOME", scratch.path())
        .env("XDG_CONFIG_HOME", scratch.path())
        .env("XDG_CACHE_HOME", scratch.path());
    run(command, stdin)
}

/// Runs magpie in `home` as a user whose home folder it is (data, config and cache inside it).
pub fn magpie_at_home(args: &[&str], stdin: Option<&str>, home: &std::path::Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_magpie"));
    command
        .args(args)
        .current_dir(home)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"));
    run(command, stdin)
}

fn run(mut command: Command, stdin: Option<&str>) -> Output {
    let mut child = command
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Starts `magpie ARGS` in the background with its data and config dirs under `data`.
pub fn spawn_magpie(args: &[&str], data: &std::path::Path, output: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_magpie"))
        .args(args)
        .env("XDG_DATA_HOME", data)
        .env("XDG_CONFIG_HOME", data)
        .stdout(output)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// How many `event` lines (`"queued"`, `"saved"`, …) the journals under `data` hold.
pub fn journal_lines(data: &std::path::Path, event: &str) -> usize {
    let needle = format!("\"event\":\"{event}\"");
    std::fs::read_dir(data.join("magpie/journals"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .map(|t| t.matches(&needle).count())
        .sum()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
