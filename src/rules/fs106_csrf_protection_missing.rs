//! FS106 csrf-protection-missing (app rule).

use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::flask::AppFacts;

pub const RULE: Rule = Rule {
    id: "FS106",
    name: "csrf-protection-missing",
    severity: Severity::Medium,
    cwe: &[352],
    kind: RuleKind::App,
    precision: Precision::Medium,
    suite: Suite::Default,
    message: "The app accepts form posts but has no CSRF protection",
    fix: "Enable Flask-WTF's global protection: `csrf = CSRFProtect(app)` (or `csrf.init_app(app)` in the factory), and render `{{ csrf_token() }}` in forms.",
    help: "A state-changing route that reads form data without a CSRF token check can be triggered by any web page the user visits while logged in. Flask has no built-in CSRF protection: add CSRFProtect, use FlaskForm, or SeaSurf.",
    bad: "@app.route(\"/transfer\", methods=[\"POST\"])\ndef transfer():\n    amount = request.form[\"amount\"]",
    good: "csrf = CSRFProtect(app)\n\n@app.route(\"/transfer\", methods=[\"POST\"])\ndef transfer():\n    amount = request.form[\"amount\"]",
};

/// Every state-changing route that reads form data, when nothing in the app checks CSRF tokens.
pub fn check(facts: &AppFacts, out: &mut Vec<AppFinding>) {
    if facts.csrf_protection {
        return;
    }
    for route in &facts.routes {
        let view = facts.view(&route.function);
        let reads_form = view.is_some_and(|v| v.reads_form && !v.validates_form);
        if route.is_state_changing() && reads_form {
            let name = route.function.rsplit('.').next().unwrap_or(&route.function);
            out.push(AppFinding {
                rule: &RULE,
                location: route.location.clone(),
                message: format!(
                    "`{name}` accepts {} form posts and the app has no CSRF protection (CSRFProtect, FlaskForm or SeaSurf)",
                    route.methods.join("/")
                ),
            });
        }
    }
}
