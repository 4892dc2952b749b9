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
    // A command-line program's templates make files and terminal text, not web pages.
    if is_command_line_module(&cx.file.ast.body) {
        return;
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

/// Packages that parse a command line, and packages that answer HTTP requests.
const COMMAND_LINE: &[&str] = &["click", "argparse", "typer", "docopt", "fire"];
const WEB: &[&str] = &[
    "flask",
    "werkzeug",
    "quart",
    "starlette",
    "fastapi",
    "django",
    "aiohttp",
    "tornado",
    "bottle",
    "pyramid",
    "falcon",
    "sanic",
    "connexion",
];

/// Whether the module is a command-line program: it imports a command-line parser and no web
/// framework (top level, or in a top-level `try`/`if`).
fn is_command_line_module(body: &[Stmt]) -> bool {
    let mut packages: Vec<&str> = Vec::new();
    collect_imports(body, 0, &mut packages);
    packages.iter().any(|p| COMMAND_LINE.contains(p)) && !packages.iter().any(|p| WEB.contains(p))
}

fn collect_imports<'s>(body: &'s [Stmt], depth: u32, out: &mut Vec<&'s str>) {
    let top = |m: &'s str| m.split('.').next().unwrap_or(m);
    for stmt in body {
        match stmt {
            Stmt::Import(i) => out.extend(i.names.iter().map(|a| top(a.name.as_str()))),
            Stmt::ImportFrom(i) => out.extend(i.module.as_ref().map(|m| top(m.as_str()))),
            Stmt::Try(t) if depth < 2 => {
                collect_imports(&t.body, depth + 1, out);
                for h in &t.handlers {
                    let ruff_python_ast::ExceptHandler::ExceptHandler(h) = h;
                    collect_imports(&h.body, depth + 1, out);
                }
            }
            Stmt::If(i) if depth < 2 => {
                collect_imports(&i.body, depth + 1, out);
                for c in &i.elif_else_clauses {
                    collect_imports(&c.body, depth + 1, out);
                }
            }
            _ => {}
        }
    }
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
