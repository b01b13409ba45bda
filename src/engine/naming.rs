//! What a finished download is called: the folder's name template filled in with what is known
//! of the download (its server name, host, place in its list, content hash, page title).

use url::Url;

use super::JobInfo;
use super::fetch::JobCtx;
use crate::store::{self, PartFile, RelPath, Template, template::Fields};

/// Today as `2026-11-26` (UTC).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    crate::format::date(secs)
}

/// The path inside the folder for a complete download whose own name is `server_name`
/// (`stem.ext`, already sanitized and with the extension its content calls for).
pub(crate) fn place(
    ctx: &JobCtx,
    server_name: &str,
    format: store::Kind,
    file: &PartFile,
) -> RelPath {
    let template = &ctx.settings.template;
    if template.is_default() {
        return RelPath::file(server_name);
    }
    let hash = if template.uses("hash8") {
        file.content_hash()
    } else {
        String::new()
    };
    let ext = format.extension();
    let (stem, _) = store::names::split_ext(server_name);
    render(
        template,
        &ctx.url,
        &ctx.info,
        stem,
        ext,
        hash.get(..8).unwrap_or(""),
    )
}

/// What `url` would be called before it is downloaded (a preview, `--dry-run`): the name and
/// extension from the URL, `{hash8}` left as it is (known only once the bytes are in).
pub fn preview(template: &Template, url: &Url, info: &JobInfo) -> String {
    let guess = store::names::file_name(None, url, None);
    let (stem, ext) = store::names::split_ext(&guess);
    let ext = if ext.is_empty() { "{ext}" } else { ext };
    render(template, url, info, stem, ext, "{hash8}").to_string()
}

fn render(
    template: &Template,
    url: &Url,
    info: &JobInfo,
    stem: &str,
    ext: &str,
    hash8: &str,
) -> RelPath {
    let date = today();
    template.render(&Fields {
        name: stem,
        ext,
        host: url.host_str().unwrap_or(""),
        index: info.index,
        date: &date,
        hash8,
        page_title: info.page_title.as_deref(),
    })
}
