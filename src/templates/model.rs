//! One pass over a template's tokens that builds what the rules judge: every output with its HTML
//! context and the context variables it reads, `autoescape false` blocks, POST forms, external
//! resources, and the templates it extends, includes and imports.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::expr::{self, Expression};
use super::html::{Context, Scanner, Tag};
use super::lexer::{self, Problem, TokenKind};

/// Filters that escape their input for HTML.
const ESCAPING_FILTERS: &[&str] = &["e", "escape", "forceescape", "tojson"];

/// Filters whose output is a number, a size or URL-encoded text: nothing an attacker can use to
/// add markup or attributes, even in an unquoted attribute.
pub const NO_SPACE_FILTERS: &[&str] = &[
    "int",
    "float",
    "length",
    "count",
    "urlencode",
    "round",
    "abs",
    "filesizeformat",
    "wordcount",
];

/// Functions whose output is not attacker-controlled markup.
const TRUSTED_CALLS: &[&str] = &[
    "url_for",
    "csrf_token",
    "caller",
    "super",
    "range",
    "lipsum",
    "cycler",
    "joiner",
];

/// Tags that open a block closed by `end<tag>`.
const BLOCK_TAGS: &[&str] = &[
    "if",
    "for",
    "block",
    "macro",
    "call",
    "filter",
    "with",
    "autoescape",
    "trans",
];

/// Where a value comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Value {
    /// Context variables (what the view passes, or template globals like `request`) it reads.
    pub vars: Vec<String>,
    /// Whether it also reads something of unknown origin: a macro parameter, an unknown function.
    pub unknown: bool,
}

impl Value {
    /// Whether nothing in the value can come from outside the template.
    pub fn is_literal(&self) -> bool {
        self.vars.is_empty() && !self.unknown
    }

    fn merge(&mut self, other: Value) {
        for v in other.vars {
            if !self.vars.contains(&v) {
                self.vars.push(v);
            }
        }
        self.unknown |= other.unknown;
    }
}

/// `{{ ... }}`, or the value of a `{% set %}`, judged.
#[derive(Debug, Clone)]
pub struct Output {
    /// The whole token.
    pub span: Range<usize>,
    /// The expression text.
    pub source: String,
    /// Where it lands in the HTML; `None` for a `set` value.
    pub context: Option<Context>,
    /// When the chain applies `|safe` to a value not neutralized first: what that value reads.
    pub marked_safe: Option<Value>,
    /// What the rendered value reads, whatever the filters.
    pub rendered: Value,
    /// The filter names, in order.
    pub filters: Vec<String>,
}

/// Another template named by this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    Extends,
    Include,
    Import,
}

/// `{% extends %}`, `{% include %}`, `{% import %}`/`{% from ... import %}`.
#[derive(Debug, Clone)]
pub struct Reference {
    pub kind: ReferenceKind,
    /// Literal template names (several for `include [...]`).
    pub names: Vec<String>,
    pub span: Range<usize>,
    /// Whether the named template sees this one's context.
    pub with_context: bool,
}

/// A `<form method="post">`.
#[derive(Debug, Clone)]
pub struct Form {
    /// The start tag.
    pub span: Range<usize>,
    /// The `action` attribute, if any.
    pub action: Option<String>,
    /// Whether the form's body renders a CSRF token itself.
    pub has_token: bool,
    /// Templates included in the form's body.
    pub includes: Vec<String>,
    /// Macros called in the form's body.
    pub calls: Vec<String>,
}

/// One `{% autoescape false %}` block.
#[derive(Debug, Clone)]
pub struct AutoescapeOff {
    /// The opening tag.
    pub span: Range<usize>,
    /// What each output in the block reads, or `None` when the block also prints what no
    /// context variable names: a child's block, an included template, `caller()`, flashed
    /// messages.
    pub printed: Option<Vec<Value>>,
}

