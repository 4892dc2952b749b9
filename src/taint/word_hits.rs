//! Where a set of words occurs in a file, so that many functions of it can be asked whether
//! their text mentions one without searching each function's text again.

use memchr::memmem;
use ruff_text_size::TextRange;

pub use crate::python::words::mentions;

/// The byte spans of every occurrence of some words in one text, sorted by start.
pub struct WordHits(Vec<(u32, u32)>);

impl WordHits {
    /// Finds every occurrence of each of `words` in `text` (one pass per word over the file).
    pub fn find<'w>(text: &str, words: impl IntoIterator<Item = &'w str>) -> Self {
        let mut hits = Vec::new();
        for w in words {
            if w.is_empty() {
                continue;
            }
            let len = w.len() as u32;
            hits.extend(
                memmem::find_iter(text.as_bytes(), w.as_bytes())
                    .map(|at| (at as u32, at as u32 + len)),
            );
        }
        hits.sort_unstable();
        WordHits(hits)
    }

    /// Whether one of the words lies wholly inside `range`.
    pub fn any_in(&self, range: TextRange) -> bool {
        let (start, end) = (range.start().to_u32(), range.end().to_u32());
        let first = self.0.partition_point(|&(s, _)| s < start);
        self.0[first..]
            .iter()
            .take_while(|&&(s, _)| s < end)
            .any(|&(_, e)| e <= end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_text_size::TextSize;

    fn range(a: u32, b: u32) -> TextRange {
        TextRange::new(TextSize::new(a), TextSize::new(b))
    }

    #[test]
    fn finds_words_inside_a_range_only() {
        let text = "def a(): pass\ndef b(): execute(q)\n";
        let hits = WordHits::find(text, ["execute", "random"]);
        assert!(!hits.any_in(range(0, 13)));
        assert!(hits.any_in(range(14, text.len() as u32)));
        // A word cut by the range's end is not in it.
        assert!(!hits.any_in(range(14, 29)));
    }
}
