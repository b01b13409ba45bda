//! Which redirects are followed: at most ten, to http(s) only, never from https down to plain
//! http unless the settings allow it.

/// Most redirects followed for one request.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// Why a redirect is not followed.
#[derive(Debug, PartialEq)]
pub(crate) enum Refusal {
    TooMany,
    Scheme,
    Downgrade,
}

/// Whether the `followed`+1-th redirect, to a URL with scheme `to`, may be followed.
pub(crate) fn redirect_verdict(
    followed: usize,
    from_https: bool,
    to: &str,
    allow_downgrade: bool,
) -> Option<Refusal> {
    if followed > MAX_REDIRECTS {
        Some(Refusal::TooMany)
    } else if !matches!(to, "http" | "https") {
        Some(Refusal::Scheme)
    } else if from_https && to == "http" && !allow_downgrade {
        Some(Refusal::Downgrade)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_from_https_to_http_are_refused_unless_allowed() {
        assert_eq!(
            redirect_verdict(1, true, "http", false),
            Some(Refusal::Downgrade)
        );
        assert_eq!(redirect_verdict(1, true, "http", true), None);
        assert_eq!(redirect_verdict(1, true, "https", false), None);
        assert_eq!(redirect_verdict(1, false, "http", false), None);
        assert_eq!(
            redirect_verdict(1, false, "file", true),
            Some(Refusal::Scheme)
        );
        assert_eq!(
            redirect_verdict(11, false, "http", false),
            Some(Refusal::TooMany)
        );
    }
}
