//! Dotless text: a piece of a string split off at its dots (`name.rsplit('.', 1)[-1]`,
//! `name.rpartition('.')[2]`) holds no '.', so it cannot spell `..`. The piece alone is no safe
//! path (`'x./etc/passwd'.rsplit('.', 1)[-1]` is the absolute `/etc/passwd`), but appended after
//! a non-empty untainted prefix it does not start a path component either, so it can neither
//! climb out of the prefix's folder nor reset `os.path.join`: `base + '.' + ext` is safe for
//! file system sinks (FS502) and for nothing else.

use std::sync::Arc;

use ruff_python_ast::{self as ast, Expr};

use super::value::{Shape, SinkKind, Taint, Val};

/// Methods whose result keeps a dotless receiver dotless: they change case or only remove
/// characters, and none of them can produce a '.'.
const KEEPS_DOTLESS: &[&str] = &[
    "lower",
    "upper",
    "casefold",
    "title",
    "capitalize",
    "swapcase",
    "strip",
    "lstrip",
    "rstrip",
];

/// How many splits a `split`/`rsplit` call may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxSplit {
    /// No limit (no argument, or `-1`): every piece lies between dots.
    All,
    /// One split: only the piece on the split side is free of dots.
    One,
    Other,
}

/// The `maxsplit` of a call (second positional argument or keyword).
pub fn max_split(c: &ast::ExprCall) -> MaxSplit {
    let arg = c
        .arguments
        .args
        .get(1)
        .or_else(|| c.arguments.find_keyword("maxsplit").map(|k| &k.value));
    let int = |e: &Expr| match e {
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => i.as_u64(),
            _ => None,
        },
        _ => None,
    };
    match arg {
        None => MaxSplit::All,
        Some(Expr::UnaryOp(u)) if u.op == ast::UnaryOp::USub && int(&u.operand) == Some(1) => {
            MaxSplit::All
        }
        Some(e) if int(e) == Some(1) => MaxSplit::One,
        Some(_) => MaxSplit::Other,
    }
}

/// `recv.m(sep, ...)`: the pieces of tainted text split at dots, or dotless text through a
/// method that keeps it dotless. `None` when the call is neither.
pub fn method_result(m: &str, recv: &Val, sep: Option<&Val>, limit: MaxSplit) -> Option<Val> {
    if !recv.is_tainted() {
        return None;
    }
    let at_dot = sep.is_some_and(|s| s.text.as_deref() == Some("."));
    match (m, limit) {
        // Every element of the list is text between dots.
        ("split" | "rsplit", MaxSplit::All) if at_dot => Some(piece(recv)),
        // `head.tail` split once: the piece on the split side has no dot (with no dot at all,
        // the single element is the whole, dotless, text).
        ("split", MaxSplit::One) if at_dot => Some(pair(piece(recv), recv.collapse())),
        ("rsplit", MaxSplit::One) if at_dot => Some(pair(recv.collapse(), piece(recv))),
        // `(head, '.', tail)`: likewise for the head of `partition` and the tail of `rpartition`.
        ("partition", _) if at_dot => Some(triple(piece(recv), recv.collapse())),
        ("rpartition", _) if at_dot => Some(triple(recv.collapse(), piece(recv))),
        _ if recv.dotless && KEEPS_DOTLESS.contains(&m) => Some(piece(recv)),
        _ => None,
    }
}

/// A two-element list: what `split(".", 1)` or `rsplit(".", 1)` returns.
fn pair(head: Val, tail: Val) -> Val {
    Val {
        shape: Shape::Seq(Arc::new(vec![head, tail])),
        truth: Some(true),
        ..Val::default()
    }
}

/// The data of `v` as dotless text.
fn piece(v: &Val) -> Val {
    Val {
        dotless: true,
        ..v.collapse()
    }
}

