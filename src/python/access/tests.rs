//! Decorator, hook and in-body check classification.

use super::*;
use crate::python::project::bind_statement;
use crate::python::semantic::NoProject;
use crate::python::SourceFile;

/// Parses `code` and returns it with a module-level model of its names.
fn parse(code: &str) -> SourceFile {
    SourceFile::parse("app/auth.py", code.to_string()).0
}

fn semantic(file: &SourceFile) -> Semantic<'static> {
    let mut sem = Semantic::new(&file.module, false, &NoProject);
    for stmt in file.body() {
        bind_statement(&mut sem, stmt);
    }
    sem
}

fn function<'f>(file: &'f SourceFile, name: &str) -> &'f ast::StmtFunctionDef {
    file.body()
        .iter()
        .find_map(|s| match s {
            Stmt::FunctionDef(f) if f.name.as_str() == name => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no function {name}"))
}

fn as_decorator(code: &str, name: &str) -> Verdict {
    let file = parse(code);
    decorator_verdict(&semantic(&file), function(&file, name))
}

fn as_hook(code: &str, name: &str) -> (Verdict, Exempt) {
    let file = parse(code);
    let mut constants = Constants::default();
    constants.insert("ALLOWED".into(), vec!["health".into()]);
    hook_verdict(&semantic(&file), function(&file, name), &constants)
}

fn top(code: &str, name: &str) -> Option<Check> {
    let file = parse(code);
    top_check(&semantic(&file), &function(&file, name).body)
}

fn auth(roles: &[&str], roles_from_args: bool) -> Verdict {
    Verdict::Authenticates {
        roles: roles.iter().map(|r| r.to_string()).collect(),
        roles_from_args,
    }
}

fn lib(name: &str, args: &[&str], optional: bool) -> Library {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    library_decorator(Some(name), &args, optional)
}

#[test]
fn library_decorators_of_each_extension() {
    let authenticates =
        |roles: &[&str]| Library::Authenticates(roles.iter().map(|r| r.to_string()).collect());
    assert_eq!(
        lib("flask_login.login_required", &[], false),
        authenticates(&[])
    );
    assert_eq!(
        lib("flask_login.utils.fresh_login_required", &[], false),
        authenticates(&[])
    );
    assert_eq!(
        lib("flask_security.auth_required", &["token"], false),
        authenticates(&[])
    );
    assert_eq!(
        lib(
            "flask_security.decorators.roles_accepted",
            &["admin", "editor"],
            false
        ),
        authenticates(&["admin", "editor"])
    );
    assert_eq!(
        lib("flask_security.permissions_required", &["x"], false),
        authenticates(&["x"])
    );
    assert_eq!(
        lib("flask_jwt_extended.jwt_required", &[], false),
        authenticates(&[])
    );
    assert_eq!(
        lib(
            "flask_httpauth.HTTPBasicAuth.login_required",
            &["admin"],
            false
        ),
        authenticates(&["admin"])
    );
    assert_eq!(
        lib("flask_praetorian.roles_required", &["ops"], false),
        authenticates(&["ops"])
    );
    // Optional authentication lets anonymous requests through.
    assert_eq!(
        lib("flask_jwt_extended.jwt_required", &[], true),
        Library::Open
    );
    assert_eq!(
        lib("flask_httpauth.HTTPTokenAuth.login_required", &[], true),
        Library::Open
    );
    // Other decorators of the same libraries are no protection.
    assert_eq!(
        lib("flask_security.anonymous_user_required", &[], false),
        Library::Open
    );
    assert_eq!(lib("flask_caching.Cache.cached", &[], false), Library::Open);
    assert_eq!(lib("functools.lru_cache", &[], false), Library::Open);
    assert_eq!(lib("sso_vendor.protected", &[], false), Library::Unknown);
    assert_eq!(library_decorator(None, &[], false), Library::Unknown);
}

const DECORATORS: &str = r#"
import logging
from functools import wraps
from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user, login_required

from app.config import settings
from app.tokens import check_token


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def roles_required(*roles):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                return redirect(url_for("login"))
            return view(*args, **kwargs)
        return wrapped
    return decorator


def staff_only(view):
    @wraps(view)
    def inner(*args, **kwargs):
        if current_user.is_staff:
            return view(*args, **kwargs)
        abort(403)
    return inner


def session_required(view):
    @wraps(view)
    def inner(*args, **kwargs):
        user_id = session.get("user_id")
        if user_id is None:
            return {"error": "login"}, 401
        return view(*args, **kwargs)
    return inner


def fresh_only(view):
    @wraps(view)
    @login_required
    def inner(*args, **kwargs):
        return view(*args, **kwargs)
    return inner


def logged(view):
    @wraps(view)
    def inner(*args, **kwargs):
        logging.info("%s called by %s", request.path, current_user)
        return view(*args, **kwargs)
    return inner


def login_or_anonymous(view):
    @wraps(view)
    def inner(*args, **kwargs):
        if settings.ALLOW_ANONYMOUS:
            return view(*args, **kwargs)
        return login_required(view)(*args, **kwargs)
    return inner


def token_checked(view):
    @wraps(view)
    def inner(*args, **kwargs):
        check_token(required_role=["admin"])
        return view(*args, **kwargs)
    return inner


def project_login(view):
    @wraps(view)
    def inner(*args, **kwargs):
        return admin_required(view)(*args, **kwargs)
    return inner


def make_guard():
    return lambda view: view


def login_if_enabled(view):
    @wraps(view)
    def inner(*args, **kwargs):
        if settings.LOGIN_ENABLED and not current_user.is_authenticated:
            abort(401)
        return view(*args, **kwargs)
    return inner


def login_unless_options(view):
    @wraps(view)
    def inner(*args, **kwargs):
        if request.method != "OPTIONS" and not current_user.is_authenticated:
            abort(401)
        return view(*args, **kwargs)
    return inner
"#;

const RESULT_LOCAL_DECORATORS: &str = r#"
from functools import wraps
from flask import redirect, session, url_for


def permission_required(perm):
    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            s = session
            if is_authenticated(s):
                perms = s.get("perms", {})
                if perm not in perms:
                    response = "Forbidden", 403
                else:
                    response = func(*args, **kwargs)
            else:
                s.clear()
                response = redirect(url_for("login"))
            return response
        return wrapper
    return decorator


def timed(func):
    @wraps(func)
    def wrapper(*args, **kwargs):
        if is_authenticated(session):
            response = func(*args, **kwargs)
        else:
            response = func(*args, **kwargs)
        return response
    return wrapper
"#;

#[test]
fn wrappers_that_answer_through_a_returned_local() {
    // `response = func(...)` only past the identity test, a refusal assigned on every other path.
    assert_eq!(
        as_decorator(RESULT_LOCAL_DECORATORS, "permission_required"),
        auth(&[], false)
    );
    // Look-alike: the view runs on both branches, nothing is refused.
    assert_eq!(
        as_decorator(RESULT_LOCAL_DECORATORS, "timed"),
        Verdict::Open
    );
}

#[test]
fn custom_decorators_that_check_who_is_asking() {
    assert_eq!(
        as_decorator(DECORATORS, "admin_required"),
        auth(&["admin"], false)
    );
    assert_eq!(as_decorator(DECORATORS, "roles_required"), auth(&[], true));
    // `if allowed: return view()` followed by a refusal.
    assert_eq!(
        as_decorator(DECORATORS, "staff_only"),
        auth(&["staff"], false)
    );
    assert_eq!(
        as_decorator(DECORATORS, "session_required"),
        auth(&[], false)
    );
    // A library guard on the wrapper.
    assert_eq!(as_decorator(DECORATORS, "fresh_only"), auth(&[], false));
}

#[test]
fn look_alikes_and_what_cannot_be_followed() {
    // Reads the current user, rejects nobody.
    assert_eq!(as_decorator(DECORATORS, "logged"), Verdict::Open);
    // Lets everyone through when a setting says so.
    assert!(
        matches!(as_decorator(DECORATORS, "login_or_anonymous"), Verdict::Unknown(r) if r.contains("settings.ALLOW_ANONYMOUS"))
    );
    // Calls a project function: the inventory follows it.
    assert_eq!(
        as_decorator(DECORATORS, "token_checked"),
        Verdict::Calls(vec![GuardCall {
            text: "check_token".into(),
            function: Some("app.tokens.check_token".into()),
            roles: vec!["admin".into()],
            named_like_auth: true,
        }])
    );
    assert_eq!(
        as_decorator(DECORATORS, "project_login"),
        Verdict::Delegates("app.auth.admin_required".into())
    );
    // Checks only when a setting is on.
    assert!(
        matches!(as_decorator(DECORATORS, "login_if_enabled"), Verdict::Unknown(r) if r.contains("settings.LOGIN_ENABLED"))
    );
    // A condition on the request is an exemption, not a setting.
    assert_eq!(
        as_decorator(DECORATORS, "login_unless_options"),
        auth(&[], false)
    );
    // What is applied is what the call returns.
    assert!(matches!(
        as_decorator(DECORATORS, "make_guard"),
        Verdict::Unknown(_)
    ));
}

const HOOKS: &str = r#"
from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user
from app.models import User

PUBLIC = {"login", "static"}


def require_login():
    if request.endpoint in ("auth.login", "static") or request.endpoint.startswith("public."):
        return None
    if "user_id" not in session:
        return redirect(url_for("auth.login"))


def require_login_listed():
    if request.endpoint in PUBLIC:
        return
    if not current_user.is_authenticated:
        return redirect(url_for("login"))


def require_login_constant():
    if request.endpoint not in ALLOWED and not current_user.is_authenticated:
        return redirect(url_for("login"))


def require_login_by_path():
    free = ["/health"]
    allowed = request.path.startswith(("/login", "/static")) or request.path in free
    if not current_user.is_authenticated and not allowed:
        return redirect(url_for("login", next=request.path))


def check_csrf_token():
    if request.method == "POST":
        if request.form.get("_csrf_token") != session.get("_csrf_token"):
            abort(403)


def load_user():
    user_id = session.get("user_id")
    g.user = User.query.get(user_id) if user_id else None
"#;

#[test]
fn before_request_guards_and_their_exemptions() {
    let (verdict, exempt) = as_hook(HOOKS, "require_login");
    assert_eq!(verdict, auth(&[], false));
    assert_eq!(exempt.endpoints, vec!["auth.login", "static"]);
    assert_eq!(exempt.prefixes, vec!["public."]);
    assert_eq!(exempt.unknown, None);
    let (verdict, exempt) = as_hook(HOOKS, "require_login_listed");
    assert_eq!(verdict, auth(&[], false));
    assert!(exempt.unknown.is_some(), "a named allow-list is not read");
    let (_, exempt) = as_hook(HOOKS, "require_login_constant");
    assert_eq!(exempt.endpoints, vec!["health"]);
    assert_eq!(exempt.unknown, None);
    let (verdict, exempt) = as_hook(HOOKS, "require_login_by_path");
    assert_eq!(verdict, auth(&[], false));
    assert_eq!(exempt.path_prefixes, vec!["/login", "/static"]);
    assert_eq!(exempt.paths, vec!["/health"]);
    assert_eq!(exempt.unknown, None);
    // Compares a CSRF token with the session's: no authentication.
    assert_eq!(as_hook(HOOKS, "check_csrf_token").0, Verdict::Open);
    // Sets `g.user` and lets everyone through.
    assert_eq!(as_hook(HOOKS, "load_user").0, Verdict::Open);
}

const VIEWS: &str = r#"
from flask import abort, current_app, jsonify
from flask_login import current_user
from flask_jwt_extended import verify_jwt_in_request


def payroll():
    """Staff only."""
    if not current_user.is_staff:
        abort(403)
    return "ok"


def api_delete():
    verify_jwt_in_request()
    return jsonify(ok=True)


def optional_api():
    verify_jwt_in_request(optional=True)
    return jsonify(ok=True)


def greeting():
    if current_user.is_authenticated:
        text = "welcome back"
    else:
        text = "hello"
    return text


def login(passkey_login_enabled=False):
    if not passkey_login_enabled:
        raise AuthError("passkeys are disabled")
    return "ok"


def late_check():
    audit.record("payroll viewed")
    if not current_user.is_admin:
        abort(403)
    return "ok"
"#;

#[test]
fn names_that_hold_who_is_asking() {
    for name in [
        "current_user",
        "auth_token",
        "check_auth",
        "require_login",
        "is_admin",
        "getUser",
        "is_logged_in",
        "user",
    ] {
        assert!(reader::names_identity(name), "{name}");
    }
    for name in [
        "userManager",
        "user_manager",
        "has_been_customized",
        "passkey_login_enabled",
        "author_name",
        "tokenizer",
    ] {
        assert!(!reader::names_identity(name), "{name}");
    }
}

#[test]
fn checks_at_the_top_of_a_view() {
    let check = top(VIEWS, "payroll").expect("role check");
    assert_eq!(check.name, "current_user.is_staff");
    assert_eq!(check.roles, vec!["staff"]);
    assert_eq!(
        top(VIEWS, "api_delete").map(|c| c.name).as_deref(),
        Some("flask_jwt_extended.verify_jwt_in_request")
    );
    assert_eq!(top(VIEWS, "optional_api"), None);
    // Personalises the page, rejects nobody.
    assert_eq!(top(VIEWS, "greeting"), None);
    // A setting that merely sounds like authentication.
    assert_eq!(top(VIEWS, "login"), None);
    // Not at the top: the view has acted before checking.
    assert_eq!(top(VIEWS, "late_check"), None);
}
