//! The mysql.*, m.mysql.* and db.* rules of the catalogue
//! (/work/shared/AUDIT-RULES.md §3 and §7). Settings are read through
//! [`Mysql::setting`]: SHOW GLOBAL VARIABLES first, then the option files,
//! then the documented default, which the finding then lists as assumed.

use super::cnf::{CnfOption, Prefix};
use super::options::{self, Known};
use super::server::{Flavour, Mysql, Source, Value, Version, parse_size, view};
use super::workload::no_index_share;
use crate::assess::{Category, Severity};
use crate::audit::model::{Origin, format_bytes};
use crate::audit::{Evaluation, Inputs, Role, Rule, Stack};
use crate::targets::trim_number;

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;
/// MySQLTuner's gate for counters since start: one day of traffic.
const MIN_UPTIME_S: u64 = 86_400;
/// The shortest window two status dumps may span (§0).
const MIN_DELTA_S: u64 = 300;

pub fn rules() -> Vec<Rule> {
    vec![
        Rule {
            id: "mysql.buffer_pool",
            title: "InnoDB buffer pool size",
            category: Category::Database,
            severity: Severity::High,
            why: "The buffer pool caches table and index pages; too small and reads go to disk, \
                  too large and the host swaps or the OOM killer stops mysqld.",
            fix: "On a dedicated database host set innodb_buffer_pool_size to 50-80 % of RAM \
                  (or innodb_dedicated_server=ON on MySQL); on a shared host size it within the \
                  memory budget of every service.",
            check: buffer_pool,
        },
        Rule {
            id: "mysql.redo_capacity",
            title: "InnoDB redo log capacity",
            category: Category::Database,
            severity: Severity::Medium,
            why: "A redo log smaller than about an hour of writes forces aggressive checkpoint \
                  flushing, which stalls writes under load.",
            fix: "Size innodb_redo_log_capacity (MySQL 8.0.30+) or innodb_log_file_size to hold \
                  an hour of Innodb_os_log_written, at least 1 GiB on hosts above 8 GiB.",
            check: redo_capacity,
        },
        Rule {
            id: "mysql.flush_log_at_trx_commit",
            title: "Durability of commits",
            category: Category::Database,
            severity: Severity::High,
            why: "With 2 a power loss or OS crash loses about a second of committed \
                  transactions; with 0 even a mysqld crash does.",
            fix: "Keep innodb_flush_log_at_trx_commit=1 unless losing the last second of \
                  commits was explicitly accepted.",
            check: flush_log_at_trx_commit,
        },
        Rule {
            id: "mysql.flush_method",
            title: "InnoDB flush method",
            category: Category::Database,
            severity: Severity::Medium,
            why: "With fsync, data pages are cached twice (buffer pool and OS page cache), \
                  taking memory from PHP-FPM and Redis.",
            fix: "Set innodb_flush_method=O_DIRECT on local disks (the default of MySQL 8.4 and \
                  MariaDB 10.6+); benchmark first on NFS or SAN storage.",
            check: flush_method,
        },
        Rule {
            id: "mysql.memory_peak",
            title: "MySQL worst-case memory",
            category: Category::Database,
            severity: Severity::High,
            why: "Global buffers plus every allowed connection using its per-thread buffers is \
                  what mysqld can reach at peak; above the host's RAM it gets killed.",
            fix: "Lower max_connections to what the application needs, shrink per-thread \
                  buffers, or the buffer pool, until the peak fits in 85 % of RAM.",
            check: memory_peak,
        },
        Rule {
            id: "mysql.slow_query_log",
            title: "Slow query log",
            category: Category::Database,
            severity: Severity::Medium,
            why: "Without the slow log, the statements that hurt under load leave no trace to \
                  fix; the 10 s default only catches disasters.",
            fix: "Set slow_query_log=ON and long_query_time=1 (or lower) with a \
                  slow_query_log_file on a disk with room.",
            check: slow_query_log,
        },
        Rule {
            id: "mysql.query_cache",
            title: "Query cache",
            category: Category::Database,
            severity: Severity::High,
            why: "MySQL 8 removed the query cache, so its options stop the server from \
                  starting; on MariaDB it serialises queries behind one mutex on multi-core \
                  hosts.",
            fix: "Remove every query_cache_* option on MySQL 8; on MariaDB set \
                  query_cache_type=0 and query_cache_size=0 and cache in Redis instead.",
            check: query_cache,
        },
        Rule {
            id: "mysql.tmp_tables",
            title: "In-memory temporary tables",
            category: Category::Database,
            severity: Severity::Low,
            why: "The smaller of tmp_table_size and max_heap_table_size caps in-memory temporary \
                  tables, so raising only one does nothing; both are per-connection costs.",
            fix: "Set tmp_table_size and max_heap_table_size to the same value, at most 256M.",
            check: tmp_tables,
        },
        Rule {
            id: "mysql.table_open_cache",
            title: "Table open cache",
            category: Category::Database,
            severity: Severity::Low,
            why: "Each connection opens every table of a join; a small cache makes mysqld close \
                  and reopen tables all the time.",
            fix: "Set table_open_cache to at least max_connections × the most tables in one \
                  join, with open_files_limit high enough to honour it.",
            check: table_open_cache,
        },
        Rule {
            id: "mysql.thread_cache_size",
            title: "Thread cache",
            category: Category::Database,
            severity: Severity::Medium,
            why: "PHP connects per request; without a thread cache every connect creates a new \
                  thread.",
            fix: "Leave thread_cache_size unset (auto-sized) or set it to 8 or more; never 0.",
            check: thread_cache_size,
        },
        Rule {
            id: "mysql.charset",
            title: "Server character set",
            category: Category::Database,
            severity: Severity::Medium,
            why: "Laravel sets utf8mb4 on its own connections, but databases and tables created \
                  by other clients take the server default; utf8mb3 and latin1 cannot store \
                  every character.",
            fix: "Set character_set_server=utf8mb4 and a utf8mb4 collation_server.",
            check: charset,
        },
        Rule {
            id: "mysql.skip_name_resolve",
            title: "DNS lookups on connect",
            category: Category::Database,
            severity: Severity::Low,
            why: "Without skip_name_resolve every new connection does reverse and forward DNS \
                  lookups; a slow resolver stalls every PHP request that connects.",
            fix: "Set skip_name_resolve=ON and write grants with IP addresses, networks or \
                  localhost.",
            check: skip_name_resolve,
        },
        Rule {
            id: "mysql.binlog",
            title: "Binary log retention",
            category: Category::Database,
            severity: Severity::Medium,
            why: "A binary log that is never purged fills the disk; one purged too early breaks \
                  point-in-time recovery; a removed option stops the server from starting.",
            fix: "With the binary log on, set binlog_expire_logs_seconds to 1-30 days and at \
                  least the backup interval; replace expire_logs_days on MySQL 8.",
            check: binlog,
        },
        Rule {
            id: "mysql.unknown_option",
            title: "Options the server does not know",
            category: Category::Database,
            severity: Severity::Critical,
            why: "mysqld and mariadbd refuse to start on an option they do not know in a group \
                  they read, so the next restart becomes an outage.",
            fix: "Remove or correct the option, or prefix it with loose- if it belongs to a \
                  plugin that may be absent; check with `mysqld --validate-config` (MySQL \
                  8.0.16+).",
            check: unknown_option,
        },
        Rule {
            id: "m.mysql.buffer_pool_hit",
            title: "Buffer pool hit rate",
            category: Category::Database,
            severity: Severity::High,
            why: "Every miss is a disk read; a low hit rate means the working set does not fit \
                  in the buffer pool.",
            fix: "Grow innodb_buffer_pool_size within the memory budget, or cut the rows \
                  queries read (indexes, narrower selects).",
            check: buffer_pool_hit,
        },
        Rule {
            id: "m.mysql.thread_cache",
            title: "Thread cache hit rate",
            category: Category::Database,
            severity: Severity::Medium,
            why: "Each connect that misses the thread cache creates a thread; PHP connects on \
                  every request.",
            fix: "Raise thread_cache_size (or leave it auto-sized), and consider persistent \
                  connections only with care.",
            check: thread_cache,
        },
        Rule {
            id: "m.mysql.slow_queries",
            title: "Share of slow queries",
            category: Category::Database,
            severity: Severity::Medium,
            why: "Statements slower than long_query_time hold connections and PHP workers; a \
                  few percent of them is enough to queue requests under load.",
            fix: "Read the slow log (pt-query-digest, mysqldumpslow), add indexes and rewrite \
                  the worst statements.",
            check: slow_queries,
        },
        Rule {
            id: "m.mysql.tmp_disk",
            title: "Temporary tables on disk",
            category: Category::Database,
            severity: Severity::Medium,
            why: "Temporary tables that spill to disk turn sorts and GROUP BYs into disk I/O.",
            fix: "Raise tmp_table_size and max_heap_table_size together (up to 256M); beyond \
                  that, fix the queries (TEXT/BLOB columns, unindexed GROUP BY).",
            check: tmp_disk,
        },
        Rule {
            id: "m.mysql.aborted_connects",
            title: "Failed connection attempts",
            category: Category::Database,
            severity: Severity::Medium,
            why: "Failed connects are bad credentials, DNS trouble, max_connect_errors blocks or \
                  network faults; each is a PHP request that failed.",
            fix: "Check the error log and performance_schema.host_cache for the cause: \
                  credentials in .env, skip_name_resolve, max_connect_errors, timeouts.",
            check: aborted_connects,
        },
        Rule {
            id: "db.no_index_share",
            title: "Statements without an index",
            category: Category::Database,
            severity: Severity::Medium,
            why: "A statement that uses no index scans whole tables; what is fast on a small \
                  table becomes the bottleneck as data grows and load rises.",
            fix: "Find the digests with SUM_NO_INDEX_USED (sys.statements_with_full_table_scans) \
                  and add the indexes their WHERE, JOIN and ORDER BY need.",
            check: no_index,
        },
    ]
}

