//! The per-function abstract interpreter: walks a function body once (loops twice), keeping for
//! each local name what request data it may hold, and records every place where such data reaches
//! a sink. Parameters start as symbolic taints, so the same walk yields the function's summary:
//! which parameters reach the return value and which reach sinks.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use ruff_python_ast::{self as ast, Expr, Operator, Stmt, UnaryOp};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::app_paths;
use super::constfold::{self, Lit};
use super::context::{self, Known};
use super::dispatch;
use super::dotless::{self, Piece};
use super::exceptions::{self, Responses};
use super::fixed_templates;
use super::form_fields;
use super::guards;
use super::index::{self, FileCtx, FuncInfo, Global};
use super::infer;
use super::items;
use super::modelled;
use super::models;
use super::pathsafe;
use super::predictable;
use super::records;
use super::return_types;
use super::self_xss;
use super::sinks;
use super::sources::{self, SourceKind};
use super::status::{self, StatusReturns};
use super::tokens;
use super::value::{
    self, add_all, concat, push_step, Index, Origin, Shape, SinkKind, Taint, Val, ALL,
};
use crate::python::flask::string_literal;
use crate::python::project::bind_statement;
use crate::python::semantic::{canonical, Semantic};

mod calls;
mod config_templates;
mod dispatched;
mod expressions;
mod parent_init;
mod properties;
mod request_shapes;
mod resolved_paths;
mod security_values;
mod sink_checks;
mod statements;

pub use calls::Call;
use statements::content_type_target;

/// How deep calls into project functions are followed from one entry. Summaries are memoised,
/// so depth costs little; the bound only stops pathological chains.
pub const MAX_CALL_DEPTH: usize = 16;
/// Builtins whose result the analysis models (conversions, predicates, containers).
const BUILTINS: &[&str] = &[
    "len",
    "abs",
    "round",
    "hash",
    "isinstance",
    "callable",
    "hasattr",
    "id",
    "ord",
    "sum",
    "min",
    "max",
    "bytes",
    "list",
    "dict",
    "set",
    "tuple",
    "sorted",
    "reversed",
    "enumerate",
    "zip",
    "chr",
    "exit",
    "quit",
    "iter",
    "next",
    "hex",
    "oct",
    "bin",
    "print",
    "type",
];
/// How deep nested statements and expressions are followed.
const MAX_DEPTH: usize = 120;

/// Where data reached a sink.
#[derive(Debug, Clone)]
pub struct SinkSite {
    pub file: u32,
    pub range: TextRange,
    pub stmt_start: TextSize,
    /// The sink as shown to users, e.g. `cur.execute()`.
    pub name: Arc<str>,
    /// For template variables: the template and the variable name.
    pub template: Option<(Arc<str>, Arc<str>)>,
    /// The sink is in a `return` statement: a response built there reaches the client only if
    /// the caller sends what the function returns.
    pub returned: bool,
}

/// Data of one origin reaching a sink. With a parameter origin it is part of a summary; otherwise
/// it is a finding (or a template context).
#[derive(Debug, Clone)]
pub struct Reach {
    pub kind: SinkKind,
    pub taint: Arc<Taint>,
    pub site: SinkSite,
}

/// The outcome of analysing one function.
#[derive(Debug, Default)]
pub struct FnResult {
    /// What the function may return.
    pub ret: Val,
    pub reaches: Vec<Reach>,
    /// Some callee was cut off (recursion or depth): the result depends on the call path.
    pub truncated: bool,
    /// For an `__init__` that only assigns its parameters to `self.x`: those attributes.
    pub fields: Option<Vec<(String, Val)>>,
    /// What it returns when it returns status tuples flagged `True` (see [`status`]).
    pub success: Option<Val>,
}

/// Per-thread state of the analysis: the call stack of functions being analysed.
pub struct Worker<'g, 'a> {
    pub g: &'g Global<'a>,
    stack: Vec<String>,
    /// Summaries cut short by recursion or depth, valid for this worker only.
    local: HashMap<String, Arc<FnResult>>,
    /// Functions not followed because the call chain reached [`MAX_CALL_DEPTH`].
    pub cut_off: Vec<String>,
}

