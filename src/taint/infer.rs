//! What a project function does to its arguments, read from its body: whether it cleans a file
//! name (replaces both path separators, or calls `secure_filename`), whether it checks that a path
//! stays inside a base folder (`realpath` + `relative_to`/`startswith`, failing by raising or
//! returning false), and whether it checks a URL's host or scheme (`urlparse(x).hostname`).
//! Applications write these helpers themselves; knowing them by shape, not by name, lets the
//! taint rules trust `get_valid_filename(title)` or `if not is_inside(p, base): abort(403)`.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

use super::context::{self, ModeFlags};

/// The facts about one function body the taint rules use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traits {
    /// The result is a file name without path separators, or a relative path that cannot
    /// climb (every `.` removed and leading `/` stripped).
    pub path_sanitiser: bool,
    /// Checks that a path argument resolves inside a base folder; false or an exception otherwise.
    pub path_guard: bool,
    /// Answers with a boolean whether a path resolves inside a base folder
    /// (`return any(Path(p).resolve().is_relative_to(d) for d in dirs)`): a check in a condition,
    /// not as a statement (the answer could be ignored).
    pub path_verdict: bool,
    /// Fails by raising (or aborting): a call as a statement proves the check passed.
    pub raises: bool,
    /// Fails only by raising: no `return False`/`return None` answer a caller could ignore, so
    /// even a call whose result is assigned proves the check passed.
    pub raises_only: bool,
    /// Checks a URL argument's host or scheme and answers with a boolean.
    pub url_guard: bool,
    /// Raises an exception with a message it writes itself (`raise Exception(_("Invalid role"))`).
    pub raises_text: bool,
    /// Does database or filesystem work itself (`db.session.commit()`, `open(path)`).
    pub touches_storage: bool,
    /// Returns a path only once it passed a containment check, failing otherwise (raising,
    /// aborting or returning `None`). (A `..` check inside the body already cleans the value
    /// it returns, by narrowing.)
    pub checked_path: bool,
    /// Parameters with a boolean default the body branches on (see [`context`]).
    pub flags: ModeFlags,
    /// Every return gives literal text or `None` (directly or through a local name assigned only
    /// literals): a hook that supplies fixed content.
    pub returns_literal: bool,
}

/// Reads the traits of `def`.
pub fn traits(def: &ast::StmtFunctionDef) -> Traits {
    let mut v = Facts::default();
    for s in &def.body {
        v.visit_stmt(s);
    }
    let resolves = v.called(&["realpath", "abspath", "resolve", "normpath"]);
    let contains = v.dirname_compared
        || v.called(&[
            "relative_to",
            "is_relative_to",
            "startswith",
            "commonpath",
            "commonprefix",
        ]);
    let fails = v.raises || v.returns_false || v.returns_none;
    // A check that a name is a single component (`basename(p) == p`) keeps it in the folder it
    // is joined to, as a containment check does.
    let confines = (resolves && contains) || v.basename_compared;
    let path_guard = confines && fails;
    // `sep`/`altsep` imported from `os` mean the separators, unless the function binds the name.
    let bound = |name: &str| {
        def.parameters.iter().any(|p| p.name().as_str() == name)
            || v.literal_names.iter().any(|n| n == name)
            || v.non_literal_names.iter().any(|n| n == name)
    };
    let slash = v.slash || (v.bare_sep && !bound("sep"));
    let backslash = v.backslash || (v.bare_altsep && !bound("altsep"));
    // With no `.` left there is no `..`, and with no leading `/` no absolute path: the result
    // stays inside whatever folder it is joined to.
    let climbs_nowhere = v.dots && v.leading_slash;
    Traits {
        path_sanitiser: (slash && backslash) || climbs_nowhere || v.called(&["secure_filename"]),
        path_guard,
        path_verdict: confines && (v.returns_compare || v.returns_verdict),
        checked_path: path_guard && (v.raises || v.returns_none),
        flags: context::mode_flags(def),
        raises: v.raises,
        raises_only: v.raises && !v.returns_false && !v.returns_none,
        url_guard: v.called(&["urlparse", "urlsplit", "url_parse"])
            && v.host_read
            && (v.returns_false || v.returns_compare),
        raises_text: v.raises && super::exceptions::raises_text(&def.body),
        touches_storage: super::exceptions::touches_storage(None, &def.body),
        returns_literal: v.returns_literal(),
    }
}

