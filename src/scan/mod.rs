//! The scan pipeline: discover files, parse each once, run every rule in one walk per file (in
//! parallel), judge the app as a whole, and collect one sorted report.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use ruff_text_size::{TextRange, TextSize};

use crate::finding::{
    Edit, Finding, Fix, FlowStep, Notification, NotificationLevel, Position, RelatedLocation,
    Severity, Suppression,
};
use crate::python::checker::Checker;
use crate::python::flask::AppFacts;
use crate::python::project::{ModuleFacts, ProjectIndex};
use crate::python::source::{self, LineIndex};
use crate::python::suppression::Suppressions;
use crate::python::SourceFile;
use crate::report::fingerprint;
use crate::rules::{self, Rule, RuleKind};
use crate::workspace::{self, FileKind, SourcePath};

mod read;
mod templates;

pub(crate) use read::parse_python;
use read::read_text;
use templates::check_templates;

/// Default limit on the size of a file to scan.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// Stack for worker threads: deeply nested (hostile) code must not overflow it while the
/// parser and the drop of its tree recurse.
pub(crate) const WORKER_STACK: usize = 256 * 1024 * 1024;

/// Counts shown in summaries.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ScanStats {
    pub python_files: usize,
    pub template_files: usize,
    pub manifest_files: usize,
    pub other_files: usize,
    pub lines: usize,
    pub duration_ms: u128,
    /// Wall time of each pipeline stage, in order; for benchmarks, not for reports.
    #[serde(skip)]
    pub phases: Vec<(&'static str, Duration)>,
}

/// Records how long each stage of the pipeline took.
struct PhaseClock {
    last: Instant,
    phases: Vec<(&'static str, Duration)>,
}

impl PhaseClock {
    fn start() -> Self {
        Self {
            last: Instant::now(),
            phases: Vec::new(),
        }
    }

    /// Ends the stage called `name` and starts the next.
    fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.phases.push((name, now - self.last));
        self.last = now;
    }
}

/// Everything one scan produced, sorted deterministically.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// The directory paths in findings are relative to.
    pub root: PathBuf,
    pub findings: Vec<Finding>,
    pub notifications: Vec<Notification>,
    pub stats: ScanStats,
    /// Which advisory data answered the dependency audit (e.g. "OSV API"); `None` when the
    /// audit did not run.
    pub advisory_source: Option<String>,
    /// Analyses that could not run (the dependency audit without advisory data): the report is
    /// incomplete and must not pass as clean.
    pub failures: Vec<String>,
    /// The route inventory, when [`ScanOptions::routes`] asked for it.
    pub routes: Option<Vec<crate::python::inventory::RouteEntry>>,
}

impl ScanReport {
    /// Whether the dependency audit ran (its SARIF run is emitted even when empty, so fixed
    /// vulnerabilities close on GitHub).
    pub fn deps_audited(&self) -> bool {
        self.advisory_source.is_some()
    }

    /// Findings that are not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    /// Counts of unsuppressed findings per severity.
    pub fn counts(&self) -> BTreeMap<Severity, usize> {
        let mut m = BTreeMap::new();
        for f in self.active() {
            *m.entry(f.severity).or_insert(0) += 1;
        }
        m
    }
}

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files and folders to scan.
    pub paths: Vec<PathBuf>,
    /// What reported paths are relative to; by default the first path (or its folder).
    pub root: Option<PathBuf>,
    /// Rule ids or prefixes to run (see [`rules::selector_enables`]); empty means the default
    /// suite.
    pub select: Vec<String>,
    /// Rules to run in addition to `select` (audit rules, usually).
    pub extend_select: Vec<String>,
    /// Analyse test code like application code (by default no rule reports in test code).
    pub include_tests: bool,
    pub ignore: Vec<String>,
    pub exclude: Vec<String>,
    pub max_file_size: u64,
    /// Per-rule severity overrides.
    pub severity: BTreeMap<String, Severity>,
    pub threads: Option<usize>,
    /// How to audit dependency manifests; `None` skips the audit.
    pub deps: Option<crate::deps::Options>,
    /// Problems found before the scan (in the configuration), reported as notifications.
    pub warnings: Vec<String>,
    /// Project functions declared as sanitisers (`[tool.flaskscan] sanitizers`).
    pub sanitizers: crate::taint::DeclaredSanitizers,
    /// Decorators declared as authentication (`[tool.flaskscan] auth-decorators`).
    pub declared_auth: crate::python::access::DeclaredAuth,
    /// Whether the report carries the route inventory ([`ScanReport::routes`]).
    pub routes: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            paths: vec![PathBuf::from(".")],
            root: None,
            select: Vec::new(),
            extend_select: Vec::new(),
            include_tests: false,
            ignore: Vec::new(),
            exclude: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            severity: BTreeMap::new(),
            threads: None,
            deps: None,
            warnings: Vec::new(),
            sanitizers: Default::default(),
            declared_auth: Default::default(),
            routes: false,
        }
    }
}

