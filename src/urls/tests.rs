//! Tests of the URL parser (`src/urls.rs`).

#[test]
fn twenty_thousand_urls_on_one_line_parse_in_linear_time() {
    // A JSON array and a bare comma list: each URL found once, without rescanning the line.
    for (open, sep, close) in [("[\"", "\",\"", "\"]"), ("", ",", "")] {
        let urls: Vec<String> = (0..20_000)
            .map(|i| format!("https://cdn{}.example/p/{i}.jpg", i % 20))
            .collect();
        let line = format!("{open}{}{close}", urls.join(sep));
        let list = super::parse(&line, None);
        assert_eq!(list.urls.len(), 20_000, "{open}");
        assert_eq!(list.urls[19_999].url.as_str(), urls[19_999]);
    }
}

#[test]
fn a_line_over_the_limit_is_skipped_with_a_reason_and_the_rest_read() {
    let long = "x".repeat(super::MAX_LINE_BYTES + 10);
    let text = format!("https://a.example/1.jpg\n{long}\nhttps://a.example/2.jpg\n");
    let mut reader = super::LineReader::new(
        std::io::Cursor::new(text.into_bytes()),
        super::Seen::default(),
    );
    let found: Vec<super::Found> = reader.by_ref().collect();
    assert_eq!(found.len(), 3);
    assert!(matches!(&found[1], super::Found::Rejected(r)
        if r.line == 2 && r.reason == super::RejectReason::TooLong));
    assert!(matches!(&found[2], super::Found::Url(u) if u.line == 3));
}

use super::*;

fn urls(list: &UrlList) -> Vec<&str> {
    list.urls.iter().map(|u| u.url.as_str()).collect()
}

#[test]
fn plain_lines_with_bom_crlf_comments_and_blanks() {
    let text =
        "\u{feff}https://a.example/1.jpg\r\n\r\n# a comment\r\n  https://b.example/2.png  \r\n";
    let list = parse(text, None);
    assert_eq!(
        urls(&list),
        ["https://a.example/1.jpg", "https://b.example/2.png"]
    );
    assert_eq!(list.urls[1].line, 4);
    assert!(list.rejected.is_empty());
}

#[test]
fn bom_as_bytes() {
    let list = parse_bytes(b"\xEF\xBB\xBFhttps://a.example/1.jpg\n", None);
    assert_eq!(urls(&list), ["https://a.example/1.jpg"]);
}

#[test]
fn duplicates_kept_once_with_line_numbers() {
    let text = "https://a.example/1.jpg\nhttps://a.example/2.jpg\nhttps://a.example/1.jpg\nhttps://a.example/1.jpg\n";
    let list = parse(text, None);
    assert_eq!(list.urls.len(), 2);
    assert_eq!(list.duplicates.len(), 2);
    assert_eq!(list.duplicates[0].line, 3);
    assert_eq!(list.duplicates[0].first_line, 1);
    assert_eq!(list.duplicates[1].line, 4);
}

#[test]
fn foreign_schemes_rejected_with_reason_and_rest_kept() {
    let text = "https://a.example/1.jpg\njavascript:alert(1)\nfile:///etc/passwd\nftp://x.example/a.jpg\ndata:image/png;base64,AAAA\nhttps://a.example/2.jpg\n";
    let list = parse(text, None);
    assert_eq!(list.urls.len(), 2);
    let reasons: Vec<(usize, String)> = list
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.to_string()))
        .collect();
    assert_eq!(
        reasons,
        [
            (2, "javascript: is not http(s)".to_string()),
            (3, "file: is not http(s)".to_string()),
            (4, "ftp: is not http(s)".to_string()),
            (5, "data: is not http(s)".to_string()),
        ]
    );
}

#[test]
fn non_urls_and_missing_schemes() {
    let list = parse("hello\nexample.com/cat.jpg\nlocalhost:8080/a.png\n", None);
    assert!(list.urls.is_empty());
    assert_eq!(list.rejected[0].reason, RejectReason::NotAUrl);
    assert!(matches!(
        list.rejected[1].reason,
        RejectReason::MissingScheme(_)
    ));
    assert!(matches!(
        list.rejected[2].reason,
        RejectReason::MissingScheme(_)
    ));
}

