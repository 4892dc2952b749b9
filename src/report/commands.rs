//! GitHub Actions workflow commands (`::error file=...::message`): annotations that need no token.
//!
//! The runner turns only the first 10 errors, 10 warnings and 10 notices of a step into annotations
//! (the rest stay in the log), so findings go out most severe first and the overflow is announced.

use crate::finding::{Finding, Severity};

/// Annotations the runner shows per level and step.
pub const MAX_PER_LEVEL: usize = 10;

/// The runner truncates longer messages.
const MAX_MESSAGE: usize = 4096;

/// A workflow-command annotation level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Notice,
    Warning,
    Error,
}

impl Level {
    /// The command name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notice => "notice",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }

    /// The level a finding of this severity is shown at.
    pub fn for_severity(severity: Severity) -> Self {
        match severity {
            Severity::Low => Self::Notice,
            Severity::Medium => Self::Warning,
            Severity::High | Severity::Critical => Self::Error,
        }
    }
}

/// One annotation to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub severity: Severity,
    /// Repository-relative path.
    pub file: String,
    pub line: u32,
    pub end_line: u32,
    /// 1-based start column, only meaningful on single-line annotations.
    pub column: Option<u32>,
    /// Exclusive end column.
    pub end_column: Option<u32>,
    pub title: String,
    pub message: String,
}

/// Workflow commands for our findings (suppressed ones left out), most severe first.
pub fn render(findings: &[&Finding]) -> String {
    let annotations: Vec<Annotation> = findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| Annotation {
            severity: f.severity,
            file: f.location.path.clone(),
            line: f.location.start.line,
            end_line: f.location.end.line,
            column: Some(f.location.start.column),
            end_column: Some(f.location.end.column),
            title: format!("{} {}", f.rule.id, f.rule.name),
            message: f.message.clone(),
        })
        .collect();
    render_annotations(annotations)
}

/// Workflow commands for any annotations: most severe first, at most [`MAX_PER_LEVEL`] per level,
/// then one notice counting what was left out.
pub fn render_annotations(mut annotations: Vec<Annotation>) -> String {
    annotations.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.line.cmp(&b.line))
    });
    let mut out = String::new();
    let mut shown = [0usize; 3];
    let mut left_out = 0;
    for annotation in &annotations {
        let level = Level::for_severity(annotation.severity);
        let count = &mut shown[level as usize];
        if *count >= MAX_PER_LEVEL {
            left_out += 1;
            continue;
        }
        *count += 1;
        out.push_str(&command(annotation));
        out.push('\n');
    }
    if left_out > 0 {
        out.push_str(&format!(
            "::notice title=flaskscan::{}\n",
            escape_data(&format!(
                "{left_out} more findings are not annotated (GitHub shows {MAX_PER_LEVEL} per level); see the job summary"
            ))
        ));
    }
    out
}

/// One `::level file=...,line=...::message` line (without the newline).
pub fn command(a: &Annotation) -> String {
    let level = Level::for_severity(a.severity);
    let mut props = vec![
        format!("file={}", escape_property(&a.file)),
        format!("line={}", a.line.max(1)),
        format!("endLine={}", a.end_line.max(a.line).max(1)),
    ];
    // Columns only make sense within one line; the runner rejects them otherwise.
    if a.end_line <= a.line {
        if let Some(col) = a.column.filter(|c| *c > 0) {
            props.push(format!("col={col}"));
            if let Some(end) = a.end_column.filter(|e| *e > col) {
                props.push(format!("endColumn={end}"));
            }
        }
    }
    props.push(format!("title={}", escape_property(&a.title)));
    let message: String = a.message.chars().take(MAX_MESSAGE).collect();
    format!(
        "::{} {}::{}",
        level.as_str(),
        props.join(","),
        escape_data(&message)
    )
}

/// A plain `::warning::text` line (no location).
pub fn warning(text: &str) -> String {
    format!("::warning::{}", escape_data(text))
}

/// A plain `::error::text` line (no location).
pub fn error(text: &str) -> String {
    format!("::error::{}", escape_data(text))
}

/// Escapes command data (the message): `%`, `\r`, `\n`. Escaping newlines also keeps untrusted
/// text from starting a command of its own on a new line.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: like data, plus `:` and `,`, which delimit properties.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotation(severity: Severity, line: u32) -> Annotation {
        Annotation {
            severity,
            file: "app.py".into(),
            line,
            end_line: line,
            column: Some(1),
            end_column: Some(5),
            title: "FS101 debug".into(),
            message: "m".into(),
        }
    }

    #[test]
    fn escaping_follows_the_toolkit() {
        assert_eq!(escape_data("50%\r\nx"), "50%25%0D%0Ax");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn command_line_shape() {
        let mut a = annotation(Severity::High, 3);
        a.file = "dir,x/a:b.py".into();
        a.message = "line1\n::set-env name=X::y".into();
        assert_eq!(
            command(&a),
            "::error file=dir%2Cx/a%3Ab.py,line=3,endLine=3,col=1,endColumn=5,title=FS101 debug::line1%0A::set-env name=X::y"
        );
    }

    #[test]
    fn multi_line_annotations_have_no_columns() {
        let mut a = annotation(Severity::Low, 3);
        a.end_line = 4;
        assert_eq!(
            command(&a),
            "::notice file=app.py,line=3,endLine=4,title=FS101 debug::m"
        );
    }

    #[test]
    fn most_severe_first_and_overflow_is_announced() {
        let mut all: Vec<Annotation> = (1..=12).map(|l| annotation(Severity::Medium, l)).collect();
        all.push(annotation(Severity::Critical, 99));
        let out = render_annotations(all);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("::error ") && lines[0].contains("line=99"));
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("::warning ")).count(),
            10
        );
        assert!(lines.last().unwrap().contains("2 more findings"));
    }
}
