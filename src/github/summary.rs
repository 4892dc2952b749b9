//! The markdown shown in the PR comment and the job summary, and the step outputs file.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use super::alert::Alert;
use crate::finding::Severity;
use crate::report::markdown::cell;
use crate::scan::ScanStats;

/// Hidden marker that identifies our sticky comment; on its own line, then a blank line, because
/// an HTML comment opening a paragraph turns the rest of that paragraph into raw HTML.
pub const MARKER: &str = "<!-- flaskscan:summary v1 -->";

/// Findings listed individually before the rest are only counted.
const TOP: usize = 25;

/// Everything the summary shows.
pub struct SummaryInput<'a> {
    /// Unsuppressed alerts from every tool, each with whether it is new in this PR.
    pub alerts: &'a [(Alert, bool)],
    /// Whether new/existing was computed (a PR with only-new on).
    pub only_new: bool,
    pub suppressed: usize,
    pub stats: &'a ScanStats,
    /// `https://github.com/o/r/blob/<head sha>` for links; `None` disables links.
    pub blob_base: Option<String>,
    /// Extra lines about the run (upload status, skipped channels), shown at the end.
    pub notes: &'a [String],
    /// Link to the workflow run.
    pub run_url: Option<String>,
}

/// Renders the summary within `max_bytes` (65,536 for a comment, 1 MiB for the job summary),
/// dropping table rows and saying how many when it would not fit.
pub fn render(input: &SummaryInput, max_bytes: usize) -> String {
    let head = header(input);
    let tail = footer(input);
    let budget = max_bytes.saturating_sub(head.len() + tail.len() + 200);
    let mut body = String::new();
    let mut left_out = 0;

    let mut code: Vec<&(Alert, bool)> =
        input.alerts.iter().filter(|(a, _)| !a.dependency).collect();
    let deps: Vec<&(Alert, bool)> = input.alerts.iter().filter(|(a, _)| a.dependency).collect();
    // New findings first, then by severity.
    code.sort_by(|(a, an), (b, bn)| bn.cmp(an).then(b.severity.cmp(&a.severity)));

    for (title, rows, limit) in [
        ("Top findings", &code, TOP),
        ("Vulnerable dependencies", &deps, usize::MAX),
    ] {
        if rows.is_empty() {
            continue;
        }
        let mut section = format!("\n### {title}\n\n");
        section.push_str(if input.only_new {
            "| Severity | | Rule | Location | Message |\n|---|---|---|---|---|\n"
        } else {
            "| Severity | Rule | Location | Message |\n|---|---|---|---|\n"
        });
        if body.len() + section.len() > budget {
            left_out += rows.len();
            continue;
        }
        let mut shown = 0;
        for (alert, new) in rows.iter().take(limit) {
            let row = table_row(alert, *new, input);
            if body.len() + section.len() + row.len() > budget {
                break;
            }
            section.push_str(&row);
            shown += 1;
        }
        left_out += rows.len() - shown;
        body.push_str(&section);
    }
    if left_out > 0 {
        let _ = writeln!(
            body,
            "\n_{left_out} more findings are not listed here; see the SARIF file, code scanning or the job summary._"
        );
    }
    let full = format!("{head}{body}{tail}");
    if full.len() <= max_bytes {
        return full;
    }
    // The counts and notes alone are over the limit (a great many notes): cut, and say so.
    let note = "\n\n_The summary was cut here to fit GitHub's size limit; the job summary and the SARIF file have everything._\n";
    let mut end = max_bytes.saturating_sub(note.len());
    while !full.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{note}", &full[..end])
}

