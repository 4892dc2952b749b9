//! Flask-RESTful / Flask-RESTX `reqparse`: `parser.parse_args()` returns request data, except the
//! arguments declared with a type that lets only numbers, booleans or dates through.

use super::word_hits::mentions;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall};

use crate::python::flask::string_literal;
use crate::python::SourceFile;

/// `reqparse.inputs` converters whose result holds no text.
const TYPED_INPUTS: &[&str] = &[
    "boolean",
    "positive",
    "natural",
    "int_range",
    "date",
    "datetime_from_iso8601",
    "datetime_from_rfc822",
    "date_from_iso8601",
    "iso8601interval",
];

/// The arguments a file declares (`parser.add_argument("name", type=int)`) as (name, typed),
/// or `None` when the file does not use `reqparse`. A name declared both ways is untyped.
pub fn declared(file: &SourceFile) -> Option<Vec<(String, bool)>> {
    if !mentions(&file.text, "reqparse") {
        return None;
    }
    let mut finder = Finder {
        out: Vec::new(),
        depth: 0,
    };
    if mentions(&file.text, "add_argument") {
        for stmt in file.body() {
            finder.visit_stmt(stmt);
        }
    }
    Some(finder.out)
}

/// Whether a `type=` converter lets only numbers, booleans or dates through.
fn typed(e: &Expr) -> bool {
    match e {
        Expr::Name(n) => matches!(n.id.as_str(), "int" | "float" | "bool"),
        Expr::Attribute(a) => TYPED_INPUTS.contains(&a.attr.as_str()),
        Expr::Call(c) => typed(&c.func),
        _ => false,
    }
}

struct Finder {
    out: Vec<(String, bool)>,
    depth: usize,
}

impl Finder {
    fn add_argument(&mut self, call: &ExprCall) {
        let Some(name) = call.arguments.args.first().and_then(string_literal) else {
            return;
        };
        let is_typed = call
            .arguments
            .find_keyword("type")
            .is_some_and(|k| typed(&k.value));
        match self.out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, t)) => *t &= is_typed,
            None => self.out.push((name, is_typed)),
        }
    }
}

impl<'x> Visitor<'x> for Finder {
    fn visit_expr(&mut self, expr: &'x Expr) {
        if self.depth > crate::python::MAX_DEPTH {
            return;
        }
        if let Expr::Call(call) = expr {
            if matches!(&*call.func, Expr::Attribute(a) if a.attr.as_str() == "add_argument") {
                self.add_argument(call);
            }
        }
        self.depth += 1;
        visitor::walk_expr(self, expr);
        self.depth -= 1;
    }
}
