//! The rule registry: one static table of metadata, and one file per rule holding its logic.
//!
//! A rule file declares `pub const RULE: Rule` next to the check functions the checker calls.

use serde::Serialize;

use crate::finding::{Location, Severity};

pub mod dispatch;
pub mod fix_edits;
pub mod fs101_debug_mode_enabled;
pub mod fs102_hardcoded_secret_key;
pub mod fs103_ephemeral_secret_key;
pub mod fs104_insecure_session_cookie_config;
pub mod fs105_csrf_protection_disabled;
pub mod fs106_csrf_protection_missing;
pub mod fs107_security_headers_missing;
pub mod fs108_talisman_weakened;
pub mod fs109_bind_all_interfaces;
pub mod fs110_cors_credentials_with_any_origin;
pub mod fs111_request_size_unbounded;
pub mod fs112_jinja_autoescape_disabled;
pub mod fs113_unescaped_template_extension;
pub mod fs201_sql_injection;
pub mod fs202_sql_built_from_strings;
pub mod fs203_command_injection;
pub mod fs204_code_injection;
pub mod fs205_template_injection;
pub mod fs206_ldap_injection;
pub mod fs207_xpath_injection;
pub mod fs208_nosql_injection;
pub mod fs301_reflected_xss;
pub mod fs302_markup_from_variable;
pub mod fs303_template_safe_filter;
pub mod fs304_template_autoescape_off;
pub mod fs305_form_without_csrf_token;
pub mod fs306_script_without_integrity;
pub mod fs307_template_unquoted_attribute;
pub mod fs401_plaintext_password_check;
pub mod fs402_hardcoded_credential;
pub mod fs403_weak_password_hash;
pub mod fs404_weak_hash;
pub mod fs405_insecure_random;
pub mod fs406_timing_unsafe_compare;
pub mod fs407_jwt_verification_disabled;
pub mod fs408_insecure_cookie;
pub mod fs409_trust_boundary_violation;
pub mod fs410_stack_trace_exposure;
pub mod fs411_unauthenticated_state_change;
pub mod fs412_missing_role_check;
pub mod fs413_object_access_without_ownership_check;
pub mod fs414_debug_or_admin_endpoint_exposed;
pub mod fs501_open_redirect;
pub mod fs502_path_traversal;
pub mod fs503_ssrf;
pub mod fs504_unsafe_deserialization;
pub mod fs505_xxe;
pub mod fs506_tls_verification_disabled;
pub mod fs601_vulnerable_dependency;
pub mod fs602_unpinned_dependency;
pub mod fs603_deprecated_package;
pub mod helpers;
pub mod local_flow;
pub mod outbound;

/// How a rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// Matches a code shape.
    Pattern,
    /// Follows request data to a sink.
    Taint,
    /// Judges the application as a whole.
    App,
    /// Looks at Jinja templates.
    Template,
    /// Audits dependency manifests.
    Dependency,
}

impl RuleKind {
    /// The lowercase name shown in rule listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pattern => "pattern",
            Self::Taint => "taint",
            Self::App => "app",
            Self::Template => "template",
            Self::Dependency => "dependency",
        }
    }
}

/// SARIF `precision`: how often a result of this rule is a true positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    VeryHigh,
    High,
    Medium,
    Low,
}

impl Precision {
    /// The SARIF spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VeryHigh => "very-high",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

/// Whether a rule runs by default.
///
/// Like CodeQL's default and extended suites: the default suite holds the rules that are precise on
/// real applications (their findings are what maintainers want fixed); audit rules find code worth a
/// look (`Markup` on any variable, SQL text built from any value, MD5 anywhere) and run only when
/// named: `--select FS302`, `--select ALL` or `extend-select`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Suite {
    Default,
    /// In the default suite when the analysis ties a finding to what makes it real: request data
    /// by a code flow (`|safe` on a variable a view fills from the request), or for FS410 the
    /// text of an exception known to reveal internals; its other findings are audit findings.
    Linked,
    Audit,
}

impl Suite {
    /// The lowercase name shown in rule listings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Linked => "linked",
            Self::Audit => "audit",
        }
    }
}

