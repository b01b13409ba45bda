//! "Download this page": fetches a web page with its host's settings (cookies, headers, proxy)
//! and finds the images on it ([`crate::urls::page_images`]).

use std::time::Duration;

use url::Url;

use super::error::{FetchError, from_reqwest};
use super::messages::Page;
use super::net::Net;
use crate::config::FetchSettings;

/// Largest page read (bigger pages are cut here; their first 16 MB still give their images).
const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;

/// Fetches `url` and lists its images.
pub(crate) async fn fetch_page(
    net: &Net,
    settings: &FetchSettings,
    url: &Url,
) -> Result<Page, FetchError> {
    let stall = settings.stall_timeout;
    let timed = |d: Duration| move |_| FetchError::Stalled(d);
    let get = super::net::get(net, url, None, None, settings.allow_https_downgrade);
    let mut response = tokio::time::timeout(stall, get)
        .await
        .map_err(timed(stall))??;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status {
            code: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            retry_after: None,
        });
    }
    let final_url = response.url().clone();
    let mut body: Vec<u8> = Vec::new();
    while body.len() < MAX_PAGE_BYTES {
        let chunk = tokio::time::timeout(stall, response.chunk())
            .await
            .map_err(timed(stall))?
            .map_err(|e| from_reqwest(&e))?;
        match chunk {
            Some(c) => body.extend_from_slice(&c),
            None => break,
        }
    }
    if crate::store::sniff(&body).is_some() {
        return Err(FetchError::NotAPage);
    }
    let text = String::from_utf8_lossy(&body);
    let found = crate::urls::page_images(&text, &final_url);
    Ok(Page {
        url: final_url,
        title: found.title,
        images: found.images,
    })
}
