//! The route inventory: each route's full rule, methods and endpoint, and its protection,
//! judged from the decorators, `before_request` guards and in-body checks the walk recorded.
//! When protection depends on something not followed, the route is `unknown`, never `none`.

use std::collections::HashMap;

use serde::Serialize;

use crate::finding::Location;
use crate::python::access::{
    self, AccessFacts, BlueprintDef, BodyCheck, ClassView, DeclaredAuth, DecoratorUse,
    FunctionAccess, Library, Scope, Verdict,
};
use crate::python::checker::LAMBDA_VIEW;
use crate::python::flask::{self, AppFacts, Route};
use crate::python::view_body::ViewBody;

/// Whether a route requires authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    Required,
    None,
    Unknown,
}

impl Auth {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Auth::Required => "required",
            Auth::None => "none",
            Auth::Unknown => "unknown",
        }
    }
}

/// How a protection is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProtectionKind {
    Decorator,
    BeforeRequest,
    InBody,
}

/// One thing that rejects unauthenticated (or unauthorised) requests to a route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Protection {
    pub kind: ProtectionKind,
    /// The decorator or hook (qualified), or the check as written.
    pub name: String,
    pub path: String,
    pub line: u32,
    /// Where the decorator, hook or check is written (its `line` with a column).
    #[serde(skip)]
    pub location: Location,
}

/// One route of the inventory (JSON version 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteEntry {
    pub rule: String,
    /// The subdomain the route answers on (`subdomain=` of the route, its blueprint's
    /// registration or the blueprint); omitted when none is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subdomain: Option<String>,
    pub methods: Vec<String>,
    pub endpoint: String,
    /// The view's file and `def` line.
    pub path: String,
    pub line: u32,
    pub auth: Auth,
    pub roles: Vec<String>,
    pub protections: Vec<Protection>,
    /// Why `auth` is `unknown` (for the table; not part of the JSON).
    #[serde(skip)]
    pub unknown: Vec<String>,
    /// The view's qualified function (or class), for rules that judge it by its name.
    #[serde(skip)]
    pub view: String,
    /// The view's `def` (or method handler), where rules report.
    #[serde(skip)]
    pub location: Location,
    /// The lines that declare the route: a change on one of them changes the route.
    #[serde(skip)]
    pub declared: Vec<LineSpan>,
    /// What the view's body does, when it was read.
    #[serde(skip)]
    pub body: Option<ViewBody>,
    /// Every decorator applied to the handler and every `before_request` hook that may run
    /// before it, qualified (`None`: not followed), whether or not it authenticates.
    #[serde(skip)]
    pub guards: Vec<Option<String>>,
}

/// Lines `start..=end` of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpan {
    pub path: String,
    pub start: u32,
    pub end: u32,
}

impl RouteEntry {
    /// The view's own name, without its module (`delete_user`).
    pub fn view_name(&self) -> &str {
        self.view.rsplit('.').next().unwrap_or(&self.view)
    }

    /// The view as a message names it: `` `delete_user` (POST /admin/users/<id>) ``.
    pub fn describe(&self) -> String {
        format!(
            "`{}` ({} {})",
            self.view_name(),
            self.methods.join("/"),
            self.shown_rule()
        )
    }

    /// The rule as tables show it: with its subdomain in front (`api:/users`) when it has one.
    pub fn shown_rule(&self) -> String {
        match &self.subdomain {
            Some(s) => format!("{s}:{}", self.rule),
            None => self.rule.clone(),
        }
    }

    /// Whether `other` is the same route, whatever lines declare each.
    fn same_route(&self, other: &Self) -> bool {
        (
            &self.rule,
            &self.subdomain,
            &self.methods,
            &self.endpoint,
            &self.path,
            self.line,
        ) == (
            &other.rule,
            &other.subdomain,
            &other.methods,
            &other.endpoint,
            &other.path,
            other.line,
        ) && (self.auth, &self.roles, &self.protections, &self.unknown)
            == (other.auth, &other.roles, &other.protections, &other.unknown)
            && (&self.view, &self.location) == (&other.view, &other.location)
    }

