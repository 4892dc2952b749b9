//! Abstract values of the taint analysis: which request data a Python value may carry, what it has
//! been sanitised for, and the code flow that brought it there.

use std::sync::Arc;

use ruff_text_size::TextRange;

use super::items;

/// What a sink does with data; one bit each, so a taint records the kinds it was sanitised for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SinkKind {
    Sql,
    Command,
    Code,
    Template,
    Ldap,
    Xpath,
    Nosql,
    Xss,
    SessionStore,
    StackTrace,
    Redirect,
    Path,
    Ssrf,
    Deserialization,
    Xxe,
    /// A value that guards something (a session value, a cookie, a token, a password): only
    /// predictable values are dangerous there.
    SecurityValue,
    /// A `render_template` context variable: not a finding, reported to the template rules.
    TemplateVar,
}

impl SinkKind {
    /// The bit that marks a taint as harmless for this kind. Template variables share the XSS bit:
    /// what is escaped for HTML is escaped for a template's `|safe`.
    pub fn bit(self) -> u32 {
        match self {
            Self::TemplateVar => Self::Xss.bit(),
            k => 1 << (k as u32),
        }
    }
}

/// Every sink kind's bit.
pub const ALL: u32 = (1 << 16) - 1;

/// Kept in [`Taint::cleared`] above the sink kinds: the data was put after a leading literal that
/// does not start with a slash (`"edit/" + page`), so after a bare `/` it is a path on this host.
pub const AFTER_SEGMENT: u32 = 1 << 16;
/// Kept in [`Taint::cleared`]: the data was put right after a bare leading `/` (`"/" + page`), a
/// protocol-relative `//host` unless the data starts with a fixed segment ([`AFTER_SEGMENT`]).
pub const AFTER_ROOT: u32 = 1 << 17;
/// Kept in [`Taint::cleared`]: the data holds no path separator (`name.replace("/", "")`), so
/// glued to a literal name character it is part of one file name, never `..`.
pub const ONE_COMPONENT: u32 = 1 << 18;
/// Kept in [`Taint::cleared`]: the data was glued to a literal name character in the same path
/// component (`name + ".json"`); with [`ONE_COMPONENT`] it is part of one file name.
pub const GLUED: u32 = 1 << 19;
/// Kept in [`Taint::cleared`] beside [`ONE_COMPONENT`]: the data was the last part of a joined
/// path (`os.path.join(folder, name)`), so unless text came after it ([`FOLLOWED`]) the path
/// names an entry of the folder, the folder itself (`.`) or its parent (`..`), never a file
/// anywhere else.
pub const LAST_COMPONENT: u32 = 1 << 20;
/// Kept in [`Taint::cleared`] for data with [`ONE_COMPONENT`]: text was put after it, so it does
/// not end the path built from it. Once set it stays: a longer text still has that tail.
pub const FOLLOWED: u32 = 1 << 21;
/// Kept in [`Taint::cleared`]: what happened to the data is harmless if it ends its path
/// ([`LAST_COMPONENT`] of one component): a call working on files only (`open`, `os.remove`),
/// where such a path cannot leave its folder, or `os.path.dirname`, which drops it. Recorded
/// for a summarised parameter, which becomes one component only at a call.
pub const SAFE_AS_LAST: u32 = 1 << 22;
/// Where data sits in the text built from it: facts of the outermost concatenation only.
const POSITION: u32 = AFTER_SEGMENT | AFTER_ROOT;

/// The cleared bits of data with `inner` ones (a call's argument) after a step with `outer` ones
/// (what the callee did with its parameter): the outer position replaces the inner one, and a
/// bare `/` put before data that starts with a fixed segment pins it to this host.
pub fn through(inner: u32, outer: u32) -> u32 {
    let position = if outer & POSITION != 0 {
        outer & POSITION
    } else {
        inner & POSITION
    };
    let mut cleared = ((inner | outer) & !POSITION) | position;
    if outer & AFTER_ROOT != 0 && inner & AFTER_SEGMENT != 0 {
        cleared |= SinkKind::Redirect.bit() | SinkKind::Ssrf.bit();
    }
    one_name(cleared)
}

