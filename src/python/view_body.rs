//! What a view's body does that the access rules judge: the objects it loads by an id from the
//! URL or the request (FS413), whether it consults who is asking, and the internal state it
//! returns or the admin tools it runs (FS414), and what it writes on the server (FS411). Read
//! once per view, only when access facts are collected.

use ruff_python_ast::visitor::{walk_expr, walk_stmt, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::FxHashSet;

use super::semantic::Semantic;
use crate::finding::Location;
use crate::python::words::words;

mod exposure;
mod writes;

use exposure::calls_render_template;
pub use exposure::{Exposure, ExposureKind};
pub use writes::{Write, WriteKind};

/// What one view body does, for the access rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewBody {
    /// Objects loaded by an id taken from the URL or the request.
    pub loads: Vec<ObjectLoad>,
    /// The body consults the current user beyond reading it: compares it, filters or loads
    /// through it, passes it to a check, tests it in a condition, or calls a permission check.
    pub checks_user: bool,
    /// Internal state it returns and admin tools it runs.
    pub exposures: Vec<Exposure>,
    /// What it writes: rows, the signed-in identity in the session, files.
    pub writes: Vec<Write>,
}

/// `Post.query.get_or_404(id)`: a load of a model's row by an id from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectLoad {
    /// The model's class name as written (`Post`).
    pub model: String,
    /// The load call.
    pub location: Location,
    /// Where the id comes from: the URL parameter or the request read, as written.
    pub id_source: String,
    pub id_location: Location,
}

/// Calls that show or log a value: passing the current user to them checks nothing.
const OUTPUT: &[&str] = &[
    "render_template",
    "jsonify",
    "make_response",
    "flash",
    "redirect",
    "url_for",
    "print",
    "info",
    "debug",
    "warning",
    "error",
    "log",
    "dumps",
    "format",
];

/// Column names whose words say who owns a row.
const OWNER_WORDS: &[&str] = &[
    "user", "owner", "author", "creator", "uploader", "sender", "poster", "customer", "account",
    "member", "patient", "tenant",
];

/// Whether a model attribute named `name`, assigned `value`, links the row to its owner:
/// `user_id = Column(...)`, `owner = relationship(...)`, `author_id = mapped_column(ForeignKey(...))`.
pub fn is_owner_column(name: &str, value: &Expr) -> bool {
    let Expr::Call(call) = value else {
        return false;
    };
    let w = words(name);
    let owner = w.iter().any(|w| OWNER_WORDS.contains(&w.as_str()))
        || matches!(name, "created_by" | "owned_by");
    if !owner {
        return false;
    }
    // `user_type`, `user_agent` are plain columns: only an id or a link names the owner.
    let linked = crate::python::access::dotted(&call.func)
        .is_some_and(|f| f.ends_with("relationship") || f.ends_with("ReferenceField"))
        || call.arguments.args.iter().any(|a| match a {
            Expr::Call(c) => {
                crate::python::access::dotted(&c.func).is_some_and(|f| f.ends_with("ForeignKey"))
            }
            _ => false,
        });
    linked || w.last().is_some_and(|l| l == "id") || name.ends_with("_by")
}

/// Reads the body of view `f`; `location` turns ranges into locations.
pub fn read(
    sem: &Semantic,
    f: &ast::StmtFunctionDef,
    location: &dyn Fn(TextRange) -> Location,
) -> ViewBody {
    let mut reader = BodyReader {
        sem,
        location,
        ids: f
            .parameters
            .iter()
            .map(|p| p.name().to_string())
            .filter(|n| n != "self" && n != "cls")
            .collect(),
        params: FxHashSet::default(),
        users: FxHashSet::default(),
        loaded: FxHashSet::default(),
        exposing: Vec::new(),
        buffers: FxHashSet::default(),
        in_except: 0,
        body: ViewBody::default(),
    };
    reader.params = reader.ids.clone();
    for stmt in &f.body {
        reader.visit_stmt(stmt);
    }
    reader.body
}

