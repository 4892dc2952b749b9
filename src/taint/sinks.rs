//! What the analysis knows about library functions: sanitisers per sink kind, the sinks of each
//! library (by qualified name, or by method name where receivers cannot be typed), and the calls
//! whose result is a response object rather than data.

use super::value::{SinkKind, ALL};

/// An argument a sink reads: its position and its keyword name.
pub type Arg = (usize, &'static str);

/// A library function that is a sink for `kind` through the listed arguments.
pub struct FunctionSink {
    pub name: &'static str,
    pub kind: SinkKind,
    pub args: &'static [Arg],
}

const fn sink(name: &'static str, kind: SinkKind, args: &'static [Arg]) -> FunctionSink {
    FunctionSink { name, kind, args }
}

use SinkKind::*;

const URL: &[Arg] = &[(0, "url")];
const PATH0: &[Arg] = &[(0, "path")];
const SRC_DST: &[Arg] = &[(0, "src"), (1, "dst")];

/// Sinks matched by the callee's qualified name.
pub static FUNCTION_SINKS: &[FunctionSink] = &[
    // SQL
    sink("sqlalchemy.text", Sql, &[(0, "text")]),
    sink("sqlalchemy.sql.text", Sql, &[(0, "text")]),
    sink("sqlalchemy.sql.expression.text", Sql, &[(0, "text")]),
    sink("pandas.read_sql", Sql, &[(0, "sql")]),
    sink("pandas.read_sql_query", Sql, &[(0, "sql")]),
    // Commands (the subprocess family is judged in `subprocess_program`)
    sink("os.system", Command, &[(0, "command")]),
    sink("os.popen", Command, &[(0, "cmd")]),
    sink("commands.getoutput", Command, &[(0, "cmd")]),
    sink("commands.getstatusoutput", Command, &[(0, "cmd")]),
    sink("subprocess.getoutput", Command, &[(0, "cmd")]),
    sink("subprocess.getstatusoutput", Command, &[(0, "cmd")]),
    sink("asyncio.create_subprocess_shell", Command, &[(0, "cmd")]),
    sink("pty.spawn", Command, &[(0, "argv")]),
    sink("os.execl", Command, &[(0, "path")]),
    sink("os.execle", Command, &[(0, "path")]),
    sink("os.execlp", Command, &[(0, "file")]),
    sink("os.execlpe", Command, &[(0, "file")]),
    sink("os.execv", Command, &[(0, "path")]),
    sink("os.execve", Command, &[(0, "path")]),
    sink("os.execvp", Command, &[(0, "file")]),
    sink("os.execvpe", Command, &[(0, "file")]),
    sink("os.spawnl", Command, &[(1, "path")]),
    sink("os.spawnle", Command, &[(1, "path")]),
    sink("os.spawnlp", Command, &[(1, "file")]),
    sink("os.spawnlpe", Command, &[(1, "file")]),
    sink("os.spawnv", Command, &[(1, "path")]),
    sink("os.spawnve", Command, &[(1, "path")]),
    sink("os.spawnvp", Command, &[(1, "file")]),
    sink("os.spawnvpe", Command, &[(1, "file")]),
    sink("os.posix_spawn", Command, &[(0, "path")]),
    sink("os.posix_spawnp", Command, &[(0, "path")]),
    // Code
    sink("builtins.eval", Code, &[(0, "source")]),
    sink("builtins.exec", Code, &[(0, "source")]),
    sink("builtins.compile", Code, &[(0, "source")]),
    // Templates
    sink("flask.render_template_string", Template, &[(0, "source")]),
    sink("jinja2.Template", Template, &[(0, "source")]),
    sink("jinja2.Environment.from_string", Template, &[(0, "source")]),
    sink(
        "flask.Flask.jinja_env.from_string",
        Template,
        &[(0, "source")],
    ),
    // XPath
    sink("lxml.etree.XPath", Xpath, &[(0, "path")]),
    sink("lxml.etree.ETXPath", Xpath, &[(0, "path")]),
    sink("elementpath.select", Xpath, &[(1, "path")]),
    sink("elementpath.iter_select", Xpath, &[(1, "path")]),
    // XSS
    sink("markupsafe.Markup", Xss, &[(0, "base")]),
    // Redirects
    sink("flask.redirect", Redirect, &[(0, "location")]),
    // Paths
    sink("builtins.open", Path, &[(0, "file")]),
    sink("io.open", Path, &[(0, "file")]),
    sink("codecs.open", Path, &[(0, "filename")]),
    sink(
        "flask.send_file",
        Path,
        &[(0, "path_or_file"), (0, "filename_or_fp")],
    ),
    sink("os.remove", Path, PATH0),
    sink("os.unlink", Path, PATH0),
    sink("os.rmdir", Path, PATH0),
    sink("os.removedirs", Path, &[(0, "name")]),
    sink("os.mkdir", Path, PATH0),
    sink("os.makedirs", Path, &[(0, "name")]),
    sink("os.listdir", Path, PATH0),
    sink("os.scandir", Path, PATH0),
    sink("os.chmod", Path, PATH0),
    sink("os.truncate", Path, PATH0),
    sink("os.rename", Path, SRC_DST),
    sink("os.renames", Path, &[(0, "old"), (1, "new")]),
    sink("os.replace", Path, SRC_DST),
    sink("shutil.copy", Path, SRC_DST),
    sink("shutil.copy2", Path, SRC_DST),
    sink("shutil.copyfile", Path, SRC_DST),
    sink("shutil.copytree", Path, SRC_DST),
    sink("shutil.move", Path, SRC_DST),
    sink("shutil.rmtree", Path, PATH0),
    // SSRF
    sink("requests.get", Ssrf, URL),
    sink("requests.post", Ssrf, URL),
    sink("requests.put", Ssrf, URL),
    sink("requests.patch", Ssrf, URL),
    sink("requests.delete", Ssrf, URL),
    sink("requests.head", Ssrf, URL),
    sink("requests.options", Ssrf, URL),
    sink("requests.request", Ssrf, &[(1, "url")]),
    sink("httpx.get", Ssrf, URL),
    sink("httpx.post", Ssrf, URL),
    sink("httpx.put", Ssrf, URL),
    sink("httpx.patch", Ssrf, URL),
    sink("httpx.delete", Ssrf, URL),
    sink("httpx.head", Ssrf, URL),
    sink("httpx.options", Ssrf, URL),
    sink("httpx.stream", Ssrf, &[(1, "url")]),
    sink("httpx.request", Ssrf, &[(1, "url")]),
    sink("aiohttp.request", Ssrf, &[(1, "url")]),
    sink("urllib.request.urlopen", Ssrf, URL),
    sink("urllib.request.Request", Ssrf, URL),
    sink("urllib.urlopen", Ssrf, URL),
    sink("urllib2.urlopen", Ssrf, URL),
    sink("http.client.HTTPConnection", Ssrf, &[(0, "host")]),
    sink("http.client.HTTPSConnection", Ssrf, &[(0, "host")]),
    // Deserialisation
    sink("pickle.loads", Deserialization, &[(0, "data")]),
    sink("pickle.load", Deserialization, &[(0, "file")]),
    sink("_pickle.loads", Deserialization, &[(0, "data")]),
    sink("cPickle.loads", Deserialization, &[(0, "data")]),
    sink("dill.loads", Deserialization, &[(0, "str")]),
    sink("dill.load", Deserialization, &[(0, "file")]),
    sink("marshal.loads", Deserialization, &[(0, "bytes")]),
    sink("marshal.load", Deserialization, &[(0, "file")]),
    sink("shelve.open", Deserialization, &[(0, "filename")]),
    sink("jsonpickle.decode", Deserialization, &[(0, "string")]),
    sink("jsonpickle.loads", Deserialization, &[(0, "string")]),
    sink("joblib.load", Deserialization, &[(0, "filename")]),
    sink(
        "pandas.read_pickle",
        Deserialization,
        &[(0, "filepath_or_buffer")],
    ),
    sink("yaml.unsafe_load", Deserialization, &[(0, "stream")]),
    sink("yaml.unsafe_load_all", Deserialization, &[(0, "stream")]),
    sink("yaml.full_load", Deserialization, &[(0, "stream")]),
    sink("yaml.full_load_all", Deserialization, &[(0, "stream")]),
    // XML parsers (lxml ones are judged with their parser in `lxml_parse`)
    sink("xml.dom.minidom.parseString", Xxe, &[(0, "string")]),
    sink("xml.dom.minidom.parse", Xxe, &[(0, "file")]),
    sink("xml.dom.pulldom.parseString", Xxe, &[(0, "string")]),
    sink("xml.dom.pulldom.parse", Xxe, &[(0, "stream_or_string")]),
    sink("xml.sax.parseString", Xxe, &[(0, "string")]),
    sink("xml.sax.parse", Xxe, &[(0, "source")]),
];

/// The sink of a function by qualified name.
pub fn function_sink(name: &str) -> Option<&'static FunctionSink> {
    FUNCTION_SINKS.iter().find(|s| s.name == name)
}

