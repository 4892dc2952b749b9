//! FS109 bind-all-interfaces.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::helpers::{argument, literal_text};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;
use crate::python::words::words;

/// Whether the code runs only when the app's debug mode is on.
fn on_debug_path(cx: &Checker) -> bool {
    super::fs101_debug_mode_enabled::installed_in_debug_mode(cx)
        || cx
            .enclosing_function_names()
            .any(|f| words(f).iter().any(|w| w == "debug"))
}

pub const RULE: Rule = Rule {
    id: "FS109",
    name: "bind-all-interfaces",
    severity: Severity::Low,
    cwe: &[605],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "The development server listens on every network interface",
    fix: "Bind the development server to `127.0.0.1` and serve production through a WSGI server (gunicorn, waitress) behind a proxy.",
    help: "`host=\"0.0.0.0\"` exposes Flask's development server (not built for hostile traffic, and with the debugger if debug is on) to every network the machine is on.",
    bad: "app.run(host=\"0.0.0.0\")",
    good: "app.run(host=\"127.0.0.1\")",
};

/// `app.run(host="0.0.0.0")`, `run_simple("::", ...)`, unless only the app's own debug mode
/// starts it: under `if args.debug:` on a setting that is off by default, or in a function
/// named for debugging (`make_debug_server`). That path is the developer's, who asked for it;
/// the served app runs under a WSGI server.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    let host = match &*call.func {
        Expr::Attribute(a) if a.attr.as_str() == "run" && cx.is_app(&a.value) => {
            argument(call, 0, "host")
        }
        _ if callee == "werkzeug.serving.run_simple" || callee == "werkzeug.run_simple" => {
            argument(call, 0, "hostname")
        }
        _ => None,
    };
    if let Some(host) = host {
        if on_debug_path(cx) {
            return;
        }
        if let Some(h) = literal_text(host).filter(|h| matches!(h.as_str(), "0.0.0.0" | "::" | ""))
        {
            cx.report_msg(
                &RULE,
                host.range(),
                format!("The server binds to `{h}`, every network interface"),
            );
        }
    }
}