    /// The route of `among` (not empty) a message points to as this one's sibling: the closest
    /// in the same file, else one under the same first URL segment, else the first.
    pub fn nearest<'r>(&self, among: &[&'r RouteEntry]) -> &'r RouteEntry {
        let first_segment = |rule: &str| {
            rule.trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("")
                .to_string()
        };
        let same_file = among
            .iter()
            .filter(|a| a.path == self.path)
            .min_by_key(|a| a.line.abs_diff(self.line));
        let same_prefix = || {
            among
                .iter()
                .find(|a| first_segment(&a.rule) == first_segment(&self.rule))
        };
        same_file.or_else(same_prefix).unwrap_or(&among[0])
    }
}

/// Project-wide lookups over the merged facts.
struct Index<'f> {
    functions: HashMap<&'f str, &'f FunctionAccess>,
    classes: HashMap<&'f str, &'f ClassView>,
    blueprints: HashMap<&'f str, &'f BlueprintDef>,
    /// Blueprint identity → `url_prefix` given at registration.
    registrations: HashMap<String, Option<&'f str>>,
    /// Blueprint identity → `subdomain` given at registration.
    registered_subdomains: HashMap<String, &'f str>,
    /// Blueprint identity → the apps it is registered on (`None`: an app not followed).
    registered_on: HashMap<String, Vec<Option<String>>>,
    /// The project defines several apps: an app's hooks apply to its own routes only.
    several_apps: bool,
    aliases: HashMap<&'f str, &'f str>,
    access: &'f AccessFacts,
    /// Decorators the configuration declares as authentication or role checks.
    declared: &'f DeclaredAuth,
}

impl<'f> Index<'f> {
    fn new(access: &'f AccessFacts, declared: &'f DeclaredAuth) -> Self {
        let mut index = Self {
            functions: access
                .functions
                .iter()
                .map(|f| (f.function.as_str(), f))
                .collect(),
            classes: access
                .class_views
                .iter()
                .map(|c| (c.class.as_str(), c))
                .collect(),
            blueprints: HashMap::new(),
            registrations: HashMap::new(),
            registered_subdomains: HashMap::new(),
            registered_on: HashMap::new(),
            several_apps: false,
            aliases: access
                .aliases
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect(),
            access,
            declared,
        };
        for b in &access.blueprints {
            index.blueprints.entry(b.identity.as_str()).or_insert(b);
        }
        for registration in &access.registrations {
            let canonical = index.canonical(&registration.blueprint).to_string();
            let app = registration
                .app
                .as_deref()
                .map(|a| index.canonical(a).to_string());
            if let Some(subdomain) = registration.subdomain.as_deref() {
                // The first registration that gives a subdomain wins, like the prefix.
                index
                    .registered_subdomains
                    .entry(canonical.clone())
                    .or_insert(subdomain);
            }
            index
                .registered_on
                .entry(canonical.clone())
                .or_default()
                .push(app);
            let slot = index.registrations.entry(canonical).or_insert(None);
            // The first registration that gives a prefix wins.
            if slot.is_none() {
                *slot = registration.url_prefix.as_deref();
            }
        }
        index
    }

    /// Notes whether the routes and hooks name more than one app.
    fn count_apps(&mut self, routes: &[&Route]) {
        let mut apps = std::collections::HashSet::new();
        let scopes = routes
            .iter()
            .map(|r| &r.scope)
            .chain(self.access.hooks.iter().map(|h| &h.scope));
        for scope in scopes {
            if let Scope::App(Some(a)) = scope {
                apps.insert(self.canonical(a).to_string());
            }
        }
        for apps_of_bp in self.registered_on.values() {
            apps.extend(apps_of_bp.iter().flatten().cloned());
        }
        self.several_apps = apps.len() > 1;
    }

