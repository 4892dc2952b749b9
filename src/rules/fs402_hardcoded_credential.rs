//! FS402 hardcoded-credential.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

use super::helpers::{contains_any_ignore_case, is_password_name, literal_text, words};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS402",
    name: "hardcoded-credential",
    severity: Severity::Medium,
    cwe: &[798],
    kind: RuleKind::Pattern,
    precision: Precision::Medium,
    suite: Suite::Default,
    message: "A credential is hard-coded in the source",
    fix: "Load credentials from the environment or a secret manager (`os.environ[\"DB_PASSWORD\"]`) and rotate the one that was committed.",
    help: "Passwords, tokens and API keys in source code end up in every clone, fork, backup and CI log of the repository; once committed they must be considered leaked.",
    bad: "STRIPE_API_KEY = \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\"",
    good: "STRIPE_API_KEY = os.environ[\"STRIPE_API_KEY\"]",
};

/// Names handled by FS102 (Flask signing keys), not here.
const FLASK_SECRET_NAMES: &[&str] = &["secret_key", "jwt_secret_key", "wtf_csrf_secret_key"];

/// Whether an identifier names a credential (not a field name, URL or length about one).
fn is_credential_name(name: &str) -> bool {
    // Every credential name below contains one of these; most identifiers contain none, and
    // splitting them into words would allocate for nothing.
    const STEMS: &[&[u8]] = &[b"pass", b"pwd", b"secret", b"token", b"key", b"credentials"];
    if !contains_any_ignore_case(name, STEMS) {
        return false;
    }
    let w = words(name);
    if FLASK_SECRET_NAMES.contains(&name.to_ascii_lowercase().as_str()) {
        return false;
    }
    let Some(last) = w.last() else { return false };
    // `password_field`, `token_url`, `api_key_header`: about a credential, not one.
    if matches!(
        last.as_str(),
        "url"
            | "uri"
            | "path"
            | "file"
            | "field"
            | "name"
            | "header"
            | "type"
            | "len"
            | "length"
            | "min"
            | "max"
            | "prefix"
            | "param"
            | "label"
            | "id"
            | "hash"
            | "hashed"
            | "endpoint"
            | "format"
            | "pattern"
            | "regex"
            | "policy"
            | "expires"
            | "expiry"
            | "ttl"
            | "env"
            | "var"
            // `PASSWORD_SCHEMES = "pbkdf2_sha512"`: how passwords are stored, not one.
            | "scheme"
            | "schemes"
            | "algorithm"
            | "algorithms"
            // `PASSWORD_NORMALIZE_FORM = "NFKD"`: the Unicode form passwords are put in.
            | "form"
            | "template"
            // `SECURITY_PASSWORD_CHECK_BREACHED = "best-effort"`,
            // `SECURITY_PASSWORD_COMPLEXITY_CHECKER = "zxcvbn"`: how passwords are vetted.
            | "breached"
            | "checker"
    ) {
        return false;
    }
    let has = |s: &str| w.iter().any(|x| x == s);
    w.iter()
        .any(|x| x.starts_with("password") || x.starts_with("passwd") || x == "pwd")
        || has("secret")
        || has("token")
        || has("apikey")
        || (has("api") && has("key"))
        || ((has("access") || has("private") || has("client") || has("auth")) && has("key"))
        || (has("client") && has("secret"))
        || has("credentials")
}

/// Whether `name = text` hard-codes a credential.
fn is_credential(name: &str, text: &str) -> bool {
    is_credential_name(name) && looks_secret(text, is_password_name(name)) && !is_label(name, text)
}

/// A value spelled from its own name's words is the name of something, not a secret:
/// `PRIVATE_KEY_SERVER = "private_key_server"`, `STATUS_INVALID_CREDENTIALS = "invalid_credentials"`.
fn is_label(name: &str, text: &str) -> bool {
    let identifier_like = !text.is_empty()
        && text.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
        });
    if !identifier_like {
        return false;
    }
    let name_words = words(name);
    words(&text.replace(['-', '.'], "_"))
        .iter()
        .all(|w| name_words.contains(w))
}

