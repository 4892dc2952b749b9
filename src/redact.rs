//! Keeps secrets and hostile file content out of everything flaskscan prints or writes.
//!
//! flaskscan runs on untrusted pull requests with a write token in its environment. Every line it
//! prints (stdout, stderr, workflow commands), every file it writes (reports, SARIF, job summary,
//! step outputs) and every body it sends to GitHub goes through [`scrub`], which replaces the value
//! of every secret-looking environment variable with `***`. Text quoted from scanned files goes
//! through [`excerpt`] so a message never carries more than a short, printable piece of a file.

use std::borrow::Cow;
use std::io::Write;
use std::sync::OnceLock;

/// What replaces a secret.
pub const MASK: &str = "***";

/// The most characters of file content a message may quote.
pub const MAX_EXCERPT: usize = 120;

/// Shorter values are too likely to occur in ordinary text (`KEY=1`) to be masked everywhere, and
/// too short to be a credential worth stealing.
const MIN_SECRET_LEN: usize = 8;

/// Environment variable name endings that mark a secret value.
const SECRET_NAME_ENDINGS: [&str; 4] = ["TOKEN", "SECRET", "KEY", "PASSWORD"];

/// The secret values to mask, longest first so a secret containing another is masked whole.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// Collects the values of variables whose name ends in TOKEN, SECRET, KEY or PASSWORD
    /// (case-insensitive; `INPUT_TOKEN` and `GITHUB_TOKEN` among them).
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut values: Vec<String> = vars
            .into_iter()
            .filter(|(name, _)| is_secret_name(name.as_ref()))
            .map(|(_, value)| value.as_ref().trim().to_string())
            .filter(|value| value.chars().count() >= MIN_SECRET_LEN)
            .collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        Self { values }
    }

    /// The secrets of this process's environment (variables that are not valid Unicode are skipped).
    pub fn from_process_env() -> Self {
        Self::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// `text` with every secret replaced by [`MASK`]; borrowed when there was nothing to mask.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for secret in &self.values {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), MASK));
            }
        }
        out
    }
}

fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAME_ENDINGS.iter().any(|end| upper.ends_with(end))
}

static PROCESS_SECRETS: OnceLock<Secrets> = OnceLock::new();

/// The secrets of this process, read from the environment on first use.
pub fn process_secrets() -> &'static Secrets {
    PROCESS_SECRETS.get_or_init(Secrets::from_process_env)
}

/// [`Secrets::scrub`] with this process's secrets.
pub fn scrub(text: &str) -> Cow<'_, str> {
    process_secrets().scrub(text)
}

/// Masks secrets in every string of a JSON value (keys included).
pub fn scrub_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let Cow::Owned(masked) = scrub(s) {
                *s = masked;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub_json),
        Value::Object(map) => {
            let keys: Vec<String> = map
                .keys()
                .filter(|k| matches!(scrub(k), Cow::Owned(_)))
                .cloned()
                .collect();
            for key in keys {
                if let Some(v) = map.remove(&key) {
                    map.insert(scrub(&key).into_owned(), v);
                }
            }
            map.values_mut().for_each(scrub_json);
        }
        _ => {}
    }
}

/// A short, one-line, printable piece of file content for a message: at most [`MAX_EXCERPT`]
/// characters (then `…`), control characters (line breaks too) escaped, secrets masked.
pub fn excerpt(text: &str) -> String {
    printable(text.trim(), MAX_EXCERPT, false)
}

/// A message made safe to print on one line: line breaks turned into spaces, other control
/// characters escaped, cut at `max` characters, secrets masked.
pub fn one_line(message: &str, max: usize) -> String {
    printable(message, max, true)
}

fn printable(text: &str, max: usize, breaks_as_spaces: bool) -> String {
    let mut out = String::with_capacity(text.len().min(max + 4));
    for (count, c) in text.chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        match c {
            '\n' | '\r' if breaks_as_spaces => out.push(' '),
            '\t' if breaks_as_spaces => out.push(c),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    scrub(&out).into_owned()
}

/// A writer that masks secrets line by line before passing text on: a secret split over two
/// `write` calls of one line is still masked. Whatever is left without a newline is written on
/// [`flush`](Write::flush) or drop.
pub struct ScrubbingWriter<'s, W: Write> {
    inner: W,
    pending: Vec<u8>,
    secrets: &'s Secrets,
}

impl<'s, W: Write> ScrubbingWriter<'s, W> {
    /// Wraps `inner`, masking `secrets`.
    pub fn new(inner: W, secrets: &'s Secrets) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            secrets,
        }
    }

    fn emit(&mut self, upto: usize) -> std::io::Result<()> {
        let chunk: Vec<u8> = self.pending.drain(..upto).collect();
        let text = String::from_utf8_lossy(&chunk);
        self.inner.write_all(self.secrets.scrub(&text).as_bytes())
    }
}

impl<W: Write> Write for ScrubbingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(last_newline) = memchr::memrchr(b'\n', &self.pending) {
            self.emit(last_newline + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let all = self.pending.len();
        if all > 0 {
            self.emit(all)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for ScrubbingWriter<'_, W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets::from_vars([
            ("INPUT_TOKEN", "ghs_abcdefghijklmnop"),
            ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG"),
            ("db_password", "hunter2hunter2"),
            ("SHORT_KEY", "1"),
            ("PATH", "/usr/bin:/bin/ghs_not_secret"),
        ])
    }

    #[test]
    fn masks_values_of_secret_named_variables_only() {
        let s = secrets();
        let text =
            "INPUT_TOKEN=ghs_abcdefghijklmnop x=wJalrXUtnFEMI/K7MDENG y=hunter2hunter2 1 /usr/bin";
        assert_eq!(s.scrub(text), "INPUT_TOKEN=*** x=*** y=*** 1 /usr/bin");
        assert!(matches!(s.scrub("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn writer_masks_a_secret_split_across_writes() {
        let s = secrets();
        let mut out = Vec::new();
        {
            let mut w = ScrubbingWriter::new(&mut out, &s);
            w.write_all(b"::error::token ghs_abcdef").unwrap();
            w.write_all(b"ghijklmnop here\nand a tail ghs_abcdefghijklmnop")
                .unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "::error::token *** here\nand a tail ***"
        );
    }

    #[test]
    fn excerpts_are_short_printable_and_one_line() {
        let long = format!("a\u{0}b\nc{}", "x".repeat(500));
        let e = excerpt(&long);
        assert!(e.starts_with("a\\u{0}b\\nc"), "{e}");
        assert!(e.chars().count() <= MAX_EXCERPT + 12, "{e}");
        assert!(e.ends_with('…'));
        assert_eq!(
            one_line("line one\nline two\u{1b}[31m", 100),
            "line one line two\\u{1b}[31m"
        );
    }
}
