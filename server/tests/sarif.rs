//! The SARIF that `readiness audit --sarif` writes is valid SARIF 2.1.0: it
//! validates against the official OASIS JSON schema (draft-07), kept
//! unchanged in `tests/fixtures/sarif/` (see its PROVENANCE.md). Code-scanning
//! services reject a log that does not.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_readiness");

/// The schema's own `$id`; it is registered under it, so nothing is fetched.
const SCHEMA_ID: &str = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json";

fn manifest_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The official schema, compiled. boon carries the draft-07 metaschema
/// itself and asserts `format` (uri, uri-reference, date-time) for draft-07.
fn sarif_schema() -> (boon::Schemas, boon::SchemaIndex) {
    let path = manifest_path("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(schema["$id"], SCHEMA_ID);
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource(SCHEMA_ID, schema)
        .expect("register the schema");
    let mut schemas = boon::Schemas::new();
    let index = compiler
        .compile(SCHEMA_ID, &mut schemas)
        .unwrap_or_else(|e| panic!("the SARIF schema does not compile: {e:#}"));
    (schemas, index)
}

/// `Err` carries the validator's whole error tree, one error a line.
fn validate(document: &Value) -> Result<(), String> {
    let (schemas, index) = sarif_schema();
    schemas
        .validate(document, index)
        .map_err(|error| format!("{error:#}"))
}

/// Runs the real binary over a Redis and an nginx configuration and returns
/// the SARIF it wrote. The nginx one sits in a folder whose name has a space,
/// which a SARIF `uri` cannot hold as it is.
fn audit_sarif() -> Value {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("etc");
    for (from, to) in [
        (
            "../core/tests/fixtures/audit/redis/redis.conf",
            "redis/redis.conf",
        ),
        (
            "../core/tests/fixtures/audit/nginx/nginx.conf",
            "nginx conf/nginx.conf",
        ),
    ] {
        let to = input.join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(manifest_path(from), &to).unwrap_or_else(|e| panic!("{from}: {e}"));
    }
    let sarif = dir.path().join("audit.sarif");
    let out = Command::new(BIN)
        .arg("audit")
        .arg(&input)
        .args(["--ram", "8GiB", "--cpus", "4", "--sarif"])
        .arg(&sarif)
        .output()
        .expect("run readiness audit");
    // 0: nothing failed; 1: some finding failed. Either way the log is written.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "readiness audit exited with {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&sarif).expect("readiness audit wrote the SARIF file");
    serde_json::from_slice(&bytes).expect("the SARIF file is JSON")
}

#[test]
fn the_audit_sarif_validates_against_the_official_schema() {
    let log = audit_sarif();
    // Not vacuous: the log has rules, results, and results with a location.
    let run = &log["runs"][0];
    assert!(
        !run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty(), "{log:#}");
    let uris: Vec<&str> = results
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(!uris.is_empty(), "{log:#}");
    if let Err(errors) = validate(&log) {
        panic!("the audit's SARIF is not valid SARIF 2.1.0:\n{errors}");
    }
    // The space is percent-encoded; the rest of the path is as it was.
    assert!(uris.contains(&"etc/nginx%20conf/nginx.conf"), "{uris:?}");
}

#[test]
fn the_schema_check_rejects_invalid_sarif() {
    let minimal = json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "readiness", "rules": [{"id": "a.rule"}]}},
            "results": [{"ruleId": "a.rule", "ruleIndex": 0, "level": "error", "message": {"text": "x"}}],
        }],
    });
    validate(&minimal).expect("a minimal log is valid");

    let mut wrong_version = minimal.clone();
    wrong_version["version"] = json!("2.0.0");
    let errors = validate(&wrong_version).expect_err("version 2.0.0 is rejected");
    assert!(errors.contains("/version"), "{errors}");

    let mut no_message = minimal.clone();
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    validate(&no_message).expect_err("a result without a message is rejected");

    let mut bad_level = minimal.clone();
    bad_level["runs"][0]["results"][0]["level"] = json!("critical");
    validate(&bad_level).expect_err("an unknown level is rejected");

    // The audit's own log, broken the same way, is rejected too.
    let mut log = audit_sarif();
    log["version"] = json!("2.0.0");
    validate(&log).expect_err("the audit's log with version 2.0.0 is rejected");
}
