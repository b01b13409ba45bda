//! Name templates: `{host}/{name}.{ext}`, `{index}-{hash8}.{ext}`, … turned into a path inside
//! the output folder.
//!
//! A template is split on `/` when it is read, before any field is filled in, so a `/` in a URL,
//! a page title or a server's file name never makes a folder. Every component is then sanitized
//! and byte-capped like any downloaded name ([`names::sanitize`]): `..`, a leading dot, a device
//! name or a control character cannot climb out of the folder or hide a file. Empty folder
//! components (a `{page_title}` for an image that came from no page) are left out; a template
//! whose last part has no `{ext}` gets `.{ext}` added, so a file always says what it is.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::names;

/// The fields a template may use.
const FIELDS: [&str; 7] = [
    "name",
    "ext",
    "host",
    "index",
    "date",
    "hash8",
    "page_title",
];

/// Folder levels a template may create, at most.
const MAX_DEPTH: usize = 8;

/// A name template, checked when it is read. The default, `{name}.{ext}`, is the name the server
/// gave (or the URL's last part) with the extension the content calls for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Template {
    text: String,
    /// Components between `/`, each a list of pieces.
    parts: Vec<Vec<Piece>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(&'static str),
}

/// Why a template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "{{{0}}} is not a field of a name template (use {{name}}, {{ext}}, {{host}}, {{index}}, {{date}}, {{hash8}} or {{page_title}})"
    )]
    UnknownField(String),
    #[error("a {{ has no closing }} in the name template (write {{{{ for a brace)")]
    Unclosed,
    #[error("a }} has no opening {{ in the name template (write }}}} for a brace)")]
    Unopened,
    #[error("the name template makes no file name")]
    Empty,
    #[error("the name template makes more than {MAX_DEPTH} folder levels")]
    TooDeep,
}

/// What one download fills a template with.
#[derive(Debug, Clone, Default)]
pub struct Fields<'a> {
    /// The name the server gave or the URL's last part, without extension.
    pub name: &'a str,
    /// The extension the content calls for (`jpg`).
    pub ext: &'a str,
    pub host: &'a str,
    /// Position in its batch, from 1, and the batch's size (0: not known ahead).
    pub index: Option<(u64, u64)>,
    /// `2026-11-26`.
    pub date: &'a str,
    /// The first 8 hex digits of the content's BLAKE3.
    pub hash8: &'a str,
    pub page_title: Option<&'a str>,
}

/// A path inside the output folder: folders (maybe none) and a file name, each one sanitized
/// component.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RelPath {
    pub dirs: Vec<String>,
    pub file: String,
}

impl RelPath {
    /// A file directly in the folder.
    pub fn file(name: impl Into<String>) -> Self {
        Self {
            dirs: Vec::new(),
            file: name.into(),
        }
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.dirs {
            write!(f, "{d}/")?;
        }
        f.write_str(&self.file)
    }
}

impl Default for Template {
    fn default() -> Self {
        Self::parse("{name}.{ext}").unwrap_or_else(|_| unreachable!("the default template parses"))
    }
}

impl Template {
    /// Reads a template: literal text with `{field}`s, `/` between folders, `{{` and `}}` for
    /// braces.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = vec![Vec::new()];
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        let flush = |literal: &mut String, part: &mut Vec<Piece>| {
            if !literal.is_empty() {
                part.push(Piece::Text(std::mem::take(literal)));
            }
        };
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err(TemplateError::Unopened),
                '{' => {
                    let mut field = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => field.push(c),
                            None => return Err(TemplateError::Unclosed),
                        }
                    }
                    let known = FIELDS
                        .iter()
                        .find(|f| **f == field.trim())
                        .ok_or(TemplateError::UnknownField(field))?;
                    let part = parts.last_mut().unwrap_or_else(|| unreachable!());
                    flush(&mut literal, part);
                    part.push(Piece::Field(known));
                }
                '/' => {
                    let part = parts.last_mut().unwrap_or_else(|| unreachable!());
                    flush(&mut literal, part);
                    parts.push(Vec::new());
                }
                c => literal.push(c),
            }
        }
        let part = parts.last_mut().unwrap_or_else(|| unreachable!());
        flush(&mut literal, part);
        parts.retain(|p| !p.is_empty());
        match parts.last() {
            None => return Err(TemplateError::Empty),
            Some(last) if !last.contains(&Piece::Field("ext")) => {
                let last = parts.last_mut().unwrap_or_else(|| unreachable!());
                last.push(Piece::Text(".".into()));
                last.push(Piece::Field("ext"));
            }
            Some(_) => {}
        }
        if parts.len() > MAX_DEPTH + 1 {
            return Err(TemplateError::TooDeep);
        }
        Ok(Self {
            text: text.to_string(),
            parts,
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it is the default `{name}.{ext}` (names as the server gives them).
    pub fn is_default(&self) -> bool {
        self.parts == Self::default().parts
    }

    /// Whether the template uses `field` (`"hash8"`).
    pub fn uses(&self, field: &str) -> bool {
        self.parts
            .iter()
            .flatten()
            .any(|p| matches!(p, Piece::Field(f) if *f == field))
    }

    /// The path one download gets: every component sanitized and capped, empty folders left out.
    pub fn render(&self, fields: &Fields<'_>) -> RelPath {
        let (folders, last) = self.parts.split_at(self.parts.len().saturating_sub(1));
        let dirs = folders
            .iter()
            .map(|part| {
                let component = names::sanitize(&fill(part, fields));
                names::truncate_bytes(&component, names::MAX_NAME_BYTES)
                    .trim_end_matches(['.', ' '])
                    .to_string()
            })
            .filter(|c| !c.is_empty())
            .collect();
        let file = names::sanitize(&fill(last.first().map_or(&[][..], |p| p), fields));
        // Nothing but the extension (a `{page_title}.{ext}` with no page): the usual name.
        let file = if file.is_empty() || file == fields.ext {
            names::sanitize(&format!("{}.{}", fields.name, fields.ext))
        } else {
            file
        };
        let (stem, ext) = names::split_ext(&file);
        RelPath {
            dirs,
            file: names::join_limited(stem, ext),
        }
    }
}

/// One component with its fields filled in; each value sanitized on its own first, so a `/` in
/// a value is a character, never a folder.
fn fill(part: &[Piece], f: &Fields<'_>) -> String {
    let mut out = String::new();
    for piece in part {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Field(field) => {
                let value = match *field {
                    "name" => f.name.to_string(),
                    "ext" => f.ext.to_string(),
                    "host" => f.host.to_string(),
                    "index" => index(f.index),
                    "date" => f.date.to_string(),
                    "hash8" => f.hash8.to_string(),
                    "page_title" => f.page_title.unwrap_or_default().to_string(),
                    _ => String::new(),
                };
                let value = names::sanitize(&value);
                // Room for the rest of the name: no single field takes all of it.
                out.push_str(names::truncate_bytes(&value, names::MAX_NAME_BYTES / 2));
            }
        }
    }
    out
}

/// `007` for the 7th of 250; 6 digits when the batch's size is not known ahead (a pipe).
fn index(index: Option<(u64, u64)>) -> String {
    match index {
        None => String::new(),
        Some((n, of)) => {
            let width = if of == 0 { 6 } else { of.to_string().len() };
            format!("{n:0width$}")
        }
    }
}

impl TryFrom<String> for Template {
    type Error = TemplateError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Template> for String {
    fn from(t: Template) -> Self {
        t.text
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests;
