//! Small pieces shared by pages: figures judged against targets, dates, and
//! the states of data that is still loading or failed to load.

use leptos::prelude::*;
use readiness_core::targets::{Metric, Outcome, Target};

/// A date and time in UTC, the same on the server and in the browser so
/// hydration sees identical text.
/// Written out by hand: chrono's `format` would bring its whole format
/// string machinery into the browser bundle for this one layout.
pub fn format_time(at: &chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_the_same_as_chrono_writes_them() {
        for text in [
            "2026-11-29T07:05:09Z",
            "0999-01-02T23:59:59.999Z",
            "2024-02-29T00:00:00Z",
        ] {
            let at: chrono::DateTime<chrono::Utc> = text.parse().unwrap();
            assert_eq!(
                super::format_time(&at),
                at.format("%Y-%m-%d %H:%M UTC").to_string()
            );
        }
    }
}

/// The text that tells an outcome without colour.
pub fn outcome_mark(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "✓",
        Outcome::Warn => "!",
        Outcome::Fail => "✗",
        Outcome::Unverified => "?",
    }
}

/// A measured figure with its outcome against a target: the value, an icon
/// and the outcome in words, so colour is never the only signal.
#[component]
pub fn Figure(metric: Metric, value: Option<f64>, target: Option<Target>) -> impl IntoView {
    let outcome = target.as_ref().map(|t| t.check(value));
    let class = match outcome {
        Some(o) => format!("figure {}", o.as_str()),
        None => "figure".to_owned(),
    };
    let title = target.map(|t| match outcome {
        Some(Outcome::Unverified) => format!("not measured: {t} is unverified"),
        Some(o) => format!("target {t}: {o}"),
        None => String::new(),
    });
    let text = match value {
        Some(v) => metric.format_value(v),
        None => "not measured".to_owned(),
    };
    view! {
        <span class=class title=title>
            {outcome.map(|o| view! { <span class="mark" aria-hidden="true">{outcome_mark(o)}</span> })}
            <span class="value">{text}</span>
            {outcome.map(|o| view! { <span class="outcome">{o.as_str()}</span> })}
        </span>
    }
}

/// Marks the page as interactive once the WASM has run: people's tools and
/// the browser tests wait for `body[data-hydrated]`.
#[island]
pub fn HydrationMark() -> impl IntoView {
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! { <span class="hydration-mark" hidden=true></span> }
}

/// The message shown when a page's data could not be loaded; when the
/// answer is to sign in, a link to do so (and come back).
#[component]
pub fn LoadError(message: String) -> impl IntoView {
    let sign_in = message.starts_with("sign in").then(|| {
        let here = current_path();
        let query = format!("next={}", percent(&here));
        view! {
            " "
            <a href=format!("/login?{query}")>"Sign in"</a>
        }
    });
    view! {
        <p class="error" role="alert">
            {message}
            {sign_in}
        </p>
    }
}

/// The path (and query) of the page being shown.
fn current_path() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|p| p.uri.path_and_query().map(|pq| pq.as_str().to_owned()))
            .unwrap_or_else(|| "/".to_owned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        window()
            .location()
            .pathname()
            .unwrap_or_else(|_| "/".to_owned())
    }
}

/// Escapes a value for a query string.
fn percent(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Who is signed in, with a sign-out button; or a link to sign in.
#[component]
pub fn UserBar() -> impl IntoView {
    match crate::access_fns::me() {
        Some(me) => view! {
            <span class="user">
                <span data-test="signed-in">{me.name.clone()}</span>
                {me.is_admin.then(|| view! { " · " <a href="/admin/users">"Admin"</a> })}
                <form method="post" action="/logout" class="inline-form">
                    <button type="submit" class="link">"Sign out"</button>
                </form>
            </span>
        }
        .into_any(),
        None => view! {
            <a class="user" href="/login">
                "Sign in"
            </a>
        }
        .into_any(),
    }
}

/// Turns a server function's error into the text people should read.
pub fn error_text(err: &ServerFnError) -> String {
    match err {
        ServerFnError::ServerError(message) => message.clone(),
        other => other.to_string(),
    }
}

/// The theme a person chose; `System` follows the system's setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    /// The `data-theme` value on `<html>`; none for the system's choice.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            Theme::Light => Some("light"),
            Theme::Dark => Some("dark"),
        }
    }

    fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Dark,
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::System,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Theme::System => "Theme: system",
            Theme::Light => "Theme: light",
            Theme::Dark => "Theme: dark",
        }
    }
}

/// The theme chosen in the `theme` cookie of the request being rendered,
/// so the first paint already has it.
pub fn theme_choice() -> Theme {
    #[cfg(feature = "ssr")]
    {
        let cookies = use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(http::header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        for pair in cookies.split(';') {
            match pair.trim() {
                "theme=dark" => return Theme::Dark,
                "theme=light" => return Theme::Light,
                _ => {}
            }
        }
    }
    Theme::System
}

/// Switches between the system's theme, dark and light; the choice is kept
/// in a cookie for the next pages.
#[island]
pub fn ThemeButton(choice: Theme) -> impl IntoView {
    let theme = RwSignal::new(choice);
    let on_click = move |_| {
        let next = theme.get_untracked().next();
        theme.set(next);
        if let Some(root) = document().document_element() {
            let _ = match next.attribute() {
                Some(value) => root.set_attribute("data-theme", value),
                None => root.remove_attribute("data-theme"),
            };
        }
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let cookie = match next.attribute() {
                Some(value) => format!("theme={value}; path=/; max-age=31536000; samesite=lax"),
                None => "theme=; path=/; max-age=0; samesite=lax".to_owned(),
            };
            if let Ok(html) = document().dyn_into::<leptos::web_sys::HtmlDocument>() {
                let _ = html.set_cookie(&cookie);
            }
        }
    };
    view! {
        <button
            type="button"
            class="theme"
            on:click=on_click
            title="Switch between the system's theme, dark and light"
        >
            {move || theme.get().label()}
        </button>
    }
}