/// A `<script>` or `<link>` start tag, and whether only a debug switch renders it.
#[derive(Debug)]
pub struct Resource {
    pub tag: Tag,
    /// In the branch of an `{% if %}` that a debug setting turns on (`{% if config.VUE_DEBUG %}`),
    /// a development aid the deployed pages do not load.
    pub debug_only: bool,
    /// Names the enclosing `{% if %}` branches need set (see [`required_names`]): when the
    /// app never supplies one, the tag is never rendered.
    pub requires: Vec<String>,
}

/// Everything the template rules need to know about one template.
#[derive(Debug, Default)]
pub struct Template {
    pub outputs: Vec<Output>,
    /// `{% autoescape false %}` blocks that print data from outside the template.
    pub autoescape_off: Vec<AutoescapeOff>,
    pub forms: Vec<Form>,
    /// `<script>` and `<link>` start tags.
    pub resources: Vec<Resource>,
    pub references: Vec<Reference>,
    /// Some `{% extends %}`, `{% include %}` or `{% import %}` names its template by a
    /// variable or an expression (`{% include widget.template %}`): any template may be meant.
    pub computed_reference: bool,
    /// Local name → template, for `{% import "x" as ns %}` and `{% from "x" import m %}`.
    pub imports: HashMap<String, String>,
    /// Macros defined here, and whether each renders a CSRF token.
    pub macros: HashMap<String, bool>,
    /// Whether the template renders a CSRF token anywhere.
    pub has_token: bool,
    /// Invalid Jinja or HTML that limits the analysis.
    pub problems: Vec<Problem>,
    /// Every name the template binds itself (`set`, `for`, `with`, macro parameters).
    pub bound: HashSet<String>,
}

/// `{% block subject %}` (or `mail_subject`, `subject_line`): an e-mail's subject, plain text.
fn is_subject_block(name: &str) -> bool {
    name == "subject" || name.ends_with("_subject") || name.starts_with("subject_")
}

/// Whether an output may print data from outside the template: it reads a name (a context
/// variable, a loop or macro variable), or calls something that prints other template content
/// (`super()`, `caller()`) or request-borne messages (`get_flashed_messages()`).
fn prints_outside_data(e: &Expression) -> bool {
    !e.vars.is_empty() || e.filters.iter().any(|f| !f.vars.is_empty()) || prints_other_content(e)
}

/// Whether an output calls something that prints other template content or request-borne
/// messages, which no context variable of this template names.
fn prints_other_content(e: &Expression) -> bool {
    e.calls.iter().any(|c| {
        let last = c.rsplit('.').next().unwrap_or(c);
        matches!(
            last,
            "super" | "caller" | "get_flashed_messages" | "varargs" | "kwargs"
        )
    })
}

/// Builds the model of `text`.
pub fn analyze(text: &str) -> Template {
    let lexed = lexer::lex(text);
    let mut b = Builder {
        text,
        t: Template {
            problems: lexed.problems,
            ..Template::default()
        },
        ..Builder::default()
    };
    b.scopes.push(HashMap::new());
    for tok in &lexed.tokens {
        let inner = &text[tok.inner.clone()];
        match tok.kind {
            TokenKind::Text | TokenKind::Raw => {
                for tag in b.html.text(&text[tok.span.clone()], tok.span.start) {
                    b.tag(tag);
                }
            }
            TokenKind::Output => b.output(inner, tok.span.clone()),
            TokenKind::Statement => b.statement(inner, tok.span.clone()),
            TokenKind::Comment => {}
        }
    }
    b.finish()
}

#[derive(Default)]
struct Builder<'t> {
    text: &'t str,
    t: Template,
    html: Scanner,
    /// Template-local names (`set`, `for`, `with`, macro parameters) and what they hold.
    scopes: Vec<HashMap<String, Value>>,
    /// Open block tags: (name, offset, whether it pushed a scope).
    blocks: Vec<(String, usize, bool)>,
    /// Macros being defined.
    macros: Vec<String>,
    /// Names of the `{% block %}`s open here, innermost last.
    block_names: Vec<String>,
    /// Open `{% autoescape %}` tags, innermost last: for a `false` one, its index in
    /// `autoescape_off`.
    autoescapes: Vec<Option<usize>>,
    /// Open `{% if %}` tags, innermost last: how each tests a debug switch, and whether the
    /// branch being read is the one that switch turns on.
    ifs: Vec<IfBranch>,
    form: Option<Form>,
}

