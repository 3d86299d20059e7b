//! php-fpm configurations: `[global]`, pools, `include=` resolved inside the
//! uploaded bundle, and typed accessors for what rules read.

use super::ini::{self, Line};
use super::phpini::{PhpIni, memory_limit_value};
use super::{EnvRef, Note, line_text};
use crate::audit::Bundle;
use crate::audit::model::{Origin, Resolved, Setting, Settings};
use crate::error::ParseError;
use crate::input::{Lines, Source};

/// The directives FPM accepts in `[global]` (`ini_fpm_global_options` of
/// `fpm_conf.c`, every build option included).
const GLOBAL_DIRECTIVES: &[&str] = &[
    "pid",
    "error_log",
    "syslog.ident",
    "syslog.facility",
    "log_buffering",
    "log_level",
    "log_limit",
    "emergency_restart_threshold",
    "emergency_restart_interval",
    "process_control_timeout",
    "process.max",
    "process.priority",
    "daemonize",
    "rlimit_files",
    "rlimit_core",
    "events.mechanism",
    "systemd_interval",
];

/// The directives FPM accepts in a pool (`ini_fpm_pool_options`).
const POOL_DIRECTIVES: &[&str] = &[
    "prefix",
    "user",
    "group",
    "listen",
    "listen.backlog",
    "listen.acl_users",
    "listen.acl_groups",
    "listen.owner",
    "listen.group",
    "listen.mode",
    "listen.allowed_clients",
    "listen.setfib",
    "process.priority",
    "process.dumpable",
    "pm",
    "pm.max_children",
    "pm.start_servers",
    "pm.min_spare_servers",
    "pm.max_spare_servers",
    "pm.max_spawn_rate",
    "pm.process_idle_timeout",
    "pm.max_requests",
    "pm.status_path",
    "pm.status_listen",
    "ping.path",
    "ping.response",
    "access.log",
    "access.format",
    "slowlog",
    "request_slowlog_timeout",
    "request_slowlog_trace_depth",
    "request_terminate_timeout",
    "request_terminate_timeout_track_finished",
    "rlimit_files",
    "rlimit_core",
    "chroot",
    "chdir",
    "catch_workers_output",
    "decorate_workers_output",
    "clear_env",
    "security.limit_extensions",
    "apparmor_hat",
];

/// The directives FPM reads as numbers, times or booleans; `$pool` expands
/// only in the others (strings).
const NOT_STRINGS: &[&str] = &[
    "listen.backlog",
    "listen.setfib",
    "process.priority",
    "process.dumpable",
    "pm",
    "pm.max_children",
    "pm.start_servers",
    "pm.min_spare_servers",
    "pm.max_spare_servers",
    "pm.max_spawn_rate",
    "pm.process_idle_timeout",
    "pm.max_requests",
    "request_slowlog_timeout",
    "request_slowlog_trace_depth",
    "request_terminate_timeout",
    "request_terminate_timeout_track_finished",
    "rlimit_files",
    "catch_workers_output",
    "decorate_workers_output",
    "clear_env",
];

/// Whether a name is a directive FPM accepts in a pool.
pub fn is_pool_directive(name: &str) -> bool {
    POOL_DIRECTIVES.contains(&name)
}

/// Whether a name is a directive FPM accepts in `[global]`.
pub fn is_global_directive(name: &str) -> bool {
    GLOBAL_DIRECTIVES.contains(&name)
}

/// FPM's include nesting limit (`fpm_conf_load_ini_file`).
const MAX_DEPTH: usize = 5;

/// One pool: its directives (names lower-cased, as FPM compares them), and
/// its `php_value`/`php_admin_value`/`env` arrays.
#[derive(Debug, Clone, PartialEq)]
pub struct FpmPool {
    pub name: String,
    /// Where the pool's section was first opened.
    pub origin: Origin,
    /// True for directives read before any section header in a file that
    /// has none: a fragment meant to be included after a pool section.
    pub implicit: bool,
    pub settings: Settings,
    /// `php_value[…]` and `php_flag[…]` (flags stored as `"1"`/`"0"`).
    pub php_values: Settings,
    /// `php_admin_value[…]` and `php_admin_flag[…]`.
    pub php_admin_values: Settings,
    pub env: Settings,
}

