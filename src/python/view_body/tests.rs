//! What a view body is read as: loads by a client id, consulting the current user, exposures.

use super::*;
use crate::finding::Position;
use crate::python::project::bind_statement;
use crate::python::semantic::NoProject;
use crate::python::SourceFile;

/// Reads the body of `view` in `code`.
fn body(code: &str) -> ViewBody {
    let file = SourceFile::parse("app/views.py", code.to_string()).0;
    let mut sem = Semantic::new(&file.module, false, &NoProject);
    for stmt in file.body() {
        bind_statement(&mut sem, stmt);
    }
    let f = file
        .body()
        .iter()
        .find_map(|s| match s {
            Stmt::FunctionDef(f) if f.name.as_str() == "view" => Some(f),
            _ => None,
        })
        .expect("a function named view");
    let at = |_| Location {
        path: "app/views.py".into(),
        start: Position::default(),
        end: Position::default(),
    };
    read(&sem, f, &at)
}

fn models(code: &str) -> Vec<String> {
    let file = SourceFile::parse("app/models.py", code.to_string()).0;
    file.body()
        .iter()
        .filter_map(|s| match s {
            Stmt::Assign(a) => match &a.targets[0] {
                Expr::Name(n) if is_owner_column(n.id.as_str(), &a.value) => Some(n.id.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn loads_by_url_and_request_ids() {
    let shapes = [
        "def view(id):\n    return Note.query.get_or_404(id)",
        "def view(id):\n    return db.session.get(Note, int(id))",
        "def view(id):\n    return db.session.query(Note).get(id)",
        "def view():\n    nid = request.args.get('id')\n    return Note.query.filter_by(id=nid).first()",
        "def view():\n    data = request.get_json()\n    return Note.query.filter(Note.id == data['id']).one()",
    ];
    for code in shapes {
        let b = body(code);
        assert_eq!(b.loads.len(), 1, "{code}");
        assert_eq!(b.loads[0].model, "Note");
        assert!(!b.checks_user, "{code}");
    }
    // Not the client's id; the cookie session's `get`.
    assert!(body("def view():\n    return Note.query.get(1)")
        .loads
        .is_empty());
    assert!(body("def view(id):\n    return session.get('k', id)")
        .loads
        .is_empty());
}

#[test]
fn consulting_the_current_user() {
    let checks = [
        "def view(id):\n    n = Note.query.get(id)\n    if n.user_id != current_user.id:\n        abort(404)",
        "def view(id):\n    return Note.query.filter_by(id=id, owner=current_user).first()",
        "def view(id):\n    return current_user.notes.filter_by(id=id).first()",
        "def view(id):\n    n = Note.query.get(id)\n    require_permission(n)",
        "def view(id):\n    uid = session['user_id']\n    n = Note.query.get(id)\n    assert n.user_id == uid",
        "def view(id):\n    n = Note.query.get(id)\n    remove(n)",
    ];
    for code in checks {
        assert!(body(code).checks_user, "{code}");
    }
    // Showing the user is not checking them.
    let shown = "def view(id):\n    n = Note.query.get(id)\n    return render_template('n.html', n=n, me=current_user)";
    assert!(!body(shown).checks_user);
}

#[test]
fn exposures() {
    let kinds =
        |code: &str| -> Vec<ExposureKind> { body(code).exposures.iter().map(|e| e.kind).collect() };
    let pre = "import os\nimport traceback\nfrom flask import current_app, jsonify\n";
    assert_eq!(
        kinds(&format!(
            "{pre}def view():\n    return jsonify(dict(current_app.config))"
        )),
        [ExposureKind::Config]
    );
    assert_eq!(
        kinds(&format!(
            "{pre}def view():\n    env = dict(os.environ)\n    return env"
        )),
        [ExposureKind::Environ]
    );
    assert_eq!(
        kinds(&format!(
            "{pre}def view():\n    return jsonify([u.to_dict() for u in User.query.all()])"
        )),
        [ExposureKind::AllUsers]
    );
    assert_eq!(
        kinds(&format!(
            "{pre}def view():\n    return traceback.format_exc()"
        )),
        [ExposureKind::Traceback]
    );
    let silent = [
        "def view():\n    return jsonify(v=current_app.config['VERSION'], r=os.environ.get('R'))",
        "def view():\n    return jsonify(search(current_app.config))",
        "def view():\n    try:\n        work()\n    except Exception:\n        return traceback.format_exc()",
        "def view():\n    return render_template('m.html', users=User.query.all(), c=current_app.config)",
    ];
    for code in silent {
        assert!(kinds(&format!("{pre}{code}")).is_empty(), "{code}");
    }
}

#[test]
fn owner_columns() {
    let code = "class Note(db.Model):\n    pass\n\
        user_id = db.Column(db.Integer)\n\
        owner = db.relationship('User')\n\
        author = db.Column(db.Integer, db.ForeignKey('user.id'))\n\
        created_by = db.Column(db.String)\n\
        user_agent = db.Column(db.String)\n\
        title = db.Column(db.String)\n";
    assert_eq!(models(code), ["user_id", "owner", "author", "created_by"]);
}

fn write_kinds(code: &str) -> Vec<(WriteKind, String)> {
    body(code)
        .writes
        .into_iter()
        .map(|w| (w.kind, w.text))
        .collect()
}

#[test]
fn writes_by_kind() {
    let code = "import os\nfrom flask import session\n\ndef view(id):\n    db.session.add(Post())\n    Post.query.filter_by(id=id).delete()\n    session['user_id'] = id\n    os.unlink('/tmp/x')\n    open('/tmp/y', 'r+')\n";
    assert_eq!(
        write_kinds(code),
        vec![
            (WriteKind::Database, "db.session.add".to_string()),
            (
                WriteKind::Database,
                "Post.query.filter_by().delete".to_string()
            ),
            (WriteKind::Session, "session[\"user_id\"]".to_string()),
            (WriteKind::File, "os.unlink".to_string()),
            (WriteKind::File, "open".to_string()),
        ]
    );
}

#[test]
fn reads_and_look_alikes_are_not_writes() {
    // Reading files, a preference in the session, saving into memory, string and list methods
    // named like file functions, a repository's commit looked up by its id.
    let code = "import io\nfrom flask import session\n\ndef view(sha):\n    open('/tmp/y', 'rb').read()\n    open('/tmp/z')\n    session['theme'] = 'dark'\n    buf = io.BytesIO()\n    image.save(buf)\n    names.remove('a')\n    'a_b'.replace('_', ' ')\n    repo.commit(sha)\n    settings.update({'a': 1})\n";
    assert!(write_kinds(code).is_empty(), "{:?}", write_kinds(code));
}
