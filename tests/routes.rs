//! `flaskscan routes`: the route inventory on the demo app and on one fixture app per way of
//! protecting a view (insta snapshots), its JSON shape, and errors handled like `scan`'s.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn flaskscan(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flaskscan"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures/routes").join(name)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The table of `flaskscan routes` run inside `dir` (paths relative to it).
fn table(dir: &Path) -> String {
    let out = flaskscan(&["routes", "."], dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

#[test]
fn demo_app() {
    insta::assert_snapshot!(
        "demo_app",
        table(&manifest_dir().join("examples/flask-app"))
    );
}

#[test]
fn flask_security_app() {
    insta::assert_snapshot!("flask_security_app", table(&fixture("security_app")));
}

#[test]
fn jwt_extended_api() {
    insta::assert_snapshot!("jwt_extended_api", table(&fixture("jwt_api")));
}

#[test]
fn flask_login_app_with_custom_decorators_in_another_module() {
    insta::assert_snapshot!(
        "flask_login_custom_decorators",
        table(&fixture("login_app"))
    );
}

#[test]
fn blueprint_wide_before_request_guard() {
    insta::assert_snapshot!(
        "blueprint_before_request",
        table(&fixture("guarded_blueprint"))
    );
}

#[test]
fn method_views() {
    insta::assert_snapshot!("method_views", table(&fixture("method_view")));
}

#[test]
fn flask_httpauth_with_roles_and_optional_authentication() {
    insta::assert_snapshot!("httpauth_app", table(&fixture("httpauth_app")));
}

#[test]
fn an_app_wide_guard_with_an_allow_list_constant() {
    insta::assert_snapshot!(
        "app_guard_allow_list_constant",
        table(&fixture("app_guard"))
    );
}

#[test]
fn an_allow_list_from_another_module_is_unknown() {
    insta::assert_snapshot!(
        "imported_allow_list",
        table(&fixture("imported_allow_list"))
    );
}

#[test]
fn flask_restful_resources_with_method_decorators() {
    insta::assert_snapshot!("restful_api", table(&fixture("restful_api")));
}

#[test]
fn an_apps_guard_applies_to_its_own_routes_only() {
    insta::assert_snapshot!("two_apps", table(&fixture("two_apps")));
}

#[test]
fn what_cannot_be_followed_is_unknown() {
    insta::assert_snapshot!("unknown_cases", table(&fixture("unknown_cases")));
}

#[test]
fn subdomains_of_routes_registrations_and_blueprints() {
    insta::assert_snapshot!("subdomains", table(&fixture("subdomains")));
}

/// `subdomain` is an optional field of JSON version 1: present only on routes that have one.
#[test]
fn json_subdomain_only_when_given() {
    let out = flaskscan(&["routes", ".", "--format", "json"], &fixture("subdomains"));
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["version"], 1);
    let routes = doc["routes"].as_array().expect("routes");
    let subdomain_of = |endpoint: &str| {
        routes
            .iter()
            .find(|r| r["endpoint"] == endpoint)
            .unwrap_or_else(|| panic!("{endpoint}"))
            .get("subdomain")
            .cloned()
    };
    assert_eq!(subdomain_of("api.list_users"), Some("api".into()));
    assert_eq!(subdomain_of("api.ping"), Some("internal".into()));
    assert_eq!(subdomain_of("billing.invoice"), Some("pay".into()));
    assert_eq!(subdomain_of("status"), Some("status".into()));
    assert_eq!(subdomain_of("docs.docs_index"), None);
    assert_eq!(subdomain_of("index"), None);
}

#[test]
fn json_version_1() {
    let out = flaskscan(&["routes", ".", "--format", "json"], &fixture("login_app"));
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["version"], 1);
    let routes = doc["routes"].as_array().expect("routes");
    let keys: Vec<&str> = routes[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "rule",
        "methods",
        "endpoint",
        "path",
        "line",
        "auth",
        "roles",
        "protections",
    ];
    expected.sort_unstable();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected);
    let delete = routes
        .iter()
        .find(|r| r["endpoint"] == "admin.delete_user")
        .expect("admin.delete_user");
    insta::assert_json_snapshot!("json_admin_delete_user", delete);
}

