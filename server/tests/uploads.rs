//! Every way a result reaches `POST /api/v1/projects/{p}/runs`, against the
//! real server on port 0 with a fresh SQLite file: raw bodies of each
//! format, `Content-Encoding: gzip`, multipart forms, tar, tar.gz and zip
//! bundles, and the limits that keep bombs and oversized uploads out.
//!
//! Every refusal is checked the same way: its status and error code, a
//! message that names the file and says what was expected, no run stored,
//! no upload file left behind, and a server that still answers.
//! Archives and bombs are built here, in memory, from the fixtures in
//! core/tests/fixtures; a bomb's expanded bytes never exist in the test.

mod common;

use common::{TestServer, fixture};
use flate2::write::GzEncoder;
use flate2::{Compress, Compression, Crc, FlushCompress};
use readiness_store::artifacts::sha256_hex;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::io::{Read, Write};

const K6_NDJSON: &str = "k6/xk6-dashboard-out-json-result.ndjson";
const K6_SUMMARY: &str = "k6/k6-reporter-handlesummary-simple.json";
const JMETER_CSV: &str = "jmeter/jmeter-HTMLReportTestFile.jtl.csv";
const JMETER_XML: &str = "jmeter/jmeter-sample_log1c.jtl.xml";
const GATLING_2_LOG: &str = "gatling/pix-gatling2-simulation.log";
const GATLING_312_LOG: &str = "gatling/gatling-3.12-text-simulation.log";
const GATLING_BINARY_LOG: &str = "gatling/gatling-3.13plus-binary-simulation.log";
const GATLING_STATS: &str = "gatling/pix-gatling2-stats.json";
const GATLING_GLOBAL_STATS: &str = "gatling/pix-gatling2-global_stats.json";
const WRK: &str = "wrk/wrkparser-wrk.log";
const WRK2: &str = "wrk/highload-dht-wrk2-allocGet.md";

/// Locust's `--csv` files of one run, as Locust names them.
const LOCUST: [&str; 4] = [
    "bitcoin-api-results_stats.csv",
    "bitcoin-api-results_stats_history.csv",
    "bitcoin-api-results_failures.csv",
    "bitcoin-api-results_exceptions.csv",
];

/// The names of the format families the server tries on an unknown file,
/// as `IngestError::UnknownFormat` lists them.
const FAMILIES: [&str; 9] = [
    "k6 summary",
    "k6 NDJSON",
    "k6 CSV",
    "JMeter JTL",
    "Locust CSV",
    "Gatling",
    "oha JSON",
    "vegeta",
    "wrk",
];

const MIB: usize = 1 << 20;

// ---------------------------------------------------------------------------
// Helpers

fn locust_files() -> Vec<(String, Vec<u8>)> {
    LOCUST
        .iter()
        .map(|name| (name.to_string(), fixture(&format!("locust/{name}"))))
        .collect()
}

/// Borrows named files the way the archive builders take them.
fn borrowed(files: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A ustar archive of files and no folder entries.
fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    tar_with_folders(files, false)
}

/// A zip archive of deflated files and no folder entries, as `zip -D`
/// writes one.
fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with_folders(files, false)
}

/// A zip archive as `zip -r` writes one: an entry for each folder before
/// the files in it, then the deflated files.
fn zip_r(files: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with_folders(files, true)
}

fn zip_with_folders(files: &[(&str, &[u8])], folders: bool) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut written: Vec<String> = Vec::new();
    for (name, bytes) in files {
        if folders {
            for (end, _) in name.match_indices('/') {
                let folder = format!("{}/", &name[..end]);
                if !written.contains(&folder) {
                    writer.add_directory(folder.as_str(), options).unwrap();
                    written.push(folder);
                }
            }
        }
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A ustar archive; with `folders`, as `tar -cf` writes one from a folder:
/// an entry for each folder before the files in it.
fn tar_with_folders(files: &[(&str, &[u8])], folders: bool) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut append = |name: &str, kind: tar::EntryType, bytes: &[u8]| {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(if kind.is_dir() { 0o755 } else { 0o644 });
        header.set_mtime(1_700_000_000);
        header.set_entry_type(kind);
        builder.append_data(&mut header, name, bytes).unwrap();
    };
    let mut written: Vec<String> = Vec::new();
    for (name, bytes) in files {
        if folders {
            for (end, _) in name.match_indices('/') {
                let folder = format!("{}/", &name[..end]);
                if !written.contains(&folder) {
                    append(&folder, tar::EntryType::Directory, &[]);
                    written.push(folder);
                }
            }
        }
        append(name, tar::EntryType::Regular, bytes);
    }
    builder.into_inner().unwrap()
}

/// A gzip file that expands to `mib` MiB of zeros while its own size stays
/// near a kilobyte per MiB: one gzip member of a MiB of zeros, repeated.
/// A file of several members is one valid gzip file (RFC 1952, 2.2), and
/// the zeros are never held in memory.
fn gzip_of_zeros(mib: usize) -> Vec<u8> {
    let member = gzip(&vec![0u8; MIB]);
    member.repeat(mib)
}

/// A raw deflate stream of `mib` MiB of zeros, with the CRC-32 of what it
/// expands to: one MiB compressed and sync-flushed (which ends it on a byte
/// boundary with no final block), repeated, then a final empty block. The
/// copies decode to the same zeros because every back-reference in one
/// points at zeros.
fn deflate_of_zeros(mib: usize) -> (Vec<u8>, u32) {
    let zeros = vec![0u8; MIB];
    let mut compress = Compress::new(Compression::best(), false);
    let mut chunk = Vec::with_capacity(64 * 1024);
    compress
        .compress_vec(&zeros, &mut chunk, FlushCompress::Sync)
        .unwrap();
    assert_eq!(compress.total_in(), MIB as u64, "the whole MiB went in");
    let mut end = Vec::with_capacity(1024);
    compress
        .compress_vec(&[], &mut end, FlushCompress::Finish)
        .unwrap();
    let mut stream = chunk.repeat(mib);
    stream.extend_from_slice(&end);

    let mut one = Crc::new();
    one.update(&zeros);
    let mut crc = Crc::new();
    for _ in 0..mib {
        crc.combine(&one);
    }
    (stream, crc.sum())
}

