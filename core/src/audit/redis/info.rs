//! `redis-cli INFO` output: `# Section` headers, `field:value` lines, the
//! keyspace lines (`db0:keys=4,expires=0,avg_ttl=0`) and error statistics
//! (`errorstat_OOM:count=3`). A raw RESP reply starts with a `$N` bulk
//! length line, which is skipped.

use super::super::model::Origin;
use super::text::{MAX_FILE_BYTES, read_text};
use crate::error::ParseError;
use crate::input::Source;

/// One `field:value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoField {
    pub name: String,
    pub value: String,
    /// The section it appeared under (`Server`, `Memory`, …), empty
    /// before the first header.
    pub section: String,
    pub line: u64,
}

/// One database of the `# Keyspace` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyspace {
    pub db: u32,
    pub keys: u64,
    pub expires: u64,
    /// Milliseconds, as INFO reports it.
    pub avg_ttl: u64,
    pub origin: Origin,
}

/// A parsed INFO dump. When two dumps of the same server run are
/// uploaded, the later one keeps the earlier one so that counters can be
/// read as the difference between them (counters are cumulative since
/// start).
#[derive(Debug, Clone, Default)]
pub struct RedisInfo {
    pub file: String,
    pub fields: Vec<InfoField>,
    pub keyspace: Vec<Keyspace>,
    earlier: Option<Box<RedisInfo>>,
}

/// A counter read from INFO: since start, or between two dumps.
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    pub value: u64,
    /// Seconds between the two dumps when the value is a difference.
    pub interval_s: Option<u64>,
    pub origin: Origin,
}

impl RedisInfo {
    pub fn get(&self, name: &str) -> Option<&InfoField> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(|f| f.value.as_str())
    }

    pub fn origin(&self, name: &str) -> Option<Origin> {
        self.get(name).map(|f| Origin::new(&self.file, f.line))
    }

    /// A numeric field (`mem_fragmentation_ratio:1.34`, `maxmemory:0`).
    pub fn number(&self, name: &str) -> Option<f64> {
        self.value(name)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite())
    }

    pub fn unsigned(&self, name: &str) -> Option<u64> {
        self.value(name).and_then(|v| v.trim().parse::<u64>().ok())
    }

    /// `redis_version` as (major, minor).
    pub fn version(&self) -> Option<(u32, u32)> {
        let text = self.value("redis_version")?;
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some((major, minor))
    }

    /// The dump taken earlier of the same server run, when two were
    /// uploaded.
    pub fn earlier(&self) -> Option<&RedisInfo> {
        self.earlier.as_deref()
    }

    /// The `count=` of an error statistic (`errorstat_OOM`, Redis ≥ 6.2).
    pub fn errorstat(&self, error: &str) -> Option<u64> {
        let value = self.value(&format!("errorstat_{error}"))?;
        value.split(',').find_map(|part| {
            part.strip_prefix("count=")
                .and_then(|n| n.trim().parse().ok())
        })
    }

    /// A cumulative counter: the difference between the two dumps when an
    /// earlier one of the same run was uploaded, else the value since
    /// start.
    pub fn counter(&self, name: &str) -> Option<Counter> {
        self.counter_with(name, |info| info.unsigned(name))
    }

    /// The `count=` of an error statistic as a counter (absent means 0
    /// once the section exists, since Redis lists only errors that
    /// happened).
    pub fn error_counter(&self, error: &str) -> Option<Counter> {
        let has_section = |info: &RedisInfo| info.fields.iter().any(|f| f.section == "Errorstats");
        if !has_section(self) && self.errorstat(error).is_none() {
            return None;
        }
        let read = |info: &RedisInfo| {
            info.errorstat(error)
                .or_else(|| has_section(info).then_some(0))
        };
        let value = read(self)?;
        let origin = self
            .origin(&format!("errorstat_{error}"))
            .or_else(|| self.section_origin("Errorstats"))
            .unwrap_or_else(|| Origin::new(&self.file, 1));
        Some(self.with_earlier(value, origin, |info| read(info)))
    }

    fn counter_with(
        &self,
        name: &str,
        read: impl Fn(&RedisInfo) -> Option<u64>,
    ) -> Option<Counter> {
        let value = read(self)?;
        let origin = self.origin(name)?;
        Some(self.with_earlier(value, origin, read))
    }

    fn with_earlier(
        &self,
        value: u64,
        origin: Origin,
        read: impl Fn(&RedisInfo) -> Option<u64>,
    ) -> Counter {
        let earlier = self.earlier().and_then(|e| Some((read(e)?, e)));
        match earlier {
            Some((before, e)) if before <= value => Counter {
                value: value - before,
                interval_s: self
                    .unsigned("uptime_in_seconds")
                    .zip(e.unsigned("uptime_in_seconds"))
                    .map(|(a, b)| a.saturating_sub(b)),
                origin,
            },
            _ => Counter {
                value,
                interval_s: None,
                origin,
            },
        }
    }

    fn section_origin(&self, section: &str) -> Option<Origin> {
        self.fields
            .iter()
            .find(|f| f.section == section)
            .map(|f| Origin::new(&self.file, f.line))
    }

    /// Adds a second dump of the same server run; the later one (by
    /// uptime) becomes the current reading and keeps the earlier one.
    pub(super) fn merge(self, other: RedisInfo) -> Result<RedisInfo, ParseError> {
        if self.earlier.is_some() || other.earlier.is_some() {
            return Err(ParseError::new(
                "at most two INFO dumps of one Redis server",
                "a third dump",
            )
            .in_file(&other.file));
        }
        let same_run = match (self.value("run_id"), other.value("run_id")) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        if !same_run {
            return Err(ParseError::new(
                "two INFO dumps of the same server run (the same `run_id`), taken a few minutes \
                 apart",
                format!(
                    "dumps of different runs or servers ({} and {}); upload one server's INFO, \
                     or two of the same run",
                    self.file, other.file
                ),
            )
            .in_file(&other.file));
        }
        let uptime = |i: &RedisInfo| i.unsigned("uptime_in_seconds").unwrap_or(0);
        let (mut later, earlier) = if uptime(&other) >= uptime(&self) {
            (other, self)
        } else {
            (self, other)
        };
        later.earlier = Some(Box::new(earlier));
        Ok(later)
    }
}

