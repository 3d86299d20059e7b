//! Prometheus rule files: recognising them from the first bytes and reading
//! groups and rules, with what `promtool check rules` would refuse kept as
//! problems.

use super::yaml::{self, Node};
use super::{Kind, Problem, PromRule, RuleFile, RuleGroup, RuleKind, promql};
use crate::audit::model::Origin;
use crate::error::ParseError;

/// Whether the head of a file is a Prometheus rule file: YAML with a
/// top-level `groups:` (or a Kubernetes `PrometheusRule` with `groups:`
/// under `spec:`), a `rules:` key, an `alert:` or `record:` key and an
/// `expr:` key. Each is looked for at the start of a line, after
/// indentation and an optional `- `, so a word in a comment or a string does
/// not count.
pub fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let first = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next();
    if matches!(first, Some('{' | '[')) {
        return false;
    }
    let (mut groups, mut custom_resource, mut nested_groups) = (false, false, false);
    let (mut rules, mut rule, mut expr) = (false, false, false);
    for line in text.lines() {
        let indented = line.starts_with([' ', '\t']);
        let key = line.trim_start().trim_start_matches("- ").trim_start();
        let is = |name: &str| {
            key.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(':'))
        };
        if is("groups") {
            if indented {
                nested_groups = true;
            } else {
                groups = true;
            }
        }
        if !indented && key.starts_with("kind:") && key.trim_end().ends_with("PrometheusRule") {
            custom_resource = true;
        }
        rules |= is("rules");
        rule |= is("alert") || is("record");
        expr |= is("expr");
    }
    (groups || custom_resource && nested_groups) && rules && rule && expr
}

/// A Prometheus duration (`90s`, `5m`, `1h30m`, `0`) in milliseconds:
/// units from years down to milliseconds, each at most once, in order.
pub fn duration_ms(text: &str) -> Option<u64> {
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 24 * 3_600_000),
        ("w", 7 * 24 * 3_600_000),
        ("d", 24 * 3_600_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    let text = text.trim();
    if text == "0" {
        return Some(0);
    }
    let mut rest = text;
    let mut next_unit = 0usize;
    let mut total = 0u64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number: u64 = rest.get(..digits)?.parse().ok()?;
        let after = rest.get(digits..)?;
        // `ms` before `m`, so that `5ms` is not five minutes and an `s`.
        let (index, (unit, factor)) = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, (unit, _))| after.starts_with(unit))
            .max_by_key(|(_, (unit, _))| unit.len())?;
        total = total.checked_add(number.checked_mul(*factor)?)?;
        next_unit = index + 1;
        rest = after.get(unit.len()..)?;
    }
    (!text.is_empty()).then_some(total)
}

/// Whether a recorded series name is a valid metric name.
fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

struct Reader<'a> {
    file: &'a str,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn problem(&mut self, line: u64, message: String) {
        self.problems.push(Problem {
            kind: Kind::PrometheusRules,
            origin: Origin::new(self.file, line),
            message,
        });
    }
}

/// The groups of one document: `groups:` at the top, or under `spec:` for a
/// `PrometheusRule` object.
fn groups_of(document: &Node) -> Option<&Node> {
    document.get("groups").or_else(|| {
        (document.get("kind").and_then(Node::as_str) == Some("PrometheusRule"))
            .then(|| document.get("spec").and_then(|s| s.get("groups")))
            .flatten()
    })
}

/// Reads a rule file. A file that is not YAML, or in which no document has
/// `groups`, is an error; everything else Prometheus would refuse is a
/// problem kept beside the rules that could be read.
pub fn parse(file: &str, text: &str) -> Result<(RuleFile, Vec<Problem>), ParseError> {
    let documents = yaml::documents(text).map_err(|e| e.in_file(file))?;
    let mut reader = Reader {
        file,
        problems: Vec::new(),
    };
    let mut groups = Vec::new();
    let mut found_groups = false;
    for document in &documents {
        let Some(list) = groups_of(document) else {
            continue;
        };
        found_groups = true;
        if list.is_null() {
            // `groups:` with nothing under it: a valid, empty rule file.
            continue;
        }
        let Some(items) = list.items() else {
            reader.problem(
                list.line(),
                format!("`groups` is {}, not a list", list.describe()),
            );
            continue;
        };
        for item in items {
            if let Some(group) = read_group(&mut reader, item) {
                if let Some(first) = groups
                    .iter()
                    .find(|g: &&RuleGroup| g.name == group.name && !group.name.is_empty())
                {
                    reader.problem(
                        group.line,
                        format!(
                            "group \"{}\" is repeated (first at line {}); Prometheus refuses the file",
                            group.name, first.line
                        ),
                    );
                }
                groups.push(group);
            }
        }
    }
    if !found_groups {
        let line = documents.first().map(Node::line).unwrap_or(1);
        let found = match documents.first() {
            None => "an empty document".to_owned(),
            Some(document) => format!("{} without `groups`", document.describe()),
        };
        return Err(ParseError::new(
            "a Prometheus rule file with a top-level `groups:` list",
            found,
        )
        .in_file(file)
        .at_line(line, None));
    }
    let rule_file = RuleFile {
        file: file.to_owned(),
        groups,
    };
    Ok((rule_file, reader.problems))
}

