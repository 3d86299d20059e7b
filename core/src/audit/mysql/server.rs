//! Which server the evidence describes (flavour and version), and the
//! effective value of a setting across the uploads: SHOW GLOBAL VARIABLES
//! first (the running value), then the option files, then the documented
//! default for the flavour and version.

use super::cnf::{CnfOption, MyCnf};
use super::values::GlobalValues;
use crate::audit::Stack;
use crate::audit::model::{Origin, Resolved, size_1024};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavour {
    MySql,
    MariaDb,
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flavour::MySql => "MySQL",
            Flavour::MariaDb => "MariaDB",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// The leading `major.minor[.patch]` of a version string
    /// (`8.0.36-0ubuntu0.22.04.1`, `10.11.6-MariaDB-log`).
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let text = text.strip_prefix("5.5.5-").unwrap_or(text);
        let end = text
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(text.len());
        let mut parts = text[..end].split('.').filter(|p| !p.is_empty());
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        Some(Version::new(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The server the uploads describe, as far as they say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerInfo {
    pub flavour: Option<Flavour>,
    pub version: Option<Version>,
    /// What the flavour and version were read from, in a few words.
    pub basis: String,
}

impl ServerInfo {
    pub fn is_mariadb(&self) -> bool {
        self.flavour == Some(Flavour::MariaDb)
    }

    /// MySQL at or above a version; an unknown MySQL version counts as
    /// `assume_unknown`.
    pub fn mysql_at_least(&self, version: Version, assume_unknown: bool) -> bool {
        self.flavour != Some(Flavour::MariaDb)
            && self.version.map_or(assume_unknown, |v| v >= version)
    }

    /// MySQL 8.4 or later (8.3 innovation releases count, they carry the
    /// same removals and defaults).
    pub fn mysql_84(&self) -> bool {
        self.flavour == Some(Flavour::MySql)
            && self.version.is_some_and(|v| v >= Version::new(8, 3, 0))
    }

    /// The server as the findings name it, with what was assumed.
    pub fn label(&self) -> String {
        match (self.flavour, self.version) {
            (Some(f), Some(v)) => format!("{f} {v}"),
            (Some(Flavour::MySql), None) => "MySQL (version unknown, 8.0 assumed)".to_owned(),
            (Some(Flavour::MariaDb), None) => "MariaDB (version unknown, 10.6 assumed)".to_owned(),
            (None, _) => "MySQL 8.0 (assumed: no upload names the server)".to_owned(),
        }
    }

    /// The release whose documented defaults apply.
    pub fn defaults_label(&self) -> String {
        match (self.flavour, self.version) {
            (Some(f), Some(v)) => format!("{f} {v}"),
            (Some(Flavour::MariaDb), None) => "MariaDB 10.6".to_owned(),
            _ => "MySQL 8.0".to_owned(),
        }
    }
}

/// Reads the flavour and version: the `version` variable decides both;
/// otherwise the option files' groups and options, then MariaDB-only
/// status counters (Aria), decide the flavour.
pub fn server_info(stack: &Stack) -> ServerInfo {
    let variables = stack.mysql_variables.as_ref();
    if let Some(v) = variables.and_then(|v| v.get("version")) {
        let comment = variables
            .and_then(|vars| vars.text("version_comment"))
            .unwrap_or("");
        let mariadb = v.value.contains("MariaDB") || comment.contains("MariaDB");
        return ServerInfo {
            flavour: Some(if mariadb {
                Flavour::MariaDb
            } else {
                Flavour::MySql
            }),
            version: Version::parse(&v.value),
            basis: format!("version `{}` at {}", v.value, v.origin),
        };
    }
    if let Some((flavour, why)) = stack.mysql.as_ref().and_then(MyCnf::flavour_hint) {
        return ServerInfo {
            flavour: Some(flavour),
            version: None,
            basis: why,
        };
    }
    if let Some(status) = &stack.mysql_status
        && let Some(aria) = status
            .iter()
            .find(|v| v.name.to_ascii_lowercase().starts_with("aria_"))
    {
        return ServerInfo {
            flavour: Some(Flavour::MariaDb),
            version: None,
            basis: format!(
                "the MariaDB status counter {} at {}",
                aria.name, aria.origin
            ),
        };
    }
    ServerInfo::default()
}

/// Where an effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// SHOW GLOBAL VARIABLES: what the running server uses.
    Variables,
    /// An option file.
    MyCnf,
}

/// A setting's effective value, with where it was read and, when the
/// running value came from SHOW GLOBAL VARIABLES, what the option files
/// said (they may disagree: a restart since the edit, SET PERSIST).
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub name: String,
    pub text: String,
    pub origin: Origin,
    pub source: Source,
    pub option: Option<CnfOption>,
    /// The option-file value that the running value overrides.
    pub file_value: Option<(String, Origin)>,
}

impl Value {
    /// A sentence fragment saying where the value came from.
    pub fn provenance(&self) -> String {
        let shown = shown(&self.name, &self.text);
        match (&self.source, &self.file_value) {
            (Source::Variables, Some((text, origin))) if same_value(text, &self.text) => format!(
                "{} = {shown} in SHOW GLOBAL VARIABLES at {} (the running value, which agrees \
                 with my.cnf's {} at {})",
                self.name, self.origin, text, origin
            ),
            (Source::Variables, Some((text, origin))) => format!(
                "{} = {shown} in SHOW GLOBAL VARIABLES at {} (the running value, which takes \
                 precedence over my.cnf's {} at {})",
                self.name, self.origin, text, origin
            ),
            (Source::Variables, _) => format!(
                "{} = {shown} in SHOW GLOBAL VARIABLES at {} (the running value, which takes \
                 precedence over my.cnf)",
                self.name, self.origin
            ),
            (Source::MyCnf, _) => format!("{} = {shown} at {}", self.name, self.origin),
        }
    }
}

/// Whether an option-file value and a running value say the same: `5G`
/// and `5368709120`, `ON` and `1`, `0.5` and `0.500000`.
fn same_value(file: &str, running: &str) -> bool {
    let (file, running) = (file.trim(), running.trim());
    let boolean = |t: &str| match t.to_ascii_uppercase().as_str() {
        "ON" | "1" | "TRUE" => Some(true),
        "OFF" | "0" | "FALSE" => Some(false),
        _ => None,
    };
    file.eq_ignore_ascii_case(running)
        || parse_size(file).is_some_and(|f| parse_size(running) == Some(f))
        || boolean(file).is_some_and(|f| boolean(running) == Some(f))
        || file
            .parse::<f64>()
            .is_ok_and(|f| running.parse::<f64>().is_ok_and(|r| r == f))
}

/// A value as written, with the size it means when it is a byte count
/// (`5368709120 (5 GiB)`).
fn shown(name: &str, text: &str) -> String {
    let sized = name.ends_with("_size") || name.ends_with("_capacity") || name == "thread_stack";
    match parse_size(text) {
        Some(bytes)
            if sized && bytes >= 1024 && text.trim().bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{text} ({})", crate::audit::model::format_bytes(bytes))
        }
        _ => text.to_owned(),
    }
}