impl<'g, 'a> Worker<'g, 'a> {
    /// A worker over `g`.
    pub fn new(g: &'g Global<'a>) -> Self {
        Self {
            g,
            stack: Vec::new(),
            local: HashMap::default(),
            cut_off: Vec::new(),
        }
    }

    /// Analyses `info` as an entry point: parameters hold no symbolic data (only a view's path
    /// parameters are sources), so only real flows are followed into callees.
    pub fn entry(&mut self, info: &FuncInfo) -> FnResult {
        self.stack.push(info.qualified.clone());
        let result = analyse_function(self, info, false, Known::default());
        self.stack.pop();
        result
    }

    /// The summary of the project function `qualified`: memoised, or analysed now. `None` when it
    /// is already being analysed (recursion) or the call chain is too deep.
    pub fn result(&mut self, qualified: &str) -> Option<Arc<FnResult>> {
        self.result_in(qualified, Known::default())
    }

    /// The summary of `qualified` for a call that fixes some of its mode flags.
    pub fn result_in(&mut self, qualified: &str, known: Known) -> Option<Arc<FnResult>> {
        let key = known.memo_key(qualified);
        if let Some(r) = self.g.memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Some(r);
        }
        if let Some(r) = self.local.get(&key) {
            return Some(r.clone());
        }
        if self.stack.iter().any(|s| s == qualified) {
            return None;
        }
        if self.stack.len() >= MAX_CALL_DEPTH {
            if self.g.funcs.contains_key(qualified) && !self.cut_off.iter().any(|c| c == qualified)
            {
                self.cut_off.push(qualified.to_string());
            }
            return None;
        }
        let info = self.g.funcs.get(qualified)?;
        self.stack.push(qualified.to_string());
        let result = Arc::new(analyse_function(self, info, true, known));
        self.stack.pop();
        if result.truncated {
            // Depends on the call path: reused only by this worker, which visits its file's
            // functions in a fixed order, so results stay deterministic.
            self.local.insert(key, result.clone());
        } else if let Ok(mut m) = self.g.memo.lock() {
            m.entry(key).or_insert_with(|| result.clone());
        }
        Some(result)
    }
}

/// Analyses one indexed function; with `summary`, parameters carry symbolic taints.
fn analyse_function(w: &mut Worker, info: &FuncInfo, summary: bool, known: Known) -> FnResult {
    let g = w.g;
    let fc = &g.files[info.file as usize];
    let mut sem = Semantic::child(fc.module_sem());
    sem.push_scope();
    let mut a = Analyzer::new(w, fc, sem);
    a.summary = summary;
    a.known = known;
    a.json_view = info.json_view;
    a.enter(
        info.def,
        info.class.as_deref(),
        info.offset,
        info.view.as_deref(),
    );
    // A constructor's fields, when it ends normally (the state then is the new object's).
    let ends = a.summary && a.state.reachable && a.ret.is_none() && !a.init_opaque;
    let fields = ends
        .then(|| records::constructed_fields(info, &a.state.env))
        .flatten();
    FnResult {
        fields,
        ..a.finish()
    }
}

type Env = HashMap<String, Val>;

/// The longest attribute chain given a qualified name; real names have a handful of links.
const MAX_QUALIFIED_LINKS: usize = 64;

/// How many times a loop body is re-run looking for a fixpoint.
const MAX_LOOP_PASSES: usize = 8;

/// A taint's source key and the sink kinds it is cleared for.
type TaintMark = ((u32, u32), u32);

