//! Just enough of Jinja's expression language to judge an output: which filters apply, which
//! variables and functions the value comes from, and whether it is a literal.

/// One lexical token of a Jinja expression.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Name(String),
    /// A string or number literal.
    Literal,
    /// Punctuation or an operator, one or two characters.
    Op(String),
}

/// Words that are operators or constants, never variables.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "true",
    "false",
    "none",
    "True",
    "False",
    "None",
    "recursive",
];

/// A filter application: `|name(args)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub name: String,
    /// Variables read by the arguments.
    pub vars: Vec<String>,
    /// Dotted names of functions called in the arguments.
    pub calls: Vec<String>,
}

/// What an expression is made of.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expression {
    /// Variables the value (before any filter) reads, e.g. `post` for `post.body`.
    pub vars: Vec<String>,
    /// Dotted names of functions the value calls, e.g. `url_for`, `forms.field`.
    pub calls: Vec<String>,
    /// The filter chain, in application order.
    pub filters: Vec<Filter>,
    /// The callee when the value is one call and nothing else: `url_for('x', q=q)`.
    pub whole_call: Option<String>,
}

impl Expression {
    /// Parses the text of an output or of a `set` value.
    pub fn parse(src: &str) -> Self {
        let toks = tokenize(src);
        let mut segments: Vec<&[Tok]> = Vec::new();
        let mut depth = 0usize;
        let mut start = 0;
        for (i, t) in toks.iter().enumerate() {
            match t {
                Tok::Op(o) if matches!(o.as_str(), "(" | "[" | "{") => depth += 1,
                Tok::Op(o) if matches!(o.as_str(), ")" | "]" | "}") => {
                    depth = depth.saturating_sub(1)
                }
                Tok::Op(o) if o == "|" && depth == 0 => {
                    segments.push(&toks[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        segments.push(&toks[start..]);
        let (vars, calls) = names(segments[0]);
        let whole_call = whole_call(segments[0]);
        let filters = segments[1..]
            .iter()
            .filter_map(|seg| {
                let Some(Tok::Name(name)) = seg.first() else {
                    return None;
                };
                let (vars, calls) = names(&seg[1..]);
                Some(Filter {
                    name: name.clone(),
                    vars,
                    calls,
                })
            })
            .collect();
        Self {
            vars,
            calls,
            filters,
            whole_call,
        }
    }

    /// Whether the chain applies `name`.
    pub fn has_filter(&self, name: &str) -> bool {
        self.filters.iter().any(|f| f.name == name)
    }
}

/// Variables and called functions in a token run. A name is a variable unless it is a keyword,
/// an attribute (`.name`), a keyword argument (`name=`), a filter or test name, or a callee.
fn names(toks: &[Tok]) -> (Vec<String>, Vec<String>) {
    let mut vars = Vec::new();
    let mut calls = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let Tok::Name(n) = &toks[i] else {
            i += 1;
            continue;
        };
        let prev = i.checked_sub(1).map(|p| &toks[p]);
        let after_dot_or_pipe = matches!(prev, Some(Tok::Op(o)) if o == "." || o == "|");
        let after_is = matches!(prev, Some(Tok::Name(p)) if p == "is")
            || (matches!(prev, Some(Tok::Name(p)) if p == "not")
                && i >= 2
                && matches!(&toks[i - 2], Tok::Name(p) if p == "is"));
        let kwarg = matches!(toks.get(i + 1), Some(Tok::Op(o)) if o == "=");
        if after_dot_or_pipe || after_is || kwarg || KEYWORDS.contains(&n.as_str()) {
            i += 1;
            continue;
        }
        // A dotted path `a.b.c`, possibly called.
        let (path, j) = dotted_path(toks, i);
        if matches!(toks.get(j), Some(Tok::Op(o)) if o == "(") {
            // A method call reads its object: `post.render()` reads `post`.
            if path.contains('.') {
                push_unique(&mut vars, n.clone());
            }
            push_unique(&mut calls, path);
        } else if !not_client_chosen(&path) {
            push_unique(&mut vars, n.clone());
        }
        i = j;
    }
    (vars, calls)
}

/// Attributes of Flask's `request` a third-party page cannot choose for a victim: the host comes
/// from the Host header the victim's browser sets to the site itself, the mount point from the
/// deployment, the method and endpoint from routing.
const NOT_CLIENT_CHOSEN: &[&str] = &[
    "host_url",
    "url_root",
    "host",
    "script_root",
    "scheme",
    "method",
    "endpoint",
    "blueprint",
    "is_secure",
];

/// Whether `path` reads one of [`NOT_CLIENT_CHOSEN`] of `request`: no request data.
fn not_client_chosen(path: &str) -> bool {
    let mut parts = path.split('.');
    parts.next() == Some("request")
        && parts
            .next()
            .is_some_and(|attr| NOT_CLIENT_CHOSEN.contains(&attr))
}

/// The dotted name `a.b.c` starting at the name token `toks[start]`, and the index just after it.
fn dotted_path(toks: &[Tok], start: usize) -> (String, usize) {
    let mut path = match &toks[start] {
        Tok::Name(n) => n.clone(),
        _ => String::new(),
    };
    let mut j = start + 1;
    while let (Some(Tok::Op(dot)), Some(Tok::Name(next))) = (toks.get(j), toks.get(j + 1)) {
        if dot != "." {
            break;
        }
        path.push('.');
        path.push_str(next);
        j += 2;
    }
    (path, j)
}

/// The dotted callee when `toks` is exactly `a.b(...)`.
fn whole_call(toks: &[Tok]) -> Option<String> {
    if !matches!(toks.first(), Some(Tok::Name(_))) {
        return None;
    }
    let (path, j) = dotted_path(toks, 0);
    if !matches!(toks.get(j), Some(Tok::Op(o)) if o == "(") {
        return None;
    }
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(j) {
        match t {
            Tok::Op(o) if matches!(o.as_str(), "(" | "[" | "{") => depth += 1,
            Tok::Op(o) if matches!(o.as_str(), ")" | "]" | "}") => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return (k == toks.len() - 1).then_some(path);
                }
            }
            _ => {}
        }
    }
    None
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn tokenize(src: &str) -> Vec<Tok> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push(Tok::Literal);
        } else if c.is_ascii_digit() {
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                i += 1;
            }
            out.push(Tok::Literal);
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Name(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            if matches!(two.as_str(), "==" | "!=" | "<=" | ">=" | "//" | "**") {
                out.push(Tok::Op(two));
                i += 2;
            } else {
                out.push(Tok::Op(c.to_string()));
                i += 1;
            }
        }
    }
    out
}

