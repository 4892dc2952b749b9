//! `flaskscan github`: inputs → scan → SARIF file → code scanning, annotations, PR comment,
//! job summary → outputs.
//!
//! Every publishing channel degrades on its own: a refused call (401/403/404, a fork PR's
//! read-only token, no code security) skips that channel with a warning naming the permission to
//! add, and the rest still go out. The exit code comes only from `fail-on`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::alert::{sort_by_severity, Alert};
use super::checks::{CheckRun, Conclusion};
use super::client::{ApiError, Client, Timing};
use super::code_scanning::{self, UploadOutcome};
use super::comment::{self, CommentAction};
use super::context::{
    existing_inside, output_inside, ActionEnv, AnnotationMode, Inputs, RunContext,
};
use super::diff::{self, Baseline, ChangedLines, NewFilter};
use super::merge;
use super::routes;
use super::suggestions::{self, Suggestion};
use super::summary::{self, SummaryInput};
use crate::finding::Severity;
use crate::report::commands;
use crate::scan::ScanReport;

/// The job summary file is capped at 1 MiB per step.
const MAX_STEP_SUMMARY: usize = 1024 * 1024;

/// Exit code for bad inputs or a failed scan (findings over the threshold exit 1).
pub const EXIT_ERROR: i32 = 2;

/// What the action asks of the scanner.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// Absolute directory to scan.
    pub root: PathBuf,
    pub config: Option<PathBuf>,
    /// `auto`, `online` or `offline`.
    pub advisories: Option<String>,
    /// Whether the report must carry the route inventory (on pull requests, for the routes
    /// section).
    pub routes: bool,
}

/// A finished scan: the report and its SARIF log (one run per category).
pub struct ScanOutput {
    pub report: ScanReport,
    pub sarif: Value,
}

/// Runs the scan; the CLI passes the real pipeline, tests a canned report.
pub trait Scanner {
    /// Scans `request.root`.
    fn scan(&self, request: &ScanRequest) -> anyhow::Result<ScanOutput>;
}

/// Runs the action with the process environment, printing to stdout; returns the exit code.
pub fn run_action(env: &ActionEnv, scanner: &dyn Scanner) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out =
        crate::redact::ScrubbingWriter::new(stdout.lock(), crate::redact::process_secrets());
    run_action_to(env, scanner, &mut out)
}

/// [`run_action`] writing its log and workflow commands to `out`.
pub fn run_action_to(
    env: &ActionEnv,
    scanner: &dyn Scanner,
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    let inputs = match Inputs::from_env(env) {
        Ok(i) => i,
        Err(e) => {
            writeln!(out, "{}", commands::error(&format!("flaskscan: {e:#}")))?;
            return Ok(EXIT_ERROR);
        }
    };
    let ctx = match RunContext::from_env(env) {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "{}", commands::error(&format!("flaskscan: {e:#}")))?;
            return Ok(EXIT_ERROR);
        }
    };
    // Test knobs: every wait multiplied by the scale; the per-request timeout in seconds.
    let mut timing = match env
        .var("FLASKSCAN_GITHUB_TIME_SCALE")
        .and_then(|s| s.parse::<f64>().ok())
    {
        Some(scale) => Timing::scaled(scale),
        None => Timing::default(),
    };
    if let Some(timeout) = env
        .var("FLASKSCAN_GITHUB_TIMEOUT")
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|t| t.is_finite() && *t > 0.0)
    {
        timing.timeout = Duration::from_secs_f64(timeout);
    }
    let mut run = Run {
        out,
        notes: Vec::new(),
    };
    run.execute(&inputs, &ctx, scanner, timing)
}

/// One action run's state: where messages go and what to mention in the summary.
struct Run<'o> {
    out: &'o mut dyn Write,
    /// Things the summary should mention (channels skipped, upload status).
    notes: Vec<String>,
}

