//! Several images at once: selected with Ctrl+click, Shift+click or Ctrl+A over a filter, then
//! deleted with one question or their paths copied.

use egui_kittest::kittest::{NodeT as _, Queryable};

use crate::support::window::*;
use crate::support::*;

/// The names of the tiles shown as selected.
fn selected(h: &egui_kittest::Harness<'_, App>) -> Vec<String> {
    let mut names: Vec<String> = h
        .query_all_by_label_contains(", selected")
        .filter_map(|n| n.accesskit_node().label())
        .filter_map(|l| l.split(", ").next().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// Clicks the tile of `name` holding `modifiers`.
fn click_tile(h: &mut egui_kittest::Harness<'_, App>, name: &str, modifiers: egui::Modifiers) {
    h.get_by_label_contains(&format!("{name}, image"))
        .click_modifiers(modifiers);
    h.step();
}

#[test]
fn images_selected_by_filter_or_by_clicks_are_copied_and_deleted_together() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..4)
        .map(|i| format!("cat{i}.png"))
        .chain((0..8).map(|i| format!("dog{i}.png")))
        .collect();
    for (i, name) in names.iter().enumerate() {
        std::fs::write(dir.path().join(name), png(24, 16, i as u8)).unwrap();
    }
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the folder", |h| thumbnails_shown(h) == 12);

    // A filter, then Ctrl+A: every match and nothing else; Esc lets them go.
    retype(&mut h, "🔍 Filter", "cat");
    step_until(&mut h, "the cats", |h| tile_names(h).len() == 4);
    h.key_press(egui::Key::Escape); // out of the filter box
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    step_until(&mut h, "four selected", |h| {
        h.query_by_label("4 selected").is_some()
    });
    assert_eq!(
        selected(&h),
        ["cat0.png", "cat1.png", "cat2.png", "cat3.png"]
    );
    h.key_press(egui::Key::Escape);
    step_until(&mut h, "none selected", |h| {
        h.query_by_label_contains(" selected").is_none()
    });
    h.get_by_label("✖").click();
    step_until(&mut h, "every image", |h| thumbnails_shown(h) == 12);

    // Ctrl+click two; Shift+click selects the run from the last one clicked; Ctrl+click again
    // lets one go.
    let order = tile_names(&h);
    let ctrl = egui::Modifiers::COMMAND;
    click_tile(&mut h, &order[0], ctrl);
    click_tile(&mut h, &order[2], ctrl);
    click_tile(&mut h, &order[5], egui::Modifiers::SHIFT);
    step_until(&mut h, "five selected", |h| {
        h.query_by_label("5 selected").is_some()
    });
    // A Shift+click nearer the start draws the run again, shorter; what was picked before
    // the run stays.
    click_tile(&mut h, &order[3], egui::Modifiers::SHIFT);
    step_until(&mut h, "three selected", |h| {
        h.query_by_label("3 selected").is_some()
    });
    click_tile(&mut h, &order[5], egui::Modifiers::SHIFT);
    step_until(&mut h, "five again", |h| {
        h.query_by_label("5 selected").is_some()
    });
    click_tile(&mut h, &order[3], ctrl);
    step_until(&mut h, "four selected", |h| {
        h.query_by_label("4 selected").is_some()
    });
    let mut picked: Vec<String> = [0, 2, 4, 5].iter().map(|&i| order[i].clone()).collect();
    picked.sort();
    assert_eq!(selected(&h), picked);
    assert!(
        h.query_by_label("⬅ Gallery").is_none(),
        "a click that selects does not open the viewer"
    );

    // Their paths, one per line, in the gallery's order.
    h.get_by_label("Copy paths").click();
    h.step();
    let expected: Vec<String> = [0, 2, 4, 5]
        .iter()
        .map(|&i| dir.path().join(&order[i]).display().to_string())
        .collect();
    assert_eq!(copied(&h), Some(expected.join("\n")));

    // Delete asks once for all four, naming some; Keep keeps them all.
    h.key_press(egui::Key::Delete);
    step_until(&mut h, "the question", |h| {
        h.query_by_label("Delete 4 files?").is_some()
            && h.query_by_label_contains(&format!(
                "{}, {}, {} and 1 more will be deleted",
                order[0], order[2], order[4]
            ))
            .is_some()
    });
    h.get_by_label("Delete").click();
    step_until(&mut h, "four files gone", |h| {
        h.query_by_label_contains("Gallery (8)").is_some()
    });
    for (i, name) in order.iter().enumerate() {
        let kept = ![0, 2, 4, 5].contains(&i);
        assert_eq!(dir.path().join(name).exists(), kept, "{name}");
    }
    assert!(h.query_by_label_contains(" selected").is_none());

    // From the keyboard: Space selects the chosen image and lets it go again.
    h.key_press(egui::Key::Home);
    h.key_press(egui::Key::Space);
    step_until(&mut h, "one selected", |h| {
        h.query_by_label("1 selected").is_some() && selected(h) == [order[1].clone()]
    });
    h.key_press(egui::Key::Space);
    step_until(&mut h, "none selected", |h| {
        h.query_by_label_contains(" selected").is_none()
    });
    // Shift with the arrows selects the run it passes over, from the chosen image.
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    let kept: Vec<&String> = (order.iter().enumerate())
        .filter(|(i, _)| ![0, 2, 4, 5].contains(i))
        .map(|(_, n)| n)
        .collect();
    let mut run: Vec<String> = kept[..3].iter().map(|n| n.to_string()).collect();
    run.sort();
    step_until(&mut h, "three selected", |h| selected(h) == run);
    // Going back over the run lets go of what it passed, as in a file manager.
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowLeft);
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowLeft);
    let mut two: Vec<String> = kept[..2].iter().map(|n| n.to_string()).collect();
    two.sort();
    step_until(&mut h, "two selected", |h| selected(h) == two);
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    step_until(&mut h, "three selected again", |h| selected(h) == run);
    // A right-click on one of them offers to act on all three.
    h.get_by_label_contains(&format!("{}, image", kept[1]))
        .click_secondary();
    step_until(&mut h, "the menu", |h| {
        h.query_by_label("Delete 3 files…").is_some() && h.query_by_label("Copy 3 paths").is_some()
    });
    // Esc closes the menu; the three stay selected.
    h.key_press(egui::Key::Escape);
    step_until(&mut h, "the menu closed", |h| {
        h.query_by_label("Delete 3 files…").is_none()
    });
    assert_eq!(selected(&h), run);
    assert!(h.query_by_label("3 selected").is_some());
    // From the menu, the three paths in the gallery's order.
    h.get_by_label_contains(&format!("{}, image", kept[2]))
        .click_secondary();
    step_until(&mut h, "the menu again", |h| {
        h.query_by_label("Copy 3 paths").is_some()
    });
    h.get_by_label("Copy 3 paths").click();
    h.step();
    let three: Vec<String> = (kept[..3].iter())
        .map(|n| dir.path().join(n).display().to_string())
        .collect();
    assert_eq!(copied(&h), Some(three.join("\n")));
}

