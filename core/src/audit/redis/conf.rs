//! redis.conf: the line splitter Redis uses (`sdssplitargs`), the table of
//! directives Redis 6.x and 7.x accept, includes through the bundle, and
//! the effective values the rules read.

use super::super::Bundle;
use super::super::model::{Origin, Resolved, Settings, size_redis};
use super::text::{MAX_FILE_BYTES, read_text};
use crate::error::ParseError;
use crate::input::Source;

/// How deep `include` may nest. Redis itself has no limit and recurses
/// until the stack overflows; a real deployment nests one or two levels.
const MAX_INCLUDE_DEPTH: usize = 16;

/// One directive as Redis reads it: its name in lower case (an alias such
/// as `slaveof` is stored under its current name, `replicaof`), its
/// arguments with quotes removed and escapes resolved, and where it was
/// written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisDirective {
    pub name: String,
    /// The name as written, in lower case, when it was an alias.
    pub alias: Option<String>,
    pub args: Vec<String>,
    pub origin: Origin,
}

impl RedisDirective {
    /// The first argument, for single-valued directives.
    pub fn value(&self) -> &str {
        self.args.first().map(String::as_str).unwrap_or("")
    }
}

/// A parsed redis.conf with its includes, in the order Redis reads them.
#[derive(Debug, Clone, Default)]
pub struct RedisConf {
    directives: Vec<RedisDirective>,
    files: Vec<String>,
    acl_file: Option<String>,
    /// Text read so far, includes repeated, to bound what a bundle of
    /// files including each other many times can cost.
    bytes_read: usize,
    reads: usize,
}

/// How much text one redis.conf may read in all, includes repeated.
const MAX_TOTAL_BYTES: usize = 64 << 20;
/// How many files one configuration may read in all, includes repeated (a
/// real one reads a few dozen).
const MAX_READS: usize = 10_000;

/// RDB snapshot points and the append-only file: whether the instance
/// writes its data to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persistence {
    /// `(seconds, changes)` pairs; empty when RDB snapshots are off.
    pub save_points: Vec<(u64, u64)>,
    pub aof: bool,
}

impl Persistence {
    pub fn rdb(&self) -> bool {
        !self.save_points.is_empty()
    }

    /// Whether anything is written to disk.
    pub fn enabled(&self) -> bool {
        self.rdb() || self.aof
    }

    pub fn describe(&self) -> String {
        let rdb = if self.rdb() {
            let points: Vec<String> = self
                .save_points
                .iter()
                .map(|(s, c)| format!("{s} {c}"))
                .collect();
            format!("save {}", points.join(" "))
        } else {
            "save \"\"".to_owned()
        };
        let aof = if self.aof {
            "appendonly yes"
        } else {
            "appendonly no"
        };
        format!("{rdb}, {aof}")
    }
}

/// The save points Redis uses when a configuration file has no `save` line
/// (Redis ≥ 6.2; older versions saved nothing then).
pub const DEFAULT_SAVE_POINTS: [(u64, u64); 3] = [(3600, 1), (300, 100), (60, 10000)];

impl RedisConf {
    /// Every directive, in the order Redis applies them.
    pub fn directives(&self) -> &[RedisDirective] {
        &self.directives
    }

    /// The files read: the root first, then its includes.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The ACL file named by `aclfile`, when it was uploaded and its users
    /// read.
    pub fn acl_file(&self) -> Option<&str> {
        self.acl_file.as_deref()
    }

    /// The effective (last) occurrence of a single-valued directive.
    pub fn get(&self, name: &str) -> Option<&RedisDirective> {
        self.directives.iter().rev().find(|d| d.name == name)
    }

