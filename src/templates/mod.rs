//! Jinja templates: tokenized and scanned as HTML (never rendered or executed), linked to the
//! views that render them, and judged by the template rules (FS303–FS307).

pub mod check;
pub mod expr;
pub mod html;
pub mod lexer;
pub mod link;
pub mod model;

use std::ops::Range;

use crate::finding::Location;
use crate::python::source::LineIndex;

/// A template file of the scan with its model.
#[derive(Debug)]
pub struct TemplateFile {
    /// Path relative to the scan root.
    pub path: String,
    pub text: String,
    pub lines: LineIndex,
    pub model: model::Template,
    /// The bytes as read when decoding changed them (a BOM, Latin-1), for GitHub's line hashes.
    pub original: Option<Vec<u8>>,
}

impl TemplateFile {
    /// Analyses `text`, the content of the template at `path`.
    pub fn parse(path: &str, text: String) -> Self {
        let model = model::analyze(&text);
        let lines = LineIndex::new(&text);
        Self {
            path: path.to_string(),
            text,
            lines,
            model,
            original: None,
        }
    }

    /// The location of byte range `span`.
    pub fn location(&self, span: Range<usize>) -> Location {
        Location {
            path: self.path.clone(),
            start: self.lines.position(&self.text, span.start as u32),
            end: self.lines.position(&self.text, span.end as u32),
        }
    }
}
