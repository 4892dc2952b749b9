//! What names and expression shapes say in the Flask facts the walk collects: config keys and
//! classes, app names, security header names, HTML-looking return values.

use ruff_python_ast::{Expr, Stmt};

use crate::python::flask;

/// A string literal naming a CSP, frame-options or nosniff header.
pub(super) fn is_security_header(expr: &Expr) -> bool {
    let Expr::StringLiteral(s) = expr else {
        return false;
    };
    // Joining implicitly concatenated parts allocates: only do it when the joined length can
    // be a header name (long docstrings cannot).
    let len: usize = s.value.iter().map(|part| part.value.len()).sum();
    if !(15..=23).contains(&len) {
        return false;
    }
    let v = s.value.to_str();
    [
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
    ]
    .iter()
    .any(|h| v.eq_ignore_ascii_case(h))
}

/// `csrf = True` among a class body's assignments.
pub(super) fn declares_csrf_on(body: &[Stmt]) -> bool {
    body.iter().any(|s| {
        matches!(s, Stmt::Assign(a)
            if matches!(&a.targets[..], [Expr::Name(n)] if n.id.as_str() == "csrf")
                && matches!(&*a.value, Expr::BooleanLiteral(b) if b.value))
    })
}

pub(super) fn b_name(e: &Expr) -> &str {
    match e {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        _ => "",
    }
}

/// `Config`, `ProductionConfig`, `Settings`...
pub(super) fn looks_like_config_class(name: &str) -> bool {
    name.ends_with("Config") || name.ends_with("Settings")
}

pub(super) fn is_app_name(name: &str) -> bool {
    let n = name.len();
    name.eq_ignore_ascii_case("app")
        || name.eq_ignore_ascii_case("application")
        || (n >= 4 && name.as_bytes()[n - 4..].eq_ignore_ascii_case(b"_app"))
}

/// Upper-case names are configuration in Flask config classes and modules.
pub(super) fn is_config_key(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Whether a returned value is HTML text (a string or markup), not JSON.
pub(super) fn returns_html(value: &Expr) -> bool {
    match value {
        Expr::StringLiteral(s) => s.value.to_str().contains('<'),
        Expr::FString(_) => true,
        Expr::BinOp(b) => returns_html(&b.left) || returns_html(&b.right),
        Expr::Tuple(t) => t.elts.first().is_some_and(returns_html),
        _ => false,
    }
}

pub(super) fn target_names(target: &Expr) -> Vec<String> {
    match target {
        Expr::Name(n) => vec![n.id.to_string()],
        Expr::Attribute(a) => vec![a.attr.to_string()],
        Expr::Subscript(s) => flask::string_literal(&s.slice).into_iter().collect(),
        Expr::Tuple(t) => t.elts.iter().flat_map(target_names).collect(),
        Expr::List(l) => l.elts.iter().flat_map(target_names).collect(),
        _ => Vec::new(),
    }
}