/// Names that set the same variable, in the order they are looked up.
fn aliases(name: &str) -> &'static [&'static str] {
    match name {
        "slow_query_log" => &["slow_query_log", "log_slow_query"],
        "long_query_time" => &["long_query_time", "log_slow_query_time"],
        "slow_query_log_file" => &["slow_query_log_file", "log_slow_query_file"],
        "transaction_isolation" => &["transaction_isolation", "tx_isolation"],
        "log_slave_updates" => &["log_slave_updates", "log_replica_updates"],
        "tmp_table_size" => &["tmp_table_size", "tmp_memory_table_size"],
        _ => &[],
    }
}

/// The settings of the MySQL or MariaDB server an upload describes.
#[derive(Debug, Clone)]
pub struct Mysql<'a> {
    pub cnf: Option<&'a MyCnf>,
    pub variables: Option<&'a GlobalValues>,
    pub status: Option<&'a GlobalValues>,
    pub server: ServerInfo,
}

/// The MySQL view of a stack, for rules here and cross-file rules.
pub fn view(stack: &Stack) -> Mysql<'_> {
    Mysql {
        cnf: stack.mysql.as_ref(),
        variables: stack.mysql_variables.as_ref(),
        status: stack.mysql_status.as_ref(),
        server: server_info(stack),
    }
}

