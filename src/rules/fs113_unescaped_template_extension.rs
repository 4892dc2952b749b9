//! FS113 unescaped-template-extension.

use ruff_python_ast::{Expr, ExprCall, Stmt};
use ruff_text_size::Ranged;

use super::helpers::{autoescape_setting, is_falsy_literal, is_truthy_literal, AutoescapeSetting};
use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;
use crate::python::flask::{AppFacts, ExtraAutoescape};
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
            name.clone(),
            format!("`{name}` is not autoescaped by Flask and is rendered with {what}"),
        ));
    }
}

/// `app.jinja_options = {"autoescape": True}`, `app.jinja_env.autoescape = True` or
/// `= select_autoescape(default=True)`: templates are escaped whatever their extension.
pub fn check_stmt(cx: &mut Checker, stmt: &Stmt) {
    if let Some(AutoescapeSetting::Env(v) | AutoescapeSetting::Options(v)) =
        autoescape_setting(stmt)
    {
        note_setting(&mut cx.facts.autoescape, v);
    }
}

/// What an autoescape value escapes: `True` (or any value but a false literal or a call) every
/// template; `select_autoescape(enabled_extensions, disabled_extensions, default_for_string,
/// default)` the extensions it enables, or with `default=True` all but those it disables. Any
/// other call is not known to escape more than Flask does.
fn note_setting(into: &mut ExtraAutoescape, value: &Expr) {
    let Expr::Call(call) = value else {
        into.everything |= !is_falsy_literal(value);
        return;
    };
    let is_select = match &*call.func {
        Expr::Name(n) => n.id.as_str() == "select_autoescape",
        Expr::Attribute(a) => a.attr.as_str() == "select_autoescape",
        _ => false,
    };
    if !is_select {
        return;
    }
    let argument = |position: usize, name: &str| {
        call.arguments
            .find_keyword(name)
            .map(|k| &k.value)
            .or_else(|| call.arguments.args.get(position))
    };
    let extensions = |e: Option<&Expr>| -> Vec<String> {
        let elements = match e {
            Some(Expr::List(l)) => &l.elts[..],
            Some(Expr::Tuple(t)) => &t.elts[..],
            Some(Expr::Set(s)) => &s.elts[..],
            _ => &[],
        };
        elements
            .iter()
            .filter_map(|x| match x {
                Expr::StringLiteral(s) => Some(
                    s.value
                        .to_str()
                        .trim_start_matches('.')
                        .to_ascii_lowercase(),
                ),
                _ => None,
            })
            .collect()
    };
    into.extensions
        .extend(extensions(argument(0, "enabled_extensions")));
    if argument(3, "default").is_some_and(is_truthy_literal) {
        into.everything = true;
        into.except
            .extend(extensions(argument(1, "disabled_extensions")));
    }
}

/// The renders found by [`check_call`] of templates the app's own setting does not escape.
pub fn check_app(facts: &AppFacts, out: &mut Vec<AppFinding>) {
    for (location, name, message) in &facts.unescaped_renders {
        if facts.autoescape.escapes(name) {
            continue;
        }
        out.push(AppFinding {
            flow: Vec::new(),
            related: Vec::new(),
            rule: &RULE,
            location: location.clone(),
            message: message.clone(),
        });
    }
}