/// Whether an `__init__` hands its parameters to the new object only by assigning `self.x = ...`:
/// no `*args`/`**kwargs`, and no call made as a statement (`self.load(data)`,
/// `setattr(self, k, v)`) receives a parameter, where the data could land in an attribute the
/// body does not name. Then the object's attributes are exactly those fields. A parent
/// constructor (`super().__init__(name)`) is the exception: the analysis puts its fields in
/// the object, or gives up on the fields when it cannot name them.
pub fn fields_only(def: &ast::StmtFunctionDef) -> bool {
    if def.parameters.vararg.is_some() || def.parameters.kwarg.is_some() {
        return false;
    }
    let mut all = def.parameters.iter_non_variadic_params();
    let me = all.next().map_or("", |p| p.parameter.name.as_str());
    let names: Vec<&str> = all.map(|p| p.parameter.name.as_str()).collect();
    let mut v = StatementCalls {
        params: &names,
        me,
        passes: false,
        depth: 0,
    };
    for s in &def.body {
        v.visit_stmt(s);
    }
    !v.passes
}

/// Finds a call made as a statement with a parameter among its arguments.
struct StatementCalls<'n> {
    params: &'n [&'n str],
    /// The constructor's first parameter.
    me: &'n str,
    passes: bool,
    depth: usize,
}

impl StatementCalls<'_> {
    fn mentions_param(&self, e: &Expr) -> bool {
        names_any(e, self.params)
    }
}

impl<'a> Visitor<'a> for StatementCalls<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.depth > MAX_DEPTH || self.passes {
            return;
        }
        if let Stmt::Expr(e) = stmt {
            if let Expr::Call(c) = &*e.value {
                if super::records::parent_init(c, self.me).is_some() {
                    return;
                }
                let args = c
                    .arguments
                    .args
                    .iter()
                    .chain(c.arguments.keywords.iter().map(|k| &k.value));
                if args.into_iter().any(|a| self.mentions_param(a)) {
                    self.passes = true;
                    return;
                }
            }
        }
        self.depth += 1;
        visitor::walk_stmt(self, stmt);
        self.depth -= 1;
    }
}

/// Whether `e` names one of `names` (outside nested scopes' own bindings, which it does not
/// tell apart).
pub fn names_any(e: &Expr, names: &[&str]) -> bool {
    let mut found = false;
    NameFinder {
        params: names,
        found: &mut found,
    }
    .visit_expr(e);
    found
}

/// Whether an expression names one of the parameters.
struct NameFinder<'n, 'f> {
    params: &'n [&'n str],
    found: &'f mut bool,
}

impl<'a> Visitor<'a> for NameFinder<'_, '_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if *self.found {
            return;
        }
        if let Expr::Name(n) = expr {
            *self.found |= self.params.contains(&n.id.as_str());
            return;
        }
        visitor::walk_expr(self, expr);
    }
}

/// Literal text or `None`; an f-string only without interpolations (`f"{{ x }}"`).
fn is_literal_text(e: &Expr) -> bool {
    match e {
        Expr::StringLiteral(_) | Expr::NoneLiteral(_) => true,
        Expr::FString(f) => f.value.iter().all(|part| match part {
            ast::FStringPart::Literal(_) => true,
            ast::FStringPart::FString(fs) => fs
                .elements
                .iter()
                .all(|el| matches!(el, ast::InterpolatedStringElement::Literal(_))),
        }),
        _ => false,
    }
}

/// A call whose answer is a boolean about its arguments: `any(...)`/`all(...)` over checks, or
/// a containment test (`p.is_relative_to(base)`, `p.startswith(base)`).
fn is_verdict_call(c: &ast::ExprCall) -> bool {
    match &*c.func {
        Expr::Name(n) => matches!(n.id.as_str(), "any" | "all"),
        Expr::Attribute(a) => matches!(a.attr.as_str(), "is_relative_to" | "startswith"),
        _ => false,
    }
}

