//! Configuration: `[tool.flaskscan]` in pyproject.toml or a flaskscan.toml, found by walking up
//! from the scanned path, merged with CLI flags (flags win).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::finding::Severity;

pub use crate::deps::IgnoreVuln;

/// Settings read from a config file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileConfig {
    /// The file they came from.
    pub source: Option<PathBuf>,
    pub select: Vec<String>,
    /// Rules run besides `select` (audit rules).
    pub extend_select: Vec<String>,
    /// Whether test code is analysed like application code.
    pub include_tests: bool,
    pub ignore: Vec<String>,
    pub exclude: Vec<String>,
    pub fail_on: Option<FailOn>,
    pub max_file_size: Option<u64>,
    pub severity: BTreeMap<String, Severity>,
    pub ignore_vulns: Vec<IgnoreVuln>,
    /// Project functions declared as sanitisers: (qualified name, rule ids their result is safe for).
    pub sanitizers: Vec<(String, Vec<String>)>,
    /// Decorators declared as authentication (qualified names or dotted tails of them).
    pub auth_decorators: Vec<String>,
    /// Decorators declared as role checks: authentication plus the roles given as arguments.
    pub role_decorators: Vec<String>,
    /// Problems that did not stop the scan (a config link refused, another tool's broken file).
    pub warnings: Vec<String>,
}

/// The severity threshold that makes the exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    None,
    At(Severity),
}

impl FailOn {
    /// Parses `none|low|medium|high|critical`.
    pub fn parse(s: &str) -> Option<Self> {
        if s == "none" {
            Some(Self::None)
        } else {
            Severity::parse(s).map(Self::At)
        }
    }

    /// Whether a finding of `severity` fails the run.
    pub fn fails(self, severity: Severity) -> bool {
        matches!(self, Self::At(t) if severity >= t)
    }
}

/// A configuration problem, naming the file and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

const KEYS: &str = "select, extend-select, ignore, exclude, include-tests, fail-on, max-file-size, severity, ignore-vulns, sanitizers, auth-decorators, role-decorators";

/// Config files are a few kilobytes; anything larger is not one (and `/dev/zero` never ends).
const MAX_CONFIG_SIZE: u64 = 1024 * 1024;

/// Finds the config for `start`: the nearest flaskscan.toml, or pyproject.toml with a
/// `[tool.flaskscan]` table, in `start` or a parent folder.
///
/// A config file that is a symbolic link is read only when its target stays inside the folder it
/// was found in: a pull request must not be able to make flaskscan read (and quote in an error)
/// a file outside the checkout, such as `/proc/self/environ`. A `pyproject.toml` that is not
/// valid TOML and does not mention `tool.flaskscan` belongs to other tools: the scan goes on with
/// the defaults and a warning in [`FileConfig::warnings`].
pub fn find(start: &Path) -> Result<FileConfig, ConfigError> {
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    let mut dir = if start.is_file() {
        start.parent().map(Path::to_path_buf)
    } else {
        Some(start)
    };
    let mut warnings = Vec::new();
    while let Some(d) = dir {
        let own = d.join("flaskscan.toml");
        if let Some(own) = contained(&d, &own, &mut warnings) {
            let mut cfg = load(&own)?;
            cfg.warnings.splice(0..0, warnings);
            return Ok(cfg);
        }
        let py = d.join("pyproject.toml");
        if let Some(py) = contained(&d, &py, &mut warnings) {
            let text = read(&py)?;
            match text.parse::<toml::Table>() {
                Ok(value) => {
                    if value.get("tool").and_then(|t| t.get("flaskscan")).is_some() {
                        let mut cfg = from_document(&py, value)?;
                        cfg.warnings.splice(0..0, warnings);
                        return Ok(cfg);
                    }
                }
                Err(e) if mentions_own_table(&text) => {
                    return Err(ConfigError(toml_error(&py, &text, &e)));
                }
                Err(e) => warnings.push(format!(
                    "{}; it has no [tool.flaskscan] table, so the scan uses the defaults",
                    toml_error(&py, &text, &e)
                )),
            }
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    Ok(FileConfig {
        warnings,
        ..FileConfig::default()
    })
}

/// `file` when it exists and, if it is a link, points to a regular file inside `folder`.
fn contained(folder: &Path, file: &Path, warnings: &mut Vec<String>) -> Option<PathBuf> {
    let meta = std::fs::symlink_metadata(file).ok()?;
    if !meta.file_type().is_symlink() {
        return meta.is_file().then(|| file.to_path_buf());
    }
    match file.canonicalize() {
        Ok(target) if target.starts_with(folder) && target.is_file() => Some(target),
        _ => {
            warnings.push(format!(
                "{}: a symbolic link that leaves its folder; not read",
                file.display()
            ));
            None
        }
    }
}

fn mentions_own_table(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with('[') && l.contains("tool.flaskscan")
    })
}

