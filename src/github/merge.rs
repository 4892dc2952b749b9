//! `flaskscan merge`: combine SARIF logs from several tools into one, one run per category.
//!
//! Works on `serde_json::Value`: typed SARIF models drop fields they don't know, and other tools'
//! extra data must survive the round trip.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

/// The `$schema` written when no input names one.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Reads `inputs`, merges their runs and writes the result to `output`.
pub fn merge_sarif_files(inputs: &[PathBuf], output: &Path) -> anyhow::Result<()> {
    let mut logs = Vec::new();
    for path in inputs {
        logs.push((path.display().to_string(), read_sarif(path)?));
    }
    let merged = merge_logs(logs)?;
    let text = serde_json::to_string_pretty(&merged)?;
    std::fs::write(output, crate::redact::scrub(&(text + "\n")).as_bytes())
        .with_context(|| format!("cannot write {}", output.display()))
}

/// The largest SARIF file read: code scanning takes 10 MB gzipped, which is rarely more than
/// a few hundred megabytes of JSON.
pub const MAX_SARIF_BYTES: u64 = 512 * 1024 * 1024;

/// Reads one SARIF file, with an error naming the file when it isn't SARIF 2.1.0.
pub fn read_sarif(path: &Path) -> anyhow::Result<Value> {
    let text = crate::workspace::read_named_text(path, MAX_SARIF_BYTES)
        .map_err(|why| anyhow::anyhow!("cannot read SARIF file {}: {why}", path.display()))?;
    let log: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid SARIF: not JSON", path.display()))?;
    check_sarif(&log).with_context(|| format!("{} is not valid SARIF", path.display()))?;
    Ok(log)
}

/// The checks a log must pass to be merged and uploaded.
pub fn check_sarif(log: &Value) -> anyhow::Result<()> {
    if !log.is_object() {
        bail!("the top level is not an object");
    }
    match log.get("version").and_then(Value::as_str) {
        Some("2.1.0") => {}
        Some(other) => bail!("version is `{other}`, only 2.1.0 is supported"),
        None => bail!("`version` is missing"),
    }
    let runs = log
        .get("runs")
        .and_then(Value::as_array)
        .context("`runs` is missing or not an array")?;
    for (i, run) in runs.iter().enumerate() {
        if run
            .pointer("/tool/driver/name")
            .and_then(Value::as_str)
            .is_none()
        {
            bail!("runs[{i}] has no tool.driver.name");
        }
        if let Some(results) = run.get("results") {
            if !results.is_array() {
                bail!("runs[{i}].results is not an array");
            }
        }
    }
    Ok(())
}

/// Concatenates the runs of `logs` (name, log), giving every run a distinct category:
/// a run without `automationDetails.id` gets `<tool>/`, a repeated one gets `-2`, `-3`...
/// (GitHub rejects an upload with two runs of the same category.)
pub fn merge_logs(logs: Vec<(String, Value)>) -> anyhow::Result<Value> {
    let mut schema = None;
    let mut runs = Vec::new();
    for (name, log) in logs {
        check_sarif(&log).with_context(|| format!("{name} is not valid SARIF"))?;
        if schema.is_none() {
            schema = log
                .get("$schema")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        if let Some(Value::Array(r)) = log.get("runs") {
            runs.extend(r.iter().cloned());
        }
    }
    let mut seen = HashSet::new();
    for run in &mut runs {
        let tool = run
            .pointer("/tool/driver/name")
            .and_then(Value::as_str)
            .unwrap_or("tool")
            .to_string();
        let id = run
            .pointer("/automationDetails/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}/", slug(&tool)));
        let unique = unique_id(&id, &tool, &mut seen);
        if let Some(obj) = run.as_object_mut() {
            let details = valid_automation_details(obj.get("automationDetails"), unique);
            obj.insert("automationDetails".to_string(), details);
        }
    }
    Ok(json!({
        "$schema": schema.unwrap_or_else(|| SARIF_SCHEMA.to_string()),
        "version": "2.1.0",
        "runs": runs,
    }))
}

