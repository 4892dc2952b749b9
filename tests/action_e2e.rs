//! End to end: the real `flaskscan github` binary, run as a process in a simulated Actions job
//! (workspace holding a copy of `examples/flask-app`, event file, summary and output files, the
//! action's inputs as the runner passes them) against the fake GitHub API on 127.0.0.1.
//!
//! Unlike `tests/github_action.rs`, nothing here is canned: the scan is the real pipeline, the
//! environment is the process environment, and every assertion is on what a workflow would see
//! (exit code, stdout, files) or what GitHub would have received.

mod support;

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::{json, Value};
use support::fake_github::{FakeGitHub, Fault, OWNER, REPO, TOKEN};

/// `GITHUB_SHA` on `pull_request`: the test merge commit.
const MERGE_SHA: &str = "9999999999999999999999999999999999999999";
/// `pull_request.head.sha` in the event fixtures.
const HEAD_SHA: &str = "1111111111111111111111111111111111111111";
const MARKER: &str = "<!-- flaskscan:summary v1 -->";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Copies a directory tree (the example app) file by file.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The environment `action.yml`'s scan step gives `flaskscan github` when no input is set: each
/// `INPUT_<NAME>: ${{ inputs.<name> }}` line of the step with that input's declared default (the
/// `token` default `${{ github.token }}` expands to the job's token). Read from the real file so
/// the test follows the action as shipped, and checks that the step passes every declared input.
fn action_env() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(manifest_dir().join("action.yml")).unwrap();
    let mut defaults = BTreeMap::new();
    let mut in_inputs = false;
    let mut current: Option<String> = None;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_inputs = line.trim_end() == "inputs:";
            current = None;
            continue;
        }
        if !in_inputs {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if indent == 2 && trimmed.ends_with(':') {
            let name = trimmed.trim_end_matches(':').to_string();
            defaults.insert(name.clone(), String::new());
            current = Some(name);
        } else if let (4, Some(name)) = (indent, &current) {
            if let Some(default) = trimmed.strip_prefix("default:") {
                let value = default.trim().trim_matches('"');
                let value = if value == "${{ github.token }}" {
                    TOKEN
                } else {
                    value
                };
                defaults.insert(name.clone(), value.to_string());
            }
        }
    }
    let mut env = BTreeMap::new();
    let mut passed = Vec::new();
    for line in text.lines().map(str::trim) {
        let Some((key, value)) = line.split_once(": ${{ inputs.") else {
            continue;
        };
        let input = value.trim_end_matches(" }}");
        if key.starts_with("INPUT_") {
            env.insert(key.to_string(), defaults[input].clone());
        }
        passed.push(input.to_string());
    }
    for name in defaults.keys() {
        assert!(
            passed.contains(name),
            "action.yml declares `{name}` but no step passes it on"
        );
    }
    for key in [
        "INPUT_TOKEN",
        "INPUT_FAIL_ON",
        "INPUT_PATH",
        "INPUT_SARIF_FILE",
    ] {
        assert!(env.contains_key(key), "the scan step does not set {key}");
    }
    env
}

/// What one run of the binary left behind.
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    summary: String,
    outputs: BTreeMap<String, String>,
}

/// A simulated job: the runner's directories and the environment it gives the container.
struct Job {
    // Kept for its Drop: the job's directories live until the test ends.
    _dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
}

