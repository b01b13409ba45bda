//! Cookies from a Netscape `cookies.txt` file, the format browser extensions export and curl,
//! wget, yt-dlp and gallery-dl read: one cookie per line, seven tab-separated fields (domain,
//! include subdomains, path, secure, expiry, name, value); `#HttpOnly_` before the domain marks an
//! HttpOnly cookie; other `#` lines are comments.
//!
//! A cookie goes only to the host it names (and its subdomains when the file says so), on its
//! path, over https when secure, and not after it expired: never to another host.

use std::path::{Path, PathBuf};

use url::Url;

/// One cookie from the file.
#[derive(Debug, Clone, PartialEq)]
struct Cookie {
    /// Lower case, without a leading dot.
    domain: String,
    subdomains: bool,
    path: String,
    secure: bool,
    /// Seconds since 1970; 0 = a session cookie (kept for this run).
    expires: u64,
    name: String,
    value: String,
}

/// What was wrong with a cookies file.
#[derive(Debug, thiserror::Error)]
pub enum CookiesError {
    #[error("cannot read the cookies file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: not a cookies.txt line (7 tab-separated fields expected)", path.display())]
    Line { path: PathBuf, line: usize },
}

/// The cookies of one or more files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CookieJar {
    cookies: Vec<Cookie>,
}

impl CookieJar {
    /// Reads a `cookies.txt` file.
    pub fn load(path: &Path) -> Result<Self, CookiesError> {
        // The settings file may name it as `~/…`.
        let path = &crate::home::expand(path);
        let text = std::fs::read_to_string(path).map_err(|source| CookiesError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|line| CookiesError::Line {
            path: path.to_path_buf(),
            line,
        })
    }

    /// Parses the text of a `cookies.txt` file; `Err(line)` names the first bad line.
    pub fn parse(text: &str) -> Result<Self, usize> {
        let mut cookies = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            let line = line.strip_prefix("#HttpOnly_").unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 7 {
                return Err(n + 1);
            }
            let domain = f[0].trim().trim_start_matches('.').to_ascii_lowercase();
            if domain.is_empty() {
                return Err(n + 1);
            }
            cookies.push(Cookie {
                domain,
                subdomains: f[1].eq_ignore_ascii_case("TRUE") || f[0].starts_with('.'),
                path: if f[2].is_empty() { "/" } else { f[2] }.to_string(),
                secure: f[3].eq_ignore_ascii_case("TRUE"),
                expires: f[4].trim().parse().unwrap_or(0),
                name: f[5].to_string(),
                value: f[6].to_string(),
            });
        }
        Ok(Self { cookies })
    }

    /// Adds the cookies of `other`.
    pub fn extend(&mut self, other: CookieJar) {
        self.cookies.extend(other.cookies);
    }

    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    /// The `Cookie` header for a request to `url` at `now` (seconds since 1970), if any cookie
    /// applies.
    pub fn header_for(&self, url: &Url, now: u64) -> Option<String> {
        let host = url.host_str()?.to_ascii_lowercase();
        let https = url.scheme() == "https";
        let path = url.path();
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| {
                let host_ok = host == c.domain
                    || (c.subdomains
                        && host.len() > c.domain.len()
                        && host.ends_with(&c.domain)
                        && host.as_bytes()[host.len() - c.domain.len() - 1] == b'.');
                let path_ok = path.starts_with(&c.path)
                    && (c.path.ends_with('/')
                        || path.len() == c.path.len()
                        || path.as_bytes()[c.path.len()] == b'/');
                host_ok && path_ok && (https || !c.secure) && (c.expires == 0 || c.expires > now)
            })
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# Netscape HTTP Cookie File\n\
        .example.org\tTRUE\t/\tFALSE\t0\tsession\tabc\n\
        #HttpOnly_img.example.org\tFALSE\t/private\tTRUE\t4102444800\tpass\tx%3Dy\n\
        old.example.org\tFALSE\t/\tFALSE\t1\tgone\t1\n\
        \n";

    fn header(jar: &CookieJar, url: &str) -> Option<String> {
        jar.header_for(&Url::parse(url).unwrap(), 1_800_000_000)
    }

    #[test]
    fn cookies_go_to_their_host_path_and_scheme_only() {
        let jar = CookieJar::parse(FILE).unwrap();
        assert_eq!(
            header(&jar, "http://cdn.example.org/a.jpg").as_deref(),
            Some("session=abc")
        );
        assert_eq!(
            header(&jar, "https://img.example.org/private/b.jpg").as_deref(),
            Some("session=abc; pass=x%3Dy")
        );
        // Secure cookie not over http; path must match on a segment boundary.
        assert_eq!(
            header(&jar, "http://img.example.org/private/b.jpg").as_deref(),
            Some("session=abc")
        );
        assert_eq!(
            header(&jar, "https://img.example.org/privateer.jpg").as_deref(),
            Some("session=abc")
        );
        // Another host, or one that merely ends with the same letters, gets nothing.
        assert_eq!(header(&jar, "https://other.net/a.jpg"), None);
        assert_eq!(header(&jar, "https://badexample.org/a.jpg"), None);
        // Expired cookies are not sent.
        assert_eq!(
            header(&jar, "http://old.example.org/a.jpg").as_deref(),
            Some("session=abc")
        );
    }

    #[test]
    fn a_bad_line_is_named() {
        assert_eq!(CookieJar::parse("# ok\nnot a cookie line\n"), Err(2));
    }
}
