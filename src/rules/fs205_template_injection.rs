//! FS205 template-injection (taint: the analysis lives in `crate::taint`).

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS205",
    name: "template-injection",
    severity: Severity::Critical,
    cwe: &[1336],
    kind: RuleKind::Taint,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Request data is used as a Jinja template",
    fix: "Render a fixed template and pass request data as context variables: `render_template_string(\"Hello {{ name }}\", name=name)`.",
    help: "Jinja templates can reach Python objects; a client who controls template text can read configuration (the secret key) and run code (server-side template injection).",
    bad: "render_template_string(\"<h1>Hello \" + request.args[\"name\"] + \"</h1>\")",
    good: "render_template_string(\"<h1>Hello {{ name }}</h1>\", name=request.args[\"name\"])",
};
