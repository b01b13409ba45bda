//! The options of `magpie fetch`, and the parsers of the flags that take more than a word.

use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use url::Url;

use super::shard::Shard;

/// Options of `magpie fetch`.
#[derive(Debug, Clone, clap::Args)]
pub struct FetchArgs {
    /// Folder to save into [default: your Pictures folder + Magpie]
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Downloads at once, across all hosts [default: the config's, else 16]
    #[arg(short = 'j', long, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=1024).map(usize::from))]
    pub concurrency: Option<usize>,
    /// Downloads at once to one host [default: the config's, else 6]
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=1024).map(usize::from))]
    pub per_host: Option<usize>,
    /// Print one JSON object per URL on stdout (url, status, path, bytes, error)
    #[arg(long)]
    pub json: bool,
    /// Also fetch what an earlier run into this folder left pending (after a crash or Ctrl-C),
    /// and skip URLs it already saved
    #[arg(long)]
    pub resume: bool,
    /// Stop starting downloads once this much was saved (e.g. 500MB, 20GB, 1.5TiB)
    #[arg(long, value_name = "SIZE", value_parser = crate::format::parse_size)]
    pub max_total: Option<u64>,
    /// Print URLs in JSON lines exactly as given; by default passwords and secret-looking
    /// query values (token=, sig=, key=…) are masked everywhere Magpie prints a URL
    #[arg(long)]
    pub json_full_urls: bool,
    /// A web page whose images to fetch (repeat for more): it is fetched with its host's
    /// settings, and each image on it is downloaded with the page as Referer; with --dry-run
    /// its images are listed
    #[arg(long = "page", value_name = "URL")]
    pub pages: Vec<Url>,
    /// Page address that relative links in HTML input are resolved against
    #[arg(long, value_name = "URL")]
    pub base: Option<Url>,
    /// User-Agent: magpie (default), browser (a current desktop Firefox), or the exact text
    #[arg(long, value_name = "UA")]
    pub user_agent: Option<String>,
    /// Referer to send: none (default), origin (the image's https://host/), or a URL
    #[arg(long, value_name = "none|origin|URL",
          value_parser = |s: &str| crate::engine::net::Referer::parse(s).map(|_| s.to_string()))]
    pub referer: Option<String>,
    /// Extra request header, "Name: value" (repeat for more), sent with every request; for one
    /// site only, use a [hosts."name"] table in the settings file
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// A Netscape cookies.txt file (as browser extensions export it); each cookie goes only to
    /// the host it names
    #[arg(long, value_name = "FILE")]
    pub cookies: Option<PathBuf>,
    /// Proxy for every request (http://, https://, socks5://, socks5h://); by default the
    /// environment's HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Fetch URLs saved into this folder by an earlier run again (by default they are skipped,
    /// even if the file was deleted or moved: the folder's journal is its download archive)
    #[arg(long)]
    pub no_archive: bool,
    /// Leave out images smaller than this (e.g. 20KB); nothing is saved for them
    #[arg(long, value_name = "SIZE", value_parser = crate::format::parse_size)]
    pub min_size: Option<u64>,
    /// Leave out images larger than this (e.g. 20MB): skipped as soon as they pass it
    #[arg(long, value_name = "SIZE", value_parser = crate::format::parse_size)]
    pub max_size: Option<u64>,
    /// Leave out images smaller than WIDTHxHEIGHT (or N for both), read from the image header
    /// while it downloads
    #[arg(long, value_name = "WxH", value_parser = parse_dimensions)]
    pub min_dim: Option<(u32, u32)>,
    /// Keep only these types, by extension (e.g. jpg,png,webp)
    #[arg(long = "type", value_name = "EXT,...", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Name saved files by a template: {name} {ext} {host} {index} {date} {hash8} {page_title},
    /// `/` for subfolders (e.g. '{host}/{name}.{ext}'); every part is made safe and stays inside
    /// the folder
    #[arg(long, value_name = "TEMPLATE", value_parser = parse_template)]
    pub template: Option<crate::store::Template>,
    /// Write NAME.json beside each saved image: URL, page, time, size, dimensions, SHA-256 and
    /// the server's Last-Modified
    #[arg(long)]
    pub write_metadata: bool,
    /// Give each file the server's Last-Modified time (as curl -R)
    #[arg(long)]
    pub remote_time: bool,
    /// Take only this machine's share of the URLs: shard K of N (numbered from 1), chosen by a
    /// stable hash of each URL, so N machines given the same list split it without talking
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Read the lists and print the URLs that would be fetched (one per line; with --template,
    /// a tab and the name each would get), fetching nothing and leaving the folder alone
    #[arg(long)]
    pub dry_run: bool,
    /// URL lists (text, CSV, Markdown or HTML), or image addresses themselves; `-` or nothing
    /// reads stdin
    #[arg(value_name = "FILE|-")]
    pub inputs: Vec<String>,
}

/// A name template for `--template`, checked before anything downloads.
fn parse_template(text: &str) -> Result<crate::store::Template, String> {
    crate::store::Template::parse(text).map_err(|e| e.to_string())
}

/// `WxH` (or one number for both) for `--min-dim`.
fn parse_dimensions(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("'{text}' is not WIDTHxHEIGHT (e.g. 300x300) or one number");
    let t = text.trim().to_ascii_lowercase().replace('×', "x");
    match t.split_once('x') {
        Some((w, h)) => Ok((
            w.trim().parse().map_err(|_| bad())?,
            h.trim().parse().map_err(|_| bad())?,
        )),
        None => t.parse().map(|n| (n, n)).map_err(|_| bad()),
    }
}

/// `"Name: value"` as a header for `--header`.
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("'{text}' is not \"Name: value\""))?;
    let (name, value) = (name.trim(), value.trim());
    reqwest::header::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("'{name}' is not a header name"))?;
    reqwest::header::HeaderValue::from_str(value)
        .map_err(|_| format!("the value of {name} cannot be sent in a header"))?;
    Ok((name.to_string(), value.to_string()))
}
