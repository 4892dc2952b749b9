//! Path facts of library results: parts of a path that can hold no directory separator, so they
//! cannot steer a file system call out of the folder they are joined to.

use std::sync::Arc;

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::TextRange;

use super::dotless::{self, MaxSplit, Piece};
use super::value::{
    one_name, Index, Origin, Shape, SinkKind, Taint, Val, FOLLOWED, GLUED, LAST_COMPONENT,
    ONE_COMPONENT, SAFE_AS_LAST,
};

/// `os.path.splitext(p)` (also `posixpath`/`ntpath`): `(root, ext)`, where the extension is what
/// follows the last dot of the last path component, so it holds no separator; the root keeps
/// whatever `p` carried.
pub fn split_extension(q: &str, path: Option<&Val>) -> Option<Val> {
    if !matches!(
        q,
        "os.path.splitext" | "posixpath.splitext" | "ntpath.splitext"
    ) {
        return None;
    }
    let root = path.map(Val::collapse).unwrap_or_default();
    let ext = root.sanitize(SinkKind::Path.bit());
    Some(Val {
        shape: Shape::Seq(Arc::new(vec![root, ext])),
        ..Val::default()
    })
}

/// `name.split("/")[-1]`, `name.rsplit(os.sep, 1)[-1]`, `name.rpartition("/")[2]`: the text
/// after the last separator, one path component like `os.path.basename(name)`. `is_separator`
/// tells whether the split's first argument is the separator. (`split("/", 1)[-1]` keeps the
/// separators after the first.)
pub fn last_segment(value: &Expr, index: &Index, is_separator: impl FnOnce(&Expr) -> bool) -> bool {
    let Expr::Call(c) = value else {
        return false;
    };
    let Expr::Attribute(a) = &*c.func else {
        return false;
    };
    let last = match (a.attr.as_str(), index) {
        ("split", Index::Int(-1)) => dotless::max_split(c) == MaxSplit::All,
        ("rsplit", Index::Int(-1)) => dotless::max_split(c) != MaxSplit::Other,
        ("rpartition", Index::Int(-1 | 2)) => true,
        _ => false,
    };
    last && separator_arg(c).is_some_and(is_separator)
}

/// The separator argument of a `split`-like call.
fn separator_arg(c: &ast::ExprCall) -> Option<&Expr> {
    c.arguments
        .args
        .first()
        .or_else(|| c.arguments.find_keyword("sep").map(|k| &k.value))
}

/// Qualified names of the path separator constant.
pub const SEPARATORS: &[&str] = &["os.sep", "os.path.sep", "posixpath.sep"];

/// `name.replace(old, new)`, whose plain result (receiver and arguments) is `all`:
/// `name.replace("/", "")` (or `os.sep`, or another replacement with no separator) holds no
/// separator, one path component at most ([`ONE_COMPONENT`]; `..` is still one, so this alone
/// clears no sink, see [`glued`]). A replacement that may put a separator in loses that fact.
/// `None` when the plain result is right.
pub fn replaced(all: &Val, old: Option<&Val>, old_is_sep: bool, new: Option<&Val>) -> Option<Val> {
    if !all.is_tainted() {
        return None;
    }
    let separator = old_is_sep || old.and_then(|o| o.text.as_deref()) == Some("/");
    let plain = new
        .and_then(|n| n.text.as_deref())
        .is_some_and(|t| !t.contains(['/', '\\']));
    let flag = |on: bool| {
        all.collapse().map_taints(&|t| Taint {
            cleared: if on {
                one_name(t.cleared | ONE_COMPONENT)
            } else {
                t.cleared & !(ONE_COMPONENT | GLUED)
            },
            ..t.clone()
        })
    };
    match (separator, plain) {
        (true, true) => Some(flag(true)),
        (_, true) => None,
        (_, false) => Some(flag(false)),
    }
}

/// `os.path.join(folder, ..., name)` (also `posixpath`): data holding no separator
/// ([`ONE_COMPONENT`]) that ends the last part is marked [`LAST_COMPONENT`]; data in an earlier
/// part has more path after it ([`FOLLOWED`]). `None` when no part holds such data (the plain
/// result is right).
pub fn joined_path(q: &str, call: &ast::ExprCall, parts: &[(Val, TextRange)]) -> Option<Val> {
    if !matches!(q, "os.path.join" | "posixpath.join")
        || !call.arguments.keywords.is_empty()
        || call.arguments.args.iter().any(Expr::is_starred_expr)
        || !parts.iter().any(|(v, _)| v.any_taint(&is_tracked))
    {
        return None;
    }
    let (last, earlier) = parts.split_last()?;
    let mut v = Val::default();
    for (part, _) in earlier {
        v.absorb(&followed(part));
    }
    v.absorb(&last.0.map_taints(&|t| Taint {
        cleared: if is_tracked(t) && t.cleared & FOLLOWED == 0 {
            t.cleared | LAST_COMPONENT
        } else {
            t.cleared
        },
        ..t.clone()
    }));
    v.flatten_structure();
    v.constant = parts.iter().all(|(p, _)| p.constant);
    Some(v)
}

/// `os.path.dirname(path)` (also `posixpath`): the data that ends the path ([`ends_path`]) is
/// what it drops; a summarised parameter ending it is dropped if it is one component at the
/// call ([`SAFE_AS_LAST`]). `None` when the path holds no such data.
pub fn parent_folder(q: &str, path: Option<&Val>) -> Option<Val> {
    if !matches!(q, "os.path.dirname" | "posixpath.dirname") {
        return None;
    }
    let path = path?;
    if !path.any_taint(&is_last) {
        return None;
    }
    let mut v = path.collapse();
    v.taints.retain(|t| !ends_path(t));
    Some(safe_as_last(&v))
}