/// `cleared` with file system sinks cleared when the data holds no separator and was glued to a
/// name character: one file name, neither `.` nor `..`; or when it ends a joined path and what
/// happened to it is harmless for such data ([`SAFE_AS_LAST`]).
pub fn one_name(cleared: u32) -> u32 {
    let safe_at_end = ONE_COMPONENT | LAST_COMPONENT | SAFE_AS_LAST;
    if cleared & (ONE_COMPONENT | GLUED) == ONE_COMPONENT | GLUED
        || cleared & (safe_at_end | FOLLOWED) == safe_at_end
    {
        cleared | SinkKind::Path.bit()
    } else {
        cleared
    }
}

/// `cleared` with its position facts replaced by `position` ([`AFTER_SEGMENT`], [`AFTER_ROOT`]
/// or none).
pub fn placed(cleared: u32, position: u32) -> u32 {
    (cleared & !POSITION) | position
}

/// Where tainted data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Flask request data (or a route path parameter).
    Request,
    /// A `flask.session` value: signed, so only dangerous where any stored value is.
    Session,
    /// Exception details (`traceback.format_exc()`, `str(exc)`).
    Exception,
    /// SQL text built by formatting non-constant values of unknown origin.
    BuiltSql,
    /// The output of a predictable generator (`random`, `uuid1`): dangerous only as a security
    /// value, never treated as request data.
    Predictable,
    /// The given parameter of the function being summarised.
    Param(u16),
}

impl Origin {
    /// The sink kinds data of this origin is harmless for, whatever happens to it.
    pub fn harmless_for(self) -> u32 {
        match self {
            Self::Request => SinkKind::StackTrace.bit() | SinkKind::SecurityValue.bit(),
            Self::Session => ALL & !(SinkKind::Code.bit() | SinkKind::Deserialization.bit()),
            Self::Exception => ALL & !SinkKind::StackTrace.bit(),
            Self::BuiltSql => ALL & !SinkKind::Sql.bit(),
            Self::Predictable => ALL & !SinkKind::SecurityValue.bit(),
            Self::Param(_) => 0,
        }
    }
}

/// One step of a code flow, kept as a persistent list (newest first) so values share history.
#[derive(Debug)]
pub struct FlowNode {
    /// Index of the file in the scan's file table.
    pub file: u32,
    pub range: TextRange,
    pub message: String,
    pub prev: Option<Arc<FlowNode>>,
    pub len: u16,
}

/// A code flow: the newest step, linked to the older ones.
pub type Flow = Option<Arc<FlowNode>>;

/// Flows longer than this keep their source and sink but drop the middle steps.
const MAX_FLOW: u16 = 24;

/// Appends a step to `flow`. A full flow keeps its first steps and replaces its newest one, so
/// the last step pushed (the sink, in the end) is always shown.
pub fn push_step(flow: &Flow, file: u32, range: TextRange, message: String) -> Flow {
    let len = flow.as_ref().map_or(0, |f| f.len);
    let (prev, len) = match flow {
        Some(newest) if len >= MAX_FLOW => (newest.prev.clone(), len),
        _ => (flow.clone(), len + 1),
    };
    Some(Arc::new(FlowNode {
        file,
        range,
        message,
        prev,
        len,
    }))
}

/// The steps of `flow`, oldest first.
pub fn steps(flow: &Flow) -> Vec<&FlowNode> {
    let mut out = Vec::new();
    let mut cur = flow.as_deref();
    while let Some(node) = cur {
        out.push(node);
        cur = node.prev.as_deref();
    }
    out.reverse();
    out
}

/// Appends every step of `tail` (oldest first) to `head`.
pub fn concat(head: &Flow, tail: &Flow) -> Flow {
    let mut out = head.clone();
    for node in steps(tail) {
        out = push_step(&out, node.file, node.range, node.message.clone());
    }
    out
}

/// Data of one origin flowing through the program.
#[derive(Debug, Clone)]
pub struct Taint {
    pub origin: Origin,
    /// Identity of the origin (file and offset of the source, or the parameter index), so the same
    /// data reaching a value twice is kept once.
    pub key: (u32, u32),
    /// Sink kinds this data has been sanitised for (bits of [`SinkKind::bit`]).
    pub cleared: u32,
    /// The source as written, e.g. `request.args.get('next')`.
    pub label: Arc<str>,
    /// May hold objects rather than strings (JSON bodies): matters for NoSQL operator injection.
    pub structured: bool,
    /// What reaches a sink is reported only when the rule is named (the audit part of a linked
    /// rule): exception text not known to reveal internals.
    pub audit: bool,
    /// For a parameter's data: the attribute of the parameter it was read from (`meta.cover`),
    /// so a call passing a record hands over only that field.
    pub field: Option<Arc<str>>,
    pub flow: Flow,
}

