//! FS106 csrf-protection-missing (app rule).

use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::{RelatedLocation, Severity};
use crate::python::flask::{AppFacts, Route};

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

/// Most form-accepting views a finding points to: enough to show the pattern, few enough to read.
const MAX_RELATED_VIEWS: usize = 10;

/// Once per application: the state-changing views that read form data, when nothing in the app
/// checks CSRF tokens and the browser carries a credential by itself (a session, a login cookie,
/// HTTP authentication). Without such a credential a forged request acts as nobody.
pub fn check(facts: &AppFacts, out: &mut Vec<AppFinding>) {
    if facts.csrf_protection || !facts.ambient_credentials {
        return;
    }
    let views = form_views(facts);
    let Some(first) = views.first() else { return };
    let location = facts.apps.first().unwrap_or(&first.location).clone();
    out.push(AppFinding {
        flow: Vec::new(),
        related: views
            .iter()
            .take(MAX_RELATED_VIEWS)
            .map(|r| RelatedLocation {
                location: r.location.clone(),
                message: format!("`{}` accepts form posts", short_name(r)),
            })
            .collect(),
        rule: &RULE,
        location,
        message: format!(
            "{} accept{} form posts and the app has no CSRF protection (CSRFProtect, FlaskForm, SeaSurf or a before_request token check)",
            describe(&views),
            if views.len() == 1 { "s" } else { "" }
        ),
    });
}

/// The state-changing views that read form data without validating a form (one per view, however
/// many routes it has).
pub fn form_views(facts: &AppFacts) -> Vec<&Route> {
    let mut views: Vec<&Route> = Vec::new();
    for route in &facts.routes {
        let reads_form = facts
            .views_of(route)
            .any(|v| v.reads_form && !v.validates_form);
        if route.is_state_changing()
            && reads_form
            && !views.iter().any(|v| v.function == route.function)
        {
            views.push(route);
        }
    }
    views
}

/// "`transfer` (app.py:12)", or the first three and a count.
fn describe(views: &[&Route]) -> String {
    let name = |r: &Route| {
        format!(
            "`{}` ({}:{})",
            short_name(r),
            r.location.path,
            r.location.start.line
        )
    };
    let shown: Vec<String> = views.iter().take(3).map(|r| name(r)).collect();
    match views.len() {
        1 => shown[0].clone(),
        n if n <= 3 => format!("{} and {}", shown[..n - 1].join(", "), shown[n - 1]),
        n => format!("{} and {} more views", shown.join(", "), n - 3),
    }
}

/// The view's own name, without its module.
fn short_name(r: &Route) -> &str {
    r.function.rsplit('.').next().unwrap_or(&r.function)
}
