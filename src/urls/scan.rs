//! Finding URLs in a line of text: whole-line URLs, URLs in prose, CSV fields and Markdown links,
//! URLs glued together, and the reasons a line holds none. Linear in the line's length.

use super::*;

/// Characters that end a URL found inside free text.
pub(super) fn ends_url(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '|' | '\u{0}'..='\u{1f}')
}

pub(super) fn parse_line(line: &str, n: usize, out: &mut Collector) {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return;
    }
    // A whole line that is one URL is taken as it is, so commas inside URLs survive.
    if !t.contains(char::is_whitespace)
        && has_scheme(t)
        && !t.contains(",http")
        && !t.contains(";http")
        && glued_scheme(t).is_none()
    {
        out.candidate(t, n);
        return;
    }
    let lower = t.to_ascii_lowercase();
    // `https://host/my photo.jpg`: one URL with spaces in it (pasted from a file manager or a
    // chat), not a URL followed by prose, when the whole line ends like an image path.
    if has_scheme(t) && find_scheme(&lower, 1).is_none() && ends_like_image(&lower) {
        out.candidate(t, n);
        return;
    }
    let mut found = false;
    let mut search_from = 0;
    while let Some(pos) = find_scheme(&lower, search_from) {
        found = true;
        let before = t[..pos].chars().next_back();
        let rest = &t[pos..];
        // This URL ends at the first character no URL holds, or where the next URL on the line
        // starts (glued on with a comma, a semicolon or nothing, as lists that lost their line
        // breaks are); a scheme after `=`, `/` or `?` belongs to it (image proxies). Scanning
        // only this URL's own extent keeps a 20,000-URL line linear.
        let mut end = rest.len();
        let mut scanned = 0;
        let mut from = pos + 1;
        loop {
            let next = find_scheme(&lower, from);
            let upto = next.map_or(rest.len(), |n| n - pos);
            if let Some(e) = rest[scanned..upto].find(ends_url) {
                end = scanned + e;
                break;
            }
            scanned = upto;
            let Some(n) = next else { break };
            if lower[..n].ends_with(['=', '/', '?']) {
                from = n + 1;
                continue;
            }
            end = n - pos;
            break;
        }
        // A URL that starts a CSV field or a Markdown link ends where that field or link does.
        let stop: &[char] = match before {
            Some(',') => &[','],
            Some(';') => &[';'],
            Some('(') => &[')'],
            Some('[') => &[']'],
            _ => &[],
        };
        if let Some(p) = rest[..end].find(stop) {
            end = p;
        }
        let raw = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']']);
        // Keep a closing bracket that belongs to the URL itself, e.g. `…/Foo_(bar).jpg`.
        let raw = if rest[..end].len() > raw.len()
            && raw.matches('(').count() > raw.matches(')').count()
            && rest[raw.len()..].starts_with(')')
        {
            &rest[..raw.len() + 1]
        } else {
            raw
        };
        out.candidate(raw, n);
        search_from = pos + end.max(1);
    }
    if found {
        return;
    }
    // No http(s) URL on the line. A single token is something the user meant as a URL; prose
    // (a Markdown heading, a sentence) and CSV rows (a header, other columns) are not reported.
    if t.contains(char::is_whitespace) || t.contains([',', ';']) {
        let fields = t.split(|c: char| c.is_whitespace() || c == ',' || c == ';');
        if let Some(scheme) = fields
            .map(|f| f.trim_matches(['"', '\'', '(', ')', '<', '>']))
            .find_map(foreign_scheme)
        {
            out.reject(n, t, RejectReason::UnsupportedScheme(scheme));
        }
        return;
    }
    let token = t.trim_matches(['<', '>', '"', '\'']);
    if let Some(scheme) = foreign_scheme(token) {
        out.reject(n, t, RejectReason::UnsupportedScheme(scheme));
    } else if looks_like_host_path(token) {
        out.reject(n, t, RejectReason::MissingScheme(token.to_string()));
    } else {
        out.reject(n, t, RejectReason::NotAUrl);
    }
}

/// Where a second URL starts inside `token` right after a letter or digit, as in
/// `…/a.jpghttps://…`. A scheme after `=`, `/` or `?` belongs to the URL (image proxies).
pub(super) fn glued_scheme(token: &str) -> Option<usize> {
    let lower = token.to_ascii_lowercase();
    let mut from = 1;
    while let Some(p) = find_scheme(&lower, from) {
        if lower[..p]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return Some(p);
        }
        from = p + 1;
    }
    None
}

pub(super) fn has_scheme(t: &str) -> bool {
    let l = t.get(..8).unwrap_or(t).to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

/// Where the next `http://` or `https://` starts in `lower` at or after `from`. One pass that
/// stops at the first match, so finding every URL on a line is linear in its length.
pub(super) fn find_scheme(lower: &str, from: usize) -> Option<usize> {
    let hay = lower.get(from..)?;
    let mut at = 0;
    while let Some(p) = hay[at..].find("http") {
        let start = at + p;
        let after = &hay[start + 4..];
        if after.starts_with("://") || after.starts_with("s://") {
            return Some(from + start);
        }
        at = start + 4;
    }
    None
}

/// The scheme of a token like `ftp://…`, `javascript:…`, `data:…`, `file:…`, if it has one that
/// is not http(s).
pub(super) fn foreign_scheme(token: &str) -> Option<String> {
    let (scheme, rest) = token.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let known = [
        "ftp",
        "ftps",
        "sftp",
        "file",
        "javascript",
        "data",
        "mailto",
        "blob",
        "about",
        "ws",
        "wss",
    ];
    if known.contains(&scheme.as_str()) || (rest.starts_with("//") && is_scheme_name(&scheme)) {
        Some(scheme)
    } else {
        None
    }
}

pub(super) fn is_scheme_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `example.com/a.jpg` or `localhost:8080/a.jpg`: a URL missing its scheme.
pub(super) fn looks_like_host_path(token: &str) -> bool {
    let host = token.split(['/', '?']).next().unwrap_or("");
    let name = host.split(':').next().unwrap_or("");
    !name.is_empty()
        && (name.contains('.') || name.eq_ignore_ascii_case("localhost"))
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
}

/// Whether `lower` (a line) ends with an image extension, before any query string.
pub(super) fn ends_like_image(lower: &str) -> bool {
    let path = lower.split(['?', '#']).next().unwrap_or(lower);
    IMAGE_EXTENSIONS.iter().any(|ext| path.ends_with(ext))
}

pub(super) const IMAGE_EXTENSIONS: [&str; 15] = [
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".avif", ".ico", ".jxl",
    ".heic", ".heif", ".svg", ".qoi",
];
