//! Claims: the assertions of an existing readiness document, each matched
//! to a target and judged against the evidence (DESIGN.md, "Claim").
//!
//! Teams already write readiness pages in Markdown: a targets table
//! (`| Metric | Target | Current | Status |` with rows such as
//! `| p95 Response Time | < 500ms | 320ms | ✅ PASS |`), bullets and
//! sentences such as "Throughput > 100 req/s" or "Supports 200+ concurrent
//! users". [`parse`] turns every line that states a threshold for a metric
//! Readiness measures into a [`Claim`] with a [`Target`], and lists the
//! lines that look like claims but cannot be matched as [`Unmatched`], each
//! with what was missing. [`judge`] sets the claims against the measured
//! figures of an [`Assessment`]: a document's own "✅ PASS" is never
//! evidence.
//!
//! How a line is read:
//! - Table rows are read by their header: the metric and target columns
//!   give the claim, a current/actual/measured column the value the
//!   document states, a status column its ✅/❌; notes, baseline and owner
//!   columns are not read. Header and separator rows are neither claims
//!   nor unmatched.
//! - Bullets (and lines carrying a ✅/❌ mark) are claims when they name a
//!   metric and a number; when they look like claims (a comparison, a
//!   number with a unit, a ✅/❌/PASS/FAIL mark) and cannot be matched, they
//!   are listed as unmatched.
//! - Other prose counts only when it names a metric and a stated threshold
//!   ("p99 under 1 second", "a target of 500ms"); a sentence that merely
//!   mentions a figure is neither. A paragraph's lines are read together,
//!   so a sentence wrapped over two lines is one. Fenced code and HTML
//!   comments are skipped.
//! - A threshold without a comparison takes the metric's natural direction,
//!   inclusive (`<=` for latency and errors, `>=` for throughput, users and
//!   hit rate), and the claim says so in [`Claim::assumed_comparison`].
//!
//! Pure and bounded: no I/O, time linear in the document. A line longer
//! than [`MAX_LINE_BYTES`] is reported (when it is a table row or a bullet)
//! rather than read, and a line yields at most 16 claims and 8 reasons
//! (more claims are reported as such).

use crate::assess::{Assessment, Check};
use crate::targets::{Comparison, Metric, Outcome, Target, default_targets};
use serde::{Deserialize, Serialize};

/// The longest line read for claims. No readiness document states a claim
/// in more than a few hundred characters; a longer line is data pasted by
/// mistake (or an attack), and reading it would only cost time.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// The longest quote of the document inside a reason.
const QUOTE_CHARS: usize = 80;

/// The longest `text` of an unmatched line that is too long to read.
const LONG_LINE_TEXT_CHARS: usize = 120;

/// How far (in tokens) a number may stand from the metric it belongs to.
const MAX_DISTANCE: usize = 16;

/// The most mentions one metric's name is made of ("p95 API response
/// time (ms)" has three); a longer run of metric words names no one metric.
const MAX_GROUP_MENTIONS: usize = 8;

/// How far (in tokens) the clause quoted for a number reaches either way.
const CLAUSE_TOKENS: usize = 24;

/// The most unmatched reasons one line gives: a real line has a few; a
/// line of ten thousand numbers is not worth ten thousand reasons.
const MAX_REASONS_PER_LINE: usize = 8;

/// The most claims read from one line: a real line has one to three; a
/// line with hundreds is not a readiness claim, and copying it into each
/// would cost memory.
const MAX_CLAIMS_PER_LINE: usize = 16;

/// The longest prose paragraph read as one; a longer one is read in
/// pieces of this size.
const MAX_PARAGRAPH_BYTES: usize = 64 * 1024;

/// The metrics a claim can be matched to, for reasons that name none.
const KNOWN_METRICS: &str = "Readiness checks p95 and p99 latency, error rate, throughput, \
     concurrent users, database query time (p95) and cache hit rate";

/// An imported readiness document: what it claims, and what it seemed to
/// claim but could not be matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimsDocument {
    /// The name the document was uploaded under.
    pub file_name: String,
    /// Every claim matched to a target, in document order.
    pub claims: Vec<Claim>,
    /// Lines that look like claims but could not be matched, in document
    /// order, each with what was missing.
    pub unmatched: Vec<Unmatched>,
}

impl ClaimsDocument {
    /// The targets the document claims, one per metric (the first claim of
    /// a metric wins), in document order: what a maintainer adopts when
    /// choosing to replace the project's targets with the document's.
    pub fn targets(&self) -> Vec<Target> {
        let mut targets: Vec<Target> = Vec::new();
        for claim in &self.claims {
            if !targets.iter().any(|t| t.metric == claim.target.metric) {
                targets.push(claim.target.clone());
            }
        }
        targets
    }
}

/// One assertion of the document, matched to a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The 1-based line it was read from.
    pub line: usize,
    /// The source line, trimmed. A line may hold several claims
    /// ("p95 < 500ms, p99 < 1s"); each carries the whole line. A prose
    /// sentence wrapped over lines carries them all, joined by a space, and
    /// `line` is the one its metric is named on.
    pub text: String,
    /// What is claimed: metric, comparison and threshold in the metric's
    /// base unit (ms, ratio, req/s, users).
    pub target: Target,
    /// What the document says of it (✅, ❌, ⚠️, PASS, FAIL, "met"...).
    /// Shown beside the evidence; never evidence itself.
    pub claimed: ClaimedStatus,
    /// The current or measured value the document states, in the metric's
    /// base unit, when it states one (a "Current" column, "currently
    /// 320ms", or "320ms (target < 500ms)").
    pub claimed_value: Option<f64>,
    /// True when the document gave no comparison ("p95: 500ms") and the
    /// metric's natural direction was taken, inclusive: `<=` for latency
    /// and errors, `>=` for throughput, users and hit rate.
    pub assumed_comparison: bool,
}

/// What the document itself says about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimedStatus {
    /// Marked as met: ✅, ✔, PASS, "met", "achieved", "OK".
    Pass,
    /// Marked as missed: ❌, FAIL, "not met", "missed".
    Fail,
    /// Marked neither way (no mark, or ⚠️, "pending", "TBD", or marks that
    /// disagree).
    Unknown,
}

/// A line that looks like a claim but could not be matched to a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmatched {
    /// The 1-based line.
    pub line: usize,
    /// The source line, trimmed (cut short, with "…", when it is too long
    /// to read).
    pub text: String,
    /// What was missing or wrong, in words the author can act on.
    pub reason: String,
}

/// How the evidence stands to a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimOutcome {
    /// Every verified measurement of the metric satisfies the claim.
    Confirmed,
    /// A verified measurement does not satisfy the claim.
    Contradicted,
    /// No verified measurement of the metric: no check of it, or only
    /// unverified ones.
    Unsupported,
}

impl ClaimOutcome {
    /// The outcome as reports and the API write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimOutcome::Confirmed => "confirmed",
            ClaimOutcome::Contradicted => "contradicted",
            ClaimOutcome::Unsupported => "unsupported",
        }
    }
}

/// A claim set against the evidence of an assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimJudgement {
    pub claim: Claim,
    pub outcome: ClaimOutcome,
    /// The measurement the outcome rests on, in the metric's base unit: for
    /// a contradicted claim the one that misses it by most, for a confirmed
    /// claim the one closest to its threshold. `None` when unsupported.
    pub measured: Option<f64>,
    /// The measured value as people read it.
    pub measured_text: Option<String>,
    /// The evidence used: for a contradicted claim the evidence of every
    /// measurement that misses it, for a confirmed claim of every
    /// measurement. Empty when unsupported.
    pub evidence: Vec<crate::assess::EvidenceRef>,
    /// The ids of the assessment's checks those measurements come from.
    pub checks: Vec<String>,
    /// Why, in one sentence.
    pub detail: String,
}

// ---------------------------------------------------------------------------
// Judging

/// Sets each claim against the measured figures of an assessment.
///
/// A claim is judged by its own threshold against every verified
/// whole-run measurement of its metric in the assessment's target checks
/// (any scenario; endpoint-scoped targets and improvements against a
/// baseline run measure something else and are not used). A claim of
/// `p95 < 300 ms` is contradicted by a measured 320 ms even when the
/// project's target is 500 ms. What the document marks (✅ PASS) and the
/// value it states are never evidence.
pub fn judge(claims: &[Claim], assessment: &Assessment) -> Vec<ClaimJudgement> {
    claims
        .iter()
        .map(|claim| judge_one(claim, assessment))
        .collect()
}

/// One measurement of a metric, from one check.
struct Measurement<'a> {
    check: &'a Check,
    value: f64,
}

fn judge_one(claim: &Claim, assessment: &Assessment) -> ClaimJudgement {
    let target = &claim.target;
    let metric = target.metric;
    let unsupported = |detail: String| ClaimJudgement {
        claim: claim.clone(),
        outcome: ClaimOutcome::Unsupported,
        measured: None,
        measured_text: None,
        evidence: Vec::new(),
        checks: Vec::new(),
        detail,
    };
    let relevant: Vec<&Check> = assessment
        .checks
        .iter()
        .filter(|check| {
            check
                .target
                .as_deref()
                .and_then(|t| t.parse::<Target>().ok())
                .is_some_and(|t| {
                    t.metric == metric && t.scope.endpoint.is_none() && t.baseline_run.is_none()
                })
        })
        .collect();
    if relevant.is_empty() {
        return unsupported(format!(
            "the assessment has no check of {}: make it a project target (or adopt this \
             document's targets) and upload {}",
            metric.label(),
            evidence_needed(metric)
        ));
    }
    let mut measured: Vec<Measurement<'_>> = Vec::new();
    for check in &relevant {
        let Some(value) = check.measured.filter(|v| v.is_finite()) else {
            continue;
        };
        if check.outcome == Outcome::Unverified {
            continue;
        }
        // Two targets of one metric measure the same figure of the same
        // run: count it once.
        let seen = measured.iter().any(|m| {
            m.value.to_bits() == value.to_bits()
                && m.check.evidence == check.evidence
                && m.check.scenario == check.scenario
        });
        if !seen {
            measured.push(Measurement { check, value });
        }
    }
    if measured.is_empty() {
        let mut details: Vec<&str> = Vec::new();
        for check in &relevant {
            if !check.detail.is_empty() && !details.contains(&check.detail.as_str()) {
                details.push(&check.detail);
            }
        }
        let why = if details.is_empty() {
            "its checks are unverified".to_owned()
        } else {
            details.join("; ")
        };
        return unsupported(format!(
            "no verified measurement of {}: {why}",
            metric.label()
        ));
    }
    let margin = |m: &Measurement<'_>| target.margin(m.value).0;
    let failing: Vec<&Measurement<'_>> = measured
        .iter()
        .filter(|m| !target.comparison.holds(m.value, target.threshold))
        .collect();
    let (outcome, used): (ClaimOutcome, Vec<&Measurement<'_>>) = if failing.is_empty() {
        (ClaimOutcome::Confirmed, measured.iter().collect())
    } else {
        (ClaimOutcome::Contradicted, failing)
    };
    let Some(decisive) = used
        .iter()
        .min_by(|a, b| margin(a).total_cmp(&margin(b)))
        .copied()
    else {
        return unsupported(format!("no verified measurement of {}", metric.label()));
    };
    let mut evidence: Vec<crate::assess::EvidenceRef> = used
        .iter()
        .flat_map(|m| m.check.evidence.iter().copied())
        .collect();
    evidence.sort_unstable();
    evidence.dedup();
    let checks: Vec<String> = used.iter().map(|m| m.check.id.clone()).collect();
    let text = decisive
        .check
        .measured_text
        .clone()
        .unwrap_or_else(|| metric.format_value(decisive.value));
    let source = describe_source(decisive.check);
    let mut detail = match outcome {
        ClaimOutcome::Contradicted => {
            format!("measured {text} ({source}), which does not meet the claim {target}")
        }
        _ => format!("measured {text} ({source}), which meets the claim {target}"),
    };
    if used.len() > 1 {
        detail.push_str(&format!(
            "; {} measurements {}",
            used.len(),
            if outcome == ClaimOutcome::Contradicted {
                "miss it"
            } else {
                "meet it, this is the closest"
            }
        ));
    }
    if let Some(stated) = claim.claimed_value {
        detail.push_str(&format!(
            "; the document states {}",
            metric.format_value(stated)
        ));
    }
    if outcome == ClaimOutcome::Contradicted && claim.claimed == ClaimedStatus::Pass {
        detail.push_str(", and marks it as passed");
    }
    ClaimJudgement {
        claim: claim.clone(),
        outcome,
        measured: Some(decisive.value),
        measured_text: Some(text),
        evidence,
        checks,
        detail,
    }
}

