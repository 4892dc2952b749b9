//! `flaskscan github` against a fake GitHub API on 127.0.0.1: what it sends, what it keeps, and
//! how each channel degrades. The scan itself is a canned report (the action's `Scanner` seam).

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flaskscan::finding::{Finding, Location, Position, Severity, Suppression};
use flaskscan::github::action::run_action_to;
use flaskscan::github::{run_action, ActionEnv, ScanOutput, ScanRequest, Scanner};
use flaskscan::routes::{Auth, LineSpan, RouteEntry};
use flaskscan::scan::{ScanReport, ScanStats};
use serde_json::{json, Value};
use support::fake_github::{FakeGitHub, Fault, OWNER, REPO, TOKEN};

const MERGE_SHA: &str = "9999999999999999999999999999999999999999";
const HEAD_SHA: &str = "1111111111111111111111111111111111111111";
const PUSH_SHA: &str = "3333333333333333333333333333333333333333";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/github/events")
        .join(name)
}

fn finding(path: &str, line: u32, fingerprint: &str, suppressed: bool) -> Finding {
    let rule = flaskscan::rules::by_id("FS101").unwrap();
    Finding {
        rule,
        severity: Severity::High,
        message: "Flask debug mode is enabled".into(),
        location: Location {
            path: path.into(),
            start: Position {
                line,
                column: 1,
                column_utf16: 1,
            },
            end: Position {
                line,
                column: 20,
                column_utf16: 20,
            },
        },
        fix: rule.fix.into(),
        snippet: "app.run(debug=True)".into(),
        flow: vec![],
        related: vec![],
        fingerprint: fingerprint.into(),
        line_hash: Some(format!("{fingerprint}-line:1")),
        suppressed: suppressed.then(|| Suppression {
            comment: "# noqa: FS101".into(),
        }),
        audit: false,
        package: None,
        autofix: None,
    }
}

fn sarif_result(f: &Finding) -> Value {
    let mut r = json!({
        "ruleId": f.rule.id, "ruleIndex": 0, "level": "error",
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": f.location.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": f.location.start.line, "startColumn": 1, "endLine": f.location.end.line, "endColumn": 20}}}],
        "partialFingerprints": {"primaryLocationLineHash": f.line_hash, "flaskscan/v1": f.fingerprint},
    });
    if f.suppressed.is_some() {
        r["suppressions"] = json!([{"kind": "inSource"}]);
    }
    r
}

/// A scanner returning a fixed report: a finding on a line the PR changes, one on an old line,
/// and a suppressed one.
struct Canned {
    findings: Vec<Finding>,
    /// The route inventory the scan returns when the action asks for it.
    routes: Vec<RouteEntry>,
}

impl Canned {
    fn standard() -> Self {
        Self {
            findings: vec![
                finding("app.py", 3, "fp-new", false),
                finding("old.py", 10, "fp-old", false),
                finding("app.py", 5, "fp-sup", true),
            ],
            routes: Vec::new(),
        }
    }

    /// The standard report, and these routes in the inventory.
    fn with_routes(routes: Vec<RouteEntry>) -> Self {
        Self {
            routes,
            ..Self::standard()
        }
    }
}

impl Scanner for Canned {
    fn scan(&self, request: &ScanRequest) -> anyhow::Result<ScanOutput> {
        assert!(request.root.is_absolute() || request.root.exists());
        let results: Vec<Value> = self.findings.iter().map(sarif_result).collect();
        let rule = json!({"id": "FS101", "name": "debug-mode-enabled",
            "shortDescription": {"text": "Debug mode"}, "fullDescription": {"text": "Debug mode"},
            "help": {"text": "Don't"}, "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["security"], "precision": "high", "security-severity": "8.0"}});
        let sarif = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
            "runs": [
                {"tool": {"driver": {"name": "flaskscan", "semanticVersion": "0.1.0", "rules": [rule]}},
                 "automationDetails": {"id": "flaskscan/code/"}, "columnKind": "utf16CodeUnits",
                 "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///somewhere/"}},
                 "results": results},
                {"tool": {"driver": {"name": "flaskscan", "semanticVersion": "0.1.0", "rules": []}},
                 "automationDetails": {"id": "flaskscan/deps/"}, "columnKind": "utf16CodeUnits", "results": []}
            ]
        });
        Ok(ScanOutput {
            report: ScanReport {
                root: request.root.clone(),
                findings: self.findings.clone(),
                notifications: vec![],
                stats: ScanStats {
                    python_files: 2,
                    lines: 40,
                    ..ScanStats::default()
                },
                advisory_source: None,
                failures: vec![],
                routes: request.routes.then(|| self.routes.clone()),
            },
            sarif,
        })
    }
}

/// A simulated Actions run: workspace, event file, summary and output files.
struct Sim {
    dir: tempfile::TempDir,
    env: ActionEnv,
}

impl Sim {
    fn new(
        server: &FakeGitHub,
        event_name: &str,
        event_file: &str,
        git_ref: &str,
        sha: &str,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("workspace");
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::write(
            ws.join("app.py"),
            "from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n",
        )
        .unwrap();
        let env = ActionEnv::from_pairs([
            ("GITHUB_REPOSITORY", format!("{OWNER}/{REPO}")),
            ("GITHUB_EVENT_NAME", event_name.to_string()),
            (
                "GITHUB_EVENT_PATH",
                fixture(event_file).display().to_string(),
            ),
            ("GITHUB_REF", git_ref.to_string()),
            ("GITHUB_SHA", sha.to_string()),
            ("GITHUB_WORKSPACE", ws.display().to_string()),
            ("GITHUB_API_URL", server.url.clone()),
            ("GITHUB_SERVER_URL", "https://github.com".to_string()),
            ("GITHUB_RUN_ID", "42".to_string()),
            (
                "GITHUB_STEP_SUMMARY",
                dir.path().join("summary.md").display().to_string(),
            ),
            (
                "GITHUB_OUTPUT",
                dir.path().join("output.txt").display().to_string(),
            ),
            ("FLASKSCAN_GITHUB_TIME_SCALE", "0.01".to_string()),
            // Generous, so a busy machine never times out; the timeout tests lower it.
            ("FLASKSCAN_GITHUB_TIMEOUT", "20".to_string()),
            // The runner passes every declared input, unset ones empty.
            ("INPUT_TOKEN", TOKEN.to_string()),
            ("INPUT_PATH", String::new()),
            ("INPUT_FAIL-ON", "high".to_string()),
            ("INPUT_CATEGORY", String::new()),
            ("INPUT_ONLY-NEW", String::new()),
        ]);
        Self { dir, env }
    }

