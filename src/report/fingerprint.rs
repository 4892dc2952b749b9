//! Fingerprints: GitHub's `primaryLocationLineHash` (a port of codeql-action's
//! `src/fingerprints.ts`) and our own content-based key.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

const BLOCK: usize = 100;
const MOD: u64 = 37;
const EOF_MARK: u64 = 0xFFFF;

/// 37^100 mod 2^64, the weight of the character leaving the rolling window.
fn first_mod() -> u64 {
    (0..BLOCK).fold(1u64, |acc, _| acc.wrapping_mul(MOD))
}

/// `primaryLocationLineHash` values for every line of a file, indexed by 1-based line number
/// (index 0 unused), computed exactly as GitHub's upload-sarif does.
///
/// `bytes` are decoded like Node's UTF-8 reader (invalid bytes become U+FFFD, a BOM is kept)
/// and hashed as UTF-16 code units.
pub fn line_hashes(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let first_mod = first_mod();
    let mut window = [0u64; BLOCK];
    let mut line_numbers = [-1i64; BLOCK];
    let mut hash: u64 = 0;
    let mut index = 0usize;
    let mut line_number: i64 = 0;
    let mut line_start = true;
    let mut prev_cr = false;
    let mut counts: HashMap<u64, u32> = HashMap::new();
    let mut out: Vec<String> = vec![String::new()];

    let output = |hash: u64, line: i64, counts: &mut HashMap<u64, u32>, out: &mut Vec<String>| {
        let n = counts.entry(hash).or_insert(0);
        *n += 1;
        let line = line as usize;
        if out.len() <= line {
            out.resize(line + 1, String::new());
        }
        out[line] = format!("{hash:x}:{n}");
    };

    let mut process = |c: u64,
                       window: &mut [u64; BLOCK],
                       line_numbers: &mut [i64; BLOCK],
                       hash: &mut u64,
                       index: &mut usize,
                       counts: &mut HashMap<u64, u32>,
                       out: &mut Vec<String>| {
        let mut c = c;
        if c == u64::from(b' ') || c == u64::from(b'\t') || (prev_cr && c == u64::from(b'\n')) {
            prev_cr = false;
            return;
        }
        if c == u64::from(b'\r') {
            c = u64::from(b'\n');
            prev_cr = true;
        } else {
            prev_cr = false;
        }
        if line_numbers[*index] != -1 {
            output(*hash, line_numbers[*index], counts, out);
            line_numbers[*index] = -1;
        }
        if line_start {
            line_start = false;
            line_number += 1;
            line_numbers[*index] = line_number;
        }
        if c == u64::from(b'\n') {
            line_start = true;
        }
        let begin = window[*index];
        window[*index] = c;
        *hash = MOD
            .wrapping_mul(*hash)
            .wrapping_add(c)
            .wrapping_sub(first_mod.wrapping_mul(begin));
        *index = (*index + 1) % BLOCK;
    };

    for unit in text.encode_utf16() {
        process(
            u64::from(unit),
            &mut window,
            &mut line_numbers,
            &mut hash,
            &mut index,
            &mut counts,
            &mut out,
        );
    }
    process(
        EOF_MARK,
        &mut window,
        &mut line_numbers,
        &mut hash,
        &mut index,
        &mut counts,
        &mut out,
    );
    for _ in 0..BLOCK {
        if line_numbers[index] != -1 {
            output(hash, line_numbers[index], &mut counts, &mut out);
            line_numbers[index] = -1;
        }
        let begin = window[index];
        window[index] = 0;
        hash = MOD
            .wrapping_mul(hash)
            .wrapping_sub(first_mod.wrapping_mul(begin));
        index = (index + 1) % BLOCK;
    }
    out
}

/// Our own fingerprint: rule, path, the flagged line's text without spaces, and its occurrence
/// number among identical (rule, path, text) triples — stable when other lines move.
pub fn stable_key(rule: &str, path: &str, line_text: &str, occurrence: usize) -> String {
    let normalized: String = line_text.chars().filter(|c| !c.is_whitespace()).collect();
    StableKeyPrefix::new(rule, path, &normalized).key(occurrence)
}

/// [`stable_key`] hashed up to the occurrence number, for many findings of one rule on one line
/// (each would otherwise hash the whole line again).
#[derive(Clone)]
pub struct StableKeyPrefix(Sha256);

impl StableKeyPrefix {
    /// The hash of rule, path and the line's text with whitespace already removed.
    pub fn new(rule: &str, path: &str, normalized_line: &str) -> Self {
        let mut h = Sha256::new();
        h.update(rule.as_bytes());
        h.update([0]);
        h.update(path.as_bytes());
        h.update([0]);
        h.update(normalized_line.as_bytes());
        h.update([0]);
        Self(h)
    }

    /// The key of the `occurrence`-th identical finding.
    pub fn key(&self, occurrence: usize) -> String {
        let mut h = self.0.clone();
        h.update(occurrence.to_string().as_bytes());
        let digest = h.finalize();
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(s: &str) -> Vec<String> {
        line_hashes(s.as_bytes())[1..].to_vec()
    }

    #[test]
    fn worked_example_from_codeql_action() {
        assert_eq!(
            hashes(" a\nb\n  \t\tc\n d"),
            vec![
                "271789c17abda88f:1",
                "54703d4cd895b18:1",
                "180aee12dab6264:1",
                "a23a3dc5e078b07b:1"
            ]
        );
    }

    #[test]
    fn flask_example_and_trailing_newline() {
        assert_eq!(
            hashes("from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n"),
            vec![
                "8fab4937666a1378:1",
                "b7464b6f5caf6de1:1",
                "592eb5113a7053ce:1",
                "c129715d7a2bc9a3:1"
            ]
        );
        assert_eq!(hashes(""), vec!["c129715d7a2bc9a3:1"]);
    }

    #[test]
    fn repeated_windows_are_counted() {
        let text = "Lorem ipsum dolor sit amet.\n".repeat(10);
        let h = hashes(&text);
        assert_eq!(h[0], "a7f2ff13bc495cf2:1");
        assert_eq!(h[5], "a7f2ff13bc495cf2:6");
        assert_eq!(h[6], "a7f2ff1481e87703:1");
    }

    #[test]
    fn stable_key_ignores_whitespace_only() {
        let a = stable_key("FS101", "app.py", "app.run(debug=True)", 0);
        assert_eq!(
            a,
            stable_key("FS101", "app.py", "  app.run( debug=True )", 0)
        );
        assert_ne!(a, stable_key("FS101", "app.py", "app.run(debug=True)", 1));
    }
}
