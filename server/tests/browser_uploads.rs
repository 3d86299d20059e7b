//! Uploads from the browser's upload page, in chunks under `/ui`, against
//! the real server: a run and evidence stored as the API stores them, the
//! kind recognised when the page does not say, and every misuse of the
//! protocol refused with a reason and nothing stored.

mod common;

use common::{TestServer, fixture};
use serde_json::{Value, json};

const K6_NDJSON: &str = "k6/xk6-dashboard-out-json-result.ndjson";

async fn start(server: &TestServer, slug: &str, body: Value) -> reqwest::Response {
    server
        .http
        .post(format!("{}/ui/projects/{slug}/uploads", server.url))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn chunk(
    server: &TestServer,
    id: &str,
    n: usize,
    offset: usize,
    bytes: &[u8],
) -> reqwest::Response {
    server
        .http
        .put(format!(
            "{}/ui/uploads/{id}/files/{n}?offset={offset}",
            server.url
        ))
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

async fn finish(server: &TestServer, id: &str) -> reqwest::Response {
    server
        .http
        .post(format!("{}/ui/uploads/{id}/finish", server.url))
        .send()
        .await
        .unwrap()
}

/// Sends whole files in the chunk size the server asks for.
async fn send(
    server: &TestServer,
    slug: &str,
    files: &[(&str, Vec<u8>)],
    extra: Value,
) -> reqwest::Response {
    let mut body = json!({
        "files": files.iter().map(|(name, bytes)| json!({"name": name, "size": bytes.len()})).collect::<Vec<_>>(),
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = start(server, slug, body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let started: Value = res.json().await.unwrap();
    let id = started["id"].as_str().unwrap().to_owned();
    let size = started["chunk_size"].as_u64().unwrap() as usize;
    for (n, (_, bytes)) in files.iter().enumerate() {
        for (i, piece) in bytes.chunks(size).enumerate() {
            let res = chunk(server, &id, n, i * size, piece).await;
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        }
    }
    finish(server, &id).await
}

async fn error_of(res: reqwest::Response) -> (u16, String, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn a_raw_result_in_chunks_is_the_same_run_as_an_api_upload() {
    let server = TestServer::start();
    let token = server.project_with_token("web");
    let bytes = fixture(K6_NDJSON);
    let res = send(
        &server,
        "web",
        &[("result.ndjson", bytes.clone())],
        json!({"kind": "run", "scenario": "soak", "commit": "abc123", "environment": "staging"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    assert_eq!(stored["run"]["format"], "k6-ndjson");
    assert_eq!(
        stored["sha256"],
        readiness_store::artifacts::sha256_hex(&bytes)
    );
    let id = stored["id"].as_i64().unwrap();
    let detail: Value = server
        .get(&format!("/api/v1/runs/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["summary"]["scenario"], "soak");
    assert_eq!(detail["summary"]["commit"], "abc123");
    assert_eq!(detail["file_name"], "result.ndjson");

    // The same bytes through the API are the same run, not a second one.
    let res = server
        .upload("web", &token, "filename=again.ndjson", bytes)
        .await;
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["id"].as_i64(), Some(id));
    assert_eq!(server.run_count("web").await, 1);
}

#[tokio::test]
async fn chunks_are_appended_in_order_and_a_wrong_offset_is_refused() {
    let server = TestServer::start();
    server.project_with_token("web");
    let bytes = fixture(K6_NDJSON);
    let res = start(
        &server,
        "web",
        json!({"files": [{"name": "r.ndjson", "size": bytes.len()}]}),
    )
    .await;
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (first, rest) = bytes.split_at(bytes.len() / 3);

    let res = chunk(&server, &id, 0, 0, first).await;
    assert_eq!(res.status(), 200);
    // A retried or skipped chunk: the server says how much it has.
    let res = chunk(&server, &id, 0, 0, first).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "wrong_offset");
    assert_eq!(body["error"]["details"]["received"], first.len());
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("r.ndjson")
    );

    // Finishing early names the file and how much is missing.
    let (status, code, message) = error_of(finish(&server, &id).await).await;
    assert_eq!((status, code.as_str()), (400, "incomplete"));
    assert!(
        message.contains(&format!("{} of its {} bytes", first.len(), bytes.len())),
        "{message}"
    );

    // More than declared is refused.
    let mut too_much = rest.to_vec();
    too_much.push(b'\n');
    let (status, code, _) = error_of(chunk(&server, &id, 0, first.len(), &too_much).await).await;
    assert_eq!((status, code.as_str()), (400, "too_long"));

    let res = chunk(&server, &id, 0, first.len(), rest).await;
    assert_eq!(res.status(), 200);
    let res = finish(&server, &id).await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    assert_eq!(
        stored["sha256"],
        readiness_store::artifacts::sha256_hex(&bytes)
    );

    // Finished once: the upload is gone.
    let (status, _, message) = error_of(finish(&server, &id).await).await;
    assert_eq!(status, 404);
    assert!(message.contains("start it again"), "{message}");
}

#[tokio::test]
async fn without_a_kind_a_result_is_a_run_and_a_configuration_is_evidence() {
    let server = TestServer::start();
    server.project_with_token("web");
    let res = send(
        &server,
        "web",
        &[("r.ndjson", fixture(K6_NDJSON))],
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert!(res.json::<Value>().await.unwrap().get("run").is_some());

    let res = send(
        &server,
        "web",
        &[
            ("redis.conf", fixture("audit/redis/redis.conf")),
            ("nginx.conf", fixture("audit/nginx/nginx.conf")),
        ],
        json!({"commit": "abc123"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    let kinds: Vec<&str> = stored["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["redis_conf", "nginx_conf"]);
    let list: Value = server
        .get("/api/v1/projects/web/evidence")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["evidence"].as_array().unwrap().len(), 1);
    assert_eq!(list["evidence"][0]["file_name"], "upload.tar");
}

#[tokio::test]
async fn a_file_that_is_neither_is_refused_with_both_reasons_and_nothing_stored() {
    let server = TestServer::start();
    server.project_with_token("web");
    let res = send(
        &server,
        "web",
        &[("notes.txt", b"meeting notes\n".to_vec())],
        json!({}),
    )
    .await;
    let (status, code, message) = error_of(res).await;
    assert_eq!((status, code.as_str()), (422, "unrecognized"));
    assert!(
        message.contains("Not a load-test result: notes.txt"),
        "{message}"
    );
    assert!(message.contains("Not audit evidence either"), "{message}");
    assert_eq!(server.run_count("web").await, 0);
    let list: Value = server
        .get("/api/v1/projects/web/evidence")
        .await
        .json()
        .await
        .unwrap();
    assert!(list["evidence"].as_array().unwrap().is_empty());
    // Nothing is left in the work folder.
    let tmp = server.dir.path().join("tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn declarations_the_server_cannot_take_are_refused() {
    let server = TestServer::start_with(&["--max-upload", "1000"]);
    server.project_with_token("web");
    let cases = [
        (json!({"files": []}), 400, "bad_files", "1 to 64 files"),
        (
            json!({"files": [{"name": "a", "size": 5000}]}),
            413,
            "payload_too_large",
            "at most 1000",
        ),
        (
            json!({"files": [{"name": "a", "size": 0}]}),
            400,
            "empty_body",
            "a: the file is empty",
        ),
        (
            json!({"files": [{"name": "a", "size": 10}], "scenario": "marathon"}),
            400,
            "bad_query",
            "marathon",
        ),
        (
            json!({"files": [{"name": "a", "size": 10}], "colour": "red"}),
            400,
            "bad_json",
            "colour",
        ),
        (
            json!({"files": [{"name": "a", "size": 10}], "kind": "photo"}),
            400,
            "bad_json",
            "photo",
        ),
    ];
    for (body, status, code, needle) in cases {
        let (got_status, got_code, message) =
            error_of(start(&server, "web", body.clone()).await).await;
        assert_eq!(
            (got_status, got_code.as_str()),
            (status, code),
            "{body}: {message}"
        );
        assert!(message.contains(needle), "{body}: {message}");
    }
    let (status, _, message) = error_of(
        start(
            &server,
            "nope",
            json!({"files": [{"name": "a", "size": 1}]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404, "{message}");
    let (status, _, _) = error_of(chunk(&server, "0123", 0, 0, b"x").await).await;
    assert_eq!(status, 404);
}
