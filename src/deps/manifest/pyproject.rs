//! `pyproject.toml`: PEP 621 `[project]`, PEP 735 `[dependency-groups]` and Poetry's tables.

use toml_edit::{Item, TableLike, Value};

use super::requirements::pep508_dependency;
use super::toml_util::{at, item_line, value_line};
use super::{poetry_spec, Parsed};
use crate::deps::dependency::{normalize_name, Dependency};

/// Reads every dependency declaration of a `pyproject.toml`.
pub fn parse(path: &str, raw: &str, out: &mut Parsed) {
    let lines = super::Lines::new(raw);
    let text = &lines;
    let Some(doc) = super::toml_util::parse(path, raw, out) else {
        return;
    };
    let root = doc.as_table();
    if let Some(project) = root.get("project") {
        if let Some(deps) = project.get("dependencies") {
            pep508_array(path, text, deps, None, out);
        }
        if let Some(dynamic) = project.get("dynamic").and_then(Item::as_array) {
            if dynamic.iter().any(|v| v.as_str() == Some("dependencies")) {
                out.note(
                    path,
                    Some(item_line(text, project)),
                    "`[project] dependencies` is dynamic; its dependencies are declared elsewhere",
                );
            }
        }
        if let Some(extras) = project
            .get("optional-dependencies")
            .and_then(Item::as_table_like)
        {
            for (extra, deps) in extras.iter() {
                pep508_array(path, text, deps, Some(extra), out);
            }
        }
    }
    if let Some(groups) = root.get("dependency-groups").and_then(Item::as_table_like) {
        dependency_groups(path, text, groups, out);
    }
    if let Some(poetry) = root.get("tool").and_then(|t| t.get("poetry")) {
        if let Some(deps) = poetry.get("dependencies").and_then(Item::as_table_like) {
            poetry_table(path, text, deps, None, out);
        }
        if let Some(deps) = poetry.get("dev-dependencies").and_then(Item::as_table_like) {
            poetry_table(path, text, deps, Some("dev"), out);
        }
        if let Some(groups) = poetry.get("group").and_then(Item::as_table_like) {
            for (name, group) in groups.iter() {
                if let Some(deps) = group.get("dependencies").and_then(Item::as_table_like) {
                    poetry_table(path, text, deps, Some(name), out);
                }
            }
        }
    }
}

/// An array of PEP 508 strings (inline array item or plain value).
fn pep508_array(
    path: &str,
    text: &super::Lines,
    item: &Item,
    group: Option<&str>,
    out: &mut Parsed,
) {
    let Some(array) = item.as_array() else {
        out.warn(
            path,
            Some(item_line(text, item)),
            "expected an array of requirement strings",
        );
        return;
    };
    for value in array.iter() {
        pep508_value(path, text, value, group, out);
    }
}

fn pep508_value(
    path: &str,
    text: &super::Lines,
    value: &Value,
    group: Option<&str>,
    out: &mut Parsed,
) {
    let (line, line_text) = at(text, value_line(text, value));
    let Some(s) = value.as_str() else {
        out.warn(path, Some(line), "expected a requirement string");
        return;
    };
    if let Some(mut dep) = pep508_dependency(s, path, line, line_text, out) {
        dep.group = group.map(str::to_string);
        out.dependencies.push(dep);
    }
}

