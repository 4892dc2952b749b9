//! Template scanning end to end: the view → template code flow, and robustness on hostile or
//! broken templates (a notification, never a panic or a stopped scan).

use std::path::Path;
use std::time::{Duration, Instant};

use flaskscan::scan::{self, ScanOptions, ScanReport};

fn scan_dir(dir: &Path) -> ScanReport {
    let options = ScanOptions {
        paths: vec![dir.to_path_buf()],
        root: Some(dir.to_path_buf()),
        // Unlinked `|safe` and unquoted attributes are audit findings: these tests count them.
        select: vec!["ALL".into()],
        threads: Some(1),
        ..ScanOptions::default()
    };
    scan::run(&options).expect("scan runs")
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn safe_filter_flow_runs_from_the_view_through_extends() {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/templates/safe_filter_linked");
    let report = scan_dir(&root);
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule.id == "FS303" && f.location.path == "blog/templates/base.html")
        .expect("FS303 in the base template");
    assert_eq!(finding.severity, flaskscan::finding::Severity::High);
    insta::assert_json_snapshot!("safe_filter_flow", finding.flow);
}

/// `{{ sidebar_inject(query)|safe }}`: what an unknown template function makes of view data is a
/// guess, so the finding links no request flow and stays the audit one.
#[test]
fn unknown_template_functions_link_no_request_data() {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/templates/safe_filter_linked");
    let report = scan_dir(&root);
    let in_search = |needle: &str| {
        report
            .findings
            .iter()
            .find(|f| {
                f.rule.id == "FS303"
                    && f.location.path == "blog/templates/search.html"
                    && f.message.contains(needle)
            })
            .unwrap_or_else(|| panic!("FS303 on {needle}"))
    };
    let guessed = in_search("sidebar_inject(query)");
    assert_eq!(guessed.severity, flaskscan::finding::Severity::Medium);
    assert!(guessed.flow.is_empty());
    let method = in_search("query.strip()");
    assert_eq!(method.severity, flaskscan::finding::Severity::High);
}

#[test]
fn broken_templates_give_notifications_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "templates/binary.html",
        b"<p>\x00\x01\x02{{ x|safe }}</p>",
    );
    write(d, "templates/latin1.html", b"<p>caf\xe9 {{ x|safe }}</p>");
    write(
        d,
        "templates/unclosed_output.html",
        b"{{ a|safe }}\n<p>{{ b|safe </p>\n",
    );
    write(
        d,
        "templates/unbalanced.html",
        b"{% if x %}{% for y in z %}{% endif %}\n{{ c|safe }}\n",
    );
    write(
        d,
        "templates/unclosed_tag.html",
        b"{{ d|safe }}<div class=\"open {{ e }}\n<p>text\n",
    );
    write(
        d,
        "templates/brackets.html",
        "{{ ((((((((((((((((((((((((( }}\n<a {{{{{{{{ \"\n{% {% {% }}".as_bytes(),
    );
    write(d, "templates/ok.html", b"<p>{{ f|safe }}</p>");
    let report = scan_dir(d);
    let noted = |name: &str| {
        report
            .notifications
            .iter()
            .any(|n| n.path.as_deref() == Some(&format!("templates/{name}")[..]))
    };
    for name in [
        "binary.html",
        "latin1.html",
        "unclosed_output.html",
        "unbalanced.html",
        "unclosed_tag.html",
        "brackets.html",
    ] {
        assert!(
            noted(name),
            "no notification for {name}: {:?}",
            report.notifications
        );
    }
    let flagged = |path: &str, line: u32| {
        report.findings.iter().any(|f| {
            f.rule.id == "FS303" && f.location.path == path && f.location.start.line == line
        })
    };
    // What comes before the broken part is still analysed, and other files are untouched.
    assert!(flagged("templates/unclosed_output.html", 1));
    assert!(flagged("templates/unbalanced.html", 2));
    assert!(flagged("templates/unclosed_tag.html", 1));
    assert!(flagged("templates/ok.html", 1));
}

#[test]
fn huge_templates_are_scanned_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let line = "<div class={{ x }}><p title=\"{{ y }}\">{{ z|safe }}</p></div>{% if a %}<form method=post>{% endif %}\n";
    let text = line.repeat(1_500_000 / line.len());
    write(dir.path(), "templates/huge.html", text.as_bytes());
    // Unbalanced everything: an unclosed quote and comment at the top swallow the rest.
    let hostile = format!(
        "<a title=\"{}\n<!-- {}",
        "{{ x }} <b ".repeat(50_000),
        "<p>".repeat(100_000)
    );
    write(dir.path(), "templates/hostile.html", hostile.as_bytes());
    let started = Instant::now();
    let report = scan_dir(dir.path());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    // One unquoted attribute per line, capped per rule and file with a notification.
    let lines = text.lines().count();
    let cap = scan::MAX_FINDINGS_PER_RULE_AND_FILE;
    assert!(lines > cap);
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.rule.id == "FS307")
            .count(),
        cap
    );
    assert!(report.notifications.iter().any(|n| n
        .message
        .starts_with(&format!("{} more FS307 findings", lines - cap))));
}
