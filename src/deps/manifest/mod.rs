//! Dependency manifests and lockfiles: recognising them and reading dependencies with their lines.
//!
//! One file per format. Every parser is total: malformed input becomes a notification naming the
//! file and line, never a panic, and the audit goes on with the other files.

pub mod pipfile_lock;
pub mod poetry_spec;
pub mod pyproject;
pub mod requirements;
pub mod setup_cfg;
pub mod toml_locks;
mod toml_util;

use std::path::{Path, PathBuf};

use crate::deps::dependency::Dependency;
use crate::finding::{Notification, NotificationLevel};

/// Files larger than this are not read: no real manifest is this big.
const MAX_MANIFEST_BYTES: u64 = 8 * 1024 * 1024;

/// The manifest formats flaskscan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Requirements,
    Pyproject,
    SetupCfg,
    PoetryLock,
    UvLock,
    PipfileLock,
    Pylock,
    PdmLock,
}

/// Classifies a file by its name; `None` when it is not a manifest.
pub fn format_of(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "pyproject.toml" => Format::Pyproject,
        "setup.cfg" => Format::SetupCfg,
        "poetry.lock" => Format::PoetryLock,
        "uv.lock" => Format::UvLock,
        "pipfile.lock" => Format::PipfileLock,
        "pdm.lock" => Format::PdmLock,
        "pylock.toml" => Format::Pylock,
        _ if lower.starts_with("pylock.") && lower.ends_with(".toml") => Format::Pylock,
        // `requirements.txt`, `requirements-dev.txt`, `dev-requirements.txt`, `requirements/…`.
        _ if lower.ends_with(".txt")
            && (lower.contains("requirements")
                || path
                    .parent()
                    .and_then(|p| p.file_name())
                    .is_some_and(|d| d == "requirements")) =>
        {
            Format::Requirements
        }
        _ => return None,
    })
}

/// What parsing one manifest produced.
#[derive(Debug, Default)]
pub struct Parsed {
    pub dependencies: Vec<Dependency>,
    pub notifications: Vec<Notification>,
}

impl Parsed {
    /// Records a warning about `path:line`.
    pub fn warn(&mut self, path: &str, line: Option<u32>, message: impl Into<String>) {
        self.notifications
            .push(Notification::file_warning(path, line, message));
    }

    /// Records an informational note about `path:line` (e.g. a skipped entry).
    pub fn note(&mut self, path: &str, line: Option<u32>, message: impl Into<String>) {
        self.notifications.push(Notification {
            level: NotificationLevel::Note,
            path: Some(path.to_string()),
            line,
            message: message.into(),
        });
    }
}

/// The scan root, canonicalised once, that every manifest read must stay inside.
#[derive(Debug, Clone)]
pub struct Root {
    canonical: PathBuf,
}

impl Root {
    /// Canonicalises `root`.
    pub fn new(root: &Path) -> std::io::Result<Self> {
        Ok(Root {
            canonical: root.canonicalize()?,
        })
    }