    /// Every occurrence of a directive, in order (for those that
    /// accumulate: `save`, `rename-command`, `user`, `loadmodule`).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a RedisDirective> + 'a {
        self.directives.iter().filter(move |d| d.name == name)
    }

    /// The directives as settings (arguments joined by spaces), for code
    /// that reads every format through [`Settings`].
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::new();
        for d in &self.directives {
            settings.push(d.name.clone(), d.args.join(" "), d.origin.clone());
        }
        settings
    }

    fn resolved_str(&self, name: &str, default: &str) -> Resolved<String> {
        match self.get(name) {
            Some(d) => Resolved::set(d.value().to_owned(), &d.origin),
            None => Resolved::default(default.to_owned()),
        }
    }

    fn resolved_u64(&self, name: &str, default: u64) -> Resolved<u64> {
        match self.get(name) {
            // Values were checked while loading; a failure here cannot
            // happen, and the default is the safe reading if it did.
            Some(d) => Resolved::set(d.value().parse().unwrap_or(default), &d.origin),
            None => Resolved::default(default),
        }
    }

    fn resolved_bool(&self, name: &str, default: bool) -> Resolved<bool> {
        match self.get(name) {
            Some(d) => Resolved::set(d.value().eq_ignore_ascii_case("yes"), &d.origin),
            None => Resolved::default(default),
        }
    }

    /// `maxmemory` in bytes; 0 (the default) means no limit on 64-bit
    /// builds.
    pub fn maxmemory(&self) -> Resolved<u64> {
        match self.get("maxmemory") {
            Some(d) => Resolved::set(size_redis(d.value()).unwrap_or(0), &d.origin),
            None => Resolved::default(0),
        }
    }

    /// `maxmemory-policy`, lower case (default `noeviction`).
    pub fn maxmemory_policy(&self) -> Resolved<String> {
        let mut r = self.resolved_str("maxmemory-policy", "noeviction");
        r.value = r.value.to_ascii_lowercase();
        r
    }

    /// `tcp-backlog` (default 511).
    pub fn tcp_backlog(&self) -> Resolved<u64> {
        self.resolved_u64("tcp-backlog", 511)
    }

    /// `timeout` in seconds (default 0: idle clients are never closed).
    pub fn timeout(&self) -> Resolved<u64> {
        self.resolved_u64("timeout", 0)
    }

    /// `tcp-keepalive` in seconds (default 300 since Redis 3.2.1).
    pub fn tcp_keepalive(&self) -> Resolved<u64> {
        self.resolved_u64("tcp-keepalive", 300)
    }

    /// `io-threads` (default 1: the main thread only).
    pub fn io_threads(&self) -> Resolved<u64> {
        self.resolved_u64("io-threads", 1)
    }

    /// `protected-mode` (default yes).
    pub fn protected_mode(&self) -> Resolved<bool> {
        self.resolved_bool("protected-mode", true)
    }

    /// `stop-writes-on-bgsave-error` (default yes).
    pub fn stop_writes_on_bgsave_error(&self) -> Resolved<bool> {
        self.resolved_bool("stop-writes-on-bgsave-error", true)
    }

    /// `appendonly` (default no).
    pub fn appendonly(&self) -> Resolved<bool> {
        self.resolved_bool("appendonly", false)
    }

    /// `port` (default 6379; 0 disables TCP).
    pub fn port(&self) -> Resolved<u64> {
        self.resolved_u64("port", 6379)
    }

    /// The addresses of the last `bind` line. Without one Redis listens on
    /// every interface (`* -::*`), whatever the sample redis.conf suggests.
    pub fn bind(&self) -> Resolved<Vec<String>> {
        match self.get("bind") {
            Some(d) => Resolved::set(d.args.clone(), &d.origin),
            None => Resolved::default(vec!["*".to_owned(), "-::*".to_owned()]),
        }
    }

    /// `requirepass`, when set to a non-empty password.
    pub fn requirepass(&self) -> Option<&RedisDirective> {
        self.get("requirepass").filter(|d| !d.value().is_empty())
    }

    /// The RDB save points after every `save` line: the first `save` line
    /// replaces the defaults, later ones add points, and `save ""` clears
    /// them all. Without any `save` line, Redis ≥ 6.2 keeps its defaults
    /// (`pre_6_2` = true gives the older behaviour: nothing is saved).
    pub fn save_points(&self, pre_6_2: bool) -> Resolved<Vec<(u64, u64)>> {
        let mut points: Option<Vec<(u64, u64)>> = None;
        let mut last: Option<&Origin> = None;
        for d in self.all("save") {
            last = Some(&d.origin);
            let list = points.get_or_insert_with(Vec::new);
            if d.args.len() == 1 && d.value().is_empty() {
                list.clear();
                continue;
            }
            for pair in d.args.chunks(2) {
                if let [s, c] = pair
                    && let (Ok(s), Ok(c)) = (s.parse(), c.parse())
                {
                    list.push((s, c));
                }
            }
        }
        match (points, last) {
            (Some(points), Some(origin)) => Resolved::set(points, origin),
            _ if pre_6_2 => Resolved::default(Vec::new()),
            _ => Resolved::default(DEFAULT_SAVE_POINTS.to_vec()),
        }
    }

    /// RDB and AOF together. The origin is the line that turned
    /// persistence on (or the last one that turned it off); `None` when
    /// both are defaults.
    pub fn persistence(&self, pre_6_2: bool) -> Resolved<Persistence> {
        let save = self.save_points(pre_6_2);
        let aof = self.appendonly();
        let value = Persistence {
            save_points: save.value.clone(),
            aof: aof.value,
        };
        // The origin is what turned persistence on: the last `save` line
        // (none when the default save points apply), else `appendonly`.
        let origin = if value.rdb() {
            save.origin
        } else if value.aof {
            aof.origin
        } else {
            save.origin.or(aof.origin)
        };
        Resolved { value, origin }
    }
}

