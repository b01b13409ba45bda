//! Memory for a large URL list (not a test): parses 100,000 lines and queues them on a paused
//! engine, printing resident memory at each step and the cost per URL.
//!
//! Run: `cargo bench --bench scale` (env: N).

use std::time::{Duration, Instant};

use magpie::engine::{Command, Engine, Event};
use magpie::settings::FetchSettings;
use magpie::store::Store;

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let engine = Engine::start(FetchSettings::default(), None).expect("engine");
    engine.send(Command::Pause);
    let base = rss_mb();

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
    let parsed = rss_mb();

    let t = Instant::now();
    engine.submit(&store, list.urls.into_iter().map(|u| u.url));
    let mut queued = 0;
    while queued < n {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::Queued { .. }) => queued += 1,
            Some(_) => {}
            None => panic!("engine stopped answering"),
        }
    }
    let queue_time = t.elapsed();
    let queued_rss = rss_mb();
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
}