/// The process manager of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pm {
    Static,
    Dynamic,
    Ondemand,
    /// Unset: FPM refuses to start.
    Missing,
    /// Not one of the three: FPM refuses to start.
    Invalid(String),
}

impl Pm {
    pub fn name(&self) -> &str {
        match self {
            Pm::Static => "static",
            Pm::Dynamic => "dynamic",
            Pm::Ondemand => "ondemand",
            Pm::Missing => "(unset)",
            Pm::Invalid(v) => v,
        }
    }
}

/// Where a pool's PHP setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolIni {
    Value,
    AdminValue,
}

/// An FPM integer as `fpm_conf_set_integer` accepts it: an optional `-`
/// and digits (the empty string is 0); anything else makes FPM refuse to
/// start.
pub fn fpm_integer(value: &str) -> Option<i64> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(ini::leading_integer(value).unwrap_or(0))
}

/// An FPM time as `fpm_conf_set_time` reads it: a number with an optional
/// `s`, `m`, `h` or `d` suffix (bare = seconds), read like C's `atoi`.
pub fn fpm_seconds(value: &str) -> Option<i64> {
    let last = value.chars().last()?;
    let (number, factor) = match last {
        's' => (value.strip_suffix('s').unwrap_or(value), 1),
        'm' => (value.strip_suffix('m').unwrap_or(value), 60),
        'h' => (value.strip_suffix('h').unwrap_or(value), 3600),
        'd' => (value.strip_suffix('d').unwrap_or(value), 86400),
        c if c.is_ascii_digit() => (value, 1),
        _ => return None,
    };
    Some(
        ini::leading_integer(number)
            .unwrap_or(0)
            .saturating_mul(factor),
    )
}

/// An FPM boolean: the INI scanner turns yes/on/true into `"1"` and
/// no/off/false/none into `""`; FPM accepts only those two.
pub fn fpm_bool(value: &str) -> Option<bool> {
    match value {
        "1" => Some(true),
        "" => Some(false),
        _ => None,
    }
}

impl FpmPool {
    fn new(name: &str, origin: Origin, implicit: bool) -> FpmPool {
        FpmPool {
            name: name.to_owned(),
            origin,
            implicit,
            settings: Settings::new(),
            php_values: Settings::new(),
            php_admin_values: Settings::new(),
            env: Settings::new(),
        }
    }

    /// The effective (last) setting of a directive.
    pub fn get(&self, directive: &str) -> Option<&Setting> {
        self.settings.get(directive)
    }

    /// The pool's own value of a PHP setting, if it sets one. FPM applies
    /// `php_value`s, then `php_admin_value`s, so an admin value wins. Within
    /// one array FPM keeps entries newest first and applies them in that
    /// order (`fpm_conf_set_array` prepends; `fpm_php_apply_defines` walks
    /// from the head), so of two lines for the same key the *first* one
    /// written ends up in force.
    pub fn php_setting(&self, key: &str) -> Option<(&Setting, PoolIni)> {
        self.php_admin_values
            .iter()
            .find(|s| s.key == key)
            .map(|s| (s, PoolIni::AdminValue))
            .or_else(|| {
                self.php_values
                    .iter()
                    .find(|s| s.key == key)
                    .map(|s| (s, PoolIni::Value))
            })
    }

    fn integer(&self, directive: &str, default: Option<i64>) -> Resolved<Option<i64>> {
        match self.get(directive) {
            Some(s) => Resolved::set(fpm_integer(&s.value), &s.origin),
            None => Resolved::default(default),
        }
    }

    fn seconds(&self, directive: &str, default: i64) -> Resolved<Option<i64>> {
        match self.get(directive) {
            Some(s) => Resolved::set(fpm_seconds(&s.value), &s.origin),
            None => Resolved::default(Some(default)),
        }
    }

    fn text(&self, directive: &str) -> Resolved<Option<String>> {
        match self.get(directive) {
            Some(s) => Resolved::set(Some(s.value.clone()), &s.origin),
            None => Resolved::default(None),
        }
    }

