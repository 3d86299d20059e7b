//! A project's access: who may read and change it, whether it is public,
//! and the tokens its CI uses. Project admins change it; others see that
//! they may not.

use crate::access_fns::{AccessView, RevokeToken, SetMember, SetVisibility, load_access};
use crate::components::{LoadError, error_text, format_time};
use crate::pages::project::ProjectNav;
use crate::server_fns::CreateToken;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use readiness_core::access::Role;

#[component]
pub fn AccessPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, load_access);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading access…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => access_view(view),
                    Err(err) => {
                        view! {
                            <Title text="Access" />
                            <h1>"Access"</h1>
                            <LoadError message=error_text(&err) />
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn access_view(view: AccessView) -> AnyView {
    let AccessView {
        slug,
        name,
        public,
        members,
        tokens,
        users,
        can_administer,
    } = view;
    let visibility = if public {
        "Public: everyone can read this project, signed in or not; changes still need a role."
    } else {
        "Private: only its members and admins can see it."
    };
    view! {
        <Title text=format!("Access · {name}") />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Projects"</a>
            " / "
            <a href=format!("/projects/{slug}")>{name.clone()}</a>
            " / "
            <span aria-current="page">"Access"</span>
        </nav>
        <h1>"Access"</h1>
        <ProjectNav slug=slug.clone() current="Access" />
        <p data-test="visibility">{visibility}</p>
        {if can_administer {
            view! {
                <AccessEditor slug=slug.clone() public=public members=members users=users />
                <section aria-labelledby="tokens">
                    <h2 id="tokens">"CI tokens"</h2>
                    <p>
                        "A token lets CI upload results to this project and to no other (or only read it). "
                        "It is shown once; Readiness keeps only its hash."
                    </p>
                    <CreateTokenForm slug=slug.clone() />
                    <TokensTable slug=slug tokens=tokens />
                </section>
            }
                .into_any()
        } else {
            view! {
                <p class="notice">
                    "Only a project admin can change members, visibility and tokens."
                </p>
            }
                .into_any()
        }}
    }
    .into_any()
}

/// Members, roles and visibility: forms that answer in place.
#[island]
fn AccessEditor(
    slug: String,
    public: bool,
    members: Vec<(String, Role)>,
    users: Vec<String>,
) -> impl IntoView {
    let set_member = ServerAction::<SetMember>::new();
    let set_visibility = ServerAction::<SetVisibility>::new();
    let slug_for_visibility = slug.clone();
    let role_options = move |current: Option<Role>| {
        view! {
            {Role::ALL
                .into_iter()
                .map(|r| view! { <option value=r.as_str() selected=current == Some(r)>{r.as_str()}</option> })
                .collect_view()}
            <option value="none" selected=current.is_none()>"no role"</option>
        }
    };
    view! {
        <section aria-labelledby="members">
            <h2 id="members">"Members"</h2>
            <table class="data" data-test="members">
                <thead>
                    <tr>
                        <th scope="col">"User"</th>
                        <th scope="col">"Role"</th>
                    </tr>
                </thead>
                <tbody>
                    {members
                        .iter()
                        .map(|(user, role)| view! {
                            <tr>
                                <td>{user.clone()}</td>
                                <td>{role.as_str()}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
            <ActionForm action=set_member attr:class="form inline" attr:aria-label="Set a member's role">
                <input type="hidden" name="slug" value=slug.clone() />
                <label>
                    "User "
                    <select name="user">
                        {users.into_iter().map(|u| view! { <option value=u.clone()>{u.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    " Role " <select name="role">{role_options(Some(Role::Viewer))}</select>
                </label>
                <button type="submit">"Set role"</button>
            </ActionForm>
            {move || set_member.value().get().map(|r| match r {
                Ok(done) => view! { <p class="notice" role="status">{done}". Reload to see the list."</p> }.into_any(),
                Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
            })}
        </section>
        <section aria-labelledby="visibility">
            <h2 id="visibility">"Visibility"</h2>
            <ActionForm action=set_visibility attr:class="form inline" attr:aria-label="Visibility">
                <input type="hidden" name="slug" value=slug_for_visibility />
                <label>
                    "This project is "
                    <select name="public">
                        <option value="private" selected=!public>"private"</option>
                        <option value="public" selected=public>"public (read-only to everyone)"</option>
                    </select>
                </label>
                <button type="submit">"Save visibility"</button>
            </ActionForm>
            {move || set_visibility.value().get().map(|r| match r {
                Ok(true) => view! { <p class="notice" role="status">"The project is now public."</p> }.into_any(),
                Ok(false) => view! { <p class="notice" role="status">"The project is now private."</p> }.into_any(),
                Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
            })}
        </section>
    }
}

/// The project's tokens, each revocable in place.
#[island]
fn TokensTable(slug: String, tokens: Vec<crate::access_fns::TokenRow>) -> impl IntoView {
    let revoke = ServerAction::<RevokeToken>::new();
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| format_time(&t))
            .unwrap_or_else(|| "never".to_owned())
    };
    view! {
        <table class="data" data-test="tokens">
            <thead>
                <tr>
                    <th scope="col">"Token"</th>
                    <th scope="col">"Scope"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">"State"</th>
                </tr>
            </thead>
            <tbody>
                {tokens
                    .into_iter()
                    .map(|t| {
                        let revoked = t.revoked_at.is_some();
                        let slug = slug.clone();
                        let label = format!("Revoke token {}…", t.hint);
                        view! {
                            <tr data-token=t.id>
                                <td><code>{format!("{}…", t.hint)}</code></td>
                                <td>{t.scope.clone()}</td>
                                <td>{format!("{} by {}", format_time(&t.created_at), t.created_by.clone().unwrap_or_else(|| "?".to_owned()))}</td>
                                <td>{when(t.last_used_at)}</td>
                                <td>
                                    {if revoked {
                                        view! { <span>{format!("revoked {}", when(t.revoked_at))}</span> }.into_any()
                                    } else {
                                        view! {
                                            <ActionForm action=revoke attr:class="inline-form">
                                                <input type="hidden" name="slug" value=slug.clone() />
                                                <input type="hidden" name="id" value=t.id />
                                                <button type="submit" aria-label=label>"Revoke"</button>
                                            </ActionForm>
                                        }
                                            .into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {move || revoke.value().get().map(|r| match r {
            Ok(hint) => view! { <p class="notice" role="status">{format!("Revoked {hint}…; it no longer works.")}</p> }.into_any(),
            Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
        })}
    }
}

/// Creates a token and shows it once.
#[island]
fn CreateTokenForm(slug: String) -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let slug = StoredValue::new(slug);
    let slug = move || slug.get_value();
    view! {
        <ActionForm action=create attr:class="form inline">
            <input type="hidden" name="slug" value=slug />
            <label>
                "Scope "
                <select name="scope">
                    <option value="upload" selected=true>"upload and read"</option>
                    <option value="read">"read only"</option>
                </select>
            </label>
            <button type="submit">"Create token"</button>
        </ActionForm>
        {move || {
            create
                .value()
                .get()
                .map(|result| match result {
                    Ok(token) => {
                        let example = format!(
                            "curl -H \"Authorization: Bearer {token}\" --data-binary @summary.json \\\n  \"{}/api/v1/projects/{}/runs?scenario=sustained&commit=$GIT_COMMIT\"",
                            origin(),
                            slug(),
                        );
                        view! {
                            <section class="panel" aria-labelledby="new-token">
                                <h2 id="new-token">"New token"</h2>
                                <p>"Copy it now: it will not be shown again."</p>
                                <p>
                                    <code class="secret" data-test="token">
                                        {token}
                                    </code>
                                </p>
                                <p>"Upload a k6 summary with it:"</p>
                                <pre>{example}</pre>
                            </section>
                        }
                            .into_any()
                    }
                    Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
                })
        }}
    }
}

/// The address this page was served from, for the copyable example.
fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        leptos::prelude::window()
            .location()
            .origin()
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        "http://127.0.0.1:3000".to_owned()
    }
}
