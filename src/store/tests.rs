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

/// A file is flushed outside the folder's locks, so the same bytes can be named while it is
/// being flushed: it then becomes a duplicate of that file instead of a second copy.
#[tokio::test]
async fn the_same_bytes_named_during_a_flush_are_not_named_twice() {
    for named_parts in [false, true] {
        the_same_bytes_named_during_a_flush_are_not_named_twice_with(named_parts).await;
    }
}

async fn the_same_bytes_named_during_a_flush_are_not_named_twice_with(named_parts: bool) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    if named_parts {
        store.prefer_named_parts();
    }
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(16, 16, image::Rgb([200, 10, 10]))
        .write_to(&mut png, ImageFormat::Png)
        .unwrap();
    let png = png.into_inner();
    let kind = Kind::Raster(ImageFormat::Png);
    let bytes = png.len() as u64;
    let mut parts = Vec::new();
    for _ in 0..2 {
        let mut download = store.begin();
        download.write(&png).await.unwrap();
        parts.push(download.inner.take().unwrap());
    }
    // Both are sealed before either is named: neither finds the other yet.
    let mut sealed = Vec::new();
    for part in &mut parts {
        match part.seal(kind, Some(&store.contents), bytes).unwrap() {
            part::Sealing::Ready { file, blake3 } => sealed.push((file, blake3)),
            part::Sealing::Duplicate(c) => panic!("nothing was named yet: {c:?}"),
        }
    }
    let mut named = Vec::new();
    for ((file, blake3), (part, name)) in sealed
        .into_iter()
        .zip(parts.iter_mut().zip(["a.png", "b.png"]))
    {
        let committed = part
            .publish(
                file,
                blake3,
                &RelPath::file(name),
                &store.taken,
                Some(&store.contents),
                bytes,
                true,
                |_| {},
            )
            .unwrap();
        named.push(committed);
    }
    let before_drop = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(
        before_drop,
        if named_parts { 2 } else { 1 },
        "a.png, and b's .part if named"
    );
    drop(parts); // the duplicate's `.part` file goes with it
    assert!(!named[0].duplicate);
    assert!(named[1].duplicate, "{named:?}");
    assert_eq!(named[1].path, dir.path().join("a.png"));
    let saved: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
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
