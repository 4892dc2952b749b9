//! FS105 csrf-protection-disabled.

use ruff_python_ast::{self as ast, Expr, ExprCall, Stmt};
use ruff_text_size::Ranged;

use super::helpers::{is_falsy_literal, keyword};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::{Checker, ConfigWrite};
use crate::python::flask::Route;

pub const RULE: Rule = Rule {
    id: "FS105",
    name: "csrf-protection-disabled",
    severity: Severity::High,
    cwe: &[352],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "CSRF protection is switched off",
    fix: "Keep `WTF_CSRF_ENABLED` on, do not exempt state-changing views, and send the CSRF token from forms and JavaScript clients.",
    help: "Without a CSRF token check, any site the victim visits can submit forms to your app with the victim's cookies: changing their e-mail, password or making purchases.",
    bad: "app.config[\"WTF_CSRF_ENABLED\"] = False",
    good: "csrf = CSRFProtect(app)",
};

/// `WTF_CSRF_ENABLED = False`, `WTF_CSRF_CHECK_DEFAULT = False`.
pub fn check_config(cx: &mut Checker, write: &ConfigWrite) {
    if matches!(
        write.key,
        "WTF_CSRF_ENABLED" | "WTF_CSRF_CHECK_DEFAULT" | "CSRF_ENABLED"
    ) && is_falsy_literal(write.value)
    {
        cx.facts.csrf_switched_off = true;
        cx.report_msg(
            &RULE,
            write.range,
            format!("`{}` switches CSRF protection off", write.key),
        );
    }
}

/// `@csrf.exempt` on a state-changing view.
pub fn check_routes(cx: &mut Checker, f: &ast::StmtFunctionDef, routes: &[Route]) {
    if !routes
        .iter()
        .any(|r| r.csrf_exempt && r.is_state_changing())
    {
        return;
    }
    let exempt = f.decorator_list.iter().find(|d| {
        cx.sem
            .resolve(&d.expression)
            .is_some_and(|q| q.ends_with(".exempt"))
    });
    if let Some(d) = exempt {
        cx.report_msg(
            &RULE,
            d.range(),
            format!(
                "`{}` accepts state-changing requests with CSRF protection exempted",
                f.name
            ),
        );
    }
}

/// `FlaskForm(meta={"csrf": False})` and `csrf.exempt(blueprint)`.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if let Some(Expr::Dict(meta)) = keyword(call, "meta") {
        for item in &meta.items {
            let is_csrf = item
                .key
                .as_ref()
                .and_then(crate::python::flask::string_literal)
                .is_some_and(|k| k == "csrf");
            if is_csrf && is_falsy_literal(&item.value) {
                cx.report_msg(&RULE, item.value.range(), "The form is created with `meta={\"csrf\": False}`: its CSRF token is not checked".into());
            }
        }
    }
    if callee.ends_with(".exempt") && crate::python::flask::is_csrf_extension(callee) {
        if let Some(arg) = call.arguments.args.first() {
            if cx.sem.is(arg, "flask.Blueprint") {
                cx.report_msg(
                    &RULE,
                    call.range(),
                    "A whole blueprint is exempted from CSRF protection".into(),
                );
            }
        }
    }
}

/// `class Meta: csrf = False` inside a form class.
pub fn check_class(cx: &mut Checker, class: &ast::StmtClassDef) {
    for stmt in &class.body {
        let Stmt::ClassDef(meta) = stmt else { continue };
        if meta.name.as_str() != "Meta" {
            continue;
        }
        for s in &meta.body {
            if let Stmt::Assign(a) = s {
                let is_csrf = a
                    .targets
                    .iter()
                    .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == "csrf"));
                if is_csrf && is_falsy_literal(&a.value) {
                    cx.report_msg(
                        &RULE,
                        s.range(),
                        format!(
                            "Form `{}` switches its CSRF token check off (`Meta.csrf = False`)",
                            class.name
                        ),
                    );
                }
            }
        }
    }
}
