//! Browsing in the window: a folder's images as tiles, thousands of them, the viewer, and names in
//! any script.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::support::window::*;
use crate::support::*;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable, by};
use magpie::ui::MagpieApp;

#[test]
fn opening_on_a_folder_shows_the_images_in_it() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3u8 {
        std::fs::write(dir.path().join(format!("old{i}.png")), png(40, 30, i)).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), b"not an image").unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "3 thumbnails from the folder", |h| {
        thumbnails_shown(h) == 3
    });
    assert!(h.query_by_label_contains("old1.png, image 40×30").is_some());
}

#[test]
fn clicking_a_thumbnail_opens_the_viewer_and_escape_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.png"), png(40, 30, 1)).unwrap();
    std::fs::write(dir.path().join("b.png"), png(40, 30, 2)).unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "thumbnails", |h| thumbnails_shown(h) == 2);
    // Newest first: b.png (scanned second) comes first, then a.png.
    h.get_by_label_contains("b.png, image").click();
    step_until(&mut h, "the viewer", |h| {
        h.query_by_label("⬅ Gallery").is_some()
    });
    h.key_press(egui::Key::ArrowRight);
    step_until(&mut h, "the next image", |h| {
        h.query_by_label_contains("a.png").is_some()
            && h.query_by_label_contains("b.png").is_none()
            && h.query_by_label("⬅ Gallery").is_some()
    });
    h.key_press(egui::Key::ArrowLeft);
    step_until(&mut h, "the previous image", |h| {
        h.query_by_label_contains("b.png").is_some() && h.query_by_label_contains("a.png").is_none()
    });
    h.key_press(egui::Key::Escape);
    step_until(&mut h, "the gallery again", |h| {
        h.query_by_label("⬅ Gallery").is_none() && thumbnails_shown(h) == 2
    });
}

#[test]
fn a_pasted_list_reads_in_its_own_order_above_the_images_already_there() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    for (name, age) in [("older.png", 120), ("newer.png", 60)] {
        let path = dir.path().join(name);
        std::fs::write(&path, png(40, 30, age as u8)).unwrap();
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(age))
            .unwrap();
    }
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the folder's images", |h| thumbnails_shown(h) == 2);
    assert_eq!(tile_names(&h), ["newer.png", "older.png"], "newest first");

    let list: Vec<String> = (0..6).map(|i| format!("list{i}.png")).collect();
    let urls: String = list
        .iter()
        .map(|name| format!("{}\n", server.url(&format!("/img/{name}"))))
        .collect();
    paste_urls(&mut h, &urls);
    h.step(); // the box grew: the button settles one frame later
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "every image shown", |h| thumbnails_shown(h) == 8);
    let mut expected = list;
    expected.extend(["newer.png".into(), "older.png".into()]);
    assert_eq!(
        tile_names(&h),
        expected,
        "the list as written, then what was there"
    );
}

#[test]
fn a_narrow_window_keeps_the_gallery_count_readable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.png"), png(40, 30, 1)).unwrap();
    for (width, words_shown) in [(1280.0, true), (640.0, false)] {
        let mut h = harness_sized(options(dir.path()), egui::vec2(width, 480.0));
        step_until(&mut h, "the tile", |h| thumbnails_shown(h) == 1);
        let count = h.get_by_label("Gallery (1)").rect();
        // The words, and the slider they name (without room for them, its tooltip names it).
        let named: Vec<_> = h
            .query_all(by().label("Thumbnail size").include_labels())
            .collect();
        let words_drawn = named
            .iter()
            .any(|n| n.accesskit_node().role() == egui::accesskit::Role::Label);
        assert_eq!(words_drawn, words_shown, "at {width} px");
        for rect in named.iter().map(|n| n.rect()) {
            assert!(
                !rect.intersects(count),
                "at {width} px, drawn over the count"
            );
        }
    }
}

