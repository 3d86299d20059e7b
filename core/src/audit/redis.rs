//! redis.conf and `redis-cli INFO`, and the rules of Redis used as a cache
//! (`redis.*`) and of its measured ratios (`m.redis.*`).
//!
//! # Formats
//!
//! **redis.conf** holds one `directive argument …` per line. Redis splits
//! each line with `sdssplitargs` and looks the name up, case-insensitively,
//! in its table of configurations; anything else stops the server with
//! "Bad directive or wrong number of arguments". **INFO** is the text
//! reply of `INFO` / `INFO ALL`: `# Section` headers and `field:value`
//! lines, as `redis-cli INFO` prints it, or as the raw RESP bulk string
//! whose first line is `$<length>`.
//!
//! # Pitfalls handled (AUDIT-RULES §8)
//!
//! - Only whole lines starting with `#` are comments. A `#` after a value
//!   is one more argument: for a single-valued directive that is a load
//!   error, reported as such with its line.
//! - Arguments may be "double-quoted" with C escapes (`\n`, `\xHH` …) or
//!   'single-quoted' (only `\'`); a closing quote must be followed by a
//!   blank, or Redis refuses the line.
//! - Single-valued directives: the last occurrence wins, includes being
//!   read where they appear. `save`, `rename-command`, `user` and
//!   `loadmodule` accumulate; the first `save` line replaces the default
//!   save points, later ones add to them and `save ""` clears them.
//!   Without any `save` line Redis ≥ 6.2 keeps its defaults (3600 1, 300
//!   100, 60 10000) while older versions saved nothing; the version comes
//!   from INFO when uploaded, else ≥ 6.2 is assumed and said.
//! - `bind` takes several addresses on one line (a `-` prefix marks an
//!   optional one); without `bind`, Redis listens on every interface.
//! - Sizes: `1k` = 1000 but `1kb` = 1024, `m`/`mb`, `g`/`gb`,
//!   case-insensitive; a bare number is bytes.
//! - Booleans are `yes`/`no` only; anything else is a load error.
//! - Aliases (`slaveof`, `hash-max-ziplist-entries`, `lua-time-limit` …)
//!   are stored under their current names.
//! - `include` is followed through the uploaded bundle (globs in name
//!   order; a glob matching nothing is skipped as Redis does; a plain path
//!   that is not uploaded is an error asking for it); include cycles and
//!   nesting deeper than 16 are errors.
//! - An unknown directive is an error naming the file and line, since
//!   Redis would not start. Module configurations (`module.name value`)
//!   are accepted.
//! - INFO values are what the running server uses, after `CONFIG SET`:
//!   where INFO and redis.conf both give a value (maxmemory,
//!   maxmemory-policy, appendonly) INFO wins and the finding says so.
//! - Two INFO dumps of the same run (same `run_id`) are read as one: the
//!   counters of the rules become the difference between them.

mod conf;
mod info;
mod rules;
mod text;

pub use conf::{DEFAULT_SAVE_POINTS, Persistence, RedisConf, RedisDirective};
pub use info::{Counter, InfoField, Keyspace, RedisInfo};
pub use rules::{HitRate, MIN_LOOKUPS, cache_hit_rate};

use super::model::{Origin, Resolved};
use super::{Bundle, Kind, Rule, Stack};
use crate::error::ParseError;
use crate::input::Source;

/// Directives that only redis.conf uses: one of them, with no mark of
/// another format, makes a file a redis.conf.
const DISTINCTIVE: &[&str] = &[
    "maxmemory",
    "maxmemory-policy",
    "appendonly",
    "appendfsync",
    "save",
    "requirepass",
    "protected-mode",
    "tcp-backlog",
    "tcp-keepalive",
    "databases",
    "dbfilename",
    "rdbcompression",
    "rdbchecksum",
    "stop-writes-on-bgsave-error",
    "replicaof",
    "slaveof",
    "masterauth",
    "io-threads",
    "rename-command",
    "notify-keyspace-events",
    "activerehashing",
    "lazyfree-lazy-eviction",
    "client-output-buffer-limit",
    "hash-max-ziplist-entries",
    "hash-max-listpack-entries",
    "cluster-enabled",
    "loadmodule",
    "aclfile",
];

/// Fields only INFO has.
const INFO_FIELDS: &[&str] = &[
    "redis_version",
    "redis_mode",
    "used_memory",
    "keyspace_hits",
    "connected_clients",
    "maxmemory_policy",
    "rdb_last_bgsave_status",
    "uptime_in_seconds",
];

