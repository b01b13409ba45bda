//! `magpie fetch` run as a user or a script would: the real binary, a real server. This file: the
//! basics (lists in, files and a report out, exit codes); the others by concern.

mod lists;
mod resume;
mod settings;
mod thumbs;

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
fn many_failures_are_also_counted_by_reason() {
    let server = TestServer::start();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let work = tempfile::tempdir().unwrap();
    let input: String = (0..12)
        .map(|i| format!("{}\n", server.url(&format!("/status/404?n={i}"))))
        .chain((0..3).map(|i| format!("http://127.0.0.1:{closed}/gone{i}.jpg\n")))
        .collect();
    let out = magpie(
        &["fetch", "--out", work.path().to_str().unwrap(), "-"],
        Some(&input),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let why = stdout
        .split("\nWhy they failed:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no reasons counted: {stdout}"));
    let lines: Vec<&str> = why.lines().take(3).collect();
    assert_eq!(lines[0], "  12 × HTTP 404 Not Found", "{stdout}");
    assert!(lines[1].starts_with("   3 × could not connect"), "{stdout}");
    assert!(
        lines[2].starts_with("saved 0 of 15"),
        "the summary stays last: {stdout}"
    );
}

/// Each site leaves a socket open for its next image; a list over more sites than the soft limit
/// on open files allows (a desktop's 1,024 against a dataset's thousands of sites) used to fail
/// with "Too many open files", for the sockets and for the files being saved.
#[test]
fn a_list_over_more_sites_than_the_soft_open_files_limit_all_arrives() {
    let sites: Vec<TestServer> = (0..80).map(|_| TestServer::start()).collect();
    let list: String = (sites.iter().enumerate())
        .map(|(i, site)| format!("{}\n", site.url(&format!("/img/s{i:02}.png"))))
        .collect();
    let work = tempfile::tempdir().unwrap();
    let out = magpie_with_open_files(
        64,
        &[
            "fetch",
            "-j",
            "8",
            "--out",
            work.path().to_str().unwrap(),
            "-",
        ],
        Some(&list),
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert_eq!(files_in(work.path()).len(), 80);
}

/// An old list's dead domains: a name that does not resolve is said so and not retried (each
/// retry held a download slot for seconds).
#[test]
fn a_site_whose_name_does_not_resolve_is_not_retried() {
    use std::net::ToSocketAddrs as _;
    // `.invalid` never resolves (RFC 6761), but only a resolver that can be asked says so; a
    // machine without one says "temporary failure", which is rightly retried.
    let lookup = ("no-such-site.invalid", 80).to_socket_addrs();
    if !lookup.is_err_and(|e| e.to_string().contains("Name or service not known")) {
        eprintln!("no resolver to say the name does not exist: skipping");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let out = magpie(
        &["fetch", "--out", work.path().to_str().unwrap(), "-"],
        Some("http://no-such-site.invalid/a.jpg\n"),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("no-such-site.invalid/a.jpg: no such site: its name does not resolve"),
        "{stdout}"
    );
    assert!(!stdout.contains("retrying"), "{stdout}");
}

/// `magpie fetch` feeds a long list to the engine bit by bit. Downloads waiting on a site that
/// never answers must not fill what it keeps in the engine: with 64 of them first in the list,
/// the images after them are fetched at once, not after the dead site's timeouts.
#[test]
fn images_after_many_urls_of_a_dead_address_are_not_held_back() {
    use std::io::BufRead as _;
    let server = TestServer::start();
    let dead = unanswering_address();
    let work = tempfile::tempdir().unwrap();
    let mut list: Vec<String> = (0..64).map(|n| format!("http://{dead}/{n}.jpg")).collect();
    list.extend(["a.png", "b.png", "c.png"].map(|n| server.url(&format!("/img/{n}")).to_string()));
    let list_file = work.path().join("list.txt");
    std::fs::write(&list_file, list.join("\n")).unwrap();
    let config = work.path().join("config.toml");
    std::fs::write(&config, "[fetch]\nconnect_timeout = \"60s\"\n").unwrap();
    let out = work.path().join("out");
    let args = [
        "fetch",
        "--json",
        "--per-host",
        "64",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        list_file.to_str().unwrap(),
    ];
    let mut child = spawn_magpie(&args, work.path(), std::process::Stdio::piped());
    let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut saved = 0;
    for line in lines {
        let line: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        assert_eq!(line["status"], "saved", "before every image: {line}");
        saved += 1;
        if saved == 3 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(saved, 3);
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