    fn pull_request(server: &FakeGitHub) -> Self {
        Self::new(
            server,
            "pull_request",
            "pull_request.json",
            "refs/pull/7/merge",
            MERGE_SHA,
        )
    }

    fn set(&mut self, key: &str, value: &str) {
        self.env = std::mem::take(&mut self.env).with(key, value);
    }

    fn run(&self, scanner: &dyn Scanner) -> (i32, String) {
        let mut out = Vec::new();
        let code = run_action_to(&self.env, scanner, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains(TOKEN), "the token leaked into the log");
        (code, text)
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("summary.md")).unwrap_or_default()
    }

    fn outputs(&self) -> std::collections::BTreeMap<String, String> {
        let text = std::fs::read_to_string(self.dir.path().join("output.txt")).unwrap_or_default();
        let mut map = std::collections::BTreeMap::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let (name, delim) = line.split_once("<<").expect("multiline output syntax");
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            map.insert(name.to_string(), value.join("\n"));
        }
        map
    }

    fn workspace(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }
}

fn pr_files(server: &FakeGitHub) {
    server.with(|s| {
        s.pr_files = vec![
            json!({"filename": "app.py", "status": "modified", "additions": 1, "deletions": 0, "changes": 1,
                   "patch": "@@ -1,2 +1,3 @@\n from flask import Flask\n app = Flask(__name__)\n+app.run(debug=True)"}),
            json!({"filename": "logo.png", "status": "added"}),
        ];
    });
}

fn assert_clean(server: &FakeGitHub) {
    let v = server.violations();
    assert!(v.is_empty(), "contract violations: {v:#?}");
}

#[test]
fn pull_request_publishes_every_channel_and_a_second_run_edits_the_comment() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    // Someone else's comments fill the first pages: ours must be found past them.
    server.with(|s| {
        s.page_size = 2;
        s.comments.insert(
            7,
            (0..5)
                .map(|i| support::fake_github::Comment {
                    id: 10 + i,
                    body: format!("LGTM {i}"),
                    user_type: "User",
                })
                .collect(),
        );
    });
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1, "a new high finding fails with fail-on=high\n{log}");

    // Upload: merge ref + GITHUB_SHA, no suppressed result, distinct categories.
    let (body, sarif) = server.with(|s| s.uploads[0].clone());
    assert_eq!(body["ref"], "refs/pull/7/merge");
    assert_eq!(body["commit_sha"], MERGE_SHA);
    assert_eq!(body["tool_name"], "flaskscan");
    assert!(
        body.get("validate").is_none(),
        "validate only goes to api.github.com"
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        sarif["runs"][1]["automationDetails"]["id"],
        "flaskscan/deps/"
    );
    assert!(
        server.count(
            "GET",
            "/code-scanning/sarifs/47177e22-5596-11eb-80a1-c1e54ef945c1"
        ) >= 2,
        "polled until complete"
    );

    // Check run on the PR head, annotated with the new finding only, completed.
    let run = server.with(|s| s.check_runs[0].clone());
    assert_eq!(run.head_sha, HEAD_SHA);
    assert_eq!(run.status, "completed");
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert_eq!(run.annotations.len(), 1);
    assert_eq!(run.annotations[0]["path"], "app.py");
    assert_eq!(run.annotations[0]["annotation_level"], "failure");

    // One sticky comment.
    let comments = server.comments(7);
    let ours: Vec<_> = comments
        .iter()
        .filter(|c| c.body.starts_with("<!-- flaskscan:summary v1 -->"))
        .collect();
    assert_eq!(ours.len(), 1);
    assert!(ours[0].body.contains("**2** findings, **1** new"));
    assert!(ours[0].body.contains(&format!(
        "https://github.com/{OWNER}/{REPO}/blob/{HEAD_SHA}/app.py#L3-L3"
    )));
    let first_id = ours[0].id;

    // Summary and outputs.
    assert!(sim.summary().contains("**2** findings, **1** new"));
    let outputs = sim.outputs();
    assert_eq!(outputs["findings"], "2");
    assert_eq!(outputs["new-findings"], "1");
    assert_eq!(outputs["highest-severity"], "high");
    assert_eq!(
        outputs["sarif-file"], "flaskscan.sarif",
        "relative to the workspace, valid outside the container too"
    );
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(sim.workspace().join("flaskscan.sarif")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        written["runs"][0]["results"].as_array().unwrap().len(),
        3,
        "the file keeps suppressed results"
    );

    // Second run: same comment edited by PATCH, never a second one.
    let (code, _) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    let ours: Vec<_> = server
        .comments(7)
        .into_iter()
        .filter(|c| c.body.starts_with("<!--"))
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].id, first_id);
    assert_eq!(
        server.count("PATCH", &format!("/issues/comments/{first_id}")),
        1
    );
    assert_eq!(server.count("POST", "/issues/7/comments"), 1);
    assert!(server.with(|s| s.check_runs.iter().all(|r| r.status == "completed")));
    assert_clean(&server);
}

#[test]
fn fork_pull_request_writes_nothing_and_falls_back_to_workflow_commands() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    let sim = Sim::new(
        &server,
        "pull_request",
        "pull_request_fork.json",
        "refs/pull/7/merge",
        MERGE_SHA,
    );
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    let writes: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(
        writes.is_empty(),
        "a fork's read-only token cannot write: {writes:?}"
    );
    assert!(log.contains("::error file=app.py,line=3,endLine=3,col=1,endColumn=20,title=FS101%3A debug-mode-enabled::"), "{log}");
    assert!(
        !log.contains("file=old.py"),
        "only new findings are annotated"
    );
    assert!(log.contains("::warning::code scanning upload skipped: pull requests from forks"));
    assert!(sim.summary().contains("forks get a read-only token"));
    assert_clean(&server);
}

#[test]
fn refused_upload_still_annotates_and_comments() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    server
        .fault(Fault::new("POST", "/code-scanning/sarifs", 403).message(
            "Advanced Security must be enabled for this repository to use code scanning.",
        ));
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert!(
        log.contains("code scanning upload failed") && log.contains("security-events: write"),
        "{log}"
    );
    assert!(log.contains("Code Security"));
    assert_eq!(server.with(|s| s.check_runs.len()), 1);
    assert_eq!(server.comments(7).len(), 1);
    assert!(sim.summary().contains("code scanning upload failed"));
    assert_clean(&server);
}

