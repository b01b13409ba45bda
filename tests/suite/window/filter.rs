//! The gallery's filter: among many images, only those whose name, subfolder or address holds
//! some text; the viewer's previous and next stay among them.

use egui_kittest::kittest::Queryable;

use crate::support::window::*;
use crate::support::*;

/// A window on a folder holding `black-cat.png`, `dog.png` and `Cats/tabby.png`, and a download
/// of `/img/x1.png?from=catalogue` (its name says nothing; its address does).
fn four_images(dir: &std::path::Path, server: &TestServer) -> egui_kittest::Harness<'static, App> {
    std::fs::create_dir_all(dir.join("Cats")).unwrap();
    std::fs::write(dir.join("black-cat.png"), png(40, 30, 1)).unwrap();
    std::fs::write(dir.join("dog.png"), png(40, 30, 2)).unwrap();
    std::fs::write(dir.join("Cats/tabby.png"), png(40, 30, 3)).unwrap();
    let mut h = harness(options(dir));
    step_until(&mut h, "the folder's three images", |h| {
        tile_names(h).len() == 3
    });
    paste_urls(
        &mut h,
        &format!("{}\n", server.url("/img/x1.png?from=catalogue")),
    );
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "the download", |h| tile_names(h).len() == 4);
    h
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

#[test]
fn the_filter_shows_only_images_whose_name_subfolder_or_address_holds_the_text() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = four_images(dir.path(), &server);

    retype(&mut h, "🔍 Filter", "CAT");
    step_until(&mut h, "the three with cat in them", |h| {
        sorted(tile_names(h)) == ["black-cat.png", "tabby.png", "x1.png"]
            && h.query_by_label_contains("Gallery (3 of 4)").is_some()
    });

    retype(&mut h, "🔍 Filter", "dog");
    step_until(&mut h, "the dog", |h| tile_names(h) == ["dog.png"]);

    retype(&mut h, "🔍 Filter", "zebra");
    step_until(&mut h, "none, said in words", |h| {
        h.query_by_label_contains("No image's name, subfolder or address holds “zebra”")
            .is_some()
    });
    assert!(tile_names(&h).is_empty());

    h.get_by_label("✖").click();
    step_until(&mut h, "every image again", |h| {
        tile_names(h).len() == 4 && h.query_by_label_contains("Gallery (4)").is_some()
    });
}

#[test]
fn images_arriving_while_filtered_show_if_they_match() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = four_images(dir.path(), &server);
    retype(&mut h, "🔍 Filter", "bird");
    step_until(&mut h, "no bird yet", |h| {
        h.query_by_label_contains("Gallery (0 of 4)").is_some()
    });
    paste_urls(
        &mut h,
        &format!(
            "{}\n{}\n",
            server.url("/img/bird-1.png"),
            server.url("/img/fish.png")
        ),
    );
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "the bird, not the fish", |h| {
        h.query_by_label_contains("Gallery (1 of 6)").is_some() && tile_names(h) == ["bird-1.png"]
    });
}

#[test]
fn the_viewer_steps_through_what_the_filter_shows() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = four_images(dir.path(), &server);
    retype(&mut h, "🔍 Filter", "cat");
    step_until(&mut h, "three tiles", |h| tile_names(h).len() == 3);
    let order = tile_names(&h);

    h.get_by_label_contains(&format!("{}, image", order[0]))
        .click();
    step_until(&mut h, "the viewer", |h| {
        h.query_by_label("⬅ Gallery").is_some()
    });
    let mut seen = vec![order[0].clone()];
    for next in &order[1..] {
        h.key_press(egui::Key::ArrowRight);
        step_until(&mut h, "the next match", |h| {
            h.query_by_label_contains(next).is_some()
        });
        seen.push(next.clone());
    }
    // The last match is the end: dog.png, the one left out, is never shown.
    h.key_press(egui::Key::ArrowRight);
    for _ in 0..5 {
        h.step();
    }
    assert!(h.query_by_label_contains(&order[2]).is_some());
    assert!(h.query_by_label_contains("dog.png").is_none());
    assert_eq!(seen, order);

    // Ctrl+F from the viewer: back to the gallery, typing into the filter.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label("🔍 Filter").type_text("tabby");
    step_until(&mut h, "the gallery, filtered anew", |h| {
        h.query_by_label("⬅ Gallery").is_none() && tile_names(h) == ["tabby.png"]
    });
}
