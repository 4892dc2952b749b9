//! Conformance against the project's contract data (`../shared/contracts/data`), which users'
//! clones do not have: these tests are ignored by default and `.ci/run` runs them with
//! `FLASKSCAN_CONTRACT_DATA` pointing at the folder.

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;

fn contract_data() -> PathBuf {
    PathBuf::from(
        std::env::var("FLASKSCAN_CONTRACT_DATA")
            .expect("set FLASKSCAN_CONTRACT_DATA to ../shared/contracts/data"),
    )
}

fn demo_sarif(example: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_flaskscan"))
        .args(["scan", example, "--format", "sarif", "--fail-on", "none"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// GitHub's upload schema puts an `anyOf` inside `region.properties`, where it reads as a
/// property schema that is an array (invalid, so strict validators refuse the schema). GitHub's
/// own validator ignores it; so do we, by dropping non-schema entries from `properties` maps.
fn drop_invalid_property_schemas(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get_mut("properties") {
                props.retain(|_, s| s.is_object() || s.is_boolean());
            }
            map.values_mut().for_each(drop_invalid_property_schemas);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_invalid_property_schemas),
        _ => {}
    }
}

fn validate(schema_file: &str, log: &serde_json::Value) -> Vec<String> {
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(contract_data().join(schema_file)).unwrap())
            .unwrap();
    drop_invalid_property_schemas(&mut schema);
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{schema_file} does not compile: {e}"));
    validator
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

#[test]
#[ignore = "needs ../shared/contracts/data; run by .ci/run"]
fn demo_sarif_validates_against_oasis_and_github_schemas() {
    for example in ["examples/flask-app", "examples/flask-app-fixed"] {
        let log = demo_sarif(example);
        for schema in ["sarif-schema-2.1.0.json", "github-sarif-upload-schema.json"] {
            let errors = validate(schema, &log);
            assert!(
                errors.is_empty(),
                "{example} against {schema}:\n{}",
                errors.join("\n")
            );
        }
    }
}

#[test]
#[ignore = "needs ../shared/contracts/data; run by .ci/run"]
fn line_hashes_match_upload_sarif_vectors() {
    let dir = contract_data().join("fingerprints");
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("extra-vectors.json")).unwrap())
            .unwrap();
    let mut checked = 0;
    for v in vectors["vectors"].as_array().unwrap() {
        let input = base64::engine::general_purpose::STANDARD
            .decode(v["input_base64"].as_str().unwrap())
            .unwrap();
        let hashes = flaskscan::report::fingerprint::line_hashes(&input);
        for e in v["expected"].as_array().unwrap() {
            let line = e["line"].as_u64().unwrap() as usize;
            assert_eq!(
                hashes[line],
                e["hash"].as_str().unwrap(),
                "{} line {line}",
                v["name"]
            );
            checked += 1;
        }
    }
    let big = std::fs::read(dir.join("big-crlf-unicode.txt")).unwrap();
    let hashes = flaskscan::report::fingerprint::line_hashes(&big);
    for line in std::fs::read_to_string(dir.join("big-crlf-unicode.expected.txt"))
        .unwrap()
        .lines()
    {
        let (n, h) = line.split_once(':').unwrap();
        assert_eq!(hashes[n.parse::<usize>().unwrap()], h, "big file line {n}");
        checked += 1;
    }
    assert!(checked > 6000);
}
