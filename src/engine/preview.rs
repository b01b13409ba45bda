//! Previews for the page checklist: each image found on a page is fetched as a browser showing
//! the page would (its host's rules, the page as Referer), a few at a time, into a private
//! temporary folder, so the window can show its thumbnail, dimensions, size and type before the
//! user chooses. Nothing goes into the output folder; the temporary files go when the engine
//! stops.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;
use url::Url;

use super::dispatcher::Internal;
use super::error::FetchError;
use super::fetch::{Downloaded, JobCtx};
use super::net::Net;
use super::{Event, EventSink};
use crate::config::FetchSettings;
use crate::store::{self, Kind};

/// Largest image previewed whole; bigger ones report their size (and dimensions, from the
/// start of the body) without a thumbnail.
const PREVIEW_CAP: usize = 16 * 1024 * 1024;

/// Previews fetched at once (all hosts together).
const AT_ONCE: usize = 4;

/// What the checklist shows about one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub url: Url,
    /// Its size, when known (the whole body, or the Content-Length of one over the cap).
    pub bytes: Option<u64>,
    pub kind: Option<Kind>,
    pub dims: Option<(u32, u32)>,
    /// The image, in the engine's temporary folder, for a thumbnail.
    pub file: Option<PathBuf>,
    /// Why there is nothing to show ("HTTP 404", "not an image: …").
    pub error: Option<String>,
    /// The address said for good that it has no image (a 404, a web page): downloading it
    /// would only fail. A timeout or a 503 is not that.
    pub gone: bool,
}

/// A folder for one engine's preview files: private, made on first use, removed at shutdown.
pub(crate) fn folder() -> PathBuf {
    std::env::temp_dir().join(format!(
        "magpie-previews-{}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    ))
}

/// Fetches a preview of each of `urls` and reports them one by one as [`Event::Previewed`].
pub(crate) async fn preview_all(
    net: Arc<Net>,
    settings: FetchSettings,
    page: Url,
    urls: Vec<Url>,
    dir: PathBuf,
    events: EventSink,
    internal: tokio::sync::mpsc::UnboundedSender<Internal>,
) {
    let slots = Arc::new(Semaphore::new(AT_ONCE));
    if let Err(e) = crate::private::create_dir(&dir) {
        tracing::warn!("previews: cannot create {}: {e}", dir.display());
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (n, url) in urls.into_iter().enumerate() {
        let (net, settings, page, events, slots, internal) = (
            net.clone(),
            settings.clone(),
            page.clone(),
            events.clone(),
            slots.clone(),
            internal.clone(),
        );
        let path = dir.join(format!("{:x}-{n}", fastrand::u64(..)));
        tasks.spawn(async move {
            let Ok(_slot) = slots.acquire().await else {
                return;
            };
            let preview = match fetch(&net, &settings, &page, &url, &path).await {
                Ok(p) => p,
                Err(e) => Preview {
                    url,
                    bytes: None,
                    kind: None,
                    dims: None,
                    file: None,
                    error: Some(e.to_string()),
                    gone: !e.is_retryable(),
                },
            };
            if let Some(file) = &preview.file {
                let (url, file) = (preview.url.clone(), file.clone());
                let _ = internal.send(Internal::Previewed { url, file });
            }
            events.send(Event::Previewed(Box::new(preview)));
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// One preview: the body up to the cap, its kind and dimensions, written to `path`.
async fn fetch(
    net: &Net,
    settings: &FetchSettings,
    page: &Url,
    url: &Url,
    path: &Path,
) -> Result<Preview, FetchError> {
    let mut response = super::page::get_ok(net, settings, url, Some(page)).await?;
    let declared = response.content_length();
    let (body, whole) =
        super::page::read_up_to(&mut response, PREVIEW_CAP, settings.stall_timeout).await?;
    let Some(kind) = store::sniff(&body[..body.len().min(store::SNIFF_LEN)]) else {
        return Err(FetchError::NotAnImage(store::describe_non_image(&body)));
    };
    let dims = super::filters::dimensions(&body, kind);
    let bytes = if whole {
        Some(body.len() as u64)
    } else {
        declared
    };
    let file = if whole {
        let (path, data) = (path.with_extension(kind.extension()), body);
        tokio::task::spawn_blocking(move || std::fs::write(&path, data).map(|()| path))
            .await
            .ok()
            .and_then(Result::ok)
    } else {
        None
    };
    Ok(Preview {
        url: url.clone(),
        bytes,
        kind: Some(kind),
        dims,
        file,
        error: None,
        gone: false,
    })
}

/// The download of an image previewed whole moments ago, from its preview file, checked and
/// filtered as a download is. `None`: the file is gone; ask the server.
pub(super) async fn reuse(ctx: &JobCtx, file: &Path) -> Option<Result<Downloaded, FetchError>> {
    let path = file.to_path_buf();
    let body = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .ok()?
        .ok()?;
    ctx.events.send(Event::Started { id: ctx.id });
    Some(from_body(ctx, body).await)
}

async fn from_body(ctx: &JobCtx, body: Vec<u8>) -> Result<Downloaded, FetchError> {
    use super::filters;
    let s = &ctx.settings;
    let Some(kind) = store::sniff(&body[..body.len().min(store::SNIFF_LEN)]) else {
        return Err(FetchError::NotAnImage(store::describe_non_image(&body)));
    };
    if body.len() as u64 > s.max_bytes {
        return Err(FetchError::TooLarge(s.max_bytes));
    }
    if filters::any(s) {
        filters::check_start(s, kind, &body)
            .and_then(|()| filters::check_size(s, body.len() as u64))
            .map_err(FetchError::Filtered)?;
    }
    let bytes = body.len() as u64;
    let mut file = ctx.store.begin();
    file.write_chunk(body.into()).await?;
    Ok(Downloaded {
        file,
        format: kind,
        name: store::names::file_name(None, &ctx.url, Some(kind)),
        bytes,
        note: None,
        last_modified: None,
    })
}
