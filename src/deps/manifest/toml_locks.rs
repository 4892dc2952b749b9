//! TOML lockfiles with exact versions: `poetry.lock`, `uv.lock`, `pylock.toml` (PEP 751), `pdm.lock`.

use std::str::FromStr;

use pep508_rs::pep440_rs::Version;
use toml_edit::{Item, Table};

use super::toml_util::{at, item_line};
use super::Parsed;
use crate::deps::dependency::{Dependency, Origin, Spec};

/// `poetry.lock`: `[[package]]`; directory/file/git/url sources are not on PyPI.
pub fn parse_poetry(path: &str, text: &str, out: &mut Parsed) {
    packages(path, text, "package", out, |t| {
        let source = t
            .get("source")
            .and_then(|s| s.get("type"))
            .and_then(Item::as_str);
        match source {
            Some(kind @ ("directory" | "file" | "git" | "url")) => Err(format!("{kind} source")),
            _ => Ok(groups(t, "groups", "main")),
        }
    });
}

/// `uv.lock`: `[[package]]`; the project itself (virtual/editable) and non-registry sources are skipped.
pub fn parse_uv(path: &str, text: &str, out: &mut Parsed) {
    packages(path, text, "package", out, |t| {
        let source = t.get("source").and_then(Item::as_table_like);
        match source.and_then(|s| s.iter().next().map(|(k, _)| k.to_string())) {
            Some(kind) if kind != "registry" => Err(format!("{kind} source")),
            _ => Ok(None),
        }
    });
}

/// `pdm.lock`: `[[package]]` with `groups`; VCS (`revision`) and path/url entries are skipped.
pub fn parse_pdm(path: &str, text: &str, out: &mut Parsed) {
    packages(path, text, "package", out, |t| {
        for key in ["revision", "path", "url", "git"] {
            if t.get(key).is_some() {
                return Err(format!("{key} entry"));
            }
        }
        Ok(groups(t, "groups", "default"))
    });
}

/// `pylock.toml` (PEP 751): `lock-version` major must be 1; `[[packages]]` `version` is optional.
pub fn parse_pylock(path: &str, text: &str, out: &mut Parsed) {
    let Some(doc) = super::toml_util::parse(path, text, out) else {
        return;
    };
    let version = doc.get("lock-version").and_then(Item::as_str).unwrap_or("");
    if version.split('.').next() != Some("1") {
        let line = doc
            .get("lock-version")
            .map(|i| item_line(&super::Lines::new(text), i));
        out.warn(
            path,
            line,
            format!("unsupported pylock lock-version `{version}` (expected 1.x); not read"),
        );
        return;
    }
    drop(doc);
    packages(path, text, "packages", out, |t| {
        for key in ["vcs", "directory", "archive"] {
            if t.get(key).is_some() {
                return Err(format!("{key} package"));
            }
        }
        Ok(None)
    });
}

/// A non-default group list, e.g. `groups = ["dev"]` → `dev`.
fn groups(t: &Table, key: &str, default: &str) -> Option<String> {
    let list: Vec<&str> = t
        .get(key)
        .and_then(Item::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    (!list.is_empty() && !list.contains(&default)).then(|| list.join(", "))
}

/// Walks an array of package tables; `classify` returns the group or why the entry is skipped.
fn packages(
    path: &str,
    text: &str,
    key: &str,
    out: &mut Parsed,
    classify: impl Fn(&Table) -> Result<Option<String>, String>,
) {
    let lines = super::Lines::new(text);
    let Some(doc) = super::toml_util::parse(path, text, out) else {
        return;
    };
    let Some(list) = doc.get(key).and_then(Item::as_array_of_tables) else {
        if doc.get(key).is_some() {
            out.warn(path, None, format!("`{key}` is not an array of tables"));
        }
        return;
    };
    for t in list.iter() {
        let name_item = t.get("name");
        let line = name_item.map_or(1, |i| item_line(&lines, i));
        let (line, line_text) = at(&lines, line);
        let Some(name) = name_item.and_then(Item::as_str) else {
            out.warn(path, Some(line), "package entry without a name");
            continue;
        };
        let group = match classify(t) {
            Ok(g) => g,
            Err(why) => {
                out.note(
                    path,
                    Some(line),
                    format!("`{name}` is a {why}, not a PyPI release; skipped"),
                );
                continue;
            }
        };
        let Some(version) = t.get("version").and_then(Item::as_str) else {
            out.note(
                path,
                Some(line),
                format!("`{name}` has no version; skipped"),
            );
            continue;
        };
        let Ok(version) = Version::from_str(version) else {
            out.warn(
                path,
                Some(line),
                format!("`{name}` has an invalid version `{version}`"),
            );
            continue;
        };
        let mut dep = Dependency::new(name, Spec::Pinned(version), path, line, line_text);
        dep.origin = Origin::Lockfile;
        dep.group = group;
        if let Some(marker) = t
            .get("marker")
            .or_else(|| t.get("markers"))
            .and_then(Item::as_str)
        {
            dep.marker = Some(marker.to_string());
        }
        out.dependencies.push(dep);
    }
}