fn header(input: &SummaryInput) -> String {
    let total = input.alerts.len();
    let new = input.alerts.iter().filter(|(_, n)| *n).count();
    let mut s = format!("{MARKER}\n\n## flaskscan\n\n");
    if total == 0 {
        s.push_str("No findings. :white_check_mark:\n");
    } else if input.only_new {
        let _ = writeln!(
            s,
            "**{total}** findings, **{new}** new in this pull request."
        );
    } else {
        let _ = writeln!(s, "**{total}** findings.");
    }
    if total > 0 {
        s.push('\n');
        if input.only_new {
            s.push_str("| Severity | New | Existing |\n|---|---:|---:|\n");
        } else {
            s.push_str("| Severity | Findings |\n|---|---:|\n");
        }
        for severity in Severity::ALL.iter().rev() {
            let of: Vec<bool> = input
                .alerts
                .iter()
                .filter(|(a, _)| a.severity == *severity)
                .map(|(_, n)| *n)
                .collect();
            let new = of.iter().filter(|n| **n).count();
            if input.only_new {
                let _ = writeln!(
                    s,
                    "| {} | {new} | {} |",
                    severity_label(*severity),
                    of.len() - new
                );
            } else {
                let _ = writeln!(s, "| {} | {} |", severity_label(*severity), of.len());
            }
        }
    }
    s
}

fn footer(input: &SummaryInput) -> String {
    let st = input.stats;
    let mut s = String::from("\n<details><summary>Scan details</summary>\n\n");
    let _ = writeln!(
        s,
        "- Files: {} Python, {} templates, {} manifests; {} lines",
        st.python_files, st.template_files, st.manifest_files, st.lines
    );
    let _ = writeln!(s, "- Duration: {} ms", st.duration_ms);
    if input.suppressed > 0 {
        let _ = writeln!(
            s,
            "- Suppressed findings (not shown, not uploaded): {}",
            input.suppressed
        );
    }
    let mut tools: Vec<&str> = input.alerts.iter().map(|(a, _)| a.tool.as_str()).collect();
    tools.sort_unstable();
    tools.dedup();
    if tools.len() > 1 || tools.first().is_some_and(|t| *t != "flaskscan") {
        let _ = writeln!(s, "- Tools: {}", tools.join(", "));
    }
    for note in input.notes {
        let _ = writeln!(s, "- {}", cell(note));
    }
    if let Some(url) = &input.run_url {
        let _ = writeln!(s, "- [Workflow run]({url})");
    }
    s.push_str("\n</details>\n");
    s
}

fn table_row(alert: &Alert, new: bool, input: &SummaryInput) -> String {
    let location = match &alert.path {
        Some(path) => {
            let text = format!("{path}:{}", alert.start_line);
            match &input.blob_base {
                Some(base) => format!(
                    "[{}]({base}/{}#L{}-L{})",
                    cell(&text),
                    crate::report::sarif::encode_uri_path(path),
                    alert.start_line,
                    alert.end_line
                ),
                None => format!("`{}`", text.replace('`', "'")),
            }
        }
        None => "-".to_string(),
    };
    let rule = if alert.own {
        cell(&alert.title())
    } else {
        format!("{} ({})", cell(&alert.title()), cell(&alert.tool))
    };
    let message = cell(&super::checks::truncate(&alert.message_or_title(), 300));
    let severity = severity_label(alert.severity);
    if input.only_new {
        let mark = if new { "**new**" } else { "" };
        format!("| {severity} | {mark} | {rule} | {location} | {message} |\n")
    } else {
        format!("| {severity} | {rule} | {location} | {message} |\n")
    }
}

fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => ":red_circle: critical",
        Severity::High => ":orange_circle: high",
        Severity::Medium => ":yellow_circle: medium",
        Severity::Low => ":white_circle: low",
    }
}

/// Appends markdown to `$GITHUB_STEP_SUMMARY`.
pub fn append_step_summary(path: &Path, markdown: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the step summary {}", path.display()))?;
    file.write_all(crate::redact::scrub(markdown).as_bytes())?;
    Ok(())
}

