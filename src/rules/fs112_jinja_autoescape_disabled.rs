//! FS112 jinja-autoescape-disabled.

use ruff_python_ast::{ExprCall, Stmt};
use ruff_text_size::Ranged;

use super::helpers::{autoescape_setting, is_falsy_literal, keyword, AutoescapeSetting};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS112",
    name: "jinja-autoescape-disabled",
    severity: Severity::High,
    cwe: &[79],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Jinja2 autoescaping is disabled: every variable in the template is rendered as raw HTML",
    fix: "Pass `autoescape=select_autoescape([\"html\", \"xml\"])` (or `True`) to `jinja2.Environment`; never set `app.jinja_env.autoescape = False`.",
    help: "Jinja2's own default is no escaping. A template rendered without autoescape turns every user-controlled variable into a stored or reflected XSS.",
    bad: "env = jinja2.Environment(loader=FileSystemLoader(\"templates\"))",
    good: "env = jinja2.Environment(loader=FileSystemLoader(\"templates\"), autoescape=select_autoescape())",
};

/// `jinja2.Environment(...)`/`Template(...)` without autoescape, or with it off.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    let what = match callee {
        "jinja2.Environment" | "jinja2.environment.Environment" => "jinja2.Environment",
        "jinja2.Template" | "jinja2.environment.Template" => "jinja2.Template",
        _ => return,
    };
    if cx
        .module_variable_of(call.range())
        .is_some_and(|name| !is_used(cx, name))
    {
        return; // Never renders anything, so nothing goes out unescaped.
    }
    match keyword(call, "autoescape") {
        None => {
            if call.arguments.keywords.iter().any(|k| k.arg.is_none()) {
                return; // `**options` may set it.
            }
            cx.report_msg(
                &RULE,
                call.range(),
                format!(
                    "`{what}` is created without `autoescape`: Jinja2 does not escape by default"
                ),
            );
        }
        Some(v) if is_falsy_literal(v) => {
            cx.report_msg(
                &RULE,
                v.range(),
                format!("`{what}` is created with `autoescape=False`"),
            );
        }
        Some(_) => {}
    }
}

/// Whether the module-level variable `name` is read anywhere: as a bare name in its own file
/// (`name.get_template`, not `app.name`), or imported by name in another module.
fn is_used(cx: &Checker, name: &str) -> bool {
    let text = cx.file.text.as_bytes();
    let is_ident = |b: u8| b == b'_' || b.is_ascii_alphanumeric();
    let bare_uses = memchr::memmem::find_iter(text, name.as_bytes())
        .filter(|&at| {
            let before = at.checked_sub(1).map(|i| text[i]);
            let after = text.get(at + name.len()).copied();
            !before.is_some_and(|b| is_ident(b) || b == b'.') && !after.is_some_and(is_ident)
        })
        .count();
    // One bare occurrence is the definition itself.
    bare_uses > 1 || cx.project.imports_name(name)
}

/// `app.jinja_env.autoescape = False`, `app.jinja_options = {"autoescape": False}`.
pub fn check_stmt(cx: &mut Checker, stmt: &Stmt) {
    let message = match autoescape_setting(stmt) {
        Some(AutoescapeSetting::Env(v)) if is_falsy_literal(v) => {
            "`jinja_env.autoescape = False` turns off escaping in every template"
        }
        Some(AutoescapeSetting::Options(v)) if is_falsy_literal(v) => {
            "`jinja_options` turns autoescaping off"
        }
        _ => return,
    };
    cx.report_msg(&RULE, stmt.range(), message.into());
}
