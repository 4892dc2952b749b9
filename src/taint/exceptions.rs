//! What exception details really reach a client (FS410).
//!
//! Questions the generic walk cannot answer alone:
//! - whether a handler's exception text is a message the application wrote for its users (a
//!   `ValueError`/`TypeError` describing a bad value, or a broad handler that exists to relay the
//!   `raise Exception(_("Invalid role"))` of its own `try` body) rather than library internals;
//! - whether that text is known to reveal internals (a database, driver or operating-system
//!   error, a broad handler around database or filesystem work: default suite) or is another
//!   library's message, often shown on purpose (an audit finding);
//! - whether the exception's text is sent, or only the object: Flask cannot serialise an
//!   exception object (`jsonify({"message": ex})` fails with a `TypeError`), so nothing leaks
//!   until the exception is turned into text (`str(e)`, formatting, an attribute, a call);
//! - whether a response built from the exception is sent at all: a `Response(...)` whose value is
//!   dropped, or kept in a variable nobody reads, never reaches the client.

use std::sync::Arc;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use super::engine::{Analyzer, Reach};
use super::infer;
use super::value::{Origin, Taint, Val};
use crate::python::calls::called_names;

/// Builtin exceptions whose message describes a bad value (`invalid literal for int()`, an
/// application's own `raise ValueError("unknown filter")`), not the server's internals.
const VALUE_ERRORS: &[&str] = &["ValueError", "TypeError"];

/// Handlers that catch everything, whatever the `try` body raises.
const BROAD: &[&str] = &["Exception", "BaseException"];

/// Whether the handler's exception text is a message written for users: every type it catches
/// is a value error, or it is the only handler, catches everything, and its body raises its own
/// text messages (`if user.name == "Guest": raise Exception(_("Guest can't have this role"))`),
/// directly or in a project function the body calls. Library errors in the same handler still
/// count.
pub fn relays_own_messages(
    a: &Analyzer,
    t: &ast::StmtTry,
    h: &ast::ExceptHandlerExceptHandler,
) -> bool {
    let Some(caught) = h.type_.as_deref() else {
        return false;
    };
    let names: Vec<Option<&str>> = match caught {
        Expr::Tuple(t) => t.elts.iter().map(builtin_name).collect(),
        other => vec![builtin_name(other)],
    };
    if names
        .iter()
        .all(|n| n.is_some_and(|n| VALUE_ERRORS.contains(&n)))
    {
        return true;
    }
    // Only a sole handler: after `except RateLimited:` the body's own messages are taken care
    // of, and a following `except Exception:` is there for everything else.
    t.handlers.len() == 1
        && names.len() == 1
        && names[0].is_some_and(|n| BROAD.contains(&n))
        && body_raises_text(a, &t.body)
}

/// The name of a builtin exception class as written (`ValueError`), not a dotted library name.
fn builtin_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Name(n) => Some(n.id.as_str()),
        _ => None,
    }
}

/// Whether `body` raises an exception with a text message, itself or in a project function it
/// calls.
fn body_raises_text(a: &Analyzer, body: &[Stmt]) -> bool {
    RAISES_TEXT.search(Some(a), body)
}

/// Whether a function body raises an exception whose message is text it writes itself.
pub fn raises_text(body: &[Stmt]) -> bool {
    RAISES_TEXT.search(None, body)
}

/// `Exception("text")`, `Exception(_("text"))`, `ValueError("no filter %s" % name)`,
/// `ValueError(f"...")`: an exception built around a message the code writes.
fn text_exception(e: &Expr) -> bool {
    match e {
        Expr::Call(c) => c.arguments.args.first().is_some_and(written_text),
        _ => false,
    }
}

/// Text written in the code: a literal, an f-string, a literal formatted (`"..." % x`,
/// `"...".format(x)`) or translated (`_("...")`).
fn written_text(e: &Expr) -> bool {
    match e {
        Expr::StringLiteral(_) | Expr::FString(_) => true,
        Expr::BinOp(b) => written_text(&b.left),
        Expr::Call(c) => match &*c.func {
            Expr::Attribute(at) if at.attr.as_str() == "format" => written_text(&at.value),
            _ => c
                .arguments
                .args
                .first()
                .is_some_and(|x| matches!(x, Expr::StringLiteral(_))),
        },
        _ => false,
    }
}

/// A question asked of a function body: a statement or a call that answers it, or a project
/// callee whose inferred traits do.
struct Question {
    stmt: fn(&Stmt) -> bool,
    call: fn(&ast::ExprCall) -> bool,
    callee: fn(&infer::Traits) -> bool,
}

