//! Signatures and the JSON file form, over certificates built from real
//! evidence (see common/mod.rs): what verifies, and that one changed byte,
//! another key or a changed artifact does not.

mod common;

use common::{Evidence, key, signed};
use readiness_core::assess::EvidenceRef;
use readiness_core::assess::Verdict;
use readiness_core::targets::Outcome;
use readiness_report::{
    ArtifactProblem, SignedCertificate, SigningKey, VerifyError, canonical_json, check_artifacts,
    check_artifacts_in_dir, sha256_hex, verify, verify_file, verify_with_key,
};

#[test]
fn a_signed_certificate_verifies_from_its_json_file() {
    let certificate = Evidence::standard().certificate(7, None);
    let signed = signed(&certificate);
    assert_eq!(signed.signature.algorithm, "ed25519");
    assert_eq!(signed.signature.public_key, key().public_key_hex());
    verify(&signed).unwrap();
    verify_with_key(&signed, &key().public_key_hex().to_uppercase()).unwrap();

    let file = signed.to_json();
    let back = verify_file(&file).unwrap();
    assert_eq!(back, signed);
    // The signature covers the canonical form, not the file's layout.
    let compact = serde_json::to_vec(&signed).unwrap();
    assert_eq!(verify_file(&compact).unwrap(), signed);
}

#[test]
fn the_certificate_is_built_from_the_evidence() {
    let evidence = Evidence::standard();
    let certificate = evidence.certificate(7, None);
    assert!(
        certificate.unresolved_evidence().is_empty(),
        "every figure names an artifact of the manifest: {:?}",
        certificate.unresolved_evidence()
    );
    let p95 = certificate
        .targets
        .iter()
        .find(|t| t.check_id == "target:p95 < 500 ms:sustained")
        .expect("the p95 target against the sustained run");
    // The k6 NDJSON fixture's p95, computed in core/tests/k6_ndjson.rs.
    assert_eq!(p95.measured_text.as_deref(), Some("125 ms"));
    assert_eq!(p95.outcome, Outcome::Pass);
    assert_eq!(p95.evidence, [EvidenceRef::Run(11)]);
    // The k6 summary fixture's 39.7 % of failed requests break the
    // critical error-rate target.
    assert_eq!(certificate.verdict, Verdict::NotCertified);
    assert!(
        certificate
            .reasons
            .iter()
            .any(|r| r == "failed (critical): error_rate < 0.1 %: run 12 measured 39.7 % against error_rate < 0.1 %"),
        "{:#?}",
        certificate.reasons
    );
    let chart = certificate.charts.iter().find(|c| c.run.id == 11).unwrap();
    assert!(chart.points.len() >= 2, "the NDJSON run has a time series");
    let exempted = certificate
        .findings
        .iter()
        .find(|f| f.rule == "redis.maxmemory")
        .unwrap();
    assert!(
        exempted
            .exemption
            .as_deref()
            .unwrap()
            .starts_with("the container's memory limit")
    );
    assert_eq!(
        certificate.manifest.len(),
        5,
        "two runs and three configuration files"
    );
}

#[test]
fn re_evaluating_the_same_evidence_gives_the_same_signed_bytes() {
    let first = Evidence::standard().certificate(7, None);
    let again = Evidence::standard().certificate(7, None);
    assert_eq!(canonical_json(&first), canonical_json(&again));
    assert_eq!(signed(&first), signed(&again), "Ed25519 is deterministic");
}

#[test]
fn a_file_whose_numbers_a_tool_rewrote_still_verifies() {
    let certificate = Evidence::standard().certificate(7, None);
    let signed = signed(&certificate);
    // What `jq .` does: 500.0 becomes 500.
    fn integral_floats_as_integers(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Number(n) if n.is_f64() => {
                let x = n.as_f64().unwrap();
                if x.fract() == 0.0 && x.abs() < 1e15 {
                    *value = serde_json::Value::from(x as i64);
                }
            }
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(integral_floats_as_integers)
            }
            serde_json::Value::Object(members) => {
                members.values_mut().for_each(integral_floats_as_integers)
            }
            _ => {}
        }
    }
    let mut value = serde_json::to_value(&signed).unwrap();
    integral_floats_as_integers(&mut value);
    let rewritten = serde_json::to_vec_pretty(&value).unwrap();
    assert_ne!(rewritten, signed.to_json(), "some figure was rewritten");
    assert_eq!(verify_file(&rewritten).unwrap(), signed);
}

#[test]
fn one_changed_byte_of_the_json_fails_verification() {
    let certificate = Evidence::standard().certificate(7, None);
    let file = String::from_utf8(signed(&certificate).to_json()).unwrap();
    // One hex digit of the first artifact's SHA-256.
    let sha = &certificate.manifest[0].sha256;
    let at = file.find(sha.as_str()).unwrap() + 10;
    let mut bytes = file.into_bytes();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    match verify_file(&bytes) {
        Err(VerifyError::BadSignature { public_key, .. }) => {
            assert_eq!(public_key, key().public_key_hex())
        }
        other => panic!("expected a bad signature, got {other:?}"),
    }

    // A changed figure is caught the same way.
    let mut tampered = signed(&certificate);
    tampered.certificate.verdict = Verdict::Certified;
    tampered.certificate.reasons.clear();
    let err = verify_file(&tampered.to_json()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the signature does not match the certificate"),
        "{err}"
    );
}

