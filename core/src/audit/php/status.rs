//! Runtime dumps: `opcache_get_status()` encoded as JSON, and the php-fpm
//! status page as JSON (`?json`, `?json&full`) or plain text (`?full`).

use crate::audit::model::Origin;
use crate::error::ParseError;
use crate::input::{Source, read_all};
use serde_json::Value;

/// The largest status dump read (a `?full` page of a big pool, or an
/// OPcache dump with every script, stays far below).
const MAX_BYTES: usize = 64 << 20;

/// A number read from a dump, with the line it was on.
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    pub value: f64,
    pub origin: Origin,
}

impl Counter {
    pub fn as_u64(&self) -> u64 {
        if self.value.is_finite() && self.value > 0.0 {
            self.value as u64
        } else {
            0
        }
    }
}

/// Every `opcache_get_status()` dump of an upload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpcacheStatus {
    pub samples: Vec<OpcacheSample>,
}

/// One `opcache_get_status()` result (php-opc-status).
#[derive(Debug, Clone, PartialEq)]
pub struct OpcacheSample {
    pub file: String,
    pub enabled: Option<bool>,
    pub cache_full: Option<bool>,
    pub restart_pending: Option<bool>,
    pub restart_in_progress: Option<bool>,
    pub used_memory: Option<Counter>,
    pub free_memory: Option<Counter>,
    pub wasted_memory: Option<Counter>,
    pub current_wasted_percentage: Option<Counter>,
    pub interned_buffer_size: Option<Counter>,
    pub interned_used_memory: Option<Counter>,
    pub interned_free_memory: Option<Counter>,
    pub num_cached_scripts: Option<Counter>,
    pub num_cached_keys: Option<Counter>,
    pub max_cached_keys: Option<Counter>,
    pub hits: Option<Counter>,
    pub misses: Option<Counter>,
    pub start_time: Option<Counter>,
    pub last_restart_time: Option<Counter>,
    pub oom_restarts: Option<Counter>,
    pub hash_restarts: Option<Counter>,
    pub manual_restarts: Option<Counter>,
    /// A percentage, as OPcache reports it.
    pub opcache_hit_rate: Option<Counter>,
    pub jit_enabled: Option<bool>,
    pub jit_on: Option<bool>,
    pub jit_buffer_size: Option<Counter>,
    pub jit_buffer_free: Option<Counter>,
    /// The latest `scripts[*].last_used_timestamp` when the dump includes
    /// scripts: the dump was taken no earlier than this.
    pub latest_use: Option<f64>,
    /// An origin for the dump as a whole (its first line).
    pub origin: Origin,
}

impl OpcacheSample {
    /// The size of the shared segment as the dump shows it.
    pub fn segment_bytes(&self) -> Option<u64> {
        Some(
            self.used_memory
                .as_ref()?
                .as_u64()
                .saturating_add(self.free_memory.as_ref()?.as_u64())
                .saturating_add(self.wasted_memory.as_ref().map_or(0, Counter::as_u64)),
        )
    }

    /// The time of the last (re)start, as a Unix time.
    pub fn restarted_at(&self) -> Option<f64> {
        let start = self.start_time.as_ref()?.value;
        let last = self.last_restart_time.as_ref().map_or(0.0, |c| c.value);
        Some(start.max(last))
    }
}

/// Every FPM status dump of an upload: one sample per dump.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FpmStatus {
    pub samples: Vec<FpmSample>,
}

/// One FPM status page (fpm-status).
#[derive(Debug, Clone, PartialEq)]
pub struct FpmSample {
    pub file: String,
    pub pool: String,
    pub process_manager: String,
    /// The start of the FPM instance as a Unix time: two samples with the
    /// same start come from the same instance, so their counters compare.
    pub start_time: Option<i64>,
    pub start_since: Option<Counter>,
    pub accepted_conn: Option<Counter>,
    pub listen_queue: Option<Counter>,
    pub max_listen_queue: Option<Counter>,
    pub listen_queue_len: Option<Counter>,
    pub idle_processes: Option<Counter>,
    pub active_processes: Option<Counter>,
    pub total_processes: Option<Counter>,
    pub max_active_processes: Option<Counter>,
    pub max_children_reached: Option<Counter>,
    pub slow_requests: Option<Counter>,
    pub processes: Vec<FpmProcess>,
    pub origin: Origin,
}

/// One child of a `full` status page.
#[derive(Debug, Clone, PartialEq)]
pub struct FpmProcess {
    pub pid: u64,
    pub state: String,
    pub requests: u64,
    /// Microseconds (FPM reports the duration of the current or last
    /// request; garbage values near 2^64 appear while a request starts).
    pub request_duration: u64,
    pub last_request_cpu: f64,
    pub last_request_memory: u64,
}

/// The 1-based line of the first `needle` at or after byte `from`.
fn line_of(text: &str, needle: &str, from: usize) -> Option<(u64, usize)> {
    let rest = text.get(from..)?;
    let at = rest.find(needle)? + from;
    let line = text.get(..at)?.bytes().filter(|b| *b == b'\n').count() as u64 + 1;
    Some((line, at))
}