/// A TOML error on one line: where, and what the parser expected, never the file's content.
fn toml_error(path: &Path, text: &str, error: &toml::de::Error) -> String {
    let what = crate::redact::one_line(error.message().trim(), 200);
    match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!(
                "{}: invalid TOML at line {line}, column {column}: {what}",
                path.display()
            )
        }
        None => format!("{}: invalid TOML: {what}", path.display()),
    }
}

/// Reads a config file: a regular file of at most [`MAX_CONFIG_SIZE`] bytes.
fn read(path: &Path) -> Result<String, ConfigError> {
    crate::workspace::read_named_text(path, MAX_CONFIG_SIZE)
        .map_err(|why| ConfigError(format!("{}: cannot read: {why}", path.display())))
}

/// Loads an explicit config file (flaskscan.toml or pyproject.toml).
pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = read(path)?;
    parse(path, &text)
}

/// Parses config text; `path` names the file in errors and decides the layout.
pub fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e| ConfigError(toml_error(path, text, &e)))?;
    from_document(path, doc)
}

/// The settings of an already parsed config document; `path` names the file and decides the
/// layout.
fn from_document(path: &Path, doc: toml::Table) -> Result<FileConfig, ConfigError> {
    let file = path.display().to_string();
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let table = if is_pyproject {
        match doc.get("tool").and_then(|t| t.get("flaskscan")) {
            Some(toml::Value::Table(t)) => t.clone(),
            Some(_) => {
                return Err(ConfigError(format!(
                    "{file}: `tool.flaskscan` must be a table"
                )))
            }
            None => {
                return Ok(FileConfig {
                    source: Some(path.to_path_buf()),
                    ..FileConfig::default()
                })
            }
        }
    } else {
        // flaskscan.toml may use the same `[tool.flaskscan]` table or top-level keys.
        match doc.get("tool").and_then(|t| t.get("flaskscan")) {
            Some(toml::Value::Table(t)) => t.clone(),
            _ => doc,
        }
    };
    let prefix = if is_pyproject { "tool.flaskscan." } else { "" };
    let mut cfg = FileConfig {
        source: Some(path.to_path_buf()),
        ..FileConfig::default()
    };
    for (key, value) in &table {
        let at = format!("{file}: `{prefix}{key}`");
        match key.as_str() {
            "select" => cfg.select = rule_list(&at, value)?,
            "extend-select" => cfg.extend_select = rule_list(&at, value)?,
            "ignore" => cfg.ignore = rule_list(&at, value)?,
            "include-tests" => {
                cfg.include_tests = value
                    .as_bool()
                    .ok_or_else(|| ConfigError(format!("{at} must be true or false")))?;
            }
            "exclude" => {
                cfg.exclude = string_list(&at, value)?;
                crate::workspace::validate_globs(&cfg.exclude)
                    .map_err(|e| ConfigError(format!("{at}: {e}")))?;
            }
            "fail-on" => {
                let s = value.as_str().ok_or_else(|| {
                    ConfigError(format!(
                        "{at} must be a string: none, low, medium, high or critical"
                    ))
                })?;
                cfg.fail_on = Some(FailOn::parse(s).ok_or_else(|| {
                    ConfigError(format!(
                        "{at} is `{}`; expected none, low, medium, high or critical",
                        crate::redact::excerpt(s)
                    ))
                })?);
            }
            "max-file-size" => {
                let n = value.as_integer().filter(|n| *n > 0).ok_or_else(|| {
                    ConfigError(format!("{at} must be a positive number of bytes"))
                })?;
                cfg.max_file_size = Some(n as u64);
            }
            "severity" => {
                let t = value.as_table().ok_or_else(|| {
                    ConfigError(format!("{at} must be a table of rule id = severity"))
                })?;
                for (rule, sev) in t {
                    if crate::rules::by_id(rule).is_none() {
                        return Err(ConfigError(format!(
                            "{at}: unknown rule `{}` (see `flaskscan rules`)",
                            crate::redact::excerpt(rule)
                        )));
                    }
                    let s = sev.as_str().and_then(Severity::parse).ok_or_else(|| {
                        ConfigError(format!(
                            "{at}.{rule} must be one of low, medium, high, critical"
                        ))
                    })?;
                    cfg.severity.insert(rule.to_ascii_uppercase(), s);
                }
            }
            "ignore-vulns" => cfg.ignore_vulns = ignore_vulns(&at, value)?,
            "sanitizers" => cfg.sanitizers = sanitizers(&at, value)?,
            "auth-decorators" => cfg.auth_decorators = decorator_names(&at, value)?,
            "role-decorators" => cfg.role_decorators = decorator_names(&at, value)?,
            other => {
                return Err(ConfigError(format!(
                    "{file}: unknown key `{prefix}{}`; expected one of: {KEYS}",
                    crate::redact::excerpt(other)
                )));
            }
        }
    }
    Ok(cfg)
}

