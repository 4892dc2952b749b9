//! Command-line interface: clap definitions and the code that turns them into library calls.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, FailOn};
use crate::deps::AdvisoryMode;
use crate::finding::Severity;
use crate::report;
use crate::rules::{self, Rule};
use crate::scan::{self, ScanOptions, ScanReport};

const EXIT_CODES: &str = "Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage, configuration or internal error";

/// `flaskscan --version`: the release, the commit it was built from and the date of the advisory
/// snapshot compiled in (what an offline dependency audit knows about).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("FLASKSCAN_COMMIT"),
    ", advisory snapshot ",
    env!("FLASKSCAN_SNAPSHOT_DATE"),
    ")"
);

/// A security scanner for Flask applications.
#[derive(Debug, Parser)]
#[command(name = "flaskscan", version = VERSION, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and folders for Flask security problems.
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// List every rule.
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
        format: RulesFormat,
    },
    /// List every route with its methods, view and protection (who can reach it).
    Routes(RoutesArgs),
    /// Explain one rule: what, why, a bad and a good example, the fix.
    Rule {
        /// Rule id, e.g. FS101.
        id: String,
    },
    /// Run as the GitHub Action: scan, then publish to code scanning, annotations and the PR
    /// comment (configured by the action's INPUT_* and GITHUB_* environment).
    Github,
    /// Manage the offline advisory database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Combine SARIF logs from several tools into one, one run per category.
    Merge {
        /// SARIF files to combine.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Where to write the combined log.
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// `flaskscan db ...`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Download a fresh OSV PyPI export into the cache; offline runs then use it.
    Update {
        /// Cache folder (default: $XDG_CACHE_HOME/flaskscan or ~/.cache/flaskscan).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
    /// Build a compact advisory snapshot (facts only) from an OSV export.
    Build {
        /// OSV export: a directory of OSV JSON or the ecosystem `all.zip`.
        #[arg(long)]
        from: PathBuf,
        /// Extra directories of OSV JSON (e.g. GitHub advisories), repeatable.
        #[arg(long)]
        ghsa_dir: Vec<PathBuf>,
        /// Where to write the snapshot.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
    Markdown,
}

/// Output formats of `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

/// Output formats of `routes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoutesFormat {
    Table,
    Json,
    Markdown,
}

/// Arguments of `routes`.
#[derive(Debug, Clone, clap::Args)]
pub struct RoutesArgs {
    /// Files or folders to read.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = RoutesFormat::Table)]
    pub format: RoutesFormat,
    /// Leave out files and folders matching this glob (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Config file (default: the nearest flaskscan.toml or pyproject.toml with [tool.flaskscan]).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `--fail-on` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl From<FailOnArg> for FailOn {
    fn from(a: FailOnArg) -> Self {
        match a {
            FailOnArg::None => FailOn::None,
            FailOnArg::Low => FailOn::At(Severity::Low),
            FailOnArg::Medium => FailOn::At(Severity::Medium),
            FailOnArg::High => FailOn::At(Severity::High),
            FailOnArg::Critical => FailOn::At(Severity::Critical),
        }
    }
}

/// Arguments of `scan`.
#[derive(Debug, Clone, clap::Args)]
pub struct ScanArgs {
    /// Files or folders to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only these rules (ids or prefixes, comma-separated): FS101,FS2. Prefixes select the
    /// default suite under them; an id or ALL also selects audit rules.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Rules to run besides the selected ones, e.g. audit rules: FS302,FS202.
    #[arg(long, value_delimiter = ',')]
    pub extend_select: Vec<String>,
    /// Skip these rules (ids or prefixes, comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Exit 1 when a finding at or above this severity remains [default: high].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// Config file (flaskscan.toml or pyproject.toml); by default found by walking up.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Leave out files and folders matching this glob (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Skip the dependency audit.
    #[arg(long)]
    pub no_deps: bool,
    /// Where dependency advisories come from.
    #[arg(long, value_enum, default_value_t = AdvisoryMode::Auto)]
    pub advisories: AdvisoryMode,
    /// A local OSV export (directory or `all.zip`) used as the whole advisory database.
    #[arg(long)]
    pub advisory_db: Option<PathBuf>,
    /// OSV API base URL, without `/v1` (also FLASKSCAN_OSV_URL).
    #[arg(long)]
    pub osv_url: Option<String>,
    /// Show suppressed findings in text output.
    #[arg(long)]
    pub show_suppressed: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print only the summary and problems.
    #[arg(long, short)]
    pub quiet: bool,
    /// Apply the fixes rules are sure of (files that changed since the scan are left alone),
    /// then report what remains.
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,
    /// Print the fixes as a unified diff instead of the report; nothing is written. Exits 1
    /// when there is a fix.
    #[arg(long)]
    pub diff: bool,
}

/// A failure that ends the program with exit code 2 and a one-line message.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32, UsageError> {
    match cli.command {
        Command::Scan(args) => run_scan(&args),
        Command::Rules { format } => {
            print_out(&render_rules(format))?;
            Ok(0)
        }
        Command::Rule { id } => {
            let rule = rules::by_id(&id).ok_or_else(|| {
                UsageError(format!("unknown rule `{id}`; `flaskscan rules` lists them"))
            })?;
            print_out(&explain(rule))?;
            Ok(0)
        }
        Command::Routes(args) => run_routes(&args),
        Command::Db(command) => run_db(command),
        Command::Github => {
            crate::github::run_action(&crate::github::ActionEnv::from_process(), &ActionScanner)
                .map_err(|e| UsageError(format!("{e:#}")))
        }
        Command::Merge { inputs, output } => crate::github::merge_sarif_files(&inputs, &output)
            .map(|()| 0)
            .map_err(|e| UsageError(format!("{e:#}"))),
    }
}