#[test]
fn a_hidpi_screen_gets_thumbnails_as_sharp_as_its_pixels() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("photo.png"), png(1200, 900, 3)).unwrap();
    let cache = tempfile::tempdir().unwrap();
    // A 200-point tile is 200 pixels on most screens and 400 on a HiDPI one.
    for (pixels_per_point, long_side) in [(1.0, 256), (2.0, 512)] {
        let mut opts = options(dir.path());
        opts.config.window.thumb_size = 200.0;
        opts.thumb_cache = Some(magpie::thumbs::ThumbCache::at(cache.path().to_path_buf()));
        let mut h = harness_scaled(opts, egui::vec2(1280.0, 900.0), pixels_per_point);
        step_until(&mut h, "the tile", |h| thumbnails_shown(h) == 1);
        assert_eq!(
            app(&h).thumbnail_pixels("photo.png"),
            Some([long_side, long_side * 3 / 4]),
            "at {pixels_per_point} pixels per point"
        );
    }
    // From the shared cache's sizes, where file managers find them too.
    for folder in ["large", "x-large"] {
        let files = std::fs::read_dir(cache.path().join(folder)).map_or(0, |d| d.count());
        assert_eq!(files, 1, "thumbnails in {folder}");
    }
}

#[test]
fn growing_the_tiles_past_their_thumbnails_sharpens_them_without_a_blank() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("photo.png"), png(1200, 900, 3)).unwrap();
    std::fs::write(dir.path().join("small.png"), png(200, 150, 4)).unwrap();
    let mut opts = options(dir.path());
    opts.config.window.thumb_size = 200.0;
    let mut h = harness(opts);
    step_until(&mut h, "the tiles", |h| thumbnails_shown(h) == 2);
    assert_eq!(app(&h).thumbnail_pixels("photo.png"), Some([256, 192]));
    // The slider to its end: 320 points, more than a 256 px thumbnail covers.
    h.get_by_role_and_label(egui::accesskit::Role::Slider, "Thumbnail size")
        .focus();
    h.step();
    for _ in 0..20 {
        h.key_press(egui::Key::ArrowRight);
    }
    step_until(&mut h, "the larger thumbnail", |h| {
        // The tile shows the one it has until then.
        assert_eq!(thumbnails_shown(h), 2, "a tile went blank");
        app(h).thumbnail_pixels("photo.png") == Some([512, 384])
    });
    assert_eq!(app(&h).config().window.thumb_size, 320.0);
    // An image smaller than its thumbnail already shows all it has.
    assert_eq!(app(&h).thumbnail_pixels("small.png"), Some([200, 150]));
}

#[test]
fn thousands_of_images_lay_out_and_decode_only_what_is_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = png(24, 16, 3);
    for i in 0..3000 {
        std::fs::write(dir.path().join(format!("img{i:04}.png")), &bytes).unwrap();
    }
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the folder listed", |h| {
        h.query_by_label_contains("Gallery (3,000)").is_some()
    });
    step_until(&mut h, "the first screenful of thumbnails", |h| {
        let shown = thumbnails_shown(h);
        shown > 0 && shown == h.query_all_by_label_contains(".png, ").count()
    });
    let tiles = h.query_all_by_label_contains(".png, ").count();
    assert!(tiles < 100, "only visible tiles are laid out, got {tiles}");
    assert_eq!(
        app(&h).thumbnails_loaded(),
        tiles,
        "only visible tiles are decoded"
    );
}

#[test]
fn scrolling_past_more_tiles_than_the_texture_budget_keeps_only_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = png(24, 16, 5);
    let n = magpie::ui::TEXTURE_BUDGET + 300;
    for i in 0..n {
        std::fs::write(dir.path().join(format!("img{i:04}.png")), &bytes).unwrap();
    }
    let mut opts = options(dir.path());
    opts.config.window.thumb_size = 96.0;
    let mut h = harness(opts);
    step_until(&mut h, "the folder listed", |h| {
        h.query_by_label_contains(&format!("Gallery ({})", magpie::format::count(n)))
            .is_some()
    });
    // Newest first, and all as new as each other: by name, from the end.
    h.hover_at(egui::pos2(900.0, 500.0));
    let mut screens = 0;
    while h.query_by_label_contains("img0000.png, image").is_none() {
        // Less than a screen at a time, so every tile is drawn on the way down.
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -500.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        step_until(&mut h, "the screen's thumbnails", |h| {
            let (drawn, on_screen) = app(h).tiles_on_screen();
            on_screen > 0 && drawn == on_screen
        });
        assert!(
            app(&h).thumbnails_loaded() <= magpie::ui::TEXTURE_BUDGET,
            "{} textures held",
            app(&h).thumbnails_loaded()
        );
        screens += 1;
        assert!(screens < 200, "never reached the last image");
    }
}

