//! Test helpers: the real `readiness` binary, serving on port 0 with a fresh
//! SQLite file, and the CLI run against the same file.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_readiness");

pub fn fixture(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// A running server with its own database; killed when dropped.
pub struct TestServer {
    pub url: String,
    pub dir: tempfile::TempDir,
    child: Child,
    pub http: reqwest::Client,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("readiness.db");
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--db"])
            .arg(&db)
            .args(["--site"])
            .arg(dir.path().join("site"))
            .args(extra)
            .env("READINESS_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start readiness serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("readiness listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        TestServer {
            url,
            dir,
            child,
            http: reqwest::Client::new(),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("readiness.db")
    }

    /// Runs a CLI command against this server's database.
    pub fn cli(&self, args: &[&str]) -> Output {
        cli(&self.db(), args)
    }

    /// Creates a project and returns a token for it, through the CLI.
    pub fn project_with_token(&self, slug: &str) -> String {
        let out = self.cli(&["project", "create", slug, "--name", &format!("{slug} API")]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = self.cli(&["token", "create", "--project", slug]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            token.lines().count(),
            1,
            "one line, nothing else: {token:?}"
        );
        token.trim().to_owned()
    }

    pub async fn upload(
        &self,
        slug: &str,
        token: &str,
        query: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/projects/{slug}/runs?{query}", self.url))
            .bearer_auth(token)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    pub async fn run_count(&self, slug: &str) -> usize {
        let list: serde_json::Value = self
            .get(&format!("/api/v1/projects/{slug}/runs"))
            .await
            .json()
            .await
            .unwrap();
        list["runs"].as_array().unwrap().len()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn cli(db: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .expect("run readiness")
}
