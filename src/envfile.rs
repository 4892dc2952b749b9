//! `.flaskenv` / `.env` files: `KEY=value` lines that configure Flask at start-up.

use crate::finding::Severity;
use crate::rules::{fs101_debug_mode_enabled as fs101, fs102_hardcoded_secret_key as fs102, Rule};

/// A finding in an env file: rule, 1-based line, 1-based start and end columns (in chars), message.
#[derive(Debug, Clone)]
pub struct EnvFinding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub line: u32,
    pub start_column: u32,
    pub end_column: u32,
    pub message: String,
}

/// Checks every `KEY=value` line of an env file.
pub fn check(text: &str) -> Vec<EnvFinding> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let value = strip_comment(value.trim());
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        let indent = (raw.len() - raw.trim_start().len()) as u32;
        let end = raw.trim_end().chars().count() as u32 + 1;
        let mut push = |rule: &'static Rule, message: String| {
            out.push(EnvFinding {
                rule,
                severity: rule.severity,
                line: i as u32 + 1,
                start_column: indent + 1,
                end_column: end,
                message,
            })
        };
        match key {
            "FLASK_DEBUG"
                if matches!(
                    value.to_ascii_lowercase().as_str(),
                    "1" | "true" | "yes" | "on"
                ) =>
            {
                push(
                    &fs101::RULE,
                    format!("`FLASK_DEBUG={value}` starts Flask with the Werkzeug debugger"),
                );
            }
            "FLASK_ENV" if value.eq_ignore_ascii_case("development") => {
                push(
                    &fs101::RULE,
                    "`FLASK_ENV=development` turns on debug mode".to_string(),
                );
            }
            k if fs102::SECRET_KEYS.contains(&k.trim_start_matches("FLASK_"))
                && !value.is_empty()
                && !value.starts_with("${") =>
            {
                push(
                    &fs102::RULE,
                    format!("`{k}` is committed in plain text in an env file"),
                );
            }
            _ => {}
        }
    }
    out
}

fn strip_comment(value: &str) -> &str {
    if value.starts_with('"') || value.starts_with('\'') {
        return value;
    }
    match value.find(" #") {
        Some(i) => value[..i].trim_end(),
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_debug_and_secrets() {
        let f = check(
            "FLASK_APP=app\nFLASK_DEBUG=1\nFLASK_SECRET_KEY='abc123'\nSECRET_KEY=${SECRET}\n",
        );
        let ids: Vec<_> = f.iter().map(|f| (f.rule.id, f.line)).collect();
        assert_eq!(ids, vec![("FS101", 2), ("FS102", 3)]);
        assert!(check("FLASK_DEBUG=0\n").is_empty());
    }
}
