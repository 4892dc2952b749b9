//! The functions a body calls, by the last part of their names: enough to match a call with the
//! project functions it may run when the callee is a method of an object nobody typed
//! (`client.get_preview_image(uri)`).

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};

/// The names of the functions `body` calls (`check(...)`, `self.client.check(...)`: `check`),
/// sorted and without repeats; calls in nested functions included.
pub fn called_names(body: &[Stmt]) -> Vec<String> {
    let mut names: Vec<String> = callees(body)
        .into_iter()
        .filter_map(|func| match func {
            Expr::Name(n) => Some(n.id.to_string()),
            Expr::Attribute(a) => Some(a.attr.to_string()),
            _ => None,
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The callee expressions of the calls in `body` (`check`, `self.client.check`), in order;
/// calls in nested functions included.
pub fn callees(body: &[Stmt]) -> Vec<&Expr> {
    let mut v = Calls::default();
    for s in body {
        v.visit_stmt(s);
    }
    v.callees
}

#[derive(Default)]
struct Calls<'a> {
    callees: Vec<&'a Expr>,
}

impl<'a> Visitor<'a> for Calls<'a> {
    fn visit_expr(&mut self, e: &'a Expr) {
        if let Expr::Call(c) = e {
            self.callees.push(&c.func);
        }
        visitor::walk_expr(self, e);
    }
}
