//! Server memory and time for a large upload: a 1 GB k6 `--out json` file
//! sent over HTTP (streamed by curl from disk), plain and gzip-encoded,
//! with the server's peak RSS read from /proc.
//!
//! Usage: `cargo run --release -p readiness-bench --bin upload_ndjson [MB]`
//! after `cargo build --release -p readiness-server`.

use readiness_bench::{mb, peak_rss_of, write_k6_ndjson};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    let megabytes: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let binary = root.join("target/release/readiness");
    assert!(
        binary.is_file(),
        "build it first: cargo build --release -p readiness-server"
    );
    let dir = std::env::temp_dir().join("readiness-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join(format!("k6-{megabytes}mb.ndjson"));
    if !input.is_file() {
        eprintln!("generating {}", input.display());
        write_k6_ndjson(&input, megabytes * 1_000_000).unwrap();
    }
    let gz = dir.join(format!("k6-{megabytes}mb.ndjson.gz"));
    if !gz.is_file() {
        eprintln!("compressing {}", gz.display());
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("gzip -1 -c {} > {}", input.display(), gz.display()))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let bytes = std::fs::metadata(&input).unwrap().len();

    let data = tempfile_dir(&dir);
    let db = data.join("readiness.db");
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
    cli(&["project", "create", "bench"]);
    let token = cli(&["token", "create", "--project", "bench"]);
    let mut server = Command::new(&binary)
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("READINESS_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("readiness listening on ")
        .unwrap()
        .to_owned();
    let pid = server.id();
    let rss_idle = peak_rss_of(pid).unwrap();

    for (label, file, encoding) in [("plain", &input, None), ("gzip-encoded", &gz, Some("gzip"))] {
        let sent = std::fs::metadata(file).unwrap().len();
        // The gzip body decodes to the same bytes as the plain one, which a
        // project would find as a duplicate; a second project avoids that.
        let (project, token) = match encoding {
            None => ("bench", token.clone()),
            Some(_) => {
                cli(&["project", "create", "bench-gz"]);
                (
                    "bench-gz",
                    cli(&["token", "create", "--project", "bench-gz"]),
                )
            }
        };
        let mut curl = Command::new("curl");
        curl.args(["-sS", "-X", "POST", "-T"])
            .arg(file)
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .args(["-H", "Content-Type: application/x-ndjson"])
            .args(["-o", "/dev/null", "-w", "%{http_code}"]);
        if let Some(encoding) = encoding {
            curl.args(["-H", &format!("Content-Encoding: {encoding}")]);
        }
        let started = Instant::now();
        let out = curl
            .arg(format!(
                "{url}/api/v1/projects/{project}/runs?scenario=sustained"
            ))
            .output()
            .unwrap();
        let wall = started.elapsed().as_secs_f64();
        let status = String::from_utf8_lossy(&out.stdout).to_string();
        println!(
            "upload {label}: {:.0} MB sent ({:.0} MB of NDJSON) in {wall:.2} s = {:.0} MB/s of NDJSON, status {status}, server peak RSS {:.0} MB (idle {:.0} MB)",
            mb(sent),
            mb(bytes),
            mb(bytes) / wall,
            mb(peak_rss_of(pid).unwrap()),
            mb(rss_idle)
        );
    }
    let db_size = std::fs::metadata(&db).unwrap().len()
        + std::fs::metadata(db.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!("database after both uploads: {:.0} MB", mb(db_size));
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&data);
}

fn tempfile_dir(base: &std::path::Path) -> PathBuf {
    let dir = base.join(format!("server-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