/// Where a directive's arguments go: most take exactly one value, a few
/// take a list, and booleans accept only `yes` and `no`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    One,
    Bool,
    Int,
    Memory,
    Policy,
    /// At least one argument (`bind`, `save`, `user`, `loadmodule` …).
    Many,
    /// Exactly this many arguments.
    Exactly(usize),
    /// Any number, including none (`sentinel` lines).
    Any,
}

/// The directives Redis 6.0 to 7.4 accept in a configuration file.
///
/// Source: the `static_configs[]` table of redis/redis `src/config.c`
/// (7.0 line, read at commit 001730cb) with its aliases, the directives
/// `loadServerConfigFromString` handles by hand (`include`,
/// `rename-command`, `user`, `loadmodule`, `sentinel`), the deprecated names
/// it still swallows (`list-max-ziplist-entries`, `list-max-ziplist-value`,
/// `lua-replicate-commands`), the directives documented in the 7.2.6
/// redis.conf (`locale-collate`, `cluster-announce-human-nodename`,
/// `replica-ignore-disk-write-errors`, `propagation-error-behavior`,
/// `shutdown-on-sig*`, `socket-mark-id`, `set-max-listpack-*`), the 6.x
/// names removed since (`gopher-enabled`) and the 7.4 additions
/// (`max-new-connections-per-cycle`, `max-new-tls-connections-per-cycle`,
/// `hide-user-data-from-log`). A name in none of these makes Redis stop
/// with "Bad directive or wrong number of arguments".
const KNOWN: &[(&str, Shape)] = &[
    // Booleans.
    ("rdbchecksum", Shape::Bool),
    ("daemonize", Shape::Bool),
    ("io-threads-do-reads", Shape::Bool),
    ("always-show-logo", Shape::Bool),
    ("protected-mode", Shape::Bool),
    ("rdbcompression", Shape::Bool),
    ("rdb-del-sync-files", Shape::Bool),
    ("activerehashing", Shape::Bool),
    ("stop-writes-on-bgsave-error", Shape::Bool),
    ("set-proc-title", Shape::Bool),
    ("dynamic-hz", Shape::Bool),
    ("lazyfree-lazy-eviction", Shape::Bool),
    ("lazyfree-lazy-expire", Shape::Bool),
    ("lazyfree-lazy-server-del", Shape::Bool),
    ("lazyfree-lazy-user-del", Shape::Bool),
    ("lazyfree-lazy-user-flush", Shape::Bool),
    ("repl-disable-tcp-nodelay", Shape::Bool),
    ("repl-diskless-sync", Shape::Bool),
    ("aof-rewrite-incremental-fsync", Shape::Bool),
    ("no-appendfsync-on-rewrite", Shape::Bool),
    ("cluster-require-full-coverage", Shape::Bool),
    ("rdb-save-incremental-fsync", Shape::Bool),
    ("aof-load-truncated", Shape::Bool),
    ("aof-use-rdb-preamble", Shape::Bool),
    ("aof-timestamp-enabled", Shape::Bool),
    ("cluster-replica-no-failover", Shape::Bool),
    ("replica-lazy-flush", Shape::Bool),
    ("replica-serve-stale-data", Shape::Bool),
    ("replica-read-only", Shape::Bool),
    ("replica-ignore-maxmemory", Shape::Bool),
    ("jemalloc-bg-thread", Shape::Bool),
    ("activedefrag", Shape::Bool),
    ("syslog-enabled", Shape::Bool),
    ("cluster-enabled", Shape::Bool),
    ("appendonly", Shape::Bool),
    ("cluster-allow-reads-when-down", Shape::Bool),
    ("cluster-allow-pubsubshard-when-down", Shape::Bool),
    ("crash-log-enabled", Shape::Bool),
    ("crash-memcheck-enabled", Shape::Bool),
    ("use-exit-on-panic", Shape::Bool),
    ("disable-thp", Shape::Bool),
    ("cluster-allow-replica-migration", Shape::Bool),
    ("replica-announced", Shape::Bool),
    ("latency-tracking", Shape::Bool),
    ("aof-disable-auto-gc", Shape::Bool),
    ("replica-ignore-disk-write-errors", Shape::Bool),
    ("tls-cluster", Shape::Bool),
    ("tls-replication", Shape::Bool),
    ("tls-prefer-server-ciphers", Shape::Bool),
    ("tls-session-caching", Shape::Bool),
    ("gopher-enabled", Shape::Bool),
    ("hide-user-data-from-log", Shape::Bool),
    // Strings and enumerations.
    ("aclfile", Shape::One),
    ("unixsocket", Shape::One),
    ("pidfile", Shape::One),
    ("replica-announce-ip", Shape::One),
    ("masteruser", Shape::One),
    ("cluster-announce-ip", Shape::One),
    ("cluster-config-file", Shape::One),
    ("cluster-announce-hostname", Shape::One),
    ("cluster-announce-human-nodename", Shape::One),
    ("syslog-ident", Shape::One),
    ("dbfilename", Shape::One),
    ("appendfilename", Shape::One),
    ("appenddirname", Shape::One),
    ("server_cpulist", Shape::One),
    ("bio_cpulist", Shape::One),
    ("aof_rewrite_cpulist", Shape::One),
    ("bgsave_cpulist", Shape::One),
    ("ignore-warnings", Shape::One),
    ("proc-title-template", Shape::One),
    ("bind-source-addr", Shape::One),
    ("logfile", Shape::One),
    ("masterauth", Shape::One),
    ("requirepass", Shape::One),
    ("supervised", Shape::One),
    ("syslog-facility", Shape::One),
    ("repl-diskless-load", Shape::One),
    ("loglevel", Shape::One),
    ("maxmemory-policy", Shape::Policy),
    ("appendfsync", Shape::One),
    ("oom-score-adj", Shape::One),
    ("acl-pubsub-default", Shape::One),
    ("sanitize-dump-payload", Shape::One),
    ("enable-protected-configs", Shape::One),
    ("enable-debug-command", Shape::One),
    ("enable-module-command", Shape::One),
    ("cluster-preferred-endpoint-type", Shape::One),
    ("propagation-error-behavior", Shape::One),
    ("locale-collate", Shape::One),
    ("dir", Shape::One),
    ("notify-keyspace-events", Shape::One),
    ("tls-auth-clients", Shape::One),
    ("tls-cert-file", Shape::One),
    ("tls-key-file", Shape::One),
    ("tls-key-file-pass", Shape::One),
    ("tls-client-cert-file", Shape::One),
    ("tls-client-key-file", Shape::One),
    ("tls-client-key-file-pass", Shape::One),
    ("tls-dh-params-file", Shape::One),
    ("tls-ca-cert-file", Shape::One),
    ("tls-ca-cert-dir", Shape::One),
    ("tls-protocols", Shape::One),
    ("tls-ciphers", Shape::One),
    ("tls-ciphersuites", Shape::One),
    // Integers (some negative, so checked only where a rule reads them).
    ("databases", Shape::Int),
    ("port", Shape::Int),
    ("io-threads", Shape::Int),
    ("auto-aof-rewrite-percentage", Shape::One),
    ("cluster-replica-validity-factor", Shape::One),
    ("list-max-listpack-size", Shape::One),
    ("tcp-keepalive", Shape::Int),
    ("cluster-migration-barrier", Shape::One),
    ("active-defrag-cycle-min", Shape::One),
    ("active-defrag-cycle-max", Shape::One),
    ("active-defrag-threshold-lower", Shape::One),
    ("active-defrag-threshold-upper", Shape::One),
    ("lfu-log-factor", Shape::One),
    ("lfu-decay-time", Shape::One),
    ("replica-priority", Shape::One),
    ("repl-diskless-sync-delay", Shape::One),
    ("maxmemory-samples", Shape::One),
    ("maxmemory-eviction-tenacity", Shape::One),
    ("timeout", Shape::Int),
    ("replica-announce-port", Shape::One),
    ("tcp-backlog", Shape::Int),
    ("cluster-port", Shape::One),
    ("cluster-announce-bus-port", Shape::One),
    ("cluster-announce-port", Shape::One),
    ("cluster-announce-tls-port", Shape::One),
    ("repl-timeout", Shape::One),
    ("repl-ping-replica-period", Shape::One),
    ("list-compress-depth", Shape::One),
    ("rdb-key-save-delay", Shape::One),
    ("key-load-delay", Shape::One),
    ("active-expire-effort", Shape::One),
    ("hz", Shape::One),
    ("min-replicas-to-write", Shape::One),
    ("min-replicas-max-lag", Shape::One),
    ("watchdog-period", Shape::One),
    ("shutdown-timeout", Shape::One),
    ("repl-diskless-sync-max-replicas", Shape::One),
    ("maxclients", Shape::One),
    ("unixsocketperm", Shape::One),
    ("socket-mark-id", Shape::One),
    ("active-defrag-max-scan-fields", Shape::One),
    ("slowlog-max-len", Shape::One),
    ("acllog-max-len", Shape::One),
    ("busy-reply-threshold", Shape::One),
    ("cluster-node-timeout", Shape::One),
    ("slowlog-log-slower-than", Shape::One),
    ("latency-monitor-threshold", Shape::One),
    ("proto-max-bulk-len", Shape::One),
    ("stream-node-max-entries", Shape::One),
    ("repl-backlog-size", Shape::One),
    ("maxmemory", Shape::Memory),
    ("cluster-link-sendbuf-limit", Shape::One),
    ("hash-max-listpack-entries", Shape::One),
    ("set-max-intset-entries", Shape::One),
    ("set-max-listpack-entries", Shape::One),
    ("set-max-listpack-value", Shape::One),
    ("zset-max-listpack-entries", Shape::One),
    ("active-defrag-ignore-bytes", Shape::One),
    ("hash-max-listpack-value", Shape::One),
    ("stream-node-max-bytes", Shape::One),
    ("zset-max-listpack-value", Shape::One),
    ("hll-sparse-max-bytes", Shape::One),
    ("tracking-table-max-keys", Shape::One),
    ("client-query-buffer-limit", Shape::One),
    ("maxmemory-clients", Shape::One),
    ("repl-backlog-ttl", Shape::One),
    ("auto-aof-rewrite-min-size", Shape::One),
    ("loading-process-events-interval-bytes", Shape::One),
    ("tls-port", Shape::One),
    ("tls-session-cache-size", Shape::One),
    ("tls-session-cache-timeout", Shape::One),
    ("max-new-connections-per-cycle", Shape::One),
    ("max-new-tls-connections-per-cycle", Shape::One),
    // Deprecated names Redis 7 reads and ignores.
    ("list-max-ziplist-entries", Shape::One),
    ("list-max-ziplist-value", Shape::One),
    ("lua-replicate-commands", Shape::One),
    // Several arguments.
    ("save", Shape::Many),
    ("client-output-buffer-limit", Shape::Many),
    ("oom-score-adj-values", Shape::Many),
    ("bind", Shape::Many),
    ("replicaof", Shape::Exactly(2)),
    ("latency-tracking-info-percentiles", Shape::Many),
    ("shutdown-on-sigint", Shape::Many),
    ("shutdown-on-sigterm", Shape::Many),
    // Handled by hand in `loadServerConfigFromString`.
    ("include", Shape::Exactly(1)),
    ("rename-command", Shape::Exactly(2)),
    ("user", Shape::Many),
    ("loadmodule", Shape::Many),
    ("sentinel", Shape::Any),
];

