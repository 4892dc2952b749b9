//! `flaskscan routes`: every route of the app, and who can reach it. Reads the files the way
//! `scan` does (one parse, one walk each), then joins the access facts across the project.

pub mod render;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use rayon::prelude::*;

use crate::finding::{Notification, NotificationLevel};
use crate::python::checker::Checker;
use crate::python::flask::AppFacts;
use crate::python::project::ProjectIndex;
use crate::python::SourceFile;
use crate::scan::{self, ScanOptions};
use crate::workspace::FileKind;

pub use crate::python::inventory::{Auth, LineSpan, Protection, ProtectionKind, RouteEntry};

/// What `flaskscan routes` lists, and what it could not read.
#[derive(Debug, Clone, Default)]
pub struct RoutesReport {
    /// Sorted by rule, methods, endpoint and place.
    pub routes: Vec<RouteEntry>,
    /// Files not read (syntax errors, unreadable files...).
    pub notifications: Vec<Notification>,
}

/// Lists the routes of the Python files under `options.paths` (`exclude`, `max_file_size`,
/// `include_tests`, `threads`, `root` and `declared_auth` are honoured; rule selection is not
/// used).
pub fn run(options: &ScanOptions) -> anyhow::Result<RoutesReport> {
    // Workers parse and drop deeply nested (hostile) code: they get the scan's large stacks.
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(scan::WORKER_STACK);
    if let Some(n) = options.threads.filter(|n| *n > 0) {
        builder = builder.num_threads(n);
    }
    let pool = builder
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start worker threads: {e}"))?;
    Ok(pool.install(|| inventory_of(options)))
}

fn inventory_of(options: &ScanOptions) -> RoutesReport {
    let root = options.root();
    let discovery = options.discover(&root);
    let mut notifications = discovery.notifications;
    let python: Vec<_> = discovery
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Python)
        .collect();
    let parsed: Vec<Result<SourceFile, Notification>> =
        python.par_iter().map(|f| scan::parse_python(f)).collect();
    let mut sources = Vec::new();
    for p in parsed {
        match p {
            Ok(file) => sources.push(file),
            Err(n) => notifications.push(n),
        }
    }
    let refs: Vec<&SourceFile> = sources.iter().collect();
    let project = ProjectIndex::build(&refs);
    let walked: Vec<Result<AppFacts, Notification>> = refs
        .par_iter()
        .filter(|f| options.include_tests || !project.is_test_code(&f.path))
        .map(|file| {
            catch_unwind(AssertUnwindSafe(|| {
                Checker::new(file, &project).collecting_access().run().facts
            }))
            .map_err(|_| Notification {
                level: NotificationLevel::Error,
                path: Some(file.path.clone()),
                line: None,
                message: "internal error while reading routes; file not analysed".into(),
            })
        })
        .collect();
    let mut facts = AppFacts::default();
    for w in walked {
        match w {
            Ok(f) => facts.merge(f),
            Err(n) => notifications.push(n),
        }
    }
    for n in &mut notifications {
        n.message = crate::redact::one_line(&n.message, 400);
    }
    notifications.sort_by(|a, b| (&a.path, a.line, &a.message).cmp(&(&b.path, b.line, &b.message)));
    let routes = crate::python::inventory::build(&facts, &options.declared_auth);
    drop(refs);
    // Freeing the trees recurses as deep as they nest: on the workers, not the caller.
    sources.into_par_iter().for_each(drop);
    RoutesReport {
        routes,
        notifications,
    }
}

/// Scan options for listing routes under `paths`.
pub fn options_for(paths: Vec<PathBuf>, exclude: Vec<String>) -> ScanOptions {
    ScanOptions {
        paths,
        exclude,
        deps: None,
        ..ScanOptions::default()
    }
}
