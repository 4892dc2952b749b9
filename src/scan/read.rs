//! Reading a file for the scan: its text (refusing binary and UTF-16 files), and its parse, each
//! failure a notification rather than a lost scan.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::finding::{Notification, NotificationLevel};
use crate::python::source;
use crate::python::SourceFile;
use crate::templates::TemplateFile;
use crate::workspace::SourcePath;

/// A file's text, and its bytes as read when decoding changed them (a BOM dropped, Latin-1
/// decoded): GitHub hashes the lines of the file as it is, not of our decoding.
pub(super) fn read_text(f: &SourcePath) -> Result<(String, Option<Vec<u8>>), Notification> {
    let bytes = std::fs::read(&f.path)
        .map_err(|e| Notification::file_warning(&f.relative, None, format!("cannot read: {e}")))?;
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Notification::file_warning(
            &f.relative,
            None,
            "UTF-16 text (it starts with a UTF-16 byte order mark): not scanned; save it as UTF-8",
        ));
    }
    if bytes.contains(&0) {
        return Err(Notification::file_warning(
            &f.relative,
            None,
            "binary file (contains NUL bytes): not scanned",
        ));
    }
    let text = source::decode(&bytes)
        .map_err(|e| Notification::file_warning(&f.relative, None, format!("{e}: not scanned")))?;
    let original = (text.as_bytes() != bytes.as_slice()).then_some(bytes);
    Ok((text, original))
}

pub(crate) fn parse_python(f: &SourcePath) -> Result<SourceFile, Notification> {
    let (text, original) = read_text(f)?;
    let relative = f.relative.clone();
    let too_deep = crate::nesting::deeper_than(&text, source::MAX_PARSE_NESTING);
    // Each link of a chain is a `.`, `(` or `[`: a file with fewer cannot hold a long chain, and
    // most files are spared a second walk of their tree.
    let may_chain =
        memchr::memchr3_iter(b'.', b'(', b'[', text.as_bytes()).count() > source::MAX_CHAIN;
    if let Some(deepest) = too_deep {
        return Err(Notification::file_warning(
            &relative,
            None,
            format!(
                "brackets or f-strings nest {deepest} deep (more than {}); file not parsed",
                source::MAX_PARSE_NESTING
            ),
        ));
    }
    let result = catch_unwind(AssertUnwindSafe(|| SourceFile::parse(&relative, text)));
    match result {
        Ok((mut file, problems)) => match problems.first() {
            None if may_chain && source::longest_chain(&file.ast) > source::MAX_CHAIN => {
                Err(Notification::file_warning(
                    &relative,
                    None,
                    format!(
                        "an expression chains more than {} attribute accesses, calls or subscripts; file not analysed",
                        source::MAX_CHAIN
                    ),
                ))
            }
            None => {
                file.original = original;
                Ok(file)
            }
            // A recovered tree is a guess; findings on it would be guesses too.
            Some(p) => Err(Notification {
                level: NotificationLevel::Error,
                path: Some(f.relative.clone()),
                line: Some(p.line),
                message: format!(
                    "syntax error at {}:{}: {} ({} error(s) in the file); file not analysed",
                    p.line,
                    p.column,
                    p.message,
                    problems.len()
                ),
            }),
        },
        Err(_) => Err(Notification {
            level: NotificationLevel::Error,
            path: Some(f.relative.clone()),
            line: None,
            message: "internal error while parsing; file not analysed".into(),
        }),
    }
}

pub(super) fn read_template(f: &SourcePath) -> Result<TemplateFile, Notification> {
    let (text, original) = read_text(f)?;
    let parsed = catch_unwind(AssertUnwindSafe(|| TemplateFile::parse(&f.relative, text)));
    parsed
        .map(|t| TemplateFile { original, ..t })
        .map_err(|_| Notification {
            level: NotificationLevel::Error,
            path: Some(f.relative.clone()),
            line: None,
            message: "internal error while reading the template; file not analysed".into(),
        })
}