fn string_list(at: &str, value: &toml::Value) -> Result<Vec<String>, ConfigError> {
    value
        .as_array()
        .and_then(|a| {
            a.iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| ConfigError(format!("{at} must be a list of strings")))
}

fn rule_list(at: &str, value: &toml::Value) -> Result<Vec<String>, ConfigError> {
    let list = string_list(at, value)?;
    for s in &list {
        if !crate::rules::selector_matches_any(s) {
            return Err(ConfigError(format!(
                "{at}: `{}` names no rule (see `flaskscan rules`)",
                crate::redact::excerpt(s)
            )));
        }
    }
    Ok(list)
}

/// `sanitizers = { "myapp.paths.inside_library" = ["FS502"] }`: each function's result is safe
/// for the sinks of the listed taint rules.
fn sanitizers(at: &str, value: &toml::Value) -> Result<Vec<(String, Vec<String>)>, ConfigError> {
    let table = value.as_table().ok_or_else(|| {
        ConfigError(format!(
            "{at} must be a table of function name = [rule ids], e.g. {{ \"myapp.paths.inside\" = [\"FS502\"] }}"
        ))
    })?;
    table
        .iter()
        .map(|(function, rules)| {
            let at = format!("{at}.\"{}\"", crate::redact::excerpt(function));
            let rules = string_list(&at, rules)?;
            if let Some(bad) = rules
                .iter()
                .find(|r| crate::taint::sanitized_kinds(r).is_none())
            {
                return Err(ConfigError(format!(
                    "{at}: `{}` is not a rule about data reaching a sink (FS201-FS208, FS301, FS303, FS409, FS410, FS501-FS505)",
                    crate::redact::excerpt(bad)
                )));
            }
            Ok((function.clone(), rules))
        })
        .collect()
}

/// `auth-decorators = ["myapp.auth.staff_only"]`: dotted Python names, matched on whole
/// dotted tails of the decorator's qualified name.
fn decorator_names(at: &str, value: &toml::Value) -> Result<Vec<String>, ConfigError> {
    let names = string_list(at, value).map_err(|_| {
        ConfigError(format!(
            "{at} must be a list of decorator names, e.g. [\"myapp.auth.staff_only\"]"
        ))
    })?;
    if let Some(bad) = names.iter().find(|n| !is_dotted_name(n)) {
        return Err(ConfigError(format!(
            "{at}: `{}` is not a dotted Python name (module.function, without `@` or arguments)",
            crate::redact::excerpt(bad)
        )));
    }
    Ok(names)
}

/// `a.b_c.d`: identifiers joined by dots.
fn is_dotted_name(name: &str) -> bool {
    name.split('.').all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
            && chars.all(|c| c == '_' || c.is_alphanumeric())
    })
}