/// Whether a literal looks like a real secret rather than a placeholder or a label.
///
/// Passwords are chosen by people, so any non-placeholder value counts; tokens and keys must
/// also look random (entropy) or carry a known vendor prefix.
pub fn looks_secret(value: &str, is_password: bool) -> bool {
    let v = value.trim();
    if known_prefix(v) {
        return true;
    }
    if v.len() < if is_password { 4 } else { 8 } || v.chars().any(char::is_whitespace) {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    const EXACT: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "token",
        "test",
        "none",
        "null",
        "undefined",
        "admin",
        "root",
        "string",
        "required",
    ];
    const SUBSTR: &[&str] = &[
        "xxx",
        "***",
        "changeme",
        "change-me",
        "change_me",
        "your",
        "example",
        "placeholder",
        "dummy",
        "<",
        "${",
        "{{",
        "%(",
        "{}",
        "todo",
        "replace",
        "fixme",
        "redacted",
    ];
    if EXACT.contains(&lower.as_str()) || SUBSTR.iter().any(|p| lower.contains(p)) {
        return false;
    }
    // A value that names the concept (`"_password_reset_token"`, `"set-password"`) is a key or
    // label, not a credential.
    if ["password", "passwd", "token", "secret", "apikey", "api_key"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return false;
    }
    // A URL or a file path (`~/.ssh/id_rsa` handed to a key loader) names where a secret is,
    // not the secret.
    if lower.starts_with("http://")
        || lower.starts_with("https://")
        || v.starts_with('/')
        || ["~/", "./", "../"].iter().any(|p| v.starts_with(p))
        || v.contains("://")
    {
        return false;
    }
    // `"mlflow-gateway-auth"`: lowercase words joined by dashes name something (a dummy key a
    // client library insists on, a service label); generated keys mix in digits or case.
    let wordy_label = v.contains(['-', '_'])
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_' | b'.'));
    is_password || (entropy(v) >= 3.0 && !wordy_label)
}

fn known_prefix(v: &str) -> bool {
    [
        "sk_live_",
        "sk_test_",
        "rk_live_",
        "ghp_",
        "gho_",
        "github_pat_",
        "xoxb-",
        "xoxp-",
        "AKIA",
        "AIza",
        "glpat-",
        "SG.",
    ]
    .iter()
    .any(|p| v.starts_with(p))
}

/// Shannon entropy in bits per character.
fn entropy(v: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in v.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = v.chars().count() as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// A string or bytes literal: the only values checked, and a test that costs no copy.
fn is_text_literal(expr: &Expr) -> bool {
    matches!(expr, Expr::StringLiteral(_) | Expr::BytesLiteral(_))
}

fn report(cx: &mut Checker, name: &str, range: TextRange) {
    cx.report_msg(
        &RULE,
        range,
        format!("`{name}` holds a hard-coded credential"),
    );
}

/// `API_TOKEN = "..."`, `self.password = "..."`. Not in the development arm of a run-time
/// choice between config classes (a local mail server's login, a test salt), nor in a test
/// configuration (the login of a mail backend that only prints).
pub fn check_stmt(cx: &mut Checker, stmt: &Stmt) {
    if cx.in_development_config() || cx.in_test_config() {
        return;
    }
    let (targets, value): (&[Expr], &Expr) = match stmt {
        Stmt::Assign(a) => (&a.targets, &a.value),
        Stmt::AnnAssign(a) => match &a.value {
            Some(v) => (std::slice::from_ref(&*a.target), v),
            None => return,
        },
        _ => return,
    };
    if !is_text_literal(value) {
        return;
    }
    let Some(text) = literal_text(value) else {
        return;
    };
    for t in targets {
        let name = match t {
            Expr::Name(n) => n.id.to_string(),
            Expr::Attribute(a) => a.attr.to_string(),
            Expr::Subscript(s) => match literal_text(&s.slice) {
                Some(k) => k,
                None => continue,
            },
            _ => continue,
        };
        // Flask config keys are FS102's when they sign sessions.
        // Judged only for a credential: the exemptions read the whole module.
        let exempt = || {
            (is_record_field(t) && in_migration_step(cx))
                || (matches!(t, Expr::Name(_) | Expr::Attribute(_))
                    && identifies_client_beside_login(cx, &name))
                || public_client_secret(cx, &name)
        };
        if is_credential(&name, &text) && !exempt() && !factory_setting(cx, value.range(), &text) {
            report(cx, &name, value.range());
        }
    }
}

/// `connect(password="...")`.
pub fn check_call(cx: &mut Checker, call: &ExprCall) {
    for kw in &call.arguments.keywords {
        let Some(arg) = &kw.arg else { continue };
        if !is_text_literal(&kw.value) || !is_credential_name(arg.as_str()) {
            continue;
        }
        if literal_text(&kw.value).is_some_and(|t| {
            is_credential(arg.as_str(), &t) && !factory_login(call, kw.value.range(), &t)
        }) && !in_migration_step(cx)
        {
            report(cx, arg.as_str(), kw.value.range());
        }
    }
}

/// Whether the credential `text` at `at` is the factory login of the server `call` connects to:
/// the call names the server (`host="localhost"`) and the credential is spelled like another
/// literal it passes, the account, database or kind of service (`login="airflow",
/// password="airflow"`, `conn_type="kylin", password="KYLIN"`). Such a default is public knowledge,
/// like the `admin`/`admin` of a router's manual; a real password is not the name beside it.
fn factory_login(call: &ExprCall, at: TextRange, text: &str) -> bool {
    let named = call
        .arguments
        .keywords
        .iter()
        .filter_map(|k| Some((k.arg.as_deref()?, &k.value)));
    spelled_like_neighbour(named, at, text)
}

/// `PASSWORD = "guest"` among settings that also name the server (`HOSTNAME = "localhost"`) and
/// give another setting the same text (`USERID = "guest"`): the factory login of that server, as
/// in [`factory_login`], written as module or class settings.
fn factory_setting(cx: &Checker, at: TextRange, text: &str) -> bool {
    let body = match (cx.enclosing_function(), cx.enclosing_class()) {
        (None, Some(class)) => &class.body[..],
        (None, None) => cx.file.body(),
        _ => return false,
    };
    let settings = body.iter().filter_map(|s| match s {
        Stmt::Assign(a) => match a.targets.as_slice() {
            [Expr::Name(n)] => Some((n.id.as_str(), &*a.value)),
            _ => None,
        },
        _ => None,
    });
    spelled_like_neighbour(settings, at, text)
}

/// Among `named` values (keywords of a call, settings of a body), one names a server with a
/// literal (`host`, `SMTP_HOSTNAME`, `server`, `address`) and another than the credential at `at`
/// holds the credential's `text`, case aside.
fn spelled_like_neighbour<'e>(
    named: impl Iterator<Item = (&'e str, &'e Expr)>,
    at: TextRange,
    text: &str,
) -> bool {
    let (mut names_server, mut same_text) = (false, false);
    for (name, value) in named.filter(|(_, v)| is_text_literal(v)) {
        names_server |= words(name)
            .iter()
            .any(|w| matches!(w.as_str(), "host" | "hostname" | "server" | "address"));
        same_text |= value.range() != at
            && literal_text(value).is_some_and(|other| other.eq_ignore_ascii_case(text));
    }
    names_server && same_text
}

