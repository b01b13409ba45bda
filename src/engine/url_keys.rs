//! Sets and maps of URLs kept by a 128-bit fingerprint instead of the URL itself.
//!
//! A folder's journal writer remembers every URL queued into the folder and every URL ever saved
//! there (the download archive). Kept as `Url`s, that is about 150 bytes per URL on top of the
//! front end's own copy; a fingerprint is 16. The fingerprint is BLAKE3, truncated: two URLs
//! sharing one would make the second look already queued or saved, and at 128 bits that takes
//! some 2^64 URLs, even for a page crafted to try.

use std::collections::{HashMap, HashSet};

use url::Url;

/// A URL's fingerprint: worked out once where a URL is looked up in several sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct UrlKey(u128);

impl From<&Url> for UrlKey {
    fn from(url: &Url) -> Self {
        let hash = blake3::hash(url.as_str().as_bytes());
        let mut first = [0u8; 16];
        first.copy_from_slice(&hash.as_bytes()[..16]);
        Self(u128::from_le_bytes(first))
    }
}

/// A set of URLs by fingerprint.
#[derive(Debug, Default)]
pub(crate) struct UrlSet(HashSet<UrlKey>);

impl UrlSet {
    pub(crate) fn insert(&mut self, url: impl Into<UrlKey>) {
        self.0.insert(url.into());
    }

    pub(crate) fn remove(&mut self, url: impl Into<UrlKey>) {
        self.0.remove(&url.into());
    }

    pub(crate) fn contains(&self, url: impl Into<UrlKey>) -> bool {
        self.0.contains(&url.into())
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

impl<'a> Extend<&'a Url> for UrlSet {
    fn extend<I: IntoIterator<Item = &'a Url>>(&mut self, urls: I) {
        self.0.extend(urls.into_iter().map(UrlKey::from));
    }
}

/// A map from URLs, by fingerprint, to `V`.
#[derive(Debug)]
pub(crate) struct UrlMap<V>(HashMap<UrlKey, V>);

impl<V> Default for UrlMap<V> {
    fn default() -> Self {
        Self(HashMap::new())
    }
}

impl<V> UrlMap<V> {
    pub(crate) fn insert(&mut self, url: impl Into<UrlKey>, value: V) {
        self.0.insert(url.into(), value);
    }

    pub(crate) fn get(&self, url: impl Into<UrlKey>) -> Option<&V> {
        self.0.get(&url.into())
    }
}

impl<'a, V> FromIterator<(&'a Url, V)> for UrlMap<V> {
    fn from_iter<I: IntoIterator<Item = (&'a Url, V)>>(pairs: I) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(u, v)| (UrlKey::from(u), v))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn urls_are_told_apart_by_their_whole_text() {
        let mut set = UrlSet::default();
        set.insert(&url("https://a.example/cat.jpg"));
        assert!(set.contains(&url("https://a.example/cat.jpg")));
        // Parsing normalises: the same address written differently is the same URL.
        assert!(set.contains(&url("HTTPS://A.example/cat.jpg")));
        for other in [
            "https://a.example/cat.jpeg",
            "https://a.example/cat.jpg?size=large",
            "http://a.example/cat.jpg",
            "https://b.example/cat.jpg",
        ] {
            assert!(!set.contains(&url(other)), "{other}");
        }
        set.remove(&url("https://a.example/cat.jpg"));
        assert!(!set.contains(&url("https://a.example/cat.jpg")));
        assert_eq!(set.len(), 0);
    }

    #[test]
    fn a_hundred_thousand_urls_have_a_hundred_thousand_keys() {
        let mut set = UrlSet::default();
        let urls: Vec<Url> = (0..100_000)
            .map(|i| url(&format!("https://img.example/{i}.jpg")))
            .collect();
        set.extend(&urls);
        assert_eq!(set.len(), 100_000);
        let map: UrlMap<usize> = urls.iter().zip(0..).collect();
        assert_eq!(map.get(&urls[4242]), Some(&4242));
        assert_eq!(map.get(&url("https://img.example/x.jpg")), None);
    }
}