fn describe_source(check: &Check) -> String {
    let ids: Vec<String> = check.evidence.iter().map(|e| e.label()).collect();
    let evidence = match ids.len() {
        0 => "no evidence id".to_owned(),
        _ => ids.join(", "),
    };
    match check.scenario {
        Some(kind) => format!("{evidence}, {kind} run"),
        None => evidence,
    }
}

fn evidence_needed(metric: Metric) -> &'static str {
    match metric {
        Metric::DbQueryP95 => {
            "a statement digest (events_statements_summary_by_digest) or a slow query log"
        }
        Metric::CacheHitRate => "a `redis-cli INFO` dump",
        _ => "a load-test run",
    }
}

// ---------------------------------------------------------------------------
// Parsing: lines

/// Reads the claims of a Markdown readiness document. Never fails: what
/// cannot be read is listed in [`ClaimsDocument::unmatched`] or, when it
/// does not look like a claim, left alone.
pub fn parse(file_name: &str, markdown: &str) -> ClaimsDocument {
    let markdown = markdown.strip_prefix('\u{feff}').unwrap_or(markdown);
    let lines = split_lines(markdown);
    let mut doc = ClaimsDocument {
        file_name: file_name.to_owned(),
        claims: Vec::new(),
        unmatched: Vec::new(),
    };
    let mut fence: Option<(char, usize)> = None;
    let mut in_comment = false;
    let mut table: Option<Table> = None;
    let mut in_table = false;
    // The lines of the prose paragraph being read: a sentence may be
    // wrapped over several.
    let mut paragraph: Vec<SourceLine> = Vec::new();
    let mut paragraph_bytes = 0;
    for (index, raw) in lines.iter().enumerate() {
        let number = index + 1;
        let trimmed = raw.trim();
        if raw.len() > MAX_LINE_BYTES {
            flush(&mut paragraph, &mut paragraph_bytes, &mut doc);
            let start = strip_blockquote(trimmed);
            if fence.is_none() && (start.starts_with('|') || bullet_body(start).is_some()) {
                doc.unmatched.push(Unmatched {
                    line: number,
                    text: cut(trimmed, LONG_LINE_TEXT_CHARS),
                    reason: format!(
                        "the line is {} bytes long; claims are read from lines of at most {} \
                         bytes: split it",
                        raw.len(),
                        MAX_LINE_BYTES
                    ),
                });
            }
            (table, in_table) = (None, false);
            continue;
        }
        if let Some((ch, len)) = fence {
            if closes_fence(trimmed, ch, len) {
                fence = None;
            }
            continue;
        }
        if let Some(opened) = opens_fence(trimmed) {
            flush(&mut paragraph, &mut paragraph_bytes, &mut doc);
            fence = Some(opened);
            (table, in_table) = (None, false);
            continue;
        }
        let uncommented = strip_comments(trimmed, &mut in_comment);
        let content = strip_blockquote(uncommented.trim());
        if content.is_empty() {
            flush(&mut paragraph, &mut paragraph_bytes, &mut doc);
            (table, in_table) = (None, false);
            continue;
        }
        let next_is_separator = lines.get(index + 1).is_some_and(|next| {
            next.len() <= MAX_LINE_BYTES && is_separator(strip_blockquote(next.trim()))
        });
        let line = SourceLine {
            number,
            content: content.to_owned(),
            text: trimmed.to_owned(),
        };
        if has_unescaped_pipe(content)
            && (content.starts_with('|') || in_table || next_is_separator)
        {
            flush(&mut paragraph, &mut paragraph_bytes, &mut doc);
            in_table = true;
            if is_separator(content) {
                continue;
            }
            let cells = split_cells(content);
            if next_is_separator {
                table = Some(Table::from_header(&cells));
                continue;
            }
            read_row(table.as_ref(), &cells, number, trimmed, &mut doc);
            continue;
        }
        (table, in_table) = (None, false);
        let listed = if let Some(heading) = content.strip_prefix('#') {
            // A heading is a line of its own, never part of a paragraph.
            flush(&mut paragraph, &mut paragraph_bytes, &mut doc);
            let heading = SourceLine {
                content: heading.trim_start_matches('#').to_owned(),
                ..line
            };
            read_text(&[heading], Mode::Prose, &mut doc);
            continue;
        } else if let Some(body) = bullet_body(content) {
            Some(SourceLine {
                content: body.to_owned(),
                ..line
            })
        } else if has_status_mark(content) {
            // "**p95 Response Time:** 320ms ✅" reads like a bullet.
            Some(line)
        } else {
            if paragraph_bytes + content.len() > MAX_PARAGRAPH_BYTES {
                flush(&mut paragraph, &mut paragraph_bytes, &mut doc);
            }
            paragraph_bytes += content.len() + 1;
            paragraph.push(line);
            None
        };
        if let Some(item) = listed {
            flush(&mut paragraph, &mut paragraph_bytes, &mut doc);
            read_text(&[item], Mode::Listed, &mut doc);
        }
    }
    flush(&mut paragraph, &mut paragraph_bytes, &mut doc);
    doc
}

/// One line of the document, as read.
#[derive(Debug)]
struct SourceLine {
    number: usize,
    /// What is read: without blockquote marks, list markers or comments.
    content: String,
    /// The line as written, trimmed.
    text: String,
}

/// Reads the prose paragraph gathered so far.
fn flush(paragraph: &mut Vec<SourceLine>, bytes: &mut usize, doc: &mut ClaimsDocument) {
    if !paragraph.is_empty() {
        read_text(paragraph, Mode::Prose, doc);
        paragraph.clear();
    }
    *bytes = 0;
}

/// Lines ended by `\n`, `\r\n` or a lone `\r`.
fn split_lines(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// A text cut to `max` characters, with "…" when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn opens_fence(line: &str) -> Option<(char, usize)> {
    let ch = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = line.chars().take_while(|c| *c == ch).count();
    (len >= 3).then_some((ch, len))
}

fn closes_fence(line: &str, ch: char, len: usize) -> bool {
    let run = line.chars().take_while(|c| *c == ch).count();
    run >= len && line[run * ch.len_utf8()..].trim().is_empty()
}

/// The line without its HTML comments, which may span lines.
fn strip_comments(line: &str, in_comment: &mut bool) -> String {
    let mut out = String::new();
    let mut rest = line;
    loop {
        if *in_comment {
            match rest.find("-->") {
                Some(at) => {
                    rest = &rest[at + 3..];
                    *in_comment = false;
                }
                None => return out,
            }
        }
        match rest.find("<!--") {
            Some(at) => {
                out.push_str(&rest[..at]);
                out.push(' ');
                rest = &rest[at + 4..];
                *in_comment = true;
            }
            None => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// The line without blockquote marks. `> 100 req/s` keeps its `>`: there
/// it is a comparison, not a quote.
fn strip_blockquote(mut line: &str) -> &str {
    while let Some(rest) = line.strip_prefix('>') {
        let rest = rest.trim_start();
        if rest.starts_with(|c: char| c.is_ascii_digit() || c == '=' || c == '.') {
            break;
        }
        line = rest;
    }
    line
}

/// The text of a list item, without its marker and task box.
fn bullet_body(line: &str) -> Option<&str> {
    let mut body = ["- ", "* ", "+ ", "• ", "· ", "– "]
        .iter()
        .find_map(|marker| line.strip_prefix(marker));
    if body.is_none() {
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=9).contains(&digits) {
            let rest = &line[digits..];
            body = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") "));
        }
    }
    let body = body?.trim_start();
    Some(
        ["[ ] ", "[x] ", "[X] "]
            .iter()
            .find_map(|task| body.strip_prefix(task))
            .unwrap_or(body),
    )
}

fn has_unescaped_pipe(line: &str) -> bool {
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => return true,
            _ => escaped = false,
        }
    }
    false
}

/// The cells of a table row: split on unescaped pipes, `\|` kept as a pipe
/// inside a cell, the outer pipes optional.
fn split_cells(row: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = row.chars().peekable();
    let mut ends_with_pipe = false;
    while let Some(c) = chars.next() {
        ends_with_pipe = false;
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                cell.push('|');
            }
            '|' => {
                cells.push(std::mem::take(&mut cell));
                ends_with_pipe = true;
            }
            _ => cell.push(c),
        }
    }
    if !ends_with_pipe {
        cells.push(cell);
    }
    if row.starts_with('|') && !cells.is_empty() {
        cells.remove(0);
    }
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// A table's delimiter row, such as `|---|:---:|`.
fn is_separator(line: &str) -> bool {
    if !has_unescaped_pipe(line) || !line.contains('-') {
        return false;
    }
    let cells = split_cells(line);
    !cells.is_empty()
        && cells.iter().all(|cell| {
            let inner = cell.strip_prefix(':').unwrap_or(cell);
            let inner = inner.strip_suffix(':').unwrap_or(inner);
            !inner.is_empty() && inner.bytes().all(|b| b == b'-')
        })
}

// ---------------------------------------------------------------------------
// Parsing: tables

/// What a table column holds, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The metric, or anything else that may name it.
    Claim,
    /// The target or threshold.
    Target,
    /// The value the document states as measured.
    Current,
    /// ✅/❌, PASS/FAIL.
    Status,
    /// Notes, baselines, owners: not read.
    Ignore,
}

#[derive(Debug)]
struct Table {
    roles: Vec<Role>,
    /// A unit the header gives its column, as in `Target (ms)`.
    hints: Vec<Option<Unit>>,
}

impl Table {
    fn from_header(cells: &[String]) -> Table {
        let roles = cells.iter().map(|c| role_of(c)).collect();
        let hints = cells.iter().map(|c| header_hint(c)).collect();
        Table { roles, hints }
    }
}

fn role_of(header: &str) -> Role {
    if matches!(header.trim(), "#" | "№") {
        return Role::Ignore;
    }
    let lower = header.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let any = |list: &[&str]| words.iter().any(|w| list.contains(w));
    if any(&[
        "target",
        "targets",
        "goal",
        "goals",
        "threshold",
        "sla",
        "slo",
        "expected",
        "expectation",
        "requirement",
        "required",
        "objective",
        "budget",
        "limit",
        "criteria",
        "criterion",
        "acceptance",
    ]) {
        Role::Target
    } else if any(&[
        "status", "state", "verdict", "pass", "fail", "met", "ok", "passed", "outcome",
    ]) {
        Role::Status
    } else if any(&[
        "baseline",
        "before",
        "previous",
        "prior",
        "old",
        "note",
        "notes",
        "comment",
        "comments",
        "remark",
        "remarks",
        "owner",
        "evidence",
        "source",
        "date",
        "details",
        "detail",
        "how",
        "id",
        "ref",
        "method",
        "tool",
        "link",
        "ticket",
        "action",
        "actions",
        "mitigation",
        "next",
        "recommendation",
        "impact",
        "priority",
        "risk",
        "description",
        "explanation",
        "reason",
        "why",
    ]) {
        Role::Ignore
    } else if any(&[
        "current", "actual", "measured", "achieved", "observed", "result", "results", "value",
        "after", "latest", "today", "now", "reading",
    ]) {
        Role::Current
    } else {
        Role::Claim
    }
}