fn ignore_vulns(at: &str, value: &toml::Value) -> Result<Vec<IgnoreVuln>, ConfigError> {
    let arr = value.as_array().ok_or_else(|| {
        ConfigError(format!(
            "{at} must be an array of tables ([[tool.flaskscan.ignore-vulns]])"
        ))
    })?;
    arr.iter()
        .enumerate()
        .map(|(i, v)| {
            let t = v.as_table().ok_or_else(|| {
                ConfigError(format!(
                    "{at}[{i}] must be a table with id, reason and optional until"
                ))
            })?;
            for k in t.keys() {
                if !matches!(k.as_str(), "id" | "reason" | "until") {
                    return Err(ConfigError(format!(
                        "{at}[{i}]: unknown key `{}`; expected id, reason, until",
                        crate::redact::excerpt(k)
                    )));
                }
            }
            let id = match t.get("id") {
                Some(toml::Value::String(id)) => id,
                Some(_) => {
                    return Err(ConfigError(format!(
                        "{at}[{i}].id must be a string (an advisory id or alias)"
                    )))
                }
                None => {
                    return Err(ConfigError(format!(
                        "{at}[{i}].id is required (an advisory id or alias)"
                    )))
                }
            };
            let reason = t
                .get("reason")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            let until = match t.get("until") {
                None => None,
                Some(toml::Value::Datetime(d)) => Some(d.to_string()),
                Some(toml::Value::String(s)) if is_date(s) => Some(s.clone()),
                Some(_) => {
                    return Err(ConfigError(format!(
                        "{at}[{i}].until must be a date YYYY-MM-DD"
                    )))
                }
            };
            Ok(IgnoreVuln {
                id: id.to_string(),
                reason,
                until,
            })
        })
        .collect()
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && s.chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pyproject_table() {
        let cfg = parse(
            Path::new("pyproject.toml"),
            "[tool.flaskscan]\nselect = [\"FS1\"]\nfail-on = \"medium\"\n[tool.flaskscan.severity]\nFS109 = \"high\"\n[[tool.flaskscan.ignore-vulns]]\nid = \"PYSEC-2023-62\"\nreason = \"not reachable\"\nuntil = 2027-01-01\n",
        )
        .unwrap();
        assert_eq!(cfg.select, vec!["FS1"]);
        assert_eq!(cfg.fail_on, Some(FailOn::At(Severity::Medium)));
        assert_eq!(cfg.severity["FS109"], Severity::High);
        assert_eq!(cfg.ignore_vulns[0].until.as_deref(), Some("2027-01-01"));
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_file() {
        let e = parse(
            Path::new("pyproject.toml"),
            "[tool.flaskscan]\nselct = []\n",
        )
        .unwrap_err();
        assert!(
            e.0.contains("pyproject.toml") && e.0.contains("tool.flaskscan.selct"),
            "{e}"
        );
        let e = parse(Path::new("flaskscan.toml"), "fail-on = \"sometimes\"\n").unwrap_err();
        assert!(
            e.0.contains("fail-on") && e.0.contains("expected none"),
            "{e}"
        );
        let e = parse(Path::new("flaskscan.toml"), "select = [\"XX9\"]\n").unwrap_err();
        assert!(e.0.contains("names no rule"), "{e}");
    }

    #[test]
    fn declared_decorators_are_dotted_names() {
        let cfg = parse(
            Path::new("pyproject.toml"),
            "[tool.flaskscan]\nauth-decorators = [\"myapp.auth.staff_only\", \"login_needed\"]\nrole-decorators = [\"perms.requires_role\"]\n",
        )
        .unwrap();
        assert_eq!(
            cfg.auth_decorators,
            vec!["myapp.auth.staff_only", "login_needed"]
        );
        assert_eq!(cfg.role_decorators, vec!["perms.requires_role"]);
        for (text, expected) in [
            (
                "auth-decorators = \"myapp.auth.staff_only\"\n",
                "must be a list of decorator names",
            ),
            (
                "auth-decorators = [1]\n",
                "must be a list of decorator names",
            ),
            (
                "auth-decorators = [\"@staff_only\"]\n",
                "is not a dotted Python name",
            ),
            (
                "role-decorators = [\"perms.requires_role('admin')\"]\n",
                "is not a dotted Python name",
            ),
            (
                "auth-decorators = [\"myapp..staff\"]\n",
                "is not a dotted Python name",
            ),
            ("auth-decorator = []\n", "unknown key `auth-decorator`"),
        ] {
            let e = parse(Path::new("flaskscan.toml"), text).unwrap_err();
            let key = text.split(' ').next().unwrap();
            assert!(e.0.contains(expected) && e.0.contains(key), "{text}: {e}");
        }
    }
}