impl ScanOptions {
    /// The folder reported paths are relative to.
    pub fn root(&self) -> PathBuf {
        if let Some(r) = &self.root {
            return r.clone();
        }
        let first = self
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        if first.is_dir() {
            first
        } else {
            first
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        }
    }

    /// The files under the input paths, relative to `root`, with the exclusions and size limit.
    pub fn discover(&self, root: &Path) -> workspace::Discovery {
        workspace::discover(
            root,
            &self.paths,
            &workspace::DiscoverOptions {
                exclude: self.exclude.clone(),
                max_file_size: self.max_file_size,
            },
        )
    }

    /// Whether select/ignore let `rule` run.
    pub fn enabled(&self, rule: &Rule) -> bool {
        let base = if self.select.is_empty() {
            rule.suite != rules::Suite::Audit
        } else {
            self.select.iter().any(|s| rules::selector_enables(s, rule))
        };
        let selected = base
            || self
                .extend_select
                .iter()
                .any(|s| rules::selector_enables(s, rule));
        selected && !self.ignore.iter().any(|s| rules::selector_matches(s, rule))
    }

    /// Whether `finding` is reported: its rule is enabled, and when it is an audit finding (a
    /// guessed flow, or a linked rule's finding without a flow from request data) the rule was
    /// named explicitly.
    pub fn reports(&self, finding: &Finding) -> bool {
        let rule = finding.rule;
        if !self.enabled(rule) {
            return false;
        }
        // A flow through a step the analysis guessed is audit for any rule; a linked rule's
        // finding without a flow from request data is too.
        let audit =
            finding.audit || (rule.suite == rules::Suite::Linked && finding.flow.is_empty());
        if !audit {
            return true;
        }
        self.select
            .iter()
            .chain(&self.extend_select)
            .any(|s| rules::selector_names(s, rule))
    }
}

/// A finding whose position is known, before suppression and fingerprints.
struct Pending {
    rule: &'static Rule,
    severity: Severity,
    message: String,
    start: Position,
    end: Position,
    /// 1-based line of the enclosing statement's start.
    statement_line: u32,
    /// Code flow, for findings linked to a request source.
    flow: Vec<FlowStep>,
    /// Other places the finding points to (app rules only).
    related: Vec<RelatedLocation>,
    /// An audit finding of a linked rule (see [`Finding::audit`]).
    audit: bool,
    /// A pattern rule's fix: its description and edits (the file's hash is added when final).
    fix: Option<(String, Vec<Edit>)>,
}

/// A scanned text file with what finalising its findings needs.
struct ScannedText<'a> {
    relative: &'a str,
    text: &'a str,
    lines: &'a LineIndex,
    context: FileContext,
}

/// What finalising a file's findings needs beyond its text: its suppression comments, and its
/// GitHub line hashes, computed once however many stages report in the file (and never for a
/// file without findings).
struct FileContext {
    suppressions: Suppressions,
    /// The file's bytes when they differ from its decoded text (see [`read_text`]).
    original: Option<Vec<u8>>,
    line_hashes: OnceCell<Vec<String>>,
}

impl FileContext {
    fn new(suppressions: Suppressions, original: Option<Vec<u8>>) -> Self {
        Self {
            suppressions,
            original,
            line_hashes: OnceCell::new(),
        }
    }

