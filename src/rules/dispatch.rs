//! Which rules look at which node: the checker calls these once per node of its single walk.

use ruff_python_ast::{self as ast, ExprCall, Stmt};

use super::*;
use crate::python::checker::{Checker, ConfigWrite};
use crate::python::flask::{AppFacts, Route};
use crate::python::inventory::RouteEntry;
use crate::templates::check::TemplateCheck;

/// Every statement, before its children.
pub fn stmt(cx: &mut Checker, stmt: &Stmt) {
    fs102_hardcoded_secret_key::check_stmt(cx, stmt);
    fs110_cors_credentials_with_any_origin::check_stmt(cx, stmt);
    fs112_jinja_autoescape_disabled::check_stmt(cx, stmt);
    fs113_unescaped_template_extension::check_stmt(cx, stmt);
    fs401_plaintext_password_check::check_stmt(cx, stmt);
    fs402_hardcoded_credential::check_stmt(cx, stmt);
    fs506_tls_verification_disabled::check_stmt(cx, stmt);
}

/// Every call, before its children, with its callee's qualified name (empty when the callee
/// cannot be followed), resolved once for every rule.
pub fn call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    fs101_debug_mode_enabled::check_call(cx, call, callee);
    fs105_csrf_protection_disabled::check_call(cx, call, callee);
    fs108_talisman_weakened::check_call(cx, call, callee);
    fs109_bind_all_interfaces::check_call(cx, call, callee);
    fs110_cors_credentials_with_any_origin::check_call(cx, call, callee);
    fs112_jinja_autoescape_disabled::check_call(cx, call, callee);
    fs113_unescaped_template_extension::check_call(cx, call, callee);
    fs302_markup_from_variable::check_call(cx, call, callee);
    fs402_hardcoded_credential::check_call(cx, call);
    fs403_weak_password_hash::check_call(cx, call, callee);
    fs404_weak_hash::check_call(cx, call, callee);
    fs405_insecure_random::check_call(cx, call, callee);
    fs407_jwt_verification_disabled::check_call(cx, call, callee);
    fs408_insecure_cookie::check_call(cx, call);
    fs504_unsafe_deserialization::check_call(cx, call, callee);
    fs506_tls_verification_disabled::check_call(cx, call, callee);
    fs506_tls_verification_disabled::check_keyword_values(cx, call);
}

/// Every comparison, before its children.
pub fn compare(cx: &mut Checker, cmp: &ast::ExprCompare) {
    fs401_plaintext_password_check::check_compare(cx, cmp);
    fs406_timing_unsafe_compare::check_compare(cx, cmp);
}

/// Every write to Flask configuration, however it was spelled.
pub fn config_write(cx: &mut Checker, write: &ConfigWrite) {
    fs101_debug_mode_enabled::check_config(cx, write);
    fs102_hardcoded_secret_key::check_config(cx, write);
    fs103_ephemeral_secret_key::check_config(cx, write);
    fs104_insecure_session_cookie_config::check_config(cx, write);
    fs105_csrf_protection_disabled::check_config(cx, write);
    fs110_cors_credentials_with_any_origin::check_config(cx, write);
}

/// Every function definition, with the routes its decorators register.
pub fn function_def(cx: &mut Checker, f: &ast::StmtFunctionDef, routes: &[Route]) {
    fs105_csrf_protection_disabled::check_routes(cx, f, routes);
    fs402_hardcoded_credential::check_function(cx, f);
}

/// Every class definition.
pub fn class_def(cx: &mut Checker, c: &ast::StmtClassDef) {
    fs105_csrf_protection_disabled::check_class(cx, c);
}

/// The app-level rules, once per scan over the facts of every file; `routes` is the route
/// inventory when the walk collected access facts.
pub fn app(facts: &AppFacts, routes: Option<&[RouteEntry]>) -> Vec<AppFinding> {
    let mut out = Vec::new();
    fs106_csrf_protection_missing::check(facts, &mut out);
    fs107_security_headers_missing::check(facts, &mut out);
    fs110_cors_credentials_with_any_origin::check_app(facts, &mut out);
    fs113_unescaped_template_extension::check_app(facts, &mut out);
    fs111_request_size_unbounded::check(facts, &mut out);
    fs105_csrf_protection_disabled::check_app(facts, routes, &mut out);
    fs108_talisman_weakened::check_app(facts, &mut out);
    fs109_bind_all_interfaces::check_app(facts, &mut out);
    // The access rules judge the route inventory, built once for all when they run.
    if let Some(routes) = routes {
        fs411_unauthenticated_state_change::check(routes, &mut out);
        fs412_missing_role_check::check(routes, &mut out);
        fs413_object_access_without_ownership_check::check(
            routes,
            &facts.access.owned_models,
            &mut out,
        );
        fs414_debug_or_admin_endpoint_exposed::check(routes, &mut out);
    }
    out
}

/// The template rules, once per template.
pub fn template(cx: &mut TemplateCheck) {
    fs303_template_safe_filter::check(cx);
    fs304_template_autoescape_off::check(cx);
    fs305_form_without_csrf_token::check(cx);
    fs306_script_without_integrity::check(cx);
    fs307_template_unquoted_attribute::check(cx);
}
