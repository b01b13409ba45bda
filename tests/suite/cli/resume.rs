//! `magpie fetch` stopped and started again: Ctrl-C, `kill -9`, a damaged journal, two runs on one
//! folder, and the download archive that remembers what was saved.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::cli::*;
use crate::support::*;

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
