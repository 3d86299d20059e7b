//! The certificate as one printable HTML page, from the same [`View`] the
//! PDF is typeset from: the same sections in the same order, the same
//! figures written the same way, the same charts. Every text is escaped;
//! the page links only Readiness's own stylesheet, so it reads under the
//! server's Content-Security-Policy and prints without the site around it.

use crate::signing::SignedCertificate;
use crate::view::{Fact, View, visible};
use std::fmt::Write as _;

/// Where the page finds its stylesheet, and where it links back to.
pub struct HtmlLinks {
    /// The stylesheet, such as `/pkg/readiness.css`.
    pub stylesheet: String,
    /// The certificate's PDF download.
    pub pdf: String,
    /// The signed JSON download.
    pub json: String,
    /// The project's certificates page.
    pub back: String,
}

/// The whole HTML document of a certificate.
pub fn render_html(signed: &SignedCertificate, links: &HtmlLinks) -> String {
    let v = View::of(signed);
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body class=\"certificate\"><main>",
        title = text(&v.title),
        css = text(&links.stylesheet),
    );
    let _ = write!(
        out,
        "<nav class=\"no-print crumbs\" aria-label=\"Certificate\"><a href=\"{back}\">All certificates</a> · \
         <a href=\"{pdf}\" download>Download the PDF</a> · <a href=\"{json}\" download>Download the signed JSON</a></nav>",
        back = text(&links.back),
        pdf = text(&links.pdf),
        json = text(&links.json),
    );
    let _ = write!(
        out,
        "<p class=\"cert-header\"><span>{}</span><span>{}</span></p><h1>{}</h1>",
        text(&v.header_left),
        text(&v.header_right),
        text(&v.title)
    );

    // 1. The verdict and every reason.
    let _ = write!(
        out,
        "<section aria-labelledby=\"verdict\"><h2 id=\"verdict\">Verdict</h2>\
         <p class=\"verdict {class}\"><span class=\"mark\" aria-hidden=\"true\">{mark}</span> \
         <strong data-test=\"certificate-verdict\">{verdict}</strong></p>",
        class = match v.verdict_key.as_str() {
            "certified" => "pass",
            "conditional" => "warn",
            _ => "fail",
        },
        mark = match v.verdict_key.as_str() {
            "certified" => "✓",
            "conditional" => "!",
            _ => "✗",
        },
        verdict = text(&v.verdict),
    );
    list(&mut out, &v.reasons);
    out.push_str("</section>");

    // 2. What was certified, when, until when.
    out.push_str("<section aria-labelledby=\"facts\"><h2 id=\"facts\">Certified</h2>");
    facts(&mut out, &v.facts);
    out.push_str("</section>");

    // 3. Scores and coverage.
    let _ = write!(
        out,
        "<section aria-labelledby=\"scores\"><h2 id=\"scores\">Category scores</h2><p>{}</p>",
        text(&v.coverage)
    );
    table(
        &mut out,
        "categories",
        &["Category", "Score", "Checks verified", "Evidence"],
        v.categories
            .iter()
            .map(|c| vec![&c.label, &c.score, &c.checks, &c.evidence]),
    );
    out.push_str("</section>");

    // 4. Targets.
    out.push_str("<section aria-labelledby=\"targets\"><h2 id=\"targets\">Targets</h2>");
    table(
        &mut out,
        "targets",
        &[
            "Target", "Scenario", "Measured", "Margin", "Status", "Evidence", "Note",
        ],
        v.targets.iter().map(|t| {
            vec![
                &t.target,
                &t.scenario,
                &t.measured,
                &t.margin,
                &t.outcome,
                &t.evidence,
                &t.note,
            ]
        }),
    );
    out.push_str("</section>");

    // 5. Scenario verdicts.
    out.push_str(
        "<section aria-labelledby=\"scenarios\"><h2 id=\"scenarios\">Scenario verdicts</h2>",
    );
    if v.scenarios.is_empty() {
        out.push_str("<p>No scenario was judged.</p>");
    }
    for s in &v.scenarios {
        let _ = write!(
            out,
            "<h3>{} — {}</h3><p>{}</p>",
            text(&s.kind),
            text(&s.outcome),
            text(&s.summary)
        );
        let figures: Vec<Fact> = s
            .figures
            .iter()
            .map(|f| Fact {
                name: f.name.clone(),
                value: f.value.clone(),
            })
            .collect();
        facts(&mut out, &figures);
        let _ = write!(out, "<p class=\"hint\">Evidence: {}</p>", text(&s.evidence));
    }
    out.push_str("</section>");

    // 6. Charts, as the SVG the PDF draws.
    out.push_str("<section aria-labelledby=\"charts\"><h2 id=\"charts\">Runs over time</h2>");
    if v.charts.is_empty() {
        out.push_str("<p>No run with a time series was used.</p>");
    }
    for c in &v.charts {
        let _ = write!(
            out,
            "<h3>{}</h3><p class=\"hint\">{}</p>",
            text(&c.heading),
            text(&c.about)
        );
        if !c.note.is_empty() {
            let _ = write!(out, "<p>{}</p>", text(&c.note));
        }
        for svg in [&c.latency, &c.throughput, &c.errors] {
            if !svg.is_empty() {
                // Generated by core::chart from numbers and escaped labels.
                let _ = write!(out, "<figure class=\"chart\">{svg}</figure>");
            }
        }
    }
    out.push_str("</section>");

    // 7. Findings, with exemptions.
    out.push_str("<section aria-labelledby=\"findings\"><h2 id=\"findings\">Audit findings</h2>");
    if v.findings.is_empty() {
        out.push_str("<p>No audit finding.</p>");
    } else {
        table(
            &mut out,
            "findings",
            &[
                "Severity",
                "Rule",
                "Finding",
                "Outcome",
                "Where",
                "Detail",
                "Exemption",
                "Evidence",
            ],
            v.findings.iter().map(|f| {
                vec![
                    &f.severity,
                    &f.rule,
                    &f.title,
                    &f.outcome,
                    &f.location,
                    &f.detail,
                    &f.exemption,
                    &f.evidence,
                ]
            }),
        );
    }
    if !v.exemptions.is_empty() {
        out.push_str("<h3>Exemptions</h3>");
        facts(&mut out, &v.exemptions);
    }
    out.push_str("</section>");

    // 8. What is unverified and how to verify it.
    out.push_str("<section aria-labelledby=\"unverified\"><h2 id=\"unverified\">Unverified</h2>");
    if v.unverified.is_empty() {
        out.push_str("<p>Every check had evidence.</p>");
    } else {
        table(
            &mut out,
            "unverified",
            &["Check", "Category", "Why", "Evidence that would verify it"],
            v.unverified
                .iter()
                .map(|u| vec![&u.title, &u.category, &u.reason, &u.how]),
        );
    }
    out.push_str("</section>");

    // 9. Claims against evidence.
    if let Some(claims) = &v.claims {
        out.push_str(
            "<section aria-labelledby=\"claims\"><h2 id=\"claims\">Claims against evidence</h2>",
        );
        table(
            &mut out,
            "claims",
            &["Line", "Claim", "Target", "Status", "Measured", "Evidence"],
            claims.iter().map(|c| {
                vec![
                    &c.line,
                    &c.text,
                    &c.target,
                    &c.status,
                    &c.measured,
                    &c.evidence,
                ]
            }),
        );
        out.push_str("</section>");
    }

    // 10. The evidence manifest.
    out.push_str(
        "<section aria-labelledby=\"manifest\"><h2 id=\"manifest\">Evidence manifest</h2>",
    );
    table(
        &mut out,
        "manifest",
        &[
            "Evidence", "Kind", "File", "Size", "SHA-256", "Uploaded", "Source",
        ],
        v.manifest.iter().map(|m| {
            vec![
                &m.id,
                &m.kind,
                &m.file_name,
                &m.size,
                &m.sha256,
                &m.uploaded,
                &m.source,
            ]
        }),
    );
    out.push_str("</section>");

    // 11. How to verify it.
    let _ = write!(
        out,
        "<section aria-labelledby=\"verify\"><h2 id=\"verify\">How to verify this certificate</h2><p>{}</p>",
        text(&v.verification)
    );
    facts(
        &mut out,
        &[
            Fact {
                name: "Signature".to_owned(),
                value: v.signature.algorithm.clone(),
            },
            Fact {
                name: "Public key".to_owned(),
                value: v.signature.public_key.clone(),
            },
            Fact {
                name: "SHA-256 of the signed JSON".to_owned(),
                value: v.signature.content_sha256.clone(),
            },
        ],
    );
    let _ = write!(
        out,
        "<pre class=\"signature\" data-test=\"signature\">{}</pre></section>",
        text(&v.signature.value)
    );
    out.push_str("</main></body></html>\n");
    out
}

/// Text for HTML content and attribute values: escaped, with invisible
/// layout characters shown as code points, as in the PDF.
fn text(s: &str) -> String {
    let shown = visible(s);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn list(out: &mut String, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push_str("<ul>");
    for item in items {
        let _ = write!(out, "<li>{}</li>", text(item));
    }
    out.push_str("</ul>");
}

fn facts(out: &mut String, facts: &[Fact]) {
    out.push_str("<dl class=\"facts\">");
    for f in facts {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", text(&f.name), text(&f.value));
    }
    out.push_str("</dl>");
}

fn table<'a>(
    out: &mut String,
    test: &str,
    heads: &[&str],
    rows: impl Iterator<Item = Vec<&'a String>>,
) {
    let _ = write!(
        out,
        "<div class=\"table-scroll\"><table class=\"data\" data-test=\"{test}\"><thead><tr>"
    );
    for h in heads {
        let _ = write!(out, "<th scope=\"col\">{}</th>", text(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", text(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn text_is_escaped_and_layout_controls_shown() {
        assert_eq!(
            text("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(text("ab\u{202E}cd"), "ab[U+202E]cd");
    }
}
