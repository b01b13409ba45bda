//! The thumbnail cache file managers share: the freedesktop.org Thumbnail Managing Standard.
//!
//! `$XDG_CACHE_HOME/thumbnails/{normal,large,x-large,xx-large}/MD5.png`, where MD5 is the hex
//! digest of the file's `file://` URI escaped exactly as GLib's `g_filename_to_uri` does, so
//! GNOME, KDE and Magpie find each other's thumbnails. Each PNG carries `Thumb::URI` and
//! `Thumb::MTime` (checked on every read: a changed file is thumbnailed again) and the original's
//! size, type and dimensions. Files are written 0600 in 0700 folders, to a temporary name and
//! renamed into place, so a reader never sees half a thumbnail. Files that cannot be thumbnailed
//! are remembered under `fail/magpie-VERSION/` so they are not decoded again on every visit.

use std::io::{BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use super::decode::{self, Pixels, ThumbError};

/// How Magpie makes a thumbnail's pixels, written into each it caches: one it wrote with
/// another value is made again. 2: colours from the file's ICC profile (before, a Display P3 or
/// Adobe RGB photo's thumbnail was drawn as if it were sRGB, duller).
const PIXELS: &str = "2";
const PIXELS_KEY: &str = "X-Magpie::Pixels";

/// The standard's sizes (the longer side of the thumbnail, in pixels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum CacheSize {
    /// 128 px
    Normal,
    /// 256 px
    Large,
    /// 512 px
    XLarge,
    /// 1024 px
    XxLarge,
}

impl CacheSize {
    /// The size for a gallery tile `pixels` wide on screen: the smallest whose thumbnails are at
    /// least that long (a 200-point tile is 200 px on most screens and 400 on a HiDPI one), up
    /// to x-large (a 1024 px texture is 4 MB; the tiles are at most 320 points).
    pub fn for_tile(pixels: f32) -> Self {
        [CacheSize::Normal, CacheSize::Large]
            .into_iter()
            .find(|size| size.pixels() as f32 >= pixels)
            .unwrap_or(CacheSize::XLarge)
    }

    pub fn pixels(self) -> u32 {
        match self {
            CacheSize::Normal => 128,
            CacheSize::Large => 256,
            CacheSize::XLarge => 512,
            CacheSize::XxLarge => 1024,
        }
    }

    /// The cache's folder for this size.
    pub fn folder(self) -> &'static str {
        match self {
            CacheSize::Normal => "normal",
            CacheSize::Large => "large",
            CacheSize::XLarge => "x-large",
            CacheSize::XxLarge => "xx-large",
        }
    }
}

/// GLib's `UNSAFE_PATH` set: everything but ASCII letters, digits and `!$&'()*+,-./:=@_~`.
const GLIB_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b'-')
    .remove(b'.')
    .remove(b'/')
    .remove(b':')
    .remove(b'=')
    .remove(b'@')
    .remove(b'_')
    .remove(b'~');

/// The `file://` URI of an absolute path, escaped as GLib escapes it.
pub fn file_uri(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().replace('\\', "/").into_bytes();
    let escaped = percent_encoding::percent_encode(&bytes, GLIB_PATH).to_string();
    if escaped.starts_with('/') {
        format!("file://{escaped}")
    } else {
        format!("file:///{escaped}")
    }
}

/// A file as the cache knows it: its URI, and what says whether a thumbnail is still current.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub uri: String,
    pub mtime: u64,
    pub size: u64,
    file_name: String,
}

impl Entry {
    /// Describes `path` (made absolute and canonical, as the standard asks).
    pub fn of(path: &Path) -> std::io::Result<Self> {
        let path = std::fs::canonicalize(path)?;
        let meta = std::fs::metadata(&path)?;
        let mtime = meta
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let uri = file_uri(&path);
        let file_name = format!("{:x}.png", md5::compute(uri.as_bytes()));
        Ok(Self {
            uri,
            mtime,
            size: meta.len(),
            file_name,
        })
    }
}

/// What the cache holds for a file.
#[derive(Debug)]
pub enum Lookup {
    Hit(Pixels),
    /// This version of Magpie failed on the file as it is now.
    Failed,
    Miss,
}

/// A thumbnail cache rooted at a `thumbnails` folder.
#[derive(Debug, Clone)]
pub struct ThumbCache {
    root: PathBuf,
}

/// Largest thumbnail file read back (a hostile cache file costs an error, not memory).
const MAX_CACHED_BYTES: usize = 8 * 1024 * 1024;