/// A setting's effective value or its default, with the words a finding
/// needs.
struct Got {
    text: String,
    origin: Option<Origin>,
    /// Where it came from, as a sentence fragment.
    said: String,
    /// The default relied on, for `assumed(...)`.
    assumed: Option<String>,
    value: Option<Value>,
}

impl Got {
    fn size(&self) -> Option<u64> {
        parse_size(&self.text)
    }

    fn apply(&self, eval: Evaluation) -> Evaluation {
        let eval = match &self.assumed {
            Some(a) => eval.assumed(a.clone()),
            None => eval,
        };
        if eval.location.is_none() {
            eval.at(self.origin.as_ref())
        } else {
            eval
        }
    }

    fn is_set(&self) -> bool {
        self.value.is_some()
    }
}

fn got(m: &Mysql<'_>, name: &str) -> Option<Got> {
    if let Some(v) = m.setting(name) {
        return Some(Got {
            text: v.text.clone(),
            origin: Some(v.origin.clone()),
            said: v.provenance(),
            assumed: None,
            value: Some(v),
        });
    }
    let default = m.default_text(name)?;
    let shown = show_default(name, default);
    Some(Got {
        text: default.to_owned(),
        origin: None,
        said: if m.variables.is_some() {
            format!(
                "{name} is in neither the uploaded SHOW GLOBAL VARIABLES nor an option file, so \
                 the default {shown} is assumed"
            )
        } else {
            format!("{name} is not set, so the default {shown} applies")
        },
        assumed: Some(format!(
            "{name} = {shown} ({} default)",
            m.server.defaults_label()
        )),
        value: None,
    })
}

/// Defaults print as people write them: sizes in MiB/GiB.
fn show_default(name: &str, text: &str) -> String {
    let sized = name.ends_with("_size") || name == "thread_stack" || name.ends_with("_capacity");
    match parse_size(text) {
        Some(bytes) if sized && bytes >= 1024 => format_bytes(bytes),
        _ => text.to_owned(),
    }
}

fn bool_of(text: &str) -> Option<bool> {
    match text.trim().to_ascii_uppercase().as_str() {
        "ON" | "1" | "TRUE" | "YES" => Some(true),
        "OFF" | "0" | "FALSE" | "NO" => Some(false),
        _ => None,
    }
}

/// The configuration evidence, or the finding that it is missing.
fn config(stack: &Stack) -> Result<Mysql<'_>, Box<Evaluation>> {
    let m = view(stack);
    if m.has_config() {
        Ok(m)
    } else {
        Err(Box::new(Evaluation::unverified(
            "No my.cnf and no SHOW GLOBAL VARIABLES dump was uploaded, so the server's settings \
             are unknown.",
        )))
    }
}

/// Notes that defaults were taken for a guessed flavour or version.
fn with_server(eval: Evaluation, m: &Mysql<'_>) -> Evaluation {
    if m.server.flavour.is_none() || m.server.version.is_none() {
        let basis = if m.server.basis.is_empty() {
            String::new()
        } else {
            format!(", from {}", m.server.basis)
        };
        eval.assumed(format!("server: {}{basis}", m.server.label()))
    } else {
        eval
    }
}

/// The database server of the host profile: its RAM, and whether other
/// roles share it.
fn db_host(inputs: &Inputs) -> Result<(u64, bool, String), String> {
    let Some(host) = &inputs.host else {
        return Err("the host profile (RAM of the database server) is not given".to_owned());
    };
    let Some(server) = host.server_with(Role::Db) else {
        return Err("the host profile names no server with the db role".to_owned());
    };
    let shared = server.roles.iter().any(|r| *r != Role::Db);
    Ok((server.ram_bytes, shared, server.name.clone()))
}

macro_rules! try_eval {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(eval) => return *eval,
        }
    };
}

/// The buffer pool size, with innodb_dedicated_server's auto-sizing
/// applied when the size is not set (MySQL 8.0: 128 MiB below 1 GiB of
/// RAM, 50 % up to 4 GiB, 75 % above).
fn pool_size(m: &Mysql<'_>, ram: Option<u64>) -> Option<(u64, Got)> {
    let pool = got(m, "innodb_buffer_pool_size")?;
    if !pool.is_set() && m.server.flavour != Some(Flavour::MariaDb) {
        let dedicated = m
            .setting("innodb_dedicated_server")
            .filter(|v| bool_of(&v.text) == Some(true));
        if let (Some(dedicated), Some(ram)) = (dedicated, ram) {
            let size = if ram < GIB {
                128 * MIB
            } else if ram <= 4 * GIB {
                ram / 2
            } else {
                ram / 4 * 3
            };
            return Some((
                size,
                Got {
                    text: size.to_string(),
                    origin: Some(dedicated.origin.clone()),
                    said: format!(
                        "innodb_buffer_pool_size is sized by {} from {} of RAM",
                        dedicated.provenance(),
                        format_bytes(ram)
                    ),
                    assumed: None,
                    value: Some(dedicated),
                },
            ));
        }
    }
    Some((pool.size()?, pool))
}

