//! One download: an attempt's request, streaming the body into the store, and checks; the
//! attempts around it are `retry.rs`'s.
//!
//! Everything a server can do wrong is caught here and turned into a [`FetchError`]: bad status,
//! stalls, drips, bodies too large or cut short, and bodies that are not images.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::header::{CONTENT_DISPOSITION, LAST_MODIFIED, LOCATION, RETRY_AFTER};
use tokio::time::Instant;
use url::Url;

use tokio_util::sync::CancellationToken;

use super::error::{FetchError, from_reqwest};
use super::filters;
use super::folders::NamingJournal;
use super::{Event, EventSink, JobId};
use crate::config::FetchSettings;
use crate::store::{self, Store, names};

/// What a successful download produced.
#[derive(Debug, Clone)]
pub struct Saved {
    pub path: PathBuf,
    pub bytes: u64,
    pub format: store::Kind,
    /// Something the user should know about how it was fetched ("the server wanted a Referer").
    pub note: Option<String>,
    /// The same bytes were already in the folder (at `path`): nothing new was saved.
    pub duplicate: bool,
}

/// Everything one download needs.
pub(crate) struct JobCtx {
    pub id: JobId,
    pub url: Url,
    pub store: Store,
    /// Where naming the finished file is journaled (`None`: no journal).
    pub journal: Option<NamingJournal>,
    pub net: std::sync::Arc<super::net::Net>,
    /// The page the image was found on (its Referer) and its place in its list.
    pub info: super::JobInfo,
    /// The same image, fetched whole moments ago for the page checklist: used instead of a
    /// second request.
    pub preview: Option<PathBuf>,
    pub settings: FetchSettings,
    pub events: EventSink,
    /// Stops the download, up to the moment its file is complete.
    pub token: CancellationToken,
    /// Told when the body is complete, so the next download can start during checks and naming.
    pub internal: tokio::sync::mpsc::UnboundedSender<super::dispatcher::Internal>,
}

/// A complete, unnamed download.
pub(super) struct Downloaded {
    pub file: store::PartFile,
    pub format: store::Kind,
    pub name: String,
    pub bytes: u64,
    pub note: Option<String>,
    /// The server's Last-Modified header, as sent.
    pub last_modified: Option<String>,
}

/// Downloads `ctx.url` with retries until saved, failed for good, out of time, or cancelled.
pub(crate) async fn fetch(ctx: &JobCtx) -> Result<Saved, FetchError> {
    let Downloaded {
        mut file,
        format,
        name,
        bytes,
        note,
        last_modified,
    } = super::retry::download(ctx).await?;
    let modified = last_modified
        .as_deref()
        .filter(|_| ctx.settings.remote_time)
        .and_then(|t| httpdate::parse_http_date(t).ok());
    file.set_origin(store::provenance::Origin {
        url: crate::format::redact_url(&ctx.url),
        referrer: ctx.info.page.as_deref().map(crate::format::redact_url),
        modified,
    });
    let blake3 = ctx.settings.write_metadata.then(|| file.content_hash());
    let _ = ctx
        .internal
        .send(super::dispatcher::Internal::Received(ctx.id, bytes));
    // The file is complete: naming it is neither cancelled nor timed out, so a cancel that
    // arrives now loses the race and the download reports (and journals) Saved.
    let name = super::naming::place(ctx, &name, format, &file);
    let log = ctx.journal.as_ref().map(|j| {
        j.intents(
            ctx.url.clone(),
            name.to_string(),
            ctx.info.page.as_deref().cloned(),
            ctx.store.dir().to_path_buf(),
        )
    });
    file.set_dedupe(!ctx.settings.keep_duplicates);
    let committed = ctx
        .store
        .commit(file, &name, format, ctx.settings.sync_files, log)
        .await?;
    if let Some(blake3) = blake3.filter(|_| !committed.duplicate) {
        write_sidecar(ctx, &committed.path, format, blake3, last_modified).await;
    }
    let note = if committed.duplicate {
        let existing = committed
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        Some(format!(
            "duplicate of {existing}: the same image is already in the folder"
        ))
    } else {
        note
    };
    Ok(Saved {
        path: committed.path,
        bytes,
        format,
        note,
        duplicate: committed.duplicate,
    })
}