    /// The apps a route belongs to, when they can be followed.
    fn apps_of(&self, route: &Route) -> Option<Vec<String>> {
        match &route.scope {
            Scope::App(Some(a)) => Some(vec![self.canonical(a).to_string()]),
            Scope::Blueprint(Some(b)) => {
                let apps = self.registered_on.get(self.canonical(b))?;
                apps.iter().cloned().collect::<Option<Vec<String>>>()
            }
            _ => None,
        }
    }

    /// Whether an app-wide hook of app `hook_app` applies to `route`: `None` when that cannot
    /// be told (several apps, one of them not followed).
    fn app_hook_applies(&self, hook_app: Option<&str>, route: &Route) -> Option<bool> {
        if !self.several_apps {
            return Some(true);
        }
        let apps = self.apps_of(route)?;
        let hook_app = self.canonical(hook_app?);
        Some(apps.iter().any(|a| a == hook_app))
    }

    /// Follows re-exports (`pkg.bp` → `pkg.views.bp`) to where a name is defined.
    fn canonical<'a>(&'a self, identity: &'a str) -> &'a str {
        let mut current = identity;
        for _ in 0..16 {
            match self.aliases.get(current) {
                Some(next) if *next != current => current = next,
                _ => break,
            }
        }
        current
    }

    /// The declared decorator `name` is (as written or where a re-export leads), and its verdict.
    fn declared_as(&self, name: &str) -> Option<(&'f str, Verdict)> {
        self.declared
            .verdict(name)
            .or_else(|| self.declared.verdict(self.canonical(name)))
    }

    fn blueprint(&self, identity: &str) -> Option<&'f BlueprintDef> {
        self.blueprints.get(self.canonical(identity)).copied()
    }
}

/// Builds the sorted inventory of every route in `facts`, with the decorators the project
/// declares as authentication.
pub fn build(facts: &AppFacts, declared: &DeclaredAuth) -> Vec<RouteEntry> {
    let mut index = Index::new(&facts.access, declared);
    let resources: Vec<(Route, Option<String>)> = facts
        .access
        .resources
        .iter()
        .map(|(route, api)| resource_route(&index, route, api.as_deref()))
        .collect();
    let all: Vec<&Route> = facts
        .routes
        .iter()
        .chain(&facts.access.extra_routes)
        .chain(resources.iter().map(|(r, _)| r))
        .collect();
    index.count_apps(&all);
    let mut entries: Vec<RouteEntry> = facts
        .routes
        .iter()
        .chain(&facts.access.extra_routes)
        .map(|r| (r, None))
        .chain(resources.iter().map(|(r, u)| (r, u.as_deref())))
        .flat_map(|(r, unknown)| entries_of(&index, r, unknown))
        .collect();
    entries.sort_by(|a, b| {
        (
            &a.rule,
            &a.subdomain,
            &a.methods,
            &a.endpoint,
            &a.path,
            a.line,
        )
            .cmp(&(
                &b.rule,
                &b.subdomain,
                &b.methods,
                &b.endpoint,
                &b.path,
                b.line,
            ))
    });
    // A view under several route decorators with the same rule (or dynamic ones) is one
    // route, declared on each of their lines.
    entries.dedup_by(|later, kept| {
        let same = later.same_route(kept);
        if same {
            kept.declared.append(&mut later.declared);
        }
        same
    });
    entries
}

/// A REST resource's route as its `Api` object registers it: on the Api's app or blueprint,
/// under its prefix, with its decorators; and why its protection may not be known.
fn resource_route(index: &Index, route: &Route, api: Option<&str>) -> (Route, Option<String>) {
    let mut route = route.clone();
    let def = api.and_then(|a| {
        let canonical = index.canonical(a);
        index.access.apis.iter().find(|d| d.identity == canonical)
    });
    let Some(def) = def else {
        // Its `Api(decorators=[...])` may guard it.
        return (
            route,
            Some("its `Api` object could not be followed".to_string()),
        );
    };
    route.scope = def.scope.clone();
    if let (Some(prefix), Some(rule)) = (&def.prefix, &route.rule) {
        route.rule = Some(flask::join_prefix(prefix, rule));
    }
    route.wrappers.extend(def.decorators.iter().cloned());
    (route, def.unknown.clone())
}

