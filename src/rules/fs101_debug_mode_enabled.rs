//! FS101 debug-mode-enabled.

use super::{Precision, Rule, RuleKind};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS101",
    name: "debug-mode-enabled",
    severity: Severity::High,
    cwe: &[489, 215],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    message: "Flask debug mode is enabled: the Werkzeug debugger lets anyone who reaches it run code",
    fix: "Remove `debug=True`; enable debug only in development through `FLASK_DEBUG` in your shell, never in code or committed config.",
    help: "With debug mode on, any exception shows the interactive Werkzeug debugger, which executes arbitrary Python in the server process (the PIN is guessable from public machine facts). Debug mode also leaks source code and configuration in tracebacks.",
    bad: "app.run(debug=True)",
    good: "app.run(debug=os.environ.get(\"FLASK_DEBUG\") == \"1\")",
};
