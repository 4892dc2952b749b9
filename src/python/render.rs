//! `render_template(...)` calls: which template a view renders and what each context variable
//! carries, so template findings can be linked back to the request data that reaches them.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextRange};

use super::checker::Checker;
use super::flask::{ContextVar, RenderCall};
use crate::finding::FlowStep;

/// Calls whose result is HTML cleaned of scripts and event handlers.
const SANITIZERS: &[&str] = &[
    "bleach.clean",
    "bleach.sanitizer.Cleaner.clean",
    "nh3.clean",
];

/// The literal template name of a `render_template` call.
pub fn template_name(call: &ExprCall) -> Option<String> {
    let arg = call.arguments.args.first().or_else(|| {
        call.arguments
            .find_keyword("template_name_or_list")
            .map(|k| &k.value)
    })?;
    super::flask::string_literal(arg)
}

/// Whether `callee` (qualified) is Flask's `render_template`.
pub fn is_render_template(callee: &str) -> bool {
    callee == "flask.render_template" || callee == "flask.templating.render_template"
}

/// Records a `render_template("name", var=value, ...)` call in the Flask model.
pub fn record(cx: &mut Checker, call: &ExprCall) {
    let Some(template) = template_name(call) else {
        return;
    };
    let context = call
        .arguments
        .keywords
        .iter()
        .filter_map(|kw| {
            let name = kw.arg.as_ref()?.to_string();
            if name == "template_name_or_list" {
                return None;
            }
            let location = cx.location(kw.range());
            let request_flow = request_flow(cx, call, &kw.value).map(|mut flow| {
                flow.push(FlowStep {
                    location: location.clone(),
                    message: format!("passed to `{template}` as `{name}`"),
                });
                flow
            });
            let harmless = is_constant(&kw.value) || is_sanitized(cx, &kw.value);
            Some(ContextVar {
                name,
                location,
                request_flow,
                harmless,
            })
        })
        .collect();
    let view = cx
        .function_name()
        .map(|f| format!("{}.{f}", cx.file.module));
    let location = cx.location(call.range());
    cx.facts.renders.push(RenderCall {
        template,
        location,
        view,
        context,
    });
}

/// How request data reaches `value`, an argument of `call`: the steps from the request source to
/// the value, or `None` when it is not request data.
///
/// This is the seam for the taint engine: today it answers with the checker's local check
/// (`request.*` read directly, or a local variable assigned from such a read); the taint engine
/// replaces the body with its own, inter-procedural answer and keeps the signature.
pub fn request_flow(cx: &Checker, call: &ExprCall, value: &Expr) -> Option<Vec<FlowStep>> {
    let _ = call;
    if !cx.is_request_derived(value) {
        return None;
    }
    let source: TextRange = match value {
        Expr::Name(n) => cx.request_origin(n.id.as_str()).unwrap_or(value.range()),
        _ => value.range(),
    };
    let mut steps = vec![FlowStep {
        location: cx.location(source),
        message: format!(
            "source: `{}` (request data)",
            shorten(cx.file.slice(source))
        ),
    }];
    if source != value.range() {
        steps.push(FlowStep {
            location: cx.location(value.range()),
            message: format!(
                "`{}` holds the request data",
                shorten(cx.file.slice(value.range()))
            ),
        });
    }
    Some(steps)
}

/// A number, boolean or `None` literal: nothing a template could mistake for markup.
fn is_constant(value: &Expr) -> bool {
    matches!(
        value,
        Expr::NumberLiteral(_) | Expr::BooleanLiteral(_) | Expr::NoneLiteral(_)
    )
}

/// Whether `value` was built by an HTML sanitizer, directly or through a local variable.
fn is_sanitized(cx: &Checker, value: &Expr) -> bool {
    match value {
        Expr::Name(n) => cx.is_sanitized_name(n.id.as_str()),
        _ => is_sanitizer_call(cx, value),
    }
}

/// `bleach.clean(...)`, `nh3.clean(...)`.
pub fn is_sanitizer_call(cx: &Checker, value: &Expr) -> bool {
    let Expr::Call(c) = value else { return false };
    cx.sem.is_any(&c.func, SANITIZERS)
}

/// Records the template folder of `Flask(...)` (default `templates`) or `Blueprint(...)` (only
/// with `template_folder=`), relative to the scan root: Flask looks it up next to the module.
pub fn note_template_folder(cx: &mut Checker, call: &ExprCall, callee: &str) {
    let default = match callee {
        super::project::FLASK => Some("templates".to_string()),
        "flask.Blueprint" => None,
        _ => return,
    };
    let folder = match call.arguments.find_keyword("template_folder") {
        Some(k) => super::flask::string_literal(&k.value),
        None => default,
    };
    let Some(folder) = folder else { return };
    let dir = cx.file.path.rsplit_once('/').map_or("", |(d, _)| d);
    let joined = if dir.is_empty() {
        folder
    } else {
        format!("{dir}/{folder}")
    };
    cx.facts
        .template_folders
        .push(joined.trim_end_matches('/').to_string());
}

fn shorten(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        format!("{}…", one_line.chars().take(59).collect::<String>())
    } else {
        one_line
    }
}
