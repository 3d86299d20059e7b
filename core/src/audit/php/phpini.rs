//! php.ini and its conf.d fragments: the settings PHP ends up with after
//! reading them in order, and typed accessors for what rules read.

use super::ini::{self, EnvUse, Line, Quantity};
use super::{EnvRef, Note, line_text};
use crate::audit::model::{Origin, Resolved, Setting, Settings};
use crate::error::ParseError;
use crate::input::{Lines, MAX_LINE_BYTES, Source};

/// Which requests a `[HOST=…]` or `[PATH=…]` section applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Host,
    Path,
}

/// The settings of one `[HOST=…]`/`[PATH=…]` section. They apply only to
/// requests for that host or below that path (CGI/FPM only), so they are
/// kept apart from the settings every request gets.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedSection {
    pub kind: ScopeKind,
    pub name: String,
    pub origin: Origin,
    pub settings: Settings,
}

/// Every php.ini and conf.d fragment of an upload, merged in PHP's load
/// order (php.ini, then the scan directory in name order): for each key the
/// last assignment wins, except `extension` and `zend_extension`, which
/// accumulate (read them with [`PhpIni::extensions`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhpIni {
    /// Settings outside `[HOST=]`/`[PATH=]` sections, in load order; values
    /// as PHP stores them (booleans `"1"`/`""`, expressions evaluated).
    pub settings: Settings,
    pub scoped: Vec<ScopedSection>,
    /// Values that referred to environment variables.
    pub env_refs: Vec<EnvRef>,
    /// What the parser noticed and PHP would silently accept.
    pub notes: Vec<Note>,
    /// The files read, in load order.
    pub files: Vec<String>,
    /// Whether a main php.ini (not only conf.d fragments) was read: unset
    /// values are then truly at PHP's defaults.
    pub has_main: bool,
}

/// What `opcache.jit` asks for, as `zend_jit_config` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JitMode {
    /// `disable`: JIT cannot be turned on at runtime, and no buffer is used.
    Disable,
    /// `off`, `0`, `no`, `false` or empty: off, though the buffer is still
    /// reserved when its size is non-zero.
    Off,
    /// `tracing`, `on`, `1`, `yes`, `true`.
    Tracing,
    Function,
    /// Four CRTO digits.
    Digits(String),
    Invalid(String),
}

impl JitMode {
    pub fn parse(value: &str) -> JitMode {
        let v = value.trim().to_ascii_lowercase();
        match v.as_str() {
            "disable" => JitMode::Disable,
            "" | "0" | "off" | "no" | "false" => JitMode::Off,
            "1" | "on" | "yes" | "true" | "tracing" => JitMode::Tracing,
            "function" => JitMode::Function,
            d if d.len() == 4 && d.chars().all(|c| c.is_ascii_digit()) => {
                // The last digit is the optimisation level; 0 compiles nothing.
                if d.ends_with('0') {
                    JitMode::Off
                } else {
                    JitMode::Digits(d.to_owned())
                }
            }
            _ => JitMode::Invalid(value.trim().to_owned()),
        }
    }

    /// Whether the mode compiles code (given a buffer).
    pub fn compiles(&self) -> bool {
        matches!(
            self,
            JitMode::Tracing | JitMode::Function | JitMode::Digits(_)
        )
    }
}

/// The table sizes OPcache rounds `opcache.max_accelerated_files` up to
/// (`zend_accel_hash.c`).
const PRIMES: [u64; 13] = [
    223, 463, 983, 1979, 3907, 7963, 16229, 32531, 65407, 130987, 262237, 524521, 1048793,
];

/// The number of key slots OPcache allocates for a configured
/// `opcache.max_accelerated_files`: clamped to 200…1 000 000, then rounded
/// up to the next prime of its table.
pub fn hash_slots(configured: i64) -> u64 {
    let clamped = configured.clamp(200, 1_000_000).unsigned_abs();
    PRIMES
        .iter()
        .copied()
        .find(|p| *p >= clamped)
        .unwrap_or(1_048_793)
}