/// What applies to one handler of a route: decorators (outermost first) and a top check.
struct Guards<'f> {
    decorators: Vec<&'f DecoratorUse>,
    top_check: Option<&'f BodyCheck>,
    body: Option<&'f ViewBody>,
    location: &'f Location,
    methods: Vec<String>,
    unknown: Vec<String>,
    /// Where the handler's own decorators (those written on its `def`) start in `decorators`.
    own_from: usize,
}

/// Where a route answers and what it is called: its full rule, subdomain and endpoint.
struct Address {
    rule: String,
    subdomain: Option<String>,
    endpoint: String,
}

fn entries_of(index: &Index, route: &Route, unknown: Option<&str>) -> Vec<RouteEntry> {
    let (rule, blueprint_name) = full_rule(index, route);
    let view_name = route.function.rsplit('.').next().unwrap_or(&route.function);
    let local_endpoint = route.endpoint.as_deref().unwrap_or(view_name);
    let endpoint = match &blueprint_name {
        Some(bp) => format!("{bp}.{local_endpoint}"),
        None => local_endpoint.to_string(),
    };
    let address = Address {
        rule,
        subdomain: subdomain(index, route),
        endpoint,
    };
    let wrappers: Vec<&DecoratorUse> = route.wrappers.iter().collect();
    let guards = handler_guards(index, route, wrappers);
    let class_lists = class_guard_lists(index, route);
    guards
        .into_iter()
        .map(|mut g| {
            g.unknown.extend(unknown.map(str::to_string));
            let mut entry = judge(index, route, &address, g);
            entry.declared.extend(class_lists.iter().cloned());
            entry
        })
        .collect()
}

/// The lines of a class-based view's `decorators = [...]` and `method_decorators`: they declare
/// how each of its routes is protected, so a change there changes the routes.
fn class_guard_lists(index: &Index, route: &Route) -> Vec<LineSpan> {
    if !route.class_view {
        return Vec::new();
    }
    let Some(class) = index.classes.get(index.canonical(&route.function)) else {
        return Vec::new();
    };
    class
        .guard_lists
        .iter()
        .map(|l| LineSpan {
            path: l.path.clone(),
            start: l.start.line,
            end: l.end.line,
        })
        .collect()
}

/// The route's subdomain as Flask resolves it: the route's own `subdomain=`, else the one given
/// when its blueprint is registered, else the blueprint's.
fn subdomain(index: &Index, route: &Route) -> Option<String> {
    if route.subdomain.is_some() {
        return route.subdomain.clone();
    }
    let Scope::Blueprint(Some(identity)) = &route.scope else {
        return None;
    };
    index
        .registered_subdomains
        .get(index.canonical(identity))
        .copied()
        .or_else(|| index.blueprint(identity)?.subdomain.as_deref())
        .map(str::to_string)
}

/// The rule with its blueprint's prefix, and the blueprint's name.
fn full_rule(index: &Index, route: &Route) -> (String, Option<String>) {
    let rule = route
        .rule
        .clone()
        .unwrap_or_else(|| "<dynamic>".to_string());
    let Scope::Blueprint(Some(identity)) = &route.scope else {
        return (rule, None);
    };
    let canonical = index.canonical(identity);
    let def = index.blueprint(identity);
    let prefix = index
        .registrations
        .get(canonical)
        .copied()
        .flatten()
        .or_else(|| def.and_then(|d| d.url_prefix.as_deref()));
    let rule = match prefix {
        Some(p) => flask::join_prefix(p, &rule),
        None => rule,
    };
    (rule, def.and_then(|d| d.name.clone()))
}

