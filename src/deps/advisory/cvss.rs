//! CVSS base scores from vector strings (OSV stores vectors, not numbers).
//!
//! v3.0/v3.1 and v2 are computed with the specifications' formulas. v4 needs the large MacroVector
//! lookup table, so it is not scored here: callers fall back to the database's own label.

use crate::finding::Severity;

/// The base score of a CVSS v2 or v3.x vector, or `None` for other or malformed vectors.
pub fn base_score(vector: &str) -> Option<f64> {
    if let Some(rest) = vector
        .strip_prefix("CVSS:3.1/")
        .or_else(|| vector.strip_prefix("CVSS:3.0/"))
    {
        v3(rest)
    } else if vector.starts_with("CVSS:") {
        None
    } else {
        v2(vector
            .strip_prefix("(")
            .unwrap_or(vector)
            .trim_end_matches(')'))
    }
}

/// The qualitative band of a score (CVSS v3 table: 0.1-3.9 low ... 9.0-10 critical).
pub fn severity_of_score(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::Critical
    } else if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

fn metrics<'a>(rest: &'a str) -> impl Fn(&str) -> Option<&'a str> {
    move |key: &str| {
        rest.split('/').find_map(|kv| {
            let (k, v) = kv.split_once(':')?;
            (k == key).then_some(v)
        })
    }
}

fn v3(rest: &str) -> Option<f64> {
    let m = metrics(rest);
    let changed = match m("S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match m("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match m("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (m("PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match m("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |k| match m(k)? {
        "H" => Some(0.56),
        "L" => Some(0.22),
        "N" => Some(0.0),
        _ => None,
    };
    let iss = 1.0 - (1.0 - cia("C")?) * (1.0 - cia("I")?) * (1.0 - cia("A")?);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    let raw = if changed {
        1.08 * (impact + exploitability)
    } else {
        impact + exploitability
    };
    Some(roundup(raw.min(10.0)))
}

/// CVSS v3.1 Roundup: the smallest one-decimal number >= x, robust to float noise.
fn roundup(x: f64) -> f64 {
    let i = (x * 100_000.0).round() as i64;
    if i % 10_000 == 0 {
        i as f64 / 100_000.0
    } else {
        ((i / 10_000) + 1) as f64 / 10.0
    }
}

fn v2(vector: &str) -> Option<f64> {
    let m = metrics(vector);
    let av = match m("AV")? {
        "L" => 0.395,
        "A" => 0.646,
        "N" => 1.0,
        _ => return None,
    };
    let ac = match m("AC")? {
        "H" => 0.35,
        "M" => 0.61,
        "L" => 0.71,
        _ => return None,
    };
    let au = match m("Au")? {
        "M" => 0.45,
        "S" => 0.56,
        "N" => 0.704,
        _ => return None,
    };
    let cia = |k| match m(k)? {
        "N" => Some(0.0),
        "P" => Some(0.275),
        "C" => Some(0.660),
        _ => None,
    };
    let impact = 10.41 * (1.0 - (1.0 - cia("C")?) * (1.0 - cia("I")?) * (1.0 - cia("A")?));
    let exploitability = 20.0 * av * ac * au;
    let f: f64 = if impact == 0.0 { 0.0 } else { 1.176 };
    let score = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
    Some((score * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_scores_match_the_nvd_calculator() {
        // CVE-2023-30861 (flask): 7.5 high.
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
            Some(7.5)
        );
        // Scope changed, 6.1 (typical XSS).
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"),
            Some(6.1)
        );
        assert_eq!(
            base_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(9.8)
        );
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"),
            Some(0.0)
        );
    }

    #[test]
    fn v2_and_unknown_vectors() {
        assert_eq!(base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some(7.5));
        assert_eq!(base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H"), None);
        assert_eq!(base_score("garbage"), None);
        assert_eq!(severity_of_score(9.8), Severity::Critical);
        assert_eq!(severity_of_score(6.1), Severity::Medium);
    }
}
