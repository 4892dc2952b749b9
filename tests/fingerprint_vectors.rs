//! `primaryLocationLineHash` test vectors: values GitHub's own algorithm (codeql-action
//! `src/fingerprints.ts`, run with node) gives, and a cross-check of our rolling-hash port against
//! an independent direct-sum implementation on a large generated CRLF/tab/emoji/BOM file.

use std::collections::HashMap;

use flaskscan::report::fingerprint::line_hashes;

/// Line hashes from line 1 on (the port leaves index 0 unused).
fn hashes(bytes: &[u8]) -> Vec<String> {
    line_hashes(bytes).into_iter().skip(1).collect()
}

#[test]
fn vectors_computed_by_upload_sarif() {
    let cases: &[(&[u8], &[&str])] = &[
        (
            b"from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n",
            &[
                "8fab4937666a1378:1",
                "b7464b6f5caf6de1:1",
                "592eb5113a7053ce:1",
                "c129715d7a2bc9a3:1",
            ],
        ),
        (
            b"x = 1\r\n\r\n  y = 2",
            &[
                "54b8786aa0b79905:1",
                "d5dbf2bdffdc6d89:1",
                "f0a9ef6ffbbb4263:1",
            ],
        ),
        // é and a non-BMP emoji (two UTF-16 code units).
        (
            "é😀\n".as_bytes(),
            &["16a367e7bde89037:1", "c129715d7a2bc9a3:1"],
        ),
        // A BOM (kept as U+FEFF) and an invalid byte (U+FFFD).
        (
            b"\xef\xbb\xbfa\xff\n",
            &["d31ce100323bd0ca:1", "c129715d7a2bc9a3:1"],
        ),
        (
            b" a\nb\n  \t\tc\n d",
            &[
                "271789c17abda88f:1",
                "54703d4cd895b18:1",
                "180aee12dab6264:1",
                "a23a3dc5e078b07b:1",
            ],
        ),
        (b"", &["c129715d7a2bc9a3:1"]),
    ];
    for (input, expected) in cases {
        assert_eq!(
            hashes(input),
            *expected,
            "input {:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(
            reference(input),
            *expected,
            "reference, input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn identical_windows_are_numbered_in_file_order() {
    let text = "Lorem ipsum dolor sit amet.\n".repeat(10);
    let got = hashes(text.as_bytes());
    for (i, h) in got.iter().take(6).enumerate() {
        assert_eq!(h, &format!("a7f2ff13bc495cf2:{}", i + 1));
    }
    assert_eq!(got[6], "a7f2ff1481e87703:1");
    assert_eq!(got, reference(text.as_bytes()));
}

#[test]
fn port_matches_a_direct_implementation_on_a_large_mixed_file() {
    let input = generated_file(6000);
    let port = hashes(&input);
    let direct = reference(&input);
    assert!(direct.len() >= 6000);
    assert_eq!(port.len(), direct.len());
    for (line, (a, b)) in port.iter().zip(&direct).enumerate() {
        assert_eq!(a, b, "line {}", line + 1);
    }
}

/// hash(line) = Σ_{j<100} c[s+j]·37^(99-j) mod 2^64 over the normalized stream (spaces and tabs
/// dropped, `\r`, `\r\n`, `\n` as one `\n`, then 0xFFFF, then zeros), from the line's first kept
/// unit; `:n` numbers equal hashes in file order. Written from the definition, not the rolling form.
fn reference(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut stream: Vec<u64> = Vec::new();
    let mut starts = Vec::new();
    let (mut prev_cr, mut line_start) = (false, true);
    for unit in text.encode_utf16().map(u64::from).chain([0xFFFF]) {
        if unit == 0x20 || unit == 0x09 || (prev_cr && unit == 0x0A) {
            prev_cr = false;
            continue;
        }
        prev_cr = unit == 0x0D;
        let c = if prev_cr { 0x0A } else { unit };
        if line_start {
            starts.push(stream.len());
        }
        line_start = c == 0x0A;
        stream.push(c);
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    starts
        .into_iter()
        .map(|s| {
            let h = (0..100).fold(0u64, |h, j| {
                h.wrapping_mul(37)
                    .wrapping_add(stream.get(s + j).copied().unwrap_or(0))
            });
            let hex = format!("{h:x}");
            let n = counts.entry(hex.clone()).or_insert(0);
            *n += 1;
            format!("{hex}:{n}")
        })
        .collect()
}

/// A deterministic file mixing everything the algorithm must get right.
fn generated_file(lines: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces: &[&[u8]] = &[
        b"def ",
        b"app",
        b"\t",
        b"  ",
        b"=",
        b"request.args",
        "é".as_bytes(),
        "😀".as_bytes(),
        "中文".as_bytes(),
        b"\xff",
        b"x",
        b"(",
        b")",
        b"#",
        b"\"s\"",
    ];
    let endings: &[&[u8]] = &[b"\n", b"\r\n", b"\r", b"\r \n", b"\n\n"];
    let mut out = b"\xef\xbb\xbf".to_vec();
    for _ in 0..lines {
        for _ in 0..(next() % 12) {
            out.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
        }
        out.extend_from_slice(endings[(next() % endings.len() as u64) as usize]);
    }
    out
}
