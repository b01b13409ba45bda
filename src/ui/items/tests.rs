//! The model kept in step: URLs known, totals, rows and tiles through a download's life.

use super::*;
use crate::engine::Event;
use std::time::Duration;

fn url(name: &str) -> Url {
    Url::parse(&format!("https://example.com/{name}")).unwrap()
}

/// Entry `n` of the first batch.
fn first(n: u32) -> Place {
    Place::new(1, n)
}

/// The gallery's tiles as positions, in the order shown.
fn shown<T>(items: &Items<T>) -> Vec<usize> {
    items.gallery_tiles().shown_from(0).collect()
}

#[test]
fn a_url_in_the_list_is_known_until_its_row_is_removed() {
    let mut items: Items<()> = Items::default();
    items.add_download(url("a.jpg"), JobId(1), None, first(0));
    items.add_past_failure(url("b.jpg"), "HTTP 404".into(), first(1));
    items.add_duplicate(url("a.jpg"));
    items.add_on_disk(PathBuf::from("/pics/c.jpg"), 10, first(2));
    items.remember_sources([(PathBuf::from("/pics/c.jpg"), url("c.jpg"), None)]);
    for name in ["a.jpg", "b.jpg", "c.jpg"] {
        assert!(items.contains_url(&url(name)), "{name}");
    }
    assert!(!items.contains_url(&url("d.jpg")));

    // Removing the download leaves its duplicate's row, which does not count as listed.
    items.remove_where(|i| i.job == Some(JobId(1)));
    assert!(!items.contains_url(&url("a.jpg")));
    assert!(items.contains_url(&url("b.jpg")));
    assert!(items.contains_url(&url("c.jpg")));
}

#[test]
fn totals_follow_each_download_through_its_life() {
    let mut items: Items<()> = Items::default();
    items.add_download(url("a.jpg"), JobId(1), None, first(0));
    items.add_download(url("b.jpg"), JobId(2), None, first(1));
    items.add_download(url("c.jpg"), JobId(3), None, first(2));
    items.refresh();
    assert_eq!(items.totals().active, 3);
    // Queued downloads wait in the queue; each joins the gallery, in list order, as it starts.
    assert_eq!(shown(&items), [] as [usize; 0]);
    items.apply(Event::Started { id: JobId(3) });
    items.apply(Event::Started { id: JobId(1) });
    items.refresh();
    assert_eq!(shown(&items), [0, 2]);

    items.apply(Event::Progress {
        id: JobId(1),
        received: 500,
        total: Some(1000),
    });
    items.apply(Event::Failed {
        id: JobId(2),
        error: crate::engine::FetchError::NotAPage,
    });
    items.apply(Event::Failed {
        id: JobId(3),
        error: crate::engine::FetchError::NotAPage,
    });
    items.refresh();
    let t = items.totals();
    assert_eq!((t.active, t.failed, t.bytes, t.finished), (1, 2, 500, 2));
    // A failed download leaves the gallery, and comes back when its retry starts.
    assert_eq!(shown(&items), [0]);
    items.restart(2, JobId(4));
    items.refresh();
    assert_eq!(shown(&items), [0]);
    items.apply(Event::Started { id: JobId(4) });
    items.refresh();
    assert_eq!(shown(&items), [0, 2]);
    assert_eq!(items.totals().active, 2);
    assert_eq!(items.download_rows(), [0, 1, 2]);
}

#[test]
fn a_note_from_an_earlier_save_does_not_outlive_a_fresh_one() {
    let saved = |name: &str, note: Option<&str>| crate::engine::Saved {
        path: PathBuf::from(format!("/pics/{name}")),
        bytes: 10,
        format: crate::store::Kind::Raster(image::ImageFormat::Png),
        note: note.map(str::to_owned),
        duplicate: false,
    };
    let mut items: Items<()> = Items::default();
    items.add_download(url("a.png"), JobId(1), None, first(0));
    items.apply(Event::Saved {
        id: JobId(1),
        saved: saved("a.png", Some("fetched with Referer https://example.com/")),
    });
    assert_eq!(
        items.get(0).and_then(Item::note),
        Some("fetched with Referer https://example.com/")
    );
    items.restart(0, JobId(2));
    items.apply(Event::Saved {
        id: JobId(2),
        saved: saved("a.png", None),
    });
    assert_eq!(items.get(0).and_then(Item::note), None);
    assert_eq!(items.totals().saved, 1);
}