/// The real scan pipeline, as the GitHub Action runs it.
struct ActionScanner;

impl crate::github::Scanner for ActionScanner {
    fn scan(&self, req: &crate::github::ScanRequest) -> anyhow::Result<crate::github::ScanOutput> {
        let args = ScanArgs {
            paths: vec![req.root.clone()],
            format: Format::Sarif,
            output: None,
            select: Vec::new(),
            extend_select: Vec::new(),
            ignore: Vec::new(),
            fail_on: None,
            config: req.config.clone(),
            exclude: Vec::new(),
            no_deps: false,
            advisories: req
                .advisories
                .as_deref()
                .and_then(AdvisoryMode::parse)
                .unwrap_or_default(),
            advisory_db: None,
            osv_url: None,
            show_suppressed: false,
            threads: None,
            quiet: true,
            fix: false,
            diff: false,
        };
        let (mut options, _) = scan_options(&args).map_err(|e| anyhow::anyhow!(e.0))?;
        options.root = Some(req.root.clone());
        options.routes = req.routes;
        let report = scan::run(&options)?;
        let sarif = serde_json::to_value(report::sarif::to_sarif(&report))?;
        Ok(crate::github::ScanOutput { report, sarif })
    }
}

/// More worker threads than this only cost memory: the scan is CPU-bound.
const MAX_THREADS: usize = 1024;

fn print_out(s: &str) -> Result<(), UsageError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(crate::redact::scrub(s).as_bytes()) {
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| UsageError(format!("cannot write output: {e}"))),
    }
}

/// Merges CLI flags over the config file found for the scanned paths.
pub fn scan_options(args: &ScanArgs) -> Result<(ScanOptions, FailOn), UsageError> {
    let mut special = Vec::new();
    for p in &args.paths {
        match std::fs::metadata(p) {
            Err(_) => {
                return Err(UsageError(format!(
                    "{}: no such file or folder",
                    p.display()
                )))
            }
            Ok(m) if !m.is_file() && !m.is_dir() => special.push(format!(
                "{}: not a regular file or folder (a FIFO, device or socket); skipped",
                p.display()
            )),
            Ok(_) => {}
        }
    }
    if special.len() == args.paths.len() {
        return Err(UsageError(format!(
            "{}; nothing to scan",
            special.join("; ")
        )));
    }
    for s in args
        .select
        .iter()
        .chain(&args.extend_select)
        .chain(&args.ignore)
    {
        if !rules::selector_matches_any(s) {
            return Err(UsageError(format!(
                "`{s}` in --select/--extend-select/--ignore names no rule (see `flaskscan rules`)"
            )));
        }
    }
    crate::workspace::validate_globs(&args.exclude).map_err(UsageError)?;
    if let Some(n) = args.threads.filter(|n| !(1..=MAX_THREADS).contains(n)) {
        return Err(UsageError(format!(
            "--threads {n}: expected 1 to {MAX_THREADS} (the default is one per core)"
        )));
    }
    let file = file_config(args.config.as_deref(), &args.paths)?;
    let options = ScanOptions {
        paths: args
            .paths
            .iter()
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() || m.is_dir()))
            .cloned()
            .collect(),
        root: None,
        select: if args.select.is_empty() {
            file.select.clone()
        } else {
            args.select.clone()
        },
        extend_select: file
            .extend_select
            .iter()
            .chain(&args.extend_select)
            .cloned()
            .collect(),
        include_tests: file.include_tests,
        ignore: file.ignore.iter().chain(&args.ignore).cloned().collect(),
        exclude: file.exclude.iter().chain(&args.exclude).cloned().collect(),
        max_file_size: file.max_file_size.unwrap_or(scan::DEFAULT_MAX_FILE_SIZE),
        severity: file.severity.clone(),
        threads: args.threads,
        deps: (!args.no_deps).then(|| deps_options(args, &file)),
        warnings: file.warnings.iter().chain(&special).cloned().collect(),
        sanitizers: crate::taint::DeclaredSanitizers::new(&file.sanitizers),
        declared_auth: declared_auth(&file),
        routes: false,
    };
    let fail_on = args
        .fail_on
        .map(FailOn::from)
        .or(file.fail_on)
        .unwrap_or(FailOn::At(Severity::High));
    Ok((options, fail_on))
}