/// `CLIENT_SECRET = "..."` in a module that runs an OAuth flow made for public clients: the
/// device grant (`device_code`, RFC 8628), or PKCE (RFC 7636) in a module that is no web code
/// (a web server is a confidential client, which uses PKCE too). Public clients are programs
/// users install, whose secret ships in every copy (RFC 8252): it cannot authenticate the
/// program, and the user's own authorisation is what grants access.
fn public_client_secret(cx: &Checker, name: &str) -> bool {
    let w = words(name);
    let text = &cx.file.text;
    w.iter().any(|x| x == "client")
        && w.iter().any(|x| x == "secret")
        && (contains_any_ignore_case(text, &[b"device_code", b"oauth/device"])
            || (contains_any_ignore_case(text, &[b"pkce", b"code_verifier"])
                && !contains_any_ignore_case(text, &[b"flask", b"authlib", b"route"])))
}

/// Whether key `name` is used in this module, and every use sends it beside the user's own
/// password in the same call or dict (`api_request(app_key=API_KEY, user=u, password=pw)`,
/// `{"apiKey": self.API_KEY, "md5Pass": md5(pw)}`). Such a key names the client program to the
/// service, like an OAuth client id: it grants nothing without the user's login. A key used on
/// its own, or not used here, is still reported; a password never identifies a program.
fn identifies_client_beside_login(cx: &Checker, name: &str) -> bool {
    if is_password_name(name) {
        return false;
    }
    let mut uses = KeyUses {
        name,
        total: 0,
        beside_login: 0,
    };
    uses.visit_body(cx.file.body());
    uses.total > 0 && uses.total == uses.beside_login
}

/// Counts the reads of a key name (`NAME`, `self.NAME`), and those sent beside a password.
struct KeyUses<'n> {
    name: &'n str,
    total: usize,
    beside_login: usize,
}

impl KeyUses<'_> {
    fn is_use(&self, e: &Expr) -> bool {
        match e {
            Expr::Name(n) => n.ctx.is_load() && n.id.as_str() == self.name,
            Expr::Attribute(a) => a.ctx.is_load() && a.attr.as_str() == self.name,
            _ => false,
        }
    }
}

