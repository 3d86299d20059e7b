//! Targets: a metric, a comparison and a threshold, optionally scoped to an
//! endpoint or a scenario kind, and the check of a measured figure against
//! one.
//!
//! Targets are written the way people say them and parsed here:
//! `p95 < 500ms`, `p99 < 1s`, `error_rate < 0.1%`, `throughput >= 100/s`,
//! `users >= 100`, `db_query_p95 < 200ms`, `cache_hit_rate > 90%`, with
//! optional scopes `endpoint "POST /api/v1/backups"` and `scenario soak`, and
//! a claimed improvement against a baseline run: `p95 <= -40% vs run 12`
//! (the candidate's p95 at least 40 % lower than run 12's).

use crate::run::ScenarioKind;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a target measures. Thresholds are held in the metric's base unit:
/// milliseconds, a ratio (0.001 = 0.1 %), requests per second, or users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    P95,
    P99,
    ErrorRate,
    Throughput,
    Users,
    DbQueryP95,
    CacheHitRate,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::P95,
        Metric::P99,
        Metric::ErrorRate,
        Metric::Throughput,
        Metric::Users,
        Metric::DbQueryP95,
        Metric::CacheHitRate,
    ];

    /// The unit kind of the metric's values.
    fn unit(self) -> Unit {
        match self {
            Metric::P95 | Metric::P99 | Metric::DbQueryP95 => Unit::Time,
            Metric::ErrorRate | Metric::CacheHitRate => Unit::Ratio,
            Metric::Throughput => Unit::Rate,
            Metric::Users => Unit::Count,
        }
    }

    /// Whether a larger value is better.
    pub fn higher_is_better(self) -> bool {
        matches!(
            self,
            Metric::Throughput | Metric::Users | Metric::CacheHitRate
        )
    }

    /// The name used in target expressions and the API.
    pub fn name(self) -> &'static str {
        match self {
            Metric::P95 => "p95",
            Metric::P99 => "p99",
            Metric::ErrorRate => "error_rate",
            Metric::Throughput => "throughput",
            Metric::Users => "users",
            Metric::DbQueryP95 => "db_query_p95",
            Metric::CacheHitRate => "cache_hit_rate",
        }
    }

    /// Other names people write for the metric.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Metric::P95 => &["p(95)"],
            Metric::P99 => &["p(99)"],
            Metric::ErrorRate => &["errors", "error-rate", "http_req_failed"],
            Metric::Throughput => &["rps", "rate"],
            Metric::Users => &["vus", "concurrent_users"],
            Metric::DbQueryP95 => &["db_query_time"],
            Metric::CacheHitRate => &["cache_hit_ratio", "hit_rate"],
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Metric::P95 => "p95 latency",
            Metric::P99 => "p99 latency",
            Metric::ErrorRate => "error rate",
            Metric::Throughput => "throughput",
            Metric::Users => "concurrent users",
            Metric::DbQueryP95 => "database query time (p95)",
            Metric::CacheHitRate => "cache hit rate",
        }
    }

    /// Formats a value of this metric with its unit, as people write it.
    pub fn format_value(self, value: f64) -> String {
        match self {
            Metric::P95 | Metric::P99 | Metric::DbQueryP95 => format_ms(value),
            Metric::ErrorRate | Metric::CacheHitRate => format_ratio(value),
            Metric::Throughput => format!("{}/s", trim_number(value, 1)),
            Metric::Users => trim_number(value, 0),
        }
    }
}

/// How a measured value must compare to the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        }
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Lt => value < threshold,
            Comparison::Le => value <= threshold,
            Comparison::Gt => value > threshold,
            Comparison::Ge => value >= threshold,
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
    /// The evidence the check needs is missing, too old, or from another
    /// commit. Never counted as passed.
    Unverified,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
            Outcome::Unverified => "unverified",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Time,
    Ratio,
    Rate,
    Count,
}

/// What part of the evidence a target applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    /// An endpoint's name, as the tool names it (`GET /api/sites`, or the
    /// name alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Only runs of this scenario kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<ScenarioKind>,
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        self.endpoint.is_none() && self.scenario.is_none()
    }
}

