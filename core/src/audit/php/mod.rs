//! php.ini and php-fpm configurations, OPcache and FPM status dumps, and
//! the php.*, fpm.*, m.opcache.* and m.fpm.* rules of the catalogue.
//!
//! # Formats
//!
//! - **php.ini** and its conf.d fragments: PHP's INI syntax (`key = value`
//!   lines, `;` comments, `[section]` headings). PHP reads php.ini, then
//!   every file of its scan directory in name order; for each key the last
//!   assignment wins, except `extension=` and `zend_extension=`, which
//!   accumulate. An upload may hold several: files named `php.ini…` or
//!   holding the `[PHP]` heading are read first (in name order), then the
//!   fragments in name order.
//! - **php-fpm**: the same INI syntax, read one line at a time by FPM:
//!   `[global]`, then one section per pool; `include=` takes a glob.
//! - **`opcache_get_status()`** encoded with `json_encode` (the array shape
//!   of the PHP manual: `opcache_enabled`, `memory_usage`,
//!   `interned_strings_usage`, `opcache_statistics`, optional `scripts` and
//!   `jit`).
//! - **php-fpm status**: `?json`, `?json&full` and the plain-text page
//!   (`pool:`, `process manager:` … lines; with `full`, one block per child
//!   after a line of asterisks).
//!
//! # Pitfalls handled (AUDIT-RULES §8)
//!
//! - `;` starts a comment, also after a value. `#` has not been a comment
//!   since PHP 7.0: in php.ini such a line is read as a directive name that
//!   matches nothing (it sets nothing, and is noted); FPM refuses it, so in
//!   a php-fpm file it is a parse error naming the line.
//! - Section headings carry no scope except `[HOST=…]` and `[PATH=…]`,
//!   whose settings are kept apart from the ones every request gets.
//! - Values may be bare, `"double-quoted"` (with `\"`, `\\`, `\$` escapes
//!   and `${ENV}` expansion; php.ini lets them run over several lines,
//!   php-fpm does not) or `'single-quoted'` (raw).
//! - `${NAME}` and `${NAME:-default}` (PHP 8.3) are resolved with the
//!   default, or the empty string PHP gives an unset variable, and recorded
//!   so rules say which environment they assumed.
//! - Bare booleans become `"1"` (on/yes/true) or `""` (off/no/false/none,
//!   null), as PHP stores them; quoted ones stay text.
//! - Constants and `| & ^ ~ !` expressions with parentheses are evaluated
//!   to the integer PHP stores (`E_ALL & ~E_DEPRECATED` → 24575).
//! - Sizes follow `zend_ini_parse_quantity`: K, M, G (any case, powers of
//!   1024) taken from the last character, `-1` unlimited; `128MB` is noted
//!   as invalid and read as PHP reads it (128 bytes).
//! - php-fpm: reopening a pool continues it; `include=` globs are resolved
//!   inside the uploaded bundle (in name order; one that matches nothing or
//!   leads outside the bundle is an error asking for the included files),
//!   with FPM's current section carried across included files; `$pool`
//!   expands in string values; times take `s`, `m`, `h`, `d`; booleans must
//!   be yes/no-like; `php_value[…]`, `php_admin_value[…]`, `php_flag[…]`,
//!   `php_admin_flag[…]` and `env[…]` are arrays; an unknown directive or a
//!   line without `=` is an error naming file and line (FPM will not start
//!   on either); duplicates are kept and can be listed.
//! - The effective PHP value of a pool: its `php_admin_value`, else its
//!   `php_value`, else php.ini (admin values are applied last by FPM).
//! - A UTF-8 byte-order mark and CRLF line ends are ignored; a NUL byte is
//!   an error naming the line; every value keeps its file and line.
//!
//! Not handled: `.user.ini` files (PERDIR overrides), the XML and HTML
//! forms of the status page, and PHP versions: where a default changed
//! (JIT in 8.4), rules say which one they assumed.

pub mod fpm;
pub mod ini;
pub mod phpini;
mod rules;
mod sniff;
pub mod status;

pub use fpm::{FpmConfig, FpmPool, Pm, PoolIni};
pub use phpini::{JitMode, PhpIni, ScopeKind, ScopedSection, hash_slots};
pub use status::{Counter, FpmProcess, FpmSample, FpmStatus, OpcacheSample, OpcacheStatus};

use super::model::Origin;
use super::{Bundle, Kind, Rule, Stack};
use crate::error::ParseError;
use crate::input::{Source, head};

/// Something a parser noticed that PHP or FPM accepts silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub origin: Origin,
    pub message: String,
}

/// A value that referred to environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRef {
    pub key: String,
    pub origin: Origin,
    /// The value as written, e.g. `${PHP_MEMORY_LIMIT:-128M}`.
    pub written: String,
    /// Each variable with its default, as people read it.
    pub variables: Vec<String>,
}

/// Whether a file is one of PHP's, and which kind.
pub fn sniff(name: &str, head: &[u8]) -> Option<Kind> {
    sniff::sniff(name, head)
}

/// Parses a file into the stack and returns the names of every file read.
///
/// php.ini and php-fpm files are read as a set the first time one of them
/// comes: load order matters for both (php.ini before its conf.d fragments;
/// an FPM main file before the pool files it includes), and the upload's
/// order does not give it.
pub fn load(
    kind: Kind,
    source: &dyn Source,
    bundle: &Bundle<'_>,
    stack: &mut Stack,
) -> Result<Vec<String>, ParseError> {
    match kind {
        Kind::PhpIni => load_php_ini(source, bundle, stack),
        Kind::FpmConf => load_fpm(source, bundle, stack),
        Kind::OpcacheStatus => {
            let sample = status::parse_opcache(source)?;
            stack
                .opcache_status
                .get_or_insert_with(OpcacheStatus::default)
                .samples
                .push(sample);
            Ok(vec![source.name().to_owned()])
        }
        Kind::FpmStatus => {
            let sample = status::parse_fpm(source)?;
            stack
                .fpm_status
                .get_or_insert_with(FpmStatus::default)
                .samples
                .push(sample);
            Ok(vec![source.name().to_owned()])
        }
        other => Err(ParseError::new(
            "a PHP file (php.ini, php-fpm, opcache_get_status() or php-fpm status)",
            format!("a {other}"),
        )
        .in_file(source.name())),
    }
}

