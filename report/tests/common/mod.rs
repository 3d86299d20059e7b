//! Certificates made the way the server will make them: real evidence
//! files from core's fixtures, parsed by core's formats and audit, assessed
//! by core's `assess`, then frozen with `certificate::build`.

#![allow(dead_code, reason = "each test file uses a part of the helpers")]

use chrono::{DateTime, TimeZone, Utc};
use readiness_core::assess::EvidenceRef;
use readiness_core::assess::{AuditInput, Exemption, Policy, RunEvidence, assess};
use readiness_core::audit::{Finding, Inputs, evaluate, load};
use readiness_core::certificate::{
    Certificate, CertificateInputs, ClaimRow, ManifestEntry, RunRef, build,
};
use readiness_core::formats::parse_run;
use readiness_core::input::{MemorySource, Source};
use readiness_core::model::{Provenance, RunSummary};
use readiness_core::run::{Run, ScenarioKind};
use readiness_core::targets::default_targets;
use readiness_report::{SignedCertificate, SigningKey, sha256_hex, sign};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const COMMIT: &str = "4f2a9c1e7b";
pub const ENVIRONMENT: &str = "staging";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

/// One evidence file as uploaded.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub id: i64,
    /// A run's result, or else an audit upload.
    pub run: bool,
    pub kind: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub label: Option<String>,
}

impl Artifact {
    /// What checks cite for this artifact.
    pub fn evidence(&self) -> EvidenceRef {
        if self.run {
            EvidenceRef::Run(self.id)
        } else {
            EvidenceRef::Upload(self.id)
        }
    }

    pub fn manifest_entry(&self) -> ManifestEntry {
        ManifestEntry {
            id: self.evidence(),
            kind: self.kind.clone(),
            file_name: self.file_name.clone(),
            size: self.bytes.len() as u64,
            sha256: sha256_hex(&self.bytes),
            uploaded_at: now() - chrono::Duration::hours(2),
            commit: Some(COMMIT.to_owned()),
            branch: Some("main".to_owned()),
            environment: Some(ENVIRONMENT.to_owned()),
            ci_job_url: Some(format!("https://ci.example.test/jobs/{}", 1000 + self.id)),
            label: self.label.clone(),
        }
    }
}

