//! The model kept in step: URLs known, totals, rows and tiles through a download's life.

use super::*;

fn url(name: &str) -> Url {
    Url::parse(&format!("https://example.com/{name}")).unwrap()
}

#[test]
fn a_url_in_the_list_is_known_until_its_row_is_removed() {
    let mut items: Items<()> = Items::default();
    items.add_download(url("a.jpg"), JobId(1), None);
    items.add_past_failure(url("b.jpg"), "HTTP 404".into());
    items.add_duplicate(url("a.jpg"));
    items.add_on_disk(PathBuf::from("/pics/c.jpg"), 10);
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
    items.add_download(url("a.jpg"), JobId(1), None);
    items.add_download(url("b.jpg"), JobId(2), None);
    items.add_download(url("c.jpg"), JobId(3), None);
    items.refresh();
    assert_eq!(items.totals().active, 3);
    // Queued downloads wait in the queue; each joins the gallery, in list order, as it starts.
    assert_eq!(items.gallery_tiles(), [] as [usize; 0]);
    items.apply(Event::Started { id: JobId(3) });
    items.apply(Event::Started { id: JobId(1) });
    items.refresh();
    assert_eq!(items.gallery_tiles(), [0, 2]);

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
    assert_eq!(items.gallery_tiles(), [0]);
    items.restart(2, JobId(4));
    items.refresh();
    assert_eq!(items.gallery_tiles(), [0]);
    items.apply(Event::Started { id: JobId(4) });
    items.refresh();
    assert_eq!(items.gallery_tiles(), [0, 2]);
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
    items.add_download(url("a.png"), JobId(1), None);
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
