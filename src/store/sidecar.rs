//! `--write-metadata`: a `NAME.json` beside each saved image saying where and when it came from,
//! what it is, and its checksums, for datasets whose provenance must survive copies to places
//! that drop extended attributes (archives, cloud drives, other operating systems).

use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::Digest as _;

/// What is known of a saved file beyond its bytes.
#[derive(Debug, Clone)]
pub struct About {
    /// The image's address (secret-looking parts masked, as in the extended attributes).
    pub url: String,
    /// The page it was found on.
    pub page: Option<String>,
    /// Seconds since 1970 when it was saved.
    pub saved_at: u64,
    pub mime: &'static str,
    /// BLAKE3 of the content, hex (Magpie's own checksum, as in the journal).
    pub blake3: String,
    /// The server's Last-Modified header, as sent.
    pub last_modified: Option<String>,
}

#[derive(Serialize)]
struct Sidecar<'a> {
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<&'a str>,
    saved: String,
    file: String,
    bytes: u64,
    #[serde(rename = "type")]
    mime: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    sha256: String,
    blake3: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified: Option<&'a str>,
}

/// The sidecar's path for `image`: `cat.jpg` → `cat.jpg.json` (gallery-dl's naming).
pub fn path_for(image: &Path) -> PathBuf {
    let mut name = image.file_name().unwrap_or_default().to_os_string();
    name.push(".json");
    image.with_file_name(name)
}

/// Writes `image`'s sidecar, reading the image once for its SHA-256 and its header for the
/// dimensions. It appears whole or not at all (written hidden, then linked into place), and an
/// existing file of that name is never replaced.
pub fn write(image: &Path, about: &About) -> io::Result<PathBuf> {
    let mut file = std::fs::File::open(image)?;
    let mut sha = sha2::Sha256::new();
    let mut buf = vec![0; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        bytes += n as u64;
    }
    let dims = image::ImageReader::open(image)
        .and_then(|r| r.with_guessed_format())
        .ok()
        .and_then(|r| r.into_dimensions().ok());
    let sidecar = Sidecar {
        url: &about.url,
        page: about.page.as_deref(),
        saved: crate::format::timestamp(about.saved_at),
        file: image
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        bytes,
        mime: about.mime,
        width: dims.map(|d| d.0),
        height: dims.map(|d| d.1),
        sha256: format!("{:x}", sha.finalize()),
        blake3: &about.blake3,
        last_modified: about.last_modified.as_deref(),
    };
    let mut json = serde_json::to_vec_pretty(&sidecar).map_err(io::Error::other)?;
    json.push(b'\n');
    let target = path_for(image);
    let dir = target.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(".magpie-{:016x}.json.part", fastrand::u64(..)));
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut f| f.write_all(&json))
        .and_then(|()| std::fs::hard_link(&temp, &target));
    let _ = std::fs::remove_file(&temp);
    result.map(|()| target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sidecar_says_where_and_what_and_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let image_path = dir.path().join("cat.png");
        let mut png = Vec::new();
        image::RgbImage::new(3, 2)
            .write_to(&mut io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        std::fs::write(&image_path, &png).unwrap();
        let about = About {
            url: "https://img.example/cat.png".into(),
            page: Some("https://example.org/cats".into()),
            saved_at: 1_764_147_900,
            mime: "image/png",
            blake3: blake3::hash(&png).to_hex().to_string(),
            last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
        };
        let written = write(&image_path, &about).unwrap();
        assert_eq!(written, dir.path().join("cat.png.json"));
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&written).unwrap()).unwrap();
        assert_eq!(v["url"], "https://img.example/cat.png");
        assert_eq!(v["page"], "https://example.org/cats");
        assert_eq!(v["saved"], "2025-11-26T09:05:00Z");
        assert_eq!(v["file"], "cat.png");
        assert_eq!(v["bytes"], png.len() as u64);
        assert_eq!(v["type"], "image/png");
        assert_eq!(
            (v["width"].as_u64(), v["height"].as_u64()),
            (Some(3), Some(2))
        );
        assert_eq!(v["sha256"], format!("{:x}", sha2::Sha256::digest(&png)));
        assert_eq!(v["last_modified"], "Wed, 21 Oct 2015 07:28:00 GMT");
        // A second write finds the name taken and leaves the file (and no temp file) alone.
        std::fs::write(&written, b"mine").unwrap();
        assert!(write(&image_path, &about).is_err());
        assert_eq!(std::fs::read(&written).unwrap(), b"mine");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
