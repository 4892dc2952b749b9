//! Path facts of library results: parts of a path that can hold no directory separator, so they
//! cannot steer a file system call out of the folder they are joined to.

use std::sync::Arc;

use super::value::{Shape, SinkKind, Val};

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
