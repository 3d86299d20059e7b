//! What the typst template reads: the certificate's figures already written
//! as people read them, and its charts as SVG text. The template only lays
//! this out; it formats nothing, so the numbers in the PDF are the ones
//! tested here.

use crate::canonical::canonical_json;
use crate::signing::{SignedCertificate, sha256_hex};
use chrono::{DateTime, Utc};
use readiness_core::assess::Verdict;
use readiness_core::certificate::{Certificate, ChartTarget, ClaimStatus, Figure, RunChart};
use readiness_core::chart::{self, Band, Chart, Line, Marker, Unit};
use readiness_core::targets::{Outcome, format_ratio, trim_number};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub(crate) struct View {
    pub title: String,
    pub header_left: String,
    pub header_right: String,
    pub verdict: String,
    /// `certified`, `conditional` or `not_certified`, for the colour.
    pub verdict_key: String,
    pub reasons: Vec<String>,
    pub facts: Vec<Fact>,
    pub coverage: String,
    pub categories: Vec<CategoryView>,
    pub targets: Vec<TargetView>,
    pub scenarios: Vec<ScenarioView>,
    pub charts: Vec<ChartView>,
    pub findings: Vec<FindingView>,
    pub exemptions: Vec<Fact>,
    pub unverified: Vec<UnverifiedView>,
    pub claims: Option<Vec<ClaimView>>,
    pub manifest: Vec<ManifestView>,
    pub verification: String,
    pub signature: SignatureView,
}

