//! Code scanning: fit the SARIF log into GitHub's limits, upload it gzipped and base64-encoded,
//! and poll until GitHub has processed it.

use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use flate2::write::GzEncoder;
use serde_json::{json, Value};

use super::alert::{is_suppressed, result_severity};
use super::client::{ApiError, Client, Retry};
use super::context::{is_commit_sha, is_upload_ref, Inputs, RunContext};
use crate::finding::Severity;

/// Limits from GitHub's docs; over any of them the whole upload is rejected.
pub const MAX_GZIPPED_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_RUNS: usize = 20;
pub const MAX_RESULTS_PER_RUN: usize = 25_000;
pub const MAX_LOCATIONS_PER_RESULT: usize = 1_000;
pub const MAX_THREAD_FLOW_LOCATIONS: usize = 10_000;
pub const MAX_TAGS_PER_RULE: usize = 20;

/// The commit and ref an upload is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub commit_sha: String,
    pub git_ref: String,
}

/// Picks the upload target (contract §1.1): inputs override; on a PR `refs/pull/N/merge` with
/// `GITHUB_SHA`, unless the workspace has the PR head checked out, then `refs/pull/N/head`.
pub fn select_target(
    ctx: &RunContext,
    inputs: &Inputs,
    checked_out: Option<&str>,
) -> Result<Target, String> {
    let pr_target = ctx.pull_request.as_ref().map(|pr| {
        if checked_out.is_some_and(|c| c.eq_ignore_ascii_case(&pr.head_sha)) {
            (format!("refs/pull/{}/head", pr.number), pr.head_sha.clone())
        } else {
            (
                format!("refs/pull/{}/merge", pr.number),
                ctx.sha.clone().unwrap_or_default(),
            )
        }
    });
    let (default_ref, default_sha) = match pr_target {
        // Under pull_request_target the default checkout is the base branch: upload to it
        // unless the PR head itself was checked out.
        Some((r, s)) if ctx.event_name != "pull_request_target" || r.ends_with("/head") => {
            (Some(r), Some(s))
        }
        _ => (ctx.git_ref.clone(), ctx.sha.clone()),
    };
    let git_ref = inputs
        .upload_ref
        .clone()
        .or(default_ref)
        .unwrap_or_default();
    let commit_sha = inputs
        .upload_sha
        .clone()
        .or(default_sha)
        .unwrap_or_default();
    if !is_upload_ref(&git_ref) {
        return Err(format!(
            "the ref `{git_ref}` cannot receive code scanning results (it must be refs/heads/..., refs/tags/... or refs/pull/...); set the `ref` input"
        ));
    }
    if !is_commit_sha(&commit_sha) {
        return Err(
            "no commit SHA to upload to (GITHUB_SHA is missing); set the `sha` input".into(),
        );
    }
    Ok(Target {
        commit_sha,
        git_ref,
    })
}

/// The commit checked out in `workspace`, read from `.git/HEAD` (actions/checkout leaves a
/// detached HEAD), so no git binary is needed in the container.
pub fn checked_out_commit(workspace: &Path) -> Option<String> {
    let head = std::fs::read_to_string(workspace.join(".git").join("HEAD")).ok()?;
    let head = head.trim();
    if is_commit_sha(head) {
        return Some(head.to_ascii_lowercase());
    }
    let reference = head.strip_prefix("ref: ")?;
    let loose = std::fs::read_to_string(workspace.join(".git").join(reference)).ok();
    loose
        .map(|s| s.trim().to_string())
        .filter(|s| is_commit_sha(s))
}