/// `subprocess` functions: a shell command with `shell=True`, otherwise the program.
pub const SUBPROCESS: &[&str] = &[
    "subprocess.call",
    "subprocess.run",
    "subprocess.Popen",
    "subprocess.check_call",
    "subprocess.check_output",
    "asyncio.create_subprocess_exec",
];

/// lxml parse functions; dangerous unless given a parser that does not resolve entities.
pub const LXML_PARSE: &[&str] = &[
    "lxml.etree.fromstring",
    "lxml.etree.XML",
    "lxml.etree.parse",
    "lxml.etree.XMLID",
];

/// `yaml.load` family: a sink unless a safe loader is given.
pub const YAML_LOAD: &[&str] = &["yaml.load", "yaml.load_all"];

/// A loader that unpickles or not depending on one keyword argument.
pub struct PickleSwitch {
    pub name: &'static str,
    /// The file argument's keyword name (it is always first).
    pub file: &'static str,
    pub keyword: &'static str,
    /// The keyword's position when passed positionally, if it can be.
    pub position: Option<usize>,
    /// Whether the loader unpickles when the keyword is `True`.
    pub pickles_if_true: bool,
    /// Whether it unpickles when the keyword is left out.
    pub pickles_by_default: bool,
}

/// `torch.load` unpickles unless `weights_only=True` (the default only since torch 2.6, so a call
/// without it is judged by older releases); `numpy.load` only with `allow_pickle=True`.
pub static PICKLE_SWITCHED: &[PickleSwitch] = &[
    PickleSwitch {
        name: "torch.load",
        file: "f",
        keyword: "weights_only",
        position: None,
        pickles_if_true: false,
        pickles_by_default: true,
    },
    PickleSwitch {
        name: "numpy.load",
        file: "file",
        keyword: "allow_pickle",
        position: Some(2),
        pickles_if_true: true,
        pickles_by_default: false,
    },
];

