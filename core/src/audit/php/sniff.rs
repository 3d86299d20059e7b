//! Recognising PHP's files from their first bytes. These sniffers run before
//! every other domain's, so each asks for a mark no other format has: PHP
//! directive names (not `[mysqld]` groups) for php.ini, `pm`/`listen`
//! directives or FPM's `[global]` options for php-fpm, and the key names of
//! the two status dumps.

use super::fpm;
use crate::audit::Kind;

pub fn sniff(name: &str, head: &[u8]) -> Option<Kind> {
    let text = String::from_utf8_lossy(head);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return sniff_json(trimmed);
    }
    if is_fpm_status_text(trimmed) {
        return Some(Kind::FpmStatus);
    }
    if is_fpm_conf(text) {
        return Some(Kind::FpmConf);
    }
    if is_php_ini(name, text) {
        return Some(Kind::PhpIni);
    }
    None
}

/// Whether `"key"` appears as a JSON key (followed by a colon).
fn has_key(text: &str, key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    text.match_indices(&quoted).any(|(at, _)| {
        text.get(at + quoted.len()..)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
}

fn sniff_json(text: &str) -> Option<Kind> {
    if has_key(text, "opcache_enabled") || has_key(text, "opcache_statistics") {
        return Some(Kind::OpcacheStatus);
    }
    if has_key(text, "pool") && has_key(text, "process manager") {
        return Some(Kind::FpmStatus);
    }
    None
}

/// The plain-text status page opens with `pool:` and `process manager:`.
fn is_fpm_status_text(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let second = lines.next().unwrap_or("");
    first.starts_with("pool:") && second.starts_with("process manager:")
}

/// INI `key = value` lines, names trimmed; comments and sections skipped.
fn ini_keys(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|line| {
        let line = line.trim();
        if line.starts_with([';', '#', '[']) {
            return None;
        }
        let (key, _) = line.split_once('=')?;
        let key = key.trim();
        key.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']'))
            .then_some(key)
            .filter(|k| !k.is_empty())
    })
}

fn sections(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines().filter_map(|line| {
        let inner = line.trim().strip_prefix('[')?;
        let (name, _) = inner.split_once(']')?;
        Some(name.trim().to_ascii_lowercase())
    })
}

fn is_fpm_conf(text: &str) -> bool {
    let pool_mark = ini_keys(text).any(|key| {
        let key = key.to_ascii_lowercase();
        key == "pm"
            || key == "listen"
            || (key.starts_with("pm.") && fpm::is_pool_directive(&key))
            || (key.starts_with("listen.") && fpm::is_pool_directive(&key))
            || [
                "php_value[",
                "php_admin_value[",
                "php_flag[",
                "php_admin_flag[",
                "env[",
            ]
            .iter()
            .any(|p| key.starts_with(p))
    });
    if pool_mark {
        return true;
    }
    // php-fpm.conf: `[global]` with an option only FPM has there.
    sections(text).any(|s| s == "global")
        && ini_keys(text).any(|key| {
            let key = key.to_ascii_lowercase();
            key == "include" || (fpm::is_global_directive(&key) && key != "error_log")
        })
}

/// Group names of MySQL and MariaDB option files: a file with one of them
/// is a my.cnf, whatever else it holds.
fn is_mysql_group(name: &str) -> bool {
    let name = name.trim();
    [
        "mysqld",
        "mysql",
        "client",
        "server",
        "mariadb",
        "mariadbd",
        "galera",
        "mysqldump",
        "mysqld_safe",
        "mysqladmin",
        "embedded",
        "client-server",
        "client-mariadb",
        "mysqld_multi",
        "mysqlhotcopy",
        "myisamchk",
        "xtrabackup",
    ]
    .contains(&name)
        || name.starts_with("mysqld-")
        || name.starts_with("mariadb-")
        || name.starts_with("mysqld_")
}

/// Directive names PHP itself or its common extensions define.
const PHP_DIRECTIVES: &[&str] = &[
    "engine",
    "short_open_tag",
    "precision",
    "output_buffering",
    "output_handler",
    "implicit_flush",
    "serialize_precision",
    "disable_functions",
    "disable_classes",
    "expose_php",
    "max_execution_time",
    "max_input_time",
    "memory_limit",
    "error_reporting",
    "display_errors",
    "display_startup_errors",
    "log_errors",
    "html_errors",
    "error_log",
    "variables_order",
    "request_order",
    "register_argc_argv",
    "auto_globals_jit",
    "post_max_size",
    "auto_prepend_file",
    "auto_append_file",
    "default_mimetype",
    "default_charset",
    "include_path",
    "doc_root",
    "user_dir",
    "extension_dir",
    "extension",
    "zend_extension",
    "enable_dl",
    "file_uploads",
    "upload_tmp_dir",
    "upload_max_filesize",
    "max_file_uploads",
    "allow_url_fopen",
    "allow_url_include",
    "default_socket_timeout",
    "open_basedir",
    "sys_temp_dir",
    "sendmail_path",
    "smtp_port",
    "user_agent",
    "ignore_user_abort",
    "unserialize_callback_func",
    "ignore_repeated_errors",
];

const PHP_PREFIXES: &[&str] = &[
    "opcache.",
    "session.",
    "date.",
    "mbstring.",
    "xdebug.",
    "apc.",
    "pdo_mysql.",
    "mysqli.",
    "mysqlnd.",
    "zend.",
    "pcre.",
    "intl.",
    "zlib.",
    "assert.",
    "soap.",
    "mail.",
    "cli_server.",
    "phar.",
    "realpath_cache_",
    "max_input_",
    "ffi.",
    "curl.",
    "openssl.",
    "cgi.",
    "pgsql.",
    "odbc.",
    "bcmath.",
    "sqlite3.",
    "iconv.",
    "exif.",
    "igbinary.",
    "redis.",
];

fn is_php_directive(key: &str) -> bool {
    let base = key.split('[').next().unwrap_or(key);
    PHP_DIRECTIVES.contains(&base) || PHP_PREFIXES.iter().any(|p| base.starts_with(p))
}

fn is_php_ini(name: &str, text: &str) -> bool {
    if sections(text).any(|s| is_mysql_group(&s)) {
        return false;
    }
    if text.lines().any(|l| l.trim_start().starts_with("!include")) {
        return false;
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    let named = base.starts_with("php.ini") || base.ends_with(".ini");
    let keys = ini_keys(text).filter(|k| is_php_directive(k)).count();
    // A file named like an ini needs one PHP directive; any other name
    // needs two, so a stray `error_log =` in some other INI is not enough.
    keys >= if named { 1 } else { 2 }
}
