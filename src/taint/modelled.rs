//! Which calls the analysis knows the data effect of. A library call it has no model for is
//! assumed to hand back what it is given (`client.authorize_redirect(...)`,
//! `searcher.search(query)`), which keeps flows through unknown code but is a guess: such calls
//! mostly answer with something else (a redirect, stored records, a token). Data that went
//! through a guess reaches sinks as the audit part of its rule; the default suite reports the
//! flows every step of which is modelled, as CodeQL's default suite follows modelled steps only.

/// Top-level modules of the standard library and of the web and text libraries whose functions
/// the analysis models: a function of theirs it has no special case for copies its arguments'
/// data (`os.path.join`, `base64.b64decode`, `markdown.markdown`).
const MODELLED_MODULES: &[&str] = &[
    // Python's own.
    "abc",
    "argparse",
    "array",
    "ast",
    "base64",
    "binascii",
    "builtins",
    "bz2",
    "calendar",
    "cgi",
    "codecs",
    "collections",
    "configparser",
    "contextlib",
    "copy",
    "csv",
    "ctypes",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "email",
    "enum",
    "fnmatch",
    "fractions",
    "functools",
    "gettext",
    "glob",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "imaplib",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "logging",
    "lzma",
    "mailbox",
    "marshal",
    "math",
    "mimetypes",
    "operator",
    "os",
    "pathlib",
    "pickle",
    "pkgutil",
    "platform",
    "plistlib",
    "posixpath",
    "ntpath",
    "pprint",
    "queue",
    "quopri",
    "random",
    "re",
    "secrets",
    "shelve",
    "shlex",
    "shutil",
    "smtplib",
    "socket",
    "sqlite3",
    "ssl",
    "statistics",
    "string",
    "struct",
    "subprocess",
    "sys",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "time",
    "tomllib",
    "traceback",
    "types",
    "typing",
    "unicodedata",
    "urllib",
    "uuid",
    "warnings",
    "xml",
    "zipfile",
    "zlib",
    // The web stack, the libraries whose sinks, sources or sanitisers the rules know, and data
    // and text codecs that hand back what they decode.
    "babel",
    "bcrypt",
    "bleach",
    "bs4",
    "chevron",
    "commonmark",
    "connexion",
    "defusedxml",
    "dill",
    "flask",
    "flask_babel",
    "flask_babelex",
    "flask_bcrypt",
    "flask_login",
    "flask_restful",
    "flask_restx",
    "flask_smorest",
    "flask_sqlalchemy",
    "flask_wtf",
    "furl",
    "html5lib",
    "httpx",
    "idna",
    "itsdangerous",
    "jinja2",
    "jsonpickle",
    "jwt",
    "ldap",
    "ldap3",
    "lxml",
    "mako",
    "markdown",
    "markdown2",
    "markupsafe",
    "marshmallow",
    "mistune",
    "msgpack",
    "MySQLdb",
    "nh3",
    "orjson",
    "passlib",
    "psycopg2",
    "pydantic",
    "pymongo",
    "pymysql",
    "pyotp",
    "pystache",
    "rapidjson",
    "requests",
    "simplejson",
    "six",
    "slugify",
    "sqlalchemy",
    "toml",
    "tomli",
    "ujson",
    "unidecode",
    "urllib3",
    "webargs",
    "werkzeug",
    "wtforms",
    "xmltodict",
    "yaml",
    "yarl",
];

/// Methods of Python's text, bytes and container types: on a tracked value (which names no
/// class) a call of one of these names is most likely the built-in method.
const BUILTIN_METHODS: &[&str] = &[
    "append",
    "capitalize",
    "casefold",
    "center",
    "copy",
    "count",
    "decode",
    "encode",
    "endswith",
    "expandtabs",
    "extend",
    "find",
    "format",
    "format_map",
    "get",
    "getlist",
    "index",
    "insert",
    "items",
    "join",
    "keys",
    "ljust",
    "lower",
    "lstrip",
    "partition",
    "pop",
    "popitem",
    "removeprefix",
    "removesuffix",
    "replace",
    "rfind",
    "rjust",
    "rpartition",
    "rsplit",
    "rstrip",
    "setdefault",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "swapcase",
    "title",
    "to_dict",
    "translate",
    "update",
    "upper",
    "values",
    "zfill",
    "hex",
    "difference",
    "intersection",
    "union",
    // Regular expression matches.
    "expand",
    "group",
    "groupdict",
    "groups",
    // Files, buffers and parsed URLs.
    "getvalue",
    "geturl",
    "read",
    "readline",
    "readlines",
    "isoformat",
    // Paths.
    "absolute",
    "as_posix",
    "expanduser",
    "joinpath",
    "read_bytes",
    "read_text",
    "relative_to",
    "resolve",
    "with_name",
    "with_stem",
    "with_suffix",
    "hexdigest",
    "digest",
    "__str__",
    "__repr__",
];

/// Whether the analysis models the data effect of a call to `qualified` (its resolved name) or,
/// when unresolved, of the method `method` on a tracked value.
pub fn is_modelled(qualified: Option<&str>, method: Option<&str>) -> bool {
    // `form.tags.data.split(",")` resolves to a name under the project's form class, but the
    // method is the text's.
    if method.is_some_and(|m| BUILTIN_METHODS.contains(&m)) {
        return true;
    }
    // A call of a value (`handler(x)`, `get_action(name)(data)`) runs code nobody named.
    qualified.is_some_and(|q| MODELLED_MODULES.contains(&q.split('.').next().unwrap_or(q)))
}

/// Bases that mark a class without giving it behaviour of their own (`abc.ABC`,
/// `typing.Generic[T]`, `object`, `enum.Enum`): a class deriving from them is judged by its
/// other bases.
pub fn is_marker_base(qualified: &str) -> bool {
    matches!(qualified, "builtins.object" | "abc.ABC" | "enum.Enum")
        || qualified.starts_with("typing.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_library_and_text_methods_are_modelled() {
        assert!(is_modelled(Some("os.path.join"), None));
        assert!(is_modelled(Some("markdown.markdown"), None));
        assert!(is_modelled(None, Some("strip")));
    }

    #[test]
    fn unknown_libraries_and_methods_are_guesses() {
        assert!(!is_modelled(
            Some("authlib.integrations.flask_client.OAuth"),
            None
        ));
        assert!(!is_modelled(None, Some("authorize_redirect")));
        assert!(!is_modelled(None, None));
    }
}
