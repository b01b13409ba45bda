//! Collections that stay clean: name templates, sidecar metadata, formats — through
//! `magpie fetch` as a user or a script would run it, against a real server.

use crate::support::cli::*;
use crate::support::*;

/// Writes `urls` one per line into `dir/list.txt` and returns its path.
fn list(dir: &std::path::Path, urls: &[url::Url]) -> String {
    let path = dir.join("list.txt");
    let text: String = urls.iter().map(|u| format!("{u}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn a_name_template_sorts_files_into_subfolders_and_numbers_them() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let urls: Vec<url::Url> = ["one.png", "two.jpg", "three.png"]
        .iter()
        .map(|n| server.url(&format!("/img/{n}")))
        .collect();
    let list = list(work.path(), &urls);
    let out_dir = work.path().join("pics");
    let out = out_dir.to_str().unwrap();
    let template = "{host}/{index}-{name}.{ext}";

    let dry = magpie(
        &[
            "fetch",
            "--dry-run",
            "--template",
            template,
            "--out",
            out,
            &list,
        ],
        None,
    );
    let lines: Vec<String> = text(&dry.stdout).lines().map(String::from).collect();
    assert_eq!(
        lines,
        [
            format!("{}\t127.0.0.1/1-one.png", urls[0]),
            format!("{}\t127.0.0.1/2-two.jpg", urls[1]),
            format!("{}\t127.0.0.1/3-three.png", urls[2]),
        ]
    );
    assert!(!out_dir.exists(), "a dry run touches nothing");

    let data = tempfile::tempdir().unwrap();
    let run = magpie_with_data(
        &["fetch", "--template", template, "--out", out, &list],
        None,
        Some(data.path()),
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_eq!(
        files_under(&out_dir),
        [
            "127.0.0.1/1-one.png",
            "127.0.0.1/2-two.jpg",
            "127.0.0.1/3-three.png"
        ]
    );
    // The journal knows where each went: a second run skips them all (the archive).
    let again = magpie_with_data(
        &["fetch", "--template", template, "--out", out, &list],
        None,
        Some(data.path()),
    );
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stdout).contains("3 downloaded before"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(server.stats.hits("/img/one.png"), 1);
}

#[test]
fn hostile_page_titles_and_names_stay_inside_the_folder() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let out_dir = work.path().join("pics");
    let page = server.url("/titled/..%2F..%2F..%2Fescaped");
    let run = magpie(
        &[
            "fetch",
            "--page",
            page.as_str(),
            "--template",
            "../{page_title}/../{name}",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    // The title's slashes are characters, the template's `..` is nothing; the extension is added.
    assert_eq!(
        files_under(&out_dir),
        ["_.._.._escaped/first.png", "_.._.._escaped/second.jpg"]
    );
    assert_eq!(
        files_under(work.path()).len(),
        2,
        "nothing outside the folder"
    );
}

#[cfg(unix)]
#[test]
fn a_link_where_a_subfolder_would_go_is_not_followed() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let elsewhere = work.path().join("elsewhere");
    let out_dir = work.path().join("pics");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::create_dir_all(&out_dir).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out_dir.join("127.0.0.1")).unwrap();
    let list = list(work.path(), &[server.url("/img/one.png")]);
    let run = magpie(
        &[
            "fetch",
            "--template",
            "{host}/{name}.{ext}",
            "--out",
            out_dir.to_str().unwrap(),
            &list,
        ],
        None,
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(
        text(&run.stdout).contains("127.0.0.1 is a link: Magpie saves only inside the folder"),
        "{}",
        text(&run.stdout)
    );
    assert!(files_under(&elsewhere).is_empty());
}

#[test]
fn a_bad_template_is_a_usage_error_that_names_the_field() {
    let run = magpie(&["fetch", "--template", "{host}/{nmae}", "-"], Some(""));
    assert_eq!(run.status.code(), Some(2));
    let err = text(&run.stderr);
    assert!(err.contains("{nmae} is not a field"), "{err}");
}

#[test]
fn the_settings_panel_previews_a_template_and_downloads_follow_it() {
    use crate::support::window::*;
    use egui_kittest::kittest::Queryable;
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut opts = options(&out);
    opts.config_path = Some(dir.path().join("config.toml"));
    let mut h = harness(opts);
    let urls = [server.url("/img/a.png"), server.url("/img/b.jpg")];
    paste_urls(&mut h, &format!("{}\n{}", urls[0], urls[1]));
    h.get_by_label("⚙ Settings").click();
    step_until(&mut h, "the settings window", |h| {
        h.query_by_label("File names").is_some()
    });
    retype(&mut h, "File names", "{host}/{nmae}");
    step_until(&mut h, "the mistake explained", |h| {
        h.query_by_label_contains("{nmae} is not a field").is_some()
    });
    retype(&mut h, "File names", "{host}/{index}-{name}.{ext}");
    step_until(&mut h, "the preview", |h| {
        h.query_by_label("Saved as: 127.0.0.1/1-a.png, 127.0.0.1/2-b.jpg")
            .is_some()
    });
    h.get_by_label("Save").click();
    step_until(&mut h, "the settings saved", |h| {
        h.query_by_label("File names").is_none()
    });
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "two images", |h| thumbnails_shown(h) == 2);
    assert_eq!(
        files_under(&out),
        ["127.0.0.1/1-a.png", "127.0.0.1/2-b.jpg"]
    );
}

#[test]
fn write_metadata_puts_a_sidecar_beside_each_image_and_remote_time_dates_it() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let out_dir = work.path().join("pics");
    let page = server.url("/titled/Cats");
    let data = tempfile::tempdir().unwrap();
    let run = magpie_with_data(
        &[
            "fetch",
            "--write-metadata",
            "--remote-time",
            "--page",
            page.as_str(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        None,
        Some(data.path()),
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    // The journal's history keeps the page too (the window's "Open source page").
    let journal: String = std::fs::read_dir(data.path().join("magpie/journals"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    let saved_with_page = journal
        .lines()
        .filter(|l| {
            l.contains("\"event\":\"saved\"") && l.contains(&format!("\"page\":\"{page}\""))
        })
        .count();
    assert_eq!(saved_with_page, 2, "{journal}");
    assert_eq!(
        files_under(&out_dir),
        [
            "first.png",
            "first.png.json",
            "second.jpg",
            "second.jpg.json"
        ]
    );
    let image = std::fs::read(out_dir.join("second.jpg")).unwrap();
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("second.jpg.json")).unwrap()).unwrap();
    assert_eq!(meta["url"], server.url("/img/second.jpg").as_str());
    assert_eq!(meta["page"], page.as_str());
    assert_eq!(meta["file"], "second.jpg");
    assert_eq!(meta["bytes"], image.len() as u64);
    assert_eq!(meta["type"], "image/jpeg");
    assert_eq!(
        (meta["width"].as_u64(), meta["height"].as_u64()),
        (Some(64), Some(48))
    );
    assert_eq!(meta["blake3"], blake3::hash(&image).to_hex().as_str());
    assert_eq!(meta["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(meta["last_modified"], LAST_MODIFIED);
    let saved = meta["saved"].as_str().unwrap();
    assert!(saved.len() == 20 && saved.ends_with('Z'), "{saved}");
    // The file carries the server's time, not the download's.
    let mtime = std::fs::metadata(out_dir.join("second.jpg"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(mtime, httpdate::parse_http_date(LAST_MODIFIED).unwrap());
}

#[test]
fn a_tile_offers_its_source_page_and_re_downloads_past_the_archive() {
    use crate::support::window::*;
    use egui_kittest::kittest::Queryable;
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    let page = server.url("/titled/Cats");
    paste_urls(&mut h, &format!("{page}\n"));
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "the page's checklist", |h| {
        h.query_by_label_contains("⬇ Download 2 images").is_some()
    });
    h.get_by_label("second.jpg").click(); // untick: only first.png
    h.step();
    h.get_by_label("⬇ Download 1 image").click();
    step_until(&mut h, "the image", |h| thumbnails_shown(h) == 1);
    assert_eq!(server.stats.hits("/img/first.png"), 1);

    h.get_by_label_contains(", image ").click_secondary();
    step_until(&mut h, "the tile's menu", |h| {
        h.query_by_label("Open source page").is_some()
    });
    h.get_by_label("Re-download").click();
    // The archive would skip it ("downloaded before"); Re-download asks again, and the same
    // bytes are not saved twice.
    step_until(&mut h, "the second download", |h| {
        h.query_by_label_contains("duplicate of first.png")
            .is_some()
    });
    assert_eq!(server.stats.hits("/img/first.png"), 2);
    assert_eq!(files_in(dir.path()), ["first.png"]);
}

#[test]
fn more_formats_are_saved_by_their_content_and_shown_or_said_to_have_no_preview() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let urls: Vec<url::Url> = [
        "jxl/photo",
        "heic/iphone.jpg",
        "avif/c",
        "svg/logo.png",
        "qoi/q",
        "bad-svg/broken",
    ]
    .iter()
    .map(|p| server.url(&format!("/kind/{p}")))
    .collect();
    let list = list(work.path(), &urls);
    let out_dir = work.path().join("pics");
    let run = magpie(&["fetch", "--out", out_dir.to_str().unwrap(), &list], None);
    assert_eq!(run.status.code(), Some(1), "the broken SVG fails");
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("damaged image: the SVG header cannot be read"),
        "{stdout}"
    );
    assert_eq!(
        files_under(&out_dir),
        ["c.avif", "iphone.heic", "logo.svg", "photo.jxl", "q.qoi"]
    );

    // Thumbnails: drawn for what a pure-Rust decoder reads, "no preview" for the rest.
    let size = |name: &str| {
        magpie::thumbs::decode(&out_dir.join(name), 256)
            .map(|px| (px.original_width, px.original_height))
    };
    assert_eq!(size("photo.jxl"), Ok((16, 12)));
    assert_eq!(size("q.qoi"), Ok((9, 7)));
    assert_eq!(size("logo.svg"), Ok((40, 30)));
    let no_preview = magpie::thumbs::ThumbError::NoPreview;
    assert_eq!(size("iphone.heic"), Err(no_preview("HEIC")));
    assert_eq!(size("c.avif"), Err(no_preview("AVIF")));

    let cache = tempfile::tempdir().unwrap();
    let thumbs = magpie_with_data(
        &["thumbs", out_dir.to_str().unwrap()],
        None,
        Some(cache.path()),
    );
    assert_eq!(thumbs.status.code(), Some(0), "{}", text(&thumbs.stderr));
    assert!(
        text(&thumbs.stdout).contains("2 without a preview (HEIC, AVIF), 0 failed"),
        "{}",
        text(&thumbs.stdout)
    );

    // The window's gallery: real tiles, and a tile that says what it cannot show.
    use crate::support::window::*;
    use egui_kittest::kittest::Queryable;
    let mut h = harness(options(&out_dir));
    step_until(&mut h, "five tiles", |h| {
        h.query_by_label("iphone.heic, HEIC: no preview").is_some()
            && h.query_by_label("photo.jxl, image 16×12").is_some()
            && h.query_by_label("logo.svg, image 40×30").is_some()
            && h.query_by_label("q.qoi, image 9×7").is_some()
            && h.query_by_label("c.avif, AVIF: no preview").is_some()
    });
}

#[test]
fn a_duplicate_in_the_queue_links_to_the_file_it_duplicates() {
    use crate::support::window::*;
    use egui_kittest::kittest::Queryable;
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.png"), png(64, 48, 9)).unwrap(); // what /same/ serves
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the folder's image", |h| thumbnails_shown(h) == 1);
    paste_urls(&mut h, server.url("/same/copy.png").as_str());
    h.get_by_label("⬇ Download").click();
    let link = "duplicate of old.png: the same image is already in the folder";
    step_until(&mut h, "the duplicate's row", |h| {
        h.query_by_label(link).is_some()
    });
    assert!(h.query_by_label("⬅ Gallery").is_none());
    h.get_by_label(link).click();
    step_until(&mut h, "old.png in the viewer", |h| {
        h.query_by_label("⬅ Gallery").is_some() && h.query_by_label("64 × 48").is_some()
    });
    assert_eq!(files_in(dir.path()), ["old.png"]);
}
