//! The state one template's rules share: the template, what the views put in its context, and
//! the app facts the rules depend on. Like the Python checker, rules report through it.

use std::collections::HashSet;
use std::ops::Range;

use super::link::{Links, Resolver};
use super::model::{Form, Value};
use super::TemplateFile;
use crate::finding::{FlowStep, Severity};
use crate::rules::Rule;

/// How deep `{% include %}`s are followed looking for a CSRF token.
const MAX_INCLUDE_DEPTH: usize = 8;

/// A finding in a template, before positions, snippets and suppressions are attached.
#[derive(Debug, Clone)]
pub struct TemplateFinding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub span: Range<usize>,
    pub flow: Vec<FlowStep>,
}

/// One template under check.
pub struct TemplateCheck<'a> {
    pub file: &'a TemplateFile,
    /// Every template of the scan, for includes and imports.
    pub all: &'a [TemplateFile],
    pub resolver: &'a Resolver,
    /// What the views that render this template put in its context.
    pub links: &'a Links,
    /// Whether a POST form without a token is forgeable and no app-level finding says so (see
    /// `scan::templates`).
    pub unprotected_forms: bool,
    /// Variables some `{% if %}` needs that nothing in the app supplies (see
    /// `scan::templates`): their branches never render.
    pub unsupplied: &'a HashSet<String>,
    pub findings: Vec<TemplateFinding>,
}

impl TemplateCheck<'_> {
    /// Reports `rule` at `span`.
    pub fn report(
        &mut self,
        rule: &'static Rule,
        span: Range<usize>,
        message: String,
        severity: Severity,
        flow: Vec<FlowStep>,
    ) {
        self.findings.push(TemplateFinding {
            rule,
            severity,
            message,
            span,
            flow,
        });
    }

    /// The first variable of `value` that carries request data, with the flow that brings it
    /// here (ending before the template step). Flask's `request` global is request data itself.
    pub fn request_flow(&self, value: &Value) -> Option<(String, Vec<FlowStep>)> {
        value.vars.iter().find_map(|v| {
            match self.links.get(v).and_then(|l| l.request_flow.clone()) {
                Some(flow) => Some((v.clone(), flow)),
                None if v == "request" => Some((v.clone(), Vec::new())),
                None => None,
            }
        })
    }

    /// Whether every view that renders this template passes each variable of `value` as a
    /// number or as HTML-sanitizer output.
    pub fn is_harmless(&self, value: &Value) -> bool {
        !value.unknown
            && !value.vars.is_empty()
            && value
                .vars
                .iter()
                .all(|v| self.links.get(v).is_some_and(|l| l.harmless && !l.harmful))
    }

    /// Whether a POST form renders a CSRF token: itself, through an included template, or
    /// through a macro that renders one.
    pub fn form_has_token(&self, form: &Form) -> bool {
        let model = &self.file.model;
        form.has_token
            || form
                .includes
                .iter()
                .any(|n| self.template_has_token(n, &self.file.path, 0, &mut HashSet::new()))
            || form.calls.iter().any(|callee| {
                if model.macros.get(callee.as_str()) == Some(&true) {
                    return true;
                }
                let (head, tail) = callee.split_once('.').unwrap_or((callee, callee));
                let Some(source) = model.imports.get(head) else {
                    return false;
                };
                let Some(i) = self.resolver.resolve(source, &self.file.path) else {
                    return false;
                };
                self.all[i].model.macros.get(tail) == Some(&true)
            })
    }

    fn template_has_token(
        &self,
        name: &str,
        near: &str,
        depth: usize,
        seen: &mut HashSet<usize>,
    ) -> bool {
        let Some(i) = self.resolver.resolve(name, near) else {
            return false;
        };
        if depth > MAX_INCLUDE_DEPTH || !seen.insert(i) {
            return false;
        }
        let t = &self.all[i];
        t.model.has_token
            || t.model
                .references
                .iter()
                .filter(|r| r.kind == super::model::ReferenceKind::Include)
                .any(|r| {
                    r.names
                        .iter()
                        .any(|n| self.template_has_token(n, &t.path, depth + 1, seen))
                })
    }
}