pub fn sniff(name: &str, head: &[u8]) -> Option<Kind> {
    let text = String::from_utf8_lossy(head);
    // The head may end mid-line; its last line is left out.
    let complete = if head.len() >= crate::input::HEAD_BYTES {
        text.rsplit_once('\n').map(|(a, _)| a).unwrap_or("")
    } else {
        &text
    };
    if looks_like_info(complete) {
        return Some(Kind::RedisInfo);
    }
    looks_like_conf(name, complete).then_some(Kind::RedisConf)
}

fn looks_like_info(text: &str) -> bool {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .peekable();
    if lines.peek().is_some_and(|l| info::is_resp_length(l)) {
        lines.next();
    }
    let mut header = false;
    let mut known = false;
    let (mut good, mut bad) = (0usize, 0usize);
    for line in lines {
        if let Some(name) = line.strip_prefix("# ") {
            // Section names are single capitalised words (`Server`,
            // `Keyspace`); a prose comment is not INFO.
            if name.is_empty()
                || name.contains(char::is_whitespace)
                || !name.starts_with(|c: char| c.is_ascii_uppercase())
            {
                bad += 1;
                continue;
            }
            header = true;
            good += 1;
        } else if let Some((field, _)) = line.split_once(':') {
            if field.is_empty() || field.contains(char::is_whitespace) {
                bad += 1;
                continue;
            }
            good += 1;
            known |= INFO_FIELDS.contains(&field);
        } else {
            bad += 1;
        }
    }
    // A damaged dump is still INFO, so that loading it names the bad line.
    header && known && bad * 2 <= good
}

fn looks_like_conf(name: &str, text: &str) -> bool {
    let mut significant = 0usize;
    let mut known = 0usize;
    let mut distinctive = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Marks of other formats: INI and my.cnf sections and `key =
        // value`, nginx's `;` and blocks, YAML and JSON.
        if line.starts_with('[')
            || line.starts_with(';')
            || line.ends_with(';')
            || line.ends_with('{')
            || line.starts_with('}')
            || line.starts_with('{')
            || line.starts_with('-')
        {
            return false;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if first.ends_with(':')
            || first.contains('=')
            || line.split_whitespace().nth(1) == Some("=")
        {
            return false;
        }
        significant += 1;
        let lower = first.to_ascii_lowercase();
        if conf::is_known(&lower) {
            known += 1;
        }
        distinctive |= DISTINCTIVE.contains(&lower.as_str());
    }
    if significant == 0 {
        return false;
    }
    // Every line a Redis directive, or one only Redis uses with most lines
    // known, or a file named for Redis with most lines known (so that a
    // small redis.conf with a bad directive is still read, and its error
    // reported).
    let named = name.to_ascii_lowercase().contains("redis");
    known == significant || (distinctive || named) && known * 2 >= significant
}

pub fn load(
    kind: Kind,
    source: &dyn Source,
    bundle: &Bundle<'_>,
    stack: &mut Stack,
) -> Result<Vec<String>, ParseError> {
    match kind {
        Kind::RedisConf => {
            // The loader reads files in name order, so an included file may
            // come before the file that includes it: read from the top of
            // the include chain instead, which reads this file in place.
            let root = top_includer(source, bundle);
            let parsed = conf::parse(root, bundle)?;
            let files = parsed.files().to_vec();
            if let Some(existing) = &stack.redis {
                // A file already read as a root may be one this one
                // includes (the loader goes by name order): the includer
                // replaces it. Two roots that do not include each other are
                // two servers' configurations.
                let covered = existing.files().iter().all(|f| files.contains(f));
                if !covered {
                    return Err(ParseError::new(
                        "one Redis server's redis.conf (with its includes) per upload",
                        format!(
                            "a second redis.conf that does not include {}",
                            existing.files().first().map(String::as_str).unwrap_or("")
                        ),
                    )
                    .in_file(source.name()));
                }
            }
            stack.redis = Some(parsed);
            Ok(files)
        }
        Kind::RedisInfo => {
            let parsed = info::parse(source)?;
            stack.redis_info = Some(match stack.redis_info.take() {
                Some(existing) => existing.merge(parsed)?,
                None => parsed,
            });
            Ok(vec![source.name().to_owned()])
        }
        other => Err(
            ParseError::new("redis.conf or redis-cli INFO", format!("a {other}"))
                .in_file(source.name()),
        ),
    }
}

