//! The functions a body calls, by the last part of their names: enough to match a call with the
//! project functions it may run when the callee is a method of an object nobody typed
//! (`client.get_preview_image(uri)`).

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};

/// The names of the functions `body` calls (`check(...)`, `self.client.check(...)`: `check`),
/// sorted and without repeats; calls in nested functions included.
pub fn called_names(body: &[Stmt]) -> Vec<String> {
    let mut v = Calls::default();
    for s in body {
        v.visit_stmt(s);
    }
    v.names.sort_unstable();
    v.names.dedup();
    v.names
}

#[derive(Default)]
struct Calls {
    names: Vec<String>,
}

impl<'a> Visitor<'a> for Calls {
    fn visit_expr(&mut self, e: &'a Expr) {
        if let Expr::Call(c) = e {
            match &*c.func {
                Expr::Name(n) => self.names.push(n.id.to_string()),
                Expr::Attribute(a) => self.names.push(a.attr.to_string()),
                _ => {}
            }
        }
        visitor::walk_expr(self, e);
    }
}