#[test]
fn markdown_table() {
    let out = flaskscan(
        &["routes", ".", "--format", "markdown"],
        &fixture("guarded_blueprint"),
    );
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("markdown_table", stdout(&out));
}

#[test]
fn a_file_with_a_syntax_error_is_reported_and_the_others_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.py"),
        "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/ok')\ndef ok():\n    return 'ok'\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.py"), "def broken(:\n    pass\n").unwrap();
    let out = flaskscan(&["routes", "."], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("/ok"), "{}", stdout(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.py:1: syntax error"), "{err}");
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let out = flaskscan(&["routes", "no/such/dir"], &manifest_dir());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no/such/dir: no such file or folder"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn deeply_nested_code_does_not_stop_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let deep_brackets = format!("x = {}{}\n", "[".repeat(990), "]".repeat(990));
    std::fs::write(dir.path().join("data.py"), deep_brackets).unwrap();
    let mut view = String::from(
        "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/deep')\ndef deep():\n",
    );
    for level in 1..=250 {
        view.push_str(&format!("{}if x{level}:\n", "    ".repeat(level)));
    }
    view.push_str(&format!("{}pass\n", "    ".repeat(251)));
    std::fs::write(dir.path().join("app.py"), view).unwrap();
    let out = flaskscan(&["routes", "."], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("/deep"), "{}", stdout(&out));
}

/// The JSON routes of the `declared_decorators` app, with the extra arguments given.
fn declared_app_routes(extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["routes", ".", "--format", "json"];
    args.extend_from_slice(extra);
    let out = flaskscan(&args, &fixture("declared_decorators"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    doc["routes"].as_array().expect("routes").clone()
}

fn route<'r>(routes: &'r [serde_json::Value], endpoint: &str) -> &'r serde_json::Value {
    routes
        .iter()
        .find(|r| r["endpoint"] == endpoint)
        .unwrap_or_else(|| panic!("{endpoint} in {routes:?}"))
}

#[test]
fn a_decorator_from_a_package_outside_the_tree_is_unknown_until_declared() {
    let before = declared_app_routes(&[]);
    assert_eq!(route(&before, "records.update_record")["auth"], "unknown");
    assert_eq!(route(&before, "records.delete_record")["auth"], "unknown");
    assert_eq!(route(&before, "records.add_note")["auth"], "none");

    let config = fixture("declared_decorators.toml");
    let after = declared_app_routes(&["--config", config.to_str().unwrap()]);
    let update = route(&after, "records.update_record");
    assert_eq!(update["auth"], "required");
    assert_eq!(update["protections"][0]["kind"], "decorator");
    assert_eq!(
        update["protections"][0]["name"],
        "hospital_sso.guards.staff_only"
    );
    // A role decorator takes its roles from its arguments; matched on a dotted tail.
    let delete = route(&after, "records.delete_record");
    assert_eq!(delete["auth"], "required");
    assert_eq!(delete["roles"], serde_json::json!(["chief", "admin"]));
    assert_eq!(delete["protections"][0]["name"], "perms.requires_role");
    assert_eq!(route(&after, "records.add_note")["auth"], "none");
}

#[test]
fn declared_decorators_let_fs411_compare_with_the_views_they_protect() {
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            ".",
            "--no-deps",
            "--select",
            "FS411",
            "--format",
            "json",
            "--fail-on",
            "none",
        ];
        args.extend_from_slice(extra);
        let out = flaskscan(&args, &fixture("declared_decorators"));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| format!("{}:{}", f["path"].as_str().unwrap(), f["line"]))
            .collect::<Vec<_>>()
    };
    // Without the setting nothing is known to authenticate: the app looks public by design.
    assert!(scan(&[]).is_empty());
    let config = fixture("declared_decorators.toml");
    assert_eq!(
        scan(&["--config", config.to_str().unwrap()]),
        vec!["clinic/records.py:28"]
    );
}

