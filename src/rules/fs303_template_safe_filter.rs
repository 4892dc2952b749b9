//! FS303 template-safe-filter.

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::{FlowStep, Severity};
use crate::templates::check::TemplateCheck;

pub const RULE: Rule = Rule {
    id: "FS303",
    name: "template-safe-filter",
    severity: Severity::Medium,
    cwe: &[79],
    kind: RuleKind::Template,
    precision: Precision::Medium,
    suite: Suite::Linked,
    message: "`|safe` renders a variable without escaping",
    fix: "Drop `|safe` and let autoescaping work; if the value must carry HTML, clean it in the view with `nh3.clean(...)` (or `bleach.clean`) before passing it.",
    help: "`|safe` tells Jinja the value is trusted HTML. When any part of it comes from a user, a `<script>` or an event handler in it runs in every visitor's browser (stored or reflected XSS).",
    bad: "<div>{{ comment|safe }}</div>",
    good: "<div>{{ comment }}</div>",
};

/// `{{ x|safe }}` and `{% set y = x|safe %}` on a value that is not a literal.
pub fn check(cx: &mut TemplateCheck) {
    let file = cx.file;
    for o in &file.model.outputs {
        let Some(value) = &o.marked_safe else {
            continue;
        };
        if value.is_literal() || cx.is_harmless(value) {
            continue;
        }
        let shown = if o.context.is_some() {
            format!("{{{{ {} }}}}", o.source)
        } else {
            format!("{{% {} %}}", o.source)
        };
        match cx.request_flow(value) {
            Some((var, mut flow)) => {
                flow.push(FlowStep {
                    location: file.location(o.span.clone()),
                    message: format!("`{var}` is rendered without escaping by `|safe`"),
                });
                let message = format!("request data reaches `{shown}`: `{var}` is marked safe and rendered without escaping");
                cx.report(&RULE, o.span.clone(), message, Severity::High, flow);
            }
            None => {
                let message = format!("`{shown}` renders a variable without escaping");
                cx.report(&RULE, o.span.clone(), message, RULE.severity, Vec::new());
            }
        }
    }
}