/// Old names Redis still accepts, and the name they stand for.
const ALIASES: &[(&str, &str)] = &[
    ("slaveof", "replicaof"),
    ("cluster-slave-no-failover", "cluster-replica-no-failover"),
    ("slave-lazy-flush", "replica-lazy-flush"),
    ("slave-serve-stale-data", "replica-serve-stale-data"),
    ("slave-read-only", "replica-read-only"),
    ("slave-ignore-maxmemory", "replica-ignore-maxmemory"),
    ("slave-announce-ip", "replica-announce-ip"),
    ("slave-announce-port", "replica-announce-port"),
    ("slave-priority", "replica-priority"),
    (
        "cluster-slave-validity-factor",
        "cluster-replica-validity-factor",
    ),
    ("list-max-ziplist-size", "list-max-listpack-size"),
    ("repl-ping-slave-period", "repl-ping-replica-period"),
    ("lua-time-limit", "busy-reply-threshold"),
    ("min-slaves-to-write", "min-replicas-to-write"),
    ("min-slaves-max-lag", "min-replicas-max-lag"),
    ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
    ("hash-max-ziplist-value", "hash-max-listpack-value"),
    ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
    ("zset-max-ziplist-value", "zset-max-listpack-value"),
];

const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// The current name of a directive, whether it is known, and how its
/// arguments must look.
fn lookup(name: &str) -> Option<(&'static str, Shape)> {
    let canonical = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map(|(_, c)| *c)
        .unwrap_or(name);
    KNOWN
        .iter()
        .find(|(known, _)| *known == canonical)
        .map(|(known, shape)| (*known, *shape))
}

