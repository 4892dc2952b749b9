//! HTTP clients that refuse internal addresses, and the branches that choose between one and a
//! plain client (FS503).
//!
//! `if settings.allow_local: requests.get(url) elif has_advocate: advocate.get(url)`: the code
//! fetches through an SSRF-guarded client by default, and the plain request runs only where the
//! operator asked to reach local addresses, as an operator's `verify=False` switch is theirs (see
//! FS506). The choice is deliberate and visible in the branch beside it, so the plain branch is
//! the operator's opt-out, not an unguarded fetch of a user's URL.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};

/// Libraries (and vendored copies that keep the name) whose requests refuse private, loopback
/// and link-local addresses.
const GUARDED_CLIENTS: &[&str] = &["advocate"];

/// Whether a file's text names a guarded client at all: the gate before any branch is searched.
pub fn mentioned(text: &str) -> bool {
    GUARDED_CLIENTS
        .iter()
        .any(|c| super::word_hits::mentions(text, c))
}

/// Whether a call's qualified callee is a guarded client's (`advocate.get`, `pkg.advocate.get`):
/// one of its dotted segments names the library.
pub fn is_guarded(qualified: &str) -> bool {
    qualified
        .split('.')
        .any(|segment| GUARDED_CLIENTS.iter().any(|c| segment.contains(c)))
}

/// The callees of the calls in `body` (nested blocks included, nested functions not), for the
/// caller to resolve.
pub fn callees(body: &[Stmt]) -> Vec<&Expr> {
    let mut finder = Callees::default();
    finder.visit_body(body);
    finder.found
}

/// How deep statements and expressions are followed.
const MAX_DEPTH: usize = 32;

#[derive(Default)]
struct Callees<'a> {
    found: Vec<&'a Expr>,
    depth: usize,
}

impl<'a> Visitor<'a> for Callees<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.depth > MAX_DEPTH || matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            return;
        }
        self.depth += 1;
        visitor::walk_stmt(self, stmt);
        self.depth -= 1;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.depth > MAX_DEPTH {
            return;
        }
        if let Expr::Call(c) = expr {
            self.found.push(&c.func);
        }
        self.depth += 1;
        visitor::walk_expr(self, expr);
        self.depth -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_names() {
        assert!(is_guarded("advocate.get"));
        assert!(is_guarded("app.vendored_advocate.get"));
        assert!(!is_guarded("requests.get"));
    }
}
