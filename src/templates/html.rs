//! An HTML tag and attribute scanner, fed the template's text pieces in order with Jinja
//! outputs in between, so it can say where each output lands: in text, in a quoted or unquoted
//! attribute value, inside a tag, in a `<script>`/`<style>` body or in a comment.
//!
//! It follows the browser's tokenizer states closely enough for that (not the tree builder):
//! a stray quote swallows the rest of the tag exactly as it does in a browser. Linear work.

use std::ops::Range;

/// Where a Jinja output sits in the HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    /// Element content (or an escapable raw-text element like `<title>`).
    Text,
    /// Inside a start tag, not in an attribute value (`<input {{ attrs }}>`).
    Tag,
    /// In the value of attribute `name`.
    Attribute {
        name: String,
        quoted: bool,
        url: bool,
    },
    /// In a `<script>` body.
    Script,
    /// In a `<style>` body.
    Style,
    /// In an HTML comment or declaration.
    Comment,
}

/// An attribute of a completed tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Lower-case name.
    pub name: String,
    /// Byte range from the name to the end of the value.
    pub span: Range<usize>,
    /// The value text, with each Jinja output replaced by its source (`{{ x }}`); `None` when
    /// the attribute has no value.
    pub value: Option<String>,
}

/// A completed start or end tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Lower-case name.
    pub name: String,
    pub end_tag: bool,
    /// Byte range from `<` to `>`.
    pub span: Range<usize>,
    pub attributes: Vec<Attribute>,
}

impl Tag {
    /// The attribute called `name` (lower-case).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The value of attribute `name`, trimmed; `Some("")` when present without a value.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.attribute(name)
            .map(|a| a.value.as_deref().unwrap_or("").trim())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Data,
    TagOpen,
    EndTagOpen,
    TagName,
    BeforeAttrName,
    AttrName,
    AfterAttrName,
    BeforeAttrValue,
    AttrValueQuoted(u8),
    AttrValueUnquoted,
    SelfClosing,
    /// `<!-- ... -->`.
    Comment,
    /// `<!doctype ...>`, `<?xml ...>`, `</ 3>`: until `>`.
    Bogus,
    /// The body of `<script>`, `<style>`, `<textarea>` or `<title>`, until its end tag.
    RawText,
}

/// Attributes whose value is a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "data",
    "srcset",
    "xlink:href",
];

/// Elements whose content is not markup.
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title"];

/// The scanner's state between pieces of text.
#[derive(Debug)]
pub struct Scanner {
    state: State,
    tag: Option<Tag>,
    /// Name of the raw-text element being read.
    raw: String,
    /// Where the construct that is open began, for a problem at the end.
    open_at: usize,
}

impl Default for Scanner {
    fn default() -> Self {
        Self {
            state: State::Data,
            tag: None,
            raw: String::new(),
            open_at: 0,
        }
    }
}

impl Scanner {
    /// Where an output placed now would land.
    pub fn context(&self) -> Context {
        match self.state {
            State::Data | State::TagOpen | State::EndTagOpen => Context::Text,
            State::Comment | State::Bogus => Context::Comment,
            State::RawText => match self.raw.as_str() {
                "script" => Context::Script,
                "style" => Context::Style,
                _ => Context::Text,
            },
            State::AttrValueQuoted(_) | State::AttrValueUnquoted | State::BeforeAttrValue => {
                let name = self
                    .current_attribute()
                    .map(|a| a.name.clone())
                    .unwrap_or_default();
                let url = URL_ATTRIBUTES.contains(&name.as_str());
                Context::Attribute {
                    name,
                    quoted: matches!(self.state, State::AttrValueQuoted(_)),
                    url,
                }
            }
            _ => Context::Tag,
        }
    }

    /// Feeds a Jinja output (its source text) at `span`: it becomes part of the attribute value
    /// or name it sits in.
    pub fn output(&mut self, source: &str, span: Range<usize>) {
        match self.state {
            State::BeforeAttrValue => {
                self.state = State::AttrValueUnquoted;
                self.push_value(source, span.end);
            }
            State::AttrValueQuoted(_) | State::AttrValueUnquoted => {
                self.push_value(source, span.end)
            }
            State::AttrName => {
                if let Some(a) = self.current_attribute_mut() {
                    a.name.push_str(source);
                    a.span.end = span.end;
                }
            }
            _ => {}
        }
    }

