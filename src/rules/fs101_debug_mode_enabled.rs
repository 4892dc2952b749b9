//! FS101 debug-mode-enabled.

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS101",
    name: "debug-mode-enabled",
    severity: Severity::High,
    cwe: &[489, 215],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Flask debug mode is enabled: the Werkzeug debugger lets anyone who reaches it run code",
    fix: "Remove `debug=True`; enable debug only in development through `FLASK_DEBUG` in your shell, never in code or committed config.",
    help: "With debug mode on, any exception shows the interactive Werkzeug debugger, which executes arbitrary Python in the server process (the PIN is guessable from public machine facts). Debug mode also leaks source code and configuration in tracebacks.",
    bad: "app.run(debug=True)",
    good: "app.run(debug=os.environ.get(\"FLASK_DEBUG\") == \"1\")",
};

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::fix_edits;
use super::helpers::{is_truthy_literal, keyword};
use crate::python::checker::{Checker, ConfigWrite};

/// `app.run(debug=True)`, `run_simple(..., use_debugger=True)`, `DebuggedApplication(app)`.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if callee == "werkzeug.debug.DebuggedApplication" {
        let evalex_off = keyword(call, "evalex").is_some_and(super::helpers::is_falsy_literal);
        if !evalex_off {
            cx.report_msg(
                &RULE,
                call.range(),
                "Werkzeug `DebuggedApplication` wraps the app: its console runs any Python code sent to it".into(),
            );
        }
        return;
    }
    let is_run = match &*call.func {
        Expr::Attribute(a) if a.attr.as_str() == "run" => cx.is_app(&a.value),
        _ => false,
    } || callee == "werkzeug.serving.run_simple"
        || callee == "werkzeug.run_simple";
    if !is_run {
        return;
    }
    for name in ["debug", "use_debugger"] {
        if let Some(value) = keyword(call, name).filter(|v| is_truthy_literal(v)) {
            cx.report_fixable(
                &RULE,
                value.range(),
                format!("`{name}=True` starts the app with the Werkzeug debugger, which runs any code sent to it"),
                RULE.severity,
                Some(fix_edits::fix(
                    format!("Set `{name}=False`"),
                    vec![fix_edits::replace(value, "False")],
                )),
            );
        }
    }
}

/// `DEBUG = True`, `FLASK_DEBUG = 1` in any form of config write. `ENV = "development"` as a
/// config key is not reported: only the `FLASK_ENV` *environment variable* (see the env-file
/// check) ever turned the debugger on; the `ENV` config value only named the environment, and
/// Flask 2.3 removed it. Nor is the development arm of a run-time choice between config
/// classes reported: a deployment runs the other arm, which keeps debug off.
pub fn check_config(cx: &mut Checker, write: &ConfigWrite) {
    let on = matches!(write.key, "DEBUG" | "FLASK_DEBUG")
        && is_truthy_literal(write.value)
        && !write.development_alternative;
    if on {
        cx.report_msg(
            &RULE,
            write.range,
            format!(
                "`{}` turns on Flask debug mode and the Werkzeug debugger",
                write.key
            ),
        );
    }
}
