//! What each request carries and which client sends it: User-Agent, Referer, cookies and extra
//! headers by host, the proxy, and the hosts whose broken certificates the user chose to accept.
//!
//! Rules come from the `[fetch]` defaults and the `[hosts."name"]` tables; a table applies to its
//! host and the host's subdomains, the most specific table wins, and headers merge from the least
//! to the most specific. Clients follow redirects only within one host: a redirect to another
//! host comes back to [`super::fetch`], which asks again with that host's rules, so cookies and
//! custom headers never travel to a host they were not given for.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use reqwest::header::{COOKIE, HeaderMap, HeaderName, HeaderValue, REFERER, USER_AGENT};
use url::Url;

use super::cookies::CookieJar;
use super::error::{FetchError, RedirectRefused, from_reqwest};
use crate::config::{FetchSettings, HostSettings};

/// How long a socket kept for a site's next image stays open unused.
const IDLE_SOCKET: std::time::Duration = std::time::Duration::from_secs(30);

/// The User-Agent of the `browser` preset: a current desktop Firefox.
pub const BROWSER_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

/// The User-Agent a setting names: `magpie` (Magpie's own), `browser`, or the exact text.
pub fn user_agent_for(setting: &str) -> String {
    match setting.trim() {
        "" | "magpie" => crate::config::user_agent(),
        "browser" => BROWSER_USER_AGENT.to_string(),
        other => other.to_string(),
    }
}

/// Which Referer a request carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Referer {
    /// None (the default): the server learns nothing about where the URL came from.
    None,
    /// The image's own origin (`https://host/`), what many hotlink checks accept.
    Origin,
    /// The page the image was found on, as a browser sends it (none when there is no page).
    Page,
    /// This exact URL.
    Url(Url),
}

impl Referer {
    /// Reads a setting: `none`, `origin`, `page` or a URL.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "" | "none" => Ok(Referer::None),
            "origin" => Ok(Referer::Origin),
            "page" => Ok(Referer::Page),
            other => Url::parse(other)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(Referer::Url)
                .ok_or_else(|| {
                    format!("referer '{other}' is not none, origin, page or an http(s) URL")
                }),
        }
    }
}

/// The origin of `url` as a Referer: `https://host:port/`.
pub fn origin_of(url: &Url) -> Option<Url> {
    Url::parse(&format!("{}/", url.origin().ascii_serialization())).ok()
}

/// The rules for one host, resolved.
#[derive(Debug, Clone, Default)]
struct Rule {
    user_agent: Option<String>,
    referer: Option<Referer>,
    headers: Vec<(HeaderName, HeaderValue)>,
    cookie: Option<String>,
    jars: Vec<PathBuf>,
    insecure: bool,
    per_host: Option<usize>,
    requests_per_second: Option<f64>,
}

/// Every host's rules, and the cookie files they name (loaded once).
#[derive(Debug, Default)]
pub struct RequestRules {
    default: Rule,
    /// Most specific (longest) first.
    hosts: Vec<(String, Rule)>,
    jars: HashMap<PathBuf, CookieJar>,
}

