//! Signing in, and the admin's pages: users and the audit log.

use crate::access_fns::{AddUser, LogView, SetUserDisabled, UserView, load_log, load_users};
use crate::components::{LoadError, error_text, format_time};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The sign-in form; it posts to `/login`, so it works without scripts.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = query.read_untracked().get("error");
    let next = query
        .read_untracked()
        .get("next")
        .unwrap_or_else(|| "/".to_owned());
    view! {
        <Title text="Sign in" />
        <h1>"Sign in"</h1>
        {error.map(|e| view! { <p class="error" role="alert" data-test="login-error">{e}</p> })}
        <form method="post" action="/login" class="form" aria-label="Sign in">
            <input type="hidden" name="next" value=next />
            <label>
                "Name" <input type="text" name="name" autocomplete="username" required=true autofocus=true />
            </label>
            <label>
                "Password"
                <input type="password" name="password" autocomplete="current-password" required=true />
            </label>
            <button type="submit">"Sign in"</button>
        </form>
        <p class="hint">
            "No account yet? An admin creates one; the first admin is made on the server with "
            <code>"readiness user add NAME --admin"</code>
            "."
        </p>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| load_users());
    view! {
        <Title text="Users" />
        <h1>"Users"</h1>
        <nav class="project-nav" aria-label="Admin">
            <ul>
                <li><a href="/admin/users" aria-current="page">"Users"</a></li>
                <li><a href="/admin/log">"Audit log"</a></li>
            </ul>
        </nav>
        <Suspense fallback=|| view! { <p class="loading">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! { <UsersEditor users=list /> }.into_any(),
                    Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[island]
fn UsersEditor(users: Vec<UserView>) -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let disable = ServerAction::<SetUserDisabled>::new();
    view! {
        <table class="data" data-test="users">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Kind"</th>
                    <th scope="col">"Roles"</th>
                    <th scope="col">"Since"</th>
                    <th scope="col">"State"</th>
                </tr>
            </thead>
            <tbody>
                {users
                    .into_iter()
                    .map(|u| {
                        let roles: Vec<String> = u.roles.iter().map(|(p, r)| format!("{p}: {r}")).collect();
                        let name = u.name.clone();
                        let label = if u.disabled { format!("Enable {}", u.name) } else { format!("Disable {}", u.name) };
                        view! {
                            <tr data-user=name>
                                <td>{u.name.clone()}</td>
                                <td>{if u.is_admin { "admin" } else { "user" }}</td>
                                <td>{if roles.is_empty() { "—".to_owned() } else { roles.join(", ") }}</td>
                                <td>{format_time(&u.created_at)}</td>
                                <td>
                                    <ActionForm action=disable attr:class="inline-form">
                                        <input type="hidden" name="name" value=u.name.clone() />
                                        <input type="hidden" name="disabled" value=(!u.disabled).to_string() />
                                        {if u.disabled { "disabled " } else { "active " }}
                                        <button type="submit" aria-label=label>
                                            {if u.disabled { "Enable" } else { "Disable" }}
                                        </button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {move || disable.value().get().map(|r| match r {
            Ok(name) => view! { <p class="notice" role="status">{format!("Changed {name}. Reload to see it.")}</p> }.into_any(),
            Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
        })}
        <h2>"Add a user"</h2>
        <ActionForm action=add attr:class="form" attr:aria-label="Add a user">
            <label>"Name" <input type="text" name="name" required=true autocomplete="off" /></label>
            <label>
                "Password (at least 12 characters)"
                <input type="password" name="password" required=true minlength="12" autocomplete="new-password" />
            </label>
            <label class="check"><input type="checkbox" name="admin" />"admin (may do everything)"</label>
            <button type="submit">"Add user"</button>
        </ActionForm>
        {move || add.value().get().map(|r| match r {
            Ok(name) => view! { <p class="notice" role="status">{format!("Added {name}. Give them roles on a project's access page.")}</p> }.into_any(),
            Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
        })}
    }
}

#[component]
pub fn LogPage() -> impl IntoView {
    let query = use_query_map();
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|b| b.parse::<i64>().ok())
    };
    let log = Resource::new(before, load_log);
    view! {
        <Title text="Audit log" />
        <h1>"Audit log"</h1>
        <nav class="project-nav" aria-label="Admin">
            <ul>
                <li><a href="/admin/users">"Users"</a></li>
                <li><a href="/admin/log" aria-current="page">"Audit log"</a></li>
            </ul>
        </nav>
        <p>"Who uploaded, changed targets, exempted a rule, issued a certificate, or created or revoked a token; newest first."</p>
        <Suspense fallback=|| view! { <p class="loading">"Loading the log…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Ok(entries) => log_table(entries),
                    Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn log_table(entries: Vec<LogView>) -> AnyView {
    let older = (entries.len() == 100)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    view! {
        <div class="table-scroll">
            <table class="data" data-test="log">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"Project"</th>
                        <th scope="col">"Detail"</th>
                    </tr>
                </thead>
                <tbody>
                    {entries
                        .into_iter()
                        .map(|e| {
                            let action = e.action.clone();
                            view! {
                            <tr data-action=action>
                                <td>{format_time(&e.at)}</td>
                                <td>{e.actor}</td>
                                <td><code>{e.action}</code></td>
                                <td>{e.project.unwrap_or_else(|| "—".to_owned())}</td>
                                <td class="wrap">{e.detail}</td>
                            </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {older.map(|id| view! { <p><a href=format!("/admin/log?before={id}")>"Older entries →"</a></p> })}
    }
    .into_any()
}
