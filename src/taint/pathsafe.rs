//! Path facts of library results: parts of a path that can hold no directory separator, so they
//! cannot steer a file system call out of the folder they are joined to.

use std::sync::Arc;

use ruff_python_ast::{self as ast, Expr};

use super::dotless::{self, MaxSplit};
use super::value::{Index, Shape, SinkKind, Val};

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