/// A target such as `p95 < 500ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub metric: Metric,
    pub comparison: Comparison,
    /// In the metric's base unit; for a target against a baseline run, the
    /// relative change (-0.4 for 40 % lower).
    pub threshold: f64,
    #[serde(default, skip_serializing_if = "Scope::is_empty")]
    pub scope: Scope,
    /// The run a claimed improvement is measured against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_run: Option<i64>,
}

/// The first target of `metric` over a whole run: no endpoint or scenario
/// scope, no baseline. Pages and charts draw it on the run's figures.
pub fn whole_run_target(targets: &[Target], metric: Metric) -> Option<&Target> {
    targets
        .iter()
        .find(|t| t.metric == metric && t.is_whole_run())
}

impl Target {
    /// Whether it judges a whole run: no endpoint or scenario scope, and
    /// no baseline run.
    pub fn is_whole_run(&self) -> bool {
        self.scope.is_empty() && self.baseline_run.is_none()
    }

    pub const fn new(metric: Metric, comparison: Comparison, threshold: f64) -> Self {
        Target {
            metric,
            comparison,
            threshold,
            scope: Scope {
                endpoint: None,
                scenario: None,
            },
            baseline_run: None,
        }
    }

    /// The margin of a measured value to the threshold, positive when the
    /// target holds with room to spare, as a value and as a percentage of
    /// the threshold (`None` when the threshold is zero).
    pub fn margin(&self, measured: f64) -> (f64, Option<f64>) {
        let margin = match self.comparison {
            Comparison::Lt | Comparison::Le => self.threshold - measured,
            Comparison::Gt | Comparison::Ge => measured - self.threshold,
        };
        let pct = (self.threshold != 0.0).then(|| margin / self.threshold.abs() * 100.0);
        (margin, pct)
    }

    /// Checks a measured value: a missing value is unverified, never passed.
    pub fn check(&self, measured: Option<f64>) -> Outcome {
        match measured {
            None => Outcome::Unverified,
            Some(v) if v.is_nan() => Outcome::Unverified,
            Some(v) if self.comparison.holds(v, self.threshold) => Outcome::Pass,
            Some(_) => Outcome::Fail,
        }
    }
}

/// Whether the number a display starts with reads back as `value`, through
/// the parser's conversion of its unit.
fn reads_back(shown: &str, value: f64, convert: impl Fn(f64) -> f64) -> bool {
    shown
        .split([' ', '%', '/'])
        .next()
        .and_then(|n| n.parse::<f64>().ok())
        .is_some_and(|n| convert(n) == value)
}

/// A percentage whose hundredth is exactly `ratio`, with as few digits as
/// that takes. `ratio` came from the parser as such a hundredth; the
/// percentage it came from is within a few floats of `ratio * 100`.
fn exact_percent(ratio: f64) -> String {
    let estimate = ratio * 100.0;
    let (mut up, mut down) = (estimate, estimate);
    let mut found = (estimate / 100.0 == ratio).then_some(estimate);
    for _ in 0..8 {
        if found.is_some() {
            break;
        }
        up = up.next_up();
        down = down.next_down();
        found = [up, down].into_iter().find(|p| p / 100.0 == ratio);
    }
    // Rust writes the shortest decimal that reads back as the same float,
    // never in exponent notation (which the lexer does not read).
    format!("{}", found.unwrap_or(estimate))
}