/// The tuple a `partition` returns: `head`, the literal separator, `tail`.
fn triple(head: Val, tail: Val) -> Val {
    let dot = Val {
        text: Some(Arc::from(".")),
        truth: Some(true),
        ..Val::constant()
    };
    Val {
        shape: Shape::Seq(Arc::new(vec![head, dot, tail])),
        truth: Some(true),
        ..Val::default()
    }
}

/// One piece of a string being built, in order: literal text or a value.
pub enum Piece<'a> {
    Text(&'a str),
    Value(&'a Val),
}

/// A value known to be a non-empty string: a literal, or text built with one. Tainted or not,
/// what follows it does not start a path component.
fn non_empty(v: &Val) -> bool {
    v.text
        .as_deref()
        .map_or(v.truth == Some(true), |t| !t.is_empty())
}

/// `built`, the string made of `pieces`: the data of dotless pieces that follow a piece known to
/// be non-empty is cleared for file system sinks, unless the same data also comes
/// through another piece still dangerous for them. (Other pieces keep their data: a tainted
/// prefix is reported through its own taint.)
pub fn confine(built: Val, pieces: &[Piece]) -> Val {
    let mut started = false;
    let mut confined: Vec<Arc<Taint>> = Vec::new();
    let mut open: Vec<Arc<Taint>> = Vec::new();
    for p in pieces {
        let v = match p {
            Piece::Text(t) => {
                started |= !t.is_empty();
                continue;
            }
            Piece::Value(v) => v,
        };
        if started && v.dotless {
            confined.extend(v.all_taints());
        } else {
            let dangerous = v.all_taints().into_iter();
            open.extend(dangerous.filter(|t| t.reaches(SinkKind::Path)));
        }
        started |= non_empty(v);
    }
    mark_confined(built, &confined, &open, |cleared, clear| {
        if clear {
            cleared | SinkKind::Path.bit()
        } else {
            cleared
        }
    })
}

/// `built` with each taint's cleared sinks rewritten by `mark`, told whether that data came only
/// through `confined` pieces (through some, and through none of `open`).
pub fn mark_confined(
    built: Val,
    confined: &[Arc<Taint>],
    open: &[Arc<Taint>],
    mark: impl Fn(u32, bool) -> u32,
) -> Val {
    if confined.is_empty() {
        return built;
    }
    let same = |a: &Taint, b: &Taint| a.key == b.key && a.field == b.field;
    built.map_taints(&|t| {
        let clear = confined.iter().any(|c| same(c, t)) && !open.iter().any(|o| same(o, t));
        Taint {
            cleared: mark(t.cleared, clear),
            ..t.clone()
        }
    })
}

/// The pieces of `text.format(*parts)` in order, when every field is a plain `{}` or a
/// numbered `{0}` (no escaped braces, names or format specs), automatic numbering is not mixed
/// with manual (Python refuses that), and every part is used.
pub fn format_pieces<'a>(text: &'a str, parts: &'a [Val]) -> Option<Vec<Piece<'a>>> {
    let mut pieces = Vec::new();
    let mut used = vec![false; parts.len()];
    let (mut automatic, mut numbered) = (0usize, false);
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        let close = rest[open..].find('}').map(|i| open + i)?;
        let field = &rest[open + 1..close];
        if rest.as_bytes()[open] == b'}' || field.contains('{') {
            return None;
        }
        let index = if field.is_empty() {
            automatic += 1;
            automatic - 1
        } else {
            numbered = true;
            field.parse::<usize>().ok()?
        };
        *used.get_mut(index)? = true;
        pieces.push(Piece::Text(&rest[..open]));
        pieces.push(Piece::Value(&parts[index]));
        rest = &rest[close + 1..];
    }
    if (numbered && automatic > 0) || used.contains(&false) {
        return None;
    }
    pieces.push(Piece::Text(rest));
    Some(pieces)
}

