//! Tests of the request rules (`src/engine/net.rs`).

use super::*;

fn settings(hosts: &[(&str, HostSettings)]) -> FetchSettings {
    FetchSettings {
        hosts: hosts
            .iter()
            .map(|(n, h)| (n.to_string(), h.clone()))
            .collect(),
        ..FetchSettings::default()
    }
}

fn header(map: &HeaderMap, name: HeaderName) -> Option<&str> {
    map.get(name).and_then(|v| v.to_str().ok())
}

#[test]
fn the_most_specific_host_table_wins_and_headers_merge() {
    let mut general = HostSettings {
        referer: Some("origin".into()),
        user_agent: Some("browser".into()),
        ..HostSettings::default()
    };
    general.headers.insert("X-Token".into(), "general".into());
    general.headers.insert("X-Site".into(), "yes".into());
    let mut cdn = HostSettings::default();
    cdn.headers.insert("X-Token".into(), "cdn".into());
    let (rules, warnings) = RequestRules::new(&settings(&[
        ("example.org", general),
        ("cdn.example.org", cdn),
    ]));
    assert!(warnings.is_empty(), "{warnings:?}");
    let url = Url::parse("https://i.cdn.example.org/a.jpg").unwrap();
    let h = rules.headers(&url, None, None);
    assert_eq!(header(&h, HeaderName::from_static("x-token")), Some("cdn"));
    assert_eq!(header(&h, HeaderName::from_static("x-site")), Some("yes"));
    assert_eq!(header(&h, USER_AGENT), Some(BROWSER_USER_AGENT));
    assert_eq!(header(&h, REFERER), Some("https://i.cdn.example.org/"));
    // Another site gets none of it.
    let other = rules.headers(
        &Url::parse("https://example.net/a.jpg").unwrap(),
        None,
        None,
    );
    assert_eq!(header(&other, REFERER), None);
    assert!(other.get("x-token").is_none());
    assert!(header(&other, USER_AGENT).unwrap().starts_with("Magpie/"));
    // A host that merely ends with the same letters is another host.
    assert!(!rules.sets_referer(&Url::parse("https://badexample.org/a.jpg").unwrap()));
}

#[test]
fn bad_settings_are_warnings_not_failures() {
    let mut h = HostSettings {
        referer: Some("sometimes".into()),
        cookies_file: Some(PathBuf::from("/nonexistent/cookies.txt")),
        ..HostSettings::default()
    };
    h.headers.insert("Bad Header".into(), "x".into());
    let (_, warnings) = RequestRules::new(&settings(&[("a.example", h)]));
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .all(|w| w.starts_with("[hosts.\"a.example\"]"))
    );
}
