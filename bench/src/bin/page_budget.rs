//! The dashboard's budgets: the browser bundle's gzipped size, the time
//! the server takes to render a project's overview with 500 runs (median
//! of warm requests), and the HTML size of every page.
//!
//! Usage: `cargo xtask build && cargo run --release -p readiness-bench --bin page_budget [RUNS]`
//!
//! It starts the release binary on a fresh database, uploads RUNS results
//! over the API (a k6 summary made distinct by trailing whitespace, and
//! every tenth a raw k6 NDJSON file so the overview has series to
//! compare), then requests each page over plain HTTP/1.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BUDGET_BUNDLE_GZ: u64 = 400 * 1024;
const BUDGET_RENDER_MS: f64 = 50.0;
const BUDGET_HTML: usize = 200 * 1024;

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let binary = root.join("target/release/readiness");
    let pkg = root.join("target/site/pkg");
    assert!(
        binary.is_file() && pkg.join("readiness_bg.wasm").is_file(),
        "build it first: cargo xtask build"
    );

    // The bundle.
    let wasm = gzipped(&pkg.join("readiness_bg.wasm"));
    let js = gzipped(&pkg.join("readiness.js"));
    let css = gzipped(&pkg.join("readiness.css"));
    println!(
        "bundle: WASM {} KB + JS {} KB = {} KB gzipped (budget {} KB: {}); CSS {} KB gzipped",
        wasm / 1024,
        js / 1024,
        (wasm + js) / 1024,
        BUDGET_BUNDLE_GZ / 1024,
        verdict(wasm + js <= BUDGET_BUNDLE_GZ),
        css / 1024
    );

    let dir = std::env::temp_dir().join(format!("readiness-page-budget-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("readiness.db");
    let cli = |args: &[&str]| {
        let out = Command::new(&binary)
            .args(args)
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    cli(&["project", "create", "bench", "--name", "Bench API"]);
    let token = cli(&["token", "create", "--project", "bench"]);
    // Pages are read as a signed-in admin, as a lead would read them.
    const PASSWORD: &str = "a page budget password";
    let mut add = Command::new(&binary)
        .args(["user", "add", "admin", "--admin", "--db"])
        .arg(&db)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(add.wait().unwrap().success());
    let mut server = Command::new(&binary)
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .arg("--site")
        .arg(root.join("target/site"))
        .env("READINESS_LOG", "warn")
        // The runs are set-up, not what is measured: no upload rate limit.
        .args(["--upload-burst", "100000"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("readiness listening on http://")
        .unwrap()
        .to_owned();

    let fixtures = root.join("core/tests/fixtures");
    let summary = std::fs::read(fixtures.join("k6/k6-reporter-handlesummary-simple.json")).unwrap();
    let raw = std::fs::read(fixtures.join("k6/xk6-dashboard-out-json-result.ndjson")).unwrap();
    let started = Instant::now();
    let mut ids = Vec::new();
    for i in 0..runs {
        // Trailing whitespace keeps the content and makes the bytes (and
        // so the artifact) distinct.
        let (mut body, scenario) = if i % 10 == 0 {
            (raw.clone(), "ramp-up")
        } else {
            (summary.clone(), "sustained")
        };
        body.extend(std::iter::repeat_n(b'\n', i + 1));
        let path = format!(
            "/api/v1/projects/bench/runs?scenario={scenario}&commit=c{:04}&environment=staging&filename=run-{i}.json",
            i / 5
        );
        let (status, answer, _) = http(&addr, "POST", &path, &token, &body);
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
        let text = String::from_utf8_lossy(&answer);
        let id = text
            .split("\"id\":")
            .nth(1)
            .and_then(|rest| rest.split([',', '}']).next())
            .and_then(|id| id.trim().parse::<i64>().ok())
            .unwrap();
        ids.push(id);
    }
    println!(
        "setup: {runs} runs uploaded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for file in ["redis/redis.conf", "nginx/nginx.conf"] {
        let body = std::fs::read(fixtures.join("audit").join(file)).unwrap();
        let name = Path::new(file).file_name().unwrap().to_string_lossy();
        let (status, answer, _) = http(
            &addr,
            "POST",
            &format!("/api/v1/projects/bench/evidence?filename={name}"),
            &token,
            &body,
        );
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    }

    let session = sign_in(&addr, PASSWORD);

    // The overview: warm-up, then the median of timed requests.
    let overview = "/projects/bench";
    for _ in 0..5 {
        http(&addr, "GET", overview, &session, &[]);
    }
    let mut times: Vec<f64> = (0..50)
        .map(|_| {
            let (status, _, took) = http(&addr, "GET", overview, &session, &[]);
            assert_eq!(status, 200);
            took.as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "overview with {runs} runs: median {median:.1} ms, p90 {:.1} ms, min {:.1} ms, max {:.1} ms over {} warm requests (budget {BUDGET_RENDER_MS} ms median: {})",
        times[times.len() * 9 / 10],
        times[0],
        times[times.len() - 1],
        times.len(),
        verdict(median < BUDGET_RENDER_MS)
    );

    // Every page's HTML.
    let first = ids[1];
    let raw_a = ids[0];
    let raw_b = ids[10.min(ids.len() - 1)];
    let pages = [
        "/".to_owned(),
        overview.to_owned(),
        "/projects/bench/runs".to_owned(),
        "/projects/bench/runs?page=10".to_owned(),
        format!("/runs/{first}"),
        format!("/runs/{raw_a}"),
        format!("/projects/bench/compare?baseline={raw_a}&candidate={raw_b}"),
        "/projects/bench/evidence".to_owned(),
        "/projects/bench/audit".to_owned(),
        "/projects/bench/upload".to_owned(),
        "/projects/bench/targets".to_owned(),
        "/projects/bench/host".to_owned(),
        "/projects/bench/access".to_owned(),
        "/admin/log".to_owned(),
    ];
    let mut all_within = true;
    for page in &pages {
        let (status, html, took) = http(&addr, "GET", page, &session, &[]);
        assert_eq!(status, 200, "{page}");
        all_within &= html.len() <= BUDGET_HTML;
        println!(
            "  {page:<58} {:>7.1} KB HTML in {:>6.1} ms",
            html.len() as f64 / 1024.0,
            took.as_secs_f64() * 1000.0
        );
    }
    println!(
        "every page's HTML under {} KB: {}",
        BUDGET_HTML / 1024,
        verdict(all_within)
    );
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

fn verdict(ok: bool) -> &'static str {
    if ok { "within" } else { "OVER" }
}

/// The size the server sends: the `.gz` file beside it (written by
/// `cargo xtask build`), else the file gzipped at the same level now.
fn gzipped(path: &Path) -> u64 {
    let mut gz = path.as_os_str().to_owned();
    gz.push(".gz");
    if let Ok(meta) = std::fs::metadata(&gz) {
        return meta.len();
    }
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout.len() as u64
}

/// Signs the admin in and returns the session cookie's `name=value`.
fn sign_in(addr: &str, password: &str) -> String {
    let body = format!("{{\"name\": \"admin\", \"password\": \"{password}\"}}");
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /api/v1/session HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie:")
                .then(|| l[11..].trim().to_owned())
        })
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .unwrap_or_else(|| panic!("sign-in refused: {answer}"))
}

/// One HTTP/1.1 request on a fresh connection; the status, the body, and
/// the time from sending to the last byte.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    credentials: &str,
    body: &[u8],
) -> (u16, Vec<u8>, Duration) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let auth = if credentials.is_empty() {
        String::new()
    } else if credentials.starts_with("rdy_session=") {
        format!("Cookie: {credentials}\r\n")
    } else {
        format!("Authorization: Bearer {credentials}\r\n")
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let started = Instant::now();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let took = started.elapsed();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body, took)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}
