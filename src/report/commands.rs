//! GitHub workflow commands (`::error file=...::message`): annotations without any permission.

use crate::finding::{Finding, Severity};

/// Escapes the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The command for a severity: GitHub knows error, warning and notice.
pub fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "notice",
    }
}

/// One line per unsuppressed finding, most severe first (GitHub shows only the first few).
pub fn render(findings: &[&Finding]) -> String {
    let mut sorted: Vec<&&Finding> = findings.iter().filter(|f| f.suppressed.is_none()).collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.sort_key().cmp(&b.sort_key())));
    let mut out = String::new();
    for f in sorted {
        let l = &f.location;
        let title = format!("{} {} [{}]", f.rule.id, f.rule.name, f.severity);
        out.push_str(&format!(
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            command(f.severity),
            escape_property(&l.path),
            l.start.line,
            l.start.column,
            l.end.line,
            l.end.column,
            escape_property(&title),
            escape_data(&format!("{}\nFix: {}", f.message, f.fix)),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_runner() {
        assert_eq!(escape_data("50%\r\nx"), "50%25%0D%0Ax");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
