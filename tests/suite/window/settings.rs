//! The window's Settings panel: a change applies to the next downloads and is saved; a bad value
//! is explained and changes nothing.

use crate::support::window::*;
use crate::support::*;
use egui_kittest::kittest::Queryable;
use magpie::config::Config;

#[test]
fn settings_panel_changes_the_limit_for_the_next_downloads_and_saves_it() {
    let server = TestServer::start(); // each /hold/ request takes 150 ms
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let config = dir.path().join("config.toml");
    let mut opts = options(&out);
    opts.config_path = Some(config.clone());
    let mut h = harness(opts);
    h.get_by_label("⚙ Settings").click();
    step_until(&mut h, "the settings window", |h| {
        h.query_by_label("Attempts per file").is_some()
    });
    retype(&mut h, "Downloads at once", "1");
    h.get_by_label("Save").click();
    step_until(&mut h, "the settings saved", |_| {
        Config::load(&config).config.fetch.concurrency == 1
    });
    assert_eq!(app(&h).config().fetch.concurrency, 1);

    let urls: Vec<String> = (0..4)
        .map(|i| server.url(&format!("/hold/s{i}.png")).to_string())
        .collect();
    paste_urls(&mut h, &urls.join("\n"));
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "four images", |h| thumbnails_shown(h) == 4);
    assert_eq!(
        server.stats.peak(),
        1,
        "one download at a time, as set (the default would run all four at once)"
    );
}

#[test]
fn a_bad_settings_value_is_explained_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    h.get_by_label("⚙ Settings").click();
    step_until(&mut h, "the settings window", |h| {
        h.query_by_label("Attempts per file").is_some()
    });
    retype(&mut h, "Stall timeout", "soon");
    h.get_by_label("Save").click();
    step_until(&mut h, "the reason", |h| {
        h.query_by_label_contains("Stall timeout: a duration such as")
            .is_some()
    });
    assert_eq!(app(&h).config().fetch, fast_settings());
}