/// Calls opening a tar archive: their result keeps the archive's taint and its type, so
/// extracting a request's archive can be told from extracting any tainted object. (`zipfile`
/// is not listed: its `extract`/`extractall` drop `..` and leading slashes from member names.)
pub const TAR_OPEN: &[&str] = &["tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open"];
/// `tarfile` extraction filters that refuse members landing outside the destination.
pub const TAR_SAFE_FILTERS: &[&str] = &["data", "tar", "tarfile.data_filter", "tarfile.tar_filter"];

/// Methods that run SQL whatever the driver (DB-API cursors, connections, SQLAlchemy sessions).
pub const SQL_METHODS: &[&str] = &["execute", "executemany", "executescript", "exec_driver_sql"];
/// Keyword names of the SQL text in [`SQL_METHODS`].
pub const SQL_KEYWORDS: &[&str] = &["sql", "statement", "operation", "query"];

/// Query operators whose operand MongoDB takes as a value (the `$eq` form is the documented
/// defence against operator injection); `$all` is not one, it may hold `$elemMatch` objects.
pub const MONGO_LITERAL_OPERATORS: &[&str] =
    &["$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte"];

/// pymongo collection methods taking a filter or pipeline first.
pub const MONGO_METHODS: &[&str] = &[
    "find",
    "find_one",
    "find_one_and_delete",
    "find_one_and_replace",
    "find_one_and_update",
    "update_one",
    "update_many",
    "delete_one",
    "delete_many",
    "replace_one",
    "count_documents",
    "aggregate",
    "count",
    "remove",
];