#[test]
fn read_only_token_degrades_every_channel_with_the_permission_to_add() {
    let server = FakeGitHub::start("");
    for (method, path) in [
        ("POST", "/code-scanning/sarifs"),
        ("POST", "/check-runs"),
        ("POST", "/issues/7/comments"),
        ("GET", "/issues/7/comments"),
        ("GET", "/pulls/7/files"),
    ] {
        server
            .fault(Fault::new(method, path, 403).message("Resource not accessible by integration"));
    }
    let mut sim = Sim::pull_request(&server);
    sim.set("INPUT_FAIL-ON", "critical");
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 0, "no critical finding: nothing fails\n{log}");
    for permission in [
        "security-events: write",
        "checks: write",
        "pull-requests: write",
        "pull-requests: read",
    ] {
        assert!(log.contains(permission), "no hint for {permission}:\n{log}");
    }
    // Without the PR's files every finding counts as new, and annotations fall back to commands.
    assert!(log.contains("::error file=app.py") && log.contains("::error file=old.py"));
    assert!(sim.summary().contains("## flaskscan"));
    assert_eq!(sim.outputs()["new-findings"], "2");
    assert_clean(&server);
}

#[test]
fn server_errors_are_retried_and_a_half_done_comment_is_not_duplicated() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    server.fault(Fault::new("GET", "/pulls/7/files", 502).times(1));
    server.fault(
        Fault::new("GET", "/issues/7/comments", 503)
            .header("Retry-After", "1")
            .times(1),
    );
    // The comment is created, but the answer is a 502: a blind retry would post it twice.
    server.fault(
        Fault::new("POST", "/issues/7/comments", 502)
            .process_anyway()
            .times(1),
    );
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert!(
        log.contains(
            "GET /repos/octo/shop/issues/7/comments: server error 503; retrying (attempt 2 of 4); waiting 1 s"
        ),
        "retry-after was honoured\n{log}"
    );
    assert_eq!(server.count("GET", "/pulls/7/files"), 2);
    assert_eq!(server.comments(7).len(), 1, "{log}");
    assert_eq!(server.count("POST", "/issues/7/comments"), 1);
    assert!(!log.contains("::warning::PR comment failed"), "{log}");
    assert_clean(&server);
}

#[test]
fn unprocessable_comment_is_a_warning_not_a_failure() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    server.fault(Fault::new("POST", "/issues/7/comments", 422).message("Validation Failed"));
    let mut sim = Sim::pull_request(&server);
    sim.set("INPUT_FAIL-ON", "none");
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 0);
    assert!(log.contains("::warning::PR comment failed: POST /repos/octo/shop/issues/7/comments returned 422: Validation Failed"), "{log}");
    assert_eq!(server.with(|s| s.uploads.len()), 1);
    assert_clean(&server);
}

#[test]
fn slow_responses_time_out_and_are_retried() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    // The timeout is 1 s: the first answer comes too late.
    server.fault(
        Fault::new("GET", "/pulls/7/files", 200)
            .delay(Duration::from_secs(3))
            .times(1),
    );
    let mut sim = Sim::pull_request(&server);
    sim.set("FLASKSCAN_GITHUB_TIMEOUT", "1");
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert_eq!(server.count("GET", "/pulls/7/files"), 2);
    assert_eq!(sim.outputs()["new-findings"], "1", "{log}");
}

#[test]
fn push_uploads_to_the_branch_and_annotates_its_commit() {
    let server = FakeGitHub::start("");
    let sim = Sim::new(&server, "push", "push.json", "refs/heads/main", PUSH_SHA);
    let (code, _) = sim.run(&Canned::standard());
    assert_eq!(code, 1, "without a PR every unsuppressed finding counts");
    let (body, _) = server.with(|s| s.uploads[0].clone());
    assert_eq!(body["ref"], "refs/heads/main");
    assert_eq!(body["commit_sha"], PUSH_SHA);
    assert_eq!(server.with(|s| s.check_runs[0].head_sha.clone()), PUSH_SHA);
    assert_eq!(server.with(|s| s.check_runs[0].annotations.len()), 2);
    assert_eq!(
        server.count("GET", "/issues/7/comments") + server.count("GET", "/pulls/7/files"),
        0
    );
    assert_eq!(sim.outputs()["new-findings"], "2");
    assert_clean(&server);
}

#[test]
fn pull_request_target_takes_the_pr_from_the_payload_not_the_ref() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    // GITHUB_REF is the default branch under pull_request_target; the PR is only in the payload.
    let sim = Sim::new(
        &server,
        "pull_request_target",
        "pull_request_target.json",
        "refs/heads/main",
        PUSH_SHA,
    );
    let (_, log) = sim.run(&Canned::standard());
    assert_eq!(server.comments(7).len(), 1, "{log}");
    let (body, _) = server.with(|s| s.uploads[0].clone());
    assert_eq!(
        body["ref"], "refs/heads/main",
        "the base branch was checked out and scanned"
    );
    assert_eq!(server.with(|s| s.check_runs[0].head_sha.clone()), HEAD_SHA);
    assert_clean(&server);
}

#[test]
fn checked_out_pr_head_uploads_to_the_head_ref() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    let sim = Sim::pull_request(&server);
    std::fs::create_dir_all(sim.workspace().join(".git")).unwrap();
    std::fs::write(sim.workspace().join(".git/HEAD"), format!("{HEAD_SHA}\n")).unwrap();
    sim.run(&Canned::standard());
    let (body, _) = server.with(|s| s.uploads[0].clone());
    assert_eq!(body["ref"], "refs/pull/7/head");
    assert_eq!(body["commit_sha"], HEAD_SHA);
}

#[test]
fn enterprise_server_keeps_the_base_path_and_drops_validate() {
    let server = FakeGitHub::start("/api/v3");
    pr_files(&server);
    let sim = Sim::pull_request(&server);
    sim.run(&Canned::standard());
    assert_eq!(server.with(|s| s.uploads.len()), 1);
    assert_eq!(server.comments(7).len(), 1);
    assert_clean(&server); // includes: every path under /api/v3, no `validate`
}