/// Data that was the last part of a joined path, with nothing put after it.
fn is_last(t: &Taint) -> bool {
    t.cleared & (LAST_COMPONENT | FOLLOWED) == LAST_COMPONENT
}

/// `v` after a step harmless for data ending its path ([`SAFE_AS_LAST`]): `dirname`, or a call
/// in [`FILE_ONLY_SINKS`].
pub fn safe_as_last(v: &Val) -> Val {
    if !v.any_taint(&is_last) {
        return v.clone();
    }
    v.map_taints(&|t| Taint {
        cleared: if is_last(t) {
            one_name(t.cleared | SAFE_AS_LAST)
        } else {
            t.cleared
        },
        ..t.clone()
    })
}

/// Data whose place in a path is tracked ([`LAST_COMPONENT`], [`FOLLOWED`]): data holding no
/// separator (one path component at most), and a summarised parameter, which may turn out to be
/// one at a call.
fn is_tracked(t: &Taint) -> bool {
    t.cleared & ONE_COMPONENT != 0 || matches!(t.origin, Origin::Param(_))
}

/// Data holding no separator that ends a joined path: the last component.
fn ends_path(t: &Taint) -> bool {
    t.cleared & ONE_COMPONENT != 0 && is_last(t)
}

/// `v` with text put after it: its tracked data ([`is_tracked`]) is [`FOLLOWED`].
pub fn followed(v: &Val) -> Val {
    if !v.any_taint(&|t| is_tracked(t) && t.cleared & FOLLOWED == 0) {
        return v.clone();
    }
    v.map_taints(&|t| Taint {
        cleared: if is_tracked(t) {
            t.cleared | FOLLOWED
        } else {
            t.cleared
        },
        ..t.clone()
    })
}

/// Sinks that list a folder: they reveal the names in it, never a file's content, and on real
/// applications they are mostly folder choosers for privileged users; their flows are audit
/// findings (`--select FS502`).
pub const LISTING_SINKS: &[&str] = &["os.listdir", "os.scandir"];

/// Sinks that fail on a folder: they read, write or delete one file (`open`, `os.remove`,
/// `send_file`). A path ending in one component ([`ends_path`]) names an entry of its folder,
/// or the folder or its parent (`.`, `..`), which these refuse: leaving the folder needs a
/// separator after the `..`.
pub const FILE_ONLY_SINKS: &[&str] = &[
    "builtins.open",
    "io.open",
    "codecs.open",
    "os.remove",
    "os.unlink",
    "os.truncate",
    "flask.send_file",
];

/// `built`, the string made of `pieces`: data glued to a literal name character (not a dot, not a
/// separator) is marked [`GLUED`], unless the same data also comes through a piece that is not
/// glued so. Holding no separator ([`ONE_COMPONENT`], known here or where a caller passes it), it
/// is part of one file name that is neither `.` nor `..` (`name + ".json"`, `"lock_" + name`), so
/// it cannot leave the folder it is put in.
pub fn glued(built: Val, pieces: &[Piece]) -> Val {
    let text = |p: &Piece| match p {
        Piece::Text(t) => Some(t.to_string()),
        Piece::Value(v) if v.constant && !v.is_tainted() => v.text.as_deref().map(str::to_string),
        Piece::Value(_) => None,
    };
    let name_char = |c: char| !matches!(c, '.' | '/' | '\\');
    let mut confined: Vec<Arc<Taint>> = Vec::new();
    let mut open: Vec<Arc<Taint>> = Vec::new();
    let mut tailed: Vec<Arc<Taint>> = Vec::new();
    for (i, p) in pieces.iter().enumerate() {
        let Piece::Value(v) = p else {
            continue;
        };
        if text(p).is_some() || !v.is_tainted() {
            continue;
        }
        let something_after = pieces[i + 1..].iter().any(|p| match p {
            Piece::Text(t) => !t.is_empty(),
            Piece::Value(v) => !(v.constant && v.text.as_deref() == Some("")),
        });
        if something_after && v.any_taint(&is_tracked) {
            tailed.extend(v.all_taints());
        }
        // The literal text on either side, as far as the component reaches.
        let before = i
            .checked_sub(1)
            .and_then(|j| text(&pieces[j]))
            .is_some_and(|t| {
                t.rsplit(['/', '\\'])
                    .next()
                    .is_some_and(|c| c.chars().any(name_char))
            });
        let after = pieces.get(i + 1).and_then(text).is_some_and(|t| {
            t.split(['/', '\\'])
                .next()
                .is_some_and(|c| c.chars().any(name_char))
        });
        for t in v.all_taints() {
            if before || after {
                confined.push(t);
            } else {
                open.push(t);
            }
        }
    }
    let built = dotless::mark_confined(built, &confined, &open, |cleared, clear| {
        if clear {
            one_name(cleared | GLUED)
        } else {
            cleared & !GLUED
        }
    });
    dotless::mark_confined(built, &tailed, &[], |cleared, tail| {
        if tail {
            cleared | FOLLOWED
        } else {
            cleared
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taint::value::{Index, Taint};

    #[test]
    fn extension_is_path_safe_root_is_not() {
        let p = Val::tainted(Taint::request_for_tests("f.filename"));
        let v = split_extension("os.path.splitext", Some(&p)).unwrap();
        let root = v.element(&Index::Int(0));
        let ext = v.element(&Index::Int(1));
        assert!(root.taints.iter().any(|t| t.reaches(SinkKind::Path)));
        assert!(ext.is_tainted() && !ext.taints.iter().any(|t| t.reaches(SinkKind::Path)));
        assert!(split_extension("os.path.split", Some(&p)).is_none());
    }
}