fn buffer_pool(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let host = db_host(inputs);
    let ram = host.as_ref().ok().map(|h| h.0);
    let Some((pool, got_pool)) = pool_size(&m, ram) else {
        let said = m
            .setting("innodb_buffer_pool_size")
            .map(|v| v.provenance())
            .unwrap_or_default();
        return Evaluation::fail(format!("{said}: not a size mysqld accepts."))
            .threshold("a size in bytes with an optional K/M/G suffix");
    };
    let threshold = "50-80 % of RAM on a dedicated host; over 90 %, or the 128 MiB default \
                     with 2 GiB of RAM or more, fails";
    let (ram, shared, host_name) = match host {
        Ok(h) => h,
        Err(why) => {
            return with_server(
                got_pool.apply(
                    Evaluation::unverified(format!("{}; {why}.", got_pool.said))
                        .value(format_bytes(pool))
                        .threshold(threshold),
                ),
                &m,
            );
        }
    };
    let share = pool as f64 / ram.max(1) as f64;
    let value = format!(
        "{} ({} of {})",
        format_bytes(pool),
        format_ratio(share),
        format_bytes(ram)
    );
    let default_ram = inputs.heuristic("mysql.buffer_pool.default_min_ram_gib", 2.0);
    let said = &got_pool.said;
    let eval = if share > 0.9 {
        Evaluation::fail(format!(
            "{said}: {} of {host_name}'s RAM leaves too little for the OS and connections.",
            format_ratio(share)
        ))
    } else if shared {
        Evaluation::pass(format!(
            "{said}: {} of RAM on {host_name}, which other services share; whether it fits \
             with them is judged by x.memory_budget.",
            format_ratio(share)
        ))
    } else if pool == 128 * MIB && ram as f64 >= default_ram * GIB as f64 {
        Evaluation::fail(format!(
            "{said}: still the 128 MiB default on a dedicated host with {}; most of the RAM \
             is unused and reads go to disk.",
            format_bytes(ram)
        ))
    } else if share < 0.5 {
        Evaluation::warn(format!(
            "{said}: only {} of the dedicated host's RAM.",
            format_ratio(share)
        ))
    } else if share > 0.8 {
        Evaluation::warn(format!(
            "{said}: {} of RAM; with ~10 % overhead for control structures and per-connection \
             memory, little headroom remains.",
            format_ratio(share)
        ))
    } else {
        Evaluation::pass(format!(
            "{said}: {} of the dedicated host's RAM.",
            format_ratio(share)
        ))
    };
    let eval = if pool == 128 * MIB {
        eval.assumed(format!(
            "dedicated host with at least {} GiB of RAM for the 128 MiB default check \
             (mysql.buffer_pool.default_min_ram_gib)",
            trim_number(default_ram, 1)
        ))
    } else {
        eval
    };
    with_server(got_pool.apply(eval.value(value).threshold(threshold)), &m)
}

/// Counters over a measured window: the delta of two dumps ≥ 5 min apart
/// when both were uploaded, else the totals since start once Uptime is at
/// least 24 h.
struct Window {
    values: Vec<u64>,
    seconds: u64,
    basis: String,
    origin: Option<Origin>,
}

fn window(m: &Mysql<'_>, counters: &[&str]) -> Result<Window, Box<Evaluation>> {
    let Some(status) = m.status else {
        return Err(Box::new(Evaluation::unverified(
            "No SHOW GLOBAL STATUS dump was uploaded.",
        )));
    };
    let mut values = Vec::new();
    for name in counters {
        match status.u64(name) {
            Some(v) => values.push(v),
            None => {
                return Err(Box::new(
                    Evaluation::unverified(format!(
                        "The SHOW GLOBAL STATUS dump has no {name} counter.",
                    ))
                    .at(status.origin(name)),
                ));
            }
        }
    }
    let origin = counters.first().and_then(|n| status.origin(n)).cloned();
    let Some(uptime) = status.u64("Uptime") else {
        return Err(Box::new(Evaluation::unverified(
            "The SHOW GLOBAL STATUS dump has no Uptime, so its counters cannot be read as rates.",
        )));
    };
    let mut note = String::new();
    if let Some(earlier) = status.earlier()
        && let Some(start) = earlier.u64("Uptime")
    {
        let seconds = uptime.saturating_sub(start);
        let before: Option<Vec<u64>> = counters.iter().map(|n| earlier.u64(n)).collect();
        match before {
            Some(before)
                if seconds >= MIN_DELTA_S && before.iter().zip(&values).all(|(b, a)| b <= a) =>
            {
                return Ok(Window {
                    values: values.iter().zip(&before).map(|(a, b)| a - b).collect(),
                    seconds,
                    basis: format!(
                        "over the {} s between the dumps {} and {}",
                        seconds,
                        earlier.files().join(", "),
                        status.files().join(", ")
                    ),
                    origin,
                });
            }
            _ => {
                note = format!(
                    " The two status dumps ({} s apart) could not be subtracted: they need to be \
                     at least {MIN_DELTA_S} s apart, from one server run, with every counter.",
                    seconds
                );
            }
        }
    }
    if uptime < MIN_UPTIME_S {
        return Err(Box::new(
            Evaluation::unverified(format!(
                "Uptime is {} ({uptime} s): counters since start mean little before 24 h of \
                 traffic.{note} Upload a dump taken after a day in production, or two dumps at \
                 least 5 minutes apart.",
                duration(uptime)
            ))
            .at(status.origin("Uptime"))
            .value(format!("Uptime {}", duration(uptime)))
            .threshold("Uptime ≥ 24 h, or two dumps ≥ 5 min apart"),
        ));
    }
    Ok(Window {
        values,
        seconds: uptime,
        basis: format!("since the server started {} ago{note}", duration(uptime)),
        origin,
    })
}

fn duration(seconds: u64) -> String {
    if seconds >= 86_400 {
        format!("{} d", trim_number(seconds as f64 / 86_400.0, 1))
    } else if seconds >= 3600 {
        format!("{} h", trim_number(seconds as f64 / 3600.0, 1))
    } else if seconds >= 60 {
        format!("{} min", trim_number(seconds as f64 / 60.0, 1))
    } else {
        format!("{seconds} s")
    }
}

fn redo_capacity(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let host = db_host(inputs).ok();
    // The capacity and what it was read from.
    let mut eval_assumed: Vec<String> = Vec::new();
    let (capacity, said, origin) = if m.server.is_mariadb() {
        let Some(size) = got(&m, "innodb_log_file_size") else {
            return Evaluation::unverified("innodb_log_file_size has no known default.");
        };
        eval_assumed.extend(size.assumed.clone());
        let Some(bytes) = size.size() else {
            return Evaluation::fail(format!("{}: not a size mariadbd accepts.", size.said));
        };
        (
            bytes,
            format!("{} (MariaDB keeps one redo file since 10.5)", size.said),
            size.origin,
        )
    } else if m.server.mysql_at_least(Version::new(8, 0, 30), true)
        && m.setting("innodb_redo_log_capacity").is_some()
    {
        let Some(cap) = got(&m, "innodb_redo_log_capacity") else {
            return Evaluation::unverified("innodb_redo_log_capacity could not be read.");
        };
        let Some(bytes) = cap.size() else {
            return Evaluation::fail(format!("{}: not a size mysqld accepts.", cap.said));
        };
        (bytes, cap.said.clone(), cap.origin)
    } else {
        let files_set = m.setting("innodb_log_file_size").is_some()
            || m.setting("innodb_log_files_in_group").is_some();
        if m.server.mysql_at_least(Version::new(8, 0, 30), true) && !files_set {
            let cap = got(&m, "innodb_redo_log_capacity");
            let Some(cap) = cap else {
                return Evaluation::unverified("innodb_redo_log_capacity has no known default.");
            };
            eval_assumed.extend(cap.assumed.clone());
            (cap.size().unwrap_or(100 * MIB), cap.said.clone(), None)
        } else {
            let (Some(size), Some(files)) = (
                got(&m, "innodb_log_file_size"),
                got(&m, "innodb_log_files_in_group"),
            ) else {
                return Evaluation::unverified("the redo log settings have no known default.");
            };
            eval_assumed.extend(size.assumed.clone());
            eval_assumed.extend(files.assumed.clone());
            let (Some(bytes), Some(count)) = (size.size(), files.size()) else {
                return Evaluation::fail(format!(
                    "{} and {}: not sizes mysqld accepts.",
                    size.said, files.said
                ));
            };
            (
                bytes.saturating_mul(count),
                format!("{}; {}", size.said, files.said),
                size.origin.or(files.origin),
            )
        }
    };
    let finish = |eval: Evaluation| {
        let eval = eval_assumed
            .iter()
            .fold(eval, |e, a| e.assumed(a.clone()))
            .at(origin.as_ref());
        with_server(eval, &m)
    };
    let measured = window(&m, &["Innodb_os_log_written"]);
    match measured {
        Ok(w) => {
            let written = w.values.first().copied().unwrap_or(0);
            let hourly = (written as f64 / w.seconds.max(1) as f64 * 3600.0) as u64;
            let floor = match host {
                Some((ram, _, _)) if ram > 8 * GIB => GIB,
                _ => 0,
            };
            let need = hourly.max(floor).min(16 * GIB);
            let threshold = "at least one hour of redo writes (floor 1 GiB on hosts above 8 GiB, \
                             capped at 16 GiB)";
            let detail = format!(
                "{said}: capacity {} against {} of redo written per hour {}{}.",
                format_bytes(capacity),
                format_bytes(hourly),
                w.basis,
                if floor > hourly {
                    " (raised to the 1 GiB floor for a host above 8 GiB)"
                } else {
                    ""
                }
            );
            let eval = if capacity >= need {
                Evaluation::pass(detail)
            } else {
                Evaluation::warn(detail)
            };
            let eval = if host.is_none() {
                eval.assumed("no 1 GiB floor: the database host's RAM is not given")
            } else {
                eval
            };
            finish(
                eval.value(format_bytes(capacity))
                    .threshold(format!("{threshold}: {}", format_bytes(need))),
            )
        }
        Err(why) => {
            // Without a usable rate, MySQLTuner's older rule of thumb:
            // the redo log should hold about a quarter of the buffer pool.
            let Some((pool, _)) = pool_size(&m, host.map(|h| h.0)) else {
                return finish(Evaluation::unverified(format!(
                    "{said}; the buffer pool size could not be read to compare with. {}",
                    why.detail
                )));
            };
            let quarter = pool / 4;
            let detail = format!(
                "{said}: capacity {} against a quarter of the {} buffer pool ({}); no measured \
                 redo rate: {}",
                format_bytes(capacity),
                format_bytes(pool),
                format_bytes(quarter),
                why.detail
            );
            let eval = if capacity < quarter {
                Evaluation::warn(detail)
            } else {
                Evaluation::pass(detail)
            };
            finish(
                eval.value(format_bytes(capacity))
                    .threshold("≥ 25 % of the buffer pool when no redo rate is measured"),
            )
        }
    }
}