impl PhpIni {
    /// The effective setting of a key for every request.
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.settings.get(key)
    }

    pub fn value(&self, key: &str) -> Option<&str> {
        self.settings.value(key)
    }

    /// Every `extension=` line, in load order.
    pub fn extensions(&self) -> Vec<&Setting> {
        self.settings.all("extension").collect()
    }

    /// Every `zend_extension=` line, in load order.
    pub fn zend_extensions(&self) -> Vec<&Setting> {
        self.settings.all("zend_extension").collect()
    }

    /// Whether a `zend_extension=` line loads OPcache (`opcache`,
    /// `opcache.so`, a full path, or `php_opcache.dll`).
    pub fn opcache_loaded_by(&self) -> Option<&Setting> {
        self.settings
            .all("zend_extension")
            .find(|s| extension_named(&s.value, "opcache"))
    }

    /// The environment variable a setting's value came from, if any.
    pub fn env_ref(&self, setting: &Setting) -> Option<&EnvRef> {
        self.env_refs
            .iter()
            .find(|e| e.origin == setting.origin && e.key == setting.key)
    }

    fn size(&self, key: &str, default: u64) -> Resolved<u64> {
        match self.get(key) {
            Some(s) => Resolved::set(
                ini::quantity(&s.value).value.max(0).unsigned_abs(),
                &s.origin,
            ),
            None => Resolved::default(default),
        }
    }

    fn integer(&self, key: &str, default: i64) -> Resolved<i64> {
        match self.get(key) {
            Some(s) => Resolved::set(ini::leading_integer(&s.value).unwrap_or(0), &s.origin),
            None => Resolved::default(default),
        }
    }

    fn flag(&self, key: &str, default: bool) -> Resolved<bool> {
        match self.get(key) {
            Some(s) => Resolved::set(ini::php_bool(&s.value), &s.origin),
            None => Resolved::default(default),
        }
    }

    /// `memory_limit` in bytes; `None` means unlimited (any negative value).
    /// Default 128M (php-ini-core). A pool may override it: see
    /// [`super::FpmPool::memory_limit`].
    pub fn memory_limit(&self) -> Resolved<Option<u64>> {
        match self.get("memory_limit") {
            Some(s) => Resolved::set(memory_limit_value(&s.value), &s.origin),
            None => Resolved::default(Some(128 << 20)),
        }
    }

    /// `opcache.enable`; default 1 (php-opc).
    pub fn opcache_enable(&self) -> Resolved<bool> {
        self.flag("opcache.enable", true)
    }

    /// `opcache.memory_consumption` in bytes: megabytes as written, at least
    /// 8; default 128 (php-opc).
    pub fn opcache_memory_consumption(&self) -> Resolved<u64> {
        let r = self.integer("opcache.memory_consumption", 128);
        Resolved {
            value: r.value.max(8).unsigned_abs() << 20,
            origin: r.origin,
        }
    }

    /// `opcache.interned_strings_buffer` in bytes (megabytes as written);
    /// default 8 (php-opc).
    pub fn opcache_interned_strings_buffer(&self) -> Resolved<u64> {
        let r = self.integer("opcache.interned_strings_buffer", 8);
        Resolved {
            value: r.value.max(0).unsigned_abs() << 20,
            origin: r.origin,
        }
    }

    /// `opcache.max_accelerated_files` as configured; default 10000
    /// (php-opc). [`hash_slots`] gives the table size OPcache allocates.
    pub fn opcache_max_accelerated_files(&self) -> Resolved<i64> {
        self.integer("opcache.max_accelerated_files", 10_000)
    }

    /// `opcache.validate_timestamps`; default 1 (php-opc).
    pub fn opcache_validate_timestamps(&self) -> Resolved<bool> {
        self.flag("opcache.validate_timestamps", true)
    }

    /// `opcache.revalidate_freq` in seconds; default 2 (php-opc).
    pub fn opcache_revalidate_freq(&self) -> Resolved<i64> {
        self.integer("opcache.revalidate_freq", 2)
    }

    /// `opcache.max_wasted_percentage`; default 5 (php-opc).
    pub fn opcache_max_wasted_percentage(&self) -> Resolved<i64> {
        self.integer("opcache.max_wasted_percentage", 5)
    }

    /// `opcache.jit`. The default depends on the version: `tracing` up to
    /// PHP 8.3 (with a zero buffer, so JIT is off), `disable` from 8.4
    /// (php-rfc-jit). The version is unknown here, so an unset value reads
    /// as `disable`: JIT is off by default on every version.
    pub fn opcache_jit(&self) -> Resolved<JitMode> {
        match self.get("opcache.jit") {
            Some(s) => Resolved::set(JitMode::parse(&s.value), &s.origin),
            None => Resolved::default(JitMode::Disable),
        }
    }

    /// `opcache.jit_buffer_size` in bytes. Default 0 up to PHP 8.3 and 64M
    /// from 8.4 (php-rfc-jit); the version is unknown here, so the older
    /// default, 0, is returned (rules say which they assumed).
    pub fn opcache_jit_buffer_size(&self) -> Resolved<u64> {
        self.size("opcache.jit_buffer_size", 0)
    }

    /// `upload_max_filesize` in bytes; default 2M (php-ini-core).
    pub fn upload_max_filesize(&self) -> Resolved<u64> {
        self.size("upload_max_filesize", 2 << 20)
    }

    /// `post_max_size` in bytes (0 disables the limit); default 8M
    /// (php-ini-core).
    pub fn post_max_size(&self) -> Resolved<u64> {
        self.size("post_max_size", 8 << 20)
    }

    /// `max_execution_time` in seconds (0 = no limit); default 30
    /// (php-info; the CLI forces 0).
    pub fn max_execution_time(&self) -> Resolved<i64> {
        self.integer("max_execution_time", 30)
    }

    /// `realpath_cache_size` in bytes; default 4096K since PHP 7.0.16/7.1.2
    /// (php-ini-core).
    pub fn realpath_cache_size(&self) -> Resolved<u64> {
        self.size("realpath_cache_size", 4096 << 10)
    }

    /// `realpath_cache_ttl` in seconds; default 120 (php-ini-core).
    pub fn realpath_cache_ttl(&self) -> Resolved<i64> {
        self.integer("realpath_cache_ttl", 120)
    }
}