/// A unit in parentheses or brackets in a header: `Target (ms)`.
fn header_hint(header: &str) -> Option<Unit> {
    let lower = header.to_ascii_lowercase();
    let mut toks = Vec::new();
    tokenize(&lower, 0, &mut toks);
    (0..toks.len()).find_map(|i| {
        if !(toks[i].is_sym('(') || toks[i].is_sym('[')) {
            return None;
        }
        let (unit, next) = unit_at(&toks, i + 1)?;
        toks.get(next)
            .is_some_and(|t| t.is_sym(')') || t.is_sym(']'))
            .then_some(unit)
    })
}

/// Reads one body row of a table.
fn read_row(
    table: Option<&Table>,
    cells: &[String],
    line: usize,
    text: &str,
    doc: &mut ClaimsDocument,
) {
    let role = |j: usize| match table {
        Some(t) => t.roles.get(j).copied().unwrap_or(Role::Ignore),
        None => Role::Claim,
    };
    let hint = |j: usize| table.and_then(|t| t.hints.get(j).copied().flatten());
    let segs: Vec<Seg> = cells
        .iter()
        .enumerate()
        .filter(|(j, _)| matches!(role(*j), Role::Claim | Role::Target))
        .map(|(j, cell)| Seg::new(cell, role(j) == Role::Target, hint(j)))
        .collect();
    let analysis = analyse(&segs);
    let current: Vec<Value> = cells
        .iter()
        .enumerate()
        .filter(|(j, _)| role(*j) == Role::Current)
        .flat_map(|(j, cell)| {
            analyse(&[Seg::new(cell, false, hint(j))])
                .values
                .into_iter()
                .filter(|v| v.role != ValueRole::Old)
        })
        .collect();
    let has_status_column = table.is_some_and(|t| t.roles.contains(&Role::Status));
    let status_text: Vec<&str> = cells
        .iter()
        .enumerate()
        .filter(|(j, _)| {
            if has_status_column {
                role(*j) == Role::Status
            } else {
                role(*j) != Role::Ignore
            }
        })
        .map(|(_, c)| c.as_str())
        .collect();
    let status = status_of(&status_text.join(" "), has_status_column);
    let filled = |r: Role| {
        cells
            .iter()
            .enumerate()
            .any(|(j, c)| role(j) == r && !matches!(c.trim(), "" | "-" | "—" | "–" | "n/a" | "N/A"))
    };
    let looks_like = filled(Role::Status)
        || filled(Role::Target)
        || status.is_some()
        || analysis.values.iter().any(|v| v.comparison.is_some());

    // A row's current value is its claim only when nothing else in the row
    // states one ("| p95 | 320ms | ✅ |" under `| Metric | Value |`).
    let current_as_threshold = analysis.groups.iter().all(|g| g.values.is_empty());
    let mut claims = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut weak: Vec<String> = Vec::new();
    for g in 0..analysis.groups.len() {
        match build(&analysis, g, &current, current_as_threshold, Mode::Listed) {
            Built::Claims(drafts) => claims.extend(drafts),
            Built::Problem(reason) => problems.push(reason),
            Built::NoThreshold(reason) => weak.push(reason),
        }
    }
    let first_claim_cell = cells
        .iter()
        .enumerate()
        .find(|(j, c)| role(*j) == Role::Claim && c.chars().any(char::is_alphabetic))
        .map(|(_, c)| c.as_str())
        .unwrap_or(text);
    for &v in &analysis.unpaired {
        let value = &analysis.values[v];
        if value.change {
            problems.push(change_reason(&quote(&analysis.clause(value))));
        }
    }
    let claimed = status.unwrap_or(ClaimedStatus::Unknown);
    if !claims.is_empty() {
        if claims.len() > MAX_CLAIMS_PER_LINE {
            doc.unmatched
                .push(too_many_claims(line, text, claims.len()));
            claims.truncate(MAX_CLAIMS_PER_LINE);
        }
        for draft in claims {
            doc.claims.push(Claim {
                line,
                text: text.to_owned(),
                target: draft.target,
                claimed,
                claimed_value: draft.claimed_value,
                assumed_comparison: draft.assumed,
            });
        }
        return;
    }
    if !looks_like {
        return;
    }
    let reason = problems
        .into_iter()
        .next()
        .or_else(|| weak.into_iter().next())
        .unwrap_or_else(|| no_metric_reason(&quote(first_claim_cell)));
    doc.unmatched.push(Unmatched {
        line,
        text: text.to_owned(),
        reason,
    });
}

// ---------------------------------------------------------------------------
// Parsing: bullets and prose

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A bullet, a table row, or a line with a ✅/❌ mark: a number next to
    /// a metric is a claim, and what looks like a claim but cannot be
    /// matched is listed.
    Listed,
    /// Prose: only a metric with a stated threshold is a claim; nothing is
    /// listed as unmatched.
    Prose,
}

/// Reads a bullet (one line) or a prose paragraph (its lines joined).
fn read_text(lines: &[SourceLine], mode: Mode, doc: &mut ClaimsDocument) {
    let Some(first_line) = lines.first() else {
        return;
    };
    let mut joined = String::new();
    let mut starts = Vec::with_capacity(lines.len());
    for line in lines {
        if !joined.is_empty() {
            joined.push('\n');
        }
        starts.push(joined.len());
        joined.push_str(&line.content);
    }
    let segs = [Seg::new(&joined, false, None)];
    let analysis = analyse(&segs);
    let line_of = |token: usize| {
        let at = analysis.toks.get(token).map_or(0, |t| t.start);
        starts.partition_point(|s| *s <= at).saturating_sub(1)
    };
    let line_status = match mode {
        Mode::Listed => status_of(&joined, false),
        Mode::Prose => None,
    };
    // Each claim with the index of its line in `lines`.
    let mut claims: Vec<(usize, Claim)> = Vec::new();
    // Problems of values that state a threshold (reported even beside
    // other claims), of other numbers, and of metrics named without one.
    let mut stated: Vec<String> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut weak: Vec<String> = Vec::new();
    for g in 0..analysis.groups.len() {
        let group = &analysis.groups[g];
        match build(&analysis, g, &[], false, mode) {
            Built::Claims(drafts) => {
                let status = status_of(&analysis.status_span(group), false)
                    .or(line_status)
                    .unwrap_or(ClaimedStatus::Unknown);
                let (from, to) = analysis.extent(group);
                let (a, b) = (line_of(from), line_of(to).max(line_of(from)));
                let text: Vec<&str> = lines[a..=b].iter().map(|l| l.text.as_str()).collect();
                claims.extend(drafts.into_iter().map(|d| {
                    let claim = Claim {
                        line: lines[a].number,
                        text: text.join(" "),
                        target: d.target,
                        claimed: status,
                        claimed_value: d.claimed_value,
                        assumed_comparison: d.assumed,
                    };
                    (a, claim)
                }));
            }
            Built::Problem(reason) => {
                let explicit = group
                    .values
                    .iter()
                    .any(|&v| analysis.values[v].comparison.is_some());
                if explicit {
                    stated.push(reason);
                } else {
                    problems.push(reason);
                }
            }
            Built::NoThreshold(reason) => weak.push(reason),
        }
    }
    for &v in &analysis.unpaired {
        let value = &analysis.values[v];
        if mode == Mode::Prose
            || stated.len() + problems.len() >= MAX_REASONS_PER_LINE
            || value.role == ValueRole::Old
            || !value.is_significant()
        {
            continue;
        }
        let q = quote(&analysis.clause(value));
        let reason = if value.change {
            change_reason(&q)
        } else {
            no_metric_reason(&q)
        };
        if value.comparison.is_some() {
            stated.push(reason);
        } else {
            problems.push(reason);
        }
    }
    let unmatched: Vec<String> = match mode {
        Mode::Prose => Vec::new(),
        Mode::Listed if !claims.is_empty() => stated,
        Mode::Listed => {
            let looks_like = has_status_mark(&joined)
                || analysis.values.iter().any(Value::is_significant)
                || analysis.groups.iter().any(|g| !g.values.is_empty());
            if !looks_like {
                Vec::new()
            } else if !stated.is_empty() || !problems.is_empty() {
                stated.into_iter().chain(problems).collect()
            } else if let Some(first) = weak.into_iter().next() {
                vec![first]
            } else {
                vec![no_metric_reason(&quote(&segs[0].text))]
            }
        }
    };
    let mut per_line = vec![0usize; lines.len()];
    for (index, claim) in claims {
        per_line[index] += 1;
        if per_line[index] <= MAX_CLAIMS_PER_LINE {
            doc.claims.push(claim);
        }
    }
    for (index, count) in per_line.into_iter().enumerate() {
        if count > MAX_CLAIMS_PER_LINE {
            doc.unmatched.push(too_many_claims(
                lines[index].number,
                &lines[index].text,
                count,
            ));
        }
    }
    doc.unmatched.extend(
        unmatched
            .into_iter()
            .take(MAX_REASONS_PER_LINE)
            .map(|reason| Unmatched {
                line: first_line.number,
                text: first_line.text.clone(),
                reason,
            }),
    );
}

fn too_many_claims(line: usize, text: &str, count: usize) -> Unmatched {
    Unmatched {
        line,
        text: cut(text, LONG_LINE_TEXT_CHARS),
        reason: format!(
            "the line holds {count} claims; only the first {MAX_CLAIMS_PER_LINE} are read: \
             split it"
        ),
    }
}

fn no_metric_reason(quoted: &str) -> String {
    format!("no known metric named in `{quoted}` ({KNOWN_METRICS})")
}

fn change_reason(quoted: &str) -> String {
    format!(
        "`{quoted}` is a change, not a threshold: an improvement is checked by comparing two \
         runs, with a target such as `p95 <= -40% vs run 12`"
    )
}

/// A piece of the document for a reason: without Markdown emphasis, code
/// marks and surrounding status marks, and short.
fn quote(text: &str) -> String {
    let plain = text
        .replace("**", "")
        .replace("__", "")
        .replace('`', "")
        .replace("<br>", " ")
        .replace("<br/>", " ")
        .replace("<br />", " ");
    let start = |c: char| c.is_alphanumeric() || "<>≤≥~.".contains(c);
    let end = |c: char| c.is_alphanumeric() || "%+)".contains(c);
    let trimmed = plain.trim_start_matches(|c: char| !start(c));
    let trimmed = trimmed.trim_end_matches(|c: char| !end(c));
    let collapsed: String = trimmed.split_whitespace().collect::<Vec<_>>().join(" ");
    cut(&collapsed, QUOTE_CHARS)
}

// ---------------------------------------------------------------------------
// Status marks

