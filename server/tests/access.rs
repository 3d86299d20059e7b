//! Every route walked by everyone who might ask: anonymous, a viewer, a
//! maintainer and an admin of the project, and a token of another project.
//! Each answer is checked against what that one may do, then the security
//! headers, the cross-site check, the rate limits and the audit log.

mod common;

use common::{TestServer, fixture};
use readiness_app::{access_fns as af, server_fns as sf};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// What an answer should be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// Any 2xx (a repeated upload answers 200 with the run it has).
    Ok,
    SignIn,
    Forbidden,
    NotFound,
}

use Want::{Forbidden as F, NotFound as N, Ok as A, SignIn as S};

impl Want {
    fn accepts(self, status: StatusCode) -> bool {
        match self {
            Want::Ok => status.is_success(),
            Want::SignIn => status == StatusCode::UNAUTHORIZED,
            Want::Forbidden => status == StatusCode::FORBIDDEN,
            Want::NotFound => status == StatusCode::NOT_FOUND,
        }
    }
}

/// Who asks, in the order of each row's answers.
const WHO: [&str; 5] = ["anonymous", "viewer", "maintainer", "admin", "other token"];

struct Route {
    method: Method,
    path: String,
    body: Option<Body>,
    /// anonymous, viewer, maintainer, admin, another project's token.
    want: [Want; 5],
}