/// The per-connection buffers mysql.memory_peak multiplies by
/// max_connections, each with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct PerThread {
    pub read_buffer: Resolved<u64>,
    pub read_rnd_buffer: Resolved<u64>,
    pub sort_buffer: Resolved<u64>,
    pub join_buffer: Resolved<u64>,
    pub thread_stack: Resolved<u64>,
    pub binlog_cache: Resolved<u64>,
    /// min(tmp_table_size, max_heap_table_size): the in-memory ceiling of
    /// one internal temporary table.
    pub tmp_table: Resolved<u64>,
}

impl PerThread {
    pub fn total(&self) -> u64 {
        [
            &self.read_buffer,
            &self.read_rnd_buffer,
            &self.sort_buffer,
            &self.join_buffer,
            &self.thread_stack,
            &self.binlog_cache,
            &self.tmp_table,
        ]
        .iter()
        .fold(0u64, |sum, r| sum.saturating_add(r.value))
    }
}

impl<'a> Mysql<'a> {
    /// Whether any configuration evidence was uploaded.
    pub fn has_config(&self) -> bool {
        self.cnf.is_some() || self.variables.is_some()
    }

    /// The effective value of a setting: SHOW GLOBAL VARIABLES, else the
    /// last option-file line the server reads; `None` when neither sets it.
    pub fn setting(&self, name: &str) -> Option<Value> {
        let names: Vec<&str> = match aliases(name) {
            [] => vec![name],
            list => list.to_vec(),
        };
        let from_file = self.cnf.and_then(|cnf| {
            cnf.server_options(&self.server)
                .filter(|o| o.sets_value() && names.contains(&o.name.as_str()))
                .last()
                .cloned()
        });
        if let Some(vars) = self.variables
            && let Some(v) = names.iter().find_map(|n| vars.get(n))
        {
            return Some(Value {
                name: name.to_owned(),
                text: v.value.clone(),
                origin: v.origin.clone(),
                source: Source::Variables,
                option: None,
                file_value: from_file.map(|o| (o.value, o.origin)),
            });
        }
        from_file.map(|o| Value {
            name: name.to_owned(),
            text: o.value.clone(),
            origin: o.origin.clone(),
            source: Source::MyCnf,
            option: Some(o),
            file_value: None,
        })
    }

    /// The documented default of a setting for this server, as text.
    pub fn default_text(&self, name: &str) -> Option<&'static str> {
        defaults(name, &self.server)
    }

    /// A size setting in bytes, or its default. `None` without any
    /// configuration evidence, or when the set value is not a size the
    /// server accepts.
    pub fn size(&self, name: &str) -> Option<Resolved<u64>> {
        if !self.has_config() {
            return None;
        }
        match self.setting(name) {
            Some(v) => Some(Resolved::set(parse_size(&v.text)?, &v.origin)),
            None => Some(Resolved::default(parse_size(self.default_text(name)?)?)),
        }
    }

    pub fn innodb_buffer_pool_size(&self) -> Option<Resolved<u64>> {
        self.size("innodb_buffer_pool_size")
    }

    pub fn innodb_log_buffer_size(&self) -> Option<Resolved<u64>> {
        self.size("innodb_log_buffer_size")
    }

    pub fn key_buffer_size(&self) -> Option<Resolved<u64>> {
        self.size("key_buffer_size")
    }

    pub fn max_connections(&self) -> Option<Resolved<u64>> {
        self.size("max_connections")
    }

    /// The per-thread buffers; `None` without configuration evidence or
    /// when one of them is not a valid size.
    pub fn per_thread(&self) -> Option<PerThread> {
        let tmp = self.size("tmp_table_size")?;
        let heap = self.size("max_heap_table_size")?;
        Some(PerThread {
            read_buffer: self.size("read_buffer_size")?,
            read_rnd_buffer: self.size("read_rnd_buffer_size")?,
            sort_buffer: self.size("sort_buffer_size")?,
            join_buffer: self.size("join_buffer_size")?,
            thread_stack: self.size("thread_stack")?,
            binlog_cache: self.size("binlog_cache_size")?,
            tmp_table: if tmp.value <= heap.value { tmp } else { heap },
        })
    }

    /// The `Max_used_connections` status counter.
    pub fn max_used_connections(&self) -> Option<Resolved<u64>> {
        let status = self.status?;
        let value = status.get("Max_used_connections")?;
        Some(Resolved::set(
            status.u64("Max_used_connections")?,
            &value.origin,
        ))
    }
}