/// What a loop pass can change: which taints (by source and what they are cleared for) each
/// variable holds, and what else is known of it (see [`knowledge`]).
fn env_signature(env: &Env) -> Vec<(String, Vec<TaintMark>, Knowledge)> {
    let mut sig: Vec<(String, Vec<TaintMark>, Knowledge)> = env
        .iter()
        .map(|(name, v)| {
            let mut t: Vec<TaintMark> = v.all_taints().iter().map(|t| (t.key, t.cleared)).collect();
            t.sort_unstable();
            t.dedup();
            (name.clone(), t, knowledge(v))
        })
        .filter(|(_, t, k)| !t.is_empty() || *k != Knowledge::default())
        .collect();
    sig.sort();
    sig
}

/// What is known of a value beyond its data: a literal text, a truth, a number, how many items
/// of a sequence are known. A pass that loses some of it (`top = stack.pop()` no longer the
/// literal it was) may decide a branch the other way, so the loop runs again.
type Knowledge = (bool, Option<bool>, bool, bool, usize, usize);

fn knowledge(v: &Val) -> Knowledge {
    let (items, texts) = match &v.shape {
        Shape::Seq(items) => (
            items.len() + 1,
            items.iter().filter(|x| x.text.is_some()).count(),
        ),
        Shape::Map(items) => (
            items.len() + 1,
            items.iter().filter(|(_, x)| x.text.is_some()).count(),
        ),
        Shape::None => (0, 0),
    };
    (
        v.text.is_some(),
        v.truth,
        v.number.is_some(),
        v.constant,
        items,
        texts,
    )
}

#[derive(Clone)]
struct State {
    env: Env,
    reachable: bool,
}

fn merge(a: State, b: State) -> State {
    match (a.reachable, b.reachable) {
        (false, _) => b,
        (_, false) => a,
        _ => {
            let mut env = a.env;
            for (k, v) in b.env {
                match env.get_mut(&k) {
                    Some(x) => *x = x.join(&v),
                    None => {
                        env.insert(k, v);
                    }
                }
            }
            State {
                env,
                reachable: true,
            }
        }
    }
}

/// Walks one function body.
pub struct Analyzer<'w, 'g, 'a> {
    w: &'w mut Worker<'g, 'a>,
    fc: &'g FileCtx<'a>,
    sem: Semantic<'g>,
    state: State,
    class: Option<String>,
    is_view: bool,
    name: String,
    ret: Option<Val>,
    reaches: Vec<Reach>,
    truncated: bool,
    stmt_start: TextSize,
    depth: usize,
    /// States at `break`/`continue` of the enclosing loops.
    loop_exits: Vec<Vec<State>>,
    /// Parameters carry symbolic taints (the walk computes a summary).
    summary: bool,
    /// Response calls whose result is given a non-HTML content type afterwards.
    non_html: Vec<TextRange>,
    /// Variables holding a validator's verdict, with what it proves when true.
    verdicts: Vec<(String, Vec<(String, u32)>)>,
    /// Where the responses the current statement builds go (FS410).
    responses: Responses,
    /// Evaluating the value of a `return` statement.
    in_return: bool,
    /// Mode flags the call being summarised fixes.
    known: Known,
    /// Calls of project predicates (plain functions, one `return` of a test) whose answer for
    /// the literals they were given is known, by where the call is written.
    predicate_answers: Vec<(TextRange, bool)>,
    /// Nested functions defined so far that return a dict (calls to them are not summarised).
    local_dicts: Vec<String>,
    /// Nested functions defined so far whose return holds nothing of their parameters.
    local_returns: Vec<LocalReturn>,
    /// The function validates a form (`form.validate()`, `validate_on_submit()`): the fields it
    /// reads hold what validation let through.
    validates_forms: bool,
    /// Nested functions defined so far: project code, though calls to them are not summarised
    /// (their result carries what they are given, a modelled step).
    local_functions: Vec<String>,
    /// A view whose request body only the user's own pages can send (see [`self_xss`]).
    body_self_only: self_xss::OwnPages,
    /// A REST resource's handler: its return value is JSON, not a page.
    json_view: bool,
    /// Local names (and `self` attributes) holding a resolved path or a path joined onto a
    /// base, with the names it was built from and whether it was resolved.
    resolved_from: Vec<(String, Vec<String>, bool)>,
    /// A view's route parameters whose converter lets only numbers or UUIDs through.
    typed_params: Vec<String>,
    /// The returns seen so far, as status tuples.
    status: StatusReturns,
    /// The last project call returning status tuples, and what it returns on success.
    last_success: Option<(TextRange, Val)>,
    /// In a constructor: its first parameter, the object being built.
    init_self: Option<String>,
    /// A parent constructor was given data and where it keeps it is not known: the new
    /// object's fields are not all named.
    init_opaque: bool,
}