#[test]
fn merged_tools_reach_the_upload_the_annotations_and_the_comment() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    let mut sim = Sim::pull_request(&server);
    let bandit = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Bandit", "rules": [
        {"id": "B201", "name": "flask_debug_true", "properties": {"security-severity": "9.5"}}]}},
        "results": [{"ruleId": "B201", "level": "error", "message": {"text": "A Flask app appears to be run with debug=True"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app.py"}, "region": {"startLine": 3}}}]}],
        "properties": {"bandit-extra": true}}]});
    std::fs::write(sim.workspace().join("bandit.sarif"), bandit.to_string()).unwrap();
    std::fs::write(sim.workspace().join("broken.sarif"), "{\"runs\": 3}").unwrap();
    sim.set("INPUT_MERGE-SARIF", "bandit.sarif\nbroken.sarif");
    sim.set("INPUT_FAIL-ON", "critical");
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 0, "other tools' findings don't trip fail-on\n{log}");
    assert!(
        log.contains("::error::merge-sarif: ") && log.contains("broken.sarif is not valid SARIF"),
        "{log}"
    );
    let (_, sarif) = server.with(|s| s.uploads[0].clone());
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[2]["automationDetails"]["id"], "bandit/");
    assert_eq!(runs[2]["properties"]["bandit-extra"], true);
    let run = server.with(|s| s.check_runs[0].clone());
    assert!(run
        .annotations
        .iter()
        .any(|a| a["title"].as_str().unwrap().contains("B201")));
    assert!(server.comments(7)[0]
        .body
        .contains("B201: flask_debug_true (Bandit)"));
    assert_clean(&server);
}

#[test]
fn no_token_still_writes_summary_outputs_and_annotations() {
    let server = FakeGitHub::start("");
    let mut sim = Sim::pull_request(&server);
    sim.set("INPUT_TOKEN", "");
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert!(server.requests().is_empty());
    assert!(log.contains("::warning::no token"));
    assert!(log.contains("::error file=app.py"));
    assert_eq!(sim.outputs()["findings"], "2");
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let server = FakeGitHub::start("");
    let mut sim = Sim::pull_request(&server);
    sim.set("INPUT_ANNOTATIONS", "sometimes");
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 2);
    assert!(
        log.contains("::error::flaskscan: input `annotations`"),
        "{log}"
    );
}

#[test]
fn scan_path_prefixes_locations_and_baseline_marks_known_findings_old() {
    let server = FakeGitHub::start("");
    server.with(|s| s.pr_files = vec![]);
    let mut sim = Sim::pull_request(&server);
    let baseline = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "flaskscan"}},
        "results": [{"ruleId": "FS101", "message": {"text": "x"}, "partialFingerprints": {"flaskscan/v1": "fp-old"}}]}]});
    std::fs::write(sim.workspace().join("base.sarif"), baseline.to_string()).unwrap();
    sim.set("INPUT_PATH", "./services/web");
    sim.set("INPUT_BASELINE", "base.sarif");
    std::fs::create_dir_all(sim.workspace().join("services/web")).unwrap();
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1, "fp-new is absent from the baseline\n{log}");
    assert_eq!(sim.outputs()["new-findings"], "1");
    let (_, sarif) = server.with(|s| s.uploads[0].clone());
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"],
        "services/web/app.py"
    );
    let run = server.with(|s| s.check_runs[0].clone());
    assert_eq!(run.annotations[0]["path"], "services/web/app.py");
}

#[test]
fn run_action_is_callable_with_the_process_environment_shape() {
    // `run_action` prints to stdout; here only its signature and error path are exercised.
    let env = ActionEnv::from_pairs([("INPUT_FAIL-ON", "high")]);
    assert_eq!(
        run_action(&env, &Canned::standard()).unwrap(),
        2,
        "GITHUB_REPOSITORY is required"
    );
}

// ---------------------------------------------------------------------------------------------
// The fault matrix: every failure GitHub can answer with, on every channel. In each case the
// channel retries or degrades, a warning names the cause, the exit code follows `fail-on`
// only, and there is never a second comment.

/// The `::warning::` lines of a log, but for the expected note about the suppressed finding.
fn warnings(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.starts_with("::warning::") && !l.contains("suppressed results left out"))
        .collect()
}

/// Asserts that one warning contains every part.
fn assert_warns(log: &str, parts: &[&str]) {
    assert!(
        warnings(log)
            .iter()
            .any(|w| parts.iter().all(|p| w.contains(p))),
        "no warning with {parts:?} in:\n{log}"
    );
}

/// flaskscan's comments on PR 7.
fn our_comments(server: &FakeGitHub) -> usize {
    server
        .comments(7)
        .iter()
        .filter(|c| c.body.starts_with("<!-- flaskscan:summary v1 -->"))
        .count()
}

/// The write channels, as (name in the warning, method, path of the write).
const CHANNELS: [(&str, &str, &str); 3] = [
    (
        "code scanning upload failed",
        "POST",
        "/code-scanning/sarifs",
    ),
    ("check run annotations failed", "POST", "/check-runs"),
    ("PR comment failed", "POST", "/issues/7/comments"),
];

#[test]
fn client_errors_on_each_write_channel_degrade_that_channel_with_the_cause() {
    let causes = [
        (401, "Bad credentials", "GitHub rejected the token"),
        (
            404,
            "Not Found",
            "not found: the repository or pull request is gone",
        ),
        (413, "Payload Too Large", "too large"),
        (422, "Validation Failed", "validation failed"),
    ];
    for (channel, method, path) in CHANNELS {
        for (status, message, cause) in causes {
            let server = FakeGitHub::start("");
            pr_files(&server);
            server.fault(Fault::new(method, path, status).message(message));
            let sim = Sim::pull_request(&server);
            let (code, log) = sim.run(&Canned::standard());
            let case = format!("{status} on {method} {path}");
            assert_eq!(code, 1, "{case}: exit code follows fail-on\n{log}");
            assert_warns(&log, &[channel, &format!("returned {status}"), cause]);
            assert!(
                sim.summary().contains(channel),
                "{case}: the summary names it"
            );
            assert!(our_comments(&server) <= 1, "{case}: one comment at most");
            // The finding is annotated one way or the other.
            let check_annotated =
                server.with(|s| s.check_runs.iter().any(|r| !r.annotations.is_empty()));
            assert!(
                check_annotated || log.contains("::error file=app.py"),
                "{case}: annotations lost\n{log}"
            );
            match (status, path) {
                // A bad token is bad for everything: the channels after it are not tried.
                (401, _) => {
                    assert!(
                        log.contains("skipped: GitHub rejected the token (401)")
                            || path == "/issues/7/comments",
                        "{case}\n{log}"
                    );
                    assert!(log.contains("Check the `token` input"), "{case}\n{log}");
                    let after = server
                        .requests()
                        .into_iter()
                        .skip_while(|r| !(r.method == method && r.path.ends_with(path)))
                        .count();
                    assert_eq!(after, 1, "{case}: nothing sent after the 401");
                }
                // Too large: a log this small cannot be cut (see the test after this one).
                (413, "/code-scanning/sarifs") => {
                    assert_eq!(server.count("POST", path), 1, "{case}");
                    assert_warns(&log, &["refused as too large", "it cannot be made smaller"]);
                }
                // Other refusals are not retried.
                _ => assert_eq!(server.count(method, path), 1, "{case}"),
            }
            if path == "/check-runs" {
                assert!(
                    log.contains("::error file=app.py"),
                    "{case}: workflow commands instead"
                );
            } else if status != 401 {
                let runs = server.with(|s| s.check_runs.clone());
                assert!(runs.iter().all(|r| r.status == "completed"), "{case}");
            }
            if path != "/issues/7/comments" && status != 401 {
                assert_eq!(
                    our_comments(&server),
                    1,
                    "{case}: the comment still goes out"
                );
            }
            assert_clean(&server);
        }
    }
}