/// A password the caller supplies (not a literal): the user's own login going out.
fn user_password(key: Option<&str>, value: &Expr) -> bool {
    key.is_some_and(is_password_name) && !value.is_literal_expr()
}

impl<'x> Visitor<'x> for KeyUses<'_> {
    fn visit_expr(&mut self, e: &'x Expr) {
        if self.is_use(e) {
            self.total += 1;
            return;
        }
        // A use among a call's keywords or a dict's values, counted with its neighbours.
        let (with_login, sent) = match e {
            Expr::Call(c) => {
                let kws = &c.arguments.keywords;
                (
                    kws.iter()
                        .any(|k| user_password(k.arg.as_deref(), &k.value)),
                    kws.iter().filter(|k| self.is_use(&k.value)).count(),
                )
            }
            Expr::Dict(d) => (
                d.items.iter().any(|item| {
                    let key = item.key.as_ref().and_then(literal_text);
                    user_password(key.as_deref(), &item.value)
                }),
                d.items
                    .iter()
                    .filter(|item| self.is_use(&item.value))
                    .count(),
            ),
            _ => (false, 0),
        };
        if with_login {
            self.beside_login += sent;
        }
        visitor::walk_expr(self, e);
    }
}

/// `row.password = ...`, `row["password"] = ...`: a field of a record, not a name of the code.
fn is_record_field(target: &Expr) -> bool {
    matches!(target, Expr::Attribute(_) | Expr::Subscript(_))
}

/// Whether the code being walked is the `upgrade()`/`downgrade()` step of an Alembic revision
/// (a module that sets `revision` and `down_revision`). A migration step runs once against the
/// database: a literal it writes into a record (`person.password = b"default"` restoring a
/// legacy marker, `.values(token="")`) is data being migrated, not a credential the application
/// authenticates with. Names it binds, and the module's own constants, are still checked.
fn in_migration_step(cx: &Checker) -> bool {
    let step = cx.function_name().is_some_and(|f| {
        ["upgrade", "downgrade"]
            .iter()
            .any(|s| f == *s || f.strip_prefix(s).is_some_and(|r| r.starts_with('_')))
    });
    step && ["revision", "down_revision"]
        .iter()
        .all(|name| module_assigns(cx, name))
}

/// Whether the module assigns `name` at its top level.
fn module_assigns(cx: &Checker, name: &str) -> bool {
    cx.file.body().iter().any(|stmt| match stmt {
        Stmt::Assign(a) => a
            .targets
            .iter()
            .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == name)),
        Stmt::AnnAssign(a) => matches!(&*a.target, Expr::Name(n) if n.id.as_str() == name),
        _ => false,
    })
}

/// `def login(password="...")`. Not in a client for a server the caller names
/// (`def __init__(self, uri, token="root:Milvus")`): there the default is that server's factory
/// login, used only until the caller passes the one of the server it connects to.
pub fn check_function(cx: &mut Checker, f: &StmtFunctionDef) {
    let names_server = f.parameters.iter_non_variadic_params().any(|p| {
        words(p.name().as_str()).iter().any(|w| {
            matches!(
                w.as_str(),
                "uri" | "url" | "host" | "hostname" | "endpoint" | "server" | "address" | "dsn"
            )
        })
    });
    if names_server {
        return;
    }
    for p in f.parameters.iter_non_variadic_params() {
        let Some(default) = &p.default else { continue };
        if !is_text_literal(default) {
            continue;
        }
        let name = p.name().as_str();
        let Some(text) = literal_text(default) else {
            continue;
        };
        if is_credential(name, &text) {
            report(cx, name, default.range());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert!(is_credential_name("DB_PASSWORD"));
        assert!(is_credential_name("stripeApiKey"));
        assert!(!is_credential_name("password_field"));
        assert!(!is_credential_name("TOKEN_URL"));
        assert!(!is_credential_name("SECRET_KEY"));
        assert!(looks_secret("sk_live_4eC39HqLyjWDarjtT1zdp7dc", false));
        assert!(looks_secret("hunter2", true));
        assert!(!looks_secret("hunter2", false));
        assert!(!looks_secret("changeme", true));
        assert!(!looks_secret("bearer", false));
        assert!(!looks_secret("your-api-key-here", false));
        assert!(!looks_secret("mlflow-gateway-auth", false));
        assert!(looks_secret("correct-horse-battery", true));
    }
}
