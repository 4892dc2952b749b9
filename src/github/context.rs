//! What the Actions runner tells us: `INPUT_*` inputs, `GITHUB_*` variables and the event payload.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde_json::Value;

use crate::finding::Severity;

/// The environment of one action run; tests build it by hand instead of touching the process env.
#[derive(Debug, Clone, Default)]
pub struct ActionEnv {
    vars: BTreeMap<String, String>,
}

impl ActionEnv {
    /// The current process environment.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// An environment made of the given pairs only.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Sets one variable (builder style, for tests).
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.vars.insert(key.to_string(), value.to_string());
        self
    }

    /// A variable's value; empty counts as unset.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// An action input: the runner exports `fail-on` as `INPUT_FAIL-ON` (hyphens kept, spaces to
    /// `_`, upper case) and passes every declared input, so an empty value means "not given".
    /// The composite action passes inputs itself, as `INPUT_FAIL_ON` (names a shell can carry).
    pub fn input(&self, name: &str) -> Option<&str> {
        let key = format!("INPUT_{}", name.replace(' ', "_").to_ascii_uppercase());
        self.var(&key)
            .or_else(|| self.var(&key.replace('-', "_")))
            .map(str::trim)
    }
}

/// Where annotations go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnotationMode {
    /// Checks API when permitted, workflow commands otherwise.
    Auto,
    Checks,
    Commands,
    None,
}

/// The action inputs, parsed and validated.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub path: PathBuf,
    pub token: Option<String>,
    /// `None` = never fail.
    pub fail_on: Option<Severity>,
    pub upload_sarif: bool,
    pub annotations: AnnotationMode,
    pub pr_comment: bool,
    /// Post fixes for findings on changed lines as suggested changes (review comments).
    pub suggestions: bool,
    /// `None` = the default: on for pull requests, off otherwise.
    pub only_new: Option<bool>,
    pub sarif_file: PathBuf,
    pub category: Option<String>,
    pub config: Option<PathBuf>,
    pub advisories: Option<String>,
    pub merge_sarif: Vec<PathBuf>,
    pub baseline: Option<PathBuf>,
    /// Overrides for the code scanning upload target.
    pub upload_ref: Option<String>,
    pub upload_sha: Option<String>,
}

impl Inputs {
    /// Reads and validates every input; a bad value is an error naming the input.
    pub fn from_env(env: &ActionEnv) -> anyhow::Result<Self> {
        let fail_on = match env.input("fail-on").unwrap_or("high").to_ascii_lowercase() {
            s if s == "none" || s == "never" => None,
            s => Some(Severity::parse(&s).with_context(|| {
                format!("input `fail-on` must be none, low, medium, high or critical, not `{s}`")
            })?),
        };
        let annotations = match env.input("annotations").unwrap_or("auto") {
            "auto" => AnnotationMode::Auto,
            "checks" => AnnotationMode::Checks,
            "commands" => AnnotationMode::Commands,
            "none" => AnnotationMode::None,
            other => {
                bail!("input `annotations` must be auto, checks, commands or none, not `{other}`")
            }
        };
        let advisories = env.input("advisories").map(str::to_string);
        if let Some(a) = &advisories {
            if crate::deps::AdvisoryMode::parse(a).is_none() {
                bail!("input `advisories` must be auto, online or offline, not `{a}`");
            }
        }
        let upload_ref = env.input("ref").map(str::to_string);
        if let Some(r) = &upload_ref {
            if !is_upload_ref(r) {
                bail!("input `ref` must look like refs/heads/..., refs/tags/... or refs/pull/..., not `{r}`");
            }
        }
        let upload_sha = env.input("sha").map(str::to_string);
        if let Some(s) = &upload_sha {
            if !is_commit_sha(s) {
                bail!("input `sha` must be a 40 or 64 character hex commit id");
            }
        }
        Ok(Self {
            path: PathBuf::from(env.input("path").unwrap_or(".")),
            token: env.input("token").map(str::to_string),
            fail_on,
            upload_sarif: bool_input(env, "upload-sarif", true)?,
            annotations,
            pr_comment: bool_input(env, "pr-comment", true)?,
            suggestions: bool_input(env, "suggestions", true)?,
            only_new: env
                .input("only-new")
                .map(|_| bool_input(env, "only-new", true))
                .transpose()?,
            sarif_file: PathBuf::from(env.input("sarif-file").unwrap_or("flaskscan.sarif")),
            category: env
                .input("category")
                .map(|c| c.trim_end_matches('/').to_string()),
            config: env.input("config").map(PathBuf::from),
            advisories,
            merge_sarif: env
                .input("merge-sarif")
                .map(|v| {
                    v.split(['\n', ','])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(PathBuf::from)
                        .collect()
                })
                .unwrap_or_default(),
            baseline: env.input("baseline").map(PathBuf::from),
            upload_ref,
            upload_sha,
        })
    }
}