#[test]
fn a_refused_annotation_batch_still_completes_the_check_run() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    server.fault(
        Fault::new("PATCH", "/check-runs/1001", 422)
            .message("Validation Failed")
            .times(1),
    );
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert_warns(
        &log,
        &[
            "check run annotations failed",
            "returned 422",
            "validation failed",
        ],
    );
    let run = server.with(|s| s.check_runs[0].clone());
    assert_eq!(run.status, "completed", "never left in progress");
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert!(
        log.contains("::error file=app.py"),
        "workflow commands instead\n{log}"
    );
    assert_eq!(our_comments(&server), 1);
    assert_clean(&server);
}

#[test]
fn server_errors_are_retried_a_bounded_number_of_times_then_degrade() {
    for status in [500, 502, 503] {
        for retry_after in [None, Some("7")] {
            let server = FakeGitHub::start("");
            pr_files(&server);
            for (_, method, path) in CHANNELS {
                let mut fault = Fault::new(method, path, status).message("Server Error");
                if let Some(after) = retry_after {
                    fault = fault.header("Retry-After", after);
                }
                server.fault(fault);
            }
            let sim = Sim::pull_request(&server);
            let (code, log) = sim.run(&Canned::standard());
            let case = format!("{status}, retry-after {retry_after:?}");
            assert_eq!(code, 1, "{case}\n{log}");
            // The upload replaces itself when sent twice: retried up to 4 attempts.
            assert_eq!(server.count("POST", "/code-scanning/sarifs"), 4, "{case}");
            assert_warns(
                &log,
                &[
                    "code scanning upload failed",
                    &format!("returned {status}"),
                    "a GitHub server error; 4 attempts",
                ],
            );
            // The check run too, but the commit's runs are listed before each new POST (a
            // duplicate would hang in progress).
            assert_eq!(server.count("POST", "/check-runs"), 4, "{case}");
            assert_eq!(
                server.count("GET", &format!("/commits/{HEAD_SHA}/check-runs")),
                3,
                "{case}"
            );
            assert_warns(
                &log,
                &[
                    "check run annotations failed",
                    "a GitHub server error; 4 attempts",
                    "using workflow commands instead",
                ],
            );
            assert!(log.contains("::error file=app.py"), "{case}");
            // The comment is retried too, but the comments are listed before each new POST.
            assert_eq!(server.count("POST", "/issues/7/comments"), 4, "{case}");
            assert_eq!(server.count("GET", "/issues/7/comments"), 4, "{case}");
            assert_warns(
                &log,
                &["PR comment failed", "a GitHub server error; 4 attempts"],
            );
            assert_eq!(our_comments(&server), 0, "{case}");
            match retry_after {
                Some(_) => assert!(
                    log.contains("; waiting 7 s"),
                    "{case}: retry-after honoured\n{log}"
                ),
                None => assert!(
                    log.contains("; waiting 1 s") && log.contains("; waiting 2 s"),
                    "{case}: backoff\n{log}"
                ),
            }
            assert_clean(&server);
        }
    }
}

#[test]
fn a_retry_after_longer_than_the_cap_is_not_waited() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    server.fault(Fault::new("POST", "/code-scanning/sarifs", 503).header("Retry-After", "3600"));
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert_eq!(server.count("POST", "/code-scanning/sarifs"), 1);
    assert_warns(
        &log,
        &[
            "code scanning upload failed",
            "GitHub asks to wait 3600 s, longer than the 120 s flaskscan waits",
        ],
    );
    assert_eq!(our_comments(&server), 1, "the other channels go on");
    assert_clean(&server);
}

#[test]
fn a_comment_created_despite_a_server_error_is_edited_not_posted_again() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    // Every POST creates the comment and then answers 502.
    server.fault(Fault::new("POST", "/issues/7/comments", 502).process_anyway());
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert_eq!(server.count("POST", "/issues/7/comments"), 1);
    assert_eq!(our_comments(&server), 1);
    assert!(log.contains("Updated PR comment"), "{log}");
    assert!(
        warnings(&log).iter().all(|w| !w.contains("PR comment")),
        "{log}"
    );
    assert_clean(&server);
}

fn epoch_in(seconds: u64) -> String {
    (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + seconds)
        .to_string()
}

#[test]
fn primary_rate_limit_waits_for_the_reset() {
    for status in [403, 429] {
        let server = FakeGitHub::start("");
        pr_files(&server);
        server.fault(
            Fault::new("POST", "/issues/7/comments", status)
                .message("API rate limit exceeded for installation ID 1.")
                .header("x-ratelimit-remaining", "0")
                .header("x-ratelimit-reset", &epoch_in(20))
                .times(1),
        );
        let sim = Sim::pull_request(&server);
        let (code, log) = sim.run(&Canned::standard());
        assert_eq!(code, 1);
        assert!(
            log.contains(
                "POST /repos/octo/shop/issues/7/comments: rate limit used up, it resets in 2"
            ),
            "{status}\n{log}"
        );
        assert_eq!(
            server.count("POST", "/issues/7/comments"),
            2,
            "refused, so sent again"
        );
        assert_eq!(our_comments(&server), 1);
        assert!(warnings(&log).is_empty(), "{log}");
        assert_clean(&server);
    }
}

#[test]
fn primary_rate_limit_past_the_cap_degrades_every_channel_at_once() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    // The first call finds the hour's quota gone.
    server.fault(
        Fault::new("GET", "/pulls/7/files", 403)
            .message("API rate limit exceeded for installation ID 1.")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", &epoch_in(3000)),
    );
    let mut sim = Sim::pull_request(&server);
    sim.set("INPUT_FAIL-ON", "critical");
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 0, "fail-on=critical: nothing fails\n{log}");
    assert_eq!(server.requests().len(), 1, "nothing more is sent");
    assert_warns(
        &log,
        &[
            "only-new: cannot list",
            "rate limit used up, it resets in",
            "longer than the 120 s flaskscan waits",
            "every finding counts as new",
        ],
    );
    assert!(
        !log.contains("Add `permissions"),
        "a rate limit is not a permission problem\n{log}"
    );
    for channel in [
        "code scanning upload skipped: rate limited",
        "check run skipped: rate limited",
        "PR comment skipped: rate limited",
    ] {
        assert_warns(&log, &[channel]);
    }
    assert!(log.contains("::error file=app.py") && log.contains("::error file=old.py"));
    assert_eq!(sim.outputs()["new-findings"], "2");
    assert_clean(&server);
}