    /// `pm`; mandatory, no default (fpm-conf).
    pub fn pm(&self) -> Resolved<Pm> {
        match self.get("pm") {
            Some(s) => {
                let pm = match s.value.to_ascii_lowercase().as_str() {
                    "static" => Pm::Static,
                    "dynamic" => Pm::Dynamic,
                    "ondemand" => Pm::Ondemand,
                    _ => Pm::Invalid(s.value.clone()),
                };
                Resolved::set(pm, &s.origin)
            }
            None => Resolved::default(Pm::Missing),
        }
    }

    /// `pm.max_children`; mandatory, no default (fpm-conf). `None` when unset
    /// or not a number.
    pub fn max_children(&self) -> Resolved<Option<i64>> {
        self.integer("pm.max_children", None)
    }

    /// `pm.start_servers`; unset (0) means min + (max − min) / 2 (fpm-src).
    pub fn start_servers(&self) -> Resolved<Option<i64>> {
        self.integer("pm.start_servers", Some(0))
    }

    /// `pm.min_spare_servers`; no default (mandatory for dynamic).
    pub fn min_spare_servers(&self) -> Resolved<Option<i64>> {
        self.integer("pm.min_spare_servers", Some(0))
    }

    /// `pm.max_spare_servers`; no default (mandatory for dynamic).
    pub fn max_spare_servers(&self) -> Resolved<Option<i64>> {
        self.integer("pm.max_spare_servers", Some(0))
    }

    /// `pm.max_spawn_rate` (PHP 8.1+); default 32 (fpm-src).
    pub fn max_spawn_rate(&self) -> Resolved<Option<i64>> {
        self.integer("pm.max_spawn_rate", Some(32))
    }

    /// `pm.process_idle_timeout` in seconds; default 10 s (fpm-src).
    pub fn process_idle_timeout(&self) -> Resolved<Option<i64>> {
        self.seconds("pm.process_idle_timeout", 10)
    }

    /// `pm.max_requests`; default 0, never recycle (fpm-src, www.conf.in).
    pub fn max_requests(&self) -> Resolved<Option<i64>> {
        self.integer("pm.max_requests", Some(0))
    }

    /// `request_terminate_timeout` in seconds; default 0 = off (fpm-src).
    pub fn request_terminate_timeout(&self) -> Resolved<Option<i64>> {
        self.seconds("request_terminate_timeout", 0)
    }

    /// `request_slowlog_timeout` in seconds; default 0 = off (fpm-src).
    pub fn request_slowlog_timeout(&self) -> Resolved<Option<i64>> {
        self.seconds("request_slowlog_timeout", 0)
    }

    /// `slowlog`; no default in FPM's code (www.conf.in suggests
    /// `log/$pool.log.slow`, commented out).
    pub fn slowlog(&self) -> Resolved<Option<String>> {
        self.text("slowlog")
    }

    /// `listen`; mandatory, no default (fpm-conf).
    pub fn listen(&self) -> Resolved<Option<String>> {
        self.text("listen")
    }

    /// `listen.backlog`; default 511 on Linux (`FPM_BACKLOG_DEFAULT`; -1,
    /// the system maximum, on FreeBSD and OpenBSD).
    pub fn listen_backlog(&self) -> Resolved<Option<i64>> {
        self.integer("listen.backlog", Some(511))
    }

    /// `listen.allowed_clients`; default any client (www.conf.in).
    pub fn listen_allowed_clients(&self) -> Resolved<Option<String>> {
        self.text("listen.allowed_clients")
    }

    /// `listen.mode`; default 0660 (www.conf.in).
    pub fn listen_mode(&self) -> Resolved<String> {
        match self.get("listen.mode") {
            Some(s) => Resolved::set(s.value.clone(), &s.origin),
            None => Resolved::default("0660".to_owned()),
        }
    }

    /// `pm.status_path`; default unset, no status page (fpm-status).
    pub fn status_path(&self) -> Resolved<Option<String>> {
        self.text("pm.status_path")
    }

    /// `pm.status_listen` (PHP 8.0+); default unset.
    pub fn status_listen(&self) -> Resolved<Option<String>> {
        self.text("pm.status_listen")
    }