/// A `memory_limit` value: bytes, or `None` for unlimited.
pub fn memory_limit_value(value: &str) -> Option<u64> {
    let q = ini::quantity(value);
    (q.value >= 0).then_some(q.value.unsigned_abs())
}

/// Whether an `extension=`/`zend_extension=` value loads the named
/// extension: `name`, `name.so`, `php_name.dll` or a path ending in one.
pub fn extension_named(value: &str, name: &str) -> bool {
    let base = value
        .trim()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let base = base.strip_prefix("php_").unwrap_or(&base);
    let stem = base
        .strip_suffix(".so")
        .or_else(|| base.strip_suffix(".dll"))
        .unwrap_or(base);
    stem == name
}

/// Whether a file is a main php.ini rather than a conf.d fragment: named
/// `php.ini…`, or holding the `[PHP]` section every shipped php.ini opens
/// with.
pub fn is_main_ini(name: &str, head: &[u8]) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.starts_with("php.ini")
        || String::from_utf8_lossy(head)
            .lines()
            .any(|l| l.trim().eq_ignore_ascii_case("[PHP]"))
}

/// Reads one php.ini file into `ini`.
pub fn parse_file(source: &dyn Source, ini: &mut PhpIni) -> Result<(), ParseError> {
    let file = source.name().to_owned();
    let mut lines = Lines::new(source)?;
    let mut scope: Option<usize> = None;
    // A quoted value that runs over several lines: its start and text.
    let mut pending: Option<(u64, String, String)> = None;
    while let Some((number, bytes)) = lines.next_numbered()? {
        let text = line_text(&file, number, bytes)?;
        if let Some((start, key, mut value)) = pending.take() {
            value.push('\n');
            value.push_str(&text);
            if value.len() > MAX_LINE_BYTES {
                return Err(ParseError::new(
                    format!(
                        "a quoted value of at most {} MiB for `{key}`",
                        MAX_LINE_BYTES >> 20
                    ),
                    "a longer one (is a closing quote missing?)",
                )
                .in_file(&file)
                .at_line(start, None));
            }
            if ini::open_quote(&value) {
                pending = Some((start, key, value));
            } else {
                add_entry(ini, scope, &file, start, &key, &value)?;
            }
            continue;
        }
        let line = ini::split_line(&text).map_err(|found| {
            ParseError::new(
                "a php.ini line (`key = value`, `[section]` or a `;` comment)",
                found,
            )
            .in_file(&file)
            .at_line(number, None)
        })?;
        match line {
            Line::Blank => {}
            Line::Hash(_) => ini.notes.push(Note {
                origin: Origin::new(&file, number),
                message: "starts with `#`, which is not a comment since PHP 7.0: PHP reads the \
                          line as a directive name that matches nothing, so it sets nothing; use `;`"
                    .to_owned(),
            }),
            Line::Section(name) => {
                scope = open_section(ini, name, &file, number);
            }
            Line::Bare(label) => ini.notes.push(Note {
                origin: Origin::new(&file, number),
                message: format!(
                    "`{}` has no `=`, so PHP ignores it",
                    ini::clip(label)
                ),
            }),
            Line::Entry { key, offset, value } => {
                let key = match offset {
                    Some(offset) => format!("{key}[{offset}]"),
                    None => key.to_owned(),
                };
                if ini::open_quote(value) {
                    pending = Some((number, key, value.to_owned()));
                } else {
                    add_entry(ini, scope, &file, number, &key, value)?;
                }
            }
        }
    }
    if let Some((start, key, _)) = pending {
        return Err(ParseError::new(
            format!("the closing quote of the value of `{key}`"),
            "the end of the file (is it cut short?)",
        )
        .in_file(&file)
        .at_line(start, None));
    }
    if !ini.files.contains(&file) {
        ini.files.push(file);
    }
    Ok(())
}

