//! Memory for a large URL list (not a test).
//!
//! 1. The library: parses 100,000 lines and queues them all on a paused, journaled engine (what
//!    the window does, since it shows every row), printing resident memory and the cost per URL.
//! 2. The CLI: `magpie fetch -j 64` on lists of 1,000 and 100,000 lines against a loopback server
//!    that answers 404 at once, printing the peak resident memory of the process. `magpie fetch`
//!    streams its lists, so the two peaks should be close.
//!
//! Run: `cargo bench --bench scale` (env: N).

mod support;

use std::time::{Duration, Instant};

use magpie::config::FetchSettings;
use magpie::engine::{Command, Engine, Event};
use magpie::store::Store;

/// Starts a server on 127.0.0.1 that answers every request with 404 at once.
fn not_found_server() -> std::net::SocketAddr {
    let app = axum::Router::new().fallback(|| async { axum::http::StatusCode::NOT_FOUND });
    support::serve(app, 1)
}

/// Runs `magpie fetch` on a list of `n` URLs; returns (peak resident MB, seconds).
fn cli_peak(addr: std::net::SocketAddr, n: usize, dir: &std::path::Path) -> (f64, f64) {
    let list = dir.join(format!("list-{n}.txt"));
    let text: String = (0..n)
        .map(|i| format!("http://{addr}/gallery/{i:06}/photo-{i}.jpg\n"))
        .collect();
    std::fs::write(&list, text).expect("write list");
    // Every URL is asked (a host failing this often would otherwise be paused after 20).
    let config = dir.join("data/magpie");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(
        config.join("config.toml"),
        "[fetch]\npause_after_failures = 0\n",
    )
    .expect("config");
    let t = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_magpie"))
        .args(["fetch", "-j", "64", "--per-host", "64", "--out"])
        .arg(dir.join("out"))
        .arg(&list)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("data"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run magpie");
    let peak = support::wait_peak_mb(&mut child);
    (peak, t.elapsed().as_secs_f64())
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = support::env_number("N", 100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    // Journaled, as the window and `magpie fetch` run it: the folder's journal writer keeps its
    // own record of what is queued.
    let journals = tempfile::tempdir().expect("tempdir");
    let engine = Engine::start_journaled(
        FetchSettings::default(),
        Some(journals.path().to_path_buf()),
        None,
    )
    .expect("engine");
    engine.send(Command::Pause);
    let base = support::own_rss_mb(false);

    let text: String = (0..n)
        .map(|i| {
            format!(
                "https://img{}.example.org/gallery/{i:06}/photo-{i}.jpg\n",
                i % 50
            )
        })
        .collect();
    let t = Instant::now();
    let list = magpie::urls::parse(&text, None);
    let parse_time = t.elapsed();
    assert_eq!(list.urls.len(), n);
    let text_mb = text.len() as f64 / 1e6;
    drop(text);
    let parsed = support::own_rss_mb(false);

    let t = Instant::now();
    engine.submit(store.dir(), list.urls.into_iter().map(|u| u.url));
    let mut queued = 0;
    while queued < n {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::Queued { .. }) => queued += 1,
            Some(_) => {}
            None => panic!("engine stopped answering"),
        }
    }
    let queue_time = t.elapsed();
    let queued_rss = support::own_rss_mb(false);
    println!(
        "scale bench: {n} URLs ({text_mb:.1} MB of text), engine paused so nothing is in flight"
    );
    println!("| step | resident | per URL | time |");
    println!("|---|---|---|---|");
    println!("| engine started | {base:.1} MB | | |");
    println!(
        "| parsed | {parsed:.1} MB | {:.0} B | {:.0} ms |",
        (parsed - base) * 1e6 / n as f64,
        parse_time.as_secs_f64() * 1e3
    );
    println!(
        "| queued in the engine | {queued_rss:.1} MB | {:.0} B | {:.0} ms |",
        (queued_rss - base) * 1e6 / n as f64,
        queue_time.as_secs_f64() * 1e3
    );

    drop(engine);

    let addr = not_found_server();
    println!();
    println!(
        "magpie fetch -j 64 on a list, every URL answered 404 at once (peak resident memory):"
    );
    println!("| list | peak | wall |");
    println!("|---|---|---|");
    for lines in [1_000, n] {
        let (peak, secs) = cli_peak(addr, lines, dir.path());
        println!("| {lines} lines | {peak:.1} MB | {secs:.1} s |");
    }

    let million: usize = std::env::var("SHARD_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!();
    println!(
        "magpie fetch --dry-run --shard K/4 on {million} lines (what one of 4 machines takes):"
    );
    println!("| shard | URLs listed | peak | wall |");
    println!("|---|---|---|---|");
    let list = dir.path().join("million.txt");
    let text: String = (0..million)
        .map(|i| format!("https://img{}.example.org/set/{i:07}/photo.jpg\n", i % 50))
        .collect();
    std::fs::write(&list, text).expect("write list");
    let mut total = 0;
    for k in 1..=4 {
        let out = dir.path().join(format!("shard-{k}.txt"));
        let t = Instant::now();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_magpie"))
            .args(["fetch", "--dry-run", "--shard", &format!("{k}/4")])
            .arg(&list)
            .env("XDG_CONFIG_HOME", dir.path().join("data"))
            .stdout(std::fs::File::create(&out).expect("out"))
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("run magpie");
        let peak = support::wait_peak_mb(&mut child);
        let secs = t.elapsed().as_secs_f64();
        let listed = std::fs::read_to_string(&out).expect("read").lines().count();
        total += listed;
        println!("| {k}/4 | {listed} | {peak:.1} MB | {secs:.2} s |");
    }
    assert_eq!(total, million, "every URL in exactly one shard");
}