impl<'w, 'g, 'a> Analyzer<'w, 'g, 'a> {
    fn new(w: &'w mut Worker<'g, 'a>, fc: &'g FileCtx<'a>, sem: Semantic<'g>) -> Self {
        Self {
            w,
            fc,
            sem,
            state: State {
                env: Env::default(),
                reachable: true,
            },
            class: None,
            is_view: false,
            name: String::new(),
            ret: None,
            reaches: Vec::new(),
            truncated: false,
            stmt_start: TextSize::default(),
            depth: 0,
            loop_exits: Vec::new(),
            summary: false,
            non_html: Vec::new(),
            verdicts: Vec::new(),
            responses: Responses::default(),
            in_return: false,
            known: Known::default(),
            predicate_answers: Vec::new(),
            local_dicts: Vec::new(),
            local_returns: Vec::new(),
            local_functions: Vec::new(),
            validates_forms: false,
            body_self_only: self_xss::OwnPages::default(),
            typed_params: Vec::new(),
            json_view: false,
            resolved_from: Vec::new(),
            status: StatusReturns::default(),
            last_success: None,
            init_self: None,
            init_opaque: false,
        }
    }

    fn file(&self) -> u32 {
        self.fc.idx
    }

    /// Seeds the parameters and walks the body.
    fn enter(
        &mut self,
        def: &ast::StmtFunctionDef,
        class: Option<&str>,
        offset: usize,
        view: Option<&[(String, bool)]>,
    ) {
        self.class = class.map(str::to_string);
        self.is_view = view.is_some();
        self.typed_params = view
            .unwrap_or_default()
            .iter()
            .filter(|(_, dangerous)| !dangerous)
            .map(|(n, _)| n.clone())
            .collect();
        self.body_self_only = if self.is_view {
            self_xss::body_from_own_pages(&self.sem, def, self.w.g.csrf_everywhere)
        } else {
            self_xss::OwnPages::default()
        };
        self.name = def.name.to_string();
        let text = self.fc.file.slice(def.range());
        self.validates_forms = text.contains(".validate(") || text.contains(".validate_on_submit(");
        if self.name == "__init__" && offset == 1 && class.is_some() {
            self.init_self = params(def).first().map(|p| p.name.to_string());
        }
        let url_rules: Vec<String> = if view.is_some() {
            def.decorator_list
                .iter()
                .filter_map(|d| crate::python::flask::route_decorator(&self.sem, &d.expression))
                .filter_map(|(_, rule)| rule)
                .collect()
        } else {
            Vec::new()
        };
        let url_names: Vec<(String, bool)> = url_rules
            .iter()
            .flat_map(|rule| super::sources::rule_params(rule))
            .collect();
        for (i, p) in params(def).into_iter().enumerate() {
            let name = p.name.as_str();
            let mut v = if !self.summary {
                Val::clean()
            } else {
                Val::tainted(Taint {
                    origin: Origin::Param(i as u16),
                    field: None,
                    key: (u32::MAX, i as u32),
                    cleared: 0,
                    label: Arc::from(name),
                    structured: true,
                    audit: false,
                    flow: push_step(
                        &None,
                        self.file(),
                        p.range(),
                        format!("parameter `{name}` of `{}()`", self.name),
                    ),
                })
            };
            if let Some(f) = self.known.get(i) {
                v = Val {
                    truth: Some(f.truth),
                    text: f.text.clone(),
                    number: f.number,
                    constant: true,
                    ..Val::default()
                };
            }
            if let Some((_, kind)) = self.known.app_urls.iter().find(|(p, _)| *p == i) {
                v = super::app_paths::passed_url(kind);
            }
            if i == 0 && offset == 1 {
                if let Some(c) = class {
                    v.alias = Some(Arc::from(c));
                }
            }
            if let Some((_, _)) =
                view.and_then(|ps| ps.iter().find(|(n, dangerous)| n == name && *dangerous))
            {
                // A name of the route's URL rule, or one filled from the query, form or body
                // (webargs, connexion) or by a registration made elsewhere.
                let label = if url_names.iter().any(|(n, _)| n == name) {
                    format!("path parameter `{name}`")
                } else {
                    format!("request parameter `{name}`")
                };
                let mut cleared = Origin::Request.harmless_for();
                if super::sources::one_segment(&url_rules, name) {
                    cleared |= super::value::ONE_COMPONENT;
                }
                add_all(
                    &mut v.taints,
                    &[Arc::new(Taint {
                        origin: Origin::Request,
                        field: None,
                        key: (self.file(), p.range().start().to_u32()),
                        cleared,
                        flow: push_step(
                            &None,
                            self.file(),
                            p.range(),
                            format!("source: {label} of view `{}()`", self.name),
                        ),
                        label: Arc::from(label),
                        structured: false,
                        audit: false,
                    })],
                );
                // `@use_args({"q": fields.Str(), "page": fields.Int()})`: a dict of those keys,
                // text only in the text fields.
                if !url_names.iter().any(|(n, _)| n == name) {
                    if let Some(fields) = super::webargs::args_dict_fields(self.w.g, &self.sem, def)
                    {
                        v = super::webargs::shaped(v, &fields);
                    }
                }
            }
            // An `<int:id>` parameter is a number, like `int(x)`: no text of unknown origin.
            if !self.summary && self.typed_params.iter().any(|t| t == name) {
                v.constant = true;
            }
            self.sem.bind_unknown(name);
            self.state.env.insert(name.to_string(), v);
        }
        for p in [&def.parameters.vararg, &def.parameters.kwarg]
            .into_iter()
            .flatten()
        {
            self.sem.bind_unknown(p.name.as_str());
            self.state.env.insert(p.name.to_string(), Val::clean());
        }
        if let (Some(k), Some(any)) = (&def.parameters.kwarg, self.known.extra_keywords) {
            let v = Val {
                truth: Some(any),
                constant: true,
                ..Val::default()
            };
            self.state.env.insert(k.name.to_string(), v);
        }
        self.block(&def.body);
    }

