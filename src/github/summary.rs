//! The markdown shown in the PR comment and the job summary, and the step outputs file.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use std::str::FromStr as _;

use pep508_rs::pep440_rs::Version;

use super::alert::Alert;
use super::routes::{self, ChangedRoute};
use crate::finding::{PackageFacts, Severity};
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
    /// Routes the pull request adds or changes, in the order shown.
    pub routes: &'a [ChangedRoute],
}

/// Renders the summary within `max_bytes` (65,536 for a comment, 1 MiB for the job summary),
/// dropping table rows and saying how many when it would not fit.
pub fn render(input: &SummaryInput, max_bytes: usize) -> String {
    let head = header(input);
    let tail = footer(input);
    let mut body = Body {
        text: String::new(),
        budget: max_bytes.saturating_sub(head.len() + tail.len() + 200),
        left_out: 0,
    };

    let mut code: Vec<&(Alert, bool)> =
        input.alerts.iter().filter(|(a, _)| !a.dependency).collect();
    // New findings first, then by severity; the top ones are then shown file by file.
    code.sort_by(|(a, an), (b, bn)| bn.cmp(an).then(b.severity.cmp(&a.severity)));
    body.left_out += code.len().saturating_sub(TOP);
    code.truncate(TOP);
    findings_by_file(&mut body, &code, input);
    changed_routes(&mut body, input);

    let packages = vulnerable_packages(input.alerts);
    let rows: Vec<String> = packages.iter().map(|p| package_row(p, input)).collect();
    body.section(
        "Vulnerable dependencies",
        "| Severity | Package | Advisories | Fixed in | Location |\n|---|---|---|---|---|\n",
        &rows,
    );
    let other: Vec<String> = input
        .alerts
        .iter()
        .filter(|(a, _)| a.dependency && a.package.is_none())
        .map(|(a, new)| table_row(a, *new, input))
        .collect();
    body.section("Other dependency findings", table_head(input), &other);

    let mut body = body.finish();
    let full = format!("{head}{body}{tail}");
    if full.len() <= max_bytes {
        return full;
    }
    // The counts and notes alone are over the limit (a great many notes): cut, and say so.
    let note = "\n\n_The summary was cut here to fit GitHub's size limit; the job summary and the SARIF file have everything._\n";
    body = full;
    let mut end = max_bytes.saturating_sub(note.len());
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{note}", &body[..end])
}

/// The tables under construction, within a byte budget.
struct Body {
    text: String,
    budget: usize,
    /// Rows that did not fit or were not listed.
    left_out: usize,
}

impl Body {
    /// Adds `### title`, then `head` and as many `rows` as fit; nothing for no rows.
    fn section(&mut self, title: &str, head: &str, rows: &[String]) {
        if rows.is_empty() {
            return;
        }
        self.table(&format!("\n### {title}\n\n{head}"), rows);
    }

    /// Adds `head` and as many `rows` as fit, counting the rest as left out.
    fn table(&mut self, head: &str, rows: &[String]) {
        self.left_out += self.fit(head, rows);
    }

    /// Adds `head` and as many `rows` as fit; returns how many did not.
    fn fit(&mut self, head: &str, rows: &[String]) -> usize {
        if self.text.len() + head.len() > self.budget {
            return rows.len();
        }
        let mut table = head.to_string();
        let mut shown = 0;
        for row in rows {
            if self.text.len() + table.len() + row.len() > self.budget {
                break;
            }
            table.push_str(row);
            shown += 1;
        }
        self.text.push_str(&table);
        rows.len() - shown
    }

    fn finish(mut self) -> String {
        if self.left_out > 0 {
            let _ = writeln!(
                self.text,
                "\n_{} more findings are not listed here; see the SARIF file, code scanning or the job summary._",
                self.left_out
            );
        }
        self.text
    }
}

/// A file (or none) and its alerts with whether each is new.
type FileGroup<'a> = (Option<&'a str>, Vec<&'a (Alert, bool)>);

/// The top code findings grouped by file: files in the order of their most important finding,
/// findings by line within a file.
fn findings_by_file(body: &mut Body, top: &[&(Alert, bool)], input: &SummaryInput) {
    let mut files: Vec<FileGroup> = Vec::new();
    for item in top {
        let path = item.0.path.as_deref();
        match files.iter_mut().find(|(p, _)| *p == path) {
            Some((_, rows)) => rows.push(item),
            None => files.push((path, vec![item])),
        }
    }
    if files.is_empty() {
        return;
    }
    body.text.push_str("\n### Top findings\n");
    for (path, mut rows) in files {
        rows.sort_by_key(|(a, _)| a.start_line);
        let title = match path {
            Some(p) => format!("`{}`", p.replace('`', "'")),
            None => "Not tied to a file".to_string(),
        };
        let rows: Vec<String> = rows.iter().map(|(a, n)| file_row(a, *n, input)).collect();
        let head = if input.only_new {
            "| Severity | | Rule | Line | Message |\n|---|---|---|---|---|\n"
        } else {
            "| Severity | Rule | Line | Message |\n|---|---|---|---|\n"
        };
        body.table(&format!("\n{title}\n\n{head}"), &rows);
    }
}