impl Taint {
    /// Request data read by the source written `label`, with no flow: for unit tests.
    #[cfg(test)]
    pub fn request_for_tests(label: &str) -> Self {
        Self {
            origin: Origin::Request,
            key: (0, 0),
            cleared: 0,
            label: Arc::from(label),
            structured: false,
            audit: false,
            field: None,
            flow: None,
        }
    }

    /// Whether this data is still dangerous for `kind`.
    pub fn reaches(&self, kind: SinkKind) -> bool {
        self.cleared & kind.bit() == 0
    }
}

/// At most this many distinct origins are tracked per value.
const MAX_TAINTS: usize = 4;
/// Beyond [`MAX_TAINTS`], this many more slots hold other fields of a parameter already
/// tracked: an object handing several of its fields to one value (a path built from `self.user`
/// next to a date read from `self.file`) keeps them apart instead of standing for the whole
/// object.
const MAX_FIELD_TAINTS: usize = 4;

/// What the analysis knows about a value.
#[derive(Debug, Clone, Default)]
pub struct Val {
    /// Origins of data anywhere in the value (for containers: in elements not tracked by position).
    pub taints: Vec<Arc<Taint>>,
    /// Element-precise contents of a list/tuple or a dict with constant keys.
    pub shape: Shape,
    /// The qualified name the value stands for (a module, a class instance, `flask.request`).
    pub alias: Option<Arc<str>>,
    /// Known truthiness (from literals), for constant conditions.
    pub truth: Option<bool>,
    /// The value of a string literal, for allow-lists and constant keys.
    pub text: Option<Arc<str>>,
    /// The value of a number computed from literals, for conditions on it (`if x > 10:`).
    pub number: Option<f64>,
    /// Built only from literals and conversions to numbers: cannot carry unknown text.
    pub constant: bool,
    /// Its data is text holding no '.' (a piece split off at dots), so it cannot spell `..`; see
    /// [`super::dotless`]. Lost by any step not known to keep it.
    pub dotless: bool,
    /// Those of its taints that were put only into its items (`d.update(x)`, `d[k] = x`,
    /// `s.add(x)`): its attributes (`d.data_dir`) do not carry them, while its items, its
    /// iteration and the whole value do; see [`super::items`]. Lost by any step not known to
    /// keep it.
    pub in_items: Vec<Arc<Taint>>,
    /// Never text as a whole: a call declared to return a dict, a list or an object (see
    /// [`super::return_types`]). A view returning it answers JSON; its items, attributes and
    /// conversions are text again, since each builds a new value.
    pub non_text: bool,
    /// One of several literal media types, none of which browsers render as a page
    /// (`"application/json"` on one branch, `"text/javascript"` on the other): what a joined
    /// Content-Type keeps once its text is no longer one literal.
    pub non_html_types: bool,
}

/// Replaces a value's taints (a summary's parameters by a call's arguments).
pub type TaintMap<'a> = dyn Fn(&[Arc<Taint>]) -> Vec<Arc<Taint>> + 'a;

/// Container contents known element by element.
#[derive(Debug, Clone, Default)]
pub enum Shape {
    #[default]
    None,
    Seq(Arc<Vec<Val>>),
    Map(Arc<Vec<(String, Val)>>),
}

impl Val {
    /// An untainted value with no known name.
    pub fn clean() -> Self {
        Self::default()
    }

    /// An untainted value built from literals only.
    pub fn constant() -> Self {
        Self {
            constant: true,
            ..Self::default()
        }
    }

    /// A value carrying exactly `taint`.
    pub fn tainted(taint: Taint) -> Self {
        Self {
            taints: vec![Arc::new(taint)],
            ..Self::default()
        }
    }

    /// An untainted value standing for `qualified`.
    pub fn alias(qualified: &str) -> Self {
        Self {
            alias: Some(Arc::from(qualified)),
            ..Self::default()
        }
    }

    /// A value made of these taints only.
    pub fn from_taints(taints: Vec<Arc<Taint>>) -> Self {
        Self {
            taints,
            ..Self::default()
        }
    }

