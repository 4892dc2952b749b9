//! FS304 template-autoescape-off.

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::templates::check::TemplateCheck;

pub const RULE: Rule = Rule {
    id: "FS304",
    name: "template-autoescape-off",
    severity: Severity::Medium,
    cwe: &[79],
    kind: RuleKind::Template,
    precision: Precision::High,
    suite: Suite::Default,
    message: "`{% autoescape false %}` renders every variable in the block without escaping",
    fix: "Remove the `{% autoescape false %}` block; mark only vetted, sanitized values as safe.",
    help: "Inside an `{% autoescape false %}` block every `{{ variable }}` is written as raw HTML, so any user-controlled value in it is an XSS.",
    bad: "{% autoescape false %}{{ bio }}{% endautoescape %}",
    good: "{{ bio }}",
};

/// Every `{% autoescape false %}` block that prints data from outside the template, unless
/// every view that renders it passes each printed variable as a number or as HTML a
/// sanitizer or an escaping formatter made (the block then turns off escaping of nothing a
/// visitor chose).
pub fn check(cx: &mut TemplateCheck) {
    let file = cx.file;
    for block in &file.model.autoescape_off {
        let escaped = block
            .printed
            .as_ref()
            .is_some_and(|printed| printed.iter().all(|v| v.is_literal() || cx.is_harmless(v)));
        if escaped {
            continue;
        }
        cx.report(
            &RULE,
            block.span.clone(),
            RULE.message.to_string(),
            RULE.severity,
            Vec::new(),
        );
    }
}