    fn line_hashes(&self, text: &str) -> &[String] {
        self.line_hashes.get_or_init(|| {
            fingerprint::line_hashes(self.original.as_deref().unwrap_or(text.as_bytes()))
        })
    }
}

/// The longest notification message kept (a parser's message can quote a whole line).
const MAX_NOTIFICATION_CHARS: usize = 400;

/// Runs a scan.
pub fn run(options: &ScanOptions) -> anyhow::Result<ScanReport> {
    let started = Instant::now();
    let mut clock = PhaseClock::start();
    let root = options.root();
    let discovery = options.discover(&root);
    clock.lap("discovery");
    let mut notifications = discovery.notifications;
    notifications.extend(options.warnings.iter().map(|w| Notification {
        level: NotificationLevel::Warning,
        path: None,
        line: None,
        message: w.clone(),
    }));
    let mut stats = ScanStats::default();
    for f in &discovery.files {
        match f.kind {
            FileKind::Python => stats.python_files += 1,
            FileKind::Template => stats.template_files += 1,
            FileKind::Manifest => stats.manifest_files += 1,
            FileKind::EnvFile => stats.other_files += 1,
        }
    }

    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(WORKER_STACK);
    if let Some(n) = options.threads.filter(|n| *n > 0) {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| {
        anyhow::anyhow!(
            "cannot start {} worker threads (--threads): {e}",
            options.threads.unwrap_or(0)
        )
    })?;
    let stages = Stages::for_options(options);
    let analysed = pool.install(|| analyse(&discovery.files, stages, options, &mut clock));
    notifications.extend(analysed.notifications);
    stats.lines = analysed.lines;
    let routes = analysed.routes.filter(|_| options.routes);
    let mut findings = analysed.findings;
    let mut advisory_source = None;
    let mut failures = Vec::new();
    if let Some(deps_options) = options.deps.as_ref().filter(|_| stages.deps) {
        let manifests: Vec<PathBuf> = discovery
            .files
            .iter()
            .filter(|f| f.kind == FileKind::Manifest)
            .map(|f| PathBuf::from(&f.relative))
            .collect();
        let outcome = crate::deps::audit(&root, &manifests, deps_options);
        findings.extend(attach_manifest_context(&root, outcome.findings));
        notifications.extend(outcome.notifications);
        advisory_source = Some(outcome.source);
        failures.extend(outcome.failure);
        clock.lap("dependency audit");
    }

    // Flows may pass through test code, but what is reported there (a test's request reaching a
    // sink, a test template) is the tests' business unless asked for.
    let mut findings: Vec<Finding> = findings
        .into_iter()
        .filter(|f| options.reports(f))
        .filter(|f| {
            options.include_tests
                || f.rule.kind == RuleKind::Dependency
                || !(source::is_test_path(&f.location.path)
                    || analysed.test_support.contains(&f.location.path))
        })
        .map(|mut f| {
            if let Some(sev) = options.severity.get(f.rule.id) {
                f.severity = *sev;
            }
            f
        })
        .collect();
    findings.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.message.cmp(&b.message))
    });
    // Messages may quote scanned files: one line each, short, with secrets masked.
    for n in &mut notifications {
        n.message = crate::redact::one_line(&n.message, MAX_NOTIFICATION_CHARS);
    }
    notifications.sort_by(|a, b| (&a.path, a.line, &a.message).cmp(&(&b.path, b.line, &b.message)));
    clock.lap("report");
    stats.phases = clock.phases;
    stats.duration_ms = started.elapsed().as_millis();
    Ok(ScanReport {
        root,
        findings,
        notifications,
        stats,
        advisory_source,
        failures,
        routes,
    })
}

/// Parses and checks every file; returns findings, notifications and the number of lines read.
/// Which optional stages of the pipeline have a selected rule to serve.
#[derive(Debug, Clone, Copy)]
struct Stages {
    /// Taint analysis: taint rules, and template rules (whose findings carry the flows).
    taint: bool,
    templates: bool,
    /// The dependency audit (when enabled at all).
    deps: bool,
    /// Test code is walked and reported like application code.
    include_tests: bool,
    /// The walk gathers access-control facts for the rules that judge the route inventory.
    access: bool,
}

