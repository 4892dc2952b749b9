//! `render_template(...)` calls: which template a view renders and what each context variable
//! carries, so template findings can be linked back to the request data that reaches them.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextRange};

use super::checker::Checker;
use super::flask::{ContextVar, RenderCall};
use crate::finding::FlowStep;

/// HTML sanitizers, and producers whose output has every `<`, `>`, `&` and quote escaped
/// (`pygments.highlight` only with an HTML formatter, see [`highlights_as_html`]).
const SANITIZERS: &[&str] = &[
    "bleach.clean",
    "bleach.sanitizer.Cleaner.clean",
    "nh3.clean",
    "markupsafe.escape",
    "flask.escape",
    "jinja2.escape",
    "html.escape",
    "pygments.highlight",
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

/// The templates a `render_template` call may render: its literal name, or every literal a
/// local name was given (`template = "page.html" if full else "bare.html"`).
fn template_names(cx: &Checker, call: &ExprCall) -> Vec<String> {
    if let Some(name) = template_name(call) {
        return vec![name];
    }
    let Some(Expr::Name(local)) = call.arguments.args.first() else {
        return Vec::new();
    };
    let Some(values) = super::locals::assigned_values(cx, local.id.as_str(), call.start()) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for value in values {
        if !literal_choices(value, &mut names, 0) {
            return Vec::new();
        }
    }
    names
}

/// Collects the text literals `value` chooses between (`"a" if c else "b"`); false when it may
/// be anything else.
fn literal_choices(value: &Expr, out: &mut Vec<String>, depth: usize) -> bool {
    match value {
        Expr::If(e) if depth < 8 => {
            literal_choices(&e.body, out, depth + 1) && literal_choices(&e.orelse, out, depth + 1)
        }
        _ => match super::flask::string_literal(value) {
            Some(name) => {
                out.push(name);
                true
            }
            None => false,
        },
    }
}

/// Records a `render_template("name", var=value, ...)` call in the Flask model.
pub fn record(cx: &mut Checker, call: &ExprCall) {
    let templates = template_names(cx, call);
    if templates.is_empty() {
        return;
    }
    let context: Vec<ContextVar> = call
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
                    message: format!("passed to `{}` as `{name}`", templates.join("` or `")),
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
    for template in templates {
        cx.facts.renders.push(RenderCall {
            template,
            location: location.clone(),
            view: view.clone(),
            context: context.clone(),
        });
    }
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

/// `bleach.clean(...)`, `nh3.clean(...)`, or an escaping producer (see [`ESCAPERS`]); a
/// `.strip()` of one keeps what it made.
pub fn is_sanitizer_call(cx: &Checker, value: &Expr) -> bool {
    let Expr::Call(c) = value else { return false };
    if let Expr::Attribute(a) = &*c.func {
        if matches!(a.attr.as_str(), "strip" | "lstrip" | "rstrip") && c.arguments.is_empty() {
            return is_sanitizer_call(cx, &a.value);
        }
    }
    // One resolution for every candidate: this runs on each assigned call.
    if !cx.sem.is_any(&c.func, SANITIZERS) {
        return false;
    }
    !cx.sem.is(&c.func, "pygments.highlight") || highlights_as_html(cx, c)
}

/// Whether `pygments.highlight(code, lexer, formatter)` is given an HTML formatter, which
/// escapes every token of the code (another formatter may emit the code as it is).
fn highlights_as_html(cx: &Checker, c: &ExprCall) -> bool {
    let formatter = c
        .arguments
        .args
        .get(2)
        .or_else(|| c.arguments.find_keyword("formatter").map(|k| &k.value));
    let is_html = |e: &Expr| matches!(e, Expr::Call(f) if cx.sem.is_any(&f.func, HTML_FORMATTERS));
    match formatter {
        Some(Expr::Name(n)) => super::locals::assigned_values(cx, n.id.as_str(), c.start())
            .is_some_and(|values| values.into_iter().all(is_html)),
        Some(e) => is_html(e),
        None => false,
    }
}

/// HTML formatters of Pygments.
const HTML_FORMATTERS: &[&str] = &[
    "pygments.formatters.HtmlFormatter",
    "pygments.formatters.html.HtmlFormatter",
];

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
