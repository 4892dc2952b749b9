//! FS203 command-injection (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS203",
    name: "command-injection",
    severity: Severity::Critical,
    cwe: &[78],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data reaches a shell command or program name",
    fix: "Pass an argument list without `shell=True`, with a fixed program; quote with `shlex.quote` only if a shell is unavoidable.",
    help: "A shell interprets `;`, `|`, `$()` and backticks in request data, so the client runs any command as the web server.",
    bad: "subprocess.run(f\"ping -c 1 {request.args['host']}\", shell=True)",
    good: "subprocess.run([\"ping\", \"-c\", \"1\", request.args[\"host\"]])",
};