    /// `ping.path`; default unset.
    pub fn ping_path(&self) -> Resolved<Option<String>> {
        self.text("ping.path")
    }

    /// `catch_workers_output`; default no (fpm-conf). `None` when the value
    /// is not a boolean FPM accepts.
    pub fn catch_workers_output(&self) -> Resolved<Option<bool>> {
        match self.get("catch_workers_output") {
            Some(s) => Resolved::set(fpm_bool(&s.value), &s.origin),
            None => Resolved::default(Some(false)),
        }
    }

    /// `decorate_workers_output` (PHP 7.3+); default yes (fpm-src).
    pub fn decorate_workers_output(&self) -> Resolved<Option<bool>> {
        match self.get("decorate_workers_output") {
            Some(s) => Resolved::set(fpm_bool(&s.value), &s.origin),
            None => Resolved::default(Some(true)),
        }
    }

    /// The pool's `memory_limit` in bytes (`None` = unlimited): its own
    /// `php_admin_value`/`php_value` if set, else php.ini's, else PHP's
    /// default 128M (php-ini-core).
    pub fn memory_limit(&self, php: Option<&PhpIni>) -> Resolved<Option<u64>> {
        match self.php_setting("memory_limit") {
            Some((s, _)) => Resolved::set(memory_limit_value(&s.value), &s.origin),
            None => php.map_or_else(|| Resolved::default(Some(128 << 20)), PhpIni::memory_limit),
        }
    }
}

/// Every php-fpm file of an upload: `[global]`, then the pools in the order
/// FPM creates them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FpmConfig {
    pub global: Settings,
    pub pools: Vec<FpmPool>,
    pub env_refs: Vec<EnvRef>,
    pub notes: Vec<Note>,
    /// The files read, in order.
    pub files: Vec<String>,
}

impl FpmConfig {
    pub fn pool(&self, name: &str) -> Option<&FpmPool> {
        self.pools
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Directives set more than once within one pool (or `[global]`), with
    /// every place: the last one is in force for plain directives, the first
    /// one for `php_value`-style arrays (see [`FpmPool::php_setting`]).
    pub fn duplicates(&self) -> Vec<(String, String, Vec<Origin>)> {
        let mut found = Vec::new();
        let mut add = |scope: &str, settings: &Settings, prefix: &str| {
            for (key, origins) in settings.duplicates() {
                found.push((
                    scope.to_owned(),
                    format!("{prefix}{key}"),
                    origins.into_iter().cloned().collect(),
                ));
            }
        };
        add("global", &self.global, "");
        for pool in &self.pools {
            add(&pool.name, &pool.settings, "");
            add(&pool.name, &pool.php_values, "php_value ");
            add(&pool.name, &pool.php_admin_values, "php_admin_value ");
            add(&pool.name, &pool.env, "env ");
        }
        found
    }

    /// The environment variable a setting's value came from, if any.
    pub fn env_ref(&self, setting: &Setting) -> Option<&EnvRef> {
        self.env_refs.iter().find(|e| e.origin == setting.origin)
    }
}

/// Where parsing stands: FPM keeps one "current pool" across lines and
/// across included files (an included file continues in whatever section
/// the including one was, and the including file continues in whatever
/// section the included one ended in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// No section header yet: FPM reads directives into `[global]`.
    Start,
    Global,
    Pool(usize),
}

/// Reads FPM files into one configuration.
pub struct Parser<'b, 'a> {
    bundle: &'b Bundle<'a>,
    pub config: FpmConfig,
    section: Section,
    /// The files being read, outermost first, to refuse include cycles.
    open: Vec<String>,
}

impl<'b, 'a> Parser<'b, 'a> {
    pub fn new(bundle: &'b Bundle<'a>, config: FpmConfig) -> Self {
        Parser {
            bundle,
            config,
            section: Section::Start,
            open: Vec::new(),
        }
    }

    pub fn has_read(&self, name: &str) -> bool {
        self.config.files.iter().any(|f| f == name)
    }