impl RequestRules {
    /// Builds the rules; what cannot be used (a bad header, an unreadable cookies file) is left
    /// out and said in the returned warnings.
    pub fn new(settings: &FetchSettings) -> (Self, Vec<String>) {
        let mut warnings = Vec::new();
        let global = HostSettings {
            user_agent: Some(settings.user_agent.clone()),
            referer: Some(settings.referer.clone()),
            headers: settings.headers.clone(),
            cookies_file: settings.cookies_file.clone(),
            cookie: None,
            accept_invalid_certs: false,
            per_host: None,
            requests_per_second: None,
        };
        let mut jars = HashMap::new();
        let mut resolve = |label: &str, h: &HostSettings| {
            let mut rule = Rule {
                user_agent: h.user_agent.as_deref().map(user_agent_for),
                referer: h.referer.as_deref().and_then(|r| match Referer::parse(r) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        warnings.push(format!("{label}: {e}"));
                        None
                    }
                }),
                cookie: h.cookie.clone(),
                insecure: h.accept_invalid_certs,
                per_host: h.per_host,
                requests_per_second: h.requests_per_second,
                ..Rule::default()
            };
            for (name, value) in &h.headers {
                match (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    (Ok(n), Ok(v)) => rule.headers.push((n, v)),
                    _ => warnings.push(format!("{label}: header '{name}' cannot be sent as given")),
                }
            }
            if let Some(path) = &h.cookies_file {
                if !jars.contains_key(path) {
                    match CookieJar::load(path) {
                        Ok(jar) => {
                            jars.insert(path.clone(), jar);
                        }
                        Err(e) => warnings.push(format!("{label}: {e}")),
                    }
                }
                if jars.contains_key(path) {
                    rule.jars.push(path.clone());
                }
            }
            rule
        };
        let default = resolve("[fetch]", &global);
        let mut hosts: Vec<(String, Rule)> = settings
            .hosts
            .iter()
            .map(|(name, h)| {
                let name = name.trim().trim_start_matches('.').to_ascii_lowercase();
                let rule = resolve(&format!("[hosts.\"{name}\"]"), h);
                (name, rule)
            })
            .collect();
        hosts.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
        (
            Self {
                default,
                hosts,
                jars,
            },
            warnings,
        )
    }

    /// The host tables that apply to `url`, most specific first.
    fn matching<'a>(&'a self, url: &Url) -> impl Iterator<Item = &'a Rule> + 'a {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        self.hosts
            .iter()
            .filter(move |(name, _)| {
                host == *name
                    || (host.len() > name.len()
                        && host.ends_with(name.as_str())
                        && host.as_bytes()[host.len() - name.len() - 1] == b'.')
            })
            .map(|(_, rule)| rule)
    }

    fn referer_policy(&self, url: &Url) -> Referer {
        self.matching(url)
            .find_map(|r| r.referer.clone())
            .or_else(|| self.default.referer.clone())
            .unwrap_or(Referer::None)
    }

    /// Whether a Referer is configured for `url` (else a 403 earns one retry with the origin).
    pub fn sets_referer(&self, url: &Url) -> bool {
        self.referer_policy(url) != Referer::None
    }

    /// The gap between starts and the connections allowed on `url`'s host: its table's
    /// `requests_per_second` and `per_host`, else `[fetch]`'s.
    pub fn pace(&self, url: &Url, settings: &FetchSettings) -> (std::time::Duration, usize) {
        let rps = self
            .matching(url)
            .find_map(|r| r.requests_per_second)
            .unwrap_or(settings.requests_per_second);
        let limit = self
            .matching(url)
            .find_map(|r| r.per_host)
            .unwrap_or(settings.per_host)
            .max(1);
        let gap = if rps > 0.0 && rps.is_finite() {
            std::time::Duration::from_secs_f64(1.0 / rps)
        } else {
            std::time::Duration::ZERO
        };
        (gap, limit)
    }

    /// Whether the user accepts invalid certificates from `url`'s host.
    pub fn insecure(&self, url: &Url) -> bool {
        self.matching(url).any(|r| r.insecure)
    }

    /// Hosts whose certificates are not checked (for a warning the user sees).
    pub fn insecure_hosts(&self) -> Vec<String> {
        self.hosts
            .iter()
            .filter(|(_, r)| r.insecure)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The headers of a request to `url`, found on `page` (if known); `referer` overrides the
    /// configured Referer (the 403 retry).
    pub fn headers(&self, url: &Url, page: Option<&Url>, referer: Option<&Url>) -> HeaderMap {
        let mut map = HeaderMap::new();
        let specific: Vec<&Rule> = self.matching(url).collect();
        // Least specific first, so the more specific tables overwrite.
        for rule in std::iter::once(&self.default).chain(specific.iter().rev().copied()) {
            for (name, value) in &rule.headers {
                map.insert(name.clone(), value.clone());
            }
        }
        if let Some(ua) = specific
            .iter()
            .find_map(|r| r.user_agent.clone())
            .or_else(|| self.default.user_agent.clone())
            && let Ok(v) = HeaderValue::from_str(&ua)
        {
            map.insert(USER_AGENT, v);
        }
        let referer = match referer {
            Some(r) => Some(r.clone()),
            None => match self.referer_policy(url) {
                // An image found on a page carries the page, as a browser sends it.
                Referer::None => page.cloned(),
                Referer::Origin => origin_of(url),
                Referer::Page => page.cloned(),
                Referer::Url(u) => Some(u),
            },
        };
        if let Some(r) = referer
            && let Ok(v) = HeaderValue::from_str(r.as_str())
        {
            map.insert(REFERER, v);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut cookies: Vec<String> = Vec::new();
        for rule in std::iter::once(&self.default).chain(specific.iter().copied()) {
            if let Some(c) = &rule.cookie {
                cookies.push(c.clone());
            }
            for path in &rule.jars {
                if let Some(c) = self.jars.get(path).and_then(|j| j.header_for(url, now)) {
                    cookies.push(c);
                }
            }
        }
        cookies.dedup();
        if !cookies.is_empty()
            && let Ok(v) = HeaderValue::from_str(&cookies.join("; "))
        {
            map.insert(COOKIE, v);
        }
        map
    }
}

/// GETs `url`, following redirects; each host is asked with its own rules (clients follow
/// redirects within a host and hand the others back here). `page`: where the URL was found;
/// `referer` overrides the configured Referer.
pub(crate) async fn get(
    net: &Net,
    url: &Url,
    page: Option<&Url>,
    referer: Option<&Url>,
    allow_downgrade: bool,
) -> Result<reqwest::Response, FetchError> {
    use redirects::{MAX_REDIRECTS, Refusal, redirect_verdict};
    let mut url = url.clone();
    let mut hops = 0;
    loop {
        let headers = net.rules.headers(&url, page, referer);
        let response = net
            .client_for(&url)
            .get(url.clone())
            .headers(headers)
            .send()
            .await
            .map_err(|e| from_reqwest(&e))?;
        if !response.status().is_redirection() {
            return Ok(response);
        }
        let Some(next) = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| response.url().join(l).ok())
        else {
            return Ok(response); // judged by the caller: no usable Location
        };
        hops += 1;
        let from_https = response.url().scheme() == "https";
        match redirect_verdict(hops, from_https, next.scheme(), allow_downgrade) {
            Some(Refusal::TooMany) => return Err(FetchError::TooManyRedirects(MAX_REDIRECTS)),
            Some(Refusal::Scheme) => {
                return Err(FetchError::BadRedirect(crate::format::redact_url(&next)));
            }
            Some(Refusal::Downgrade) => {
                return Err(FetchError::Downgrade(crate::format::redact_url(&next)));
            }
            None => url = next,
        }
    }
}

