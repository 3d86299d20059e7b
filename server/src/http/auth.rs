//! Who is asking, and the guards every request passes:
//!
//! - [`identify`] reads a bearer token or the session cookie and puts the
//!   [`Principal`] in the request's extensions, where API handlers and
//!   server functions find it. A bearer token that is not valid is refused
//!   at once rather than treated as anonymous.
//! - [`same_origin`] refuses state-changing requests made with the session
//!   cookie from another site (cross-site request forgery): the browser's
//!   `Sec-Fetch-Site` or `Origin` must name this site. Requests with a
//!   bearer token carry no cookie and need no such check. The cookie is
//!   also `SameSite=Lax`.
//! - [`security_headers`] adds a Content-Security-Policy that allows this
//!   site's scripts, the WASM (`wasm-unsafe-eval`) and the page's own inline
//!   hydration script (by nonce), and nothing else; and the usual headers
//!   against sniffing, framing and referrer leaks.
//! - [`RateLimits`] keeps a token bucket per client address and per token
//!   for sign-in and uploads, answering 429 with `Retry-After`.

use super::AppState;
use super::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use readiness_core::access::Principal;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "rdy_session";

/// The session secret in a request's cookies, if any.
pub fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn bearer(headers: &HeaderMap) -> Option<Result<String, ApiError>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|v| v.trim().to_owned())
            .ok_or_else(|| {
                ApiError::unauthorized("malformed Authorization header: expected `Bearer <token>`")
            }),
    )
}

/// Finds who is asking; see the module doc.
pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let principal = match principal_of(&state, request.headers()).await {
        Ok(p) => p,
        Err(err) => return err.into_response(),
    };
    request.extensions_mut().insert(principal);
    next.run(request).await
}

async fn principal_of(state: &AppState, headers: &HeaderMap) -> ApiResult<Principal> {
    if let Some(token) = bearer(headers) {
        let token = token?;
        let owner = state
            .store
            .authenticate_token(&token)
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("the API token is not valid (unknown or revoked)")
            })?;
        if let Err(err) = state.store.touch_token(owner.token_id).await {
            // Recording last use is bookkeeping; the request must not fail on it.
            tracing::warn!(error = %err, "cannot record token use");
        }
        return Ok(owner.principal());
    }
    if let Some(secret) = session_secret(headers)
        && let Some(user) = state.store.session_user(&secret).await?
    {
        return Ok(user);
    }
    Ok(Principal::Anonymous)
}

/// Refuses cross-site state changes made with the session cookie.
pub async fn same_origin(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let headers = request.headers();
    if unsafe_method && session_secret(headers).is_some() && bearer(headers).is_none() {
        let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let origin_ok = || {
            let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            match (origin, host) {
                (Some(origin), Some(host)) => origin
                    .split_once("://")
                    .is_some_and(|(_, rest)| rest == host),
                _ => false,
            }
        };
        let allowed = match site {
            Some("same-origin") | Some("none") => true,
            Some(_) => false,
            None => origin_ok(),
        };
        if !allowed {
            return ApiError::forbidden(
                "cross-site request refused: changes must come from Readiness's own pages",
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// Adds the security headers. Pages set their own CSP, with the nonce of
/// their inline script; every other answer gets the same policy without one.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let https = request
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|v| v == "https");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(csp) = HeaderValue::from_str(&readiness_app::content_security_policy(None))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    let pairs: [(&str, String); 5] = [
        ("x-content-type-options", "nosniff".to_owned()),
        ("x-frame-options", "DENY".to_owned()),
        ("referrer-policy", "same-origin".to_owned()),
        ("cross-origin-opener-policy", "same-origin".to_owned()),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=()".to_owned(),
        ),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// Token buckets by key: `capacity` requests at once, refilled at
/// `per_second`.
#[derive(Debug)]
pub struct RateLimits {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    pub login: Limit,
    pub upload: Limit,
}

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub capacity: f64,
    pub per_second: f64,
}

impl RateLimits {
    /// The default limits with another upload limit (`serve`'s flags).
    pub fn with_upload(upload: Limit) -> RateLimits {
        RateLimits {
            upload,
            ..RateLimits::default()
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            buckets: Mutex::default(),
            // Ten attempts, then one every six seconds.
            login: Limit {
                capacity: 10.0,
                per_second: 1.0 / 6.0,
            },
            // A burst of 120 uploads, then 4 a second: CI sends many files
            // at once, a flood does not get through.
            upload: Limit {
                capacity: 120.0,
                per_second: 4.0,
            },
        }
    }
}

impl RateLimits {
    /// Takes one request from `key`'s bucket, or says how long to wait.
    pub fn take(&self, key: &str, limit: Limit) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if buckets.len() > 100_000 {
            // Forget full buckets rather than grow without bound.
            buckets.retain(|_, (tokens, at)| {
                *tokens + at.elapsed().as_secs_f64() * limit.per_second < limit.capacity
            });
        }
        let (tokens, at) = buckets
            .entry(key.to_owned())
            .or_insert((limit.capacity, now));
        let refilled = (*tokens + now.duration_since(*at).as_secs_f64() * limit.per_second)
            .min(limit.capacity);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            Err(Duration::from_secs_f64(
                ((1.0 - refilled) / limit.per_second).max(1.0),
            ))
        }
    }
}

/// The 429 answer.
pub fn too_many(wait: Duration, what: &str) -> ApiError {
    let seconds = wait.as_secs().max(1);
    let mut err = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many {what}; try again in {seconds} s"),
    );
    err.retry_after = Some(seconds);
    err
}

