//! Targets, assessments, comparisons and the CI gate, against the real
//! server and binary.

mod common;

use common::{BIN, TestServer, fixture};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture_path(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures")
        .join(path)
}

const NDJSON: &str = "k6/xk6-dashboard-out-json-result.ndjson";
const SIMPLE: &str = "k6/k6-reporter-handlesummary-simple.json";
const GROUPS: &str = "k6/k6-html-reporter-handlesummary-groups.json";

/// Targets are changed by a maintainer's session (the admin's here), or
/// tried with a token, which may not.
async fn put_targets(server: &TestServer, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = server
        .http
        .put(format!("{}/api/v1/projects/chom/targets", server.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.json(&body).send().await.unwrap()
}

#[tokio::test]
async fn a_project_starts_with_the_default_targets_and_they_can_be_replaced() {
    let server = TestServer::start();
    server.project_with_token("chom");
    let targets: Value = server
        .get("/api/v1/projects/chom/targets")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(targets["targets"].as_array().unwrap().len(), 7);
    assert_eq!(targets["targets"][0], "p95 < 500 ms");
    assert_eq!(targets["max_age_days"], 14);

    let res = put_targets(&server, None,
        json!({"targets": ["p95 < 300ms", r#"p99 < 1s endpoint "GET /x""#, "users >= 50"], "max_age_days": 7}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let targets: Value = server
        .get("/api/v1/projects/chom/targets")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        targets,
        json!({"targets": ["p95 < 300 ms", r#"p99 < 1 s endpoint "GET /x""#, "users >= 50"], "max_age_days": 7})
    );
}

#[tokio::test]
async fn bad_targets_are_refused_with_where_each_is_wrong_and_nothing_changes() {
    let server = TestServer::start();
    server.project_with_token("chom");
    let res = put_targets(
        &server,
        None,
        json!({"targets": ["p95 < 300ms", "p95 < 5xs", "latency < 1s"]}),
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_targets");
    let details = body["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(
        (details[0]["index"].as_u64(), details[0]["column"].as_u64()),
        (Some(1), Some(8))
    );
    assert_eq!(
        (details[1]["index"].as_u64(), details[1]["column"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("targets[1]: `p95 < 5xs`, character 8")
    );

    let res = put_targets(&server, None, json!({"targets": "p95 < 1s"})).await;
    assert_eq!(res.status(), 400);
    let other = server.project_with_token("other");
    let res = put_targets(&server, Some(&other), json!({"targets": []})).await;
    assert_eq!(res.status(), 403);
    let targets: Value = server
        .get("/api/v1/projects/chom/targets")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(targets["targets"].as_array().unwrap().len(), 7, "unchanged");
}

#[tokio::test]
async fn the_assessment_judges_fresh_runs_of_the_commit_and_names_stale_ones() {
    let server = TestServer::start();
    let token = server.project_with_token("chom");
    let res = server
        .upload(
            "chom",
            &token,
            "scenario=sustained&commit=abc123&environment=staging",
            fixture(NDJSON),
        )
        .await;
    let run_id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    put_targets(
        &server,
        None,
        json!({"targets": ["p95 < 500ms", "error_rate < 0.1%", "throughput >= 10/s"]}),
    )
    .await;

    let body: Value = server
        .get("/api/v1/projects/chom/assessment?commit=abc123&environment=staging")
        .await
        .json()
        .await
        .unwrap();
    let assessment = &body["assessment"];
    let checks = assessment["checks"].as_array().unwrap();
    let p95 = checks
        .iter()
        .find(|c| c["id"] == "target:p95 < 500 ms:sustained")
        .unwrap();
    assert_eq!(p95["outcome"], "pass");
    assert_eq!(p95["evidence"], json!([{"run": run_id}]));
    assert!(p95["margin_pct"].as_f64().unwrap() > 70.0);
    let sustained = checks
        .iter()
        .find(|c| c["id"] == "scenario:sustained")
        .unwrap();
    assert_eq!(sustained["outcome"], "pass");
    assert_eq!(assessment["categories"].as_array().unwrap().len(), 5);
    // Other evidence kinds are missing: not certified yet, but nothing failed.
    assert_eq!(assessment["verdict"], "conditional");
    assert!(assessment["coverage"].as_f64().unwrap() < 0.9);

    let body: Value = server
        .get("/api/v1/projects/chom/assessment?commit=fff999")
        .await
        .json()
        .await
        .unwrap();
    let p95 = body["assessment"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "target:p95 < 500 ms:sustained")
        .unwrap()
        .clone();
    assert_eq!(p95["outcome"], "unverified");
    assert_eq!(
        p95["detail"],
        format!("run {run_id} is from commit abc123, not fff999")
    );

    let res = server
        .get("/api/v1/projects/chom/assessment?comit=abc")
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn two_runs_compare_with_noise_for_raw_runs_and_without_for_summaries() {
    let server = TestServer::start();
    let token = server.project_with_token("chom");
    let id = |res: Value| res["id"].as_i64().unwrap();
    let raw = id(server
        .upload("chom", &token, "", fixture(NDJSON))
        .await
        .json()
        .await
        .unwrap());
    let gz = {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&fixture(NDJSON)).unwrap();
        encoder.finish().unwrap()
    };
    // The same samples, compressed: a different artifact, the same figures.
    let same = id(server
        .upload("chom", &token, "", gz)
        .await
        .json()
        .await
        .unwrap());
    let summary_a = id(server
        .upload("chom", &token, "", fixture(SIMPLE))
        .await
        .json()
        .await
        .unwrap());
    let summary_b = id(server
        .upload("chom", &token, "", fixture(GROUPS))
        .await
        .json()
        .await
        .unwrap());

    let body: Value = server
        .get(&format!("/api/v1/runs/{raw}/compare/{same}"))
        .await
        .json()
        .await
        .unwrap();
    let comparison = &body["comparison"];
    assert_eq!(comparison["noise_estimated"], true);
    let p95 = comparison["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["figure"] == "latency_p95_ms")
        .unwrap();
    assert_eq!(p95["change"], 0.0);
    assert_eq!(p95["significance"], "no_significant_change");
    assert_eq!(comparison["endpoints"].as_array().unwrap().len(), 2);

    let body: Value = server
        .get(&format!("/api/v1/runs/{summary_a}/compare/{summary_b}"))
        .await
        .json()
        .await
        .unwrap();
    let p95 = body["comparison"]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["figure"] == "latency_p95_ms")
        .unwrap()
        .clone();
    assert_eq!(p95["significance"], "no_noise_estimate");
    assert!(
        (p95["relative"].as_f64().unwrap() - (44.55441999999999 / 30.0256841 - 1.0)).abs() < 1e-9
    );

    let res = server.get("/api/v1/runs/1/compare/999").await;
    assert_eq!(res.status(), 404);
}

fn gate(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).arg("gate").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_offline_gate_exits_0_1_or_2_and_writes_junit() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("readiness.toml");
    std::fs::write(
        &toml,
        "targets = [\"p95 < 500ms\", \"error_rate < 0.1%\", \"throughput >= 10/s\"]\n",
    )
    .unwrap();
    let junit = dir.path().join("junit.xml");
    let ndjson = fixture_path(NDJSON);
    let (code, stdout, _) = gate(&[
        ndjson.to_str().unwrap(),
        "--targets",
        toml.to_str().unwrap(),
        "--scenario",
        "sustained",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("every target verified and met"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert_eq!(xml.matches("<testcase ").count(), 4, "{xml}");
    assert!(
        xml.contains(r#"failures="0""#) && xml.contains(r#"skipped="0""#),
        "{xml}"
    );

    // The default targets against a summary with a 39.7 % error rate.
    let (code, stdout, _) = gate(&[
        fixture_path(SIMPLE).to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("FAIL        error_rate < 0.1 %"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"failures="2""#), "{xml}");
    assert!(
        xml.contains("<failure message=\"the run measured 39.7 % against error_rate &lt; 0.1 %\""),
        "{xml}"
    );

    // A target the summary cannot verify: nothing fails, something is unverified.
    std::fs::write(&toml, "targets = [\"p95 < 500ms\", \"p99 < 1s\"]\n").unwrap();
    let (code, stdout, _) = gate(&[
        fixture_path(GROUPS).to_str().unwrap(),
        "--targets",
        toml.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.contains("UNVERIFIED  p99 < 1 s"), "{stdout}");

    let (code, stdout, _) = gate(&[
        fixture_path(GROUPS).to_str().unwrap(),
        "--targets",
        toml.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 2);
    let assessment: Value = serde_json::from_str(&stdout).unwrap();
    assert!(assessment["checks"].is_array());
}

#[test]
fn the_gate_points_at_a_bad_target_in_readiness_toml() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("readiness.toml");
    std::fs::write(&toml, "targets = [\"p95 < 500ms\", \"p99 <= 1 sec\"]\n").unwrap();
    let (code, _, stderr) = gate(&[
        fixture_path(SIMPLE).to_str().unwrap(),
        "--targets",
        toml.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("targets[1]: `p99 <= 1 sec`, character 10: expected a time unit"),
        "{stderr}"
    );
    assert!(stderr.contains("p99 <= 1 sec\n         ^"), "{stderr}");
}

#[test]
fn the_online_gate_asks_the_server_for_the_commit() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = TestServer::start();
    let token = server.project_with_token("chom");
    runtime.block_on(async {
        server
            .upload(
                "chom",
                &token,
                "scenario=sustained&commit=abc123",
                fixture(NDJSON),
            )
            .await;
        put_targets(
            &server,
            None,
            json!({"targets": ["p95 < 500ms", "throughput >= 10/s"]}),
        )
        .await;
    });
    let online = |commit: &str| {
        gate(&[
            "--server",
            &server.url,
            "--token",
            &token,
            "--project",
            "chom",
            "--commit",
            commit,
        ])
    };
    let (code, stdout, stderr) = online("abc123");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, _) = online("other");
    assert_eq!(
        code, 2,
        "a run of another commit verifies nothing: {stdout}"
    );
    runtime.block_on(async {
        put_targets(&server, None, json!({"targets": ["p95 < 100ms"]})).await;
    });
    let (code, stdout, _) = online("abc123");
    assert_eq!(code, 1, "{stdout}");
}