#[test]
fn secondary_rate_limit_with_retry_after_waits_as_told() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    server.fault(
        Fault::new("POST", "/check-runs", 403)
            .message("You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
            .header("retry-after", "30")
            .times(2),
    );
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert_eq!(server.count("POST", "/check-runs"), 3);
    assert_eq!(
        log.matches("rate limited, GitHub asks to wait 30 s")
            .count(),
        2,
        "{log}"
    );
    let runs = server.with(|s| s.check_runs.clone());
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "completed");
    assert!(warnings(&log).is_empty(), "{log}");
    assert_clean(&server);
}

#[test]
fn secondary_rate_limit_without_a_time_backs_off_from_a_minute_then_degrades() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    server.fault(
        Fault::new("POST", "/issues/7/comments", 403)
            .message("You have exceeded a secondary rate limit and have been temporarily blocked from content creation."),
    );
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert!(
        log.contains("secondary rate limit; retrying (attempt 2 of 4); waiting 60 s"),
        "{log}"
    );
    assert!(
        log.contains("secondary rate limit; retrying (attempt 3 of 4); waiting 120 s"),
        "{log}"
    );
    assert_eq!(server.count("POST", "/issues/7/comments"), 3);
    assert_warns(
        &log,
        &[
            "PR comment failed",
            "GitHub's API rate limit",
            "secondary rate limit, longer than the 120 s flaskscan waits",
            "the next run publishes again",
        ],
    );
    assert_eq!(our_comments(&server), 0);
    assert_clean(&server);
}

#[test]
fn timeouts_are_retried_where_safe_and_degrade_elsewhere() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    // The timeout is 1 s; every answer below comes after 3 s.
    let late = Duration::from_secs(3);
    server.fault(Fault::new("GET", "/pulls/7/files", 200).delay(late));
    server.fault(Fault::new("POST", "/check-runs", 201).delay(late).times(1));
    // The comment is written, but the answer never arrives in time.
    server.fault(
        Fault::new("POST", "/issues/7/comments", 201)
            .delay(late)
            .process_anyway()
            .times(1),
    );
    let mut sim = Sim::pull_request(&server);
    sim.set("FLASKSCAN_GITHUB_TIMEOUT", "1");
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert_eq!(
        server.count("GET", "/pulls/7/files"),
        4,
        "reads are retried, bounded"
    );
    assert_warns(
        &log,
        &[
            "only-new: cannot list",
            "no answer from GitHub (timeout or network error); 4 attempts",
            "every finding counts as new",
        ],
    );
    // Not created by the first POST (no run with its external_id): posted again.
    assert_eq!(server.count("POST", "/check-runs"), 2);
    assert_eq!(
        server.count("GET", &format!("/commits/{HEAD_SHA}/check-runs")),
        1
    );
    let runs = server.with(|s| s.check_runs.clone());
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "completed");
    assert_eq!(runs[0].annotations.len(), 2, "every finding is new");
    assert_eq!(server.count("POST", "/issues/7/comments"), 1);
    assert_eq!(
        our_comments(&server),
        1,
        "found by listing again, not posted twice"
    );
    assert!(log.contains("Updated PR comment"), "{log}");
    assert_eq!(sim.outputs()["new-findings"], "2");
}

/// An event payload like `pull_request.json` whose PR changes `files` files.
fn event_with_changed_files(sim: &mut Sim, files: u64) {
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("pull_request.json")).unwrap())
            .unwrap();
    event["pull_request"]["changed_files"] = json!(files);
    let path = sim.dir.path().join("event.json");
    std::fs::write(&path, event.to_string()).unwrap();
    sim.set("GITHUB_EVENT_PATH", &path.display().to_string());
}

/// 3,001 changed files; `old.py` is the last, past what GitHub lists.
fn many_pr_files(server: &FakeGitHub) {
    pr_files(server);
    server.with(|s| {
        s.pr_files.truncate(1);
        for i in 0..2999 {
            s.pr_files.push(json!({"filename": format!("gen/f{i}.py"), "status": "added", "patch": "@@ -0,0 +1 @@\n+x = 1"}));
        }
        s.pr_files.push(json!({"filename": "old.py", "status": "modified", "patch": "@@ -9,1 +10,1 @@\n+app.run(debug=True)"}));
    });
}

#[test]
fn a_pull_request_over_3000_files_falls_back_to_the_baseline_or_counts_everything_new() {
    // Without a baseline: every finding is new, said in a warning.
    for changed_files in [Some(3001), None] {
        let server = FakeGitHub::start("");
        many_pr_files(&server);
        let mut sim = Sim::pull_request(&server);
        if let Some(n) = changed_files {
            event_with_changed_files(&mut sim, n);
        }
        let (code, log) = sim.run(&Canned::standard());
        assert_eq!(code, 1);
        assert_eq!(
            server.count("GET", "/pulls/7/files"),
            30,
            "every page GitHub serves"
        );
        let total = if changed_files.is_some() {
            "3001 files, more than the 3000 files"
        } else {
            "more than the 3000 files"
        };
        assert_warns(
            &log,
            &[
                "only-new: the pull request changes",
                total,
                "(3000 listed)",
                "every finding counts as new",
            ],
        );
        assert_eq!(sim.outputs()["new-findings"], "2", "{log}");
        assert_eq!(server.with(|s| s.check_runs[0].annotations.len()), 2);
        assert_clean(&server);
    }
    // With a baseline: it alone decides.
    let server = FakeGitHub::start("");
    many_pr_files(&server);
    let mut sim = Sim::pull_request(&server);
    event_with_changed_files(&mut sim, 3001);
    let baseline = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "flaskscan"}},
        "results": [{"ruleId": "FS101", "message": {"text": "x"}, "partialFingerprints": {"flaskscan/v1": "fp-old"}}]}]});
    std::fs::write(sim.workspace().join("base.sarif"), baseline.to_string()).unwrap();
    sim.set("INPUT_BASELINE", "base.sarif");
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert_warns(
        &log,
        &[
            "only-new: the pull request changes 3001 files",
            "new findings are those absent from the baseline",
        ],
    );
    assert_eq!(
        sim.outputs()["new-findings"],
        "1",
        "fp-old is in the baseline\n{log}"
    );
    assert_eq!(server.with(|s| s.check_runs[0].annotations.len()), 1);
    assert_clean(&server);
}

