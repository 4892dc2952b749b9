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
use crate::python::flask::AppFacts;

/// Servers that host a WSGI app without Werkzeug's development server, so without its debugger
/// whatever the app's debug flag.
const OTHER_WSGI_SERVERS: &[&str] = &[
    "gevent.pywsgi.WSGIServer",
    "gevent.wsgi.WSGIServer",
    "cherrypy.tree.graft",
    "cheroot.wsgi.Server",
    "cheroot.wsgi.WSGIServer",
    "waitress.serve",
    "waitress.create_server",
    "tornado.wsgi.WSGIContainer",
    "eventlet.wsgi.server",
];

/// `app.run(debug=True)`, `run_simple(..., use_debugger=True)`, `DebuggedApplication(app)`.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    note_serving(cx, call, callee);
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
        // Withdrawn once the whole project is known not to start the debugger (see
        // `config_debug_is_inert`).
        let location = cx.location(write.range);
        cx.facts.debug_config_writes.push(location);
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

/// How the project serves its apps. The debug flag in config only installs the debugger
/// through `app.run()` (or a `run_simple`/`DebuggedApplication` the project wires itself);
/// `flask run` takes it from `FLASK_DEBUG`/`--debug` alone. So a `.run(...)` that may be an
/// app's counts: on an app, on a receiver whose name says app, with the dev server's keywords,
/// or handed an app (`socketio.run(app)`). A debug toolbar reads the flag too.
fn note_serving(cx: &mut Checker, call: &ExprCall, callee: &str) {
    if OTHER_WSGI_SERVERS.contains(&callee) {
        cx.facts.other_wsgi_server = true;
    }
    let starts = match &*call.func {
        Expr::Attribute(a) if a.attr.as_str() == "run" => {
            cx.is_app(&a.value)
                || names_app(&a.value)
                || call.arguments.keywords.iter().any(|k| {
                    k.arg.as_ref().is_some_and(|n| {
                        matches!(
                            n.as_str(),
                            "debug" | "use_debugger" | "use_reloader" | "host" | "port"
                        )
                    })
                })
                || call
                    .arguments
                    .args
                    .iter()
                    .any(|x| cx.is_app(x) || names_app(x))
        }
        _ => false,
    } || matches!(
        callee,
        "werkzeug.serving.run_simple"
            | "werkzeug.run_simple"
            | "werkzeug.debug.DebuggedApplication"
    ) || callee.starts_with("flask_debugtoolbar.");
    if starts {
        cx.facts.may_start_debugger = true;
    }
}

/// `app`, `self.web_app`, `create_app()`: an expression whose last name mentions an app.
fn names_app(e: &Expr) -> bool {
    let name = match e {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        Expr::Call(c) => return names_app(&c.func),
        _ => return false,
    };
    name.to_ascii_lowercase().contains("app")
}

/// Whether `DEBUG = True` in config does nothing dangerous: the project hands its apps to
/// another WSGI server and nothing of its own may start the debugger, so the flag only
/// propagates exceptions to that server, which answers a bare 500.
pub fn config_debug_is_inert(facts: &AppFacts) -> bool {
    facts.other_wsgi_server && !facts.may_start_debugger
}