impl ThumbCache {
    /// The user's cache: `$XDG_CACHE_HOME/thumbnails`, else `~/.cache/thumbnails`.
    pub fn user() -> Option<Self> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| directories::BaseDirs::new().map(|d| d.cache_dir().to_path_buf()))?;
        Some(Self::at(base.join("thumbnails")))
    }

    pub fn at(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the thumbnail of `entry` at `size` lives.
    pub fn path(&self, entry: &Entry, size: CacheSize) -> PathBuf {
        self.root.join(size.folder()).join(&entry.file_name)
    }

    fn fail_path(&self, entry: &Entry) -> PathBuf {
        self.root
            .join("fail")
            .join(concat!("magpie-", env!("CARGO_PKG_VERSION")))
            .join(&entry.file_name)
    }

    /// Reads a current thumbnail of `entry`, if the cache has one.
    pub fn lookup(&self, entry: &Entry, size: CacheSize) -> Lookup {
        if let Some(px) = read_current(&self.path(entry, size), entry) {
            return Lookup::Hit(px);
        }
        if read_current(&self.fail_path(entry), entry).is_some() {
            return Lookup::Failed;
        }
        Lookup::Miss
    }

    /// Writes `px` as the thumbnail of `entry` at `size`.
    pub fn store(
        &self,
        entry: &Entry,
        size: CacheSize,
        px: &Pixels,
        mime: Option<&str>,
    ) -> std::io::Result<()> {
        let text = [
            ("Thumb::Image::Width", px.original_width.to_string()),
            ("Thumb::Image::Height", px.original_height.to_string()),
        ];
        let mut extra: Vec<(&str, String)> = text.to_vec();
        if let Some(mime) = mime {
            extra.push(("Thumb::Mimetype", mime.to_string()));
        }
        let png = encode(entry, px.width, px.height, &px.rgba, &extra)?;
        write_atomically(&self.path(entry, size), &png)
    }

    /// Remembers that this version cannot thumbnail `entry` as it is now.
    pub fn store_failure(&self, entry: &Entry) -> std::io::Result<()> {
        let png = encode(entry, 1, 1, &[0, 0, 0, 0], &[])?;
        write_atomically(&self.fail_path(entry), &png)
    }
}

/// Where a thumbnail came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Read from the cache.
    Cached,
    /// Decoded now and stored in the cache.
    Made,
    /// Decoded now and not stored: the image is no larger than a thumbnail.
    Small,
}

/// A thumbnail of `path` fitting `size`: from `cache` when it has a current one, else decoded and
/// (when the image is larger than the thumbnail) stored there. Cache errors never fail a decode.
pub fn thumbnail(cache: &ThumbCache, path: &Path, size: CacheSize) -> Result<Pixels, ThumbError> {
    thumbnail_from(cache, path, size).map(|(px, _)| px)
}

/// [`thumbnail`], saying where the pixels came from.
pub fn thumbnail_from(
    cache: &ThumbCache,
    path: &Path,
    size: CacheSize,
) -> Result<(Pixels, Origin), ThumbError> {
    let Ok(entry) = Entry::of(path) else {
        return decode::decode(path, size.pixels()).map(|px| (px, Origin::Small));
    };
    match cache.lookup(&entry, size) {
        Lookup::Hit(px) => return Ok((px, Origin::Cached)),
        Lookup::Failed => return Err(ThumbError::FailedBefore),
        Lookup::Miss => {}
    }
    match decode::decode(path, size.pixels()) {
        Ok(px) => {
            let side = size.pixels();
            // The standard: no thumbnail for an image that is already no larger than one.
            if px.original_width <= side && px.original_height <= side {
                return Ok((px, Origin::Small));
            }
            let mime = image::ImageFormat::from_path(path)
                .ok()
                .map(|f| f.to_mime_type());
            if let Err(e) = cache.store(&entry, size, &px, mime) {
                tracing::debug!("thumbnail cache: cannot write: {e}");
            }
            Ok((px, Origin::Made))
        }
        // A file that could not be opened may be readable later; one that cannot be decoded
        // will not be until it changes (its mtime) or Magpie does (the version in the folder).
        Err(ThumbError::Open(e)) => Err(ThumbError::Open(e)),
        // Not a failure of the file: a later Magpie may show it.
        Err(ThumbError::NoPreview(kind)) => Err(ThumbError::NoPreview(kind)),
        Err(e) => {
            if let Err(io) = cache.store_failure(&entry) {
                tracing::debug!("thumbnail cache: cannot record a failure: {io}");
            }
            Err(e)
        }
    }
}

