//! Ruff-style terminal output: `path:line:col: FS101 [high] message`, a code frame, a fix hint,
//! and a summary line.

use std::fmt::Write;

use annotate_snippets::{Level, Renderer, Snippet};

use crate::finding::{Finding, Severity};
use crate::scan::ScanReport;

/// Options for the text report.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    pub color: bool,
    pub show_suppressed: bool,
    /// Only the summary and notifications.
    pub quiet: bool,
}

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "1;35",
        Severity::High => "1;31",
        Severity::Medium => "1;33",
        Severity::Low => "1;36",
    }
}

/// Renders the whole report.
pub fn render(report: &ScanReport, opts: TextOptions) -> String {
    let mut out = String::new();
    let renderer = if opts.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    for f in &report.findings {
        if f.suppressed.is_some() && !opts.show_suppressed {
            continue;
        }
        if opts.quiet {
            continue;
        }
        render_finding(&mut out, f, &renderer, opts.color);
    }
    for n in &report.notifications {
        let place = match (&n.path, n.line) {
            (Some(p), Some(l)) => format!("{p}:{l}: "),
            (Some(p), None) => format!("{p}: "),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{} {place}{}",
            paint(opts.color, "1;33", &format!("{}:", n.level.as_str())),
            n.message
        );
    }
    if let Some(source) = &report.advisory_source {
        let _ = writeln!(out, "Dependency advisories: {source}.");
    }
    out.push_str(&summary_line(report, opts.color));
    out
}

fn render_finding(out: &mut String, f: &Finding, renderer: &Renderer, color: bool) {
    let loc = &f.location;
    let _ = writeln!(
        out,
        "{}:{}:{}: {} {} {}{}",
        paint(color, "1", &loc.path),
        loc.start.line,
        loc.start.column,
        paint(color, "1;31", f.rule.id),
        paint(
            color,
            severity_color(f.severity),
            &format!("[{}]", f.severity)
        ),
        f.message,
        if f.suppressed.is_some() {
            " (suppressed)"
        } else {
            ""
        }
    );
    if !f.snippet.is_empty() {
        let span = snippet_span(f);
        let frame = Level::Error.title("").snippet(
            Snippet::source(&f.snippet)
                .line_start(loc.start.line as usize)
                .annotation(Level::Error.span(span).label(f.rule.name)),
        );
        let rendered = renderer.render(frame).to_string();
        // The frame's own title line is empty: drop it and keep the code.
        for line in rendered.lines().skip(1) {
            let _ = writeln!(out, "{line}");
        }
    }
    let steps = f.flow.iter().map(|s| ("↳", &s.location, &s.message));
    let related = f
        .related
        .iter()
        .map(|r| ("related:", &r.location, &r.message));
    for (mark, location, message) in steps.chain(related) {
        let _ = writeln!(
            out,
            "  {} {}:{}: {}",
            paint(color, "2", mark),
            location.path,
            location.start.line,
            message
        );
    }
    let _ = writeln!(out, "  {} {}\n", paint(color, "1;32", "fix:"), f.fix);
}

/// The byte range of the finding inside its snippet.
fn snippet_span(f: &Finding) -> std::ops::Range<usize> {
    let snippet = &f.snippet;
    let offset = |line_rel: usize, col: u32| -> usize {
        let mut base = 0;
        for (i, l) in snippet.split('\n').enumerate() {
            if i == line_rel {
                let within: usize = l
                    .chars()
                    .take(col.saturating_sub(1) as usize)
                    .map(char::len_utf8)
                    .sum();
                return base + within;
            }
            base += l.len() + 1;
        }
        snippet.len()
    };
    let start = offset(0, f.location.start.column);
    let end_rel = (f.location.end.line - f.location.start.line) as usize;
    let end = offset(end_rel, f.location.end.column).min(snippet.len());
    if end > start {
        start..end
    } else {
        start..(start + 1).min(snippet.len().max(start))
    }
}

/// `Found 3 findings (1 critical, 2 high); 1 suppressed.`
pub fn summary_line(report: &ScanReport, color: bool) -> String {
    let counts = report.counts();
    let total: usize = counts.values().sum();
    let suppressed = report.findings.len() - total;
    let files = report.stats.python_files
        + report.stats.template_files
        + report.stats.manifest_files
        + report.stats.other_files;
    if total == 0 {
        let mut s = format!("{} in {files} file(s)", paint(color, "1;32", "No findings"));
        if suppressed > 0 {
            let _ = write!(s, "; {suppressed} suppressed");
        }
        return s + ".\n";
    }
    let parts: Vec<String> = counts
        .iter()
        .rev()
        .map(|(sev, n)| paint(color, severity_color(*sev), &format!("{n} {sev}")))
        .collect();
    let mut s = format!(
        "Found {total} finding(s) ({}) in {files} file(s)",
        parts.join(", ")
    );
    if suppressed > 0 {
        let _ = write!(s, "; {suppressed} suppressed");
    }
    s + ".\n"
}
