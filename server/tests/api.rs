//! The HTTP API and pages, against the real server on port 0 with a fresh
//! SQLite file.

mod common;

use common::{TestServer, fixture};
use readiness_store::artifacts::sha256_hex;
use serde_json::Value;

const SIMPLE: &str = "k6/k6-reporter-handlesummary-simple.json";
const GROUPS: &str = "k6/k6-html-reporter-handlesummary-groups.json";
const LEGACY: &str = "k6/k6-html-reporter-legacy-summary-export-groups-thresholds.json";

async fn error_of(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("errors are JSON");
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned();
    let message = body["error"]["message"]
        .as_str()
        .expect("error.message")
        .to_owned();
    (status, code, message)
}

#[tokio::test]
async fn health_answers_ok() {
    let server = TestServer::start();
    let res = server.get("/api/v1/health").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
}

#[tokio::test]
async fn a_k6_summary_upload_creates_a_run_once() {
    let server = TestServer::start();
    let token = server.project_with_token("chom");
    let bytes = fixture(GROUPS);
    let query = "scenario=sustained&commit=abc123&branch=main&environment=staging";

    let res = server.upload("chom", &token, query, bytes.clone()).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["sha256"], sha256_hex(&bytes));
    assert_eq!(created["url"], format!("{}/runs/{id}", server.url));
    let run = &created["run"];
    assert_eq!(run["format"], "k6-summary");
    assert_eq!(run["exactness"], "reported");
    assert_eq!(run["scenario"], "sustained");
    assert_eq!(run["requests"], 149);
    // A default k6 summary has no p99: it stays null, never estimated.
    assert!(run["latency_ms"]["p99"].is_null());
    assert_eq!(run["latency_ms"]["p95"], 44.55441999999999);

    // The same bytes again: the existing run, not a duplicate.
    let res = server
        .upload("chom", &token, "scenario=spike", bytes.clone())
        .await;
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["id"], id);
    assert_eq!(again["run"], created["run"]);

    let list: Value = server
        .get("/api/v1/projects/chom/runs")
        .await
        .json()
        .await
        .unwrap();
    let runs = list["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["id"], id);
    assert_eq!(runs[0]["sha256"], sha256_hex(&bytes));
    assert_eq!(runs[0]["scenario"], "sustained");
    assert_eq!(runs[0]["commit"], "abc123");
    assert_eq!(runs[0]["p95_ms"], 44.55441999999999);
    assert!(runs[0]["p99_ms"].is_null());
    assert!(runs[0]["uploaded_at"].is_string());

    // The artifact is kept exactly as received.
    let res = server.get(&format!("/api/v1/runs/{id}/artifact")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
}

#[tokio::test]
async fn legacy_exports_are_accepted_with_thresholds_inverted_back() {
    let server = TestServer::start();
    let token = server.project_with_token("legacy");
    let res = server.upload("legacy", &token, "", fixture(LEGACY)).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["run"]["format"], "k6-summary-legacy");
    assert_eq!(body["run"]["scenario"], "unspecified");
    let failed: Vec<&str> = body["run"]["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["ok"] == false)
        .map(|t| t["expression"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["p(90) < 400"]);
}

/// An upload that must be refused, and how.
struct BadUpload<'a> {
    what: &'a str,
    token: Option<&'a str>,
    slug: &'a str,
    query: &'a str,
    body: Vec<u8>,
    status: u16,
    code: &'a str,
    message: &'a str,
}

#[tokio::test]
async fn bad_uploads_get_a_clear_4xx_and_store_nothing() {
    let server = TestServer::start();
    let token = server.project_with_token("chom");
    let other = server.project_with_token("other");
    let good = fixture(SIMPLE);

    let case = |what, token, slug, query, body, status, code, message| BadUpload {
        what,
        token,
        slug,
        query,
        body,
        status,
        code,
        message,
    };
    let cases = [
        case(
            "empty body",
            Some(&*token),
            "chom",
            "",
            Vec::new(),
            400,
            "empty_body",
            "body is empty",
        ),
        case(
            "not JSON",
            Some(&token),
            "chom",
            "",
            b"hello, world".to_vec(),
            422,
            "invalid_result",
            "not JSON",
        ),
        case(
            "JSON that is not a summary",
            Some(&token),
            "chom",
            "filename=results.json",
            br#"{"results": [1, 2]}"#.to_vec(),
            422,
            "invalid_result",
            "results.json: not a load-test result format",
        ),
        case(
            "truncated summary",
            Some(&token),
            "chom",
            "filename=summary.json",
            good[..good.len() / 3].to_vec(),
            422,
            "invalid_result",
            "summary.json, line",
        ),
        case(
            "no token",
            None,
            "chom",
            "",
            good.clone(),
            401,
            "unauthorized",
            "send `Authorization: Bearer <token>`",
        ),
        case(
            "wrong token",
            Some("rdy_0000"),
            "chom",
            "",
            good.clone(),
            401,
            "unauthorized",
            "not valid",
        ),
        case(
            "other project's token",
            Some(&other),
            "chom",
            "",
            good.clone(),
            403,
            "forbidden",
            "another project",
        ),
        case(
            "unknown project",
            Some(&token),
            "nope",
            "",
            good.clone(),
            404,
            "not_found",
            "no project has the slug `nope`",
        ),
        case(
            "unknown scenario",
            Some(&token),
            "chom",
            "scenario=warmup",
            good.clone(),
            400,
            "bad_query",
            "unknown scenario `warmup`",
        ),
        case(
            "unknown parameter",
            Some(&token),
            "chom",
            "scenrio=soak",
            good.clone(),
            400,
            "bad_query",
            "unknown field `scenrio`",
        ),
        case(
            "unknown format",
            Some(&token),
            "chom",
            "format=csv",
            good.clone(),
            400,
            "bad_query",
            "unknown format `csv`",
        ),
    ];
    for c in cases {
        let mut request = server
            .anon
            .post(format!(
                "{}/api/v1/projects/{}/runs?{}",
                server.url, c.slug, c.query
            ))
            .body(c.body);
        if let Some(token) = c.token {
            request = request.bearer_auth(token);
        }
        let (status, code, message) = error_of(request.send().await.unwrap()).await;
        let what = c.what;
        assert_eq!(status, c.status, "{what}: {message}");
        assert_eq!(code, c.code, "{what}: {message}");
        assert!(
            message.contains(c.message),
            "{what}: {message:?} lacks {:?}",
            c.message
        );
    }
    assert_eq!(server.run_count("chom").await, 0);
    assert_eq!(server.run_count("other").await, 0);
}

#[tokio::test]
async fn uploads_past_the_size_limit_answer_413_with_the_limit() {
    let server = TestServer::start_with(&["--max-upload", "1000"]);
    let token = server.project_with_token("chom");
    let (status, code, message) =
        error_of(server.upload("chom", &token, "", fixture(SIMPLE)).await).await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));
    assert!(message.contains("1000 bytes"), "{message}");
    assert_eq!(server.run_count("chom").await, 0);
}

