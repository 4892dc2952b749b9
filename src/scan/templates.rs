//! The template stage: model every template, link it to the views that render it, and run the
//! template rules. Templates are only tokenized, never rendered.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rayon::prelude::*;

use super::read::read_template;
use super::{cap_per_rule, capped_notes, finalize, FileContext, Pending, ScannedText};
use crate::finding::{Finding, Notification, NotificationLevel};
use crate::python::flask::AppFacts;
use crate::python::suppression::Suppressions;
use crate::python::words::mentions_identifier;
use crate::rules;
use crate::templates::check::TemplateCheck;
use crate::templates::link::{self, Links, Resolver};
use crate::templates::TemplateFile;
use crate::workspace::{FileKind, SourcePath};

/// Reads and models every template, links them to the views that render them, and runs the
/// template rules. Templates are only tokenized, never rendered.
pub(super) fn check_templates(
    files: &[SourcePath],
    facts: &AppFacts,
    python_scanned: bool,
    whole_tree: bool,
    python_texts: Option<&[&str]>,
) -> (Vec<Finding>, Vec<Notification>) {
    let read: Vec<Result<TemplateFile, Notification>> = files
        .par_iter()
        .filter(|f| f.kind == FileKind::Template)
        .map(read_template)
        .collect();
    let mut notifications = Vec::new();
    let mut templates = Vec::new();
    for r in read {
        match r {
            Ok(t) => templates.push(t),
            Err(n) => notifications.push(n),
        }
    }
    for t in &templates {
        for p in &t.model.problems {
            let line = t.lines.position(&t.text, p.offset as u32).line;
            notifications.push(Notification::file_warning(
                &t.path,
                Some(line),
                format!("template: {}", p.message),
            ));
        }
    }
    let resolver = Resolver::new(
        templates.iter().map(|t| t.path.clone()).collect(),
        facts.template_folders.clone(),
    );
    let links = link::link(&templates, &facts.renders, &resolver);
    // Without Python code the app's CSRF protection is unknown.
    // Only a Flask app's forms are judged: a tree without one (a library, a Django project) has
    // CSRF handled elsewhere or not at all, and we cannot tell which.
    let is_flask_app = !facts.apps.is_empty() || !facts.routes.is_empty();
    // A form needs its own finding only when nothing else says it is forgeable: FS106 reports an
    // unprotected app once, naming its form views, and without a credential the browser sends by
    // itself (a session, a login cookie) a forged post acts as nobody.
    let unprotected_forms = python_scanned
        && is_flask_app
        && !facts.csrf_protection
        && facts.ambient_credentials
        && rules::fs106_csrf_protection_missing::form_views(facts).is_empty();
    let complete = whole_tree && python_scanned && is_flask_app;
    let unserved = unserved_templates(&templates, facts, complete);
    let unsupplied = unsupplied_variables(&templates, complete, python_texts);
    let checked: Vec<(Vec<Finding>, Vec<Notification>)> = templates
        .par_iter()
        .zip(links.par_iter())
        .zip(unserved.par_iter())
        .filter(|(_, unserved)| !**unserved)
        .map(|((t, l), _)| {
            check_template(t, &templates, &resolver, l, unprotected_forms, &unsupplied)
        })
        .collect();
    let mut findings = Vec::new();
    for (f, note) in checked {
        findings.extend(f);
        notifications.extend(note);
    }
    (findings, notifications)
}

