//! FS112 jinja-autoescape-disabled.

use ruff_python_ast::visitor::{walk_expr, walk_stmt, Visitor};
use ruff_python_ast::{Expr, ExprCall, Stmt};
use ruff_text_size::Ranged;

use super::helpers::{
    autoescape_setting, in_cli_command, is_falsy_literal, keyword, literal_text, AutoescapeSetting,
};
use super::{Precision, Rule, RuleKind, Suite};
use crate::finding::Severity;
use crate::python::checker::Checker;

pub const RULE: Rule = Rule {
    id: "FS112",
    name: "jinja-autoescape-disabled",
    severity: Severity::High,
    cwe: &[79],
    kind: RuleKind::Pattern,
    precision: Precision::High,
    suite: Suite::Default,
    message: "Jinja2 autoescaping is disabled: every variable in the template is rendered as raw HTML",
    fix: "Pass `autoescape=select_autoescape([\"html\", \"xml\"])` (or `True`) to `jinja2.Environment`; never set `app.jinja_env.autoescape = False`.",
    help: "Jinja2's own default is no escaping. A template rendered without autoescape turns every user-controlled variable into a stored or reflected XSS.",
    bad: "env = jinja2.Environment(loader=FileSystemLoader(\"templates\"))",
    good: "env = jinja2.Environment(loader=FileSystemLoader(\"templates\"), autoescape=select_autoescape())",
};

/// `jinja2.Environment(...)`/`Template(...)` without autoescape, or with it off.
pub fn check_call(cx: &mut Checker, call: &ExprCall, callee: &str) {
    let what = match callee {
        "jinja2.Environment" | "jinja2.environment.Environment" => "jinja2.Environment",
        "jinja2.Template" | "jinja2.environment.Template" => "jinja2.Template",
        _ => return,
    };
    if cx
        .module_variable_of(call.range())
        .is_some_and(|name| !is_used(cx, name))
    {
        return; // Never renders anything, so nothing goes out unescaped.
    }
    // A command-line program's templates make files and terminal text, not web pages.
    if is_command_line_module(&cx.file.ast.body) || in_cli_command(cx) {
        return;
    }
    if what == "jinja2.Template" && renders_only_arguments(cx, call) {
        return;
    }
    if makes_latex(call) || loads_only_non_html(cx, call) || named_non_html(cx, call, what) {
        return;
    }
    // A template compiled from one string (`Template(COMPS_XML)`, `Template(fd.read())`) is
    // how code writes configuration, documents, prompts and mail: on real applications such
    // templates were never pages, so they are the rule's audit part. An `Environment` with a
    // loader is how pages are served.
    let audit = what == "jinja2.Template";
    let (range, message) = match keyword(call, "autoescape") {
        None => {
            if call.arguments.keywords.iter().any(|k| k.arg.is_none()) {
                return; // `**options` may set it.
            }
            (
                call.range(),
                format!(
                    "`{what}` is created without `autoescape`: Jinja2 does not escape by default"
                ),
            )
        }
        Some(v) if is_falsy_literal(v) => (
            v.range(),
            format!("`{what}` is created with `autoescape=False`"),
        ),
        Some(_) => return,
    };
    if audit {
        cx.report_audit_msg(&RULE, range, message);
    } else {
        cx.report_msg(&RULE, range, message);
    }
}

/// Whether the module-level variable `name` is read anywhere: as a bare name in its own file
/// (`name.get_template`, not `app.name`), or imported by name in another module.
fn is_used(cx: &Checker, name: &str) -> bool {
    let text = cx.file.text.as_bytes();
    let is_ident = |b: u8| b == b'_' || b.is_ascii_alphanumeric();
    let bare_uses = memchr::memmem::find_iter(text, name.as_bytes())
        .filter(|&at| {
            let before = at.checked_sub(1).map(|i| text[i]);
            let after = text.get(at + name.len()).copied();
            !before.is_some_and(|b| is_ident(b) || b == b'.') && !after.is_some_and(is_ident)
        })
        .count();
    // One bare occurrence is the definition itself.
    bare_uses > 1 || cx.project.imports_name(name)
}