/// The routes the pull request adds or changes; no section when it touches none.
fn changed_routes(body: &mut Body, input: &SummaryInput) {
    if input.routes.is_empty() {
        return;
    }
    let listed = &input.routes[..input.routes.len().min(routes::MAX_LISTED)];
    let rows: Vec<String> = listed
        .iter()
        .map(|r| routes::row(r, input.blob_base.as_deref()))
        .collect();
    let head = format!(
        "\n### Routes this pull request adds or changes\n\n{}",
        routes::HEAD
    );
    let left_out = body.fit(&head, &rows) + (input.routes.len() - listed.len());
    if left_out > 0 {
        let _ = writeln!(
            body.text,
            "\n_{left_out} more routes this pull request adds or changes are not listed here; `flaskscan routes` lists every route._"
        );
    }
}

fn table_head(input: &SummaryInput) -> &'static str {
    if input.only_new {
        "| Severity | | Rule | Location | Message |\n|---|---|---|---|---|\n"
    } else {
        "| Severity | Rule | Location | Message |\n|---|---|---|---|\n"
    }
}

/// One package version's advisories, from its vulnerable-dependency alerts.
struct VulnerablePackage<'a> {
    facts: &'a PackageFacts,
    severity: Severity,
    advisories: Vec<&'a str>,
    /// Advisories with no fixed release.
    unfixed: Vec<&'a str>,
    /// The lowest release that fixes every advisory that has a fix.
    fixed: Option<Version>,
    /// Where it is pinned (the first alert's location).
    alert: &'a Alert,
}

/// Groups the alerts that carry package facts by (package, version), most severe first.
fn vulnerable_packages<'a>(alerts: &'a [(Alert, bool)]) -> Vec<VulnerablePackage<'a>> {
    let mut out: Vec<VulnerablePackage> = Vec::new();
    for (alert, _) in alerts {
        let Some(facts) = &alert.package else {
            continue;
        };
        let at = match out
            .iter()
            .position(|p| p.facts.name == facts.name && p.facts.version == facts.version)
        {
            Some(i) => i,
            None => {
                out.push(VulnerablePackage {
                    facts,
                    severity: alert.severity,
                    advisories: Vec::new(),
                    unfixed: Vec::new(),
                    fixed: None,
                    alert,
                });
                out.len() - 1
            }
        };
        let p = &mut out[at];
        p.severity = p.severity.max(alert.severity);
        if !p.advisories.contains(&facts.advisory.as_str()) {
            p.advisories.push(&facts.advisory);
        }
        match facts.fixed.as_deref().map(Version::from_str) {
            Some(Ok(v)) => p.fixed = p.fixed.take().max(Some(v)),
            _ => p.unfixed.push(&facts.advisory),
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.facts.name.cmp(&b.facts.name))
    });
    out
}