/// python-ldap / ldap3 search and write methods; base DN and filter are their first arguments.
///
/// Binds are not here: a bind authenticates the identity it names with that identity's
/// password, which the directory checks, so a DN assembled from a login form selects nothing
/// the requester could not already reach by logging in (as CodeQL judges it, too; an empty
/// password there is an authentication bug, not an injection).
pub const LDAP_METHODS: &[&str] = &[
    "search",
    "search_s",
    "search_st",
    "search_ext",
    "search_ext_s",
    "delete_s",
    "modify_s",
];
/// How many leading positional arguments of an [`LDAP_METHODS`] call are DNs or filters:
/// `delete_s`/`modify_s` take one DN and then data; searches take a base, a scope or filter,
/// and a filter.
pub fn ldap_positional_sinks(method: &str) -> usize {
    match method {
        "delete_s" | "modify_s" => 1,
        _ => 3,
    }
}

/// The keyword names of LDAP DNs and filters.
pub const LDAP_KEYWORDS: &[&str] = &["base", "filterstr", "search_base", "search_filter", "dn"];

/// ElementTree/lxml element methods taking a path expression.
pub const XML_FIND_METHODS: &[&str] = &["find", "findall", "findtext", "iterfind"];

/// HTTP client methods (requests/httpx sessions and clients, aiohttp sessions).
pub const HTTP_METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options"];
/// Types whose instances are HTTP clients.
pub const HTTP_CLIENTS: &[&str] = &[
    "requests.Session",
    "requests.session",
    "requests.sessions.Session",
    "httpx.Client",
    "httpx.AsyncClient",
    "aiohttp.ClientSession",
];

/// `pathlib.Path` methods touching the file system.
pub const PATH_METHODS: &[&str] = &[
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "open",
    "unlink",
    "rmdir",
    "mkdir",
    "touch",
    "rename",
    "replace",
    "iterdir",
    "rglob",
    "glob",
];

/// Flask calls that make a response: their result is a response object, never request data.
pub const RESPONSE_CALLS: &[&str] = &[
    "flask.redirect",
    "flask.make_response",
    "flask.Response",
    "flask.jsonify",
    "flask.json.jsonify",
    "flask.send_file",
    "flask.send_from_directory",
    "flask.render_template",
    "flask.url_for",
    "flask.abort",
    "flask.stream_template",
    "flask.render_template_string",
];

/// Constructors of in-memory file objects: given to `send_file`, they are not paths.
pub const FILE_OBJECTS: &[&str] = &["io.BytesIO", "io.StringIO", "tempfile.SpooledTemporaryFile"];

/// Whether `v` is an in-memory file object: built by a [`FILE_OBJECTS`] constructor (directly,
/// through a variable, or returned by a project function whose every return is one). It may
/// hold request data as content, but it is never a file-system path.
pub fn is_file_object(v: &super::value::Val) -> bool {
    v.alias
        .as_deref()
        .is_some_and(|a| FILE_OBJECTS.contains(&a))
}

/// SQLAlchemy statement constructors, by last name (see [`is_sql_statement_name`]).
const SQL_STATEMENTS: &[&str] = &[
    "select",
    "insert",
    "update",
    "delete",
    "text",
    "union",
    "union_all",
    "exists",
    "lambda_stmt",
];