    /// Feeds template text starting at byte `base`; returns the tags it completes.
    pub fn text(&mut self, text: &str, base: usize) -> Vec<Tag> {
        let bytes = text.as_bytes();
        let mut done = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let at = base + i;
            match self.state {
                State::Data => match memchr(b'<', &bytes[i..]) {
                    Some(p) => {
                        i += p;
                        self.open_at = base + i;
                        self.state = State::TagOpen;
                    }
                    None => i = bytes.len(),
                },
                State::TagOpen => {
                    if c.is_ascii_alphabetic() {
                        self.start_tag(false, self.open_at);
                        continue;
                    }
                    self.state = match c {
                        b'/' => State::EndTagOpen,
                        b'!' if bytes[i + 1..].starts_with(b"--") => {
                            i += 2;
                            State::Comment
                        }
                        b'!' | b'?' => State::Bogus,
                        _ => {
                            // A lone `<` is text; look at this byte again as text.
                            self.state = State::Data;
                            continue;
                        }
                    };
                }
                State::EndTagOpen => {
                    if c.is_ascii_alphabetic() {
                        self.start_tag(true, self.open_at);
                        continue;
                    }
                    self.state = if c == b'>' { State::Data } else { State::Bogus };
                }
                State::TagName => match c {
                    b'\t' | b'\n' | b'\x0c' | b' ' | b'\r' => self.state = State::BeforeAttrName,
                    b'/' => self.state = State::SelfClosing,
                    b'>' => self.finish_tag(at, &mut done),
                    _ => {
                        if let Some(t) = &mut self.tag {
                            t.name.push(c.to_ascii_lowercase() as char);
                        }
                    }
                },
                State::BeforeAttrName | State::AfterAttrName => match c {
                    b'\t' | b'\n' | b'\x0c' | b' ' | b'\r' => {}
                    b'/' => self.state = State::SelfClosing,
                    b'>' => self.finish_tag(at, &mut done),
                    b'=' if self.state == State::AfterAttrName => {
                        self.state = State::BeforeAttrValue
                    }
                    _ => {
                        if let Some(t) = &mut self.tag {
                            t.attributes.push(Attribute {
                                name: String::new(),
                                span: at..at,
                                value: None,
                            });
                        }
                        self.state = State::AttrName;
                        continue;
                    }
                },
                State::AttrName => match c {
                    b'\t' | b'\n' | b'\x0c' | b' ' | b'\r' => self.state = State::AfterAttrName,
                    b'/' => self.state = State::SelfClosing,
                    b'>' => self.finish_tag(at, &mut done),
                    b'=' => self.state = State::BeforeAttrValue,
                    _ => {
                        if let Some(a) = self.current_attribute_mut() {
                            a.name.push(c.to_ascii_lowercase() as char);
                            a.span.end = at + 1;
                        }
                    }
                },
                State::BeforeAttrValue => match c {
                    b'\t' | b'\n' | b'\x0c' | b' ' | b'\r' => {}
                    b'"' | b'\'' => {
                        self.state = State::AttrValueQuoted(c);
                        self.push_value("", at + 1);
                    }
                    b'>' => self.finish_tag(at, &mut done),
                    _ => {
                        self.state = State::AttrValueUnquoted;
                        self.push_value("", at);
                        continue;
                    }
                },
                State::AttrValueQuoted(q) => {
                    let end = memchr(q, &bytes[i..]).map_or(bytes.len(), |p| i + p);
                    self.push_value(&text[i..end], base + end);
                    i = end;
                    if i < bytes.len() {
                        if let Some(a) = self.current_attribute_mut() {
                            a.span.end = base + i + 1;
                        }
                        self.state = State::AfterAttrName;
                    }
                }
                State::AttrValueUnquoted => match c {
                    b'\t' | b'\n' | b'\x0c' | b' ' | b'\r' => self.state = State::BeforeAttrName,
                    b'>' => self.finish_tag(at, &mut done),
                    _ => {
                        let len = utf8_len(c).min(bytes.len() - i);
                        self.push_value(&String::from_utf8_lossy(&bytes[i..i + len]), at + len);
                        i += len;
                        continue;
                    }
                },
                State::SelfClosing => match c {
                    b'>' => self.finish_tag(at, &mut done),
                    _ => {
                        self.state = State::BeforeAttrName;
                        continue;
                    }
                },
                State::Comment => match find(&bytes[i..], b"-->") {
                    Some(p) => {
                        i += p + 3;
                        self.state = State::Data;
                        continue;
                    }
                    None => i = bytes.len(),
                },
                State::Bogus => match memchr(b'>', &bytes[i..]) {
                    Some(p) => {
                        i += p;
                        self.state = State::Data;
                    }
                    None => i = bytes.len(),
                },
                State::RawText => {
                    let close = format!("</{}", self.raw);
                    match find_ascii_ci(&bytes[i..], close.as_bytes()) {
                        Some(p) => {
                            self.open_at = base + i + p;
                            self.state = State::TagOpen;
                            i += p + 1;
                        }
                        None => i = bytes.len(),
                    }
                    continue;
                }
            }
            i += 1;
        }
        done
    }

    /// What is left open at the end of the template, and where it began.
    pub fn unfinished(&self) -> Option<(usize, &'static str)> {
        match self.state {
            State::Data | State::TagOpen | State::EndTagOpen => None,
            State::Comment => Some((self.open_at, "an HTML comment")),
            State::Bogus => Some((self.open_at, "an HTML declaration")),
            State::RawText => None,
            State::AttrValueQuoted(_) => Some((self.open_at, "a quoted attribute value")),
            _ => Some((self.open_at, "an HTML tag")),
        }
    }

    fn start_tag(&mut self, end_tag: bool, start: usize) {
        self.tag = Some(Tag {
            name: String::new(),
            end_tag,
            span: start..start,
            attributes: Vec::new(),
        });
        self.state = State::TagName;
    }

    fn finish_tag(&mut self, at: usize, done: &mut Vec<Tag>) {
        self.state = State::Data;
        let Some(mut tag) = self.tag.take() else {
            return;
        };
        tag.span.end = at + 1;
        if !tag.end_tag && RAW_TEXT.contains(&tag.name.as_str()) {
            self.raw = tag.name.clone();
            self.state = State::RawText;
        }
        done.push(tag);
    }

    fn current_attribute(&self) -> Option<&Attribute> {
        self.tag.as_ref()?.attributes.last()
    }

    fn current_attribute_mut(&mut self) -> Option<&mut Attribute> {
        self.tag.as_mut()?.attributes.last_mut()
    }

    fn push_value(&mut self, s: &str, end: usize) {
        if let Some(a) = self.current_attribute_mut() {
            a.value.get_or_insert_with(String::new).push_str(s);
            a.span.end = end;
        }
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_follow_the_tokenizer() {
        let mut s = Scanner::default();
        s.text("<p class=\"a ", 0);
        assert!(matches!(
            s.context(),
            Context::Attribute { quoted: true, .. }
        ));
        s.text("\">x <a href=", 12);
        assert_eq!(
            s.context(),
            Context::Attribute {
                name: "href".into(),
                quoted: false,
                url: true
            }
        );
        s.output("{{ u }}", 24..31);
        let tags = s.text("><script>var a = '</p>'; ", 31);
        assert_eq!(tags.last().unwrap().name, "script");
        assert_eq!(tags[tags.len() - 2].value("href"), Some("{{ u }}"));
        assert_eq!(s.context(), Context::Script);
        s.text("</script><!-- <form method=post> -->", 60);
        assert_eq!(s.context(), Context::Text);
    }

    #[test]
    fn unfinished_tags_are_reported() {
        let mut s = Scanner::default();
        s.text("<div class=\"open", 0);
        assert!(s.unfinished().is_some());
        let mut s = Scanner::default();
        s.text("a < b and c > d", 0);
        assert!(s.unfinished().is_none());
    }
}