fn flush_log_at_trx_commit(stack: &Stack, _: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let Some(v) = got(&m, "innodb_flush_log_at_trx_commit") else {
        return Evaluation::unverified("innodb_flush_log_at_trx_commit has no known default.");
    };
    let said = &v.said;
    let eval = match v.text.trim() {
        "1" => Evaluation::pass(format!("{said}: every commit is flushed to disk.")),
        "2" => Evaluation::warn(format!(
            "{said}: commits reach the OS at once but disk only about once a second, so a power \
             loss or OS crash loses up to a second of committed transactions; keep it only with \
             a written sign-off."
        )),
        "0" => Evaluation::fail(format!(
            "{said}: the log is written and flushed about once a second, so even a mysqld crash \
             loses committed transactions."
        )),
        other => Evaluation::warn(format!(
            "{said}: `{other}` is not one of 0, 1, 2; the server adjusts or refuses it."
        )),
    };
    v.apply(
        eval.value(v.text.clone())
            .threshold("1 passes, 2 warns, 0 fails"),
    )
}

fn flush_method(stack: &Stack, _: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let Some(v) = got(&m, "innodb_flush_method") else {
        return Evaluation::unverified("innodb_flush_method has no known default.");
    };
    // MariaDB also takes the method's number.
    let method = match v.text.trim() {
        "0" => "fsync",
        "1" => "O_DSYNC",
        "2" => "littlesync",
        "3" => "nosync",
        "4" => "O_DIRECT",
        "5" => "O_DIRECT_NO_FSYNC",
        other => other,
    }
    .to_ascii_uppercase();
    let said = &v.said;
    let eval = match method.as_str() {
        "O_DIRECT" | "O_DIRECT_NO_FSYNC" => {
            Evaluation::pass(format!("{said}: data files bypass the OS page cache."))
        }
        "FSYNC" | "O_DSYNC" => Evaluation::warn(format!(
            "{said}: data pages are cached by both InnoDB and the OS, taking RAM from the other \
             services; on local disks use O_DIRECT (on NFS or a SAN array, benchmark first)."
        )),
        "LITTLESYNC" | "NOSYNC" => Evaluation::warn(format!(
            "{said}: a method meant for internal performance tests, not for production data."
        )),
        other => Evaluation::warn(format!("{said}: `{other}` is not a Linux flush method.")),
    };
    with_server(
        v.apply(
            eval.value(v.text.clone())
                .threshold("O_DIRECT or O_DIRECT_NO_FSYNC"),
        ),
        &m,
    )
}

fn memory_peak(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let host = db_host(inputs);
    let ram = host.as_ref().ok().map(|h| h.0);
    let mut assumed: Vec<String> = Vec::new();
    let mut origin: Option<Origin>;
    let pool = match pool_size(&m, ram) {
        Some((bytes, g)) => {
            assumed.extend(g.assumed.clone());
            origin = g.origin.clone();
            bytes
        }
        None => {
            return Evaluation::fail("innodb_buffer_pool_size is not a size the server accepts.");
        }
    };
    // The location is the buffer pool's line, or else the first other
    // buffer set in a file.
    let mut read = |name: &str| -> Option<u64> {
        let g = got(&m, name)?;
        assumed.extend(g.assumed.clone());
        if origin.is_none() {
            origin = g.origin.clone();
        }
        g.size()
    };
    let query_cache =
        if m.server.is_mariadb() || m.server.version.is_some_and(|v| v < Version::new(8, 0, 0)) {
            read("query_cache_size")
        } else {
            Some(0)
        };
    let aria = if m.server.is_mariadb() {
        read("aria_pagecache_buffer_size")
    } else {
        Some(0)
    };
    let parts = (
        read("innodb_log_buffer_size"),
        read("key_buffer_size"),
        query_cache,
        aria,
        read("max_connections"),
        read("read_buffer_size"),
        read("read_rnd_buffer_size"),
        read("sort_buffer_size"),
        read("join_buffer_size"),
        read("thread_stack"),
        read("binlog_cache_size"),
        read("tmp_table_size"),
        read("max_heap_table_size"),
    );
    let (
        Some(log_buffer),
        Some(key_buffer),
        Some(query_cache),
        Some(aria),
        Some(connections),
        Some(read_buffer),
        Some(read_rnd),
        Some(sort),
        Some(join),
        Some(stack_size),
        Some(binlog_cache),
        Some(tmp),
        Some(heap),
    ) = parts
    else {
        return with_server(
            Evaluation::fail(
                "One of the buffer settings is not a size the server accepts, so the peak \
                 cannot be computed.",
            ),
            &m,
        );
    };
    let server_buffers = pool
        .saturating_add(log_buffer)
        .saturating_add(key_buffer)
        .saturating_add(query_cache)
        .saturating_add(aria);
    let per_thread = [
        read_buffer,
        read_rnd,
        sort,
        join,
        stack_size,
        binlog_cache,
        tmp.min(heap),
    ]
    .iter()
    .fold(0u64, |s, v| s.saturating_add(*v));
    let peak = server_buffers.saturating_add(connections.saturating_mul(per_thread));
    let sum = format!(
        "server buffers {} (buffer pool {}, log buffer {}, key buffer {}{}{}) + max_connections \
         {connections} × per-thread {} (read {}, read_rnd {}, sort {}, join {}, thread_stack {}, \
         binlog_cache {}, in-memory temporary table {}) = {}",
        format_bytes(server_buffers),
        format_bytes(pool),
        format_bytes(log_buffer),
        format_bytes(key_buffer),
        if query_cache > 0 {
            format!(", query cache {}", format_bytes(query_cache))
        } else {
            String::new()
        },
        if aria > 0 {
            format!(", Aria page cache {}", format_bytes(aria))
        } else {
            String::new()
        },
        format_bytes(per_thread),
        format_bytes(read_buffer),
        format_bytes(read_rnd),
        format_bytes(sort),
        format_bytes(join),
        format_bytes(stack_size),
        format_bytes(binlog_cache),
        format_bytes(tmp.min(heap)),
        format_bytes(peak)
    );
    let threshold = "peak ≤ 85 % of RAM (MySQLTuner)";
    let eval = match host {
        Err(why) => Evaluation::unverified(format!("{sum}; {why}.")).value(format_bytes(peak)),
        Ok((ram, shared, name)) => {
            let share = peak as f64 / ram.max(1) as f64;
            let value = format!(
                "{} ({} of {})",
                format_bytes(peak),
                format_ratio(share),
                format_bytes(ram)
            );
            let shared_note = if shared {
                "; other services share this host, so MySQL's share of it is judged by \
                 x.memory_budget"
            } else {
                ""
            };
            if share > 0.85 {
                Evaluation::fail(format!(
                    "{sum}: {} of {name}'s RAM{shared_note}.",
                    format_ratio(share)
                ))
                .value(value)
            } else {
                Evaluation::pass(format!(
                    "{sum}: {} of {name}'s RAM{shared_note}.",
                    format_ratio(share)
                ))
                .value(value)
            }
        }
    };
    let eval = assumed
        .into_iter()
        .fold(eval.threshold(threshold).at(origin.as_ref()), |e, a| {
            e.assumed(a)
        });
    with_server(eval, &m)
}