    /// Every origin in the value, containers included.
    pub fn all_taints(&self) -> Vec<Arc<Taint>> {
        let mut out = self.taints.clone();
        match &self.shape {
            Shape::None => {}
            Shape::Seq(items) => items
                .iter()
                .for_each(|v| add_all(&mut out, &v.all_taints())),
            Shape::Map(items) => items
                .iter()
                .for_each(|(_, v)| add_all(&mut out, &v.all_taints())),
        }
        out
    }

    /// Whether any part of the value carries data of any origin.
    pub fn is_tainted(&self) -> bool {
        !self.taints.is_empty()
            || match &self.shape {
                Shape::None => false,
                Shape::Seq(items) => items.iter().any(Val::is_tainted),
                Shape::Map(items) => items.iter().any(|(_, v)| v.is_tainted()),
            }
    }

    /// Whether some data in any part of the value satisfies `f` (without collecting it).
    pub fn any_taint(&self, f: &dyn Fn(&Taint) -> bool) -> bool {
        self.taints.iter().any(|t| f(t))
            || match &self.shape {
                Shape::None => false,
                Shape::Seq(items) => items.iter().any(|v| v.any_taint(f)),
                Shape::Map(items) => items.iter().any(|(_, v)| v.any_taint(f)),
            }
    }

    /// The same data with the container structure forgotten.
    pub fn collapse(&self) -> Val {
        Val::from_taints(self.all_taints())
    }

    /// The value of a constant index or key, when the container is known element by element.
    pub fn element(&self, index: &Index) -> Val {
        let found = match (&self.shape, index) {
            (Shape::Seq(items), Index::Int(i)) => {
                let i = if *i < 0 { items.len() as i64 + i } else { *i };
                usize::try_from(i).ok().and_then(|i| items.get(i)).cloned()
            }
            (Shape::Map(items), Index::Str(k)) => Some(
                items
                    .iter()
                    .rev()
                    .find(|(key, _)| key == k)
                    .map_or_else(Val::clean, |(_, v)| v.clone()),
            ),
            _ => None,
        };
        match found {
            Some(v) => v.with_container_taints(&self.taints),
            // A character, slice or piece of dotless text (or of a list of it) is dotless too.
            None => Val {
                dotless: self.dotless,
                ..self.collapse()
            },
        }
    }

    /// An element with the data its container holds as a whole added: that data may have dots.
    pub fn with_container_taints(mut self, container: &[Arc<Taint>]) -> Val {
        if !container.is_empty() {
            self.dotless = false;
            add_all(&mut self.taints, container);
        }
        self
    }

    /// Applies `f` to every taint, containers included.
    pub fn map_taints(&self, f: &dyn Fn(&Taint) -> Taint) -> Val {
        let mut out = self.clone();
        out.taints = self.taints.iter().map(|t| Arc::new(f(t))).collect();
        out.shape = match &self.shape {
            Shape::None => Shape::None,
            Shape::Seq(items) => {
                Shape::Seq(Arc::new(items.iter().map(|v| v.map_taints(f)).collect()))
            }
            Shape::Map(items) => Shape::Map(Arc::new(
                items
                    .iter()
                    .map(|(k, v)| (k.clone(), v.map_taints(f)))
                    .collect(),
            )),
        };
        out
    }

    /// The same value with every level's taints replaced by `f` of them, keeping the container
    /// structure: a function summary applied to a call's arguments.
    pub fn substitute(&self, f: &TaintMap) -> Val {
        let shape = match &self.shape {
            Shape::None => Shape::None,
            Shape::Seq(items) => {
                Shape::Seq(Arc::new(items.iter().map(|v| v.substitute(f)).collect()))
            }
            Shape::Map(items) => Shape::Map(Arc::new(
                items
                    .iter()
                    .map(|(k, v)| (k.clone(), v.substitute(f)))
                    .collect(),
            )),
        };
        Val {
            taints: f(&self.taints),
            shape,
            // Which of the new taints stand for data in items only is not tracked.
            in_items: Vec::new(),
            ..self.clone()
        }
    }

    /// The same value, sanitised for the sink kinds in `bits`.
    pub fn sanitize(&self, bits: u32) -> Val {
        if !self.is_tainted() {
            return self.clone();
        }
        self.map_taints(&|t| Taint {
            cleared: t.cleared | bits,
            ..t.clone()
        })
    }

    /// The same value after a step the analysis guessed (a library call it has no model for):
    /// its data reaches sinks as the audit part of their rules (see [`super::modelled`]).
    pub fn guessed(&self) -> Val {
        if !self.is_tainted() {
            return self.clone();
        }
        self.map_taints(&|t| Taint {
            audit: true,
            ..t.clone()
        })
    }