/// Whether a name is a directive of Redis 6.x/7.x (for detection).
pub(super) fn is_known(name: &str) -> bool {
    lookup(&name.to_ascii_lowercase()).is_some()
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits one line as Redis's `sdssplitargs` does: arguments separated by
/// blanks; "double quotes" with C escapes (`\n`, `\r`, `\t`, `\b`, `\a`,
/// `\xHH`, and `\` before any other character keeps it); 'single quotes'
/// where only `\'` is an escape. A quote may open mid-argument
/// (`a"b c"` is `ab c`), and a closing quote must be followed by a blank or
/// the end of the line. `Err` carries Redis's reason.
pub(super) fn split_args(line: &str) -> Result<Vec<String>, &'static str> {
    let bytes = line.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while bytes.get(i).is_some_and(|b| is_space(*b)) {
            i += 1;
        }
        if i >= bytes.len() {
            return Ok(args);
        }
        let mut current: Vec<u8> = Vec::new();
        let (mut double, mut single) = (false, false);
        loop {
            let b = bytes.get(i).copied();
            if double {
                match b {
                    None => return Err("unbalanced quotes"),
                    Some(b'\\') => {
                        let next = bytes.get(i + 1).copied();
                        let code = match (next, bytes.get(i + 2), bytes.get(i + 3)) {
                            (Some(b'x'), Some(h), Some(l)) => {
                                hex(*h).zip(hex(*l)).map(|(h, l)| h * 16 + l)
                            }
                            _ => None,
                        };
                        if let Some(code) = code {
                            current.push(code);
                            i += 4;
                        } else if let Some(next) = next {
                            current.push(match next {
                                b'n' => b'\n',
                                b'r' => b'\r',
                                b't' => b'\t',
                                b'b' => 0x08,
                                b'a' => 0x07,
                                other => other,
                            });
                            i += 2;
                        } else {
                            return Err("unbalanced quotes");
                        }
                    }
                    Some(b'"') => {
                        if bytes.get(i + 1).is_some_and(|b| !is_space(*b)) {
                            return Err("a closing quote must be followed by a space");
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        current.push(other);
                        i += 1;
                    }
                }
            } else if single {
                match b {
                    None => return Err("unbalanced quotes"),
                    Some(b'\\') if bytes.get(i + 1) == Some(&b'\'') => {
                        current.push(b'\'');
                        i += 2;
                    }
                    Some(b'\'') => {
                        if bytes.get(i + 1).is_some_and(|b| !is_space(*b)) {
                            return Err("a closing quote must be followed by a space");
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        current.push(other);
                        i += 1;
                    }
                }
            } else {
                match b {
                    None => break,
                    Some(b) if is_space(b) => break,
                    Some(b'"') => {
                        double = true;
                        i += 1;
                    }
                    Some(b'\'') => {
                        single = true;
                        i += 1;
                    }
                    Some(other) => {
                        current.push(other);
                        i += 1;
                    }
                }
            }
        }
        args.push(String::from_utf8_lossy(&current).into_owned());
    }
}

/// Reads a redis.conf and the files it includes.
pub(super) fn parse(source: &dyn Source, bundle: &Bundle<'_>) -> Result<RedisConf, ParseError> {
    let mut conf = RedisConf::default();
    let mut stack: Vec<String> = Vec::new();
    read_file(source, bundle, &mut conf, &mut stack)?;
    if let Some(aclfile) = conf
        .get("aclfile")
        .filter(|d| !d.value().is_empty())
        .cloned()
    {
        // Redis refuses `user` lines in redis.conf together with an ACL
        // file ("Configuring Redis with users defined in redis.conf and at
        // the same setting an ACL file path is invalid").
        if let Some(user) = conf.all("user").next() {
            return Err(ParseError::new(
                "users either in redis.conf or in the ACL file, not both (Redis refuses to start)",
                format!("`user` lines and `aclfile {}`", aclfile.value()),
            )
            .in_file(&user.origin.file)
            .at_line(user.origin.line, None));
        }
        if let Some(file) = bundle.find(aclfile.value(), source.name()) {
            read_acl_file(file, &mut conf)?;
            conf.acl_file = Some(file.name().to_owned());
        }
    }
    Ok(conf)
}

/// An ACL file holds one `user <name> <rules…>` per line.
fn read_acl_file(source: &dyn Source, conf: &mut RedisConf) -> Result<(), ParseError> {
    let name = source.name().to_owned();
    let text = read_text(source, MAX_FILE_BYTES)?;
    if !conf.files.contains(&name) {
        conf.files.push(name.clone());
    }
    for (index, raw) in text.split('\n').enumerate() {
        let number = index as u64 + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let args = split_args(line).map_err(|why| {
            ParseError::new("an ACL rule line with balanced quotes", why)
                .in_file(&name)
                .at_line(number, None)
        })?;
        match args.split_first() {
            Some((first, rest)) if first.eq_ignore_ascii_case("user") && !rest.is_empty() => {
                conf.directives.push(RedisDirective {
                    name: "user".to_owned(),
                    alias: None,
                    args: rest.to_vec(),
                    origin: Origin::new(&name, number),
                });
            }
            _ => {
                return Err(ParseError::new(
                    "`user <name> <rules…>` (an ACL file holds only user lines)",
                    format!("`{}`", clip(line)),
                )
                .in_file(&name)
                .at_line(number, None));
            }
        }
    }
    Ok(())
}

fn read_file(
    source: &dyn Source,
    bundle: &Bundle<'_>,
    conf: &mut RedisConf,
    stack: &mut Vec<String>,
) -> Result<(), ParseError> {
    let name = source.name().to_owned();
    if stack.contains(&name) {
        let mut cycle = stack.clone();
        cycle.push(name.clone());
        // No file yet: the `include` line that closes the cycle is named
        // by the caller.
        return Err(ParseError::new(
            "includes that do not loop",
            format!("an include cycle: {}", cycle.join(" → ")),
        ));
    }
    if stack.len() >= MAX_INCLUDE_DEPTH {
        return Err(ParseError::new(
            format!("includes nested at most {MAX_INCLUDE_DEPTH} deep"),
            format!("deeper nesting at {name}"),
        ));
    }
    let text = read_text(source, MAX_FILE_BYTES)?;
    conf.reads += 1;
    conf.bytes_read = conf.bytes_read.saturating_add(text.len());
    if conf.bytes_read > MAX_TOTAL_BYTES || conf.reads > MAX_READS {
        return Err(ParseError::new(
            format!(
                "a configuration that reads at most {} MiB and {MAX_READS} files with its \
                 includes",
                MAX_TOTAL_BYTES >> 20
            ),
            format!("more, at {name} (files included again and again)"),
        ));
    }
    stack.push(name.clone());
    if !conf.files.contains(&name) {
        conf.files.push(name.clone());
    }
    for (index, raw) in text.split('\n').enumerate() {
        let number = index as u64 + 1;
        let line = raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |e: ParseError| e.in_file(&name).at_line(number, None);
        let args = split_args(line).map_err(|why| {
            at(ParseError::new(
                "a directive with balanced quotes",
                format!("{why} in `{}`", clip(line)),
            ))
        })?;
        let Some((written, rest)) = args.split_first() else {
            continue;
        };
        let written = written.to_ascii_lowercase();
        let origin = Origin::new(&name, number);
        let Some((canonical, shape)) = lookup(&written) else {
            // Module configuration (`module.name value`) is accepted once
            // a module registers it; Redis queues it until then.
            if written.contains('.') && rest.len() == 1 {
                conf.directives.push(RedisDirective {
                    name: written.clone(),
                    alias: None,
                    args: rest.to_vec(),
                    origin,
                });
                continue;
            }
            return Err(at(ParseError::new(
                "a directive Redis 6.x/7.x knows (Redis refuses to start on any other)",
                format!("the unknown directive `{written}`"),
            )));
        };
        check_shape(&written, shape, rest).map_err(at)?;
        if canonical == "include" {
            let path = rest.first().map(String::as_str).unwrap_or("");
            include(path, source.name(), bundle, conf, stack).map_err(|e| {
                if e.location().line.is_none() {
                    at(e)
                } else {
                    e
                }
            })?;
            continue;
        }
        conf.directives.push(RedisDirective {
            name: canonical.to_owned(),
            alias: (canonical != written).then_some(written),
            args: rest.to_vec(),
            origin,
        });
    }
    stack.pop();
    Ok(())
}

/// Follows an `include`: a glob that matches nothing is skipped, as Redis
/// does; a plain path that is not in the bundle is an error, as it is for
/// Redis (which cannot open it).
fn include(
    path: &str,
    from: &str,
    bundle: &Bundle<'_>,
    conf: &mut RedisConf,
    stack: &mut Vec<String>,
) -> Result<(), ParseError> {
    if path.contains(['*', '?', '[']) {
        for file in bundle.glob(path, from) {
            read_file(file, bundle, conf, stack)?;
        }
        return Ok(());
    }
    match bundle.find(path, from) {
        Some(file) => read_file(file, bundle, conf, stack),
        None => Err(ParseError::new(
            "an included file that is part of the upload",
            format!(
                "`include {path}`, which matches no uploaded file; upload it in the same \
                 bundle as {from}"
            ),
        )
        .in_file(from)),
    }
}

fn check_shape(written: &str, shape: Shape, args: &[String]) -> Result<(), ParseError> {
    let count = args.len();
    let wrong_count = match shape {
        Shape::One | Shape::Bool | Shape::Int | Shape::Memory | Shape::Policy => count != 1,
        Shape::Many => count == 0,
        Shape::Exactly(n) => count != n,
        Shape::Any => false,
    };
    if wrong_count {
        let hint = if args.iter().skip(1).any(|a| a.starts_with('#')) {
            " (a `#` after a value is no comment in redis.conf: only whole lines are)"
        } else {
            ""
        };
        return Err(ParseError::new(
            match shape {
                Shape::Many => format!("`{written}` with at least one argument"),
                Shape::Exactly(n) => format!("`{written}` with {n} argument(s)"),
                _ => format!("`{written}` with one value"),
            },
            format!("{count} arguments{hint}"),
        ));
    }
    let value = args.first().map(String::as_str).unwrap_or("");
    let valid = match shape {
        Shape::Bool => value.eq_ignore_ascii_case("yes") || value.eq_ignore_ascii_case("no"),
        Shape::Int => value.parse::<u64>().is_ok(),
        Shape::Memory => size_redis(value).is_some(),
        Shape::Policy => POLICIES.iter().any(|p| p.eq_ignore_ascii_case(value)),
        _ => true,
    };
    if !valid {
        let expected = match shape {
            Shape::Bool => format!("`{written}` set to yes or no (Redis accepts no other boolean)"),
            Shape::Int => format!("`{written}` set to a whole number"),
            Shape::Memory => format!(
                "`{written}` set to a size such as 100mb (k = 1000, kb = 1024, m, mb, g, gb)"
            ),
            _ => format!("`{written}` set to one of {}", POLICIES.join(", ")),
        };
        return Err(ParseError::new(expected, format!("`{}`", clip(value))));
    }
    if written == "save" && !(count == 1 && value.is_empty()) {
        let pairs_ok = count.is_multiple_of(2)
            && args
                .chunks(2)
                .all(|p| matches!(p, [s, c] if s.parse::<u64>().is_ok_and(|s| s >= 1) && c.parse::<u64>().is_ok()));
        if !pairs_ok {
            return Err(ParseError::new(
                "`save` with pairs of seconds (≥ 1) and changes, or `save \"\"`",
                format!("`save {}`", clip(&args.join(" "))),
            ));
        }
    }
    Ok(())
}

/// A line or value cut for an error message.
fn clip(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_as_sdssplitargs_does() {
        assert_eq!(split_args("save \"\"").unwrap(), ["save", ""]);
        assert_eq!(
            split_args("requirepass \"a\\x41\\n b\"").unwrap(),
            ["requirepass", "aA\n b"]
        );
        assert_eq!(split_args("x 'it\\'s'").unwrap(), ["x", "it's"]);
        assert_eq!(split_args("x a\"b c\"").unwrap(), ["x", "ab c"]);
        assert!(split_args("x \"open").is_err());
        assert!(split_args("x \"a\"b").is_err());
        assert_eq!(
            split_args("maxmemory 1gb # note").unwrap(),
            ["maxmemory", "1gb", "#", "note"]
        );
    }

    #[test]
    fn aliases_map_to_current_names() {
        assert_eq!(lookup("slaveof").map(|l| l.0), Some("replicaof"));
        assert_eq!(
            lookup("lua-time-limit").map(|l| l.0),
            Some("busy-reply-threshold")
        );
        assert!(lookup("vm-enabled").is_none());
    }
}