impl Target {
    /// The threshold as written in an expression: the rounded form people
    /// read when it parses back to exactly the same value, else every digit
    /// needed. Targets are stored as their display, so a rounded display
    /// would change a target on its way to the database (`p99 < 254us`
    /// came back as `p99 < 0.25 ms`).
    fn threshold_text(&self) -> String {
        let value = self.threshold;
        if self.baseline_run.is_some() {
            let shown = format!("{}%", trim_number(value * 100.0, 2));
            return if reads_back(&shown, value, |n| n / 100.0) {
                shown
            } else {
                format!("{}%", exact_percent(value))
            };
        }
        let shown = self.metric.format_value(value);
        let exact = match self.metric.unit() {
            Unit::Time if shown.ends_with(" ms") => reads_back(&shown, value, |n| n),
            Unit::Time => reads_back(&shown, value, |n| n * 1000.0),
            Unit::Ratio => reads_back(&shown, value, |n| n / 100.0),
            Unit::Rate | Unit::Count => reads_back(&shown, value, |n| n),
        };
        if exact {
            return shown;
        }
        match self.metric.unit() {
            Unit::Time => format!("{value} ms"),
            Unit::Ratio => format!("{} %", exact_percent(value)),
            Unit::Rate => format!("{value}/s"),
            Unit::Count => format!("{value}"),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.threshold_text();
        write!(
            f,
            "{} {} {value}",
            self.metric.name(),
            self.comparison.symbol()
        )?;
        if let Some(endpoint) = &self.scope.endpoint {
            write!(
                f,
                " endpoint \"{}\"",
                endpoint.replace('\\', "\\\\").replace('"', "\\\"")
            )?;
        }
        if let Some(scenario) = self.scope.scenario {
            write!(f, " scenario {scenario}")?;
        }
        if let Some(run) = self.baseline_run {
            write!(f, " vs run {run}")?;
        }
        Ok(())
    }
}

/// A target expression that does not parse: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError {
    pub expression: String,
    /// The 1-based character position of the problem.
    pub column: usize,
    pub expected: String,
    pub found: String,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`, character {}: expected {}, found {}",
            self.expression, self.column, self.expected, self.found
        )
    }
}

impl std::error::Error for TargetError {}

impl TargetError {
    /// The expression with a caret under the character that is wrong, for
    /// terminals and monospace displays.
    pub fn pointer(&self) -> String {
        format!(
            "{}\n{}^",
            self.expression,
            " ".repeat(self.column.saturating_sub(1))
        )
    }
}

/// A token of a target expression and where it starts (a char index).
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Number(f64),
    Op(Comparison),
    Quoted(String),
    Symbol(char),
}

struct Lexer<'a> {
    expression: &'a str,
    chars: Vec<char>,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn error(&self, at: usize, expected: &str, found: &str) -> TargetError {
        TargetError {
            expression: self.expression.to_owned(),
            column: at + 1,
            expected: expected.to_owned(),
            found: found.to_owned(),
        }
    }

    fn skip_spaces(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    /// The next token and where it starts, or `None` at the end.
    fn next(&mut self) -> Result<Option<(usize, Token)>, TargetError> {
        self.skip_spaces();
        let start = self.pos;
        let Some(&c) = self.chars.get(self.pos) else {
            return Ok(None);
        };
        let token = if c.is_ascii_digit()
            || (c == '.' || c == '-' || c == '+')
                && self
                    .chars
                    .get(self.pos + 1)
                    .is_some_and(|n| n.is_ascii_digit() || *n == '.')
        {
            let mut end = self.pos + 1;
            while self
                .chars
                .get(end)
                .is_some_and(|c| c.is_ascii_digit() || *c == '.' || *c == '_')
            {
                end += 1;
            }
            let text: String = self.chars[self.pos..end]
                .iter()
                .filter(|c| **c != '_')
                .collect();
            self.pos = end;
            let value: f64 = text
                .parse()
                .map_err(|_| self.error(start, "a number", &format!("`{text}`")))?;
            Token::Number(value)
        } else if c.is_alphabetic() || c == '_' {
            let mut end = self.pos + 1;
            while self
                .chars
                .get(end)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            {
                end += 1;
            }
            let word: String = self.chars[self.pos..end].iter().collect();
            self.pos = end;
            Token::Word(word)
        } else if c == '<' || c == '>' || c == '=' {
            let next = self.chars.get(self.pos + 1).copied();
            let (op, len) = match (c, next) {
                ('<', Some('=')) => (Comparison::Le, 2),
                ('>', Some('=')) => (Comparison::Ge, 2),
                ('<', _) => (Comparison::Lt, 1),
                ('>', _) => (Comparison::Gt, 1),
                _ => return Err(self.error(start, "a comparison (<, <=, > or >=)", "`=`")),
            };
            self.pos += len;
            Token::Op(op)
        } else if c == '"' {
            let mut text = String::new();
            let mut end = self.pos + 1;
            loop {
                match self.chars.get(end) {
                    None => {
                        return Err(self.error(
                            start,
                            "a closing quote",
                            "the end of the expression",
                        ));
                    }
                    Some('"') => break,
                    Some('\\') => {
                        if let Some(escaped) = self.chars.get(end + 1) {
                            text.push(*escaped);
                        }
                        end += 2;
                    }
                    Some(other) => {
                        text.push(*other);
                        end += 1;
                    }
                }
            }
            self.pos = end + 1;
            Token::Quoted(text)
        } else {
            self.pos += 1;
            Token::Symbol(c)
        };
        Ok(Some((start, token)))
    }
}

fn describe_token(token: &Option<(usize, Token)>) -> String {
    match token {
        None => "the end of the expression".to_owned(),
        Some((_, Token::Word(w))) => format!("`{w}`"),
        Some((_, Token::Number(n))) => format!("`{n}`"),
        Some((_, Token::Op(op))) => format!("`{}`", op.symbol()),
        Some((_, Token::Quoted(q))) => format!("\"{q}\""),
        Some((_, Token::Symbol(c))) => format!("`{c}`"),
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(expression: &str) -> Result<Self, Self::Err> {
        let mut lexer = Lexer {
            expression,
            chars: expression.chars().collect(),
            pos: 0,
        };
        let end = lexer.chars.len();
        let metric_names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        let expected_metric = format!("a metric ({})", metric_names.join(", "));
        let token = lexer.next()?;
        let metric = match &token {
            Some((_, Token::Word(w))) => Metric::ALL.into_iter().find(|m| {
                m.name().eq_ignore_ascii_case(w)
                    || m.aliases().iter().any(|a| a.eq_ignore_ascii_case(w))
            }),
            _ => None,
        };
        let Some(metric) = metric else {
            let at = token.as_ref().map_or(end, |(at, _)| *at);
            return Err(lexer.error(at, &expected_metric, &describe_token(&token)));
        };
        let token = lexer.next()?;
        let Some((_, Token::Op(comparison))) = token else {
            let at = token.as_ref().map_or(end, |(at, _)| *at);
            return Err(lexer.error(at, "a comparison (<, <=, > or >=)", &describe_token(&token)));
        };
        let token = lexer.next()?;
        let (value_at, value) = match token {
            Some((at, Token::Number(v))) => (at, v),
            other => {
                let at = other.as_ref().map_or(end, |(at, _)| *at);
                return Err(lexer.error(at, "a number", &describe_token(&other)));
            }
        };
        // The unit: a word, `%`, or `/s`, directly after the number or
        // after a space.
        let save = lexer.pos;
        let unit_token = lexer.next()?;
        let mut percent = false;
        let mut unit_word: Option<(usize, String)> = None;
        match &unit_token {
            Some((_, Token::Symbol('%'))) => percent = true,
            Some((at, Token::Symbol('/'))) => {
                let after = lexer.next()?;
                match after {
                    Some((_, Token::Word(w))) if w == "s" || w == "sec" => {
                        unit_word = Some((*at, "/s".to_owned()));
                    }
                    other => {
                        let where_ = other.as_ref().map_or(end, |(at, _)| *at);
                        return Err(lexer.error(
                            where_,
                            "`s` after `/` (as in 100/s)",
                            &describe_token(&other),
                        ));
                    }
                }
            }
            Some((at, Token::Word(w))) if !matches!(w.as_str(), "endpoint" | "scenario" | "vs") => {
                unit_word = Some((*at, w.clone()));
            }
            _ => lexer.pos = save,
        }
        let mut scope = Scope::default();
        let mut baseline_run = None;
        loop {
            let token = lexer.next()?;
            match token {
                None => break,
                Some((at, Token::Word(w))) if w == "endpoint" => {
                    if scope.endpoint.is_some() {
                        return Err(lexer.error(at, "one endpoint scope", "a second one"));
                    }
                    match lexer.next()? {
                        Some((_, Token::Quoted(name))) if !name.trim().is_empty() => {
                            scope.endpoint = Some(name);
                        }
                        other => {
                            let where_ = other.as_ref().map_or(end, |(at, _)| *at);
                            return Err(lexer.error(
                                where_,
                                "an endpoint name in double quotes, as in endpoint \"GET /api/sites\"",
                                &describe_token(&other),
                            ));
                        }
                    }
                }
                Some((at, Token::Word(w))) if w == "scenario" => {
                    if scope.scenario.is_some() {
                        return Err(lexer.error(at, "one scenario scope", "a second one"));
                    }
                    let next = lexer.next()?;
                    let kind = match &next {
                        Some((_, Token::Word(k))) => k.parse::<ScenarioKind>().ok(),
                        _ => None,
                    };
                    match kind {
                        Some(kind) => scope.scenario = Some(kind),
                        None => {
                            let where_ = next.as_ref().map_or(end, |(at, _)| *at);
                            return Err(lexer.error(
                                where_,
                                "a scenario kind (ramp-up, sustained, spike, soak, stress)",
                                &describe_token(&next),
                            ));
                        }
                    }
                }
                Some((_, Token::Word(w))) if w == "vs" => {
                    let next = lexer.next()?;
                    if !matches!(&next, Some((_, Token::Word(r))) if r == "run") {
                        let where_ = next.as_ref().map_or(end, |(at, _)| *at);
                        return Err(lexer.error(
                            where_,
                            "`run` and a run id, as in vs run 12",
                            &describe_token(&next),
                        ));
                    }
                    match lexer.next()? {
                        Some((_, Token::Number(id)))
                            if id >= 1.0 && id.fract() == 0.0 && id < 9e15 =>
                        {
                            baseline_run = Some(id as i64);
                        }
                        other => {
                            let where_ = other.as_ref().map_or(end, |(at, _)| *at);
                            return Err(lexer.error(
                                where_,
                                "a run id (a whole number)",
                                &describe_token(&other),
                            ));
                        }
                    }
                }
                other => {
                    let where_ = other.as_ref().map_or(end, |(at, _)| *at);
                    return Err(lexer.error(
                        where_,
                        "the end, or a scope (endpoint \"...\", scenario <kind>, vs run <id>)",
                        &describe_token(&other),
                    ));
                }
            }
        }

        let threshold = if baseline_run.is_some() {
            // A claimed change against a baseline run is a percentage.
            if !percent {
                let at = unit_word.as_ref().map_or(save, |(at, _)| *at);
                return Err(lexer.error(
                    at,
                    "a change in % against the baseline run, as in p95 <= -40% vs run 12",
                    "no %",
                ));
            }
            value / 100.0
        } else {
            let unit_error = |expected: &str| {
                let (at, found) = match (&unit_word, percent) {
                    (Some((at, w)), _) => (*at, format!("`{w}`")),
                    (None, true) => (save, "`%`".to_owned()),
                    (None, false) => (save, "no unit".to_owned()),
                };
                lexer.error(at, expected, &found)
            };
            match metric.unit() {
                Unit::Time => match (unit_word.as_ref().map(|(_, w)| w.as_str()), percent) {
                    (Some("ms"), false) => value,
                    (Some("s"), false) => value * 1000.0,
                    (Some("us" | "µs"), false) => value / 1000.0,
                    (Some("m" | "min"), false) => value * 60_000.0,
                    _ => return Err(unit_error("a time unit (ms, s, us or min), as in 500ms")),
                },
                Unit::Ratio => match (&unit_word, percent) {
                    (None, true) => value / 100.0,
                    _ => return Err(unit_error("a percentage, as in 0.1%")),
                },
                Unit::Rate => match (unit_word.as_ref().map(|(_, w)| w.as_str()), percent) {
                    (None | Some("/s" | "rps"), false) => value,
                    _ => return Err(unit_error("requests per second, as in 100/s")),
                },
                Unit::Count => match (&unit_word, percent) {
                    (None, false) if value >= 0.0 && value.fract() == 0.0 => value,
                    (None, false) => {
                        return Err(lexer.error(
                            value_at,
                            "a whole number of users",
                            &format!("`{value}`"),
                        ));
                    }
                    _ => return Err(unit_error("a number of users, without a unit")),
                },
            }
        };
        if !threshold.is_finite() || (baseline_run.is_none() && threshold < 0.0) {
            return Err(lexer.error(value_at, "a value of zero or more", &format!("`{value}`")));
        }
        Ok(Target {
            metric,
            comparison,
            threshold,
            scope,
            baseline_run,
        })
    }
}

/// The targets a new project starts with (DESIGN.md).
pub fn default_targets() -> Vec<Target> {
    vec![
        Target::new(Metric::P95, Comparison::Lt, 500.0),
        Target::new(Metric::P99, Comparison::Lt, 1000.0),
        Target::new(Metric::ErrorRate, Comparison::Lt, 0.001),
        Target::new(Metric::Throughput, Comparison::Gt, 100.0),
        Target::new(Metric::Users, Comparison::Ge, 100.0),
        Target::new(Metric::DbQueryP95, Comparison::Lt, 200.0),
        Target::new(Metric::CacheHitRate, Comparison::Gt, 0.9),
    ]
}

/// Milliseconds as people read them: `432 ms`, `1.25 s`.
pub fn format_ms(ms: f64) -> String {
    if ms.abs() >= 1000.0 {
        format!("{} s", trim_number(ms / 1000.0, 2))
    } else if ms.abs() >= 100.0 {
        format!("{} ms", trim_number(ms, 0))
    } else if ms.abs() >= 10.0 {
        format!("{} ms", trim_number(ms, 1))
    } else {
        format!("{} ms", trim_number(ms, 2))
    }
}

/// A ratio as a percentage: `0.28 %`, `39.7 %`.
pub fn format_ratio(ratio: f64) -> String {
    let pct = ratio * 100.0;
    // Shares just under 100 % keep enough digits not to read as 100 %.
    let digits = if pct.abs() >= 99.0 && pct.abs() < 100.0 {
        2
    } else if pct == 0.0 || pct.abs() >= 10.0 {
        1
    } else if pct.abs() >= 1.0 {
        2
    } else {
        3
    };
    format!("{} %", trim_number(pct, digits))
}

/// A number with at most `digits` decimals and no trailing zeros.
pub fn trim_number(value: f64, digits: usize) -> String {
    let text = format!("{value:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_figure_is_unverified_never_passed() {
        let target = Target::new(Metric::P99, Comparison::Lt, 1000.0);
        assert_eq!(target.check(None), Outcome::Unverified);
        assert_eq!(target.check(Some(999.9)), Outcome::Pass);
        assert_eq!(target.check(Some(1000.0)), Outcome::Fail);
    }

    #[test]
    fn default_targets_read_as_people_write_them() {
        let written: Vec<String> = default_targets().iter().map(ToString::to_string).collect();
        assert_eq!(
            written,
            [
                "p95 < 500 ms",
                "p99 < 1 s",
                "error_rate < 0.1 %",
                "throughput > 100/s",
                "users >= 100",
                "db_query_p95 < 200 ms",
                "cache_hit_rate > 90 %",
            ]
        );
    }

    fn parse(expression: &str) -> Target {
        expression
            .parse()
            .unwrap_or_else(|e: TargetError| panic!("{}", e.pointer()))
    }

    #[test]
    fn targets_parse_the_way_people_write_them() {
        assert_eq!(
            parse("p95 < 500ms"),
            Target::new(Metric::P95, Comparison::Lt, 500.0)
        );
        assert_eq!(
            parse("p99 < 1s"),
            Target::new(Metric::P99, Comparison::Lt, 1000.0)
        );
        assert_eq!(
            parse("p99<1.5 s"),
            Target::new(Metric::P99, Comparison::Lt, 1500.0)
        );
        assert_eq!(
            parse("error_rate < 0.1%"),
            Target::new(Metric::ErrorRate, Comparison::Lt, 0.001)
        );
        assert_eq!(
            parse("throughput >= 100/s"),
            Target::new(Metric::Throughput, Comparison::Ge, 100.0)
        );
        assert_eq!(
            parse("throughput > 100 rps"),
            Target::new(Metric::Throughput, Comparison::Gt, 100.0)
        );
        assert_eq!(
            parse("users >= 100"),
            Target::new(Metric::Users, Comparison::Ge, 100.0)
        );
        assert_eq!(
            parse("db_query_p95 < 200ms"),
            Target::new(Metric::DbQueryP95, Comparison::Lt, 200.0)
        );
        assert_eq!(
            parse("cache_hit_rate > 90%"),
            Target::new(Metric::CacheHitRate, Comparison::Gt, 0.9)
        );
        let scoped = parse(r#"p95 < 300ms endpoint "POST /api/v1/backups" scenario soak"#);
        assert_eq!(
            scoped.scope.endpoint.as_deref(),
            Some("POST /api/v1/backups")
        );
        assert_eq!(scoped.scope.scenario, Some(ScenarioKind::Soak));
        let claim = parse("p95 <= -40% vs run 12");
        assert_eq!((claim.threshold, claim.baseline_run), (-0.4, Some(12)));
    }

    #[test]
    fn targets_print_back_to_expressions_that_parse_the_same() {
        for expression in [
            "p95 < 500ms",
            "error_rate < 0.1%",
            r#"p99 < 1s endpoint "GET /a \"quoted\" name" scenario spike"#,
            "p95 <= -40% vs run 12",
            "users >= 100",
        ] {
            let target = parse(expression);
            assert_eq!(parse(&target.to_string()), target, "{target}");
        }
    }

    #[test]
    fn errors_point_at_the_character_that_is_wrong() {
        let cases = [
            ("p96 < 500ms", 1, "a metric"),
            ("p95 = 500ms", 5, "a comparison"),
            ("p95 < fast", 7, "a number"),
            ("p95 < 500", 10, "a time unit"),
            ("p95 < 500xs", 10, "a time unit"),
            ("error_rate < 0.1", 17, "a percentage"),
            ("users >= 99.5", 10, "a whole number of users"),
            (
                r#"p95 < 500ms endpoint GET"#,
                22,
                "an endpoint name in double quotes",
            ),
            ("p95 < 500ms scenario warmup", 22, "a scenario kind"),
            ("p95 < 500ms please", 13, "the end, or a scope"),
            ("p95 <= -40 vs run 12", 11, "a change in %"),
            (r#"p95 < 1s endpoint "open"#, 19, "a closing quote"),
        ];
        for (expression, column, expected) in cases {
            let err = expression.parse::<Target>().unwrap_err();
            assert_eq!(err.column, column, "{}", err.pointer());
            assert!(err.expected.starts_with(expected), "{expression}: {err}");
        }
        let err = "p95 < 500xs".parse::<Target>().unwrap_err();
        assert_eq!(err.pointer(), "p95 < 500xs\n         ^");
    }

    #[test]
    fn margins_are_positive_when_the_target_holds() {
        let p95 = Target::new(Metric::P95, Comparison::Lt, 500.0);
        assert_eq!(p95.margin(400.0), (100.0, Some(20.0)));
        let throughput = Target::new(Metric::Throughput, Comparison::Ge, 100.0);
        assert_eq!(throughput.margin(80.0), (-20.0, Some(-20.0)));
    }

    #[test]
    fn figures_are_formatted_with_sensible_precision() {
        assert_eq!(format_ms(434.43), "434 ms");
        assert_eq!(format_ms(1776.5), "1.78 s");
        assert_eq!(format_ms(5.3), "5.3 ms");
        assert_eq!(format_ratio(0.0028), "0.28 %");
        assert_eq!(format_ratio(0.39749), "39.7 %");
        assert_eq!(format_ratio(0.0), "0 %");
        assert_eq!(format_ratio(0.9995), "99.95 %");
    }
}
