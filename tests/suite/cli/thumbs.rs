//! `magpie thumbs`: filling the shared thumbnail cache from the command line.

use crate::support::cli::*;

#[test]
fn thumbs_fills_the_shared_cache_for_a_folder_and_says_what_it_did() {
    let home = tempfile::tempdir().unwrap();
    let photos = tempfile::tempdir().unwrap();
    let nested = photos.path().join("trip");
    std::fs::create_dir(&nested).unwrap();
    for (name, side) in [
        ("a.jpg", 900),
        ("b.png", 600),
        ("trip/c.jpg", 700),
        ("icon.png", 64),
    ] {
        image::RgbImage::from_pixel(side, side * 2 / 3, image::Rgb([9, 99, 199]))
            .save(photos.path().join(name))
            .unwrap();
    }
    std::fs::write(photos.path().join("notes.txt"), "not an image").unwrap();
    std::fs::write(photos.path().join("broken.jpg"), b"\xFF\xD8\xFF nope").unwrap();
    let dir = photos.path().to_str().unwrap();

    let first = magpie_with_data(&["thumbs", "-j", "2", dir], None, Some(home.path()));
    let stdout = String::from_utf8_lossy(&first.stdout);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(
        first.status.code(),
        Some(1),
        "a file failed: {stdout}{stderr}"
    );
    assert!(stdout.starts_with("5 images in "), "{stdout}");
    assert!(
        stdout.contains("3 made, 0 already cached, 1 small enough to show as they are, 1 failed"),
        "{stdout}"
    );
    assert!(
        stderr.contains("broken.jpg"),
        "the failure is named: {stderr}"
    );
    let large = home.path().join("thumbnails/large");
    assert_eq!(std::fs::read_dir(&large).unwrap().count(), 3);

    // Again: everything comes from the cache, the broken file is not decoded again.
    let second = magpie_with_data(&["thumbs", dir], None, Some(home.path()));
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(
        stdout.contains("0 made, 3 already cached, 1 small enough to show as they are, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn thumbs_names_a_path_it_cannot_read_and_does_the_others() {
    let home = tempfile::tempdir().unwrap();
    let photos = tempfile::tempdir().unwrap();
    image::RgbImage::from_pixel(600, 400, image::Rgb([9, 99, 199]))
        .save(photos.path().join("cat.png"))
        .unwrap();
    let missing = photos.path().join("no such folder");
    let (dir, missing) = (photos.path().to_str().unwrap(), missing.to_str().unwrap());

    let out = magpie_with_data(&["thumbs", missing, dir], None, Some(home.path()));
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("1 made"),
        "the other path still ran: {stdout}"
    );
    assert!(
        stderr.contains(&format!("{missing}: No such file or directory")),
        "{stderr}"
    );

    // Nothing it could read at all: a usage error.
    let none = magpie_with_data(&["thumbs", missing], None, Some(home.path()));
    assert_eq!(none.status.code(), Some(2));
}
