//! FS113 unescaped-template-extension.

use ruff_python_ast::{Expr, ExprCall, Stmt};
use ruff_text_size::Ranged;

use super::helpers::{autoescape_setting, is_falsy_literal, AutoescapeSetting};
use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;
use crate::python::flask::AppFacts;
use crate::python::render;

pub const RULE: Rule = Rule {
    id: "FS113",
    name: "unescaped-template-extension",
    severity: Severity::Medium,
    cwe: &[79],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "A template Flask does not autoescape is rendered with request data",
    fix: "Give HTML templates an `.html` name (Flask autoescapes `.html`, `.htm`, `.xml`, `.xhtml`, `.svg`), or escape the values yourself.",
    help: "Flask turns autoescaping on only for templates whose name ends in .html, .htm, .xml, .xhtml or .svg. A `.txt`, `.j2` or `.jinja` template served as HTML writes request data unescaped.",
    bad: "return render_template(\"profile.j2\", name=request.args[\"name\"])",
    good: "return render_template(\"profile.html\", name=request.args[\"name\"])",
};

/// Extensions Flask autoescapes.
const AUTOESCAPED: &[&str] = &[".html", ".htm", ".xml", ".xhtml", ".svg"];

/// `render_template("x.txt", var=<request data>)`.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if !render::is_render_template(callee) {
        return;
    }
    let Some(name) = render::template_name(call) else {
        return;
    };
    let lower = name.to_ascii_lowercase();
    if AUTOESCAPED.iter().any(|e| lower.ends_with(e)) {
        return;
    }
    let tainted = call.arguments.keywords.iter().find(|kw| match &kw.arg {
        Some(_) => render::request_flow(cx, call, &kw.value).is_some(),
        None => cx.is_request_derived(&kw.value),
    });
    if let Some(kw) = tainted {
        let what = kw.arg.as_ref().map_or_else(
            || "request data (`**`)".to_string(),
            |a| format!("request data as `{a}`"),
        );
        // Judged once every file is read: the app may turn autoescaping on for every template.
        let location = cx.location(call.range());
        cx.facts.unescaped_renders.push((
            location,
            format!("`{name}` is not autoescaped by Flask and is rendered with {what}"),
        ));
    }
}

/// `app.jinja_options = {"autoescape": True}` or `app.jinja_env.autoescape = True`: every
/// template is escaped, whatever its extension.
pub fn check_stmt(cx: &mut Checker, stmt: &Stmt) {
    if let Some(AutoescapeSetting::Env(v) | AutoescapeSetting::Options(v)) =
        autoescape_setting(stmt)
    {
        cx.facts.autoescape_everywhere |= escapes_everything(v);
    }
}

/// `True`, or anything but a literal false or `select_autoescape(...)` (which keeps Flask's
/// extension list).
fn escapes_everything(value: &Expr) -> bool {
    !is_falsy_literal(value) && !matches!(value, Expr::Call(_))
}

/// The renders found by [`check_call`], unless the app escapes every template.
pub fn check_app(facts: &AppFacts, out: &mut Vec<AppFinding>) {
    if facts.autoescape_everywhere {
        return;
    }
    for (location, message) in &facts.unescaped_renders {
        out.push(AppFinding {
            flow: Vec::new(),
            related: Vec::new(),
            rule: &RULE,
            location: location.clone(),
            message: message.clone(),
        });
    }
}