/// Appends `name<<DELIM ... DELIM` entries to `$GITHUB_OUTPUT`, with a random delimiter so no
/// value can end the entry early or inject another output.
pub fn write_outputs(path: &Path, outputs: &[(&str, String)]) -> anyhow::Result<()> {
    let mut text = String::new();
    for (name, value) in outputs {
        let delimiter = loop {
            let d = random_delimiter()?;
            if !value.contains(&d) && !name.contains(&d) {
                break d;
            }
        };
        let _ = write!(text, "{name}<<{delimiter}\n{value}\n{delimiter}\n");
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the outputs file {}", path.display()))?;
    file.write_all(crate::redact::scrub(&text).as_bytes())?;
    Ok(())
}

fn random_delimiter() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness for the output delimiter: {e}"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("ghadelimiter_{hex}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(i: u32, severity: Severity) -> Alert {
        Alert {
            tool: "flaskscan".into(),
            rule_id: "FS101".into(),
            rule_name: Some("debug-mode-enabled".into()),
            severity,
            message: format!("finding {i} with a | pipe and <b>html</b>"),
            path: Some("app/my views.py".into()),
            start_line: i,
            end_line: i,
            start_column: None,
            end_column: None,
            fingerprints: vec![],
            suppressed: false,
            dependency: false,
            own: true,
        }
    }

    #[test]
    fn summary_has_marker_counts_links_and_escapes() {
        let alerts = vec![
            (alert(3, Severity::High), true),
            (alert(9, Severity::Low), false),
        ];
        let stats = ScanStats::default();
        let md = render(
            &SummaryInput {
                alerts: &alerts,
                only_new: true,
                suppressed: 1,
                stats: &stats,
                blob_base: Some("https://github.com/o/r/blob/abc".into()),
                notes: &[],
                run_url: None,
            },
            65_536,
        );
        assert!(md.starts_with(&format!("{MARKER}\n\n")));
        assert!(md.contains("**2** findings, **1** new"));
        assert!(md.contains(
            "[app/my views.py:3](https://github.com/o/r/blob/abc/app/my%20views.py#L3-L3)"
        ));
        assert!(md.contains("a \\| pipe and &lt;b&gt;html&lt;/b&gt;"));
        assert!(md.contains("Suppressed findings (not shown, not uploaded): 1"));
    }

    #[test]
    fn summary_stays_within_the_limit_and_says_so() {
        let alerts: Vec<(Alert, bool)> = (1..=5000)
            .map(|i| (alert(i, Severity::Medium), true))
            .collect();
        let mut deps = alert(1, Severity::Critical);
        deps.dependency = true;
        let mut all = alerts.clone();
        all.extend((0..3000).map(|_| (deps.clone(), true)));
        let stats = ScanStats::default();
        let md = render(
            &SummaryInput {
                alerts: &all,
                only_new: false,
                suppressed: 0,
                stats: &stats,
                blob_base: None,
                notes: &[],
                run_url: None,
            },
            65_536,
        );
        assert!(md.len() <= 65_536, "{}", md.len());
        assert!(md.contains("more findings are not listed here"));
        assert!(md.ends_with("</details>\n"));
    }

    #[test]
    fn notes_over_the_limit_are_cut_with_a_note() {
        let alerts = vec![(alert(3, Severity::High), true)];
        let notes: Vec<String> = (0..2000)
            .map(|i| {
                format!("merge-sarif: file {i} ünïcödé is not valid SARIF; that file is left out")
            })
            .collect();
        let stats = ScanStats::default();
        let md = render(
            &SummaryInput {
                alerts: &alerts,
                only_new: true,
                suppressed: 0,
                stats: &stats,
                blob_base: None,
                notes: &notes,
                run_url: None,
            },
            65_536,
        );
        assert!(md.len() <= 65_536, "{}", md.len());
        assert!(md.starts_with(MARKER));
        assert!(md.ends_with("the job summary and the SARIF file have everything._\n"));
    }

    #[test]
    fn outputs_use_a_random_delimiter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        write_outputs(&path, &[("a", "1".into()), ("b", "x\ny".into())]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("a<<ghadelimiter_"));
        let delim = &lines[0][3..];
        assert_eq!(lines[1], "1");
        assert_eq!(lines[2], delim);
        assert_eq!(&lines[4..6], &["x", "y"]);
        assert_ne!(lines[3], lines[0]);
    }
}
