//! What a server and a page say about a file, turned into a path in the output folder: the
//! Content-Disposition name, the URL's last segment, the page title, a name template. Whatever
//! they say, every folder and file name that comes out must be safe on any common OS: not
//! empty, at most 255 bytes, no separator, reserved or control character, no leading dot, no
//! trailing dot or space, no device name. A name that breaks one of these is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use magpie::store::template::Fields;
use magpie::store::{Kind, Template, names};

const DEVICES: [&str; 8] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "LPT1", "CONIN$", "CLOCK$",
];

fn check(name: &str, what: &str) {
    assert!(!name.is_empty(), "{what}: empty");
    assert!(name.len() <= 255, "{what}: {} bytes", name.len());
    assert!(
        !name
            .chars()
            .any(|c| c.is_control()
                || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')),
        "{what}: {name:?}"
    );
    assert!(!name.starts_with(['.', ' ']), "{what}: {name:?}");
    assert!(!name.ends_with(['.', ' ']), "{what}: {name:?}");
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    assert!(!DEVICES.contains(&stem.as_str()), "{what}: {name:?}");
}

fuzz_target!(|input: (&str, &str, &str, &str, u8, u16)| {
    let (disposition, path, title, template, kind, index) = input;
    let Ok(url) = url::Url::parse(&format!("https://example.com/{path}")) else {
        return;
    };
    let kind = Kind::ALL[usize::from(kind) % Kind::ALL.len()];
    let disposition = (!disposition.is_empty()).then_some(disposition);
    let server_name = names::file_name(disposition, &url, Some(kind));
    check(&server_name, "server name");
    let Ok(template) = Template::parse(template) else {
        return;
    };
    let stem = server_name
        .rsplit_once('.')
        .map_or(server_name.as_str(), |(s, _)| s);
    let path = template.render(&Fields {
        name: stem,
        ext: kind.extension(),
        host: url.host_str().unwrap_or(""),
        index: Some((u64::from(index) + 1, 70_000)),
        date: "2026-11-27",
        hash8: "0123abcd",
        page_title: (!title.is_empty()).then_some(title),
    });
    for dir in &path.dirs {
        check(dir, "folder");
    }
    check(&path.file, "file");
});