fn package_row(p: &VulnerablePackage, input: &SummaryInput) -> String {
    let fixed = match (&p.fixed, p.unfixed.is_empty()) {
        (Some(v), true) => format!("**{v}**"),
        (Some(v), false) => format!("{v} (none known for {})", p.unfixed.join(", ")),
        (None, _) => "none known".to_string(),
    };
    format!(
        "| {} | `{}` {} | {} | {} | {} |\n",
        severity_label(p.severity),
        cell(&p.facts.name),
        cell(&p.facts.version),
        cell(&p.advisories.join(", ")),
        cell(&fixed),
        location(p.alert, input)
    )
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

fn location(alert: &Alert, input: &SummaryInput) -> String {
    match &alert.path {
        Some(path) => link(path, alert, &format!("{path}:{}", alert.start_line), input),
        None => "-".to_string(),
    }
}

/// `text` linked to the alert's lines at the PR head, or as code when links are off.
fn link(path: &str, alert: &Alert, text: &str, input: &SummaryInput) -> String {
    match &input.blob_base {
        Some(base) => format!(
            "[{}]({base}/{}#L{}-L{})",
            cell(text),
            crate::report::sarif::encode_uri_path(path),
            alert.start_line,
            alert.end_line
        ),
        None => format!("`{}`", text.replace('`', "'")),
    }
}

fn rule_cell(alert: &Alert) -> String {
    if alert.own {
        cell(&alert.title())
    } else {
        format!("{} ({})", cell(&alert.title()), cell(&alert.tool))
    }
}

fn table_row(alert: &Alert, new: bool, input: &SummaryInput) -> String {
    row(alert, new, location(alert, input), input)
}

/// A row of a file's table: the location is just the line.
fn file_row(alert: &Alert, new: bool, input: &SummaryInput) -> String {
    let line = match &alert.path {
        Some(path) => link(path, alert, &alert.start_line.to_string(), input),
        None => "-".to_string(),
    };
    row(alert, new, line, input)
}

fn row(alert: &Alert, new: bool, location: String, input: &SummaryInput) -> String {
    let rule = rule_cell(alert);
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

    /// What the summary shows by default: the alerts, nothing else (no PR, no notes, no links).
    fn plain<'a>(alerts: &'a [(Alert, bool)], stats: &'a ScanStats) -> SummaryInput<'a> {
        SummaryInput {
            alerts,
            only_new: false,
            suppressed: 0,
            stats,
            blob_base: None,
            notes: &[],
            run_url: None,
            routes: &[],
        }
    }

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
            package: None,
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
                only_new: true,
                suppressed: 1,
                blob_base: Some("https://github.com/o/r/blob/abc".into()),
                ..plain(&alerts, &stats)
            },
            65_536,
        );
        assert!(md.starts_with(&format!("{MARKER}\n\n")));
        assert!(md.contains("**2** findings, **1** new"));
        // Grouped by file: the file once, then each finding's line linked to the PR head.
        assert!(md.contains("`app/my views.py`"), "{md}");
        assert!(md.contains("[3](https://github.com/o/r/blob/abc/app/my%20views.py#L3-L3)"));
        assert_eq!(md.matches("`app/my views.py`").count(), 1, "{md}");
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
        let md = render(&plain(&all, &stats), 65_536);
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
                only_new: true,
                notes: &notes,
                ..plain(&alerts, &stats)
            },
            65_536,
        );
        assert!(md.len() <= 65_536, "{}", md.len());
        assert!(md.starts_with(MARKER));
        assert!(md.ends_with("the job summary and the SARIF file have everything._\n"));
    }

    #[test]
    fn routes_beyond_the_listed_ones_are_counted() {
        use crate::python::inventory::Auth;
        let routes: Vec<ChangedRoute> = (1..=120)
            .map(|i| ChangedRoute {
                methods: vec!["POST".into()],
                rule: format!("/items/{i}"),
                endpoint: format!("items.item_{i}"),
                path: "app/items.py".into(),
                line: i,
                auth: Auth::None,
                roles: Vec::new(),
                unknown: None,
            })
            .collect();
        let stats = ScanStats::default();
        let md = render(
            &SummaryInput {
                only_new: true,
                routes: &routes,
                ..plain(&[], &stats)
            },
            65_536,
        );
        assert!(md.contains("### Routes this pull request adds or changes"));
        assert_eq!(md.matches("| **none** |").count(), routes::MAX_LISTED);
        assert!(
            md.contains("_70 more routes this pull request adds or changes are not listed here"),
            "{md}"
        );
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

    fn vulnerable(package: &str, version: &str, advisory: &str, fixed: Option<&str>) -> Alert {
        let mut a = alert(2, Severity::Medium);
        a.rule_id = "FS601".into();
        a.dependency = true;
        a.path = Some("requirements.txt".into());
        a.package = Some(PackageFacts {
            name: package.into(),
            version: version.into(),
            advisory: advisory.into(),
            fixed: fixed.map(Into::into),
        });
        a
    }

    #[test]
    fn vulnerable_dependencies_are_one_row_per_package_with_the_fix_for_all() {
        let mut critical = vulnerable("werkzeug", "0.15.2", "PYSEC-2023-221", Some("2.3.8"));
        critical.severity = Severity::High;
        let mut unpinned = alert(5, Severity::Low);
        unpinned.dependency = true;
        unpinned.message = "requests is not pinned".into();
        let alerts = vec![
            (
                vulnerable("werkzeug", "0.15.2", "PYSEC-2019-140", Some("0.15.3")),
                true,
            ),
            (critical, true),
            (
                vulnerable("werkzeug", "0.15.2", "GHSA-2g68-c3qc-8985", Some("3.0.3")),
                true,
            ),
            (
                vulnerable("jinja2", "2.10", "PYSEC-2019-217", Some("2.10.1")),
                true,
            ),
            (
                vulnerable("jinja2", "2.10", "GHSA-xxxx-unfixed", None),
                true,
            ),
            (unpinned, true),
        ];
        let stats = ScanStats::default();
        let md = render(&plain(&alerts, &stats), 65_536);
        let rows: Vec<&str> = md.lines().filter(|l| l.contains("PYSEC-")).collect();
        assert_eq!(rows.len(), 2, "{md}");
        // The most severe package first; the version that fixes all three is the highest fix.
        assert!(rows[0].contains("`werkzeug` 0.15.2"), "{md}");
        assert!(rows[0].contains("PYSEC-2019-140, PYSEC-2023-221, GHSA-2g68-c3qc-8985"));
        assert!(rows[0].contains("| **3.0.3** |"), "{md}");
        assert!(rows[0].contains(":orange_circle: high"));
        assert!(
            rows[1].contains("2.10.1 (none known for GHSA-xxxx-unfixed)"),
            "{md}"
        );
        // Dependency findings without advisories (unpinned, other tools) keep their own table.
        assert!(md.contains("### Other dependency findings"));
        assert!(md.contains("requests is not pinned"));
    }
}
