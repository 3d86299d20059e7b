//! Readiness in the browser: pages rendered on the server, with their
//! interactive parts (islands) hydrated by the same components compiled to
//! WASM.
//!
//! The `ssr` feature builds the server side (server functions reach the
//! store); the `hydrate` feature builds the browser bundle.

// Leptos views are deeply nested types; the default limit is too low for them.
#![recursion_limit = "256"]

pub mod access_fns;
pub mod cert_fns;
pub mod components;
pub mod pages;
pub mod server_fns;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The name of the WASM, JS and CSS files under `/pkg`.
pub const OUTPUT_NAME: &str = "readiness";

/// The Content-Security-Policy: this site's scripts and styles, the WASM
/// (`wasm-unsafe-eval`), and the page's inline hydration script by its
/// nonce; nothing from elsewhere, no framing.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The HTML document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = components::theme_choice();
    #[cfg(feature = "ssr")]
    {
        leptos::nonce::provide_nonce();
        if let (Some(nonce), Some(response)) = (
            leptos::nonce::use_nonce(),
            use_context::<leptos_axum::ResponseOptions>(),
        ) && let Ok(value) = http::HeaderValue::from_str(&content_security_policy(Some(&nonce)))
        {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.attribute()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href=format!("/pkg/{OUTPUT_NAME}.css") />
        <Title formatter=|title: String| {
            if title.is_empty() { "Readiness".to_owned() } else { format!("{title} · Readiness") }
        } />
        <Router>
            <header class="topbar">
                <a class="brand" href="/">
                    "Readiness"
                </a>
                <span class="tagline">"production readiness from evidence"</span>
                <components::HydrationMark />
                <components::UserBar />
                <components::ThemeButton choice=components::theme_choice() />
            </header>
            <main>
                // Pages wait for their data on the server, so the first paint
                // is complete and reads well before (or without) the WASM.
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    <Route path=path!("/") view=pages::projects::ProjectsPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:slug") view=pages::project::ProjectPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:slug/runs") view=pages::project::RunsPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:slug/evidence") view=pages::evidence::EvidencePage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:slug/host") view=pages::host::HostPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:slug/upload") view=pages::upload::UploadPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:slug/access") view=pages::access::AccessPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:slug/tokens") view=pages::access::AccessPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=pages::admin::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=pages::admin::UsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/log") view=pages::admin::LogPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:slug/targets") view=pages::targets::TargetsPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:slug/compare") view=pages::compare::ComparePage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:slug/audit") view=pages::audit::AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:slug/certificates") view=pages::certificates::CertificatesPage ssr=SsrMode::Async />
                    <Route path=path!("/runs/:id") view=pages::run::RunPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// The browser entry point. Pages are rendered on the server and stay
/// plain HTML; only the interactive parts (`#[island]` components: sorting,
/// forms, editors) are hydrated, so the browser downloads the code of those
/// parts alone.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
