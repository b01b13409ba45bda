//! `magpie fetch` as settings shape it: the settings file, flags over it, headers, cookies and
//! Referer, filters, and web pages as input.

use crate::support::cli::*;
use crate::support::*;

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
