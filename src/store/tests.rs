//! Tests of the store (`src/store/mod.rs`).

use super::*;
use image::ImageFormat;
use part::MEMORY_CHUNK;

#[test]
fn a_full_disk_is_said_in_words() {
    let e = StoreError::write(
        Path::new("/pics/.magpie-1.part"),
        io::Error::from_raw_os_error(28),
    );
    assert_eq!(
        e.to_string(),
        "the disk is full while writing /pics/.magpie-1.part"
    );
}

#[tokio::test]
async fn dropping_an_unfinished_part_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.prefer_named_parts();
    let mut part = store.begin();
    part.write(b"half an image").await.unwrap();
    assert!(!part.on_disk(), "small beginnings stay in memory");
    part.write(&vec![0u8; MEMORY_CHUNK]).await.unwrap();
    let path = part.path().unwrap().to_path_buf();
    assert!(path.exists());
    drop(part);
    assert!(!path.exists());
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn where_the_folder_allows_a_download_in_progress_has_no_name_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut part = store.begin();
    part.write(&vec![0u8; MEMORY_CHUNK + 1]).await.unwrap();
    assert!(part.on_disk());
    if part.path().is_some() {
        return; // this file system has no O_TMPFILE: the named path is tested above
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    drop(part);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn commit_checks_the_image_and_names_it() {
    for named in [false, true] {
        commit_checks_the_image_and_names_it_with(named).await;
    }
}

async fn commit_checks_the_image_and_names_it_with(named_parts: bool) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    if named_parts {
        store.prefer_named_parts();
    }
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::new(4, 4)
        .write_to(&mut png, ImageFormat::Png)
        .unwrap();
    let png = png.into_inner();

    let mut part = store.begin();
    part.write(&png).await.unwrap();
    let path = store
        .commit(
            part,
            &RelPath::file("a.png"),
            Kind::Raster(ImageFormat::Png),
            true,
            (),
        )
        .await
        .unwrap()
        .path;
    assert_eq!(std::fs::read(&path).unwrap(), png);

    let mut part = store.begin();
    part.write(&png[..png.len() - 5]).await.unwrap();
    let err = store
        .commit(
            part,
            &RelPath::file("b.png"),
            Kind::Raster(ImageFormat::Png),
            false,
            (),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("damaged image"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // Larger than what stays in memory: checked on disk, read back from the start.
    let mut rng = fastrand::Rng::with_seed(7);
    let noise = image::RgbImage::from_fn(800, 800, |_, _| image::Rgb([rng.u8(..), 0, 0]));
    let mut big = std::io::Cursor::new(Vec::new());
    noise.write_to(&mut big, ImageFormat::Png).unwrap();
    let big = big.into_inner();
    assert!(big.len() > MEMORY_CHUNK);
    let mut part = store.begin();
    for chunk in big.chunks(64 * 1024) {
        part.write(chunk).await.unwrap();
    }
    let path = store
        .commit(
            part,
            &RelPath::file("big.png"),
            Kind::Raster(ImageFormat::Png),
            false,
            (),
        )
        .await
        .unwrap()
        .path;
    assert_eq!(std::fs::read(&path).unwrap(), big);
    let mut part = store.begin();
    part.write(&big[..big.len() - 100]).await.unwrap();
    let err = store
        .commit(
            part,
            &RelPath::file("cut.png"),
            Kind::Raster(ImageFormat::Png),
            false,
            (),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("damaged image"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}