    /// Reads `path` (absolute or relative to the working directory) if it resolves, symlinks
    /// followed, to a regular file inside the root. Returns the `/`-separated relative path and
    /// the text without a BOM.
    pub fn read(&self, path: &Path) -> Result<(String, String), String> {
        let canonical = path
            .canonicalize()
            .map_err(|e| format!("cannot open: {e}"))?;
        let rel = canonical
            .strip_prefix(&self.canonical)
            .map_err(|_| "resolves outside the scan root; not read".to_string())?;
        let meta = std::fs::metadata(&canonical).map_err(|e| format!("cannot open: {e}"))?;
        if !meta.is_file() {
            return Err("not a regular file".into());
        }
        if meta.len() > MAX_MANIFEST_BYTES {
            return Err(format!("larger than {MAX_MANIFEST_BYTES} bytes; not read"));
        }
        let bytes = std::fs::read(&canonical).map_err(|e| format!("cannot read: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|_| "not valid UTF-8; not read".to_string())?;
        let text = text
            .strip_prefix('\u{feff}')
            .map(str::to_string)
            .unwrap_or(text);
        Ok((rel_string(rel), text))
    }

    /// The canonical root.
    pub fn path(&self) -> &Path {
        &self.canonical
    }
}

/// A relative path with `/` separators, as findings carry it.
pub fn rel_string(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Parses one manifest at `rel` (relative to the root). Includes are followed for requirements files.
pub fn parse(root: &Root, rel: &Path) -> Parsed {
    let mut out = Parsed::default();
    let display = rel_string(rel);
    let Some(format) = format_of(rel) else {
        out.warn(&display, None, "not a dependency manifest flaskscan reads");
        return out;
    };
    if format == Format::Requirements {
        return requirements::parse_tree(root, rel);
    }
    let (path, text) = match root.read(&root.path().join(rel)) {
        Ok(r) => r,
        Err(e) => {
            out.warn(&display, None, e);
            return out;
        }
    };
    match format {
        Format::Requirements => unreachable!("handled above"),
        Format::Pyproject => pyproject::parse(&path, &text, &mut out),
        Format::SetupCfg => setup_cfg::parse(&path, &text, &mut out),
        Format::PipfileLock => pipfile_lock::parse(&path, &text, &mut out),
        Format::PoetryLock => toml_locks::parse_poetry(&path, &text, &mut out),
        Format::UvLock => toml_locks::parse_uv(&path, &text, &mut out),
        Format::Pylock => toml_locks::parse_pylock(&path, &text, &mut out),
        Format::PdmLock => toml_locks::parse_pdm(&path, &text, &mut out),
    }
    out
}

/// A manifest's text with its line starts, so that finding a line is a binary search: parsers
/// ask once per dependency, and scanning from the top each time is quadratic on big files.
pub struct Lines<'t> {
    pub text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    /// Indexes the `\n`-separated lines of `text`.
    pub fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        Self { text, starts }
    }

    /// The 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        (self.starts.partition_point(|&s| s <= offset)) as u32
    }

    /// The text of 1-based `line` without its line ending (empty past the end).
    pub fn line(&self, line: u32) -> &'t str {
        let i = line.saturating_sub(1) as usize;
        let Some(&start) = self.starts.get(i) else {
            return "";
        };
        if start >= self.text.len() && i > 0 {
            return "";
        }
        let end = self.starts.get(i + 1).map_or(self.text.len(), |&e| e - 1);
        self.text[start..end].trim_end_matches('\r')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_manifests_by_name() {
        for (p, f) in [
            ("requirements.txt", Some(Format::Requirements)),
            ("sub/requirements-dev.txt", Some(Format::Requirements)),
            ("dev-requirements.txt", Some(Format::Requirements)),
            ("requirements/base.txt", Some(Format::Requirements)),
            ("pyproject.toml", Some(Format::Pyproject)),
            ("poetry.lock", Some(Format::PoetryLock)),
            ("uv.lock", Some(Format::UvLock)),
            ("Pipfile.lock", Some(Format::PipfileLock)),
            ("pylock.toml", Some(Format::Pylock)),
            ("pylock.dev.toml", Some(Format::Pylock)),
            ("pdm.lock", Some(Format::PdmLock)),
            ("setup.cfg", Some(Format::SetupCfg)),
            ("notes.txt", None),
            ("app.py", None),
        ] {
            assert_eq!(format_of(Path::new(p)), f, "{p}");
        }
    }

    #[test]
    fn lines_from_offsets() {
        let t = "a\nbb\r\nccc";
        let lines = Lines::new(t);
        assert_eq!(lines.line_of(0), 1);
        assert_eq!(lines.line_of(3), 2);
        assert_eq!(lines.line_of(7), 3);
        assert_eq!(lines.line(2), "bb");
        assert_eq!(lines.line(9), "");
    }
}
