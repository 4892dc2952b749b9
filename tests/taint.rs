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

/// A panel rendered from a template the code fixes, by an environment that autoescapes, is
/// escaped HTML: shown with `|safe` in a page, it is not request data. A panel from a template
/// read at run time, or from an environment without autoescape, still is.
#[test]
fn rendered_fixed_templates_are_not_request_data() {
    let text = r#"
from flask import Flask, render_template, request
from jinja2 import Environment, FileSystemLoader, select_autoescape

app = Flask(__name__)
env = Environment(loader=FileSystemLoader("parts"), autoescape=select_autoescape())
raw_env = Environment(loader=FileSystemLoader("parts"))
BOX = "<div>{{ form.title }}</div>"

def read_layout():
    with open("layout.txt") as f:
        return f.read()

@app.route("/edit", methods=["POST"])
def edit():
    form = {"title": request.form.get("title")}
    fixed = env.from_string(BOX).render(form=form)
    named = env.get_template("box.html").render(form=form)
    local = Environment(autoescape=True).from_string(BOX).render(form=form)
    stored = env.from_string(read_layout()).render(form=form)
    raw = raw_env.from_string(BOX).render(form=form)
    return render_template("edit.html", fixed=fixed, named=named, local=local, stored=stored, raw=raw)
"#;
    let vars = template_variables(text);
    assert_eq!(vars, vec!["stored", "raw"]);
}

/// pyotp's provisioning URIs percent-encode the label and `urlencode` the parameters: a user's
/// label in one is no markup, also when the token is built from request data inside a branch
/// (the tracked value then names no class, its static type does). The label itself still is.
#[test]
fn otp_provisioning_uris_are_not_markup() {
    let text = r#"
from flask import Flask, render_template, request
from pyotp import TOTP

app = Flask(__name__)

@app.route("/otp")
def otp():
    description = request.args.get("description", "")
    secret = request.args.get("secret")
    if secret:
        token = TOTP(secret)
        otp_uri = token.provisioning_uri(name=description, issuer_name="blog")
    else:
        otp_uri = None
    return render_template("otp.html", otp_uri=otp_uri, label=description)
"#;
    let vars = template_variables(text);
    assert_eq!(vars, vec!["label"]);
}

/// A context variable whose request data came through a library call the analysis has no model
/// for (search hits for a query) does not link its template's `|safe` to the request; one built
/// by modelled steps does.
#[test]
fn guessed_values_do_not_link_templates() {
    let text = r#"
from flask import Flask, render_template, request
from search import index

app = Flask(__name__)

@app.route("/search")
def search():
    q = request.args.get("q", "")
    hits = index.search(q).highlights()
    return render_template("search.html", hits=hits, query=q.strip())
"#;
    let vars = template_variables(text);
    assert_eq!(vars, vec!["query"]);
}

/// The template context variables of `text` (one module) that the analysis links to request data.
fn template_variables(text: &str) -> Vec<String> {
    let (file, problems) = SourceFile::parse("app.py", text.to_string());
    assert!(problems.is_empty());
    let project = ProjectIndex::build(&[&file]);
    let out = flaskscan::taint::analyse(&[&file], &project);
    out.templates.into_iter().map(|t| t.variable).collect()
}