/// `raise X("text")`.
const RAISES_TEXT: Question = Question {
    stmt: |s| matches!(s, Stmt::Raise(r) if r.exc.as_deref().is_some_and(text_exception)),
    call: |_| false,
    callee: |t| t.raises_text,
};

/// `x.commit()`, `cursor.execute()`, `open()`, `os.*`, `shutil.*`, `subprocess.*`.
const TOUCHES_STORAGE: Question = Question {
    stmt: |_| false,
    call: storage_call,
    callee: |t| t.touches_storage,
};

impl Question {
    /// Whether `body` (not the functions nested in it) answers the question, directly or, with
    /// an analyzer, through a project function it calls (one level, by that function's traits).
    fn search(&self, a: Option<&Analyzer>, body: &[Stmt]) -> bool {
        let mut v = BodySearch {
            q: self,
            a,
            found: false,
            depth: 0,
        };
        for s in body {
            v.visit_stmt(s);
        }
        v.found
    }
}

/// How deep nested statements and expressions are followed.
const MAX_DEPTH: usize = 64;

struct BodySearch<'q, 'x, 'w, 'g, 'a> {
    q: &'q Question,
    a: Option<&'x Analyzer<'w, 'g, 'a>>,
    found: bool,
    depth: usize,
}

impl<'s> Visitor<'s> for BodySearch<'_, '_, '_, '_, '_> {
    fn visit_stmt(&mut self, stmt: &'s Stmt) {
        if self.found || self.depth > MAX_DEPTH {
            return;
        }
        if (self.q.stmt)(stmt) {
            self.found = true;
            return;
        }
        // A nested function's body is not this body.
        if matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            return;
        }
        self.depth += 1;
        visitor::walk_stmt(self, stmt);
        self.depth -= 1;
    }

    fn visit_expr(&mut self, expr: &'s Expr) {
        if self.found || self.depth > MAX_DEPTH {
            return;
        }
        if let Expr::Call(c) = expr {
            let callee = || {
                self.a
                    .and_then(|a| a.call_traits(c))
                    .is_some_and(|t| (self.q.callee)(&t))
            };
            if (self.q.call)(c) || callee() {
                self.found = true;
                return;
            }
        }
        self.depth += 1;
        visitor::walk_expr(self, expr);
        self.depth -= 1;
    }
}

/// Modules whose exceptions describe the database, its driver or the operating system: SQL text,
/// schema names, hosts, paths, mail server replies.
const INTERNAL_MODULES: &[&str] = &[
    "sqlalchemy.",
    "psycopg2.",
    "psycopg.",
    "pymysql.",
    "MySQLdb.",
    "mysql.connector.",
    "sqlite3.",
    "asyncpg.",
    "pyodbc.",
    "cx_Oracle.",
    "oracledb.",
    "pymongo.",
    "peewee.",
    "django.db.",
    "smtplib.",
    "socket.",
    "ssl.",
    "subprocess.",
];

/// Builtin exceptions raised by the operating system, whose text names paths and hosts.
pub(super) const OS_ERRORS: &[&str] = &[
    "OSError",
    "IOError",
    "EnvironmentError",
    "FileNotFoundError",
    "FileExistsError",
    "PermissionError",
    "IsADirectoryError",
    "NotADirectoryError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "ConnectionAbortedError",
    "BrokenPipeError",
    "TimeoutError",
];

/// Methods that run database work (`db.session.commit()`, `cursor.execute(sql)`); any
/// `execute*` method counts too (`conn.execute_dict(sql)` in driver wrappers).
const DATABASE_METHODS: &[&str] = &["commit", "flush", "fetchone", "fetchall", "fetchmany"];

/// Modules whose calls touch the filesystem or run programs.
const SYSTEM_MODULES: &[&str] = &["os", "shutil", "subprocess"];

/// Whether the text of what `h` catches is known to reveal internals, which keeps FS410's
/// finding in the default suite: a database, driver or operating-system error among the caught
/// types, or a broad handler (`except Exception`) around database or filesystem work done in
/// the `try` body or in a project function it calls. Other exception text (a library's error for
/// an outbound call, a parser's complaint) is often meant for the user: an audit finding.
pub fn reveals_internals(
    a: &Analyzer,
    t: &ast::StmtTry,
    h: &ast::ExceptHandlerExceptHandler,
) -> bool {
    let Some(caught) = h.type_.as_deref() else {
        return touches_storage(Some(a), &t.body);
    };
    let types: Vec<&Expr> = match caught {
        Expr::Tuple(t) => t.elts.iter().collect(),
        other => vec![other],
    };
    types.iter().any(|e| internal_type(a, t, e))
        || (types
            .iter()
            .any(|e| builtin_name(e).is_some_and(|n| BROAD.contains(&n)))
            && touches_storage(Some(a), &t.body))
}

