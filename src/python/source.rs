//! A parsed Python file: text, line index, AST and comments, built once and shared by every rule.

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::ModModule;
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::finding::Position;

/// Byte offsets of line starts, for turning offsets into 1-based positions.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    /// Indexes `text`; `\n`, `\r\n` and lone `\r` all end a line.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0u32];
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                starts.push(i as u32 + 1);
            }
        }
        Self { starts }
    }

    /// 0-based line containing `offset`.
    pub fn line_of(&self, offset: u32) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether the text had no lines at all (never: an empty text has one empty line).
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Byte offset where the 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> u32 {
        self.starts[line]
    }

    /// The 1-based position of byte `offset` in `text`.
    pub fn position(&self, text: &str, offset: u32) -> Position {
        let offset = offset.min(text.len() as u32);
        let line = self.line_of(offset);
        let start = self.starts[line] as usize;
        let mut end = offset as usize;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let prefix = &text[start..end];
        // Most lines are ASCII, where both columns are the byte offset (a fast check).
        let (chars, utf16) = if prefix.is_ascii() {
            (prefix.len(), prefix.len())
        } else {
            (prefix.chars().count(), prefix.encode_utf16().count())
        };
        Position {
            line: line as u32 + 1,
            column: chars as u32 + 1,
            column_utf16: utf16 as u32 + 1,
        }
    }

    /// The text of the 0-based `line`, without its line ending.
    pub fn line_text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let start = self.starts[line] as usize;
        let end = self
            .starts
            .get(line + 1)
            .map_or(text.len(), |&e| e as usize);
        text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// A comment token: its text and 1-based line.
#[derive(Debug, Clone)]
pub struct Comment {
    pub line: u32,
    pub text: String,
}

/// One Python file, parsed once.
pub struct SourceFile {
    /// Path relative to the scan root, `/`-separated.
    pub path: String,
    /// Dotted module name derived from the path (`app/views.py` → `app.views`).
    pub module: String,
    pub text: String,
    pub lines: LineIndex,
    /// The tree; the parser's tokens are not kept (comments are copied out), as every file's
    /// tree stays in memory for the cross-module passes.
    pub ast: ModModule,
    pub comments: Vec<Comment>,
    /// The bytes as read when decoding changed them (a BOM, Latin-1), for GitHub's line hashes.
    pub original: Option<Vec<u8>>,
}

/// A syntax error reported by the parser.
#[derive(Debug, Clone)]
pub struct SyntaxProblem {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl SourceFile {
    /// Parses `text`. The parser recovers from errors, so a file with syntax errors still yields
    /// an AST; the errors are returned for the caller to report.
    pub fn parse(path: &str, text: String) -> (Self, Vec<SyntaxProblem>) {
        let parsed = parse_unchecked_source(&text, ruff_python_ast::PySourceType::Python);
        let lines = LineIndex::new(&text);
        let comments = parsed
            .tokens()
            .iter()
            .filter(|t| t.kind() == TokenKind::Comment)
            .map(|t| Comment {
                line: lines.line_of(t.start().to_u32()) as u32 + 1,
                text: text[t.range()].to_string(),
            })
            .collect();
        let problems = parsed
            .errors()
            .iter()
            .map(|e| {
                let pos = lines.position(&text, e.location.start().to_u32());
                SyntaxProblem {
                    line: pos.line,
                    column: pos.column,
                    message: e.error.to_string(),
                }
            })
            .collect();
        let file = Self {
            path: path.to_string(),
            module: module_name(path),
            text,
            lines,
            ast: parsed.into_syntax(),
            comments,
            original: None,
        };
        (file, problems)
    }

    /// The module body.
    pub fn body(&self) -> &[ruff_python_ast::Stmt] {
        &self.ast.body
    }

    /// Start and end positions of `range`.
    pub fn span(&self, range: TextRange) -> (Position, Position) {
        (
            self.lines.position(&self.text, range.start().to_u32()),
            self.lines.position(&self.text, range.end().to_u32()),
        )
    }

    /// The 1-based line of `offset`.
    pub fn line_number(&self, offset: TextSize) -> u32 {
        self.lines.line_of(offset.to_u32()) as u32 + 1
    }

    /// The source text of `range`.
    pub fn slice(&self, range: TextRange) -> &str {
        &self.text[range]
    }
}

/// Real code nests brackets and f-strings a few dozen levels at most; the parser's time grows
/// with the square of nested f-strings, so a hostile file is refused before parsing.
pub const MAX_PARSE_NESTING: usize = 1000;

/// Real code chains a few dozen attribute accesses, calls and subscripts at most
/// (`query.filter(...).order_by(...)`); resolving a chain's dotted name at each link takes time
/// in the square of its length, so a file with a longer one is not analysed.
pub const MAX_CHAIN: usize = 1000;

/// The longest chain of attribute accesses, calls and subscripts (`a.b(c)[d].e`) in `module`.
pub fn longest_chain(module: &ModModule) -> usize {
    use ruff_python_ast::visitor::{walk_expr, walk_stmt, Visitor};
    use ruff_python_ast::{Expr, Stmt};

    #[derive(Default)]
    struct Chains {
        longest: usize,
    }
    impl<'a> Visitor<'a> for Chains {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            // The chain is followed down its spine here, once: its links' other parts (call
            // arguments, subscripts) are visited on the way, its base after.
            let mut links = 0;
            let mut cur = expr;
            loop {
                match cur {
                    Expr::Attribute(a) => cur = &a.value,
                    Expr::Call(c) => {
                        for arg in &*c.arguments.args {
                            self.visit_expr(arg);
                        }
                        for kw in &*c.arguments.keywords {
                            self.visit_expr(&kw.value);
                        }
                        cur = &c.func;
                    }
                    Expr::Subscript(s) => {
                        self.visit_expr(&s.slice);
                        cur = &s.value;
                    }
                    _ => break,
                }
                links += 1;
            }
            self.longest = self.longest.max(links);
            if links == 0 {
                walk_expr(self, expr);
            } else {
                self.visit_expr(cur);
            }
        }
    }
    let mut chains = Chains::default();
    chains.visit_body(&module.body);
    chains.longest
}