/// The client's address, as the connection says.
pub fn client(request_extensions: &axum::http::Extensions) -> IpAddr {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// Rate-limits uploads per token (or per client without one).
pub async fn upload_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() == Method::POST || request.method() == Method::PUT {
        let key = match request.extensions().get::<Principal>() {
            Some(Principal::Token { id, .. }) => format!("upload:token:{id}"),
            _ => format!("upload:ip:{}", client(request.extensions())),
        };
        if let Err(wait) = state.limits.take(&key, state.limits.upload) {
            return too_many(wait, "uploads").into_response();
        }
    }
    next.run(request).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub name: String,
    pub password: String,
}

/// Checks a name and password (rate-limited per client and per name) and
/// starts a session; the cookie to set with it.
pub async fn sign_in(
    state: &AppState,
    client: IpAddr,
    https: bool,
    credentials: Credentials,
) -> ApiResult<(Principal, HeaderValue)> {
    for key in [
        format!("login:ip:{client}"),
        format!("login:name:{}", credentials.name),
    ] {
        if let Err(wait) = state.limits.take(&key, state.limits.login) {
            return Err(too_many(wait, "sign-in attempts"));
        }
    }
    let candidate = state.store.login_candidate(&credentials.name).await?;
    let stored = candidate.as_ref().map(|(_, hash)| hash.clone());
    let password = credentials.password;
    let matches = tokio::task::spawn_blocking(move || {
        readiness_store::users::verify_password(&password, stored.as_deref())
    })
    .await
    .map_err(|_| ApiError::internal())?;
    let Some((user, _)) = candidate.filter(|_| matches) else {
        state
            .store
            .record_as(
                &format!("client {client}"),
                "session.refused",
                None,
                &format!("name {}", credentials.name),
            )
            .await?;
        return Err(ApiError::unauthorized("wrong name or password"));
    };
    let Principal::User { id, .. } = &user else {
        return Err(ApiError::internal());
    };
    let (secret, expires) = state.store.create_session(*id).await?;
    state
        .store
        .record(&user, "session.start", None, &format!("from {client}"))
        .await?;
    Ok((user, session_cookie(&secret, Some(expires), https)))
}

/// The Set-Cookie value for a session (or, without a secret, one that
/// clears it).
pub fn session_cookie(
    secret: &str,
    expires: Option<chrono::DateTime<chrono::Utc>>,
    https: bool,
) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    let value = match expires {
        Some(at) => format!(
            "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax{secure}; Expires={}",
            at.format("%a, %d %b %Y %H:%M:%S GMT")
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax{secure}; Max-Age=0"),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether the request reached us over HTTPS (directly or through a proxy
/// that says so), or the public URL is HTTPS.
pub fn is_https(state: &AppState, headers: &HeaderMap) -> bool {
    state
        .config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v == "https")
}

/// `POST /api/v1/session`: sign in with `{"name", "password"}`.
pub async fn post_session(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let credentials: Credentials = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!("the body must be {{\"name\": \"...\", \"password\": \"...\"}}: {e}"),
        )
    })?;
    let (user, cookie) =
        sign_in(&state, addr.ip(), is_https(&state, &headers), credentials).await?;
    let mut response = Json(json!({"user": user})).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// `GET /api/v1/session`: who the request is from.
pub async fn get_session(
    axum::Extension(principal): axum::Extension<Principal>,
) -> Json<serde_json::Value> {
    Json(json!({"principal": principal}))
}

/// `DELETE /api/v1/session`: sign out.
pub async fn delete_session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(secret) = session_secret(&headers) {
        state.store.revoke_session(&secret).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", None, is_https(&state, &headers)),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// Where to go after signing in: a path on this site, never elsewhere.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `POST /login`: the sign-in form of the login page; works without
/// JavaScript. Success goes to `next`, failure back to the form with why.
pub async fn login_form(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let next = local_path(form.next.as_deref());
    let credentials = Credentials {
        name: form.name,
        password: form.password,
    };
    match sign_in(&state, addr.ip(), is_https(&state, &headers), credentials).await {
        Ok((_, cookie)) => {
            let mut response = see_other(&next);
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(err) => {
            let query = serde_urlencoded::to_string([
                ("error", err.message.as_str()),
                ("next", next.as_str()),
            ])
            .unwrap_or_default();
            let mut response = see_other(&format!("/login?{query}"));
            if let Some(seconds) = err.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
    }
}

/// `POST /logout`: ends the session and clears the cookie.
pub async fn logout_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(secret) = session_secret(&headers)
        && let Err(err) = state.store.revoke_session(&secret).await
    {
        return ApiError::from(err).into_response();
    }
    let mut response = see_other("/");
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", None, is_https(&state, &headers)),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_only_sends_people_to_this_site() {
        assert_eq!(local_path(Some("/projects/chom")), "/projects/chom");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(Some("/a\nSet-Cookie: x")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn a_bucket_lets_a_burst_through_then_asks_to_wait() {
        let limits = RateLimits::default();
        let limit = Limit {
            capacity: 3.0,
            per_second: 0.001,
        };
        for _ in 0..3 {
            assert!(limits.take("k", limit).is_ok());
        }
        let wait = limits.take("k", limit).unwrap_err();
        assert!(wait >= Duration::from_secs(1), "{wait:?}");
        // Another key has its own bucket.
        assert!(limits.take("other", limit).is_ok());
    }
}