fn core_fixture(path: &str) -> Vec<u8> {
    let path = format!(
        "{}/../core/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The evidence of a project: two runs and an audit upload of three
/// configuration files.
pub struct Evidence {
    pub runs: Vec<Artifact>,
    pub audit: Vec<Artifact>,
    pub scenarios: Vec<ScenarioKind>,
}

impl Evidence {
    pub fn standard() -> Evidence {
        Evidence {
            runs: vec![
                Artifact {
                    id: 11,
                    run: true,
                    kind: "run (k6-ndjson)".to_owned(),
                    file_name: "xk6-dashboard-out-json-result.ndjson".to_owned(),
                    bytes: core_fixture("k6/xk6-dashboard-out-json-result.ndjson"),
                    label: Some("nightly".to_owned()),
                },
                Artifact {
                    id: 12,
                    run: true,
                    kind: "run (k6-summary)".to_owned(),
                    file_name: "k6-reporter-handlesummary-simple.json".to_owned(),
                    bytes: core_fixture("k6/k6-reporter-handlesummary-simple.json"),
                    label: None,
                },
            ],
            audit: vec![
                Artifact {
                    id: 21,
                    run: false,
                    kind: "redis.conf".to_owned(),
                    file_name: "redis.conf".to_owned(),
                    bytes: core_fixture("audit/redis/redis.conf"),
                    label: None,
                },
                Artifact {
                    id: 22,
                    run: false,
                    kind: "php.ini".to_owned(),
                    file_name: "php.ini".to_owned(),
                    bytes: core_fixture("audit/php/laradock-php8.4.ini"),
                    label: None,
                },
                Artifact {
                    id: 23,
                    run: false,
                    kind: "nginx configuration".to_owned(),
                    file_name: "nginx.conf".to_owned(),
                    bytes: core_fixture("audit/nginx/nginx.conf"),
                    label: None,
                },
            ],
            scenarios: vec![ScenarioKind::Sustained, ScenarioKind::Spike],
        }
    }

    pub fn artifacts(&self) -> impl Iterator<Item = &Artifact> {
        self.runs.iter().chain(&self.audit)
    }

    /// Parses, audits and assesses the evidence, then builds certificate
    /// `number`.
    pub fn certificate(&self, number: u64, claims: Option<Vec<ClaimRow>>) -> Certificate {
        let runs: Vec<(RunSummary, Run)> = self
            .runs
            .iter()
            .zip(&self.scenarios)
            .map(|(artifact, kind)| {
                let mut run = parse_run(&artifact.file_name, &artifact.bytes, None)
                    .unwrap_or_else(|e| panic!("{}: {e}", artifact.file_name));
                // As an upload with ?scenario= says.
                run.scenario = *kind;
                let figures = RunSummary::figures_of(&run);
                let summary = RunSummary {
                    id: artifact.id,
                    sha256: sha256_hex(&artifact.bytes),
                    scenario: *kind,
                    format: run.format.clone(),
                    uploaded_at: now() - chrono::Duration::hours(2),
                    provenance: Provenance {
                        commit: Some(COMMIT.to_owned()),
                        branch: Some("main".to_owned()),
                        environment: Some(ENVIRONMENT.to_owned()),
                        ci_job_url: None,
                        label: artifact.label.clone(),
                    },
                    requests: figures.requests,
                    p95_ms: figures.p95_ms,
                    p99_ms: figures.p99_ms,
                    error_rate: figures.error_rate,
                    throughput_rps: figures.throughput_rps,
                    vus_max: figures.vus_max,
                };
                (summary, run)
            })
            .collect();
        let findings = self.findings();
        let audit = AuditInput {
            findings: findings.clone(),
            evidence: self.audit.iter().map(|a| a.id).collect(),
            exemptions: vec![Exemption {
                rule: "redis.maxmemory".to_owned(),
                reason: "the container's memory limit is enforced by the orchestrator".to_owned(),
                expires_on: (now() + chrono::Duration::days(30)).date_naive(),
            }],
            ..AuditInput::default()
        };
        let policy = Policy {
            commit: Some(COMMIT.to_owned()),
            environment: Some(ENVIRONMENT.to_owned()),
            ..Policy::new(now())
        };
        let evidence: Vec<RunEvidence<'_>> = runs
            .iter()
            .map(|(summary, run)| RunEvidence { summary, run })
            .collect();
        let assessment = assess(&default_targets(), &evidence, &audit, &policy);
        build(CertificateInputs {
            number,
            issued_at: now(),
            validity_days: 90,
            project_slug: "chom-api".to_owned(),
            project_name: "CHOM API".to_owned(),
            assessment: &assessment,
            runs: runs
                .iter()
                .map(|(s, run)| {
                    (
                        RunRef {
                            id: s.id,
                            label: s.provenance.label.clone(),
                            uploaded_at: s.uploaded_at,
                        },
                        run,
                    )
                })
                .collect(),
            findings: &findings,
            manifest: self.artifacts().map(Artifact::manifest_entry).collect(),
            claims,
        })
    }

    pub fn findings(&self) -> Vec<Finding> {
        let sources: Vec<MemorySource> = self
            .audit
            .iter()
            .map(|a| MemorySource::new(a.file_name.clone(), a.bytes.clone()))
            .collect();
        let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
        let stack = load(&refs).unwrap_or_else(|e| panic!("{e}"));
        evaluate(&stack, &Inputs::default())
    }

    /// The evidence files in a folder, as `readiness verify --evidence`
    /// would be given them.
    pub fn write_to(&self, dir: &Path) {
        for artifact in self.artifacts() {
            std::fs::write(dir.join(&artifact.file_name), &artifact.bytes).unwrap();
        }
    }
}

pub fn key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

pub fn signed(certificate: &Certificate) -> SignedCertificate {
    sign(certificate, &key()).expect("a built certificate signs")
}

/// Where page images and PDFs are left for review.
pub fn output_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("certificates")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a poppler tool; fails the test, saying what to install, when it is
/// missing.
pub fn poppler(tool: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{tool}` ({e}): these tests read the PDF with poppler's tools; \
             install them with `apt-get install poppler-utils`"
        )
    });
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The text of a PDF (or of pages `first..=last`), as pdftotext reads it.
pub fn pdf_text(pdf: &Path, pages: Option<(u32, u32)>, layout: bool) -> String {
    let mut args: Vec<String> = Vec::new();
    if let Some((first, last)) = pages {
        args.extend([
            "-f".into(),
            first.to_string(),
            "-l".into(),
            last.to_string(),
        ]);
    }
    // Layout mode keeps lines as drawn; otherwise raw mode keeps each table
    // cell's text together, in the order it was typeset.
    args.push(if layout { "-layout" } else { "-raw" }.into());
    args.extend([pdf.to_string_lossy().into_owned(), "-".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    String::from_utf8(poppler("pdftotext", &args))
        .expect("pdftotext prints UTF-8")
        // The zero-width spaces that let long identifiers wrap (view.rs).
        .replace('\u{200B}', "")
}

/// Text with every run of whitespace made one space, so that words a table
/// cell wrapped still read as one phrase.
pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text without whitespace and hyphens: pdftotext joins a word that a
/// line broke after a hyphen (`php-` / `fpm`) into `phpfpm`, so phrases
/// are compared without either.
pub fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

pub fn page_count(pdf: &Path) -> u32 {
    let info = String::from_utf8(poppler("pdfinfo", &[&pdf.to_string_lossy()])).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints the page count")
}
