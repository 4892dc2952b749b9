//! Taint analysis outputs: the SARIF code flow of a finding, and the template contexts the
//! template rules consume.

use std::path::Path;

use flaskscan::python::project::ProjectIndex;
use flaskscan::python::SourceFile;
use flaskscan::report::sarif;
use flaskscan::scan::{self, ScanOptions};

#[test]
fn sarif_code_flow_of_an_open_redirect() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/taint_flow");
    let options = ScanOptions {
        paths: vec![root.clone()],
        root: Some(root),
        threads: Some(1),
        ..ScanOptions::default()
    };
    let report = scan::run(&options).expect("scan runs");
    let json: serde_json::Value =
        serde_json::from_str(&sarif::render(&report)).expect("valid JSON");
    let results = json["runs"][0]["results"].as_array().expect("results");
    let redirect = results
        .iter()
        .find(|r| r["ruleId"] == "FS501")
        .expect("an FS501 result");
    insta::assert_json_snapshot!(redirect["codeFlows"]);
    assert_eq!(
        redirect["message"]["text"],
        "request.args.get(\"next\", \"/\") reaches redirect()"
    );
}

#[test]
fn template_contexts_name_tainted_variables() {
    let text = r#"
from flask import Flask, render_template, request
from markupsafe import escape

app = Flask(__name__)

@app.route("/")
def index():
    name = request.args["name"]
    return render_template("index.html", name=name, safe=escape(name), title="Home")
"#;
    let (file, problems) = SourceFile::parse("app.py", text.to_string());
    assert!(problems.is_empty());
    let project = ProjectIndex::build(&[&file]);
    let out = flaskscan::taint::analyse(&[&file], &project);
    let vars: Vec<(&str, &str)> = out
        .templates
        .iter()
        .map(|t| (t.template.as_str(), t.variable.as_str()))
        .collect();
    assert_eq!(vars, vec![("index.html", "name")]);
    let flow = &out.templates[0].flow;
    assert_eq!(flow.first().map(|s| s.location.start.line), Some(9));
    assert_eq!(out.templates[0].call_location.start.line, 10);
}