/// A route's endpoint, methods and the `(path, first line, last line)` spans that declare it.
type Declared = (String, String, Vec<(String, u32, u32)>);

/// Each route with the lines whose change changes it (for the pull request's routes section).
fn declared_lines(dir: &Path) -> Vec<Declared> {
    let options = flaskscan::routes::options_for(vec![dir.to_path_buf()], Vec::new());
    let report = flaskscan::routes::run(&options).expect("routes");
    report
        .routes
        .iter()
        .map(|r| {
            let spans = r
                .declared
                .iter()
                .map(|s| (s.path.clone(), s.start, s.end))
                .collect();
            (r.endpoint.clone(), r.methods.join(","), spans)
        })
        .collect()
}

#[test]
fn a_route_is_declared_by_its_decorators_def_and_registration() {
    let lines = declared_lines(&fixture("method_view"));
    let of = |endpoint: &str, method: &str| {
        lines
            .iter()
            .find(|(e, m, _)| e == endpoint && m == method)
            .unwrap_or_else(|| panic!("{endpoint} {method} in {lines:#?}"))
            .2
            .clone()
    };
    let at = |first: u32, last: u32| ("app.py".to_string(), first, last);
    // A handler: its own decorators through its `def`, the `add_url_rule` call, and the class's
    // `decorators = [...]` (line 11) when it has one; never the whole class, so a change to
    // another handler does not list this one.
    assert_eq!(of("status", "POST"), vec![at(26, 27), at(32, 32)]);
    assert_eq!(of("status", "GET"), vec![at(23, 23), at(32, 32)]);
    assert_eq!(
        of("item", "DELETE"),
        vec![at(16, 16), at(31, 31), at(11, 11)]
    );
    // A function view: from its first decorator (the route decorator or another) to its `def`.
    let login = declared_lines(&fixture("declared_decorators"));
    let update = login
        .iter()
        .find(|(e, _, _)| e == "records.update_record")
        .expect("update_record");
    assert_eq!(update.2, vec![("clinic/records.py".to_string(), 15, 17)]);
}

#[test]
fn one_view_under_two_dynamic_route_decorators_is_one_route_declared_by_both() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.py"),
        "from flask import Flask\nfrom settings import A, B\napp = Flask(__name__)\n\n\n@app.route(A)\n@app.route(B)\ndef listing():\n    return 'ok'\n",
    )
    .unwrap();
    let lines = declared_lines(dir.path());
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].2.contains(&("app.py".to_string(), 6, 8)),
        "{lines:#?}"
    );
}

/// A pull request that changes only a class-based view's `decorators = [...]` (or a
/// `method_decorators`) changes how every route of the class is protected: they are its routes.
#[test]
fn a_change_to_a_class_views_decorators_changes_its_routes() {
    let options = flaskscan::scan::ScanOptions {
        paths: vec![fixture("method_view")],
        root: Some(fixture("method_view")),
        select: vec!["ALL".into()],
        routes: true,
        threads: Some(1),
        ..flaskscan::scan::ScanOptions::default()
    };
    let report = flaskscan::scan::run(&options).expect("scan runs");
    let routes = report.routes.expect("the inventory");
    // The PR rewrites line 11 of app.py: `decorators = [login_required]` of `ItemAPI`.
    let lines = flaskscan::github::diff::ChangedLines::from_files(&[serde_json::json!({
        "filename": "app.py", "status": "modified",
        "patch": "@@ -11,1 +11,1 @@\n-    decorators = []\n+    decorators = [login_required]\n"
    })]);
    let changed = flaskscan::github::routes::changed(&routes, &lines, "");
    let mut endpoints: Vec<(&str, Vec<String>)> = changed
        .iter()
        .map(|r| (r.endpoint.as_str(), r.methods.clone()))
        .collect();
    endpoints.sort();
    assert_eq!(
        endpoints,
        vec![
            ("item", vec!["DELETE".to_string()]),
            ("item", vec!["GET".to_string()]),
        ]
    );
}