struct BodyReader<'s, 'l> {
    sem: &'s Semantic<'s>,
    location: &'l dyn Fn(TextRange) -> Location,
    /// Local names holding an id from the client (URL parameters first).
    ids: FxHashSet<String>,
    /// The view's URL parameters.
    params: FxHashSet<String>,
    /// Local names holding the current user (`user = current_user`).
    users: FxHashSet<String>,
    /// Local names holding a loaded object.
    loaded: FxHashSet<String>,
    /// Local names holding internal state, with what they hold.
    exposing: Vec<(String, Exposure)>,
    /// Local names holding an in-memory or temporary file (`buf = io.BytesIO()`): saving into
    /// one writes nothing that stays.
    buffers: FxHashSet<String>,
    /// How many `except` handlers enclose the statement read.
    in_except: usize,
    body: ViewBody,
}

impl<'a> Visitor<'a> for BodyReader<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            // Nested functions and classes are other scopes.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            Stmt::Assign(a) => self.assignment(&a.targets, &a.value),
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    self.assignment(std::slice::from_ref(&*a.target), v)
                }
            }
            Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    self.returned(v);
                }
            }
            Stmt::If(i) => self.test(&i.test),
            Stmt::While(w) => self.test(&w.test),
            Stmt::Assert(a) => self.test(&a.test),
            Stmt::Try(t) => {
                for s in &t.body {
                    self.visit_stmt(s);
                }
                self.in_except += 1;
                for h in &t.handlers {
                    self.visit_except_handler(h);
                }
                self.in_except -= 1;
                for s in t.orelse.iter().chain(&t.finalbody) {
                    self.visit_stmt(s);
                }
                return;
            }
            _ => {}
        }
        walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(_) => return,
            // `note.user_id != current_user.id`: the owner compared with who is asking.
            Expr::Compare(_) => self.test(expr),
            Expr::Call(c) => self.call(c),
            _ => {}
        }
        walk_expr(self, expr);
    }
}

impl BodyReader<'_, '_> {
    fn assignment(&mut self, targets: &[Expr], value: &Expr) {
        self.note_session_targets(targets);
        let names: Vec<String> = targets.iter().flat_map(target_names).collect();
        if writes::is_buffer(value) {
            self.buffers.extend(names.iter().cloned());
        }
        if self.is_id_value(value) {
            self.ids.extend(names.iter().cloned());
        }
        if self.contains_load(value) {
            self.loaded.extend(names.iter().cloned());
        }
        if self.is_user(value) || self.loads_through_user(value) {
            self.users.extend(names.iter().cloned());
        }
        if let Some(e) = self.exposure_in(value) {
            self.exposing
                .extend(names.into_iter().map(|n| (n, e.clone())));
        }
    }

    /// A returned value: internal state in it, directly or through a local name.
    fn returned(&mut self, value: &Expr) {
        if let Some(e) = self.exposure_in(value) {
            self.body.exposures.push(e);
            return;
        }
        let mut names = Vec::new();
        collect_names(value, &mut names);
        // State handed to a template is shown as the template chooses.
        let rendered = calls_render_template(value);
        let held = self
            .exposing
            .iter()
            .find(|(n, e)| {
                names.contains(&n.as_str()) && !(rendered && e.kind != ExposureKind::Traceback)
            })
            .map(|(_, e)| e.clone());
        self.body.exposures.extend(held);
    }

    /// A condition that reads the current user (`if not current_user.is_admin`, `if
    /// post.author != user`) decides by who is asking.
    fn test(&mut self, test: &Expr) {
        if self.mentions_user(test) {
            self.body.checks_user = true;
        }
    }

    fn call(&mut self, c: &ast::ExprCall) {
        if let Some(load) = self.load(c) {
            self.body.loads.push(load);
        }
        if self.consults_user(c) {
            self.body.checks_user = true;
        }
        if let Some(tool) = self.admin_tool(c) {
            self.body.exposures.push(tool);
        }
        self.note_write_call(c);
    }