#[test]
fn a_file_named_in_japanese_shows_real_glyphs() {
    // Needs a CJK font on the machine (CI installs fonts-noto-cjk); elsewhere there is nothing
    // to fall back to, and the test says so instead of failing.
    let has_cjk_font = std::process::Command::new("fc-list")
        .arg(":lang=ja")
        .output()
        .is_ok_and(|o| !o.stdout.is_empty());
    if !has_cjk_font {
        eprintln!("no Japanese font installed: skipping the glyph check");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("猫の写真.png"), png(40, 30, 1)).unwrap();
    // What eframe installs in the real window (its `system_fonts` feature), added before the
    // app's first frame. Without it egui's own fonts have no kanji, and a test harness refuses
    // to draw boxes instead (it panics).
    let provider = Arc::new(egui_system_font_provider::SystemFontProvider::new());
    let options = options(dir.path());
    let mut h: Harness<'static, App> = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(
            move |ui, app: &mut App| {
                app.get_or_insert_with(|| {
                    ui.ctx().add_font_provider(provider.clone());
                    MagpieApp::new(ui.ctx(), options.clone())
                })
                .show(ui);
            },
            None,
        );
    step_until(&mut h, "the tile", |h| {
        h.query_all_by_label_contains("猫の写真.png")
            .next()
            .is_some()
    });
    let font = egui::FontId::proportional(14.0);
    assert!(
        h.ctx.fonts_mut(|f| f.has_glyphs(&font, "猫の写真")),
        "the name is drawn with real glyphs, not empty boxes"
    );
}

/// The name of the tile chosen with the keyboard, if one is on screen.
fn chosen(h: &Harness<'_, App>) -> Option<String> {
    h.query_all_by_label_contains(", chosen")
        .filter_map(|n| n.accesskit_node().label())
        .find_map(|l| l.split(", ").next().map(str::to_owned))
}

#[test]
fn the_keyboard_chooses_views_and_deletes_images_and_the_gallery_scrolls_to_follow() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = png(24, 16, 3);
    for i in 0..60 {
        std::fs::write(dir.path().join(format!("img{i:02}.png")), &bytes).unwrap();
    }
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the folder", |h| {
        h.query_by_label_contains("Gallery (60)").is_some() && thumbnails_shown(h) > 0
    });
    let order: Vec<String> = app(&h)
        .items()
        .gallery_tiles()
        .shown_from(0)
        .map(|n| app(&h).items().get(n).unwrap().name.clone())
        .collect();
    let columns = {
        // The tiles of the first row share its top edge: every tile, whether its thumbnail is
        // in yet or not (counting only those with one undercounts a row still filling in).
        let tops: Vec<f32> = h
            .query_all_by_label_contains(".png, ")
            .map(|n| n.rect().min.y)
            .collect();
        tops.iter().filter(|&&y| y == tops[0]).count()
    };
    assert!(columns > 1, "a grid");

    h.key_press(egui::Key::Escape); // nothing has the keyboard
    h.key_press(egui::Key::ArrowRight);
    step_until(&mut h, "the first tile chosen", |h| {
        chosen(h).as_deref() == Some(&order[0])
    });
    h.key_press(egui::Key::ArrowRight);
    h.key_press(egui::Key::ArrowDown);
    step_until(&mut h, "a row down, one along", |h| {
        chosen(h).as_deref() == Some(&order[1 + columns])
    });
    // Two keys in one frame (a slow frame, fast fingers): both count, in order.
    for key in [egui::Key::ArrowLeft, egui::Key::ArrowUp] {
        h.input_mut().events.push(egui::Event::Key {
            key,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: egui::Modifiers::NONE,
        });
    }
    step_until(&mut h, "back to the first", |h| {
        chosen(h).as_deref() == Some(&order[0])
    });
    // The last image is far below the screen: choosing it scrolls there.
    h.key_press(egui::Key::End);
    step_until(&mut h, "the last tile, on screen", |h| {
        chosen(h).as_deref() == Some(&order[59])
    });
    h.key_press(egui::Key::Home);
    step_until(&mut h, "back at the top", |h| {
        chosen(h).as_deref() == Some(&order[0])
    });

    // Enter views it; the viewer's ➡ goes on; closing it comes back to the image shown last.
    h.key_press(egui::Key::Enter);
    step_until(&mut h, "the viewer", |h| {
        h.query_by_label("⬅ Gallery").is_some()
    });
    for _ in 0..3 {
        h.key_press(egui::Key::ArrowRight);
        h.step();
    }
    step_until(&mut h, "the fourth image", |h| {
        h.query_by_label_contains(&order[3]).is_some()
    });
    h.key_press(egui::Key::Escape);
    step_until(&mut h, "the gallery, on the image viewed last", |h| {
        h.query_by_label("⬅ Gallery").is_none() && chosen(h).as_deref() == Some(&order[3])
    });

    // Delete asks first; then the image after it is chosen.
    h.key_press(egui::Key::Delete);
    step_until(&mut h, "the question", |h| {
        h.query_by_label("Delete this file?").is_some()
            && (h.query_by_label_contains(&format!("{} will be deleted", order[3]))).is_some()
    });
    // Meanwhile the gallery's keys are the dialog's: Enter does not open the viewer under it.
    h.key_press(egui::Key::Enter);
    h.step();
    assert!(h.query_by_label("⬅ Gallery").is_none());
    assert!(h.query_by_label("Delete this file?").is_some());
    h.get_by_label("Delete").click();
    step_until(&mut h, "the file gone, the next one chosen", |h| {
        chosen(h).as_deref() == Some(&order[4])
            && h.query_by_label_contains("Gallery (59)").is_some()
    });
    assert!(!dir.path().join(&order[3]).exists());
}

