//! The one result type: every analyser emits [`Finding`]s and every reporter reads them.

use serde::Serialize;
use std::fmt;

use crate::rules::Rule;

/// How bad a finding is; ordered from least to most severe.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, least severe first.
    pub const ALL: [Severity; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    /// The lowercase name used in the CLI, config and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Parses a lowercase severity name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|sev| sev.as_str() == s)
    }

    /// GitHub's `security-severity` score: a number inside the band GitHub maps to this severity.
    pub fn security_severity(self) -> &'static str {
        match self {
            Self::Low => "3.0",
            Self::Medium => "5.5",
            Self::High => "8.0",
            Self::Critical => "9.5",
        }
    }

    /// The SARIF `level` for this severity.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Self::Low => "note",
            Self::Medium => "warning",
            Self::High | Self::Critical => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 1-based position in a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Position {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column counted in Unicode scalar values (what editors and the text report show).
    pub column: u32,
    /// 1-based column counted in UTF-16 code units (what SARIF `utf16CodeUnits` expects).
    pub column_utf16: u32,
}

/// A span in one file; `end` is exclusive (the position just after the last character).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// Path relative to the scan root, `/`-separated.
    pub path: String,
    pub start: Position,
    pub end: Position,
}

/// One step of a code flow (taint source → steps → sink).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowStep {
    pub location: Location,
    /// What happens to the data at this step, e.g. "source: request.args['id']".
    pub message: String,
}

/// Another place a finding points to: the sibling view it compares with, the check that view
/// has, the views an app-wide finding is about. Not part of the fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedLocation {
    pub location: Location,
    /// What is at that place, e.g. "`edit_user` checks the role here".
    pub message: String,
}

/// Why a finding is suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// The comment that suppresses it, e.g. `# noqa: FS101`.
    pub comment: String,
}

/// A problem found in the scanned code, ready for every reporter.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule that produced the finding.
    #[serde(serialize_with = "serialize_rule_id")]
    pub rule: &'static Rule,
    /// Effective severity (rule default, dynamic severity, or a configured override).
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    /// How to fix it; defaults to the rule's hint.
    pub fix: String,
    /// Source lines covered by the location (at most a few), for code frames.
    pub snippet: String,
    /// Code flow for taint findings; empty for pattern findings.
    pub flow: Vec<FlowStep>,
    /// Other places that explain the finding (SARIF `relatedLocations`); empty for most rules.
    pub related: Vec<RelatedLocation>,
    /// Our own fingerprint: stable when unrelated lines move.
    pub fingerprint: String,
    /// GitHub's `primaryLocationLineHash` for the start line.
    pub line_hash: Option<String>,
    pub suppressed: Option<Suppression>,
    /// An audit finding of a linked rule: reported only when the rule is named.
    #[serde(skip)]
    pub audit: bool,
    /// For a vulnerable dependency: the package, version and advisories, so the PR comment can
    /// group a package's advisories into one row.
    #[serde(skip)]
    pub package: Option<Box<PackageFacts>>,
    /// A mechanical change that resolves the finding, when the rule is sure of one.
    #[serde(skip)]
    pub autofix: Option<Box<Fix>>,
}

/// A safe, mechanical change to the finding's file that resolves it (`--fix`, `--diff`, SARIF
/// `fixes`, suggested changes on pull requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the change does, e.g. "Use `yaml.safe_load`".
    pub description: String,
    /// Replacements in the file, in order, not overlapping.
    pub edits: Vec<Edit>,
    /// SHA-256 of the file as scanned: a fix is applied only to that exact text.
    pub source_sha256: String,
}

impl Fix {
    /// The hash [`Fix::source_sha256`] holds: lowercase hex SHA-256 of the file's text.
    pub fn hash_source(text: &str) -> String {
        use sha2::Digest as _;
        sha2::Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// One replacement: the text between `start` and `end` (byte offsets into the file as scanned)
/// becomes `content`; an insertion has `start == end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: u32,
    pub end: u32,
    pub start_position: Position,
    pub end_position: Position,
    pub content: String,
}

/// What a vulnerable-dependency finding is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFacts {
    pub name: String,
    pub version: String,
    /// The advisory's primary id (PYSEC, else GHSA, else CVE).
    pub advisory: String,
    /// The nearest release that fixes this advisory; `None` when none is known.
    pub fixed: Option<String>,
}

fn serialize_rule_id<S: serde::Serializer>(rule: &&'static Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.id)
}

impl Finding {
    /// The ordering key of every report: path, line, column, rule.
    pub fn sort_key(&self) -> (&str, u32, u32, &str) {
        (
            &self.location.path,
            self.location.start.line,
            self.location.start.column,
            self.rule.id,
        )
    }
}

/// Something the scanner could not do (unparsable file, too large, bad manifest...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub level: NotificationLevel,
    /// Path relative to the scan root, when the problem is tied to a file.
    pub path: Option<String>,
    pub line: Option<u32>,
    pub message: String,
}

/// SARIF notification levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationLevel {
    Note,
    Warning,
    Error,
}

impl NotificationLevel {
    /// The SARIF spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl Notification {
    /// A warning about one file.
    pub fn file_warning(path: &str, line: Option<u32>, message: impl Into<String>) -> Self {
        Self {
            level: NotificationLevel::Warning,
            path: Some(path.to_string()),
            line,
            message: message.into(),
        }
    }
}