/// An input naming an existing file or folder, resolved inside the workspace.
///
/// Links are followed (the checkout may link within itself), but the result must stay inside
/// `workspace`: a pull request can add links, and `path: /etc` is not this repository.
pub fn existing_inside(workspace: &Path, input: &str, value: &Path) -> anyhow::Result<PathBuf> {
    let root = workspace
        .canonicalize()
        .with_context(|| format!("GITHUB_WORKSPACE {} is not readable", workspace.display()))?;
    let full = root.join(value);
    let real = full.canonicalize().map_err(|e| {
        anyhow::anyhow!(
            "input `{input}`: {} does not exist in the workspace ({e})",
            value.display()
        )
    })?;
    if !real.starts_with(&root) {
        bail!(
            "input `{input}`: {} is outside the workspace (GITHUB_WORKSPACE); only the checkout is scanned and read",
            value.display()
        );
    }
    Ok(real)
}

/// An input naming a file to write, inside the workspace and not through a symbolic link.
pub fn output_inside(workspace: &Path, input: &str, value: &Path) -> anyhow::Result<PathBuf> {
    let root = workspace
        .canonicalize()
        .with_context(|| format!("GITHUB_WORKSPACE {} is not readable", workspace.display()))?;
    let mut full = root.clone();
    for part in value.components() {
        match part {
            std::path::Component::Normal(p) => full.push(p),
            std::path::Component::CurDir => {}
            _ => bail!(
                "input `{input}`: {} must be a path inside the workspace, without `..` or a leading `/`",
                value.display()
            ),
        }
    }
    if full == root {
        bail!("input `{input}` must name a file");
    }
    if std::fs::symlink_metadata(&full).is_ok_and(|m| m.file_type().is_symlink()) {
        bail!(
            "input `{input}`: {} is a symbolic link; refusing to write through it",
            value.display()
        );
    }
    // A folder on the way may itself be a link the pull request added.
    let mut existing = full.parent();
    while let Some(dir) = existing {
        if dir.exists() {
            let real = dir.canonicalize()?;
            if !real.starts_with(&root) {
                bail!(
                    "input `{input}`: {} leads outside the workspace through a symbolic link",
                    value.display()
                );
            }
            break;
        }
        existing = dir.parent();
    }
    Ok(full)
}

/// YAML 1.2 core-schema booleans, which is what users type in `with:`.
fn bool_input(env: &ActionEnv, name: &str, default: bool) -> anyhow::Result<bool> {
    match env.input(name) {
        None => Ok(default),
        Some("true" | "True" | "TRUE") => Ok(true),
        Some("false" | "False" | "FALSE") => Ok(false),
        Some(other) => bail!("input `{name}` must be true or false, not `{other}`"),
    }
}

/// The pull request being checked, from the event payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub head_sha: String,
    pub base_sha: String,
    pub base_ref: String,
    /// The head lives in another repository: on `pull_request` the token is then read-only.
    pub fork: bool,
    /// `pull_request.changed_files` from the payload (GitHub lists at most 3,000 of them).
    pub changed_files: Option<u64>,
}

/// The repository, commit and event being processed.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub owner: String,
    pub repo: String,
    pub api_url: String,
    pub server_url: String,
    pub workspace: PathBuf,
    pub event_name: String,
    pub sha: Option<String>,
    pub git_ref: Option<String>,
    pub run_id: Option<String>,
    pub pull_request: Option<PullRequest>,
    pub step_summary: Option<PathBuf>,
    pub output: Option<PathBuf>,
}

