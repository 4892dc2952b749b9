//! Taint tracking: follows Flask request data (and exception details) through assignments,
//! containers, string building and calls into project functions, to the sinks of the FS2, FS3,
//! FS4 and FS5 taint rules, and reports each flow with its code flow.
//!
//! Each function is walked once ([`engine`]); its parameters start as symbolic taints, so the same
//! walk gives the function's summary (parameter → return, parameter → sink), memoised and applied
//! at every call site in any module. Only functions that can matter are entry points: views, and
//! functions that mention request data, exceptions or SQL execution.

pub mod app_paths;
pub mod attribute_types;
pub mod class_views;
pub mod connexion;
pub mod constfold;
pub mod context;
pub mod converters;
pub mod debug_gate;
pub mod dispatch;
pub mod dotless;
pub mod engine;
pub mod error_reporters;
pub mod exceptions;
pub mod fixed_templates;
pub mod form_fields;
pub mod guarded_clients;
pub mod guards;
pub mod index;
pub mod infer;
pub mod items;
pub mod json_decorators;
pub mod modelled;
pub mod models;
pub mod path_verdicts;
pub mod pathsafe;
pub mod predictable;
pub mod records;
pub mod reqparse;
pub mod request_globals;
pub mod return_types;
pub mod self_xss;
pub mod sinks;
pub mod sources;
pub mod status;
pub mod tokens;
pub mod validators;
pub mod value;
pub mod webargs;
pub mod word_hits;

use std::sync::Arc;

use rayon::prelude::*;
use ruff_text_size::TextRange;

use crate::finding::{FlowStep, Location, Severity};
use crate::python::project::ProjectIndex;
use crate::python::SourceFile;
use crate::rules::{self, Rule};
use engine::{Reach, Worker};
use index::Global;
use value::{Origin, SinkKind};
use word_hits::WordHits;

/// A taint finding located in its file, with its code flow.
#[derive(Debug, Clone)]
pub struct TaintFinding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    /// 1-based line of the statement holding the sink (for suppressions on multi-line statements).
    pub statement_line: u32,
    pub flow: Vec<FlowStep>,
    /// Reported only when the rule is named: the audit part of a linked rule.
    pub audit: bool,
}

/// A `render_template("t.html", name=value)` call where `value` holds request data that has not
/// been HTML-escaped: the template rules use it to raise `{{ name|safe }}` to high severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateContext {
    /// The template name as written in the call (`"?"` when not a literal).
    pub template: String,
    /// The context variable name.
    pub variable: String,
    /// Source → ... → the `render_template` call.
    pub flow: Vec<FlowStep>,
    /// The `render_template(...)` call.
    pub call_location: Location,
}

/// Everything the taint analysis found in a scan.
#[derive(Debug, Clone, Default)]
pub struct TaintOutput {
    pub findings: Vec<TaintFinding>,
    pub templates: Vec<TemplateContext>,
    /// (path, function) of functions a call chain reached only past the depth bound: flows
    /// through them were not followed, which the scan says.
    pub depth_limited: Vec<(String, String)>,
}

/// Words that make a function worth analysing as an entry point.
const ENTRY_WORDS: &[&str] = &["request", "session", "except", "route", "traceback"];
/// Words that make any function (Flask or not) worth analysing for SQL built from strings.
const SQL_WORDS: &[&str] = &["execute", "read_sql"];

/// Runs the analysis over every parsed file of the scan.
pub fn analyse(files: &[&SourceFile], project: &ProjectIndex) -> TaintOutput {
    analyse_app(files, project, false, &DeclaredSanitizers::default(), None)
}