    /// Reads one file (and what it includes).
    pub fn parse(&mut self, source: &dyn Source) -> Result<(), ParseError> {
        let file = source.name().to_owned();
        if self.open.contains(&file) {
            return Err(ParseError::new(
                "includes that do not lead back to the including file",
                "a file that includes itself (directly or through another)",
            )
            .in_file(&file));
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(ParseError::new(
                format!("at most {MAX_DEPTH} nested includes (FPM's limit)"),
                "a deeper chain of includes",
            )
            .in_file(&file));
        }
        if !self.has_read(&file) {
            self.config.files.push(file.clone());
        }
        self.open.push(file.clone());
        let result = self.parse_lines(source, &file);
        self.open.pop();
        result
    }

    fn parse_lines(&mut self, source: &dyn Source, file: &str) -> Result<(), ParseError> {
        let mut lines = Lines::new(source)?;
        let mut saw_section = false;
        while let Some((number, bytes)) = lines.next_numbered()? {
            let text = line_text(file, number, bytes)?;
            let error = |expected: &str, found: String| {
                ParseError::new(expected, found)
                    .in_file(file)
                    .at_line(number, None)
            };
            let line = ini::split_line(&text).map_err(|found| {
                error(
                    "a php-fpm line (`directive = value`, `[section]` or a `;` comment)",
                    found,
                )
            })?;
            match line {
                Line::Blank => {}
                Line::Hash(text) => {
                    return Err(error(
                        "a `;` comment (`#` has not started a comment since PHP 7.0, and FPM \
                         refuses the line)",
                        format!("`{}`", ini::clip(text)),
                    ));
                }
                Line::Bare(label) => {
                    return Err(error(
                        "`directive = value`",
                        format!(
                            "`{}` with no `=` (is the file cut short?)",
                            ini::clip(label)
                        ),
                    ));
                }
                Line::Section(name) => {
                    saw_section = true;
                    self.open_section(name, Origin::new(file, number));
                }
                Line::Entry { key, offset, value } => {
                    // FPM parses each line on its own, so a quote cannot run
                    // on to the next line.
                    let lexed = ini::lex_value(value).map_err(|found| {
                        error(&format!("a value FPM can read for `{key}`"), found)
                    })?;
                    let origin = Origin::new(file, number);
                    if !lexed.env.is_empty() {
                        self.config.env_refs.push(EnvRef {
                            key: key.to_owned(),
                            origin: origin.clone(),
                            written: lexed.written.clone(),
                            variables: lexed.env.iter().map(|e| e.describe()).collect(),
                        });
                    }
                    if key == "include" && offset.is_none() {
                        self.include(&lexed.value, file, number)?;
                        continue;
                    }
                    match offset {
                        Some(offset) => {
                            self.array(key, offset, lexed.value, origin, !saw_section)?
                        }
                        None => self.directive(key, lexed.value, origin, !saw_section)?,
                    }
                }
            }
        }
        Ok(())
    }