/// How deep nested statements and expressions are followed.
const MAX_DEPTH: usize = 64;

#[derive(Default)]
struct Facts {
    calls: Vec<String>,
    /// A `.replace()`/`re.sub()` pattern removes `/`.
    slash: bool,
    /// ... and `\`.
    backslash: bool,
    /// A `.replace()`/`re.sub()` removes every `.` (`re.sub(r"[?.!#]", "", v)`).
    dots: bool,
    /// `.lstrip()`/`.strip()` with `/` among the stripped characters: no leading separator.
    leading_slash: bool,
    /// A pattern is the bare name `sep` (`from os import sep`): `/` where the app runs on POSIX.
    bare_sep: bool,
    /// ... or `altsep`: on Windows the other separator (and no separator on POSIX, where `\`
    /// is an ordinary character).
    bare_altsep: bool,
    raises: bool,
    returns_false: bool,
    /// `return None`: the function's way of saying no.
    returns_none: bool,
    /// `os.path.dirname(p) == base` (or `!=`): `p` is directly inside `base`.
    dirname_compared: bool,
    /// `os.path.basename(p) != p`: `p` is one path component, with no separator.
    basename_compared: bool,
    /// Returns a comparison or membership test.
    returns_compare: bool,
    /// Returns a boolean answer from a call: `any(...)`, `all(...)`, `p.is_relative_to(base)`,
    /// `p.startswith(base)`.
    returns_verdict: bool,
    /// Reads `.hostname`, `.netloc` or `.scheme`.
    host_read: bool,
    /// Whether each returned expression is literal text (`Err(name)` for a returned local name).
    returned: Vec<Result<bool, String>>,
    /// Local names assigned literal text, and those assigned anything else.
    literal_names: Vec<String>,
    non_literal_names: Vec<String>,
    depth: usize,
}

impl Facts {
    fn called(&self, names: &[&str]) -> bool {
        self.calls.iter().any(|c| names.contains(&c.as_str()))
    }

    /// See [`Traits::returns_literal`].
    fn returns_literal(&self) -> bool {
        !self.returned.is_empty()
            && self.returned.iter().all(|r| match r {
                Ok(literal) => *literal,
                Err(name) => {
                    self.literal_names.contains(name) && !self.non_literal_names.contains(name)
                }
            })
    }

    /// Records what a `return` gives and what a local name is assigned.
    fn note_literals(&mut self, stmt: &Stmt) {
        let (target, literal) = match stmt {
            Stmt::Return(r) => {
                self.returned.push(match r.value.as_deref() {
                    None => Ok(true),
                    Some(Expr::Name(n)) => Err(n.id.to_string()),
                    Some(e) => Ok(is_literal_text(e)),
                });
                return;
            }
            Stmt::Assign(a) => {
                let literal = is_literal_text(&a.value);
                for t in &a.targets {
                    if let Expr::Name(n) = t {
                        let names = if literal {
                            &mut self.literal_names
                        } else {
                            &mut self.non_literal_names
                        };
                        names.push(n.id.to_string());
                    }
                }
                return;
            }
            Stmt::AugAssign(a) => (&*a.target, is_literal_text(&a.value)),
            Stmt::AnnAssign(a) => (&*a.target, a.value.as_deref().is_some_and(is_literal_text)),
            Stmt::For(f) => (&*f.target, false),
            _ => return,
        };
        if let (Expr::Name(n), false) = (target, literal) {
            self.non_literal_names.push(n.id.to_string());
        }
    }

