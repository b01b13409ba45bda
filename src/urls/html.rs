//! Finding image URLs in an HTML page: `<img src>`, `srcset`, lazy-load attributes and links to
//! image files, resolved against `<base href>` or the page address given.

use super::scan::IMAGE_EXTENSIONS;
use super::*;
use html5gum::{DefaultEmitter, Token, Tokenizer};

/// Image file extensions that make an `<a href>` worth fetching.
pub(super) fn is_image_path(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    IMAGE_EXTENSIONS.iter().any(|ext| path.ends_with(ext))
}

pub(super) fn parse_html(text: &str, base: Option<&Url>, out: &mut Collector) {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| line_starts.partition_point(|&s| s <= offset).max(1);
    let mut base = base.cloned();
    let tokenizer = Tokenizer::new_with_emitter(text, DefaultEmitter::<usize>::new_with_span());
    for token in tokenizer.flatten() {
        let Token::StartTag(tag) = token else {
            continue;
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
        match tag.name.as_slice() {
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
                for name in ["src", "data-src", "data-original", "data-lazy-src"] {
                    if let Some(v) = attr(name)
                        && !v.starts_with("data:")
                    {
                        resolve(&v, false, out);
                    }
                }
                for name in ["srcset", "data-srcset"] {
                    if let Some(v) = attr(name) {
                        for candidate in srcset_urls(&v) {
                            resolve(candidate, false, out);
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
}

/// URLs of a `srcset` value: comma-separated candidates, each a URL and an optional descriptor.
pub(super) fn srcset_urls(v: &str) -> impl Iterator<Item = &str> {
    v.split(", ")
        .flat_map(|part| part.split(",\n"))
        .filter_map(|c| c.split_whitespace().next())
        .map(|u| u.trim_end_matches(','))
        .filter(|u| !u.is_empty() && !u.starts_with("data:"))
}
