//! Path sensitivity: what a condition proves about the values it tests. `if x in ALLOWED`,
//! `if not is_safe_url(x): abort(400)`, `if ".." in name: abort(400)` each make `x` harmless for
//! some sink kinds on the branch where the check passed.

use ruff_python_ast::comparable::ComparableExpr;
use ruff_python_ast::{self as ast, CmpOp, Expr, UnaryOp};

use super::engine::Analyzer;
use super::value::{SinkKind, ALL};

/// The environment key of a local name or attribute path (`x`, `self.x`), if it has one.
pub fn key(e: &Expr) -> Option<String> {
    match e {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => match &*a.value {
            Expr::Name(n) => Some(format!("{}.{}", n.id, a.attr)),
            _ => None,
        },
        _ => None,
    }
}

/// The key of a value compared with constants, also through a case or whitespace change:
/// `fmt.upper() == "TXT"` leaves `fmt` one of a few spellings of a constant, with no
/// separators or markup.
pub(super) fn compared_key(e: &Expr) -> Option<String> {
    if let Expr::Call(c) = e {
        if let Expr::Attribute(a) = &*c.func {
            if c.arguments.is_empty()
                && matches!(
                    a.attr.as_str(),
                    "lower" | "upper" | "casefold" | "strip" | "lstrip" | "rstrip"
                )
            {
                return key(&a.value);
            }
        }
    }
    key(e)
}

/// The keys of the values a path expression is built from: `p`, `base / name`, `base + name`,
/// `os.path.join(base, name)`, `Path(p)`. A check that the whole path stays inside a folder
/// confines each part the caller goes on to use.
pub fn path_keys(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    collect_path_keys(e, &mut out, 0);
    out
}

