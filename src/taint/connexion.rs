//! connexion applications (`connexion.App(__name__)`, `connexion.FlaskApp`): routes are not in
//! the code but in the OpenAPI file given to `app.add_api("openapi.yaml")`, whose
//! `operationId: pkg.module.func` names each handler. connexion calls the handler with the
//! request's path, query, form and body parameters, so every parameter is request data, and what
//! it returns is the response (serialised as JSON unless the spec produces HTML).
//!
//! The spec is read line by line, not parsed: `operationId` keys of block-style YAML or
//! pretty-printed JSON, prefixed by an `x-openapi-router-controller` /
//! `x-swagger-router-controller` declared at the same or an enclosing level. Flow-style YAML,
//! anchors, specs split over `$ref`'d files and custom resolvers are not followed.

use super::word_hits::mentions;
use std::path::{Component, Path};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr};

use super::index::Global;
use crate::python::flask::string_literal;
use crate::python::SourceFile;

/// Larger files are not read: a spec is a few hundred kilobytes at most.
const MAX_SPEC_BYTES: u64 = 4 << 20;

/// Parameters connexion fills from the authenticated identity, not from the request.
const INJECTED: &[&str] = &["self", "cls", "user", "token_info"];

/// A handler named by a spec: its dotted name and whether the spec answers JSON only.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub handler: String,
    pub json: bool,
}

/// The operations of every spec `file` hands to `add_api`, read under `root` (the scan root).
pub fn operations(file: &SourceFile, root: &Path) -> Vec<Operation> {
    if !(mentions(&file.text, "add_api") && mentions(&file.text, "connexion")) {
        return Vec::new();
    }
    let mut finder = ApiFinder::default();
    finder.visit_body(file.body());
    let folder = Path::new(&file.path).parent().unwrap_or(Path::new(""));
    let mut out = Vec::new();
    for spec in &finder.specs {
        // The spec is named relative to `specification_dir`, itself relative to the app's folder.
        let rel = folder
            .join(finder.spec_dir.as_deref().unwrap_or(""))
            .join(spec);
        if let Some(text) = read_in_tree(root, &rel) {
            let json = !text.contains("text/html");
            out.extend(
                operation_ids(&text)
                    .into_iter()
                    .map(|handler| Operation { handler, json }),
            );
        }
    }
    out
}

/// Makes every handler the project's connexion specs name a view whose parameters are request
/// data.
pub fn register(g: &mut Global, root: &Path) {
    let ops: Vec<Operation> = g
        .files
        .iter()
        .flat_map(|fc| operations(fc.file, root))
        .collect();
    for op in ops {
        let name = g.resolve_function(&op.handler).to_string();
        if let Some(f) = g.funcs.get_mut(&name) {
            let params = request_params(f.def);
            f.view.get_or_insert_with(Vec::new).extend(params);
            f.json_view |= op.json;
        }
    }
}

/// The parameters of a handler that carry request data: each, as a dangerous URL parameter.
pub fn request_params(def: &ast::StmtFunctionDef) -> Vec<(String, bool)> {
    let p = &def.parameters;
    p.posonlyargs
        .iter()
        .chain(&p.args)
        .chain(&p.kwonlyargs)
        .map(|a| a.parameter.name.as_str())
        .chain(p.kwarg.iter().map(|k| k.name.as_str()))
        .filter(|n| !INJECTED.contains(n))
        .map(|n| (n.to_string(), true))
        .collect()
}

/// The text of `rel` under `root`, when it stays inside the tree and is a small regular file
/// (code in the scanned tree decides the name: it must not make the scanner read elsewhere).
fn read_in_tree(root: &Path, rel: &Path) -> Option<String> {
    let inside = rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside {
        return None;
    }
    let path = root.join(rel);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SPEC_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The handlers a spec names, controller prefixes applied, in order.
pub fn operation_ids(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    // The innermost router controller in force: (indentation, module).
    let mut controllers: Vec<(usize, String)> = Vec::new();
    for line in text.lines() {
        let body = line.trim_start();
        let indent = line.len() - body.len();
        let Some((key, value)) = key_value(body) else {
            continue;
        };
        // Leaving the level a controller was declared at ends it.
        while controllers.last().is_some_and(|(i, _)| *i > indent) {
            controllers.pop();
        }
        match key {
            "x-openapi-router-controller" | "x-swagger-router-controller" => {
                controllers.retain(|(i, _)| *i < indent);
                controllers.push((indent, value.to_string()));
            }
            "operationId" if !value.is_empty() => {
                let handler = match controllers.last() {
                    Some((_, module)) => format!("{module}.{value}"),
                    None => value.to_string(),
                };
                if handler.contains('.') {
                    out.push(handler);
                }
            }
            _ => {}
        }
    }
    out
}

/// `key: value` (YAML) or `"key": "value",` (JSON), quotes stripped.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    Some((unquote(key), unquote(value)))
}

/// A scalar without its surrounding blanks, quotes and JSON comma.
fn unquote(s: &str) -> &str {
    s.trim()
        .trim_end_matches(',')
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
}

/// `x.add_api("spec.yaml")` calls and a `specification_dir="..."` keyword, anywhere in a module.
#[derive(Default)]
struct ApiFinder {
    specs: Vec<String>,
    spec_dir: Option<String>,
}

impl<'a> Visitor<'a> for ApiFinder {
    fn visit_expr(&mut self, e: &'a Expr) {
        if let Expr::Call(c) = e {
            if matches!(&*c.func, Expr::Attribute(a) if a.attr.as_str() == "add_api") {
                let spec = c
                    .arguments
                    .args
                    .first()
                    .or_else(|| c.arguments.find_keyword("specification").map(|k| &k.value));
                self.specs.extend(spec.and_then(string_literal));
            }
            if let Some(k) = c.arguments.find_keyword("specification_dir") {
                self.spec_dir = string_literal(&k.value).or(self.spec_dir.take());
            }
        }
        visitor::walk_expr(self, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_operation_ids() {
        let yaml = "paths:\n  /items:\n    get:\n      operationId: api.items.search\n    \
                    x-openapi-router-controller: api.orders\n    post:\n      \
                    operationId: create\n  /other:\n    get:\n      operationId: \"api.other.get\"\n";
        assert_eq!(
            operation_ids(yaml),
            vec!["api.items.search", "api.orders.create", "api.other.get"]
        );
        let json = "{\"paths\": {\"/a\": {\"get\": {\n  \"operationId\": \"svc.a.list\",\n}}}}";
        assert_eq!(operation_ids(json), vec!["svc.a.list"]);
        assert!(operation_ids("get:\n  operationId: bare\n").is_empty());
    }

    #[test]
    fn specs_stay_in_the_tree() {
        assert!(read_in_tree(Path::new("/"), Path::new("../etc/passwd")).is_none());
        assert!(read_in_tree(Path::new("/"), Path::new("/etc/passwd")).is_none());
    }
}