/// Whether `q` names a SQLAlchemy statement constructor (`sqlalchemy.select`,
/// `sqlalchemy.dialects.postgresql.insert`, `sqlalchemy.text`...). A statement holds the values
/// it is given as bound parameters and each of its generative methods (`.values()`, `.where()`,
/// `.on_conflict_do_update()`, `.bindparams()`) returns another statement, so it is never SQL
/// text whatever data it carries; `text()` is checked as a sink where its SQL is written.
pub fn is_sql_statement_name(q: &str) -> bool {
    let Some((module, name)) = q.rsplit_once('.') else {
        return false;
    };
    let library = module == "sqlalchemy"
        || module == "sqlalchemy.future"
        || module == "sqlalchemy.sql"
        || module.starts_with("sqlalchemy.sql.")
        || module.starts_with("sqlalchemy.dialects.");
    library && SQL_STATEMENTS.contains(&name)
}

/// Whether `v` is a SQLAlchemy statement (see [`is_sql_statement_name`]).
pub fn is_sql_statement(v: &super::value::Val) -> bool {
    v.alias.as_deref().is_some_and(is_sql_statement_name)
}

/// Whether `v` keeps its name whatever data it holds: an in-memory file or a SQL statement
/// holds data without being the path or SQL text a sink takes.
pub fn keeps_name(v: &super::value::Val) -> bool {
    is_file_object(v) || is_sql_statement(v)
}

/// Constructors of handles on a file store, given the store's address (a database and a
/// bucket or collection name): the handle holds none of that text, and what is read through it
/// (`fs.get(file_id)`) is a stored file object, not a path.
pub const STORE_HANDLES: &[&str] = &["gridfs.GridFS", "gridfs.GridFSBucket"];

/// Calls after which the code does not continue.
pub const NO_RETURN: &[&str] = &[
    "flask.abort",
    "sys.exit",
    "os._exit",
    "builtins.exit",
    "builtins.quit",
];

/// Functions whose result carries none of their arguments' danger: conversions to numbers and
/// booleans, hashes, URLs built by Flask.
pub const CLEAN_RESULT: &[&str] = &[
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.len",
    "builtins.abs",
    "builtins.round",
    "builtins.hash",
    "builtins.isinstance",
    "builtins.callable",
    "builtins.hasattr",
    "builtins.id",
    "builtins.type",
    "builtins.ord",
    "builtins.sum",
    "builtins.min",
    "builtins.max",
    "uuid.UUID",
    "decimal.Decimal",
    "fractions.Fraction",
    "flask.url_for",
    "hmac.compare_digest",
    "hmac.new",
    "secrets.compare_digest",
    "werkzeug.security.check_password_hash",
    "werkzeug.security.generate_password_hash",
    "datetime.date.fromisoformat",
    "datetime.datetime.fromisoformat",
    "ipaddress.ip_address",
    "ipaddress.ip_network",
];

/// Methods whose result is a number or boolean.
pub const CLEAN_METHODS: &[&str] = &[
    "startswith",
    "endswith",
    "isdigit",
    "isalpha",
    "isalnum",
    "isnumeric",
    "isdecimal",
    "isidentifier",
    "islower",
    "isupper",
    "isspace",
    "istitle",
    "isascii",
    "count",
    "find",
    "rfind",
    "index",
    "rindex",
    "hexdigest",
    "digest",
    "__len__",
    "is_relative_to",
    "exists",
    "is_file",
    "is_dir",
];

