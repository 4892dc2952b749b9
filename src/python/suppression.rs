//! Inline suppression comments: `# nosec`, `# nosec B201`, `# noqa: FS101`, `# flaskscan: ignore[FS101]`.

use std::collections::HashMap;

use super::source::{Comment, LineIndex};

/// Which rules one comment silences.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    All,
    /// Rule ids or id prefixes, uppercase.
    Rules(Vec<String>),
}

/// The suppression comments of one file, by line.
#[derive(Debug, Default)]
pub struct Suppressions {
    by_line: HashMap<u32, Vec<(Scope, String)>>,
}

/// Bandit test ids and the flaskscan rules that cover the same mistake.
const BANDIT_MAP: &[(&str, &[&str])] = &[
    ("B104", &["FS109"]),
    ("B105", &["FS102", "FS402"]),
    ("B106", &["FS102", "FS402"]),
    ("B107", &["FS402"]),
    ("B201", &["FS101"]),
    ("B301", &["FS504"]),
    ("B302", &["FS504"]),
    ("B303", &["FS404", "FS403"]),
    ("B307", &["FS204"]),
    ("B308", &["FS302"]),
    ("B310", &["FS503"]),
    ("B311", &["FS405"]),
    ("B313", &["FS505"]),
    ("B314", &["FS505"]),
    ("B315", &["FS505"]),
    ("B316", &["FS505"]),
    ("B317", &["FS505"]),
    ("B318", &["FS505"]),
    ("B319", &["FS505"]),
    ("B320", &["FS505"]),
    ("B323", &["FS506"]),
    ("B324", &["FS404", "FS403"]),
    ("B501", &["FS506"]),
    ("B502", &["FS506"]),
    ("B503", &["FS506"]),
    ("B504", &["FS506"]),
    ("B506", &["FS504"]),
    ("B602", &["FS203"]),
    ("B603", &["FS203"]),
    ("B604", &["FS203"]),
    ("B605", &["FS203"]),
    ("B606", &["FS203"]),
    ("B607", &["FS203"]),
    ("B608", &["FS201", "FS202"]),
    ("B609", &["FS203"]),
    ("B610", &["FS201", "FS202"]),
    ("B611", &["FS201", "FS202"]),
    ("B701", &["FS112"]),
    ("B702", &["FS205"]),
    ("B703", &["FS302"]),
    ("B704", &["FS302"]),
];

impl Suppressions {
    /// Collects the suppression comments among `comments`.
    pub fn from_comments(comments: &[Comment]) -> Self {
        let mut by_line: HashMap<u32, Vec<(Scope, String)>> = HashMap::new();
        for c in comments {
            for scope in parse_comment(&c.text) {
                by_line
                    .entry(c.line)
                    .or_default()
                    .push((scope, c.text.trim().to_string()));
            }
        }
        Self { by_line }
    }

    /// Parses suppression comments written in a non-Python file (e.g. `# nosec` in `.flaskenv`,
    /// a manifest or a template) from the `#` on each line.
    pub fn from_text(text: &str, lines: &LineIndex) -> Self {
        let comments: Vec<Comment> = (0..lines.len())
            .filter_map(|i| {
                let line = lines.line_text(text, i);
                line.find('#').map(|at| Comment {
                    line: i as u32 + 1,
                    text: line[at..].to_string(),
                })
            })
            .collect();
        Self::from_comments(&comments)
    }

    /// The comment that silences `rule_id` on `line` or on `statement_line`, if any.
    pub fn find(&self, rule_id: &str, line: u32, statement_line: u32) -> Option<&str> {
        [line, statement_line].into_iter().find_map(|l| {
            self.by_line.get(&l)?.iter().find_map(|(scope, text)| {
                let hit = match scope {
                    Scope::All => true,
                    Scope::Rules(ids) => ids.iter().any(|id| rule_id.starts_with(id.as_str())),
                };
                hit.then_some(text.as_str())
            })
        })
    }
}