/// Reads the JSON document of a dump.
fn json_document(source: &dyn Source, what: &str) -> Result<(String, Value), ParseError> {
    let bytes = read_all(source, MAX_BYTES)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let value: Value = serde_json::from_str(body).map_err(|e| {
        let found = if e.is_eof() {
            "the end of the document (the dump is cut short)".to_owned()
        } else {
            format!("invalid JSON ({e})")
        };
        ParseError::new(format!("{what} as JSON"), found)
            .in_file(source.name())
            .at_line(e.line() as u64, Some(e.column() as u64))
    })?;
    if !value.is_object() {
        return Err(
            ParseError::new(format!("{what}: a JSON object"), "another JSON value")
                .in_file(source.name())
                .at_line(1, None),
        );
    }
    Ok((text, value))
}

/// Looks numbers and booleans up by path, with their line in the text.
struct Reader<'a> {
    file: &'a str,
    text: &'a str,
    root: &'a Value,
}

impl Reader<'_> {
    /// `path` is `["memory_usage", "free_memory"]`; the line is found by
    /// searching each key in turn after the previous one.
    fn locate(&self, path: &[&str]) -> Option<(&Value, Origin)> {
        let mut value = self.root;
        let mut at = 0;
        let mut line = 1;
        for key in path {
            value = value.get(key)?;
            if let Some((l, a)) = line_of(self.text, &format!("\"{key}\""), at) {
                line = l;
                at = a;
            }
        }
        Some((value, Origin::new(self.file, line)))
    }

    fn number(&self, path: &[&str]) -> Option<Counter> {
        let (value, origin) = self.locate(path)?;
        let n = match value {
            Value::Number(n) => n.as_f64()?,
            Value::String(s) => s.trim().parse::<f64>().ok()?,
            _ => return None,
        };
        n.is_finite().then_some(Counter { value: n, origin })
    }

    fn flag(&self, path: &[&str]) -> Option<bool> {
        match self.locate(path)?.0 {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(n.as_f64().is_some_and(|n| n != 0.0)),
            _ => None,
        }
    }
}

/// Parses an `opcache_get_status()` JSON dump.
pub fn parse_opcache(source: &dyn Source) -> Result<OpcacheSample, ParseError> {
    let (text, root) = json_document(source, "opcache_get_status()")?;
    let r = Reader {
        file: source.name(),
        text: &text,
        root: &root,
    };
    if root.get("opcache_enabled").is_none() && root.get("opcache_statistics").is_none() {
        return Err(ParseError::new(
            "an opcache_get_status() result (`opcache_enabled`, `opcache_statistics`)",
            "a JSON object without them",
        )
        .in_file(source.name()));
    }
    let latest_use = root
        .get("scripts")
        .and_then(Value::as_object)
        .and_then(|scripts| {
            scripts
                .values()
                .filter_map(|s| s.get("last_used_timestamp").and_then(Value::as_f64))
                .reduce(f64::max)
        });
    let stat = |k: &str| r.number(&["opcache_statistics", k]);
    Ok(OpcacheSample {
        file: source.name().to_owned(),
        enabled: r.flag(&["opcache_enabled"]),
        cache_full: r.flag(&["cache_full"]),
        restart_pending: r.flag(&["restart_pending"]),
        restart_in_progress: r.flag(&["restart_in_progress"]),
        used_memory: r.number(&["memory_usage", "used_memory"]),
        free_memory: r.number(&["memory_usage", "free_memory"]),
        wasted_memory: r.number(&["memory_usage", "wasted_memory"]),
        current_wasted_percentage: r.number(&["memory_usage", "current_wasted_percentage"]),
        interned_buffer_size: r.number(&["interned_strings_usage", "buffer_size"]),
        interned_used_memory: r.number(&["interned_strings_usage", "used_memory"]),
        interned_free_memory: r.number(&["interned_strings_usage", "free_memory"]),
        num_cached_scripts: stat("num_cached_scripts"),
        num_cached_keys: stat("num_cached_keys"),
        max_cached_keys: stat("max_cached_keys"),
        hits: stat("hits"),
        misses: stat("misses"),
        start_time: stat("start_time"),
        last_restart_time: stat("last_restart_time"),
        oom_restarts: stat("oom_restarts"),
        hash_restarts: stat("hash_restarts"),
        manual_restarts: stat("manual_restarts"),
        opcache_hit_rate: stat("opcache_hit_rate"),
        jit_enabled: r.flag(&["jit", "enabled"]),
        jit_on: r.flag(&["jit", "on"]),
        jit_buffer_size: r.number(&["jit", "buffer_size"]),
        jit_buffer_free: r.number(&["jit", "buffer_free"]),
        latest_use,
        origin: Origin::new(source.name(), 1),
    })
}