    fn open_section(&mut self, name: &str, origin: Origin) {
        if name.eq_ignore_ascii_case("global") {
            self.section = Section::Global;
            return;
        }
        // Reopening a pool (the name compared without case, as FPM does)
        // continues it.
        let found = self
            .config
            .pools
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name));
        let index = match found {
            Some(i) => i,
            None => {
                self.config.pools.push(FpmPool::new(name, origin, false));
                self.config.pools.len() - 1
            }
        };
        self.section = Section::Pool(index);
    }

    /// A file without any section header that sets pool directives is a
    /// pool fragment (Docker images include such files after `[www]`). Read
    /// on its own, it gets a pool of its own, named after the file.
    fn implicit_pool(&mut self, origin: &Origin) {
        let file = origin.file.as_str();
        let base = file.rsplit('/').next().unwrap_or(file).to_owned();
        self.config
            .pools
            .push(FpmPool::new(&base, origin.clone(), true));
        self.section = Section::Pool(self.config.pools.len() - 1);
        self.config.notes.push(Note {
            origin: origin.clone(),
            message: format!(
                "pool directives before any section header: read as a pool named `{base}`; FPM \
                 would put them in whatever pool the including file had open"
            ),
        });
    }

    fn pool_mut(&mut self) -> Option<&mut FpmPool> {
        match self.section {
            Section::Pool(i) => self.config.pools.get_mut(i),
            _ => None,
        }
    }

    fn directive(
        &mut self,
        key: &str,
        value: String,
        origin: Origin,
        before_any_section: bool,
    ) -> Result<(), ParseError> {
        let name = key.to_ascii_lowercase();
        let unknown = |place: &str| {
            ParseError::new(
                format!("a directive FPM knows in {place}"),
                format!("`{key}`, which FPM refuses (`unknown entry`) and will not start"),
            )
            .in_file(&origin.file)
            .at_line(origin.line, None)
        };
        match self.section {
            Section::Pool(_) => {
                if !is_pool_directive(&name) {
                    return Err(unknown("a pool section"));
                }
            }
            Section::Global => {
                if !is_global_directive(&name) {
                    return Err(unknown("`[global]`"));
                }
            }
            Section::Start => {
                if is_global_directive(&name) {
                    self.section = Section::Global;
                } else if is_pool_directive(&name) && before_any_section {
                    self.implicit_pool(&origin);
                } else {
                    return Err(unknown(
                        "`[global]` (directives before any section belong to it)",
                    ));
                }
            }
        }
        let value = if NOT_STRINGS.contains(&name.as_str()) {
            value
        } else {
            self.expand_pool(value, &origin)?
        };
        match self.section {
            Section::Pool(i) => {
                if let Some(pool) = self.config.pools.get_mut(i) {
                    pool.settings.push(name, value, origin);
                }
            }
            _ => self.config.global.push(name, value, origin),
        }
        Ok(())
    }

    /// `$pool` becomes the pool's name in string values (FPM refuses it
    /// outside a pool).
    fn expand_pool(&self, value: String, origin: &Origin) -> Result<String, ParseError> {
        if !value.contains("$pool") {
            return Ok(value);
        }
        match self.section {
            Section::Pool(i) => Ok(self
                .config
                .pools
                .get(i)
                .map_or(value.clone(), |p| value.replace("$pool", &p.name))),
            _ => Err(ParseError::new(
                "`$pool` only inside a pool section",
                format!("`{}` outside any pool", ini::clip(&value)),
            )
            .in_file(&origin.file)
            .at_line(origin.line, None)),
        }
    }

    fn array(
        &mut self,
        name: &str,
        offset: &str,
        value: String,
        origin: Origin,
        before_any_section: bool,
    ) -> Result<(), ParseError> {
        let error = |expected: String, found: String| {
            ParseError::new(expected, found)
                .in_file(&origin.file)
                .at_line(origin.line, None)
        };
        const ARRAYS: [&str; 6] = [
            "php_value",
            "php_admin_value",
            "php_flag",
            "php_admin_flag",
            "env",
            "access.suppress_path",
        ];
        if !ARRAYS.contains(&name) {
            return Err(error(
                "an array FPM knows (php_value, php_admin_value, php_flag, php_admin_flag, env, \
                 access.suppress_path)"
                    .to_owned(),
                format!("`{name}[{offset}]`, which FPM refuses (`unknown directive`)"),
            ));
        }
        if self.section == Section::Start && before_any_section {
            // A fragment that starts with arrays is a pool fragment too.
            self.implicit_pool(&origin);
        }
        if matches!(self.section, Section::Global | Section::Start) {
            return Err(error(
                "arrays only inside a pool section".to_owned(),
                format!("`{name}[{offset}]` in `[global]` (FPM: arrays are not allowed there)"),
            ));
        }
        if offset.is_empty() && name != "access.suppress_path" {
            return Err(error(
                format!("a key inside `{name}[…]`"),
                format!("`{name}[]`"),
            ));
        }
        let value = match name {
            "php_flag" | "php_admin_flag" => match fpm_bool(&value) {
                Some(true) => "1".to_owned(),
                Some(false) => "0".to_owned(),
                None => {
                    return Err(error(
                        format!("a boolean (yes/no, on/off, true/false) for `{name}[{offset}]`"),
                        format!("`{}` (FPM: invalid boolean value)", ini::clip(&value)),
                    ));
                }
            },
            "env" if value.is_empty() => {
                return Err(error(
                    format!("a value for `env[{offset}]`"),
                    "an empty value (FPM refuses it)".to_owned(),
                ));
            }
            _ => self.expand_pool(value, &origin)?,
        };
        let Some(pool) = self.pool_mut() else {
            return Ok(());
        };
        let key = offset.to_owned();
        match name {
            "php_value" | "php_flag" => pool.php_values.push(key, value, origin),
            "php_admin_value" | "php_admin_flag" => pool.php_admin_values.push(key, value, origin),
            "env" => pool.env.push(key, value, origin),
            _ => pool.settings.push(format!("{name}[]"), value, origin),
        }
        Ok(())
    }

    /// `include=` takes a glob. FPM resolves a relative one against its
    /// prefix, which the bundle does not know: it is tried against the
    /// including file's folder, then each folder above it, then as a path
    /// suffix anywhere in the bundle. Build templates (`@sysconfdir@`) are
    /// left alone with a note.
    fn include(&mut self, pattern: &str, file: &str, line: u64) -> Result<(), ParseError> {
        let error = |expected: String, found: String| {
            ParseError::new(expected, found)
                .in_file(file)
                .at_line(line, None)
        };
        if is_template(pattern) {
            self.config.notes.push(Note {
                origin: Origin::new(file, line),
                message: format!(
                    "`include={pattern}` holds a build-time placeholder (a php-src template), so \
                     it was not followed"
                ),
            });
            return Ok(());
        }
        if pattern.trim().is_empty() {
            return Err(error(
                "a file or glob after `include=`".to_owned(),
                "nothing".to_owned(),
            ));
        }
        if !pattern.starts_with('/') && climbs_out(pattern, file) {
            return Err(error(
                format!(
                    "an `include={pattern}` inside the uploaded bundle (upload the included files \
                     in the same bundle)"
                ),
                "a path that leads outside the bundle".to_owned(),
            ));
        }
        let bundle = self.bundle;
        let mut found = bundle.glob(pattern, file);
        if found.is_empty() && !pattern.starts_with('/') {
            let mut dir = file.rsplit_once('/').map_or("", |(d, _)| d);
            while found.is_empty() && !dir.is_empty() {
                dir = dir.rsplit_once('/').map_or("", |(d, _)| d);
                let from = if dir.is_empty() {
                    "x".to_owned()
                } else {
                    format!("{dir}/x")
                };
                found = bundle.glob(pattern, &from);
            }
            if found.is_empty() {
                found = bundle.glob(&format!("/{pattern}"), file);
            }
        }
        found.retain(|f| f.name() != file);
        if found.is_empty() {
            return Err(error(
                format!(
                    "the files of `include={pattern}` in the same upload (upload the included \
                     files in the same bundle, keeping their folders)"
                ),
                "no uploaded file matching it".to_owned(),
            ));
        }
        for source in found {
            self.parse(source)?;
        }
        Ok(())
    }
}

/// Whether a value holds an autoconf placeholder such as `@prefix@`.
fn is_template(value: &str) -> bool {
    let mut parts = value.split('@');
    parts.next();
    let inner: Vec<&str> = parts.collect();
    inner.len() >= 2
        && inner
            .iter()
            .take(inner.len() - 1)
            .any(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// Whether a relative path climbs above the bundle's root from `from`.
fn climbs_out(path: &str, from: &str) -> bool {
    let mut depth: i64 = from
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .count() as i64
        - 1;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_fpm_conf() {
        assert_eq!(fpm_seconds("30"), Some(30));
        assert_eq!(fpm_seconds("5m"), Some(300));
        assert_eq!(fpm_seconds("1.5m"), Some(60));
        assert_eq!(fpm_seconds("10x"), None);
        assert_eq!(fpm_integer("12"), Some(12));
        assert_eq!(fpm_integer("-1"), Some(-1));
        assert_eq!(fpm_integer("12a"), None);
        assert!(is_template("@php_fpm_sysconfdir@/php-fpm.d/*.conf"));
        assert!(!is_template("/etc/php-fpm.d/*.conf"));
        assert!(climbs_out("../../x", "a/b.conf"));
        assert!(!climbs_out("../x", "a/b.conf"));
    }
}