impl Job {
    fn new(server: &FakeGitHub, event_fixture: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("workspace");
        copy_dir(&manifest_dir().join("examples/flask-app"), &workspace);
        // The runner writes the payload to its own file (/github/workflow/event.json).
        let workflow = dir.path().join("workflow");
        std::fs::create_dir_all(&workflow).unwrap();
        std::fs::copy(
            manifest_dir()
                .join("tests/fixtures/github/events")
                .join(event_fixture),
            workflow.join("event.json"),
        )
        .unwrap();
        let mut env = action_env();
        let path = |p: PathBuf| p.display().to_string();
        for (key, value) in [
            ("CI", "true".to_string()),
            ("GITHUB_ACTIONS", "true".to_string()),
            ("GITHUB_REPOSITORY", format!("{OWNER}/{REPO}")),
            ("GITHUB_EVENT_NAME", "pull_request".to_string()),
            ("GITHUB_EVENT_PATH", path(workflow.join("event.json"))),
            ("GITHUB_REF", "refs/pull/7/merge".to_string()),
            ("GITHUB_SHA", MERGE_SHA.to_string()),
            ("GITHUB_WORKSPACE", path(workspace)),
            ("GITHUB_API_URL", server.url.clone()),
            ("GITHUB_SERVER_URL", "https://github.com".to_string()),
            ("GITHUB_RUN_ID", "4242".to_string()),
            ("GITHUB_STEP_SUMMARY", path(dir.path().join("summary.md"))),
            ("GITHUB_OUTPUT", path(dir.path().join("output.txt"))),
            ("HOME", path(dir.path().join("home"))),
            ("FLASKSCAN_GITHUB_TIME_SCALE", "0.01".to_string()),
            ("FLASKSCAN_GITHUB_TIMEOUT", "20".to_string()),
            // No network: should anything still go online for advisories, it meets a closed
            // local port instead of osv.dev.
            ("FLASKSCAN_OSV_URL", "http://127.0.0.1:9".to_string()),
            (
                "FLASKSCAN_OSV_EXPORT_URL",
                "http://127.0.0.1:9/all.zip".to_string(),
            ),
        ] {
            env.insert(key.to_string(), value);
        }
        // The dependency audit uses the snapshot compiled into the binary, never osv.dev.
        env.insert("INPUT_ADVISORIES".to_string(), "offline".to_string());
        Self { _dir: dir, env }
    }

    fn set(&mut self, key: &str, value: &str) {
        self.env.insert(key.to_string(), value.to_string());
    }

    fn workspace(&self) -> PathBuf {
        PathBuf::from(&self.env["GITHUB_WORKSPACE"])
    }

    /// Runs `flaskscan github` once, as a step: fresh summary and output files (the runner gives
    /// every step its own), the workspace as working directory, only the job's environment.
    fn run(&self) -> Outcome {
        let summary = PathBuf::from(&self.env["GITHUB_STEP_SUMMARY"]);
        let output = PathBuf::from(&self.env["GITHUB_OUTPUT"]);
        for file in [&summary, &output] {
            std::fs::write(file, "").unwrap();
        }
        let result = Command::new(env!("CARGO_BIN_EXE_flaskscan"))
            .arg("github")
            .env_clear()
            .envs(&self.env)
            .current_dir(self.workspace())
            .output()
            .expect("run flaskscan github");
        let outcome = Outcome {
            code: result.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(result.stdout).unwrap(),
            stderr: String::from_utf8(result.stderr).unwrap(),
            summary: std::fs::read_to_string(&summary).unwrap(),
            outputs: parse_outputs(&std::fs::read_to_string(&output).unwrap()),
        };
        let written =
            std::fs::read_to_string(self.workspace().join("flaskscan.sarif")).unwrap_or_default();
        for (what, text) in [
            ("stdout", &outcome.stdout),
            ("stderr", &outcome.stderr),
            ("the step summary", &outcome.summary),
            ("the SARIF file", &written),
        ] {
            assert!(!text.contains(TOKEN), "the token appeared in {what}");
        }
        assert!(
            outcome.outputs.values().all(|v| !v.contains(TOKEN)),
            "the token appeared in the outputs"
        );
        outcome
    }
}

/// Parses `$GITHUB_OUTPUT` the way the runner does: `name=value` or `name<<DELIM ... DELIM`.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            let mut closed = false;
            for l in lines.by_ref() {
                if l == delimiter {
                    closed = true;
                    break;
                }
                value.push(l);
            }
            assert!(closed, "output `{name}` is never closed by {delimiter}");
            map.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            map.insert(name.to_string(), value.to_string());
        } else {
            panic!("unparsable output line {line:?}");
        }
    }
    map
}

/// The pull request changes `run.py`'s last line (debug mode, bound to every interface); the
/// rest of the app was already there.
fn pr_changes_run_py(server: &FakeGitHub) {
    server.with(|s| {
        s.pr_files = vec![json!({
            "filename": "run.py", "status": "modified", "additions": 1, "deletions": 1, "changes": 2,
            "patch": "@@ -3,4 +3,4 @@ from shop import create_app\n app = create_app()\n \n if __name__ == \"__main__\":\n-    app.run()\n+    app.run(host=\"0.0.0.0\", debug=True)"
        })];
    });
}