/// `t = Template(pattern)` in a function of a module that imports no web framework, where `t`
/// is only rendered into local names (`url = t.render(i=n)`) that are only handed to calls
/// (`fetch(url)`) or tested: a string built for a URL or a file name, never returned, stored
/// or written out where a page could take it.
fn renders_only_arguments(cx: &Checker, call: &ExprCall) -> bool {
    let Some(function) = cx.enclosing_function() else {
        return false;
    };
    let Some((template, value)) = cx.assignment_to_name() else {
        return false;
    };
    if value.range() != call.range() {
        return false;
    }
    let mut packages: Vec<&str> = Vec::new();
    collect_imports(&cx.file.ast.body, 0, &mut packages);
    if packages.iter().any(|p| WEB.contains(p)) {
        return false;
    }
    let mut renders = RenderUses {
        template,
        results: Vec::new(),
        ok: true,
    };
    renders.visit_body(&function.body);
    if !renders.ok || renders.results.is_empty() {
        return false;
    }
    let mut results = ArgumentUses {
        names: &renders.results,
        ok: true,
    };
    results.visit_body(&function.body);
    results.ok
}

/// `env = Environment(loader=...)` whose every use in its scope is `env.get_template("x.cfg")`
/// with a literal name of a non-HTML file (`config.cfg.template`, `unit.service.j2`): the
/// environment writes configuration or source files, where HTML escaping would corrupt them.
fn loads_only_non_html(cx: &Checker, call: &ExprCall) -> bool {
    let Some((env, value)) = cx.assignment_to_name() else {
        return false;
    };
    if value.range() != call.range() {
        return false;
    }
    let body = match cx.enclosing_function() {
        Some(f) => &f.body,
        None => &cx.file.ast.body,
    };
    let mut loads = TemplateLoads {
        env,
        names: Vec::new(),
        other_use: false,
    };
    loads.visit_body(body);
    !loads.other_use
        && !loads.names.is_empty()
        && loads.names.iter().all(|n| names_non_html_file(n))
}

/// Whether what the templates come from is named for text that is not HTML: an
/// `Environment(loader=FileSystemLoader("js-templates"))` folder (the loader may be built into
/// a local first), or a `Template(SQL_QUERY)` source constant. Such a name states what the
/// output is for (a script, a query, a prompt), where HTML escaping would corrupt it.
fn named_non_html(cx: &Checker, call: &ExprCall, what: &str) -> bool {
    if what == "jinja2.Template" {
        return match call
            .arguments
            .args
            .first()
            .or_else(|| keyword(call, "source"))
        {
            Some(source @ (Expr::Name(_) | Expr::Attribute(_))) => {
                super::helpers::last_name(source).is_some_and(|n| {
                    super::helpers::is_constant_style(&n) && names_non_html_kind(&n)
                })
            }
            _ => false,
        };
    }
    match keyword(call, "loader") {
        Some(loader @ Expr::Call(_)) => loader_named_non_html(loader),
        Some(Expr::Name(n)) => super::local_flow::assigned_values(cx, n.id.as_str(), call.start())
            .is_some_and(|values| {
                !values.is_empty() && values.into_iter().all(loader_named_non_html)
            }),
        _ => false,
    }
}

/// `FileSystemLoader("js-templates")`, `PackageLoader("pkg", "sql")`,
/// `FileSystemLoader(os.path.join(base, "prompts"))`: a loader whose folder is named for
/// non-HTML text. A package name is no folder, and a name mentioning HTML is a page's.
fn loader_named_non_html(loader: &Expr) -> bool {
    let Expr::Call(c) = loader else { return false };
    let Some(kind) = super::helpers::last_name(&c.func) else {
        return false;
    };
    if !kind.ends_with("Loader") {
        return false;
    }
    let skip = usize::from(kind == "PackageLoader");
    let folder_named =
        |text: &str| !text.to_ascii_lowercase().contains("html") && names_non_html_kind(text);
    let literal = |e: &Expr| matches!(e, Expr::StringLiteral(s) if folder_named(s.value.to_str()));
    c.arguments.args.iter().skip(skip).any(|a| match a {
        Expr::Call(join) => join.arguments.args.last().is_some_and(literal),
        other => literal(other),
    }) || keyword(c, "searchpath").is_some_and(literal)
        || keyword(c, "package_path").is_some_and(literal)
}

