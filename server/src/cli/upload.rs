//! `readiness upload`: send result files to a server from CI.

use crate::evidence::FileSource;
use anyhow::Context;
use clap::Args;
use readiness_core::formats::Format;
use readiness_core::run::ScenarioKind;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// The result files of one run: one file, several files (Locust's CSVs,
    /// a Gatling report), a folder, or a tar.gz or zip bundle.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The server's address, such as `https://readiness.example.com`.
    #[arg(long, env = "READINESS_SERVER")]
    server: String,
    /// A CI token of the project (`readiness token create`).
    #[arg(long, env = "READINESS_TOKEN", hide_env_values = true)]
    token: String,
    /// The project's slug.
    #[arg(long, env = "READINESS_PROJECT")]
    project: String,
    #[arg(long)]
    scenario: Option<ScenarioKind>,
    #[arg(long)]
    commit: Option<String>,
    #[arg(long)]
    branch: Option<String>,
    #[arg(long)]
    environment: Option<String>,
    /// A link to the CI job that produced the files.
    #[arg(long)]
    ci_job_url: Option<String>,
    #[arg(long)]
    label: Option<String>,
    /// The input format, when detection should not decide.
    #[arg(long)]
    format: Option<Format>,
}

pub async fn run(args: UploadArgs) -> anyhow::Result<ExitCode> {
    let sources = FileSource::expand(&args.files).context("cannot read the files to upload")?;
    let mut query: Vec<(&str, String)> = Vec::new();
    let mut add = |key, value: Option<String>| {
        if let Some(value) = value {
            query.push((key, value));
        }
    };
    add("scenario", args.scenario.map(|s| s.as_str().to_owned()));
    add("commit", args.commit.clone());
    add("branch", args.branch.clone());
    add("environment", args.environment.clone());
    add("ci_job_url", args.ci_job_url.clone());
    add("label", args.label.clone());
    add("format", args.format.map(|f| f.name().to_owned()));
    let url = format!(
        "{}/api/v1/projects/{}/runs",
        args.server.trim_end_matches('/'),
        args.project
    );
    let client = reqwest::Client::new();
    let request = match sources.as_slice() {
        [one] => {
            let file_name = base_name(one.path());
            query.push(("filename", file_name));
            let file = tokio::fs::File::open(one.path())
                .await
                .with_context(|| format!("cannot read {}", one.path().display()))?;
            let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
            client.post(&url).query(&query).body(body)
        }
        several => {
            let mut form = reqwest::multipart::Form::new();
            for source in several {
                let file = tokio::fs::File::open(source.path())
                    .await
                    .with_context(|| format!("cannot read {}", source.path().display()))?;
                let length = file.metadata().await?.len();
                let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
                let part = reqwest::multipart::Part::stream_with_length(body, length)
                    .file_name(readiness_core::input::Source::name(source).to_owned());
                form = form.part("file", part);
            }
            client.post(&url).query(&query).multipart(form)
        }
    };
    let response = request
        .bearer_auth(&args.token)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .await
        .with_context(|| format!("the server answered {status} without a JSON body"))?;
    if !status.is_success() {
        let code = body["error"]["code"].as_str().unwrap_or("error");
        let message = body["error"]["message"].as_str().unwrap_or("no message");
        eprintln!("error: the server refused the upload ({status}, {code}): {message}");
        return Ok(ExitCode::FAILURE);
    }
    let run = &body["run"];
    let what = if status == reqwest::StatusCode::CREATED {
        "created"
    } else {
        "already uploaded as"
    };
    eprintln!(
        "{what} run {} ({}, {} requests, p95 {} ms, sha256 {})",
        body["id"],
        run["format"].as_str().unwrap_or("?"),
        run["requests"],
        run["latency_ms"]["p95"],
        body["sha256"].as_str().unwrap_or("?"),
    );
    println!("{}", body["url"].as_str().unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}

fn base_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "upload".to_owned())
}