/// [`analyse`], knowing whether the application checks a CSRF token on every unsafe request
/// (see [`self_xss`]), which project functions it declares as sanitisers, and where the scanned
/// tree is on disk (to read the OpenAPI specs of a connexion app, see [`connexion`]).
pub fn analyse_app(
    files: &[&SourceFile],
    project: &ProjectIndex,
    csrf_everywhere: bool,
    sanitizers: &DeclaredSanitizers,
    root: Option<&std::path::Path>,
) -> TaintOutput {
    let mut g = Global::build(files, project);
    if let Some(root) = root {
        connexion::register(&mut g, root);
    }
    g.csrf_everywhere = csrf_everywhere;
    g.sanitizers = sanitizers.clone();
    let mut by_file: Vec<Vec<&str>> = vec![Vec::new(); files.len()];
    for (name, f) in &g.funcs {
        by_file[f.file as usize].push(name.as_str());
    }
    let per_file: Vec<(Vec<Reach>, Vec<String>)> = by_file
        .par_iter()
        .enumerate()
        .map(|(i, names)| {
            let fc = &g.files[i];
            let mut names: Vec<&str> = names.clone();
            names.sort_unstable();
            let mut worker = Worker::new(&g);
            let mut out = Vec::new();
            let aliases = if fc.flask { fc_aliases(fc) } else { Vec::new() };
            let flask_words = ENTRY_WORDS.iter().copied();
            let entry_words = SQL_WORDS
                .iter()
                .chain(predictable::SOURCE_WORDS)
                .copied()
                .chain(
                    flask_words
                        .chain(aliases.iter().map(String::as_str))
                        .filter(|_| fc.flask),
                );
            let hits = WordHits::find(&fc.file.text, entry_words);
            for name in names {
                let info = &g.funcs[name];
                if info.view.is_none() && !hits.any_in(info.def.range) {
                    continue;
                }
                let result = worker.entry(info);
                out.extend(
                    result
                        .reaches
                        .into_iter()
                        .filter(|r| !matches!(r.taint.origin, Origin::Param(_)))
                        // A signed cookie session can be forged by whoever has the key; values
                        // kept on the server cannot be written by clients at all.
                        .filter(|r| {
                            !(r.taint.origin == Origin::Session && project.server_side_sessions())
                        }),
                );
            }
            (out, worker.cut_off)
        })
        .collect();
    let mut reaches = Vec::new();
    let mut cut_off: Vec<String> = Vec::new();
    for (r, c) in per_file {
        reaches.extend(r);
        cut_off.extend(c);
    }
    cut_off.sort();
    cut_off.dedup();
    let mut out = convert(&g, reaches);
    out.depth_limited = cut_off
        .into_iter()
        .filter_map(|name| {
            let info = g.funcs.get(&name)?;
            Some((g.files[info.file as usize].file.path.clone(), name))
        })
        .collect();
    out
}

/// Local names bound to `flask.request`/`flask.session` by `from flask import request as r`.
fn fc_aliases(fc: &index::FileCtx) -> Vec<String> {
    use ruff_python_ast::Stmt;
    let mut out = Vec::new();
    for stmt in fc.file.body() {
        if let Stmt::ImportFrom(i) = stmt {
            if i.module
                .as_ref()
                .is_some_and(|m| m.as_str().starts_with("flask"))
            {
                for a in &i.names {
                    if let Some(asname) = &a.asname {
                        if matches!(a.name.as_str(), "request" | "session") {
                            out.push(format!("{asname}."));
                            out.push(format!("{asname}["));
                        }
                    }
                }
            }
        }
    }
    out
}

/// The sink kinds a project-declared sanitiser clears for `rule_id` (`[tool.flaskscan]
/// sanitizers`): `None` for a rule that is not about data reaching a sink.
pub fn sanitized_kinds(rule_id: &str) -> Option<u32> {
    use SinkKind::*;
    let kind = match rule_id.to_ascii_uppercase().as_str() {
        "FS201" | "FS202" => Sql,
        "FS203" => Command,
        "FS204" => Code,
        "FS205" => Template,
        "FS206" => Ldap,
        "FS207" => Xpath,
        "FS208" => Nosql,
        // Template variables share the XSS bit, so `|safe` (FS303) is covered too.
        "FS301" | "FS303" => Xss,
        "FS405" => SecurityValue,
        "FS409" => SessionStore,
        "FS410" => StackTrace,
        "FS501" => Redirect,
        "FS502" => Path,
        "FS503" => Ssrf,
        "FS504" => Deserialization,
        "FS505" => Xxe,
        _ => return None,
    };
    Some(kind.bit())
}

/// Project functions declared as sanitisers, with the sink kinds (bits) their result is safe for.
#[derive(Debug, Clone, Default)]
pub struct DeclaredSanitizers {
    by_name: Vec<(String, u32)>,
}

