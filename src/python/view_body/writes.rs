//! FS411's share of a view body: what it writes on the server (the database, the signed-in
//! identity in the session, files), so a GET view that changes state is judged like a POST one.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use super::{last_segment, receiver_model, BodyReader};
use crate::finding::Location;
use crate::python::flask::string_literal;
use crate::python::words::words;

/// Where a view writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// Commits, adds or deletes rows, or saves a document.
    Database,
    /// Puts an identity into the session (`session["user_id"] = ...`, `login_user(...)`):
    /// preferences a visitor keeps in their own session (language, cart) change nobody else's
    /// state and are not writes here.
    Session,
    /// Writes, moves or deletes a file.
    File,
}

impl WriteKind {
    /// What the view does, for messages: "writes to the database".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Database => "writes to the database",
            Self::Session => "signs a user in through the session",
            Self::File => "writes to the file system",
        }
    }
}

/// One write, with the call or assignment target as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub kind: WriteKind,
    pub text: String,
    pub location: Location,
}

/// Methods of a database session (`db.session`, `db_session`) that change rows.
const SESSION_WRITES: &[&str] = &[
    "add",
    "add_all",
    "delete",
    "merge",
    "bulk_save_objects",
    "bulk_insert_mappings",
    "bulk_update_mappings",
];

/// PyMongo collection methods that change documents.
const DOCUMENT_WRITES: &[&str] = &[
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "replace_one",
    "delete_one",
    "delete_many",
    "find_one_and_update",
    "find_one_and_replace",
    "find_one_and_delete",
];

/// Functions of `os` and `shutil` that change the file system (creating a directory is left
/// out: views make their upload folder when it is missing, which changes nothing anyone sees).
const FILE_FUNCTIONS: &[&str] = &[
    "os.remove",
    "os.unlink",
    "os.rename",
    "os.replace",
    "os.rmdir",
    "os.removedirs",
    "shutil.rmtree",
    "shutil.move",
    "shutil.copy",
    "shutil.copy2",
    "shutil.copyfile",
];

/// Words of a session key that hold who the visitor is or what they may do.
const IDENTITY_WORDS: &[&str] = &[
    "user",
    "uid",
    "userid",
    "username",
    "admin",
    "role",
    "roles",
    "logged",
    "authenticated",
    "identity",
];

impl BodyReader<'_, '_> {
    /// Records the write call `c` makes, if it makes one.
    pub(super) fn note_write_call(&mut self, c: &ast::ExprCall) {
        if let Some(kind) = self.call_write(c) {
            self.push_write(kind, &c.func);
        }
    }

    /// Records `session["user_id"] = ...` among an assignment's targets.
    pub(super) fn note_session_targets(&mut self, targets: &[Expr]) {
        for t in targets {
            if let Expr::Subscript(s) = t {
                let Some(key) = identity_key(&s.slice) else {
                    continue;
                };
                if self.is_session(&s.value) {
                    let text = format!("session[{key:?}]");
                    self.push_write_as(WriteKind::Session, text, t);
                }
            }
        }
    }

    fn push_write(&mut self, kind: WriteKind, e: &Expr) {
        let text = crate::python::access::dotted(e).unwrap_or_else(|| "(expression)".into());
        self.push_write_as(kind, text, e);
    }

    fn push_write_as(&mut self, kind: WriteKind, text: String, e: &Expr) {
        self.body.writes.push(Write {
            kind,
            text,
            location: (self.location)(e.range()),
        });
    }

    /// The kind of write a call is: judged by its method name first, so most calls cost one
    /// string match and no name resolution.
    fn call_write(&self, c: &ast::ExprCall) -> Option<WriteKind> {
        let name = last_segment(&c.func);
        match (&*c.func, name) {
            // Committing a transaction: `db.session.commit()`, `conn.commit()` (not
            // `repo.commit(sha)`, which reads a commit).
            (Expr::Attribute(_), "commit") if c.arguments.is_empty() => Some(WriteKind::Database),
            (Expr::Attribute(a), m)
                if SESSION_WRITES.contains(&m) && self.is_db_session(&a.value) =>
            {
                Some(WriteKind::Database)
            }
            // `Post.query.filter_by(...).delete()`, `.update({...})`.
            (Expr::Attribute(a), "delete" | "update") => {
                receiver_model(&a.value).map(|_| WriteKind::Database)
            }
            (Expr::Attribute(_), m) if DOCUMENT_WRITES.contains(&m) => Some(WriteKind::Database),
            // `upload.save(path)`, `image.save(path)` write a file; `doc.save()` a record.
            (Expr::Attribute(_), "save") => match c.arguments.args.first() {
                None => Some(WriteKind::Database),
                Some(target) if self.holds_buffer(target) => None,
                Some(_) => Some(WriteKind::File),
            },
            (Expr::Attribute(_), "write_text" | "write_bytes" | "unlink") => Some(WriteKind::File),
            (_, "open") if opens_for_writing(c) => Some(WriteKind::File),
            (_, "login_user") if self.sem.is(&c.func, "flask_login.login_user") => {
                Some(WriteKind::Session)
            }
            (_, "remove" | "unlink" | "rename" | "replace" | "rmdir" | "removedirs")
            | (_, "rmtree" | "move" | "copy" | "copy2" | "copyfile") => {
                let q = self.sem.resolve(&c.func)?;
                FILE_FUNCTIONS
                    .contains(&q.as_str())
                    .then_some(WriteKind::File)
            }
            _ => None,
        }
    }

    /// `db.session`, `db_session`: a database session, not Flask's cookie session.
    fn is_db_session(&self, e: &Expr) -> bool {
        words(last_segment(e)).iter().any(|w| w == "session") && !self.is_session(e)
    }

    /// `buf`, `io.BytesIO()`: an in-memory or temporary file.
    fn holds_buffer(&self, e: &Expr) -> bool {
        match e {
            Expr::Name(n) => self.buffers.contains(n.id.as_str()),
            _ => is_buffer(e),
        }
    }
}

/// `io.BytesIO()`, `StringIO()`, `tempfile.TemporaryFile()`: a file nothing keeps.
pub(super) fn is_buffer(e: &Expr) -> bool {
    matches!(e, Expr::Call(c) if matches!(
        last_segment(&c.func),
        "BytesIO" | "StringIO" | "TemporaryFile" | "SpooledTemporaryFile" | "NamedTemporaryFile"
    ))
}

/// `open(path, "w")`, `open(path, mode="ab")`: a mode that writes, appends, creates or updates.
fn opens_for_writing(c: &ast::ExprCall) -> bool {
    let mode = c
        .arguments
        .find_keyword("mode")
        .map(|k| &k.value)
        .or_else(|| c.arguments.args.get(1));
    mode.and_then(string_literal)
        .is_some_and(|m| m.contains(['w', 'a', 'x', '+']))
}

/// A session key naming who the visitor is or what they may do (`"user_id"`, `"is_admin"`,
/// `"logged_in"`).
fn identity_key(key: &Expr) -> Option<String> {
    string_literal(key).filter(|k| {
        words(k)
            .iter()
            .any(|w| IDENTITY_WORDS.contains(&w.as_str()))
    })
}