/// Whether a line is a RESP bulk-string length (`$4050`).
pub(super) fn is_resp_length(line: &str) -> bool {
    line.strip_prefix('$')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) fn parse(source: &dyn Source) -> Result<RedisInfo, ParseError> {
    let name = source.name();
    let text = read_text(source, MAX_FILE_BYTES)?;
    let mut info = RedisInfo {
        file: name.to_owned(),
        ..RedisInfo::default()
    };
    let mut section = String::new();
    let mut seen_content = false;
    for (index, raw) in text.split('\n').enumerate() {
        let number = index as u64 + 1;
        let line = raw.trim_end_matches('\r').trim();
        if line.is_empty() {
            continue;
        }
        if !seen_content && is_resp_length(line) {
            seen_content = true;
            continue;
        }
        seen_content = true;
        if let Some(header) = line.strip_prefix('#') {
            section = header.trim().to_owned();
            continue;
        }
        let Some((field, value)) = line.split_once(':') else {
            return Err(ParseError::new(
                "a `field:value` line or a `# Section` header of redis-cli INFO",
                format!("`{}`", clip(line)),
            )
            .in_file(name)
            .at_line(number, None));
        };
        let field = field.trim();
        if field.is_empty() || field.contains(char::is_whitespace) {
            return Err(
                ParseError::new("a field name before `:`", format!("`{}`", clip(line)))
                    .in_file(name)
                    .at_line(number, None),
            );
        }
        if section.eq_ignore_ascii_case("Keyspace") {
            if let Some(db) = keyspace(field, value, Origin::new(name, number)) {
                info.keyspace.push(db);
            } else {
                return Err(ParseError::new(
                    "a keyspace line such as `db0:keys=4,expires=0,avg_ttl=0`",
                    format!("`{}`", clip(line)),
                )
                .in_file(name)
                .at_line(number, None));
            }
        }
        info.fields.push(InfoField {
            name: field.to_owned(),
            value: value.trim().to_owned(),
            section: section.clone(),
            line: number,
        });
    }
    if info.fields.is_empty() {
        return Err(ParseError::new(
            "redis-cli INFO fields (`redis_version:7.2.4` …)",
            "no field at all",
        )
        .in_file(name));
    }
    Ok(info)
}

fn keyspace(field: &str, value: &str, origin: Origin) -> Option<Keyspace> {
    let db = field.strip_prefix("db")?.parse().ok()?;
    let mut keys = None;
    let mut expires = 0;
    let mut avg_ttl = 0;
    for part in value.split(',') {
        let (k, v) = part.split_once('=')?;
        let v: u64 = v.trim().parse().ok()?;
        match k.trim() {
            "keys" => keys = Some(v),
            "expires" => expires = v,
            "avg_ttl" => avg_ttl = v,
            // Newer versions add fields (`subexpiry` in 7.4); they are
            // read as numbers and otherwise ignored.
            _ => {}
        }
    }
    Some(Keyspace {
        db,
        keys: keys?,
        expires,
        avg_ttl,
        origin,
    })
}

fn clip(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}
