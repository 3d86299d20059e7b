//! The host profile editor: the servers a project runs on (roles, memory,
//! CPUs) and the facts no configuration file says, which the audit's
//! memory budget and sizing rules read.

use crate::components::{LoadError, error_text};
use crate::pages::project::ProjectNav;
use crate::server_fns::{SaveHost, ServerRow, load_host};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use readiness_core::audit::model::format_bytes;
use readiness_core::audit::{HostProfile, Role};

#[component]
pub fn HostPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, load_host);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the host profile…"</p> }>
            {move || Suspend::new(async move {
                let slug = slug();
                match data.await {
                    Ok((name, host)) => {
                        view! {
                            <Title text=format!("Host profile · {name}") />
                            <nav class="crumbs" aria-label="Breadcrumb">
                                <a href="/">"Projects"</a>
                                " / "
                                <a href=format!("/projects/{slug}")>{name.clone()}</a>
                                " / "
                                <span aria-current="page">"Host profile"</span>
                            </nav>
                            <h1>"Host profile"</h1>
                            <ProjectNav slug=slug.clone() current="Host profile" />
                            <p>
                                "The servers the project runs on. The audit checks that PHP-FPM, MySQL, Redis and the
                                 system fit in each server's memory, and sizes pools against its CPUs. Without a
                                 profile those rules are unverified."
                            </p>
                            <HostEditor slug=slug.clone() host=host.unwrap_or_default() />
                        }
                            .into_any()
                    }
                    Err(err) => {
                        view! {
                            <Title text="Host profile" />
                            <h1>"Host profile"</h1>
                            <LoadError message=error_text(&err) />
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn row_of(server: &readiness_core::audit::Server) -> ServerRow {
    let has = |role: Role| server.roles.contains(&role).then(|| "on".to_owned());
    ServerRow {
        name: server.name.clone(),
        web: has(Role::Web),
        php: has(Role::Php),
        db: has(Role::Db),
        cache: has(Role::Cache),
        ram: format_bytes(server.ram_bytes),
        cpus: server.cpus.to_string(),
    }
}

/// The form: an island so rows can be added and removed and mistakes are
/// shown in place; without the WASM it still posts, with one blank row.
#[island]
fn HostEditor(slug: String, host: HostProfile) -> impl IntoView {
    let save = ServerAction::<SaveHost>::new();
    let mut rows: Vec<ServerRow> = host.servers.iter().map(row_of).collect();
    rows.push(ServerRow::default());
    let next = StoredValue::new(rows.len());
    let rows = RwSignal::new(
        rows.into_iter()
            .enumerate()
            .collect::<Vec<(usize, ServerRow)>>(),
    );
    let add = move |_| {
        let id = next.get_value();
        next.set_value(id + 1);
        rows.update(|r| r.push((id, ServerRow::default())));
    };
    let optional = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    let choice = |v: Option<bool>| match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    };
    let yes_no = move |name: &'static str, current: &'static str| {
        view! {
            <select name=name>
                <option value="" selected=current.is_empty()>"not known"</option>
                <option value="yes" selected=current == "yes">"yes"</option>
                <option value="no" selected=current == "no">"no"</option>
            </select>
        }
    };
    view! {
        <ActionForm action=save attr:class="form host-form">
            <input type="hidden" name="slug" value=slug />
            <fieldset>
                <legend>"Servers"</legend>
                <For each=move || rows.get() key=|(id, _)| *id let:item>
                    {
                        let (id, row) = item;
                        // Field names carry the row's position, which the
                        // server reads as a list.
                        let position = move || rows.read().iter().position(|(i, _)| *i == id).unwrap_or(0);
                        let field = move |f: &'static str| format!("servers[{}][{f}]", position());
                        let role = move |f: &'static str, label: &'static str, on: bool| {
                            view! {
                                <label class="check">
                                    <input type="checkbox" name=move || field(f) checked=on />
                                    {label}
                                </label>
                            }
                        };
                        view! {
                            <div class="server-row" data-test="server-row">
                                <label>
                                    "Name"
                                    <input type="text" name=move || field("name") value=row.name.clone() placeholder="app1" />
                                </label>
                                <span class="roles" role="group" aria-label="Roles">
                                    {role("web", "web", row.web.is_some())}
                                    {role("php", "PHP", row.php.is_some())}
                                    {role("db", "database", row.db.is_some())}
                                    {role("cache", "cache", row.cache.is_some())}
                                </span>
                                <label>
                                    "RAM"
                                    <input type="text" name=move || field("ram") value=row.ram.clone() placeholder="8 GiB" />
                                </label>
                                <label>
                                    "CPUs"
                                    <input type="number" min="1" name=move || field("cpus") value=row.cpus.clone() placeholder="4" />
                                </label>
                                <button
                                    type="button"
                                    class="link"
                                    aria-label=format!("Remove server {}", if row.name.is_empty() { "row".to_owned() } else { row.name.clone() })
                                    on:click=move |_| rows.update(|r| r.retain(|(i, _)| *i != id))
                                >
                                    "Remove"
                                </button>
                            </div>
                        }
                    }
                </For>
                <button type="button" on:click=add>"Add a server"</button>
            </fieldset>
            <fieldset>
                <legend>"Facts no file says"</legend>
                <label>
                    "PHP files deployed (with vendor/)"
                    <input type="number" min="0" name="php_files" value=optional(host.php_files) />
                </label>
                <label>
                    "Memory of one PHP-FPM worker under load"
                    <input
                        type="text"
                        name="worker_rss"
                        value=host.worker_rss_bytes.map(format_bytes).unwrap_or_default()
                        placeholder="64 MiB"
                    />
                </label>
                <label>
                    "Queue workers"
                    <input type="number" min="0" name="queue_workers" value=optional(host.queue_workers.map(u64::from)) />
                </label>
                <label>
                    "Redis also holds queues, sessions or locks " {yes_no("redis_shared", choice(host.redis_shared))}
                </label>
                <label>
                    "TLS ends at a load balancer in front of nginx "
                    {yes_no("tls_at_load_balancer", choice(host.tls_at_load_balancer))}
                </label>
            </fieldset>
            <button type="submit">"Save the host profile"</button>
        </ActionForm>
        {move || {
            save.value()
                .get()
                .map(|result| match result {
                    Ok(saved) => {
                        view! {
                            <p class="notice" role="status">
                                {format!("Saved: {} servers.", saved.servers.len())}
                            </p>
                        }
                            .into_any()
                    }
                    Err(err) => {
                        view! { <pre class="error" role="alert" data-test="host-errors">{error_text(&err)}</pre> }
                            .into_any()
                    }
                })
        }}
    }
}
