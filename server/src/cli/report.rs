//! `readiness report`, `readiness verify` and `readiness claims`: issuing a
//! certificate from the shell, checking a certificate file (and the
//! evidence it lists) anywhere, and importing a readiness document whose
//! claims certificates judge.

use crate::certify::{IssueRequest, import_claims, issue};
use crate::config::DbArgs;
use anyhow::{Context, bail};
use clap::Args;
use readiness_core::assess::EvidenceRef;
use readiness_core::certificate::{Certificate, ManifestEntry};
use readiness_core::claims::judge;
use readiness_report::{
    ArtifactProblem, SignedCertificate, SigningKey, check_artifacts, check_artifacts_in_dir,
    verify_file, verify_with_key,
};
use readiness_store::claims::MAX_CLAIMS_BYTES;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The project's slug.
    #[arg(long)]
    project: String,
    /// The commit to certify: load-test evidence of other commits does not
    /// count.
    #[arg(long)]
    commit: Option<String>,
    /// The environment whose evidence counts, such as `staging`.
    #[arg(long)]
    environment: Option<String>,
    /// Where to write the certificate's PDF.
    #[arg(long)]
    pdf: PathBuf,
    /// Where to write the signed certificate's JSON as well.
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A certificate: its PDF, or its signed JSON.
    file: PathBuf,
    /// A folder holding the evidence files; each artifact the certificate
    /// lists must be there, by name or by content, with its SHA-256.
    #[arg(long, conflicts_with = "server")]
    evidence: Option<PathBuf>,
    /// A Readiness server holding the evidence: each artifact is fetched
    /// from it and hashed, and the certificate must be signed by its key.
    #[arg(long)]
    server: Option<String>,
    /// A token of the project, to read its artifacts from `--server`.
    #[arg(
        long,
        env = "READINESS_TOKEN",
        hide_env_values = true,
        requires = "server"
    )]
    token: Option<String>,
    /// The issuer's public key (64 hex digits), when you have it from a
    /// source you trust; `--server` asks the server for it.
    #[arg(long)]
    public_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct ClaimsArgs {
    /// A Markdown readiness document.
    file: PathBuf,
    /// The project's slug.
    #[arg(long)]
    project: String,
    /// Make the document's targets the project's (one per metric).
    #[arg(long)]
    replace_targets: bool,
    /// The commit to judge the claims against now.
    #[arg(long)]
    commit: Option<String>,
    /// The environment to judge the claims against now.
    #[arg(long)]
    environment: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

/// Issues a certificate on the database and writes its files.
pub async fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let store = super::open(&args.db).await?;
    let project = store.project(&args.project).await?;
    let key_path = args.db.signing_key_path();
    let key = SigningKey::load_or_create(&key_path)
        .with_context(|| format!("cannot load the signing key {}", key_path.display()))?;
    let clean = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    // The files are opened first: a path that cannot be written is refused
    // before a certificate is numbered and stored.
    let mut outputs = vec![(create(&args.pdf)?, args.pdf.clone())];
    if let Some(json) = &args.json {
        outputs.push((create(json)?, json.clone()));
    }
    let issued = issue(
        &store,
        &Arc::new(key),
        &project,
        &IssueRequest {
            commit: clean(args.commit),
            environment: clean(args.environment),
            issued_by: "cli".to_owned(),
        },
    )
    .await;
    let issued = match issued {
        Ok(issued) => issued,
        Err(err) => {
            for (_, path) in &outputs {
                let _ = std::fs::remove_file(path);
            }
            return Err(anyhow::Error::from(err)
                .context(format!("cannot issue a certificate for {}", project.slug)));
        }
    };
    let summary = &issued.summary;
    // The certificate is stored whatever happens to the files: say so
    // before writing them.
    eprintln!(
        "issued certificate {} of {}: {} (evidence coverage {:.0} %, {} artifacts{})",
        summary.number,
        project.slug,
        summary.verdict.label(),
        summary.coverage * 100.0,
        summary.evidence,
        issued
            .claims
            .as_deref()
            .map(|c| format!(", claims of {c}"))
            .unwrap_or_default()
    );
    let mut outputs = outputs.into_iter();
    if let Some((file, path)) = outputs.next() {
        write(file, &path, &issued.pdf)?;
        println!("{}", path.display());
    }
    if let Some((file, path)) = outputs.next() {
        write(file, &path, issued.json.as_bytes())?;
        println!("{}", path.display());
    }
    for reason in &issued.signed.certificate.reasons {
        eprintln!("  - {reason}");
    }
    Ok(ExitCode::SUCCESS)
}

