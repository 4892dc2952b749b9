//! FS413 object-access-without-ownership-check (app rule): an authenticated view without a role
//! loads a row of an owned model by an id from the URL or the request, and never compares the
//! row's owner with the current user nor loads through them.

use std::collections::{HashMap, HashSet};

use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::{FlowStep, Severity};
use crate::python::inventory::{Auth, RouteEntry};

pub const RULE: Rule = Rule {
    id: "FS413",
    name: "object-access-without-ownership-check",
    severity: Severity::Medium,
    cwe: &[639],
    kind: RuleKind::App,
    precision: Precision::Medium,
    suite: Suite::Audit,
    message: "An object is loaded by an id from the client without checking that it belongs to the current user",
    fix: "Load through the current user (`Note.query.filter_by(id=id, user_id=current_user.id).first_or_404()`, `current_user.notes.filter_by(id=id)`) or compare the owner and abort (`if note.user_id != current_user.id: abort(404)`).",
    help: "An insecure direct object reference (IDOR): any signed-in user can change the id in the URL or form and read, edit or delete another user's rows. The rule reports loads (`Model.query.get(id)`, `get_or_404`, `filter_by(id=...)`, `filter(Model.id == ...)`, `session.get(Model, id)`) of models that have an owner column (`user_id`, `owner`, `author_id`...) in views that require login but no role (an admin may see everything), when the view never consults the current user: no comparison with it, no filter or load through it, no permission check. Views without authentication are FS411's business.",
    bad: "@app.route(\"/notes/<int:id>\")\n@login_required\ndef show_note(id):\n    note = Note.query.get_or_404(id)\n    return render_template(\"note.html\", note=note)",
    good: "@app.route(\"/notes/<int:id>\")\n@login_required\ndef show_note(id):\n    note = Note.query.filter_by(id=id, user_id=current_user.id).first_or_404()\n    return render_template(\"note.html\", note=note)",
};

/// Once per load: in authenticated views without a role whose body never consults the current
/// user, loads of a model `owned_models` (class name, owner column) lists.
pub fn check(routes: &[RouteEntry], owned_models: &[(String, String)], out: &mut Vec<AppFinding>) {
    if owned_models.is_empty() {
        return;
    }
    let owners: HashMap<&str, &str> = owned_models
        .iter()
        .map(|(m, c)| (m.as_str(), c.as_str()))
        .collect();
    let mut seen = HashSet::new();
    for r in routes
        .iter()
        .filter(|r| r.auth == Auth::Required && r.roles.is_empty())
    {
        let Some(body) = &r.body else {
            continue;
        };
        if body.checks_user {
            continue;
        }
        for load in &body.loads {
            let Some(column) = owners.get(load.model.as_str()) else {
                continue;
            };
            if !seen.insert((load.location.path.clone(), load.location.start)) {
                continue;
            }
            out.push(AppFinding {
                rule: &RULE,
                location: load.location.clone(),
                message: format!(
                    "{} loads `{}` by {} and never checks that it belongs to the current user (`{}.{}`)",
                    r.describe(),
                    load.model,
                    load.id_source,
                    load.model,
                    column,
                ),
                flow: vec![
                    FlowStep {
                        location: load.id_location.clone(),
                        message: format!("source: {}", load.id_source),
                    },
                    FlowStep {
                        location: load.location.clone(),
                        message: format!("sink: `{}` loaded by this id", load.model),
                    },
                ],
                related: Vec::new(),
            });
        }
    }
}
