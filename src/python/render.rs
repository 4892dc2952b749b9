//! `render_template(...)` calls: which template a view renders and what each context variable
//! carries, so template findings can be linked back to the request data that reaches them.

use ruff_python_ast::{self as ast, Expr, ExprCall};
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
/// local (or else module-level) name was given (`template = "page.html" if full else
/// "bare.html"`, `WELCOME_MAIL = "emails/welcome.txt"`).
fn template_names(cx: &Checker, call: &ExprCall) -> Vec<String> {
    if let Some(name) = template_name(call) {
        return vec![name];
    }
    let Some(Expr::Name(local)) = call.arguments.args.first() else {
        return Vec::new();
    };
    let name = local.id.as_str();
    let Some(values) = super::locals::assigned_values(cx, name, call.start())
        .or_else(|| super::locals::module_values(cx, name))
    else {
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

/// Extensions of template files (as [`crate::workspace::classify`] finds them).
const TEMPLATE_EXTENSIONS: &[&str] = &[
    ".html", ".htm", ".jinja", ".jinja2", ".j2", ".xml", ".svg", ".txt",
];

/// Notes a string literal that may name a template, so a template no code names can be told
/// apart: `"admin/list.html"` names `list.html`; a name completed at run time
/// (`"%s_row.html" % kind`, `prefix + "_row.html"`, `name + ".html"`) makes every template
/// ending in `_row.html` (or `.html`) reachable.
pub fn note_template_literal(cx: &mut Checker, text: &str) {
    let Some(file_name) = template_file_name(text) else {
        return;
    };
    let (completed_at_run_time, tail) = after_placeholder(file_name);
    let names = &mut cx.facts.template_names;
    if completed_at_run_time || tail.starts_with(|c: char| !c.is_ascii_alphanumeric()) {
        names.suffixes.insert(tail.to_ascii_lowercase());
    } else {
        names.files.insert(tail.to_ascii_lowercase());
    }
}

/// Notes an f-string ending in a template extension (`f"{kind}_row.html"`): what follows its
/// last interpolation is a suffix of the templates it may name.
pub fn note_template_fstring(cx: &mut Checker, f: &ast::ExprFString) {
    if let Some(file_name) = fstring_tail(f).and_then(template_file_name) {
        let suffix = after_placeholder(file_name).1.to_ascii_lowercase();
        cx.facts.template_names.suffixes.insert(suffix);
    }
}

/// The literal text an f-string ends with, after its last interpolation (`".html"` of
/// `f"{kind}.html"`); `None` when it ends with an interpolation.
fn fstring_tail(f: &ast::ExprFString) -> Option<&str> {
    match f.value.as_slice().last()? {
        ast::FStringPart::Literal(s) => Some(&s.value),
        ast::FStringPart::FString(f) => match f.elements.last()? {
            ast::InterpolatedStringElement::Literal(l) => Some(&l.value),
            _ => None,
        },
    }
}

/// Notes a call that loads a template by a name the code computes (`render_template(name)`,
/// `env.get_template(path)`): then any template may be served.
pub fn note_computed_template_name(cx: &mut Checker, call: &ExprCall, callee: &str) {
    const LOADERS: &[&str] = &[
        "render_template",
        "stream_template",
        "get_template",
        "select_template",
        "get_or_select_template",
        "render",
    ];
    let method = callee
        .rsplit('.')
        .next()
        .filter(|m| !m.is_empty())
        .or_else(|| match &*call.func {
            Expr::Attribute(a) => Some(a.attr.as_str()),
            Expr::Name(n) => Some(n.id.as_str()),
            _ => None,
        });
    if !method.is_some_and(|m| LOADERS.contains(&m)) {
        return;
    }
    let Some(first) = call.arguments.args.first().or_else(|| {
        call.arguments
            .find_keyword("template_name_or_list")
            .map(|k| &k.value)
    }) else {
        return;
    };
    let known = first.is_string_literal_expr()
        || ends_in_template_literal(first, 0)
        || (is_render_template(callee) && !template_names(cx, call).is_empty());
    if !known {
        cx.facts.template_names.computed = true;
    }
}

/// A name built to end in a template literal (`"%s_row.html" % kind`, `kind + "_row.html"`,
/// `"{}_row.html".format(kind)`, `f"{kind}_row.html"`): the literal, noted where it is
/// visited, says which templates it can reach.
fn ends_in_template_literal(e: &Expr, depth: usize) -> bool {
    let literal = |e: &Expr| match e {
        Expr::StringLiteral(s) => template_file_name(s.value.to_str()).is_some(),
        _ => false,
    };
    match e {
        Expr::FString(f) => fstring_tail(f).and_then(template_file_name).is_some(),
        Expr::BinOp(b) if b.op == ast::Operator::Mod => literal(&b.left),
        Expr::BinOp(b) if b.op == ast::Operator::Add => {
            literal(&b.right) || (depth < 8 && ends_in_template_literal(&b.right, depth + 1))
        }
        Expr::Call(c) => matches!(
            &*c.func,
            Expr::Attribute(a) if a.attr.as_str() == "format" && literal(&a.value)
        ),
        _ => false,
    }
}

/// The last path segment of `text` when it ends in a template extension.
fn template_file_name(text: &str) -> Option<&str> {
    let ends = TEMPLATE_EXTENSIONS.iter().any(|e| {
        text.len() >= e.len()
            && text.is_char_boundary(text.len() - e.len())
            && text[text.len() - e.len()..].eq_ignore_ascii_case(e)
    });
    ends.then(|| text.rsplit(['/', '\\']).next().unwrap_or(text))
}

/// What follows the last `%` conversion or `{...}` field of a file name, and whether there was
/// one: `"%s_row.html"` → `_row.html`, `"{kind}.html"` → `.html`.
fn after_placeholder(file_name: &str) -> (bool, &str) {
    let Some(at) = file_name.rfind(['%', '}']) else {
        return (false, file_name);
    };
    let rest = &file_name[at + 1..];
    if file_name[at..].starts_with('}') {
        return (true, rest);
    }
    // `%s`, `%(kind)s`: skip a mapping key, then the conversion letter.
    let rest = match rest.strip_prefix('(') {
        Some(r) => r.split_once(')').map_or("", |(_, after)| after),
        None => rest,
    };
    let start = rest
        .find(|c: char| c.is_ascii_alphabetic())
        .map_or(rest.len(), |i| i + 1);
    (true, &rest[start..])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_file_names_and_run_time_endings() {
        assert_eq!(template_file_name("admin/list.HTML"), Some("list.HTML"));
        assert_eq!(template_file_name("requirements.in"), None);
        assert_eq!(after_placeholder("list.html"), (false, "list.html"));
        assert_eq!(after_placeholder("%s_row.html"), (true, "_row.html"));
        assert_eq!(after_placeholder("%(kind)s.html"), (true, ".html"));
        assert_eq!(after_placeholder("{0}_card.j2"), (true, "_card.j2"));
    }
}
