//! The Python front end: parsed files, suppressions, name resolution and the Flask model.

pub mod access;
pub mod checker;
pub mod config_choice;
pub mod credentials;
pub mod flask;
pub mod fresh;
pub mod inventory;
pub mod project;
pub mod render;
pub mod semantic;
pub mod source;
pub mod suppression;
pub mod test_support;
pub mod view_body;
pub mod view_classes;
pub mod words;

pub use source::SourceFile;

/// How deep the walk follows nested statements and expressions; deeper code is reported, not
/// analysed, so hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 200;

/// Calls `f` on `expr` and every expression inside it, to [`MAX_DEPTH`] levels.
pub fn each_subexpr(expr: &ruff_python_ast::Expr, f: &mut dyn FnMut(&ruff_python_ast::Expr)) {
    use ruff_python_ast::visitor::{walk_expr, Visitor};
    struct Walk<'f> {
        f: &'f mut dyn FnMut(&ruff_python_ast::Expr),
        depth: usize,
    }
    impl<'x> Visitor<'x> for Walk<'_> {
        fn visit_expr(&mut self, e: &'x ruff_python_ast::Expr) {
            if self.depth > MAX_DEPTH {
                return;
            }
            (self.f)(e);
            self.depth += 1;
            walk_expr(self, e);
            self.depth -= 1;
        }
    }
    Walk { f, depth: 0 }.visit_expr(expr);
}
