//! Finding image URLs in an HTML page: `<img src>`, the largest `srcset` candidate (`<img>` and
//! `<picture><source>`), lazy-load attributes, `og:image`/`twitter:image`, `background-image` in
//! style attributes and links to image files, resolved against `<base href>` or the page address
//! given; and the page's title.

use super::scan::IMAGE_EXTENSIONS;
use super::*;
use html5gum::{DefaultEmitter, Token, Tokenizer};

/// Image file extensions that make an `<a href>` worth fetching.
pub(super) fn is_image_path(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    IMAGE_EXTENSIONS.iter().any(|ext| path.ends_with(ext))
}

/// Collects the page's images into `out`; returns its `<title>`, if any.
pub(super) fn parse_html(text: &str, base: Option<&Url>, out: &mut Collector) -> Option<String> {
    let mut title: Option<String> = None;
    let mut in_title = false;
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| line_starts.partition_point(|&s| s <= offset).max(1);
    let mut base = base.cloned();
    let tokenizer = Tokenizer::new_with_emitter(text, DefaultEmitter::<usize>::new_with_span());
    for token in tokenizer.flatten() {
        let tag = match token {
            Token::StartTag(tag) => tag,
            Token::String(text) if in_title => {
                title
                    .get_or_insert_with(String::new)
                    .push_str(&String::from_utf8_lossy(&text));
                continue;
            }
            Token::EndTag(end) if end.name.as_slice() == b"title" => {
                in_title = false;
                continue;
            }
            _ => continue,
        };
        let line = line_of(tag.span.start);
        let attr = |name: &str| {
            tag.attributes
                .get(name.as_bytes())
                .map(|v| String::from_utf8_lossy(&v.value).trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let resolve = |raw: &str, only_images: bool, out: &mut Collector| {
            let joined = match &base {
                Some(b) => b.join(raw),
                None => Url::parse(raw),
            };
            match joined {
                Ok(url) if only_images && !is_image_path(&url) => {}
                Ok(url) => out.candidate(url.as_str(), line),
                Err(url::ParseError::RelativeUrlWithoutBase) => {
                    if !only_images {
                        out.reject(line, raw, RejectReason::NoBase);
                    }
                }
                Err(e) => out.reject(line, raw, RejectReason::Invalid(e.to_string())),
            }
        };
        if let Some(style) = attr("style") {
            for u in style_urls(&style) {
                resolve(u, false, out);
            }
        }
        match tag.name.as_slice() {
            b"title" if title.is_none() => in_title = true,
            b"base" => {
                if let Some(href) = attr("href") {
                    let new = match &base {
                        Some(b) => b.join(&href).ok(),
                        None => Url::parse(&href).ok(),
                    };
                    if new.is_some() {
                        base = new;
                    }
                }
            }
            b"img" | b"source" => {
                // The largest of a srcset is the image itself; `src` is then only its fallback.
                let largest = ["data-srcset", "srcset"].iter().find_map(|name| {
                    attr(name).and_then(|v| largest_in_srcset(&v).map(String::from))
                });
                match largest {
                    Some(u) => resolve(&u, false, out),
                    None => {
                        for name in ["data-src", "data-original", "data-lazy-src", "src"] {
                            if let Some(v) = attr(name)
                                && !v.starts_with("data:")
                            {
                                resolve(&v, false, out);
                                break;
                            }
                        }
                    }
                }
            }
            b"a" => {
                if let Some(href) = attr("href") {
                    resolve(&href, true, out);
                }
            }
            b"meta" => {
                let prop = attr("property")
                    .or_else(|| attr("name"))
                    .unwrap_or_default();
                if matches!(prop.as_str(), "og:image" | "twitter:image")
                    && let Some(content) = attr("content")
                {
                    resolve(&content, false, out);
                }
            }
            _ => {}
        }
    }
    title.map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The candidate of a `srcset` value with the largest descriptor (`800w` > `400w`, `2x` > `1x`;
/// none means `1x`). Candidates are comma-separated, each a URL and an optional descriptor.
pub(super) fn largest_in_srcset(v: &str) -> Option<&str> {
    v.split(", ")
        .flat_map(|part| part.split(",\n"))
        .filter_map(|c| {
            let mut words = c.split_whitespace();
            let url = words.next()?.trim_end_matches(',');
            if url.is_empty() || url.starts_with("data:") {
                return None;
            }
            let size = words.next().map_or(1.0, |d| {
                let d = d.trim_end_matches(',');
                d.strip_suffix('w')
                    .and_then(|n| n.parse::<f64>().ok())
                    // Width descriptors outrank density ones: 1x of a 300w image is 300.
                    .or_else(|| d.strip_suffix('x').and_then(|n| n.parse::<f64>().ok()))
                    .unwrap_or(1.0)
            });
            Some((size, url))
        })
        .fold(None, |best: Option<(f64, &str)>, (size, url)| match best {
            Some((b, _)) if b >= size => best,
            _ => Some((size, url)),
        })
        .map(|(_, url)| url)
}

/// URLs in `url(...)` of a style attribute (`background-image: url("a.jpg")`).
fn style_urls(style: &str) -> impl Iterator<Item = &str> {
    style.match_indices("url(").filter_map(move |(at, _)| {
        let rest = &style[at + 4..];
        let end = rest.find(')')?;
        let u = rest[..end].trim().trim_matches(|c| c == '"' || c == '\'');
        (!u.is_empty() && !u.starts_with("data:")).then_some(u)
    })
}