#[derive(Clone)]
enum Body {
    Json(Value),
    Bytes(Vec<u8>),
    /// A server function's arguments, as the browser's forms send them.
    Form(&'static str),
}

/// The path a server function answers on.
fn server_fn<F: leptos::server_fn::ServerFn>() -> String {
    F::PATH.to_owned()
}

fn route(method: Method, path: &str, body: Option<Body>, want: [Want; 5]) -> Route {
    Route {
        method,
        path: path.to_owned(),
        body,
        want,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_each_role_as_it_should() {
    let server = TestServer::start();
    let token = server.project_with_token("alpha");
    let other_token = server.project_with_token("beta");
    for (name, role) in [("viewer", "viewer"), ("maintainer", "maintainer")] {
        server.add_user(name, &[]);
        let out = server.cli(&["user", "role", name, "--project", "alpha", "--role", role]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let summary = fixture("k6/k6-reporter-handlesummary-simple.json");
    let res = server
        .upload(
            "alpha",
            &token,
            "scenario=sustained&commit=abc",
            summary.clone(),
        )
        .await;
    assert_eq!(res.status(), 201);
    let run: i64 = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = server
        .http
        .post(format!(
            "{}/api/v1/projects/alpha/evidence?filename=redis.conf",
            server.url
        ))
        .bearer_auth(&token)
        .body(fixture("audit/redis/redis.conf"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let evidence: i64 = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let targets = Body::Json(json!({"targets": ["p95 < 500ms"]}));
    let host = Body::Json(
        json!({"servers": [{"name": "app1", "roles": ["web"], "ram_bytes": 1u64 << 30, "cpus": 2}]}),
    );
    let exemption =
        Body::Json(json!({"reason": "accepted for this test", "expires_on": "2099-01-01"}));
    let upload = Body::Json(json!({"files": [{"name": "summary.json", "size": 10}]}));
    let get = Method::GET;
    let (post, put, delete) = (Method::POST, Method::PUT, Method::DELETE);
    let routes = vec![
        // The API.
        route(get.clone(), "/api/v1/health", None, [A, A, A, A, A]),
        route(get.clone(), "/api/v1/session", None, [A, A, A, A, A]),
        route(
            get.clone(),
            "/api/v1/projects/alpha/runs",
            None,
            [S, A, A, A, F],
        ),
        route(
            post.clone(),
            "/api/v1/projects/alpha/runs",
            Some(Body::Bytes(summary.clone())),
            [S, F, A, A, F],
        ),
        route(
            get.clone(),
            "/api/v1/projects/alpha/targets",
            None,
            [S, A, A, A, F],
        ),
        route(
            put.clone(),
            "/api/v1/projects/alpha/targets",
            Some(targets.clone()),
            [S, F, A, A, F],
        ),
        route(
            get.clone(),
            "/api/v1/projects/alpha/evidence",
            None,
            [S, A, A, A, F],
        ),
        route(
            post.clone(),
            "/api/v1/projects/alpha/evidence",
            Some(Body::Bytes(fixture("audit/redis/redis.conf"))),
            [S, F, A, A, F],
        ),
        route(
            get.clone(),
            "/api/v1/projects/alpha/audit",
            None,
            [S, A, A, A, F],
        ),
        route(
            get.clone(),
            "/api/v1/projects/alpha/host",
            None,
            [S, A, A, A, F],
        ),
        route(
            put.clone(),
            "/api/v1/projects/alpha/host",
            Some(host.clone()),
            [S, F, A, A, F],
        ),
        route(
            put.clone(),
            "/api/v1/projects/alpha/exemptions/redis.maxmemory",
            Some(exemption.clone()),
            [S, F, A, A, F],
        ),
        // The maintainer removes it; the admin then finds none to remove.
        route(
            delete.clone(),
            "/api/v1/projects/alpha/exemptions/redis.maxmemory",
            None,
            [S, F, A, N, F],
        ),
        route(
            get.clone(),
            "/api/v1/projects/alpha/assessment",
            None,
            [S, A, A, A, F],
        ),
        route(
            get.clone(),
            &format!("/api/v1/runs/{run}"),
            None,
            [S, A, A, A, F],
        ),
        route(
            get.clone(),
            &format!("/api/v1/runs/{run}/compare/{run}"),
            None,
            [S, A, A, A, F],
        ),
        route(
            get.clone(),
            &format!("/api/v1/runs/{run}/artifact"),
            None,
            [S, A, A, A, F],
        ),
        route(
            get.clone(),
            &format!("/api/v1/evidence/{evidence}/artifact"),
            None,
            [S, A, A, A, F],
        ),
        // Things that are not there: nobody learns more than "sign in" or
        // "not found", and a token of another project is not told either.
        route(get.clone(), "/api/v1/runs/999999", None, [S, N, N, N, N]),
        route(
            get.clone(),
            "/api/v1/evidence/999999/artifact",
            None,
            [S, N, N, N, N],
        ),
        route(
            get.clone(),
            "/api/v1/projects/nope/runs",
            None,
            [S, N, N, N, N],
        ),
        route(get.clone(), "/api/v1/no/such/route", None, [N, N, N, N, N]),
        // Certificates and claims; issuing renders a PDF, so two are issued.
        route(get.clone(), "/api/v1/signing-key", None, [A, A, A, A, A]),
        route(
            post.clone(),
            "/api/v1/projects/alpha/certificates?commit=abc",
            None,
            [S, F, A, A, F],
        ),
        route(
            get.clone(),
            "/api/v1/projects/alpha/certificates",
            None,
            [S, A, A, A, F],
        ),
        route(
            get.clone(),
            "/api/v1/projects/alpha/certificates/1",
            None,
            [S, A, A, A, F],
        ),
        route(
            get.clone(),
            "/api/v1/projects/alpha/certificates/1/pdf",
            None,
            [S, A, A, A, F],
        ),
        route(
            get.clone(),
            "/api/v1/projects/alpha/certificates/9",
            None,
            [S, N, N, N, F],
        ),
        route(
            post.clone(),
            "/api/v1/projects/alpha/claims",
            Some(Body::Bytes(
                b"| Metric | Target |\n|---|---|\n| p95 Response Time | < 500ms |\n".to_vec(),
            )),
            [S, F, A, A, F],
        ),
        route(
            get.clone(),
            "/api/v1/projects/alpha/claims",
            None,
            [S, A, A, A, F],
        ),
        route(
            get.clone(),
            "/projects/alpha/certificates",
            None,
            [S, A, A, A, F],
        ),
        route(
            get.clone(),
            "/projects/alpha/certificates/1",
            None,
            [S, A, A, A, F],
        ),
        // Browser uploads.
        route(
            post.clone(),
            "/ui/projects/alpha/uploads",
            Some(upload.clone()),
            [S, F, A, A, F],
        ),
        // Server functions, which the pages call.
        route(
            post.clone(),
            &server_fn::<sf::LoadProject>(),
            Some(Body::Form("slug=alpha")),
            [S, A, A, A, F],
        ),
        route(
            post.clone(),
            &server_fn::<sf::SaveTargets>(),
            Some(Body::Form("slug=alpha&targets=p95+%3C+1s&max_age_days=14")),
            [S, F, A, A, F],
        ),
        route(
            post.clone(),
            &server_fn::<sf::CreateToken>(),
            Some(Body::Form("slug=alpha&scope=read")),
            [S, F, F, A, F],
        ),
        route(
            post.clone(),
            &server_fn::<sf::CreateProject>(),
            Some(Body::Form("slug=gamma&name=Gamma")),
            [S, F, F, A, F],
        ),
        route(
            post.clone(),
            &server_fn::<af::LoadUsers>(),
            Some(Body::Form("")),
            [S, F, F, A, F],
        ),
        route(
            post.clone(),
            &server_fn::<af::LoadLog>(),
            Some(Body::Form("")),
            [S, F, F, A, F],
        ),
        route(
            post.clone(),
            &server_fn::<af::SetVisibility>(),
            Some(Body::Form("slug=alpha&public=private")),
            [S, F, F, A, F],
        ),
        // Pages.
        route(get.clone(), "/", None, [A, A, A, A, A]),
        route(get.clone(), "/login", None, [A, A, A, A, A]),
        route(get.clone(), "/projects/alpha", None, [S, A, A, A, F]),
        route(get.clone(), "/projects/alpha/runs", None, [S, A, A, A, F]),
        route(
            get.clone(),
            "/projects/alpha/evidence",
            None,
            [S, A, A, A, F],
        ),
        route(get.clone(), "/projects/alpha/audit", None, [S, A, A, A, F]),
        route(
            get.clone(),
            "/projects/alpha/targets",
            None,
            [S, A, A, A, F],
        ),
        route(get.clone(), "/projects/alpha/host", None, [S, A, A, A, F]),
        route(
            get.clone(),
            "/projects/alpha/compare",
            None,
            [S, A, A, A, F],
        ),
        route(get.clone(), "/projects/alpha/upload", None, [S, F, A, A, F]),
        // Members read who may do what; only admins see tokens and change it.
        route(get.clone(), "/projects/alpha/access", None, [S, A, A, A, F]),
        route(get.clone(), &format!("/runs/{run}"), None, [S, A, A, A, F]),
        route(get.clone(), "/admin/users", None, [S, F, F, A, F]),
        route(get.clone(), "/admin/log", None, [S, F, F, A, F]),
        route(get.clone(), "/projects/nope", None, [S, N, N, N, N]),
    ];

    let anon = server.anon.clone();
    let viewer = server.session_client("viewer");
    let maintainer = server.session_client("maintainer");
    let admin = server.http.clone();
    let mut wrong = Vec::new();
    let mut asked = 0;
    for r in &routes {
        for (i, who) in WHO.iter().enumerate() {
            let client = match i {
                0 | 4 => &anon,
                1 => &viewer,
                2 => &maintainer,
                _ => &admin,
            };
            let mut request = client.request(r.method.clone(), format!("{}{}", server.url, r.path));
            if i == 4 {
                request = request.bearer_auth(&other_token);
            }
            request = match &r.body {
                Some(Body::Json(v)) => request.json(v),
                Some(Body::Bytes(b)) => request.body(b.clone()),
                Some(Body::Form(f)) => request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(*f),
                None => request,
            };
            let res = request.send().await.unwrap();
            let status = res.status();
            asked += 1;
            if !r.want[i].accepts(status) {
                let text = res.text().await.unwrap_or_default();
                wrong.push(format!(
                    "{} {} as {who}: {status}, expected {:?}: {}",
                    r.method,
                    r.path,
                    r.want[i],
                    text.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {asked} answers are wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn tokens_keep_to_their_scope_and_revoked_ones_stop_working() {
    let server = TestServer::start();
    let upload = server.project_with_token("alpha");
    let out = server.cli(&["token", "create", "--project", "alpha", "--scope", "read"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let body = fixture("k6/k6-reporter-handlesummary-simple.json");

    let res = server.upload("alpha", &read, "", body.clone()).await;
    assert_eq!(res.status(), 403);
    let text = res.text().await.unwrap();
    assert!(text.contains("may only read"), "{text}");
    let res = server
        .anon
        .get(format!("{}/api/v1/projects/alpha/runs", server.url))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        server
            .upload("alpha", &upload, "", body.clone())
            .await
            .status(),
        201
    );

    // Listed with its creation and last use, then revoked from the CLI.
    let out = server.cli(&["token", "list", "--project", "alpha"]);
    let list = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        list.lines().filter(|l| l.contains("rdy_")).count(),
        2,
        "{list}"
    );
    let hint = &upload[..10];
    let id = list
        .lines()
        .find(|l| l.contains(hint))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no line for {hint} in {list}"))
        .to_owned();
    assert!(
        !list.contains(&upload),
        "the secret itself is never shown again"
    );
    let out = server.cli(&["token", "revoke", "--project", "alpha", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = server.upload("alpha", &upload, "", body).await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn answers_carry_the_security_headers() {
    let server = TestServer::start();
    server.project_with_token("alpha");
    for path in [
        "/",
        "/projects/alpha",
        "/api/v1/health",
        "/api/v1/projects/alpha/runs",
    ] {
        let res = server.get(path).await;
        let headers = res.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "{path}: plain HTTP"
        );
    }
    // Behind a TLS proxy, the cookie is Secure and HSTS is sent.
    let res = server
        .anon
        .post(format!("{}/api/v1/session", server.url))
        .header("x-forwarded-proto", "https")
        .json(&json!({"name": "admin", "password": common::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("strict-transport-security"));
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    for part in [
        "rdy_session=",
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
        "Expires=",
    ] {
        assert!(cookie.contains(part), "{part} missing in {cookie}");
    }
}

#[tokio::test]
async fn cross_site_changes_with_the_cookie_are_refused() {
    let server = TestServer::start();
    server.project_with_token("alpha");
    let cookie = common::sign_in(&server.url, "admin");
    let put = |site: Option<&'static str>, origin: Option<String>| {
        let mut request = server
            .anon
            .put(format!("{}/api/v1/projects/alpha/targets", server.url))
            .header("cookie", cookie.clone())
            .json(&json!({"targets": ["p95 < 9s"]}));
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    for (site, origin) in [
        (Some("cross-site"), None),
        (Some("same-site"), None),
        (None, Some("https://evil.example".to_owned())),
        (None, None),
    ] {
        let res = put(site, origin.clone()).await.unwrap();
        assert_eq!(res.status(), 403, "{site:?} {origin:?}");
    }
    let targets: Value = server
        .get("/api/v1/projects/alpha/targets")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(targets["targets"].as_array().unwrap().len(), 7, "unchanged");
    let res = put(Some("same-origin"), None).await.unwrap();
    assert_eq!(res.status(), 200);
    let res = put(None, Some(server.url.clone())).await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn sign_in_and_uploads_are_rate_limited_with_retry_after() {
    let server = TestServer::start();
    let token = server.project_with_token("alpha");
    let mut refused = None;
    for attempt in 0..20 {
        let res = server
            .anon
            .post(format!("{}/api/v1/session", server.url))
            .json(&json!({"name": "admin", "password": "wrong wrong wrong"}))
            .send()
            .await
            .unwrap();
        match res.status().as_u16() {
            401 => {}
            429 => {
                refused = Some((
                    attempt,
                    res.headers()["retry-after"].to_str().unwrap().to_owned(),
                ));
                break;
            }
            other => panic!("attempt {attempt}: {other}"),
        }
    }
    let (attempt, retry) = refused.expect("twenty wrong passwords in a row are never slowed down");
    assert!(attempt >= 5, "refused too early, at attempt {attempt}");
    assert!(retry.parse::<u64>().unwrap() >= 1, "Retry-After: {retry}");
    // Even the right password waits now: the limit is on the name and client.
    let res = server
        .anon
        .post(format!("{}/api/v1/session", server.url))
        .json(&json!({"name": "admin", "password": common::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);

    // Uploads: a burst goes through, then a token is slowed down; nothing
    // refused was stored.
    let mut statuses = Vec::new();
    for i in 0..200 {
        let body = format!("{{\"metrics\": {{}}, \"n\": {i}}}").into_bytes();
        let res = server.upload("alpha", &token, "", body).await;
        let status = res.status().as_u16();
        if status == 429 {
            assert!(res.headers().contains_key("retry-after"));
        }
        statuses.push(status);
        if status == 429 {
            break;
        }
    }
    assert_eq!(
        statuses.last(),
        Some(&429),
        "200 uploads in a burst were never slowed down"
    );
    assert!(statuses.len() > 10, "{statuses:?}");
}

#[tokio::test]
async fn the_audit_log_records_who_did_what() {
    let server = TestServer::start();
    let token = server.project_with_token("alpha");
    let res = server
        .upload(
            "alpha",
            &token,
            "scenario=sustained",
            fixture("k6/k6-reporter-handlesummary-simple.json"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = server
        .http
        .put(format!("{}/api/v1/projects/alpha/targets", server.url))
        .json(&json!({"targets": ["p95 < 400ms"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let out = server.cli(&["token", "create", "--project", "alpha", "--scope", "read"]);
    assert!(out.status.success());
    assert_eq!(
        server
            .anon
            .get(format!("{}/admin/log", server.url))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Admins read it in the browser; nobody else does.
    let res = server.get("/admin/log").await;
    assert_eq!(res.status(), 200);
    let log = res.text().await.unwrap();
    for needle in [
        "upload.run",
        "targets.set",
        "token.create",
        "session.start",
        "user.add",
        "admin",
    ] {
        assert!(
            log.contains(needle),
            "{needle} missing from the log:\n{log}"
        );
    }
}