impl RunContext {
    /// Reads the `GITHUB_*` variables and the event payload.
    pub fn from_env(env: &ActionEnv) -> anyhow::Result<Self> {
        let repository = env.var("GITHUB_REPOSITORY").context(
            "GITHUB_REPOSITORY is not set: `flaskscan github` runs inside GitHub Actions",
        )?;
        let (owner, repo) = repository.split_once('/').with_context(|| {
            format!("GITHUB_REPOSITORY should be owner/name, not `{repository}`")
        })?;
        let event_name = env.var("GITHUB_EVENT_NAME").unwrap_or("").to_string();
        let payload = match env.var("GITHUB_EVENT_PATH") {
            Some(path) => read_payload(Path::new(path))?,
            None => Value::Null,
        };
        let git_ref = env.var("GITHUB_REF").map(str::to_string);
        let pull_request = pull_request_from(&event_name, &payload).map_err(|why| {
            anyhow::anyhow!(
                "the `{event_name}` event payload {why}; it cannot be trusted to tell the pull request or whether it comes from a fork"
            )
        })?;
        Ok(Self {
            owner: owner.to_string(),
            repo: repo.to_string(),
            api_url: env
                .var("GITHUB_API_URL")
                .unwrap_or("https://api.github.com")
                .trim_end_matches('/')
                .to_string(),
            server_url: env
                .var("GITHUB_SERVER_URL")
                .unwrap_or("https://github.com")
                .trim_end_matches('/')
                .to_string(),
            workspace: PathBuf::from(env.var("GITHUB_WORKSPACE").unwrap_or(".")),
            event_name,
            sha: env.var("GITHUB_SHA").map(str::to_string),
            git_ref,
            run_id: env.var("GITHUB_RUN_ID").map(str::to_string),
            pull_request,
            step_summary: env.var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            output: env.var("GITHUB_OUTPUT").map(PathBuf::from),
        })
    }

    /// `/repos/{owner}/{repo}`, the prefix of every route.
    pub fn repo_route(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.repo)
    }

    /// github.com (not GitHub Enterprise Server, whose upload schema rejects `validate`).
    pub fn is_github_com(&self) -> bool {
        self.api_url == "https://api.github.com"
    }

    /// The commit that annotations and check runs attach to: the PR head, else `GITHUB_SHA`.
    pub fn head_sha(&self) -> Option<&str> {
        match &self.pull_request {
            Some(pr) => Some(pr.head_sha.as_str()),
            None => self.sha.as_deref(),
        }
    }

    /// Whether the token is known to be read-only: a fork PR under any event that runs in the
    /// fork's context. That is every event whose payload carries the PR (`pull_request`,
    /// `pull_request_review`, `pull_request_review_comment`) except `pull_request_target`, which
    /// gets a write token even for forks.
    pub fn read_only_token(&self) -> bool {
        self.event_name != "pull_request_target"
            && self.pull_request.as_ref().is_some_and(|pr| pr.fork)
    }

    /// Link to the workflow run, for messages.
    pub fn run_url(&self) -> Option<String> {
        let id = self.run_id.as_ref()?;
        Some(format!(
            "{}/{}/{}/actions/runs/{id}",
            self.server_url, self.owner, self.repo
        ))
    }
}

fn read_payload(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the event payload {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("the event payload {} is not JSON", path.display()))
}

/// The events whose payload carries the pull request (and decides the token's rights).
const PULL_REQUEST_EVENTS: [&str; 4] = [
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "pull_request_review_comment",
];

