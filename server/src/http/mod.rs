//! The HTTP server: the JSON API under `/api/v1`, the Leptos pages and
//! their server functions, and the static browser bundle.

mod api;
mod audit;
pub mod auth;
mod certificates;
mod error;
mod uploads;

use crate::config::ServeConfig;
use anyhow::Context;
use axum::Router;
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{LeptosRoutes, generate_route_list};
use readiness_app::{App, OUTPUT_NAME, shell};
use readiness_store::Store;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<ServeConfig>,
    pub leptos: LeptosOptions,
    /// Browser uploads in progress.
    pub uploads: Arc<uploads::Uploads>,
    /// Sign-in and upload rate limits.
    pub limits: Arc<auth::RateLimits>,
    /// The key certificates are signed with.
    pub signing_key: Arc<readiness_report::SigningKey>,
}

impl AppState {
    /// A fresh folder for one upload's files, beside the database so large
    /// uploads land on the same disk; removed when dropped.
    pub fn work_dir(&self) -> std::io::Result<tempfile::TempDir> {
        let base = match self.config.db.db.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join("tmp"),
            _ => std::path::PathBuf::from("tmp"),
        };
        std::fs::create_dir_all(&base)?;
        tempfile::Builder::new().prefix("upload-").tempdir_in(base)
    }

    pub fn limits(&self) -> crate::evidence::Limits {
        crate::evidence::Limits {
            max_expanded: self.config.max_expanded,
            max_files: crate::evidence::Limits::default().max_files,
        }
    }
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// The whole application as a router, ready to serve.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let leptos = state.leptos.clone();
    let store = state.store.clone();
    let public_key = state.signing_key.public_key_hex();
    Router::new()
        .nest("/api/v1", api::router(state.clone()))
        .nest("/ui", uploads::router(state.clone()))
        .route("/login", axum::routing::post(auth::login_form))
        .route("/logout", axum::routing::post(auth::logout_form))
        // The browser's certificate forms and the printable certificate.
        .route(
            "/projects/{project}/certificates/issue",
            axum::routing::post(certificates::issue_form),
        )
        .route(
            "/projects/{project}/claims/import",
            axum::routing::post(certificates::claims_form),
        )
        .route(
            "/projects/{project}/certificates/{number}",
            axum::routing::get(certificates::certificate_page),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                leptos::prelude::provide_context(store.clone());
                leptos::prelude::provide_context(readiness_app::cert_fns::SigningKeyHex(
                    public_key.clone(),
                ));
            },
            move || shell(leptos.clone()),
        )
        // The browser bundle, gzipped once at build time (`cargo xtask
        // site`) and sent so to every browser that accepts it.
        .nest_service(
            "/pkg",
            tower_http::services::ServeDir::new(
                std::path::Path::new(&*state.leptos.site_root).join(&*state.leptos.site_pkg_dir),
            )
            .precompressed_gzip(),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Outermost last: headers on every answer, then the cross-site
        // check, then who is asking.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::identify,
        ))
        .layer(axum::middleware::from_fn(auth::same_origin))
        .layer(axum::middleware::from_fn(auth::security_headers))
        .with_state(state)
}

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    // Settings are checked before anything is opened or created.
    if !(config.upload_rate.is_finite() && config.upload_rate > 0.0) {
        anyhow::bail!(
            "--upload-rate must be a positive number of uploads a second, not {}",
            config.upload_rate
        );
    }
    let store = Store::open(&config.db.db)
        .await
        .with_context(|| format!("cannot open the database {}", config.db.db.display()))?;
    let site_root = config.site_root();
    if !site_root
        .join("pkg")
        .join(format!("{OUTPUT_NAME}_bg.wasm"))
        .is_file()
    {
        tracing::warn!(
            site = %site_root.display(),
            "the browser bundle is missing: pages render but do not hydrate; run `cargo xtask build`"
        );
    }
    let leptos = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .env(Env::PROD)
        .site_addr(config.addr)
        .build();
    // Created on first start; certificates are signed with it from then on.
    let key_path = config.db.signing_key_path();
    let signing_key = readiness_report::SigningKey::load_or_create(&key_path)
        .with_context(|| format!("cannot load the signing key {}", key_path.display()))?;
    tracing::info!(public_key = %signing_key.public_key_hex(), "certificate signing key");
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let local = listener.local_addr()?;
    let limits = auth::RateLimits::with_upload(auth::Limit {
        capacity: f64::from(config.upload_burst),
        per_second: config.upload_rate,
    });
    let state = AppState {
        store,
        config: Arc::new(config),
        leptos,
        uploads: Arc::default(),
        limits: Arc::new(limits),
        signing_key: Arc::new(signing_key),
    };
    let app = router(state);
    // Tests and scripts read this line to learn the port when it was 0.
    println!("readiness listening on http://{local}");
    tracing::info!(%local, "serving");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("the server stopped with an error")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