    /// `.replace("/", "_")`, `re.sub(r"[\\/:*]", "_", name)`: separators the call removes; also
    /// dots it removes and leading `/` a `.lstrip("/")` strips.
    fn separator_pattern(&mut self, name: &str, call: &ast::ExprCall) {
        if matches!(name, "lstrip" | "strip") {
            self.leading_slash |= matches!(call.arguments.args.first(),
                Some(Expr::StringLiteral(s)) if s.value.to_str().contains('/'));
            return;
        }
        if !matches!(name, "replace" | "sub" | "translate") {
            return;
        }
        self.dots |= removes_dots(name, call);
        match call.arguments.args.first() {
            Some(Expr::StringLiteral(s)) => {
                let p = s.value.to_str();
                self.slash |= p.contains('/');
                self.backslash |= p.contains('\\');
            }
            // `name.replace(os.sep, "_")`: the platform's separator; `os.altsep` its other one
            // (`/` on Windows, none on POSIX). Together they remove every separator.
            Some(Expr::Attribute(a)) => {
                let module = match &*a.value {
                    Expr::Name(n) => n.id.as_str(),
                    // `os.path.sep`
                    Expr::Attribute(p)
                        if p.attr.as_str() == "path"
                            && matches!(&*p.value, Expr::Name(n) if n.id.as_str() == "os") =>
                    {
                        "os"
                    }
                    _ => return,
                };
                match (module, a.attr.as_str()) {
                    ("os" | "posixpath", "sep") | ("ntpath", "altsep") => self.slash = true,
                    ("os", "altsep") | ("ntpath", "sep") => self.backslash = true,
                    _ => {}
                }
            }
            Some(Expr::Name(n)) => match n.id.as_str() {
                "sep" => self.bare_sep = true,
                "altsep" => self.bare_altsep = true,
                _ => {}
            },
            _ => {}
        }
    }
}

/// `v.replace(".", "")` or `re.sub(r"[?.!]", "", v)`: every `.` removed (replaced by text with
/// none). A regular expression counts only as a plain character class naming `.` (escaped or
/// not, since a class takes it literally).
fn removes_dots(name: &str, call: &ast::ExprCall) -> bool {
    let [Expr::StringLiteral(pattern), Expr::StringLiteral(with), ..] = &*call.arguments.args
    else {
        return false;
    };
    let (pattern, with) = (pattern.value.to_str(), with.value.to_str());
    if with.contains('.') {
        return false;
    }
    match name {
        "replace" => pattern == ".",
        "sub" => {
            pattern == r"\."
                || pattern.len() > 2
                    && pattern.starts_with('[')
                    && pattern.ends_with(']')
                    && !pattern.starts_with("[^")
                    && pattern[1..pattern.len() - 1].contains('.')
                    && !pattern[1..pattern.len() - 1].contains(['[', ']'])
        }
        _ => false,
    }
}

impl Facts {
    /// `dirname(p) != base`: the path is directly inside the base.
    fn path_comparison(&mut self, c: &ast::ExprCompare) {
        let sides = || std::iter::once(&*c.left).chain(c.comparators.iter());
        let is_dirname = |e: &Expr| {
            matches!(e, Expr::Call(call) if matches!(&*call.func,
                Expr::Attribute(a) if a.attr.as_str() == "dirname"))
        };
        self.dirname_compared |= sides().any(is_dirname);
        self.basename_compared |= names_one_component(c);
    }
}

/// `os.path.basename(p) == p` (either way round, `==` or `!=`): a test that `p` is one path
/// component, with no separator in it.
pub fn names_one_component(c: &ast::ExprCompare) -> bool {
    let [right] = &*c.comparators else {
        return false;
    };
    fn basename_of(e: &Expr) -> Option<&Expr> {
        match e {
            Expr::Call(call)
                if matches!(&*call.func,
                Expr::Attribute(a) if a.attr.as_str() == "basename") =>
            {
                call.arguments.args.first()
            }
            _ => None,
        }
    }
    let same = |a: &Expr, b: &Expr| {
        ruff_python_ast::comparable::ComparableExpr::from(a)
            == ruff_python_ast::comparable::ComparableExpr::from(b)
    };
    matches!(c.ops[0], ast::CmpOp::Eq | ast::CmpOp::NotEq)
        && (basename_of(&c.left).is_some_and(|x| same(x, right))
            || basename_of(right).is_some_and(|x| same(x, &c.left)))
}