/// A schema-valid `automationDetails` with `id`: of another tool's object only the members
/// whose shape is right are kept (a wrong one would make GitHub reject the whole upload).
fn valid_automation_details(given: Option<&Value>, id: String) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(Value::Object(d)) = given {
        for key in ["guid", "correlationGuid"] {
            if let Some(Value::String(g)) = d.get(key) {
                if is_guid(g) {
                    out.insert(key.to_string(), Value::String(g.clone()));
                }
            }
        }
        if let Some(desc) = d.get("description") {
            if desc.get("text").is_some_and(Value::is_string) {
                out.insert("description".to_string(), desc.clone());
            }
        }
    }
    out.insert("id".to_string(), Value::String(id));
    Value::Object(out)
}

/// `8-4-4-4-12` hex digits, the SARIF schema's GUID pattern.
fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Prefixes the relative `artifactLocation.uri`s of `log` with `prefix` (the scan root relative to
/// the repository), since code scanning resolves relative URIs against the repository root.
pub fn rebase_uris(log: &mut Value, prefix: &str, repo_root_uri: &str) {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() || prefix == "." {
        return;
    }
    fn walk(v: &mut Value, prefix: &str) {
        match v {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if key == "artifactLocation" || key == "location" {
                        if let Some(uri) = child.get_mut("uri") {
                            if let Some(s) = uri
                                .as_str()
                                .filter(|s| !s.contains(':') && !s.starts_with('/'))
                            {
                                *uri = Value::String(format!(
                                    "{prefix}/{}",
                                    s.trim_start_matches("./")
                                ));
                            }
                        }
                    }
                    walk(child, prefix);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, prefix)),
            _ => {}
        }
    }
    for run in log
        .get_mut("runs")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        walk(run, prefix);
        // `%SRCROOT%` now means the repository root.
        if let Some(base) = run.pointer_mut("/originalUriBaseIds/%SRCROOT%") {
            *base = json!({ "uri": repo_root_uri });
        }
    }
}

/// Renames the `flaskscan/...` categories of `log` to `category/...` (the `category` input, for
/// repositories that scan several directories); runs without a category get `category/`.
pub fn set_category(log: &mut Value, category: &str) {
    let category = category.trim_end_matches('/');
    for run in log
        .get_mut("runs")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let id = run
            .pointer("/automationDetails/id")
            .and_then(Value::as_str)
            .unwrap_or("flaskscan/");
        let renamed = match id.strip_prefix("flaskscan/") {
            Some(rest) => format!("{category}/{rest}"),
            None => id.to_string(),
        };
        match run
            .get_mut("automationDetails")
            .and_then(Value::as_object_mut)
        {
            Some(details) => {
                details.insert("id".to_string(), Value::String(renamed));
            }
            None => run["automationDetails"] = json!({ "id": renamed }),
        }
    }
}

/// `id`, or the first free `category-N/run` variant of it for this tool.
fn unique_id(id: &str, tool: &str, seen: &mut HashSet<(String, String)>) -> String {
    let (category, run_id) = match id.rfind('/') {
        Some(i) => (&id[..i], &id[i + 1..]),
        None => ("", id),
    };
    let mut candidate = id.to_string();
    let mut n = 2;
    while !seen.insert((tool.to_string(), category_of(&candidate).to_string())) {
        candidate = format!("{category}-{n}/{run_id}");
        n += 1;
    }
    candidate
}

/// The category part of an automation id: everything up to the last `/`.
pub fn category_of(id: &str) -> &str {
    id.rfind('/').map_or("", |i| &id[..i])
}

fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(tool: &str, id: Option<&str>) -> Value {
        let mut run = json!({"tool": {"driver": {"name": tool}}, "results": [], "x-extra": 1});
        if let Some(id) = id {
            run["automationDetails"] = json!({"id": id});
        }
        json!({"version": "2.1.0", "runs": [run]})
    }

    #[test]
    fn categories_are_made_distinct_and_unknown_fields_kept() {
        let merged = merge_logs(vec![
            ("a".into(), log("Bandit", None)),
            ("b".into(), log("Bandit", None)),
            ("c".into(), log("flaskscan", Some("flaskscan/code/"))),
        ])
        .unwrap();
        let ids: Vec<&str> = merged["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["automationDetails"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec!["bandit/", "bandit-2/", "flaskscan/code/"]);
        assert_eq!(merged["runs"][0]["x-extra"], 1);
    }

    #[test]
    fn malformed_input_names_the_problem() {
        let err = merge_logs(vec![("bad.sarif".into(), json!({"version": "2.1.0"}))]).unwrap_err();
        assert!(format!("{err:#}").contains("bad.sarif is not valid SARIF: `runs` is missing"));
    }
}