/// Per template, whether nothing serves it: it sits in a template folder, and neither the Flask
/// app's Python code (all of it: `complete` says the scan covered one whole folder with an
/// app) nor another template names it, while every name they use is known (no
/// `render_template(name)` of a computed name, no `{% include widget.template %}`). What such
/// a template holds never reaches a browser: leftover boilerplate, a page a refactor orphaned.
fn unserved_templates(templates: &[TemplateFile], facts: &AppFacts, complete: bool) -> Vec<bool> {
    let names = &facts.template_names;
    if !complete
        || facts.renders.is_empty()
        || names.computed
        || templates.iter().any(|t| t.model.computed_reference)
    {
        return vec![false; templates.len()];
    }
    let file_name = |path: &str| path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let referenced: HashSet<String> = templates
        .iter()
        .flat_map(|t| &t.model.references)
        .flat_map(|r| &r.names)
        .map(|n| file_name(n))
        .collect();
    templates
        .iter()
        .map(|t| {
            let in_template_folder = t.path.split('/').any(|part| part == "templates")
                || facts
                    .template_folders
                    .iter()
                    .any(|f| t.path.starts_with(&format!("{f}/")));
            let name = file_name(&t.path);
            in_template_folder && !referenced.contains(&name) && !names.may_name(&name)
        })
        .collect()
}

/// Names Jinja or Flask put in every template's context, or that Jinja binds itself.
const TEMPLATE_GLOBALS: &[&str] = &[
    "config",
    "request",
    "session",
    "g",
    "url_for",
    "get_flashed_messages",
    "range",
    "dict",
    "lipsum",
    "cycler",
    "joiner",
    "namespace",
    "loop",
    "self",
    "caller",
    "varargs",
    "kwargs",
    "super",
];

/// The variables some template's `{% if %}` needs (see `Resource::requires`) that nothing in
/// the app supplies: not a Jinja or Flask global, bound by no template, and not one word of any
/// Python file (where a `render_template` keyword, a context processor's key or a Jinja global
/// would name it). Only a whole-tree scan of a Flask app with every Python file read
/// (`python_texts`) can tell; otherwise none is.
fn unsupplied_variables(
    templates: &[TemplateFile],
    complete: bool,
    python_texts: Option<&[&str]>,
) -> HashSet<String> {
    let Some(python_texts) = python_texts.filter(|_| complete) else {
        return HashSet::new();
    };
    let wanted: HashSet<&str> = templates
        .iter()
        .flat_map(|t| &t.model.resources)
        .flat_map(|r| &r.requires)
        .map(String::as_str)
        .filter(|n| !TEMPLATE_GLOBALS.contains(n))
        .filter(|n| {
            !templates.iter().any(|t| {
                t.model.bound.contains(*n)
                    || t.model.imports.contains_key(*n)
                    || t.model.macros.contains_key(*n)
            })
        })
        .collect();
    wanted
        .into_iter()
        .filter(|n| !python_texts.iter().any(|text| mentions_identifier(text, n)))
        .map(str::to_string)
        .collect()
}

fn check_template(
    t: &TemplateFile,
    all: &[TemplateFile],
    resolver: &Resolver,
    links: &Links,
    unprotected_forms: bool,
    unsupplied: &HashSet<String>,
) -> (Vec<Finding>, Vec<Notification>) {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut cx = TemplateCheck {
            file: t,
            all,
            resolver,
            links,
            unprotected_forms,
            unsupplied,
            findings: Vec::new(),
        };
        rules::dispatch::template(&mut cx);
        cx.findings
    }));
    let Ok(mut raw) = result else {
        let note = Notification {
            level: NotificationLevel::Error,
            path: Some(t.path.clone()),
            line: None,
            message: "internal error while checking the template; file not analysed".into(),
        };
        return (Vec::new(), vec![note]);
    };
    if raw.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let notes = capped_notes(&t.path, cap_per_rule(&mut raw, |f| f.rule));
    let pending = raw
        .into_iter()
        .map(|f| {
            let location = t.location(f.span);
            Pending {
                rule: f.rule,
                severity: f.severity,
                message: f.message,
                start: location.start,
                end: location.end,
                statement_line: location.start.line,
                flow: f.flow,
                related: Vec::new(),
                audit: false,
                fix: None,
            }
        })
        .collect();
    let scanned = ScannedText {
        relative: &t.path,
        text: &t.text,
        lines: &t.lines,
        context: FileContext::new(
            Suppressions::from_text(&t.text, &t.lines),
            t.original.clone(),
        ),
    };
    (finalize(&scanned, pending), notes)
}
