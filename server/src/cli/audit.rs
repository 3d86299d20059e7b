//! `readiness audit`: judge configuration files, status dumps, workload
//! exports and monitoring inventories offline, with the rules of the
//! catalogue; print a table, JSON, or SARIF for code-scanning tools.
//! Exit code 1 when any finding fails, 0 otherwise.

use crate::evidence::FileSource;
use anyhow::{Context, bail};
use clap::Args;
use readiness_core::assess::Severity;
use readiness_core::audit::{self, Finding, HostProfile, Inputs, Role, Server};
use readiness_core::input::{MemorySource, Source};
use readiness_core::targets::{Metric, Outcome, Target};
use readiness_store::bundle::files_of;
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Configuration files, dumps, exports, dashboards and rule files; a
    /// folder, or a tar.gz or zip bundle (includes resolve inside it).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The host's RAM (e.g. 8GiB), for rules that need it; with --cpus it
    /// describes one server running every role.
    #[arg(long)]
    ram: Option<String>,
    #[arg(long)]
    cpus: Option<u32>,
    /// A readiness.toml with targets and a [host] profile.
    #[arg(long)]
    targets: Option<PathBuf>,
    /// Print the findings as JSON.
    #[arg(long, conflicts_with = "sarif")]
    json: bool,
    /// Write the findings as SARIF 2.1.0 to this file.
    #[arg(long)]
    sarif: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    host: Option<HostProfile>,
    #[serde(default)]
    heuristics: std::collections::BTreeMap<String, f64>,
    #[serde(flatten)]
    _rest: toml::Table,
}

/// `8GiB`, `512MiB`, `16G`: a RAM size.
fn parse_ram(text: &str) -> anyhow::Result<u64> {
    let lower = text.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let value: f64 = number
        .parse()
        .with_context(|| format!("--ram {text}: expected a size such as 8GiB"))?;
    let factor = match unit.trim() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            bail!("--ram {text}: unknown unit `{other}`; expected K, M, G or T (powers of 1024)")
        }
    };
    Ok((value * factor) as u64)
}

fn inputs(args: &AuditArgs) -> anyhow::Result<Inputs> {
    let mut inputs = Inputs::default();
    if let Some(path) = &args.targets {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let file: ConfigFile =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let targets: Vec<Target> = file
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.parse::<Target>().map_err(|e| {
                    anyhow::anyhow!("{}: targets[{i}]: {e}\n{}", path.display(), e.pointer())
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let threshold = |metric: Metric| {
            targets
                .iter()
                .find(|t| t.metric == metric && t.scope.is_empty() && t.baseline_run.is_none())
                .map(|t| t.threshold)
        };
        inputs.target_users = threshold(Metric::Users);
        inputs.target_rps = threshold(Metric::Throughput);
        inputs.host = file.host;
        inputs.heuristics = file.heuristics;
    }
    if args.ram.is_some() || args.cpus.is_some() {
        let (Some(ram), Some(cpus)) = (&args.ram, args.cpus) else {
            bail!("--ram and --cpus go together: they describe the host");
        };
        let server = Server {
            name: "host".to_owned(),
            roles: vec![Role::Web, Role::Php, Role::Db, Role::Cache],
            ram_bytes: parse_ram(ram)?,
            cpus,
        };
        let host = inputs.host.get_or_insert_with(HostProfile::default);
        host.servers = vec![server];
    }
    Ok(inputs)
}

pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let inputs = inputs(&args)?;
    let paths = FileSource::expand(&args.paths).context("cannot read the files to audit")?;
    let mut sources: Vec<MemorySource> = Vec::new();
    for file in &paths {
        let bytes =
            std::fs::read(file.path()).with_context(|| format!("cannot read {}", file.name()))?;
        let inner = files_of(file.name(), &bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
        // A bundle's files are named inside it, so its includes resolve.
        sources.extend(inner);
    }
    let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
    let stack = match audit::load(&refs) {
        Ok(stack) => stack,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let findings = audit::evaluate(&stack, &inputs);
    if let Some(path) = &args.sarif {
        let log = sarif(&findings);
        std::fs::write(path, serde_json::to_string_pretty(&log)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "files": stack.files.iter().map(|(n, k)| json!({"name": n, "kind": k})).collect::<Vec<_>>(),
                "findings": findings,
            }))?
        );
    } else {
        print!("{}", table(&stack.files, &findings));
    }
    let failed = findings
        .iter()
        .any(|f| f.evaluation.outcome == Outcome::Fail);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn table(files: &[(String, audit::Kind)], findings: &[Finding]) -> String {
    let mut out = String::from("Files read:\n");
    for (name, kind) in files {
        out.push_str(&format!("  {name}  ({kind})\n"));
    }
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    let rank = |o: Outcome| match o {
        Outcome::Fail => 0,
        Outcome::Warn => 1,
        Outcome::Unverified => 2,
        Outcome::Pass => 3,
    };
    sorted.sort_by_key(|f| {
        (
            rank(f.evaluation.outcome),
            std::cmp::Reverse(f.severity),
            f.category,
            f.rule.clone(),
        )
    });
    out.push('\n');
    for f in sorted {
        let e = &f.evaluation;
        let location = e
            .location
            .as_ref()
            .map(|l| format!(" [{l}]"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<10} {:<8} {:<34} {}{location}\n",
            e.outcome.as_str().to_uppercase(),
            f.severity.as_str(),
            f.rule,
            e.detail
        ));
    }
    let count = |o: Outcome| {
        findings
            .iter()
            .filter(|f| f.evaluation.outcome == o)
            .count()
    };
    out.push_str(&format!(
        "\n{} passed, {} warned, {} failed, {} unverified\n",
        count(Outcome::Pass),
        count(Outcome::Warn),
        count(Outcome::Fail),
        count(Outcome::Unverified)
    ));
    out
}

/// SARIF 2.1.0: every rule as a reporting descriptor, every failed or
/// warned finding as a result located at its file and line, so code
/// scanning shows it inline. Passes and unverified findings are not
/// results (SARIF results are problems).
pub fn sarif(findings: &[Finding]) -> serde_json::Value {
    let level = |severity: Severity| match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    };
    // artifactLocation.uri must be a URI reference: a file named
    // "my site.conf" (or with '%', '#', '?', ':' or non-ASCII) is not one
    // as it stands, so every byte but unreserved ones and '/' is
    // percent-encoded, as viewers decode it back.
    let uri = |file: &str| {
        let mut out = String::with_capacity(file.len());
        for byte in file.replace('\\', "/").bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        out
    };
    let rules: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            json!({
                "id": f.rule,
                "name": f.rule.replace('.', "_"),
                "shortDescription": {"text": f.title},
                "fullDescription": {"text": f.why},
                "help": {"text": f.fix},
                "defaultConfiguration": {"level": level(f.severity)},
                "properties": {"category": f.category.label(), "severity": f.severity.as_str()},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.evaluation.outcome, Outcome::Fail | Outcome::Warn))
        .map(|(index, f)| {
            let e = &f.evaluation;
            let mut text = e.detail.clone();
            if !e.threshold.is_empty() {
                text.push_str(&format!(" Threshold: {}.", e.threshold));
            }
            text.push_str(&format!(" Fix: {}", f.fix));
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": index,
                "level": if e.outcome == Outcome::Fail { level(f.severity) } else { "warning" },
                "message": {"text": text},
            });
            if let Some(location) = &e.location {
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&location.file)},
                        "region": {"startLine": location.line.max(1)},
                    }
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "readiness",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