/// Whether a line carries a ✅/❌-style mark or a PASS/FAIL word in capitals.
fn has_status_mark(text: &str) -> bool {
    text.chars().any(|c| mark(c).is_some())
        || SHORTCODES.iter().any(|(code, _)| text.contains(code))
        || text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| matches!(w, "PASS" | "PASSED" | "FAIL" | "FAILED"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Pass,
    Fail,
    Other,
}

fn mark(c: char) -> Option<Mark> {
    match c {
        '✅' | '✔' | '☑' | '✓' | '🟢' => Some(Mark::Pass),
        '❌' | '✗' | '✘' | '❎' | '🔴' | '⛔' | '🚫' | '🛑' => Some(Mark::Fail),
        '⚠' | '🟡' | '🟠' | '⏳' | '🔄' | '❓' | '❔' | '🚧' => Some(Mark::Other),
        _ => None,
    }
}

const SHORTCODES: [(&str, Mark); 6] = [
    (":white_check_mark:", Mark::Pass),
    (":heavy_check_mark:", Mark::Pass),
    (":green_circle:", Mark::Pass),
    (":x:", Mark::Fail),
    (":red_circle:", Mark::Fail),
    (":warning:", Mark::Other),
];

/// What a piece of text says of a claim, if anything. `cell` is for a
/// status column, where "yes", "no" and "done" mean met or missed.
fn status_of(text: &str, cell: bool) -> Option<ClaimedStatus> {
    let (mut pass, mut fail, mut other) = (false, false, false);
    let mut note = |m: Mark| match m {
        Mark::Pass => pass = true,
        Mark::Fail => fail = true,
        Mark::Other => other = true,
    };
    text.chars().filter_map(mark).for_each(&mut note);
    for (code, m) in SHORTCODES {
        if text.contains(code) {
            note(m);
        }
    }
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '/')
        .filter(|w| !w.is_empty())
        .collect();
    for (i, word) in words.iter().enumerate() {
        let negated = i > 0 && matches!(words[i - 1], "not" | "never");
        match *word {
            "pass" | "passed" | "passing" | "met" | "achieved" | "ok" if negated => {
                note(Mark::Fail);
            }
            "pass" | "passed" | "passing" | "met" | "achieved" | "ok" => note(Mark::Pass),
            "fail" | "failed" | "failing" | "missed" => note(Mark::Fail),
            "tested" | "verified" if negated => note(Mark::Other),
            "pending" | "tbd" | "untested" | "warning" | "warn" | "partial" | "partially"
            | "unknown" | "unverified" | "wip" => note(Mark::Other),
            "done" | "complete" | "completed" | "yes" | "green" if cell => note(Mark::Pass),
            "no" | "red" if cell => note(Mark::Fail),
            "n/a" | "na" | "todo" | "yellow" | "amber" if cell => note(Mark::Other),
            _ => {}
        }
    }
    if lower.contains("in progress") || lower.contains("at risk") {
        note(Mark::Other);
    }
    match (pass, fail, other) {
        (false, false, false) => None,
        (true, false, false) => Some(ClaimedStatus::Pass),
        (false, true, false) => Some(ClaimedStatus::Fail),
        _ => Some(ClaimedStatus::Unknown),
    }
}

// ---------------------------------------------------------------------------
// Reading a piece of text: tokens

/// A piece of a line read as one: a whole bullet or sentence, or one table
/// cell.
#[derive(Debug)]
struct Seg {
    /// The text, with link targets blanked (same byte offsets as `lower`).
    text: String,
    /// `text` in ASCII lowercase: the same byte offsets.
    lower: String,
    /// A table's target column: a bare number there is a threshold.
    target_cell: bool,
    /// The unit its header gives.
    hint: Option<Unit>,
}

impl Seg {
    fn new(text: &str, target_cell: bool, hint: Option<Unit>) -> Seg {
        let text = blank_link_targets(text);
        let lower = text.to_ascii_lowercase();
        Seg {
            text,
            lower,
            target_cell,
            hint,
        }
    }
}

/// `[text](url)` becomes `[text]` followed by spaces: a URL's words are not
/// the document's. One forward pass: the next `)` is found once and kept
/// for every `](` before it.
fn blank_link_targets(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut next_close: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b']' && bytes.get(i + 1) == Some(&b'(') {
            if next_close.is_none_or(|c| c <= i) {
                next_close = memchr::memchr(b')', &bytes[i + 1..])
                    .map(|at| i + 1 + at)
                    .or(Some(usize::MAX));
            }
            if let Some(close) = next_close.filter(|c| *c != usize::MAX && c - i <= 2048) {
                out.push(b']');
                out.extend(std::iter::repeat_n(b' ', close - i));
                i = close + 1;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    // Only ASCII bytes between two ASCII bytes were replaced, by ASCII.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Word(String),
    Num { value: f64, plus: bool },
    Op(Comparison),
    Sym(char),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    seg: usize,
    /// Byte offsets in the segment.
    start: usize,
    end: usize,
}

impl Token {
    fn word(&self) -> Option<&str> {
        match &self.kind {
            Kind::Word(w) => Some(w),
            _ => None,
        }
    }

    fn is_word(&self, w: &str) -> bool {
        self.word() == Some(w)
    }

    fn is_sym(&self, c: char) -> bool {
        self.kind == Kind::Sym(c)
    }

    fn is_num(&self) -> bool {
        matches!(self.kind, Kind::Num { .. })
    }

    /// A comma, semicolon, cell boundary or end of sentence.
    fn is_break(&self) -> bool {
        matches!(self.kind, Kind::Sym(',' | ';' | '|' | '¶'))
    }
}

/// Splits lowercase text into words, numbers, comparisons and symbols.
fn tokenize(lower: &str, seg: usize, out: &mut Vec<Token>) {
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i < lower.len() {
        let rest = &lower[i..];
        let Some(c) = rest.chars().next() else { break };
        let mut push = |kind: Kind, len: usize| {
            out.push(Token {
                kind,
                seg,
                start: i,
                end: i + len,
            });
            len
        };
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let entity = [
            ("&lt;=", Comparison::Le),
            ("&gt;=", Comparison::Ge),
            ("&le;", Comparison::Le),
            ("&ge;", Comparison::Ge),
            ("&lt;", Comparison::Lt),
            ("&gt;", Comparison::Gt),
        ]
        .into_iter()
        .find(|(e, _)| rest.starts_with(e));
        if let Some((e, comparison)) = entity {
            i += push(Kind::Op(comparison), e.len());
            continue;
        }
        if rest.starts_with("->") || rest.starts_with("=>") {
            i += push(Kind::Sym('→'), 2);
            continue;
        }
        i += match c {
            '<' if rest.starts_with("<=") => push(Kind::Op(Comparison::Le), 2),
            '<' => match html_tag_len(rest) {
                Some(len) => len,
                None => push(Kind::Op(Comparison::Lt), 1),
            },
            '>' if rest.starts_with(">=") => push(Kind::Op(Comparison::Ge), 2),
            '>' => push(Kind::Op(Comparison::Gt), 1),
            '=' if rest.starts_with("=<") => push(Kind::Op(Comparison::Le), 2),
            '≤' | '⩽' | '≦' => push(Kind::Op(Comparison::Le), c.len_utf8()),
            '≥' | '⩾' | '≧' => push(Kind::Op(Comparison::Ge), c.len_utf8()),
            '.' | '!' | '?'
                if rest[1..]
                    .chars()
                    .next()
                    .is_none_or(|n| n.is_whitespace() || n == '*') =>
            {
                push(Kind::Sym('¶'), 1)
            }
            // "5xx", "4xx": status classes, not numbers.
            '1'..='5'
                if rest[1..].starts_with("xx")
                    && !rest[3..].starts_with(|n: char| n.is_alphanumeric()) =>
            {
                push(Kind::Word(rest[..3].to_owned()), 3)
            }
            _ if c.is_ascii_digit()
                || (c == '.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                let (value, plus, len) = number_at(rest);
                push(Kind::Num { value, plus }, len)
            }
            _ if c.is_alphanumeric() => {
                if rest.starts_with("n+1") && !rest[3..].starts_with(|n: char| n.is_ascii_digit()) {
                    push(Kind::Word("n+1".to_owned()), 3)
                } else {
                    let len: usize = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric())
                        .map(char::len_utf8)
                        .sum();
                    push(Kind::Word(rest[..len].to_owned()), len)
                }
            }
            // A pipe inside a cell was escaped (`\|`): part of the text.
            '|' => push(Kind::Sym('¦'), 1),
            _ => push(Kind::Sym(c), c.len_utf8()),
        };
    }
}

/// The length of an HTML tag such as `<br>` or `</b>` at the start of the
/// text, so that it is not read as a comparison.
fn html_tag_len(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let after = *bytes.get(1)?;
    if !(after.is_ascii_alphabetic() || after == b'/') {
        return None;
    }
    let window = &bytes[..bytes.len().min(64)];
    let close = window.iter().position(|b| *b == b'>')?;
    (!window[1..close].contains(&b'<')).then_some(close + 1)
}

/// A number at the start of the text: digits with thousands separators and
/// decimals, a `k` for thousands, a `+` for "or more". Returns the value,
/// the plus, and the length read.
fn number_at(text: &str) -> (f64, bool, usize) {
    let bytes = text.as_bytes();
    let digits_from = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut end = digits_from(0);
    // Thousands: "1,000", never "1,00" nor "1, 000".
    while bytes.get(end) == Some(&b',')
        && digits_from(end + 1) == 3
        && !bytes.get(end + 4).is_some_and(u8::is_ascii_digit)
    {
        end += 4;
    }
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end += 1 + digits_from(end + 1);
    }
    let written: String = text[..end].chars().filter(|c| *c != ',').collect();
    // Longer than any real figure: read, but not as a number.
    let mut value = if written.len() > 40 {
        f64::INFINITY
    } else {
        written.parse::<f64>().unwrap_or(f64::NAN)
    };
    if bytes.get(end) == Some(&b'k')
        && !bytes
            .get(end + 1)
            .is_some_and(|b| b.is_ascii_alphanumeric())
    {
        value *= 1000.0;
        end += 1;
    }
    let plus = bytes.get(end) == Some(&b'+');
    if plus {
        end += 1;
    }
    (value, plus, end)
}

// ---------------------------------------------------------------------------
// Reading a piece of text: units, values, metrics

/// The unit written after a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Ms,
    Sec,
    Us,
    Min,
    Percent,
    PerSec,
    PerMin,
    Users,
    /// A unit no target uses (GB, hours, cores, "x").
    Other,
}

impl Unit {
    /// The metric a unit names by itself: `150 req/s` is throughput.
    fn implies(self) -> Option<Metric> {
        match self {
            Unit::PerSec | Unit::PerMin => Some(Metric::Throughput),
            Unit::Users => Some(Metric::Users),
            _ => None,
        }
    }
}

/// The unit starting at token `i`, and the index after it.
fn unit_at(toks: &[Token], i: usize) -> Option<(Unit, usize)> {
    let word = |k: usize| toks.get(k).and_then(Token::word);
    let sym = |k: usize, c: char| toks.get(k).is_some_and(|t| t.is_sym(c));
    let per = |k: usize| -> Option<(Unit, usize)> {
        match word(k)? {
            "s" | "sec" | "second" => Some((Unit::PerSec, k + 1)),
            "m" | "min" | "minute" => Some((Unit::PerMin, k + 1)),
            _ => None,
        }
    };
    let first = toks.get(i)?;
    if first.is_sym('%') {
        return Some((Unit::Percent, i + 1));
    }
    if first.is_sym('/') {
        return per(i + 1);
    }
    let w = first.word()?;
    let unit = match w {
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => (Unit::Ms, i + 1),
        "s" | "sec" | "secs" | "second" | "seconds" => (Unit::Sec, i + 1),
        "us" | "µs" | "μs" | "microsecond" | "microseconds" => (Unit::Us, i + 1),
        "min" | "mins" | "minute" | "minutes" => (Unit::Min, i + 1),
        "rps" => (Unit::PerSec, i + 1),
        "rpm" => (Unit::PerMin, i + 1),
        "req" | "reqs" | "request" | "requests" | "r" | "hits"
            if sym(i + 1, '/') || word(i + 1) == Some("per") =>
        {
            per(i + 2)?
        }
        "per" => per(i + 1)?,
        "concurrent" | "simultaneous" | "parallel" | "virtual" => match word(i + 1) {
            Some("users" | "user" | "vus" | "sessions") => (Unit::Users, i + 2),
            _ if w == "concurrent" || w == "simultaneous" => (Unit::Users, i + 1),
            _ => return None,
        },
        "users" | "vus" | "vu" => (Unit::Users, i + 1),
        "gb" | "mb" | "kb" | "tb" | "gib" | "mib" | "kib" | "h" | "hr" | "hrs" | "hour"
        | "hours" | "day" | "days" | "x" | "cores" | "vcpu" | "vcpus" | "cpu" | "cpus" => {
            (Unit::Other, i + 1)
        }
        _ => return None,
    };
    Some(unit)
}