/// The config file given with `--config`, else the one found for the first scanned path.
fn file_config(
    given: Option<&std::path::Path>,
    paths: &[PathBuf],
) -> Result<config::FileConfig, UsageError> {
    match given {
        Some(path) => config::load(path),
        None => config::find(
            paths
                .first()
                .map_or(std::path::Path::new("."), |p| p.as_path()),
        ),
    }
    .map_err(|e| UsageError(e.to_string()))
}

/// The decorators the configuration declares as authentication.
fn declared_auth(file: &config::FileConfig) -> crate::python::access::DeclaredAuth {
    crate::python::access::DeclaredAuth::new(&file.auth_decorators, &file.role_decorators)
}

fn deps_options(args: &ScanArgs, file: &config::FileConfig) -> crate::deps::Options {
    let mut o = crate::deps::Options {
        mode: args.advisories,
        advisory_db: args.advisory_db.clone(),
        ignore_vulns: file.ignore_vulns.clone(),
        ..crate::deps::Options::default()
    };
    if let Some(url) = &args.osv_url {
        o.osv_url = url.clone();
    }
    o
}

/// A progress bar for a download, on a terminal only: CI logs and pipes get no redraw noise.
fn download_bar() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "downloading advisories {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .ok()?,
    );
    Some(bar)
}

fn run_db(command: DbCommand) -> Result<i32, UsageError> {
    match command {
        DbCommand::Update { cache_dir } => {
            let options = crate::deps::Options {
                cache_dir,
                ..crate::deps::Options::default()
            };
            let bar = download_bar();
            let r = crate::deps::db_update(&options, &|done, total| {
                if let Some(bar) = &bar {
                    bar.set_length(total.unwrap_or(0).max(done));
                    bar.set_position(done);
                }
            });
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let r = r.map_err(UsageError)?;
            print_out(&format!(
                "Saved {} advisories ({} bytes) to {}\n",
                r.advisories,
                r.bytes,
                r.path.display()
            ))?;
        }
        DbCommand::Build {
            from,
            ghsa_dir,
            out,
        } => {
            let r = crate::deps::db_build(&from, &ghsa_dir, &out).map_err(UsageError)?;
            print_out(&format!(
                "Wrote {} advisories ({} bytes, data of {}) to {}; {} withdrawn dropped, {} unreadable\n",
                r.advisories,
                r.bytes,
                r.date,
                out.display(),
                r.withdrawn_dropped,
                r.unreadable.len()
            ))?;
        }
    }
    Ok(0)
}

fn run_routes(args: &RoutesArgs) -> Result<i32, UsageError> {
    for p in &args.paths {
        if std::fs::metadata(p).is_err() {
            return Err(UsageError(format!(
                "{}: no such file or folder",
                p.display()
            )));
        }
    }
    crate::workspace::validate_globs(&args.exclude).map_err(UsageError)?;
    let file = file_config(args.config.as_deref(), &args.paths)?;
    for w in &file.warnings {
        eprintln!("flaskscan: warning: {}", crate::redact::one_line(w, 400));
    }
    let exclude = file.exclude.iter().chain(&args.exclude).cloned().collect();
    let mut options = crate::routes::options_for(args.paths.clone(), exclude);
    options.include_tests = file.include_tests;
    options.max_file_size = file.max_file_size.unwrap_or(scan::DEFAULT_MAX_FILE_SIZE);
    options.declared_auth = declared_auth(&file);
    let report =
        crate::routes::run(&options).map_err(|e| UsageError(format!("routes failed: {e}")))?;
    let routes = &report.routes;
    let rendered = match args.format {
        RoutesFormat::Table => crate::routes::render::table(routes),
        RoutesFormat::Json => crate::routes::render::json(routes),
        RoutesFormat::Markdown => crate::routes::render::markdown(routes),
    };
    print_out(&rendered)?;
    for n in &report.notifications {
        let place = match (&n.path, n.line) {
            (Some(p), Some(l)) => format!("{p}:{l}: "),
            (Some(p), None) => format!("{p}: "),
            _ => String::new(),
        };
        eprintln!("flaskscan: {}: {place}{}", n.level.as_str(), n.message);
    }
    Ok(0)
}