#[test]
fn the_latest_list_is_shown_first_in_its_own_order_above_the_folder() {
    let mut items: Items<()> = Items::default();
    // The folder's images, newest first, then a list of three and a re-download.
    let folder = items.new_batch();
    items.add_on_disk(PathBuf::from("/pics/new.jpg"), 10, Place::new(folder, 0));
    items.add_on_disk(PathBuf::from("/pics/old.jpg"), 10, Place::new(folder, 1));
    let list = items.new_batch();
    for (n, name) in ["l0.jpg", "l1.jpg", "l2.jpg"].into_iter().enumerate() {
        let job = JobId(n as u64 + 1);
        items.add_download(url(name), job, None, Place::new(list, n));
    }
    // Downloads start in any order; the list still reads as written, ahead of the folder.
    for job in [3, 1, 2] {
        items.apply(Event::Started { id: JobId(job) });
    }
    items.refresh();
    let names = |items: &Items<()>| -> Vec<String> {
        shown(items)
            .into_iter()
            .map(|n| items.as_slice()[n].name.clone())
            .collect()
    };
    assert_eq!(
        names(&items),
        ["l0.jpg", "l1.jpg", "l2.jpg", "new.jpg", "old.jpg"]
    );

    // A failed download leaves its place and takes it again when retried.
    items.apply(Event::Failed {
        id: JobId(2),
        error: crate::engine::FetchError::NotAPage,
    });
    let again = items.new_batch();
    items.add_download(url("r.jpg"), JobId(9), None, Place::new(again, 0));
    items.apply(Event::Started { id: JobId(9) });
    items.refresh();
    assert_eq!(
        names(&items),
        ["r.jpg", "l0.jpg", "l2.jpg", "new.jpg", "old.jpg"]
    );
    items.restart(3, JobId(10));
    items.apply(Event::Started { id: JobId(10) });
    items.refresh();
    assert_eq!(
        names(&items),
        ["r.jpg", "l0.jpg", "l1.jpg", "l2.jpg", "new.jpg", "old.jpg"]
    );
    let key = items.as_slice()[3].key;
    assert_eq!(items.tile_index(key), Some(2));

    // Removing a row moves positions; the order holds.
    items.remove_where(|i| i.name == "l0.jpg");
    items.refresh();
    assert_eq!(
        names(&items),
        ["r.jpg", "l1.jpg", "l2.jpg", "new.jpg", "old.jpg"]
    );
}

#[test]
fn a_download_the_folder_watch_reported_first_is_one_tile_with_its_url() {
    let mut items: Items<()> = Items::default();
    let folder = items.new_batch();
    let list = items.new_batch();
    items.add_download(url("a.png"), JobId(1), None, Place::new(list, 0));
    items.apply(Event::Started { id: JobId(1) });
    // The watcher saw the file appear before the engine's word that it saved it.
    items.add_on_disk(PathBuf::from("/pics/a.png"), 10, Place::new(folder, 0));
    assert_eq!(items.gallery_tiles().len(), 2);
    items.apply(Event::Saved {
        id: JobId(1),
        saved: crate::engine::Saved {
            path: PathBuf::from("/pics/a.png"),
            bytes: 10,
            format: crate::store::Kind::Raster(image::ImageFormat::Png),
            note: None,
            duplicate: false,
        },
    });
    assert_eq!(items.len(), 1);
    assert_eq!(shown(&items), [0]);
    let tile = items.get(0).unwrap();
    assert_eq!(
        (&tile.state, tile.url.as_ref()),
        (&ItemState::Saved, Some(&url("a.png")))
    );
    assert_eq!(items.key_of_path(Path::new("/pics/a.png")), Some(tile.key));
    assert_eq!(items.totals().saved, 1);
}

#[test]
fn a_retry_says_when_and_then_that_it_is_next() {
    let reason = "HTTP 503 Service Unavailable".to_string();
    let waiting = ItemState::Retrying {
        reason: reason.clone(),
        until: Instant::now() + Duration::from_secs(30),
    };
    assert!(
        waiting.label().starts_with("retrying in 30 s"),
        "{}",
        waiting.label()
    );
    // Its wait is over; it waits for a download slot.
    let over = ItemState::Retrying {
        reason,
        until: Instant::now(),
    };
    assert_eq!(
        over.label(),
        "trying again next (HTTP 503 Service Unavailable)"
    );
}
