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
    let mut response = get_ok(net, settings, url, None).await?;
    let final_url = response.url().clone();
    let (body, _) = read_up_to(&mut response, MAX_PAGE_BYTES, settings.stall_timeout).await?;
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

/// GETs `url` with its host's rules (`page` as Referer, if any) and a stall timeout; anything
/// but a success status is an error.
pub(super) async fn get_ok(
    net: &Net,
    settings: &FetchSettings,
    url: &Url,
    page: Option<&Url>,
) -> Result<reqwest::Response, FetchError> {
    let stall = settings.stall_timeout;
    let get = super::net::get(net, url, page, None, settings.allow_https_downgrade);
    let response = tokio::time::timeout(stall, get)
        .await
        .map_err(|_| FetchError::Stalled(stall))??;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status {
            code: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            retry_after: None,
        });
    }
    Ok(response)
}

/// The body, up to `cap` bytes; `true` when that is all of it.
pub(super) async fn read_up_to(
    response: &mut reqwest::Response,
    cap: usize,
    stall: Duration,
) -> Result<(Vec<u8>, bool), FetchError> {
    let mut body: Vec<u8> = Vec::new();
    loop {
        let chunk = tokio::time::timeout(stall, response.chunk())
            .await
            .map_err(|_| FetchError::Stalled(stall))?
            .map_err(|e| from_reqwest(&e))?;
        match chunk {
            Some(c) if body.len() + c.len() > cap => return Ok((body, false)),
            Some(c) => body.extend_from_slice(&c),
            None => return Ok((body, true)),
        }
    }
}
