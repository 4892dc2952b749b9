//! Text edits rules use to state their fixes: replace a node, drop a keyword argument, add
//! keyword arguments to a call. Each keeps the call valid Python whatever its layout (one line,
//! one argument per line, a trailing comma).

use ruff_python_ast::{ExprCall, Keyword};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::python::checker::RawFix;

/// A fix made of one or more edits.
pub fn fix(description: impl Into<String>, edits: Vec<(TextRange, String)>) -> RawFix {
    RawFix {
        description: description.into(),
        edits,
    }
}

/// Replaces the text of `node` with `content`.
pub fn replace(node: &impl Ranged, content: impl Into<String>) -> (TextRange, String) {
    (node.range(), content.into())
}

/// Removes keyword argument `kw` from `call` with one comma next to it, keeping comments
/// between arguments: the comma after it when another argument follows, else the comma before
/// it. A line left blank by the removal goes too.
pub fn remove_keyword(source: &str, call: &ExprCall, kw: &Keyword) -> Vec<(TextRange, String)> {
    let ranges: Vec<TextRange> = call
        .arguments
        .iter_source_order()
        .map(|a| a.range())
        .collect();
    let at = ranges
        .iter()
        .position(|r| *r == kw.range())
        .expect("the keyword is an argument of the call");
    let close = call.arguments.r_paren_range().start();
    let deletions: Vec<TextRange> = if let Some(next) = ranges.get(at + 1) {
        // `verify=False, timeout=5`: the argument, its comma and the spaces before `timeout`.
        match comma_between(source, kw.end(), next.start()) {
            Some(comma) => vec![TextRange::new(kw.start(), skip_spaces(source, comma + ONE))],
            None => vec![kw.range()],
        }
    } else if at > 0 {
        // `f(a, verify=False)`: the comma after `a` and the argument.
        let previous = ranges[at - 1];
        let trailing = comma_between(source, kw.end(), close);
        match comma_between(source, previous.end(), kw.start()) {
            // `f(a, verify=False,)`: the argument and its own comma; `a,` keeps the other.
            _ if trailing.is_some() => vec![TextRange::new(
                kw.start(),
                trailing.unwrap_or(kw.end()) + ONE,
            )],
            Some(comma) if !source[usize::from(comma)..usize::from(kw.start())].contains('#') => {
                vec![TextRange::new(comma, kw.end())]
            }
            Some(comma) => vec![TextRange::at(comma, ONE), kw.range()],
            None => vec![kw.range()],
        }
    } else {
        // The only argument, with its trailing comma if any.
        match comma_between(source, kw.end(), close) {
            Some(comma) => vec![TextRange::new(kw.start(), comma + ONE)],
            None => vec![kw.range()],
        }
    };
    deletions
        .into_iter()
        .map(|r| (whole_line_if_blank(source, r), String::new()))
        .collect()
}

/// One byte: the width of a comma.
const ONE: TextSize = TextSize::new(1);

/// The first `,` between `start` and `end` outside comments.
fn comma_between(source: &str, start: TextSize, end: TextSize) -> Option<TextSize> {
    let text = &source[usize::from(start)..usize::from(end)];
    let mut in_comment = false;
    for (i, c) in text.char_indices() {
        match c {
            '\n' => in_comment = false,
            '#' => in_comment = true,
            ',' if !in_comment => return Some(start + TextSize::try_from(i).ok()?),
            _ => {}
        }
    }
    None
}

/// `at` moved past spaces and tabs on its line.
fn skip_spaces(source: &str, at: TextSize) -> TextSize {
    let rest = &source[usize::from(at)..];
    let n = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    at + TextSize::try_from(n).unwrap_or_default()
}

/// `range` grown to its whole line (with the line break) when nothing but whitespace would be
/// left on that line.
fn whole_line_if_blank(source: &str, range: TextRange) -> TextRange {
    let (start, end) = (usize::from(range.start()), usize::from(range.end()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[end..]
        .find('\n')
        .map_or(source.len(), |i| end + i + 1);
    let blank = |s: &str| s.trim().is_empty();
    if blank(&source[line_start..start]) && blank(&source[end..line_end]) && line_end > end {
        let to = |i: usize| TextSize::try_from(i).unwrap_or_default();
        TextRange::new(to(line_start), to(line_end))
    } else {
        range
    }
}

/// Adds `keywords` (`secure=True`, ...) after the call's last argument, or inside its empty
/// parentheses; an existing trailing comma stays after the new arguments.
pub fn add_keywords(call: &ExprCall, keywords: &[String]) -> (TextRange, String) {
    let text = keywords.join(", ");
    match call.arguments.iter_source_order().last() {
        Some(last) => (TextRange::empty(last.end()), format!(", {text}")),
        None => (
            TextRange::empty(call.arguments.r_paren_range().start()),
            text,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_ast::{Expr, Stmt};

    /// `source` (one call statement) with the edits `edit` makes to its call applied.
    fn edited(source: &str, edit: impl Fn(&ExprCall) -> Vec<(TextRange, String)>) -> String {
        let parsed = ruff_python_parser::parse_module(source).unwrap();
        let Stmt::Expr(stmt) = &parsed.syntax().body[0] else {
            panic!("one call expected");
        };
        let Expr::Call(call) = &*stmt.value else {
            panic!("one call expected");
        };
        let mut edits = edit(call);
        edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start()));
        let mut out = source.to_string();
        for (range, content) in edits {
            out.replace_range(
                usize::from(range.start())..usize::from(range.end()),
                &content,
            );
        }
        assert!(ruff_python_parser::parse_module(&out).is_ok(), "{out}");
        out
    }

    /// `source` with `verify=` removed from its one call.
    fn without_verify(source: &str) -> String {
        edited(source, |call| {
            remove_keyword(source, call, call.arguments.find_keyword("verify").unwrap())
        })
    }

    #[test]
    fn a_keyword_goes_with_one_comma_wherever_it_stands() {
        assert_eq!(without_verify("get(u, verify=False)\n"), "get(u)\n");
        assert_eq!(
            without_verify("get(u, verify=False, t=5)\n"),
            "get(u, t=5)\n"
        );
        assert_eq!(without_verify("get(verify=False, t=5)\n"), "get(t=5)\n");
        assert_eq!(without_verify("get(verify=False)\n"), "get()\n");
        assert_eq!(without_verify("get(verify=False,)\n"), "get()\n");
        assert_eq!(without_verify("get(u, verify=False,)\n"), "get(u, )\n");
    }

    #[test]
    fn lines_emptied_go_and_comments_stay() {
        assert_eq!(
            without_verify("get(\n    u,\n    # no TLS\n    verify=False,\n    t=5,\n)\n"),
            "get(\n    u,\n    # no TLS\n    t=5,\n)\n"
        );
        assert_eq!(
            without_verify("get(\n    u,\n    # last\n    verify=False\n)\n"),
            "get(\n    u\n    # last\n)\n"
        );
        assert_eq!(
            without_verify("get(\n    u,\n    verify=False,\n)\n"),
            "get(\n    u,\n)\n"
        );
    }

    #[test]
    fn keywords_are_added_after_the_last_argument() {
        let add = |call: &ExprCall| vec![add_keywords(call, &["x=1".into(), "y=2".into()])];
        assert_eq!(
            edited("c(\n    a,\n    b,\n)\n", add),
            "c(\n    a,\n    b, x=1, y=2,\n)\n"
        );
        assert_eq!(edited("c()\n", add), "c(x=1, y=2)\n");
    }
}
