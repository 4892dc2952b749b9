//! FS305 form-without-csrf-token.

use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::templates::check::TemplateCheck;

pub const RULE: Rule = Rule {
    id: "FS305",
    name: "form-without-csrf-token",
    severity: Severity::Medium,
    cwe: &[352],
    kind: RuleKind::Template,
    precision: Precision::Medium,
    // Audit: FS106 reports an app without CSRF protection once, naming its form views; a form
    // whose handler the analysis does not see reading form data (a login form, a search or an
    // echo) was, on real applications, never a forgeable state change.
    suite: Suite::Audit,
    message: "A POST form has no CSRF token and the app has no global CSRF protection",
    fix: "Enable `CSRFProtect(app)` and add `<input type=\"hidden\" name=\"csrf_token\" value=\"{{ csrf_token() }}\">` to the form (or use a FlaskForm and `{{ form.hidden_tag() }}`).",
    help: "Without a token the server cannot tell a form the user submitted from one another site submitted in their name with their cookies.",
    bad: "<form method=\"post\" action=\"/transfer\">",
    good: "<form method=\"post\" action=\"/transfer\">\n  <input type=\"hidden\" name=\"csrf_token\" value=\"{{ csrf_token() }}\">",
};

/// `<form method="post">` without a token, in an app without CSRF protection whose form views
/// FS106 does not already name.
pub fn check(cx: &mut TemplateCheck) {
    if !cx.unprotected_forms {
        return;
    }
    let file = cx.file;
    for form in &file.model.forms {
        // A form posting to another site is that site's business.
        if form.action.as_deref().is_some_and(is_other_origin) || cx.form_has_token(form) {
            continue;
        }
        let message = "POST form without a CSRF token (`{{ csrf_token() }}` or `form.hidden_tag()`), and the app has no CSRFProtect, SeaSurf or FlaskForm".to_string();
        cx.report(&RULE, form.span.clone(), message, RULE.severity, Vec::new());
    }
}

fn is_other_origin(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("//")
}
