//! The gallery follows its folder: images other programs add, rewrite or remove (a file
//! manager, an editor, another Magpie) come, change and go without reopening it.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use crate::support::window::*;
use crate::support::*;

#[test]
fn images_other_programs_add_or_remove_come_and_go() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.png"), png(40, 30, 1)).unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the folder's image", |h| {
        tile_names(h) == ["old.png"]
    });

    // Saved by another program: shown before the folder's older images.
    std::fs::write(dir.path().join("new.png"), png(40, 30, 2)).unwrap();
    step_until(&mut h, "the new image", |h| {
        tile_names(h) == ["new.png", "old.png"]
    });

    // A folder of images moved in from elsewhere on the disk.
    let elsewhere = tempfile::tempdir().unwrap();
    let album = elsewhere.path().join("album");
    std::fs::create_dir_all(album.join("day1")).unwrap();
    std::fs::write(album.join("day1/beach.png"), png(40, 30, 3)).unwrap();
    std::fs::rename(&album, dir.path().join("album")).unwrap();
    step_until(&mut h, "the image in the moved folder", |h| {
        tile_names(h) == ["beach.png", "new.png", "old.png"]
    });
    // Its folders are followed from then on.
    std::fs::write(dir.path().join("album/day1/dunes.png"), png(40, 30, 4)).unwrap();
    step_until(&mut h, "an image saved into the moved folder", |h| {
        tile_names(h) == ["dunes.png", "beach.png", "new.png", "old.png"]
    });

    // Deleted, and a folder moved away: their tiles go.
    std::fs::remove_file(dir.path().join("old.png")).unwrap();
    std::fs::rename(dir.path().join("album"), elsewhere.path().join("back")).unwrap();
    step_until(&mut h, "only the image still there", |h| {
        tile_names(h) == ["new.png"]
    });
    assert!(h.query_by_label_contains("Gallery (1)").is_some());
}

#[test]
fn subfolders_there_when_the_folder_opened_are_followed_too() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("example.org/2024");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("first.png"), png(40, 30, 1)).unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the image in the subfolder", |h| {
        tile_names(h) == ["first.png"]
    });
    std::fs::write(site.join("second.png"), png(40, 30, 2)).unwrap();
    step_until(&mut h, "the image another program saved beside it", |h| {
        tile_names(h) == ["second.png", "first.png"]
    });
}

#[test]
fn an_image_rewritten_by_another_program_gets_a_new_thumbnail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.png");
    std::fs::write(&path, png(40, 30, 1)).unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the thumbnail", |h| {
        h.query_by_label_contains("edited.png, image 40×30")
            .is_some()
    });
    // Cropped and saved over itself, as an editor does.
    std::fs::write(&path, png(64, 20, 2)).unwrap();
    step_until(&mut h, "the thumbnail of the edited image", |h| {
        h.query_by_label_contains("edited.png, image 64×20")
            .is_some()
    });
    assert_eq!(
        tile_names(&h),
        ["edited.png"],
        "the same tile, not a second one"
    );
}

#[test]
fn downloads_into_the_followed_folder_are_shown_once() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    let urls: String = (1..=6)
        .map(|i| format!("{}\n", server.url(&format!("/img/photo{i}.png"))))
        .collect();
    paste_urls(&mut h, &urls);
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "6 thumbnails", |h| thumbnails_shown(h) == 6);
    let textures = |h: &Harness<'_, App>| -> Vec<_> {
        (1..=6)
            .map(|i| app(h).thumbnail_texture(&format!("photo{i}.png")))
            .collect()
    };
    let decoded = textures(&h);
    // The watcher reports the downloads too. An image saved by another program after them
    // shows once the watcher has reported everything before it.
    std::fs::write(dir.path().join("marker.png"), png(40, 30, 9)).unwrap();
    step_until(&mut h, "the other program's image", |h| {
        tile_names(h).contains(&"marker.png".to_string())
    });
    let names = tile_names(&h);
    assert_eq!(
        names.len(),
        7,
        "each download once, and the marker: {names:?}"
    );
    assert!(h.query_by_label_contains("Gallery (7)").is_some());
    assert!(h.query_by_label_contains("6/6 done").is_some());
    assert_eq!(
        textures(&h),
        decoded,
        "no download decoded again for its report"
    );
}

#[test]
fn thousands_of_images_copied_in_at_once_all_join_the_gallery_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.png"), png(40, 30, 1)).unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the folder's image", |h| {
        tile_names(h) == ["old.png"]
    });
    let image = png(8, 8, 2);
    for i in 0..2_000 {
        std::fs::write(dir.path().join(format!("copied{i:04}.png")), &image).unwrap();
    }
    step_until(&mut h, "every copied image", |h| {
        h.query_by_label_contains("Gallery (2,001)").is_some()
    });
    // As the folder would list them if opened again: the last written first.
    let items = app(&h).items();
    let first: Vec<&str> = (items.gallery_tiles().shown_from(0).take(3))
        .map(|i| items.as_slice()[i].name.as_str())
        .collect();
    assert_eq!(
        first,
        ["copied1999.png", "copied1998.png", "copied1997.png"]
    );
    let last = items.tile_index(items.key_of_path(&dir.path().join("old.png")).unwrap());
    assert_eq!(
        last,
        Some(2_000),
        "what was there before comes after the copy"
    );
}

#[test]
fn an_image_rewritten_to_the_same_number_of_bytes_gets_a_new_thumbnail_too() {
    let bmp = |w, h| {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(w, h, image::Rgb([200, 40, 40]))
            .write_to(&mut out, image::ImageFormat::Bmp)
            .unwrap();
        out.into_inner()
    };
    let (before, after) = (bmp(40, 30), bmp(60, 20));
    assert_eq!(before.len(), after.len(), "the same size in bytes");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.bmp");
    std::fs::write(&path, &before).unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the thumbnail", |h| {
        h.query_by_label_contains("scan.bmp, image 40×30").is_some()
    });
    // Edited to another shape of as many pixels, and saved over itself.
    std::fs::write(&path, &after).unwrap();
    step_until(&mut h, "the thumbnail of the edited image", |h| {
        h.query_by_label_contains("scan.bmp, image 60×20").is_some()
    });
}

#[test]
fn the_viewer_open_on_an_image_shows_it_as_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.png");
    std::fs::write(&path, png(40, 30, 1)).unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the thumbnail", |h| thumbnails_shown(h) == 1);
    h.get_by_label_contains("edited.png, image").click();
    step_until(&mut h, "the viewer", |h| {
        h.query_by_label("40 × 30").is_some()
    });
    std::fs::write(&path, png(64, 20, 2)).unwrap();
    step_until(&mut h, "the edited image in the viewer", |h| {
        h.query_by_label("64 × 20").is_some()
    });
    assert!(h.query_by_label("⬅ Gallery").is_some(), "still open");
}
