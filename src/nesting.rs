//! How deep brackets nest in a text: parsers (Ruff's, PEP 508's) recurse or slow down per level,
//! so hostile input is measured before it is handed to them.

/// The deepest nesting of `(`, `[` and `{` in `text` (strings included) when it is deeper than
/// `limit`; `None` otherwise.
pub fn deeper_than(text: &str, limit: usize) -> Option<usize> {
    // Nesting n deep needs n openers; counting them is a fast scan, and most texts have fewer
    // openers than the limit.
    if memchr::memchr3_iter(b'(', b'[', b'{', text.as_bytes()).count() <= limit {
        return None;
    }
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    (deepest > limit).then_some(deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_only_past_the_limit() {
        assert_eq!(deeper_than("((()))", 2), Some(3));
        assert_eq!(deeper_than("()()()()", 2), None, "many openers, shallow");
        assert_eq!(deeper_than("f\"{f'{x}'}\"", 1), Some(2));
        assert_eq!(deeper_than("(((", 5), None);
    }
}
