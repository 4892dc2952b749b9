//! JSON output: a stable, documented schema (see README "JSON output").

use serde::Serialize;

use crate::finding::{Finding, Location, Notification};
use crate::scan::{ScanReport, ScanStats};

/// Version of the JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    name: &'a str,
    severity: &'a str,
    cwe: Vec<String>,
    message: &'a str,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    fix: &'a str,
    fingerprint: &'a str,
    suppressed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    flow: Vec<JsonStep<'a>>,
    /// Other places the finding points to; omitted when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonStep<'a>>,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    tool: &'static str,
    tool_version: &'static str,
    findings: Vec<JsonFinding<'a>>,
    notifications: &'a [Notification],
    stats: &'a ScanStats,
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        rule: f.rule.id,
        name: f.rule.name,
        severity: f.severity.as_str(),
        cwe: f.rule.cwe.iter().map(|c| format!("CWE-{c}")).collect(),
        message: &f.message,
        path: &f.location.path,
        line: f.location.start.line,
        column: f.location.start.column,
        end_line: f.location.end.line,
        end_column: f.location.end.column,
        fix: &f.fix,
        fingerprint: &f.fingerprint,
        suppressed: f.suppressed.is_some(),
        flow: f
            .flow
            .iter()
            .map(|s| step(&s.location, &s.message))
            .collect(),
        related: f
            .related
            .iter()
            .map(|r| step(&r.location, &r.message))
            .collect(),
    }
}

fn step<'a>(location: &'a Location, message: &'a str) -> JsonStep<'a> {
    JsonStep {
        path: &location.path,
        line: location.start.line,
        column: location.start.column,
        message,
    }
}

/// Renders the report as pretty JSON.
pub fn render(report: &ScanReport) -> String {
    let doc = JsonReport {
        version: SCHEMA_VERSION,
        tool: "flaskscan",
        tool_version: env!("CARGO_PKG_VERSION"),
        findings: report.findings.iter().map(finding).collect(),
        notifications: &report.notifications,
        stats: &report.stats,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
