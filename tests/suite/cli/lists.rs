//! `magpie fetch` with long lists: read as a stream (files, FIFOs, stdin), split between machines
//! (`--shard`), and capped (`--max-total`).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::cli::*;
use crate::support::*;

#[test]
fn long_lists_are_fed_in_batches_and_duplicates_span_files() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let a = work.path().join("a.txt");
    let b = work.path().join("b.txt");
    let urls: Vec<String> = (0..150)
        .map(|i| server.url(&format!("/img/n{i}.png")).to_string())
        .collect();
    std::fs::write(&a, urls.join("\n")).unwrap();
    let mut second: Vec<String> = urls[..10].to_vec();
    second.push("javascript:alert(1)".into());
    std::fs::write(&b, second.join("\n")).unwrap();
    let out_dir = work.path().join("out");
    let out = magpie(
        &[
            "fetch",
            "-j",
            "2",
            "--out",
            out_dir.to_str().unwrap(),
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        None,
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a rejected line fails the run: {stderr}"
    );
    assert_eq!(files_in(&out_dir).len(), 150);
    assert!(stdout.contains("saved 150 of 150"), "{stdout}");
    assert!(stdout.contains("10 duplicate(s) skipped"), "{stdout}");
    assert!(stdout.contains("1 input line(s) rejected"), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "skipped {}:11: javascript: is not http(s)",
            b.display()
        )),
        "{stderr}"
    );
}

/// A list of `n` URLs on `server`: every 100th an image, the rest answer 404 at once (an old
/// dataset's list; 99 404s in a row must not pause the host); plus one duplicate and one bad
/// line. Returns the text and how many entries it holds.
fn big_list(server: &TestServer, n: usize) -> (String, usize) {
    let mut lines: Vec<String> = (0..n)
        .map(|i| {
            if i % 100 == 0 {
                server.url(&format!("/img/p{i}.png")).to_string()
            } else {
                server.url(&format!("/status/404?n={i}")).to_string()
            }
        })
        .collect();
    lines.push(lines[1].clone());
    lines.push("javascript:alert(1)".into());
    (lines.join("\n") + "\n", n + 2)
}

/// Runs `magpie fetch --json` on `input` while a thread writes `list` into `feed` (a FIFO, or the
/// child's stdin when `feed` is `None`); returns the JSON lines printed.
fn fetch_streamed(input: &str, feed: Option<std::path::PathBuf>, list: String) -> Vec<String> {
    let out_dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_magpie"))
        .args(["fetch", "--json", "-j", "64", "--per-host", "64", "--out"])
        .arg(out_dir.path())
        .arg(input)
        .env("XDG_DATA_HOME", data.path())
        .env("XDG_CONFIG_HOME", data.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    // Written from a thread: the child prints while it reads, and both pipes must keep moving.
    let writer = std::thread::Builder::new()
        .name("feed".into())
        .spawn(move || match feed {
            Some(fifo) => {
                drop(stdin);
                std::fs::write(fifo, list).unwrap();
            }
            None => {
                let mut stdin = stdin;
                stdin.write_all(list.as_bytes()).unwrap();
            }
        })
        .unwrap();
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    text(&out.stdout).lines().map(String::from).collect()
}

#[test]
fn a_list_from_a_fifo_or_dev_stdin_is_read_once_and_whole() {
    let server = TestServer::start();
    let (list, entries) = big_list(&server, 3000); // about 140 KB: more than any read buffer
    let work = tempfile::tempdir().unwrap();
    let fifo = work.path().join("list.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());

    for (input, feed) in [
        (fifo.to_str().unwrap().to_string(), Some(fifo.clone())),
        ("/dev/stdin".to_string(), None),
    ] {
        let lines = fetch_streamed(&input, feed, list.clone());
        assert_eq!(
            lines.len(),
            entries,
            "every entry of {input} is accounted for"
        );
        let count = |status: &str| {
            lines
                .iter()
                .filter(|l| l.contains(&format!("\"status\":\"{status}\"")))
                .count()
        };
        assert_eq!(count("saved"), 30, "{input}");
        assert_eq!(count("failed"), 2970, "{input}");
        assert_eq!(count("duplicate"), 1, "{input}");
        assert_eq!(count("rejected"), 1, "{input}");
    }
}

#[test]
fn shards_split_one_list_between_machines_without_overlap() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let list = work.path().join("urls.txt");
    let urls: Vec<String> = (0..30)
        .map(|i| server.url(&format!("/img/p{i}.png")).to_string())
        .collect();
    std::fs::write(&list, urls.join("\n") + "\njavascript:alert(1)\n").unwrap();
    let list = list.to_str().unwrap();

    // Each of three machines runs the same command but its shard; together they fetch each
    // image exactly once.
    let mut all: Vec<String> = Vec::new();
    for k in 1..=3 {
        let out_dir = work.path().join(format!("machine-{k}"));
        let shard = format!("{k}/3");
        let out = magpie(
            &[
                "fetch",
                "--shard",
                &shard,
                "--out",
                out_dir.to_str().unwrap(),
                list,
            ],
            None,
        );
        let stdout = text(&out.stdout);
        assert!(stdout.contains("in other shards"), "{stdout}");
        let files = files_in(&out_dir);
        assert!(
            !files.is_empty() && files.len() < 30,
            "shard {k}: {files:?}"
        );
        all.extend(files);
    }
    all.sort();
    let mut expected: Vec<String> = (0..30).map(|i| format!("p{i}.png")).collect();
    expected.sort();
    assert_eq!(all, expected);

    // --dry-run lists the same split, fetches nothing, and still names the bad line.
    let dry = magpie(&["fetch", "--dry-run", "--shard", "2/3", list], None);
    let listed: Vec<&str> = std::str::from_utf8(&dry.stdout).unwrap().lines().collect();
    let saved_by_2: Vec<String> = files_in(&work.path().join("machine-2"));
    assert_eq!(listed.len(), saved_by_2.len());
    for url in &listed {
        let name = url.rsplit('/').next().unwrap();
        assert!(saved_by_2.iter().any(|f| f == name), "{url}");
    }
    let stderr = text(&dry.stderr);
    assert!(
        stderr.contains("urls.txt:31"),
        "the rejected line is named: {stderr}"
    );
    assert!(
        stderr.contains(&format!("{} URL(s) would be fetched", listed.len())),
        "{stderr}"
    );
    assert_eq!(
        server.stats.hits("/img/p0.png"),
        1,
        "a dry run fetches nothing"
    );
}

#[test]
fn a_bad_shard_is_a_usage_error() {
    let out = magpie(&["fetch", "--shard", "4/3", "-"], Some(""));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("between 1 and N"));
}

#[test]
fn max_total_stops_starting_downloads_once_reached() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let input: String = (0..6)
        .map(|i| format!("{}\n", server.url(&format!("/img/t{i}.png"))))
        .collect();
    let out_dir = work.path().join("out");
    let out = magpie(
        &[
            "fetch",
            "-j",
            "1",
            "--max-total",
            "1B",
            "--out",
            out_dir.to_str().unwrap(),
            "-",
        ],
        Some(&input),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(files_in(&out_dir).len(), 1);
    assert_eq!(
        stdout
            .matches("the run's size limit of 1 B was reached")
            .count(),
        10,
        "each of the five is said when it fails and again in the summary: {stdout}"
    );
}