/// Parses an FPM status page, JSON or plain text.
pub fn parse_fpm(source: &dyn Source) -> Result<FpmSample, ParseError> {
    let bytes = read_all(source, MAX_BYTES)?;
    let text = String::from_utf8_lossy(&bytes);
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if body.trim_start().starts_with('{') {
        parse_fpm_json(source)
    } else {
        parse_fpm_text(source.name(), body)
    }
}

fn parse_fpm_json(source: &dyn Source) -> Result<FpmSample, ParseError> {
    let (text, root) = json_document(source, "a php-fpm status page")?;
    let r = Reader {
        file: source.name(),
        text: &text,
        root: &root,
    };
    let string = |k: &str| root.get(k).and_then(Value::as_str).map(str::to_owned);
    let Some(pool) = string("pool") else {
        return Err(
            ParseError::new("a php-fpm status page with a `pool` field", "none")
                .in_file(source.name()),
        );
    };
    let processes = root
        .get("processes")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|p| {
                    let n = |k: &str| p.get(k).and_then(Value::as_u64).unwrap_or(0);
                    FpmProcess {
                        pid: n("pid"),
                        state: p
                            .get("state")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        requests: n("requests"),
                        request_duration: n("request duration"),
                        last_request_cpu: p
                            .get("last request cpu")
                            .and_then(Value::as_f64)
                            .unwrap_or(0.0),
                        last_request_memory: n("last request memory"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let n = |k: &str| r.number(&[k]);
    Ok(FpmSample {
        file: source.name().to_owned(),
        pool,
        process_manager: string("process manager").unwrap_or_default(),
        start_time: root.get("start time").and_then(Value::as_i64),
        start_since: n("start since"),
        accepted_conn: n("accepted conn"),
        listen_queue: n("listen queue"),
        max_listen_queue: n("max listen queue"),
        listen_queue_len: n("listen queue len"),
        idle_processes: n("idle processes"),
        active_processes: n("active processes"),
        total_processes: n("total processes"),
        max_active_processes: n("max active processes"),
        max_children_reached: n("max children reached"),
        slow_requests: n("slow requests"),
        processes,
        origin: Origin::new(source.name(), 1),
    })
}

/// The plain-text page: `name: value` lines, then, with `full`, one block
/// per child after a line of asterisks.
fn parse_fpm_text(file: &str, text: &str) -> Result<FpmSample, ParseError> {
    let mut summary: Vec<(String, String, u64)> = Vec::new();
    let mut processes: Vec<Vec<(String, String)>> = Vec::new();
    let mut in_process = false;
    for (index, line) in text.lines().enumerate() {
        let number = index as u64 + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if line.trim_start().starts_with("***") {
            in_process = true;
            processes.push(Vec::new());
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(ParseError::new(
                "a php-fpm status line (`name: value`)",
                format!("`{}`", super::ini::clip(line)),
            )
            .in_file(file)
            .at_line(number, None));
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim().to_owned();
        if in_process {
            if let Some(p) = processes.last_mut() {
                p.push((key, value));
            }
        } else {
            summary.push((key, value, number));
        }
    }
    let get = |k: &str| summary.iter().find(|(key, _, _)| key == k);
    let Some((_, pool, _)) = get("pool") else {
        return Err(
            ParseError::new("a php-fpm status page with a `pool:` line", "none").in_file(file),
        );
    };
    let n = |k: &str| {
        get(k).and_then(|(_, v, line)| {
            v.parse::<f64>().ok().map(|value| Counter {
                value,
                origin: Origin::new(file, *line),
            })
        })
    };
    let start_time = get("start time").and_then(|(_, v, _)| {
        chrono::DateTime::parse_from_str(v, "%d/%b/%Y:%H:%M:%S %z")
            .ok()
            .map(|t| t.timestamp())
            .or_else(|| v.parse::<i64>().ok())
    });
    let processes = processes
        .into_iter()
        .map(|fields| {
            let f = |k: &str| {
                fields
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("")
            };
            FpmProcess {
                pid: f("pid").parse().unwrap_or(0),
                state: f("state").to_owned(),
                requests: f("requests").parse().unwrap_or(0),
                request_duration: f("request duration").parse().unwrap_or(0),
                last_request_cpu: f("last request cpu").parse().unwrap_or(0.0),
                last_request_memory: f("last request memory").parse().unwrap_or(0),
            }
        })
        .collect();
    Ok(FpmSample {
        file: file.to_owned(),
        pool: pool.clone(),
        process_manager: get("process manager")
            .map(|(_, v, _)| v.clone())
            .unwrap_or_default(),
        start_time,
        start_since: n("start since"),
        accepted_conn: n("accepted conn"),
        listen_queue: n("listen queue"),
        max_listen_queue: n("max listen queue"),
        listen_queue_len: n("listen queue len"),
        idle_processes: n("idle processes"),
        active_processes: n("active processes"),
        total_processes: n("total processes"),
        max_active_processes: n("max active processes"),
        max_children_reached: n("max children reached"),
        slow_requests: n("slow requests"),
        processes,
        origin: Origin::new(file, 1),
    })
}
