//! SARIF 2.1.0 output (serde-sarif), following GitHub's code-scanning conventions: one run per
//! category, rules with help and CWE tags, relative `%SRCROOT%` URIs, UTF-16 columns and
//! `primaryLocationLineHash` fingerprints.

use std::collections::BTreeMap;

use serde_json::json;
use serde_sarif::sarif;

use crate::finding::{Finding, Location, Notification};
use crate::rules::{Rule, RuleKind};
use crate::scan::ScanReport;
use crate::workspace::{classify, FileKind};

/// `$schema` of the log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Category of the source-rule run.
pub const CODE_CATEGORY: &str = "flaskscan/code/";
/// Category of the dependency-audit run.
pub const DEPS_CATEGORY: &str = "flaskscan/deps/";
/// Key of our own fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "flaskscan/v1";
const INFO_URI: &str = "https://github.com/flaskscan/flaskscan";

/// Builds the SARIF log of a scan.
pub fn to_sarif(report: &ScanReport) -> sarif::Sarif {
    let is_dep = |f: &&Finding| f.rule.kind == RuleKind::Dependency;
    let code: Vec<&Finding> = report.findings.iter().filter(|f| !is_dep(f)).collect();
    let deps: Vec<&Finding> = report.findings.iter().filter(is_dep).collect();
    let note_is_dep =
        |n: &&Notification| n.path.as_deref().and_then(classify) == Some(FileKind::Manifest);
    let code_notes: Vec<&Notification> = report
        .notifications
        .iter()
        .filter(|n| !note_is_dep(n))
        .collect();
    let dep_notes: Vec<&Notification> = report.notifications.iter().filter(note_is_dep).collect();

    let root_uri = root_uri(report);
    let mut runs = vec![run(CODE_CATEGORY, &code, &code_notes, &root_uri)];
    if report.deps_audited() || !deps.is_empty() || !dep_notes.is_empty() {
        // Say which advisory data answered, so a reader knows how fresh the audit is.
        let source = report.advisory_source.as_ref().map(|s| Notification {
            level: crate::finding::NotificationLevel::Note,
            path: None,
            line: None,
            message: format!("advisories: {s}"),
        });
        let mut notes = dep_notes;
        notes.extend(source.as_ref());
        runs.push(run(DEPS_CATEGORY, &deps, &notes, &root_uri));
    }
    sarif::Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(runs)
        .build()
}

/// Serialises the log as pretty JSON.
pub fn render(report: &ScanReport) -> String {
    serde_json::to_string_pretty(&to_sarif(report)).unwrap_or_default() + "\n"
}

fn root_uri(report: &ScanReport) -> String {
    let abs = report
        .root
        .canonicalize()
        .unwrap_or_else(|_| report.root.clone());
    let mut s = format!("file://{}", encode_uri_path(&abs.to_string_lossy()));
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

fn run(
    category: &str,
    findings: &[&Finding],
    notes: &[&Notification],
    root_uri: &str,
) -> sarif::Run {
    let mut rules: Vec<&'static Rule> = findings.iter().map(|f| f.rule).collect();
    rules.sort_by_key(|r| r.id);
    rules.dedup_by_key(|r| r.id);
    let index: BTreeMap<&str, i64> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i as i64))
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("flaskscan")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFO_URI)
        .rules(rules.iter().map(|r| descriptor(r)).collect::<Vec<_>>())
        .build();
    let results: Vec<sarif::Result> = findings
        .iter()
        .map(|f| result(f, index[f.rule.id]))
        .collect();
    let notifications: Vec<sarif::Notification> = notes.iter().map(|n| notification(n)).collect();
    let invocation = sarif::Invocation::builder()
        .execution_successful(true)
        .tool_execution_notifications(notifications)
        .build();
    let mut base_ids = BTreeMap::new();
    base_ids.insert(
        "%SRCROOT%".to_string(),
        sarif::ArtifactLocation::builder().uri(root_uri).build(),
    );
    sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .automation_details(sarif::RunAutomationDetails::builder().id(category).build())
        .original_uri_base_ids(base_ids)
        .column_kind(json!("utf16CodeUnits"))
        .invocations(vec![invocation])
        .results(results)
        .build()
}

