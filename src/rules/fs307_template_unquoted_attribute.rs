//! FS307 template-unquoted-attribute.

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::{FlowStep, Severity};
use crate::templates::check::TemplateCheck;
use crate::templates::html::Context;
use crate::templates::model::NO_SPACE_FILTERS;

pub const RULE: Rule = Rule {
    id: "FS307",
    name: "template-unquoted-attribute",
    severity: Severity::Medium,
    cwe: &[79],
    kind: RuleKind::Template,
    precision: Precision::High,
    suite: Suite::Linked,
    message: "A variable is the unquoted value of an HTML attribute",
    fix: "Quote the attribute: `class=\"{{ value }}\"`.",
    help: "Autoescaping escapes `<`, `>`, `&` and quotes but not spaces: in `class={{ value }}` a value like `x onmouseover=alert(1)` adds an event handler.",
    bad: "<div class={{ theme }}>",
    good: "<div class=\"{{ theme }}\">",
};

/// `attr={{ value }}` where the value is not a literal.
pub fn check(cx: &mut TemplateCheck) {
    let file = cx.file;
    for o in &file.model.outputs {
        let Some(Context::Attribute {
            name,
            quoted: false,
            ..
        }) = &o.context
        else {
            continue;
        };
        if o.rendered.is_literal()
            || cx.is_harmless(&o.rendered)
            || o.filters
                .iter()
                .any(|f| NO_SPACE_FILTERS.contains(&f.as_str()))
        {
            continue;
        }
        match cx.request_flow(&o.rendered) {
            Some((var, mut flow)) => {
                flow.push(FlowStep {
                    location: file.location(o.span.clone()),
                    message: format!("`{var}` is written into the unquoted attribute `{name}`"),
                });
                let message = format!("request data reaches the unquoted attribute `{name}={{{{ {} }}}}`: a space in it adds attributes", o.source);
                cx.report(&RULE, o.span.clone(), message, Severity::High, flow);
            }
            None => {
                let message = format!("`{name}={{{{ {} }}}}` is not quoted: a space in the value adds attributes (escaping does not cover spaces)", o.source);
                cx.report(&RULE, o.span.clone(), message, RULE.severity, Vec::new());
            }
        }
    }
}