impl DeclaredSanitizers {
    /// From `(qualified function name, rule ids)` pairs; ids that name no taint rule are skipped
    /// (the configuration rejects them before this).
    pub fn new(entries: &[(String, Vec<String>)]) -> Self {
        let by_name = entries
            .iter()
            .map(|(name, rules)| {
                let bits = rules
                    .iter()
                    .filter_map(|r| sanitized_kinds(r))
                    .fold(0, |a, b| a | b);
                (name.clone(), bits)
            })
            .collect();
        Self { by_name }
    }

    /// The kinds `qualified` is declared safe for. A declared name matches the qualified name or
    /// its tail on a dot (`paths.inside` matches `myapp.paths.inside`), since module names
    /// depend on the folder the scan starts from.
    pub fn bits(&self, qualified: &str) -> Option<u32> {
        self.by_name.iter().find_map(|(name, bits)| {
            crate::python::access::tail_matches(qualified, name).then_some(*bits)
        })
    }
}

/// The rule a reach belongs to, if it is a finding.
fn rule_for(kind: SinkKind, origin: Origin) -> Option<&'static Rule> {
    use rules::*;
    Some(match (kind, origin) {
        (_, Origin::Param(_)) | (SinkKind::TemplateVar, _) => return None,
        (SinkKind::Sql, Origin::BuiltSql) => &fs202_sql_built_from_strings::RULE,
        (SinkKind::Sql, _) => &fs201_sql_injection::RULE,
        (SinkKind::Command, _) => &fs203_command_injection::RULE,
        (SinkKind::Code, _) => &fs204_code_injection::RULE,
        (SinkKind::Template, _) => &fs205_template_injection::RULE,
        (SinkKind::Ldap, _) => &fs206_ldap_injection::RULE,
        (SinkKind::Xpath, _) => &fs207_xpath_injection::RULE,
        (SinkKind::Nosql, _) => &fs208_nosql_injection::RULE,
        (SinkKind::Xss, _) => &fs301_reflected_xss::RULE,
        (SinkKind::SecurityValue, _) => &fs405_insecure_random::RULE,
        (SinkKind::SessionStore, _) => &fs409_trust_boundary_violation::RULE,
        (SinkKind::StackTrace, _) => &fs410_stack_trace_exposure::RULE,
        (SinkKind::Redirect, _) => &fs501_open_redirect::RULE,
        (SinkKind::Path, _) => &fs502_path_traversal::RULE,
        (SinkKind::Ssrf, _) => &fs503_ssrf::RULE,
        (SinkKind::Deserialization, _) => &fs504_unsafe_deserialization::RULE,
        (SinkKind::Xxe, _) => &fs505_xxe::RULE,
    })
}

fn message(reach: &Reach) -> String {
    let t = &reach.taint;
    let sink = &reach.site.name;
    match t.origin {
        Origin::Predictable => predictable::message(t, sink),
        Origin::BuiltSql => format!("SQL text built by string formatting (`{}`) reaches {sink}; pass the values as query parameters", t.label),
        Origin::Exception => format!("details of {} reach {sink}, exposing internals to clients", t.label),
        Origin::Session => format!("session data {} reaches {sink}", t.label),
        _ => format!("{} reaches {sink}", t.label),
    }
}

fn location(g: &Global, file: u32, range: TextRange) -> Location {
    let f = g.files[file as usize].file;
    let (start, end) = f.span(range);
    Location {
        path: f.path.clone(),
        start,
        end,
    }
}

fn flow_steps(g: &Global, flow: &value::Flow) -> Vec<FlowStep> {
    value::steps(flow)
        .into_iter()
        .map(|n| FlowStep {
            location: location(g, n.file, n.range),
            message: n.message.clone(),
        })
        .collect()
}