/// The rule's metadata as GitHub reads it.
pub fn descriptor(rule: &Rule) -> sarif::ReportingDescriptor {
    let mut tags = vec!["security".to_string()];
    tags.extend(rule.cwe.iter().map(|c| format!("external/cwe/cwe-{c}")));
    let mut extra = BTreeMap::new();
    extra.insert("precision".to_string(), json!(rule.precision.as_str()));
    extra.insert(
        "security-severity".to_string(),
        json!(rule.severity.security_severity()),
    );
    extra.insert("kind".to_string(), json!(rule.kind.as_str()));
    let props = sarif::PropertyBag::builder()
        .tags(tags)
        .additional_properties(extra)
        .build();
    sarif::ReportingDescriptor::builder()
        .id(rule.id)
        .name(rule.name)
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(rule.message)
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(rule.help)
                .build(),
        )
        .help(
            sarif::MultiformatMessageString::builder()
                .text(format!("{}\n\nFix: {}", rule.help, rule.fix))
                .markdown(help_markdown(rule))
                .build(),
        )
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(json!(rule.severity.sarif_level()))
                .build(),
        )
        .properties(props)
        .build()
}

/// The help page of a rule in Markdown (also used by `flaskscan rule ID`).
pub fn help_markdown(rule: &Rule) -> String {
    let cwes: Vec<String> = rule
        .cwe
        .iter()
        .map(|c| format!("[CWE-{c}](https://cwe.mitre.org/data/definitions/{c}.html)"))
        .collect();
    let lang = if rule.kind == RuleKind::Template {
        "jinja"
    } else if rule.kind == RuleKind::Dependency {
        "text"
    } else {
        "python"
    };
    format!(
        "# {} {}\n\n{}\n\n{}\n\n## Example\n\n```{lang}\n{}\n```\n\n## Fix\n\n{}\n\n```{lang}\n{}\n```\n\nSeverity: {} · {}\n",
        rule.id,
        rule.name,
        rule.message,
        rule.help,
        rule.bad,
        rule.fix,
        rule.good,
        rule.severity,
        cwes.join(", ")
    )
}

fn physical(loc: &Location) -> sarif::PhysicalLocation {
    sarif::PhysicalLocation::builder()
        .artifact_location(
            sarif::ArtifactLocation::builder()
                .uri(encode_uri_path(&loc.path))
                .uri_base_id("%SRCROOT%")
                .build(),
        )
        .region(
            sarif::Region::builder()
                .start_line(i64::from(loc.start.line))
                .start_column(i64::from(loc.start.column_utf16))
                .end_line(i64::from(loc.end.line.max(loc.start.line)))
                .end_column(i64::from(if loc.end.line > loc.start.line {
                    loc.end.column_utf16
                } else {
                    loc.end.column_utf16.max(loc.start.column_utf16 + 1)
                }))
                .build(),
        )
        .build()
}

fn result(f: &Finding, rule_index: i64) -> sarif::Result {
    let mut fingerprints = BTreeMap::new();
    if let Some(h) = &f.line_hash {
        fingerprints.insert("primaryLocationLineHash".to_string(), h.clone());
    }
    fingerprints.insert(FINGERPRINT_KEY.to_string(), f.fingerprint.clone());
    let location = sarif::Location::builder()
        .physical_location(physical(&f.location))
        .build();
    let mut extra = BTreeMap::new();
    extra.insert("severity".to_string(), json!(f.severity.as_str()));
    extra.insert("fix".to_string(), json!(f.fix));
    let level = match f.severity.sarif_level() {
        "note" => sarif::ResultLevel::Note,
        "warning" => sarif::ResultLevel::Warning,
        _ => sarif::ResultLevel::Error,
    };
    let builder = sarif::Result::builder()
        .rule_id(f.rule.id)
        .rule_index(rule_index)
        .level(level)
        .message(sarif::Message::builder().text(message_text(f)).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(extra)
                .build(),
        );
    let mut r = builder.build();
    if !f.flow.is_empty() {
        let steps = f
            .flow
            .iter()
            .map(|s| {
                sarif::ThreadFlowLocation::builder()
                    .location(
                        sarif::Location::builder()
                            .physical_location(physical(&s.location))
                            .message(sarif::Message::builder().text(s.message.clone()).build())
                            .build(),
                    )
                    .build()
            })
            .collect::<Vec<_>>();
        r.code_flows = Some(vec![sarif::CodeFlow::builder()
            .thread_flows(vec![sarif::ThreadFlow::builder().locations(steps).build()])
            .build()]);
    }
    if !f.related.is_empty() {
        r.related_locations = Some(related_locations(f));
    }
    if let Some(fix) = &f.autofix {
        r.fixes = Some(vec![sarif_fix(&f.location.path, fix)]);
    }
    if let Some(s) = &f.suppressed {
        r.suppressions = Some(vec![sarif::Suppression::builder()
            .kind(json!("inSource"))
            .justification(s.comment.clone())
            .build()]);
    }
    r
}