/// The files of the bundle this module recognises as `kind`, with their
/// first bytes.
fn bundle_files<'a>(bundle: &Bundle<'a>, kind: Kind) -> Vec<(&'a dyn Source, Vec<u8>)> {
    bundle
        .files()
        .iter()
        .filter_map(|f| {
            let head = head(*f).ok()?;
            (!head.contains(&0) && sniff(f.name(), &head) == Some(kind)).then_some((*f, head))
        })
        .collect()
}

fn load_php_ini(
    source: &dyn Source,
    bundle: &Bundle<'_>,
    stack: &mut Stack,
) -> Result<Vec<String>, ParseError> {
    if let Some(ini) = stack.php.as_mut() {
        phpini::parse_file(source, ini)?;
        return Ok(vec![source.name().to_owned()]);
    }
    let mut files = bundle_files(bundle, Kind::PhpIni);
    if !files.iter().any(|(f, _)| f.name() == source.name()) {
        files.push((source, Vec::new()));
    }
    // php.ini first, then the scan directory's fragments, each in name
    // order, as PHP reads them.
    files.sort_by(|(a, ah), (b, bh)| {
        let a_main = !phpini::is_main_ini(a.name(), ah);
        let b_main = !phpini::is_main_ini(b.name(), bh);
        (a_main, a.name()).cmp(&(b_main, b.name()))
    });
    let mut ini = PhpIni {
        has_main: files.iter().any(|(f, h)| phpini::is_main_ini(f.name(), h)),
        ..PhpIni::default()
    };
    for (file, _) in &files {
        phpini::parse_file(*file, &mut ini)?;
    }
    let read = ini.files.clone();
    stack.php = Some(ini);
    Ok(read)
}

fn load_fpm(
    source: &dyn Source,
    bundle: &Bundle<'_>,
    stack: &mut Stack,
) -> Result<Vec<String>, ParseError> {
    let already = stack.fpm.take();
    let first = already.is_none();
    let mut parser = fpm::Parser::new(bundle, already.unwrap_or_default());
    let before = parser.config.files.len();
    if first {
        let mut files = bundle_files(bundle, Kind::FpmConf);
        if !files.iter().any(|(f, _)| f.name() == source.name()) {
            files.push((source, Vec::new()));
        }
        // Main files first (those with `include=`, then those opening
        // `[global]`), so the pool files they include are read through them,
        // in their place; then the other files in name order, as an include
        // glob would read them.
        files.sort_by(|(a, ah), (b, bh)| (fpm_rank(ah), a.name()).cmp(&(fpm_rank(bh), b.name())));
        for (file, _) in files {
            if !parser.has_read(file.name()) {
                parser.parse(file)?;
            }
        }
        // A directive written twice in one pool is legal in current FPM
        // (older versions refused a second string value) but is usually a
        // leftover; say so where the values are listed.
        let duplicates = parser.config.duplicates();
        for (scope, key, origins) in duplicates {
            let places: Vec<String> = origins.iter().map(ToString::to_string).collect();
            let in_force = if key.contains(' ') {
                "FPM applies the first"
            } else {
                "the last is in force"
            };
            if let Some(last) = origins.last() {
                parser.config.notes.push(Note {
                    origin: last.clone(),
                    message: format!(
                        "`{key}` is set {} times in `{scope}` ({}); {in_force}",
                        origins.len(),
                        places.join(", ")
                    ),
                });
            }
        }
    } else {
        parser.parse(source)?;
    }
    let read = parser
        .config
        .files
        .get(before..)
        .unwrap_or_default()
        .to_vec();
    stack.fpm = Some(parser.config);
    Ok(read)
}

/// How much of a main file an FPM file is: 0 when it includes others (the
/// real php-fpm.conf), 1 when it only opens `[global]` (such as Docker's
/// zz-docker.conf, itself usually included), 2 for a pool file.
fn fpm_rank(head: &[u8]) -> u8 {
    let text = String::from_utf8_lossy(head);
    let includes = text.lines().any(|l| {
        l.trim()
            .split_once('=')
            .is_some_and(|(k, _)| k.trim() == "include")
    });
    if includes {
        0
    } else if text
        .lines()
        .any(|l| l.trim().eq_ignore_ascii_case("[global]"))
    {
        1
    } else {
        2
    }
}

/// One line's text: a NUL byte is refused (a binary file), a byte-order
/// mark on the first line is dropped, and invalid UTF-8 is replaced (it
/// appears in comments of old files and changes no setting).
fn line_text(file: &str, number: u64, bytes: &[u8]) -> Result<String, ParseError> {
    if bytes.contains(&0) {
        return Err(
            ParseError::new("a text configuration file", "binary data (a NUL byte)")
                .in_file(file)
                .at_line(number, None),
        );
    }
    let text = String::from_utf8_lossy(bytes);
    let text = if number == 1 {
        text.strip_prefix('\u{feff}').unwrap_or(&text)
    } else {
        &text
    };
    Ok(text.to_owned())
}

/// The rules of this domain.
pub fn rules() -> Vec<Rule> {
    rules::all()
}