/// An open `{% if %}`.
#[derive(Debug, Default)]
struct IfBranch {
    /// `Some(true)` for `{% if config.DEBUG %}`, `Some(false)` for `{% if not config.DEBUG %}`.
    debug_test: Option<bool>,
    /// The branch being read renders only with debugging on.
    debug_only: bool,
    /// Names the branch being read needs set (see [`required_names`]).
    requires: Vec<String>,
}

impl Builder<'_> {
    fn output(&mut self, source: &str, span: Range<usize>) {
        let context = self.html.context();
        self.html.output(&self.text[span.clone()], span.clone());
        let e = Expression::parse(source);
        let token =
            source.contains("csrf") || source.contains("xsrf") || source.contains("hidden_tag");
        self.note_token(token);
        if let Some(form) = &mut self.form {
            form.calls.extend(e.calls.iter().cloned());
        }
        let marked_safe = self.marked_safe(&e);
        let rendered = self.value(&e, e.filters.len());
        if prints_outside_data(&e) {
            // Only an open `{% autoescape false %}` block keeps what was printed.
            let open = self.autoescapes.iter().any(Option::is_some);
            let printed = (open && !prints_other_content(&e)).then(|| rendered.clone());
            self.note_unescaped_print(printed);
        }
        let filters = e.filters.iter().map(|f| f.name.clone()).collect();
        self.t.outputs.push(Output {
            span,
            source: source.to_string(),
            context: Some(context),
            marked_safe,
            rendered,
            filters,
        });
    }

    /// When `e` applies `|safe` to a value no filter neutralized first: what that value reads.
    fn marked_safe(&self, e: &Expression) -> Option<Value> {
        let safe_at = e.filters.iter().position(|f| f.name == "safe")?;
        let neutral_at = e.filters.iter().position(|f| is_neutralizing(&f.name));
        neutral_at
            .is_none_or(|n| n > safe_at)
            .then(|| self.value(e, safe_at))
    }

    /// What a name bound to `e` holds: nothing from outside once a filter neutralized it.
    fn bound_value(&self, e: &Expression) -> Value {
        if e.filters.iter().any(|f| is_neutralizing(&f.name)) {
            Value::default()
        } else {
            self.value(e, e.filters.len())
        }
    }

    /// What the value of `e`, through its first `upto` filters, reads.
    fn value(&self, e: &Expression, upto: usize) -> Value {
        let mut v = Value::default();
        // `plugin_inject(pagepath)`: what an unknown function returns for its arguments is a
        // guess (it may escape them, or ignore them), so they link no view data; the value is
        // of unknown origin. A method of a variable (`post.render()`) is the variable's own.
        let guessed_call = e
            .whole_call
            .as_deref()
            .is_some_and(|c| !c.contains('.') && !self.trusted_call(c));
        if guessed_call {
            v.unknown = true;
        } else if !e
            .whole_call
            .as_deref()
            .is_some_and(|c| self.trusted_call(c))
        {
            for name in &e.vars {
                v.merge(self.resolve(name));
            }
            v.unknown |= e.calls.iter().any(|c| !self.trusted_call(c));
        }
        for f in &e.filters[..upto] {
            for name in &f.vars {
                v.merge(self.resolve(name));
            }
            v.unknown |= f.calls.iter().any(|c| !self.trusted_call(c));
        }
        v
    }

    fn resolve(&self, name: &str) -> Value {
        if name == "loop" || name == "self" || name == "varargs" || name == "kwargs" {
            return Value::default();
        }
        for scope in self.scopes.iter().rev() {
            if let Some(v) = scope.get(name) {
                return v.clone();
            }
        }
        if self.t.imports.contains_key(name) || self.t.macros.contains_key(name) {
            return Value::default();
        }
        Value {
            vars: vec![name.to_string()],
            unknown: false,
        }
    }

    fn trusted_call(&self, callee: &str) -> bool {
        let head = callee.split('.').next().unwrap_or(callee);
        TRUSTED_CALLS.contains(&callee)
            || matches!(head, "loop" | "self")
            || callee.ends_with("hidden_tag")
            || self.t.macros.contains_key(callee)
            || self.t.imports.contains_key(head)
            || self.macros.iter().any(|m| m == callee)
    }

    fn statement(&mut self, source: &str, span: Range<usize>) {
        let (tag, rest) = split_word(source);
        let rest = rest.trim();
        match tag {
            "extends" => self.reference(ReferenceKind::Extends, rest, span, true),
            "include" => {
                // What the included template prints is printed here, unescaped in a block
                // that turned escaping off.
                self.note_unescaped_print(None);
                let with_context = !rest.ends_with("without context");
                let names =
                    strip_suffixes(rest, &["without context", "with context", "ignore missing"]);
                if let Some(form) = &mut self.form {
                    form.includes.extend(expr::template_names(names));
                }
                self.reference(ReferenceKind::Include, names, span, with_context);
            }
            "import" => {
                // `import "x.html" as ns [with context]`
                let body = strip_suffixes(rest, &["without context", "with context"]);
                if let Some((name, alias)) = body.rsplit_once(" as ") {
                    for n in expr::template_names(name) {
                        self.t.imports.insert(alias.trim().to_string(), n);
                    }
                    self.reference(ReferenceKind::Import, name, span, false);
                }
            }
            "from" => {
                // `from "x.html" import a, b as c [with context]`
                let body = strip_suffixes(rest, &["without context", "with context"]);
                if let Some((name, list)) = body.split_once(" import ") {
                    let names = expr::template_names(name);
                    for item in list.split(',') {
                        let local = item.rsplit(" as ").next().unwrap_or(item).trim();
                        if let Some(n) = names.first() {
                            self.t.imports.insert(local.to_string(), n.clone());
                        }
                    }
                    self.reference(ReferenceKind::Import, name, span, false);
                }
            }
            "set" => self.set(rest, span),
            "endset" => self.close("set", span.start),
            "for" => {
                let (targets, iter) = rest.split_once(" in ").unwrap_or((rest, ""));
                let iter = strip_suffixes(iter, &["recursive"]);
                let iter = iter.split(" if ").next().unwrap_or(iter);
                let e = Expression::parse(iter);
                let value = self.bound_value(&e);
                self.open("for", span.start, true);
                for name in expr::target_names(targets) {
                    self.bind(name, value.clone());
                }
            }
            "with" => {
                let bindings: Vec<(String, Value)> = split_top(rest, ',')
                    .into_iter()
                    .filter_map(|a| {
                        let (name, val) = a.split_once('=')?;
                        Some((
                            name.trim().to_string(),
                            self.bound_value(&Expression::parse(val)),
                        ))
                    })
                    .collect();
                self.open("with", span.start, true);
                for (n, v) in bindings {
                    self.bind(n, v);
                }
            }
            "macro" => {
                let name = rest.split('(').next().unwrap_or("").trim().to_string();
                self.t.macros.entry(name.clone()).or_insert(false);
                self.macros.push(name);
                self.open("macro", span.start, true);
                self.bind_parameters(rest);
            }
            "call" => {
                self.open("call", span.start, true);
                if rest.starts_with('(') {
                    self.bind_parameters(rest);
                }
            }
            "autoescape" => {
                // An e-mail's subject line is plain text (`{% block subject %}`): nothing in it
                // is parsed as HTML.
                let subject = self.block_names.iter().any(|n| is_subject_block(n));
                if rest.eq_ignore_ascii_case("false") && !subject {
                    self.autoescapes.push(Some(self.t.autoescape_off.len()));
                    self.t.autoescape_off.push(AutoescapeOff {
                        span: span.clone(),
                        printed: Some(Vec::new()),
                    });
                } else {
                    self.autoescapes.push(None);
                }
                self.open("autoescape", span.start, true);
            }
            "block" => {
                // A child template may fill the block with anything.
                self.note_unescaped_print(None);
                let name = rest.split_whitespace().next().unwrap_or("").to_string();
                self.block_names.push(name);
                self.open("block", span.start, true);
            }
            "if" => {
                let debug_test = debug_test(rest);
                self.ifs.push(IfBranch {
                    debug_test,
                    debug_only: debug_test == Some(true),
                    requires: required_names(rest),
                });
                self.open("if", span.start, false);
            }
            "else" | "elif" => {
                // The `else` of `not DEBUG` needs the switch on; an `elif` is judged by its own
                // test, and an `else` after it by none. (A `for` loop's `else` is the loop's.)
                let in_if = self.blocks.last().is_some_and(|(open, _, _)| open == "if");
                if let Some(b) = self.ifs.last_mut().filter(|_| in_if) {
                    if tag == "elif" {
                        b.debug_only = debug_test(rest) == Some(true);
                        b.debug_test = None;
                        b.requires = required_names(rest);
                    } else {
                        b.debug_only = b.debug_test == Some(false);
                        b.requires.clear();
                    }
                }
            }
            t if BLOCK_TAGS.contains(&t) => self.open(t, span.start, t == "filter"),
            t if t.starts_with("end") => self.close(&t[3..], span.start),
            _ => {}
        }
    }

    fn set(&mut self, rest: &str, span: Range<usize>) {
        let Some((target, value)) = split_assignment(rest) else {
            // `{% set x %}...{% endset %}`: the body is rendered with escaping, so it is markup.
            self.open("set", span.start, false);
            for name in expr::target_names(rest.split('|').next().unwrap_or(rest)) {
                self.bind(name, Value::default());
            }
            return;
        };
        let e = Expression::parse(value);
        let marked_safe = self.marked_safe(&e);
        let bound = self.bound_value(&e);
        if marked_safe.is_some() {
            let filters = e.filters.iter().map(|f| f.name.clone()).collect();
            let source = format!("set {} = {}", target.trim(), value.trim());
            self.t.outputs.push(Output {
                span,
                source,
                context: None,
                marked_safe,
                rendered: bound.clone(),
                filters,
            });
        }
        // `ns.attr = ...` writes into a namespace object; not a name binding.
        if !target.contains('.') {
            for name in expr::target_names(target) {
                self.bind(name, bound.clone());
            }
        }
    }

    fn bind_parameters(&mut self, signature: &str) {
        let Some(params) = signature
            .split_once('(')
            .map(|(_, p)| p.rsplit_once(')').map_or(p, |(p, _)| p))
        else {
            return;
        };
        for p in split_top(params, ',') {
            let name = p.split('=').next().unwrap_or("").trim();
            if !name.is_empty() {
                self.bind(
                    name.to_string(),
                    Value {
                        vars: Vec::new(),
                        unknown: true,
                    },
                );
            }
        }
    }

    fn bind(&mut self, name: String, value: Value) {
        self.t.bound.insert(name.clone());
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name, value);
        }
    }

    fn open(&mut self, tag: &str, at: usize, scoped: bool) {
        self.blocks.push((tag.to_string(), at, scoped));
        if scoped {
            self.scopes.push(HashMap::new());
        }
    }

    fn close(&mut self, tag: &str, at: usize) {
        match self.blocks.last() {
            Some((open, _, _)) if open == tag => {}
            _ if !BLOCK_TAGS.contains(&tag) && tag != "set" => return,
            Some((open, _, _)) => {
                let message = format!("`{{% end{tag} %}}` while `{{% {open} %}}` is open");
                self.t.problems.push(Problem {
                    offset: at,
                    message,
                });
                return;
            }
            None => {
                let message = format!("`{{% end{tag} %}}` without a matching `{{% {tag} %}}`");
                self.t.problems.push(Problem {
                    offset: at,
                    message,
                });
                return;
            }
        }
        let (_, _, scoped) = self.blocks.pop().unwrap_or_default();
        if scoped && self.scopes.len() > 1 {
            self.scopes.pop();
        }
        if tag == "macro" {
            self.macros.pop();
        }
        if tag == "block" {
            self.block_names.pop();
        }
        if tag == "autoescape" {
            self.autoescapes.pop();
        }
        if tag == "if" {
            self.ifs.pop();
        }
    }

    /// Something printed here may carry outside data: every open `{% autoescape false %}` block
    /// prints it unescaped. `printed`: what it reads, `None` when no context variable names it.
    fn note_unescaped_print(&mut self, printed: Option<Value>) {
        for &index in self.autoescapes.iter().flatten() {
            let block = &mut self.t.autoescape_off[index].printed;
            match (&printed, block.as_mut()) {
                (Some(value), Some(values)) => values.push(value.clone()),
                _ => *block = None,
            }
        }
    }

    fn reference(
        &mut self,
        kind: ReferenceKind,
        names: &str,
        span: Range<usize>,
        with_context: bool,
    ) {
        let names = expr::template_names(names);
        self.t.computed_reference |= names.is_empty();
        if !names.is_empty() {
            self.t.references.push(Reference {
                kind,
                names,
                span,
                with_context,
            });
        }
    }

    fn note_token(&mut self, token: bool) {
        if !token {
            return;
        }
        self.t.has_token = true;
        if let Some(f) = &mut self.form {
            f.has_token = true;
        }
        for m in &self.macros {
            self.t.macros.insert(m.clone(), true);
        }
    }

    fn tag(&mut self, tag: Tag) {
        match (tag.name.as_str(), tag.end_tag) {
            // Browsers ignore a `<form>` nested in another.
            ("form", false) if self.form.is_none() && is_post(&tag) => {
                self.form = Some(Form {
                    span: tag.span.clone(),
                    action: tag.value("action").map(str::to_string),
                    has_token: false,
                    includes: Vec::new(),
                    calls: Vec::new(),
                });
            }
            ("form", true) => {
                if let Some(f) = self.form.take() {
                    self.t.forms.push(f);
                }
            }
            ("input", false) => {
                // `csrf_token`, `_xsrf`, `authenticity_token`, `nonce`, or a per-user auth token
                // sent in the body: a value another site cannot know.
                let named_token = tag.value("name").is_some_and(|n| {
                    let n = n.to_ascii_lowercase();
                    ["csrf", "xsrf", "token", "nonce"]
                        .iter()
                        .any(|w| n.contains(w))
                });
                self.note_token(named_token);
            }
            ("script" | "link", false) => {
                let debug_only = self.ifs.iter().any(|b| b.debug_only);
                let requires = self.ifs.iter().flat_map(|b| b.requires.clone()).collect();
                self.t.resources.push(Resource {
                    tag,
                    debug_only,
                    requires,
                });
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Template {
        if let Some(f) = self.form.take() {
            self.t.forms.push(f);
        }
        // An autoescape-off block that printed only literal text, translations and URLs the
        // app builds (`{{ _('Go to %(p)s', p=url_for('index')) }}`) turns escaping off for
        // nothing from outside.
        self.t
            .autoescape_off
            .retain(|block| block.printed.as_ref().is_none_or(|p| !p.is_empty()));
        let unclosed: HashSet<(String, usize)> = self
            .blocks
            .iter()
            .map(|(t, at, _)| (t.clone(), *at))
            .collect();
        let mut unclosed: Vec<_> = unclosed.into_iter().collect();
        unclosed.sort_by_key(|(_, at)| *at);
        for (tag, at) in unclosed {
            self.t.problems.push(Problem {
                offset: at,
                message: format!("`{{% {tag} %}}` is never closed"),
            });
        }
        if let Some((at, what)) = self.html.unfinished() {
            self.t.problems.push(Problem {
                offset: at,
                message: format!("the template ends inside {what}"),
            });
        }
        self.t
    }
}

fn is_post(form: &Tag) -> bool {
    form.value("method")
        .is_some_and(|m| m.eq_ignore_ascii_case("post"))
}

fn is_neutralizing(filter: &str) -> bool {
    ESCAPING_FILTERS.contains(&filter)
        || NO_SPACE_FILTERS.contains(&filter)
        || crate::rules::helpers::contains_any_ignore_case(
            filter,
            &[b"clean", b"sanitize", b"bleach", b"nh3"],
        )
}

/// The first word and the rest.
fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (&s[..end], &s[end..])
}

fn strip_suffixes<'a>(mut s: &'a str, suffixes: &[&str]) -> &'a str {
    loop {
        let before = s;
        for suffix in suffixes {
            s = s.trim_end().strip_suffix(suffix).unwrap_or(s).trim_end();
        }
        if s == before {
            return s;
        }
    }
}