/// The result's message; GitHub shows a related location only where the message links to it
/// (`[text](id)`), so each is linked from a sentence appended to the message.
fn message_text(f: &Finding) -> String {
    if f.related.is_empty() {
        return f.message.clone();
    }
    let links: Vec<String> = f
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| format!("[{}]({})", link_text(&r.message), i + 1))
        .collect();
    format!(
        "{}. Related: {}.",
        f.message.trim_end_matches('.'),
        links.join(", ")
    )
}

/// A related location's message as link text: SARIF ends link text at the first `]`, so
/// brackets are escaped.
fn link_text(message: &str) -> String {
    message.replace('[', "\\[").replace(']', "\\]")
}

/// The finding's related locations, numbered from 1 as the message's links reference them.
fn related_locations(f: &Finding) -> Vec<sarif::Location> {
    f.related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            sarif::Location::builder()
                .id((i + 1) as i64)
                .physical_location(physical(&r.location))
                .message(sarif::Message::builder().text(r.message.clone()).build())
                .build()
        })
        .collect()
}

/// A fix as SARIF's `fixes[]`: one artifact change whose replacements delete a region (empty for
/// an insertion) and insert text; columns in UTF-16 code units like every region of the log.
fn sarif_fix(path: &str, fix: &crate::finding::Fix) -> sarif::Fix {
    let replacements = fix
        .edits
        .iter()
        .map(|e| {
            sarif::Replacement::builder()
                .deleted_region(
                    sarif::Region::builder()
                        .start_line(i64::from(e.start_position.line))
                        .start_column(i64::from(e.start_position.column_utf16))
                        .end_line(i64::from(e.end_position.line))
                        .end_column(i64::from(e.end_position.column_utf16))
                        .build(),
                )
                .inserted_content(
                    sarif::ArtifactContent::builder()
                        .text(e.content.clone())
                        .build(),
                )
                .build()
        })
        .collect::<Vec<_>>();
    sarif::Fix::builder()
        .description(
            sarif::Message::builder()
                .text(fix.description.clone())
                .build(),
        )
        .artifact_changes(vec![sarif::ArtifactChange::builder()
            .artifact_location(
                sarif::ArtifactLocation::builder()
                    .uri(encode_uri_path(path))
                    .uri_base_id("%SRCROOT%")
                    .build(),
            )
            .replacements(replacements)
            .build()])
        .build()
}

fn notification(n: &Notification) -> sarif::Notification {
    let mut b = sarif::Notification::builder()
        .level(json!(n.level.as_str()))
        .message(sarif::Message::builder().text(n.message.clone()).build())
        .build();
    if let Some(path) = &n.path {
        let mut region = sarif::Region::builder()
            .start_line(i64::from(n.line.unwrap_or(1)))
            .build();
        if n.line.is_none() {
            region.start_line = Some(1);
        }
        b.locations = Some(vec![sarif::Location::builder()
            .physical_location(
                sarif::PhysicalLocation::builder()
                    .artifact_location(
                        sarif::ArtifactLocation::builder()
                            .uri(encode_uri_path(path))
                            .uri_base_id("%SRCROOT%")
                            .build(),
                    )
                    .region(region)
                    .build(),
            )
            .build()]);
    }
    b
}

/// Percent-encodes a path for a URI, keeping `/` and unreserved characters.
pub fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_uri_paths() {
        assert_eq!(encode_uri_path("app/my views.py"), "app/my%20views.py");
        assert_eq!(encode_uri_path("é.py"), "%C3%A9.py");
    }
}