/// PEP 735 groups: strings are requirements; `{include-group = "x"}` must name a group, without cycles.
fn dependency_groups(path: &str, text: &super::Lines, groups: &dyn TableLike, out: &mut Parsed) {
    let normalized: Vec<String> = groups.iter().map(|(k, _)| normalize_name(k)).collect();
    for (name, item) in groups.iter() {
        let Some(array) = item.as_array() else {
            out.warn(
                path,
                Some(item_line(text, item)),
                format!("dependency group `{name}` is not an array"),
            );
            continue;
        };
        for value in array.iter() {
            if let Some(table) = value.as_inline_table() {
                let line = value_line(text, value);
                match table.get("include-group").and_then(Value::as_str) {
                    Some(target) if !normalized.contains(&normalize_name(target)) => out.warn(
                        path,
                        Some(line),
                        format!("include-group `{target}` names no group"),
                    ),
                    Some(target) if includes(groups, target, name, 0) => out.warn(
                        path,
                        Some(line),
                        format!("include-group `{target}` makes a cycle back to `{name}`"),
                    ),
                    Some(_) => {} // its requirements are reported once, in their own group
                    None => out.warn(
                        path,
                        Some(line),
                        "expected a string or `{include-group = ...}`",
                    ),
                }
                continue;
            }
            pep508_value(path, text, value, Some(name), out);
        }
    }
}

/// Whether group `from` includes `target` (directly or not); depth-bounded against cycles.
fn includes(groups: &dyn TableLike, from: &str, target: &str, depth: usize) -> bool {
    if depth > 32 {
        return true;
    }
    if normalize_name(from) == normalize_name(target) {
        return true;
    }
    let Some(array) = groups
        .iter()
        .find(|(k, _)| normalize_name(k) == normalize_name(from))
        .and_then(|(_, v)| v.as_array())
    else {
        return false;
    };
    array.iter().any(|v| {
        v.as_inline_table()
            .and_then(|t| t.get("include-group"))
            .and_then(Value::as_str)
            .is_some_and(|next| includes(groups, next, target, depth + 1))
    })
}

/// `[tool.poetry.dependencies]`-style tables: `name = "constraint"` or `name = { version = ... }`.
fn poetry_table(
    path: &str,
    text: &super::Lines,
    deps: &dyn TableLike,
    group: Option<&str>,
    out: &mut Parsed,
) {
    for (name, item) in deps.iter() {
        if name.eq_ignore_ascii_case("python") {
            continue; // the interpreter, not a package
        }
        let line = deps
            .get_key_value(name)
            .and_then(|(k, _)| k.span())
            .map_or_else(|| item_line(text, item), |s| text.line_of(s.start));
        let (line, line_text) = at(text, line);
        let (constraint, marker) = match poetry_constraint(item) {
            Ok(c) => c,
            Err(reason) => {
                out.note(path, Some(line), format!("`{name}`: {reason}; skipped"));
                continue;
            }
        };
        match poetry_spec::parse(&constraint) {
            Ok(spec) => {
                let mut dep = Dependency::new(name, spec, path, line, line_text);
                dep.group = group.map(str::to_string);
                dep.marker = marker;
                out.dependencies.push(dep);
            }
            Err(e) => out.warn(
                path,
                Some(line),
                format!("cannot read constraint `{constraint}` of `{name}`: {e}"),
            ),
        }
    }
}

/// The constraint string and marker of a Poetry dependency value.
fn poetry_constraint(item: &Item) -> Result<(String, Option<String>), String> {
    if let Some(s) = item.as_str() {
        return Ok((s.to_string(), None));
    }
    if let Some(t) = item.as_table_like() {
        for source in ["git", "path", "url"] {
            if t.get(source).is_some() {
                return Err(format!("a {source} dependency has no PyPI version"));
            }
        }
        let version = t.get("version").and_then(Item::as_str).unwrap_or("*");
        let marker = t.get("markers").and_then(Item::as_str).map(str::to_string);
        return Ok((version.to_string(), marker));
    }
    if let Some(list) = item.as_array() {
        // Multiple constraints, each for some environment: together they allow the union.
        let parts: Vec<String> = list
            .iter()
            .filter_map(|v| v.as_inline_table())
            .filter_map(|t| t.get("version").and_then(Value::as_str).map(str::to_string))
            .collect();
        if parts.is_empty() {
            return Err("no version in the constraint list".into());
        }
        return Ok((parts.join(" || "), Some("(multiple environments)".into())));
    }
    Err("unrecognised dependency value".into())
}