/// `target = value` split at the first `=` that is not part of `==`, `!=`, `<=`, `>=`.
fn split_assignment(s: &str) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        if c == b'='
            && bytes.get(i + 1) != Some(&b'=')
            && !matches!(
                i.checked_sub(1).map(|p| bytes[p]),
                Some(b'=' | b'!' | b'<' | b'>')
            )
        {
            return Some((&s[..i], &s[i + 1..]));
        }
        if matches!(c, b'"' | b'\'' | b'(' | b'[') {
            return None;
        }
    }
    None
}

/// Splits at `sep` outside brackets and strings.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut quote = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            (None, c) if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// How an `{% if %}` test reads a debug switch: `Some(true)` when its branch needs a setting
/// named for debugging on (`config.DEBUG`, `config.VUE_DEBUG and x`), `Some(false)` for the
/// plain negation (`not config.DEBUG`, whose `else` needs it on), `None` for any other test.
fn debug_test(test: &str) -> Option<bool> {
    let test = test.trim();
    if let Some(name) = test.strip_prefix("not ") {
        return debug_name(name.trim()).then_some(false);
    }
    // Every part of a conjunction holds in its branch; a disjunction needs none of them.
    if test.contains(" or ") {
        return None;
    }
    test.split(" and ")
        .any(|part| debug_name(part.trim()))
        .then_some(true)
}

