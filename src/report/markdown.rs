//! Markdown summary: severity counts and a findings table (the PR comment and the step summary
//! reuse it).

use std::fmt::Write;

use crate::finding::{Finding, Severity};
use crate::scan::ScanReport;

/// How many findings the table lists before it says how many more there are.
pub const DEFAULT_TABLE_ROWS: usize = 50;

/// Escapes text for a Markdown table cell: no pipes, line breaks or raw HTML from scanned code.
pub fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The severity-count table.
pub fn counts_table(report: &ScanReport) -> String {
    let counts = report.counts();
    let mut s = String::from("| Severity | Findings |\n|---|---:|\n");
    for sev in Severity::ALL.iter().rev() {
        let _ = writeln!(s, "| {} | {} |", sev, counts.get(sev).copied().unwrap_or(0));
    }
    s
}

/// A table of findings, most severe first, at most `limit` rows.
pub fn findings_table(
    findings: &[&Finding],
    limit: usize,
    link: &dyn Fn(&Finding) -> String,
) -> String {
    let mut sorted: Vec<&&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.sort_key().cmp(&b.sort_key()))
    });
    let mut s = String::from("| Severity | Rule | Location | Message |\n|---|---|---|---|\n");
    for f in sorted.iter().take(limit) {
        let _ = writeln!(
            s,
            "| {} | `{}` {} | {} | {} |",
            f.severity,
            f.rule.id,
            f.rule.name,
            link(f),
            cell(&f.message)
        );
    }
    if sorted.len() > limit {
        let _ = writeln!(s, "\n…and {} more.", sorted.len() - limit);
    }
    s
}

/// The whole summary: heading, counts, findings, notifications.
pub fn summary(report: &ScanReport) -> String {
    let active: Vec<&Finding> = report.active().collect();
    let suppressed = report.findings.len() - active.len();
    let mut s = String::from("## flaskscan\n\n");
    if active.is_empty() {
        s.push_str("No findings.\n\n");
    } else {
        let _ = writeln!(s, "{} finding(s).\n", active.len());
        s.push_str(&counts_table(report));
        s.push('\n');
        let plain = |f: &Finding| format!("`{}:{}`", cell(&f.location.path), f.location.start.line);
        s.push_str(&findings_table(&active, DEFAULT_TABLE_ROWS, &plain));
        s.push('\n');
    }
    if suppressed > 0 {
        let _ = writeln!(s, "{suppressed} suppressed finding(s) not shown.\n");
    }
    if !report.notifications.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>{} notification(s)</summary>\n",
            report.notifications.len()
        );
        for n in &report.notifications {
            let place = n
                .path
                .as_deref()
                .map(|p| format!("`{}`: ", cell(p)))
                .unwrap_or_default();
            let _ = writeln!(s, "- {}{}", place, cell(&n.message));
        }
        s.push_str("\n</details>\n");
    }
    let st = &report.stats;
    let _ = writeln!(
        s,
        "\n<sub>{} Python file(s), {} template(s), {} manifest(s), {} lines scanned.</sub>",
        st.python_files, st.template_files, st.manifest_files, st.lines
    );
    s
}