impl Stages {
    fn for_options(options: &ScanOptions) -> Self {
        let any = |kinds: &[RuleKind]| {
            rules::ALL
                .iter()
                .any(|r| kinds.contains(&r.kind) && options.enabled(r))
        };
        Self {
            // FS405 is a pattern rule with a flow half (predictable values reaching secrets).
            taint: any(&[RuleKind::Taint, RuleKind::Template])
                || options.enabled(&rules::fs405_insecure_random::RULE),
            templates: any(&[RuleKind::Template]),
            deps: any(&[RuleKind::Dependency]),
            include_tests: options.include_tests,
            access: options.routes
                || [
                    &rules::fs411_unauthenticated_state_change::RULE,
                    &rules::fs412_missing_role_check::RULE,
                    &rules::fs413_object_access_without_ownership_check::RULE,
                    &rules::fs414_debug_or_admin_endpoint_exposed::RULE,
                    // FS105 judges a view's own CSRF exemption by the guards the inventory finds.
                    &rules::fs105_csrf_protection_disabled::RULE,
                ]
                .into_iter()
                .any(|r| options.enabled(r)),
        }
    }
}

/// What [`analyse`] found.
struct Analysed {
    findings: Vec<Finding>,
    notifications: Vec<Notification>,
    /// Lines of Python read.
    lines: usize,
    /// The route inventory, when the walk collected access facts.
    routes: Option<Vec<crate::python::inventory::RouteEntry>>,
    /// Paths of the test support outside test folders, test code like them.
    test_support: rustc_hash::FxHashSet<String>,
}

