//! The rule registry: one static table of metadata, and one file per rule holding its logic.
//!
//! A rule file declares `pub const RULE: Rule` next to the check functions the checker calls.

use serde::Serialize;

use crate::finding::Severity;

pub mod fs101_debug_mode_enabled;
pub mod fs601_vulnerable_dependency;
pub mod fs602_unpinned_dependency;
pub mod fs603_deprecated_package;

/// How a rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// Matches a code shape.
    Pattern,
    /// Follows request data to a sink.
    Taint,
    /// Judges the application as a whole.
    App,
    /// Looks at Jinja templates.
    Template,
    /// Audits dependency manifests.
    Dependency,
}

impl RuleKind {
    /// The lowercase name shown in rule listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pattern => "pattern",
            Self::Taint => "taint",
            Self::App => "app",
            Self::Template => "template",
            Self::Dependency => "dependency",
        }
    }
}

/// SARIF `precision`: how often a result of this rule is a true positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    VeryHigh,
    High,
    Medium,
    Low,
}

impl Precision {
    /// The SARIF spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VeryHigh => "very-high",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

/// Everything a user and a report need to know about a rule.
#[derive(Debug, Serialize)]
pub struct Rule {
    /// Stable id, e.g. `FS101`.
    pub id: &'static str,
    /// Kebab-case name saying what is wrong.
    pub name: &'static str,
    pub severity: Severity,
    /// CWE numbers, most specific first.
    pub cwe: &'static [u32],
    pub kind: RuleKind,
    pub precision: Precision,
    /// One-line summary; also the default finding message.
    pub message: &'static str,
    /// How to fix it, one or two sentences.
    pub fix: &'static str,
    /// Why it matters, a short paragraph.
    pub help: &'static str,
    /// Code that triggers the rule.
    pub bad: &'static str,
    /// The same code done right.
    pub good: &'static str,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Rule {}

/// Every rule flaskscan ships, in id order.
pub static ALL: &[&Rule] = &[
    &fs101_debug_mode_enabled::RULE,
    &fs601_vulnerable_dependency::RULE,
    &fs602_unpinned_dependency::RULE,
    &fs603_deprecated_package::RULE,
];

/// Looks a rule up by id (case-insensitive).
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id.eq_ignore_ascii_case(id))
}

/// Whether `selector` (an id like `FS101` or a prefix like `FS1`) names at least one rule.
pub fn selector_matches_any(selector: &str) -> bool {
    ALL.iter().any(|r| selector_matches(selector, r))
}

/// Whether `selector` (an id or an id prefix) covers `rule`.
pub fn selector_matches(selector: &str, rule: &Rule) -> bool {
    let s = selector.trim().to_ascii_uppercase();
    !s.is_empty() && rule.id.starts_with(&s)
}