/// `l + r` with a side known to be non-empty text: the result is a non-empty string.
pub fn concat_truth(l: &Val, r: &Val) -> Option<bool> {
    let text = |v: &Val| v.text.as_deref().is_some_and(|t| !t.is_empty());
    (text(l) || text(r)).then_some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taint::value::{Index, Taint};

    fn request() -> Val {
        Val::tainted(Taint::request_for_tests("f.filename"))
    }

    fn literal(t: &str) -> Val {
        Val {
            text: Some(Arc::from(t)),
            truth: Some(!t.is_empty()),
            ..Val::constant()
        }
    }

    fn path_safe(v: &Val) -> bool {
        !v.taints.iter().any(|t| t.reaches(SinkKind::Path))
    }

    #[test]
    fn split_pieces_are_dotless_only_at_dots() {
        let name = request();
        let dot = Some(literal("."));
        let split = |m, limit| method_result(m, &name, dot.as_ref(), limit);
        let ext = split("rsplit", MaxSplit::One).unwrap();
        assert!(ext.element(&Index::Int(-1)).dotless);
        assert!(!ext.element(&Index::Int(0)).dotless);
        assert!(
            split("split", MaxSplit::All)
                .unwrap()
                .element(&Index::Int(0))
                .dotless
        );
        assert!(
            !split("split", MaxSplit::One)
                .unwrap()
                .element(&Index::Int(-1))
                .dotless
        );
        assert!(split("rsplit", MaxSplit::Other).is_none());
        let slash = Some(literal("/"));
        assert!(method_result("rsplit", &name, slash.as_ref(), MaxSplit::All).is_none());
        let parts = split("rpartition", MaxSplit::All).unwrap();
        assert!(!parts.element(&Index::Int(0)).dotless);
        assert!(parts.element(&Index::Int(2)).dotless);
        let tail = ext.element(&Index::Int(-1));
        assert!(
            method_result("lower", &tail, None, MaxSplit::All)
                .unwrap()
                .dotless
        );
        assert!(method_result("lower", &name, None, MaxSplit::All).is_none());
    }

    #[test]
    fn dotless_is_path_safe_only_after_a_non_empty_prefix() {
        let ext = piece(&request());
        let built = || Val::from_taints(ext.taints.clone());
        let after = [Piece::Text("cover."), Piece::Value(&ext)];
        assert!(path_safe(&confine(built(), &after)));
        let alone = [Piece::Text(""), Piece::Value(&ext)];
        assert!(!path_safe(&confine(built(), &alone)));
        let name = request();
        let mixed = [Piece::Text("a"), Piece::Value(&name), Piece::Value(&ext)];
        assert!(!path_safe(&confine(built(), &mixed)));
        // A tainted prefix keeps its own data; the dotless piece after its literal dot is safe.
        let mut stem = request();
        Arc::make_mut(&mut stem.taints[0]).key = (0, 1);
        let mut both = built();
        both.absorb(&stem);
        let named = [Piece::Value(&stem), Piece::Text("."), Piece::Value(&ext)];
        let named = confine(both, &named);
        let safe = |key| {
            named
                .taints
                .iter()
                .any(|t| t.key == key && !t.reaches(SinkKind::Path))
        };
        assert!(safe((0, 0)) && !safe((0, 1)));
        let named = [Val::clean(), ext.clone()];
        let pieces = format_pieces("{}.{}", &named).unwrap();
        assert!(path_safe(&confine(built(), &pieces)));
        let pieces = format_pieces("{0}.{1}", &named).unwrap();
        assert!(path_safe(&confine(built(), &pieces)));
        assert!(format_pieces("{1}.{0}", &named).is_some());
        assert!(format_pieces("{0}.{}", &named).is_none());
        assert!(format_pieces("{0}.{0}", &named).is_none());
        assert!(format_pieces("{name}.{}", &named).is_none());
        assert!(format_pieces("{{}}.{}", &named).is_none());
        assert!(format_pieces("{}", &named).is_none());
        let mut joined = ext.clone();
        joined.absorb(&name);
        assert!(!joined.dotless);
    }
}
