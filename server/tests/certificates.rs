//! Certificates against the real server and binary: issued by maintainers
//! (over HTTP and from the CLI), numbered, unchanged by later evidence,
//! verified with `readiness verify` (signature, evidence folder, server),
//! re-evaluated to the same figures, judging imported claims, guarded by
//! roles, and kept with their evidence by retention.

mod common;

use common::{BIN, TestServer, fixture};
use serde_json::Value;
use sqlx::Row;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

const NDJSON: &str = "k6/xk6-dashboard-out-json-result.ndjson";
const SIMPLE: &str = "k6/k6-reporter-handlesummary-simple.json";
const GROUPS: &str = "k6/k6-html-reporter-handlesummary-groups.json";
const CLAIMS: &str = "claims/laravel-api-production-readiness.md";
const COMMIT: &str = "4f2a9c1e7b";

/// Runs the CLI without a database, as anyone verifying a certificate
/// would.
fn readiness(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run readiness")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn tar_gz(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, bytes.as_slice())
            .unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

/// A project `chom` with a maintainer `mara` and a viewer `vic`, two runs
/// of the commit in staging (a sustained NDJSON run and a spike summary)
/// and an audit upload of three configuration files. Returns the upload
/// token.
async fn project_with_evidence(server: &TestServer) -> String {
    let token = server.project_with_token("chom");
    for (name, role) in [("mara", "maintainer"), ("vic", "viewer")] {
        server.add_user(name, &[]);
        let out = server.cli(&["user", "role", name, "--project", "chom", "--role", role]);
        assert!(out.status.success(), "{}", text(&out));
    }
    for (file, scenario) in [(NDJSON, "sustained"), (SIMPLE, "spike")] {
        let res = server
            .upload(
                "chom",
                &token,
                &format!(
                    "scenario={scenario}&commit={COMMIT}&environment=staging&branch=main\
                     &ci_job_url=https://ci.example.test/jobs/7&filename={}",
                    file.rsplit('/').next().unwrap()
                ),
                fixture(file),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    let bundle = tar_gz(&[
        ("redis.conf", fixture("audit/redis/redis.conf")),
        ("php.ini", fixture("audit/php/laradock-php8.4.ini")),
        ("nginx.conf", fixture("audit/nginx/nginx.conf")),
    ]);
    let res = server
        .http
        .post(format!(
            "{}/api/v1/projects/chom/evidence?filename=stack.tar.gz&environment=staging&commit={COMMIT}",
            server.url
        ))
        .bearer_auth(&token)
        .body(bundle)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    token
}

async fn issue(client: &reqwest::Client, server: &TestServer, query: &str) -> reqwest::Response {
    client
        .post(format!(
            "{}/api/v1/projects/chom/certificates?{query}",
            server.url
        ))
        .send()
        .await
        .unwrap()
}

async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {text}"))
}

async fn bytes(server: &TestServer, path: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let res = server.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    let headers = res.headers().clone();
    (headers, res.bytes().await.unwrap().to_vec())
}

/// The text of a PDF as pdftotext reads it, with every run of whitespace
/// one space and the zero-width spaces that let identifiers wrap removed.
fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (apt-get install poppler-utils)");
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .replace('\u{200B}', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The audit log's actions and actors, oldest first, read from the
/// database as an admin's page would show them.
async fn audit_log(server: &TestServer) -> Vec<(String, String, String)> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(server.db())
        .busy_timeout(std::time::Duration::from_secs(10));
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let rows = sqlx::query("SELECT actor, action, detail FROM audit_log ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows.iter()
        .map(|r| (r.get("actor"), r.get("action"), r.get("detail")))
        .collect()
}

#[tokio::test]
async fn a_maintainer_issues_numbered_certificates_whose_pdf_shows_verdict_targets_and_hashes() {
    let server = TestServer::start();
    project_with_evidence(&server).await;
    let mara = server.session_client("mara");

    let started = std::time::Instant::now();
    let res = issue(
        &mara,
        &server,
        &format!("commit={COMMIT}&environment=staging"),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let first = json_of(res).await;
    eprintln!("issuing certificate 1 took {took:?}");
    assert_eq!(first["number"], 1);
    assert_eq!(first["issued_by"], "user mara");
    assert_eq!(first["commit"], COMMIT);
    assert_eq!(first["environment"], "staging");
    assert_eq!(first["evidence"], 3, "two runs and the audit upload");
    assert_eq!(location, first["json_url"]);
    assert!(
        first["pdf_url"]
            .as_str()
            .unwrap()
            .ends_with("/api/v1/projects/chom/certificates/1/pdf")
    );
    let second = json_of(
        issue(
            &mara,
            &server,
            &format!("commit={COMMIT}&environment=staging"),
        )
        .await,
    )
    .await;
    assert_eq!(second["number"], 2);

    let list = json_of(server.get("/api/v1/projects/chom/certificates").await).await;
    let numbers: Vec<u64> = list["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1], "newest first");

    // The signed JSON names the same key the server publishes, to anyone.
    let signed = json_of(server.get("/api/v1/projects/chom/certificates/1").await).await;
    let key = json_of(
        server
            .anon
            .get(format!("{}/api/v1/signing-key", server.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(key["algorithm"], "ed25519");
    assert_eq!(key["public_key"], signed["signature"]["public_key"]);
    assert_eq!(list["public_key"], key["public_key"]);
    assert!(
        server.dir.path().join("signing.key").is_file(),
        "beside the database"
    );
    let certificate = &signed["certificate"];
    assert_eq!(certificate["number"], 1);
    assert_eq!(certificate["verdict"], first["verdict"]);
    assert_eq!(certificate["project"]["slug"], "chom");

    let (headers, pdf) = bytes(&server, "/api/v1/projects/chom/certificates/1/pdf").await;
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"readiness-chom-certificate-1.pdf\""
    );
    assert!(pdf.starts_with(b"%PDF-"));
    let path = server.dir.path().join("certificate-1.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = pdf_text(&path);
    let label = match certificate["verdict"].as_str().unwrap() {
        "not_certified" => "not certified",
        other => other,
    };
    assert!(text.contains(&format!("Verdict: {label}")), "{text}");
    let targets = certificate["targets"].as_array().unwrap();
    assert!(targets.len() >= 7, "every default target, per scenario");
    for target in targets {
        let target = target["target"].as_str().unwrap();
        assert!(text.contains(target), "target `{target}` missing");
    }
    let manifest = certificate["manifest"].as_array().unwrap();
    assert_eq!(manifest.len(), 3);
    for entry in manifest {
        let sha256 = entry["sha256"].as_str().unwrap();
        assert!(
            text.contains(sha256),
            "SHA-256 of {} missing",
            entry["file_name"]
        );
    }
    let ci: Vec<&Value> = manifest.iter().map(|e| &e["ci_job_url"]).collect();
    assert!(
        ci.iter()
            .filter(|u| **u == "https://ci.example.test/jobs/7")
            .count()
            == 2
    );

    let log = audit_log(&server).await;
    let issued: Vec<&(String, String, String)> = log
        .iter()
        .filter(|(_, a, _)| a == "certificate.issue")
        .collect();
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[0].0, "user mara");
    assert!(
        issued[0].2.starts_with("certificate 1 ("),
        "{}",
        issued[0].2
    );
}

#[tokio::test]
async fn verify_accepts_the_issued_files_and_names_a_changed_byte_or_artifact() {
    let server = TestServer::start();
    let token = project_with_evidence(&server).await;
    let dir = server.dir.path();
    let (pdf, json) = (dir.join("c.pdf"), dir.join("c.json"));
    // A file that cannot be written is refused before anything is issued.
    let nowhere = dir.join("no-such-folder").join("c.pdf");
    let out = server.cli(&[
        "report",
        "--project",
        "chom",
        "--pdf",
        nowhere.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no certificate was issued"),
        "{}",
        text(&out)
    );
    let list = json_of(server.get("/api/v1/projects/chom/certificates").await).await;
    assert_eq!(list["certificates"], serde_json::json!([]));
    // Issued from the CLI while the server runs on the same database.
    let out = server.cli(&[
        "report",
        "--project",
        "chom",
        "--commit",
        COMMIT,
        "--environment",
        "staging",
        "--pdf",
        pdf.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("issued certificate 1 of chom"),
        "{}",
        text(&out)
    );
    // The CLI's certificate is the server's: listed, and signed by its key.
    let list = json_of(server.get("/api/v1/projects/chom/certificates").await).await;
    assert_eq!(list["certificates"][0]["issued_by"], "cli");
    let (_, served) = bytes(&server, "/api/v1/projects/chom/certificates/1").await;
    assert_eq!(
        served,
        std::fs::read(&json).unwrap(),
        "the file is what is served"
    );
    let (_, served_pdf) = bytes(&server, "/api/v1/projects/chom/certificates/1/pdf").await;
    assert_eq!(served_pdf, std::fs::read(&pdf).unwrap());

    for file in [&pdf, &json] {
        let out = readiness(&["verify", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains("signature: valid"), "{}", text(&out));
        assert!(text(&out).contains("evidence: not checked"));
    }

    // One byte of the JSON: a digit of an artifact's SHA-256.
    let original = std::fs::read_to_string(&json).unwrap();
    let signed: Value = serde_json::from_str(&original).unwrap();
    let sha = signed["certificate"]["manifest"][0]["sha256"]
        .as_str()
        .unwrap();
    let at = original.find(sha).unwrap();
    let mut changed = original.clone().into_bytes();
    changed[at] = if changed[at] == b'0' { b'1' } else { b'0' };
    let tampered = dir.join("tampered.json");
    std::fs::write(&tampered, &changed).unwrap();
    let out = readiness(&["verify", tampered.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("the signature does not match the certificate"),
        "{}",
        text(&out)
    );

    // The evidence, as downloaded from the server, in a folder.
    let evidence = dir.join("evidence");
    std::fs::create_dir(&evidence).unwrap();
    for entry in signed["certificate"]["manifest"].as_array().unwrap() {
        let path = match (entry["id"]["run"].as_i64(), entry["id"]["upload"].as_i64()) {
            (Some(run), _) => format!("/api/v1/runs/{run}/artifact"),
            (_, Some(upload)) => format!("/api/v1/evidence/{upload}/artifact"),
            _ => panic!("unexpected id {}", entry["id"]),
        };
        let (_, bytes) = bytes(&server, &path).await;
        std::fs::write(evidence.join(entry["file_name"].as_str().unwrap()), bytes).unwrap();
    }
    let out = readiness(&[
        "verify",
        pdf.to_str().unwrap(),
        "--evidence",
        evidence.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("all 3 artifacts"), "{}", text(&out));

    // One byte of one artifact.
    let name = signed["certificate"]["manifest"][0]["file_name"]
        .as_str()
        .unwrap();
    let artifact = evidence.join(name);
    let mut content = std::fs::read(&artifact).unwrap();
    let middle = content.len() / 2;
    content[middle] ^= 1;
    std::fs::write(&artifact, content).unwrap();
    let out = readiness(&[
        "verify",
        json.to_str().unwrap(),
        "--evidence",
        evidence.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("({name:?}) was changed")),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("INVALID"));

    // Against the server: its key, and every artifact it holds.
    let out = readiness(&[
        "verify",
        pdf.to_str().unwrap(),
        "--server",
        &server.url,
        "--token",
        &token,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("issuer: signed by"), "{}", text(&out));
    assert!(text(&out).contains("all 3 artifacts on"), "{}", text(&out));
    // Without a token, the private project's evidence is refused, and
    // verify says so rather than calling the evidence missing.
    let out = readiness(&["verify", pdf.to_str().unwrap(), "--server", &server.url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("pass --token"), "{}", text(&out));
    // A key other than the issuer's.
    let out = readiness(&[
        "verify",
        json.to_str().unwrap(),
        "--public-key",
        &"ab".repeat(32),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not by the expected key"),
        "{}",
        text(&out)
    );
}

/// The figure a check measured, from an assessment's JSON.
fn measured(assessment: &Value, check_id: &str) -> Value {
    assessment["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == check_id)
        .unwrap_or_else(|| panic!("no check {check_id}"))["measured"]
        .clone()
}

#[tokio::test]
async fn later_evidence_changes_neither_a_certificate_nor_its_figures_re_evaluated() {
    let server = TestServer::start();
    let token = project_with_evidence(&server).await;
    let mara = server.session_client("mara");
    let query = format!("commit={COMMIT}&environment=staging");
    assert_eq!(issue(&mara, &server, &query).await.status(), 201);
    let (_, pdf) = bytes(&server, "/api/v1/projects/chom/certificates/1/pdf").await;
    let (_, json) = bytes(&server, "/api/v1/projects/chom/certificates/1").await;

    // A newer sustained run of the same commit replaces the certified one
    // in today's assessment.
    let res = server
        .upload(
            "chom",
            &token,
            &format!("scenario=sustained&{query}"),
            fixture(GROUPS),
        )
        .await;
    assert_eq!(res.status(), 201);
    let newer = json_of(res).await["id"].as_i64().unwrap();
    assert_eq!(
        bytes(&server, "/api/v1/projects/chom/certificates/1/pdf")
            .await
            .1,
        pdf,
        "the PDF is byte for byte the one issued"
    );
    assert_eq!(
        bytes(&server, "/api/v1/projects/chom/certificates/1")
            .await
            .1,
        json
    );

    let signed: Value = serde_json::from_slice(&json).unwrap();
    let certificate = &signed["certificate"];
    let issued_at = certificate["issued_at"].as_str().unwrap();
    let again = json_of(
        server
            .http
            .get(format!("{}/api/v1/projects/chom/assessment", server.url))
            .query(&[
                ("commit", COMMIT),
                ("environment", "staging"),
                ("at", issued_at),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await["assessment"]
        .clone();
    let now = json_of(
        server
            .get(&format!("/api/v1/projects/chom/assessment?{query}"))
            .await,
    )
    .await["assessment"]
        .clone();

    // Re-evaluated at its issue time, the stored evidence gives the
    // certificate's figures.
    assert_eq!(again["verdict"], certificate["verdict"]);
    assert_eq!(again["reasons"], certificate["reasons"]);
    assert_eq!(again["coverage"], certificate["coverage"]);
    assert_eq!(again["assessed_at"], certificate["assessed_at"]);
    for row in certificate["targets"].as_array().unwrap() {
        let id = row["check_id"].as_str().unwrap();
        assert_eq!(measured(&again, id), row["measured"], "{id}");
        let check = again["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap();
        assert_eq!(check["outcome"], row["outcome"], "{id}");
        assert_eq!(check["evidence"], row["evidence"], "{id}");
    }
    for row in certificate["categories"].as_array().unwrap() {
        let category = again["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == row["category"])
            .unwrap();
        assert_eq!(category["score"], row["score"]);
        assert_eq!(category["verified"], row["verified"]);
    }
    // Today's assessment does see the newer run: the equality above is the
    // issue time's, not a project that did not change.
    let sustained = "target:p95 < 500 ms:sustained";
    let cites = |a: &Value| {
        a["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == sustained)
            .unwrap()["evidence"]
            .clone()
    };
    assert_eq!(cites(&now), serde_json::json!([{"run": newer}]));
    assert_ne!(cites(&again), cites(&now));

    // Bad moments are refused by name.
    for bad in ["yesterday", "2999-01-01T00:00:00Z"] {
        let res = server
            .http
            .get(format!("{}/api/v1/projects/chom/assessment", server.url))
            .query(&[("at", bad)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        assert!(
            json_of(res).await["error"]["message"]
                .as_str()
                .unwrap()
                .contains("RFC 3339")
        );
    }
}

#[tokio::test]
async fn claims_without_evidence_give_a_not_certified_certificate_with_every_claim_unsupported() {
    let server = TestServer::start();
    server.project_with_token("chom");
    server.add_user("mara", &[]);
    let out = server.cli(&[
        "user",
        "role",
        "mara",
        "--project",
        "chom",
        "--role",
        "maintainer",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let mara = server.session_client("mara");

    let res = mara
        .post(format!(
            "{}/api/v1/projects/chom/claims?filename=READINESS.md",
            server.url
        ))
        .body(fixture(CLAIMS))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let imported = json_of(res).await;
    assert_eq!(imported["document"]["file_name"], "READINESS.md");
    let claims = imported["claims"].as_array().unwrap();
    assert!(claims.len() >= 7, "{claims:?}");
    assert!(
        imported["unmatched"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["text"].as_str().unwrap().contains("Uptime")),
        "{}",
        imported["unmatched"]
    );
    let judgement = imported["judgement"].as_array().unwrap();
    assert_eq!(judgement.len(), claims.len());
    assert!(judgement.iter().all(|j| j["outcome"] == "unsupported"));
    assert!(imported["targets_replaced"].is_null());

    let res = issue(&mara, &server, "").await;
    assert_eq!(res.status(), 201);
    let issued = json_of(res).await;
    assert_eq!(issued["verdict"], "not_certified");
    assert_eq!(issued["claims"], "READINESS.md");
    assert_eq!(issued["evidence"], 0);
    let signed = json_of(server.get("/api/v1/projects/chom/certificates/1").await).await;
    let rows = signed["certificate"]["claims"].as_array().unwrap();
    assert_eq!(rows.len(), claims.len());
    assert!(
        rows.iter().all(|r| r["status"] == "unsupported"),
        "{rows:?}"
    );
    let (_, pdf) = bytes(&server, "/api/v1/projects/chom/certificates/1/pdf").await;
    let path = server.dir.path().join("claims.pdf");
    std::fs::write(&path, pdf).unwrap();
    let shown = pdf_text(&path);
    assert!(shown.contains("Verdict: not certified"));
    assert!(shown.contains("Claims against evidence"));
    assert!(shown.contains("unsupported"));

    // The document's targets may replace the project's.
    let res = mara
        .post(format!(
            "{}/api/v1/projects/chom/claims?replace_targets=true",
            server.url
        ))
        .body(fixture(CLAIMS))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let replaced = json_of(res).await["targets_replaced"].clone();
    let targets = json_of(server.get("/api/v1/projects/chom/targets").await).await;
    assert_eq!(targets["targets"], replaced);
    assert_eq!(targets["targets"][0], "p95 < 500 ms");

    // Bad documents and parameters: a clear 4xx, and nothing imported.
    let post = |query: &'static str, body: Vec<u8>| {
        let mara = mara.clone();
        let url = format!("{}/api/v1/projects/chom/claims?{query}", server.url);
        async move { mara.post(url).body(body).send().await.unwrap() }
    };
    let cases: [(&str, Vec<u8>, u16, &str); 6] = [
        ("", Vec::new(), 400, "empty"),
        ("", vec![b'#', 0xff, 0xfe], 400, "UTF-8"),
        (
            "replace=true",
            b"p95 < 500ms".to_vec(),
            400,
            "replace_targets",
        ),
        (
            "replace_targets=true",
            b"# Nothing measured here\n".to_vec(),
            422,
            "claims no target",
        ),
        // Without a claim, importing would only hide the previous document.
        (
            "",
            b"# Notes\nThe API is fast.\n".to_vec(),
            422,
            "nothing was imported",
        ),
        ("", vec![b'a'; (1 << 20) + 1], 413, "at most"),
    ];
    for (query, body, status, says) in cases {
        let res = post(query, body).await;
        assert_eq!(res.status(), status, "{query}");
        let message = json_of(res).await["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(says), "{message}");
    }
    let current = json_of(server.get("/api/v1/projects/chom/claims").await).await;
    assert_eq!(
        current["document"]["file_name"], "claims.md",
        "the second import"
    );

    // The same from the shell.
    let path = server.dir.path().join("READINESS.md");
    std::fs::write(&path, fixture(CLAIMS)).unwrap();
    let out = server.cli(&["claims", path.to_str().unwrap(), "--project", "chom"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains(&format!(
            "imported READINESS.md into chom: {} claims",
            claims.len()
        )),
        "{said}"
    );
    assert_eq!(
        said.matches("  unsupported  ").count(),
        claims.len(),
        "{said}"
    );
    assert!(said.contains("unmatched"), "{said}");
    let out = server.cli(&["claims", path.to_str().unwrap(), "--project", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("no project has the slug `nope`"),
        "{}",
        text(&out)
    );
    let current = json_of(server.get("/api/v1/projects/chom/claims").await).await;
    assert_eq!(current["document"]["imported_by"], "cli");
}

#[tokio::test]
async fn only_maintainers_and_admins_issue_and_only_readers_read() {
    let server = TestServer::start();
    let token = project_with_evidence(&server).await;
    let other = server.project_with_token("other");
    let vic = server.session_client("vic");
    let denied = [
        (vic.clone(), None, 403),
        (server.anon.clone(), Some(token.clone()), 403),
        (server.anon.clone(), Some(other.clone()), 403),
        (server.anon.clone(), None, 401),
    ];
    for (client, token, status) in &denied {
        let mut request = client.post(format!("{}/api/v1/projects/chom/certificates", server.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let res = request.send().await.unwrap();
        assert_eq!(res.status(), *status, "token: {}", token.is_some());
        let body = json_of(res).await;
        assert!(body["error"]["message"].as_str().is_some());
    }
    // Claims are a maintainer's too.
    let res = vic
        .post(format!("{}/api/v1/projects/chom/claims", server.url))
        .body("| p95 | < 500ms |")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // The admin issues.
    assert_eq!(issue(&server.http, &server, "").await.status(), 201);

    // Readers read: the viewer and the project's token; not anonymous, not
    // another project's token.
    for path in [
        "/api/v1/projects/chom/certificates",
        "/api/v1/projects/chom/certificates/1",
        "/api/v1/projects/chom/certificates/1/pdf",
    ] {
        let url = format!("{}{path}", server.url);
        assert_eq!(vic.get(&url).send().await.unwrap().status(), 200, "{path}");
        let res = server
            .anon
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            server.anon.get(&url).send().await.unwrap().status(),
            401,
            "{path}"
        );
        let res = server
            .anon
            .get(&url)
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
    }
    for (path, status) in [
        ("/api/v1/projects/chom/certificates/2", 404),
        ("/api/v1/projects/chom/certificates/0", 400),
        ("/api/v1/projects/chom/certificates/one/pdf", 400),
        ("/api/v1/projects/nope/certificates", 404),
    ] {
        let res = server.get(path).await;
        assert_eq!(res.status(), status, "{path}");
        assert!(json_of(res).await["error"]["message"].as_str().is_some());
    }
    let res = issue(&server.http, &server, "commit=abc&color=red").await;
    assert_eq!(res.status(), 400);
    assert!(
        json_of(res).await["error"]["message"]
            .as_str()
            .unwrap()
            .contains("commit and environment")
    );
}

/// Makes every artifact of the database look `days` old.
async fn backdate(server: &TestServer, days: i64) {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(server.db())
        .busy_timeout(std::time::Duration::from_secs(10));
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let then = chrono::Utc::now() - chrono::Duration::days(days);
    sqlx::query("UPDATE artifacts SET uploaded_at = ?")
        .bind(then)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn prune_keeps_the_evidence_certificates_cite_and_removes_the_rest() {
    let server = TestServer::start();
    let token = project_with_evidence(&server).await;
    let query = format!("commit={COMMIT}&environment=staging");
    let issued = json_of(issue(&server.http, &server, &query).await).await;
    assert_eq!(issued["evidence"], 3);
    // A run nobody certified, then everything ages 40 days; one run is new.
    let res = server
        .upload(
            "chom",
            &token,
            "scenario=spike&environment=production",
            fixture(GROUPS),
        )
        .await;
    let uncited = json_of(res).await["id"].as_i64().unwrap();
    backdate(&server, 40).await;
    let res = server
        .upload(
            "chom",
            &token,
            "scenario=soak&environment=staging",
            fixture(SIMPLE).into_iter().chain(*b" ").collect(),
        )
        .await;
    assert_eq!(res.status(), 201);
    let fresh = json_of(res).await["id"].as_i64().unwrap();
    assert_eq!(server.run_count("chom").await, 4);

    let out = server.cli(&["prune", "--older-than", "30", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains(&format!("would remove chom: run {uncited} ")),
        "{said}"
    );
    assert!(said.contains("would remove 1 artifacts"), "{said}");
    assert!(said.contains("kept 3 that certificates cite"), "{said}");
    assert_eq!(
        server.run_count("chom").await,
        4,
        "a dry run changes nothing"
    );

    let out = server.cli(&["prune", "--older-than", "30"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains(&format!("removed chom: run {uncited} ")),
        "{said}"
    );
    assert_eq!(
        said.matches(": cited by certificate 1").count(),
        3,
        "{said}"
    );
    let runs: Vec<i64> = json_of(server.get("/api/v1/projects/chom/runs").await).await["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(!runs.contains(&uncited));
    assert!(runs.contains(&fresh), "younger than the age: kept");
    assert_eq!(runs.len(), 3);
    let res = server
        .get(&format!("/api/v1/runs/{uncited}/artifact"))
        .await;
    assert_eq!(res.status(), 404);

    // The certificate still verifies against every artifact it lists.
    let pdf = server.dir.path().join("kept.pdf");
    std::fs::write(
        &pdf,
        bytes(&server, "/api/v1/projects/chom/certificates/1/pdf")
            .await
            .1,
    )
    .unwrap();
    let out = readiness(&[
        "verify",
        pdf.to_str().unwrap(),
        "--server",
        &server.url,
        "--token",
        &token,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let log = audit_log(&server).await;
    let pruned: Vec<&(String, String, String)> = log
        .iter()
        .filter(|(_, a, _)| a == "retention.prune")
        .collect();
    assert_eq!(pruned.len(), 1);
    assert_eq!(pruned[0].0, "cli");
    assert!(
        pruned[0].2.starts_with("removed 1 artifacts"),
        "{}",
        pruned[0].2
    );

    let out = server.cli(&["prune", "--older-than", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("at least 1 day"));
}