    fn finish(self) -> FnResult {
        FnResult {
            ret: self.ret.unwrap_or_default(),
            reaches: self.reaches,
            truncated: self.truncated,
            fields: None,
            success: self.status.success(),
        }
    }

    // ----- statements -------------------------------------------------------------------------

    fn block(&mut self, body: &[Stmt]) {
        self.mark_non_html(body);
        for s in body {
            if !self.state.reachable {
                break;
            }
            self.stmt(s);
        }
    }

    /// `resp = make_response(body)` followed in the same block by
    /// `resp.headers["Content-Type"] = "text/plain"` (or `resp.mimetype = ...`): the response is
    /// not HTML, so its body is no XSS sink. Records the calls, in one pass over the block.
    fn mark_non_html(&mut self, body: &[Stmt]) {
        let mut names: Vec<&str> = Vec::new();
        for s in body {
            if let Stmt::Assign(a) = s {
                if let [target] = &a.targets[..] {
                    if let Some(n) = content_type_target(target) {
                        if non_html_type(&a.value) && !self.reads_request(&a.value) {
                            names.push(n);
                        }
                    }
                }
            }
        }
        if names.is_empty() {
            return;
        }
        for s in body {
            if let Stmt::Assign(a) = s {
                if let ([Expr::Name(n)], Expr::Call(c)) = (&a.targets[..], &*a.value) {
                    if names.contains(&n.id.as_str()) {
                        self.non_html.push(c.range());
                    }
                }
            }
        }
    }
}