/// Whether a folder or constant name says its text is a script, a query, a prompt or data.
fn names_non_html_kind(name: &str) -> bool {
    crate::rules::helpers::words(name).iter().any(|w| {
        matches!(
            w.as_str(),
            "js" | "javascript"
                | "sql"
                | "query"
                | "prompt"
                | "prompts"
                | "yaml"
                | "json"
                | "latex"
                | "tex"
                | "shell"
                | "script"
                | "scripts"
        )
    })
}

/// Whether a template name's own file type (its extensions, past generic template suffixes
/// like `.j2`) is one that is not HTML: configuration, data, source or plain text.
fn names_non_html_file(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    let mut extensions: Vec<&str> = file.split('.').skip(1).collect();
    while extensions
        .last()
        .is_some_and(|e| matches!(*e, "j2" | "jinja" | "jinja2" | "tmpl" | "tpl" | "template"))
    {
        extensions.pop();
    }
    extensions.last().is_some_and(|e| {
        matches!(
            *e,
            "cfg"
                | "conf"
                | "ini"
                | "toml"
                | "yaml"
                | "yml"
                | "json"
                | "txt"
                | "py"
                | "sh"
                | "sql"
                | "tex"
                | "md"
                | "rst"
                | "csv"
                | "env"
                | "service"
        )
    })
}

/// Collects the literal names of `env.get_template("...")`; any other read of `env` is noted.
struct TemplateLoads<'n> {
    env: &'n str,
    names: Vec<String>,
    other_use: bool,
}

impl<'x> Visitor<'x> for TemplateLoads<'_> {
    fn visit_expr(&mut self, e: &'x Expr) {
        if let Expr::Call(c) = e {
            if let Expr::Attribute(a) = &*c.func {
                if is_name(&a.value, self.env) && a.attr.as_str() == "get_template" {
                    match c.arguments.args.first().and_then(literal_text) {
                        Some(name) if c.arguments.args.len() == 1 => self.names.push(name),
                        _ => self.other_use = true,
                    }
                    for k in c.arguments.keywords.iter() {
                        self.visit_expr(&k.value);
                    }
                    return;
                }
            }
        }
        if let Expr::Name(n) = e {
            self.other_use |= n.id.as_str() == self.env && n.ctx.is_load();
        }
        walk_expr(self, e);
    }
}

/// Whether `e` is the bare name `name`.
fn is_name(e: &Expr, name: &str) -> bool {
    matches!(e, Expr::Name(n) if n.id.as_str() == name)
}

/// Collects `x` of each `x = template.render(...)`; any other read of the template (bar a
/// truth test) clears `ok`.
struct RenderUses<'t> {
    template: &'t str,
    results: Vec<String>,
    ok: bool,
}

impl<'a> Visitor<'a> for RenderUses<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Stmt::If(i) = stmt {
            if is_name(&i.test, self.template) {
                self.visit_body(&i.body);
                for c in &i.elif_else_clauses {
                    if let Some(t) = &c.test {
                        self.visit_expr(t);
                    }
                    self.visit_body(&c.body);
                }
                return;
            }
        }
        if let Stmt::Assign(a) = stmt {
            if let ([Expr::Name(target)], Expr::Call(c)) = (a.targets.as_slice(), &*a.value) {
                if let Expr::Attribute(f) = &*c.func {
                    if f.attr.as_str() == "render" && is_name(&f.value, self.template) {
                        self.results.push(target.id.to_string());
                        for arg in &c.arguments.args {
                            self.visit_expr(arg);
                        }
                        for k in &c.arguments.keywords {
                            self.visit_expr(&k.value);
                        }
                        return;
                    }
                }
            }
        }
        walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, e: &'a Expr) {
        match e {
            Expr::Name(n) if n.id.as_str() == self.template && n.ctx.is_load() => self.ok = false,
            _ => walk_expr(self, e),
        }
    }
}

/// Methods that keep or send their argument (a container, a stream, a socket): a rendered
/// string handed to them may end up anywhere.
const KEEPING: &[&str] = &[
    "append",
    "extend",
    "insert",
    "add",
    "update",
    "setdefault",
    "write",
    "writelines",
    "send",
    "sendall",
    "put",
    "set",
];

/// Clears `ok` at any read of `names` other than as a direct argument of a call that does not
/// keep it, or a truth test.
struct ArgumentUses<'n> {
    names: &'n [String],
    ok: bool,
}

impl ArgumentUses<'_> {
    fn is_result(&self, e: &Expr) -> bool {
        matches!(e, Expr::Name(n) if self.names.iter().any(|r| r == n.id.as_str()))
    }
}

