//! The Jinja tokenizer: splits a template into raw text, `{{ output }}`, `{% statement %}` and
//! `{# comment #}` tokens, honouring strings and brackets inside delimiters (as Jinja's own lexer
//! does, `}}` inside `{'a': {'b': 1}}` does not end an output) and `{% raw %}` blocks.
//!
//! Work is linear in the input: every byte is looked at a bounded number of times.

use std::ops::Range;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Template text (HTML), rendered as is.
    Text,
    /// The body of a `{% raw %}` block: text Jinja does not interpret.
    Raw,
    /// `{{ ... }}`.
    Output,
    /// `{% ... %}`.
    Statement,
    /// `{# ... #}`.
    Comment,
}

/// One token: its whole span and the span of its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    /// Byte range of the whole token, delimiters included.
    pub span: Range<usize>,
    /// Byte range of the content, without delimiters, whitespace-control marks and outer spaces.
    pub inner: Range<usize>,
}

/// A place where the template is not valid Jinja.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub offset: usize,
    pub message: String,
}

/// The tokens of a template, and where tokenizing had to stop.
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub problems: Vec<Problem>,
}

/// Tokenizes `text`. After an unclosed delimiter the rest of the file is left out (Jinja itself
/// refuses such a template) and a problem says where.
pub fn lex(text: &str) -> Lexed {
    let bytes = text.as_bytes();
    let mut out = Lexed::default();
    let mut pos = 0;
    while pos < bytes.len() {
        let Some(open) = next_open(bytes, pos) else {
            out.tokens
                .push(token(TokenKind::Text, pos..bytes.len(), pos..bytes.len()));
            break;
        };
        if open > pos {
            out.tokens
                .push(token(TokenKind::Text, pos..open, pos..open));
        }
        let (kind, end_delim) = match bytes[open + 1] {
            b'{' => (TokenKind::Output, b'}'),
            b'%' => (TokenKind::Statement, b'%'),
            _ => (TokenKind::Comment, b'#'),
        };
        let close = if kind == TokenKind::Comment {
            find(bytes, open + 2, b"#}")
        } else {
            find_close(bytes, open + 2, end_delim)
        };
        let Some(close) = close else {
            let what = match kind {
                TokenKind::Output => "`{{`",
                TokenKind::Statement => "`{%`",
                _ => "`{#`",
            };
            out.problems.push(Problem {
                offset: open,
                message: format!("unclosed {what}: the rest of the template was not analysed"),
            });
            break;
        };
        let span = open..close + 2;
        let inner = trim_inner(text, open + 2, close);
        pos = span.end;
        let is_raw = kind == TokenKind::Statement && text[inner.clone()].trim() == "raw";
        out.tokens.push(token(kind, span, inner));
        if is_raw {
            match find_endraw(text, pos) {
                Some((body_end, tag)) => {
                    out.tokens
                        .push(token(TokenKind::Raw, pos..body_end, pos..body_end));
                    let inner = trim_inner(text, tag.start + 2, tag.end - 2);
                    pos = tag.end;
                    out.tokens.push(token(TokenKind::Statement, tag, inner));
                }
                None => {
                    out.problems.push(Problem {
                        offset: pos,
                        message: "`{% raw %}` without `{% endraw %}`".into(),
                    });
                    out.tokens
                        .push(token(TokenKind::Raw, pos..bytes.len(), pos..bytes.len()));
                    break;
                }
            }
        }
    }
    out
}

fn token(kind: TokenKind, span: Range<usize>, inner: Range<usize>) -> Token {
    Token { kind, span, inner }
}

/// The next `{{`, `{%` or `{#` at or after `from`.
fn next_open(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 1 < bytes.len() {
        if bytes[i] == b'{' && matches!(bytes[i + 1], b'{' | b'%' | b'#') {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The offset of the `}}` / `%}` closing a delimiter opened before `from`, skipping string
/// literals and anything inside brackets.
fn find_close(bytes: &[u8], from: usize, delim: u8) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' if depth > 0 => depth -= 1,
            c if c == delim && depth == 0 && bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Content between `start` and `end`, without `-`/`+` whitespace-control marks and outer spaces.
fn trim_inner(text: &str, start: usize, end: usize) -> Range<usize> {
    let s = &text[start..end];
    let lead = s.len() - s.trim_start_matches(['-', '+']).len();
    let trail = s.len() - s.trim_end_matches(['-', '+']).len();
    if lead + trail >= s.len() {
        return start..start;
    }
    let core = &s[lead..s.len() - trail];
    let l = core.len() - core.trim_start().len();
    let t = core.len() - core.trim_end().len();
    if l + t >= core.len() {
        return start + lead..start + lead;
    }
    start + lead + l..end - trail - t
}

/// The end of a raw body: (offset where `{% endraw %}` starts, its span).
fn find_endraw(text: &str, from: usize) -> Option<(usize, Range<usize>)> {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(open) = find(bytes, i, b"{%") {
        let close = find(bytes, open + 2, b"%}")?;
        let inner = trim_inner(text, open + 2, close);
        if text[inner].trim() == "endraw" {
            return Some((open, open..close + 2));
        }
        i = open + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, String)> {
        lex(text)
            .tokens
            .into_iter()
            .map(|t| (t.kind, text[t.inner].to_string()))
            .collect()
    }

    #[test]
    fn splits_delimiters() {
        let k = kinds("<p>{{ x|safe }}</p>{%- if a -%}{# c #}{% endif %}");
        assert_eq!(k[1], (TokenKind::Output, "x|safe".into()));
        assert_eq!(k[3], (TokenKind::Statement, "if a".into()));
        assert_eq!(k[4], (TokenKind::Comment, "c".into()));
    }

    #[test]
    fn strings_and_brackets_do_not_close() {
        let k = kinds("{{ \"}}\" ~ {'a': {'b': 1}} }}x");
        assert_eq!(k.len(), 2);
        assert_eq!(k[1], (TokenKind::Text, "x".into()));
    }

    #[test]
    fn raw_blocks_are_text() {
        let k = kinds("{% raw %}{{ x|safe }}{% endraw %}");
        assert_eq!(k[1], (TokenKind::Raw, "{{ x|safe }}".into()));
        assert_eq!(k[2], (TokenKind::Statement, "endraw".into()));
    }

    #[test]
    fn unclosed_delimiters_are_problems() {
        let l = lex("a {{ x b");
        assert_eq!(l.problems.len(), 1);
        assert_eq!(l.tokens.len(), 1);
        assert_eq!(lex("{% raw %}x").problems.len(), 1);
        assert!(lex("{{-}}").problems.is_empty());
    }
}