#[test]
fn a_pull_request_of_exactly_the_listed_files_uses_them() {
    let server = FakeGitHub::start("");
    many_pr_files(&server);
    server.with(|s| {
        s.pr_files.pop();
    });
    let mut sim = Sim::pull_request(&server);
    event_with_changed_files(&mut sim, 3000);
    let (_, log) = sim.run(&Canned::standard());
    assert!(warnings(&log).is_empty(), "{log}");
    assert_eq!(sim.outputs()["new-findings"], "1");
}

/// Dependency findings with long, non-ASCII messages: their table has no row limit.
struct ManyDeps(usize);

impl Scanner for ManyDeps {
    fn scan(&self, request: &ScanRequest) -> anyhow::Result<ScanOutput> {
        let mut out = Canned::standard().scan(request)?;
        let rule = flaskscan::rules::by_id("FS601").unwrap();
        for i in 0..self.0 {
            let mut f = finding(
                "requirements.txt",
                i as u32 + 1,
                &format!("fp-dep-{i}"),
                false,
            );
            f.rule = rule;
            f.severity = Severity::Medium;
            f.message = format!(
                "paquet-{i} 1.0 est vulnérable — ünïcödé ✓ {}",
                "é".repeat(300)
            );
            let mut result = sarif_result(&f);
            result["ruleIndex"] = json!(1);
            result["level"] = json!("warning");
            out.sarif["runs"][0]["results"]
                .as_array_mut()
                .unwrap()
                .push(result);
            out.report.findings.push(f);
        }
        out.sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array_mut()
            .unwrap()
            .push(
                json!({"id": "FS601", "shortDescription": {"text": "Vulnerable dependency"},
                "properties": {"security-severity": "5.0"}}),
            );
        Ok(out)
    }
}

#[test]
fn a_summary_over_the_comment_limit_is_cut_with_a_note_never_refused() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&ManyDeps(400));
    assert_eq!(code, 1);
    let comments = server.comments(7);
    assert_eq!(comments.len(), 1, "{log}");
    let body = &comments[0].body;
    assert!(body.chars().count() <= 65_536);
    assert!(body.len() > 50_000, "filled up to the limit, not cut short");
    assert!(
        body.contains("more findings are not listed here"),
        "the cut is said"
    );
    assert!(body.ends_with("</details>\n"), "the scan details stay");
    assert!(warnings(&log).is_empty(), "{log}");
    // The job summary has room for all of them.
    assert!(!sim.summary().contains("more findings are not listed here"));
    assert_clean(&server);
}

#[test]
fn the_marker_comment_on_a_late_page_of_hundreds_is_edited_not_duplicated() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    server.with(|s| {
        let mut comments: Vec<support::fake_github::Comment> = (0..450)
            .map(|i| support::fake_github::Comment {
                id: 10 + i,
                body: if i == 120 {
                    "> <!-- flaskscan:summary v1 -->\n> quoted by a reviewer".into()
                } else {
                    format!("comment {i}")
                },
                user_type: "User",
            })
            .collect();
        comments[430] = support::fake_github::Comment {
            id: 440,
            body: "<!-- flaskscan:summary v1 -->\n\n## flaskscan\n\nold".into(),
            user_type: "Bot",
        };
        s.comments.insert(7, comments);
    });
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert_eq!(
        server.count("GET", "/issues/7/comments"),
        5,
        "every page walked"
    );
    assert_eq!(server.count("POST", "/issues/7/comments"), 0);
    assert_eq!(server.count("PATCH", "/issues/comments/440"), 1, "{log}");
    let comments = server.comments(7);
    assert_eq!(comments.len(), 450);
    assert!(comments[430].body.contains("**2** findings, **1** new"));
    assert_clean(&server);
}

#[test]
fn an_upload_refused_as_too_large_is_sent_once_more_at_half_the_size() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    server.fault(
        Fault::new("POST", "/code-scanning/sarifs", 413)
            .message("Payload Too Large")
            .times(1),
    );
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&ManyDeps(400));
    assert_eq!(code, 1);
    assert_eq!(server.count("POST", "/code-scanning/sarifs"), 2);
    assert_warns(
        &log,
        &[
            "refused as too large",
            "returned 413",
            "sending it once more at half the size",
        ],
    );
    assert_warns(
        &log,
        &["least severe results left out of the upload to fit"],
    );
    let (_, sarif) = server.with(|s| s.uploads[0].clone());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() < 402, "results were left out");
    assert!(
        results.iter().filter(|r| r["ruleId"] == "FS101").count() == 2,
        "the most severe stay"
    );
    assert!(log.contains("Uploaded to code scanning"), "{log}");
    assert_clean(&server);
}

#[test]
fn a_check_run_created_despite_a_server_error_is_completed_not_created_again() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    server.fault(
        Fault::new("POST", "/check-runs", 502)
            .process_anyway()
            .times(1),
    );
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert_eq!(server.count("POST", "/check-runs"), 1);
    let runs = server.with(|s| s.check_runs.clone());
    assert_eq!(runs.len(), 1, "{log}");
    assert!(runs[0]
        .external_id
        .as_deref()
        .is_some_and(|id| id.starts_with("flaskscan-")));
    assert_eq!(runs[0].status, "completed");
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
    assert_eq!(runs[0].annotations.len(), 1);
    assert!(
        log.contains(
            "server error 502 (the check run may exist now); listing the commit's check runs"
        ),
        "{log}"
    );
    assert!(warnings(&log).is_empty(), "{log}");
    assert_clean(&server);
}

#[test]
fn an_annotation_batch_answered_with_a_server_error_is_not_added_twice() {
    // Added, then a 502: the run's count shows it landed. Not added, a 502: sent again.
    for processed in [true, false] {
        let server = FakeGitHub::start("");
        pr_files(&server);
        let mut fault = Fault::new("PATCH", "/check-runs/1001", 502).times(1);
        if processed {
            fault = fault.process_anyway();
        }
        server.fault(fault);
        let sim = Sim::pull_request(&server);
        let (code, log) = sim.run(&Canned::standard());
        assert_eq!(code, 1);
        assert_eq!(server.count("GET", "/check-runs/1001"), 1, "{log}");
        assert_eq!(
            server.count("PATCH", "/check-runs/1001"),
            if processed { 2 } else { 3 },
            "annotations, (again,) completion"
        );
        let run = server.with(|s| s.check_runs[0].clone());
        assert_eq!(run.annotations.len(), 1, "processed={processed}\n{log}");
        assert_eq!(run.status, "completed");
        assert!(warnings(&log).is_empty(), "{log}");
        assert_clean(&server);
    }
}