fn analyse(
    files: &[SourcePath],
    stages: Stages,
    options: &ScanOptions,
    clock: &mut PhaseClock,
) -> Analysed {
    let python: Vec<&SourcePath> = files
        .iter()
        .filter(|f| f.kind == FileKind::Python)
        .collect();
    // Each file's share of the project index is taken right after its parse, while its tree is
    // still in the cache.
    let parsed: Vec<Result<(SourceFile, ModuleFacts), Notification>> = python
        .par_iter()
        .map(|f| {
            parse_python(f).map(|file| {
                let facts = catch_unwind(AssertUnwindSafe(|| ModuleFacts::collect(&file)))
                    .unwrap_or_default();
                (file, facts)
            })
        })
        .collect();
    let mut notifications = Vec::new();
    let mut sources = Vec::new();
    let mut module_facts = Vec::new();
    let mut python_unread = false;
    for p in parsed {
        match p {
            Ok((file, facts)) => {
                sources.push(file);
                module_facts.push(facts);
            }
            Err(n) => {
                python_unread = true;
                notifications.push(n);
            }
        }
    }
    clock.lap("read + parse + module facts");
    let lines = sources.iter().map(|s| s.lines.len()).sum();
    let python_scanned = !sources.is_empty();
    let project = ProjectIndex::merge(&sources.iter().collect::<Vec<_>>(), module_facts);
    let test_support = project.test_support().clone();
    clock.lap("project index");

    let checked: Vec<(Vec<Finding>, AppFacts, Vec<Notification>, FileContext)> = sources
        .par_iter_mut()
        .map(|file| {
            let checked = check_python(file, &project, stages);
            if !stages.taint {
                // Nothing after this walk needs the tree: free it while it is still warm.
                drop(std::mem::take(&mut file.ast.body));
            }
            checked
        })
        .collect();

    let mut facts = AppFacts::default();
    // A file that could not be read may name templates: none can be called unserved.
    facts.template_names.computed = python_unread;
    let mut findings = Vec::new();
    let mut texts: HashMap<&str, ScannedText> = HashMap::new();
    for (file, (f, fa, note, context)) in sources.iter().zip(checked) {
        findings.extend(f);
        facts.merge(fa);
        notifications.extend(note);
        texts.insert(
            &file.path,
            ScannedText {
                relative: &file.path,
                text: &file.text,
                lines: &file.lines,
                context,
            },
        );
    }
    if rules::fs101_debug_mode_enabled::config_debug_is_inert(&facts) {
        rules::withdraw_at(
            &mut findings,
            &rules::fs101_debug_mode_enabled::RULE,
            &facts.debug_config_writes,
        );
    }
    let refs: Vec<&SourceFile> = sources.iter().collect();
    clock.lap("pattern rules");
    // Taint analysis needs every file at once (summaries cross modules), and a flow that starts
    // in one file may end in another: its findings are finalised per file here.
    if stages.taint {
        let taint = crate::taint::analyse_app(
            &refs,
            &project,
            facts.csrf_everywhere && !facts.csrf_switched_off,
            &options.sanitizers,
            Some(&options.root()),
        );
        // A pattern finding the taint finding replaces hands it its fix (same rule, same spot).
        let mut handed: Vec<(crate::finding::Location, Box<Fix>)> = Vec::new();
        findings.retain_mut(|f| {
            let superseded = taint
                .findings
                .iter()
                .any(|t| crate::taint::supersedes(t, f.rule.id, &f.location));
            if superseded {
                if let Some(fix) = f.autofix.take() {
                    handed.push((f.location.clone(), fix));
                }
            }
            !superseded
        });
        let first_taint = findings.len();
        findings.extend(finalize_by_path(
            &texts,
            taint.findings.into_iter().map(|t| {
                let pending = Pending {
                    rule: t.rule,
                    severity: t.severity,
                    message: t.message,
                    start: t.location.start,
                    end: t.location.end,
                    statement_line: t.statement_line,
                    flow: t.flow,
                    related: Vec::new(),
                    audit: t.audit,
                    fix: None,
                };
                (t.location.path, pending)
            }),
        ));
        for f in &mut findings[first_taint..] {
            if let Some(at) = handed.iter().position(|(l, _)| *l == f.location) {
                f.autofix = Some(handed.swap_remove(at).1);
            }
        }
        facts.link_template_flows(&taint.templates);
        notifications.extend(taint.depth_limited.iter().map(|(path, function)| {
            Notification::file_warning(
                path,
                None,
                format!(
                    "`{function}` is reached only through a chain of more than {} project function calls; request data is not followed into it",
                    crate::taint::engine::MAX_CALL_DEPTH
                ),
            )
        }));
        clock.lap("taint");
    }

    // The inventory is built once, for the access rules and for the report.
    let routes = facts
        .access
        .collected
        .then(|| crate::python::inventory::build(&facts, &options.declared_auth));
    // App-level rules: located in Python files already read.
    findings.extend(finalize_by_path(
        &texts,
        rules::dispatch::app(&facts, routes.as_deref())
            .into_iter()
            .map(|af| {
                let pending = Pending {
                    rule: af.rule,
                    severity: af.rule.severity,
                    message: af.message,
                    start: af.location.start,
                    end: af.location.end,
                    statement_line: af.location.start.line,
                    flow: af.flow,
                    related: af.related,
                    audit: false,
                    fix: None,
                };
                (af.location.path, pending)
            }),
    ));
    // Every Python finding is final: the trees can go before templates are read.
    drop(texts);
    drop(refs);
    // Freeing hundreds of thousands of nodes is real work: share it among the workers.
    // The template stage still reads the Python text (see `check_templates`).
    let python_texts: Vec<String> = if stages.templates {
        sources.into_par_iter().map(|s| s.text).collect()
    } else {
        sources.into_par_iter().for_each(drop);
        Vec::new()
    };
    clock.lap("app rules + free trees");

    if stages.templates {
        // Only a scan of one whole folder sees every name a template may be rendered by: a
        // list of files (a pre-commit run) leaves out the code that renders the others.
        let whole_tree = options.paths.len() == 1 && options.paths[0].is_dir();
        let python_texts: Vec<&str> = python_texts.iter().map(String::as_str).collect();
        let (template_findings, template_notes) = check_templates(
            files,
            &facts,
            python_scanned,
            whole_tree,
            (!python_unread).then_some(python_texts.as_slice()),
        );
        findings.extend(template_findings);
        notifications.extend(template_notes);
        clock.lap("templates");
    }

    for f in files.iter().filter(|f| f.kind == FileKind::EnvFile) {
        match read_text(f) {
            Ok((text, original)) => {
                let lines = LineIndex::new(&text);
                let pending = crate::envfile::check(&text)
                    .into_iter()
                    .map(|e| Pending {
                        rule: e.rule,
                        severity: e.severity,
                        message: e.message,
                        start: char_position(&text, &lines, e.line, e.start_column),
                        end: char_position(&text, &lines, e.line, e.end_column),
                        statement_line: e.line,
                        flow: Vec::new(),
                        related: Vec::new(),
                        audit: false,
                        fix: None,
                    })
                    .collect();
                let scanned = ScannedText {
                    relative: &f.relative,
                    text: &text,
                    lines: &lines,
                    context: FileContext::new(Suppressions::from_text(&text, &lines), original),
                };
                findings.extend(finalize(&scanned, pending));
            }
            Err(n) => notifications.push(n),
        }
    }
    clock.lap("env files");
    // Every finding that may turn debug on is in: settle the debuggers gated on that switch.
    rules::fs101_debug_mode_enabled::withdraw_gated_debuggers(&mut findings, &facts);
    rules::fs105_csrf_protection_disabled::withdraw_selective_protection(&mut findings, &facts);
    rules::fs102_hardcoded_secret_key::withdraw_refused_placeholders(&mut findings, &facts);
    Analysed {
        findings,
        notifications,
        lines,
        routes,
        test_support,
    }
}