/// The guards of each handler of `route`: one for a function view, one per HTTP method handler
/// of a class-based view (their decorators may differ).
fn handler_guards<'f>(
    index: &Index<'f>,
    route: &'f Route,
    wrappers: Vec<&'f DecoratorUse>,
) -> Vec<Guards<'f>> {
    if route.class_view {
        let Some(class) = index.classes.get(index.canonical(&route.function)) else {
            return vec![not_followed(route, wrappers, "its class-based view")];
        };
        let mut shared = wrappers;
        shared.extend(class.decorators.iter());
        let mut unknown: Vec<String> = class.unknown.iter().cloned().collect();
        if class.handlers.is_empty() {
            unknown.push("its class-based view has no method handlers to read".into());
            return vec![wrappers_only(route, shared, unknown)];
        }
        return class
            .handlers
            .iter()
            .filter(|h| class.methods.as_ref().is_none_or(|m| m.contains(&h.method)))
            .map(|h| {
                let mut decorators = shared.clone();
                decorators.extend(class.method_decorators.iter().filter_map(|(m, d)| {
                    let applies = m
                        .as_deref()
                        .is_none_or(|m| m.eq_ignore_ascii_case(&h.method));
                    applies.then_some(d)
                }));
                let own_from = decorators.len();
                decorators.extend(h.decorators.iter());
                Guards {
                    own_from,
                    decorators,
                    top_check: h.top_check.as_ref(),
                    body: Some(&h.body),
                    location: &h.location,
                    methods: vec![h.method.clone()],
                    unknown: unknown.clone(),
                }
            })
            .collect();
    }
    if route.function == LAMBDA_VIEW {
        return vec![wrappers_only(route, wrappers, Vec::new())];
    }
    match index.functions.get(index.canonical(&route.function)) {
        Some(view) => {
            let own_from = wrappers.len();
            let mut decorators = wrappers;
            decorators.extend(view.decorators.iter());
            vec![Guards {
                own_from,
                decorators,
                top_check: view.top_check.as_ref(),
                body: view.body.as_ref(),
                location: &view.location,
                methods: route.methods.clone(),
                unknown: Vec::new(),
            }]
        }
        None => vec![not_followed(route, wrappers, "its view function")],
    }
}

fn not_followed<'f>(route: &'f Route, wrappers: Vec<&'f DecoratorUse>, what: &str) -> Guards<'f> {
    wrappers_only(
        route,
        wrappers,
        vec![format!("{what} could not be followed")],
    )
}

/// The guards of a route whose view has nothing of its own to read: the wrappers around it.
fn wrappers_only<'f>(
    route: &'f Route,
    wrappers: Vec<&'f DecoratorUse>,
    unknown: Vec<String>,
) -> Guards<'f> {
    Guards {
        own_from: wrappers.len(),
        decorators: wrappers,
        top_check: None,
        body: None,
        location: &route.location,
        methods: route.methods.clone(),
        unknown,
    }
}

/// Judges one handler: its protections, roles and verdict.
fn judge(index: &Index, route: &Route, address: &Address, g: Guards) -> RouteEntry {
    let mut protections = Vec::new();
    let mut roles = Vec::new();
    let mut unknown = g.unknown;
    let mut guards = Vec::new();
    for d in &g.decorators {
        guards.push(d.name.as_deref().map(|n| index.canonical(n).to_string()));
        match decorator_verdict(index, d) {
            Verdict::Authenticates {
                roles: r,
                roles_from_args,
            } => {
                roles.extend(r);
                if roles_from_args {
                    roles.extend(d.args.iter().cloned());
                }
                protections.push(protection(
                    ProtectionKind::Decorator,
                    decorator_name(index, d),
                    &d.location,
                ));
            }
            Verdict::Open => {}
            Verdict::Unknown(reason) => unknown.push(reason),
            // `decorator_verdict` follows these; one left is a chain too long to follow.
            Verdict::Delegates(_) | Verdict::Calls(_) => {
                unknown.push(format!("decorator `{}` could not be followed", d.text))
            }
        }
    }
    if let Some(check) = g.top_check {
        roles.extend(check.roles.iter().cloned());
        protections.push(protection(
            ProtectionKind::InBody,
            check.name.clone(),
            &check.location,
        ));
    }
    hook_protections(
        index,
        route,
        (&address.endpoint, &address.rule),
        &mut protections,
        &mut roles,
        &mut unknown,
        &mut guards,
    );
    dedup_in_order(&mut roles);
    dedup_in_order(&mut unknown);
    let auth = if !protections.is_empty() {
        Auth::Required
    } else if !unknown.is_empty() {
        Auth::Unknown
    } else {
        Auth::None
    };
    RouteEntry {
        rule: address.rule.clone(),
        subdomain: address.subdomain.clone(),
        methods: g.methods,
        endpoint: address.endpoint.clone(),
        path: g.location.path.clone(),
        line: g.location.start.line,
        auth,
        roles,
        protections,
        unknown,
        view: route.function.clone(),
        location: g.location.clone(),
        declared: declared_spans(route, &g.decorators[g.own_from..], g.location),
        body: g.body.cloned(),
        guards,
    }
}

