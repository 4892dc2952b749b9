//! Views → templates: finds the file a template name means (as Flask's loader does) and carries
//! each `render_template` call's context through `{% extends %}` and `{% include %}`, so a
//! variable used in a base or included template is linked to the view that filled it.

use std::collections::{HashMap, HashSet, VecDeque};

use super::model::ReferenceKind;
use super::TemplateFile;
use crate::finding::FlowStep;
use crate::python::flask::RenderCall;

/// How far context is carried through extends/includes from one render call.
const MAX_TEMPLATES_PER_RENDER: usize = 64;

/// What the views that render a template put in one of its context variables.
#[derive(Debug, Clone, Default)]
pub struct VarLink {
    /// How request data reaches the variable: view source → keyword → extends/include steps.
    pub request_flow: Option<Vec<FlowStep>>,
    /// Some view passes a number or sanitizer output.
    pub harmless: bool,
    /// Some view passes something else.
    pub harmful: bool,
}

/// Context variables of one template, by name.
pub type Links = HashMap<String, VarLink>;

/// Finds templates by name among the scanned template files.
#[derive(Debug)]
pub struct Resolver {
    /// Scan-relative paths of the template files, by index.
    paths: Vec<String>,
    /// Known template folders (apps and blueprints), in Flask's search order.
    roots: Vec<String>,
}

impl Resolver {
    /// A resolver over `paths` with the template folders the Python code declares.
    pub fn new(paths: Vec<String>, mut roots: Vec<String>) -> Self {
        let mut seen = HashSet::new();
        roots.retain(|r| seen.insert(r.clone()));
        Self { paths, roots }
    }

    /// The index of the template `name` means, seen from the file at `near`.
    ///
    /// Flask searches the app's template folder, then blueprints'; when the scan does not show
    /// those folders, a file under any `templates/` folder with that name is taken, the one
    /// closest to `near`.
    pub fn resolve(&self, name: &str, near: &str) -> Option<usize> {
        let name = name.trim_start_matches("./");
        for root in &self.roots {
            let want = if root.is_empty() {
                name.to_string()
            } else {
                format!("{root}/{name}")
            };
            if let Some(i) = self.paths.iter().position(|p| *p == want) {
                return Some(i);
            }
        }
        let suffix = format!("/{name}");
        self.paths
            .iter()
            .enumerate()
            .filter(|(_, p)| p.ends_with(&suffix) || p.as_str() == name)
            .max_by(|(_, a), (_, b)| {
                common_prefix(a, near)
                    .cmp(&common_prefix(b, near))
                    .then_with(|| b.cmp(a))
            })
            .map(|(i, _)| i)
    }
}

/// Length in path components of the common directory prefix of `a` and `b`.
fn common_prefix(a: &str, b: &str) -> usize {
    a.split('/')
        .zip(b.split('/'))
        .take_while(|(x, y)| x == y)
        .count()
}

/// Carries every render call's context to the templates it reaches; returns links per template.
pub fn link(templates: &[TemplateFile], renders: &[RenderCall], resolver: &Resolver) -> Vec<Links> {
    let mut out: Vec<Links> = vec![Links::new(); templates.len()];
    let mut renders: Vec<&RenderCall> = renders.iter().collect();
    renders.sort_by(|a, b| a.location.cmp(&b.location));
    for call in renders {
        let Some(start) = resolver.resolve(&call.template, &call.location.path) else {
            continue;
        };
        let mut queue = VecDeque::from([(start, Vec::<FlowStep>::new())]);
        let mut seen = HashSet::from([start]);
        while let Some((index, hops)) = queue.pop_front() {
            for var in &call.context {
                let link = out[index].entry(var.name.clone()).or_default();
                if link.request_flow.is_none() {
                    link.request_flow = var
                        .request_flow
                        .as_ref()
                        .map(|f| f.iter().chain(&hops).cloned().collect());
                }
                if var.harmless {
                    link.harmless = true;
                } else {
                    link.harmful = true;
                }
            }
            let file = &templates[index];
            for r in &file.model.references {
                if r.kind == ReferenceKind::Import || !r.with_context {
                    continue;
                }
                for name in &r.names {
                    let Some(next) = resolver.resolve(name, &file.path) else {
                        continue;
                    };
                    if seen.len() >= MAX_TEMPLATES_PER_RENDER || !seen.insert(next) {
                        continue;
                    }
                    let verb = if r.kind == ReferenceKind::Extends {
                        "extends"
                    } else {
                        "includes"
                    };
                    let mut next_hops = hops.clone();
                    next_hops.push(FlowStep {
                        location: file.location(r.span.clone()),
                        message: format!(
                            "`{}` {verb} `{name}`, which sees the same context",
                            file.path
                        ),
                    });
                    queue.push_back((next, next_hops));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_flask() {
        let r = Resolver::new(
            vec![
                "a/templates/x.html".into(),
                "b/templates/x.html".into(),
                "b/templates/y.html".into(),
            ],
            vec!["b/templates".into()],
        );
        assert_eq!(r.resolve("x.html", "a/views.py"), Some(1));
        let r = Resolver::new(
            vec!["a/templates/x.html".into(), "b/templates/x.html".into()],
            Vec::new(),
        );
        assert_eq!(r.resolve("x.html", "b/views.py"), Some(1));
        assert_eq!(r.resolve("x.html", "a/views.py"), Some(0));
        assert_eq!(r.resolve("z.html", "a/views.py"), None);
    }
}