/// Sanitisers: the sink kinds their result is safe for.
pub fn sanitizer(name: &str) -> Option<u32> {
    let xss = Xss.bit();
    Some(match name {
        "markupsafe.escape"
        | "html.escape"
        | "bleach.clean"
        | "nh3.clean"
        | "cgi.escape"
        | "xml.sax.saxutils.escape"
        | "markupsafe.Markup.escape"
        | "django.utils.html.escape" => xss,
        // Only ASCII letters, digits, `_`, `.` and `-` are left: no markup either.
        "werkzeug.utils.secure_filename" | "werkzeug.secure_filename" => Path.bit() | xss,
        "os.path.basename"
        | "posixpath.basename"
        | "ntpath.basename"
        | "werkzeug.security.safe_join"
        | "werkzeug.utils.safe_join"
        | "flask.safe_join"
        | "flask.helpers.safe_join" => Path.bit(),
        "shlex.quote" | "pipes.quote" | "shlex.join" => Command.bit(),
        "ldap.filter.escape_filter_chars"
        | "ldap3.utils.conv.escape_filter_chars"
        | "ldap.dn.escape_dn_chars"
        | "ldap3.utils.dn.escape_rdn" => Ldap.bit(),
        // Bytes this process serialised itself rebuild only objects it already held: the
        // `loads(dumps(obj))` deep-copy idiom.
        "pickle.dumps" | "_pickle.dumps" | "marshal.dumps" | "dill.dumps" | "cloudpickle.dumps" => {
            Deserialization.bit()
        }
        // pyotp's `otpauth://` URIs percent-encode the label and `urlencode` the parameters.
        "urllib.parse.quote"
        | "urllib.parse.quote_plus"
        | "urllib.parse.urlencode"
        | "pyotp.TOTP.provisioning_uri"
        | "pyotp.HOTP.provisioning_uri"
        | "pyotp.totp.TOTP.provisioning_uri"
        | "pyotp.hotp.HOTP.provisioning_uri"
        | "pyotp.utils.build_uri" => ALL & !(Redirect.bit() | Ssrf.bit() | Path.bit()),
        _ => return None,
    })
}

/// Whether `mimetype` is something browsers will not render as HTML.
pub fn non_html_mimetype(mimetype: &str) -> bool {
    let m = mimetype.to_ascii_lowercase();
    !(m.is_empty() || m.contains("html") || m.contains("xml") || m.contains("svg"))
}

/// Whether a literal string prefix pins the host of a URL, so what follows cannot redirect or
/// send requests elsewhere: `https://api.example.com/...` or a relative path `/users/...`.
pub fn prefix_pins_host(prefix: &str) -> bool {
    if let Some((scheme, rest)) = prefix.split_once("://") {
        return !scheme.is_empty()
            && scheme.chars().all(|c| c.is_ascii_alphabetic())
            && rest.find('/').is_some_and(|i| i > 0);
    }
    let mut chars = prefix.chars();
    chars.next() == Some('/') && chars.next().is_some_and(|c| c != '/' && c != '\\')
}

/// Whether literal text reads like the start of an SQL statement.
pub fn looks_like_sql(text: &str) -> bool {
    let t = text.trim_start().to_ascii_uppercase();
    let starts = [
        "SELECT ",
        "INSERT ",
        "UPDATE ",
        "DELETE ",
        "REPLACE ",
        "WITH ",
        "CREATE ",
        "DROP ",
        "ALTER ",
        "PRAGMA ",
        "TRUNCATE ",
    ];
    starts.iter().any(|s| t.starts_with(s))
        && (t.contains(" FROM ")
            || t.contains(" INTO ")
            || t.contains(" SET ")
            || t.contains(" TABLE ")
            || t.starts_with("PRAGMA")
            || t.contains(" WHERE ")
            || t.contains("SELECT "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_prefixes() {
        assert!(prefix_pins_host("https://api.example.com/users/"));
        assert!(prefix_pins_host("/profile/"));
        assert!(!prefix_pins_host("https://"));
        assert!(!prefix_pins_host("/"));
        assert!(!prefix_pins_host("//"));
        assert!(!prefix_pins_host("http://example.com"));
    }

    #[test]
    fn sql_text() {
        assert!(looks_like_sql("SELECT * FROM users WHERE name = '"));
        assert!(looks_like_sql("  delete from t where id="));
        assert!(!looks_like_sql("Selected items: "));
    }
}