/// What a number is, by the words before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueRole {
    /// Stated as the target: after a comparison, with a `+`, after
    /// "target", or in a target column.
    Threshold,
    /// Stated as measured: after "current", "actual", "measured".
    Current,
    /// An old value: after "was", "from", "baseline". Not read.
    Old,
    /// Just a number.
    Bare,
}

/// A number with its unit and what surrounds it.
#[derive(Debug, Clone)]
struct Value {
    /// The first token (its comparison, if any) and the last (its unit).
    first: usize,
    num: usize,
    last: usize,
    number: f64,
    range: bool,
    unit: Option<Unit>,
    /// The comparison as written, including `100+` and "or more".
    comparison: Option<Comparison>,
    /// "under 200 users": a load, not a ceiling.
    load_word: bool,
    role: ValueRole,
    /// "40% faster", "2x": a change, not a threshold.
    change: bool,
    /// The unit of its table column, from the header.
    hint: Option<Unit>,
    /// The number and unit as written.
    written: String,
    /// The unit as written.
    unit_written: String,
}

impl Value {
    /// Whether it looks like part of a claim by itself: a comparison, a
    /// change, or a unit a target could use ("4 hours" in a to-do does
    /// not).
    fn is_significant(&self) -> bool {
        self.comparison.is_some() || self.change || self.unit.is_some_and(|u| u != Unit::Other)
    }

    /// Whether the document states it as a threshold.
    fn is_stated_threshold(&self) -> bool {
        self.role == ValueRole::Threshold || self.comparison.is_some()
    }
}

const CHANGE_WORDS: [&str; 22] = [
    "faster",
    "slower",
    "quicker",
    "improvement",
    "improved",
    "better",
    "reduction",
    "reduced",
    "lower",
    "higher",
    "increase",
    "increased",
    "decrease",
    "decreased",
    "less",
    "more",
    "fewer",
    "speedup",
    "gain",
    "drop",
    "boost",
    "smaller",
];

/// Reads the number at token `i` (not yet used) with its unit, comparison
/// and role.
fn value_at(toks: &[Token], used: &[bool], segs: &[Seg], i: usize) -> Value {
    let Kind::Num { value, plus } = toks[i].kind else {
        unreachable!("value_at is called on numbers");
    };
    let word = |k: usize| toks.get(k).and_then(Token::word);
    let mut last = i;
    let mut range = false;
    // A range: "40-60%", "300–500 ms".
    if toks
        .get(i + 1)
        .is_some_and(|t| matches!(t.kind, Kind::Sym('-' | '–' | '—')))
        && toks.get(i + 2).is_some_and(Token::is_num)
        && !used.get(i + 2).copied().unwrap_or(true)
    {
        range = true;
        last = i + 2;
    }
    let mut unit = None;
    let mut unit_written = String::new();
    if let Some((u, next)) =
        unit_at(toks, last + 1).filter(|(_, n)| (last + 1..*n).all(|k| !used[k]))
    {
        unit = Some(u);
        unit_written = span_of(segs, toks, last + 1, next - 1);
        last = next - 1;
    }
    let mut comparison = if plus { Some(Comparison::Ge) } else { None };
    let mut change = unit == Some(Unit::Other) && word(last).is_some_and(|w| w == "x");
    // After: "or more", "or less", "+", "faster".
    match (word(last + 1), word(last + 2)) {
        (Some("or" | "and"), Some("more" | "above" | "higher" | "greater" | "over" | "up")) => {
            comparison = Some(Comparison::Ge);
            last += 2;
        }
        (Some("or" | "and"), Some("less" | "below" | "lower" | "fewer" | "under")) => {
            comparison = Some(Comparison::Le);
            last += 2;
        }
        (Some(w), _) if CHANGE_WORDS.contains(&w) => change = true,
        _ => {}
    }
    if toks.get(last + 1).is_some_and(|t| t.is_sym('+')) {
        comparison = Some(Comparison::Ge);
        last += 1;
    }
    // "900ms -> 320ms": the number before the arrow is the old one.
    let before_arrow = toks.get(last + 1).is_some_and(|t| t.is_sym('→'));
    // Before: the comparison and the role, over a few words.
    let mut first = i;
    let mut role = ValueRole::Bare;
    let mut load_word = false;
    let mut k = i;
    let mut steps = 0;
    while k > 0 && steps < 6 && comparison.is_none() {
        k -= 1;
        steps += 1;
        if used[k] || toks[k].is_break() || toks[k].is_num() {
            break;
        }
        let before = if k > 0 && !used[k - 1] {
            word(k - 1)
        } else {
            None
        };
        let two_before = if k > 1 && !used[k - 2] {
            word(k - 2)
        } else {
            None
        };
        let found = match &toks[k].kind {
            Kind::Op(c) => Some((*c, k)),
            Kind::Sym('`' | '*' | '(' | ':' | '=' | '"' | '\'' | '[' | ']' | '~' | '≈') => None,
            Kind::Sym('-') if before == Some("sub") => Some((Comparison::Lt, k - 1)),
            Kind::Sym('-') => None,
            Kind::Word(w) => match (two_before, before, w.as_str()) {
                (Some("no" | "not"), Some("more"), "than") => Some((Comparison::Le, k - 2)),
                (Some("no" | "not"), Some("less"), "than") => Some((Comparison::Ge, k - 2)),
                (
                    _,
                    Some("less" | "lower" | "fewer" | "shorter" | "faster" | "smaller"),
                    "than",
                ) => Some((Comparison::Lt, k - 1)),
                (_, Some("more" | "greater" | "higher" | "larger" | "longer"), "than") => {
                    Some((Comparison::Gt, k - 1))
                }
                (_, Some("at"), "least") => Some((Comparison::Ge, k - 1)),
                (_, Some("at"), "most") => Some((Comparison::Le, k - 1)),
                (_, Some("up"), "to") => Some((Comparison::Le, k - 1)),
                (_, Some("not"), "exceed" | "exceeding") => Some((Comparison::Le, k - 1)),
                (_, _, "under" | "below" | "beneath") => Some((Comparison::Lt, k)),
                (_, _, "sub") => Some((Comparison::Lt, k)),
                (_, _, "over" | "above" | "exceeds" | "exceeding" | "beyond") => {
                    Some((Comparison::Gt, k))
                }
                (_, _, "max" | "maximum" | "within") => Some((Comparison::Le, k)),
                (_, _, "min" | "minimum") => Some((Comparison::Ge, k)),
                (
                    _,
                    _,
                    "target" | "targets" | "targeted" | "goal" | "sla" | "slo" | "threshold"
                    | "budget" | "objective" | "requirement" | "required" | "expected" | "expect"
                    | "limit" | "acceptance",
                ) => {
                    if role == ValueRole::Bare {
                        role = ValueRole::Threshold;
                    }
                    first = k;
                    None
                }
                (
                    _,
                    _,
                    "current" | "currently" | "actual" | "actually" | "measured" | "achieved"
                    | "observed" | "got" | "reached" | "result" | "results" | "now" | "today",
                ) => {
                    if role == ValueRole::Bare {
                        role = ValueRole::Current;
                    }
                    first = k;
                    None
                }
                (
                    _,
                    _,
                    "was" | "were" | "before" | "from" | "previously" | "previous" | "baseline"
                    | "prior" | "old",
                ) => {
                    if role == ValueRole::Bare {
                        role = ValueRole::Old;
                    }
                    first = k;
                    None
                }
                (
                    _,
                    _,
                    "by" | "is" | "are" | "be" | "of" | "stays" | "stay" | "remains" | "remain"
                    | "must" | "should" | "will" | "to" | "a" | "an" | "the" | "at" | "with"
                    | "around" | "about" | "approximately" | "approx" | "roughly" | "only"
                    | "always" | "consistently" | "kept" | "keep" | "and" | "for",
                ) => {
                    if w == "by"
                        && before.is_some_and(|b| {
                            matches!(
                                b,
                                "improved"
                                    | "reduced"
                                    | "decreased"
                                    | "increased"
                                    | "cut"
                                    | "lowered"
                                    | "dropped"
                                    | "sped"
                                    | "faster"
                            )
                        })
                    {
                        change = true;
                    }
                    None
                }
                _ => break,
            },
            _ => break,
        };
        if let Some((c, at)) = found {
            comparison = Some(c);
            first = at;
            load_word = matches!(word(k), Some("under" | "below" | "beneath"));
        }
    }
    if before_arrow && role == ValueRole::Bare && comparison.is_none() {
        role = ValueRole::Old;
    }
    if comparison.is_some() && role != ValueRole::Old {
        role = ValueRole::Threshold;
    }
    let seg = toks[i].seg;
    if role == ValueRole::Bare && segs.get(seg).is_some_and(|s| s.target_cell) {
        role = ValueRole::Threshold;
    }
    Value {
        first,
        num: i,
        last,
        number: value,
        range,
        unit,
        comparison,
        load_word,
        role,
        change,
        hint: segs.get(seg).and_then(|s| s.hint),
        written: span_of(segs, toks, i, last),
        unit_written,
    }
}

/// The original text of tokens `from..=to`, across segments when needed.
fn span_of(segs: &[Seg], toks: &[Token], from: usize, to: usize) -> String {
    let (Some(a), Some(b)) = (toks.get(from), toks.get(to.max(from))) else {
        return String::new();
    };
    let text = |seg: usize| segs.get(seg).map_or("", |s| s.text.as_str());
    if a.seg == b.seg {
        text(a.seg).get(a.start..b.end).unwrap_or("").to_owned()
    } else {
        let head = text(a.seg).get(a.start..).unwrap_or("");
        let tail = text(b.seg).get(..b.end).unwrap_or("");
        format!("{head} {tail}")
    }
}