/// Adds GitHub line hashes and `# nosec`-style suppressions to dependency findings, which the
/// audit locates at manifest lines.
fn attach_manifest_context(root: &Path, mut findings: Vec<Finding>) -> Vec<Finding> {
    let mut files: HashMap<String, Option<(Vec<String>, Suppressions)>> = HashMap::new();
    for f in &mut findings {
        let ctx = files.entry(f.location.path.clone()).or_insert_with(|| {
            let bytes = std::fs::read(root.join(&f.location.path)).ok()?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let lines = LineIndex::new(&text);
            let sup = Suppressions::from_text(&text, &lines);
            Some((fingerprint::line_hashes(&bytes), sup))
        });
        if let Some((hashes, sup)) = ctx {
            let line = f.location.start.line;
            if f.line_hash.is_none() {
                f.line_hash = hashes.get(line as usize).filter(|h| !h.is_empty()).cloned();
            }
            if f.suppressed.is_none() {
                f.suppressed = sup.find(f.rule.id, line, line).map(|c| Suppression {
                    comment: c.to_string(),
                });
            }
        }
    }
    findings
}

/// Finalises findings located in already scanned files, grouped per file.
fn finalize_by_path(
    texts: &HashMap<&str, ScannedText>,
    found: impl Iterator<Item = (String, Pending)>,
) -> Vec<Finding> {
    let mut by_file: BTreeMap<String, Vec<Pending>> = BTreeMap::new();
    for (path, pending) in found {
        by_file.entry(path).or_default().push(pending);
    }
    by_file
        .into_iter()
        .filter_map(|(path, pending)| texts.get(path.as_str()).map(|text| finalize(text, pending)))
        .flatten()
        .collect()
}

/// A position on 1-based `line` at 1-based char `column`.
fn char_position(text: &str, lines: &LineIndex, line: u32, column: u32) -> Position {
    let line_text = lines.line_text(text, line as usize - 1);
    let prefix: String = line_text.chars().take(column as usize - 1).collect();
    Position {
        line,
        column,
        column_utf16: prefix.encode_utf16().count() as u32 + 1,
    }
}