/// Whether a path is test code: under `tests/` or `test/`, or named `test_*.py`, `*_test.py`,
/// `conftest.py`, or a module of test helpers (`testutils.py`, `testing.py`).
pub fn is_test_path(path: &str) -> bool {
    let mut parts = path.split('/');
    let name = parts.next_back().unwrap_or(path);
    let folders: Vec<&str> = parts.collect();
    folders
        .iter()
        .any(|p| *p == "tests" || *p == "test" || *p == "testing")
        || name.starts_with("test_")
        || name.ends_with("_test.py")
        || matches!(
            name,
            "conftest.py" | "testutils.py" | "testing.py" | "testhelpers.py"
        )
        || is_behave_file(&folders, name)
}

/// behave's layout: `features/environment.py` (its hooks) and `features/steps/*.py`, which
/// behave loads by path; nothing in the app imports them.
fn is_behave_file(folders: &[&str], name: &str) -> bool {
    match folders {
        [.., "features"] => name == "environment.py",
        [.., "features", "steps"] => true,
        _ => false,
    }
}

/// `pkg/mod.py` → `pkg.mod`; `pkg/__init__.py` → `pkg`; a leading `src/` is dropped.
pub fn module_name(path: &str) -> String {
    let stem = path
        .strip_suffix(".py")
        .or_else(|| path.strip_suffix(".pyw"))
        .unwrap_or(path);
    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
    let stem = stem.strip_prefix("src/").unwrap_or(stem);
    stem.replace('/', ".")
}

/// Decodes file bytes as Python does: UTF-8 (BOM allowed) unless a PEP 263 cookie names Latin-1.
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let cookie = coding_cookie(bytes);
    match cookie.as_deref() {
        None | Some("utf-8" | "utf8" | "utf_8") => String::from_utf8(bytes.to_vec()).map_err(|e| {
            format!(
                "not valid UTF-8 (byte {}) and no coding cookie",
                e.utf8_error().valid_up_to()
            )
        }),
        Some("latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "latin_1" | "iso-latin-1") => {
            Ok(bytes.iter().map(|&b| b as char).collect())
        }
        Some("ascii" | "us-ascii") if bytes.is_ascii() => {
            Ok(String::from_utf8_lossy(bytes).into_owned())
        }
        Some(other) => match String::from_utf8(bytes.to_vec()) {
            // A cookie naming another encoding is harmless when the text is plain UTF-8.
            Ok(text) if bytes.is_ascii() => Ok(text),
            _ => Err(format!(
                "unsupported source encoding `{other}` (coding cookie)"
            )),
        },
    }
}

/// The encoding named by a PEP 263 cookie on one of the first two lines, lowercased.
fn coding_cookie(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|&b| b == b'\n').take(2) {
        let line = String::from_utf8_lossy(line);
        let trimmed = line.trim_start();
        if !trimmed.starts_with('#') {
            continue;
        }
        let Some(pos) = trimmed.find("coding") else {
            continue;
        };
        let rest = &trimmed[pos + "coding".len()..];
        let Some(rest) = rest.strip_prefix([':', '=']) else {
            continue;
        };
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if !name.is_empty() {
            return Some(name.to_ascii_lowercase());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_chars_and_utf16_units() {
        let text = "x = '😀'; y\nz";
        let idx = LineIndex::new(text);
        let y = text.find('y').unwrap() as u32;
        let p = idx.position(text, y);
        assert_eq!((p.line, p.column, p.column_utf16), (1, 10, 11));
        let z = idx.position(text, text.find('z').unwrap() as u32);
        assert_eq!((z.line, z.column), (2, 1));
    }

    #[test]
    fn test_paths() {
        assert!(is_test_path("tests/test_app.py"));
        assert!(is_test_path("app/conftest.py"));
        assert!(is_test_path("pkg/views_test.py"));
        assert!(!is_test_path("app/contest.py"));
        assert!(is_test_path("invenio_accounts/testutils.py"));
        assert!(!is_test_path("app/testimonials.py"));
        assert!(!is_test_path("latest/app.py"));
        assert!(is_test_path("features/environment.py"));
        assert!(is_test_path("web/features/steps/calendar_steps.py"));
        assert!(!is_test_path("app/features/flags.py"));
    }

    #[test]
    fn module_names() {
        assert_eq!(module_name("app/views.py"), "app.views");
        assert_eq!(module_name("app/__init__.py"), "app");
        assert_eq!(module_name("src/pkg/a.py"), "pkg.a");
    }

    #[test]
    fn decoding_honours_latin1_cookie() {
        assert_eq!(
            decode(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n")
                .unwrap()
                .chars()
                .nth(31),
            Some('é')
        );
        assert!(decode(b"x = '\xff'\n").is_err());
        assert!(decode(b"# coding: cp1252\nx = '\x80'\n").is_err());
    }
}