/// A database, driver or operating-system exception class. An operating-system class the
/// project raises itself with a written message (`raise FileNotFoundError(f"No preview for
/// {uri}")`), in a function the `try` body calls or one that function calls, is a signal of its
/// own when the body touches no storage: its text is that message.
fn internal_type(a: &Analyzer, t: &ast::StmtTry, e: &Expr) -> bool {
    if let Some(q) = a.qualify(e).filter(|q| !q.starts_with("builtins.")) {
        return INTERNAL_MODULES.iter().any(|m| q.starts_with(m));
    }
    let Some(class) = builtin_name(e).filter(|n| OS_ERRORS.contains(n)) else {
        return false;
    };
    !raised_by_callees(a, &t.body, class) || touches_storage(Some(a), &t.body)
}

/// Whether a project function named like one `body` calls, or like one such a function calls,
/// raises `class` with a written message. Calls are matched by name: the callee is often a
/// method of an object a factory returns (`client.get_preview_image(uri)`).
fn raised_by_callees(a: &Analyzer, body: &[Stmt], class: &str) -> bool {
    let raisers: Vec<&str> = own_os_errors(a)
        .iter()
        .filter(|(c, _)| c == class)
        .map(|(_, f)| f.as_str())
        .collect();
    if raisers.is_empty() {
        return false;
    }
    let g = a.global();
    let direct = called_names(body);
    direct.iter().any(|n| {
        raisers.contains(&n.as_str())
            || g.named(n).any(|f| {
                called_names(&f.def.body)
                    .iter()
                    .any(|m| raisers.contains(&m.as_str()))
            })
    })
}

/// The operating-system exception classes the project's functions raise with written text, each
/// with the name of the function raising it.
fn own_os_errors<'g>(a: &Analyzer<'_, 'g, '_>) -> &'g [(String, String)] {
    let g = a.global();
    g.own_os_errors.get_or_init(|| {
        let mut out = Vec::new();
        for info in g.funcs.values() {
            let mut found = OwnRaises::default();
            for s in &info.def.body {
                found.visit_stmt(s);
            }
            for class in found.names {
                out.push((class, info.def.name.to_string()));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    })
}

/// Collects `raise X("text")` of the builtin operating-system classes.
#[derive(Default)]
struct OwnRaises {
    names: Vec<String>,
}

impl<'s> Visitor<'s> for OwnRaises {
    fn visit_stmt(&mut self, stmt: &'s Stmt) {
        if let Stmt::Raise(r) = stmt {
            if let Some(exc @ Expr::Call(c)) = r.exc.as_deref() {
                let own = builtin_name(&c.func).filter(|n| OS_ERRORS.contains(n));
                if let Some(n) = own.filter(|_| text_exception(exc)) {
                    self.names.push(n.to_string());
                }
            }
        }
        // Nested functions are in the index themselves.
        if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            visitor::walk_stmt(self, stmt);
        }
    }
}

/// Whether `body` does database or filesystem work, itself or (with an analyzer) in a project
/// function it calls.
pub fn touches_storage(a: Option<&Analyzer>, body: &[Stmt]) -> bool {
    TOUCHES_STORAGE.search(a, body)
}

/// A call that does database or filesystem work itself.
fn storage_call(c: &ast::ExprCall) -> bool {
    match &*c.func {
        Expr::Name(n) => n.id.as_str() == "open",
        Expr::Attribute(at) => {
            DATABASE_METHODS.contains(&at.attr.as_str())
                || at.attr.starts_with("execute")
                || matches!(&*at.value, Expr::Name(m) if SYSTEM_MODULES.contains(&m.id.as_str()))
        }
        _ => false,
    }
}

/// Whether `t` is an exception object that nothing has turned into text yet.
pub fn is_object(t: &Taint) -> bool {
    t.origin == Origin::Exception && t.structured
}

/// Whether an attribute of an exception is a number it carries (`e.code`, `e.status_code`,
/// `e.errno`), not text about what failed.
pub fn is_numeric_attribute(name: &str) -> bool {
    let last = name.rsplit('_').next().unwrap_or(name);
    matches!(last, "code" | "status" | "errno" | "lineno")
}