fn read_group(reader: &mut Reader<'_>, item: &Node) -> Option<RuleGroup> {
    if item.entries().is_none() {
        reader.problem(
            item.line(),
            format!("a group is {}, not a mapping", item.describe()),
        );
        return None;
    }
    let (name, line) = match item.entry("name") {
        Some((key, value)) => (value.as_str().unwrap_or_default().to_owned(), key.line()),
        None => (String::new(), item.line()),
    };
    if name.is_empty() {
        reader.problem(line, "a group has no `name`".to_owned());
    }
    let interval = item
        .get("interval")
        .and_then(Node::as_str)
        .map(str::to_owned);
    if let Some(text) = &interval
        && duration_ms(text).is_none()
    {
        reader.problem(
            line,
            format!("group \"{name}\" has an invalid `interval: {text}`"),
        );
    }
    let mut rules = Vec::new();
    match item.get("rules") {
        Some(list) if list.is_null() => {}
        Some(list) => match list.items() {
            Some(items) => {
                for rule in items {
                    if let Some(rule) = read_rule(reader, &name, rule) {
                        rules.push(rule);
                    }
                }
            }
            None => reader.problem(
                list.line(),
                format!(
                    "the `rules` of group \"{name}\" is {}, not a list",
                    list.describe()
                ),
            ),
        },
        None => {}
    }
    Some(RuleGroup {
        name,
        line,
        interval,
        rules,
    })
}

fn read_rule(reader: &mut Reader<'_>, group: &str, item: &Node) -> Option<PromRule> {
    if item.entries().is_none() {
        reader.problem(
            item.line(),
            format!(
                "a rule of group \"{group}\" is {}, not a mapping",
                item.describe()
            ),
        );
        return None;
    }
    let alert = item.entry("alert");
    let record = item.entry("record");
    let (kind, (key, value)) = match (alert, record) {
        (Some(alert), None) => (RuleKind::Alert, alert),
        (None, Some(record)) => (RuleKind::Record, record),
        (Some(alert), Some(_)) => {
            reader.problem(
                alert.0.line(),
                format!("a rule of group \"{group}\" has both `alert` and `record`"),
            );
            (RuleKind::Alert, alert)
        }
        (None, None) => {
            reader.problem(
                item.line(),
                format!("a rule of group \"{group}\" has neither `alert` nor `record`"),
            );
            return None;
        }
    };
    let line = key.line();
    let name = value.as_str().unwrap_or_default().to_owned();
    let what = match kind {
        RuleKind::Alert => "alert",
        RuleKind::Record => "recording rule",
    };
    if name.is_empty() {
        reader.problem(line, format!("a {what} of group \"{group}\" has no name"));
    } else if kind == RuleKind::Record && !is_metric_name(&name) {
        reader.problem(
            line,
            format!("recording rule \"{name}\" does not record a valid metric name"),
        );
    }
    let expr = item
        .get("expr")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_owned();
    let expr_line = item.entry("expr").map(|(k, _)| k.line()).unwrap_or(line);
    if expr.trim().is_empty() {
        reader.problem(expr_line, format!("{what} \"{name}\" has no `expr`"));
    } else if let Some(problem) = promql::parse(&expr).problem {
        reader.problem(
            expr_line,
            format!("the `expr` of {what} \"{name}\" has {problem}"),
        );
    }
    let for_entry = item.entry("for").filter(|(_, v)| !v.is_null());
    let for_duration = for_entry.and_then(|(_, v)| v.as_str()).map(str::to_owned);
    let for_ms = for_duration.as_deref().and_then(duration_ms);
    if let (Some((for_key, _)), Some(text)) = (for_entry, &for_duration) {
        if kind == RuleKind::Record {
            reader.problem(
                for_key.line(),
                format!("recording rule \"{name}\" has a `for:`, which only alerts may have"),
            );
        } else if for_ms.is_none() {
            reader.problem(
                for_key.line(),
                format!("alert \"{name}\" has an invalid `for: {text}`"),
            );
        }
    }
    let severity = item
        .get("labels")
        .and_then(|labels| labels.get("severity"))
        .and_then(Node::as_str)
        .map(str::to_owned);
    Some(PromRule {
        kind,
        name,
        expr,
        for_duration,
        for_ms,
        severity,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_prometheus_reads_them() {
        assert_eq!(duration_ms("5m"), Some(300_000));
        assert_eq!(duration_ms("1h30m"), Some(5_400_000));
        assert_eq!(duration_ms("500ms"), Some(500));
        assert_eq!(duration_ms("1m30s"), Some(90_000));
        assert_eq!(duration_ms("0m"), Some(0));
        assert_eq!(duration_ms("0"), Some(0));
        assert_eq!(duration_ms("30m1h"), None);
        assert_eq!(duration_ms("5"), None);
        assert_eq!(duration_ms("5 m"), None);
        assert_eq!(duration_ms(""), None);
        assert_eq!(duration_ms("99999999999999999999y"), None);
    }

    #[test]
    fn sniffing_is_specific() {
        assert!(sniff(
            b"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n"
        ));
        assert!(sniff(
            b"apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n  groups:\n  - name: g\n    rules:\n    - record: a:b\n      expr: sum(b)\n"
        ));
        assert!(!sniff(b"services:\n  web:\n    image: nginx\n"));
        assert!(!sniff(b"groups:\n  admins: [alice]\n"));
        assert!(!sniff(b"# groups: rules: alert: expr:\nkey: value\n"));
        assert!(!sniff(
            br#"{"groups": [{"rules": [{"alert": "a", "expr": "b"}]}]}"#
        ));
    }
}