/// Prepares a log for upload: drops suppressed results (GitHub ignores `suppressions` and would
/// open alerts for them) and applies the limits, trimming the least severe results first.
/// Returns the log and one note per change made.
pub fn prepare(mut log: Value) -> (Value, Vec<String>) {
    let mut notes = Vec::new();
    let Some(runs) = log.get_mut("runs").and_then(Value::as_array_mut) else {
        return (log, notes);
    };
    let mut suppressed = 0;
    for run in runs.iter_mut() {
        let snapshot = run.clone();
        if let Some(results) = run.get_mut("results").and_then(Value::as_array_mut) {
            let before = results.len();
            results.retain(|r| !is_suppressed(r));
            suppressed += before - results.len();
            if results.len() > MAX_RESULTS_PER_RUN {
                results.sort_by_key(|r| std::cmp::Reverse(result_severity(&snapshot, r)));
                let dropped = results.len() - MAX_RESULTS_PER_RUN;
                results.truncate(MAX_RESULTS_PER_RUN);
                notes.push(format!(
                    "{}: {dropped} least severe results left out of the upload (GitHub accepts {MAX_RESULTS_PER_RUN} per run)",
                    run_name(&snapshot)
                ));
            }
            for result in results.iter_mut() {
                truncate_array(result, "locations", MAX_LOCATIONS_PER_RESULT);
                for flow in array_mut(result, "codeFlows") {
                    for thread in array_mut(flow, "threadFlows") {
                        truncate_array(thread, "locations", MAX_THREAD_FLOW_LOCATIONS);
                    }
                }
            }
        }
        if let Some(rules) = run
            .pointer_mut("/tool/driver/rules")
            .and_then(Value::as_array_mut)
        {
            for rule in rules {
                if let Some(tags) = rule.pointer_mut("/properties/tags") {
                    truncate_value(tags, MAX_TAGS_PER_RULE);
                }
            }
        }
    }
    if suppressed > 0 {
        notes.push(format!(
            "{suppressed} suppressed results left out of the upload (code scanning ignores SARIF suppressions)"
        ));
    }
    if runs.len() > MAX_RUNS {
        // Keep the runs whose worst result is the most severe; the order of the rest is kept.
        let mut ranked: Vec<(usize, Option<Severity>)> = runs
            .iter()
            .enumerate()
            .map(|(i, r)| (i, worst(r)))
            .collect();
        ranked.sort_by_key(|(i, sev)| (std::cmp::Reverse(*sev), *i));
        let keep: Vec<usize> = ranked.iter().take(MAX_RUNS).map(|(i, _)| *i).collect();
        let dropped: Vec<String> = (0..runs.len())
            .filter(|i| !keep.contains(i))
            .map(|i| run_name(&runs[i]))
            .collect();
        let mut index = 0;
        runs.retain(|_| {
            index += 1;
            keep.contains(&(index - 1))
        });
        notes.push(format!(
            "{} runs left out of the upload (GitHub accepts {MAX_RUNS}): {}",
            dropped.len(),
            dropped.join(", ")
        ));
    }
    (log, notes)
}

/// An encoded log ready for the upload body.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// base64 of the gzipped JSON.
    pub sarif: String,
    /// Size of the gzipped JSON.
    pub gzipped_len: usize,
}

/// gzip then base64, trimming the least severe results until the gzipped log fits in 10 MB.
/// `None` when even an empty set of results does not fit.
pub fn encode_within_limit(log: Value, notes: &mut Vec<String>) -> Option<String> {
    encode_within(&log, MAX_GZIPPED_BYTES, notes).map(|e| e.sarif)
}

/// gzip then base64, trimming the least severe results until the gzipped log is at most
/// `max_gzipped` bytes. `None` when even an empty set of results does not fit.
pub fn encode_within(log: &Value, max_gzipped: usize, notes: &mut Vec<String>) -> Option<Encoded> {
    let encoded = |gz: Vec<u8>| Encoded {
        sarif: base64::engine::general_purpose::STANDARD.encode(&gz),
        gzipped_len: gz.len(),
    };
    // Most logs fit as they are: no copy then.
    let gz = gzip(log);
    if gz.len() <= max_gzipped {
        return Some(encoded(gz));
    }
    let mut log = log.clone();
    let mut dropped = 0;
    let limit = if max_gzipped == MAX_GZIPPED_BYTES {
        "GitHub's 10 MB limit".to_string()
    } else {
        format!("{max_gzipped} bytes gzipped")
    };
    loop {
        // Drop a tenth of what is left (at least one), least severe first, and try again.
        let total: usize = results_count(&log);
        if total == 0 {
            notes.push(format!(
                "the SARIF log is over {limit} even without results; upload skipped"
            ));
            return None;
        }
        let n = (total / 10).max(1);
        drop_least_severe(&mut log, n);
        dropped += n;
        let gz = gzip(&log);
        if gz.len() <= max_gzipped {
            notes.push(format!(
                "{dropped} least severe results left out of the upload to fit {limit}"
            ));
            return Some(encoded(gz));
        }
    }
}

fn gzip(log: &Value) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    let bytes = serde_json::to_vec(log).expect("a JSON value always serializes");
    encoder
        .write_all(&bytes)
        .expect("writing to a Vec never fails");
    encoder.finish().expect("writing to a Vec never fails")
}

