//! `readiness gate`: the check CI runs to stop a release. Offline it judges
//! result files against targets kept as code (`readiness.toml`); online it
//! asks the server for the project's assessment. Exit codes: 0 when every
//! target is verified and met, 1 when any check fails, 2 when none fails
//! but some are unverified.

use crate::evidence::{FileSource, Limits, read_run};
use anyhow::{Context, bail};
use clap::Args;
use readiness_core::assess::{Assessment, AuditInput, Check, Policy, RunEvidence, assess};
use readiness_core::formats::Format;
use readiness_core::model::{Provenance, RunSummary};
use readiness_core::run::ScenarioKind;
use readiness_core::targets::{Outcome, Target, default_targets, trim_number};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct GateArgs {
    /// Result files to judge offline (as for `readiness ingest`).
    files: Vec<PathBuf>,
    /// Targets kept as code; the default targets otherwise.
    #[arg(long)]
    targets: Option<PathBuf>,
    /// The scenario kind the files exercised.
    #[arg(long)]
    scenario: Option<ScenarioKind>,
    #[arg(long)]
    format: Option<Format>,
    /// Ask this server for the project's assessment instead.
    #[arg(long, env = "READINESS_SERVER")]
    server: Option<String>,
    #[arg(long, env = "READINESS_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[arg(long, env = "READINESS_PROJECT")]
    project: Option<String>,
    /// The commit being assessed (online).
    #[arg(long)]
    commit: Option<String>,
    #[arg(long)]
    environment: Option<String>,
    /// Print the assessment as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write the checks as JUnit XML, one test case per check.
    #[arg(long)]
    junit: Option<PathBuf>,
}

/// `readiness.toml`: targets and evidence policy kept with the code.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    targets: Vec<String>,
    #[serde(default)]
    max_age_days: Option<i64>,
    #[serde(default)]
    soak_tolerance: Option<f64>,
}

fn load_targets(path: &Path) -> anyhow::Result<(Vec<Target>, TargetsFile)> {
    let name = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
    let file: TargetsFile = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    for (i, expression) in file.targets.iter().enumerate() {
        match expression.parse::<Target>() {
            Ok(t) => targets.push(t),
            Err(e) => errors.push(format!("{name}: targets[{i}]: {e}\n{}", e.pointer())),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok((targets, file))
}

/// The checks the gate judges: every target, and the criterion of each
/// scenario that was run.
fn gated(assessment: &Assessment) -> Vec<&Check> {
    assessment
        .checks
        .iter()
        .filter(|c| c.target.is_some() || (c.id.starts_with("scenario:") && !c.evidence.is_empty()))
        .collect()
}

fn exit_code(checks: &[&Check]) -> u8 {
    if checks.iter().any(|c| c.outcome == Outcome::Fail) {
        1
    } else if checks.iter().any(|c| c.outcome == Outcome::Unverified) {
        2
    } else {
        0
    }
}

pub async fn run(args: GateArgs) -> anyhow::Result<ExitCode> {
    let assessment = match &args.server {
        Some(server) => online(server, &args).await?,
        None => offline(&args)?,
    };
    let checks = gated(&assessment);
    if let Some(path) = &args.junit {
        std::fs::write(path, junit(&checks))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&assessment)?);
    } else {
        print!("{}", table(&checks));
        let code = exit_code(&checks);
        let counted = |o: Outcome| checks.iter().filter(|c| c.outcome == o).count();
        println!(
            "\n{} passed, {} warned, {} failed, {} unverified: {}",
            counted(Outcome::Pass),
            counted(Outcome::Warn),
            counted(Outcome::Fail),
            counted(Outcome::Unverified),
            match code {
                0 => "every target verified and met",
                1 => "the gate is closed",
                _ => "nothing failed, but not everything is verified",
            }
        );
    }
    Ok(ExitCode::from(exit_code(&checks)))
}