/// A zip archive of one deflated entry, written byte by byte from the
/// layout in PKWARE's APPNOTE (4.3.7, 4.3.12, 4.3.16), so that its deflate
/// data can be made here rather than by compressing every byte.
fn zip_of_one_deflated_entry(name: &str, deflated: &[u8], crc: u32, size: u32) -> Vec<u8> {
    let name = name.as_bytes();
    let compressed = u32::try_from(deflated.len()).unwrap();
    let name_len = u16::try_from(name.len()).unwrap();
    let mut out = Vec::new();
    let u16le = |out: &mut Vec<u8>, v: u16| out.extend_from_slice(&v.to_le_bytes());
    let u32le = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    // The local file header, then the data.
    u32le(&mut out, 0x0403_4b50);
    u16le(&mut out, 20); // version needed: 2.0, deflate
    u16le(&mut out, 0); // flags
    u16le(&mut out, 8); // method: deflate
    u16le(&mut out, 0); // time 00:00
    u16le(&mut out, 0x21); // date 1980-01-01
    u32le(&mut out, crc);
    u32le(&mut out, compressed);
    u32le(&mut out, size);
    u16le(&mut out, name_len);
    u16le(&mut out, 0); // extra field length
    out.extend_from_slice(name);
    out.extend_from_slice(deflated);
    // The central directory of that one entry.
    let directory = u32::try_from(out.len()).unwrap();
    u32le(&mut out, 0x0201_4b50);
    u16le(&mut out, 20); // version made by
    u16le(&mut out, 20); // version needed
    u16le(&mut out, 0); // flags
    u16le(&mut out, 8); // method: deflate
    u16le(&mut out, 0); // time
    u16le(&mut out, 0x21); // date
    u32le(&mut out, crc);
    u32le(&mut out, compressed);
    u32le(&mut out, size);
    u16le(&mut out, name_len);
    u16le(&mut out, 0); // extra field length
    u16le(&mut out, 0); // comment length
    u16le(&mut out, 0); // disk number
    u16le(&mut out, 0); // internal attributes
    u32le(&mut out, 0); // external attributes
    u32le(&mut out, 0); // offset of the local header
    out.extend_from_slice(name);
    // The end of central directory record.
    let directory_size = u32::try_from(out.len()).unwrap() - directory;
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0); // this disk
    u16le(&mut out, 0); // the disk of the central directory
    u16le(&mut out, 1); // entries on this disk
    u16le(&mut out, 1); // entries in all
    u32le(&mut out, directory_size);
    u32le(&mut out, directory);
    u16le(&mut out, 0); // comment length
    out
}

/// Deterministic bytes that no parser or archive reader can make sense of.
fn garbage(len: usize) -> Vec<u8> {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

fn runs_url(server: &TestServer, slug: &str, query: &str) -> String {
    format!("{}/api/v1/projects/{slug}/runs?{query}", server.url)
}

async fn upload_form(
    server: &TestServer,
    slug: &str,
    token: &str,
    form: Form,
) -> reqwest::Response {
    server
        .http
        .post(runs_url(server, slug, ""))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn upload_encoded(
    server: &TestServer,
    slug: &str,
    token: &str,
    query: &str,
    encoding: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    server
        .http
        .post(runs_url(server, slug, query))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_ENCODING, encoding)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A multipart form of file parts, all in the field `file`.
fn form_of(files: &[(String, Vec<u8>)]) -> Form {
    files.iter().fold(Form::new(), |form, (name, bytes)| {
        form.part("file", Part::bytes(bytes.clone()).file_name(name.clone()))
    })
}

/// The body of a successful upload, after checking its status.
async fn accepted(response: reqwest::Response, status: u16, what: &str) -> Value {
    let actual = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_eq!(actual, status, "{what}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: {e}: {body}"))
}

/// Checks that an upload was refused with `status` and `code`, in the API's
/// JSON error shape and never as a 500, and that the message holds every
/// one of `needles` (the file's name and what was expected). Returns the
/// message.
async fn assert_refused(
    response: reqwest::Response,
    what: &str,
    status: u16,
    code: &str,
    needles: &[&str],
) -> String {
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_ne!(actual, 500, "{what}: the server failed: {text}");
    assert_eq!(actual, status, "{what}: {text}");
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"));
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no error.message in {text}"))
        .to_owned();
    assert_eq!(body["error"]["code"], code, "{what}: {text}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "{what}: the message lacks {needle:?}: {message}"
        );
    }
    message
}

/// Checks that the project holds `runs` runs and that no upload left files
/// in the server's work folder, which sits beside the database.
async fn assert_stored_runs(server: &TestServer, slug: &str, runs: usize) {
    assert_eq!(server.run_count(slug).await, runs, "runs of {slug}");
    let work = server.dir.path().join("tmp");
    if work.exists() {
        let left: Vec<_> = std::fs::read_dir(&work)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "upload files left behind: {left:?}");
    }
}

/// The server keeps serving after whatever the test sent it.
async fn assert_still_serving(server: &TestServer) {
    let health = server.get("/api/v1/health").await;
    assert_eq!(health.status(), 200);
}

fn assert_close(actual: &Value, expected: Option<f64>, what: &str) {
    match expected {
        None => assert!(actual.is_null(), "{what}: expected null, found {actual}"),
        Some(expected) => {
            let actual = actual
                .as_f64()
                .unwrap_or_else(|| panic!("{what}: expected {expected}, found {actual}"));
            assert!(
                (actual - expected).abs() <= expected.abs() * 1e-12,
                "{what}: {actual} != {expected}"
            );
        }
    }
}