fn encode(
    entry: &Entry,
    width: u32,
    height: u32,
    rgba: &[u8],
    extra: &[(&str, String)],
) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let fields = [
        ("Thumb::URI", entry.uri.clone()),
        ("Thumb::MTime", entry.mtime.to_string()),
        ("Thumb::Size", entry.size.to_string()),
        (
            "Software",
            concat!("Magpie ", env!("CARGO_PKG_VERSION")).to_string(),
        ),
        (PIXELS_KEY, PIXELS.to_string()),
    ];
    for (key, value) in fields.iter().chain(extra) {
        encoder
            .add_text_chunk((*key).to_string(), value.clone())
            .map_err(std::io::Error::other)?;
    }
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    writer
        .write_image_data(rgba)
        .map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)?;
    Ok(out)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no folder"))?;
    crate::private::create_dir(dir)?;
    let tmp = dir.join(format!(".magpie-{:016x}.tmp", fastrand::u64(..)));
    let written = (|| {
        let mut file = crate::private::options()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The pixels of the thumbnail at `path` if it is a thumbnail of `entry` as it is now.
fn read_current(path: &Path, entry: &Entry) -> Option<Pixels> {
    let file = std::fs::File::open(path).ok()?;
    let mut decoder = png::Decoder::new_with_limits(
        BufReader::new(file),
        png::Limits {
            bytes: MAX_CACHED_BYTES,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let field = |key: &str| {
        let info = reader.info();
        info.uncompressed_latin1_text
            .iter()
            .find(|t| t.keyword == key)
            .map(|t| t.text.clone())
            .or_else(|| {
                info.utf8_text
                    .iter()
                    .find(|t| t.keyword == key)
                    .and_then(|t| t.get_text().ok())
            })
    };
    // Other thumbnailers may write the MTime with a fraction; the standard's is whole seconds.
    let mtime = field("Thumb::MTime")?;
    let mtime_matches =
        mtime.split('.').next().and_then(|s| s.parse::<u64>().ok()) == Some(entry.mtime);
    let size_matches =
        field("Thumb::Size").is_none_or(|s| s.parse::<u64>().ok() == Some(entry.size));
    if field("Thumb::URI")? != entry.uri || !mtime_matches || !size_matches {
        return None;
    }
    // One of ours made before its pixels were made as they are now (other programs' are
    // trusted as the standard says).
    let ours = field("Software").is_some_and(|s| s.starts_with("Magpie "));
    if ours && field(PIXELS_KEY).as_deref() != Some(PIXELS) {
        return None;
    }
    let dims = |key: &str| field(key).and_then(|v| v.parse::<u32>().ok());
    let (ow, oh) = (dims("Thumb::Image::Width"), dims("Thumb::Image::Height"));
    let mut buf = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut buf).ok()?;
    buf.truncate(frame.buffer_size());
    let rgba = to_rgba(buf, frame.color_type)?;
    Some(Pixels {
        width: frame.width,
        height: frame.height,
        rgba,
        original_width: ow.unwrap_or(frame.width),
        original_height: oh.unwrap_or(frame.height),
    })
}

fn to_rgba(buf: Vec<u8>, color: png::ColorType) -> Option<Vec<u8>> {
    Some(match color {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_escaped_as_glib_escapes_them() {
        // Checked against GLib: g_filename_to_uri() of the same paths.
        assert_eq!(
            file_uri(Path::new("/home/me/Pictures/a b#c%d.jpg")),
            "file:///home/me/Pictures/a%20b%23c%25d.jpg"
        );
        assert_eq!(
            file_uri(Path::new("/tmp/!$&'()*+,-.:=@_~;?[]")),
            "file:///tmp/!$&'()*+,-.:=@_~%3B%3F%5B%5D"
        );
        assert_eq!(
            file_uri(Path::new("/tmp/猫.png")),
            "file:///tmp/%E7%8C%AB.png"
        );
    }

    #[test]
    fn the_file_name_is_the_md5_of_the_uri() {
        // The example from the Thumbnail Managing Standard.
        let uri = "file:///home/jens/photos/me.png";
        assert_eq!(
            format!("{:x}", md5::compute(uri)),
            "c6ee772d9e49320e97ec29a7eb5b1697"
        );
    }

    #[test]
    fn a_tile_gets_the_smallest_size_at_least_as_long_as_it_is_wide_on_screen() {
        let sizes: Vec<CacheSize> = [96.0, 128.0, 129.0, 200.0, 256.0, 320.0, 400.0, 640.0, 960.0]
            .into_iter()
            .map(CacheSize::for_tile)
            .collect();
        use CacheSize::*;
        assert_eq!(
            sizes,
            [
                Normal, Normal, Large, Large, Large, XLarge, XLarge, XLarge, XLarge
            ]
        );
    }
}