fn create(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::create(path)
        .with_context(|| format!("cannot write {}; no certificate was issued", path.display()))
}

fn write(mut file: std::fs::File, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| {
            format!(
                "cannot write {} (the certificate is stored: download it again from the server)",
                path.display()
            )
        })
}

/// Checks a certificate file and, given a folder or a server, its
/// evidence. Exit 0 when everything checked is as issued, 1 saying what
/// differs.
pub async fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let signed = match verify_file(&bytes) {
        Ok(signed) => signed,
        Err(err) => {
            println!("INVALID: {}: {err}", args.file.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    let certificate = &signed.certificate;
    println!(
        "signature: valid ({} key {}) over certificate {} of {} ({}), issued {}",
        signed.signature.algorithm,
        signed.signature.public_key,
        certificate.number,
        certificate.project.slug,
        certificate.verdict.label(),
        certificate.issued_at.format("%Y-%m-%d %H:%M:%S UTC"),
    );
    let mut valid = true;
    if let Some(expected) = &args.public_key {
        valid &= key_matches(&signed, expected, "the key given with --public-key");
    }
    let problems = if let Some(dir) = &args.evidence {
        let problems = check_artifacts_in_dir(certificate, dir)
            .with_context(|| format!("cannot read the evidence folder {}", dir.display()))?;
        Some((format!("in {}", dir.display()), problems))
    } else if let Some(server) = &args.server {
        let server = server.trim_end_matches('/');
        let client = reqwest::Client::new();
        let published = server_key(&client, server).await?;
        valid &= key_matches(&signed, &published, &format!("{server}'s key"));
        let digests = fetch_digests(&client, server, args.token.as_deref(), certificate).await?;
        let problems = check_artifacts(certificate, |entry| digests.get(&entry.id).copied());
        Some((format!("on {server}"), problems))
    } else {
        None
    };
    match problems {
        None => println!(
            "evidence: not checked ({} artifacts listed); pass --evidence DIR or --server URL \
             to check their SHA-256",
            certificate.manifest.len()
        ),
        Some((place, problems)) => {
            for entry in &certificate.manifest {
                let problem = problems.iter().find(|p| problem_id(p) == entry.id);
                match problem {
                    None => println!(
                        "ok        {:<13} {} sha256 {}",
                        entry.id.label(),
                        entry.file_name,
                        entry.sha256
                    ),
                    Some(problem) => println!("DIFFERS   {problem}"),
                }
            }
            if problems.is_empty() {
                println!(
                    "evidence: all {} artifacts {place} match the certificate",
                    certificate.manifest.len()
                );
            } else {
                println!(
                    "evidence: {} of {} artifacts {place} do not match the certificate",
                    problems.len(),
                    certificate.manifest.len()
                );
                valid = false;
            }
        }
    }
    if valid {
        println!("VALID: {}", args.file.display());
        Ok(ExitCode::SUCCESS)
    } else {
        println!("INVALID: {}", args.file.display());
        Ok(ExitCode::FAILURE)
    }
}

fn problem_id(problem: &ArtifactProblem) -> EvidenceRef {
    match problem {
        ArtifactProblem::Missing { id, .. } | ArtifactProblem::Changed { id, .. } => *id,
    }
}

/// Whether the certificate was signed by `expected`, printing the answer.
fn key_matches(signed: &SignedCertificate, expected: &str, whose: &str) -> bool {
    match verify_with_key(signed, expected) {
        Ok(()) => {
            println!("issuer: signed by {whose}");
            true
        }
        Err(err) => {
            println!("issuer: {err} ({whose})");
            false
        }
    }
}

/// The key a server signs certificates with.
async fn server_key(client: &reqwest::Client, server: &str) -> anyhow::Result<String> {
    let url = format!("{server}/api/v1/signing-key");
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .await
        .with_context(|| format!("{url} answered {status} without JSON"))?;
    match body["public_key"].as_str() {
        Some(key) if status.is_success() => Ok(key.to_owned()),
        _ => bail!("{url} answered {status} without a public key: {body}"),
    }
}

/// The SHA-256 of every artifact of the manifest the server still has.
/// An artifact the server does not have is left out (and reported as
/// missing); a refusal stops the check, since nothing could be concluded.
async fn fetch_digests(
    client: &reqwest::Client,
    server: &str,
    token: Option<&str>,
    certificate: &Certificate,
) -> anyhow::Result<HashMap<EvidenceRef, [u8; 32]>> {
    let mut digests = HashMap::new();
    for entry in &certificate.manifest {
        let url = artifact_url(server, entry);
        let mut request = client.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            continue;
        }
        if !status.is_success() {
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let message = body["error"]["message"].as_str().unwrap_or("no message");
            let hint = if token.is_none() {
                "; pass --token with a token of the project"
            } else {
                ""
            };
            bail!(
                "the server refused {} ({status}): {message}{hint}",
                entry.id.label()
            );
        }
        let bytes = response
            .bytes()
            .await
            .with_context(|| format!("cannot read {url}"))?;
        digests.insert(entry.id, Sha256::digest(&bytes).into());
    }
    Ok(digests)
}

fn artifact_url(server: &str, entry: &ManifestEntry) -> String {
    match entry.id {
        EvidenceRef::Run(id) => format!("{server}/api/v1/runs/{id}/artifact"),
        EvidenceRef::Upload(id) => format!("{server}/api/v1/evidence/{id}/artifact"),
    }
}

/// Imports a readiness document's claims into a project and shows how the
/// evidence stands to each now.
pub async fn claims(args: ClaimsArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    if bytes.len() > MAX_CLAIMS_BYTES {
        bail!(
            "{} is {} bytes; a claims document may be at most {MAX_CLAIMS_BYTES}",
            args.file.display(),
            bytes.len()
        );
    }
    let markdown = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (byte {} is not UTF-8): expected a Markdown document",
            args.file.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "claims.md".to_owned());
    let store = super::open(&args.db).await?;
    let project = store.project(&args.project).await?;
    let imported = import_claims(
        &store,
        &project,
        &file_name,
        &markdown,
        args.replace_targets,
        "cli",
    )
    .await?;
    let document = &imported.document;
    println!(
        "imported {file_name} into {}: {} claims, {} unmatched lines",
        project.slug,
        document.claims.len(),
        document.unmatched.len()
    );
    let assessment = store
        .assessment(&project, args.commit, args.environment, chrono::Utc::now())
        .await?;
    for judgement in judge(&document.claims, &assessment) {
        let claim = &judgement.claim;
        println!(
            "line {:>4}  {:<12}  {}  ({})",
            claim.line,
            judgement.outcome.as_str(),
            claim.target,
            judgement.detail
        );
    }
    for unmatched in &document.unmatched {
        println!(
            "line {:>4}  unmatched     {}: {}",
            unmatched.line, unmatched.text, unmatched.reason
        );
    }
    if let Some(targets) = &imported.targets_replaced {
        println!("the project's targets are now: {}", targets.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}
