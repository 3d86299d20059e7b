//! SHOW GLOBAL STATUS and SHOW GLOBAL VARIABLES dumps, as the mysql client
//! prints them: tab-separated with `-B` (optionally without the header with
//! `-N`; tabs, newlines and backslashes in values escaped as `\t`, `\n`,
//! `\\`), or as the interactive box table (`+---+` borders, `| name |
//! value |` rows, padded to the widest value). `mysqladmin
//! extended-status` and `mysqladmin variables` print the same box.

use crate::audit::Kind;
use crate::audit::model::Origin;
use crate::error::ParseError;
use crate::input::{Lines, Source};
use std::collections::BTreeMap;

/// One name and value of a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalValue {
    /// As printed: status names are capitalized (`Uptime`), variables not.
    pub name: String,
    pub value: String,
    pub origin: Origin,
}

/// The values of SHOW GLOBAL STATUS or SHOW GLOBAL VARIABLES, kept as
/// text with typed getters. Names are looked up without regard to case.
/// Several variables files merge (the last value of a name wins); two
/// status dumps of one server with different Uptime are kept as a pair,
/// so that measured rules can use the delta between them.
#[derive(Debug, Clone, Default)]
pub struct GlobalValues {
    entries: Vec<GlobalValue>,
    index: BTreeMap<String, usize>,
    files: Vec<String>,
    earlier: Option<Box<GlobalValues>>,
}

impl GlobalValues {
    fn from_entries(file: &str, entries: Vec<GlobalValue>) -> GlobalValues {
        let mut values = GlobalValues {
            files: vec![file.to_owned()],
            ..GlobalValues::default()
        };
        for entry in entries {
            values.push(entry);
        }
        values
    }

    fn push(&mut self, entry: GlobalValue) {
        self.index
            .insert(entry.name.to_ascii_lowercase(), self.entries.len());
        self.entries.push(entry);
    }

    fn merge(&mut self, other: GlobalValues) {
        for file in other.files {
            if !self.files.contains(&file) {
                self.files.push(file);
            }
        }
        for entry in other.entries {
            self.push(entry);
        }
    }

    pub fn get(&self, name: &str) -> Option<&GlobalValue> {
        let i = *self.index.get(&name.to_ascii_lowercase())?;
        self.entries.get(i)
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(|v| v.value.as_str())
    }

    pub fn origin(&self, name: &str) -> Option<&Origin> {
        self.get(name).map(|v| &v.origin)
    }

    /// A counter or size: a non-negative integer.
    pub fn u64(&self, name: &str) -> Option<u64> {
        self.text(name)?.trim().parse().ok()
    }

    pub fn i64(&self, name: &str) -> Option<i64> {
        self.text(name)?.trim().parse().ok()
    }

    pub fn f64(&self, name: &str) -> Option<f64> {
        self.text(name)?
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
    }

    /// A boolean variable: ON/OFF, as the server prints them (1/0,
    /// TRUE/FALSE, YES/NO also read).
    pub fn on(&self, name: &str) -> Option<bool> {
        match self.text(name)?.trim().to_ascii_uppercase().as_str() {
            "ON" | "1" | "TRUE" | "YES" => Some(true),
            "OFF" | "0" | "FALSE" | "NO" => Some(false),
            _ => None,
        }
    }

    /// Every value, in file order (a name set twice appears twice).
    pub fn iter(&self) -> impl Iterator<Item = &GlobalValue> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The earlier of two status dumps of the same server run, when two
    /// were uploaded.
    pub fn earlier(&self) -> Option<&GlobalValues> {
        self.earlier.as_deref()
    }
}

/// Adds a dump to the stack's slot: variables merge; a second status dump
/// with a different Uptime becomes the other end of a delta (the larger
/// Uptime is the later one).
pub fn add(kind: Kind, slot: &mut Option<GlobalValues>, new: GlobalValues) {
    let Some(mut current) = slot.take() else {
        *slot = Some(new);
        return;
    };
    let uptimes = (current.u64("Uptime"), new.u64("Uptime"));
    match (kind, uptimes) {
        (Kind::MysqlStatus, (Some(a), Some(b))) if a != b => {
            let (mut later, earlier) = if b > a {
                (new, current)
            } else {
                (current, new)
            };
            // With a third dump, keep the widest window: the earliest start.
            let earliest = match (later.earlier.take(), earlier) {
                (Some(old), e) if old.u64("Uptime") < e.u64("Uptime") => *old,
                (_, e) => e,
            };
            later.earlier = Some(Box::new(earliest));
            *slot = Some(later);
        }
        _ => {
            current.merge(new);
            *slot = Some(current);
        }
    }
}

