//! `magpie fetch` run as a user or a script would: the real binary, a real server.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::cli::*;
use crate::support::*;

#[test]
fn fetch_a_list_file_saves_everything_and_exits_zero() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let list = work.path().join("urls.txt");
    std::fs::write(
        &list,
        format!(
            "# my cats\n{}\n{}\n\n{}\n",
            server.url("/img/one.png"),
            server.url("/img/two.jpg"),
            server.url("/img/one.png"),
        ),
    )
    .unwrap();
    let out_dir = work.path().join("pics");
    let out = magpie(
        &[
            "fetch",
            "--out",
            out_dir.to_str().unwrap(),
            list.to_str().unwrap(),
        ],
        None,
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert_eq!(files_in(&out_dir), ["one.png", "two.jpg"]);
    assert!(stdout.contains("saved 2 of 2"), "{stdout}");
    assert!(stdout.contains("1 duplicate"), "{stdout}");
}

#[test]
fn failures_are_listed_with_reason_and_exit_one() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let input = format!(
        "{}\n{}\njavascript:alert(1)\n",
        server.url("/img/ok.png"),
        server.url("/status/404"),
    );
    let out = magpie(
        &["fetch", "--out", work.path().to_str().unwrap(), "-"],
        Some(&input),
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "{}: HTTP 404 Not Found",
            server.url("/status/404")
        )),
        "{stdout}"
    );
    assert!(
        stderr.contains("stdin:3: javascript: is not http(s)"),
        "{stderr}"
    );
    assert_eq!(files_in(work.path()), ["ok.png"]);
}

#[test]
fn json_prints_one_object_per_url() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let input = format!(
        "{}\n{}\n",
        server.url("/img/a.png"),
        server.url("/html-as-jpeg")
    );
    let out = magpie(
        &["fetch", "--json", "--out", work.path().to_str().unwrap()],
        Some(&input),
    );
    assert_eq!(out.status.code(), Some(1));
    let mut lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines.sort_by_key(|v| v["status"].as_str().unwrap_or("").to_string());
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["status"], "failed");
    assert_eq!(lines[0]["url"], server.url("/html-as-jpeg").as_str());
    assert_eq!(
        lines[0]["error"],
        "not an image: the server sent an HTML page"
    );
    assert_eq!(lines[1]["status"], "saved");
    let path = lines[1]["path"].as_str().unwrap();
    assert!(path.ends_with("a.png"));
    assert_eq!(
        lines[1]["bytes"].as_u64().unwrap(),
        std::fs::metadata(path).unwrap().len()
    );
}