fn results_count(log: &Value) -> usize {
    log.get("runs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("results").and_then(Value::as_array))
        .map(Vec::len)
        .sum()
}

fn drop_least_severe(log: &mut Value, n: usize) {
    let Some(runs) = log.get_mut("runs").and_then(Value::as_array_mut) else {
        return;
    };
    let mut ranked: Vec<(Severity, usize, usize)> = Vec::new();
    for (ri, run) in runs.iter().enumerate() {
        for (i, result) in run
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            ranked.push((result_severity(run, result), ri, i));
        }
    }
    // Least severe first; among equals drop the last results first.
    ranked.sort_by_key(|(sev, ri, i)| (*sev, std::cmp::Reverse((*ri, *i))));
    let mut doomed: Vec<(usize, usize)> =
        ranked.into_iter().take(n).map(|(_, r, i)| (r, i)).collect();
    doomed.sort_unstable_by(|a, b| b.cmp(a));
    for (ri, i) in doomed {
        if let Some(results) = runs[ri].get_mut("results").and_then(Value::as_array_mut) {
            results.remove(i);
        }
    }
}

fn worst(run: &Value) -> Option<Severity> {
    run.get("results")?
        .as_array()?
        .iter()
        .map(|r| result_severity(run, r))
        .max()
}

fn run_name(run: &Value) -> String {
    let tool = run
        .pointer("/tool/driver/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    match run.pointer("/automationDetails/id").and_then(Value::as_str) {
        Some(id) => format!("{tool} ({id})"),
        None => tool.to_string(),
    }
}

fn array_mut<'a>(v: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    v.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

fn truncate_array(v: &mut Value, key: &str, max: usize) {
    if let Some(value) = v.get_mut(key) {
        truncate_value(value, max);
    }
}

fn truncate_value(v: &mut Value, max: usize) {
    if let Some(a) = v.as_array_mut() {
        a.truncate(max);
    }
}

/// What happened to the upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadOutcome {
    /// Uploaded and processed.
    Complete { id: String },
    /// Uploaded; processing failed or did not finish in time (a warning, not a failure).
    Unconfirmed { id: String, warning: String },
}

/// Uploads an encoded log and waits for processing.
pub fn upload(
    client: &Client,
    ctx: &RunContext,
    target: &Target,
    sarif_b64: String,
    started_at: &str,
) -> Result<UploadOutcome, ApiError> {
    let mut body = json!({
        "commit_sha": target.commit_sha,
        "ref": target.git_ref,
        "sarif": sarif_b64,
        "checkout_uri": file_uri(&ctx.workspace),
        "started_at": started_at,
        "tool_name": "flaskscan",
    });
    if ctx.is_github_com() {
        // GitHub Enterprise Server's schema has no `validate` and rejects unknown fields.
        body["validate"] = Value::Bool(true);
    }
    // Re-sending the same log for the same commit, ref and categories replaces the analysis,
    // so a retried upload cannot duplicate anything.
    let response = client.post(
        &format!("{}/code-scanning/sarifs", ctx.repo_route()),
        &body,
        Retry::Idempotent,
    )?;
    let id = response
        .body
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if id.is_empty() {
        return Ok(UploadOutcome::Unconfirmed {
            id,
            warning: "GitHub accepted the SARIF upload but returned no id to follow".into(),
        });
    }
    Ok(wait_for_processing(client, ctx, &id))
}

/// Polls the processing status with the client's poll delays; never fails the build.
pub fn wait_for_processing(client: &Client, ctx: &RunContext, id: &str) -> UploadOutcome {
    let route = format!("{}/code-scanning/sarifs/{id}", ctx.repo_route());
    let mut last = String::from("still pending");
    for delay in client.timing().poll_delays.clone() {
        client.sleep(delay);
        match client.get(&route) {
            Ok(response) => match response
                .body
                .get("processing_status")
                .and_then(Value::as_str)
            {
                Some("complete") => return UploadOutcome::Complete { id: id.to_string() },
                Some("failed") => {
                    let errors: Vec<String> = response
                        .body
                        .get("errors")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                    return UploadOutcome::Unconfirmed {
                        id: id.to_string(),
                        warning: format!(
                            "code scanning could not process the upload: {}",
                            errors.join("; ")
                        ),
                    };
                }
                _ => last = "still pending".into(),
            },
            // A fresh upload can 404 for a moment; keep polling, report the last problem.
            Err(e) => last = e.to_string(),
        }
    }
    UploadOutcome::Unconfirmed {
        id: id.to_string(),
        warning: format!("code scanning had not finished processing the upload ({last}); results may appear later"),
    }
}

