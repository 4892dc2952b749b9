//! FS602 unpinned-dependency.

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "FS602",
    name: "unpinned-dependency",
    severity: Severity::Medium,
    cwe: &[1104],
    kind: RuleKind::Dependency,
    precision: Precision::High,
    suite: Suite::Default,
    message: "A dependency is not pinned to an exact version",
    fix: "Pin exact versions (`==`) in requirements files, or commit a lockfile next to the manifest.",
    help: "A range lets every install pick whatever release is newest or already cached, so builds are not reproducible and a vulnerable release can slip in. The finding is medium when the range still admits versions with known vulnerabilities (it names them and the safe floor), low otherwise. Ranges in pyproject.toml are not reported when a lockfile next to it pins the package.",
    bad: "flask>=2.0",
    good: "flask==3.0.3",
};
