//! MySQL and MariaDB: option files, SHOW GLOBAL STATUS and VARIABLES, the
//! statement workload exports and the slow log, and the rules that judge
//! them (catalogue §3, the m.mysql.* rules of §7, and db.no_index_share).
//!
//! # Formats
//!
//! - **Option files** (`my.cnf`, `*.cnf`): `[group]` headers, then
//!   `name`, `name = value` lines; `#` and `;` comment lines; `!include
//!   file` and `!includedir folder` (the folder's `*.cnf` files). Reference:
//!   MySQL "Using Option Files" and "Command-Line Option Modifiers",
//!   MariaDB "Configuring MariaDB with Option Files", and mysys
//!   `my_default.cc`.
//! - **SHOW GLOBAL STATUS / VARIABLES**: `mysql -B` output (`name<TAB>value`,
//!   with or without the `Variable_name  Value` header, values escaped), or
//!   the client's box table (`+---+` borders, `| name | value |` rows, any
//!   padding; a value with line breaks continues on the next lines; the
//!   prompt and `N rows in set` lines of a terminal copy are skipped).
//!   Which of the two a dump is follows from its names (`Uptime`,
//!   `Questions`… or `version`, `innodb_buffer_pool_size`…).
//! - **Workload**: `events_statements_summary_by_digest` and
//!   `events_statements_histogram_global` exported with `mysql -B` (header
//!   of column names; columns found by name, so any server version's column
//!   set works), and the slow query log of either flavour (see
//!   [`workload`]).
//!
//! # my.cnf pitfalls handled (catalogue §8)
//!
//! - Only the groups the server reads count: `[mysqld]`, `[server]`,
//!   version-suffixed `[mysqld-8.0]`; for MariaDB also `[mariadb]`,
//!   `[mariadbd]`, `[mariadb-10.11]`, `[galera]` and `[client-server]`.
//!   `[client]`, `[mysql]`, `[mysqldump]`, `[mysqld_safe]`… are kept but
//!   do not affect the server.
//! - `!include` and `!includedir` are resolved inside the upload (an
//!   absolute server path matches the upload's file with the same ending).
//!   An `!include` of a file that is not in the upload, or any include that
//!   climbs out of the upload with `..`, is an error naming file, line and
//!   directive. An `!includedir` that matches no `.cnf` file is not: an
//!   empty folder is normal (the official images ship an empty `conf.d`);
//!   mysql.unknown_option says that its options, if any, were not checked.
//!   Include cycles and nesting deeper than 10 are errors.
//! - Several option files are read in the servers' search order
//!   (/etc/my.cnf, /etc/mysql/my.cnf, other my.cnf, the rest by name,
//!   ~/.my.cnf); the last value of an option wins. `!includedir` files are
//!   read in name order (the server promises no order).
//! - `-` and `_` are the same in option names; names are compared in lower
//!   case. Prefixes: `loose-` (an unknown option is only a warning),
//!   `skip-`/`disable-` (off), `enable-` (on), `maximum-` (the ceiling for
//!   SET, not the value). A name that is an option itself
//!   (`skip-name-resolve`) is not read as a prefix.
//! - A bare name means ON. Booleans are ON/OFF/TRUE/FALSE/1/0.
//! - Values may be single- or double-quoted; the escapes `\n \t \r \b \s
//!   \" \' \\` are resolved anywhere in the value and other backslashes are
//!   kept (Windows paths). A `#` outside quotes starts a comment, also after
//!   a value; a `;` only at the start of a line.
//! - Sizes take K/M/G/T/P/E suffixes, powers of 1024, either case.
//! - An option before any group, a group header without `]`, an unknown
//!   `!` directive, and a value that opens a quote it never closes are
//!   errors with file and line (the file is most likely cut).
//! - An option the server does not know is not an upload error but the
//!   critical finding mysql.unknown_option, because the server would not
//!   start. The known options are a curated list (see [`options`]): the
//!   options of MySQL 8.0/8.4 and MariaDB 10.6–11.x that production files
//!   commonly carry, what each flavour removed, and plugin families whose
//!   options are accepted unchecked.
//!
//! # Effective values
//!
//! A rule reads a setting from SHOW GLOBAL VARIABLES when uploaded (the
//! running value, which takes precedence over the option files, and the
//! finding says so), else from the option files, else the documented
//! default for the detected flavour and version (MySQL 8.0 when nothing
//! says), recorded in the finding as assumed. The flavour comes from the
//! `version` variable, else from MariaDB-only groups and options, else from
//! MariaDB's Aria status counters.

mod cnf;
pub mod options;
mod rules;
mod server;
mod values;
pub mod workload;

pub use cnf::{CnfOption, IncludeDir, MyCnf, Prefix, reads_group};
pub use rules::rules;
pub use server::{
    Flavour, Mysql, PerThread, ServerInfo, Source as ValueSource, Value, Version, parse_size,
    server_info, view,
};
pub use values::{GlobalValue, GlobalValues};
pub use workload::{
    DigestExport, DigestRow, Figure, HistogramBucket, HistogramExport, SlowEntry, Workload,
    db_p95_ms, digest_statements, no_index_share, queries_per_request,
};

use super::{Bundle, Kind, Stack};
use crate::error::ParseError;
use crate::input::Source;

/// What kind of MySQL or MariaDB evidence a file is, from its first bytes:
/// a `mysql -B` export by its header, a STATUS or VARIABLES dump by its
/// names, a slow log by its `#` lines or banner, an option file by its
/// program groups or include lines. Nothing else is claimed.
pub fn sniff(name: &str, head: &[u8]) -> Option<Kind> {
    let text = String::from_utf8_lossy(head);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if let Some(kind) = workload::sniff_export(text) {
        return Some(kind);
    }
    if let Some(kind) = values::sniff(text) {
        return Some(kind);
    }
    if workload::sniff_slow(name, text) {
        return Some(Kind::SlowLog);
    }
    if cnf::looks_like(text) {
        return Some(Kind::MyCnf);
    }
    None
}

/// Reads one file into the stack and returns the files read (an option
/// file's includes with it). The first option file read brings every
/// option file of the upload with it, in the servers' order.
pub fn load(
    kind: Kind,
    source: &dyn Source,
    bundle: &Bundle<'_>,
    stack: &mut Stack,
) -> Result<Vec<String>, ParseError> {
    let name = source.name().to_owned();
    match kind {
        Kind::MyCnf => cnf::load_all(source, bundle, stack),
        Kind::MysqlStatus => {
            let values = values::parse(source)?;
            values::add(kind, &mut stack.mysql_status, values);
            Ok(vec![name])
        }
        Kind::MysqlVariables => {
            let values = values::parse(source)?;
            values::add(kind, &mut stack.mysql_variables, values);
            Ok(vec![name])
        }
        Kind::StatementDigest => {
            let export = workload::parse_digest(source)?;
            stack.workload.digests.push(export);
            Ok(vec![name])
        }
        Kind::StatementHistogram => {
            let export = workload::parse_histogram(source)?;
            stack.workload.histograms.push(export);
            Ok(vec![name])
        }
        Kind::SlowLog => {
            workload::parse_slow_log(source, &mut stack.workload.slow_log)?;
            stack.workload.slow_log_files.push(name.clone());
            Ok(vec![name])
        }
        other => Err(ParseError::new(
            "a MySQL or MariaDB file (option file, status or variables dump, workload export)",
            format!("a {other}"),
        )
        .in_file(&name)),
    }
}