/// `file:///abs/path/` for a directory, percent-encoding what a URI can't hold.
pub fn file_uri(dir: &Path) -> String {
    let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut s = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' => {
                s.push(b as char)
            }
            other => s.push_str(&format!("%{other:02X}")),
        }
    }
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read as _;

    fn run_with(results: usize) -> Value {
        let results: Vec<Value> = (0..results)
            .map(|i| json!({"ruleId": if i % 2 == 0 { "HIGH" } else { "LOW" }, "message": {"text": "m"}}))
            .collect();
        json!({"tool": {"driver": {"name": "t", "rules": [
            {"id": "HIGH", "properties": {"security-severity": "8.0", "tags": (0..30).map(|i| i.to_string()).collect::<Vec<_>>()}},
            {"id": "LOW", "properties": {"security-severity": "2.0"}}]}},
            "results": results})
    }

    #[test]
    fn suppressed_results_are_dropped_and_counted() {
        let mut run = run_with(2);
        run["results"][0]["suppressions"] = json!([{"kind": "inSource"}]);
        let (log, notes) = prepare(json!({"version": "2.1.0", "runs": [run]}));
        assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 1);
        assert!(notes[0].starts_with("1 suppressed"));
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["tags"]
                .as_array()
                .unwrap()
                .len(),
            20
        );
    }

    #[test]
    fn result_limit_keeps_the_most_severe() {
        let (log, notes) =
            prepare(json!({"version": "2.1.0", "runs": [run_with(MAX_RESULTS_PER_RUN + 10)]}));
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), MAX_RESULTS_PER_RUN);
        let lows = results.iter().filter(|r| r["ruleId"] == "LOW").count();
        assert_eq!(lows, (MAX_RESULTS_PER_RUN + 10) / 2 - 10);
        assert!(notes[0].contains("10 least severe"));
    }

    #[test]
    fn run_limit_keeps_the_most_severe_runs() {
        let mut runs: Vec<Value> = (0..22).map(|_| run_with(0)).collect();
        runs[21] = run_with(1);
        let (log, notes) = prepare(json!({"version": "2.1.0", "runs": runs}));
        let runs = log["runs"].as_array().unwrap();
        assert_eq!(runs.len(), MAX_RUNS);
        assert_eq!(runs[MAX_RUNS - 1]["results"].as_array().unwrap().len(), 1);
        assert!(notes[0].starts_with("2 runs left out"));
    }

    #[test]
    fn encoding_is_gzip_then_base64() {
        let log = json!({"version": "2.1.0", "runs": []});
        let mut notes = vec![];
        let b64 = encode_within_limit(log.clone(), &mut notes).unwrap();
        let gz = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let mut text = String::new();
        GzDecoder::new(&gz[..]).read_to_string(&mut text).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), log);
        assert!(notes.is_empty());
    }

    #[test]
    fn oversized_logs_lose_their_least_severe_results() {
        // Incompressible messages: ~15 MB of random-looking text, ~12 MB gzipped.
        let mut state = 0x1234_5678_u64;
        let mut noise = |n: usize| -> String {
            (0..n)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    char::from(b'!' + (state % 90) as u8)
                })
                .collect()
        };
        let mut run = run_with(0);
        let results: Vec<Value> = (0..1500)
            .map(|i| json!({"ruleId": if i < 100 { "HIGH" } else { "LOW" }, "message": {"text": noise(10_000)}}))
            .collect();
        run["results"] = Value::Array(results);
        let mut notes = vec![];
        let b64 =
            encode_within_limit(json!({"version": "2.1.0", "runs": [run]}), &mut notes).unwrap();
        let gz = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert!(gz.len() <= MAX_GZIPPED_BYTES);
        let mut text = String::new();
        GzDecoder::new(&gz[..]).read_to_string(&mut text).unwrap();
        let log: Value = serde_json::from_str(&text).unwrap();
        let kept = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(kept.iter().filter(|r| r["ruleId"] == "HIGH").count(), 100);
        assert!(notes[0].contains("10 MB"));
    }

    #[test]
    fn file_uri_escapes_and_ends_with_a_slash() {
        assert_eq!(
            file_uri(Path::new("/github/work space")),
            "file:///github/work%20space/"
        );
    }
}