impl<'a> Visitor<'a> for Facts {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.note_literals(stmt);
        match stmt {
            Stmt::Raise(_) => self.raises = true,
            Stmt::Return(r) => match r.value.as_deref() {
                Some(Expr::BooleanLiteral(b)) if !b.value => self.returns_false = true,
                // `return False, "reason"`: a verdict with its explanation.
                Some(Expr::Tuple(t)) if matches!(t.elts.first(), Some(Expr::BooleanLiteral(b)) if !b.value) => {
                    self.returns_false = true
                }
                Some(Expr::Compare(_)) => self.returns_compare = true,
                Some(Expr::NoneLiteral(_)) => self.returns_none = true,
                Some(Expr::Call(c)) if is_verdict_call(c) => self.returns_verdict = true,
                // `return parsed.scheme == "" and parsed.netloc == "" and path in allowed`
                Some(Expr::BoolOp(b))
                    if b.op == ast::BoolOp::And
                        && b.values.iter().any(|v| matches!(v, Expr::Compare(_))) =>
                {
                    self.returns_compare = true
                }
                _ => {}
            },
            // A nested function's body is not this function's.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            _ => {}
        }
        self.depth += 1;
        visitor::walk_stmt(self, stmt);
        self.depth -= 1;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.depth > MAX_DEPTH {
            return;
        }
        match expr {
            Expr::Call(c) => {
                let name = match &*c.func {
                    Expr::Name(n) => Some(n.id.as_str()),
                    Expr::Attribute(a) => Some(a.attr.as_str()),
                    _ => None,
                };
                if let Some(name) = name {
                    if name == "abort" {
                        self.raises = true;
                    }
                    self.separator_pattern(name, c);
                    self.calls.push(name.to_string());
                }
            }
            Expr::Attribute(a) if matches!(a.attr.as_str(), "hostname" | "netloc" | "scheme") => {
                self.host_read = true;
            }
            Expr::Compare(c) => self.path_comparison(c),
            _ => {}
        }
        self.depth += 1;
        visitor::walk_expr(self, expr);
        self.depth -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    fn of(src: &str) -> Traits {
        let parsed = parse_module(src).unwrap();
        let module = parsed.into_syntax();
        match &module.body[0] {
            Stmt::FunctionDef(f) => traits(f),
            _ => panic!("not a function"),
        }
    }

    #[test]
    fn file_name_cleaners() {
        assert!(
            of("def f(v):\n    v = v.replace('/', '_')\n    return re.sub(r'[\\\\:*]', '_', v)\n")
                .path_sanitiser
        );
        assert!(of("def f(v):\n    return secure_filename(v)\n").path_sanitiser);
        assert!(!of("def f(v):\n    return v.replace('/', '_')\n").path_sanitiser);
        let platform = "def f(v):\n    v = v.replace(sep, ' ')\n    if altsep:\n        v = v.replace(altsep, ' ')\n    return v\n";
        assert!(of(platform).path_sanitiser);
        assert!(
            of("def f(v):\n    return v.replace(os.path.sep, '_').replace(os.altsep, '_')\n")
                .path_sanitiser
        );
        assert!(
            !of("def f(v):\n    return v.replace(os.pathsep, '_').replace('\\\\', '_')\n")
                .path_sanitiser
        );
        // A `sep` the function is given is not the platform's.
        assert!(
            !of("def f(v, sep):\n    return v.replace(sep, '_').replace(altsep, '_')\n")
                .path_sanitiser
        );
    }

    #[test]
    fn dot_and_leading_slash_strippers() {
        let stripped = "def f(v):\n    v = re.sub(r'[?|.|#]', '', v)\n    return v.lstrip('-/')\n";
        assert!(of(stripped).path_sanitiser);
        assert!(of("def f(v):\n    return v.replace('.', '').strip('/')\n").path_sanitiser);
        // Dots only: an absolute path stays absolute.
        assert!(!of("def f(v):\n    return v.replace('.', '')\n").path_sanitiser);
        // A negated class keeps the dots; a dot replaced by another dot is still there.
        assert!(!of("def f(v):\n    return re.sub(r'[^.]', '', v).lstrip('/')\n").path_sanitiser);
        assert!(!of("def f(v):\n    return v.replace('.', '..').lstrip('/')\n").path_sanitiser);
    }