#[test]
fn urls_inside_free_text_csv_and_markdown() {
    let text = "See https://a.example/x.jpg, and (https://a.example/y.jpg).\n\
                id,url,tag\n1,https://c.example/z.png,cat\n\
                ![cat](https://m.example/cat.webp \"title\") and [dog](https://m.example/dog.gif)\n\
                https://cdn.example/c_fill,w_300/pic.jpg\n\
                https://w.example/Foo_(bar).jpg\n";
    let list = parse(text, None);
    assert_eq!(
        urls(&list),
        [
            "https://a.example/x.jpg",
            "https://a.example/y.jpg",
            "https://c.example/z.png",
            "https://m.example/cat.webp",
            "https://m.example/dog.gif",
            "https://cdn.example/c_fill,w_300/pic.jpg",
            "https://w.example/Foo_(bar).jpg",
        ]
    );
    assert!(list.rejected.is_empty(), "{:?}", list.rejected);
}

#[test]
fn url_with_spaces_is_one_url() {
    let list = parse(
        "https://a.example/my photos/summer day.jpg\nhttps://a.example/x.jpg is nice\n",
        None,
    );
    assert_eq!(
        urls(&list),
        [
            "https://a.example/my%20photos/summer%20day.jpg",
            "https://a.example/x.jpg"
        ]
    );
}

#[test]
fn urls_glued_together_are_split_but_proxy_urls_kept() {
    let list = parse(
        "http://a.example/1.jpghttp://a.example/2.jpghttps://b.example/3.png\n\
         https://proxy.example/?url=https://c.example/4.jpg\n\
         https://cdn.example/fetch/https://d.example/5.jpg\n",
        None,
    );
    assert_eq!(
        urls(&list),
        [
            "http://a.example/1.jpg",
            "http://a.example/2.jpg",
            "https://b.example/3.png",
            "https://proxy.example/?url=https://c.example/4.jpg",
            "https://cdn.example/fetch/https://d.example/5.jpg",
        ]
    );
}

#[test]
fn html_images_srcset_lazy_and_links_resolved_against_base() {
    let html = r#"<!DOCTYPE html>
<html><head><base href="https://site.example/gallery/"></head>
<body>
<img src="a.jpg" alt="a">
<img data-src="/lazy/b.png" src="data:image/gif;base64,R0lGOD">
<picture><source srcset="c-1x.webp 1x, c-2x.webp 2x"></picture>
<a href="full/d.jpeg">full size</a>
<a href="about.html">not an image</a>
<img src="javascript:alert(1)">
</body></html>"#;
    let list = parse(html, None);
    assert_eq!(
        urls(&list),
        [
            "https://site.example/gallery/a.jpg",
            "https://site.example/lazy/b.png",
            "https://site.example/gallery/c-2x.webp",
            "https://site.example/gallery/full/d.jpeg",
        ]
    );
    assert_eq!(list.rejected.len(), 1);
    assert_eq!(list.rejected[0].line, 9);
    assert_eq!(
        list.rejected[0].reason,
        RejectReason::UnsupportedScheme("javascript".into())
    );
}