#[test]
fn html_input_with_base_url() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let page = work.path().join("page.html");
    std::fs::write(
        &page,
        "<html><body><img src=\"img/p1.png\"><img srcset=\"img/p2.png 2x\"></body></html>",
    )
    .unwrap();
    let out_dir = work.path().join("out");
    let base = server.url("/");
    let out = magpie(
        &[
            "fetch",
            "--base",
            base.as_str(),
            "--out",
            out_dir.to_str().unwrap(),
            page.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(files_in(&out_dir), ["p1.png", "p2.png"]);
}

#[test]
fn usage_errors_exit_two() {
    let out = magpie(&["fetch", "--concurrency", "0", "x.txt"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = magpie(&["fetch", "--no-such-flag"], None);
    assert_eq!(out.status.code(), Some(2));
    let work = tempfile::tempdir().unwrap();
    let out = magpie(
        &[
            "fetch",
            "--out",
            work.path().to_str().unwrap(),
            "/no/such/list.txt",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read /no/such/list.txt"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn output_path_that_is_a_file_is_a_clear_error() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let out = magpie(
        &["fetch", "--out", file.to_str().unwrap(), "-"],
        Some("https://example.invalid/a.png\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a folder"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

#[test]
fn ctrl_c_cancels_and_leaves_no_part_files() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let input: String = (0..4)
        .map(|i| format!("{}\n", server.url(&format!("/stall-mid-body/{i}.png"))))
        .collect();
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_magpie"))
        .args(["fetch", "--out", work.path().to_str().unwrap(), "-"])
        .env("XDG_DATA_HOME", data.path())
        .env("XDG_CONFIG_HOME", data.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    // Wait until all four are mid-body, with their first megabyte on disk.
    wait_for_downloads_on_disk(child.id(), work.path(), 4);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(files_in(work.path()).is_empty());
}

#[test]
fn killed_run_resumes_pending_items_without_refetching_saved_ones() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let out_dir = work.path().join("out");
    let list = work.path().join("list.txt");
    let mut urls: Vec<String> = (0..3)
        .map(|i| server.url(&format!("/img/ok{i}.png")).to_string())
        .collect();
    urls.extend((0..3).map(|i| server.url(&format!("/gate/slow{i}.png")).to_string()));
    std::fs::write(&list, urls.join("\n")).unwrap();

    server.set_healthy(false); // the /gate/ downloads hang until reopened
    let mut child = spawn_magpie(
        &[
            "fetch",
            "--out",
            out_dir.to_str().unwrap(),
            list.to_str().unwrap(),
        ],
        data.path(),
        Stdio::null(),
    );
    let started = std::time::Instant::now();
    // Saved, as the journal records it (the file lands a moment before its journal line).
    while journal_lines(data.path(), "saved") < 3 || server.stats.hits("/gate/slow2.png") == 0 {
        assert!(
            started.elapsed().as_secs() < 30,
            "first run never got going"
        );
        std::thread::yield_now();
    }
    child.kill().unwrap(); // SIGKILL: no cleanup runs
    child.wait().unwrap();

    server.set_healthy(true);
    let out = magpie_with_data(
        &["fetch", "--resume", "--out", out_dir.to_str().unwrap()],
        None,
        Some(data.path()),
    );
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{stderr}",
        text(&out.stdout)
    );
    assert!(stderr.contains("resuming: 3 pending"), "{stderr}");
    assert_eq!(
        files_in(&out_dir),
        [
            "ok0.png",
            "ok1.png",
            "ok2.png",
            "slow0.png",
            "slow1.png",
            "slow2.png"
        ],
        "all six saved, no partial files left"
    );
    for i in 0..3 {
        assert_eq!(
            server.stats.hits(&format!("/img/ok{i}.png")),
            1,
            "saved ones not fetched again"
        );
    }

    // Running the same list again with --resume fetches nothing.
    let again = magpie_with_data(
        &[
            "fetch",
            "--resume",
            "--out",
            out_dir.to_str().unwrap(),
            list.to_str().unwrap(),
        ],
        None,
        Some(data.path()),
    );
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stderr).contains("nothing left to fetch"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(files_in(&out_dir).len(), 6);
}

#[test]
fn unwritable_folder_fails_each_item_and_exits_one() {
    // sysfs refuses new files even to root, unlike a chmod-ed folder.
    let server = TestServer::start();
    let input = format!(
        "{}\n{}\n",
        server.url("/img/a.png"),
        server.url("/img/b.png")
    );
    let out = magpie(&["fetch", "--out", "/sys/kernel", "-"], Some(&input));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout
            .matches("cannot write in the output folder /sys/kernel: Permission denied")
            .count(),
        4,
        "each item, in its line and in the summary: {stdout}"
    );
}

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

#[test]
fn flags_override_the_config_file() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("magpie.toml");
    std::fs::write(&config, "[fetch]\nconcurrency = 1\nper_host = 1\n").unwrap();
    let run = |extra: &[&str]| {
        let server = TestServer::start(); // each /hold/ request takes 150 ms
        let list = work.path().join("list.txt");
        let urls: Vec<String> = (0..4)
            .map(|i| server.url(&format!("/hold/h{i}.png")).to_string())
            .collect();
        std::fs::write(&list, urls.join("\n")).unwrap();
        let out_dir = tempfile::tempdir().unwrap();
        let mut args = vec![
            "fetch",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out_dir.path().to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.push(list.to_str().unwrap());
        let out = magpie(&args, None);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(files_in(out_dir.path()).len(), 4);
        server.stats.peak()
    };
    assert_eq!(run(&[]), 1, "the file's limit applies");
    assert!(run(&["-j", "4", "--per-host", "4"]) > 1, "flags win");
}

#[test]
fn a_broken_config_is_reported_with_its_line_and_the_defaults_apply() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("magpie.toml");
    std::fs::write(&config, "[fetch]\nconcurrency = [\n").unwrap();
    let out_dir = work.path().join("out");
    let out = magpie(
        &[
            "fetch",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "-",
        ],
        Some(&format!("{}\n", server.url("/img/ok.png"))),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("{} line 2:", config.display())),
        "{stderr}"
    );
    assert!(stderr.contains("using the default settings"), "{stderr}");
    assert_eq!(files_in(&out_dir), ["ok.png"]);
}

#[test]
fn a_second_fetch_into_a_busy_folder_leaves_shared_urls_to_the_first() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let out_dir = work.path().join("out");
    let a_urls: Vec<String> = (0..30)
        .map(|i| server.url(&format!("/gate/a{i}.png")).to_string())
        .collect();
    let a_list = work.path().join("a.txt");
    std::fs::write(&a_list, a_urls.join("\n")).unwrap();
    let mut b_urls: Vec<String> = a_urls[..10].to_vec();
    b_urls.extend((0..20).map(|i| server.url(&format!("/img/b{i}.png")).to_string()));
    let b_list = work.path().join("b.txt");
    std::fs::write(&b_list, b_urls.join("\n")).unwrap();

    server.set_healthy(false); // the first run's downloads hang at the gate
    let first = spawn_magpie(
        &[
            "fetch",
            "--out",
            out_dir.to_str().unwrap(),
            a_list.to_str().unwrap(),
        ],
        data.path(),
        Stdio::piped(),
    );
    let started = std::time::Instant::now();
    while journal_lines(data.path(), "queued") < 30 {
        assert!(started.elapsed().as_secs() < 30, "first run never queued");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }

    let second = magpie_with_data(
        &[
            "fetch",
            "--resume",
            "--out",
            out_dir.to_str().unwrap(),
            b_list.to_str().unwrap(),
        ],
        None,
        Some(data.path()),
    );
    let stderr = text(&second.stderr);
    let stdout = text(&second.stdout);
    assert_eq!(second.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("another Magpie is using"), "{stderr}");
    assert!(stdout.contains("saved 20 of 30"), "{stdout}");
    assert!(
        stdout.contains("10 left to another Magpie on this folder"),
        "{stdout}"
    );

    server.set_healthy(true);
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let files = files_in(&out_dir);
    assert_eq!(files.len(), 50, "each image exactly once: {files:?}");
    assert!(files.iter().all(|f| !f.contains(" (")), "{files:?}");
    for i in 0..30 {
        assert_eq!(server.stats.hits(&format!("/gate/a{i}.png")), 1);
    }
}

/// A list of `n` URLs on `server`: every 100th an image, the rest answer 404 at once; plus one
/// duplicate and one bad line. Returns the text and how many entries it holds.
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
    // Thousands of 404s from one host would pause it (as it should); this test is about
    // reading the list, so every URL gets its own try.
    std::fs::create_dir_all(data.path().join("magpie")).unwrap();
    std::fs::write(
        data.path().join("magpie/config.toml"),
        "[fetch]\npause_after_failures = 0\n",
    )
    .unwrap();
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
fn a_damaged_journal_keeps_its_history_and_resume_fetches_only_what_is_new() {
    use std::os::unix::ffi::OsStrExt;
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    // A folder whose name is not UTF-8 must journal too.
    let out_dir = work
        .path()
        .join(std::ffi::OsStr::from_bytes(b"pics-\xff\xfe"));
    let first: Vec<String> = (0..5)
        .map(|i| server.url(&format!("/img/k{i}.png")).to_string())
        .collect();
    let list = work.path().join("list.txt");
    std::fs::write(&list, first.join("\n")).unwrap();
    let fetch = |resume: bool| {
        let mut args = vec![std::ffi::OsStr::new("fetch")];
        if resume {
            args.push("--resume".as_ref());
        }
        args.extend(["--out".as_ref(), out_dir.as_os_str(), list.as_os_str()]);
        Command::new(env!("CARGO_BIN_EXE_magpie"))
            .args(args)
            .env("XDG_DATA_HOME", data.path())
            .env("XDG_CONFIG_HOME", data.path())
            .output()
            .unwrap()
    };
    let out = fetch(false);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(journal_lines(data.path(), "saved"), 5);

    // One stray byte lands at the end of the journal (a torn write, a bad disk block).
    let journal = std::fs::read_dir(data.path().join("magpie/journals"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap();
    f.write_all(b"\xff").unwrap();
    drop(f);

    let mut more = first.clone();
    more.extend((0..2).map(|i| server.url(&format!("/img/new{i}.png")).to_string()));
    std::fs::write(&list, more.join("\n")).unwrap();
    let out = fetch(true);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("5 already saved earlier"), "{stdout}");
    assert_eq!(files_in(&out_dir).len(), 7, "no copies named (1)");
    for i in 0..5 {
        assert_eq!(server.stats.hits(&format!("/img/k{i}.png")), 1);
    }
    assert_eq!(
        journal_lines(data.path(), "saved"),
        7,
        "the history is all there"
    );
}

#[test]
fn escape_sequences_in_a_list_are_shown_not_sent_to_the_terminal() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let list = work.path().join("list.txt");
    std::fs::write(
        &list,
        format!(
            "{}\nftp://\x1b[2J\x1b[31mowned\n",
            server.url("/img/fine.png")
        ),
    )
    .unwrap();
    let out_dir = work.path().join("out");
    let out = magpie(
        &[
            "fetch",
            "--out",
            out_dir.to_str().unwrap(),
            list.to_str().unwrap(),
        ],
        None,
    );
    let stderr = text(&out.stderr);
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
    assert!(stderr.contains("\\x1b[2J\\x1b[31mowned"), "{stderr}");
    assert_eq!(files_in(&out_dir), ["fine.png"]);
}

#[test]
fn passwords_and_tokens_are_masked_in_output_and_journals_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = server.addr.port();
    let list = work.path().join("list.txt");
    std::fs::write(
        &list,
        format!(
            "http://me:hunter2@127.0.0.1:{port}/img/secret.png?token=abc123&w=3\n\
             http://127.0.0.1:{port}/status/404?sig=zzz999\n"
        ),
    )
    .unwrap();
    let out_dir = work.path().join("out");
    let run = |extra: &[&str]| {
        let mut args = vec!["fetch", "--out", out_dir.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(list.to_str().unwrap());
        let out = magpie_with_data(&args, None, Some(data.path()));
        format!("{}{}", text(&out.stdout), text(&out.stderr))
    };
    let shown = run(&[]);
    for secret in ["hunter2", "abc123", "zzz999"] {
        assert!(!shown.contains(secret), "{secret} printed:\n{shown}");
    }
    assert!(shown.contains("me:***@"), "{shown}");
    assert!(shown.contains("token=***&w=3"), "{shown}");
    let json = run(&["--json"]);
    assert!(!json.contains("abc123"), "{json}");
    let full = run(&["--json", "--json-full-urls"]);
    assert!(full.contains("token=abc123"), "{full}");

    let journals = data.path().join("magpie/journals");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&journals), 0o700);
    for entry in std::fs::read_dir(&journals).unwrap().flatten() {
        assert_eq!(mode(&entry.path()), 0o600, "{}", entry.path().display());
    }
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

