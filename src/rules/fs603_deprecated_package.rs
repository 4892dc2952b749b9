//! FS603 deprecated-package.

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS603",
    name: "deprecated-package",
    severity: Severity::Low,
    cwe: &[1104],
    kind: RuleKind::Dependency,
    precision: Precision::VeryHigh,
    suite: Suite::Default,
    message: "A dependency is deprecated or unmaintained",
    fix: "Move to the maintained replacement named in the finding.",
    help: "Deprecated packages stop getting security fixes: the next vulnerability in them stays open. The list is curated in flaskscan (src/deps/deprecated.rs), each entry with the public statement it relies on, e.g. bleach → nh3, pycrypto → pycryptodome, Flask-Security → Flask-Security-Too.",
    bad: "bleach==6.0.0",
    good: "nh3==0.2.18",
};