impl Analyzer<'_, '_, '_> {
    /// Whether `e` reads the request itself (`request.args["type"]`, `request.mimetype`).
    fn reads_request(&self, e: &Expr) -> bool {
        let mut root = e;
        while let Expr::Attribute(ast::ExprAttribute { value, .. })
        | Expr::Subscript(ast::ExprSubscript { value, .. }) = root
        {
            root = value;
        }
        self.qualify(root)
            .is_some_and(|q| q.starts_with("flask.request"))
    }
}

/// Whether a Content-Type assigned to a response is not HTML: a literal non-HTML type, or a type
/// the code looked up (`resp.headers["Content-Type"] = content_type`, a stored asset's type). Like
/// `Response(body, mimetype=kind)`, a type chosen from data is not judged: the code is serving a
/// typed asset, not writing a page. Text assembled in place (`f"text/{sub}"`) is not a lookup,
/// but it is judged when its fixed text already rules out every type browsers render
/// (`f"application/x-git-{service}-result"`).
fn non_html_type(value: &Expr) -> bool {
    match (string_literal(value), value) {
        (Some(text), _) => sinks::non_html_mimetype(&text),
        (None, Expr::FString(f)) => fixed_text_rules_out_html(f),
        (None, _) => matches!(
            value,
            Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_)
        ),
    }
}

/// Whether an f-string's fixed text settles that the type is none browsers render as a page:
/// the text before the first placeholder names the top-level type and begins the subtype, and no
/// rendered type begins that way; the text after the last one ends it, and no fixed piece says
/// HTML, XML or SVG.
fn fixed_text_rules_out_html(f: &ast::ExprFString) -> bool {
    const RENDERED: &[&str] = &[
        "text/html",
        "text/xml",
        "text/xsl",
        "application/xhtml+xml",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/vnd.wap.xhtml+xml",
        "image/svg+xml",
        "multipart/x-mixed-replace",
    ];
    let pieces = crate::python::fstring_pieces(f);
    let first = pieces[0].to_ascii_lowercase();
    let last = pieces[pieces.len() - 1].to_ascii_lowercase();
    let begins_subtype = first
        .split_once('/')
        .is_some_and(|(kind, sub)| !kind.is_empty() && !sub.is_empty());
    pieces.len() > 1
        && begins_subtype
        && !RENDERED.iter().any(|t| t.starts_with(first.as_str()))
        && !last.is_empty()
        && !last.ends_with('+')
        && pieces
            .iter()
            .all(|p| sinks::non_html_mimetype(p) || p.is_empty())
}

/// The parameters callers can pass, in order.
pub(crate) fn params(def: &ast::StmtFunctionDef) -> Vec<&ast::Parameter> {
    let p = &def.parameters;
    p.posonlyargs
        .iter()
        .chain(p.args.iter())
        .chain(p.kwonlyargs.iter())
        .map(|x| &x.parameter)
        .collect()
}

/// Source text shortened for messages: whitespace collapsed, at most 60 characters.
pub fn short(text: &str) -> String {
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > 60 {
        let cut: String = collapsed.chars().take(57).collect();
        format!("{cut}...")
    } else {
        collapsed
    }
}

/// A nested function whose return value holds nothing of its parameters.
#[derive(Clone)]
struct LocalReturn {
    name: String,
    /// What it returns.
    value: Val,
}

#[allow(unused)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<FnResult>();
    let _ = ALL;
}

/// `built`, the string made of `pieces`, with the data each piece's place makes harmless cleared:
/// dotless text after a name, text after a query mark or a pinned app path, one path component
/// glued to a name.
fn confined(built: Val, pieces: &[Piece]) -> Val {
    let v = app_paths::confine(dotless::confine(built, pieces), pieces);
    pathsafe::glued(v, pieces)
}