impl<'a> Visitor<'a> for ArgumentUses<'_> {
    fn visit_expr(&mut self, e: &'a Expr) {
        match e {
            Expr::Name(n) if n.ctx.is_load() && self.is_result(e) => self.ok = false,
            Expr::Call(c) => {
                let keeps =
                    matches!(&*c.func, Expr::Attribute(a) if KEEPING.contains(&a.attr.as_str()));
                self.visit_expr(&c.func);
                let args = c.arguments.args.iter();
                for arg in args.chain(c.arguments.keywords.iter().map(|k| &k.value)) {
                    if keeps || !self.is_result(arg) {
                        self.visit_expr(arg);
                    }
                }
            }
            _ => walk_expr(self, e),
        }
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::If(i) if self.is_result(&i.test) => {
                self.visit_body(&i.body);
                for c in &i.elif_else_clauses {
                    if let Some(t) = c.test.as_ref().filter(|t| !self.is_result(t)) {
                        self.visit_expr(t);
                    }
                    self.visit_body(&c.body);
                }
            }
            _ => walk_stmt(self, stmt),
        }
    }
}

/// Packages that parse a command line, and packages that answer HTTP requests.
const COMMAND_LINE: &[&str] = &["click", "argparse", "typer", "docopt", "fire"];
const WEB: &[&str] = &[
    "flask",
    "werkzeug",
    "quart",
    "starlette",
    "fastapi",
    "django",
    "aiohttp",
    "tornado",
    "bottle",
    "pyramid",
    "falcon",
    "sanic",
    "connexion",
];

/// Whether the module is a command-line program: it imports a command-line parser and no web
/// framework (top level, or in a top-level `try`/`if`).
fn is_command_line_module(body: &[Stmt]) -> bool {
    let mut packages: Vec<&str> = Vec::new();
    collect_imports(body, 0, &mut packages);
    packages.iter().any(|p| COMMAND_LINE.contains(p)) && !packages.iter().any(|p| WEB.contains(p))
}

fn collect_imports<'s>(body: &'s [Stmt], depth: u32, out: &mut Vec<&'s str>) {
    let top = |m: &'s str| m.split('.').next().unwrap_or(m);
    for stmt in body {
        match stmt {
            Stmt::Import(i) => out.extend(i.names.iter().map(|a| top(a.name.as_str()))),
            Stmt::ImportFrom(i) => out.extend(i.module.as_ref().map(|m| top(m.as_str()))),
            Stmt::Try(t) if depth < 2 => {
                collect_imports(&t.body, depth + 1, out);
                for h in &t.handlers {
                    let ruff_python_ast::ExceptHandler::ExceptHandler(h) = h;
                    collect_imports(&h.body, depth + 1, out);
                }
            }
            Stmt::If(i) if depth < 2 => {
                collect_imports(&i.body, depth + 1, out);
                for c in &i.elif_else_clauses {
                    collect_imports(&c.body, depth + 1, out);
                }
            }
            _ => {}
        }
    }
}

/// `Environment(variable_start_string=r"\VAR{", ...)`: delimiters spelled as LaTeX commands
/// (`\VAR{`, `\BLOCK{`) or in the `((*`/`(((` convention keep Jinja out of TeX's braces. Such
/// templates make LaTeX sources, which HTML escaping would corrupt, not web pages.
fn makes_latex(call: &ExprCall) -> bool {
    ["variable_start_string", "block_start_string"]
        .iter()
        .filter_map(|k| keyword(call, k))
        .any(|v| {
            matches!(v, Expr::StringLiteral(s) if {
                let text = s.value.to_str();
                text.starts_with('\\') || text.starts_with("((")
            })
        })
}

/// `app.jinja_env.autoescape = False`, `app.jinja_options = {"autoescape": False}`.
pub fn check_stmt(cx: &mut Checker, stmt: &Stmt) {
    let message = match autoescape_setting(stmt) {
        Some(AutoescapeSetting::Env(v)) if is_falsy_literal(v) => {
            "`jinja_env.autoescape = False` turns off escaping in every template"
        }
        Some(AutoescapeSetting::Options(v)) if is_falsy_literal(v) => {
            "`jinja_options` turns autoescaping off"
        }
        _ => return,
    };
    cx.report_msg(&RULE, stmt.range(), message.into());
}