/// The scopes one comment declares (a comment may carry several directives).
fn parse_comment(text: &str) -> Vec<Scope> {
    let mut scopes = Vec::new();
    let lower = text.to_ascii_lowercase();
    if let Some(pos) = lower.find("nosec") {
        let rest = &text[pos + 5..];
        let ids = leading_codes(rest.strip_prefix(':').unwrap_or(rest));
        if ids.is_empty() {
            scopes.push(Scope::All);
        } else {
            let rules = our_rules(ids, |id| id.strip_prefix('B'));
            if !rules.is_empty() {
                scopes.push(Scope::Rules(rules));
            }
        }
    }
    // A bare `# noqa` is usually about style (line length...); it must not hide security findings.
    // Ruff's flake8-bandit codes are Bandit's numbers behind `S` (`S324` = `B324`).
    if let Some(pos) = lower.find("noqa:") {
        let ids = our_rules(leading_codes(&text[pos + 5..]), |id| id.strip_prefix('S'));
        if !ids.is_empty() {
            scopes.push(Scope::Rules(ids));
        }
    }
    if let Some(pos) = lower.find("flaskscan:") {
        let rest = text[pos + 10..].trim_start();
        if let Some(rest) = rest.strip_prefix("ignore") {
            match rest.trim_start().strip_prefix('[') {
                Some(inner) => {
                    let inner = inner.split(']').next().unwrap_or("");
                    let ids = leading_codes(inner);
                    if !ids.is_empty() {
                        scopes.push(Scope::Rules(ids));
                    }
                }
                None => scopes.push(Scope::All),
            }
        }
    }
    scopes
}

/// Our rule ids for `codes`: FS ids as they are, other tools' codes through [`BANDIT_MAP`];
/// `bandit_number` takes the tool's prefix off (`B324` or Ruff's `S324` → `324`).
fn our_rules(codes: Vec<String>, bandit_number: impl Fn(&str) -> Option<&str>) -> Vec<String> {
    let mut rules = Vec::new();
    for id in codes {
        if id.starts_with("FS") {
            rules.push(id);
        } else if let Some(number) = bandit_number(&id) {
            if let Some((_, ours)) = BANDIT_MAP.iter().find(|(b, _)| b[1..] == *number) {
                rules.extend(ours.iter().map(|s| s.to_string()));
            }
        }
    }
    rules
}

/// Codes like `B201, FS101 FS102` at the start of `s`, uppercased; stops at the first non-code word.
fn leading_codes(s: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for word in s.split([',', ' ', '\t']).filter(|w| !w.is_empty()) {
        let w = word.trim();
        let is_code = w.len() >= 2
            && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && w.chars().all(|c| c.is_ascii_alphanumeric())
            && w.chars().any(|c| c.is_ascii_digit());
        if !is_code {
            break;
        }
        codes.push(w.to_ascii_uppercase());
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sup(line: u32, text: &str) -> Suppressions {
        Suppressions::from_comments(&[Comment {
            line,
            text: text.to_string(),
        }])
    }

    #[test]
    fn nosec_forms() {
        assert!(sup(3, "# nosec").find("FS101", 3, 3).is_some());
        assert!(sup(3, "# nosec B201").find("FS101", 3, 3).is_some());
        assert!(sup(3, "# nosec B201").find("FS102", 3, 3).is_none());
        assert!(sup(3, "# nosec: B105, B201").find("FS102", 3, 3).is_some());
        assert!(sup(3, "# nosec FS1").find("FS109", 3, 3).is_some());
    }

    #[test]
    fn noqa_takes_ruffs_bandit_codes() {
        assert!(sup(2, "# noqa: S324").find("FS404", 2, 2).is_some());
        assert!(sup(2, "# noqa: E501, S608").find("FS202", 2, 2).is_some());
        assert!(sup(2, "# noqa: S324").find("FS101", 2, 2).is_none());
        assert!(
            sup(2, "# nosec S324").find("FS404", 2, 2).is_none(),
            "Bandit's own codes start with B"
        );
    }

    #[test]
    fn noqa_needs_our_codes() {
        assert!(sup(1, "# noqa").find("FS101", 1, 1).is_none());
        assert!(sup(1, "# noqa: E501").find("FS101", 1, 1).is_none());
        assert!(sup(1, "# noqa: E501, FS101").find("FS101", 1, 1).is_some());
    }

    #[test]
    fn flaskscan_ignore_and_statement_line() {
        let s = sup(2, "# flaskscan: ignore[FS101, FS109]");
        assert!(s.find("FS109", 4, 2).is_some());
        assert!(s.find("FS102", 4, 2).is_none());
        assert!(sup(2, "# flaskscan: ignore").find("FS999", 2, 2).is_some());
        assert!(sup(2, "# flaskscan: ignore").find("FS101", 3, 3).is_none());
    }
}
