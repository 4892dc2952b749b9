//! FS101 debug-mode-enabled.

use super::{same_start, withdraw_at, Precision, Rule, RuleKind, Suite};
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

use ruff_python_ast::{Expr, ExprCall, Stmt};
use ruff_text_size::Ranged;

use super::fix_edits;
use super::helpers::{is_truthy_literal, keyword};
use crate::finding::Location;
use crate::python::checker::{Checker, ConfigWrite};
use crate::python::flask::AppFacts;
use crate::taint::debug_gate;

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
            if installed_in_debug_mode(cx) {
                let location = cx.location(call.range());
                cx.facts.gated_debuggers.push(location);
            }
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
    if !is_run || is_profiling_script(cx) {
        return;
    }
    for name in ["debug", "use_debugger"] {
        if let Some(value) = keyword(call, name).filter(|v| is_truthy_literal(v)) {
            // `if args.debug: app.run(debug=True)`: the operator's own switch, judged like a
            // gated `DebuggedApplication` once the project is known.
            if installed_in_debug_mode(cx) {
                let location = cx.location(value.range());
                cx.facts.gated_debuggers.push(location);
            }
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

/// Whether the module imports a profiler (`cProfile`, Werkzeug's `ProfilerMiddleware`,
/// pyinstrument, yappi) at its top level: a script that runs the app under a profiler is a
/// developer's measuring tool, which no deployment serves through.
fn is_profiling_script(cx: &Checker) -> bool {
    const PROFILERS: &[&str] = &[
        "cProfile",
        "profile",
        "werkzeug.middleware.profiler",
        "werkzeug.contrib.profiler",
        "pyinstrument",
        "yappi",
    ];
    cx.file.body().iter().any(|stmt| match stmt {
        Stmt::Import(i) => i.names.iter().any(|a| PROFILERS.contains(&a.name.as_str())),
        Stmt::ImportFrom(i) => i
            .module
            .as_ref()
            .is_some_and(|m| i.level == 0 && PROFILERS.contains(&m.as_str())),
        _ => false,
    })
}

/// `DEBUG = True`, `FLASK_DEBUG = 1` in any form of config write. `ENV = "development"` as a
/// config key is not reported: only the `FLASK_ENV` *environment variable* (see the env-file
/// check) ever turned the debugger on; the `ENV` config value only named the environment, and
/// Flask 2.3 removed it. Nor is the development arm of a run-time choice between config
/// classes reported: a deployment runs the other arm, which keeps debug off. The same holds for
/// a base class whose switch only such arms inherit, the production subclass turning it off.
pub fn check_config(cx: &mut Checker, write: &ConfigWrite) {
    let on = matches!(write.key, "DEBUG" | "FLASK_DEBUG")
        && is_truthy_literal(write.value)
        && !write.development_alternative
        && !write.debug_confined;
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

/// Whether the debugger is installed only inside `if debug:` on the application's own debug
/// setting (`config["debug"]`, `app.debug`, an environment read falling back on off): the app
/// honouring its debug switch, as `app.run(debug=...)` does. Whether that switch is on in what
/// the project ships is judged once every file is read (see [`withdraw_gated_debuggers`]).
/// Other rules ask it of development-only settings (FS110).
pub fn installed_in_debug_mode(cx: &Checker) -> bool {
    cx.if_tests()
        .iter()
        .any(|test| debug_gate::implies_debug(test, true, &mut |flag| is_setting_read(cx, flag)))
}

/// Whether `flag` reads a setting whose fallback is off: a lookup or attribute, a reader call
/// without a truthy default, or a local (or module name) assigned only such reads. A literal, a
/// parameter (its callers choose) or a name assigned anything else does not count.
pub(super) fn is_setting_read(cx: &Checker, flag: &Expr) -> bool {
    let Expr::Name(n) = flag else {
        return reads_off_by_default(flag, 0);
    };
    let name = n.id.as_str();
    if cx.is_enclosing_parameter(name) {
        return false;
    }
    let mut values = Vec::new();
    if let Some(f) = cx.enclosing_function() {
        assigned_values(&f.body, name, 0, &mut values);
    }
    if values.is_empty() {
        assigned_values(cx.file.body(), name, 0, &mut values);
    }
    !values.is_empty() && values.iter().all(|v| reads_off_by_default(v, 0))
}

/// The values `name` is assigned in `body` and its branches (not in nested functions).
fn assigned_values<'a>(body: &'a [Stmt], name: &str, depth: usize, out: &mut Vec<&'a Expr>) {
    if depth > 8 {
        return;
    }
    let is_name = |t: &Expr| matches!(t, Expr::Name(n) if n.id.as_str() == name);
    for stmt in body {
        match stmt {
            Stmt::Assign(a) if a.targets.iter().any(is_name) => out.push(&a.value),
            Stmt::AnnAssign(a) if is_name(&a.target) => out.extend(a.value.as_deref()),
            Stmt::If(i) => {
                assigned_values(&i.body, name, depth + 1, out);
                for clause in &i.elif_else_clauses {
                    assigned_values(&clause.body, name, depth + 1, out);
                }
            }
            Stmt::With(w) => assigned_values(&w.body, name, depth + 1, out),
            Stmt::Try(t) => {
                for part in [&t.body, &t.orelse, &t.finalbody] {
                    assigned_values(part, name, depth + 1, out);
                }
            }
            // Any other binding (a loop variable, a tuple target, `global`) is not followed:
            // an empty list or a non-read value keeps the finding.
            Stmt::For(f) if is_name(&f.target) => out.push(&f.target),
            Stmt::AugAssign(a) if is_name(&a.target) => out.push(&a.target),
            _ => {}
        }
    }
}

/// `config["debug"]`, `settings.DEBUG`, `os.getenv("DEBUG", "0") == "1"`, `asbool(x.get("debug"))`:
/// a read whose fallback, when it has one, is not a truthy literal.
fn reads_off_by_default(e: &Expr, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    match e {
        Expr::Subscript(_) | Expr::Attribute(_) => true,
        Expr::Call(c) => {
            let truthy_default = c.arguments.args.iter().skip(1).any(is_truthy_literal)
                || c.arguments
                    .keywords
                    .iter()
                    .any(|k| is_truthy_literal(&k.value));
            // A method of a read (`.lower()`) or a converter of one (`asbool(...)`): the read
            // inside may carry the fallback.
            let inner = match (&*c.func, c.arguments.args.first()) {
                (Expr::Attribute(a), _) if matches!(&*a.value, Expr::Call(_)) => Some(&*a.value),
                (_, Some(first @ Expr::Call(_))) => Some(first),
                _ => None,
            };
            !truthy_default && inner.is_none_or(|i| reads_off_by_default(i, depth + 1))
        }
        Expr::Compare(c) => reads_off_by_default(&c.left, depth + 1),
        Expr::BoolOp(b) => b.values.iter().all(|v| reads_off_by_default(v, depth + 1)),
        Expr::UnaryOp(u) => reads_off_by_default(&u.operand, depth + 1),
        _ => false,
    }
}

/// Withdraws the `DebuggedApplication` findings gated on the app's debug setting (see
/// [`installed_in_debug_mode`]) when no other FS101 finding remains: nothing the project ships
/// turns debug on, so the debugger is installed only where an operator asks for debug mode,
/// which is the operator's choice as with `flask run --debug`. When something does turn it on,
/// the gated debugger is what that switch installs and stays reported.
pub fn withdraw_gated_debuggers(findings: &mut Vec<crate::finding::Finding>, facts: &AppFacts) {
    if facts.gated_debuggers.is_empty() {
        return;
    }
    let gated = |l: &Location| facts.gated_debuggers.iter().any(|g| same_start(l, g));
    let debug_on_elsewhere = findings
        .iter()
        .any(|f| f.rule.id == RULE.id && !gated(&f.location));
    if !debug_on_elsewhere {
        withdraw_at(findings, &RULE, &facts.gated_debuggers);
    }
}
