//! Grafana dashboard JSON: recognising it from the first bytes, reading its
//! panels and queries, and finding the line each panel opens on.

use super::promql;
use super::{Dashboard, Kind, Language, Panel, Problem, Query};
use crate::audit::model::Origin;
use crate::error::ParseError;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Panels nest one level in practice (a collapsed row holds panels); more
/// than this is not a dashboard Grafana draws.
const MAX_PANEL_DEPTH: usize = 8;

/// Keys only Grafana's dashboard model has at its top level.
const DASHBOARD_MARKS: [&str; 9] = [
    "schemaVersion",
    "__inputs",
    "__requires",
    "templating",
    "annotations",
    "timepicker",
    "graphTooltip",
    "gnetId",
    "fiscalYearStartMonth",
];

/// Keys only Grafana panels have.
const PANEL_MARKS: [&str; 3] = ["gridPos", "targets", "fieldConfig"];

/// Where a value sits while the walker reads the text.
#[derive(Debug)]
enum Frame<'a> {
    Object {
        key: Option<&'a [u8]>,
        expect_key: bool,
    },
    Array {
        index: usize,
    },
}

/// Walks JSON text, calling `on_value` with the enclosing frames, the first
/// byte and the line of every value. Tolerant: truncated or invalid text
/// ends the walk without an error, which is what reading a file's head
/// needs.
fn walk<'a>(bytes: &'a [u8], mut on_value: impl FnMut(&[Frame<'a>], u8, u64)) {
    let mut stack: Vec<Frame<'a>> = Vec::new();
    let mut line = 1u64;
    let mut pos = 0usize;
    while let Some(&b) = bytes.get(pos) {
        match b {
            b'\n' => line += 1,
            b' ' | b'\t' | b'\r' => {}
            b'"' => {
                let start = pos + 1;
                let mut end = start;
                loop {
                    match bytes.get(end) {
                        None => return,
                        Some(b'\\') => end += 2,
                        Some(b'"') => break,
                        Some(b'\n') => {
                            line += 1;
                            end += 1;
                        }
                        Some(_) => end += 1,
                    }
                }
                match stack.last_mut() {
                    Some(Frame::Object {
                        key,
                        expect_key: true,
                    }) => *key = bytes.get(start..end),
                    _ => on_value(&stack, b, line),
                }
                pos = end + 1;
                continue;
            }
            b':' => {
                if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = false;
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, expect_key }) => {
                    *key = None;
                    *expect_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            b'{' | b'[' => {
                on_value(&stack, b, line);
                stack.push(if b == b'{' {
                    Frame::Object {
                        key: None,
                        expect_key: true,
                    }
                } else {
                    Frame::Array { index: 0 }
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            _ => {
                on_value(&stack, b, line);
                while bytes.get(pos + 1).is_some_and(|c| {
                    !matches!(c, b',' | b'}' | b']' | b'\n' | b' ' | b'\t' | b'\r')
                }) {
                    pos += 1;
                }
            }
        }
        pos += 1;
    }
}

/// The key of the object frame at `index` from the top (0 = innermost).
fn key_at<'a>(stack: &[Frame<'a>], from_top: usize) -> Option<&'a [u8]> {
    let index = stack.len().checked_sub(from_top + 1)?;
    match stack.get(index)? {
        Frame::Object { key, .. } => *key,
        Frame::Array { .. } => None,
    }
}

/// The path of the value at the current position: `panels[3].panels[0]`.
fn path_of(stack: &[Frame<'_>]) -> String {
    let mut path = String::new();
    for frame in stack {
        match frame {
            Frame::Object { key, .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&String::from_utf8_lossy(key.unwrap_or_default()));
            }
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// Whether the value being opened is an element of a `panels` array.
fn is_panel_element(stack: &[Frame<'_>]) -> bool {
    matches!(stack.last(), Some(Frame::Array { .. })) && key_at(stack, 1) == Some(b"panels")
}

/// Whether the head of a file is a Grafana dashboard: a JSON object (or
/// the HTTP API's `{"dashboard": {...}}`) whose dashboard level has
/// `panels` or `rows` as an array or a `schemaVersion`, and one key only
/// Grafana writes (`schemaVersion`, `templating`, `__inputs`...) or panels
/// with Grafana's panel keys (`gridPos`, `targets`). k6 summaries, php-fpm
/// and OPcache status JSON and other documents have none of these.
pub fn sniff(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if text.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    let mut wrapped = false;
    let mut top: Vec<(&[u8], u8)> = Vec::new();
    let mut inner: Vec<(&[u8], u8)> = Vec::new();
    let mut panel_marks = false;
    walk(text, |stack, first, _line| {
        let key = key_at(stack, 0);
        match (stack.len(), key) {
            (1, Some(key)) => {
                if key == b"dashboard" && first == b'{' {
                    wrapped = true;
                }
                top.push((key, first));
            }
            (2, Some(key)) if key_at(stack, 1) == Some(b"dashboard") => inner.push((key, first)),
            _ => {}
        }
        // A key of an object inside a `panels` array.
        if stack.len() >= 3
            && matches!(stack.get(stack.len() - 2), Some(Frame::Array { .. }))
            && key_at(stack, 2) == Some(b"panels")
            && key.is_some_and(|k| PANEL_MARKS.iter().any(|m| m.as_bytes() == k))
        {
            panel_marks = true;
        }
    });
    let keys = if wrapped { &inner } else { &top };
    let has = |name: &str| keys.iter().any(|(k, _)| *k == name.as_bytes());
    let layout = keys
        .iter()
        .any(|(k, first)| (*k == b"panels" || *k == b"rows") && *first == b'[');
    let marked = DASHBOARD_MARKS.iter().any(|m| has(m)) || panel_marks;
    (layout || has("schemaVersion")) && marked
}

/// The line each panel object opens on, by path.
fn panel_lines(text: &str) -> HashMap<String, u64> {
    let mut lines = HashMap::new();
    walk(text.as_bytes(), |stack, first, line| {
        if first == b'{' && is_panel_element(stack) {
            lines.insert(path_of(stack), line);
        }
    });
    lines
}

fn json_error(file: &str, err: &serde_json::Error) -> ParseError {
    let found = match err.classify() {
        serde_json::error::Category::Eof => {
            "the end of the input (the file is truncated)".to_owned()
        }
        _ => {
            // serde_json ends its message with the location, which the
            // error carries separately.
            let message = err.to_string();
            match message.rfind(" at line ") {
                Some(i) => message.get(..i).unwrap_or(&message).to_owned(),
                None => message,
            }
        }
    };
    ParseError::new("a Grafana dashboard in JSON", found)
        .in_file(file)
        .at_line(err.line() as u64, Some(err.column() as u64))
}

/// What resolving datasources needs: the dashboard's datasource variables
/// and the export's inputs, both mapping a name to a plugin id.
struct Datasources {
    plugins: HashMap<String, String>,
}

impl Datasources {
    fn new(root: &Map<String, Value>, dashboard: &Map<String, Value>) -> Datasources {
        let mut plugins = HashMap::new();
        for source in [root, dashboard] {
            for input in source
                .get("__inputs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(name), Some(plugin)) = (
                    input.get("name").and_then(Value::as_str),
                    input.get("pluginId").and_then(Value::as_str),
                ) {
                    plugins.insert(name.to_owned(), plugin.to_owned());
                }
            }
        }
        let variables = dashboard
            .get("templating")
            .and_then(|t| t.get("list"))
            .and_then(Value::as_array);
        for variable in variables.into_iter().flatten() {
            if variable.get("type").and_then(Value::as_str) == Some("datasource")
                && let (Some(name), Some(plugin)) = (
                    variable.get("name").and_then(Value::as_str),
                    variable.get("query").and_then(Value::as_str),
                )
            {
                plugins.insert(name.to_owned(), plugin.to_owned());
            }
        }
        Datasources { plugins }
    }

    /// The plugin type of a datasource reference when it can be resolved,
    /// else the reference as written; `None` for the default datasource.
    fn resolve(&self, reference: &Value) -> Option<String> {
        match reference {
            Value::Object(object) => {
                let kind = object.get("type").and_then(Value::as_str);
                let uid = object.get("uid").and_then(Value::as_str);
                match (kind, uid) {
                    (Some("datasource"), Some(uid)) => Some(uid.to_owned()),
                    (Some(kind), _) if !kind.is_empty() => {
                        Some(self.variable(kind).unwrap_or_else(|| kind.to_owned()))
                    }
                    (_, Some(uid)) => Some(self.variable(uid).unwrap_or_else(|| uid.to_owned())),
                    _ => None,
                }
            }
            Value::String(name) if !name.is_empty() => {
                Some(self.variable(name).unwrap_or_else(|| name.clone()))
            }
            _ => None,
        }
    }

    /// `$name`, `${name}` or `${name:format}` resolved to a plugin id.
    fn variable(&self, text: &str) -> Option<String> {
        let name = text
            .strip_prefix("${")
            .and_then(|rest| rest.strip_suffix('}'))
            .map(|inner| inner.split(':').next().unwrap_or(inner))
            .or_else(|| text.strip_prefix('$'))?;
        self.plugins.get(name).cloned()
    }
}

/// Reads a dashboard; problems Grafana would show on a panel are returned
/// beside it.
pub fn parse(file: &str, text: &str) -> Result<(Dashboard, Vec<Problem>), ParseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(file, &e))?;
    let Value::Object(root) = &value else {
        return Err(ParseError::new(
            "a Grafana dashboard: a JSON object",
            format!("a JSON {}", json_kind(&value)),
        )
        .in_file(file)
        .at_line(1, None));
    };
    // The HTTP API wraps the dashboard; a bare dashboard has its layout at
    // the top.
    let (dashboard, prefix) = match root.get("dashboard") {
        Some(Value::Object(inner))
            if !root.contains_key("panels") && !root.contains_key("rows") =>
        {
            (inner, "dashboard.")
        }
        _ => (root, ""),
    };
    let datasources = Datasources::new(root, dashboard);
    let mut reader = PanelReader {
        file,
        lines: panel_lines(text),
        datasources,
        panels: Vec::new(),
        problems: Vec::new(),
    };
    if let Some(panels) = dashboard.get("panels") {
        reader.panels_of(panels, &format!("{prefix}panels"), 0);
    }
    match dashboard.get("rows") {
        Some(Value::Array(rows)) => {
            for (i, row) in rows.iter().enumerate() {
                if let Some(panels) = row.get("panels") {
                    reader.panels_of(panels, &format!("{prefix}rows[{i}].panels"), 0);
                }
            }
        }
        Some(other) => reader.problem(1, format!("`rows` is {}, not a list", json_kind(other))),
        None => {}
    }
    let text_field = |key: &str| {
        dashboard
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let dashboard = Dashboard {
        file: file.to_owned(),
        title: text_field("title"),
        uid: text_field("uid"),
        schema_version: dashboard.get("schemaVersion").and_then(Value::as_u64),
        panels: reader.panels,
    };
    Ok((dashboard, reader.problems))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

struct PanelReader<'a> {
    file: &'a str,
    lines: HashMap<String, u64>,
    datasources: Datasources,
    panels: Vec<Panel>,
    problems: Vec<Problem>,
}

impl PanelReader<'_> {
    fn problem(&mut self, line: u64, message: String) {
        self.problems.push(Problem {
            kind: Kind::GrafanaDashboard,
            origin: Origin::new(self.file, line),
            message,
        });
    }

    fn panels_of(&mut self, panels: &Value, path: &str, depth: usize) {
        let Value::Array(panels) = panels else {
            self.problem(1, format!("`{path}` is {}, not a list", json_kind(panels)));
            return;
        };
        for (i, panel) in panels.iter().enumerate() {
            let path = format!("{path}[{i}]");
            // The walker and serde_json read the same valid text, so every
            // panel has a line; 1 only guards against a disagreement.
            let line = self.lines.get(&path).copied().unwrap_or(1);
            let Value::Object(object) = panel else {
                self.problem(
                    line,
                    format!("`{path}` is {}, not a panel object", json_kind(panel)),
                );
                continue;
            };
            let title = object
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let kind = object
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let panel_source = object
                .get("datasource")
                .and_then(|d| self.datasources.resolve(d));
            let mut queries = Vec::new();
            for target in object
                .get("targets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(query) = self.query(target, panel_source.as_deref()) {
                    if query.language == Language::PromQl
                        && let Some(problem) = promql::parse(&query.text).problem
                    {
                        let reference = query.ref_id.as_deref().unwrap_or("?");
                        self.problem(
                            line,
                            format!(
                                "panel \"{title}\" ({path}), query {reference}: the PromQL has {problem}"
                            ),
                        );
                    }
                    queries.push(query);
                }
            }
            self.panels.push(Panel {
                path: path.clone(),
                line,
                title,
                kind,
                queries,
            });
            if let Some(nested) = object.get("panels") {
                if depth + 1 >= MAX_PANEL_DEPTH {
                    self.problem(
                        line,
                        format!("panels nested deeper than {MAX_PANEL_DEPTH} levels under `{path}` were not read"),
                    );
                } else {
                    self.panels_of(nested, &format!("{path}.panels"), depth + 1);
                }
            }
        }
    }

    /// A target's query text and language; `None` when it holds none.
    fn query(&self, target: &Value, panel_source: Option<&str>) -> Option<Query> {
        let target_source = target
            .get("datasource")
            .and_then(|d| self.datasources.resolve(d));
        // A target names its own datasource under a mixed panel; otherwise
        // it inherits the panel's.
        let datasource = target_source.or_else(|| panel_source.map(str::to_owned));
        let text_of = |key: &str| {
            target
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
        };
        let is_loki = datasource
            .as_deref()
            .is_some_and(|d| d.to_ascii_lowercase().contains("loki"));
        let builder_measurement = if target.get("rawQuery") == Some(&Value::Bool(false)) {
            text_of("measurement")
        } else {
            None
        };
        let (language, text) = if let Some(expr) = text_of("expr") {
            let language = if is_loki {
                Language::Other
            } else {
                Language::PromQl
            };
            (language, expr)
        } else if let Some(text) = builder_measurement
            .or_else(|| text_of("query"))
            .or_else(|| text_of("rawSql"))
            .or_else(|| text_of("target"))
            .or_else(|| text_of("measurement"))
        {
            (Language::Other, text)
        } else {
            return None;
        };
        Some(Query {
            ref_id: target
                .get("refId")
                .and_then(Value::as_str)
                .map(str::to_owned),
            datasource,
            language,
            text: text.to_owned(),
            hidden: target.get("hide") == Some(&Value::Bool(true)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panel_lines_follow_nesting() {
        let text = "{\n \"panels\": [\n  {\"type\": \"row\", \"panels\": [\n   {\"title\": \"a\"}\n  ]},\n  {\"title\": \"b\"}\n ],\n \"rows\": [{\"panels\": [\n  {\"title\": \"c\"}]}]\n}";
        let lines = panel_lines(text);
        assert_eq!(lines.get("panels[0]"), Some(&3));
        assert_eq!(lines.get("panels[0].panels[0]"), Some(&4));
        assert_eq!(lines.get("panels[1]"), Some(&6));
        assert_eq!(lines.get("rows[0].panels[0]"), Some(&9));
    }

    #[test]
    fn sniffing_is_specific() {
        assert!(sniff(
            br#"{"annotations": {"list": []}, "panels": [{"gridPos": {}"#
        ));
        assert!(sniff(
            br#"{"dashboard": {"title": "x", "panels": [{"targets": []}]}, "meta": {}}"#
        ));
        assert!(sniff(br#"{"title": "x", "schemaVersion": 39}"#));
        assert!(!sniff(
            br#"{"root_group": {}, "metrics": {"http_reqs": {}}}"#
        ));
        assert!(!sniff(
            br#"{"title": "a table", "rows": [[1, 2]], "columns": ["a"]}"#
        ));
        assert!(!sniff(br#"{"panels": "not a list", "title": "x"}"#));
        assert!(!sniff(b"[1, 2, 3]"));
        assert!(!sniff(b"groups:\n  - name: x\n"));
    }
}