/// Status counters that only SHOW GLOBAL STATUS has.
const STATUS_MARKERS: &[&str] = &[
    "uptime",
    "questions",
    "connections",
    "threads_connected",
    "threads_created",
    "aborted_connects",
    "aborted_clients",
    "bytes_received",
    "com_select",
    "innodb_buffer_pool_reads",
    "slow_queries",
];

/// Variables that only SHOW GLOBAL VARIABLES has.
const VARIABLE_MARKERS: &[&str] = &[
    "version",
    "version_comment",
    "innodb_buffer_pool_size",
    "max_connections",
    "datadir",
    "table_open_cache",
    "log_bin",
    "performance_schema",
    "character_set_server",
    "sql_mode",
    "innodb_flush_log_at_trx_commit",
];

/// Status or variables, by the names a dump holds: a marker of either
/// decides; otherwise capitalized names mean status (every status counter
/// starts with a capital, no variable does).
pub fn classify<'n>(names: impl Iterator<Item = &'n str>, need_marker: bool) -> Option<Kind> {
    let (mut upper, mut lower) = (0usize, 0usize);
    let (mut status, mut variables) = (false, false);
    for name in names {
        let lowered = name.to_ascii_lowercase();
        status |= STATUS_MARKERS.contains(&lowered.as_str());
        variables |= VARIABLE_MARKERS.contains(&lowered.as_str());
        match name.chars().next() {
            Some(c) if c.is_ascii_uppercase() => upper += 1,
            Some(c) if c.is_ascii_lowercase() => lower += 1,
            _ => {}
        }
    }
    match (status, variables) {
        (true, false) => Some(Kind::MysqlStatus),
        (false, true) => Some(Kind::MysqlVariables),
        _ if need_marker && !status && !variables => None,
        _ if upper > lower => Some(Kind::MysqlStatus),
        _ if lower > upper => Some(Kind::MysqlVariables),
        _ => None,
    }
}

fn is_header(name: &str, value: &str) -> bool {
    (name.eq_ignore_ascii_case("Variable_name") && value.eq_ignore_ascii_case("Value"))
        || (name.eq_ignore_ascii_case("VARIABLE_NAME")
            && value.eq_ignore_ascii_case("VARIABLE_VALUE"))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// Lines a terminal copy may hold around a box table: the prompt with the
/// command, and the row count.
fn is_chatter(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("mysql>")
        || t.starts_with("MariaDB [")
        || t.starts_with("MySQL [")
        || t.starts_with("Empty set")
        || (t.contains(" in set")
            && t.split_whitespace()
                .next()
                .is_some_and(|n| n.parse::<u64>().is_ok()))
}

/// The kind of a dump by its first lines, if it is one.
pub fn sniff(text: &str) -> Option<Kind> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && !is_chatter(l))
        .take(2000)
        .collect();
    let first = lines.first()?.trim_start_matches('\u{feff}');
    if first.starts_with("+-") {
        let header = lines.get(1)?;
        let (name, value) = box_cells(header)?;
        if !is_header(name, value) {
            return None;
        }
        let names = lines
            .iter()
            .skip(2)
            .filter(|l| l.starts_with('|'))
            .filter_map(|l| box_cells(l).map(|(n, _)| n));
        return classify(names, false);
    }
    let mut cells = first.split('\t');
    let (name, value) = (cells.next()?, cells.next()?);
    if cells.next().is_some() {
        return None;
    }
    if is_header(name, value) {
        let names = lines.iter().skip(1).filter_map(|l| l.split('\t').next());
        return classify(names, false);
    }
    // Without a header (`mysql -B -N`), every line must be `name<TAB>value`
    // and a marker name must be present.
    // The head may end inside a line; that line is not checked.
    let checked = if text.ends_with('\n') {
        &lines[..]
    } else {
        &lines[..lines.len().saturating_sub(1)]
    };
    if !checked
        .iter()
        .all(|l| l.split('\t').count() == 2 && l.split('\t').next().is_some_and(valid_name))
    {
        return None;
    }
    classify(lines.iter().filter_map(|l| l.split('\t').next()), true)
}