/// A phrase naming (part of) a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mention {
    /// A percentile: 95, 99, 50, or 999 for p99.9.
    Pct(u16),
    /// An average, median, maximum or minimum.
    Stat(&'static str),
    Latency,
    /// k6's `http_req_duration`, in milliseconds by definition.
    K6Duration,
    Db,
    QueriesPerRequest,
    DbRate,
    Error,
    Success,
    Throughput,
    /// Users; `weak` for the bare word "users", which gives way to any
    /// other metric named beside it.
    Users {
        weak: bool,
    },
    /// "daily users", "registered users": not users at the same time.
    NotConcurrent(&'static str),
    Cache,
    /// OPcache, the InnoDB buffer pool, a CDN: caches whose hit rate is not
    /// the cache hit rate target.
    OtherCache(&'static str),
    /// A figure people claim that no target measures: uptime,
    /// availability.
    NotTarget,
}

impl Mention {
    /// The family a mention names, for mentions that name one: two
    /// families do not make one metric.
    fn family(self) -> Option<u8> {
        match self {
            Mention::Db | Mention::QueriesPerRequest | Mention::DbRate => Some(1),
            Mention::Error | Mention::Success => Some(2),
            Mention::Throughput => Some(3),
            Mention::Users { weak: false } | Mention::NotConcurrent(_) => Some(4),
            Mention::Cache | Mention::OtherCache(_) => Some(5),
            Mention::NotTarget => Some(6),
            _ => None,
        }
    }

    /// Whether it only qualifies a metric: "(p95)" after "database queries
    /// < 200ms".
    fn is_qualifier(self) -> bool {
        matches!(
            self,
            Mention::Pct(_) | Mention::Stat(_) | Mention::Latency | Mention::K6Duration
        )
    }
}

/// A percentile at token `i`: `p95`, `p(95)`, `95th percentile`,
/// `95%ile`, `percentile 95`, `tp99`. Returns it and its last token.
fn percentile_at(toks: &[Token], i: usize) -> Option<(u16, usize)> {
    let pct_of = |n: f64| -> Option<u16> {
        if n == 99.9 {
            Some(999)
        } else if n.fract() == 0.0 && (1.0..=100.0).contains(&n) {
            Some(n as u16)
        } else {
            None
        }
    };
    let num = |k: usize| match toks.get(k).map(|t| &t.kind) {
        Some(Kind::Num { value, plus: false }) => Some(*value),
        _ => None,
    };
    let word = |k: usize| toks.get(k).and_then(Token::word);
    match &toks[i].kind {
        Kind::Word(w) => {
            let w = w
                .strip_prefix('t')
                .filter(|r| r.starts_with('p'))
                .unwrap_or(w);
            if let Some(digits) = w.strip_prefix('p')
                && (1..=3).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                let n: u16 = digits.parse().ok()?;
                return (n == 999 || (1..=100).contains(&n)).then_some((n, i));
            }
            if w == "p"
                && toks.get(i + 1).is_some_and(|t| t.is_sym('('))
                && toks.get(i + 3).is_some_and(|t| t.is_sym(')'))
            {
                return pct_of(num(i + 2)?).map(|p| (p, i + 3));
            }
            if w == "percentile" {
                return pct_of(num(i + 1)?).map(|p| (p, i + 1));
            }
            None
        }
        Kind::Num { .. } => {
            let p = pct_of(num(i)?)?;
            match (word(i + 1), word(i + 2)) {
                (Some("th" | "st" | "nd" | "rd"), Some("percentile" | "pct" | "perc")) => {
                    Some((p, i + 2))
                }
                (Some("percentile"), _) => Some((p, i + 1)),
                _ if toks.get(i + 1).is_some_and(|t| t.is_sym('%'))
                    && word(i + 2) == Some("ile") =>
                {
                    Some((p, i + 2))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Matches the words of a phrase from token `i` (`"/"` matches a slash),
/// allowing `-` and `_` between them. Returns the last token.
fn phrase(toks: &[Token], used: &[bool], i: usize, words: &[&str]) -> Option<usize> {
    let mut k = i;
    let mut last = i;
    for (n, expected) in words.iter().enumerate() {
        if n > 0 {
            while toks.get(k).is_some_and(|t| t.is_sym('-') || t.is_sym('_')) {
                k += 1;
            }
        }
        let t = toks.get(k)?;
        if used[k] {
            return None;
        }
        let matches = if *expected == "/" {
            t.is_sym('/')
        } else {
            t.is_word(expected)
        };
        if !matches {
            return None;
        }
        last = k;
        k += 1;
    }
    Some(last)
}

/// A metric phrase (other than a percentile) at token `i`.
fn mention_at(toks: &[Token], used: &[bool], i: usize) -> Option<(Mention, usize)> {
    let w = toks[i].word()?;
    let any = |phrases: &[&[&str]]| phrases.iter().find_map(|p| phrase(toks, used, i, p));
    let one = Some(i);
    use Mention::*;
    match w {
        "cache" => any(&[
            &["cache", "hit", "rate"],
            &["cache", "hit", "ratio"],
            &["cache", "hits"],
            &["cache", "hit"],
        ])
        .map(|e| (Cache, e)),
        "hit" => any(&[&["hit", "rate"], &["hit", "ratio"]]).map(|e| (Cache, e)),
        "keyspace" => any(&[&["keyspace", "hits"], &["keyspace", "hit"]]).map(|e| (Cache, e)),
        "opcache" => one.map(|e| (OtherCache("OPcache"), e)),
        "apcu" => one.map(|e| (OtherCache("APCu"), e)),
        "cdn" => one.map(|e| (OtherCache("CDN"), e)),
        "innodb" => one.map(|e| (OtherCache("InnoDB buffer pool"), e)),
        "buffer" => any(&[&["buffer", "pool"]]).map(|e| (OtherCache("InnoDB buffer pool"), e)),
        "query" => any(&[&["query", "cache"]])
            .map(|e| (OtherCache("MySQL query cache"), e))
            .or(one.map(|e| (Db, e))),
        "success" | "successful" => any(&[
            &["success", "rate"],
            &["success", "ratio"],
            &["successful", "requests"],
        ])
        .map(|e| (Success, e)),
        "queries" => any(&[
            &["queries", "per", "request"],
            &["queries", "per", "http", "request"],
            &["queries", "per", "page"],
            &["queries", "/", "request"],
            &["queries", "per", "req"],
        ])
        .map(|e| (QueriesPerRequest, e))
        .or(any(&[
            &["queries", "per", "second"],
            &["queries", "/", "s"],
            &["queries", "/", "sec"],
        ])
        .map(|e| (DbRate, e)))
        .or(one.map(|e| (Db, e))),
        "qps" => one.map(|e| (DbRate, e)),
        "n+1" => {
            any(&[&["n+1", "queries"], &["n+1", "query"], &["n+1"]]).map(|e| (QueriesPerRequest, e))
        }
        "error" => any(&[
            &["error", "rate"],
            &["error", "ratio"],
            &["error", "percentage"],
            &["error"],
        ])
        .map(|e| (Error, e)),
        "errors" | "failures" | "5xx" => one.map(|e| (Error, e)),
        "http" => any(&[&["http", "req", "duration"]]).map(|e| (K6Duration, e)),
        "failure" => any(&[&["failure", "rate"]]).map(|e| (Error, e)),
        "fail" => any(&[&["fail", "rate"]]).map(|e| (Error, e)),
        "failed" => any(&[&["failed", "requests"]]).map(|e| (Error, e)),
        "req" | "reqs" | "requests" | "request" => any(&[
            &["req", "failed"],
            &["requests", "failed"],
            &["request", "failures"],
        ])
        .map(|e| (Error, e))
        .or(any(&[
            &["req", "duration"],
            &["request", "duration"],
            &["request", "latency"],
        ])
        .map(|e| (Latency, e)))
        .or(any(&[
            &[w, "/", "s"],
            &[w, "/", "sec"],
            &[w, "/", "second"],
            &[w, "per", "second"],
            &[w, "per", "sec"],
            &[w, "/", "min"],
            &[w, "per", "minute"],
            &["request", "rate"],
        ])
        .map(|e| (Throughput, e))),
        "throughput" | "rps" | "rpm" => one.map(|e| (Throughput, e)),
        "daily" | "monthly" | "weekly" | "registered" | "total" | "unique" | "active" => {
            let name: &'static str = match w {
                "daily" => "daily",
                "monthly" => "monthly",
                "weekly" => "weekly",
                "registered" => "registered",
                "total" => "total",
                "unique" => "unique",
                _ => "active",
            };
            any(&[&[w, "active", "users"], &[w, "users"]]).map(|e| (NotConcurrent(name), e))
        }
        "concurrent" | "simultaneous" | "parallel" | "virtual" => {
            any(&[&[w, "users"], &[w, "vus"], &[w, "sessions"]])
                .or(matches!(w, "concurrent" | "simultaneous").then_some(i))
                .map(|e| (Users { weak: false }, e))
        }
        "concurrency" | "vus" | "vu" => one.map(|e| (Users { weak: false }, e)),
        "users" => one.map(|e| (Users { weak: true }, e)),
        "database" | "db" | "mysql" | "mariadb" | "postgres" | "postgresql" | "sql" => {
            one.map(|e| (Db, e))
        }
        "latency" | "latencies" => one.map(|e| (Latency, e)),
        "uptime" | "availability" | "available" => one.map(|e| (NotTarget, e)),
        "response" => any(&[&["response", "time"], &["response", "times"], &["response"]])
            .map(|e| (Latency, e)),
        "resp" => any(&[&["resp", "time"]]).map(|e| (Latency, e)),
        "average" | "avg" | "mean" => one.map(|e| (Stat("average"), e)),
        "median" => one.map(|e| (Stat("median"), e)),
        // A word of an identifier (`pm.max_children`) is no statistic.
        "max" | "maximum" | "min" | "minimum"
            if toks
                .get(i + 1)
                .is_some_and(|t| t.is_sym('_') || t.is_sym('.'))
                || (i > 0 && (toks[i - 1].is_sym('_') || toks[i - 1].is_sym('.'))) =>
        {
            None
        }
        "max" | "maximum" | "min" | "minimum" => {
            // "max 500ms" is a comparison; "max response time" a statistic.
            let next = toks[i + 1..]
                .iter()
                .find(|t| !(t.is_sym(':') || t.is_sym('=') || t.is_sym('*')));
            if next.is_some_and(|t| t.is_num() || matches!(t.kind, Kind::Op(_))) {
                None
            } else {
                let name = if w.starts_with("max") {
                    "maximum"
                } else {
                    "minimum"
                };
                one.map(|e| (Stat(name), e))
            }
        }
        _ => None,
    }
}

/// Mentions that belong together: "p95 Response Time", "database query
/// (p95)", and the numbers that state their threshold.
#[derive(Debug, Clone)]
struct Group {
    mentions: Vec<Mention>,
    /// The family its mentions name, if any (kept, not recomputed).
    family: Option<u8>,
    first: usize,
    last: usize,
    /// A unit written beside the metric: "Error %", "Response Time (ms)".
    hint: Option<Unit>,
    /// Its values, in order.
    values: Vec<usize>,
    /// Made for a value whose unit names the metric ("150 req/s").
    implied: Option<Metric>,
}

impl Group {
    fn is_qualifier(&self) -> bool {
        self.implied.is_none() && self.mentions.iter().all(|m| m.is_qualifier())
    }

    /// The metric a group's family names, for matching a value's unit.
    fn names(&self) -> Option<Metric> {
        if let Some(m) = self.implied {
            return Some(m);
        }
        self.mentions.iter().find_map(|m| match m {
            Mention::Throughput => Some(Metric::Throughput),
            Mention::Users { .. } | Mention::NotConcurrent(_) => Some(Metric::Users),
            _ => None,
        })
    }
}

/// A piece of text read: its tokens, numbers and metric groups.
#[derive(Debug)]
struct Analysis<'a> {
    segs: &'a [Seg],
    toks: Vec<Token>,
    used: Vec<bool>,
    values: Vec<Value>,
    groups: Vec<Group>,
    /// Values that belong to no metric.
    unpaired: Vec<usize>,
}

fn analyse(segs: &[Seg]) -> Analysis<'_> {
    let mut toks = Vec::new();
    for (n, seg) in segs.iter().enumerate() {
        if n > 0 {
            toks.push(Token {
                kind: Kind::Sym('|'),
                seg: n,
                start: 0,
                end: 0,
            });
        }
        tokenize(&seg.lower, n, &mut toks);
    }
    let mut used = vec![false; toks.len()];
    let mut mentions: Vec<(Mention, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match percentile_at(&toks, i) {
            Some((p, end)) => {
                used[i..=end].iter_mut().for_each(|u| *u = true);
                mentions.push((Mention::Pct(p), i, end));
                i = end + 1;
            }
            None => i += 1,
        }
    }
    let mut values = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if !used[i] && toks[i].is_num() {
            let value = value_at(&toks, &used, segs, i);
            used[value.first..=value.last]
                .iter_mut()
                .for_each(|u| *u = true);
            i = value.last + 1;
            values.push(value);
        } else {
            i += 1;
        }
    }
    let mut i = 0;
    while i < toks.len() {
        if !used[i]
            && let Some((m, end)) = mention_at(&toks, &used, i)
        {
            used[i..=end].iter_mut().for_each(|u| *u = true);
            mentions.push((m, i, end));
            i = end + 1;
        } else {
            i += 1;
        }
    }
    mentions.sort_by_key(|(_, start, _)| *start);

    let mut groups: Vec<Group> = Vec::new();
    for (m, start, end) in mentions {
        if let Some(g) = groups.last_mut()
            && joins(&toks, &used, g, m, start)
        {
            g.mentions.push(m);
            g.family = g.family.or(m.family());
            g.last = end;
            continue;
        }
        groups.push(Group {
            mentions: vec![m],
            family: m.family(),
            first: start,
            last: end,
            hint: None,
            values: Vec::new(),
            implied: None,
        });
    }
    // A unit written right after the metric: "Error %", "p95 (ms)".
    for g in &mut groups {
        let mut k = g.last + 1;
        if toks.get(k).is_some_and(|t| t.is_sym('(') || t.is_sym('[')) {
            k += 1;
        }
        if k < toks.len()
            && !used[k]
            && let Some((unit, next)) = unit_at(&toks, k)
            && (k..next).all(|n| !used[n])
        {
            g.hint = Some(unit);
            used[k..next].iter_mut().for_each(|u| *u = true);
        }
        if g.hint.is_none() && g.mentions.contains(&Mention::K6Duration) {
            g.hint = Some(Unit::Ms);
        }
    }
    let mut analysis = Analysis {
        segs,
        toks,
        used,
        values,
        groups,
        unpaired: Vec::new(),
    };
    analysis.pair();
    analysis
}

/// Whether mention `m` starting at token `start` belongs to group `g`.
fn joins(toks: &[Token], used: &[bool], g: &Group, m: Mention, start: usize) -> bool {
    if g.mentions.len() >= MAX_GROUP_MENTIONS {
        return false;
    }
    if let (Some(a), Some(b)) = (g.family, m.family())
        && a != b
    {
        return false;
    }
    let mut words = 0;
    for k in g.last + 1..start {
        let t = &toks[k];
        let joinable = match &t.kind {
            Kind::Word(_) if !used[k] => {
                words += 1;
                words <= 3
            }
            Kind::Sym(c) => "()[]-_*`:/'\"&¦".contains(*c),
            _ => false,
        };
        if !joinable {
            return false;
        }
    }
    true
}

#[derive(Debug, Clone, Copy)]
enum Item {
    Group(usize),
    Value(usize),
}

impl Analysis<'_> {
    /// Gives each value to the metric it belongs to: the metric named
    /// before it ("p95 < 500ms"), or the one its unit names ("150 req/s"),
    /// or the one named right after it ("200+ daily users").
    fn pair(&mut self) {
        let mut items: Vec<(usize, Item)> = self
            .groups
            .iter()
            .enumerate()
            .map(|(n, g)| (g.first, Item::Group(n)))
            .chain(
                self.values
                    .iter()
                    .enumerate()
                    .map(|(n, v)| (v.first, Item::Value(n))),
            )
            .collect();
        items.sort_by_key(|(at, _)| *at);
        let items: Vec<Item> = items.into_iter().map(|(_, item)| item).collect();
        let mut sentence = vec![0usize; self.toks.len() + 1];
        for (k, t) in self.toks.iter().enumerate() {
            sentence[k + 1] = sentence[k] + usize::from(t.is_sym('¶'));
        }
        let mut last_group: Option<usize> = None;
        let mut n = 0;
        while n < items.len() {
            let Item::Value(v) = items[n] else {
                if let Item::Group(g) = items[n] {
                    last_group = Some(g);
                }
                n += 1;
                continue;
            };
            let value = &self.values[v];
            if value.role == ValueRole::Old {
                n += 1;
                continue;
            }
            let implied = value.unit.and_then(Unit::implies);
            let prev = last_group.filter(|&g| {
                let end = self.groups[g]
                    .values
                    .last()
                    .map_or(self.groups[g].last, |&pv| self.values[pv].last);
                value.first > end
                    && value.first - end <= MAX_DISTANCE
                    && sentence[value.first] == sentence[end + 1]
            });
            let next = match items.get(n + 1) {
                Some(Item::Group(g)) if self.adjacent(value.last, self.groups[*g].first) => {
                    Some(*g)
                }
                _ => None,
            };
            let chosen = match implied {
                Some(metric) => prev
                    .filter(|&g| self.groups[g].names() == Some(metric))
                    .or(next.filter(|&g| self.groups[g].names() == Some(metric))),
                // "99.9% availability": the metric right after a bare
                // number is its own.
                None if value.comparison.is_none()
                    && next.is_some_and(|g| self.groups[g].family.is_some()) =>
                {
                    next
                }
                None => {
                    let prev_full = prev.is_some_and(|g| {
                        self.groups[g]
                            .values
                            .iter()
                            .any(|&pv| self.values[pv].is_stated_threshold())
                    });
                    if prev.is_some()
                        && !(prev_full && value.is_stated_threshold() && next.is_some())
                    {
                        prev
                    } else {
                        next.or(prev)
                    }
                }
            };
            match chosen {
                Some(g) => {
                    self.groups[g].values.push(v);
                    if next == Some(g) {
                        n += 1;
                    }
                    last_group = Some(g);
                    // A qualifier right after: "< 200ms (p95)".
                    if let Some(Item::Group(q)) = items.get(n + 1).copied()
                        && q != g
                        && self.groups[q].is_qualifier()
                        && self.adjacent(self.values[v].last, self.groups[q].first)
                    {
                        let extra = self.groups[q].mentions.clone();
                        let last = self.groups[q].last;
                        self.groups[g].mentions.extend(extra);
                        self.groups[g].last = self.groups[g].last.max(last);
                        self.groups[q].mentions.clear();
                        n += 1;
                    }
                }
                None => match implied {
                    Some(metric) => {
                        let value = &self.values[v];
                        self.groups.push(Group {
                            mentions: Vec::new(),
                            family: None,
                            first: value.num,
                            last: value.last,
                            hint: None,
                            values: vec![v],
                            implied: Some(metric),
                        });
                        last_group = Some(self.groups.len() - 1);
                    }
                    None => self.unpaired.push(v),
                },
            }
            n += 1;
        }
        // Qualifiers merged into another group leave an empty one; groups
        // made for a unit go where their number stands.
        self.groups
            .retain(|g| !(g.mentions.is_empty() && g.implied.is_none()));
        self.groups.sort_by_key(|g| g.first);
    }

    /// Whether only opening brackets or emphasis stand between two tokens.
    fn adjacent(&self, before: usize, after: usize) -> bool {
        after > before
            && self.toks[before + 1..after]
                .iter()
                .all(|t| matches!(t.kind, Kind::Sym('(' | '[' | '*' | '`' | '_')))
    }

    /// The text of the clause around a value, for reasons: from the last
    /// comma, semicolon, cell boundary or sentence end before it to the
    /// next one after it.
    fn clause(&self, value: &Value) -> String {
        let mut from = value.first;
        while from > 0 && value.first - from < CLAUSE_TOKENS && !self.toks[from - 1].is_break() {
            from -= 1;
        }
        let mut to = value.last;
        while to + 1 < self.toks.len()
            && to - value.last < CLAUSE_TOKENS
            && !self.toks[to + 1].is_break()
        {
            to += 1;
        }
        span_of(self.segs, &self.toks, from, to)
    }

    /// The text of a group with its values and what follows them up to the
    /// next metric, number or break: where its ✅/❌ stands.
    fn status_span(&self, g: &Group) -> String {
        let (from, to) = self.extent(g);
        span_of(self.segs, &self.toks, from, to)
    }

    /// The first and last token of a group with its numbers and what
    /// follows them up to the next metric, number or break.
    fn extent(&self, g: &Group) -> (usize, usize) {
        let start = g
            .values
            .iter()
            .map(|&v| self.values[v].num)
            .min()
            .unwrap_or(g.first)
            .min(g.first);
        let end = g
            .values
            .iter()
            .map(|&v| self.values[v].last)
            .max()
            .unwrap_or(g.last)
            .max(g.last);
        let mut to = end;
        while to + 1 < self.toks.len() && !self.toks[to + 1].is_break() && !self.used[to + 1] {
            to += 1;
        }
        (start, to)
    }

    /// The text of a group, for reasons: its words, its numbers and what
    /// follows them up to the next break.
    fn group_text(&self, g: &Group) -> String {
        match g.implied {
            Some(_) => g
                .values
                .first()
                .map(|&v| self.values[v].written.clone())
                .unwrap_or_default(),
            None => self.status_span(g),
        }
    }
}

// ---------------------------------------------------------------------------
// From a group to claims

/// A claim before it is given its line.
struct Draft {
    target: Target,
    assumed: bool,
    claimed_value: Option<f64>,
}

enum Built {
    Claims(Vec<Draft>),
    /// Named a metric or gave a number, but something is wrong: the reason.
    Problem(String),
    /// Named a metric without a threshold: the reason.
    NoThreshold(String),
}

/// What a group names: metrics, nothing, or a reason it cannot be a
/// target.
enum Resolved {
    Metrics(Vec<Metric>),
    Problem(String),
    Nothing,
}

fn resolve(g: &Group, q: &str) -> Resolved {
    if let Some(metric) = g.implied {
        return Resolved::Metrics(vec![metric]);
    }
    let has = |f: &dyn Fn(&Mention) -> bool| g.mentions.iter().any(f);
    let other_cache = g.mentions.iter().find_map(|m| match m {
        Mention::OtherCache(name) => Some(*name),
        _ => None,
    });
    let stat = g.mentions.iter().find_map(|m| match m {
        Mention::Stat(name) => Some(*name),
        _ => None,
    });
    let pcts: Vec<u16> = g
        .mentions
        .iter()
        .filter_map(|m| match m {
            Mention::Pct(p) => Some(*p),
            _ => None,
        })
        .collect();
    if has(&|m| *m == Mention::NotTarget) {
        return Resolved::Problem(no_metric_reason(q));
    }
    let has_cache = has(&|m| *m == Mention::Cache);
    if let (Some(name), true) = (other_cache, has_cache) {
        return Resolved::Problem(format!(
            "`{q}` is the {name} hit rate, not the cache hit rate Readiness targets (Redis \
             keyspace hits / (hits + misses), from `redis-cli INFO`)"
        ));
    }
    if has_cache {
        return Resolved::Metrics(vec![Metric::CacheHitRate]);
    }
    if has(&|m| *m == Mention::Success) {
        return Resolved::Problem(format!(
            "`{q}`: a success rate is not a target metric; write it as an error rate (99.9 % \
             success is `error rate < 0.1%`)"
        ));
    }
    if has(&|m| *m == Mention::QueriesPerRequest) {
        return Resolved::Problem(format!(
            "`{q}`: database queries per request are judged by the audit, from a statement \
             digest and a run of the same period, not as a target"
        ));
    }
    if has(&|m| *m == Mention::DbRate) {
        return Resolved::Problem(format!(
            "`{q}`: database queries per second are not a target metric; throughput targets \
             count HTTP requests per second"
        ));
    }
    if has(&|m| *m == Mention::Db) {
        if let Some(p) = pcts.iter().find(|p| **p != 95) {
            return Resolved::Problem(format!(
                "`{q}` names {} of database query time, but its target is the p95 (as in \
                 `db_query_p95 < 200ms`)",
                pct_name(*p)
            ));
        }
        if let (Some(name), true) = (stat, pcts.is_empty()) {
            return Resolved::Problem(format!(
                "`{q}` names the {name} database query time, but its target is the p95 (as in \
                 `db_query_p95 < 200ms`)"
            ));
        }
        return Resolved::Metrics(vec![Metric::DbQueryP95]);
    }
    if has(&|m| *m == Mention::Error) {
        return Resolved::Metrics(vec![Metric::ErrorRate]);
    }
    if has(&|m| *m == Mention::Throughput) {
        return Resolved::Metrics(vec![Metric::Throughput]);
    }
    if let Some(name) = g.mentions.iter().find_map(|m| match m {
        Mention::NotConcurrent(name) => Some(*name),
        _ => None,
    }) {
        return Resolved::Problem(format!(
            "`{q}` counts {name} users, not users at the same time: Readiness measures \
             concurrent users (write `concurrent users`)"
        ));
    }
    if has(&|m| *m == Mention::Users { weak: false }) {
        return Resolved::Metrics(vec![Metric::Users]);
    }
    if !pcts.is_empty() {
        if let Some(p) = pcts.iter().find(|p| !matches!(p, 95 | 99)) {
            return Resolved::Problem(format!(
                "{} latency is not a target metric in `{q}`: Readiness checks p95 and p99 \
                 latency",
                pct_name(*p)
            ));
        }
        let mut metrics = Vec::new();
        for p in pcts {
            let metric = if p == 95 { Metric::P95 } else { Metric::P99 };
            if !metrics.contains(&metric) {
                metrics.push(metric);
            }
        }
        return Resolved::Metrics(metrics);
    }
    if let Some(name) = stat {
        return Resolved::Problem(format!(
            "`{q}` names the {name} response time, which hides the slowest requests: \
             Readiness checks p95 and p99 latency"
        ));
    }
    if has(&|m| matches!(m, Mention::Latency | Mention::K6Duration)) {
        return Resolved::Problem(format!(
            "`{q}` does not say which percentile: write p95 or p99 (as in `p95 < 500ms`)"
        ));
    }
    if has(&|m| *m == Mention::Users { weak: true }) {
        return Resolved::Metrics(vec![Metric::Users]);
    }
    Resolved::Nothing
}

fn pct_name(p: u16) -> String {
    if p == 999 {
        "p99.9".to_owned()
    } else {
        format!("p{p}")
    }
}

/// How a metric's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dimension {
    Time,
    Ratio,
    Rate,
    Count,
}

