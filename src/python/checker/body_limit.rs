//! A size limit an application enforces itself: a function that reads the request's declared
//! length (`request.content_length`, the `Content-Length` header) and answers 413 (`abort(413)`,
//! `raise RequestEntityTooLarge()`, `raise ProcessingError("...", 413)`) bounds what it reads
//! after, and what the views calling it read, as `MAX_CONTENT_LENGTH` would. Other views stay
//! unbounded.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr};

use crate::python::flask::string_literal;

/// Names of the 413 status: werkzeug's exception, `http.HTTPStatus` members.
const TOO_LARGE: &[&str] = &[
    "RequestEntityTooLarge",
    "REQUEST_ENTITY_TOO_LARGE",
    "CONTENT_TOO_LARGE",
    "PAYLOAD_TOO_LARGE",
];

/// `_Middleware(namespace="keystone.server_middleware", ep="sizelimit")`: oslo.middleware's size
/// limiter loaded by its entry point name from a middleware namespace, as OpenStack services
/// assemble their pipelines.
pub fn loads_size_limiter(call: &ast::ExprCall) -> bool {
    let values: Vec<String> = call
        .arguments
        .keywords
        .iter()
        .filter_map(|k| string_literal(&k.value))
        .collect();
    values.iter().any(|v| v == "sizelimit") && values.iter().any(|v| v.ends_with("middleware"))
}

/// Whether `def` checks the declared body length and answers 413.
pub fn checks_declared_length(text: &str, def: &ast::StmtFunctionDef) -> bool {
    // Most functions mention neither: skip their walk.
    if !(text.contains("413") || text.contains("TooLarge") || text.contains("TOO_LARGE")) {
        return false;
    }
    let mut v = Mentions::default();
    for s in &def.body {
        v.visit_stmt(s);
    }
    v.length && v.too_large
}

#[derive(Default)]
struct Mentions {
    /// Reads the declared length: `.content_length`, or the header by name.
    length: bool,
    /// Names the 413 status.
    too_large: bool,
}

impl<'a> Visitor<'a> for Mentions {
    fn visit_expr(&mut self, e: &'a Expr) {
        match e {
            Expr::Attribute(a) => {
                self.length |= a.attr.as_str() == "content_length";
                self.too_large |= TOO_LARGE.contains(&a.attr.as_str());
            }
            Expr::Name(n) => self.too_large |= TOO_LARGE.contains(&n.id.as_str()),
            Expr::StringLiteral(s) => {
                let t = s.value.to_str();
                self.length |= t.eq_ignore_ascii_case("content-length")
                    || t.eq_ignore_ascii_case("content_length");
            }
            Expr::NumberLiteral(n) => {
                self.too_large |=
                    matches!(&n.value, ast::Number::Int(i) if i.as_u16() == Some(413));
            }
            _ => {}
        }
        visitor::walk_expr(self, e);
    }
}