/// The context variables an `{% if %}` test needs set for its branch to render: each plain
/// operand of a conjunction (`sentry_dsn`, `analytics.id`, `'notebook' in PLUGINS`, `x is
/// defined`). An undefined variable is false, empty, or fails the page on its attribute, so the
/// branch never renders without it. A disjunction, negation or comparison needs nothing certain.
fn required_names(test: &str) -> Vec<String> {
    let test = test.trim();
    if test.contains(" or ") {
        return Vec::new();
    }
    test.split(" and ")
        .filter_map(|part| {
            let part = part.trim();
            let operand = match part.rsplit_once(" in ") {
                Some((left, right)) if !left.trim_end().ends_with(" not") => right,
                Some(_) => return None,
                None => part.strip_suffix(" is defined").unwrap_or(part),
            };
            access_root(operand.trim()).map(str::to_string)
        })
        .collect()
}

/// The variable a plain access path starts from: `a` for `a`, `a.b`, `a['k']`; `None` for
/// anything else (a call, a literal, an operator, a keyword).
fn access_root(path: &str) -> Option<&str> {
    let end = path
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    let (root, rest) = path.split_at(end);
    let plain_rest = rest.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'[' | b']' | b'\'' | b'"')
    });
    let identifier = root
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let keyword = matches!(
        root,
        "not" | "true" | "false" | "True" | "False" | "none" | "None" | "in" | "is"
    );
    (identifier && !keyword && plain_rest && (rest.is_empty() || rest.starts_with(['.', '['])))
        .then_some(root)
}