/// Runs the checker walk over one file: its final pattern findings, its app facts, a note when
/// the walk could not finish, and its finalising context (for the findings other stages add).
fn check_python(
    file: &SourceFile,
    project: &ProjectIndex,
    stages: Stages,
) -> (Vec<Finding>, AppFacts, Vec<Notification>, FileContext) {
    let context = FileContext::new(
        Suppressions::from_comments(&file.comments),
        file.original.clone(),
    );
    // Hard-coded passwords, debug settings and throwaway apps are normal in tests: what the walk
    // finds there (pattern matches, app facts) is noise, so test files are not walked at all.
    // Taint analysis still follows request data through them.
    if !stages.include_tests && project.is_test_code(&file.path) {
        return (Vec::new(), AppFacts::default(), Vec::new(), context);
    }
    let scanned = ScannedText {
        relative: &file.path,
        text: &file.text,
        lines: &file.lines,
        context,
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut checker = Checker::new(file, project);
        if stages.access {
            checker = checker.collecting_access();
        }
        let checker = checker.run();
        (checker.findings, checker.facts, checker.too_deep)
    }));
    match result {
        Ok((mut raw, mut facts, too_deep)) => {
            // The template names in the parts not walked are unknown.
            facts.template_names.computed |= too_deep;
            let mut notes = capped_notes(&file.path, cap_per_rule(&mut raw, |r| r.rule));
            let pending = raw
                .into_iter()
                .map(|r| {
                    let (start, end) = file.span(r.range);
                    Pending {
                        rule: r.rule,
                        severity: r.severity,
                        message: r.message,
                        start,
                        end,
                        statement_line: file
                            .line_number(r.statement_start.max(TextSize::default())),
                        flow: Vec::new(),
                        related: Vec::new(),
                        audit: r.audit,
                        fix: r
                            .fix
                            .map(|fix| (fix.description, edits_at(file, fix.edits))),
                    }
                })
                .collect();
            notes.extend(too_deep.then(|| {
                Notification::file_warning(
                    &file.path,
                    None,
                    format!(
                        "code nests deeper than {} levels; the deepest parts were not analysed",
                        crate::python::MAX_DEPTH
                    ),
                )
            }));
            let findings = finalize(&scanned, pending);
            (findings, facts, notes, scanned.context)
        }
        Err(_) => (
            Vec::new(),
            AppFacts::unread(),
            vec![Notification {
                level: NotificationLevel::Error,
                path: Some(file.path.clone()),
                line: None,
                message: "internal error while checking; file not analysed".into(),
            }],
            scanned.context,
        ),
    }
}

/// The most findings of one rule reported in one file. Past a few hundred, more of the same
/// tell a reader nothing, and a hostile file with a hundred thousand on one line would cost
/// time and memory per finding.
pub const MAX_FINDINGS_PER_RULE_AND_FILE: usize = 1000;