/// The names bound by a `for` target or `set` target list: `a, (b, c)` → `[a, b, c]`.
pub fn target_names(src: &str) -> Vec<String> {
    tokenize(src)
        .into_iter()
        .filter_map(|t| match t {
            Tok::Name(n) if !KEYWORDS.contains(&n.as_str()) => Some(n),
            _ => None,
        })
        .collect()
}

/// The text of a string literal that is the whole of `src` (`"base.html"`), unquoted.
pub fn string_literal(src: &str) -> Option<String> {
    let s = src.trim();
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = s.strip_prefix(q)?.strip_suffix(q)?;
    (!body.contains(q)).then(|| body.to_string())
}

/// The string literals at the top of `src`: one (`"a.html"`) or a list (`["a.html", "b.html"]`).
pub fn template_names(src: &str) -> Vec<String> {
    let s = src.trim();
    if let Some(one) = string_literal(s) {
        return vec![one];
    }
    let Some(list) = s
        .strip_prefix(['[', '('])
        .and_then(|r| r.strip_suffix([']', ')']))
    else {
        return Vec::new();
    };
    list.split(',').filter_map(string_literal).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_vars_and_calls() {
        let e = Expression::parse("post.body|default(fallback)|safe");
        assert_eq!(e.vars, vec!["post"]);
        assert_eq!(e.filters.len(), 2);
        assert_eq!(e.filters[0].vars, vec!["fallback"]);
        assert!(e.has_filter("safe"));
        let e = Expression::parse("url_for('static', filename='x.js')|safe");
        assert!(e.vars.is_empty());
        assert_eq!(e.calls, vec!["url_for"]);
        assert_eq!(e.whole_call.as_deref(), Some("url_for"));
        assert_eq!(Expression::parse("f(a) ~ b").whole_call, None);
        let e = Expression::parse("'<br>' ~ x if x is defined else none");
        assert_eq!(e.vars, vec!["x"]);
        let e = Expression::parse("forms.field(form.name, class='x')");
        assert_eq!(e.calls, vec!["forms.field"]);
        assert_eq!(e.vars, vec!["forms", "form"]);
    }

    #[test]
    fn literals_and_names() {
        assert_eq!(string_literal(" 'base.html' "), Some("base.html".into()));
        assert_eq!(string_literal("name"), None);
        assert_eq!(
            template_names("['a.html', \"b.html\"]"),
            vec!["a.html", "b.html"]
        );
        assert_eq!(target_names("key, (a, b)"), vec!["key", "a", "b"]);
    }
}
