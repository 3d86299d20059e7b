//! A light reader of PromQL: it finds the series selectors of an expression
//! (metric names and their label matchers) and notices unbalanced brackets
//! and unterminated strings, which is all the coverage rules need. It is not
//! a PromQL parser: operator precedence, types and function arity are not
//! checked, because Prometheus itself does that when it loads the rules.
//!
//! An identifier is a metric name unless it is a keyword (`and`, `by`,
//! `offset`, ...), an aggregation operator, a number literal (`Inf`, `NaN`),
//! or followed by `(` (a function call). Label lists after `by`,
//! `without`, `on`, `ignoring`, `group_left` and `group_right` are skipped,
//! as are strings, range and subquery brackets and Grafana template
//! variables (`$var`, `${var}`, `[[var]]`).

/// How a label matcher compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl MatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// One label matcher of a selector: `status=~"5.."`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub label: String,
    pub op: MatchOp,
    /// The value with the string's escapes resolved.
    pub value: String,
}

/// A series selector: a metric name (when written) and its matchers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub metric: Option<String>,
    pub matchers: Vec<Matcher>,
}

impl Selector {
    /// The metric names this selector can select: its name, or the plain
    /// alternatives of a `__name__=~"a|b"` matcher.
    pub fn names(&self) -> Vec<String> {
        if let Some(metric) = &self.metric {
            return vec![metric.clone()];
        }
        self.matchers
            .iter()
            .filter(|m| m.label == "__name__" && m.op == MatchOp::Regex)
            .flat_map(|m| m.value.split('|'))
            .filter(|alt| !alt.is_empty() && alt.bytes().all(is_ident_byte))
            .map(str::to_owned)
            .collect()
    }
}

/// What the reader found in one expression.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expression {
    pub selectors: Vec<Selector>,
    /// Why Prometheus would refuse the expression, when the reader can tell.
    pub problem: Option<String>,
}

/// Keywords that are followed by a parenthesised list of label names.
const LABEL_LIST_KEYWORDS: [&str; 6] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Binary operators and modifiers written as words.
const WORD_OPERATORS: [&str; 6] = ["and", "or", "unless", "offset", "bool", "atan2"];

/// Aggregation operators; they may be followed by `by`/`without` before
/// their parenthesis, so the `(` test alone does not catch them.
const AGGREGATORS: [&str; 14] = [
    "sum",
    "avg",
    "min",
    "max",
    "count",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "group",
    "limitk",
    "limit_ratio",
];

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':'
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

/// Reads an expression. Never fails: what cannot be read is reported in
/// [`Expression::problem`] and the selectors found so far are kept.
pub fn parse(expr: &str) -> Expression {
    let mut reader = Reader {
        text: expr,
        bytes: expr.as_bytes(),
        pos: 0,
    };
    let mut out = Expression::default();
    if let Err(problem) = reader.run(&mut out.selectors) {
        out.problem = Some(problem);
    }
    out
}

