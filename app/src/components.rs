//! Small pieces shared by pages: figures judged against targets, dates, and
//! the states of data that is still loading or failed to load.

use leptos::prelude::*;
use readiness_core::targets::{Metric, Outcome, Target};

/// A date and time in UTC, the same on the server and in the browser so
/// hydration sees identical text.
pub fn format_time(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
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

/// The message shown when a page's data could not be loaded.
#[component]
pub fn LoadError(message: String) -> impl IntoView {
    view! {
        <p class="error" role="alert">
            {message}
        </p>
    }
}

/// Turns a server function's error into the text people should read.
pub fn error_text(err: &ServerFnError) -> String {
    match err {
        ServerFnError::ServerError(message) => message.clone(),
        other => other.to_string(),
    }
}