/// Everything a user and a report need to know about a rule.
#[derive(Debug, Serialize)]
pub struct Rule {
    /// Stable id, e.g. `FS101`.
    pub id: &'static str,
    /// Kebab-case name saying what is wrong.
    pub name: &'static str,
    pub severity: Severity,
    /// CWE numbers, most specific first.
    pub cwe: &'static [u32],
    pub kind: RuleKind,
    pub precision: Precision,
    /// Whether the rule runs without being named.
    pub suite: Suite,
    /// One-line summary; also the default finding message.
    pub message: &'static str,
    /// How to fix it, one or two sentences.
    pub fix: &'static str,
    /// Why it matters, a short paragraph.
    pub help: &'static str,
    /// Code that triggers the rule.
    pub bad: &'static str,
    /// The same code done right.
    pub good: &'static str,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Rule {}

/// Every rule flaskscan ships, in id order.
pub static ALL: &[&Rule] = &[
    &fs101_debug_mode_enabled::RULE,
    &fs102_hardcoded_secret_key::RULE,
    &fs103_ephemeral_secret_key::RULE,
    &fs104_insecure_session_cookie_config::RULE,
    &fs105_csrf_protection_disabled::RULE,
    &fs106_csrf_protection_missing::RULE,
    &fs107_security_headers_missing::RULE,
    &fs108_talisman_weakened::RULE,
    &fs109_bind_all_interfaces::RULE,
    &fs110_cors_credentials_with_any_origin::RULE,
    &fs111_request_size_unbounded::RULE,
    &fs112_jinja_autoescape_disabled::RULE,
    &fs113_unescaped_template_extension::RULE,
    &fs303_template_safe_filter::RULE,
    &fs304_template_autoescape_off::RULE,
    &fs305_form_without_csrf_token::RULE,
    &fs306_script_without_integrity::RULE,
    &fs307_template_unquoted_attribute::RULE,
    &fs201_sql_injection::RULE,
    &fs202_sql_built_from_strings::RULE,
    &fs203_command_injection::RULE,
    &fs204_code_injection::RULE,
    &fs205_template_injection::RULE,
    &fs206_ldap_injection::RULE,
    &fs207_xpath_injection::RULE,
    &fs208_nosql_injection::RULE,
    &fs301_reflected_xss::RULE,
    &fs302_markup_from_variable::RULE,
    &fs401_plaintext_password_check::RULE,
    &fs402_hardcoded_credential::RULE,
    &fs403_weak_password_hash::RULE,
    &fs404_weak_hash::RULE,
    &fs405_insecure_random::RULE,
    &fs406_timing_unsafe_compare::RULE,
    &fs407_jwt_verification_disabled::RULE,
    &fs408_insecure_cookie::RULE,
    &fs409_trust_boundary_violation::RULE,
    &fs410_stack_trace_exposure::RULE,
    &fs411_unauthenticated_state_change::RULE,
    &fs412_missing_role_check::RULE,
    &fs413_object_access_without_ownership_check::RULE,
    &fs414_debug_or_admin_endpoint_exposed::RULE,
    &fs501_open_redirect::RULE,
    &fs502_path_traversal::RULE,
    &fs503_ssrf::RULE,
    &fs504_unsafe_deserialization::RULE,
    &fs505_xxe::RULE,
    &fs506_tls_verification_disabled::RULE,
    &fs601_vulnerable_dependency::RULE,
    &fs602_unpinned_dependency::RULE,
    &fs603_deprecated_package::RULE,
];

/// Looks a rule up by id (case-insensitive).
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id.eq_ignore_ascii_case(id))
}

/// The selector that names every rule, audit rules included.
pub const SELECT_ALL: &str = "ALL";

/// Whether `selector` (`ALL`, an id like `FS101` or a prefix like `FS1`) names at least one rule.
pub fn selector_matches_any(selector: &str) -> bool {
    selector.trim().eq_ignore_ascii_case(SELECT_ALL)
        || ALL.iter().any(|r| selector_matches(selector, r))
}

/// Whether `selector` (`ALL`, an id or an id prefix) covers `rule`.
pub fn selector_matches(selector: &str, rule: &Rule) -> bool {
    let s = selector.trim().to_ascii_uppercase();
    s == SELECT_ALL || (!s.is_empty() && rule.id.starts_with(&s))
}

/// Whether `selector` names `rule` itself (`ALL` or its id), which turns on its audit findings.
pub fn selector_names(selector: &str, rule: &Rule) -> bool {
    let s = selector.trim();
    s.eq_ignore_ascii_case(SELECT_ALL) || s.eq_ignore_ascii_case(rule.id)
}

/// Whether `selector` turns `rule` on: `ALL` and the rule's own id turn any rule on, a prefix
/// (`FS`, `FS3`) only the rules under it that are not audit rules.
pub fn selector_enables(selector: &str, rule: &Rule) -> bool {
    selector_names(selector, rule)
        || (rule.suite != Suite::Audit && selector_matches(selector, rule))
}

/// Whether `location` starts where `at` does: the same finding, judged again later.
pub fn same_start(location: &Location, at: &Location) -> bool {
    location.path == at.path && location.start == at.start
}

/// Withdraws the findings of `rule` reported at any of `at`: findings the walk made before
/// facts from every file (how the project serves its apps, what it refuses at start-up) could
/// settle them.
pub fn withdraw_at<L: std::borrow::Borrow<Location>>(
    findings: &mut Vec<crate::finding::Finding>,
    rule: &Rule,
    at: &[L],
) {
    if at.is_empty() {
        return;
    }
    findings.retain(|f| {
        f.rule.id != rule.id || !at.iter().any(|l| same_start(&f.location, l.borrow()))
    });
}

/// A finding of an app-level rule, located where the app or route is defined.
#[derive(Debug, Clone)]
pub struct AppFinding {
    pub rule: &'static Rule,
    pub location: Location,
    pub message: String,
    /// How client data reaches the finding, when a rule follows it (FS413's id).
    pub flow: Vec<crate::finding::FlowStep>,
    /// Other places the finding points to (a sibling's check, the views it is about).
    pub related: Vec<crate::finding::RelatedLocation>,
}
