//! Test helpers: the real `readiness` binary, serving on port 0 with a fresh
//! SQLite file, and the CLI run against the same file.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_readiness");

pub fn fixture(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The password every test user gets.
pub const PASSWORD: &str = "a long test password";

/// A running server with its own database; killed when dropped.
///
/// `http` is signed in as the admin `admin` (created through the CLI), so
/// tests about ingest and assessment read private projects; requests with a
/// bearer token are the token's, whatever cookie they carry. `anon` has no
/// credentials at all.
pub struct TestServer {
    pub url: String,
    pub dir: tempfile::TempDir,
    child: Child,
    pub http: reqwest::Client,
    pub anon: reqwest::Client,
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
        let mut server = TestServer {
            url,
            dir,
            child,
            http: reqwest::Client::new(),
            anon: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
        };
        server.add_user("admin", &["--admin"]);
        server.http = server.session_client("admin");
        server
    }

    /// Adds a user through the CLI, password on standard input.
    pub fn add_user(&self, name: &str, flags: &[&str]) {
        add_user(&self.db(), name, flags);
    }

    /// A client signed in as `name`, sending the Origin a browser would.
    pub fn session_client(&self, name: &str) -> reqwest::Client {
        session_client(&self.url, name)
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

/// Starts `readiness serve` on port 0 over `db`, with its stderr appended to
/// `stderr_log` and logging at `level`; returns the child and its URL.
pub fn spawn_server(db: &Path, site: &Path, level: &str, stderr_log: &Path) -> (Child, String) {
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(stderr_log)
        .unwrap_or_else(|e| panic!("{}: {e}", stderr_log.display()));
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .arg("--site")
        .arg(site)
        .env("READINESS_LOG", level)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .spawn()
        .expect("start readiness serve");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let Some(url) = line.trim().strip_prefix("readiness listening on ") else {
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(stderr_log).unwrap_or_default();
        panic!("unexpected first line: {line:?}; stderr:\n{log}");
    };
    (child, url.to_owned())
}

/// A server whose database outlives it: it can be killed with SIGKILL and
/// started again on the same file, and everything it wrote to stderr, over
/// every start, is kept in a file. Killed when dropped.
pub struct RestartableServer {
    pub url: String,
    /// Holds the server's log and site folder (and the database, unless it
    /// was given).
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    /// The token `get` reads with (projects are private).
    pub token: Option<String>,
    db: PathBuf,
    level: String,
    child: Option<Child>,
}

impl RestartableServer {
    /// A server on a fresh database, logging at `level` (`warn`, `error`).
    pub fn start(level: &str) -> RestartableServer {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("readiness.db");
        RestartableServer::start_with_dir(dir, db, level)
    }

    /// A server on an existing database file, such as a restored backup.
    pub fn start_on(db: &Path, level: &str) -> RestartableServer {
        RestartableServer::start_with_dir(tempfile::tempdir().unwrap(), db.to_owned(), level)
    }

    fn start_with_dir(dir: tempfile::TempDir, db: PathBuf, level: &str) -> RestartableServer {
        let mut server = RestartableServer {
            url: String::new(),
            dir,
            http: reqwest::Client::new(),
            token: None,
            db,
            level: level.to_owned(),
            child: None,
        };
        server.restart();
        server
    }

    pub fn db(&self) -> PathBuf {
        self.db.clone()
    }

    pub fn stderr_path(&self) -> PathBuf {
        self.dir.path().join("server-stderr.log")
    }

    /// Everything the server wrote to stderr so far, over all its starts.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr_path()).unwrap_or_default()
    }

    /// Kills the server with SIGKILL (no shutdown, no flush) and waits for
    /// it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // `Child::kill` sends SIGKILL on Unix.
            child.kill().expect("SIGKILL the server");
            let status = child.wait().unwrap();
            assert!(!status.success(), "the server was killed: {status:?}");
        }
    }

    /// Starts the server (again) on the same database; it gets a new port.
    pub fn restart(&mut self) {
        self.kill();
        let (child, url) = spawn_server(
            &self.db,
            &self.dir.path().join("site"),
            &self.level,
            &self.stderr_path(),
        );
        self.child = Some(child);
        self.url = url;
    }

    /// Runs a CLI command against this server's database.
    pub fn cli(&self, args: &[&str]) -> Output {
        cli(&self.db, args)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.url));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }
}

impl Drop for RestartableServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Creates a project and a token for it through the CLI, on any database.
pub fn create_project_with_token(db: &Path, slug: &str) -> String {
    let out = cli(
        db,
        &["project", "create", slug, "--name", &format!("{slug} API")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(db, &["token", "create", "--project", slug]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Adds a user through the CLI, password on standard input.
pub fn add_user(db: &Path, name: &str, flags: &[&str]) {
    let mut child = Command::new(BIN)
        .args(["user", "add", name])
        .args(flags)
        .arg("--db")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run readiness user add");
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs `name` in (over a plain socket, so it works outside a runtime)
/// and returns the session cookie's `name=value`.
pub fn sign_in(url: &str, name: &str) -> String {
    let host = url.strip_prefix("http://").unwrap();
    let body = serde_json::json!({"name": name, "password": PASSWORD}).to_string();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST /api/v1/session HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "sign-in refused: {answer}"
    );
    answer
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie: {answer}"))
        .to_owned()
}

/// A client signed in as `name`, sending the Origin a browser would.
pub fn session_client(url: &str, name: &str) -> reqwest::Client {
    let cookie = sign_in(url, name);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
    headers.insert(reqwest::header::ORIGIN, url.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        // A refused upload is answered before its body is read, and the
        // server then closes that connection; a pooled client could send
        // its next request on it. Tests want each answer, not that race.
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}
