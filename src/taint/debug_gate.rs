//! Branches that run only in debug mode (FS410).
//!
//! `if app.debug: return jsonify(trace=traceback.format_exc())` shows the traceback only when the
//! application runs with its debug setting on, as Flask's own debugger does. Exposure gated on
//! that setting is the setting's problem (FS101 reports `debug=True`), not a stack-trace leak of
//! the deployed application. Only a flag the code reads from its configuration counts: a test
//! the request controls (`if request.args.get("debug"):`) is the attacker's switch.

use ruff_python_ast::{self as ast, CmpOp, Expr, UnaryOp};

use super::value::{Origin, Val};

/// How deep a condition is followed.
const MAX_DEPTH: usize = 16;

/// Whether `test` evaluating to `branch` proves the application's debug flag is on:
/// `config.DEBUG`, `app.debug`, `current_app.config["DEBUG"]`, `settings.get("DEBUG")`,
/// `getattr(settings, "DEBUG", False)`, `app.debug is True`, `app.debug and x` true,
/// `not app.debug` false. `app_flag` tells whether a flag read is the application's own
/// setting (no request, session or caller value in it).
pub fn implies_debug(test: &Expr, branch: bool, app_flag: &mut dyn FnMut(&Expr) -> bool) -> bool {
    implies(test, branch, app_flag, 0)
}

fn implies(
    test: &Expr,
    branch: bool,
    app_flag: &mut dyn FnMut(&Expr) -> bool,
    depth: usize,
) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match test {
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => {
            implies(&u.operand, !branch, app_flag, depth + 1)
        }
        // Every part of `a and b` held when it was true (of `a or b` failed when it was false):
        // one debug part is enough. Otherwise only one part held, so every part must be one.
        Expr::BoolOp(b) if (b.op == ast::BoolOp::And) == branch => b
            .values
            .iter()
            .any(|v| implies(v, branch, app_flag, depth + 1)),
        Expr::BoolOp(b) => b
            .values
            .iter()
            .all(|v| implies(v, branch, app_flag, depth + 1)),
        Expr::Compare(c) if c.ops.len() == 1 => {
            let Expr::BooleanLiteral(lit) = &c.comparators[0] else {
                return false;
            };
            // `x == True` true, `x is not False` true, `x != True` false...
            let equal = matches!(c.ops[0], CmpOp::Eq | CmpOp::Is);
            let unequal = matches!(c.ops[0], CmpOp::NotEq | CmpOp::IsNot);
            (equal || unequal)
                && implies(&c.left, lit.value == (equal == branch), app_flag, depth + 1)
        }
        other => branch && is_debug_flag(other) && app_flag(other),
    }
}

/// A read of the debug setting: a name, attribute, key or `get`/`getattr` of `debug`, `DEBUG`
/// or a prefixed `FLASK_DEBUG`.
fn is_debug_flag(e: &Expr) -> bool {
    match e {
        Expr::Name(n) => debug_name(n.id.as_str()),
        Expr::Attribute(a) => debug_name(a.attr.as_str()),
        Expr::Subscript(s) => string_is_debug(&s.slice),
        Expr::Call(c) => {
            let key = match &*c.func {
                Expr::Attribute(a) if a.attr.as_str() == "get" => c.arguments.args.first(),
                Expr::Name(n) if n.id.as_str() == "getattr" => c.arguments.args.get(1),
                // A configuration reader (`env_to_bool("DEBUG", False)`, `bool(...)`):
                // its first argument names or reads the setting.
                _ => c.arguments.args.first(),
            };
            key.is_some_and(|k| string_is_debug(k) || is_debug_flag(k))
        }
        _ => false,
    }
}

fn string_is_debug(e: &Expr) -> bool {
    matches!(e, Expr::StringLiteral(s) if debug_name(s.value.to_str()))
}

/// `debug`, `DEBUG`, a constant-style `FLASK_DEBUG`/`APP_DEBUG`, or a setting named for
/// showing the trace itself (`SHOW_STACKTRACE`, `INCLUDE_TRACEBACK`): the operator's switch
/// for the same details.
fn debug_name(n: &str) -> bool {
    let constant = n.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    let lower = n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    n.eq_ignore_ascii_case("debug")
        || (constant
            && (n.ends_with("_DEBUG") || n.contains("STACKTRACE") || n.contains("TRACEBACK")))
        // `server_config.app__debug`, `settings.flask_debug`.
        || (lower && n.ends_with("_debug"))
}

/// Whether the tested value may be set by whoever sends the request (request or session data,
/// or a parameter the caller fills): then the branch is not the application's debug mode.
pub fn caller_controlled(test: &Val) -> bool {
    test.all_taints().iter().any(|t| {
        matches!(
            t.origin,
            Origin::Request | Origin::Session | Origin::Param(_)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_expression;

    fn gated(src: &str, branch: bool) -> bool {
        let e = parse_expression(src).unwrap();
        implies_debug(e.expr(), branch, &mut |_| true)
    }

    #[test]
    fn debug_settings() {
        assert!(gated("config.DEBUG", true));
        assert!(gated("app.debug", true));
        assert!(gated("current_app.debug", true));
        assert!(gated("current_app.config['DEBUG']", true));
        assert!(gated("app.config.get('DEBUG', False)", true));
        assert!(gated("getattr(settings, 'DEBUG', False)", true));
        assert!(gated("env_to_bool('FLASK_DEBUG')", true));
        assert!(gated("DEBUG", true));
        assert!(gated("app.config.get('SHOW_STACKTRACE')", true));
        assert!(!gated("app.config.get('SHOW_ERRORS')", true));
        assert!(gated("app.debug is True", true));
        assert!(gated("app.debug and verbose", true));
        assert!(gated("not app.debug", false));
        assert!(gated("app.debug != True", false));
    }

    #[test]
    fn not_debug_mode() {
        assert!(!gated("config.DEBUG", false));
        assert!(!gated("not app.debug", true));
        assert!(!gated("app.debug or verbose", true));
        assert!(!gated("app.debug == False", true));
        assert!(!gated("config.VERBOSE", true));
        assert!(!gated("show_debugger", true));
        assert!(!gated("app.config['TESTING']", true));
    }
}