/// `--write-metadata`: the image's sidecar, on a blocking thread; failing to write it is said in
/// the log, not a failed download (the image is saved).
async fn write_sidecar(
    ctx: &JobCtx,
    path: &std::path::Path,
    format: store::Kind,
    blake3: String,
    last_modified: Option<String>,
) {
    let about = store::sidecar::About {
        url: crate::format::redact_url(&ctx.url),
        page: ctx.info.page.as_deref().map(crate::format::redact_url),
        saved_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        mime: format.mime(),
        blake3,
        last_modified,
    };
    let path = path.to_path_buf();
    let written = tokio::task::spawn_blocking(move || store::sidecar::write(&path, &about)).await;
    if let Ok(Err(e)) = written {
        tracing::warn!("metadata for {} not written: {e}", ctx.url);
    }
}

/// Waits for one network step, giving up on a cancel, when no data came for the stall timeout,
/// or at the file's deadline. Only network waits are cut short: disk work a download started
/// (a `.part` write) always finishes, so by the time a cancel or a time-out is reported the
/// `.part` file is gone.
async fn network<T>(
    ctx: &JobCtx,
    deadline: Instant,
    step: impl std::future::Future<Output = T>,
) -> Result<T, FetchError> {
    let s = &ctx.settings;
    let stall = Instant::now() + s.stall_timeout;
    tokio::select! {
        biased;
        _ = ctx.token.cancelled() => Err(FetchError::Cancelled),
        r = tokio::time::timeout_at(stall.min(deadline), step) => r.map_err(|_| {
            if deadline <= stall {
                FetchError::Deadline(s.deadline)
            } else {
                FetchError::Stalled(s.stall_timeout)
            }
        }),
    }
}

/// Waits for the site's answer to a request; one slow to come (a dead address, a busy server)
/// stops holding a global download slot meanwhile.
async fn answer<T>(ctx: &JobCtx, answer: impl std::future::Future<Output = T>) -> T {
    use super::dispatcher::{Internal, SLOW_ANSWER};
    let mut answer = std::pin::pin!(answer);
    tokio::select! {
        biased;
        answered = &mut answer => answered,
        _ = tokio::time::sleep(SLOW_ANSWER) => {
            let _ = ctx.internal.send(Internal::Slow(ctx.id));
            let answered = answer.await;
            let _ = ctx.internal.send(Internal::Answered(ctx.id));
            answered
        }
    }
}