fn slow_query_log(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let (Some(on), Some(time)) = (got(&m, "slow_query_log"), got(&m, "long_query_time")) else {
        return Evaluation::unverified("the slow log settings have no known default.");
    };
    let max = inputs.heuristic("mysql.slow_query_log.long_query_time_max", 1.0);
    let threshold = format!(
        "slow_query_log=ON and long_query_time ≤ {} s",
        trim_number(max, 3)
    );
    let seconds = time
        .text
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite());
    let eval = match (bool_of(&on.text), seconds) {
        (Some(false), _) => {
            Evaluation::warn(format!("{}: slow statements are not recorded.", on.said))
                .at(on.origin.as_ref())
        }
        (None, _) => Evaluation::warn(format!("{}: `{}` is not ON or OFF.", on.said, on.text))
            .at(on.origin.as_ref()),
        (Some(true), None) => Evaluation::warn(format!(
            "{}: `{}` is not a number of seconds.",
            time.said, time.text
        ))
        .at(time.origin.as_ref()),
        (Some(true), Some(s)) if s > max => Evaluation::warn(format!(
            "{}, but {}: only statements slower than {} s are recorded, which misses the ones \
             that add up under web load.",
            on.said,
            time.said,
            trim_number(s, 3)
        ))
        .at(time.origin.as_ref().or(on.origin.as_ref())),
        (Some(true), Some(_)) => {
            Evaluation::pass(format!("{}; {}.", on.said, time.said)).at(on.origin.as_ref())
        }
    };
    let eval = eval
        .value(format!(
            "slow_query_log={}, long_query_time={}",
            on.text, time.text
        ))
        .threshold(threshold)
        .assumed(format!(
            "long_query_time ≤ {} s for a web workload (mysql.slow_query_log.long_query_time_max)",
            trim_number(max, 3)
        ));
    let eval = on.assumed.iter().fold(eval, |e, a| e.assumed(a.clone()));
    time.assumed.iter().fold(eval, |e, a| e.assumed(a.clone()))
}

/// The query_cache_* options of the server groups.
fn query_cache_options<'m>(m: &'m Mysql<'_>) -> Vec<&'m CnfOption> {
    m.cnf
        .map(|cnf| {
            cnf.server_options(&m.server)
                .filter(|o| o.name.starts_with("query_cache_"))
                .collect()
        })
        .unwrap_or_default()
}

