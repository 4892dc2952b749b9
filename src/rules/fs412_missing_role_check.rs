//! FS412 missing-role-check (app rule): a view that requires login but no role, among sibling
//! views (same blueprint, same URL prefix, or an admin area) that mostly require one.

use std::collections::{HashMap, HashSet};

use super::helpers::words;
use super::{AppFinding, Precision, Rule, RuleKind, Suite};
use crate::finding::{RelatedLocation, Severity};
use crate::python::inventory::{Auth, Protection, RouteEntry};

pub const RULE: Rule = Rule {
    id: "FS412",
    name: "missing-role-check",
    severity: Severity::High,
    cwe: &[285, 862],
    kind: RuleKind::App,
    precision: Precision::Medium,
    suite: Suite::Audit,
    message: "A view requires login but no role, while the views beside it require a role or permission",
    fix: "Add the role or permission check its siblings use (`@roles_required(\"admin\")`, `@admin_required`, `if not current_user.is_admin: abort(403)`), or move the view out of the restricted area if any user may call it.",
    help: "In an admin blueprint or URL area where the views check a role, one that checks only that the user is logged in lets every account reach it: any registered user can run the admin action. The rule compares each view with its siblings in the route inventory (`flaskscan routes`).",
    bad: "@admin.route(\"/users\")\n@roles_required(\"admin\")\ndef users(): ...\n\n@admin.route(\"/users/<int:id>/edit\", methods=[\"POST\"])\n@roles_required(\"admin\")\ndef edit_user(id): ...\n\n@admin.route(\"/users/<int:id>/delete\", methods=[\"POST\"])\n@login_required\ndef delete_user(id): ...",
    good: "@admin.route(\"/users\")\n@roles_required(\"admin\")\ndef users(): ...\n\n@admin.route(\"/users/<int:id>/edit\", methods=[\"POST\"])\n@roles_required(\"admin\")\ndef edit_user(id): ...\n\n@admin.route(\"/users/<int:id>/delete\", methods=[\"POST\"])\n@roles_required(\"admin\")\ndef delete_user(id): ...",
};

/// Fewest role-checked siblings that make a group a restricted area.
const MIN_ROLE_SIBLINGS: usize = 2;

/// Once per view: handlers with auth `required` and no role, in a group (blueprint, first URL
/// segment, admin area) where at least two authenticated handlers check a role and they
/// outnumber those that do not. Where role-checked views are the minority, login-only is the
/// group's norm and a role is not what is missing.
pub fn check(routes: &[RouteEntry], out: &mut Vec<AppFinding>) {
    let mut groups: HashMap<(u8, String), Vec<&RouteEntry>> = HashMap::new();
    for r in routes.iter().filter(|r| r.auth == Auth::Required) {
        for key in group_keys(r) {
            groups.entry(key).or_default().push(r);
        }
    }
    let mut keys: Vec<&(u8, String)> = groups.keys().collect();
    keys.sort();
    let mut seen = HashSet::new();
    for key in keys {
        let members = &groups[key];
        let (with_roles, without): (Vec<&RouteEntry>, Vec<&RouteEntry>) =
            members.iter().partition(|r| !r.roles.is_empty());
        if with_roles.len() < MIN_ROLE_SIBLINGS || with_roles.len() <= without.len() {
            continue;
        }
        for r in without {
            if self_service(r) || !seen.insert((r.location.path.clone(), r.location.start.line)) {
                continue;
            }
            let sibling = r.nearest(&with_roles);
            let check = role_check(sibling);
            out.push(AppFinding {
                flow: Vec::new(),
                related: vec![RelatedLocation {
                    location: check.map_or(&sibling.location, |p| &p.location).clone(),
                    message: format!("`{}` checks the role here", sibling.view_name()),
                }],
                rule: &RULE,
                location: r.location.clone(),
                message: format!(
                    "{} requires login but no role, while {} of the {} authenticated views {} check one, e.g. `{}` ({}:{}) with `{}` ({}:{}) [roles: {}]",
                    r.describe(),
                    with_roles.len(),
                    members.len(),
                    describe(key),
                    sibling.view_name(),
                    sibling.path,
                    sibling.line,
                    check.map_or("?", |p| p.name.as_str()),
                    check.map_or(sibling.path.as_str(), |p| p.path.as_str()),
                    check.map_or(sibling.line, |p| p.line),
                    sibling.roles.join(", "),
                ),
            });
        }
    }
}

/// The groups a route belongs to: its blueprint, its first URL segment, and the admin area.
fn group_keys(r: &RouteEntry) -> Vec<(u8, String)> {
    let mut keys = Vec::new();
    if let Some((bp, _)) = r.endpoint.rsplit_once('.') {
        keys.push((0, bp.to_string()));
    }
    let segments: Vec<&str> = r
        .rule
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('<'))
        .collect();
    if let Some(first) = segments.first() {
        keys.push((1, first.to_string()));
    }
    if segments.iter().any(|s| {
        words(s)
            .iter()
            .any(|w| w == "admin" || w == "administration")
    }) {
        keys.push((2, "admin".to_string()));
    }
    keys
}

fn describe(key: &(u8, String)) -> String {
    match key.0 {
        0 => format!("of blueprint `{}`", key.1),
        1 => format!("under `/{}`", key.1),
        _ => "in the admin area".to_string(),
    }
}

/// Views every signed-in user may call on their own account: their profile, password,
/// settings, sign-out.
fn self_service(r: &RouteEntry) -> bool {
    const SELF: &[&str] = &[
        "me",
        "my",
        "self",
        "own",
        "profile",
        "account",
        "password",
        "preferences",
        "logout",
        "signout",
    ];
    [r.view_name(), r.endpoint.as_str(), r.rule.as_str()]
        .iter()
        .any(|t| words(t).iter().any(|w| SELF.contains(&w.as_str())))
}

/// The sibling's protection that checks the role: a decorator or check naming a role or
/// permission, else its last (innermost) protection.
fn role_check(r: &RouteEntry) -> Option<&Protection> {
    r.protections
        .iter()
        .find(|p| {
            words(&p.name).iter().any(|w| {
                matches!(
                    w.as_str(),
                    "role" | "roles" | "permission" | "permissions" | "admin" | "staff"
                )
            })
        })
        .or(r.protections.last())
}