/// The route's registration (its route decorator or `add_url_rule` call), and the handler's own
/// decorators (`own`) through its `def` line.
fn declared_spans(route: &Route, own: &[&DecoratorUse], def: &Location) -> Vec<LineSpan> {
    let def_line = def.start.line;
    // A route decorator sits among the view's own decorators; an `add_url_rule` call is apart.
    let route_decorator = (!route.class_view).then_some(&route.location);
    let first = own
        .iter()
        .map(|d| &d.location)
        .chain(route_decorator)
        .filter(|l| l.path == def.path && l.start.line <= def_line)
        .map(|l| l.start.line)
        .min()
        .unwrap_or(def_line);
    let view = LineSpan {
        path: def.path.clone(),
        start: first,
        end: def_line,
    };
    let registration = LineSpan {
        path: route.location.path.clone(),
        start: route.location.start.line,
        end: route.location.end.line,
    };
    if registration.path == view.path && registration.start >= first && registration.end <= def_line
    {
        vec![view]
    } else {
        vec![view, registration]
    }
}

/// How a protection names a decorator: as declared in the configuration, else its qualified
/// name, else as written.
fn decorator_name(index: &Index, d: &DecoratorUse) -> String {
    let declared = d
        .name
        .as_deref()
        .and_then(|n| index.declared_as(n))
        .map(|(name, _)| name.to_string());
    declared.unwrap_or_else(|| d.name.clone().unwrap_or_else(|| d.text.clone()))
}

/// Of two verdicts on the same request, the one that decides: authenticating wins, then
/// unknown, then open.
fn stronger(a: Verdict, b: Verdict) -> Verdict {
    match (&a, &b) {
        (Verdict::Authenticates { .. }, _) => a,
        (_, Verdict::Authenticates { .. }) => b,
        (Verdict::Unknown(_), _) => a,
        _ => b,
    }
}

/// Drops repeated items, keeping the first of each.
fn dedup_in_order(items: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.clone()));
}

fn protection(kind: ProtectionKind, name: String, at: &Location) -> Protection {
    Protection {
        kind,
        name,
        path: at.path.clone(),
        line: at.start.line,
        location: at.clone(),
    }
}

/// What a decorator on a view does: a known library decorator, or a project decorator judged
/// at its definition.
fn decorator_verdict(index_: &impl DecoratorLookup, d: &DecoratorUse) -> Verdict {
    let verdict = use_verdict(index_, d);
    follow(
        index_,
        verdict,
        &format!("decorator `{}`", d.text),
        &d.location,
        0,
    )
}