/// The uploaded redis.conf that includes this one (through `include` or
/// `aclfile`), and the one that includes that, up to a file nobody
/// includes. A cycle stops the climb; parsing then reports it.
fn top_includer<'a>(source: &'a dyn Source, bundle: &Bundle<'a>) -> &'a dyn Source {
    let mut current = source;
    let mut seen = vec![source.name().to_owned()];
    while let Some(includer) = bundle
        .files()
        .iter()
        .copied()
        .find(|f| f.name() != current.name() && includes(*f, current.name(), bundle))
    {
        if seen.iter().any(|s| s == includer.name()) {
            break;
        }
        seen.push(includer.name().to_owned());
        current = includer;
    }
    current
}

/// Whether a redis.conf names `target` in an `include` or `aclfile` line.
fn includes(file: &dyn Source, target: &str, bundle: &Bundle<'_>) -> bool {
    let Ok(head) = crate::input::head(file) else {
        return false;
    };
    if sniff(file.name(), &head) != Some(Kind::RedisConf) {
        return false;
    }
    let text = String::from_utf8_lossy(&head);
    text.lines().any(|line| {
        let Ok(args) = conf::split_args(line.trim()) else {
            return false;
        };
        match args.as_slice() {
            [directive, path] if directive.eq_ignore_ascii_case("include") => {
                if path.contains(['*', '?', '[']) {
                    bundle
                        .glob(path, file.name())
                        .iter()
                        .any(|f| f.name() == target)
                } else {
                    bundle
                        .find(path, file.name())
                        .is_some_and(|f| f.name() == target)
                }
            }
            [directive, path] if directive.eq_ignore_ascii_case("aclfile") => bundle
                .find(path, file.name())
                .is_some_and(|f| f.name() == target),
            _ => false,
        }
    })
}

pub fn rules() -> Vec<Rule> {
    rules::rules()
}

/// Whether the running server is older than 6.2, as INFO says (`None`
/// when no INFO was uploaded).
fn pre_6_2(stack: &Stack) -> Option<bool> {
    stack
        .redis_info
        .as_ref()
        .and_then(RedisInfo::version)
        .map(|v| v < (6, 2))
}

fn info_origin(info: &RedisInfo, field: &str) -> Option<Origin> {
    info.origin(field)
}

/// The effective `maxmemory` in bytes: INFO's runtime value when uploaded,
/// else redis.conf's (0 = no limit, the default). `None` without either.
pub fn maxmemory(stack: &Stack) -> Option<Resolved<u64>> {
    if let Some(info) = &stack.redis_info
        && let (Some(v), Some(o)) = (info.unsigned("maxmemory"), info_origin(info, "maxmemory"))
    {
        return Some(Resolved::set(v, &o));
    }
    stack.redis.as_ref().map(RedisConf::maxmemory)
}

/// The effective `maxmemory-policy`, INFO first.
pub fn maxmemory_policy(stack: &Stack) -> Option<Resolved<String>> {
    if let Some(info) = &stack.redis_info
        && let (Some(v), Some(o)) = (
            info.value("maxmemory_policy"),
            info_origin(info, "maxmemory_policy"),
        )
    {
        return Some(Resolved::set(v.to_ascii_lowercase(), &o));
    }
    stack.redis.as_ref().map(RedisConf::maxmemory_policy)
}

/// Whether Redis writes its data to disk (RDB save points or AOF), from
/// redis.conf with INFO's `aof_enabled` taking precedence for the AOF.
/// `None` without a redis.conf (INFO does not show the save points).
pub fn persistence(stack: &Stack) -> Option<Resolved<Persistence>> {
    let conf = stack.redis.as_ref()?;
    let mut resolved = conf.persistence(pre_6_2(stack).unwrap_or(false));
    if let Some(info) = &stack.redis_info
        && let (Some(aof), Some(o)) = (
            info.unsigned("aof_enabled"),
            info_origin(info, "aof_enabled"),
        )
    {
        let aof = aof == 1;
        if aof != resolved.value.aof || (aof && !resolved.value.rdb()) {
            resolved.origin = Some(o);
        }
        resolved.value.aof = aof;
    }
    Some(resolved)
}

/// Whether persistence is on at all (RDB or AOF), for cross-file rules.
pub fn persistence_enabled(stack: &Stack) -> Option<Resolved<bool>> {
    persistence(stack).map(|p| Resolved {
        value: p.value.enabled(),
        origin: p.origin,
    })
}

/// The effective `tcp-backlog` (default 511), from redis.conf (INFO does
/// not report it).
pub fn tcp_backlog(stack: &Stack) -> Option<Resolved<u64>> {
    stack.redis.as_ref().map(RedisConf::tcp_backlog)
}
