//! Templates whose source the code fixes (`env.from_string("<p>{{ name }}</p>")`,
//! `env.get_template("panel.html")`, `jinja2.Template(PANEL, autoescape=True)`) in an
//! environment that autoescapes, rendered in the view to a piece of HTML.
//!
//! Such a template escapes the data it inserts, so its output is escaped HTML, like
//! `render_template()`'s: returned, or shown with `|safe` in a page, it is no reflected markup.
//! Without autoescape (Jinja2's own default) the template inserts its data raw, so the output
//! still carries it; a template built from data is FS205's business and is never marked.

use ruff_python_ast::{self as ast, Expr, Stmt};

use super::index::literal_truth;
use super::value::{SinkKind, Val};

/// The alias of an environment created with autoescape on.
const ESCAPING_ENV: &str = "jinja2.Environment#autoescape";

/// The alias of an autoescaping template compiled from fixed source.
const FIXED: &str = "jinja2.Template#fixed";

/// Whether the call `jinja2.Environment(...)` / `jinja2.Template(...)` turns autoescape on:
/// `autoescape=True`, `autoescape=select_autoescape(...)` or a setting (not a false literal).
fn autoescape_on(c: &ast::ExprCall) -> bool {
    c.arguments
        .find_keyword("autoescape")
        .is_some_and(|k| literal_truth(&k.value) != Some(false))
}

/// `jinja2.Environment(..., autoescape=...)` with autoescape on: an environment whose templates
/// escape what they insert.
pub fn environment(q: Option<&str>, c: &ast::ExprCall) -> Option<Val> {
    let env = matches!(
        q,
        Some("jinja2.Environment" | "jinja2.environment.Environment")
    );
    (env && autoescape_on(c)).then(|| Val::alias(ESCAPING_ENV))
}

/// Module-level names assigned an autoescaping environment (`env = Environment(loader=...,
/// autoescape=select_autoescape())`), recognised by the constructor's name as written.
pub fn escaping_module_envs(body: &[Stmt]) -> Vec<String> {
    let mut out = Vec::new();
    for stmt in body {
        let Stmt::Assign(a) = stmt else { continue };
        let (Some(Expr::Name(n)), Expr::Call(c)) = (a.targets.first(), &*a.value) else {
            continue;
        };
        let named = match &*c.func {
            Expr::Name(f) => f.id.as_str() == "Environment",
            Expr::Attribute(f) => f.attr.as_str() == "Environment",
            _ => false,
        };
        if named && autoescape_on(c) {
            out.push(n.id.to_string());
        }
    }
    out
}

/// The template object a call compiles, when its source is fixed by the code and it escapes:
/// `jinja2.Template(text, autoescape=True)`, or `env.from_string(text)` / `env.get_template(name)`
/// with a constant first argument on an autoescaping environment (`env_escapes`).
pub fn compiled(
    q: Option<&str>,
    c: &ast::ExprCall,
    method: Option<&str>,
    env_escapes: bool,
    source: Option<&Val>,
) -> Option<Val> {
    let escapes = match (q, method) {
        (Some("jinja2.Template" | "jinja2.environment.Template"), _) => autoescape_on(c),
        (_, Some("from_string" | "get_template")) => env_escapes,
        _ => false,
    };
    (escapes && source.is_some_and(|s| s.constant && !s.is_tainted())).then(|| Val::alias(FIXED))
}

/// Whether a qualified name or alias is one of Jinja's sandboxed environments, the environment
/// meant for templates users write (their text is no template injection).
pub fn is_sandboxed(name: &str) -> bool {
    name.starts_with("jinja2.sandbox.")
}

/// Whether `v` is an environment created with autoescape on.
pub fn is_escaping_env(v: &Val) -> bool {
    v.alias.as_deref() == Some(ESCAPING_ENV)
}

/// Whether `v` is an autoescaping template compiled from fixed source.
pub fn is_fixed(v: &Val) -> bool {
    v.alias.as_deref() == Some(FIXED)
}

/// The output of `template.render(**context)` for a fixed, autoescaping template: the context's
/// data, escaped for HTML by the template.
pub fn rendered(context: Val) -> Val {
    let mut v = context.collapse().sanitize(SinkKind::Xss.bit());
    v.constant = false;
    v.text = None;
    v
}