/// `[HOST=…]` and `[PATH=…]` open a scoped section; any other header (such
/// as `[PHP]` or `[opcache]`) is only a heading and ends a scoped section.
fn open_section(ini: &mut PhpIni, name: &str, file: &str, line: u64) -> Option<usize> {
    let (kind, target) = if let Some(host) = strip_prefix_ci(name, "HOST=") {
        (ScopeKind::Host, host)
    } else if let Some(path) = strip_prefix_ci(name, "PATH=") {
        (ScopeKind::Path, path)
    } else {
        return None;
    };
    let target = target.trim().trim_matches('"').to_owned();
    if let Some(i) = ini
        .scoped
        .iter()
        .position(|s| s.kind == kind && s.name == target)
    {
        return Some(i);
    }
    ini.scoped.push(ScopedSection {
        kind,
        name: target,
        origin: Origin::new(file, line),
        settings: Settings::new(),
    });
    Some(ini.scoped.len() - 1)
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

fn add_entry(
    ini: &mut PhpIni,
    scope: Option<usize>,
    file: &str,
    line: u64,
    key: &str,
    value: &str,
) -> Result<(), ParseError> {
    let lexed = ini::lex_value(value).map_err(|found| {
        ParseError::new(format!("a value PHP can read for `{key}`"), found)
            .in_file(file)
            .at_line(line, None)
    })?;
    let origin = Origin::new(file, line);
    if !lexed.env.is_empty() {
        ini.env_refs.push(EnvRef {
            key: key.to_owned(),
            origin: origin.clone(),
            written: lexed.written.clone(),
            variables: lexed.env.iter().map(EnvUse::describe).collect(),
        });
    }
    if let Some(note) = size_note(key, &lexed.value) {
        ini.notes.push(Note {
            origin: origin.clone(),
            message: note,
        });
    }
    let target = match scope.and_then(|i| ini.scoped.get_mut(i)) {
        Some(section) => &mut section.settings,
        None => &mut ini.settings,
    };
    target.push(key, lexed.value, origin);
    Ok(())
}

/// The size directives rules read, checked for text PHP only half
/// understands (`128MB` is 128 bytes).
fn size_note(key: &str, value: &str) -> Option<String> {
    const SIZES: [&str; 5] = [
        "memory_limit",
        "post_max_size",
        "upload_max_filesize",
        "realpath_cache_size",
        "opcache.jit_buffer_size",
    ];
    if !SIZES.contains(&key) {
        return None;
    }
    let Quantity {
        value: bytes,
        valid,
    } = ini::quantity(value);
    (!valid).then(|| {
        format!(
            "`{key} = {}` is not a size PHP accepts (digits and one of K, M, G); PHP reads it as \
             {bytes} bytes",
            ini::clip(value)
        )
    })
}