fn assert_clean(server: &FakeGitHub) {
    let v = server.violations();
    assert!(v.is_empty(), "contract violations: {v:#?}");
}

/// The upload's `sarif` field, decoded here (base64, then gunzip, then JSON) rather than trusting
/// the fake server's own decoding.
fn decode_upload(body: &Value) -> Value {
    let gz = base64::engine::general_purpose::STANDARD
        .decode(body["sarif"].as_str().expect("sarif is a string"))
        .expect("sarif is base64");
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "sarif is gzip");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .expect("sarif gunzips");
    serde_json::from_str(&text).expect("sarif is JSON")
}

fn code_run(log: &Value) -> &Value {
    log["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["automationDetails"]["id"] == "flaskscan/code/")
        .expect("a flaskscan/code/ run")
}

/// `(ruleId, uri, startLine)` of a run's results.
fn result_keys(run: &Value) -> Vec<(String, String, u64)> {
    run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                loc["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The requests with this method whose path ends with `suffix`, in order.
fn sent(server: &FakeGitHub, method: &str, suffix: &str) -> Vec<Value> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .map(|r| r.body)
        .collect()
}

#[test]
fn a_pull_request_run_publishes_everything_and_a_second_run_edits_the_one_comment() {
    let server = FakeGitHub::start("");
    pr_changes_run_py(&server);
    let job = Job::new(&server, "pull_request.json");

    let first = job.run();
    // fail-on defaults to high; debug mode on a changed line is a new high finding.
    assert_eq!(first.code, 1, "{}\n{}", first.stdout, first.stderr);

    // Code scanning: one upload to the PR's merge ref, our SARIF inside, real findings from the
    // example app with repository-relative paths, nothing suppressed, then polled to completion.
    let uploads = sent(&server, "POST", "/code-scanning/sarifs");
    assert_eq!(uploads.len(), 1);
    let upload = &uploads[0];
    assert_eq!(upload["ref"], "refs/pull/7/merge");
    assert_eq!(upload["commit_sha"], MERGE_SHA);
    assert_eq!(upload["tool_name"], "flaskscan");
    assert!(upload["checkout_uri"]
        .as_str()
        .unwrap()
        .ends_with("/workspace/"));
    assert!(upload.get("validate").is_none(), "not api.github.com");
    let sarif = decode_upload(upload);
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = code_run(&sarif);
    assert_eq!(run["tool"]["driver"]["name"], "flaskscan");
    let results = result_keys(run);
    assert!(
        results
            .iter()
            .any(|(rule, uri, line)| rule == "FS101" && uri == "run.py" && *line == 6),
        "FS101 in run.py:6 missing from {results:?}"
    );
    assert!(
        results.iter().any(|(_, uri, _)| uri.starts_with("shop/")),
        "the package's findings are uploaded too: {results:?}"
    );
    let driver_rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(driver_rules.contains(&"FS101"));
    assert!(run["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("suppressions").is_none()));
    let sarif_id = server.with(|s| s.uploads.len());
    assert_eq!(sarif_id, 1);
    assert!(
        server.count(
            "GET",
            "/code-scanning/sarifs/47177e22-5596-11eb-80a1-c1e54ef945c1"
        ) >= 2,
        "polled until processing completed"
    );

    // Annotations: a check run on the PR head, created in progress, annotated in batches of at
    // most 50, then completed with a conclusion.
    let creates = sent(&server, "POST", "/check-runs");
    assert_eq!(creates.len(), 1);
    assert_eq!(creates[0]["head_sha"], HEAD_SHA);
    assert_eq!(creates[0]["status"], "in_progress");
    assert!(creates[0].get("conclusion").is_none());
    let check = server.with(|s| s.check_runs[0].clone());
    let updates = sent(&server, "PATCH", &format!("/check-runs/{}", check.id));
    let last = updates.last().expect("the check run is updated");
    assert_eq!(last["status"], "completed");
    assert_eq!(last["conclusion"], "failure");
    for update in &updates {
        let n = update
            .pointer("/output/annotations")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        assert!(n <= 50, "{n} annotations in one request");
    }
    assert_eq!(check.status, "completed");
    // only-new: the changed line's findings are annotated, the untouched package's are not.
    assert!(!check.annotations.is_empty());
    assert!(check.annotations.iter().all(|a| a["path"] == "run.py"));
    assert!(check
        .annotations
        .iter()
        .any(|a| a["start_line"] == 6 && a["title"].as_str().unwrap().contains("FS101")));
    assert!(
        !first.stdout.contains("::error file="),
        "the Checks API carried the annotations, not workflow commands"
    );

    // Exactly one sticky comment, linking findings at the head commit.
    let comments = server.comments(7);
    assert_eq!(comments.len(), 1);
    let comment = &comments[0];
    assert!(comment.body.starts_with(MARKER));
    assert!(comment.body.contains("new in this pull request"));
    assert!(comment.body.contains("FS101"));
    assert!(comment.body.contains(&format!(
        "https://github.com/{OWNER}/{REPO}/blob/{HEAD_SHA}/run.py#L6"
    )));
    // run.py declares no route: no routes section.
    assert!(!comment.body.contains("Routes this pull request"));

    // The job summary carries the same report; the outputs are consistent with it.
    assert!(first.summary.starts_with(MARKER), "{}", first.summary);
    assert!(first.summary.contains("## flaskscan"));
    assert!(first.summary.contains("FS101"));
    let findings: usize = first.outputs["findings"].parse().unwrap();
    let new: usize = first.outputs["new-findings"].parse().unwrap();
    assert!(new >= 1 && new < findings, "{:?}", first.outputs);
    let uploaded: usize = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tool"]["driver"]["name"] == "flaskscan")
        .map(|r| r["results"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(findings, uploaded, "every unsuppressed finding is uploaded");
    assert!(["high", "critical"].contains(&first.outputs["highest-severity"].as_str()));
    // Relative to the workspace: the container's absolute path means nothing to later steps.
    let sarif_file = &first.outputs["sarif-file"];
    assert_eq!(sarif_file, "flaskscan.sarif");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(job.workspace().join(sarif_file)).unwrap())
            .unwrap();
    assert_eq!(
        result_keys(code_run(&written)),
        results,
        "the file written is what was uploaded"
    );

    // A second run (a new push to the PR): the same comment is edited in place by PATCH.
    let comment_id = comment.id;
    server.with(|s| {
        for c in s.comments.values_mut().flatten() {
            c.body = format!("{MARKER}\n\nstale");
        }
    });
    let second = job.run();
    assert_eq!(second.code, 1);
    let comments = server.comments(7);
    assert_eq!(comments.len(), 1, "still exactly one comment");
    assert_eq!(comments[0].id, comment_id);
    assert!(
        comments[0].body.contains("FS101"),
        "the comment was rewritten"
    );
    assert_eq!(sent(&server, "POST", "/issues/7/comments").len(), 1);
    assert_eq!(
        sent(&server, "PATCH", &format!("/issues/comments/{comment_id}")).len(),
        1
    );
    assert_eq!(sent(&server, "POST", "/code-scanning/sarifs").len(), 2);
    assert!(server
        .with(|s| s.check_runs.len() == 2 && s.check_runs.iter().all(|r| r.status == "completed")));
    assert_eq!(second.outputs, first.outputs);
    assert_clean(&server);
}

#[test]
fn fixes_on_added_lines_become_one_review_of_suggestions_kept_in_step_with_the_findings() {
    let server = FakeGitHub::start("");
    pr_changes_run_py(&server);
    let mut job = Job::new(&server, "pull_request.json");

    job.run();
    let reviews = sent(&server, "POST", "/pulls/7/reviews");
    assert_eq!(reviews.len(), 1, "one review per run");
    assert_eq!(reviews[0]["commit_id"], HEAD_SHA);
    assert_eq!(reviews[0]["event"], "COMMENT");
    // Only run.py's changed line has a fix on it; older fixable lines of the app get none.
    let comments = reviews[0]["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1, "{comments:#?}");
    assert_eq!(comments[0]["path"], "run.py");
    assert_eq!(comments[0]["line"], 6);
    let body = comments[0]["body"].as_str().unwrap();
    assert!(
        body.contains("```suggestion\n    app.run(host=\"0.0.0.0\", debug=False)\n```"),
        "{body}"
    );
    assert!(body.contains("FS101"), "{body}");

    // A second run on the same code posts nothing new.
    job.run();
    assert_eq!(sent(&server, "POST", "/pulls/7/reviews").len(), 1);
    assert_eq!(server.with(|s| s.review_comments[&7].len()), 1);

    // The author applies the suggestion: the finding is gone, and so is the suggestion.
    let run_py = job.workspace().join("run.py");
    let text = std::fs::read_to_string(&run_py).unwrap();
    std::fs::write(&run_py, text.replace("debug=True", "debug=False")).unwrap();
    job.run();
    assert_eq!(sent(&server, "POST", "/pulls/7/reviews").len(), 1);
    let deletes = server
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE" && r.path.contains("/pulls/comments/"))
        .count();
    assert_eq!(deletes, 1);
    assert!(
        server.with(|s| s.review_comments[&7].is_empty()),
        "the stale suggestion is deleted"
    );

    // Switched off: no review calls at all.
    std::fs::write(&run_py, text).unwrap();
    job.set("INPUT_SUGGESTIONS", "false");
    let before = server.requests().len();
    job.run();
    assert!(server.requests()[before..]
        .iter()
        .all(|r| !r.path.contains("/pulls/7/reviews") && !r.path.contains("/pulls/7/comments")));
    assert_clean(&server);
}

#[test]
fn many_findings_are_annotated_fifty_per_request() {
    let server = FakeGitHub::start("");
    let mut job = Job::new(&server, "pull_request.json");
    // A module full of unverified TLS calls, added by the PR (no patch: every line counts as
    // changed).
    let lines: String = (0..60)
        .map(|i| format!("page_{i} = requests.get(\"https://example.com/{i}\", verify=False)\n"))
        .collect();
    std::fs::write(
        job.workspace().join("shop/legacy.py"),
        format!("import requests\n\n{lines}"),
    )
    .unwrap();
    server.with(|s| s.pr_files = vec![json!({"filename": "shop/legacy.py", "status": "added"})]);
    job.set("INPUT_FAIL_ON", "none");

    let outcome = job.run();
    assert_eq!(
        outcome.code, 0,
        "fail-on none never fails\n{}",
        outcome.stdout
    );
    let check = server.with(|s| s.check_runs[0].clone());
    assert!(
        check.annotations.len() >= 60,
        "{} annotations",
        check.annotations.len()
    );
    let batches: Vec<usize> = sent(&server, "PATCH", &format!("/check-runs/{}", check.id))
        .iter()
        .filter_map(|b| b.pointer("/output/annotations").and_then(Value::as_array))
        .map(Vec::len)
        .collect();
    assert!(batches.len() >= 2, "{batches:?}");
    assert!(batches.iter().all(|n| *n <= 50), "{batches:?}");
    assert_eq!(batches.iter().sum::<usize>(), check.annotations.len());
    assert_eq!(check.status, "completed");
    assert_eq!(check.conclusion.as_deref(), Some("neutral"));
    assert_clean(&server);
}

#[test]
fn a_refused_upload_warns_with_the_permission_and_the_other_channels_still_go_out() {
    let server = FakeGitHub::start("");
    pr_changes_run_py(&server);
    // The message echoes the token: it must still never reach the log.
    server.fault(
        Fault::new("POST", "/code-scanning/sarifs", 403).message(&format!(
            "Resource not accessible by integration (token {TOKEN})"
        )),
    );
    let job = Job::new(&server, "pull_request.json");
    let outcome = job.run();

    assert_eq!(outcome.code, 1, "the exit code still comes from fail-on");
    let warning = outcome
        .stdout
        .lines()
        .find(|l| l.starts_with("::warning::code scanning upload failed"))
        .unwrap_or_else(|| panic!("no upload warning:\n{}", outcome.stdout));
    assert!(warning.contains("403"), "{warning}");
    assert!(warning.contains("security-events: write"), "{warning}");
    assert_eq!(
        server.count("GET", "/code-scanning/sarifs/"),
        0,
        "nothing to poll"
    );
    let check = server.with(|s| s.check_runs[0].clone());
    assert_eq!(check.status, "completed");
    assert!(!check.annotations.is_empty());
    assert_eq!(server.comments(7).len(), 1);
    assert!(server.comments(7)[0]
        .body
        .contains("code scanning upload failed"));
    assert!(outcome.summary.contains("security-events: write"));
    assert!(outcome.outputs["findings"].parse::<usize>().unwrap() > 0);
    assert_clean(&server);
}

#[test]
fn a_fork_pull_request_uses_workflow_commands_and_writes_nothing() {
    let server = FakeGitHub::start("");
    pr_changes_run_py(&server);
    // A read-only token: any write would be refused. None may even be tried.
    for (method, path) in [
        ("POST", "/code-scanning/sarifs"),
        ("POST", "/check-runs"),
        ("POST", "/issues/7/comments"),
    ] {
        server
            .fault(Fault::new(method, path, 403).message("Resource not accessible by integration"));
    }
    let mut job = Job::new(&server, "pull_request_fork.json");
    let outcome = job.run();

    assert_eq!(outcome.code, 1, "{}", outcome.stdout);
    let writes: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "writes from a fork: {writes:?}");
    // Reading the PR's files still works with a read-only token, so only-new still applies.
    assert_eq!(server.count("GET", "/pulls/7/files"), 1);
    let annotations: Vec<&str> = outcome
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error file=") || l.starts_with("::warning file="))
        .collect();
    assert!(
        annotations
            .iter()
            .any(|l| l.starts_with("::error file=run.py,line=6,") && l.contains("FS101")),
        "{}",
        outcome.stdout
    );
    assert!(
        annotations.iter().all(|l| l.contains("file=run.py,")),
        "only new findings"
    );
    assert!(outcome
        .stdout
        .contains("::warning::code scanning upload skipped: pull requests from forks"));
    assert!(outcome.summary.contains("## flaskscan"));
    assert!(outcome.summary.contains("read-only token"));
    assert!(outcome.outputs["new-findings"].parse::<usize>().unwrap() >= 1);

    // The exit code is fail-on's alone: with a threshold nothing reaches, the same run passes.
    job.set("INPUT_FAIL_ON", "critical");
    let outcome = job.run();
    assert_eq!(outcome.code, 0, "{}", outcome.stdout);
    assert!(server.requests().iter().all(|r| r.method == "GET"));
    assert_clean(&server);
}

/// Issue D1: a pull request adds `pyproject.toml` as a link to `/proc/self/environ`. Reading it
/// and quoting the TOML error would print the whole environment, token included, to the job log.
#[cfg(target_os = "linux")]
#[test]
fn a_config_link_out_of_the_checkout_is_not_read_and_no_secret_is_printed() {
    let server = FakeGitHub::start("");
    pr_changes_run_py(&server);
    let mut job = Job::new(&server, "pull_request.json");
    let other_secret = "sk_live_0123456789abcdefghij";
    job.set("STRIPE_SECRET_KEY", other_secret);
    std::os::unix::fs::symlink("/proc/self/environ", job.workspace().join("pyproject.toml"))
        .unwrap();
    let outcome = job.run();
    // The scan ran with the defaults; the link is a warning in the SARIF, never read.
    assert_eq!(outcome.code, 1, "{}\n{}", outcome.stdout, outcome.stderr);
    let sarif = std::fs::read_to_string(job.workspace().join("flaskscan.sarif")).unwrap();
    assert!(
        sarif.contains("a symbolic link that leaves its folder"),
        "{sarif}"
    );
    for text in [&outcome.stdout, &outcome.stderr, &outcome.summary, &sarif] {
        assert!(
            !text.contains(other_secret),
            "a secret was printed:\n{text}"
        );
        assert!(
            !text.contains("GITHUB_WORKSPACE="),
            "the environment was printed:\n{text}"
        );
    }
}

/// Defence in depth: whatever path a secret takes into a message (here the scanned code holds
/// the token itself, and a warning quotes it), it is masked in the log, the SARIF file, the upload
/// and every body sent to GitHub.
#[test]
fn secrets_are_masked_in_everything_written_or_sent() {
    let server = FakeGitHub::start("");
    pr_changes_run_py(&server);
    let job = Job::new(&server, "pull_request.json");
    // An unparsable requirement is quoted in a warning (SARIF notification and summary).
    let requirements = job.workspace().join("requirements.txt");
    let mut text = std::fs::read_to_string(&requirements).unwrap_or_default();
    text.push_str(&format!("\n{TOKEN} !!! ==\n"));
    std::fs::write(&requirements, text).unwrap();
    // Job::run asserts the token is absent from stdout, stderr, summary, outputs and SARIF.
    let outcome = job.run();
    assert_eq!(outcome.code, 1, "{}", outcome.stdout);
    for request in server.requests() {
        let body = request.body.to_string();
        assert!(
            !body.contains(TOKEN),
            "{} {} sent the token",
            request.method,
            request.path
        );
        if request.path.ends_with("/code-scanning/sarifs") {
            let sarif = decode_upload(&request.body).to_string();
            assert!(!sarif.contains(TOKEN), "the uploaded SARIF holds the token");
            assert!(sarif.contains("***"), "the masked value is still reported");
        }
    }
}

/// Issue D15: inputs naming paths must stay inside the workspace.
#[test]
fn inputs_that_leave_the_workspace_are_refused() {
    let server = FakeGitHub::start("");
    pr_changes_run_py(&server);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("flaskscan.toml"),
        "select = [\"FS1\"]\n",
    )
    .unwrap();
    for (input, value, expect) in [
        (
            "INPUT_PATH",
            "/etc".to_string(),
            "input `path`: /etc is outside the workspace",
        ),
        (
            "INPUT_SARIF_FILE",
            "../../../x.sarif".to_string(),
            "input `sarif-file`: ../../../x.sarif must be a path inside the workspace",
        ),
        (
            "INPUT_CONFIG",
            outside.path().join("flaskscan.toml").display().to_string(),
            "is outside the workspace",
        ),
    ] {
        let mut job = Job::new(&server, "pull_request.json");
        job.set(input, &value);
        let outcome = job.run();
        assert_eq!(outcome.code, 2, "{input}={value}: {}", outcome.stdout);
        assert!(
            outcome.stdout.contains(expect),
            "{input}: {}",
            outcome.stdout
        );
    }
    #[cfg(unix)]
    {
        // A link the pull request adds in place of the SARIF file or on the way to it.
        let mut job = Job::new(&server, "pull_request.json");
        std::os::unix::fs::symlink(outside.path(), job.workspace().join("out")).unwrap();
        job.set("INPUT_SARIF_FILE", "out/x.sarif");
        let outcome = job.run();
        assert_eq!(outcome.code, 2, "{}", outcome.stdout);
        assert!(outcome
            .stdout
            .contains("outside the workspace through a symbolic link"));
        assert!(!outside.path().join("x.sarif").exists());
        let job = Job::new(&server, "pull_request.json");
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, job.workspace().join("flaskscan.sarif")).unwrap();
        let outcome = job.run();
        assert_eq!(outcome.code, 2, "{}", outcome.stdout);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    }
    assert!(server.requests().iter().all(|r| r.method == "GET"));
}

#[test]
fn a_rejected_token_stops_all_calls_and_the_exit_code_still_follows_fail_on() {
    let server = FakeGitHub::start("");
    pr_changes_run_py(&server);
    server.fault(Fault::new("POST", "/code-scanning/sarifs", 401).message("Bad credentials"));
    let mut job = Job::new(&server, "pull_request.json");
    job.set("INPUT_FAIL_ON", "none");
    let outcome = job.run();

    assert_eq!(
        outcome.code, 0,
        "fail-on=none never fails\n{}",
        outcome.stdout
    );
    let warnings: Vec<&str> = outcome
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning::"))
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("::warning::code scanning upload failed")
                && w.contains("returned 401")
                && w.contains("GitHub rejected the token")
                && w.contains("Check the `token` input")),
        "{warnings:#?}"
    );
    for skipped in ["check run skipped", "PR comment skipped"] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(skipped) && w.contains("GitHub rejected the token (401)")),
            "{skipped}: {warnings:#?}"
        );
    }
    let after_401 = server
        .requests()
        .into_iter()
        .skip_while(|r| r.method != "POST")
        .count();
    assert_eq!(after_401, 1, "nothing is sent after the 401");
    assert!(
        outcome.stdout.contains("::error file=run.py"),
        "annotations as workflow commands"
    );
    assert!(outcome.summary.contains("GitHub rejected the token"));
    assert_clean(&server);
}