impl Run<'_> {
    fn log(&mut self, line: &str) {
        let _ = writeln!(self.out, "{line}");
    }

    fn warn(&mut self, text: String) {
        self.log(&commands::warning(&text));
        self.notes.push(text);
    }

    fn execute(
        &mut self,
        inputs: &Inputs,
        ctx: &RunContext,
        scanner: &dyn Scanner,
        timing: Timing,
    ) -> anyhow::Result<i32> {
        let started_at = now_rfc3339();
        let prefix = relative_prefix(&inputs.path);
        let paths = (|| -> anyhow::Result<(ScanRequest, PathBuf)> {
            let request = ScanRequest {
                root: existing_inside(&ctx.workspace, "path", &inputs.path)?,
                config: inputs
                    .config
                    .as_ref()
                    .map(|c| existing_inside(&ctx.workspace, "config", c))
                    .transpose()?,
                advisories: inputs.advisories.clone(),
                routes: ctx.pull_request.as_ref().is_some_and(|p| p.number > 0),
            };
            let sarif = output_inside(&ctx.workspace, "sarif-file", &inputs.sarif_file)?;
            Ok((request, sarif))
        })();
        let (request, sarif_path) = match paths {
            Ok(p) => p,
            Err(e) => {
                self.log(&commands::error(&format!("flaskscan: {e:#}")));
                return Ok(EXIT_ERROR);
            }
        };
        let scanned = match scanner.scan(&request) {
            Ok(s) => s,
            Err(e) => {
                self.log(&commands::error(&format!(
                    "flaskscan: the scan failed: {e:#}"
                )));
                return Ok(EXIT_ERROR);
            }
        };

        // Our SARIF, with repository-relative URIs and the chosen category, plus other tools' logs.
        let mut ours = scanned.sarif;
        merge::rebase_uris(&mut ours, &prefix, &code_scanning::file_uri(&ctx.workspace));
        if let Some(category) = &inputs.category {
            merge::set_category(&mut ours, category);
        }
        let workspace_str = ctx.workspace.to_string_lossy().to_string();
        let mut alerts: Vec<Alert> = scanned
            .report
            .findings
            .iter()
            .map(|f| Alert::from_finding(f, &prefix))
            .collect();
        let mut logs = vec![("flaskscan".to_string(), ours)];
        for path in &inputs.merge_sarif {
            let read = existing_inside(&ctx.workspace, "merge-sarif", path)
                .and_then(|full| merge::read_sarif(&full));
            match read {
                Ok(log) => {
                    alerts.extend(Alert::from_sarif(&log, &workspace_str));
                    logs.push((path.display().to_string(), log));
                }
                Err(e) => {
                    let text = format!("merge-sarif: {e:#}; that file is left out");
                    self.log(&commands::error(&text));
                    self.notes.push(text);
                }
            }
        }
        let merged = match merge::merge_logs(logs) {
            Ok(mut m) => {
                crate::redact::scrub_json(&mut m);
                m
            }
            Err(e) => {
                self.log(&commands::error(&format!("flaskscan: {e:#}")));
                return Ok(EXIT_ERROR);
            }
        };
        if let Err(e) = write_json(&sarif_path, &merged) {
            self.warn(format!("could not write {}: {e:#}", sarif_path.display()));
        }

        let client = self.make_client(inputs, ctx, timing);
        let pr = ctx.pull_request.clone().filter(|p| p.number > 0);
        let only_new = pr.is_some() && inputs.only_new.unwrap_or(true);
        let mut filter = if only_new {
            self.new_filter(
                client.as_ref(),
                inputs,
                ctx,
                pr.as_ref().map_or(0, |p| p.number),
            )
        } else {
            NewFilter::default()
        };

        let suppressed = alerts.iter().filter(|a| a.suppressed).count();
        alerts.retain(|a| !a.suppressed);
        sort_by_severity(&mut alerts);
        let marked: Vec<(Alert, bool)> = alerts
            .into_iter()
            .map(|a| {
                let new = !only_new || filter.is_new(&a);
                (a, new)
            })
            .collect();

        // Exit code and outputs count flaskscan's own unsuppressed findings only.
        let own: Vec<&(Alert, bool)> = marked.iter().filter(|(a, _)| a.own).collect();
        let own_new = own.iter().filter(|(_, n)| *n).count();
        let highest = own.iter().map(|(a, _)| a.severity).max();
        let failing = inputs.fail_on.map_or(0, |threshold| {
            own.iter()
                .filter(|(a, new)| a.severity >= threshold && (*new || !only_new))
                .count()
        });
        // An analysis that could not run (no advisory data) must not pass as a clean result.
        let exit = if !scanned.report.failures.is_empty() {
            EXIT_ERROR
        } else if failing > 0 {
            1
        } else {
            0
        };
        for failure in &scanned.report.failures {
            let text = format!("{failure}; the scan is incomplete");
            self.log(&commands::error(&text));
            self.notes.push(text);
        }

        if inputs.upload_sarif {
            self.upload(client.as_ref(), inputs, ctx, merged, &started_at);
        }

        // The PR's added lines, for the routes section and suggested fixes.
        let routes_wanted = (inputs.pr_comment || ctx.step_summary.is_some())
            && scanned
                .report
                .routes
                .as_ref()
                .is_some_and(|r| !r.is_empty());
        let changed = match &pr {
            Some(pr) if inputs.suggestions || routes_wanted => {
                // only-new already asked for them; when that failed or the list was cut,
                // asking again would fail the same way.
                let uses = if !routes_wanted {
                    "suggested fixes"
                } else if inputs.suggestions {
                    "suggested fixes and the routes section"
                } else {
                    "the routes section"
                };
                if only_new {
                    filter.changed.take()
                } else {
                    self.changed_lines(client.as_ref(), ctx, pr.number, uses)
                }
            }
            _ => None,
        };
        let changed_routes = match (&changed, &scanned.report.routes) {
            (Some(lines), Some(all)) if routes_wanted => routes::changed(all, lines, &prefix),
            _ => Vec::new(),
        };

        let shown: Vec<&Alert> = marked.iter().filter(|(_, n)| *n).map(|(a, _)| a).collect();
        let conclusion = if exit != 0 {
            Conclusion::Failure
        } else if shown.is_empty() {
            Conclusion::Success
        } else {
            Conclusion::Neutral
        };
        let blob_base = ctx
            .head_sha()
            .filter(|s| !s.is_empty())
            .map(|sha| format!("{}/{}/{}/blob/{sha}", ctx.server_url, ctx.owner, ctx.repo));
        let render = |notes: &[String], max: usize| {
            summary::render(
                &SummaryInput {
                    alerts: &marked,
                    only_new,
                    suppressed,
                    stats: &scanned.report.stats,
                    blob_base: blob_base.clone(),
                    notes,
                    run_url: ctx.run_url(),
                    routes: &changed_routes,
                },
                max,
            )
        };
        let title = match (only_new, failing) {
            (_, n) if n > 0 => format!("{n} findings at or above the fail-on severity"),
            (true, _) => format!("{} new findings", shown.len()),
            (false, _) => format!("{} findings", shown.len()),
        };

        let check_summary = render(&self.notes.clone(), 65_535);
        self.annotate(
            client.as_ref(),
            inputs,
            ctx,
            &shown,
            conclusion,
            &title,
            &check_summary,
            &started_at,
        );

        if inputs.pr_comment {
            if let Some(pr) = &pr {
                let body = render(&self.notes.clone(), comment::MAX_BODY);
                self.comment(client.as_ref(), ctx, pr.number, &body);
            }
        }

        if inputs.suggestions {
            if let (Some(pr), Some(changed)) = (&pr, &changed) {
                let list =
                    suggestions::build(&scanned.report.findings, &request.root, &prefix, changed);
                self.suggest(client.as_ref(), ctx, pr.number, &list);
            }
        }

        if let Some(path) = &ctx.step_summary {
            let markdown = render(&self.notes.clone(), MAX_STEP_SUMMARY);
            if let Err(e) = summary::append_step_summary(path, &markdown) {
                self.warn(format!("could not write the job summary: {e:#}"));
            }
        }
        if let Some(path) = &ctx.output {
            let outputs = [
                // As given, relative to the workspace: inside the container the absolute path
                // is under /github/workspace, which later steps on the runner host can't open,
                // while a relative path resolves against their default working directory.
                ("sarif-file", inputs.sarif_file.display().to_string()),
                ("findings", own.len().to_string()),
                ("new-findings", own_new.to_string()),
                (
                    "highest-severity",
                    highest.map_or("none", Severity::as_str).to_string(),
                ),
            ];
            if let Err(e) = summary::write_outputs(path, &outputs) {
                self.warn(format!("could not write the step outputs: {e:#}"));
            }
        }
        let threshold = inputs.fail_on.map_or("none", Severity::as_str);
        self.log(&format!(
            "flaskscan: {} findings ({own_new} new), {failing} at or above fail-on={threshold}; exit code {exit}",
            own.len()
        ));
        Ok(exit)
    }

    fn make_client(&mut self, inputs: &Inputs, ctx: &RunContext, timing: Timing) -> Option<Client> {
        let Some(token) = inputs.token.as_deref() else {
            self.warn(
                "no token: code scanning upload, check run and PR comment are skipped (pass `token: ${{ github.token }}`)"
                    .to_string(),
            );
            return None;
        };
        match Client::new(&ctx.api_url, Some(token), timing) {
            Ok(c) => Some(c),
            Err(e) => {
                self.warn(format!(
                    "cannot reach the GitHub API: {e:#}; publishing is skipped"
                ));
                None
            }
        }
    }

    fn new_filter(
        &mut self,
        client: Option<&Client>,
        inputs: &Inputs,
        ctx: &RunContext,
        number: u64,
    ) -> NewFilter {
        let mut filter = NewFilter::default();
        if let Some(path) = &inputs.baseline {
            match existing_inside(&ctx.workspace, "baseline", path)
                .and_then(|full| Baseline::load(&full))
            {
                Ok(b) => filter.baseline = Some(b),
                Err(e) => self.warn(format!("only-new: baseline ignored: {e:#}")),
            }
        }
        if let Some(client) = client {
            let changed_files = ctx.pull_request.as_ref().and_then(|p| p.changed_files);
            let fetched = ChangedLines::fetch(client, &ctx.repo_route(), number, changed_files);
            self.drain(client);
            match fetched {
                Ok(changed) if changed.incomplete => {
                    let fallback = if filter.baseline.is_some() {
                        "new findings are those absent from the baseline"
                    } else {
                        "every finding counts as new (a `baseline` would tell old findings apart)"
                    };
                    let total = changed_files.map_or("possibly more than".to_string(), |n| {
                        format!("{n} files, more than")
                    });
                    self.warn(format!(
                        "only-new: the pull request changes {total} the {} files GitHub lists ({} listed), so changed lines cannot be trusted; {fallback}",
                        diff::MAX_LISTED_FILES,
                        changed.listed
                    ));
                }
                Ok(changed) => filter.changed = Some(changed),
                Err(e) => self.warn(format!(
                    "only-new: cannot list the pull request's files ({e}); {}. {}",
                    if filter.baseline.is_some() {
                        "new findings are those absent from the baseline"
                    } else {
                        "every finding counts as new"
                    },
                    hint(&e, "pull-requests: read")
                )),
            }
        }
        filter
    }

    /// Logs the client's retry lines.
    fn drain(&mut self, client: &Client) {
        for line in client.take_log() {
            self.log(&format!("flaskscan: {line}"));
        }
    }

    /// Whether `channel` must be skipped because calls are no longer sent (bad token, rate
    /// limit); warns once per channel.
    fn blocked(&mut self, client: &Client, channel: &str, instead: &str) -> bool {
        match client.blocked() {
            Some(why) => {
                self.warn(format!("{channel} skipped: {why}{instead}"));
                true
            }
            None => false,
        }
    }

    fn upload(
        &mut self,
        client: Option<&Client>,
        inputs: &Inputs,
        ctx: &RunContext,
        log: Value,
        started_at: &str,
    ) {
        let Some(client) = client else { return };
        if ctx.read_only_token() {
            self.warn(
                "code scanning upload skipped: pull requests from forks get a read-only token"
                    .into(),
            );
            return;
        }
        if self.blocked(client, "code scanning upload", "") {
            return;
        }
        let checked_out = code_scanning::checked_out_commit(&ctx.workspace);
        let target = match code_scanning::select_target(ctx, inputs, checked_out.as_deref()) {
            Ok(t) => t,
            Err(e) => {
                self.warn(format!("code scanning upload skipped: {e}"));
                return;
            }
        };
        let (log, mut notes) = code_scanning::prepare(log);
        let encoded =
            code_scanning::encode_within(&log, code_scanning::MAX_GZIPPED_BYTES, &mut notes);
        for note in notes.drain(..) {
            self.warn(format!("code scanning: {note}"));
        }
        let Some(mut encoded) = encoded else { return };
        let mut result = code_scanning::upload(client, ctx, &target, encoded.sarif, started_at);
        if let Err(e) = &result {
            if e.status == Some(413) {
                // Something on the way (a proxy, GitHub Enterprise Server) takes less than the
                // documented 10 MB: send once more at half the size, least severe results left out.
                self.drain(client);
                let smaller =
                    code_scanning::encode_within(&log, encoded.gzipped_len / 2, &mut notes);
                self.warn(format!(
                    "code scanning: the upload ({} bytes gzipped) was refused as too large ({e}); {}",
                    encoded.gzipped_len,
                    if smaller.is_some() {
                        "sending it once more at half the size"
                    } else {
                        "it cannot be made smaller"
                    }
                ));
                for note in notes.drain(..) {
                    self.warn(format!("code scanning: {note}"));
                }
                if let Some(smaller) = smaller {
                    encoded = smaller;
                    result = code_scanning::upload(client, ctx, &target, encoded.sarif, started_at);
                }
            }
        }
        self.drain(client);
        match result {
            Ok(UploadOutcome::Complete { id }) => {
                self.log(&format!(
                    "Uploaded to code scanning ({}, analysis {id}).",
                    target.git_ref
                ));
                self.notes.push(format!(
                    "Uploaded to code scanning for `{}`.",
                    target.git_ref
                ));
            }
            Ok(UploadOutcome::Unconfirmed { warning, .. }) => self.warn(warning),
            Err(e) => {
                let extra = if e.status == Some(403) {
                    " On a private repository GitHub Code Security (Advanced Security) must also be enabled."
                } else {
                    ""
                };
                self.warn(format!(
                    "code scanning upload failed: {e}. {}{extra}",
                    hint(&e, "security-events: write")
                ));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn annotate(
        &mut self,
        client: Option<&Client>,
        inputs: &Inputs,
        ctx: &RunContext,
        alerts: &[&Alert],
        conclusion: Conclusion,
        title: &str,
        summary: &str,
        started_at: &str,
    ) {
        let use_checks = match inputs.annotations {
            AnnotationMode::None => return,
            AnnotationMode::Commands => false,
            AnnotationMode::Auto | AnnotationMode::Checks => {
                if ctx.read_only_token() {
                    self.notes
                        .push("Annotations are workflow commands: the fork's token cannot create check runs.".into());
                    false
                } else if let Some(client) = client {
                    ctx.head_sha().is_some_and(|s| !s.is_empty())
                        && !self.blocked(client, "check run", "; annotations are workflow commands")
                } else {
                    false
                }
            }
        };
        if use_checks {
            let client = client.expect("checked above");
            let head = ctx.head_sha().unwrap_or_default();
            let result = self.check_run(
                client, ctx, head, alerts, conclusion, title, summary, started_at,
            );
            self.drain(client);
            match result {
                Ok(()) => return,
                Err(e) => self.warn(format!(
                    "check run annotations failed: {e}; using workflow commands instead. {}",
                    hint(&e, "checks: write")
                )),
            }
        }
        let annotations = alerts
            .iter()
            .filter_map(|a| {
                Some(commands::Annotation {
                    severity: a.severity,
                    file: a.path.clone()?,
                    line: a.start_line,
                    end_line: a.end_line,
                    column: a.start_column,
                    end_column: a.end_column,
                    title: a.title(),
                    message: a.message_or_title(),
                })
            })
            .collect();
        let text = commands::render_annotations(annotations);
        let _ = self.out.write_all(text.as_bytes());
    }

    #[allow(clippy::too_many_arguments)]
    fn check_run(
        &mut self,
        client: &Client,
        ctx: &RunContext,
        head: &str,
        alerts: &[&Alert],
        conclusion: Conclusion,
        title: &str,
        summary: &str,
        started_at: &str,
    ) -> Result<(), ApiError> {
        let run = CheckRun::create(client, &ctx.repo_route(), head, started_at)?;
        let annotated = run.annotate(client, title, alerts);
        // Whatever happened to the annotations, the run must not stay "in progress".
        let completed = run.complete(client, conclusion, title, summary, &now_rfc3339());
        let count = annotated?;
        completed?;
        self.log(&format!(
            "Check run {} completed with {count} annotations.",
            run.id()
        ));
        Ok(())
    }

    fn comment(&mut self, client: Option<&Client>, ctx: &RunContext, number: u64, body: &str) {
        let Some(client) = client else { return };
        if ctx.read_only_token() {
            self.warn("PR comment skipped: pull requests from forks get a read-only token; see the job summary".into());
            return;
        }
        if self.blocked(client, "PR comment", "; the summary is in the job summary") {
            return;
        }
        let result = comment::upsert(client, &ctx.repo_route(), number, body);
        self.drain(client);
        match result {
            Ok(CommentAction::Created(id)) => self.log(&format!("Created PR comment {id}.")),
            Ok(CommentAction::Updated(id)) => self.log(&format!("Updated PR comment {id}.")),
            Err(e) => self.warn(format!(
                "PR comment failed: {e}. {}",
                hint(&e, "pull-requests: write")
            )),
        }
    }
}

impl Run<'_> {
    /// The pull request's added lines, when only-new did not fetch them already; `uses` names
    /// what needs them (suggested fixes, the routes section) for the warning when they fail.
    fn changed_lines(
        &mut self,
        client: Option<&Client>,
        ctx: &RunContext,
        number: u64,
        uses: &str,
    ) -> Option<ChangedLines> {
        let client = client?;
        let changed_files = ctx.pull_request.as_ref().and_then(|p| p.changed_files);
        let fetched = ChangedLines::fetch(client, &ctx.repo_route(), number, changed_files);
        self.drain(client);
        match fetched {
            Ok(changed) => Some(changed),
            Err(e) => {
                self.warn(format!(
                    "{uses} skipped: cannot list the pull request's files ({e}). {}",
                    hint(&e, "pull-requests: read")
                ));
                None
            }
        }
    }

    /// Posts the suggested fixes as one review and removes stale ones.
    fn suggest(
        &mut self,
        client: Option<&Client>,
        ctx: &RunContext,
        number: u64,
        list: &[Suggestion],
    ) {
        let Some(client) = client else { return };
        let Some(commit) = ctx.head_sha().filter(|s| !s.is_empty()) else {
            return;
        };
        if ctx.read_only_token() {
            if !list.is_empty() {
                self.warn("suggested fixes skipped: pull requests from forks get a read-only token; `flaskscan scan --diff` prints them".into());
            }
            return;
        }
        if self.blocked(client, "suggested fixes", "") {
            return;
        }
        let result = suggestions::publish(client, &ctx.repo_route(), number, commit, list);
        self.drain(client);
        match result {
            Ok(p) => {
                if p.posted + p.deleted > 0 || p.kept > 0 {
                    self.log(&format!(
                        "Suggested fixes: {} posted, {} already there, {} stale removed.",
                        p.posted, p.kept, p.deleted
                    ));
                }
                if list.len() > p.posted + p.kept {
                    self.log(&format!(
                        "Suggested fixes: {} more wait for the next run (at most {} per review).",
                        list.len() - p.posted - p.kept,
                        suggestions::MAX_PER_REVIEW
                    ));
                }
            }
            Err(e) => self.warn(format!(
                "suggested fixes failed: {e}. {}",
                hint(&e, "pull-requests: write")
            )),
        }
    }
}

/// The advice for a failed call: which permission to add, or what to check.
fn hint(error: &ApiError, permission: &str) -> String {
    if error.rate_limited {
        "Nothing to change: the next run publishes again.".to_string()
    } else if error.status == Some(401) {
        "Check the `token` input: it must be a valid token (the default `${{ github.token }}` is)."
            .to_string()
    } else if error.is_access_denied() {
        format!(
            "Add `permissions: {permission}` to the job (a fork's pull request cannot have it)."
        )
    } else {
        String::new()
    }
}

/// The scan path relative to the repository root, `/`-separated, without `./`.
fn relative_prefix(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(p) => Some(p.to_string_lossy().to_string()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

fn write_json(path: &Path, value: &Value) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let text = serde_json::to_string_pretty(value)? + "\n";
    std::fs::write(path, crate::redact::scrub(&text).as_bytes())?;
    Ok(())
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
