//! The route inventory as JSON (version 1), a terminal table or a Markdown table.

use serde::Serialize;

use crate::python::inventory::{Auth, RouteEntry};
use crate::report::markdown::cell;

/// The JSON document's version; bumped when its shape changes.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'r> {
    version: u32,
    routes: &'r [RouteEntry],
}

/// `{"version": 1, "routes": [...]}`.
pub fn json(routes: &[RouteEntry]) -> String {
    let doc = Document {
        version: JSON_VERSION,
        routes,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// The cells of one row: methods, rule, view, auth, protection.
fn row(r: &RouteEntry) -> [String; 5] {
    [
        r.methods.join(","),
        r.shown_rule(),
        format!("{} ({}:{})", r.endpoint, r.path, r.line),
        r.auth.as_str().to_string(),
        protection_text(r),
    ]
}

/// What protects a route, in one line: the protections and roles, or why it is unknown.
fn protection_text(r: &RouteEntry) -> String {
    match r.auth {
        Auth::Required => {
            let names: Vec<String> = r
                .protections
                .iter()
                .map(|p| match p.kind {
                    super::ProtectionKind::Decorator => format!("@{}", p.name),
                    super::ProtectionKind::BeforeRequest => format!("before_request {}", p.name),
                    super::ProtectionKind::InBody => format!("checks {}", p.name),
                })
                .collect();
            let mut s = names.join(", ");
            if !r.roles.is_empty() {
                s.push_str(&format!(" [roles: {}]", r.roles.join(", ")));
            }
            s
        }
        Auth::Unknown => r.unknown.join("; "),
        Auth::None => "-".to_string(),
    }
}

const HEADERS: [&str; 5] = ["METHODS", "RULE", "VIEW", "AUTH", "PROTECTION"];

/// A terminal table, one route per line, with a count at the end.
pub fn table(routes: &[RouteEntry]) -> String {
    let rows: Vec<[String; 5]> = routes.iter().map(row).collect();
    let mut widths = HEADERS.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == cells.len() - 1 {
                s.push_str(c);
            } else {
                s.push_str(c);
                let pad = widths[i] - c.chars().count() + 2;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(HEADERS);
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4]]));
    }
    out.push_str(&summary(routes));
    out
}

/// A Markdown table for job summaries.
pub fn markdown(routes: &[RouteEntry]) -> String {
    let mut s =
        String::from("| Methods | Rule | View | Auth | Protection |\n|---|---|---|---|---|\n");
    for r in routes {
        let [m, rule, view, auth, prot] = row(r);
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            cell(&m),
            rule.replace('`', "'"),
            cell(&view),
            auth,
            cell(&prot)
        ));
    }
    s.push('\n');
    s.push_str(&summary(routes));
    s
}

/// `12 routes: 5 require authentication, 6 do not, 1 unknown.`
fn summary(routes: &[RouteEntry]) -> String {
    let count = |a: Auth| routes.iter().filter(|r| r.auth == a).count();
    format!(
        "{} route(s): {} require authentication, {} do not, {} unknown\n",
        routes.len(),
        count(Auth::Required),
        count(Auth::None),
        count(Auth::Unknown)
    )
}