#[test]
fn a_pull_request_gone_is_a_warning_and_every_finding_counts_as_new() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    for (method, path) in [
        ("GET", "/pulls/7/files"),
        ("GET", "/issues/7/comments"),
        ("POST", "/issues/7/comments"),
    ] {
        server.fault(Fault::new(method, path, 404).message("Not Found"));
    }
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert_eq!(
        server.count("GET", "/pulls/7/files"),
        1,
        "a 404 is not retried"
    );
    assert_warns(
        &log,
        &[
            "only-new: cannot list the pull request's files",
            "returned 404",
            "the repository or pull request is gone",
            "every finding counts as new",
        ],
    );
    assert_warns(&log, &["PR comment failed", "returned 404"]);
    assert_eq!(server.count("POST", "/issues/7/comments"), 0);
    assert_eq!(sim.outputs()["new-findings"], "2");
    assert_clean(&server);
}

#[test]
fn a_comment_deleted_between_listing_and_editing_is_posted_anew() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    // The first listing still shows our comment; by the time it is edited it is gone.
    server.fault(
        Fault::new("GET", "/issues/7/comments", 200)
            .body(
                json!([{"id": 500, "body": "<!-- flaskscan:summary v1 -->\n\nold",
                "user": {"login": "github-actions[bot]", "type": "Bot"}}]),
            )
            .times(1),
    );
    let sim = Sim::pull_request(&server);
    let (code, log) = sim.run(&Canned::standard());
    assert_eq!(code, 1);
    assert_eq!(server.count("PATCH", "/issues/comments/500"), 1);
    assert_eq!(server.count("POST", "/issues/7/comments"), 1, "{log}");
    assert_eq!(our_comments(&server), 1);
    assert!(warnings(&log).is_empty(), "{log}");
    assert_clean(&server);
}

/// A route of `views.py` whose decorators start two lines above its `def`.
fn route(endpoint: &str, methods: &[&str], auth: Auth, def: u32) -> RouteEntry {
    let at = Position {
        line: def,
        column: 5,
        column_utf16: 5,
    };
    RouteEntry {
        rule: format!("/items/{endpoint}"),
        subdomain: None,
        methods: methods.iter().map(|m| m.to_string()).collect(),
        endpoint: format!("items.{endpoint}"),
        path: "views.py".into(),
        line: def,
        auth,
        roles: if auth == Auth::Required {
            vec!["editor".into()]
        } else {
            Vec::new()
        },
        protections: Vec::new(),
        unknown: Vec::new(),
        view: format!("views.{endpoint}"),
        location: Location {
            path: "views.py".into(),
            start: at,
            end: at,
        },
        declared: vec![LineSpan {
            path: "views.py".into(),
            start: def - 2,
            end: def,
        }],
        body: None,
        guards: Vec::new(),
    }
}

fn items_routes() -> Vec<RouteEntry> {
    vec![
        route("archive", &["POST"], Auth::Required, 12),
        route("show", &["GET"], Auth::None, 22),
        route("purge", &["POST"], Auth::None, 32),
        route("old", &["DELETE"], Auth::None, 52),
    ]
}

/// The PR adds `views.py` lines 10-12 (`archive`), 22 (`show`'s `def`) and 30-32 (`purge`).
fn pr_files_with_routes(server: &FakeGitHub) {
    pr_files(server);
    server.with(|s| {
        s.pr_files.push(json!({"filename": "views.py", "status": "modified", "additions": 7, "deletions": 0, "changes": 7,
            "patch": "@@ -9,0 +10,3 @@\n+@bp.post('/archive')\n+@role_required('editor')\n+def archive():\n@@ -18,1 +22,1 @@\n-def show_old():\n+def show():\n@@ -25,0 +30,3 @@\n+@bp.post('/purge')\n+@audit_log\n+def purge():"}));
    });
}

/// The "Routes this pull request adds or changes" table rows of a summary.
fn route_rows(markdown: &str) -> Vec<String> {
    let Some((_, section)) = markdown.split_once("### Routes this pull request adds or changes")
    else {
        return Vec::new();
    };
    section
        .lines()
        .skip_while(|l| !l.starts_with("|---"))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_pull_request_adding_an_unprotected_post_route_lists_it_first() {
    let server = FakeGitHub::start("");
    pr_files_with_routes(&server);
    let sim = Sim::pull_request(&server);
    let (_, log) = sim.run(&Canned::with_routes(items_routes()));
    let comment = server
        .comments(7)
        .into_iter()
        .find(|c| c.body.starts_with("<!-- flaskscan:summary v1 -->"))
        .expect("our comment");
    let rows = route_rows(&comment.body);
    assert_eq!(rows.len(), 3, "{}\n{log}", comment.body);
    assert!(rows[0].contains("`/items/purge`"), "{rows:#?}");
    assert!(rows[0].contains("| **none** |"), "{rows:#?}");
    assert!(
        rows[0].contains(&format!(
            "[views.py:32](https://github.com/{OWNER}/{REPO}/blob/{HEAD_SHA}/views.py#L32)"
        )),
        "{rows:#?}"
    );
    assert!(rows[1].contains("`/items/archive`") && rows[1].contains("required, roles: editor"));
    // A GET without protection is listed, not in bold.
    assert!(rows[2].contains("`/items/show`") && rows[2].ends_with("| none |"));
    assert!(!comment.body.contains("/items/old"));
    // The job summary has the same section; the PR's files were listed once.
    assert_eq!(route_rows(&sim.summary()), rows);
    assert_eq!(server.count("GET", "/pulls/7/files"), 1);
    assert_clean(&server);
}

#[test]
fn a_pull_request_touching_no_route_has_no_routes_section() {
    let server = FakeGitHub::start("");
    pr_files(&server);
    let mut sim = Sim::pull_request(&server);
    // Without only-new the lines are fetched for the section (and suggestions) once.
    sim.set("INPUT_ONLY-NEW", "false");
    sim.run(&Canned::with_routes(items_routes()));
    let comment = server
        .comments(7)
        .into_iter()
        .find(|c| c.body.starts_with("<!-- flaskscan:summary v1 -->"))
        .expect("our comment");
    assert!(
        !comment.body.contains("Routes this pull request"),
        "{}",
        comment.body
    );
    assert!(!sim.summary().contains("Routes this pull request"));
    assert_eq!(server.count("GET", "/pulls/7/files"), 1);
    assert_clean(&server);
}