/// Keeps the first [`MAX_FINDINGS_PER_RULE_AND_FILE`] findings of each rule (in the order found);
/// returns how many of each rule were dropped.
fn cap_per_rule<T>(
    items: &mut Vec<T>,
    rule: impl Fn(&T) -> &'static Rule,
) -> Vec<(&'static str, usize)> {
    let mut seen: HashMap<&'static str, usize> = HashMap::new();
    items.retain(|item| {
        let n = seen.entry(rule(item).id).or_insert(0);
        *n += 1;
        *n <= MAX_FINDINGS_PER_RULE_AND_FILE
    });
    let mut dropped: Vec<(&'static str, usize)> = seen
        .into_iter()
        .filter(|(_, n)| *n > MAX_FINDINGS_PER_RULE_AND_FILE)
        .map(|(id, n)| (id, n - MAX_FINDINGS_PER_RULE_AND_FILE))
        .collect();
    dropped.sort();
    dropped
}

fn capped_notes(path: &str, dropped: Vec<(&'static str, usize)>) -> Vec<Notification> {
    dropped
        .into_iter()
        .map(|(id, n)| {
            Notification::file_warning(
                path,
                None,
                format!("{n} more {id} findings in this file are not reported (at most {MAX_FINDINGS_PER_RULE_AND_FILE} per rule and file)"),
            )
        })
        .collect()
}

/// The longest code frame kept with a finding.
const MAX_SNIPPET_BYTES: usize = 4096;

/// Attaches snippets, suppressions and fingerprints to one file's pending findings.
fn finalize(file: &ScannedText, mut pending: Vec<Pending>) -> Vec<Finding> {
    if pending.is_empty() {
        return Vec::new();
    }
    pending.sort_by_key(|p| (p.start, p.rule.id));
    pending.dedup_by(|a, b| a.rule.id == b.rule.id && a.start == b.start);
    let hashes = file.context.line_hashes(file.text);
    // Identical lines share occurrence counters; findings come sorted by position, so each
    // line's normalised text and its hash prefixes are computed once for all its findings.
    let mut line_ids: HashMap<String, usize> = HashMap::new();
    let mut occurrences: HashMap<(usize, &str), usize> = HashMap::new();
    let mut current: Option<(usize, usize, String)> = None;
    // Hashed only when the file has a fix.
    let mut file_hash: Option<String> = None;
    let mut prefixes: HashMap<&str, fingerprint::StableKeyPrefix> = HashMap::new();
    pending
        .into_iter()
        .map(|p| {
            let line_idx = (p.start.line as usize)
                .saturating_sub(1)
                .min(file.lines.len() - 1);
            let line_text = file.lines.line_text(file.text, line_idx);
            let last = (p.end.line as usize)
                .saturating_sub(1)
                .clamp(line_idx, file.lines.len() - 1)
                .min(line_idx + 4);
            let frame_lines: Vec<&str> = (line_idx..=last)
                .map(|i| file.lines.line_text(file.text, i))
                .collect();
            // A frame of a minified or generated line is unreadable and costs its size per
            // finding: leave it out.
            let snippet = if frame_lines.iter().map(|l| l.len()).sum::<usize>() <= MAX_SNIPPET_BYTES
            {
                frame_lines.join("\n")
            } else {
                String::new()
            };
            if current.as_ref().is_none_or(|(i, _, _)| *i != line_idx) {
                let text: String = line_text.chars().filter(|c| !c.is_whitespace()).collect();
                let next_id = line_ids.len();
                let id = *line_ids.entry(text.clone()).or_insert(next_id);
                current = Some((line_idx, id, text));
                prefixes.clear();
            }
            let (_, line_id, normalized) = current.as_ref().expect("set above");
            let n = occurrences.entry((*line_id, p.rule.id)).or_insert(0);
            let key = prefixes
                .entry(p.rule.id)
                .or_insert_with(|| {
                    fingerprint::StableKeyPrefix::new(p.rule.id, file.relative, normalized)
                })
                .key(*n);
            *n += 1;
            let suppressed = file
                .context
                .suppressions
                .find(p.rule.id, p.start.line, p.statement_line)
                .map(|c| Suppression {
                    comment: c.to_string(),
                });
            Finding {
                rule: p.rule,
                severity: p.severity,
                message: p.message,
                location: crate::finding::Location {
                    path: file.relative.to_string(),
                    start: p.start,
                    end: p.end,
                },
                fix: p.rule.fix.to_string(),
                snippet,
                flow: p.flow,
                related: p.related,
                fingerprint: key,
                line_hash: hashes
                    .get(p.start.line as usize)
                    .filter(|h| !h.is_empty())
                    .cloned(),
                suppressed,
                audit: p.audit,
                package: None,
                autofix: p.fix.map(|(description, edits)| {
                    Box::new(Fix {
                        description,
                        edits,
                        source_sha256: file_hash
                            .get_or_insert_with(|| Fix::hash_source(file.text))
                            .clone(),
                    })
                }),
            }
        })
        .collect()
}

/// A rule's replacements with their positions in `file`.
fn edits_at(file: &SourceFile, edits: Vec<(TextRange, String)>) -> Vec<Edit> {
    edits
        .into_iter()
        .map(|(range, content)| {
            let (start_position, end_position) = file.span(range);
            Edit {
                start: range.start().to_u32(),
                end: range.end().to_u32(),
                start_position,
                end_position,
                content,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages(select: &[&str]) -> Stages {
        Stages::for_options(&ScanOptions {
            select: select.iter().map(|s| s.to_string()).collect(),
            ..ScanOptions::default()
        })
    }

    #[test]
    fn stages_run_only_for_selected_rules() {
        let all = stages(&[]);
        assert!(all.taint && all.templates && all.deps);
        let walk = stages(&["FS101", "FS106"]);
        assert!(!walk.taint && !walk.templates && !walk.deps);
        // Template findings carry the request flows taint finds, so templates need taint.
        let templates = stages(&["FS303"]);
        assert!(templates.taint && templates.templates && !templates.deps);
        let deps = stages(&["FS6"]);
        assert!(!deps.taint && !deps.templates && deps.deps);
        // Access facts are gathered when an access rule runs: FS414 by default, the audit
        // rules when named.
        assert!(all.access && stages(&["FS411"]).access && !walk.access);
    }
}
