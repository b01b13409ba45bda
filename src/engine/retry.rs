//! Trying again: the loop around one download's attempts (backoff with jitter, a server's
//! Retry-After, the 403 that earns a Referer), and waiting between them without a download slot.

use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use super::Event;
use super::error::FetchError;
use super::fetch::{Downloaded, JobCtx, attempt_once};

/// Attempts the download until one attempt brings a complete, checked body.
pub(super) async fn download(ctx: &JobCtx) -> Result<Downloaded, FetchError> {
    if let Some(file) = &ctx.preview
        && let Some(done) = super::preview::reuse(ctx, file).await
    {
        return done;
    }
    let s = &ctx.settings;
    let deadline = Instant::now() + s.deadline;
    let mut attempt = 1;
    // A 403 to a request without a Referer earns one more try with the image's origin as
    // Referer (what most hotlink checks want), said on the item when it works.
    let mut referer: Option<Url> = None;
    loop {
        let sent = Instant::now();
        match attempt_once(ctx, deadline, referer.as_ref()).await {
            Ok(mut downloaded) => {
                if let Some(r) = &referer {
                    downloaded.note = Some(format!(
                        "the server refused it without a Referer; fetched with Referer {r}"
                    ));
                }
                return Ok(downloaded);
            }
            Err(FetchError::Status { code: 403, .. })
                if referer.is_none()
                    && ctx.info.page.is_none()
                    && !ctx.net.rules.sets_referer(&ctx.url) =>
            {
                referer = super::net::origin_of(&ctx.url);
                if referer.is_none() {
                    return Err(FetchError::Status {
                        code: 403,
                        reason: "Forbidden".into(),
                        retry_after: None,
                    });
                }
                ctx.events.send(Event::Retrying {
                    id: ctx.id,
                    attempt,
                    wait: Duration::ZERO,
                    reason: "HTTP 403 Forbidden: trying again with the site as Referer".into(),
                });
            }
            Err(e) if e.is_retryable() && attempt < e.attempts(s.max_attempts) => {
                if let FetchError::Status {
                    code: code @ (429 | 503),
                    retry_after,
                    ..
                } = &e
                {
                    let _ = ctx.internal.send(super::dispatcher::Internal::Throttled {
                        host: super::dispatcher::host_key(&ctx.url),
                        status: *code,
                        retry_after: *retry_after,
                        sent,
                    });
                }
                let wait = e
                    .retry_after()
                    .unwrap_or_else(|| backoff(s.backoff_base, attempt))
                    .min(s.backoff_max);
                if Instant::now() + wait >= deadline {
                    return Err(e);
                }
                attempt += 1;
                ctx.events.send(Event::Retrying {
                    id: ctx.id,
                    attempt,
                    wait,
                    reason: e.to_string(),
                });
                wait_for_next_try(ctx, wait).await?;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Waits `wait` without a download slot, then until the dispatcher gives one back: a site
/// failing with long backoffs must not keep the rest of the list from downloading.
async fn wait_for_next_try(ctx: &JobCtx, wait: Duration) -> Result<(), FetchError> {
    use super::dispatcher::Internal;
    let _ = ctx.internal.send(Internal::Backoff(ctx.id));
    tokio::select! {
        biased;
        _ = ctx.token.cancelled() => return Err(FetchError::Cancelled),
        _ = tokio::time::sleep(wait) => {}
    }
    let (slot, given) = tokio::sync::oneshot::channel();
    let _ = ctx.internal.send(Internal::Again(ctx.id, slot));
    tokio::select! {
        biased;
        _ = ctx.token.cancelled() => Err(FetchError::Cancelled),
        // Dropped unanswered only as the engine shuts down.
        given = given => given.map_err(|_| FetchError::Cancelled),
    }
}

/// Exponential backoff with jitter: about base·2^(n-1), drawn from its upper half so retries
/// from many files do not arrive together.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let full = base.saturating_mul(1u32 << (attempt - 1).min(16));
    full.mul_f64(0.5 + fastrand::f64() * 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter() {
        let base = Duration::from_millis(100);
        for attempt in 1..5 {
            let d = backoff(base, attempt);
            let full = base * (1 << (attempt - 1));
            assert!(d >= full / 2 && d <= full, "{d:?} vs {full:?}");
        }
    }
}