#[test]
fn the_delete_question_is_not_covered_by_another_tiles_details() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.png"), png(24, 16, 1)).unwrap();
    std::fs::write(dir.path().join("b.png"), png(40, 30, 2)).unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "both thumbnails", |h| thumbnails_shown(h) == 2);
    // The first tile chosen with the keyboard; the pointer rests on the other one.
    h.key_press(egui::Key::ArrowRight);
    step_until(&mut h, "a tile chosen", |h| {
        h.query_by_label_contains(", chosen").is_some()
    });
    let chosen = h.get_by_label_contains(", chosen").accesskit_node().label();
    let (other, details) = if chosen.is_some_and(|l| l.starts_with("a.png")) {
        ("b.png, image", "40 × 30 pixels")
    } else {
        ("a.png, image", "24 × 16 pixels")
    };
    h.get_by_label_contains(other).hover();
    step_until(&mut h, "the hovered tile's details", |h| {
        h.query_by_label(details).is_some()
    });
    h.key_press(egui::Key::Delete);
    step_until(&mut h, "the question", |h| {
        h.query_by_label_contains("Delete this file?").is_some()
    });
    for _ in 0..30 {
        h.step();
    }
    assert!(
        h.query_by_label(details).is_none(),
        "the other tile's details are drawn over the question"
    );
}

#[test]
fn delete_in_the_viewer_asks_then_shows_the_next_image() {
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in ["a.png", "b.png", "c.png"].iter().enumerate() {
        std::fs::write(dir.path().join(name), png(40, 30, i as u8)).unwrap();
    }
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "thumbnails", |h| thumbnails_shown(h) == 3);
    let order = tile_names(&h);
    h.get_by_label_contains(&format!("{}, image", order[0]))
        .click();
    step_until(&mut h, "the viewer", |h| {
        h.query_by_label("⬅ Gallery").is_some()
    });
    // Esc under the question closes the question, not the viewer.
    h.key_press(egui::Key::Delete);
    step_until(&mut h, "the question", |h| {
        h.query_by_label("Delete this file?").is_some()
    });
    h.key_press(egui::Key::Escape);
    step_until(&mut h, "the question gone", |h| {
        h.query_by_label("Delete this file?").is_none()
    });
    assert!(h.query_by_label("⬅ Gallery").is_some(), "still viewing");
    assert!(dir.path().join(&order[0]).exists());

    h.key_press(egui::Key::Delete);
    step_until(&mut h, "the question again", |h| {
        h.query_by_label("Delete this file?").is_some()
    });
    h.get_by_label("Delete").click();
    step_until(&mut h, "the next image, in the viewer", |h| {
        h.query_by_label("⬅ Gallery").is_some() && h.query_by_label(&order[1]).is_some()
    });
    assert!(!dir.path().join(&order[0]).exists());
    // The last image deleted from the viewer: back to what is left of the gallery.
    h.get_by_label("➡").click();
    step_until(&mut h, "the last image", |h| {
        h.query_by_label(&order[2]).is_some()
    });
    h.get_by_label("Delete…").click();
    step_until(&mut h, "the question", |h| {
        h.query_by_label("Delete this file?").is_some()
    });
    h.get_by_label("Delete").click();
    step_until(&mut h, "the one before it", |h| {
        h.query_by_label(&order[1]).is_some() && !dir.path().join(&order[2]).exists()
    });
}
