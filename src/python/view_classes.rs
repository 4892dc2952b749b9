//! The classes a class-based view registration stands for: `X.as_view("name")` written in the
//! `add_url_rule` call, held by a local (`view_func = X.as_view(endpoint)`), or handed to a
//! registering helper as a parameter, the shape Flask's documentation shows:
//!
//! ```python
//! def register_api(view, endpoint, url):
//!     view_func = view.as_view(endpoint)
//!     app.add_url_rule(url, view_func=view_func)
//!
//! register_api(UserAPI, "users", "/users/")
//! ```

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

use super::flask::is_view_handler;

/// At most this many call sites of a registering helper are followed.
const MAX_CALL_SITES: usize = 64;

/// The view of an `add_url_rule` call, as a class-based view: the class expressions it may be
/// (each written where the class is named), or nothing when it is no `as_view` result.
/// `function` is the function the call is written in, `module` the module's statements.
pub fn registered_classes<'a>(
    view: &'a Expr,
    function: Option<&'a ast::StmtFunctionDef>,
    module: &'a [Stmt],
) -> Vec<&'a Expr> {
    let view = match (view, function) {
        (Expr::Name(n), Some(f)) => match single_assignment(&f.body, n.id.as_str()) {
            Some(value) => value,
            None => return Vec::new(),
        },
        _ => view,
    };
    let Some(class) = as_view_receiver(view) else {
        return Vec::new();
    };
    let (Expr::Name(n), Some(f)) = (class, function) else {
        return vec![class];
    };
    // A helper that is a method (`self.register(UserAPI, ...)`) is passed its receiver
    // implicitly: its first parameter has no argument at the call.
    let bound = f
        .parameters
        .args
        .first()
        .is_some_and(|p| matches!(p.parameter.name.as_str(), "self" | "cls"));
    match parameter_position(f, n.id.as_str()) {
        Some(0) if bound => Vec::new(),
        Some(position) => {
            let position = position - usize::from(bound);
            call_site_arguments(module, f.name.as_str(), n.id.as_str(), position)
        }
        None => vec![class],
    }
}

/// The HTTP methods a class-based view's own body declares: its `methods = [...]` list, and the
/// handlers it defines (`post`, `put`... as a `MethodView` answers them). `None` when it
/// declares neither; a class inherits what its bases declare (see
/// [`crate::python::project::ProjectIndex::view_methods`]).
pub fn declared_methods(def: &ast::StmtClassDef) -> Option<Vec<String>> {
    let mut methods: Vec<String> = Vec::new();
    for stmt in &def.body {
        match stmt {
            Stmt::Assign(a) => {
                let named = matches!(&a.targets[..], [Expr::Name(t)] if t.id.as_str() == "methods");
                let listed = match &*a.value {
                    Expr::List(l) if named => l.elts.as_slice(),
                    Expr::Tuple(t) if named => t.elts.as_slice(),
                    _ => &[],
                };
                methods.extend(listed.iter().filter_map(|e| match e {
                    Expr::StringLiteral(s) => Some(s.value.to_str().to_ascii_uppercase()),
                    _ => None,
                }));
            }
            // Handlers named for an HTTP method (`dispatch_request` answers what `methods` says).
            Stmt::FunctionDef(f)
                if is_view_handler(f.name.as_str()) && f.name.as_str() != "dispatch_request" =>
            {
                methods.push(f.name.to_ascii_uppercase());
            }
            _ => {}
        }
    }
    methods.sort();
    methods.dedup();
    (!methods.is_empty()).then_some(methods)
}

/// `X.as_view(...)`: `X`.
fn as_view_receiver(view: &Expr) -> Option<&Expr> {
    let Expr::Call(c) = view else { return None };
    let Expr::Attribute(a) = &*c.func else {
        return None;
    };
    (a.attr.as_str() == "as_view").then_some(&*a.value)
}

/// The value of the one assignment to `name` among `body`'s statements (not in nested
/// functions or classes); `None` when it is assigned more than once or not at all.
fn single_assignment<'a>(body: &'a [Stmt], name: &str) -> Option<&'a Expr> {
    struct Finder<'a, 'n> {
        name: &'n str,
        found: Vec<&'a Expr>,
    }
    impl<'a> Visitor<'a> for Finder<'a, '_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                Stmt::Assign(a) => {
                    if a.targets
                        .iter()
                        .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == self.name))
                    {
                        self.found.push(&a.value);
                    }
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }
    }
    let mut finder = Finder {
        name,
        found: Vec::new(),
    };
    finder.visit_body(body);
    match finder.found.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// The positional index of parameter `name` of `f`, when it can be passed by position.
