//! The Python front end: parsed files, suppressions, name resolution and the Flask model.

pub mod access;
pub mod calls;
pub mod checker;
pub mod config_choice;
pub mod credentials;
pub mod flask;
pub mod fresh;
pub mod inventory;
pub mod locals;
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

/// The fixed text of an f-string, split at its placeholders: `f"a{x}b{y}"` → `["a", "b", ""]`
/// (one more piece than placeholders).
pub fn fstring_pieces(f: &ruff_python_ast::ExprFString) -> Vec<String> {
    use ruff_python_ast::{FStringPart, InterpolatedStringElement};
    let mut pieces = vec![String::new()];
    for part in f.value.iter() {
        match part {
            FStringPart::Literal(l) => pieces.last_mut().unwrap().push_str(&l.value),
            FStringPart::FString(fs) => {
                for el in fs.elements.iter() {
                    match el {
                        InterpolatedStringElement::Literal(l) => {
                            pieces.last_mut().unwrap().push_str(&l.value)
                        }
                        InterpolatedStringElement::Interpolation(_) => pieces.push(String::new()),
                    }
                }
            }
        }
    }
    pieces
}

/// The template text of `"...".format(...)` or `"..." % args`: `"/<int(max={0}):ver>"`.
pub fn format_template(e: &ruff_python_ast::Expr) -> Option<&str> {
    use ruff_python_ast::{Expr, Operator};
    let template = match e {
        Expr::Call(c) => match &*c.func {
            Expr::Attribute(a) if a.attr.as_str() == "format" => &*a.value,
            _ => return None,
        },
        Expr::BinOp(b) if b.op == Operator::Mod => &*b.left,
        _ => return None,
    };
    match template {
        Expr::StringLiteral(s) => Some(s.value.to_str()),
        _ => None,
    }
}

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