/// The name and value cells of a box row `| name | value |`. Names never
/// hold `|`; values may, so the value runs to the last `|`.
fn box_cells(line: &str) -> Option<(&str, &str)> {
    let inner = line.trim_end().strip_prefix('|')?.strip_suffix('|')?;
    let (name, value) = inner.split_once('|')?;
    Some((name.trim(), value.trim()))
}

/// Parses a dump of either layout.
pub fn parse(source: &dyn Source) -> Result<GlobalValues, ParseError> {
    let name = source.name();
    let mut lines = Lines::new(source)?;
    let mut entries = Vec::new();
    let mut layout: Option<bool> = None; // Some(true) = box table.
    let mut table = BoxState::Outside;
    let mut pending: Option<(u64, String)> = None;
    let err = |line: u64, expected: &str, found: String| {
        ParseError::new(expected, found)
            .in_file(name)
            .at_line(line, None)
    };
    while let Some((number, raw)) = lines.next_numbered()? {
        let text = String::from_utf8_lossy(raw).into_owned();
        let text = if number == 1 {
            text.trim_start_matches('\u{feff}').to_owned()
        } else {
            text
        };
        // A box row whose value holds line breaks continues on the next
        // lines until one ends with `|`.
        if let Some((start, mut row)) = pending.take() {
            row.push('\n');
            row.push_str(&text);
            if text.trim_end().ends_with('|') {
                let (n, v) = box_cells(&row).ok_or_else(|| {
                    err(start, "a table row `| name | value |`", format!("`{row}`"))
                })?;
                entries.push(entry(n, v, name, start, &err)?);
            } else {
                pending = Some((start, row));
            }
            continue;
        }
        if text.trim().is_empty() || is_chatter(&text) {
            continue;
        }
        let boxed = *layout.get_or_insert_with(|| text.starts_with('+'));
        if !boxed {
            let mut cells = text.split('\t');
            let (Some(n), Some(v), None) = (cells.next(), cells.next(), cells.next()) else {
                return Err(err(
                    number,
                    "`name<TAB>value` (mysql -B output)",
                    format!(
                        "{} tab-separated columns in `{}`",
                        text.split('\t').count(),
                        shorten(&text)
                    ),
                ));
            };
            if entries.is_empty() && is_header(n, v) {
                continue;
            }
            entries.push(entry(n, &unescape(v), name, number, &err)?);
            continue;
        }
        let trimmed = text.trim_end();
        if trimmed.starts_with('+') {
            if !trimmed.bytes().all(|b| b == b'+' || b == b'-') {
                return Err(err(
                    number,
                    "a table border `+---+---+`",
                    format!("`{}`", shorten(trimmed)),
                ));
            }
            table = match table {
                BoxState::Outside => BoxState::Header,
                BoxState::HeaderBorder => BoxState::Body,
                BoxState::Body => BoxState::Outside,
                BoxState::Header => {
                    return Err(err(
                        number,
                        "the header row `| Variable_name | Value |`",
                        "a border".to_owned(),
                    ));
                }
            };
            continue;
        }
        if !trimmed.starts_with('|') {
            return Err(err(
                number,
                "a table row starting with `|` or a border starting with `+`",
                format!("`{}`", shorten(trimmed)),
            ));
        }
        match table {
            BoxState::Header => {
                let header = box_cells(trimmed).filter(|(n, v)| is_header(n, v));
                if header.is_none() {
                    return Err(err(
                        number,
                        "the header row `| Variable_name | Value |`",
                        format!("`{}`", shorten(trimmed)),
                    ));
                }
                table = BoxState::HeaderBorder;
            }
            BoxState::Body => {
                if trimmed.len() > 1 && trimmed.ends_with('|') {
                    let (n, v) = box_cells(trimmed).ok_or_else(|| {
                        err(
                            number,
                            "a table row `| name | value |`",
                            format!("`{}`", shorten(trimmed)),
                        )
                    })?;
                    entries.push(entry(n, v, name, number, &err)?);
                } else {
                    pending = Some((number, trimmed.to_owned()));
                }
            }
            BoxState::Outside | BoxState::HeaderBorder => {
                return Err(err(
                    number,
                    "a table border `+---+---+` before this row",
                    format!("`{}`", shorten(trimmed)),
                ));
            }
        }
    }
    if let Some((start, row)) = pending {
        return Err(err(
            start,
            "the rest of this row, up to its closing `|`",
            format!(
                "the end of the input after `{}` (the table is cut mid-row)",
                shorten(&row)
            ),
        ));
    }
    if layout == Some(true) && table != BoxState::Outside {
        return Err(ParseError::new(
            "the table's closing border `+---+---+`",
            "the end of the input (the table is cut)",
        )
        .in_file(name)
        .at_line(lines.line_number(), None));
    }
    if entries.is_empty() {
        return Err(
            ParseError::new("at least one `name` and `value` row", "no rows").in_file(name),
        );
    }
    Ok(GlobalValues::from_entries(name, entries))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BoxState {
    Outside,
    Header,
    HeaderBorder,
    Body,
}

fn entry(
    name: &str,
    value: &str,
    file: &str,
    line: u64,
    err: &dyn Fn(u64, &str, String) -> ParseError,
) -> Result<GlobalValue, ParseError> {
    let name = name.trim();
    if !valid_name(name) {
        return Err(err(
            line,
            "a variable name (letters, digits, `_`)",
            format!("`{}`", shorten(name)),
        ));
    }
    Ok(GlobalValue {
        name: name.to_owned(),
        value: value.to_owned(),
        origin: Origin::new(file, line),
    })
}

/// Resolves the escapes `mysql -B` writes: `\t`, `\n`, `\0`, `\\`.
pub fn unescape(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A line shortened for a message.
pub fn shorten(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= 80 {
        return text.to_owned();
    }
    let cut: String = text.chars().take(77).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::MemorySource;

    #[test]
    fn both_layouts_give_the_same_values() {
        let tsv = MemorySource::new(
            "s.tsv",
            "Variable_name\tValue\nUptime\t90000\nSsl_cipher\t\n",
        );
        let boxed = MemorySource::new(
            "s.txt",
            "+---------------+-------+\n| Variable_name | Value |\n+---------------+-------+\n| Uptime        | 90000 |\n| Ssl_cipher    |       |\n+---------------+-------+\n4 rows in set (0.00 sec)\n",
        );
        for source in [&tsv, &boxed] {
            let v = parse(source).unwrap();
            assert_eq!(v.u64("uptime"), Some(90000));
            assert_eq!(v.text("Ssl_cipher"), Some(""));
        }
    }

    #[test]
    fn a_value_with_line_breaks_continues_the_row() {
        let src = MemorySource::new(
            "s.txt",
            "+------+------+\n| Variable_name | Value |\n+------+------+\n| Rsa_public_key | -----BEGIN\nABC\n-----END |\n| Uptime | 5 |\n+------+------+\n",
        );
        let v = parse(&src).unwrap();
        assert_eq!(v.text("Rsa_public_key"), Some("-----BEGIN\nABC\n-----END"));
        assert_eq!(v.origin("Uptime").map(|o| o.line), Some(7));
    }

    #[test]
    fn names_decide_status_or_variables() {
        assert_eq!(
            sniff("Variable_name\tValue\nAborted_clients\t0\n"),
            Some(Kind::MysqlStatus)
        );
        assert_eq!(
            sniff("Variable_name\tValue\nversion\t8.0.36\n"),
            Some(Kind::MysqlVariables)
        );
        assert_eq!(sniff("Uptime\t10\nQuestions\t4\n"), Some(Kind::MysqlStatus));
        assert_eq!(sniff("foo\tbar\n"), None);
        assert_eq!(sniff("a\tb\tc\n"), None);
    }
}