#[test]
fn thumbs_fills_the_shared_cache_for_a_folder_and_says_what_it_did() {
    let home = tempfile::tempdir().unwrap();
    let photos = tempfile::tempdir().unwrap();
    let nested = photos.path().join("trip");
    std::fs::create_dir(&nested).unwrap();
    for (name, side) in [
        ("a.jpg", 900),
        ("b.png", 600),
        ("trip/c.jpg", 700),
        ("icon.png", 64),
    ] {
        image::RgbImage::from_pixel(side, side * 2 / 3, image::Rgb([9, 99, 199]))
            .save(photos.path().join(name))
            .unwrap();
    }
    std::fs::write(photos.path().join("notes.txt"), "not an image").unwrap();
    std::fs::write(photos.path().join("broken.jpg"), b"\xFF\xD8\xFF nope").unwrap();
    let dir = photos.path().to_str().unwrap();

    let first = magpie_with_data(&["thumbs", "-j", "2", dir], None, Some(home.path()));
    let stdout = String::from_utf8_lossy(&first.stdout);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(
        first.status.code(),
        Some(1),
        "a file failed: {stdout}{stderr}"
    );
    assert!(stdout.starts_with("5 images in "), "{stdout}");
    assert!(
        stdout.contains("3 made, 0 already cached, 1 small enough to show as they are, 1 failed"),
        "{stdout}"
    );
    assert!(
        stderr.contains("broken.jpg"),
        "the failure is named: {stderr}"
    );
    let large = home.path().join("thumbnails/large");
    assert_eq!(std::fs::read_dir(&large).unwrap().count(), 3);

    // Again: everything comes from the cache, the broken file is not decoded again.
    let second = magpie_with_data(&["thumbs", dir], None, Some(home.path()));
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(
        stdout.contains("0 made, 3 already cached, 1 small enough to show as they are, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn thumbs_names_a_path_it_cannot_read_and_does_the_others() {
    let home = tempfile::tempdir().unwrap();
    let photos = tempfile::tempdir().unwrap();
    image::RgbImage::from_pixel(600, 400, image::Rgb([9, 99, 199]))
        .save(photos.path().join("cat.png"))
        .unwrap();
    let missing = photos.path().join("no such folder");
    let (dir, missing) = (photos.path().to_str().unwrap(), missing.to_str().unwrap());

    let out = magpie_with_data(&["thumbs", missing, dir], None, Some(home.path()));
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("1 made"),
        "the other path still ran: {stdout}"
    );
    assert!(
        stderr.contains(&format!("{missing}: No such file or directory")),
        "{stderr}"
    );

    // Nothing it could read at all: a usage error.
    let none = magpie_with_data(&["thumbs", missing], None, Some(home.path()));
    assert_eq!(none.status.code(), Some(2));
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
fn the_settings_file_can_be_named_before_or_after_the_command() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("c.toml");
    std::fs::write(&config, "[fetch]\nconcurrency = 3\n").unwrap();
    let list = work.path().join("l.txt");
    std::fs::write(&list, "https://a.example/x.png\n").unwrap();
    let (config, list) = (config.to_str().unwrap(), list.to_str().unwrap());
    for args in [
        ["--config", config, "fetch", "--dry-run", list],
        ["fetch", "--config", config, "--dry-run", list],
    ] {
        let out = magpie(&args, None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "https://a.example/x.png\n");
    }
}

#[test]
fn the_settings_file_names_folders_and_files_in_the_home_folder_with_a_tilde() {
    let server = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("cookies.txt"),
        "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc\n",
    )
    .unwrap();
    let config = home.path().join("magpie.toml");
    std::fs::write(
        &config,
        "[window]\nfolder = \"~/Pictures/cats\"\n[fetch]\ncookies_file = \"~/cookies.txt\"\n",
    )
    .unwrap();
    let list = home.path().join("list.txt");
    std::fs::write(&list, format!("{}\n", server.url("/members/c.png"))).unwrap();
    let out = magpie_at_home(
        &[
            "fetch",
            "--config",
            config.to_str().unwrap(),
            list.to_str().unwrap(),
        ],
        None,
        home.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Saved under the home folder, with the cookie from the home folder's file: nothing went
    // into a folder named `~`.
    assert_eq!(files_in(&home.path().join("Pictures/cats")), ["c.png"]);
    assert!(!home.path().join("~").exists());
}

#[test]
fn header_referer_user_agent_and_cookies_flags_reach_the_server() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let jar = work.path().join("cookies.txt");
    std::fs::write(&jar, "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc\n").unwrap();
    let out_dir = work.path().join("out");
    let out = magpie(
        &[
            "fetch",
            "-H",
            "X-Token: t1",
            "--referer",
            "origin",
            "--user-agent",
            "browser",
            "--cookies",
            jar.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "-",
        ],
        Some(&format!("{}\n", server.url("/members/c.png"))),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(files_in(&out_dir), ["c.png"]);
    assert_eq!(*server.stats.tokens.lock().unwrap(), ["t1"]);
    assert_eq!(
        *server.stats.referers.lock().unwrap(),
        [format!("http://{}/", server.addr)]
    );
    assert!(server.stats.user_agent.lock().unwrap().contains("Firefox"));

    let missing = magpie(
        &["fetch", "--cookies", "/nonexistent/cookies.txt", "-"],
        Some(""),
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read the cookies file"));
    let bad = magpie(&["fetch", "-H", "no colon here", "-"], Some(""));
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("Name: value"));
}

#[test]
fn page_downloads_the_images_of_a_web_page_and_dry_run_lists_them() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let page = server.url("/gallery.html").to_string();
    let dry = magpie(&["fetch", "--dry-run", "--page", &page], None);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    assert_eq!(
        text(&dry.stdout).lines().count(),
        6,
        "{}",
        text(&dry.stdout)
    );
    assert!(
        text(&dry.stderr).contains("6 image(s) — Test gallery"),
        "{}",
        text(&dry.stderr)
    );

    let out_dir = work.path().join("out");
    let out = magpie(
        &["fetch", "--page", &page, "--out", out_dir.to_str().unwrap()],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(files_in(&out_dir).len(), 6);
    assert!(
        text(&out.stdout).contains("saved 6 of 6"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_small_image_is_skipped_with_its_size_in_words() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let out_dir = work.path().join("out");
    let list = format!(
        "{}\n{}\n",
        server.url("/sized/120/90/icon.png"),
        server.url("/sized/400/400/big.png")
    );
    let out = magpie(
        &[
            "fetch",
            "--min-dim",
            "300x300",
            "--out",
            out_dir.to_str().unwrap(),
            "-",
        ],
        Some(&list),
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("icon.png: 120×90 is smaller than 300×300"),
        "{all}"
    );
    assert!(all.contains("1 left out by the filters"), "{all}");
    assert_eq!(files_in(&out_dir), ["big.png"]);
}

#[test]
fn an_image_address_can_be_given_on_the_command_line() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let out = magpie(
        &[
            "fetch",
            "--out",
            work.path().to_str().unwrap(),
            server.url("/img/direct.png").as_str(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(files_in(work.path()), ["direct.png"]);
}

#[test]
fn a_url_saved_before_is_skipped_even_after_its_file_was_deleted_unless_no_archive() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let out_dir = work.path().join("out");
    let url = server.url("/img/archived.png").to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["fetch", "--out", out_dir.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(&url);
        magpie_with_data(&args, None, Some(data.path()))
    };
    let first = run(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    // The user deletes it, keeping the rest of the folder.
    std::fs::remove_file(out_dir.join("archived.png")).unwrap();
    std::fs::write(out_dir.join("notes.txt"), "my other files").unwrap();

    let again = run(&[]);
    let all = format!("{}{}", text(&again.stdout), text(&again.stderr));
    assert_eq!(again.status.code(), Some(0), "{all}");
    let today = magpie::format::date(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    );
    assert!(
        all.contains(&format!("downloaded before on {today}")),
        "{all}"
    );
    assert_eq!(files_in(&out_dir), ["notes.txt"], "not fetched again");
    assert_eq!(server.stats.hits("/img/archived.png"), 1);

    let forced = run(&["--no-archive"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert_eq!(files_in(&out_dir), ["archived.png", "notes.txt"]);
    assert_eq!(server.stats.hits("/img/archived.png"), 2);

    // An emptied folder starts afresh.
    std::fs::remove_file(out_dir.join("archived.png")).unwrap();
    std::fs::remove_file(out_dir.join("notes.txt")).unwrap();
    let fresh = run(&[]);
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh.stderr));
    assert_eq!(files_in(&out_dir), ["archived.png"]);
}
