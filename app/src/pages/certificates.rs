//! The certificates page: every certificate issued for the project, the
//! form that issues the next one, the claims document later certificates
//! judge, and the key that signs them. The forms post to the server and
//! work without scripts; a certificate opens as its own printable page.

use crate::cert_fns::{CertificatesView, load_certificates};
use crate::components::{LoadError, error_text, format_time};
use crate::pages::assessment::{verdict_class, verdict_mark};
use crate::pages::project::ProjectNav;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use readiness_core::targets::format_ratio;

#[component]
pub fn CertificatesPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let query = use_query_map();
    let notice = query.read_untracked().get("notice");
    let error = query.read_untracked().get("error");
    let data = Resource::new(slug, load_certificates);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the certificates…"</p> }>
            {move || {
                let (notice, error) = (notice.clone(), error.clone());
                Suspend::new(async move {
                    let slug = slug();
                    match data.await {
                        Ok(view) => certificates_view(slug, view, notice, error).into_any(),
                        Err(err) => {
                            view! {
                                <Title text="Certificates" />
                                <h1>"Certificates"</h1>
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

fn certificates_view(
    slug: String,
    view: CertificatesView,
    notice: Option<String>,
    error: Option<String>,
) -> impl IntoView {
    let CertificatesView {
        name,
        public_key,
        can_certify,
        certificates,
        claims,
    } = view;
    let empty = certificates.is_empty();
    let rows = certificates
        .into_iter()
        .map(|c| {
            let page = format!("/projects/{slug}/certificates/{}", c.number);
            let api = format!("/api/v1/projects/{slug}/certificates/{}", c.number);
            let none = || "—".to_owned();
            view! {
                <tr data-certificate=c.number>
                    <th scope="row">
                        <a href=page.clone() rel="external">{format!("No. {}", c.number)}</a>
                    </th>
                    <td>
                        <span class=verdict_class(c.verdict)>
                            <span class="mark" aria-hidden="true">{verdict_mark(c.verdict)}</span>
                            " "
                            {c.verdict.label()}
                        </span>
                    </td>
                    <td><code>{c.commit.unwrap_or_else(none)}</code></td>
                    <td>{c.environment.unwrap_or_else(none)}</td>
                    <td>{format_time(&c.issued_at)}</td>
                    <td>{format_time(&c.valid_until)}</td>
                    <td>{c.issued_by}</td>
                    <td>
                        {format!(
                            "{} ({} artifact{})",
                            format_ratio(c.coverage),
                            c.evidence,
                            if c.evidence == 1 { "" } else { "s" },
                        )}
                    </td>
                    <td class="actions">
                        <a href=page rel="external">"View"</a>
                        " · "
                        <a href=format!("{api}/pdf") rel="external" download="">
                            {format!("PDF ({} KB)", c.pdf_size.div_ceil(1024))}
                        </a>
                        " · "
                        <a href=api rel="external" download="">"JSON"</a>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Title text=format!("Certificates · {name}") />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Projects"</a>
            " / "
            <a href=format!("/projects/{slug}")>{name.clone()}</a>
            " / "
            <span aria-current="page">"Certificates"</span>
        </nav>
        <h1>"Certificates"</h1>
        <ProjectNav slug=slug.clone() current="Certificates" />
        {notice.map(|n| view! { <p class="notice" role="status" data-test="notice">{n}</p> })}
        {error.map(|e| view! { <p class="error" role="alert" data-test="error">{e}</p> })}
        <p>
            "A certificate freezes the assessment of a commit and environment: the verdict, every
             target and finding, and the SHA-256 of every artifact it used. It is numbered, signed,
             and never changes when later evidence arrives."
        </p>
        {can_certify
            .then(|| {
                view! {
                    <section aria-labelledby="issue">
                        <h2 id="issue">"Issue a certificate"</h2>
                        <form
                            method="post"
                            action=format!("/projects/{slug}/certificates/issue")
                            class="form inline"
                            aria-label="Issue a certificate"
                        >
                            <label>"Commit " <input type="text" name="commit" autocomplete="off" /></label>
                            <label>
                                "Environment " <input type="text" name="environment" autocomplete="off" />
                            </label>
                            <button type="submit">"Issue certificate"</button>
                        </form>
                        <p class="hint">
                            "Without a commit the verdict cannot be certified: certification needs the evidence of one commit."
                        </p>
                    </section>
                }
            })}
        <section aria-labelledby="issued">
            <h2 id="issued">"Issued"</h2>
            {if empty {
                view! { <p data-test="no-certificates">"No certificate has been issued yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="data" data-test="certificates">
                            <thead>
                                <tr>
                                    <th scope="col">"Certificate"</th>
                                    <th scope="col">"Verdict"</th>
                                    <th scope="col">"Commit"</th>
                                    <th scope="col">"Environment"</th>
                                    <th scope="col">"Issued"</th>
                                    <th scope="col">"Valid until"</th>
                                    <th scope="col">"By"</th>
                                    <th scope="col">"Coverage"</th>
                                    <th scope="col">"Files"</th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
        <section aria-labelledby="claims">
            <h2 id="claims">"Claims against evidence"</h2>
            <p>
                "Import the readiness document the team already has (Markdown, with a targets table or
                 sentences such as \"p95 under 500 ms\"). Each claim matched to a target is judged in
                 later certificates: confirmed, contradicted or unsupported."
            </p>
            {match claims {
                Some(c) => view! {
                    <p data-test="claims-document">
                        {format!(
                            "Current document: {}, imported {} by {}.",
                            c.file_name,
                            format_time(&c.imported_at),
                            c.imported_by,
                        )}
                    </p>
                }
                    .into_any(),
                None => view! { <p data-test="claims-document">"No claims document imported."</p> }.into_any(),
            }}
            {can_certify
                .then(|| {
                    view! {
                        <form
                            method="post"
                            enctype="multipart/form-data"
                            action=format!("/projects/{slug}/claims/import")
                            class="form"
                            aria-label="Import claims"
                        >
                            <label>
                                "Markdown document "
                                <input type="file" name="file" accept=".md,.markdown,text/markdown,text/plain" required=true />
                            </label>
                            <label class="check">
                                <input type="checkbox" name="replace_targets" />
                                "Replace the project's targets with the document's"
                            </label>
                            <button type="submit">"Import claims"</button>
                        </form>
                    }
                })}
        </section>
        <section aria-labelledby="key">
            <h2 id="key">"Signing key"</h2>
            <p>
                "Certificates are signed with Ed25519. This server's public key:"
            </p>
            <p><code class="secret" data-test="public-key">{public_key}</code></p>
            <p class="hint">
                "Anyone can check a certificate, PDF or JSON, with "
                <code>"readiness verify FILE --evidence DIR"</code>
                " or against this server with "
                <code>"readiness verify FILE --server URL --token TOKEN"</code>
                "; the key is also at "
                <a href="/api/v1/signing-key" rel="external">"/api/v1/signing-key"</a>
                "."
            </p>
        </section>
    }
}