    /// The value after a step: every taint's flow gains it.
    pub fn step(&self, file: u32, range: TextRange, message: &str) -> Val {
        if !self.is_tainted() {
            return self.clone();
        }
        self.map_taints(&|t| Taint {
            flow: push_step(&t.flow, file, range, message.to_string()),
            ..t.clone()
        })
    }

    /// A plain value carrying no data (`None`, a constant, a clean call result): no structure
    /// to merge with, nothing to add.
    fn is_empty_scalar(&self) -> bool {
        matches!(self.shape, Shape::None) && self.taints.is_empty()
    }

    /// This structured value merged with an `empty` scalar: its fields stay apart (an attribute
    /// of the empty side carries nothing), only what is known about the whole value is weakened.
    fn joined_with_nothing(&self, empty: &Val) -> Val {
        Val {
            truth: if self.truth == empty.truth {
                self.truth
            } else {
                None
            },
            text: None,
            number: None,
            constant: self.constant && empty.constant,
            ..self.clone()
        }
    }

    /// Two records (maps whose attributes are their fields) named differently, e.g. the same
    /// namedtuple imported under two module paths: their merge is still a record.
    fn both_records(a: &Val, b: &Val) -> bool {
        matches!((&a.shape, &b.shape), (Shape::Map(_), Shape::Map(_)))
            && a.alias.is_some()
            && b.alias.is_some()
    }

    /// Two SQL statements (`insert(T).values(...)` on one branch, `update(T).where(...)` on the
    /// other) or two file objects: either way the merge holds data without being SQL text or
    /// a path.
    fn both_holders(a: &Val, b: &Val) -> bool {
        use super::sinks::{is_file_object, is_sql_statement};
        (is_sql_statement(a) && is_sql_statement(b)) || (is_file_object(a) && is_file_object(b))
    }