#[test]
fn another_key_is_named_and_refused() {
    let certificate = Evidence::standard().certificate(7, None);
    let signed = signed(&certificate);
    let other = SigningKey::from_bytes(&[1; 32]).public_key_hex();
    match verify_with_key(&signed, &other) {
        Err(VerifyError::KeyMismatch { expected, found }) => {
            assert_eq!(expected, other);
            assert_eq!(found, key().public_key_hex());
        }
        other => panic!("expected a key mismatch, got {other:?}"),
    }
    // Putting the other key into the file does not help: the signature was
    // not made with it.
    let mut swapped = signed.clone();
    swapped.signature.public_key = other.clone();
    assert!(matches!(
        verify_with_key(&swapped, &other),
        Err(VerifyError::BadSignature { .. })
    ));
}

#[test]
fn members_the_signature_cannot_speak_for_are_refused_by_name() {
    let certificate = Evidence::standard().certificate(7, None);
    let mut value = serde_json::to_value(signed(&certificate)).unwrap();
    value["certificate"]["manifest"][0]["note"] = "trust me".into();
    let err = SignedCertificate::from_json(&serde_json::to_vec(&value).unwrap()).unwrap_err();
    assert_eq!(
        err,
        VerifyError::NotCanonical {
            differences: vec!["/manifest/0/note is not a member this version knows".to_owned()]
        }
    );

    let mut value = serde_json::to_value(signed(&certificate)).unwrap();
    value["certificate"]["format"] = "readiness-certificate/99".into();
    let err = SignedCertificate::from_json(&serde_json::to_vec(&value).unwrap()).unwrap_err();
    assert!(
        err.to_string().contains("readiness-certificate/99"),
        "{err}"
    );

    let mut value = serde_json::to_value(signed(&certificate)).unwrap();
    value["signature"]["algorithm"] = "rsa".into();
    let err = verify_file(&serde_json::to_vec(&value).unwrap()).unwrap_err();
    assert!(matches!(err, VerifyError::Algorithm { ref found } if found == "rsa"));
}

#[test]
fn a_changed_or_missing_artifact_is_reported_by_id() {
    let evidence = Evidence::standard();
    let certificate = evidence.certificate(7, None);
    let dir = tempfile::tempdir().unwrap();
    evidence.write_to(dir.path());
    assert_eq!(
        check_artifacts_in_dir(&certificate, dir.path()).unwrap(),
        []
    );

    // A renamed artifact is still found by its digest.
    std::fs::rename(dir.path().join("php.ini"), dir.path().join("renamed.ini")).unwrap();
    assert_eq!(
        check_artifacts_in_dir(&certificate, dir.path()).unwrap(),
        []
    );

    // One byte of redis.conf changed; nginx.conf gone.
    let redis = dir.path().join("redis.conf");
    let mut bytes = std::fs::read(&redis).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&redis, &bytes).unwrap();
    std::fs::remove_file(dir.path().join("nginx.conf")).unwrap();
    let problems = check_artifacts_in_dir(&certificate, dir.path()).unwrap();
    let expected_redis = certificate
        .manifest
        .iter()
        .find(|m| m.id == EvidenceRef::Upload(21))
        .unwrap()
        .sha256
        .clone();
    assert_eq!(
        problems,
        [
            ArtifactProblem::Changed {
                id: EvidenceRef::Upload(21),
                file_name: "redis.conf".to_owned(),
                expected: expected_redis.clone(),
                found: sha256_hex(&bytes),
            },
            ArtifactProblem::Missing {
                id: EvidenceRef::Upload(23),
                file_name: "nginx.conf".to_owned(),
                expected: certificate.manifest[4].sha256.clone(),
            },
        ]
    );
    assert!(problems[0].to_string().contains(&format!(
        "its SHA-256 is {}, the certificate lists {expected_redis}",
        sha256_hex(&bytes)
    )));

    // A manifest cannot make the check read outside the folder.
    let mut outside = certificate.clone();
    outside.manifest.truncate(1);
    outside.manifest[0].file_name = "../../../../../../etc/hostname".to_owned();
    outside.manifest[0].sha256 = "f".repeat(64);
    assert!(matches!(
        check_artifacts_in_dir(&outside, dir.path()).unwrap()[..],
        [ArtifactProblem::Missing {
            id: EvidenceRef::Run(11),
            ..
        }]
    ));

    // The same check through a lookup, as a server would answer it.
    let all_missing = check_artifacts(&certificate, |_| None);
    assert_eq!(all_missing.len(), certificate.manifest.len());
}