/// The PR from the event payload, and only from it: `GITHUB_REF` names the default branch under
/// `pull_request_target` and can't tell a fork. A pull request event whose payload lacks the
/// PR's number or head commit is malformed (the error says what is missing); other events have
/// no PR.
pub fn pull_request_from(event_name: &str, payload: &Value) -> Result<Option<PullRequest>, String> {
    let pr = match payload.get("pull_request") {
        Some(pr) if pr.is_object() => pr,
        _ if PULL_REQUEST_EVENTS.contains(&event_name) => {
            return Err("has no `pull_request` object".into())
        }
        _ => return Ok(None),
    };
    let number = pr
        .get("number")
        .or_else(|| payload.get("number"))
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
        .ok_or("has no positive `pull_request.number`")?;
    let text = |v: &Value, path: &[&str]| -> String {
        path.iter()
            .try_fold(v, |v, key| v.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let head_sha = text(pr, &["head", "sha"]);
    if head_sha.is_empty() {
        return Err("has no `pull_request.head.sha`".into());
    }
    let head_repo = text(pr, &["head", "repo", "full_name"]);
    let base_repo = text(pr, &["base", "repo", "full_name"]);
    // `head.repo.fork` alone is also true for a PR between branches of a repository that is
    // itself a fork; what decides the token is whether head and base repositories differ.
    // A deleted fork has `head.repo: null`.
    let fork = if head_repo.is_empty() {
        true
    } else if !base_repo.is_empty() {
        !head_repo.eq_ignore_ascii_case(&base_repo)
    } else {
        pr.pointer("/head/repo/fork")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    Ok(Some(PullRequest {
        number,
        head_sha,
        base_sha: text(pr, &["base", "sha"]),
        base_ref: text(pr, &["base", "ref"]),
        fork,
        changed_files: pr.get("changed_files").and_then(Value::as_u64),
    }))
}

/// The code scanning `ref` pattern: `^refs/(heads|tags|pull)/.*$`.
pub fn is_upload_ref(r: &str) -> bool {
    ["refs/heads/", "refs/tags/", "refs/pull/"]
        .iter()
        .any(|p| r.starts_with(p))
}

/// The code scanning `commit_sha` pattern: 40 or 64 hex digits.
pub fn is_commit_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyphenated_inputs_are_read_and_empty_means_unset() {
        let env = ActionEnv::from_pairs([("INPUT_FAIL-ON", "critical"), ("INPUT_CATEGORY", "")]);
        assert_eq!(env.input("fail-on"), Some("critical"));
        assert_eq!(env.input("category"), None);
        let inputs = Inputs::from_env(&env).unwrap();
        assert_eq!(inputs.fail_on, Some(Severity::Critical));
        assert!(inputs.upload_sarif);
        assert_eq!(inputs.sarif_file, PathBuf::from("flaskscan.sarif"));
    }

    #[test]
    fn the_composite_action_spelling_with_underscores_is_read_too() {
        let env = ActionEnv::from_pairs([("INPUT_FAIL_ON", "low"), ("INPUT_PR_COMMENT", "false")]);
        let inputs = Inputs::from_env(&env).unwrap();
        assert_eq!(inputs.fail_on, Some(Severity::Low));
        assert!(!inputs.pr_comment);
        // The runner's own spelling wins when both are there.
        let env = ActionEnv::from_pairs([("INPUT_FAIL-ON", "high"), ("INPUT_FAIL_ON", "low")]);
        assert_eq!(env.input("fail-on"), Some("high"));
    }

    #[test]
    fn bad_inputs_name_the_input() {
        let env = ActionEnv::from_pairs([("INPUT_UPLOAD-SARIF", "yes")]);
        let err = Inputs::from_env(&env).unwrap_err().to_string();
        assert!(err.contains("upload-sarif"), "{err}");
        let env = ActionEnv::from_pairs([("INPUT_FAIL-ON", "severe")]);
        assert!(Inputs::from_env(&env).is_err());
    }

    #[test]
    fn merge_sarif_accepts_lines_and_commas() {
        let env = ActionEnv::from_pairs([("INPUT_MERGE-SARIF", "a.sarif\n b.sarif, c.sarif\n")]);
        let inputs = Inputs::from_env(&env).unwrap();
        assert_eq!(inputs.merge_sarif.len(), 3);
    }

    #[test]
    fn the_pr_comes_from_the_payload_only_and_a_malformed_one_says_what_is_missing() {
        // No fallback to GITHUB_REF: outside PR events there is no PR.
        assert_eq!(pull_request_from("workflow_run", &Value::Null), Ok(None));
        assert_eq!(
            pull_request_from("push", &serde_json::json!({"ref": "refs/heads/main"})),
            Ok(None)
        );
        assert_eq!(
            pull_request_from("pull_request_target", &Value::Null),
            Err("has no `pull_request` object".to_string())
        );
        let no_number = serde_json::json!({"pull_request": {"head": {"sha": "abc"}}});
        assert!(pull_request_from("pull_request", &no_number)
            .unwrap_err()
            .contains("pull_request.number"));
        let no_head = serde_json::json!({"pull_request": {"number": 3}});
        assert!(pull_request_from("pull_request", &no_head)
            .unwrap_err()
            .contains("head.sha"));
        let ok = serde_json::json!({"pull_request": {"number": 3, "head": {"sha": "abc", "repo": null}}});
        let pr = pull_request_from("pull_request", &ok).unwrap().unwrap();
        assert!(pr.fork, "a deleted fork's head repo is null");
    }

    #[test]
    fn fork_tokens_are_read_only_except_under_pull_request_target() {
        let fork = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/github/events/pull_request_fork.json"
        );
        let read_only = |event: &str| {
            let env = ActionEnv::from_pairs([
                ("GITHUB_REPOSITORY", "octo/shop"),
                ("GITHUB_EVENT_NAME", event),
                ("GITHUB_EVENT_PATH", fork),
            ]);
            RunContext::from_env(&env).unwrap().read_only_token()
        };
        // Review events on a fork's PR run with the same read-only token as `pull_request`.
        for event in [
            "pull_request",
            "pull_request_review",
            "pull_request_review_comment",
        ] {
            assert!(read_only(event), "{event}");
        }
        assert!(!read_only("pull_request_target"));
    }

    #[test]
    fn ref_and_sha_patterns() {
        assert!(is_upload_ref("refs/pull/3/merge"));
        assert!(!is_upload_ref("main"));
        assert!(is_commit_sha(&"a".repeat(40)));
        assert!(!is_commit_sha(&"g".repeat(40)));
    }
}