#[derive(Debug, Serialize)]
pub(crate) struct Fact {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct CategoryView {
    pub label: String,
    pub score: String,
    pub checks: String,
    pub evidence: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct TargetView {
    pub target: String,
    pub scenario: String,
    pub measured: String,
    pub margin: String,
    pub outcome: String,
    pub evidence: String,
    pub note: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ScenarioView {
    pub kind: String,
    pub outcome: String,
    pub summary: String,
    pub figures: Vec<Figure>,
    pub evidence: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ChartView {
    pub heading: String,
    pub about: String,
    pub note: String,
    /// SVG documents; empty when the run has no time series.
    pub latency: String,
    pub throughput: String,
    pub errors: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct FindingView {
    pub severity: String,
    pub rule: String,
    pub title: String,
    pub outcome: String,
    pub location: String,
    pub detail: String,
    pub exemption: String,
    pub evidence: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct UnverifiedView {
    pub title: String,
    pub category: String,
    pub reason: String,
    pub how: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ClaimView {
    pub line: String,
    pub text: String,
    pub target: String,
    pub status: String,
    pub measured: String,
    pub evidence: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ManifestView {
    pub id: String,
    pub kind: String,
    pub file_name: String,
    pub size: String,
    pub sha256: String,
    pub uploaded: String,
    pub source: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct SignatureView {
    pub algorithm: String,
    pub public_key: String,
    pub short_key: String,
    pub value: String,
    pub content_sha256: String,
}

const NONE: &str = "—";

fn date_time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn or_none(value: Option<&str>) -> String {
    value
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| NONE.to_owned())
}

fn ids(ids: &[readiness_core::assess::EvidenceRef]) -> String {
    if ids.is_empty() {
        return NONE.to_owned();
    }
    ids.iter().map(|e| e.label()).collect::<Vec<_>>().join(", ")
}

fn outcome(outcome: Outcome, exempted: bool) -> String {
    match (outcome, exempted) {
        (Outcome::Fail | Outcome::Warn, true) => format!("{outcome} (exempted)"),
        _ => outcome.as_str().to_owned(),
    }
}

/// Bytes as people read them: `812 B`, `1.2 KiB`, `3.4 MiB`.
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = u;
    }
    format!("{} {unit}", trim_number(value, 1))
}

pub(crate) fn verdict_key(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Certified => "certified",
        Verdict::Conditional => "conditional",
        Verdict::NotCertified => "not_certified",
    }
}

/// Characters that would change how the text around them reads rather than
/// show themselves: line and paragraph breaks, other control characters,
/// and bidirectional overrides, isolates and marks (a right-to-left
/// override in a file name would display the rest of its line backwards).
fn is_layout_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}'
        )
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A string as the PDF shows it: every layout control written as its code
/// point, such as `[U+202E]`, so it is seen rather than obeyed.
pub(crate) fn visible(text: &str) -> String {
    if !text.chars().any(is_layout_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if is_layout_control(c) {
                format!("[U+{:04X}]", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Long identifiers (`events_statements_summary_by_digest`, paths, URLs)
/// have no place to break a line and would run into the next table
/// column: a zero-width space after their `_`, `.` and `/` gives them one.
/// Text copied from the PDF keeps those invisible characters (typst offers
/// no break opportunity that is not a character); the embedded JSON has
/// every text exactly as written.
pub(crate) fn breakable(text: &str) -> String {
    const LONG: usize = 18;
    if !text.split_whitespace().any(|w| w.chars().count() > LONG) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.chars().count() <= LONG {
            out.push_str(word);
            continue;
        }
        let mut chars = word.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if matches!(c, '_' | '.' | '/') && chars.peek().is_some() {
                out.push('\u{200B}');
            }
        }
    }
    out
}

fn make_visible(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = breakable(&visible(s)),
        serde_json::Value::Array(items) => items.iter_mut().for_each(make_visible),
        serde_json::Value::Object(members) => members.values_mut().for_each(make_visible),
        _ => {}
    }
}

impl View {
    /// The view as the template reads it, with every text made
    /// [`visible`] (the signature's line break is the only one kept).
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut value = serde_json::to_value(self).expect("the view converts to JSON");
        make_visible(&mut value);
        // Kept as they are: the signature's line break, and the charts,
        // which are SVG documents rather than text.
        value["signature"]["value"] = self.signature.value.clone().into();
        for (chart, view) in value["charts"]
            .as_array_mut()
            .into_iter()
            .flatten()
            .zip(&self.charts)
        {
            chart["latency"] = view.latency.clone().into();
            chart["throughput"] = view.throughput.clone().into();
            chart["errors"] = view.errors.clone().into();
        }
        // Rule ids stay whole: their column is wide enough, and people
        // copy them to look the rule up.
        for (finding, view) in value["findings"]
            .as_array_mut()
            .into_iter()
            .flatten()
            .zip(&self.findings)
        {
            finding["rule"] = visible(&view.rule).into();
        }
        serde_json::to_vec(&value).expect("a JSON value converts to JSON")
    }

    pub(crate) fn of(signed: &SignedCertificate) -> View {
        let c: &Certificate = &signed.certificate;
        let title = format!("Readiness certificate No. {}", c.number);
        let facts = vec![
            Fact {
                name: "Project".to_owned(),
                value: format!("{} ({})", c.project.name, c.project.slug),
            },
            Fact {
                name: "Environment".to_owned(),
                value: or_none(c.environment.as_deref()),
            },
            Fact {
                name: "Commit".to_owned(),
                value: or_none(c.commit.as_deref()),
            },
            Fact {
                name: "Evidence judged".to_owned(),
                value: date_time(&c.assessed_at),
            },
            Fact {
                name: "Issued".to_owned(),
                value: date_time(&c.issued_at),
            },
            Fact {
                name: "Valid until".to_owned(),
                value: date_time(&c.valid_until),
            },
        ];
        let coverage = format!(
            "Evidence coverage: {} of the checks had evidence ({} of {}). Unverified checks \
             earn no credit in any score.",
            format_ratio(c.coverage),
            c.verified,
            c.checks
        );
        let categories = c
            .categories
            .iter()
            .map(|r| CategoryView {
                label: r.label.clone(),
                score: format!("{} / 100", trim_number(r.score, 1)),
                checks: format!("{} of {} verified", r.verified, r.checks),
                evidence: ids(&r.evidence),
            })
            .collect();
        let targets = c
            .targets
            .iter()
            .map(|t| TargetView {
                target: t.target.clone(),
                scenario: t.scenario.map(|k| k.to_string()).unwrap_or_default(),
                measured: or_none(t.measured_text.as_deref()),
                margin: or_none(t.margin_text.as_deref()),
                outcome: outcome(t.outcome, t.exempted.is_some()),
                evidence: ids(&t.evidence),
                note: match (&t.exempted, t.outcome) {
                    (Some(reason), _) => format!("exempted: {reason}"),
                    (None, Outcome::Pass) => String::new(),
                    (None, _) => t.detail.clone(),
                },
            })
            .collect();
        let scenarios = c
            .scenarios
            .iter()
            .map(|s| ScenarioView {
                kind: s.kind.to_string(),
                outcome: s.outcome.as_str().to_owned(),
                summary: s.summary.clone(),
                figures: s.figures.clone(),
                evidence: ids(&s.evidence),
            })
            .collect();
        let charts = c.charts.iter().map(chart_view).collect();
        let findings = c
            .findings
            .iter()
            .map(|f| {
                let mut detail = f.detail.clone();
                if let Some(value) = &f.value {
                    detail.push_str(&format!(" Value: {value}."));
                }
                if !f.threshold.is_empty() {
                    detail.push_str(&format!(" Threshold: {}.", f.threshold));
                }
                if !f.defaults_assumed.is_empty() {
                    detail.push_str(&format!(
                        " Defaults assumed: {}.",
                        f.defaults_assumed.join(", ")
                    ));
                }
                FindingView {
                    severity: f.severity.as_str().to_owned(),
                    rule: f.rule.clone(),
                    title: f.title.clone(),
                    outcome: outcome(f.outcome, f.exemption.is_some()),
                    location: or_none(f.location.as_deref()),
                    detail,
                    exemption: f.exemption.clone().unwrap_or_default(),
                    evidence: ids(&f.evidence),
                }
            })
            .collect();
        let exemptions = c
            .findings
            .iter()
            .filter_map(|f| {
                f.exemption.as_ref().map(|reason| Fact {
                    name: f.rule.clone(),
                    value: reason.clone(),
                })
            })
            .chain(c.targets.iter().filter_map(|t| {
                t.exempted.as_ref().map(|reason| Fact {
                    name: t.target.clone(),
                    value: reason.clone(),
                })
            }))
            .collect();
        let unverified = c
            .unverified
            .iter()
            .map(|u| UnverifiedView {
                title: u.title.clone(),
                category: u.category.label().to_owned(),
                reason: u.reason.clone(),
                how: u.how_to_verify.clone(),
            })
            .collect();
        let claims = c.claims.as_ref().map(|claims| {
            claims
                .iter()
                .map(|claim| ClaimView {
                    line: claim.line.to_string(),
                    text: claim.text.clone(),
                    target: or_none(claim.target.as_deref()),
                    status: match claim.status {
                        ClaimStatus::Unsupported => "unsupported (no evidence)".to_owned(),
                        s => s.as_str().to_owned(),
                    },
                    measured: or_none(claim.measured_text.as_deref()),
                    evidence: ids(&claim.evidence),
                })
                .collect()
        });
        let manifest = c
            .manifest
            .iter()
            .map(|m| {
                let mut source = Vec::new();
                if let Some(commit) = &m.commit {
                    source.push(format!("commit {commit}"));
                }
                if let Some(branch) = &m.branch {
                    source.push(format!("branch {branch}"));
                }
                if let Some(env) = &m.environment {
                    source.push(format!("environment {env}"));
                }
                if let Some(label) = &m.label {
                    source.push(format!("label {label}"));
                }
                if let Some(url) = &m.ci_job_url {
                    source.push(format!("CI job {url}"));
                }
                ManifestView {
                    id: m.id.to_string(),
                    kind: m.kind.clone(),
                    file_name: m.file_name.clone(),
                    size: size(m.size),
                    sha256: m.sha256.clone(),
                    uploaded: date_time(&m.uploaded_at),
                    source: if source.is_empty() {
                        NONE.to_owned()
                    } else {
                        source.join(", ")
                    },
                }
            })
            .collect();
        let key = &signed.signature.public_key;
        View {
            header_left: format!("{title} · {}", c.project.name),
            header_right: format!("Verdict: {}", c.verdict.label()),
            title,
            verdict: c.verdict.label().to_owned(),
            verdict_key: verdict_key(c.verdict).to_owned(),
            reasons: c.reasons.clone(),
            facts,
            coverage,
            categories,
            targets,
            scenarios,
            charts,
            findings,
            exemptions,
            unverified,
            claims,
            manifest,
            verification: c.verification.clone(),
            signature: SignatureView {
                algorithm: signed.signature.algorithm.clone(),
                public_key: key.clone(),
                short_key: key.chars().take(16).collect(),
                // 128 digits do not fit one line: two lines of 64.
                value: signed
                    .signature
                    .value
                    .as_bytes()
                    .chunks(64)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join("\n"),
                content_sha256: sha256_hex(&canonical_json(c)),
            },
        }
    }
}

fn target_line(target: &Option<ChartTarget>) -> Option<(f64, String)> {
    target.as_ref().map(|t| (t.value, t.label.clone()))
}

fn chart_view(run: &RunChart) -> ChartView {
    let id = run.run.id;
    let mut heading = format!("Run {id}: {} ({} {})", run.scenario, run.tool, run.format);
    if let Some(label) = &run.run.label {
        heading.push_str(&format!(", {label}"));
    }
    let mut about = format!("Uploaded {}", date_time(&run.run.uploaded_at));
    if run.merged > 1 {
        about.push_str(&format!(
            "; each point merges {} buckets ({} s) and shows their highest p95 and p99",
            run.merged,
            trim_number(run.bucket_s, 1)
        ));
    } else if !run.points.is_empty() {
        about.push_str(&format!("; {} s buckets", trim_number(run.bucket_s, 1)));
    }
    if run.points.is_empty() {
        return ChartView {
            heading,
            about,
            note: run.note.clone().unwrap_or_default(),
            latency: String::new(),
            throughput: String::new(),
            errors: String::new(),
        };
    }
    let bands: Vec<Band> = run
        .bands
        .iter()
        .map(|b| Band {
            from: b.from_s,
            to: b.to_s,
            label: b.label.clone(),
        })
        .collect();
    let markers: Vec<Marker> = run
        .knee_s
        .map(|at| Marker {
            at,
            label: "targets first broke".to_owned(),
        })
        .into_iter()
        .collect();
    let line =
        |name: &str, value: fn(&readiness_core::certificate::ChartPoint) -> Option<f64>| Line {
            name: name.to_owned(),
            points: run.points.iter().map(|p| (p.t, value(p))).collect(),
        };
    let chart = |kind: &str, title: String, unit, lines, target| Chart {
        id: format!("run-{id}-{kind}"),
        title,
        x_label: "s".to_owned(),
        x_names: None,
        unit,
        lines,
        target,
        bands: bands.clone(),
        markers: markers.clone(),
    };
    let p99_note = run
        .p99_target
        .as_ref()
        .map(|t| format!(" (p99 target: {})", t.label))
        .unwrap_or_default();
    let latency = chart(
        "latency",
        format!("Run {id}: latency p95 and p99{p99_note}"),
        Unit::Ms,
        vec![line("p95", |p| p.p95_ms), line("p99", |p| p.p99_ms)],
        target_line(&run.p95_target),
    );
    let throughput = chart(
        "throughput",
        format!("Run {id}: throughput"),
        Unit::PerSecond,
        vec![line("requests/s", |p| p.throughput_rps)],
        target_line(&run.throughput_target),
    );
    let errors = chart(
        "errors",
        format!("Run {id}: error rate"),
        Unit::Ratio,
        vec![line("error rate", |p| p.error_rate)],
        target_line(&run.error_rate_target),
    );
    ChartView {
        heading,
        about,
        note: String::new(),
        latency: for_print(chart::render(&latency, 640.0, 230.0)),
        throughput: for_print(chart::render(&throughput, 320.0, 200.0)),
        errors: for_print(chart::render(&errors, 320.0, 200.0)),
    }
}

/// The chart without its per-point hover readouts (`<circle>` elements with
/// a `<title>`), which paper cannot show: they would be most of the SVG's
/// size and of the PDF's drawing work.
fn for_print(svg: String) -> String {
    let mut out = String::with_capacity(svg.len() / 2);
    let mut rest = svg.as_str();
    while let Some(start) = rest.find("<circle ") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</circle>") {
            Some(end) => rest = &rest[start + end + "</circle>".len()..],
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(812), "812 B");
        assert_eq!(size(1024), "1 KiB");
        assert_eq!(size(1_250_000), "1.2 MiB");
        assert_eq!(size(5 * 1024 * 1024 * 1024), "5 GiB");
    }

    #[test]
    fn layout_controls_are_shown_not_obeyed() {
        assert_eq!(visible("plain é ✅"), "plain é ✅");
        assert_eq!(
            visible("a\u{202E}exe.b\nVerdict\t\u{2066}"),
            "a[U+202E]exe.b[U+000A]Verdict[U+0009][U+2066]"
        );
    }

    #[test]
    fn print_charts_drop_only_the_hover_points() {
        let svg = r#"<svg><path d="M0,0"/><circle r="2"><title>a &lt; b</title></circle><text>x</text><circle r="2"><title>c</title></circle></svg>"#;
        assert_eq!(
            for_print(svg.to_owned()),
            r#"<svg><path d="M0,0"/><text>x</text></svg>"#
        );
    }
}