    #[test]
    fn containment_verdicts() {
        let t = of("def f(p, dirs):\n    if p in KNOWN:\n        return True\n    r = Path(p).resolve()\n    return any(r.is_relative_to(d) for d in dirs)\n");
        assert!(t.path_verdict && !t.path_guard);
        assert!(
            of("def f(p, base):\n    return os.path.realpath(p).startswith(base)\n").path_verdict
        );
        assert!(
            !of("def f(p, base):\n    Path(p).resolve().is_relative_to(base)\n    return True\n")
                .path_verdict
        );
        assert!(!of("def f(p):\n    return any(p.endswith(e) for e in EXTS)\n").path_verdict);
    }

    #[test]
    fn containment_checks() {
        let t = of("def f(p, base):\n    try:\n        Path(p).resolve().relative_to(base)\n        return True\n    except ValueError:\n        return False\n");
        assert!(t.path_guard && !t.raises);
        let t = of("def f(base, p):\n    p = os.path.realpath(p)\n    if not p.startswith(base):\n        raise PermissionError()\n");
        assert!(t.path_guard && t.raises);
        assert!(!of("def f(p):\n    return os.path.realpath(p)\n").path_guard);
        let t = of("def f(p, base):\n    p = os.path.abspath(p)\n    if os.path.commonprefix([base, p]) != base:\n        raise ValueError(p)\n    return p\n");
        assert!(t.path_guard && t.raises && t.checked_path);
    }

    fn init_of(src: &str) -> bool {
        let parsed = parse_module(src).unwrap();
        let module = parsed.into_syntax();
        match &module.body[0] {
            Stmt::FunctionDef(f) => fields_only(f),
            _ => panic!("not a function"),
        }
    }

    #[test]
    fn constructors_storing_fields() {
        assert!(init_of("def __init__(self, a, b):\n    super().__init__()\n    self.a = a\n    self.b = f(b)\n    self.load()\n"));
        // The analysis reads the parent constructor's fields.
        assert!(init_of("def __init__(self, a):\n    super().__init__(a)\n"));
        assert!(init_of(
            "def __init__(self, a):\n    Base.__init__(self, a)\n"
        ));
        assert!(!init_of("def __init__(self, a):\n    super().setup(a)\n"));
        assert!(!init_of(
            "def __init__(self, a):\n    Base.__init__(other, a)\n"
        ));
        assert!(!init_of(
            "def __init__(self, a):\n    if a:\n        self.items.append(a)\n"
        ));
        assert!(!init_of(
            "def __init__(self, **kw):\n    self.__dict__.update(kw)\n"
        ));
    }

    #[test]
    fn checked_paths() {
        let inside = "def f(base, name):\n    p = os.path.realpath(os.path.join(base, name))\n    if os.path.dirname(p) != base:\n        return None\n    return p\n";
        assert!(of(inside).checked_path);
        let raising = "def f(base, name):\n    p = Path(base, name).resolve()\n    if not p.is_relative_to(base):\n        abort(403)\n    return p\n";
        assert!(of(raising).checked_path);
        assert!(!of("def f(p):\n    return os.path.realpath(p)\n").checked_path);
        // A boolean verdict is a guard, not a path.
        let t = of("def f(p, base):\n    return os.path.realpath(p).startswith(base)\n");
        assert!(!t.checked_path);
    }

    #[test]
    fn literal_hooks() {
        assert!(of("def f(self):\n    return '<p>{{ form.x }}</p>'\n").returns_literal);
        assert!(of("def f(self):\n    out = ''\n    if self.a:\n        out = f'<p>{{ x }}</p>'\n    return out\n").returns_literal);
        assert!(!of("def f(self):\n    out = ''\n    if self.a:\n        out = self.a\n    return out\n").returns_literal);
        assert!(!of("def f(self):\n    return f'<p>{self.a}</p>'\n").returns_literal);
        assert!(!of("def f(self, x):\n    return x\n").returns_literal);
    }

    #[test]
    fn url_checks() {
        assert!(of("def f(u):\n    p = urlparse(u)\n    return p.hostname in ALLOWED\n").url_guard);
        assert!(!of("def f(u):\n    return urlparse(u).path\n").url_guard);
        assert!(of("def f(u, paths):\n    p = urlparse(u)\n    return p.scheme == '' and p.netloc == '' and p.path in paths\n").url_guard);
    }
}