    /// Whether the call checks access: it names a permission check, passes the current user
    /// to something other than output, or is a query reached through the current user.
    fn consults_user(&self, c: &ast::ExprCall) -> bool {
        let callee = last_segment(&c.func);
        let named = words(callee).iter().any(|w| {
            matches!(
                w.as_str(),
                "permission"
                    | "permissions"
                    | "authorize"
                    | "authorized"
                    | "owner"
                    | "owns"
                    | "can"
                    | "allowed"
                    | "access"
                    | "ownership"
            )
        });
        if named || self.hands_loaded_to_helper(c) {
            return true;
        }
        let passes_user = !OUTPUT.contains(&callee)
            && c.arguments
                .args
                .iter()
                .chain(c.arguments.keywords.iter().map(|k| &k.value))
                .any(|a| self.mentions_user(a));
        let through_user = matches!(&*c.func, Expr::Attribute(a) if self.mentions_user(&a.value));
        passes_user || through_user
    }

    /// `remove_note(note)`: a loaded object handed to a function of the app, which may check
    /// its owner where this walk does not follow (builtins and Flask helpers never do).
    fn hands_loaded_to_helper(&self, c: &ast::ExprCall) -> bool {
        let Expr::Name(callee) = &*c.func else {
            return false;
        };
        if OUTPUT.contains(&callee.id.as_str()) {
            return false;
        }
        let library = self.sem.resolve(&c.func).is_some_and(|q| {
            ["builtins.", "flask.", "werkzeug.", "json.", "logging."]
                .iter()
                .any(|p| q.starts_with(p))
        });
        !library
            && c.arguments
                .args
                .iter()
                .chain(c.arguments.keywords.iter().map(|k| &k.value))
                .any(|a| matches!(a, Expr::Name(n) if self.loaded.contains(n.id.as_str())))
    }

    /// Whether `e` holds an object load (`note = Note.query.get(id)`).
    fn contains_load(&self, e: &Expr) -> bool {
        let mut current = e;
        // `Note.query.filter(...).first()`: the load is inside the call chain.
        loop {
            match current {
                Expr::Call(c) => {
                    if self.load(c).is_some() {
                        return true;
                    }
                    match &*c.func {
                        Expr::Attribute(a) => current = &a.value,
                        _ => return false,
                    }
                }
                Expr::Attribute(a) => current = &a.value,
                _ => return false,
            }
        }
    }

    /// The object load `c` is, when its id comes from the client.
    fn load(&self, c: &ast::ExprCall) -> Option<ObjectLoad> {
        let Expr::Attribute(method) = &*c.func else {
            return None;
        };
        let args = &c.arguments.args;
        let (model, id): (&Expr, &Expr) = match method.attr.as_str() {
            // `Post.query.get(id)`, `db.session.query(Post).get(id)`.
            "get" | "get_or_404" if args.len() == 1 => (query_model(&method.value)?, &args[0]),
            // `db.session.get(Post, id)`, `db.get_or_404(Post, id)`.
            "get" | "get_or_404" if args.len() == 2 && is_class_name(&args[0]) => {
                if self.sem.is(&method.value, "flask.session") {
                    return None;
                }
                (&args[0], &args[1])
            }
            // `Post.query.filter_by(id=id)`.
            "filter_by" => {
                let id = c.arguments.keywords.iter().find_map(|k| {
                    k.arg
                        .as_ref()
                        .filter(|a| is_id_column(a.as_str()))
                        .map(|_| &k.value)
                })?;
                (receiver_model(&method.value)?, id)
            }
            // `Post.query.filter(Post.id == id)`, `select(Post).where(Post.id == id)`.
            "filter" | "where" => args.iter().find_map(|a| self.id_comparison(a))?,
            _ => return None,
        };
        if !self.is_id_value(id) {
            return None;
        }
        Some(ObjectLoad {
            model: last_segment(model).to_string(),
            location: (self.location)(c.range()),
            id_source: self.describe_id(id),
            id_location: (self.location)(id.range()),
        })
    }