fn dimension(metric: Metric) -> Dimension {
    match metric {
        Metric::P95 | Metric::P99 | Metric::DbQueryP95 => Dimension::Time,
        Metric::ErrorRate | Metric::CacheHitRate => Dimension::Ratio,
        Metric::Throughput => Dimension::Rate,
        Metric::Users => Dimension::Count,
    }
}

/// Whether a unit is one a metric's values are written in.
fn fits(metric: Metric, unit: Unit) -> bool {
    match dimension(metric) {
        Dimension::Time => matches!(unit, Unit::Ms | Unit::Sec | Unit::Us | Unit::Min),
        Dimension::Ratio => unit == Unit::Percent,
        Dimension::Rate => matches!(unit, Unit::PerSec | Unit::PerMin),
        Dimension::Count => unit == Unit::Users,
    }
}

/// A written number in the metric's base unit, converted the way
/// `targets.rs` converts target expressions.
fn to_base(metric: Metric, value: &Value, unit: Option<Unit>) -> Result<f64, String> {
    let n = value.number;
    let written = &value.written;
    let found = if value.unit_written.is_empty() {
        "no unit".to_owned()
    } else {
        format!("`{}`", value.unit_written.trim())
    };
    let base = match (dimension(metric), unit) {
        (Dimension::Time, Some(Unit::Ms)) => n,
        (Dimension::Time, Some(Unit::Sec)) => n * 1000.0,
        (Dimension::Time, Some(Unit::Us)) => n / 1000.0,
        (Dimension::Time, Some(Unit::Min)) => n * 60_000.0,
        (Dimension::Time, None) => {
            return Err(format!(
                "no unit on `{written}` for {}: write it as `{written}ms` or `{written}s`",
                metric.label()
            ));
        }
        (Dimension::Time, Some(_)) => {
            return Err(format!(
                "{} needs a time, such as 500ms or 1s; `{written}` has {found}",
                metric.label()
            ));
        }
        (Dimension::Ratio, Some(Unit::Percent)) => n / 100.0,
        (Dimension::Ratio, None) if n == 0.0 => 0.0,
        (Dimension::Ratio, None) => {
            return Err(format!(
                "no % on `{written}` for {}: write it as a percentage, as in `0.1%`",
                metric.label()
            ));
        }
        (Dimension::Ratio, Some(_)) => {
            return Err(format!(
                "{} needs a percentage, as in 0.1%; `{written}` has {found}",
                metric.label()
            ));
        }
        (Dimension::Rate, None | Some(Unit::PerSec)) => n,
        (Dimension::Rate, Some(Unit::PerMin)) => n / 60.0,
        (Dimension::Rate, Some(_)) => {
            return Err(format!(
                "throughput needs requests per second, as in 100 req/s; `{written}` has {found}"
            ));
        }
        (Dimension::Count, None | Some(Unit::Users)) => n,
        (Dimension::Count, Some(_)) => {
            return Err(format!(
                "concurrent users need a number of users, as in 100 users; `{written}` has \
                 {found}"
            ));
        }
    };
    if !base.is_finite() {
        return Err(format!("`{written}` is not a number Readiness can use"));
    }
    if dimension(metric) == Dimension::Count && base.fract() != 0.0 {
        return Err(format!("`{written}` is not a whole number of users"));
    }
    if dimension(metric) == Dimension::Ratio && base > 1.0 {
        return Err(format!(
            "`{written}` is more than 100 % for {}",
            metric.label()
        ));
    }
    Ok(base)
}