/// A size as mysqld reads it: digits with an optional K/M/G/T/P/E suffix
/// (powers of 1024, either case); SHOW VARIABLES prints plain bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    size_1024(text)
}

/// The documented defaults this audit relies on, per flavour and version
/// (Linux, 64-bit). Sources: the MySQL 8.0/8.4 server-system-variables and
/// innodb-parameters pages, and MariaDB's server-system-variables and
/// innodb-system-variables pages.
fn defaults(name: &str, server: &ServerInfo) -> Option<&'static str> {
    let mariadb = server.is_mariadb();
    let mysql84 = server.mysql_84();
    let mariadb_116 = mariadb && server.version.is_some_and(|v| v >= Version::new(11, 6, 0));
    Some(match name {
        "innodb_buffer_pool_size" => "134217728",
        "innodb_log_buffer_size" if mysql84 => "67108864",
        "innodb_log_buffer_size" => "16777216",
        "key_buffer_size" if mariadb => "134217728",
        "key_buffer_size" => "8388608",
        "query_cache_size" if mariadb => "1048576",
        "query_cache_size" => "0",
        "query_cache_type" => "OFF",
        "aria_pagecache_buffer_size" if mariadb => "134217728",
        "aria_pagecache_buffer_size" => "0",
        "read_buffer_size" => "131072",
        "read_rnd_buffer_size" => "262144",
        "sort_buffer_size" if mariadb => "2097152",
        "sort_buffer_size" => "262144",
        "join_buffer_size" => "262144",
        "thread_stack" if mariadb => "299008",
        "thread_stack" => "1048576",
        "binlog_cache_size" => "32768",
        "tmp_table_size" | "max_heap_table_size" => "16777216",
        "max_connections" => "151",
        "table_open_cache" if mariadb => "2000",
        "table_open_cache" => "4000",
        "innodb_flush_log_at_trx_commit" => "1",
        "innodb_flush_method" if mariadb || mysql84 => "O_DIRECT",
        "innodb_flush_method" => "fsync",
        "slow_query_log" => "OFF",
        "long_query_time" => "10",
        "skip_name_resolve" => "OFF",
        "character_set_server" if mariadb && !mariadb_116 => "latin1",
        "character_set_server" => "utf8mb4",
        "collation_server" if mariadb && !mariadb_116 => "latin1_swedish_ci",
        "collation_server" if mariadb => "utf8mb4_uca1400_ai_ci",
        "collation_server" => "utf8mb4_0900_ai_ci",
        "log_bin" if mariadb => "OFF",
        "log_bin" => "ON",
        "binlog_expire_logs_seconds" if mariadb => "0",
        "binlog_expire_logs_seconds" => "2592000",
        "expire_logs_days" => "0",
        "binlog_expire_logs_auto_purge" => "ON",
        "sync_binlog" if mariadb => "0",
        "sync_binlog" => "1",
        "innodb_redo_log_capacity" => "104857600",
        "innodb_log_file_size" if mariadb => "100663296",
        "innodb_log_file_size" => "50331648",
        "innodb_log_files_in_group" => "2",
        "innodb_dedicated_server" => "OFF",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_of_both_flavours() {
        assert_eq!(Version::parse("8.0.30"), Some(Version::new(8, 0, 30)));
        assert_eq!(
            Version::parse("10.11.6-MariaDB-0+deb12u1-log"),
            Some(Version::new(10, 11, 6))
        );
        assert_eq!(
            Version::parse("5.5.5-10.8.4-MariaDB"),
            Some(Version::new(10, 8, 4))
        );
        assert_eq!(Version::parse("8.4"), Some(Version::new(8, 4, 0)));
        assert_eq!(Version::parse("MariaDB"), None);
    }
}
