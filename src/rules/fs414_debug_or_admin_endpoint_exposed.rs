//! FS414 debug-or-admin-endpoint-exposed (app rule): a route without authentication that
//! returns internal state (the whole config or environment, every user, a stack trace) or, under
//! a debug or admin URL, runs code or commands.

use std::collections::HashSet;

use super::helpers::words;
use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::inventory::{Auth, RouteEntry};
use crate::python::view_body::{Exposure, ExposureKind};

pub const RULE: Rule = Rule {
    id: "FS414",
    name: "debug-or-admin-endpoint-exposed",
    severity: Severity::High,
    cwe: &[489, 200],
    kind: RuleKind::App,
    precision: Precision::High,
    suite: Suite::Default,
    message: "A route without authentication returns internal state or runs admin tools",
    fix: "Remove the debug route, or protect it (`@login_required` plus a role check) and return only what a client needs.",
    help: "Debug and admin endpoints left reachable by anyone leak what an attacker needs next: the whole configuration (secret key, database URL), the process environment (cloud credentials), every user record, stack traces; or they run code and commands (`eval`, `subprocess`) under `/debug`, `/console` or `/admin`. Only routes whose protection flaskscan can follow and finds absent are reported (`none` in `flaskscan routes`); a stack trace returned from an `except` handler is FS410's business.",
    bad: "@app.route(\"/debug/config\")\ndef debug_config():\n    return jsonify(dict(current_app.config))",
    good: "@app.route(\"/debug/config\")\n@login_required\n@roles_required(\"admin\")\ndef debug_config():\n    return jsonify({\"debug\": current_app.debug})",
};

/// URL words that mark a debugging or administration area, where running code is a tool.
const TOOL_AREAS: &[&str] = &[
    "debug", "console", "shell", "admin", "eval", "exec", "terminal", "repl",
];

/// Once per view: handlers with auth `none` (never `unknown`) whose body returns internal state,
/// or runs code or commands under a debug or admin URL.
pub fn check(routes: &[RouteEntry], out: &mut Vec<AppFinding>) {
    let mut seen = HashSet::new();
    for r in routes.iter().filter(|r| r.auth == Auth::None) {
        let Some(body) = &r.body else {
            continue;
        };
        let tool_area = words(&r.rule)
            .iter()
            .any(|w| TOOL_AREAS.contains(&w.as_str()));
        let Some(e) = body
            .exposures
            .iter()
            .find(|e| e.kind != ExposureKind::AdminTool || tool_area)
        else {
            continue;
        };
        if !seen.insert((r.location.path.clone(), r.location.start.line)) {
            continue;
        }
        out.push(AppFinding {
            rule: &RULE,
            location: r.location.clone(),
            message: format!(
                "{} has no authentication and {} (line {})",
                r.describe(),
                what(e),
                e.location.start.line
            ),
            flow: Vec::new(),
            related: Vec::new(),
        });
    }
}

fn what(e: &Exposure) -> String {
    match e.kind {
        ExposureKind::Config => format!("returns the whole configuration (`{}`)", e.text),
        ExposureKind::Environ => format!("returns the whole environment (`{}`)", e.text),
        ExposureKind::AllUsers => format!("returns every user record (`{}`)", e.text),
        ExposureKind::Traceback => format!("returns a stack trace (`{}`)", e.text),
        ExposureKind::AdminTool => format!("runs code or commands (`{}`)", e.text),
    }
}