fn parameter_position(f: &ast::StmtFunctionDef, name: &str) -> Option<usize> {
    f.parameters
        .posonlyargs
        .iter()
        .chain(&f.parameters.args)
        .position(|p| p.parameter.name.as_str() == name)
}

/// What the calls of the function `function` in `module` pass as its parameter `name` (at
/// `position`, or by keyword).
fn call_site_arguments<'a>(
    module: &'a [Stmt],
    function: &str,
    name: &str,
    position: usize,
) -> Vec<&'a Expr> {
    struct Calls<'a, 'n> {
        function: &'n str,
        name: &'n str,
        position: usize,
        found: Vec<&'a Expr>,
    }
    impl<'a> Visitor<'a> for Calls<'a, '_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(c) = expr {
                let called = match &*c.func {
                    Expr::Name(n) => n.id.as_str() == self.function,
                    Expr::Attribute(a) => a.attr.as_str() == self.function,
                    _ => false,
                };
                if called && self.found.len() < MAX_CALL_SITES {
                    let arg = c
                        .arguments
                        .args
                        .get(self.position)
                        .or_else(|| c.arguments.find_keyword(self.name).map(|k| &k.value));
                    if let Some(arg) = arg.filter(|a| !matches!(a, Expr::Starred(_))) {
                        self.found.push(arg);
                    }
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut calls = Calls {
        function,
        name,
        position,
        found: Vec::new(),
    };
    calls.visit_body(module);
    calls.found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::SourceFile;

    fn names(src: &str) -> Vec<String> {
        let (file, problems) = SourceFile::parse("app.py", src.to_string());
        assert!(problems.is_empty());
        let body = file.body();
        let mut out = Vec::new();
        struct Rules<'a> {
            function: Vec<&'a ast::StmtFunctionDef>,
            module: &'a [Stmt],
            out: &'a mut Vec<String>,
            file: &'a SourceFile,
        }
        impl<'a> Visitor<'a> for Rules<'a> {
            fn visit_stmt(&mut self, stmt: &'a Stmt) {
                if let Stmt::FunctionDef(f) = stmt {
                    self.function.push(f);
                    visitor::walk_stmt(self, stmt);
                    self.function.pop();
                } else {
                    visitor::walk_stmt(self, stmt);
                }
            }
            fn visit_expr(&mut self, expr: &'a Expr) {
                if let Expr::Call(c) = expr {
                    if matches!(&*c.func, Expr::Attribute(a) if a.attr.as_str() == "add_url_rule") {
                        let view = &c.arguments.find_keyword("view_func").unwrap().value;
                        for class in
                            registered_classes(view, self.function.last().copied(), self.module)
                        {
                            use ruff_text_size::Ranged;
                            self.out.push(self.file.slice(class.range()).to_string());
                        }
                    }
                }
                visitor::walk_expr(self, expr);
            }
        }
        let mut rules = Rules {
            function: Vec::new(),
            module: body,
            out: &mut out,
            file: &file,
        };
        rules.visit_body(body);
        out
    }

    #[test]
    fn methods_a_class_view_declares() {
        let src = r#"
class Deploy(View):
    methods = ["GET", "post"]
class Users(MethodView):
    def get(self): ...
    def post(self): ...
class Plain(View):
    def dispatch_request(self): ...
"#;
        let (file, problems) = SourceFile::parse("app.py", src.to_string());
        assert!(problems.is_empty());
        let methods = |name: &str| {
            file.body().iter().find_map(|s| match s {
                Stmt::ClassDef(c) if c.name.as_str() == name => Some(declared_methods(c)),
                _ => None,
            })
        };
        assert_eq!(
            methods("Deploy"),
            Some(Some(vec!["GET".into(), "POST".into()]))
        );
        assert_eq!(
            methods("Users"),
            Some(Some(vec!["GET".into(), "POST".into()]))
        );
        assert_eq!(methods("Plain"), Some(None));
    }

    #[test]
    fn classes_written_held_or_handed_to_a_helper() {
        let src = r#"
app.add_url_rule("/a", view_func=A.as_view("a"))

def setup(app):
    view_func = views.B.as_view("b")
    app.add_url_rule("/b", view_func=view_func)

def register_api(view, endpoint, url):
    view_func = view.as_view(endpoint)
    app.add_url_rule(url, view_func=view_func)

register_api(UserAPI, "users", "/users/")
register_api(view=GroupAPI, endpoint="groups", url="/groups/")

class Api:
    def register(self, view, endpoint):
        self.app.add_url_rule("/" + endpoint, view_func=view.as_view(endpoint))

    def setup(self):
        self.register(ItemAPI, "items")

def plain(app):
    app.add_url_rule("/p", view_func=index)
"#;
        assert_eq!(
            names(src),
            vec!["A", "views.B", "UserAPI", "GroupAPI", "ItemAPI"]
        );
    }
}