/// Turns reaches into located findings and template contexts; one finding per rule and sink
/// (a default-suite flow first, then the shortest), and FS201 supersedes FS202 at the same sink.
fn convert(g: &Global, mut reaches: Vec<Reach>) -> TaintOutput {
    // Default-suite flows first: a predictable value is reported once, at its source, and that
    // one finding must not be an audit flow hiding a default one at another sink.
    reaches.sort_by_key(|r| {
        (
            r.taint.audit,
            r.site.file,
            r.site.range.start(),
            r.kind as u8,
            r.taint.flow.as_ref().map_or(0, |f| f.len),
            r.taint.key,
        )
    });
    let mut out = TaintOutput::default();
    let mut seen: std::collections::HashSet<(u32, u32, &'static str)> =
        std::collections::HashSet::new();
    let mut templates_seen = std::collections::HashSet::new();
    for r in &reaches {
        if r.kind == SinkKind::TemplateVar {
            // Data that reached the template through a guessed step does not link it.
            if r.taint.origin != Origin::Request || r.taint.audit {
                continue;
            }
            let Some((template, variable)) = &r.site.template else {
                continue;
            };
            if templates_seen.insert((r.site.file, r.site.range.start(), Arc::clone(variable))) {
                out.templates.push(TemplateContext {
                    template: template.to_string(),
                    variable: variable.to_string(),
                    flow: flow_steps(g, &r.taint.flow),
                    call_location: location(g, r.site.file, r.site.range),
                });
            }
            continue;
        }
        let Some(rule) = rule_for(r.kind, r.taint.origin) else {
            continue;
        };
        // A predictable value is reported once, at the call that made it, whatever it reached.
        let (file, range, stmt_start) = match source_spot(r) {
            Some(range) => (r.taint.key.0, range, range.start()),
            None => (r.site.file, r.site.range, r.site.stmt_start),
        };
        let start = range.start().to_u32();
        if rule.id == "FS202" && seen.contains(&(file, start, "FS201")) {
            continue;
        }
        if !seen.insert((file, start, rule.id)) {
            continue;
        }
        let f = g.files[file as usize].file;
        out.findings.push(TaintFinding {
            rule,
            severity: rule.severity,
            message: message(r),
            location: location(g, file, range),
            statement_line: f.line_number(stmt_start),
            flow: flow_steps(g, &r.taint.flow),
            audit: r.taint.audit,
        });
    }
    // FS201 may have been sorted after FS202 at the same place: drop the audit finding then too.
    let fs201: std::collections::HashSet<(String, u32, u32)> = out
        .findings
        .iter()
        .filter(|f| f.rule.id == "FS201")
        .map(|f| {
            (
                f.location.path.clone(),
                f.location.start.line,
                f.location.start.column,
            )
        })
        .collect();
    out.findings.retain(|f| {
        f.rule.id != "FS202"
            || !fs201.contains(&(
                f.location.path.clone(),
                f.location.start.line,
                f.location.start.column,
            ))
    });
    out
}

/// Where a predictable value's finding is located: its source call (the first step of its flow).
fn source_spot(r: &Reach) -> Option<TextRange> {
    if r.taint.origin != Origin::Predictable {
        return None;
    }
    value::steps(&r.taint.flow).first().map(|n| n.range)
}

/// Drops pattern findings a taint finding explains better: FS302 where FS301 fired on the same
/// `Markup(...)`, the `yaml.load` pattern of FS504 where the taint half fired on the same call.
pub fn supersedes(taint: &TaintFinding, other_rule: &str, other: &Location) -> bool {
    // An audit finding may not be shown: the pattern finding stays.
    !taint.audit
        && other.path == taint.location.path
        && other.start == taint.location.start
        && (other_rule == taint.rule.id || (other_rule == "FS302" && taint.rule.id == "FS301"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_sanitizers_match_whole_dotted_tails() {
        let s = DeclaredSanitizers::new(&[(
            "paths.inside_library".into(),
            vec!["FS502".into(), "fs303".into()],
        )]);
        let bits = SinkKind::Path.bit() | SinkKind::Xss.bit();
        assert_eq!(s.bits("paths.inside_library"), Some(bits));
        assert_eq!(s.bits("shelf.paths.inside_library"), Some(bits));
        // Another module whose name merely ends the same way is not it.
        assert_eq!(s.bits("shelf.mypaths.inside_library"), None);
        assert_eq!(s.bits("shelf.paths.inside_library_unchecked"), None);
        assert_eq!(sanitized_kinds("FS101"), None);
    }
}
