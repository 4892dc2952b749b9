//! Small helpers over `toml_edit`'s span-preserving documents.

use toml_edit::{ImDocument, Item, Value};

use super::{Lines, Parsed};

/// Parses TOML, or records a warning at the error's line and returns `None`.
pub fn parse<'t>(path: &str, text: &'t str, out: &mut Parsed) -> Option<ImDocument<&'t str>> {
    match ImDocument::parse(text) {
        Ok(doc) => Some(doc),
        Err(e) => {
            let line = e.span().map(|s| Lines::new(text).line_of(s.start));
            let msg = e.message().trim().to_string();
            out.warn(path, line, format!("invalid TOML: {msg}"));
            None
        }
    }
}

/// The 1-based line where an item starts (1 when the span is unknown).
pub fn item_line(lines: &Lines, item: &Item) -> u32 {
    item.span().map_or(1, |s| lines.line_of(s.start))
}

/// The 1-based line where a value starts (1 when the span is unknown).
pub fn value_line(lines: &Lines, value: &Value) -> u32 {
    value.span().map_or(1, |s| lines.line_of(s.start))
}

/// A line number and the text of that line.
pub fn at<'t>(lines: &Lines<'t>, line: u32) -> (u32, &'t str) {
    (line, lines.line(line))
}