#[tokio::test]
async fn unknown_api_paths_and_ids_answer_json_errors() {
    let server = TestServer::start();
    let (status, code, _) = error_of(server.get("/api/v1/nothing-here").await).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let (status, code, message) = error_of(server.get("/api/v1/runs/abc").await).await;
    assert_eq!((status, code.as_str()), (400, "bad_path"));
    assert!(message.contains("expected a number"));
    let (status, _, message) = error_of(server.get("/api/v1/runs/99").await).await;
    assert_eq!(status, 404);
    assert!(message.contains("no run has the id 99"));
}

#[tokio::test]
async fn pages_render_projects_runs_and_figures_on_the_server() {
    let server = TestServer::start();
    let token = server.project_with_token("chom");
    let res = server
        .upload("chom", &token, "commit=abc123", fixture(GROUPS))
        .await;
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let home = server.get("/").await.text().await.unwrap();
    assert!(home.contains(r#"href="/projects/chom""#), "{home}");

    let project = server.get("/projects/chom").await;
    assert_eq!(project.status(), 200);
    let html = project.text().await.unwrap();
    assert!(html.contains(&format!(r#"data-run-id="{id}""#)));
    assert!(html.contains("44.6 ms"), "p95 is rendered");
    // The missing p99 is unverified and says so.
    assert!(html.contains("not measured"));
    assert!(html.contains("unverified"));

    let run = server
        .get(&format!("/runs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(run.contains(&sha256_hex(&fixture(GROUPS))));
    assert!(run.contains("p(90) &lt; 4"), "thresholds are listed");

    let missing = server.get("/projects/nope").await;
    assert_eq!(missing.status(), 404);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("no project has the slug")
    );
}

#[tokio::test]
async fn cli_ingest_prints_the_run_the_api_stores() {
    let server = TestServer::start();
    let token = server.project_with_token("chom");
    let res = server.upload("chom", &token, "", fixture(SIMPLE)).await;
    let api_run = res.json::<Value>().await.unwrap()["run"].clone();

    let path = server.dir.path().join("summary.json");
    std::fs::write(&path, fixture(SIMPLE)).unwrap();
    let out = std::process::Command::new(common::BIN)
        .args(["ingest", path.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli_run: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli_run, api_run);
}

#[test]
fn cli_ingest_rejects_bad_files_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, b"{\"metrics\": {").unwrap();
    let out = std::process::Command::new(common::BIN)
        .args(["ingest", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.json"), "{stderr}");
    assert!(stderr.contains("truncated"), "{stderr}");
}

#[test]
fn cli_rejects_a_duplicate_project_and_an_unknown_project() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    assert!(
        common::cli(&db, &["project", "create", "chom"])
            .status
            .success()
    );
    let dup = common::cli(&db, &["project", "create", "chom"]);
    assert_eq!(dup.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let token = common::cli(&db, &["token", "create", "--project", "ghost"]);
    assert_eq!(token.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&token.stderr).contains("no project has the slug `ghost`"));
    assert!(token.stdout.is_empty(), "nothing on stdout when it fails");
}

#[test]
fn cli_upload_sends_one_file_or_several_and_prints_the_run_url() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = TestServer::start();
    let token = server.project_with_token("chom");
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures");
    let upload = |files: &[std::path::PathBuf], extra: &[&str]| {
        std::process::Command::new(common::BIN)
            .arg("upload")
            .args(files)
            .args([
                "--server",
                &server.url,
                "--token",
                &token,
                "--project",
                "chom",
            ])
            .args(extra)
            .output()
            .unwrap()
    };

    let ndjson = fixtures.join("k6/xk6-dashboard-out-json-result.ndjson");
    let out = upload(&[ndjson], &["--scenario", "soak", "--commit", "abc123"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(url.starts_with(&format!("{}/runs/", server.url)), "{url}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("created run"));

    let locust: Vec<std::path::PathBuf> = ["stats", "stats_history", "failures"]
        .iter()
        .map(|part| fixtures.join(format!("locust/bitcoin-api-results_{part}.csv")))
        .collect();
    let out = upload(&locust, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = upload(&locust, &[]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already uploaded as run"));

    let runs: Value = runtime
        .block_on(async { server.get("/api/v1/projects/chom/runs").await.json().await })
        .unwrap();
    let formats: Vec<(&str, &str)> = runs["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["format"].as_str().unwrap(),
                r["scenario"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        formats,
        [("locust-csv", "unspecified"), ("k6-ndjson", "soak")]
    );

    let refused = upload(
        &[fixtures.join("gatling/gatling-3.13plus-binary-simulation.log")],
        &[],
    );
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("refused the upload (422"), "{stderr}");
    assert!(stderr.contains("stats.json"), "{stderr}");
}