/// A setting named for debugging, read plainly: `config.DEBUG`, `config['VUE_DEBUG']`, `debug`.
fn debug_name(name: &str) -> bool {
    let plain = name.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'[' | b']' | b'\'' | b'"')
    });
    let last = name
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| !w.is_empty());
    plain && last.is_some_and(|l| l.split('_').any(|w| w.eq_ignore_ascii_case("debug")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_names_of_tests() {
        assert_eq!(required_names("sentry_dsn"), ["sentry_dsn"]);
        assert_eq!(required_names("a.b and 'nb' in PLUGINS"), ["a", "PLUGINS"]);
        assert_eq!(required_names("x is defined"), ["x"]);
        assert!(required_names("a or b").is_empty());
        assert!(required_names("not a").is_empty());
        assert!(required_names("a == 'x'").is_empty());
        assert!(required_names("'x' not in a").is_empty());
        assert!(required_names("f(a)").is_empty());
    }

    #[test]
    fn debug_tests() {
        assert_eq!(debug_test("config.VUE_DEBUG"), Some(true));
        assert_eq!(debug_test("config['DEBUG'] and tools"), Some(true));
        assert_eq!(debug_test("not config.DEBUG"), Some(false));
        assert_eq!(debug_test("config.DEBUG or preview"), None);
        assert_eq!(debug_test("config.DEBUGGER_URL == ''"), None);
        assert_eq!(debug_test("debugger"), None);
        assert_eq!(debug_test("config.ENABLE_CDN"), None);
    }

    fn safe_values(text: &str) -> Vec<Value> {
        analyze(text)
            .outputs
            .into_iter()
            .filter_map(|o| o.marked_safe)
            .collect()
    }

    #[test]
    fn safe_filter_values() {
        assert_eq!(safe_values("{{ body|safe }}")[0].vars, vec!["body"]);
        assert!(safe_values("{{ '<br>'|safe }}")[0].is_literal());
        assert!(safe_values("{{ url_for('x', q=q)|safe }}")[0].is_literal());
        assert!(safe_values("{{ body|e|safe }}").is_empty());
        assert!(safe_values("{{ body|bleach_clean|safe }}").is_empty());
        assert_eq!(
            safe_values("{% for c in comments %}{{ c.text|safe }}{% endfor %}")[0].vars,
            vec!["comments"]
        );
        assert!(safe_values("{% set x = '<b>' %}{{ x|safe }}")
            .iter()
            .all(Value::is_literal));
        let m = safe_values("{% macro m(p) %}{{ p|safe }}{% endmacro %}");
        assert!(m[0].unknown && m[0].vars.is_empty());
        assert_eq!(safe_values("{% set h = body|safe %}").len(), 1);
    }

    #[test]
    fn forms_references_and_blocks() {
        let t = analyze(
            "{% extends 'base.html' %}{% import 'f.html' as f %}<form method=\"POST\" action=\"/x\">{{ f.field(x) }}{% include 'tok.html' %}</form>\
             <form method=post>{{ csrf_token() }}</form><form>{% autoescape false %}{{ x }}{% endautoescape %}",
        );
        assert_eq!(t.forms.len(), 2);
        assert!(
            !t.forms[0].has_token
                && t.forms[0].includes == ["tok.html"]
                && t.forms[0].calls == ["f.field"]
        );
        assert!(t.forms[1].has_token);
        assert_eq!(t.references.len(), 3);
        assert_eq!(t.autoescape_off.len(), 1);
        assert!(t.problems.is_empty(), "{:?}", t.problems);
        assert_eq!(analyze("{% if x %}{% endfor %}").problems.len(), 2);
    }

    #[test]
    fn autoescape_off_blocks_printing_only_literals_are_inert() {
        let inert = "{% autoescape false %}<p>{{ _('Go to %(p)s', p=url_for('index')) }}</p>{% endautoescape %}";
        assert!(analyze(inert).autoescape_off.is_empty());
        for printing in [
            "{% autoescape false %}{{ bio }}{% endautoescape %}",
            "{% autoescape false %}{% include 'x.html' %}{% endautoescape %}",
            "{% autoescape false %}{% block c %}{% endblock %}{% endautoescape %}",
            "{% autoescape false %}{{ super() }}{% endautoescape %}",
            "{% autoescape false %}{{ 'x'|replace('x', y) }}{% endautoescape %}",
            "{% autoescape false %}{% autoescape true %}{% endautoescape %}{{ z }}{% endautoescape %}",
        ] {
            assert_eq!(analyze(printing).autoescape_off.len(), 1, "{printing}");
        }
    }
}