/// Every identifier-like word of a query in another language (InfluxQL,
/// SQL, LogQL, Graphite): measurement and table names are among them, and
/// the signal patterns are specific enough to be matched against them.
pub fn words(text: &str) -> Vec<Selector> {
    let mut found: Vec<Selector> = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')) {
        let starts_well = word.bytes().next().is_some_and(is_ident_start);
        if starts_well && !found.iter().any(|s| s.metric.as_deref() == Some(word)) {
            found.push(Selector {
                metric: Some(word.to_owned()),
                matchers: Vec::new(),
            });
        }
    }
    found
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// A slice of the text between two byte offsets that fall on ASCII
    /// delimiters, hence on character boundaries.
    fn slice(&self, from: usize, to: usize) -> &str {
        self.text.get(from..to).unwrap_or("")
    }

    fn run(&mut self, selectors: &mut Vec<Selector>) -> Result<(), String> {
        let mut open_parens = 0usize;
        // The selector of the metric name just read, so that a `{...}` right
        // after it adds its matchers to it.
        let mut last_metric: Option<usize> = None;
        while let Some(b) = self.peek() {
            let mut next_metric = None;
            match b {
                b if b.is_ascii_whitespace() => {
                    self.pos += 1;
                    // Whitespace may separate a metric from its matchers.
                    next_metric = last_metric;
                }
                b'#' => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                b'"' | b'\'' | b'`' => {
                    self.string()?;
                }
                b'(' => {
                    open_parens += 1;
                    self.pos += 1;
                }
                b')' => {
                    open_parens = open_parens
                        .checked_sub(1)
                        .ok_or_else(|| "a `)` without its `(`".to_owned())?;
                    self.pos += 1;
                }
                b'[' => self.brackets()?,
                b']' => return Err("a `]` without its `[`".to_owned()),
                b'{' => {
                    let (matchers, quoted_name) = self.matchers()?;
                    match last_metric.and_then(|i| selectors.get_mut(i)) {
                        Some(selector) => selector.matchers.extend(matchers),
                        None => {
                            let metric = quoted_name.or_else(|| {
                                matchers
                                    .iter()
                                    .find(|m| m.label == "__name__" && m.op == MatchOp::Equal)
                                    .map(|m| m.value.clone())
                            });
                            selectors.push(Selector { metric, matchers });
                        }
                    }
                }
                b'}' => return Err("a `}` without its `{`".to_owned()),
                b'$' => self.variable(),
                b'0'..=b'9' | b'.' => self.number(),
                b if is_ident_start(b) => {
                    let start = self.pos;
                    while self.peek().is_some_and(is_ident_byte) {
                        self.pos += 1;
                    }
                    let word = self.slice(start, self.pos).to_owned();
                    let lower = word.to_ascii_lowercase();
                    if LABEL_LIST_KEYWORDS.contains(&lower.as_str()) {
                        self.skip_whitespace();
                        if self.peek() == Some(b'(') {
                            self.label_list()?;
                        }
                    } else if WORD_OPERATORS.contains(&lower.as_str())
                        || AGGREGATORS.contains(&lower.as_str())
                        || lower == "inf"
                        || lower == "nan"
                    {
                        // Neither a metric nor a function: nothing to record.
                    } else {
                        let mut ahead = self.pos;
                        while self
                            .bytes
                            .get(ahead)
                            .is_some_and(|b| b.is_ascii_whitespace())
                        {
                            ahead += 1;
                        }
                        if self.bytes.get(ahead) != Some(&b'(') {
                            selectors.push(Selector {
                                metric: Some(word),
                                matchers: Vec::new(),
                            });
                            next_metric = Some(selectors.len() - 1);
                        }
                    }
                }
                _ => self.pos += 1,
            }
            last_metric = next_metric;
        }
        if open_parens > 0 {
            return Err("a `(` that is never closed".to_owned());
        }
        Ok(())
    }

    /// Skips a string literal and returns its value with escapes resolved.
    fn string(&mut self) -> Result<String, String> {
        let quote = self.peek().unwrap_or(b'"');
        self.pos += 1;
        let start = self.pos;
        let mut value = String::new();
        let mut segment_start = start;
        while let Some(b) = self.peek() {
            if b == quote {
                value.push_str(self.slice(segment_start, self.pos));
                self.pos += 1;
                return Ok(value);
            }
            if b == b'\\' && quote != b'`' {
                value.push_str(self.slice(segment_start, self.pos));
                let escaped = self.peek_at(1);
                match escaped {
                    Some(b'n') => value.push('\n'),
                    Some(b't') => value.push('\t'),
                    Some(e) if e.is_ascii() => value.push(char::from(e)),
                    // A backslash before a non-ASCII character keeps both;
                    // the character is copied with the next segment.
                    _ => value.push('\\'),
                }
                self.pos += if escaped.is_some_and(|e| e.is_ascii()) {
                    2
                } else {
                    1
                };
                segment_start = self.pos;
                continue;
            }
            self.pos += 1;
        }
        Err("a string that is never closed".to_owned())
    }

    /// Skips `[5m]`, `[5m:1m]`, `[$__rate_interval]` and Grafana's old
    /// `[[var]]`, which nests.
    fn brackets(&mut self) -> Result<(), String> {
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            match b {
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos += 1;
                        return Ok(());
                    }
                }
                b'"' | b'\'' | b'`' => {
                    self.string()?;
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
        Err("a `[` that is never closed".to_owned())
    }

    /// Skips `(label, label)` after `by`, `on` and the like.
    fn label_list(&mut self) -> Result<(), String> {
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == b')' {
                return Ok(());
            }
        }
        Err("a label list `(` that is never closed".to_owned())
    }

    /// Skips a Grafana template variable: `$name`, `${name}`, `${name:fmt}`.
    fn variable(&mut self) {
        self.pos += 1;
        if self.peek() == Some(b'{') {
            while let Some(b) = self.peek() {
                self.pos += 1;
                if b == b'}' {
                    return;
                }
            }
        } else {
            while self.peek().is_some_and(is_ident_byte) {
                self.pos += 1;
            }
        }
    }

    /// Skips a number or a duration: `0.95`, `1e3`, `0x1F`, `5m`, `1h30m`.
    fn number(&mut self) {
        while let Some(b) = self.peek() {
            let exponent_sign = (b == b'+' || b == b'-')
                && self
                    .pos
                    .checked_sub(1)
                    .and_then(|p| self.bytes.get(p))
                    .is_some_and(|p| *p == b'e' || *p == b'E');
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || exponent_sign {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// Reads `{label="value", ...}`; returns the matchers and, for
    /// Prometheus 3's `{"metric.name"}`, the quoted metric name.
    fn matchers(&mut self) -> Result<(Vec<Matcher>, Option<String>), String> {
        self.pos += 1;
        let mut matchers = Vec::new();
        let mut quoted_name = None;
        loop {
            self.skip_whitespace();
            let label = match self.peek() {
                None => return Err("a `{` that is never closed".to_owned()),
                Some(b'}') => {
                    self.pos += 1;
                    return Ok((matchers, quoted_name));
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                Some(b'"' | b'\'' | b'`') => (self.string()?, true),
                Some(b) if is_ident_start(b) => {
                    let start = self.pos;
                    while self.peek().is_some_and(is_ident_byte) {
                        self.pos += 1;
                    }
                    (self.slice(start, self.pos).to_owned(), false)
                }
                Some(b'$') => {
                    // A Grafana ad hoc filter variable stands for matchers
                    // the reader cannot see.
                    self.variable();
                    continue;
                }
                Some(_) => {
                    return Err(format!(
                        "an unexpected character in label matchers at byte {}",
                        self.pos
                    ));
                }
            };
            self.skip_whitespace();
            let op = match (self.peek(), self.peek_at(1)) {
                (Some(b'='), Some(b'~')) => MatchOp::Regex,
                (Some(b'!'), Some(b'~')) => MatchOp::NotRegex,
                (Some(b'!'), Some(b'=')) => MatchOp::NotEqual,
                (Some(b'='), _) => MatchOp::Equal,
                _ => {
                    if label.1 {
                        quoted_name = Some(label.0);
                        continue;
                    }
                    return Err(format!("a label matcher `{}` without an operator", label.0));
                }
            };
            self.pos += if op == MatchOp::Equal { 1 } else { 2 };
            self.skip_whitespace();
            let value = match self.peek() {
                Some(b'"' | b'\'' | b'`') => self.string()?,
                _ => {
                    return Err(format!(
                        "a label matcher `{}` whose value is not a quoted string",
                        label.0
                    ));
                }
            };
            matchers.push(Matcher {
                label: label.0,
                op,
                value,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(expr: &str) -> Vec<String> {
        let parsed = parse(expr);
        assert_eq!(parsed.problem, None, "{expr}");
        parsed.selectors.iter().flat_map(|s| s.names()).collect()
    }

    #[test]
    fn functions_keywords_and_labels_are_not_metrics() {
        assert_eq!(
            names(
                "histogram_quantile(0.99, sum(rate(nginx_http_request_duration_seconds_bucket[2m])) by (host, node, le)) > 3"
            ),
            ["nginx_http_request_duration_seconds_bucket"]
        );
        assert_eq!(
            names(
                "count without (instance, job) (redis_connected_slaves) - sum without (instance, job) (redis_connected_slaves) - 1 > 0"
            ),
            ["redis_connected_slaves", "redis_connected_slaves"]
        );
        assert_eq!(
            names(
                "(instance:mysql_slave_lag_seconds > 30) and on(instance) (predict_linear(instance:mysql_slave_lag_seconds[5m], 60 * 2) > 0)"
            ),
            [
                "instance:mysql_slave_lag_seconds",
                "instance:mysql_slave_lag_seconds"
            ]
        );
        assert_eq!(
            names("probe_http_status_code <= 199 OR probe_http_status_code >= 400"),
            ["probe_http_status_code", "probe_http_status_code"]
        );
        assert_eq!(
            names("time() - redis_rdb_last_save_timestamp_seconds > 60 * 60 * 48"),
            ["redis_rdb_last_save_timestamp_seconds"]
        );
    }

    #[test]
    fn matchers_attach_to_their_metric() {
        let parsed = parse(
            r#"sum(rate(nginx_http_requests_total{status=~"^5.."}[1m])) / sum(rate(nginx_http_requests_total[1m]))"#,
        );
        assert_eq!(parsed.problem, None);
        let first = &parsed.selectors[0];
        assert_eq!(first.metric.as_deref(), Some("nginx_http_requests_total"));
        assert_eq!(
            first.matchers,
            [Matcher {
                label: "status".into(),
                op: MatchOp::Regex,
                value: "^5..".into()
            }]
        );
        assert!(parsed.selectors[1].matchers.is_empty());
        let by_name = parse(r#"{__name__="up", job!="x"}"#);
        assert_eq!(by_name.selectors[0].metric.as_deref(), Some("up"));
    }

    #[test]
    fn grafana_variables_are_skipped() {
        assert_eq!(
            names(
                r#"histogram_quantile($quantile, sum by(le) (rate(k6_http_req_duration_bucket{testid=~"$testid"}[$__rate_interval])))"#
            ),
            ["k6_http_req_duration_bucket"]
        );
        assert_eq!(
            names("sum(rate(x_total[[[interval]]])) by ($group)"),
            ["x_total"]
        );
        assert_eq!(names("rate(a[${__interval}]) offset 5m"), ["a"]);
    }

    #[test]
    fn unbalanced_input_is_a_problem_not_a_panic() {
        for bad in [
            "sum(rate(x[5m])",
            "rate(x[5m)",
            "x{a=\"b}",
            "x{a=\"b\"",
            "x{a}",
            "x)",
            "x]",
            "x}",
            "x{a=b}",
            "\"",
            "x{\"é\\",
        ] {
            assert!(parse(bad).problem.is_some(), "{bad}");
        }
        // Non-ASCII text anywhere must not split a character.
        let parsed = parse("é{a=\"é\\é\"} ü(");
        assert!(parsed.problem.is_some());
    }

    #[test]
    fn words_of_other_languages() {
        let found: Vec<String> = words(
            "SELECT mean(\"value\") FROM \"http_req_duration\" WHERE $timeFilter GROUP BY time(1s)",
        )
        .into_iter()
        .filter_map(|s| s.metric)
        .collect();
        assert!(found.contains(&"http_req_duration".to_owned()), "{found:?}");
        assert!(!found.iter().any(|w| w.starts_with('1')));
    }
}
