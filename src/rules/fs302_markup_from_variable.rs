//! FS302 markup-from-variable: `Markup(...)` of a non-literal (audit; FS301 covers request data).

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS302",
    name: "markup-from-variable",
    severity: Severity::Low,
    cwe: &[79],
    kind: RuleKind::Pattern,
    precision: Precision::Low,
    suite: Suite::Audit,
    message: "`Markup` marks a non-literal string as safe HTML: it will never be escaped",
    fix: "Build the HTML with `Markup(\"<b>{}</b>\").format(value)` (which escapes `value`), or escape the value first with `markupsafe.escape`.",
    help: "`Markup(value)` tells Jinja the text is already safe HTML. If any part of `value` comes from users, it is rendered unescaped: cross-site scripting.",
    bad: "Markup(f\"<b>{name}</b>\")",
    good: "Markup(\"<b>{}</b>\").format(name)",
};

/// `Markup(x)` / `Markup.unescape(x)` where `x` is not a literal or an escaped value.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if !matches!(callee, "markupsafe.Markup" | "markupsafe.Markup.unescape") {
        return;
    }
    let Some(arg) = call.arguments.args.first() else {
        return;
    };
    if is_safe_markup_arg(cx, arg) {
        return;
    }
    cx.report(&RULE, call.range());
}

fn is_safe_markup_arg(cx: &Checker, arg: &Expr) -> bool {
    match arg {
        Expr::StringLiteral(_) | Expr::BytesLiteral(_) | Expr::NoneLiteral(_) => true,
        // An f-string without placeholders is a literal too.
        Expr::FString(f) => f.value.iter().all(|p| match p {
            ruff_python_ast::FStringPart::Literal(_) => true,
            ruff_python_ast::FStringPart::FString(fs) => {
                fs.elements.iter().all(|e| e.as_literal().is_some())
            }
        }),
        Expr::Call(c) => matches!(
            cx.sem.resolve(&c.func).as_deref(),
            Some(
                "markupsafe.escape"
                    | "html.escape"
                    | "bleach.clean"
                    | "nh3.clean"
                    | "flask.render_template"
            )
        ),
        _ => false,
    }
}