fn run_scan(args: &ScanArgs) -> Result<i32, UsageError> {
    let (options, fail_on) = scan_options(args)?;
    let mut report = scan::run(&options).map_err(|e| UsageError(format!("scan failed: {e}")))?;
    if args.diff {
        return print_diff(&report);
    }
    if args.fix {
        apply_fixes(&mut report);
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let rendered = render_report(&report, args, to_terminal);
    match &args.output {
        Some(path) => std::fs::write(path, crate::redact::scrub(&rendered).as_bytes())
            .map_err(|e| UsageError(format!("{}: cannot write: {e}", path.display())))?,
        None => print_out(&rendered)?,
    }
    for failure in &report.failures {
        eprintln!(
            "flaskscan: error: {}; the report is incomplete",
            crate::redact::one_line(failure, 1000)
        );
    }
    Ok(exit_code(&report, fail_on))
}

/// `--diff`: the fixes as a unified diff on stdout, a count on stderr; exit 1 when any.
fn print_diff(report: &ScanReport) -> Result<i32, UsageError> {
    let (diff, count, skipped) = crate::fix::diff(&report.root, &report.findings);
    print_out(&diff)?;
    for (path, why) in &skipped {
        eprintln!("flaskscan: {path}: not fixed: {why}");
    }
    eprintln!("flaskscan: {count} finding(s) can be fixed with --fix");
    Ok(i32::from(count > 0))
}

/// `--fix`: writes the fixes and drops the fixed findings from the report.
fn apply_fixes(report: &mut ScanReport) {
    let applied = crate::fix::apply_to_files(&report.root, &report.findings);
    for (path, why) in &applied.skipped {
        eprintln!("flaskscan: {path}: not fixed: {why}");
    }
    let count: usize = applied.files.iter().map(|(_, n)| n).sum();
    eprintln!(
        "flaskscan: fixed {count} finding(s) in {} file(s)",
        applied.files.len()
    );
    report
        .findings
        .retain(|f| !applied.fixed.contains(&f.fingerprint));
}

/// 2 when an analysis could not run, else 1 when an unsuppressed finding reaches `fail_on`,
/// else 0.
pub fn exit_code(report: &ScanReport, fail_on: FailOn) -> i32 {
    if !report.failures.is_empty() {
        return 2;
    }
    i32::from(report.active().any(|f| fail_on.fails(f.severity)))
}

fn render_report(report: &ScanReport, args: &ScanArgs, color: bool) -> String {
    match args.format {
        Format::Text => report::text::render(
            report,
            report::text::TextOptions {
                color,
                show_suppressed: args.show_suppressed,
                quiet: args.quiet,
            },
        ),
        Format::Json => report::json::render(report),
        Format::Sarif => report::sarif::render(report),
        Format::Github => {
            let findings: Vec<_> = report.findings.iter().collect();
            report::commands::render(&findings)
        }
        Format::Markdown => report::markdown::summary(report),
    }
}

fn cwe_list(rule: &Rule) -> String {
    rule.cwe
        .iter()
        .map(|c| format!("CWE-{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rule listing in the requested format.
pub fn render_rules(format: RulesFormat) -> String {
    match format {
        RulesFormat::Json => serde_json::to_string_pretty(rules::ALL).unwrap_or_default() + "\n",
        RulesFormat::Markdown => rules_markdown(),
        RulesFormat::Table => {
            let mut s = format!(
                "{:<7} {:<34} {:<9} {:<9} {:<8} {}\n",
                "ID", "NAME", "SEVERITY", "KIND", "SUITE", "CWE"
            );
            for r in rules::ALL {
                s.push_str(&format!(
                    "{:<7} {:<34} {:<9} {:<9} {:<8} {}\n",
                    r.id,
                    r.name,
                    r.severity.as_str(),
                    r.kind.as_str(),
                    r.suite.as_str(),
                    cwe_list(r)
                ));
            }
            s
        }
    }
}

/// The README's rule table, generated from the registry.
pub fn rules_markdown() -> String {
    let mut s = String::from(
        "| ID | Name | Severity | Kind | Suite | CWE | What it finds |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rules::ALL {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            r.id,
            r.name,
            r.severity.as_str(),
            r.kind.as_str(),
            r.suite.as_str(),
            cwe_list(r),
            report::markdown::cell(r.message)
        ));
    }
    s
}

/// `flaskscan rule ID`.
pub fn explain(rule: &Rule) -> String {
    let indent = |code: &str| {
        code.lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    format!(
        "{} {} [{}] ({}, {})\n\n{}\n\nWhy it matters:\n  {}\n\nFlagged:\n{}\nFixed:\n{}\nFix: {}\n",
        rule.id,
        rule.name,
        rule.severity,
        rule.kind.as_str(),
        cwe_list(rule),
        rule.message,
        rule.help,
        indent(rule.bad),
        indent(rule.good),
        rule.fix
    )
}
