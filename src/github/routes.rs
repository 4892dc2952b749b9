//! The "Routes this pull request adds or changes" section of the PR comment and job summary:
//! routes whose registration, decorators or `def` line are on lines the pull request adds.

use super::alert::join_prefix;
use super::diff::ChangedLines;
use crate::python::flask::STATE_CHANGING;
use crate::python::inventory::{Auth, RouteEntry};
use crate::report::markdown::cell;

/// Routes listed in the section before the rest are only counted.
pub const MAX_LISTED: usize = 50;

/// The section's table head.
pub const HEAD: &str = "| Methods | Rule | View | Protection |\n|---|---|---|---|\n";

/// A route the pull request adds or changes, as the summary shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedRoute {
    pub methods: Vec<String>,
    /// The rule, with its subdomain in front when it has one (`api:/users`).
    pub rule: String,
    pub endpoint: String,
    /// The view's repository-relative path and `def` line.
    pub path: String,
    pub line: u32,
    pub auth: Auth,
    pub roles: Vec<String>,
    /// Why `auth` is unknown, when it is.
    pub unknown: Option<String>,
}

impl ChangedRoute {
    /// Accepts POST/PUT/PATCH/DELETE and nothing rejects anonymous requests.
    pub fn unprotected_state_change(&self) -> bool {
        self.auth == Auth::None
            && self
                .methods
                .iter()
                .any(|m| STATE_CHANGING.contains(&m.as_str()))
    }
}

/// The routes of `routes` (paths relative to the scan root, which is `prefix` in the
/// repository) whose declaring lines the pull request adds: unprotected state-changing routes
/// first, then in inventory order.
pub fn changed(routes: &[RouteEntry], lines: &ChangedLines, prefix: &str) -> Vec<ChangedRoute> {
    let mut out: Vec<ChangedRoute> = routes
        .iter()
        .filter(|r| {
            r.declared
                .iter()
                .any(|s| lines.touches(&join_prefix(prefix, &s.path), s.start, s.end))
        })
        .map(|r| ChangedRoute {
            methods: r.methods.clone(),
            rule: r.shown_rule(),
            endpoint: r.endpoint.clone(),
            path: join_prefix(prefix, &r.path),
            line: r.line,
            auth: r.auth,
            roles: r.roles.clone(),
            unknown: r.unknown.first().cloned(),
        })
        .collect();
    out.sort_by_key(|r| !r.unprotected_state_change());
    out
}

/// One table row; `blob_base` links the view to its line at the PR head.
pub fn row(route: &ChangedRoute, blob_base: Option<&str>) -> String {
    let place = format!("{}:{}", route.path, route.line);
    let view = match blob_base {
        Some(base) => format!(
            "[{}]({base}/{}#L{})",
            cell(&place),
            crate::report::sarif::encode_uri_path(&route.path),
            route.line
        ),
        None => format!("`{}`", code(&place)),
    };
    format!(
        "| {} | `{}` | `{}` {view} | {} |\n",
        cell(&route.methods.join(", ")),
        code(&route.rule),
        code(&route.endpoint),
        protection(route)
    )
}

/// The protection cell: auth and roles; an unprotected state-changing route in bold.
fn protection(route: &ChangedRoute) -> String {
    match route.auth {
        Auth::None if route.unprotected_state_change() => "**none**".to_string(),
        Auth::None => "none".to_string(),
        Auth::Required if route.roles.is_empty() => "required".to_string(),
        Auth::Required => format!("required, roles: {}", cell(&route.roles.join(", "))),
        Auth::Unknown => match &route.unknown {
            Some(why) => format!("unknown ({})", cell(&super::checks::truncate(why, 160))),
            None => "unknown".to_string(),
        },
    }
}

/// Text for an inline code span in a table cell: markup is literal there (`<int:id>` must not
/// become `&lt;int:id&gt;`), so only what ends the span, the cell or the row is replaced.
fn code(text: &str) -> String {
    text.replace('`', "'")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Location, Position};
    use crate::python::inventory::LineSpan;
    use serde_json::json;

    fn entry(endpoint: &str, methods: &[&str], auth: Auth, def: u32) -> RouteEntry {
        let at = Position {
            line: def,
            column: 5,
            column_utf16: 5,
        };
        RouteEntry {
            rule: format!("/{endpoint}"),
            subdomain: None,
            methods: methods.iter().map(|m| m.to_string()).collect(),
            endpoint: endpoint.into(),
            path: "app.py".into(),
            line: def,
            auth,
            roles: Vec::new(),
            protections: Vec::new(),
            unknown: Vec::new(),
            view: format!("app.{endpoint}"),
            location: Location {
                path: "app.py".into(),
                start: at,
                end: at,
            },
            declared: vec![LineSpan {
                path: "app.py".into(),
                start: def - 2,
                end: def,
            }],
            body: None,
            guards: Vec::new(),
        }
    }

    fn changed_route_rule(route: &RouteEntry, lines: &ChangedLines) -> String {
        changed(std::slice::from_ref(route), lines, "src")[0]
            .rule
            .clone()
    }

    #[test]
    fn routes_on_added_lines_unprotected_state_changes_first() {
        let routes = vec![
            entry("list", &["GET"], Auth::None, 5),
            entry("edit", &["POST"], Auth::Required, 12),
            entry("wipe", &["DELETE"], Auth::None, 20),
            entry("old", &["POST"], Auth::None, 40),
        ];
        // The PR adds a decorator line of `edit`, the `def` of `list` and all of `wipe`.
        let lines = ChangedLines::from_files(&[json!({
            "filename": "src/app.py", "status": "modified",
            "patch": "@@ -4,0 +5,1 @@\n+def list\n@@ -9,0 +10,1 @@\n+@login\n@@ -15,0 +18,3 @@\n+@r\n+@d\n+def wipe\n"
        })]);
        let changed = changed(&routes, &lines, "src");
        let names: Vec<&str> = changed.iter().map(|r| r.endpoint.as_str()).collect();
        assert_eq!(names, vec!["wipe", "list", "edit"]);
        assert_eq!(changed[0].path, "src/app.py");
        assert!(row(&changed[0], None).contains("| **none** |"));
        let mut odd = changed[0].clone();
        odd.rule = "/items/<int:id>|`x`".into();
        assert!(
            row(&odd, None).contains("| `/items/<int:id>\\|'x'` |"),
            "{}",
            row(&odd, None)
        );
        assert!(row(&changed[1], None).ends_with("| none |\n"));
        // A route on a subdomain shows it in front of the rule.
        let mut on_api = routes[3].clone();
        on_api.subdomain = Some("api".into());
        on_api.declared[0].start = 18;
        let shown = changed_route_rule(&on_api, &lines);
        assert_eq!(shown, "api:/old");
        assert!(row(&changed[2], Some("https://g/o/r/blob/abc"))
            .contains("[src/app.py:12](https://g/o/r/blob/abc/src/app.py#L12)"));
    }
}