fn collect_path_keys(e: &Expr, out: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    if let Some(k) = key(e) {
        out.push(k);
        return;
    }
    match e {
        Expr::BinOp(b) if matches!(b.op, ast::Operator::Div | ast::Operator::Add) => {
            collect_path_keys(&b.left, out, depth + 1);
            collect_path_keys(&b.right, out, depth + 1);
        }
        Expr::Call(c) => {
            let f = match &*c.func {
                Expr::Name(n) => n.id.as_str(),
                Expr::Attribute(a) => a.attr.as_str(),
                _ => "",
            };
            if matches!(
                f,
                "join" | "Path" | "PurePath" | "abspath" | "normpath" | "realpath"
            ) {
                for a in &c.arguments.args {
                    collect_path_keys(a, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// `(key, sink kinds made harmless)` for each value the condition `test` being `branch` checks.
pub fn checks(cx: &Analyzer, test: &Expr, branch: bool) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    collect(cx, test, branch, &mut out, 0);
    // A URL's host compared with anything is a host check, whichever way it went.
    host_checks(test, &mut out, 0);
    status_checks(test, &mut out, 0);
    out
}

/// `if resp.status_code >= 400:`, whichever way it went: only a response object has a status
/// code, and its body was judged where it was built, so returning `resp` is no reflected text
/// (as after `isinstance(resp, Response)`).
fn status_checks(e: &Expr, out: &mut Vec<(String, u32)>, depth: usize) {
    if depth > 8 {
        return;
    }
    match e {
        Expr::BoolOp(b) => b
            .values
            .iter()
            .for_each(|v| status_checks(v, out, depth + 1)),
        Expr::UnaryOp(u) => status_checks(&u.operand, out, depth + 1),
        Expr::Compare(c) => {
            for side in std::iter::once(&*c.left).chain(c.comparators.iter()) {
                if let Expr::Attribute(a) = side {
                    if a.attr.as_str() == "status_code" {
                        if let Expr::Name(n) = &*a.value {
                            out.push((n.id.to_string(), SinkKind::Xss.bit()));
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// The key of the path whose components `e` lists: `path.split("/")` (or `os.sep`),
/// `Path(path).parts`, `path.parts`.
fn components_of(e: &Expr) -> Option<String> {
    match e {
        Expr::Call(c) => {
            let Expr::Attribute(a) = &*c.func else {
                return None;
            };
            let sep = c.arguments.args.first()?;
            let slash = matches!(sep, Expr::StringLiteral(s) if s.value.to_str() == "/")
                || matches!(sep, Expr::Attribute(s) if s.attr.as_str() == "sep");
            (a.attr.as_str() == "split" && c.arguments.args.len() == 1 && slash)
                .then(|| key(&a.value))
                .flatten()
        }
        Expr::Attribute(a) if a.attr.as_str() == "parts" => match &*a.value {
            Expr::Call(c)
                if c.arguments.args.len() == 1
                    && crate::rules::helpers::last_name(&c.func)
                        .is_some_and(|n| n.ends_with("Path")) =>
            {
                key(&c.arguments.args[0])
            }
            other => key(other),
        },
        _ => None,
    }
}

fn collect(cx: &Analyzer, test: &Expr, branch: bool, out: &mut Vec<(String, u32)>, depth: usize) {
    if depth > 16 {
        return;
    }
    match test {
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => {
            collect(cx, &u.operand, !branch, out, depth + 1)
        }
        // Every part of `a and b` held when it was true; every part of `a or b` failed when false.
        Expr::BoolOp(b) if (b.op == ast::BoolOp::And) == branch => {
            for v in &b.values {
                collect(cx, v, branch, out, depth + 1);
            }
        }
        // `a and b` false (or `a or b` true): one of the parts held that way, which one is
        // unknown; a value every part checks is checked for what all of them prove.
        // `x != "internal" and not is_safe_url(x)` false: x is the literal or a safe URL.
        Expr::BoolOp(b) => {
            let mut common: Option<Vec<(String, u32)>> = None;
            for v in &b.values {
                let mut part = Vec::new();
                collect(cx, v, branch, &mut part, depth + 1);
                common = Some(match common {
                    None => part,
                    Some(prev) => intersect(&prev, &part),
                });
                if common.as_ref().is_some_and(Vec::is_empty) {
                    return;
                }
            }
            out.extend(common.unwrap_or_default());
        }
        Expr::Compare(c) if c.ops.len() == 1 => {
            let right = &c.comparators[0];
            match c.ops[0] {
                op @ (CmpOp::In | CmpOp::NotIn) => {
                    let holds = (op == CmpOp::In) == branch;
                    // `".." in name` false: no parent-directory steps.
                    if let Expr::StringLiteral(s) = &*c.left {
                        let needle = s.value.to_str();
                        if !holds && (needle == ".." || needle == "../") {
                            // `".." in path.split("/")`, `".." in Path(path).parts`: no `..`
                            // component either.
                            if let Some(k) = key(right).or_else(|| components_of(right)) {
                                out.push((k, SinkKind::Path.bit()));
                            }
                        }
                        return;
                    }
                    // `x in ALLOWED` true: x is one of the allowed constants.
                    if holds && cx.is_clean_container(right) {
                        if let Some(k) = compared_key(&c.left) {
                            out.push((k, ALL));
                        }
                    }
                }
                op @ (CmpOp::Eq | CmpOp::NotEq | CmpOp::Is | CmpOp::IsNot)
                    if super::status::compared_flag(op, right, branch) == Some(true) =>
                {
                    // `if ok is False: return ...`: past it, `ok` holds, and so does its verdict.
                    if let Expr::Name(n) = &*c.left {
                        if let Some(checks) = cx.verdict(n.id.as_str()) {
                            out.extend(checks.iter().cloned());
                        }
                    }
                    // `ok == True` true: `ok` is that constant.
                    if (op == CmpOp::Eq || op == CmpOp::Is) == branch {
                        if let Some(k) = compared_key(&c.left) {
                            out.push((k, ALL));
                        }
                    }
                }
                op @ (CmpOp::Eq | CmpOp::NotEq | CmpOp::Is) => {
                    let holds = (op != CmpOp::NotEq) == branch;
                    if holds {
                        common_path_checks(cx, &c.left, right, out);
                        // `os.path.basename(name) == name`: one component, no separator.
                        if super::infer::names_one_component(c) {
                            let plain = if matches!(&*c.left, Expr::Call(_)) {
                                right
                            } else {
                                &*c.left
                            };
                            out.extend(key(plain).map(|k| (k, SinkKind::Path.bit())));
                        }
                        if right.is_literal_expr() && !right.is_none_literal_expr() {
                            if let Some(k) = compared_key(&c.left) {
                                out.push((k, ALL));
                            }
                        } else if c.left.is_literal_expr() && !c.left.is_none_literal_expr() {
                            if let Some(k) = compared_key(right) {
                                out.push((k, ALL));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Expr::Call(call) if cx.qualify(&call.func).as_deref() == Some("builtins.isinstance") => {
            type_check(cx, call, branch, out)
        }
        Expr::Call(call) if branch => validator(cx, call, out),
        Expr::Name(n) if branch => {
            if let Some(checks) = cx.verdict(n.id.as_str()) {
                out.extend(checks.iter().cloned());
            }
        }
        // `if message: ... else: return message`: a value that tested false is empty (`""`,
        // `None`, `[]`), so it carries no data on that branch.
        Expr::Name(_) | Expr::Attribute(_) if !branch => {
            if let Some(k) = key(test) {
                out.push((k, ALL));
            }
        }
        _ => {}
    }
}

/// The path keys of `e` when it normalises a path without changing the file it names
/// (`os.path.normpath(p)`, `os.path.realpath(base + name)`, `Path(p).resolve()`; `q` is the
/// callee's qualified name): a containment check of the result confines the parts.
pub fn resolved_parts(e: &Expr, q: Option<&str>) -> Vec<String> {
    let Expr::Call(c) = e else { return Vec::new() };
    match &*c.func {
        // `(base / name).resolve()`: the parts are the receiver's.
        Expr::Attribute(a) if a.attr.as_str() == "resolve" => path_keys(&a.value),
        _ if matches!(
            q,
            Some("os.path.realpath" | "os.path.abspath" | "os.path.normpath")
        ) =>
        {
            c.arguments.args.first().map(path_keys).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// [`resolved_parts`] of `e`, each confined for paths.
fn normalised_keys(cx: &Analyzer, e: &Expr) -> Vec<(String, u32)> {
    let Expr::Call(c) = e else { return Vec::new() };
    resolved_parts(e, cx.qualify(&c.func).as_deref())
        .into_iter()
        .map(|k| (k, SinkKind::Path.bit()))
        .collect()
}

/// `os.path.commonpath([root, resolved]) == root` true: every other listed path lies inside
/// `root` (`commonprefix` too, the weaker check real code also uses for this).
fn common_path_checks(cx: &Analyzer, left: &Expr, right: &Expr, out: &mut Vec<(String, u32)>) {
    for (call, root) in [(left, right), (right, left)] {
        let Expr::Call(c) = call else { continue };
        // Named first: resolving every call compared in a condition would cost more.
        let named = crate::rules::helpers::last_name(&c.func)
            .is_some_and(|n| matches!(n.as_ref(), "commonpath" | "commonprefix"));
        if !named
            || !matches!(
                cx.qualify(&c.func).as_deref(),
                Some("os.path.commonpath" | "os.path.commonprefix")
            )
        {
            continue;
        }
        let [Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. })] =
            &*c.arguments.args
        else {
            continue;
        };
        let root = ComparableExpr::from(root);
        for e in elts.iter().filter(|e| ComparableExpr::from(*e) != root) {
            out.extend(path_keys(e).into_iter().map(|k| (k, SinkKind::Path.bit())));
        }
    }
}

/// Response classes: a response object's body was judged where it was built, so the object is
/// no HTML text of the code returning it.
pub(super) const RESPONSE_TYPES: &[&str] = &[
    "flask.Response",
    "flask.wrappers.Response",
    "werkzeug.Response",
    "werkzeug.wrappers.Response",
    "werkzeug.wrappers.response.Response",
];

/// `isinstance(x, Response)` true, or `isinstance(x, str)` false: on that branch `x` is no text,
/// so returning it is not reflected XSS (other sinks keep their taint).
fn type_check(cx: &Analyzer, call: &ast::ExprCall, branch: bool, out: &mut Vec<(String, u32)>) {
    let [subject, types] = &*call.arguments.args else {
        return;
    };
    let Some(k) = key(subject) else {
        return;
    };
    let types: Vec<Option<String>> = match types {
        Expr::Tuple(t) => t.elts.iter().map(|e| cx.qualify(e)).collect(),
        e => vec![cx.qualify(e)],
    };
    // Containers and numbers Flask answers as JSON (or refuses), as for return annotations.
    // (Not `tuple`: a view's `(body, status)` carries its body.)
    let not_text = |q: &Option<String>| {
        q.as_deref().is_some_and(|q| {
            super::return_types::is_non_text_type(q) || RESPONSE_TYPES.contains(&q)
        })
    };
    let is_str = |q: &Option<String>| q.as_deref() == Some("builtins.str");
    let proven = if branch {
        types.iter().all(not_text)
    } else {
        types.iter().any(is_str)
    };
    if proven {
        out.push((k, SinkKind::Xss.bit()));
    }
}

/// A project function the body shows to be a check: a containment check confines the paths
/// passed to it, a URL host or scheme check the URLs.
pub(super) fn project_validator(
    cx: &Analyzer,
    call: &ast::ExprCall,
    out: &mut Vec<(String, u32)>,
) -> bool {
    let Some(f) = cx.callee(call) else {
        return false;
    };
    let t = f.traits();
    let confined = f.confined(cx.global());
    for &p in confined {
        if let Some(arg) = crate::taint::validators::argument(f, call, p) {
            out.extend(
                path_keys(arg)
                    .into_iter()
                    .map(|k| (k, SinkKind::Path.bit())),
            );
        }
    }
    let args = || {
        call.arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|k| &k.value))
    };
    // Here the check is a condition that held, so a boolean answer counts as well as a raise.
    let path = t.path_guard || t.path_verdict;
    if path {
        for k in args().flat_map(path_keys) {
            out.push((k, SinkKind::Path.bit()));
        }
    }
    if t.url_guard {
        for k in args().filter_map(key) {
            out.push((k, SinkKind::Redirect.bit() | SinkKind::Ssrf.bit()));
        }
    }
    path || t.url_guard || !confined.is_empty()
}

/// The keys both lists check, each for the kinds both prove.
fn intersect(a: &[(String, u32)], b: &[(String, u32)]) -> Vec<(String, u32)> {
    let bits = |l: &[(String, u32)], k: &str| {
        l.iter()
            .filter(|(x, _)| x == k)
            .fold(0, |acc, (_, bits)| acc | bits)
    };
    let mut out: Vec<(String, u32)> = Vec::new();
    for (k, _) in a {
        if out.iter().any(|(x, _)| x == k) {
            continue;
        }
        let both = bits(a, k) & bits(b, k);
        if both != 0 {
            out.push((k.clone(), both));
        }
    }
    out
}

/// Calls that, when true, validate their argument.
fn validator(cx: &Analyzer, call: &ast::ExprCall, out: &mut Vec<(String, u32)>) {
    if project_validator(cx, call, out) {
        return;
    }
    // `len(adapter.allowed_methods(target))`: the target matches one of the app's own routes.
    if let (Expr::Name(n), Some(Expr::Call(inner))) = (&*call.func, call.arguments.args.first()) {
        if n.id.as_str() == "len" {
            return validator(cx, inner, out);
        }
    }
    let first = call.arguments.args.first();
    let callee = cx.qualify(&call.func).unwrap_or_default();
    let short = callee
        .rsplit('.')
        .next()
        .unwrap_or(&callee)
        .to_ascii_lowercase();
    let fname = match &*call.func {
        Expr::Name(n) => n.id.to_ascii_lowercase(),
        Expr::Attribute(a) => a.attr.to_ascii_lowercase(),
        _ => String::new(),
    };
    let name = if short.is_empty() {
        fname.clone()
    } else {
        short
    };
    // is_safe_url(x), url_has_allowed_host_and_scheme(x, ...), is_safe_redirect_url(x)
    if name.contains("safe")
        && (name.contains("url")
            || name.contains("redirect")
            || name.contains("next")
            || name.contains("host"))
    {
        if let Some(k) = first.and_then(key) {
            out.push((k, SinkKind::Redirect.bit() | SinkKind::Ssrf.bit()));
        }
        return;
    }
    if let Expr::Attribute(a) = &*call.func {
        let recv = key(&a.value);
        match a.attr.as_str() {
            "isdigit" | "isdecimal" | "isnumeric" | "isalnum" | "isalpha" | "isidentifier" => {
                if let Some(k) = recv {
                    out.push((k, ALL));
                }
            }
            // `target.startswith("/")`: a relative path on this host; `path.startswith(BASE)`: inside it.
            "startswith" => {
                if let Some(k) = recv {
                    let prefix = first.and_then(|p| match p {
                        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
                        _ => None,
                    });
                    match prefix.as_deref() {
                        Some(p) if p.starts_with('/') && p.len() == 1 => {
                            out.push((k, SinkKind::Redirect.bit()))
                        }
                        Some(p) if p.contains("://") && p.trim_end_matches('/').contains('.') => {
                            out.push((k, SinkKind::Redirect.bit() | SinkKind::Ssrf.bit()))
                        }
                        Some(p) if p.len() > 1 => out.push((k, SinkKind::Path.bit())),
                        Some(_) => {}
                        None => out.push((k, SinkKind::Path.bit())),
                    }
                } else {
                    // `os.path.normpath(p).startswith(base)`: the normalised path is inside.
                    let folder = match first {
                        Some(Expr::StringLiteral(s)) => {
                            let p = s.value.to_str();
                            p.len() > 1 && !p.contains("://")
                        }
                        Some(_) => true,
                        None => false,
                    };
                    if folder {
                        out.extend(normalised_keys(cx, &a.value));
                    }
                }
            }
            "is_relative_to" => {
                if recv.is_none() {
                    out.extend(normalised_keys(cx, &a.value));
                }
                if let Some(k) = recv {
                    out.push((k, SinkKind::Path.bit()));
                }
            }
            // url_map.bind(host).allowed_methods(target): some route of the app answers it.
            "allowed_methods" => {
                // Also through a prefix-stripping helper: `allowed_methods(strip(target, root))`.
                let target = match first {
                    Some(Expr::Call(inner)) => inner.arguments.args.first(),
                    other => other,
                };
                if let Some(k) = target.and_then(key) {
                    out.push((k, SinkKind::Redirect.bit()));
                }
            }
            // PATTERN.fullmatch(x)
            "fullmatch" | "match" if !callee.starts_with("re.") => {
                if let Some(k) = first.and_then(key) {
                    out.push((k, ALL));
                }
            }
            _ => {}
        }
    }
    // `os.path.isdir(p)` true: `p` names an entry that exists on the server (a path can only
    // pass through a directory that exists), so it is no markup the requester wrote; a name
    // stored on disk with markup in it is stored data, not reflected.
    if matches!(
        callee.as_str(),
        "os.path.isdir" | "os.path.isfile" | "os.path.exists" | "os.path.lexists"
    ) {
        if let Some(k) = first.and_then(key) {
            out.push((k, SinkKind::Xss.bit()));
        }
    }
    // re.fullmatch(r"...", x), re.match(r"^...$", x)
    if matches!(callee.as_str(), "re.fullmatch" | "re.match") {
        let anchored = callee == "re.fullmatch"
            || matches!(first, Some(Expr::StringLiteral(s)) if s.value.to_str().ends_with('$') || s.value.to_str().ends_with("\\Z"));
        if anchored {
            if let Some(k) = call.arguments.args.get(1).and_then(key) {
                out.push((k, ALL));
            }
        }
    }
}

/// `urlparse(x).netloc` (or `.hostname`) anywhere in a condition: `x`'s host was checked.
/// Likewise `parts.netloc` for a local `parts` holding a parsed URL
/// (`parts = urlsplit(urljoin(request.host_url, target))`): what is rebuilt from it
/// (`parts.geturl()`) has the host that was checked.
fn host_checks(e: &Expr, out: &mut Vec<(String, u32)>, depth: usize) {
    if depth > 16 {
        return;
    }
    match e {
        Expr::Attribute(a)
            if matches!(a.attr.as_str(), "netloc" | "hostname") && a.value.is_name_expr() =>
        {
            if let Some(k) = key(&a.value) {
                out.push((k, SinkKind::Redirect.bit() | SinkKind::Ssrf.bit()));
            }
        }
        Expr::Attribute(a) if matches!(a.attr.as_str(), "netloc" | "hostname" | "host") => {
            if let Expr::Call(c) = &*a.value {
                let f = match &*c.func {
                    Expr::Name(n) => n.id.as_str(),
                    Expr::Attribute(x) => x.attr.as_str(),
                    _ => "",
                };
                if matches!(f, "urlparse" | "urlsplit" | "url_parse") {
                    if let Some(k) = c.arguments.args.first().and_then(key) {
                        out.push((k, SinkKind::Redirect.bit() | SinkKind::Ssrf.bit()));
                    }
                }
            }
        }
        Expr::BoolOp(b) => b.values.iter().for_each(|v| host_checks(v, out, depth + 1)),
        Expr::UnaryOp(u) => host_checks(&u.operand, out, depth + 1),
        Expr::Compare(c) => {
            host_checks(&c.left, out, depth + 1);
            c.comparators
                .iter()
                .for_each(|v| host_checks(v, out, depth + 1));
        }
        _ => {}
    }
}
