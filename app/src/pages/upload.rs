//! The upload page: files dropped or chosen in the browser are sent in
//! chunks (with gloo-net), with a progress bar, then stored as a run or as
//! audit evidence, exactly as CI's uploads are.

use crate::components::{LoadError, error_text};
use crate::pages::project::ProjectNav;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use readiness_core::run::ScenarioKind;
use serde::{Deserialize, Serialize};

#[component]
pub fn UploadPage() -> impl IntoView {
    let params = use_params_map();
    let slug = params.read_untracked().get("slug").unwrap_or_default();
    let allowed = Resource::new(
        {
            let slug = slug.clone();
            move || slug.clone()
        },
        crate::server_fns::may_upload,
    );
    view! {
        <Title text="Upload" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    match allowed.await {
                        Ok(name) => upload_page(slug, name).into_any(),
                        Err(err) => {
                            view! {
                                <h1>"Upload evidence"</h1>
                                <LoadError message=error_text(&err) />
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

fn upload_page(slug: String, name: String) -> impl IntoView {
    view! {
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Projects"</a>
            " / "
            <a href=format!("/projects/{slug}")>{name}</a>
            " / "
            <span aria-current="page">"Upload"</span>
        </nav>
        <h1>"Upload evidence"</h1>
        <ProjectNav slug=slug.clone() current="Upload" />
        <p>
            "Load-test results (k6, JMeter, Locust, Gatling, oha, vegeta, wrk), configuration files
             (php.ini, php-fpm, my.cnf, redis.conf, nginx), status dumps and monitoring inventories.
             Several files sent together are one upload: the CSV files of one Locust run, or the
             configuration files of one stack. Files are stored as received, with their SHA-256."
        </p>
        <noscript>
            <p class="notice">
                "Uploading from this page needs JavaScript. Without it, upload with the CLI: "
                <code>{format!("readiness upload --project {slug} FILE")}</code>
                "."
            </p>
        </noscript>
        <UploadForm slug=slug />
    }
}

/// A chosen file, as the page lists it.
#[derive(Debug, Clone, PartialEq)]
struct Chosen {
    name: String,
    size: u64,
}

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Phase {
    Idle,
    Sending { sent: u64, total: u64 },
    Storing,
    Stored(Stored),
    Failed(String),
}

/// What the server made of an upload.
#[derive(Debug, Clone, PartialEq)]
struct Stored {
    text: String,
    link: (String, String),
}

#[derive(Debug, Clone, Serialize)]
struct StartBody {
    files: Vec<FileDecl>,
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct FileDecl {
    name: String,
    size: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Started {
    id: String,
    chunk_size: u64,
}

fn size_text(bytes: u64) -> String {
    crate::pages::evidence::format_size(bytes)
}

#[island]
fn UploadForm(slug: String) -> impl IntoView {
    let chosen = RwSignal::new(Vec::<Chosen>::new());
    let phase = RwSignal::new(Phase::Idle);
    let dragging = RwSignal::new(false);
    let kind = RwSignal::new("auto".to_owned());
    let scenario = RwSignal::new(String::new());
    let commit = RwSignal::new(String::new());
    let branch = RwSignal::new(String::new());
    let environment = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    let files = StoredValue::new_local(Vec::<web_sys::File>::new());

    #[cfg(feature = "hydrate")]
    let take = move |list: Option<web_sys::FileList>| {
        let Some(list) = list else { return };
        let mut picked = Vec::new();
        for i in 0..list.length() {
            if let Some(f) = list.get(i) {
                picked.push(f);
            }
        }
        chosen.set(
            picked
                .iter()
                .map(|f| Chosen {
                    name: f.name(),
                    size: f.size() as u64,
                })
                .collect(),
        );
        files.set_value(picked);
        phase.set(Phase::Idle);
    };
    #[cfg(not(feature = "hydrate"))]
    let take = |_: Option<()>| {};

    let on_pick = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
            take(input.and_then(|i| i.files()));
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = ev;
            take(None);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        take(ev.data_transfer().and_then(|d| d.files()));
    };
    let on_dragover = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(true);
    };

    let slug_for_submit = slug.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if chosen.read_untracked().is_empty() {
            phase.set(Phase::Failed(
                "Choose or drop at least one file first.".to_owned(),
            ));
            return;
        }
        let clean = |s: RwSignal<String>| {
            let v = s.get_untracked().trim().to_owned();
            (!v.is_empty()).then_some(v)
        };
        let body = StartBody {
            files: chosen
                .get_untracked()
                .into_iter()
                .map(|c| FileDecl {
                    name: c.name,
                    size: c.size,
                })
                .collect(),
            kind: kind.get_untracked(),
            scenario: clean(scenario),
            commit: clean(commit),
            branch: clean(branch),
            environment: clean(environment),
            label: clean(label),
        };
        #[cfg(feature = "hydrate")]
        {
            let slug = slug_for_submit.clone();
            let list = files.get_value();
            leptos::task::spawn_local(async move {
                let outcome = send(&slug, body, list, phase).await;
                phase.set(match outcome {
                    Ok(stored) => Phase::Stored(stored),
                    Err(message) => Phase::Failed(message),
                });
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&slug_for_submit, body);
    };

    let busy = move || matches!(phase.get(), Phase::Sending { .. } | Phase::Storing);
    let text_field = move |name: &'static str,
                           label_text: &'static str,
                           signal: RwSignal<String>,
                           hint: &'static str| {
        view! {
            <label>
                {label_text}
                <input
                    type="text"
                    name=name
                    placeholder=hint
                    prop:value=move || signal.get()
                    on:input=move |ev| signal.set(event_target_value(&ev))
                />
            </label>
        }
    };

    view! {
        <form class="form upload" on:submit=on_submit data-test="upload-form">
            <div
                class="dropzone"
                class:dragging=move || dragging.get()
                on:dragover=on_dragover
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <label for="upload-files">
                    <strong>"Drop files here"</strong>
                    " or choose them"
                </label>
                <input id="upload-files" type="file" name="files" multiple=true on:change=on_pick />
                <ul class="chosen" aria-label="Chosen files">
                    <For each=move || chosen.get() key=|c| (c.name.clone(), c.size) let:c>
                        <li>{c.name} " · " {size_text(c.size)}</li>
                    </For>
                </ul>
            </div>
            <div class="fields">
                <label>
                    "What it is"
                    <select name="kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="auto" selected=true>"recognise it"</option>
                        <option value="run">"a load-test result"</option>
                        <option value="evidence">"audit evidence (configurations, status, monitoring)"</option>
                    </select>
                </label>
                <label>
                    "Scenario of a load test"
                    <select name="scenario" on:change=move |ev| scenario.set(event_target_value(&ev))>
                        <option value="" selected=true>"as the result says, or unspecified"</option>
                        {ScenarioKind::ALL
                            .into_iter()
                            .map(|k| view! { <option value=k.as_str()>{k.as_str()}</option> })
                            .collect_view()}
                    </select>
                </label>
                {text_field("commit", "Commit", commit, "a1b2c3d")}
                {text_field("branch", "Branch", branch, "main")}
                {text_field("environment", "Environment", environment, "staging")}
                {text_field("label", "Label", label, "nightly")}
            </div>
            <button type="submit" disabled=busy>"Upload"</button>
        </form>
        <div class="upload-status" role="status" aria-live="polite" data-test="upload-status">
            {move || match phase.get() {
                Phase::Idle => ().into_any(),
                Phase::Sending { sent, total } => {
                    view! {
                        <label>
                            {format!("Sending: {} of {}", size_text(sent), size_text(total))}
                            <progress max=total as f64 value=sent as f64></progress>
                        </label>
                    }
                        .into_any()
                }
                Phase::Storing => view! { <p>"Checking and storing…"</p> }.into_any(),
                Phase::Stored(stored) => {
                    view! {
                        <p class="notice">
                            <span class="mark" aria-hidden="true">"✓ "</span>
                            {stored.text}
                            " "
                            <a href=stored.link.0>{stored.link.1}</a>
                        </p>
                    }
                        .into_any()
                }
                Phase::Failed(message) => {
                    view! { <pre class="error" role="alert">{message}</pre> }.into_any()
                }
            }}
        </div>
    }
}

/// Declares the upload, sends every file in chunks, and finishes it.
#[cfg(feature = "hydrate")]
async fn send(
    slug: &str,
    body: StartBody,
    files: Vec<web_sys::File>,
    phase: RwSignal<Phase>,
) -> Result<Stored, String> {
    use gloo_net::http::Request;
    let total: u64 = body.files.iter().map(|f| f.size).sum();
    phase.set(Phase::Sending { sent: 0, total });
    let started: Started = answer(
        Request::post(&format!("/ui/projects/{slug}/uploads"))
            .json(&body)
            .map_err(|e| e.to_string())?
            .send()
            .await,
    )
    .await?;
    let mut sent = 0u64;
    for (n, file) in files.iter().enumerate() {
        let size = file.size() as u64;
        let mut offset = 0u64;
        while offset < size {
            let end = (offset + started.chunk_size).min(size);
            let blob = file
                .slice_with_f64_and_f64(offset as f64, end as f64)
                .map_err(|_| format!("{}: the browser could not read the file", file.name()))?;
            let url = format!("/ui/uploads/{}/files/{n}?offset={offset}", started.id);
            let _: serde_json::Value = answer(
                Request::put(&url)
                    .header("content-type", "application/octet-stream")
                    .body(blob)
                    .map_err(|e| e.to_string())?
                    .send()
                    .await,
            )
            .await?;
            sent += end - offset;
            offset = end;
            phase.set(Phase::Sending { sent, total });
        }
    }
    phase.set(Phase::Storing);
    let stored: serde_json::Value = answer(
        Request::post(&format!("/ui/uploads/{}/finish", started.id))
            .send()
            .await,
    )
    .await?;
    Ok(describe(slug, &stored))
}

/// The JSON of a successful answer, or the server's error message.
#[cfg(feature = "hydrate")]
async fn answer<T: serde::de::DeserializeOwned>(
    response: Result<gloo_net::http::Response, gloo_net::Error>,
) -> Result<T, String> {
    let response =
        response.map_err(|e| format!("The server could not be reached: {e}. Try again."))?;
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|e| format!("The server's answer could not be read: {e}"));
    }
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("The server answered {status}: {text}"));
    Err(message)
}

/// What the server stored, in words, with a link to it.
#[cfg(feature = "hydrate")]
fn describe(slug: &str, stored: &serde_json::Value) -> Stored {
    let id = stored["id"].as_i64().unwrap_or_default();
    if stored.get("run").is_some() {
        let run = &stored["run"];
        let requests = run["requests"].as_u64();
        let format = run["format"].as_str().unwrap_or("a result");
        Stored {
            text: format!(
                "Stored as run {id}: {format}{}.",
                requests
                    .map(|r| format!(", {r} requests"))
                    .unwrap_or_default()
            ),
            link: (format!("/runs/{id}"), format!("Open run {id}")),
        }
    } else {
        let files: Vec<String> = stored["files"]
            .as_array()
            .map(|files| {
                files
                    .iter()
                    .map(|f| {
                        format!(
                            "{} ({})",
                            f["name"].as_str().unwrap_or("?"),
                            f["label"].as_str().unwrap_or("?")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let findings = stored["findings"].as_array().map(Vec::len).unwrap_or(0);
        Stored {
            text: format!(
                "Stored as audit evidence {id}: {}; {findings} findings.",
                files.join(", ")
            ),
            link: (
                format!("/projects/{slug}/audit"),
                "See the audit".to_owned(),
            ),
        }
    }
}
