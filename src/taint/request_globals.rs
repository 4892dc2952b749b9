//! `flask.g` attributes set from request data (`g.lang = request.args.get("lang")`, typically in
//! a `before_request` hook or a helper the view calls): `g` lives for one request, so reading
//! such an attribute anywhere reads that request's data.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};

use super::sources;
use super::value::Origin;
use crate::python::semantic::Semantic;

/// Whether a file may assign a `g` attribute (a line starting `g.x =`): only those files need
/// their module's names resolved for [`collect`].
pub fn assigns_g(text: &str) -> bool {
    // Every file is asked: look for `g.` itself (memchr speed) rather than walk every line.
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, b"g.").any(|at| {
        let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        bytes[line_start..at]
            .iter()
            .all(|b| *b == b' ' || *b == b'\t')
            && memchr::memchr(b'=', &bytes[at..line_end]).is_some()
    })
}

/// The `g` attributes a file assigns straight from request data.
pub fn collect(sem: &Semantic, body: &[Stmt]) -> Vec<String> {
    let mut finder = Finder {
        sem,
        out: Vec::new(),
        depth: 0,
    };
    for stmt in body {
        finder.visit_stmt(stmt);
    }
    finder.out
}

/// Whether `e` reads request data directly: `request.args.get(...)`, `request.form["x"]`.
fn reads_request(sem: &Semantic, e: &Expr) -> bool {
    let read = match e {
        Expr::Call(c) => &*c.func,
        Expr::Subscript(s) => &*s.value,
        other => other,
    };
    sem.resolve(read)
        .and_then(|q| sources::classify(&q))
        .is_some_and(|k| k.origin == Origin::Request)
}

struct Finder<'s, 'a> {
    sem: &'s Semantic<'a>,
    out: Vec<String>,
    depth: usize,
}

impl<'x> Visitor<'x> for Finder<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'x Stmt) {
        if self.depth > crate::python::MAX_DEPTH {
            return;
        }
        if let Stmt::Assign(a) = stmt {
            for t in &a.targets {
                if let Expr::Attribute(attr) = t {
                    let on_g = self.sem.resolve(&attr.value).as_deref() == Some("flask.g");
                    if on_g && reads_request(self.sem, &a.value) {
                        self.out.push(attr.attr.to_string());
                    }
                }
            }
        }
        self.depth += 1;
        visitor::walk_stmt(self, stmt);
        self.depth -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::assigns_g;

    #[test]
    fn only_lines_that_start_by_assigning_g_count() {
        assert!(assigns_g("def f():\n    g.lang = request.args['l']\n"));
        assert!(assigns_g("g.user=1"));
        assert!(!assigns_g(
            "import logging\nlogging.info('x')\nconfig.x = 1\n"
        ));
        assert!(!assigns_g("    g.lang\nx = 1\n"));
    }
}