    /// `Post.id == id`: the model and the id compared with its id column.
    fn id_comparison<'e>(&self, e: &'e Expr) -> Option<(&'e Expr, &'e Expr)> {
        let Expr::Compare(cmp) = e else {
            return None;
        };
        let [right] = &cmp.comparators[..] else {
            return None;
        };
        let pairs = [(&*cmp.left, right), (right, &*cmp.left)];
        pairs.into_iter().find_map(|(column, value)| match column {
            Expr::Attribute(a) if is_id_column(a.attr.as_str()) && is_class_name(&a.value) => {
                Some((&*a.value, value))
            }
            _ => None,
        })
    }

    /// How a message names the id's origin: a URL parameter, or a request read.
    fn describe_id(&self, id: &Expr) -> String {
        let mut names = Vec::new();
        collect_names(id, &mut names);
        match names.iter().find(|n| self.params.contains(**n)) {
            Some(p) => format!("URL parameter `{p}`"),
            None => format!(
                "request value `{}`",
                crate::python::access::dotted(id).unwrap_or_else(|| "(expression)".into())
            ),
        }
    }

    /// Whether `e` holds an id from the client: a URL parameter or request read, converted
    /// (`int(...)`), indexed (`data["id"]`) or read with `.get(...)`.
    fn is_id_value(&self, e: &Expr) -> bool {
        match e {
            Expr::Name(n) => self.ids.contains(n.id.as_str()) || n.id.as_str() == "request",
            Expr::Attribute(a) => self.is_request(e) || self.is_id_value(&a.value),
            Expr::Subscript(s) => self.is_id_value(&s.value),
            Expr::Call(c) => match &*c.func {
                Expr::Attribute(a) if matches!(a.attr.as_str(), "get" | "get_json" | "strip") => {
                    self.is_id_value(&a.value)
                }
                Expr::Name(n)
                    if matches!(n.id.as_str(), "int" | "str" | "UUID" | "ObjectId" | "uuid") =>
                {
                    c.arguments
                        .args
                        .first()
                        .is_some_and(|a| self.is_id_value(a))
                }
                Expr::Attribute(a) if a.attr.as_str() == "UUID" => c
                    .arguments
                    .args
                    .first()
                    .is_some_and(|a| self.is_id_value(a)),
                _ => false,
            },
            _ => false,
        }
    }

    fn is_request(&self, e: &Expr) -> bool {
        let mut root = e;
        while let Expr::Attribute(a) = root {
            root = &a.value;
        }
        matches!(root, Expr::Name(n) if n.id.as_str() == "request")
            || self.sem.is(root, "flask.request")
    }

    /// The current user: `current_user`, `g.user`, `get_jwt_identity()`, `session["user_id"]`,
    /// or a local name holding one of those.
    fn is_user(&self, e: &Expr) -> bool {
        match e {
            Expr::Name(n) => {
                let id = n.id.as_str();
                matches!(id, "current_user" | "current_identity") || self.users.contains(id)
            }
            Expr::Attribute(a) => {
                matches!(a.attr.as_str(), "current_user" | "current_identity")
                    || (matches!(&*a.value, Expr::Name(g) if g.id.as_str() == "g")
                        && words(a.attr.as_str())
                            .iter()
                            .any(|w| w == "user" || w == "identity"))
                    || self.is_user(&a.value)
            }
            Expr::Call(c) => {
                matches!(
                    last_segment(&c.func),
                    "get_jwt_identity" | "get_current_user" | "current_user" | "get_jwt"
                ) || matches!(&*c.func, Expr::Attribute(a) if a.attr.as_str() == "get"
                        && self.is_session(&a.value)
                        && c.arguments.args.first().is_some_and(names_user_key))
                    || matches!(&*c.func, Expr::Attribute(a) if self.is_user(&a.value))
            }
            Expr::Subscript(s) => {
                (self.is_session(&s.value) && names_user_key(&s.slice)) || self.is_user(&s.value)
            }
            _ => false,
        }
    }

    fn is_session(&self, e: &Expr) -> bool {
        matches!(e, Expr::Name(n) if n.id.as_str() == "session") || self.sem.is(e, "flask.session")
    }

    /// `User.query.get(session["user_id"])`: a load of the signed-in user's own record.
    fn loads_through_user(&self, e: &Expr) -> bool {
        matches!(e, Expr::Call(c) if c.arguments.args.iter().any(|a| self.is_user(a)))
    }

    /// Whether any part of `e` is the current user.
    fn mentions_user(&self, e: &Expr) -> bool {
        struct Finder<'r, 's, 'l> {
            reader: &'r BodyReader<'s, 'l>,
            found: bool,
        }
        impl<'a> Visitor<'a> for Finder<'_, '_, '_> {
            fn visit_expr(&mut self, e: &'a Expr) {
                if self.found || self.reader.is_user(e) {
                    self.found = true;
                    return;
                }
                walk_expr(self, e);
            }
        }
        let mut finder = Finder {
            reader: self,
            found: false,
        };
        finder.visit_expr(e);
        finder.found
    }
}