/// `v` holding no exception details: what was read of an exception (or of a parameter that
/// may be one) is a number.
pub fn drop_details(v: &mut Val) {
    if v.is_tainted() {
        *v = v.sanitize(super::value::SinkKind::StackTrace.bit());
    }
}

/// The exception objects in `v` become their text: an attribute (`e.orig`, `e.message`) or an
/// unknown call's result (`_("Error: %(e)s", e=e)`, `json.dumps(d, default=str)`) may be text.
pub fn as_text(v: &mut Val) {
    if !v.all_taints().iter().any(|t| is_object(t)) {
        return;
    }
    v.taints = v
        .taints
        .iter()
        .map(|t| {
            if is_object(t) {
                Arc::new(Taint {
                    structured: false,
                    ..(**t).clone()
                })
            } else {
                t.clone()
            }
        })
        .collect();
}

/// Where the responses built in the current statement go, and the exception details that reach
/// a response kept in a variable not read yet.
///
/// A response reaches the client only when it is returned (or passed on); one built and dropped
/// (`_result(error)` as a statement) or assigned to a name nothing reads is never sent.
#[derive(Default)]
pub struct Responses {
    /// The call whose value the current statement drops.
    discarded: Option<TextRange>,
    /// The call whose value the current statement assigns to a plain name, and the name.
    assigned: Option<(TextRange, String)>,
    /// Reaches into responses held by a name, reported when the name is read.
    parked: Vec<(String, Reach)>,
}

impl Responses {
    /// Notes where the value of the statement's outermost call goes.
    pub fn statement(&mut self, s: &Stmt) {
        self.discarded = None;
        self.assigned = None;
        match s {
            Stmt::Expr(e) if e.value.is_call_expr() => self.discarded = Some(e.value.range()),
            Stmt::Assign(a) => {
                if let ([Expr::Name(n)], Expr::Call(c)) = (&a.targets[..], &*a.value) {
                    self.assigned = Some((c.range(), n.id.to_string()));
                }
            }
            _ => {}
        }
    }

    /// Routes a reach into the response `call` builds: `Some` to record it now, `None` when it is
    /// dropped or parked until its variable is read.
    pub fn route(&mut self, call: TextRange, reach: Reach) -> Option<Reach> {
        if self.discarded == Some(call) {
            return None;
        }
        match &self.assigned {
            Some((r, name)) if *r == call => {
                self.parked.push((name.clone(), reach));
                None
            }
            _ => Some(reach),
        }
    }

    /// How many reaches are parked.
    pub fn parked_len(&self) -> usize {
        self.parked.len()
    }

    /// Forgets the reaches parked after the first `n` (built in a branch whose exception
    /// details are not reported).
    pub fn forget_parked_since(&mut self, n: usize) {
        self.parked.truncate(n);
    }

    /// The parked reaches of responses held by `name`, now that it is read.
    pub fn read(&mut self, name: &str) -> Vec<Reach> {
        if self.parked.is_empty() {
            return Vec::new();
        }
        let (hit, rest) = std::mem::take(&mut self.parked)
            .into_iter()
            .partition(|(n, _)| n == name);
        self.parked = rest;
        hit.into_iter().map(|(_, r)| r).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    fn raises(src: &str) -> bool {
        let m = parse_module(src).unwrap();
        raises_text(&m.syntax().body)
    }

    #[test]
    fn messages_written_in_the_code() {
        assert!(raises("raise Exception('bad')"));
        assert!(raises("raise Exception(_('bad'))"));
        assert!(raises("raise ValueError('no %s' % name)"));
        assert!(raises("raise ValueError('no {}'.format(name))"));
        assert!(raises("if x:\n    raise ValueError(f'no {x}')"));
    }

    fn storage(src: &str) -> bool {
        let m = parse_module(src).unwrap();
        touches_storage(None, &m.syntax().body)
    }

    #[test]
    fn database_and_filesystem_work() {
        assert!(storage("db.session.commit()"));
        assert!(storage("rows = cur.execute(sql).fetchall()"));
        assert!(storage("conn.execute_dict(sql)"));
        assert!(storage("with open(path) as f:\n    data = f.read()"));
        assert!(storage("os.remove(path)"));
        assert!(storage("shutil.move(a, b)"));
        assert!(!storage("requests.get(url, timeout=5)"));
        assert!(!storage("notify(url)"));
        assert!(!storage("def later():\n    db.session.commit()"));
    }

    #[test]
    fn messages_from_elsewhere() {
        assert!(!raises("raise"));
        assert!(!raises("raise exc"));
        assert!(!raises("raise Error(str(e))"));
        assert!(!raises("def inner():\n    raise Exception('bad')"));
    }
}