    /// What either value may be (control-flow merge).
    pub fn join(&self, other: &Val) -> Val {
        let shape = match (&self.shape, &other.shape) {
            (Shape::Seq(a), Shape::Seq(b)) if a.len() == b.len() => Shape::Seq(Arc::new(
                a.iter().zip(b.iter()).map(|(x, y)| x.join(y)).collect(),
            )),
            (Shape::Map(a), Shape::Map(b)) => {
                let mut keys: Vec<&String> = a.iter().map(|(k, _)| k).collect();
                for (k, _) in b.iter() {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
                let get = |m: &[(String, Val)], k: &str| {
                    m.iter().rev().find(|(x, _)| x == k).map(|(_, v)| v.clone())
                };
                Shape::Map(Arc::new(
                    keys.into_iter()
                        .map(|k| {
                            let v = match (get(a, k), get(b, k)) {
                                (Some(x), Some(y)) => x.join(&y),
                                (Some(x), None) | (None, Some(x)) => x,
                                (None, None) => Val::clean(),
                            };
                            (k.clone(), v)
                        })
                        .collect(),
                ))
            }
            (Shape::None, Shape::None) => Shape::None,
            // `return None, error` on one path and `return record, None` on another: a value
            // that is either a record or nothing keeps the record's fields apart.
            _ if other.is_empty_scalar() => return self.joined_with_nothing(other),
            _ if self.is_empty_scalar() => return other.joined_with_nothing(self),
            _ => {
                // Different shapes: keep the data, forget the positions.
                let mut v = self.collapse();
                add_all(&mut v.taints, &other.all_taints());
                v.non_text = Self::json_join(self, other);
                return v;
            }
        };
        let mut taints = self.taints.clone();
        add_all(&mut taints, &other.taints);
        Val {
            taints,
            shape,
            alias: if self.alias == other.alias
                || Self::both_records(self, other)
                || Self::both_holders(self, other)
            {
                self.alias.clone()
            } else {
                super::app_paths::joined_alias(self.alias.as_deref(), other.alias.as_deref())
            },
            truth: if self.truth == other.truth {
                self.truth
            } else {
                None
            },
            non_html_types: self.text != other.text
                && self.is_non_html_type()
                && other.is_non_html_type(),
            text: if self.text == other.text {
                self.text.clone()
            } else {
                None
            },
            number: self.number.filter(|n| Some(*n) == other.number),
            constant: self.constant && other.constant,
            dotless: (self.dotless || other.dotless) && Self::dotless_join(self, other),
            in_items: items::joined(self, other),
            non_text: Self::json_join(self, other),
        }
    }

    /// Whether a view returning this value answers JSON rather than HTML: a dict, a non-text
    /// value, or a tuple (or list) whose first item, the body, is one.
    /// Whether a view's `(body, status, headers)` or `(body, headers)` return names, in its
    /// headers dict, a literal Content-Type browsers do not render as a page:
    /// `return body, 404, {"Content-Type": "application/json"}`.
    pub fn headers_say_non_html(&self) -> bool {
        let Shape::Seq(items) = &self.shape else {
            return false;
        };
        (2..=3).contains(&items.len()) && items[1..].iter().any(Val::names_non_html_type)
    }

    /// Whether a headers dict names a literal Content-Type browsers do not render as a page:
    /// `{"Content-Type": "application/json"}`.
    pub fn names_non_html_type(&self) -> bool {
        match &self.shape {
            Shape::Map(entries) => entries.iter().any(|(key, value)| {
                key.eq_ignore_ascii_case("content-type") && value.is_non_html_type()
            }),
            _ => false,
        }
    }

    /// Whether the value is a literal media type browsers do not render as a page, or one of
    /// several such (see [`Val::non_html_types`]).
    fn is_non_html_type(&self) -> bool {
        !self.is_tainted()
            && (self.non_html_types
                || self
                    .text
                    .as_deref()
                    .is_some_and(super::sinks::non_html_mimetype))
    }

    pub fn is_json_body(&self) -> bool {
        let body = match &self.shape {
            Shape::Seq(items) if !items.is_empty() => &items[0],
            _ => self,
        };
        body.non_text || matches!(body.shape, Shape::Map(_) | Shape::Seq(_))
    }

    /// Whether every side of a merge that carries data is a JSON body, and some side does: a
    /// value that is either a dict or a list of objects is still no text.
    fn json_join(a: &Val, b: &Val) -> bool {
        let (ta, tb) = (a.is_tainted(), b.is_tainted());
        (ta || tb) && (a.is_json_body() || !ta) && (b.is_json_body() || !tb)
    }

    /// Whether every tainted side of a merge is dotless, and some side is tainted.
    fn dotless_join(a: &Val, b: &Val) -> bool {
        let (ta, tb) = (a.is_tainted(), b.is_tainted());
        (ta || tb) && (a.dotless || !ta) && (b.dotless || !tb)
    }

    /// Adds the data of `other` (e.g. an operand of a concatenation) to this value.
    /// Forgets the structure of every taint: once data is formatted into a string, its parts are
    /// no longer separate elements.
    pub fn flatten_structure(&mut self) {
        self.taints = self
            .taints
            .iter()
            .map(|t| {
                Arc::new(Taint {
                    structured: false,
                    ..(**t).clone()
                })
            })
            .collect();
    }

    /// `param.attr` read in a summary: the parameter's data narrowed to that attribute. Other
    /// data (and data already narrowed) stays as it is.
    pub fn attribute_of_param(&self, attr: &str) -> Val {
        self.collapse().narrowed_to(Arc::from(attr))
    }

    /// `param["key"]` (or `param.get("key")`) read in a summary: the parameter's data narrowed
    /// to that item, written `[key]` as the taint's field. Other data stays as it is.
    pub fn item_of_param(self, key: &str) -> Val {
        self.narrowed_to(Arc::from(format!("[{key}]")))
    }

    /// This value with the parameter data not yet narrowed narrowed to `field`.
    fn narrowed_to(mut self, field: Arc<str>) -> Val {
        self.taints = self
            .taints
            .iter()
            .map(|t| match t.origin {
                Origin::Param(_) if t.field.is_none() => Arc::new(Taint {
                    field: Some(field.clone()),
                    ..(**t).clone()
                }),
                _ => t.clone(),
            })
            .collect();
        self
    }

    /// The data a parameter's taint narrowed to `field` stands for when this value is the
    /// argument: only that field of a record, or that item of a dict with constant keys
    /// (`[key]`), everything otherwise.
    pub fn argument_taints(&self, field: Option<&str>) -> Vec<Arc<Taint>> {
        let item = field.and_then(|f| f.strip_prefix('[')?.strip_suffix(']'));
        if let Some(key) = item {
            return self.element(&Index::Str(key.to_string())).all_taints();
        }
        match (field, &self.shape) {
            (Some(f), Shape::Map(_)) if self.alias.is_some() => {
                self.element(&Index::Str(f.to_string())).all_taints()
            }
            // The callee read an attribute: data held in items only is not in it.
            (Some(_), _) => items::attribute_taints(self),
            (None, _) => self.all_taints(),
        }
    }

    /// Adds the data of `other` (forgetting its structure); text with dots may come with it,
    /// and it is not known to be in items only.
    pub fn absorb(&mut self, other: &Val) {
        let more = other.all_taints();
        if !more.is_empty() && !other.dotless {
            self.dotless = false;
        }
        // Text may come with it.
        if !more.is_empty() {
            self.non_text = false;
        }
        items::forget(&mut self.in_items, &more);
        add_all(&mut self.taints, &more);
    }
}

/// A constant subscript.
#[derive(Debug, Clone)]
pub enum Index {
    Int(i64),
    Str(String),
}

/// Adds the taints of `more` to `into`, one per origin: the least sanitised wins.
pub fn add_all(into: &mut Vec<Arc<Taint>>, more: &[Arc<Taint>]) {
    for t in more {
        // The same data by a modelled way and through a guess are kept apart: each may be
        // the one a sink sees, and the modelled flow is the one reported by default.
        if let Some(existing) = into
            .iter_mut()
            .find(|x| x.key == t.key && x.field == t.field && x.audit == t.audit)
        {
            let less_cleared = t.cleared & !existing.cleared == 0 && t.cleared != existing.cleared;
            // An exception's text leaks where the object itself cannot be sent: keep the text.
            let text_of_object =
                t.origin == Origin::Exception && existing.structured && !t.structured;
            if less_cleared || text_of_object {
                *existing = t.clone();
            }
            continue;
        }
        let other_field = || {
            t.field.is_some()
                && matches!(t.origin, Origin::Param(_))
                && into.iter().any(|x| x.key == t.key && x.field.is_some())
        };
        if into.len() < MAX_TAINTS || (into.len() < MAX_TAINTS + MAX_FIELD_TAINTS && other_field())
        {
            into.push(t.clone());
        } else if let Some(guess) = into.iter_mut().find(|x| x.audit && !t.audit) {
            // Full: a modelled flow takes the place of a guessed one.
            *guess = t.clone();
        } else if let Some(same) = into.iter_mut().find(|x| x.key == t.key) {
            // Full: two fields of one parameter become the whole parameter.
            *same = Arc::new(Taint {
                field: None,
                cleared: same.cleared & t.cleared,
                audit: same.audit && t.audit,
                ..(**same).clone()
            });
        } else if t.origin == Origin::Request {
            // Full: prefer request data over audit-only origins.
            if let Some(slot) = into.iter_mut().find(|x| x.origin != Origin::Request) {
                *slot = t.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str) -> Val {
        Val {
            text: Some(Arc::from(text)),
            ..Val::constant()
        }
    }

    fn answer(content_type: Val) -> Val {
        let headers = Val {
            shape: Shape::Map(Arc::new(vec![("Content-Type".to_string(), content_type)])),
            ..Val::clean()
        };
        let body = Val::tainted(Taint::request_for_tests("name"));
        Val {
            shape: Shape::Seq(Arc::new(vec![body, Val::constant(), headers])),
            ..Val::clean()
        }
    }

    #[test]
    fn a_content_type_chosen_among_non_html_literals_stays_non_html() {
        let joined = literal("application/json").join(&literal("text/javascript"));
        assert!(joined.text.is_none());
        assert!(answer(joined).headers_say_non_html());
        let either = literal("application/json").join(&literal("text/html"));
        assert!(!answer(either).headers_say_non_html());
        let same = literal("text/html").join(&literal("text/html"));
        assert!(!answer(same).headers_say_non_html());
    }

    #[test]
    fn a_full_flow_keeps_its_source_and_its_newest_step() {
        let mut flow: Flow = None;
        for i in 0..40u32 {
            let at = TextRange::new(i.into(), i.into());
            flow = push_step(&flow, 0, at, format!("step {i}"));
        }
        let all = steps(&flow);
        assert_eq!(all.len(), usize::from(MAX_FLOW));
        assert_eq!(all[0].message, "step 0");
        assert_eq!(all[all.len() - 2].message, "step 22");
        assert_eq!(all[all.len() - 1].message, "step 39");
    }
}