/// The model of `Post.query` or `db.session.query(Post)`.
fn query_model(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Attribute(a) if a.attr.as_str() == "query" && is_class_name(&a.value) => {
            Some(&a.value)
        }
        Expr::Call(c) => match &*c.func {
            Expr::Attribute(a) if a.attr.as_str() == "query" => {
                c.arguments.args.first().filter(|m| is_class_name(m))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The model a query chain starts from: `Post.query.filter(...).filter_by` → `Post`.
fn receiver_model(e: &Expr) -> Option<&Expr> {
    let mut current = e;
    for _ in 0..8 {
        if let Some(m) = query_model(current) {
            return Some(m);
        }
        current = match current {
            Expr::Call(c) => match &*c.func {
                Expr::Attribute(a) => &a.value,
                _ => return None,
            },
            Expr::Attribute(a) => &a.value,
            _ => return None,
        };
    }
    None
}

/// A class name as written (`Post`, `models.Post`): models are classes.
fn is_class_name(e: &Expr) -> bool {
    let name = match e {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        _ => return false,
    };
    name.starts_with(|c: char| c.is_ascii_uppercase())
}

fn is_id_column(name: &str) -> bool {
    matches!(name, "id" | "pk" | "uuid")
}

/// `"user_id"`, `"uid"`: a session key holding the signed-in user.
fn names_user_key(e: &Expr) -> bool {
    crate::python::flask::string_literal(e)
        .is_some_and(|k| k == "uid" || words(&k).iter().any(|w| w == "user" || w == "username"))
}

/// The last name of a callee or reference: `db.session.get` → `get`.
fn last_segment(e: &Expr) -> &str {
    match e {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        _ => "",
    }
}

/// The names an assignment binds.
fn target_names(t: &Expr) -> Vec<String> {
    match t {
        Expr::Name(n) => vec![n.id.to_string()],
        Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
            elts.iter().flat_map(target_names).collect()
        }
        _ => Vec::new(),
    }
}

/// Every name read in `e`.
fn collect_names<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
    struct Names<'o, 'e> {
        out: &'o mut Vec<&'e str>,
    }
    impl<'e> Visitor<'e> for Names<'_, 'e> {
        fn visit_expr(&mut self, e: &'e Expr) {
            if let Expr::Name(n) = e {
                self.out.push(n.id.as_str());
            }
            walk_expr(self, e);
        }
    }
    Names { out }.visit_expr(e);
}

#[cfg(test)]
mod tests;
