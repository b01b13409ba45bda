//! Background work gives way to the window: on Linux the engine's threads (runtime, disk pool,
//! journal writer) and the thumbnail workers run in the batch class, so their wake-ups never
//! preempt the UI thread. A test binary of its own, so no other test's engine is starting a
//! thread while this one looks.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

#[path = "suite/support/mod.rs"]
mod support;

use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use magpie::engine::{Command, Engine, Event};
use magpie::thumbs::{Purpose, Request, ThumbError, Thumbnailer};

/// A thread's scheduling class from its `stat` file (field 41; SCHED_BATCH is 3).
fn class_of(stat: &str) -> i32 {
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    fields[41 - 3].parse().unwrap()
}

#[test]
fn the_engine_threads_run_as_background_work() {
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let engine =
        Engine::start_journaled(support::fast_settings(), Some(journals.path().into()), None)
            .unwrap();
    // Opening a folder runs on the disk pool and starts the folder's journal writer.
    engine.open_folder(out.path(), true);
    loop {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::FolderOpened { .. }) => break,
            Some(Event::FolderFailed { error, .. }) => panic!("{error}"),
            Some(_) => {}
            None => panic!("no answer opening {}", out.path().display()),
        }
    }
    // A thread names itself once it runs, and the journal writer may not have run yet. It
    // answers claims: once a URL is queued, it has (paused, so nothing is fetched).
    engine.send(Command::Pause);
    engine.submit(
        out.path(),
        [url::Url::parse("http://127.0.0.1:9/a.png").unwrap()],
    );
    loop {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::Queued { .. }) => break,
            Some(_) => {}
            None => panic!("the URL was never queued"),
        }
    }
    let mut seen = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let task = task.unwrap().path();
        let Ok(comm) = std::fs::read_to_string(task.join("comm")) else {
            continue; // a thread that just ended
        };
        let comm = comm.trim().to_string();
        if comm.starts_with("magpie-") {
            let stat = std::fs::read_to_string(task.join("stat")).unwrap();
            assert_eq!(class_of(&stat), 3, "{comm} is not in the batch class");
            seen.push(comm);
        }
    }
    for name in ["magpie-engine", "magpie-disk", "magpie-journal"] {
        assert!(seen.iter().any(|c| c == name), "no {name} among {seen:?}");
    }
}

#[test]
fn thumbnails_are_decoded_as_background_work() {
    let (tx, classes) = mpsc::channel();
    let tx = Mutex::new(tx);
    let decoder: magpie::thumbs::Decoder = Arc::new(move |_: &Path, _: Purpose| {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        tx.lock().unwrap().send(class_of(&stat)).unwrap();
        Err(ThumbError::NoPreview("a test decoder"))
    });
    let pool = Thumbnailer::with_decoder(2, Arc::new(|| {}), decoder);
    pool.request(Request {
        key: 1,
        path: "tile.png".into(),
        purpose: Purpose::Tile(magpie::thumbs::CacheSize::Large),
    });
    assert_eq!(classes.recv_timeout(Duration::from_secs(30)).unwrap(), 3);
}