#[test]
fn server_errors_and_rate_limits_are_waited_out_on_the_time_scale() {
    let server = FakeGitHub::start("");
    pr_changes_run_py(&server);
    // 100 s and 30 s asked for; at FLASKSCAN_GITHUB_TIME_SCALE=0.01 that is 1.3 s in all.
    server.fault(
        Fault::new("POST", "/code-scanning/sarifs", 503)
            .header("Retry-After", "100")
            .times(1),
    );
    server.fault(
        Fault::new("POST", "/issues/7/comments", 403)
            .message("You have exceeded a secondary rate limit.")
            .header("retry-after", "30")
            .times(1),
    );
    let job = Job::new(&server, "pull_request.json");
    let outcome = job.run();

    assert_eq!(outcome.code, 1, "{}", outcome.stdout);
    assert!(
        outcome
            .stdout
            .contains("POST /repos/octo/shop/code-scanning/sarifs: server error 503; retrying (attempt 2 of 4); waiting 100 s"),
        "{}",
        outcome.stdout
    );
    assert!(outcome.stdout.contains(
        "rate limited, GitHub asks to wait 30 s; retrying (attempt 2 of 4); waiting 30 s"
    ));
    assert_eq!(server.with(|s| s.uploads.len()), 1);
    assert_eq!(server.comments(7).len(), 1);
    assert!(
        !outcome.stdout.contains("::warning::PR comment")
            && !outcome.stdout.contains("::warning::code scanning upload"),
        "{}",
        outcome.stdout
    );
    assert_clean(&server);
}