/// The claims of one group, or why it has none.
fn build(
    a: &Analysis<'_>,
    g: usize,
    current: &[Value],
    current_as_threshold: bool,
    mode: Mode,
) -> Built {
    let group = &a.groups[g];
    let values: Vec<&Value> = group
        .values
        .iter()
        .map(|&v| &a.values[v])
        .filter(|v| v.role != ValueRole::Old)
        .collect();
    let stated = values.iter().copied().find(|v| v.is_stated_threshold());
    let threshold = stated
        .or_else(|| values.iter().copied().find(|v| v.role == ValueRole::Bare))
        .or_else(|| {
            values
                .iter()
                .copied()
                .find(|v| v.role == ValueRole::Current)
        });
    // A table row without a target column: its measured value is what it
    // claims ("| p95 | 320ms | ✅ |").
    let (threshold, from_current) = match threshold {
        Some(t) => (Some(t), false),
        None if current_as_threshold => (current.first(), true),
        None => (None, false),
    };
    if mode == Mode::Prose && !threshold.is_some_and(|t| t.is_stated_threshold()) {
        return Built::Claims(Vec::new());
    }
    let q = quote(&a.group_text(group));
    if let Some(t) = threshold {
        if t.change {
            return Built::Problem(change_reason(&q));
        }
        if t.range {
            return Built::Problem(format!(
                "`{q}` gives a range, not a threshold: write the limit, as in `< 500ms`"
            ));
        }
    }
    let metrics = match resolve(group, &q) {
        Resolved::Metrics(m) => m,
        Resolved::Problem(reason) => return Built::Problem(reason),
        Resolved::Nothing if threshold.is_some() => {
            return Built::Problem(no_metric_reason(&q));
        }
        Resolved::Nothing => return Built::Claims(Vec::new()),
    };
    let Some(threshold) = threshold else {
        let example = metrics
            .first()
            .and_then(|m| default_targets().into_iter().find(|t| t.metric == *m))
            .map(|t| {
                format!(
                    "{} {}",
                    t.comparison.symbol(),
                    t.metric.format_value(t.threshold)
                )
            })
            .unwrap_or_default();
        let labels: Vec<&str> = metrics.iter().map(|m| m.label()).collect();
        return Built::NoThreshold(format!(
            "no threshold for {} in `{q}`: write one, as in `{example}`",
            labels.join(" and ")
        ));
    };
    // The value the document states as measured: said so, or the number
    // written before its threshold ("320ms (target < 500ms)"), or a table's
    // current column. Only a current column's number may borrow the
    // threshold's unit ("| < 500ms | 320 |"): elsewhere a number without
    // its unit is something else ("HTTP 5xx", "3 runs").
    let own = if from_current || threshold.role == ValueRole::Current {
        None
    } else {
        values
            .iter()
            .copied()
            .find(|v| v.role == ValueRole::Current)
            .or_else(|| {
                stated.and_then(|s| {
                    values
                        .iter()
                        .copied()
                        .find(|v| v.role == ValueRole::Bare && v.num < s.num)
                })
            })
    };
    let (claimed, borrows_unit) = match own {
        Some(v) => (Some(v), false),
        None if from_current || threshold.role == ValueRole::Current => (Some(threshold), true),
        None => (current.first(), true),
    };
    let mut drafts = Vec::new();
    for metric in metrics {
        // A column's unit is for the rows it fits: `Target (ms)` says
        // nothing of the RPS row.
        let fits = |u: &Unit| fits(metric, *u);
        let unit = threshold
            .unit
            .or(threshold.hint.filter(fits))
            .or(group.hint.filter(fits));
        let value = match to_base(metric, threshold, unit) {
            Ok(v) => v,
            Err(reason) => return Built::Problem(reason),
        };
        let natural = if metric.higher_is_better() {
            Comparison::Ge
        } else {
            Comparison::Le
        };
        let (comparison, assumed) = match threshold.comparison {
            // "under 200 users" is the load the others held under.
            Some(_) if metric == Metric::Users && threshold.load_word => (Comparison::Ge, true),
            Some(c) => (c, false),
            None => (natural, true),
        };
        let claimed_value = claimed.and_then(|c| {
            if c.change || c.range {
                return None;
            }
            let mut unit = c.unit.or(c.hint.filter(fits)).or(group.hint.filter(fits));
            if borrows_unit {
                unit = unit.or(threshold.unit).or(threshold.hint.filter(fits));
            }
            to_base(metric, c, unit).ok()
        });
        drafts.push(Draft {
            target: Target::new(metric, comparison, value),
            assumed,
            claimed_value,
        });
    }
    Built::Claims(drafts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Claim {
        let doc = parse("t.md", line);
        assert_eq!(doc.claims.len(), 1, "{line}: {doc:#?}");
        doc.claims[0].clone()
    }

    #[test]
    fn numbers_read_thousands_decimals_k_and_plus() {
        assert_eq!(number_at("1,000 users"), (1000.0, false, 5));
        assert_eq!(number_at("0.1%"), (0.1, false, 3));
        assert_eq!(number_at("1.5k+ "), (1500.0, true, 5));
        assert_eq!(number_at("1,00"), (1.0, false, 1));
        assert_eq!(number_at("10kb").0, 10.0);
    }

    #[test]
    fn html_tags_are_not_comparisons() {
        let claim = one("- p95 <br>< 500ms</b>");
        assert_eq!(
            claim.target,
            Target::new(Metric::P95, Comparison::Lt, 500.0)
        );
    }

    #[test]
    fn an_arrow_is_not_a_comparison() {
        let claim = one("- p95: 900ms -> 320ms");
        assert_eq!(
            (claim.target.comparison, claim.assumed_comparison),
            (Comparison::Le, true)
        );
    }
}
