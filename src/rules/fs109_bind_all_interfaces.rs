//! FS109 bind-all-interfaces.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::fs101_debug_mode_enabled::is_setting_read;
use super::helpers::{argument, is_falsy_literal, is_truthy_literal, keyword, literal_text};
use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::{RelatedLocation, Severity};
use crate::python::checker::Checker;
use crate::python::flask::AppFacts;
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
    message: "The development server listens on every network interface with the debugger on",
    fix: "Bind the development server to `127.0.0.1` (or leave the debugger off) and serve production through a WSGI server (gunicorn, waitress) behind a proxy.",
    help: "`host=\"0.0.0.0\"` with debug on exposes the Werkzeug debugger, whose console runs any Python code sent to it, to every network the machine is on. Without the debugger, binding every interface is how a container serves other containers, and is not reported.",
    bad: "app.run(host=\"0.0.0.0\", debug=True)",
    good: "app.run(host=\"127.0.0.1\")",
};

/// `app.run(host="0.0.0.0")`, `run_simple("::", ...)` with the debugger on, unless only the
/// app's own debug mode starts it: under `if args.debug:` on a setting that is off by default,
/// or in a function named for debugging (`make_debug_server`). That path is the developer's,
/// who asked for it; the served app runs under a WSGI server.
///
/// Without the debugger, the development server on every interface is how containers run a
/// backend that other containers must reach: no finding. `debug=True` (or `use_debugger=True`)
/// is reported here; `app.run(...)` with no `debug` keyword takes the app's `DEBUG` setting and
/// is judged once the project is known (see [`check_app`]).
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    let (host, debug_keyword, debug_default) = match &*call.func {
        Expr::Attribute(a) if a.attr.as_str() == "run" && cx.is_app(&a.value) => {
            (argument(call, 0, "host"), "debug", Debugger::FromConfig)
        }
        _ if callee == "werkzeug.serving.run_simple" || callee == "werkzeug.run_simple" => {
            (argument(call, 0, "hostname"), "use_debugger", Debugger::Off)
        }
        _ => return,
    };
    let Some(host) = host else { return };
    let Some(h) = literal_text(host).filter(|h| matches!(h.as_str(), "0.0.0.0" | "::" | "")) else {
        return;
    };
    if on_debug_path(cx) {
        return;
    }
    let debugger = match keyword(call, debug_keyword) {
        None => debug_default,
        Some(v) if is_truthy_literal(v) => Debugger::On,
        Some(v) if is_falsy_literal(v) || is_setting_read(cx, v) => Debugger::Off,
        Some(_) => Debugger::On,
    };
    let message =
        format!("The server binds to `{h}`, every network interface, with the Werkzeug debugger");
    match debugger {
        Debugger::Off => {}
        Debugger::On => cx.report_msg(&RULE, host.range(), message),
        Debugger::FromConfig => {
            let location = cx.location(host.range());
            cx.facts.all_interfaces_by_config.push(location);
        }
    }
}

/// Whether a development server starts the debugger.
#[derive(Clone, Copy)]
enum Debugger {
    On,
    Off,
    /// It follows the app's `DEBUG` setting.
    FromConfig,
}

/// The `app.run(host="0.0.0.0")` calls that follow the app's `DEBUG` setting, reported when
/// the project's configuration turns debug on (FS101 reports that write).
pub fn check_app(facts: &AppFacts, out: &mut Vec<AppFinding>) {
    if facts.debug_config_writes.is_empty() {
        return;
    }
    for location in &facts.all_interfaces_by_config {
        out.push(AppFinding {
            flow: Vec::new(),
            related: facts
                .debug_config_writes
                .iter()
                .map(|l| RelatedLocation {
                    location: l.clone(),
                    message: "the configuration turns debug on here".into(),
                })
                .collect(),
            rule: &RULE,
            location: location.clone(),
            message: "The server binds to every network interface, and the configuration turns the Werkzeug debugger on".into(),
        });
    }
}
