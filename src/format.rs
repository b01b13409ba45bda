//! Sizes and durations in words people read: one place, so the window, the CLI and error messages
//! say `1.5 MB` and `30 s` the same way.

use std::time::Duration;

/// A day as `2026-11-20` (UTC) from seconds since 1970.
pub fn date(secs: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A moment as `2026-11-20T09:05:00Z` (UTC, RFC 3339) from seconds since 1970.
pub fn timestamp(secs: u64) -> String {
    let t = secs % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date(secs),
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// `400,000`: a count with its thousands grouped, so a long queue's size reads at a glance.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.5 MB`, `340 KB`, `12 B`: decimal units, as file managers show them.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

/// `500MB`, `20 GB`, `1.5TiB`, `4096` (bytes) as a byte count: decimal units (KB, MB, GB, TB),
/// binary ones (KiB, MiB, GiB, TiB), case ignored.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("not a size: {text:?} (try 500MB or 20GB)"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown size unit {other:?} (use KB, MB, GB, TB)")),
    };
    Ok((number * scale) as u64)
}

/// `30 s`, `0.3 s`, `1.5 s`: whole seconds without decimals (in error messages).
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if (s - s.round()).abs() < 1e-9 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// `2h 05m`, `3m 07s`, `12s`, `<1s`: compact, for an ETA.
pub fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h {:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else if s == 0 {
        "<1s".to_string()
    } else {
        format!("{s}s")
    }
}

/// Untrusted text (a rejected line, a server's words, a name) made safe to print on a terminal:
/// control characters, escape sequences and bidi overrides are shown as `\x1b`, `\u{202e}`,
/// never sent raw.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden =
        |c: char| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if (c as u32) < 0x80 && hidden(c) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Query keys whose values are secrets (matched ignoring case, also as a suffix: `x_api_key`).
const SECRET_KEYS: [&str; 14] = [
    "token",
    "sig",
    "signature",
    "key",
    "apikey",
    "api_key",
    "password",
    "passwd",
    "pass",
    "secret",
    "auth",
    "session",
    "credential",
    "code",
];

/// A URL as it may be shown to people: a password in it and the values of secret-looking query
/// parameters are replaced with `***` (`https://me:***@host/a.jpg?token=***&w=300`). Journals
/// keep the real URL (they need it to resume); they are private files.
pub fn redact_url(url: &url::Url) -> String {
    let secret = |key: &str| {
        let key = key.to_ascii_lowercase();
        SECRET_KEYS.iter().any(|s| {
            key == *s || key.ends_with(&format!("_{s}")) || key.ends_with(&format!("-{s}"))
        })
    };
    let has_secret_query = url.query_pairs().any(|(k, _)| secret(&k));
    if url.password().is_none() && !has_secret_query {
        return url.to_string();
    }
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    if has_secret_query {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret(&k) {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // `***` is shown as typed, not percent-encoded.
    shown.to_string().replace("%2A%2A%2A", "***")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_their_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(400_000), "400,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(timestamp(1_764_147_900), "2025-11-26T09:05:00Z");
    }

    #[test]
    fn dates_are_calendar_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(1_795_651_200), "2026-11-26");
    }

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(1_500), "1.5 KB");
        assert_eq!(human_bytes(340_000), "340 KB");
        assert_eq!(human_bytes(100 * 1024 * 1024), "105 MB");
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(visible("plain café"), "plain café");
        assert_eq!(visible("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(visible("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
    }

    #[test]
    fn secrets_in_urls_are_masked_for_people() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(
            redact_url(&u(
                "https://me:hunter2@cdn.example/a.jpg?token=abc&w=300&X-Amz-Signature=f00"
            )),
            "https://me:***@cdn.example/a.jpg?token=***&w=300&X-Amz-Signature=***"
        );
        assert_eq!(
            redact_url(&u("https://cdn.example/a.jpg?w=3")),
            "https://cdn.example/a.jpg?w=3"
        );
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size("1.5 GiB"), Ok(1_610_612_736));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3 parsecs").is_err());
    }

    #[test]
    fn durations_for_people() {
        assert_eq!(seconds(Duration::from_millis(300)), "0.3 s");
        assert_eq!(seconds(Duration::from_secs(30)), "30 s");
        assert_eq!(short_duration(Duration::from_millis(400)), "<1s");
        assert_eq!(short_duration(Duration::from_secs(187)), "3m 07s");
        assert_eq!(short_duration(Duration::from_secs(7500)), "2h 05m");
    }
}