/// Follows a verdict that points at other project functions (a decorator the wrapper hands
/// the view to, functions it calls) to a final one; bounded, as they may form a cycle.
fn follow(
    index_: &impl DecoratorLookup,
    verdict: Verdict,
    what: &str,
    at: &Location,
    depth: usize,
) -> Verdict {
    if depth > MAX_FOLLOW {
        return Verdict::Unknown(format!("{what} could not be followed"));
    }
    match verdict {
        Verdict::Delegates(name) => {
            let next = DecoratorUse {
                name: Some(name.clone()),
                text: name,
                args: Vec::new(),
                optional: false,
                in_project: true,
                location: at.clone(),
            };
            match use_verdict(index_, &next) {
                Verdict::Unknown(reason) => {
                    Verdict::Unknown(format!("{what} hands the view to {reason}"))
                }
                v => follow(index_, v, what, at, depth + 1),
            }
        }
        Verdict::Calls(calls) => {
            let mut unknown = None;
            for call in calls {
                let found = call.function.as_deref().and_then(|f| index_.hook(f));
                let verdict = match found {
                    Some(v) => follow(index_, v, what, at, depth + 1),
                    // A library or unresolved helper: only one named for authentication
                    // leaves the question open.
                    None if call.named_like_auth => Verdict::Unknown(format!(
                        "{what} calls `{}`, not followed",
                        call.function.as_deref().unwrap_or(&call.text)
                    )),
                    None => Verdict::Open,
                };
                match verdict {
                    Verdict::Authenticates {
                        mut roles,
                        roles_from_args,
                    } => {
                        roles.extend(call.roles);
                        return Verdict::Authenticates {
                            roles,
                            roles_from_args,
                        };
                    }
                    v @ Verdict::Unknown(_) => {
                        unknown.get_or_insert(v);
                    }
                    _ => {}
                }
            }
            // Followed, and none rejects anything: the calls are for something else.
            unknown.unwrap_or(Verdict::Open)
        }
        v => v,
    }
}

/// How many functions deep [`follow`] goes.
const MAX_FOLLOW: usize = 6;

fn use_verdict(index_: &impl DecoratorLookup, d: &DecoratorUse) -> Verdict {
    // The project's word wins over what the reader would make of the decorator.
    if let Some(verdict) = d.name.as_deref().and_then(|n| index_.declared(n)) {
        return verdict;
    }
    match access::library_decorator(d.name.as_deref(), &d.args, d.optional) {
        Library::Authenticates(roles) => {
            return Verdict::Authenticates {
                roles,
                roles_from_args: false,
            }
        }
        Library::Open => return Verdict::Open,
        Library::Unknown => {}
    }
    // `@csrf.exempt`, `@limiter.limit(...)` of an extension the resolver cannot follow (or
    // whose instance is built where its type is lost): never authentication.
    if is_extension_helper(&d.text) {
        return Verdict::Open;
    }
    let Some(name) = d.name.as_deref() else {
        return Verdict::Unknown(format!("decorator `{}` could not be followed", d.text));
    };
    if !d.in_project {
        return Verdict::Unknown(format!(
            "decorator `{name}` is not a known library decorator"
        ));
    }
    match index_.decorator(name) {
        Some(Verdict::Unknown(reason)) => {
            Verdict::Unknown(format!("decorator `{}`: {reason}", d.text))
        }
        Some(v) => v,
        None => Verdict::Unknown(format!("decorator `{}` could not be followed", d.text)),
    }
}

/// `csrf.exempt`, `app.limiter.limit`, `cache.cached`: a decorator of a CSRF, rate-limit or
/// cache extension, by the instance names those extensions are used under.
fn is_extension_helper(text: &str) -> bool {
    const HELPERS: &[(&str, &[&str])] = &[
        ("csrf", &["exempt"]),
        ("limiter", &["limit", "exempt", "shared_limit"]),
        ("cache", &["cached", "memoize"]),
    ];
    let mut parts = text.rsplit('.');
    let Some(method) = parts.next() else {
        return false;
    };
    let Some(owner) = parts.next().map(str::to_ascii_lowercase) else {
        return false;
    };
    HELPERS
        .iter()
        .any(|(word, methods)| owner.contains(word) && methods.contains(&method))
}