#[test]
fn a_page_gives_each_kind_of_image_reference_once_resolved_against_it() {
    let html = r#"<!doctype html><html><head>
<title>  Cats of
  the week </title>
<meta property="og:image" content="https://cdn.example/og.jpg">
<meta name="twitter:image" content="/tw.png">
</head><body>
<img src="plain.jpg">
<img src="small.jpg" srcset="small.jpg 400w, big.jpg 1600w, mid.jpg 800w">
<picture><source srcset="p-1x.webp, p-2x.webp 2x"><img src="p.jpg"></picture>
<img src="data:image/gif;base64,R0lGOD" data-src="lazy1.jpg">
<img data-original="lazy2.jpg"><img data-lazy-src="lazy3.jpg">
<img data-srcset="ds-a.jpg 1x, ds-b.jpg 3x">
<div style="background-image: url('bg.jpg'); color: red"></div>
<a href="full/1.png">full</a><a href="about.html">about</a>
<img src="plain.jpg">
</body></html>"#;
    let page = Url::parse("https://site.example/gallery/week.html").unwrap();
    let found = page_images(html, &page);
    assert_eq!(found.title.as_deref(), Some("Cats of the week"));
    let got: Vec<&str> = found.images.iter().map(Url::as_str).collect();
    assert_eq!(
        got,
        [
            "https://cdn.example/og.jpg",
            "https://site.example/tw.png",
            "https://site.example/gallery/plain.jpg",
            "https://site.example/gallery/big.jpg",
            "https://site.example/gallery/p-2x.webp",
            "https://site.example/gallery/p.jpg",
            "https://site.example/gallery/lazy1.jpg",
            "https://site.example/gallery/lazy2.jpg",
            "https://site.example/gallery/lazy3.jpg",
            "https://site.example/gallery/ds-b.jpg",
            "https://site.example/gallery/bg.jpg",
            "https://site.example/gallery/full/1.png",
        ]
    );
}

#[test]
fn html_relative_without_base_is_reported() {
    let list = parse("<html><body><img src=\"x.jpg\"></body></html>", None);
    assert!(list.urls.is_empty());
    assert_eq!(list.rejected[0].reason, RejectReason::NoBase);
    let base = Url::parse("http://h.example/p/").ok();
    let list = parse(
        "<html><body><img src=\"x.jpg\"></body></html>",
        base.as_ref(),
    );
    assert_eq!(urls(&list), ["http://h.example/p/x.jpg"]);
}

#[test]
fn non_utf8_line_rejected_rest_kept() {
    let list = parse_bytes(
        b"https://a.example/1.jpg\nhttps://a.example/\xff.jpg\nhttps://a.example/3.jpg\n",
        None,
    );
    assert_eq!(list.urls.len(), 2);
    assert_eq!(list.rejected[0].line, 2);
    assert_eq!(list.rejected[0].reason, RejectReason::NotUtf8);
}

#[test]
fn line_reader_streams_the_same_results_as_parse() {
    let bytes: &[u8] = b"\xEF\xBB\xBFhttps://a.example/1.jpg\r\n# note\r\njavascript:x\r\nhttps://a.example/1.jpg\r\nhttps://a.example/\xff.jpg\nhttps://b.example/2.png";
    let streamed: Vec<Found> = LineReader::new(bytes, Seen::default()).collect();
    assert_eq!(streamed, parse_bytes(bytes, None).into_found());
    assert_eq!(streamed.len(), 5);
    assert!(matches!(&streamed[0], Found::Url(u) if u.line == 1));
    assert!(matches!(&streamed[2], Found::Duplicate(d) if d.line == 4 && d.first_line == 1));
    assert!(matches!(&streamed[3], Found::Rejected(r) if r.line == 5));
}

#[test]
fn seen_carries_duplicates_across_inputs() {
    let mut reader = LineReader::new(&b"https://a.example/1.jpg\n"[..], Seen::default());
    assert!(matches!(reader.next(), Some(Found::Url(_))));
    assert!(reader.next().is_none());
    let (list, _) = parse_with("https://a.example/1.jpg\n", None, reader.into_seen());
    assert_eq!(list.duplicates.len(), 1);
    assert!(list.urls.is_empty());
}

#[test]
fn long_junk_line_is_shortened() {
    let junk = "x".repeat(10_000);
    let list = parse(&format!("{junk}\nhttps://a.example/1.jpg\n"), None);
    assert_eq!(list.urls.len(), 1);
    assert!(list.rejected[0].text.chars().count() <= MAX_SHOWN + 1);
}

#[test]
fn summary_line() {
    let list = parse(
        "https://a.example/1.jpg\nhttps://b.example/2.jpg\nhttps://a.example/1.jpg\njavascript:x\n",
        None,
    );
    assert_eq!(
        list.summary(),
        "2 URLs from 2 hosts · 1 duplicate · 1 line rejected (line 4: javascript: is not http(s))"
    );
}