/// The pull request adds the `/ping` route (a GET) and the `/cart/restore` POST route of the
/// demo app's tools blueprint.
fn pr_adds_tools_routes(server: &FakeGitHub) {
    server.with(|s| {
        s.pr_files = vec![json!({
            "filename": "shop/tools.py", "status": "modified", "additions": 8, "deletions": 0, "changes": 8,
            "patch": "@@ -36,0 +37,4 @@\n+@tools.route(\"/ping\")\n+def ping():\n+    host = request.args[\"host\"]\n+    return {}\n@@ -100,0 +105,4 @@\n+@tools.route(\"/cart/restore\", methods=[\"POST\"])\n+def restore_cart():\n+    cart = pickle.loads(request.get_data())\n+    return {}"
        })];
    });
}

#[test]
fn a_pull_request_adding_routes_lists_them_unprotected_post_first() {
    let server = FakeGitHub::start("");
    pr_adds_tools_routes(&server);
    let job = Job::new(&server, "pull_request.json");
    let outcome = job.run();
    let comments = server.comments(7);
    let body = &comments[0].body;
    let (_, section) = body
        .split_once("### Routes this pull request adds or changes")
        .unwrap_or_else(|| panic!("no routes section:\n{body}\n{}", outcome.stdout));
    let rows: Vec<&str> = section
        .lines()
        .skip_while(|l| !l.starts_with("|---"))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(rows.len(), 2, "{section}");
    assert!(
        rows[0].starts_with("| POST | `/tools/cart/restore` | `tools.restore_cart` ["),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains(&format!(
        "(https://github.com/{OWNER}/{REPO}/blob/{HEAD_SHA}/shop/tools.py#L106)"
    )));
    assert!(rows[0].ends_with("| **none** |"), "{}", rows[0]);
    assert!(rows[1].contains("`/tools/ping`") && rows[1].ends_with("| none |"));
    assert!(outcome
        .summary
        .contains("### Routes this pull request adds or changes"));
    // The PR's files are listed once, for only-new, the section and the suggestions.
    assert_eq!(server.count("GET", "/pulls/7/files"), 1);
    assert_clean(&server);
}