/// Finds project functions by qualified name.
trait DecoratorLookup {
    /// What the project function `name` does as a decorator, when it is known.
    fn decorator(&self, name: &str) -> Option<Verdict>;
    /// What the project function `name` does when called before a view, when it is known.
    fn hook(&self, name: &str) -> Option<Verdict>;
    /// What `name` does when the configuration declares it an authentication decorator.
    fn declared(&self, name: &str) -> Option<Verdict>;
}

impl DecoratorLookup for Index<'_> {
    fn decorator(&self, name: &str) -> Option<Verdict> {
        let name = self.canonical(name);
        self.functions.get(name).map(|f| f.as_decorator.clone())
    }
    fn hook(&self, name: &str) -> Option<Verdict> {
        let name = self.canonical(name);
        self.functions.get(name).map(|f| f.as_hook.clone())
    }
    fn declared(&self, name: &str) -> Option<Verdict> {
        self.declared_as(name).map(|(_, v)| v)
    }
}

/// `before_request` hooks of the app, and of the route's blueprint, that apply to the route
/// with this endpoint and full rule.
fn hook_protections(
    index: &Index,
    route: &Route,
    (endpoint, rule): (&str, &str),
    protections: &mut Vec<Protection>,
    roles: &mut Vec<String>,
    unknown: &mut Vec<String>,
    guards: &mut Vec<Option<String>>,
) {
    for hook in &index.access.hooks {
        let applies = match (&hook.scope, &route.scope) {
            (Scope::App(app), _) => index.app_hook_applies(app.as_deref(), route),
            (Scope::Blueprint(Some(h)), Scope::Blueprint(Some(r))) => {
                Some(index.canonical(h) == index.canonical(r))
            }
            (Scope::Blueprint(_), Scope::Blueprint(_)) => None,
            (Scope::Blueprint(_), Scope::App(_)) => Some(false),
        };
        if applies == Some(false) {
            continue;
        }
        guards.push(
            hook.function
                .as_deref()
                .map(|f| index.canonical(f).to_string()),
        );
        let verdict = hook
            .function
            .as_deref()
            .and_then(|f| index.functions.get(index.canonical(f)));
        let Some(f) = verdict else {
            if applies == Some(true) {
                unknown.push("a `before_request` hook could not be followed".into());
            }
            continue;
        };
        let what = format!("`before_request` hook `{}`", f.function);
        let body = match &f.as_hook {
            Verdict::Unknown(reason) => Verdict::Unknown(format!("{what} {reason}")),
            other => follow(index, other.clone(), &what, &f.location, 0),
        };
        // A hook may be guarded by a decorator itself (`@bp.before_request @user_required`).
        let verdict = f
            .decorators
            .iter()
            .map(|d| decorator_verdict(index, d))
            .chain(std::iter::once(body))
            .reduce(stronger)
            .unwrap_or(Verdict::Open);
        match &verdict {
            Verdict::Open | Verdict::Delegates(_) | Verdict::Calls(_) => {}
            Verdict::Unknown(reason) => {
                if applies == Some(true) {
                    unknown.push(reason.clone());
                }
            }
            Verdict::Authenticates { roles: r, .. } => {
                let name = &f.function;
                if applies.is_none() {
                    unknown.push(format!(
                        "`before_request` guard `{name}` may not apply: its app or blueprint could not be followed"
                    ));
                    continue;
                }
                let exempt = &f.exempt;
                if exempt.endpoints.iter().any(|e| e == endpoint)
                    || exempt
                        .prefixes
                        .iter()
                        .any(|p| endpoint.starts_with(p.as_str()))
                    || exempt.paths.iter().any(|p| p == rule)
                    || exempt
                        .path_prefixes
                        .iter()
                        .any(|p| rule.starts_with(p.as_str()))
                {
                    continue;
                }
                if let Some(reason) = &exempt.unknown {
                    unknown.push(format!("`before_request` guard `{name}`: {reason}"));
                    continue;
                }
                roles.extend(r.iter().cloned());
                protections.push(protection(
                    ProtectionKind::BeforeRequest,
                    name.clone(),
                    &f.location,
                ));
            }
        }
    }
}