/// The names, hashes and sizes the server should list for `files`, each
/// name prefixed by `prefix`.
fn entries_of(files: &[(String, Vec<u8>)], prefix: &str) -> Vec<Value> {
    files
        .iter()
        .map(|(name, bytes)| {
            serde_json::json!({
                "name": format!("{prefix}{name}"),
                "sha256": sha256_hex(bytes),
                "size": bytes.len(),
            })
        })
        .collect()
}

async fn artifact_of(server: &TestServer, id: i64) -> (String, Vec<u8>) {
    let res = server.get(&format!("/api/v1/runs/{id}/artifact")).await;
    assert_eq!(res.status(), 200);
    let sha = res.headers()["x-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    (sha, res.bytes().await.unwrap().to_vec())
}

/// The Locust run's figures, read off the Aggregated row of its stats file
/// as core/tests/locust.rs establishes them.
fn assert_locust_run(run: &Value, what: &str) {
    assert_eq!(run["format"], "locust-csv", "{what}");
    assert_eq!(run["exactness"], "reported", "{what}");
    assert_eq!(run["requests"], 2210, "{what}");
    assert_eq!(run["failed"], 1607, "{what}");
    assert_close(&run["latency_ms"]["p95"], Some(8.0), what);
    assert_close(&run["latency_ms"]["p99"], Some(2000.0), what);
}

// ---------------------------------------------------------------------------
// Raw bodies, one file each

/// One fixture and the figures its core test establishes.
struct SingleFile {
    what: &'static str,
    body: Vec<u8>,
    format: &'static str,
    exactness: &'static str,
    requests: u64,
    p95: Option<f64>,
    p99: Option<f64>,
}

#[tokio::test]
async fn every_single_file_format_is_recognized_in_a_raw_body() {
    let server = TestServer::start();
    let token = server.project_with_token("formats");
    let file = |what, body, format, exactness, requests, p95, p99| SingleFile {
        what,
        body,
        format,
        exactness,
        requests,
        p95,
        p99,
    };
    let cases = [
        file(
            "k6 NDJSON",
            fixture(K6_NDJSON),
            "k6-ndjson",
            "exact",
            322,
            Some(125.2926859),
            Some(126.49753705),
        ),
        // A gzip file sent as is, without Content-Encoding: the parsers
        // read it through, and the gzip bytes are the artifact.
        file(
            "k6 NDJSON as a .gz file",
            gzip(&fixture(K6_NDJSON)),
            "k6-ndjson",
            "exact",
            322,
            Some(125.2926859),
            Some(126.49753705),
        ),
        file(
            "k6 summary",
            fixture(K6_SUMMARY),
            "k6-summary",
            "reported",
            878,
            Some(30.0256841),
            Some(39.577136380000084),
        ),
        file(
            "JMeter CSV",
            fixture(JMETER_CSV),
            "jmeter-csv",
            "exact",
            255,
            Some(339.0),
            Some(352.46000000000004),
        ),
        file(
            "JMeter XML",
            fixture(JMETER_XML),
            "jmeter-xml",
            "exact",
            2000,
            Some(270.0),
            Some(1002.0999999999999),
        ),
        file(
            "Gatling 2.x simulation.log",
            fixture(GATLING_2_LOG),
            "gatling-log",
            "exact",
            7986,
            Some(48311.75),
            Some(60005.0),
        ),
        file(
            "Gatling 3.12 text simulation.log",
            fixture(GATLING_312_LOG),
            "gatling-log",
            "exact",
            8,
            Some(8299.999999999998),
            Some(8860.0),
        ),
        // The report's own figures: percentiles3 and percentiles4 of the
        // Global Information row, at their defaults p95 and p99.
        file(
            "Gatling stats.json alone",
            fixture(GATLING_STATS),
            "gatling-json",
            "reported",
            7986,
            Some(48321.0),
            Some(60005.0),
        ),
        // wrk prints no percentile without --latency.
        file(
            "wrk output",
            fixture(WRK),
            "wrk",
            "reported",
            13803,
            None,
            None,
        ),
        // wrk2 prints no 95th percentile, only its 99th.
        file(
            "wrk2 output",
            fixture(WRK2),
            "wrk",
            "reported",
            119_714,
            None,
            Some(3.02),
        ),
    ];

    let mut stored = 0;
    for case in cases {
        let what = case.what;
        // No query at all: neither a format nor a file name helps detection.
        let created = accepted(
            server
                .upload("formats", &token, "", case.body.clone())
                .await,
            201,
            what,
        )
        .await;
        stored += 1;
        let run = &created["run"];
        assert_eq!(run["format"], case.format, "{what}");
        assert_eq!(run["exactness"], case.exactness, "{what}");
        assert_eq!(run["requests"], case.requests, "{what}");
        assert_close(&run["latency_ms"]["p95"], case.p95, what);
        assert_close(&run["latency_ms"]["p99"], case.p99, what);
        assert_eq!(created["sha256"], sha256_hex(&case.body), "{what}");
        assert_eq!(
            created["files"],
            serde_json::json!([]),
            "{what}: one file, no bundle"
        );

        // The artifact is the body exactly as sent.
        let id = created["id"].as_i64().unwrap();
        let (sha, bytes) = artifact_of(&server, id).await;
        assert_eq!(sha, sha256_hex(&case.body), "{what}");
        assert!(
            bytes == case.body,
            "{what}: the artifact differs from the body"
        );
        assert_eq!(server.run_count("formats").await, stored, "{what}");
    }
    assert_stored_runs(&server, "formats", stored).await;
    assert_still_serving(&server).await;
}

// ---------------------------------------------------------------------------
// Content-Encoding: gzip

#[tokio::test]
async fn a_gzip_encoded_body_is_stored_decoded() {
    let server = TestServer::start();
    let token = server.project_with_token("gz");
    for (path, name, format) in [
        (K6_SUMMARY, "summary.json", "k6-summary"),
        (K6_NDJSON, "result.ndjson", "k6-ndjson"),
    ] {
        let plain = fixture(path);
        let query = format!("filename={name}");
        let res = upload_encoded(&server, "gz", &token, &query, "gzip", gzip(&plain)).await;
        let created = accepted(res, 201, name).await;
        assert_eq!(created["run"]["format"], format, "{name}");
        // The transport encoding is not part of the evidence: the artifact
        // and its hash are those of the decoded bytes.
        assert_eq!(created["sha256"], sha256_hex(&plain), "{name}");
        let id = created["id"].as_i64().unwrap();
        let (sha, bytes) = artifact_of(&server, id).await;
        assert_eq!(sha, sha256_hex(&plain), "{name}");
        assert!(
            bytes == plain,
            "{name}: the artifact is not the decoded body"
        );
        let detail: Value = server
            .get(&format!("/api/v1/runs/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(detail["file_name"], name);

        // So the same file sent plain is the same artifact: the existing
        // run, not a second one.
        let again = accepted(server.upload("gz", &token, "", plain).await, 200, name).await;
        assert_eq!(again["id"], id, "{name}");
    }
    assert_stored_runs(&server, "gz", 2).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn a_body_that_claims_gzip_but_is_not_is_refused() {
    let server = TestServer::start();
    let token = server.project_with_token("gz");
    let plain = fixture(K6_SUMMARY);
    let res = upload_encoded(
        &server,
        "gz",
        &token,
        "filename=summary.json",
        "gzip",
        plain,
    )
    .await;
    assert_refused(
        res,
        "plain JSON said to be gzip",
        422,
        "invalid_bundle",
        &["summary.json", "not valid gzip", "Content-Encoding"],
    )
    .await;

    // A gzip stream cut in half starts well and then ends too soon.
    let gz = gzip(&fixture(K6_NDJSON));
    let cut = gz[..gz.len() / 2].to_vec();
    let res = upload_encoded(&server, "gz", &token, "filename=result.ndjson", "gzip", cut).await;
    assert_refused(
        res,
        "truncated gzip",
        422,
        "invalid_bundle",
        &["result.ndjson", "not valid gzip"],
    )
    .await;

    let res = upload_encoded(&server, "gz", &token, "", "br", fixture(K6_SUMMARY)).await;
    assert_refused(
        res,
        "brotli",
        415,
        "unsupported_encoding",
        &["`br`", "gzip"],
    )
    .await;

    assert_stored_runs(&server, "gz", 0).await;
    assert_still_serving(&server).await;
}

// ---------------------------------------------------------------------------
// Several files: multipart and bundles

#[tokio::test]
async fn locust_files_in_a_multipart_form_make_one_run_and_dedupe() {
    let server = TestServer::start();
    let token = server.project_with_token("locust");
    let files = locust_files();
    let form = || {
        form_of(&files)
            .text("scenario", "sustained")
            .text("commit", "abc123")
    };

    let created = accepted(
        upload_form(&server, "locust", &token, form()).await,
        201,
        "form",
    )
    .await;
    assert_locust_run(&created["run"], "form");
    // Text fields named like the query parameters set the metadata.
    assert_eq!(created["run"]["scenario"], "sustained");
    assert_eq!(created["files"], Value::Array(entries_of(&files, "")));

    // The parts are packed, unchanged and in order, into one tar artifact
    // whose hash is the one answered.
    let id = created["id"].as_i64().unwrap();
    let (sha, artifact) = artifact_of(&server, id).await;
    assert_eq!(created["sha256"], sha);
    assert_eq!(sha, sha256_hex(&artifact));
    let mut archive = tar::Archive::new(artifact.as_slice());
    let mut packed = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        packed.push((name, bytes));
    }
    assert!(packed == files, "the artifact holds the parts as sent");

    let list: Value = server
        .get("/api/v1/projects/locust/runs")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["runs"][0]["commit"], "abc123");
    assert_eq!(list["runs"][0]["scenario"], "sustained");

    // The same form again packs to the same bytes: the existing run.
    let again = accepted(
        upload_form(&server, "locust", &token, form()).await,
        200,
        "again",
    )
    .await;
    assert_eq!(again["id"], id);
    assert_eq!(again["sha256"], created["sha256"]);
    assert_eq!(again["files"], created["files"]);
    assert_eq!(again["run"], created["run"]);

    assert_stored_runs(&server, "locust", 1).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn one_form_part_is_stored_as_the_file_itself() {
    let server = TestServer::start();
    let token = server.project_with_token("one");
    let summary = fixture(K6_SUMMARY);

    // `curl -F 'file=<summary.json'` sends the file as a text field with no
    // file name: the field `file` is read as the file all the same.
    let form = Form::new()
        .text("scenario", "soak")
        .text("file", String::from_utf8(summary.clone()).unwrap());
    let created = accepted(
        upload_form(&server, "one", &token, form).await,
        201,
        "text part",
    )
    .await;
    assert_eq!(created["run"]["format"], "k6-summary");
    assert_eq!(created["run"]["scenario"], "soak");
    // One file is not packed: the artifact is the file, so its hash is the
    // file's and a raw upload of it, or a file part, is the same run.
    assert_eq!(created["sha256"], sha256_hex(&summary));
    assert_eq!(created["files"], serde_json::json!([]));
    let id = created["id"].as_i64().unwrap();
    let (_, artifact) = artifact_of(&server, id).await;
    assert!(artifact == summary, "the artifact is the part as sent");

    let again = accepted(
        server.upload("one", &token, "", summary.clone()).await,
        200,
        "raw",
    )
    .await;
    assert_eq!(again["id"], id);
    let form = Form::new().part("file", Part::bytes(summary).file_name("summary.json"));
    let again = accepted(
        upload_form(&server, "one", &token, form).await,
        200,
        "file part",
    )
    .await;
    assert_eq!(again["id"], id);

    assert_stored_runs(&server, "one", 1).await;
    assert_still_serving(&server).await;
}

/// A JMeter CSV of 2.7 MB: the 255 rows of the fixture, 120 times over.
fn jmeter_csv_over_2_mib() -> Vec<u8> {
    let text = String::from_utf8(fixture(JMETER_CSV)).unwrap();
    let (header, rows) = text.split_once('\n').unwrap();
    let mut big = format!("{header}\n");
    for _ in 0..120 {
        big.push_str(rows);
        if !rows.ends_with('\n') {
            big.push('\n');
        }
    }
    assert!(big.len() > 2 * MIB + MIB / 2);
    big.into_bytes()
}

#[tokio::test]
async fn a_form_over_2_mib_is_accepted_like_a_raw_body() {
    let server = TestServer::start();
    let token = server.project_with_token("big");
    let big = jmeter_csv_over_2_mib();

    let form = Form::new().part("file", Part::bytes(big.clone()).file_name("big.jtl"));
    let created = accepted(upload_form(&server, "big", &token, form).await, 201, "form").await;
    assert_eq!(created["run"]["format"], "jmeter-csv");
    assert_eq!(created["run"]["requests"], 255 * 120);
    // The raw body of the same bytes is the same artifact.
    let again = accepted(server.upload("big", &token, "", big).await, 200, "raw").await;
    assert_eq!(again["id"], created["id"]);

    assert_stored_runs(&server, "big", 1).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn a_misspelled_form_field_is_refused_like_a_misspelled_query_parameter() {
    let server = TestServer::start();
    let token = server.project_with_token("typo");
    let form = Form::new().text("scenrio", "soak").part(
        "file",
        Part::bytes(fixture(K6_SUMMARY)).file_name("summary.json"),
    );
    let res = upload_form(&server, "typo", &token, form).await;
    assert_refused(
        res,
        "misspelled field",
        400,
        "bad_query",
        &["`scenrio`", "scenario"],
    )
    .await;
    assert_stored_runs(&server, "typo", 0).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn locust_files_in_a_tar_tar_gz_or_zip_bundle_make_one_run() {
    let server = TestServer::start();
    let token = server.project_with_token("locust");
    let files = locust_files();
    let named = borrowed(&files);
    let bundles = [
        ("locust-results.tar", tar(&named)),
        ("locust-results.tar.gz", gzip(&tar(&named))),
        ("locust-results.zip", zip(&named)),
    ];
    for (stored, (name, bundle)) in bundles.into_iter().enumerate() {
        let query = format!("filename={name}&scenario=spike");
        let created = accepted(
            server
                .upload("locust", &token, &query, bundle.clone())
                .await,
            201,
            name,
        )
        .await;
        assert_locust_run(&created["run"], name);
        assert_eq!(created["run"]["scenario"], "spike", "{name}");
        // Each entry is listed under the bundle's name, with its own hash
        // and size; the artifact is the bundle as sent.
        let expected = entries_of(&files, &format!("{name}/"));
        assert_eq!(created["files"], Value::Array(expected), "{name}");
        assert_eq!(created["sha256"], sha256_hex(&bundle), "{name}");
        let (_, artifact) = artifact_of(&server, created["id"].as_i64().unwrap()).await;
        assert!(artifact == bundle, "{name}: the artifact is the bundle");
        assert_eq!(server.run_count("locust").await, stored + 1, "{name}");
    }
    assert_stored_runs(&server, "locust", 3).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn a_zipped_gatling_report_folder_is_read_from_its_log() {
    let server = TestServer::start();
    let token = server.project_with_token("gatling");
    // A report folder as Gatling 2.x writes it, zipped with `zip -r`, so
    // the archive also holds an entry for each folder.
    let folder = "recordedsimulation-1478709513495";
    let files = [
        ("simulation.log".to_owned(), fixture(GATLING_2_LOG)),
        ("js/stats.json".to_owned(), fixture(GATLING_STATS)),
        (
            "js/global_stats.json".to_owned(),
            fixture(GATLING_GLOBAL_STATS),
        ),
        (
            "index.html".to_owned(),
            b"<!DOCTYPE html>\n<html><head><title>Gatling Stats - Global Information</title>\
              <link href=\"style/style.css\" rel=\"stylesheet\"></head><body></body></html>\n"
                .to_vec(),
        ),
        (
            "style/style.css".to_owned(),
            b"body { margin: 0; font-family: sans-serif; }\n".to_vec(),
        ),
    ];
    let in_folder: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| (format!("{folder}/{name}"), bytes.clone()))
        .collect();
    let bundle = zip_r(&borrowed(&in_folder));

    let res = server
        .upload("gatling", &token, "filename=report.zip", bundle)
        .await;
    let created = accepted(res, 201, "report.zip").await;
    let run = &created["run"];
    // The log's exact figures win over the report's; the page and the
    // style sheet are left aside, not refused.
    assert_eq!(run["format"], "gatling-log");
    assert_eq!(run["exactness"], "exact");
    assert_eq!(run["requests"], 7986);
    assert_close(&run["latency_ms"]["p95"], Some(48311.75), "report p95");
    assert_eq!(run["endpoints"].as_array().unwrap().len(), 80);
    // Every file of the bundle is recorded, read or not; its folder
    // entries are not files.
    assert_eq!(
        created["files"],
        Value::Array(entries_of(&in_folder, "report.zip/"))
    );
    assert_stored_runs(&server, "gatling", 1).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn a_binary_gatling_log_alone_says_what_to_upload_instead() {
    let server = TestServer::start();
    let token = server.project_with_token("gatling");
    let res = server
        .upload(
            "gatling",
            &token,
            "filename=simulation.log",
            fixture(GATLING_BINARY_LOG),
        )
        .await;
    assert_refused(
        res,
        "binary simulation.log",
        422,
        "invalid_result",
        &[
            "simulation.log",
            "binary simulation.log",
            "3.13",
            "js/stats.json",
            "zip",
        ],
    )
    .await;
    assert_stored_runs(&server, "gatling", 0).await;
    assert_still_serving(&server).await;
}

// ---------------------------------------------------------------------------
// Limits

/// The expansion limit the bomb test starts the server with: 8 MiB, far
/// below what the bombs expand to, so the server reads only a sliver of
/// each before it stops.
const MAX_EXPANDED: &str = "8388608";

#[tokio::test]
async fn gzip_and_zip_bombs_stop_at_the_expansion_limit() {
    let server = TestServer::start_with(&["--max-expanded", MAX_EXPANDED]);
    let token = server.project_with_token("bombs");
    let limit = format!("{MAX_EXPANDED} bytes");

    // 512 MiB of zeros in about half a megabyte, as the transport encoding.
    let bomb = gzip_of_zeros(512);
    assert!(bomb.len() < MIB, "the bomb is small: {} bytes", bomb.len());
    let res = upload_encoded(
        &server,
        "bombs",
        &token,
        "filename=result.json",
        "gzip",
        bomb,
    )
    .await;
    assert_refused(
        res,
        "gzip bomb as Content-Encoding",
        413,
        "payload_too_large",
        &["result.json", &limit],
    )
    .await;

    // The same zeros as the one file of a tar.gz bundle: a tar header that
    // announces 512 MiB, gzip-compressed, followed by the zeros.
    let mut header = tar::Header::new_ustar();
    header.set_path("zeros.json").unwrap();
    header.set_size(512 * MIB as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    let mut tar_bomb = gzip(header.as_bytes());
    tar_bomb.extend(gzip_of_zeros(512));
    let res = server
        .upload("bombs", &token, "filename=results.tar.gz", tar_bomb)
        .await;
    assert_refused(
        res,
        "tar.gz bomb",
        413,
        "payload_too_large",
        &["results.tar.gz", &limit],
    )
    .await;

    // A zip whose one entry, honestly declared, deflates 512 MiB of zeros.
    let (deflated, crc) = deflate_of_zeros(512);
    let zip_bomb = zip_of_one_deflated_entry(
        "zeros.json",
        &deflated,
        crc,
        u32::try_from(512 * MIB).unwrap(),
    );
    assert!(
        zip_bomb.len() < 4 * MIB,
        "the bomb is small: {} bytes",
        zip_bomb.len()
    );
    let res = server
        .upload("bombs", &token, "filename=results.zip", zip_bomb)
        .await;
    assert_refused(
        res,
        "zip bomb",
        413,
        "payload_too_large",
        &["results.zip", &limit],
    )
    .await;

    // A zip whose entry claims to hold 100 bytes and inflates to 64 MiB:
    // the reader stops at the lie.
    let (deflated, crc) = deflate_of_zeros(64);
    let lying = zip_of_one_deflated_entry("zeros.json", &deflated, crc, 100);
    let res = server
        .upload("bombs", &token, "filename=lying.zip", lying)
        .await;
    assert_refused(
        res,
        "zip that lies about its size",
        422,
        "invalid_bundle",
        &[
            "lying.zip",
            "zeros.json",
            "larger than its declared uncompressed size",
        ],
    )
    .await;

    assert_stored_runs(&server, "bombs", 0).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn a_bundle_of_more_than_1000_files_is_refused_and_1000_are_accepted() {
    let server = TestServer::start();
    let token = server.project_with_token("many");
    // Small text files beside one result, the way a CI job might archive
    // a whole results folder.
    let notes: Vec<(String, Vec<u8>)> = (0..1000)
        .map(|i| {
            (
                format!("note-{i:04}.txt"),
                format!("note {i}\n").into_bytes(),
            )
        })
        .collect();
    let result = fixture(JMETER_CSV);

    // 1001 files: one past the limit, in a zip and in a tar.gz.
    let mut too_many = borrowed(&notes);
    too_many.push(("results.jtl.csv", &result));
    let res = server
        .upload("many", &token, "filename=many.zip", zip(&too_many))
        .await;
    assert_refused(
        res,
        "zip of 1001 files",
        413,
        "payload_too_large",
        &["many.zip", "1000"],
    )
    .await;
    let res = server
        .upload(
            "many",
            &token,
            "filename=many.tar.gz",
            gzip(&tar(&too_many)),
        )
        .await;
    assert_refused(
        res,
        "tar.gz of 1001 files",
        413,
        "payload_too_large",
        &["many.tar.gz", "more than 1000 files"],
    )
    .await;
    assert_stored_runs(&server, "many", 0).await;

    // 1000 files, the limit itself: the result among them is read and the
    // notes are left aside.
    let mut at_limit = borrowed(&notes[..999]);
    at_limit.push(("results.jtl.csv", &result));
    let res = server
        .upload("many", &token, "filename=limit.zip", zip(&at_limit))
        .await;
    let created = accepted(res, 201, "zip of 1000 files").await;
    assert_eq!(created["run"]["format"], "jmeter-csv");
    assert_eq!(created["run"]["requests"], 255);
    assert_eq!(created["files"].as_array().unwrap().len(), 1000);

    assert_stored_runs(&server, "many", 1).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn a_gzip_result_file_is_held_to_the_expansion_limit() {
    let server = TestServer::start_with(&["--max-expanded", "2097152"]);
    let token = server.project_with_token("gz");
    let limit = "2097152 bytes";
    let ndjson = fixture(K6_NDJSON);
    assert!(ndjson.len() < MIB);

    // Under the limit once expanded: accepted.
    let small = gzip(&ndjson);
    accepted(
        server.upload("gz", &token, "", small.clone()).await,
        201,
        "small",
    )
    .await;

    // The same run followed by 8 MiB of blank lines, which the NDJSON
    // reader skips: valid, but it expands to over four times the limit.
    let mut bomb = small;
    bomb.extend(gzip(&vec![b'\n'; MIB]).repeat(8));
    let res = server
        .upload("gz", &token, "filename=result.json.gz", bomb.clone())
        .await;
    assert_refused(
        res,
        "gzip result past the limit",
        413,
        "payload_too_large",
        &["result.json.gz", limit],
    )
    .await;
    let res = server
        .upload(
            "gz",
            &token,
            "filename=results.zip",
            zip(&[("result.json.gz", &bomb)]),
        )
        .await;
    assert_refused(
        res,
        "gzip result in a zip past the limit",
        413,
        "payload_too_large",
        &["results.zip", limit],
    )
    .await;

    // The classic bomb: 512 MiB of zeros.
    let res = server
        .upload("gz", &token, "filename=zeros.json.gz", gzip_of_zeros(512))
        .await;
    assert_refused(
        res,
        "gzip of zeros",
        413,
        "payload_too_large",
        &["zeros.json.gz", limit],
    )
    .await;

    assert_stored_runs(&server, "gz", 1).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn a_zip_counts_only_its_files_against_the_file_limit() {
    let server = TestServer::start();
    let token = server.project_with_token("folders");
    // 999 files in two folders, as `tar -cf` and `zip -r` archive a folder.
    let notes: Vec<(String, Vec<u8>)> = (0..998)
        .map(|i| {
            (
                format!("results/notes/{i:04}.txt"),
                format!("note {i}\n").into_bytes(),
            )
        })
        .collect();
    let result = fixture(JMETER_CSV);
    let mut files = borrowed(&notes);
    files.push(("results/results.jtl.csv", &result));

    let tarred = gzip(&tar_with_folders(&files, true));
    let res = server
        .upload("folders", &token, "filename=results.tar.gz", tarred)
        .await;
    let created = accepted(res, 201, "tar.gz").await;
    assert_eq!(created["files"].as_array().unwrap().len(), 999);

    let res = server
        .upload("folders", &token, "filename=results.zip", zip_r(&files))
        .await;
    let created = accepted(res, 201, "zip -r").await;
    assert_eq!(created["files"].as_array().unwrap().len(), 999);

    assert_stored_runs(&server, "folders", 2).await;
    assert_still_serving(&server).await;
}

/// A client that opens a connection for each request. The server closes a
/// connection whose request body it stopped reading, without saying so
/// (see `the_connection_stays_usable_after_a_chunked_upload_is_refused`);
/// a pooled connection would then fail the next request.
fn one_connection_per_request() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// A body sent in 512-byte chunks with no length declared, as a client
/// streaming a file of unknown size sends it.
fn chunked(bytes: &[u8]) -> reqwest::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(512).map(|c| Ok(c.to_vec())).collect();
    reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn uploads_over_max_upload_are_refused_in_every_shape() {
    let server = TestServer::start_with(&["--max-upload", "4096"]);
    let token = server.project_with_token("big");
    let body = fixture(K6_SUMMARY);
    assert!(body.len() > 4096);
    let limit = "4096 bytes";
    let client = one_connection_per_request();
    let post = || {
        client
            .post(runs_url(&server, "big", ""))
            .bearer_auth(&token)
    };

    // A body with its length declared is refused before it is read.
    let res = post().body(body.clone()).send().await.unwrap();
    assert_refused(res, "raw body", 413, "payload_too_large", &[limit]).await;

    // A chunked body, with no length declared, is counted as it arrives.
    let res = post().body(chunked(&body)).send().await.unwrap();
    assert_refused(res, "chunked body", 413, "payload_too_large", &[limit]).await;

    // A form whose parts add up to more than the limit, with its length
    // declared and without.
    let form = || {
        Form::new()
            .part(
                "file",
                Part::bytes(body[..3000].to_vec()).file_name("a.json"),
            )
            .part(
                "file",
                Part::bytes(body[3000..].to_vec()).file_name("b.json"),
            )
    };
    let res = post().multipart(form()).send().await.unwrap();
    assert_refused(res, "multipart", 413, "payload_too_large", &[limit]).await;
    let streamed = Form::new().part(
        "file",
        Part::stream(chunked(&body)).file_name("summary.json"),
    );
    let res = post().multipart(streamed).send().await.unwrap();
    assert_refused(
        res,
        "streamed multipart",
        413,
        "payload_too_large",
        &[limit],
    )
    .await;

    assert_stored_runs(&server, "big", 0).await;
    // A file under the limit still goes through.
    let small = fixture(GATLING_312_LOG);
    assert!(small.len() < 4096);
    accepted(server.upload("big", &token, "", small).await, 201, "small").await;
    assert_stored_runs(&server, "big", 1).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn the_connection_stays_usable_after_a_chunked_upload_is_refused() {
    let server = TestServer::start_with(&["--max-upload", "4096"]);
    let token = server.project_with_token("big");
    let body = fixture(K6_SUMMARY);
    // One client, whose pool keeps the connection between requests, as CI
    // scripts and SDKs do. The failure is a race between the server's close
    // and the client's next request, so it is tried many times: with the
    // connection closed openly (or kept usable), none may fail.
    let client = reqwest::Client::new();
    let mut failed = Vec::new();
    for attempt in 0..30 {
        let res = client
            .post(runs_url(&server, "big", ""))
            .bearer_auth(&token)
            .body(chunked(&body))
            .send()
            .await
            .unwrap();
        let close = res
            .headers()
            .get(reqwest::header::CONNECTION)
            .is_some_and(|v| v == "close");
        assert_refused(
            res,
            "chunked body",
            413,
            "payload_too_large",
            &["4096 bytes"],
        )
        .await;
        let next = client
            .get(format!("{}/api/v1/health", server.url))
            .send()
            .await;
        match next {
            Ok(next) => assert_eq!(next.status(), 200, "attempt {attempt}"),
            Err(err) => failed.push(format!(
                "attempt {attempt} (Connection: close {close}): {err}"
            )),
        }
    }
    assert!(
        failed.is_empty(),
        "{} of 30 requests after a 413 failed: {failed:#?}",
        failed.len()
    );
    assert_stored_runs(&server, "big", 0).await;
}

// ---------------------------------------------------------------------------
// Broken, mixed and unknown uploads

#[tokio::test]
async fn corrupt_bundles_are_refused_with_what_is_wrong() {
    let server = TestServer::start();
    let token = server.project_with_token("corrupt");

    // A zip's local header signature, then garbage.
    let mut corrupt = b"PK\x03\x04".to_vec();
    corrupt.extend(garbage(4000));
    let res = server
        .upload("corrupt", &token, "filename=report.zip", corrupt.clone())
        .await;
    assert_refused(
        res,
        "corrupt zip",
        422,
        "invalid_bundle",
        &["report.zip", "not a readable zip archive"],
    )
    .await;
    // The same bytes as a part of a form.
    let form = Form::new().part("file", Part::bytes(corrupt).file_name("report.zip"));
    let res = upload_form(&server, "corrupt", &token, form).await;
    assert_refused(
        res,
        "corrupt zip in a form",
        422,
        "invalid_bundle",
        &["report.zip", "not a readable zip archive"],
    )
    .await;

    // A real zip cut in half has lost its central directory.
    let files = locust_files();
    let whole = zip(&borrowed(&files));
    let res = server
        .upload(
            "corrupt",
            &token,
            "filename=half.zip",
            whole[..whole.len() / 2].to_vec(),
        )
        .await;
    assert_refused(
        res,
        "zip cut in half",
        422,
        "invalid_bundle",
        &["half.zip", "not a readable zip archive"],
    )
    .await;

    // A tar.gz cut in half opens as a tar and then ends inside an entry.
    let whole = gzip(&tar(&borrowed(&files)));
    let res = server
        .upload(
            "corrupt",
            &token,
            "filename=half.tar.gz",
            whole[..whole.len() / 2].to_vec(),
        )
        .await;
    assert_refused(
        res,
        "tar.gz cut in half",
        422,
        "invalid_bundle",
        &["half.tar.gz", "cannot read", "from the bundle"],
    )
    .await;

    assert_stored_runs(&server, "corrupt", 0).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn results_of_two_tools_in_one_upload_are_refused() {
    let server = TestServer::start();
    let token = server.project_with_token("mixed");
    let files = [
        ("summary.json".to_owned(), fixture(K6_SUMMARY)),
        ("results.jtl.csv".to_owned(), fixture(JMETER_CSV)),
    ];

    let res = server
        .upload(
            "mixed",
            &token,
            "filename=mixed.zip",
            zip(&borrowed(&files)),
        )
        .await;
    assert_refused(
        res,
        "k6 and JMeter in a zip",
        422,
        "invalid_result",
        &[
            "more than one result",
            "mixed.zip/summary.json (k6-summary)",
            "mixed.zip/results.jtl.csv (jmeter-csv)",
        ],
    )
    .await;

    let res = upload_form(&server, "mixed", &token, form_of(&files)).await;
    assert_refused(
        res,
        "k6 and JMeter in a form",
        422,
        "invalid_result",
        &[
            "more than one result",
            "summary.json (k6-summary)",
            "results.jtl.csv (jmeter-csv)",
        ],
    )
    .await;

    assert_stored_runs(&server, "mixed", 0).await;
    assert_still_serving(&server).await;
}

/// The first 33 bytes of a PNG image: the signature, then the header chunk
/// of a 1x1 RGBA image with its CRC.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\
\x00\x00\x00\x1f\x15\xc4\x89";

#[tokio::test]
async fn an_unknown_file_is_refused_with_the_formats_tried() {
    let server = TestServer::start();
    let token = server.project_with_token("unknown");
    let readme = b"# Load test\n\nRun `k6 run script.js` and upload the summary.\n".to_vec();
    let mut expected: Vec<&str> = vec!["not a load-test result format", "Tried:"];
    expected.extend(FAMILIES);

    let res = server
        .upload("unknown", &token, "filename=chart.png", PNG.to_vec())
        .await;
    let mut needles = expected.clone();
    needles.push("chart.png");
    assert_refused(res, "PNG", 422, "invalid_result", &needles).await;

    let form = Form::new()
        .text("commit", "abc123")
        .part("file", Part::bytes(readme.clone()).file_name("README.md"));
    let res = upload_form(&server, "unknown", &token, form).await;
    let mut needles = expected.clone();
    needles.push("README.md");
    assert_refused(res, "README in a form", 422, "invalid_result", &needles).await;

    // A bundle of nothing but such files has no result to read either.
    let bundle = zip(&[("README.md", &readme), ("chart.png", PNG)]);
    let res = server
        .upload("unknown", &token, "filename=docs.zip", bundle)
        .await;
    let mut needles = expected.clone();
    needles.push("docs.zip/");
    assert_refused(
        res,
        "zip of README and PNG",
        422,
        "invalid_result",
        &needles,
    )
    .await;

    assert_stored_runs(&server, "unknown", 0).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn a_multipart_form_without_file_parts_is_refused() {
    let server = TestServer::start();
    let token = server.project_with_token("empty");

    let form = Form::new()
        .text("scenario", "sustained")
        .text("commit", "abc123");
    let res = upload_form(&server, "empty", &token, form).await;
    assert_refused(res, "text fields only", 400, "empty_body", &["file part"]).await;

    // A form of no part at all is not even valid multipart (RFC 2046,
    // 5.1.1, asks for at least one part).
    let res = upload_form(&server, "empty", &token, Form::new()).await;
    assert_refused(res, "no part at all", 400, "bad_multipart", &["multipart"]).await;

    assert_stored_runs(&server, "empty", 0).await;
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn a_form_without_file_parts_is_told_so() {
    let server = TestServer::start();
    let token = server.project_with_token("empty");
    let form = Form::new()
        .text("scenario", "sustained")
        .text("commit", "abc123");
    let res = upload_form(&server, "empty", &token, form).await;
    let message = assert_refused(res, "text fields only", 400, "empty_body", &["file part"]).await;
    assert!(
        !message.contains("body is empty"),
        "the body held two fields: {message}"
    );
    assert_stored_runs(&server, "empty", 0).await;
    assert_still_serving(&server).await;
}