/// The text the last frame put on the clipboard.
fn copied(h: &egui_kittest::Harness<'_, App>) -> Option<String> {
    (h.output().platform_output.commands.iter()).find_map(|c| match c {
        egui::OutputCommand::CopyText(text) => Some(text.clone()),
        _ => None,
    })
}

/// Deleting from the gallery moves the files to the trash. The trash is found through
/// `XDG_DATA_HOME`, which only a new process can be given: the test runs itself again in one,
/// with a home, a trash and a folder of its own (never the user's).
#[test]
fn deleted_images_go_to_the_trash_from_where_they_can_be_put_back() {
    const NAME: &str =
        "window::selection::deleted_images_go_to_the_trash_from_where_they_can_be_put_back";
    let Some(home) = std::env::var_os("MAGPIE_TEST_HOME") else {
        let home = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--test-threads=1"])
            .env("MAGPIE_TEST_HOME", home.path())
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert!(stdout.contains("1 passed"), "the test ran: {stdout}");
        return;
    };
    let home = std::path::PathBuf::from(home);
    let dir = home.join("Pictures");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, name) in ["a.png", "b.png", "c.png"].iter().enumerate() {
        std::fs::write(dir.join(name), png(24, 16, i as u8)).unwrap();
    }
    let mut h = harness(magpie::ui::AppOptions {
        trash: true,
        ..options(&dir)
    });
    step_until(&mut h, "the folder", |h| thumbnails_shown(h) == 3);
    let ctrl = egui::Modifiers::COMMAND;
    click_tile(&mut h, "a.png", ctrl);
    click_tile(&mut h, "b.png", ctrl);
    h.key_press(egui::Key::Delete);
    step_until(&mut h, "the question", |h| {
        h.query_by_label("Move 2 files to the trash?").is_some()
            && (h.query_by_label_contains(
                "will be moved to the trash, from where they can be put back",
            ))
            .is_some()
    });
    h.get_by_label("Move to trash").click();
    step_until(&mut h, "two gone from the gallery", |h| {
        h.query_by_label_contains("Gallery (1)").is_some()
    });
    let trash = home.join("data/Trash");
    for (i, name) in ["a.png", "b.png"].iter().enumerate() {
        assert!(!dir.join(name).exists(), "{name} left the folder");
        let kept = std::fs::read(trash.join("files").join(name)).unwrap();
        assert_eq!(kept, png(24, 16, i as u8), "{name} whole in the trash");
        // What a file manager reads to put it back where it was.
        let info = std::fs::read_to_string(trash.join(format!("info/{name}.trashinfo"))).unwrap();
        assert!(
            info.contains(&format!("Path={}", dir.join(name).display())),
            "{info}"
        );
        assert!(info.contains("DeletionDate="), "{info}");
    }
    assert!(dir.join("c.png").exists());
}

#[test]
fn the_addresses_of_selected_downloads_are_copied_in_the_gallery_order() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("here-before.png"), png(24, 16, 9)).unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the folder", |h| thumbnails_shown(h) == 1);
    // An image already in the folder has no address to copy.
    click_tile(&mut h, "here-before.png", egui::Modifiers::COMMAND);
    step_until(&mut h, "one selected", |h| {
        h.query_by_label("1 selected").is_some()
    });
    assert!(h.get_by_label("Copy URLs").accesskit_node().is_disabled());

    let urls: Vec<String> = ["first.png", "second.png"]
        .iter()
        .map(|n| server.url(&format!("/img/{n}")).to_string())
        .collect();
    paste_urls(&mut h, &format!("{}\n{}\n", urls[0], urls[1]));
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "both downloaded", |h| thumbnails_shown(h) == 3);
    h.key_press(egui::Key::Escape); // out of the URL box
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    step_until(&mut h, "all selected", |h| {
        h.query_by_label("3 selected").is_some()
    });
    h.get_by_label("Copy URLs").click();
    h.step();
    assert_eq!(
        copied(&h),
        Some(urls.join("\n")),
        "the list first, in its order"
    );
}
