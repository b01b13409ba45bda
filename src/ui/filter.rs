//! The gallery's filter: only the tiles whose file name, subfolder or address holds some text
//! (in any case), to find images among thousands: `cat`, a site's name, a folder a name template
//! made (`example.org/2024`). The viewer's previous/next stay within what the filter shows.
//!
//! The matching tiles are found again only when the text or the tiles change, and while
//! downloads keep changing the tiles at most every [`REFRESH`], so typing into a gallery of
//! 100,000 images costs one pass per keystroke and a busy one a pass every quarter second.

use std::path::Path;
use std::time::{Duration, Instant};

use super::items::{Item, Items, Tiles};

/// How often the matches follow tiles that keep changing (downloads arriving).
const REFRESH: Duration = Duration::from_millis(250);

/// The filter's text and the tiles it lets through.
#[derive(Default)]
pub struct Filter {
    /// What the user typed.
    pub text: String,
    /// What the matches were found for: the text in lower case, the items' version and
    /// [`Items::moved`], and when.
    found_for: Option<Found>,
    /// Positions of the matching items, in the gallery's order.
    matches: Vec<usize>,
}

struct Found {
    text: String,
    version: u64,
    moved: u64,
    at: Instant,
}

/// The tiles the gallery shows: all of them, or those the filter lets through.
#[derive(Clone, Copy)]
pub enum Shown<'a> {
    All(&'a Tiles),
    Matching(&'a [usize]),
}

impl Filter {
    /// Whether some text is set (the gallery shows only what matches it).
    pub fn is_on(&self) -> bool {
        !self.text.trim().is_empty()
    }

    /// Brings the matches up to date with the text and `items`, whose files are in `folder`.
    pub fn update<T>(&mut self, items: &Items<T>, folder: &Path) {
        let needle = self.text.trim();
        if needle.is_empty() {
            self.found_for = None;
            self.matches = Vec::new();
            return;
        }
        let (version, moved) = (items.version(), items.moved());
        // Tiles that come and go are followed a few times a second; positions that moved (items
        // removed) at once, or the matches would name other items.
        if let Some(found) = &self.found_for
            && found.text == needle.to_lowercase()
            && found.moved == moved
            && (found.version == version || found.at.elapsed() < REFRESH)
        {
            return;
        }
        let needle = Needle::new(needle);
        let folder = folder.as_os_str().as_encoded_bytes();
        let finds = |n: &usize| items.get(*n).is_some_and(|item| needle.finds(item, folder));
        match &self.found_for {
            // A key typed onto the same tiles: only what matched before can match now.
            Some(found) if found.version == version && needle.lower.contains(&found.text) => {
                self.matches.retain(finds);
            }
            _ => {
                self.matches.clear();
                (self.matches).extend(items.gallery_tiles().shown_from(0).filter(finds));
            }
        }
        self.found_for = Some(Found {
            text: needle.lower,
            version,
            moved,
            at: Instant::now(),
        });
    }

    /// What the gallery shows now.
    pub fn shown<'a, T>(&'a self, items: &'a Items<T>) -> Shown<'a> {
        if self.found_for.is_some() {
            Shown::Matching(&self.matches)
        } else {
            Shown::All(items.gallery_tiles())
        }
    }
}

impl<'a> Shown<'a> {
    pub fn len(&self) -> usize {
        match self {
            Shown::All(tiles) => tiles.len(),
            Shown::Matching(matches) => matches.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Positions of the items shown from the `from`th on, in the order shown.
    pub fn from(self, from: usize) -> Box<dyn Iterator<Item = usize> + 'a> {
        match self {
            Shown::All(tiles) => Box::new(tiles.shown_from(from)),
            Shown::Matching(matches) => Box::new(matches.iter().skip(from).copied()),
        }
    }

    /// Where the item `key`'s tile is shown (0: first); `None` when it is not.
    pub fn index_of<T>(&self, items: &Items<T>, key: u64) -> Option<usize> {
        match self {
            Shown::All(_) => items.tile_index(key),
            Shown::Matching(matches) => {
                let n = items.index_of_key(key)?;
                matches.iter().position(|&m| m == n)
            }
        }
    }
}

/// The text looked for, ready to compare with names without allocating for each one.
struct Needle {
    lower: String,
    ascii: bool,
}

impl Needle {
    fn new(text: &str) -> Self {
        Self {
            lower: text.to_lowercase(),
            ascii: text.is_ascii(),
        }
    }

    /// Whether the item's name, its file's path within `folder`, or its address holds the text.
    /// (A file's path within the folder holds its name; a download not yet saved has only a
    /// name.) Paths are compared as bytes: no pass over their components, which at 100,000 tiles
    /// was most of a keystroke's frame.
    fn finds<T>(&self, item: &Item<T>, folder: &[u8]) -> bool {
        let path = item
            .path
            .as_deref()
            .map(|p| p.as_os_str().as_encoded_bytes());
        let named = match path.and_then(|p| p.strip_prefix(folder)) {
            Some(within) => self.within(within),
            None => self.within(item.name.as_bytes()),
        };
        named || (item.url.as_ref()).is_some_and(|u| self.within(u.as_str().as_bytes()))
    }

    fn within(&self, hay: &[u8]) -> bool {
        if !self.ascii {
            return String::from_utf8_lossy(hay)
                .to_lowercase()
                .contains(&self.lower);
        }
        let needle = self.lower.as_bytes();
        let Some((&first, rest)) = needle.split_first() else {
            return true;
        };
        // Each place the first letter is, in either case, then the rest.
        let mut from = 0;
        while let Some(i) = memchr::memchr2(first, first.to_ascii_uppercase(), &hay[from..]) {
            let start = from + i;
            match hay.get(start + 1..start + needle.len()) {
                Some(next) if next.eq_ignore_ascii_case(rest) => return true,
                Some(_) => from = start + 1,
                None => return false,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(filter: &Filter, items: &Items<()>) -> Vec<String> {
        let shown = filter.shown(items);
        shown
            .from(0)
            .map(|n| items.get(n).unwrap().name.clone())
            .collect()
    }

    #[test]
    fn matches_follow_removals_at_once_and_narrow_as_keys_are_typed() {
        let folder = Path::new("/pictures");
        let mut items: Items<()> = Items::default();
        let batch = items.new_batch();
        for (n, name) in ["dog.png", "cat-1.png", "cats/b.png", "bird.png"]
            .iter()
            .enumerate()
        {
            items.add_on_disk(
                folder.join(name),
                1,
                super::super::items::Place::new(batch, n),
            );
        }
        items.refresh();
        let mut filter = Filter {
            text: "cat".into(),
            ..Filter::default()
        };
        filter.update(&items, folder);
        assert_eq!(names(&filter, &items), ["cat-1.png", "b.png"]);

        // The dog goes (deleted): every item after it moves up a place. Within the quarter
        // second that spares passes while tiles arrive, the matches must still be the cats.
        items.remove_where(|i| i.name == "dog.png");
        items.refresh();
        filter.update(&items, folder);
        assert_eq!(names(&filter, &items), ["cat-1.png", "b.png"]);

        filter.text = "CATS".into();
        filter.update(&items, folder);
        assert_eq!(names(&filter, &items), ["b.png"], "the subfolder's name");
        filter.text = "  ".into();
        filter.update(&items, folder);
        assert_eq!(names(&filter, &items).len(), 3, "no text: every image");
    }

    #[test]
    fn any_case_in_the_name_the_address_or_the_folder_it_is_in() {
        let needle = Needle::new("Cat");
        for hay in ["black-CAT.jpg", "cat", "ccat", "a/Cats/b.png"] {
            assert!(needle.within(hay.as_bytes()), "{hay}");
        }
        for hay in ["dog.jpg", "ca", "", "c-a-t", "cAt"[..2].as_ref()] {
            assert!(!needle.within(hay.as_bytes()), "{hay}");
        }
        let accented = Needle::new("ÉTÉ");
        assert!(accented.within("photos d'été.jpg".as_bytes()));
        assert!(!accented.within(b"ete.jpg"));
    }
}