fn offline(args: &GateArgs) -> anyhow::Result<Assessment> {
    if args.files.is_empty() {
        bail!("give result files to judge, or --server, --token and --project to ask a server");
    }
    let (targets, file) = match &args.targets {
        Some(path) => {
            let (targets, file) = load_targets(path)?;
            (targets, Some(file))
        }
        None => (default_targets(), None),
    };
    let sources = FileSource::expand(&args.files).context("cannot read the result files")?;
    let work = tempfile::tempdir()?;
    let (mut run, _) = read_run(&sources, work.path(), Limits::default(), args.format)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(scenario) = args.scenario {
        run.scenario = scenario;
    }
    let now = chrono::Utc::now();
    let summary = RunSummary {
        id: 0,
        sha256: String::new(),
        scenario: run.scenario,
        format: run.format.clone(),
        uploaded_at: now,
        provenance: Provenance {
            commit: args.commit.clone(),
            environment: args.environment.clone(),
            ..Provenance::default()
        },
        requests: run.requests,
        p95_ms: run.latency_ms.p95,
        p99_ms: run.latency_ms.p99,
        error_rate: run.error_rate,
        throughput_rps: run.throughput_rps,
        vus_max: run.vus_max,
    };
    let mut policy = Policy {
        commit: args.commit.clone(),
        environment: args.environment.clone(),
        ..Policy::new(now)
    };
    if let Some(file) = &file {
        policy.max_age_days = file.max_age_days.unwrap_or(policy.max_age_days);
        policy.soak_tolerance = file.soak_tolerance.unwrap_or(policy.soak_tolerance);
    }
    Ok(assess(
        &targets,
        &[RunEvidence {
            summary: &summary,
            run: &run,
        }],
        &AuditInput::default(),
        &policy,
    ))
}

async fn online(server: &str, args: &GateArgs) -> anyhow::Result<Assessment> {
    let project = args
        .project
        .as_deref()
        .context("--project (or READINESS_PROJECT) is needed with --server")?;
    let url = format!(
        "{}/api/v1/projects/{project}/assessment",
        server.trim_end_matches('/')
    );
    let mut query = Vec::new();
    if let Some(commit) = &args.commit {
        query.push(("commit", commit.clone()));
    }
    if let Some(environment) = &args.environment {
        query.push(("environment", environment.clone()));
    }
    let mut request = reqwest::Client::new().get(&url).query(&query);
    if let Some(token) = &args.token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .await
        .with_context(|| format!("the server answered {status} without a JSON body"))?;
    if !status.is_success() {
        bail!(
            "the server refused ({status}): {}",
            body["error"]["message"].as_str().unwrap_or("no message")
        );
    }
    serde_json::from_value(body["assessment"].clone())
        .context("the server's assessment is not readable")
}

fn label(check: &Check) -> String {
    let what = check.target.clone().unwrap_or_else(|| check.title.clone());
    match check.scenario {
        Some(kind) if check.target.is_some() => format!("{what} ({kind})"),
        _ => what,
    }
}

fn table(checks: &[&Check]) -> String {
    let rows: Vec<[String; 4]> = checks
        .iter()
        .map(|c| {
            let margin = match (c.margin, c.margin_pct) {
                (Some(_), Some(pct)) => format!("{}%", trim_number(pct, 1)),
                _ => String::new(),
            };
            [
                c.outcome.as_str().to_uppercase(),
                label(c),
                c.measured_text.clone().unwrap_or_else(|| "-".to_owned()),
                margin,
            ]
        })
        .collect();
    let width = |i: usize, title: &str| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
            .max(title.len())
    };
    let widths = [
        width(0, "OUTCOME"),
        width(1, "CHECK"),
        width(2, "MEASURED"),
        width(3, "MARGIN"),
    ];
    let mut out = format!(
        "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  DETAIL\n",
        "OUTCOME",
        "CHECK",
        "MEASURED",
        "MARGIN",
        w0 = widths[0],
        w1 = widths[1],
        w2 = widths[2],
        w3 = widths[3]
    );
    for (row, check) in rows.iter().zip(checks) {
        out.push_str(&format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}\n",
            row[0],
            row[1],
            row[2],
            row[3],
            check.detail,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        ));
    }
    out
}

fn xml_escape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&apos;".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

/// JUnit XML: one test case per check, failures as failures and unverified
/// checks as skipped, so CI systems show them natively.
fn junit(checks: &[&Check]) -> String {
    let failures = checks.iter().filter(|c| c.outcome == Outcome::Fail).count();
    let skipped = checks
        .iter()
        .filter(|c| c.outcome == Outcome::Unverified)
        .count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"readiness\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n  <testsuite name=\"readiness gate\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n",
        checks.len(),
        checks.len()
    );
    for check in checks {
        let classname = format!(
            "readiness.{}",
            serde_json::to_value(check.category)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        );
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\">\n",
            xml_escape(&classname),
            xml_escape(&label(check))
        ));
        let detail = xml_escape(&check.detail);
        match check.outcome {
            Outcome::Fail => out.push_str(&format!(
                "      <failure message=\"{detail}\" type=\"target\">{detail}</failure>\n"
            )),
            Outcome::Unverified => out.push_str(&format!(
                "      <skipped message=\"unverified: {detail}\"/>\n"
            )),
            Outcome::Warn | Outcome::Pass => {}
        }
        out.push_str(&format!(
            "      <system-out>{detail}</system-out>\n    </testcase>\n"
        ));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