/// The clients and rules every download shares.
pub(crate) struct Net {
    client: reqwest::Client,
    /// For hosts whose certificates the user chose not to check; built only when some are.
    insecure: Option<reqwest::Client>,
    pub rules: RequestRules,
}

impl Net {
    /// Builds clients for `settings`; warnings say what in the settings could not be used.
    pub fn new(settings: &FetchSettings) -> Result<(Arc<Self>, Vec<String>), reqwest::Error> {
        let (rules, mut warnings) = RequestRules::new(settings);
        let proxy = match settings.proxy.trim() {
            "" => None,
            text => match reqwest::Proxy::all(text) {
                Ok(p) => Some(p),
                Err(e) => {
                    warnings.push(format!("proxy '{text}' cannot be used ({e}); using none"));
                    None
                }
            },
        };
        let client = build(settings, proxy.clone(), false)?;
        let insecure = if rules.insecure_hosts().is_empty() {
            None
        } else {
            Some(build(settings, proxy, true)?)
        };
        Ok((
            Arc::new(Self {
                client,
                insecure,
                rules,
            }),
            warnings,
        ))
    }

    /// The client for a request to `url`.
    pub fn client_for(&self, url: &Url) -> &reqwest::Client {
        match &self.insecure {
            Some(c) if self.rules.insecure(url) => c,
            _ => &self.client,
        }
    }
}

/// One client: one connection pool. It sends no automatic Referer (on a redirect reqwest would
/// send the previous URL, query and all), follows redirects only within one host, and refuses
/// those that leave http(s), loop, or drop from https to http unless allowed. Without a proxy
/// setting it uses the environment's (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, …).
fn build(
    settings: &FetchSettings,
    proxy: Option<reqwest::Proxy>,
    accept_invalid_certs: bool,
) -> reqwest::Result<reqwest::Client> {
    let allow_downgrade = settings.allow_https_downgrade;
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        let previous = attempt.previous().last().cloned();
        let from_https = previous.as_ref().is_some_and(|u| u.scheme() == "https");
        match redirects::redirect_verdict(
            attempt.previous().len(),
            from_https,
            attempt.url().scheme(),
            allow_downgrade,
        ) {
            Some(refused) => {
                let to = crate::format::redact_url(attempt.url());
                attempt.error(refused.into_error(to))
            }
            // Another host: back to the download, which asks again with that host's rules.
            None if previous.is_some_and(|p| {
                p.host_str() != attempt.url().host_str()
                    || p.port_or_known_default() != attempt.url().port_or_known_default()
            }) =>
            {
                attempt.stop()
            }
            None => attempt.follow(),
        }
    });
    let mut builder = reqwest::Client::builder()
        .user_agent(crate::config::user_agent())
        .connect_timeout(settings.connect_timeout)
        .redirect(policy)
        .referer(false)
        .pool_max_idle_per_host(settings.per_host.max(1))
        // A site's next image in a list sorted by site comes within moments; in a list of
        // thousands of sites, sockets idle for hyper's 90 s would add up to one per site reached
        // in the last minute and a half (open files: see `open_files`).
        .pool_idle_timeout(IDLE_SOCKET)
        .danger_accept_invalid_certs(accept_invalid_certs);
    if let Some(p) = proxy {
        builder = builder.proxy(p);
    }
    builder.build()
}

/// Keeps the type in use where the error is built.
impl redirects::Refusal {
    fn into_error(self, to: String) -> RedirectRefused {
        match self {
            redirects::Refusal::TooMany => RedirectRefused::TooMany(redirects::MAX_REDIRECTS),
            redirects::Refusal::Scheme => RedirectRefused::Scheme(to),
            redirects::Refusal::Downgrade => RedirectRefused::Downgrade(to),
        }
    }
}

mod redirects;

#[cfg(test)]
mod tests;