pub(super) async fn attempt_once(
    ctx: &JobCtx,
    deadline: Instant,
    referer: Option<&Url>,
) -> Result<Downloaded, FetchError> {
    let s = &ctx.settings;
    ctx.events.send(Event::Started { id: ctx.id });
    let get = super::net::get(
        &ctx.net,
        &ctx.url,
        ctx.info.page.as_deref(),
        referer,
        s.allow_https_downgrade,
    );
    let mut response = answer(ctx, network(ctx, deadline, get)).await??;

    let status = response.status();
    if status.is_redirection() {
        // reqwest follows every redirect to a usable http(s) Location; one that reaches us has
        // no Location, or one pointing somewhere we must not go.
        return Err(match response.headers().get(LOCATION) {
            Some(location) => {
                FetchError::BadRedirect(String::from_utf8_lossy(location.as_bytes()).into_owned())
            }
            None => FetchError::RedirectWithoutLocation(status.as_u16()),
        });
    }
    if status == reqwest::StatusCode::PARTIAL_CONTENT {
        return Err(FetchError::UnexpectedPartial);
    }
    if status != reqwest::StatusCode::OK {
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        return Err(FetchError::Status {
            code: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            retry_after,
        });
    }
    let expected = response.content_length();
    if let Some(len) = expected
        && len > s.max_bytes
    {
        return Err(FetchError::TooLarge(s.max_bytes));
    }
    if let Some(len) = expected {
        filters::check_size(s, len).map_err(FetchError::Filtered)?;
    }
    // The start of the body, kept until the header gives the dimensions (for the filters).
    let filtering = filters::any(s);
    let mut probe: Option<Vec<u8>> = (s.min_width > 0 || s.min_height > 0).then(Vec::new);
    let disposition = response
        .headers()
        .get(CONTENT_DISPOSITION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let final_url = response.url().clone();
    let last_modified = response
        .headers()
        .get(LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .map(String::from);

    let mut head: Vec<u8> = Vec::with_capacity(store::SNIFF_LEN);
    let mut part: Option<(store::PartFile, store::Kind)> = None;
    let mut received: u64 = 0;
    let mut last_progress: Option<Instant> = None;
    let mut window_start = Instant::now();
    let mut window_bytes: u64 = 0;

    loop {
        let chunk = network(ctx, deadline, response.chunk())
            .await?
            .map_err(|e| from_reqwest(&e))?;
        let Some(chunk) = chunk else { break };
        received += chunk.len() as u64;
        if received > s.max_bytes {
            return Err(FetchError::TooLarge(s.max_bytes));
        }
        filters::check_not_larger(s, received).map_err(FetchError::Filtered)?;
        match part.as_mut() {
            Some((file, _)) => file.write_chunk(chunk.clone()).await?,
            None => {
                // The usual first chunk is long enough to tell the type: kept as it came.
                let first = if head.is_empty() && chunk.len() >= store::SNIFF_LEN {
                    Some(chunk.clone())
                } else {
                    head.extend_from_slice(&chunk);
                    (head.len() >= store::SNIFF_LEN).then(|| bytes::Bytes::from(head.clone()))
                };
                if let Some(first) = first {
                    let started = start_part(ctx, first).await?;
                    if filtering {
                        filters::check_type(s, started.1).map_err(FetchError::Filtered)?;
                    }
                    part = Some(started);
                }
            }
        }
        if let (Some(buf), Some((_, format))) = (probe.as_mut(), part.as_ref()) {
            if buf.is_empty() {
                buf.extend_from_slice(if head.is_empty() { &chunk } else { &head });
            } else {
                buf.extend_from_slice(&chunk);
            }
            if let Some(dims) = filters::dimensions(buf, *format) {
                filters::check_dimensions(s, dims).map_err(FetchError::Filtered)?;
                probe = None;
            } else if buf.len() > PROBE_LIMIT {
                probe = None; // a header this long is unusual; judged at the end
            }
        }

        let now = Instant::now();
        if last_progress.is_none_or(|t| now.duration_since(t) >= s.progress_interval) {
            last_progress = Some(now);
            ctx.events.send(Event::Progress {
                id: ctx.id,
                received,
                total: expected,
            });
        }
        // A server can keep a connection alive with a byte now and then; judge the average.
        let window = now.duration_since(window_start);
        if window >= s.min_speed_window {
            let speed = (received - window_bytes) as f64 / window.as_secs_f64();
            if speed < s.min_speed as f64 {
                return Err(FetchError::TooSlow {
                    min_speed: s.min_speed,
                    window: s.min_speed_window,
                });
            }
            window_start = now;
            window_bytes = received;
        }
    }

    if let Some(len) = expected
        && received < len
    {
        return Err(FetchError::Truncated {
            got: received,
            expected: len,
        });
    }
    let (file, format) = match part {
        Some(p) => p,
        None => {
            let started = start_part(ctx, bytes::Bytes::from(head.clone())).await?;
            if filtering {
                filters::check_start(s, started.1, &head).map_err(FetchError::Filtered)?;
            }
            started
        }
    };
    if filtering {
        filters::check_size(s, received).map_err(FetchError::Filtered)?;
    }
    let name = names::file_name(disposition.as_deref(), &final_url, Some(format));
    Ok(Downloaded {
        file,
        format,
        name,
        bytes: received,
        note: None,
        last_modified,
    })
}

/// Checks the first bytes are an image, then starts the `.part` file with them.
async fn start_part(
    ctx: &JobCtx,
    head: bytes::Bytes,
) -> Result<(store::PartFile, store::Kind), FetchError> {
    let Some(format) = store::sniff(&head) else {
        return Err(FetchError::NotAnImage(store::describe_non_image(&head)));
    };
    let mut file = ctx.store.begin();
    file.write_chunk(head).await?;
    Ok((file, format))
}

/// Most bytes kept to find an image's dimensions (a JPEG's can follow a large EXIF block).
const PROBE_LIMIT: usize = 256 * 1024;

/// Retry-After as seconds or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