fn query_cache(stack: &Stack, _: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let options = query_cache_options(&m);
    let strict: Vec<&&CnfOption> = options.iter().filter(|o| !o.loose).collect();
    let listed = |list: &[&&CnfOption]| {
        list.iter()
            .map(|o| format!("{} at {}", o.written, o.origin))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mysql8 = m.server.flavour == Some(Flavour::MySql)
        && m.server.version.is_none_or(|v| v >= Version::new(8, 0, 0));
    if mysql8 {
        let eval = if let Some(first) = strict.first() {
            Evaluation::fail(format!(
                "MySQL 8 has no query cache and refuses to start on {}.",
                listed(&strict)
            ))
            .at(Some(&first.origin))
            .value(format!("{} query_cache option(s)", strict.len()))
        } else if let Some(first) = options.first() {
            let all: Vec<&&CnfOption> = options.iter().collect();
            Evaluation::pass(format!(
                "MySQL 8 has no query cache; {} carry loose-, so the server only warns.",
                listed(&all)
            ))
            .at(Some(&first.origin))
        } else {
            Evaluation::pass("MySQL 8 has no query cache and no option file sets one.")
        };
        return with_server(eval.threshold("no query_cache_* option on MySQL 8"), &m);
    }
    if m.server.flavour.is_none() {
        let eval = if let Some(first) = strict.first() {
            Evaluation::warn(format!(
                "{}: the server is not known; MySQL 8 refuses these options and MariaDB's query \
                 cache serialises queries.",
                listed(&strict)
            ))
            .at(Some(&first.origin))
        } else {
            Evaluation::pass("No option file enables the query cache.")
        };
        return with_server(
            eval.threshold("no query_cache_* option on MySQL 8; type 0 and size 0 on MariaDB"),
            &m,
        );
    }
    let (Some(kind), Some(size)) = (got(&m, "query_cache_type"), got(&m, "query_cache_size"))
    else {
        return Evaluation::unverified("the query cache settings have no known default.");
    };
    let enabled = matches!(
        kind.text.trim().to_ascii_uppercase().as_str(),
        "ON" | "1" | "DEMAND" | "2"
    );
    let bytes = size.size().unwrap_or(0);
    let eval = if enabled && bytes > 0 {
        Evaluation::warn(format!(
            "{}; {}: every query takes the query cache mutex, which serialises queries on a \
             multi-core host and is invalidated by every write.",
            kind.said, size.said
        ))
        .at(kind.origin.as_ref().or(size.origin.as_ref()))
    } else {
        let size_note = if bytes > 0 {
            format!(
                "; {} is still set aside, set query_cache_size=0 to free it",
                format_bytes(bytes)
            )
        } else {
            String::new()
        };
        Evaluation::pass(format!(
            "{}; {}: the query cache is off{size_note}.",
            kind.said, size.said
        ))
        .at(kind.origin.as_ref().or(size.origin.as_ref()))
    };
    let eval = eval
        .value(format!(
            "query_cache_type={}, query_cache_size={}",
            kind.text, size.text
        ))
        .threshold("query_cache_type=0 and query_cache_size=0");
    let eval = kind.assumed.iter().fold(eval, |e, a| e.assumed(a.clone()));
    with_server(
        size.assumed.iter().fold(eval, |e, a| e.assumed(a.clone())),
        &m,
    )
}

fn tmp_tables(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let (Some(tmp), Some(heap)) = (got(&m, "tmp_table_size"), got(&m, "max_heap_table_size"))
    else {
        return Evaluation::unverified("the temporary table sizes have no known default.");
    };
    let (Some(t), Some(h)) = (tmp.size(), heap.size()) else {
        return Evaluation::fail(format!(
            "{}; {}: not sizes the server accepts.",
            tmp.said, heap.said
        ));
    };
    let cap_mib = inputs.heuristic("mysql.tmp_tables.max_mib", 256.0);
    let cap = (cap_mib * MIB as f64) as u64;
    let temptable = if m.server.flavour != Some(Flavour::MariaDb) {
        " On MySQL 8 the TempTable engine caps each in-memory temporary table by tmp_table_size \
         and all of them together by temptable_max_ram."
    } else {
        ""
    };
    let eval = if t != h {
        Evaluation::warn(format!(
            "{}; {}: the smaller, {}, is the real in-memory limit of MEMORY temporary tables.{temptable}",
            tmp.said,
            heap.said,
            format_bytes(t.min(h))
        ))
        .at(if t > h { tmp.origin.as_ref() } else { heap.origin.as_ref() })
    } else if t > cap {
        Evaluation::warn(format!(
            "{}; {}: equal, but above {} per connection, which mysql.memory_peak multiplies by \
             max_connections.{temptable}",
            tmp.said,
            heap.said,
            format_bytes(cap)
        ))
    } else {
        Evaluation::pass(format!("{}; {}: equal.{temptable}", tmp.said, heap.said))
    };
    let eval = tmp.apply(
        eval.value(format!("{} / {}", format_bytes(t), format_bytes(h)))
            .threshold(format!("equal, each ≤ {}", format_bytes(cap)))
            .assumed(format!(
                "at most {} MiB per connection (mysql.tmp_tables.max_mib)",
                trim_number(cap_mib, 0)
            )),
    );
    heap.apply(eval)
}

fn table_open_cache(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let (Some(cache), Some(conns)) = (got(&m, "table_open_cache"), got(&m, "max_connections"))
    else {
        return Evaluation::unverified("table_open_cache has no known default.");
    };
    let (Some(c), Some(n)) = (cache.size(), conns.size()) else {
        return Evaluation::fail(format!(
            "{}; {}: not numbers the server accepts.",
            cache.said, conns.said
        ));
    };
    let per_join = inputs.heuristic("mysql.table_open_cache.tables_per_join", 4.0);
    let need = (n as f64 * per_join).ceil() as u64;
    // Only the running value of open_files_limit counts: mysqld raises a
    // configured value itself when the OS allows it.
    let files = m
        .setting("open_files_limit")
        .filter(|v| v.source == Source::Variables);
    let files_needed = n.saturating_add(c.saturating_mul(2)).saturating_add(10);
    let eval = match files
        .as_ref()
        .and_then(|f| parse_size(&f.text).map(|l| (f, l)))
    {
        Some((f, limit)) if limit < files_needed => Evaluation::warn(format!(
            "{}: below the {files_needed} descriptors that {} cached tables and {} connections \
             need (10 + max_connections + 2 × table_open_cache), so mysqld shrinks the cache.",
            f.provenance(),
            c,
            n
        ))
        .at(Some(&f.origin)),
        _ if c < need => Evaluation::warn(format!(
            "{}; {}: fewer than {need} ({n} connections × {} tables per join).",
            cache.said,
            conns.said,
            trim_number(per_join, 1)
        )),
        _ => Evaluation::pass(format!(
            "{}; {}: room for {need} ({n} connections × {} tables per join).",
            cache.said,
            conns.said,
            trim_number(per_join, 1)
        )),
    };
    let eval = cache.apply(
        eval.value(c.to_string())
            .threshold(format!(
                "≥ max_connections × {} tables per join = {need}",
                trim_number(per_join, 1)
            ))
            .assumed(format!(
                "at most {} tables in one join (mysql.table_open_cache.tables_per_join)",
                trim_number(per_join, 1)
            )),
    );
    with_server(conns.apply(eval), &m)
}

fn thread_cache_size(stack: &Stack, _: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let threshold = "≥ 8, or auto-sized; 0 fails";
    let auto = if m.server.is_mariadb() {
        "the MariaDB default of 256"
    } else {
        "auto-sized to 8 + max_connections / 100 (at most 100)"
    };
    let Some(v) = m.setting("thread_cache_size") else {
        return with_server(
            Evaluation::pass(format!("thread_cache_size is not set: {auto}."))
                .value("auto")
                .threshold(threshold)
                .assumed(format!("thread_cache_size: {auto}")),
            &m,
        );
    };
    let said = v.provenance();
    let eval = match v.text.trim().parse::<i64>() {
        Ok(-1) => Evaluation::pass(format!("{said}: {auto}.")),
        Ok(0) => Evaluation::fail(format!(
            "{said}: the thread cache is off, so every connect creates a thread."
        )),
        Ok(n) if n < 8 => Evaluation::warn(format!(
            "{said}: only {n} threads are kept for reuse; bursts of PHP connects create new ones."
        )),
        Ok(_) => Evaluation::pass(format!("{said}.")),
        Err(_) => Evaluation::warn(format!("{said}: `{}` is not a number.", v.text)),
    };
    eval.value(v.text.clone())
        .threshold(threshold)
        .at(Some(&v.origin))
}

fn charset(stack: &Stack, _: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let Some(cs) = got(&m, "character_set_server") else {
        return Evaluation::unverified("character_set_server has no known default.");
    };
    let collation = m.setting("collation_server");
    let set = cs.text.trim().to_ascii_lowercase();
    let eval = match set.as_str() {
        "utf8mb4" => match &collation {
            Some(c) if !c.text.trim().to_ascii_lowercase().starts_with("utf8mb4_") => {
                Evaluation::warn(format!(
                    "{}, but {}: a collation of another character set, which the server \
                     refuses or which makes new tables use it.",
                    cs.said,
                    c.provenance()
                ))
                .at(Some(&c.origin))
            }
            Some(c) => Evaluation::pass(format!("{}; {}.", cs.said, c.provenance())),
            None => Evaluation::pass(format!("{}.", cs.said)),
        },
        "utf8" | "utf8mb3" => Evaluation::warn(format!(
            "{}: a 3-byte encoding that cannot store emoji and other 4-byte characters.",
            cs.said
        )),
        "latin1" => Evaluation::warn(format!(
            "{}: tables created without an explicit charset cannot store most of Unicode.",
            cs.said
        )),
        other => Evaluation::warn(format!("{}: `{other}` is not utf8mb4.", cs.said)),
    };
    with_server(
        cs.apply(
            eval.value(cs.text.clone())
                .threshold("utf8mb4 with a utf8mb4 collation"),
        ),
        &m,
    )
}

fn skip_name_resolve(stack: &Stack, _: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let Some(v) = got(&m, "skip_name_resolve") else {
        return Evaluation::unverified("skip_name_resolve has no known default.");
    };
    let eval = match bool_of(&v.text) {
        Some(true) => Evaluation::pass(format!(
            "{}: connections are not held up by DNS; grants must use addresses or localhost.",
            v.said
        )),
        Some(false) => Evaluation::warn(format!(
            "{}: every new connection waits on DNS lookups of the client address.",
            v.said
        )),
        None => Evaluation::warn(format!("{}: `{}` is not ON or OFF.", v.said, v.text)),
    };
    v.apply(eval.value(v.text.clone()).threshold("ON"))
}

/// Whether the binary log is on: SHOW VARIABLES says ON/OFF; in an option
/// file `log-bin` (with or without a base name) switches it on and
/// `skip-log-bin`/`disable-log-bin` off.
fn binlog_on(m: &Mysql<'_>) -> Option<(bool, Got)> {
    let g = got(m, "log_bin")?;
    let on = match g.value.as_ref() {
        Some(v) if v.source == Source::MyCnf => !matches!(
            v.option.as_ref().and_then(|o| o.prefix),
            Some(Prefix::Skip | Prefix::Disable)
        ),
        _ => bool_of(&g.text)?,
    };
    Some((on, g))
}

fn binlog(stack: &Stack, _: &Inputs) -> Evaluation {
    let m = try_eval!(config(stack));
    let days_option = m.cnf.and_then(|cnf| {
        cnf.server_options(&m.server)
            .filter(|o| o.name == "expire_logs_days" && !o.loose)
            .last()
            .cloned()
    });
    if m.server.mysql_84()
        && let Some(days) = &days_option
    {
        return Evaluation::fail(format!(
            "expire_logs_days at {} was removed in MySQL 8.4: the server does not start.",
            days.origin
        ))
        .at(Some(&days.origin))
        .value(format!("expire_logs_days={}", days.value))
        .threshold("binlog_expire_logs_seconds instead of expire_logs_days on MySQL 8.4");
    }
    let Some((on, log_bin)) = binlog_on(&m) else {
        return Evaluation::unverified("log_bin could not be read.");
    };
    let threshold = "binary log expiry of 1-30 days, and at least the backup interval";
    if !on {
        let eval = Evaluation::pass(format!(
            "{}: the binary log is off, so there is no replication and no point-in-time \
             recovery beyond the last backup; the disk cannot fill with binlogs.",
            log_bin.said
        ));
        return with_server(
            log_bin.apply(eval.value("log_bin=OFF").threshold(threshold)),
            &m,
        );
    }
    // The expiry in seconds, and what set it.
    let seconds_set = m.setting("binlog_expire_logs_seconds");
    let days_set = m.setting("expire_logs_days");
    let (expiry, said, origin, assumed) = match (&seconds_set, &days_set) {
        (Some(s), Some(d))
            if parse_size(&s.text) == Some(0) && parse_size(&d.text).is_some_and(|v| v > 0) =>
        {
            (
                parse_size(&d.text).map(|v| v.saturating_mul(86_400)),
                d.provenance(),
                Some(d.origin.clone()),
                None,
            )
        }
        (Some(s), _) => (
            parse_size(&s.text),
            s.provenance(),
            Some(s.origin.clone()),
            None,
        ),
        (None, Some(d)) => (
            parse_size(&d.text).map(|v| v.saturating_mul(86_400)),
            d.provenance(),
            Some(d.origin.clone()),
            None,
        ),
        (None, None) => {
            let g = got(&m, "binlog_expire_logs_seconds");
            (
                g.as_ref().and_then(Got::size),
                g.as_ref().map(|g| g.said.clone()).unwrap_or_default(),
                None,
                g.and_then(|g| g.assumed),
            )
        }
    };
    let Some(expiry) = expiry else {
        return Evaluation::fail(format!("{said}: not a number the server accepts."))
            .at(origin.as_ref());
    };
    let auto_purge_off = !m.server.is_mariadb()
        && m.setting("binlog_expire_logs_auto_purge")
            .is_some_and(|v| bool_of(&v.text) == Some(false));
    let days = expiry as f64 / 86_400.0;
    let version_note = if days_option.is_some() && m.server.flavour != Some(Flavour::MariaDb) {
        " expire_logs_days is deprecated in MySQL 8.0 and removed in 8.4, where the server will \
         not start with it; use binlog_expire_logs_seconds."
    } else {
        ""
    };
    let eval = if auto_purge_off {
        Evaluation::warn(format!(
            "{}: binlog_expire_logs_auto_purge=OFF, so binlogs are never purged automatically \
             and fill the disk.{version_note}",
            log_bin.said
        ))
    } else if expiry == 0 {
        Evaluation::warn(format!(
            "{}; {said}: binlogs never expire and fill the disk.{version_note}",
            log_bin.said
        ))
    } else if days < 1.0 {
        Evaluation::warn(format!(
            "{}; {said}: binlogs kept under a day, shorter than most backup intervals, so \
             point-in-time recovery has gaps.{version_note}",
            log_bin.said
        ))
    } else if days > 30.0 {
        Evaluation::warn(format!(
            "{}; {said}: binlogs kept {} days, more disk than recovery usually needs.{version_note}",
            log_bin.said,
            trim_number(days, 1)
        ))
    } else {
        Evaluation::pass(format!(
            "{}; {said}: binlogs kept {} days; make sure that covers the interval between \
             backups. If no replica or point-in-time recovery uses them, the binary log only \
             costs I/O.{version_note}",
            log_bin.said,
            trim_number(days, 1)
        ))
    };
    let eval = eval
        .value(format!("expiry {} d", trim_number(days, 2)))
        .threshold(threshold)
        .at(origin.as_ref().or(log_bin.origin.as_ref()));
    let eval = match (&days_option, m.server.flavour, m.server.version) {
        (Some(_), Some(Flavour::MySql) | None, None) => {
            eval.assumed("MySQL before 8.4 (expire_logs_days is accepted, though deprecated)")
        }
        _ => eval,
    };
    let eval = assumed.into_iter().fold(eval, |e, a| e.assumed(a));
    with_server(log_bin.apply(eval), &m)
}

fn unknown_option(stack: &Stack, _: &Inputs) -> Evaluation {
    let m = view(stack);
    let Some(cnf) = m.cnf else {
        return Evaluation::unverified(
            "No option file was uploaded; SHOW GLOBAL VARIABLES only lists options the server \
             already accepted.",
        );
    };
    let mut unknown: Vec<(&CnfOption, String)> = Vec::new();
    let mut loose: Vec<&CnfOption> = Vec::new();
    let mut families: Vec<&'static str> = Vec::new();
    let mut count = 0usize;
    for option in cnf.server_options(&m.server) {
        count += 1;
        match options::check(&option.name, &m.server) {
            Known::Yes => {}
            Known::Family(prefix) => {
                if !families.contains(&prefix) {
                    families.push(prefix);
                }
            }
            Known::No(_) if option.loose => loose.push(option),
            Known::No(why) => unknown.push((option, why)),
        }
    }
    let mut notes = Vec::new();
    if !loose.is_empty() {
        notes.push(format!(
            "{} carry loose- and are skipped with a warning",
            loose
                .iter()
                .map(|o| format!("{} at {}", o.written, o.origin))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !families.is_empty() {
        notes.push(format!(
            "options of plugin or component families ({}) depend on what is loaded and were not \
             checked",
            families.join(", ")
        ));
    }
    for dir in cnf.include_dirs().iter().filter(|d| d.files == 0) {
        notes.push(format!(
            "`!includedir {}` at {} matched no .cnf file of the upload; if that folder holds \
             files on the server, upload them too",
            dir.directory, dir.origin
        ));
    }
    if m.server.flavour.is_none() {
        notes.push(
            "the flavour is unknown, so an option either MySQL or MariaDB accepts passes"
                .to_owned(),
        );
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" Also: {}.", notes.join("; "))
    };
    let threshold = "every option in a server group known to the server";
    let eval = if let Some((first, _)) = unknown.first() {
        let list = unknown
            .iter()
            .take(8)
            .map(|(o, why)| {
                let why = if why.is_empty() {
                    "not an option Readiness knows for this server".to_owned()
                } else {
                    why.clone()
                };
                format!("{} in [{}] at {} ({why})", o.written, o.group, o.origin)
            })
            .collect::<Vec<_>>()
            .join("; ");
        let more = if unknown.len() > 8 {
            format!(" and {} more", unknown.len() - 8)
        } else {
            String::new()
        };
        Evaluation::fail(format!(
            "{} would refuse to start on {list}{more}.{notes}",
            m.server.label()
        ))
        .at(Some(&first.origin))
        .value(format!("{} unknown of {count}", unknown.len()))
    } else {
        Evaluation::pass(format!(
            "All {count} options in the groups the server reads are known to {}.{notes}",
            m.server.label()
        ))
        .value(format!("0 unknown of {count}"))
        .at(cnf.files().first().map(|f| Origin::new(f, 1)).as_ref())
    };
    with_server(eval.threshold(threshold), &m)
}

/// A share as a percentage with enough digits to tell 99.95 % from 100 %.
fn format_ratio(ratio: f64) -> String {
    let pct = ratio * 100.0;
    let digits = if pct.abs() < 1.0 { 3 } else { 2 };
    format!("{} %", trim_number(pct, digits))
}

/// A measured ratio against pass and warn bounds.
struct Ratio<'a> {
    value: f64,
    pass: &'a dyn Fn(f64) -> bool,
    warn: &'a dyn Fn(f64) -> bool,
}

/// The two counters of a window, in the order they were asked for.
fn two(w: &Window) -> (u64, u64) {
    (
        w.values.first().copied().unwrap_or(0),
        w.values.get(1).copied().unwrap_or(0),
    )
}

fn judge(ratio: Ratio<'_>, detail: String) -> Evaluation {
    if (ratio.pass)(ratio.value) {
        Evaluation::pass(detail)
    } else if (ratio.warn)(ratio.value) {
        Evaluation::warn(detail)
    } else {
        Evaluation::fail(detail)
    }
}

fn measured(stack: &Stack) -> Mysql<'_> {
    view(stack)
}

fn buffer_pool_hit(stack: &Stack, _: &Inputs) -> Evaluation {
    let m = measured(stack);
    let w = try_eval!(window(
        &m,
        &[
            "Innodb_buffer_pool_read_requests",
            "Innodb_buffer_pool_reads"
        ]
    ));
    let (requests, reads) = two(&w);
    if requests == 0 {
        return Evaluation::unverified(format!("No buffer pool reads {}.", w.basis))
            .at(w.origin.as_ref());
    }
    if reads > requests {
        return Evaluation::unverified(format!(
            "Innodb_buffer_pool_reads ({reads}) exceeds Innodb_buffer_pool_read_requests \
             ({requests}) {}: the counters are not reliable.",
            w.basis
        ))
        .at(w.origin.as_ref());
    }
    let hit = 1.0 - reads as f64 / requests as f64;
    judge(
        Ratio {
            value: hit,
            pass: &|h| h >= 0.99,
            warn: &|h| h >= 0.90,
        },
        format!(
            "{reads} of {requests} page requests went to disk {}.",
            w.basis
        ),
    )
    .value(format_ratio(hit))
    .threshold("≥ 99 % passes, 90-99 % warns, < 90 % fails")
    .at(w.origin.as_ref())
}

fn thread_cache(stack: &Stack, _: &Inputs) -> Evaluation {
    let m = measured(stack);
    let w = try_eval!(window(&m, &["Connections", "Threads_created"]));
    let (connections, created) = two(&w);
    if connections == 0 {
        return Evaluation::unverified(format!("No connections {}.", w.basis))
            .at(w.origin.as_ref());
    }
    let hit = 1.0 - created as f64 / connections as f64;
    let rate = created as f64 / w.seconds.max(1) as f64;
    judge(
        Ratio {
            value: hit,
            pass: &|h| h >= 0.90,
            warn: &|h| h > 0.50,
        },
        format!(
            "{created} threads created for {connections} connections {} ({} threads created per \
             second).",
            w.basis,
            trim_number(rate, 3)
        ),
    )
    .value(format_ratio(hit))
    .threshold("≥ 90 % passes, 50-90 % warns, ≤ 50 % fails")
    .at(w.origin.as_ref())
}

fn slow_queries(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let m = measured(stack);
    let w = try_eval!(window(&m, &["Questions", "Slow_queries"]));
    let (questions, slow) = two(&w);
    if questions == 0 {
        return Evaluation::unverified(format!("No statements {}.", w.basis)).at(w.origin.as_ref());
    }
    let pass_below = inputs.heuristic("m.mysql.slow_queries.pass_below", 0.01);
    let share = slow as f64 / questions as f64;
    let long_query_time = got(&m, "long_query_time");
    let against = match &long_query_time {
        Some(g) => format!("; {}", g.said),
        None => String::new(),
    };
    let log = match stack.workload.slowest() {
        Some(e) => format!(
            "; the uploaded slow log has {} entries, the slowest {} s at {}",
            stack.workload.slow_log.len(),
            trim_number(e.query_time_s, 3),
            e.origin
        ),
        None => String::new(),
    };
    let eval = judge(
        Ratio {
            value: share,
            pass: &|s| s < pass_below,
            warn: &|s| s <= 0.05,
        },
        format!(
            "{slow} of {questions} statements were slow {}{against}{log}.",
            w.basis
        ),
    )
    .value(format_ratio(share))
    .threshold(format!(
        "< {} passes, up to 5 % warns, > 5 % fails",
        format_ratio(pass_below)
    ))
    .at(w.origin.as_ref())
    .assumed(format!(
        "pass below {} (m.mysql.slow_queries.pass_below)",
        format_ratio(pass_below)
    ));
    match long_query_time.and_then(|g| g.assumed) {
        Some(a) => eval.assumed(a),
        None => eval,
    }
}

fn tmp_disk(stack: &Stack, _: &Inputs) -> Evaluation {
    let m = measured(stack);
    let w = try_eval!(window(
        &m,
        &["Created_tmp_tables", "Created_tmp_disk_tables"]
    ));
    let (tables, disk) = two(&w);
    let threshold = "< 10 % passes, 10-25 % warns, > 25 % fails";
    if tables == 0 {
        return Evaluation::pass(format!(
            "No internal temporary tables were created {}.",
            w.basis
        ))
        .value("0 %")
        .threshold(threshold)
        .at(w.origin.as_ref());
    }
    let share = disk as f64 / tables as f64;
    let big = m.has_config()
        && ["tmp_table_size", "max_heap_table_size"]
            .iter()
            .filter_map(|n| m.size(n))
            .all(|r| r.value >= 256 * MIB);
    let hint = if big && share > 0.10 {
        "; both temporary table sizes are already 256 MiB or more, so the queries (TEXT/BLOB \
         columns, unindexed GROUP BY or ORDER BY) are what to fix"
    } else {
        ""
    };
    judge(
        Ratio {
            value: share,
            pass: &|s| s < 0.10,
            warn: &|s| s <= 0.25,
        },
        format!(
            "{disk} of {tables} internal temporary tables went to disk {}{hint}.",
            w.basis
        ),
    )
    .value(format_ratio(share))
    .threshold(threshold)
    .at(w.origin.as_ref())
}

fn aborted_connects(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let m = measured(stack);
    let w = try_eval!(window(&m, &["Connections", "Aborted_connects"]));
    let (connections, aborted) = two(&w);
    if connections == 0 {
        return Evaluation::unverified(format!("No connections {}.", w.basis))
            .at(w.origin.as_ref());
    }
    let pass_below = inputs.heuristic("m.mysql.aborted_connects.pass_below", 0.01);
    let share = aborted as f64 / connections as f64;
    judge(
        Ratio {
            value: share,
            pass: &|s| s < pass_below,
            warn: &|s| s <= 0.03,
        },
        format!(
            "{aborted} of {connections} connection attempts failed {}.",
            w.basis
        ),
    )
    .value(format_ratio(share))
    .threshold(format!(
        "< {} passes, up to 3 % warns, > 3 % fails",
        format_ratio(pass_below)
    ))
    .at(w.origin.as_ref())
    .assumed(format!(
        "pass below {} (m.mysql.aborted_connects.pass_below)",
        format_ratio(pass_below)
    ))
}

fn no_index(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let figure = no_index_share(&stack.workload);
    let Some(share) = figure.value else {
        return Evaluation::unverified(format!("{}.", figure.detail));
    };
    let statements = super::workload::digest_statements(&stack.workload)
        .value
        .unwrap_or(0.0);
    let min = inputs.heuristic("db.no_index_share.min_statements", 1000.0);
    let warn_at = inputs.heuristic("db.no_index_share.warn_at", 0.05);
    let fail_at = inputs.heuristic("db.no_index_share.fail_at", 0.20);
    let threshold = format!(
        "< {} passes, {} to {} warns, ≥ {} fails",
        format_ratio(warn_at),
        format_ratio(warn_at),
        format_ratio(fail_at),
        format_ratio(fail_at)
    );
    let base = if statements < min {
        Evaluation::unverified(format!(
            "Only {} statements in the digest window, fewer than {}: too few to judge. {}.",
            trim_number(statements, 0),
            trim_number(min, 0),
            figure.detail
        ))
    } else {
        judge(
            Ratio {
                value: share,
                pass: &|s| s < warn_at,
                warn: &|s| s < fail_at,
            },
            format!("{}.", figure.detail),
        )
    };
    base.value(format_ratio(share))
        .threshold(threshold)
        .at(figure.origin.as_ref())
        .assumed(format!(
            "warn from {}, fail from {} of statements without an index, judged from {} \
             statements on (db.no_index_share.warn_at, .fail_at, .min_statements)",
            format_ratio(warn_at),
            format_ratio(fail_at),
            trim_number(min, 0)
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_in_the_database_category_with_a_unique_id() {
        let all = rules();
        for rule in &all {
            assert_eq!(rule.category, Category::Database, "{}", rule.id);
            assert_eq!(
                all.iter().filter(|r| r.id == rule.id).count(),
                1,
                "{}",
                rule.id
            );
        }
        assert_eq!(all.len(), 20);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(152), "2.5 min");
        assert_eq!(duration(52_310), "14.5 h");
        assert_eq!(duration(172_800), "2 d");
    }
}
