//! php.* rules: OPcache, JIT, the realpath cache, errors, hardening, limits
//! and session cookies, judged on the php.ini the FPM SAPI reads (and on
//! each pool's own overrides).

use super::{Assumed, Val, default_note, mib, no_php_ini, percent, views, worst};
use crate::assess::{Category, Severity};
use crate::audit::php::ini::{self, leading_integer, php_bool};
use crate::audit::php::phpini::{JitMode, extension_named, hash_slots};
use crate::audit::php::status::OpcacheSample;
use crate::audit::{Evaluation, Inputs, Rule, Stack};

pub fn rules() -> Vec<Rule> {
    vec![
        Rule {
            id: "php.opcache.enabled",
            title: "OPcache is loaded and enabled",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "Without OPcache every request compiles the framework and the whole vendor tree \
                  again, which multiplies CPU time per request.",
            fix: "Load the extension with `zend_extension=opcache` and set `opcache.enable=1` in \
                  the php.ini the FPM SAPI reads.",
            check: opcache_enabled,
        },
        Rule {
            id: "php.opcache.memory_consumption",
            title: "OPcache shared memory is large enough",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "When the shared segment fills up, new scripts are no longer cached and OPcache \
                  falls back to full restarts that flush everything.",
            fix: "Set `opcache.memory_consumption=256` for an application the size of a Laravel \
                  project, and confirm the free share with opcache_get_status().",
            check: memory_consumption,
        },
        Rule {
            id: "php.opcache.interned_strings_buffer",
            title: "OPcache interned strings buffer fits the code base",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "Class, method and property names of a large vendor tree overflow the default 8 \
                  MB, and the buffer is carved out of the same shared segment as the scripts.",
            fix: "Set `opcache.interned_strings_buffer` to 16–32 (MB), well below \
                  `opcache.memory_consumption`.",
            check: interned_strings,
        },
        Rule {
            id: "php.opcache.max_accelerated_files",
            title: "OPcache key table holds every PHP file",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "When the key table is full, further files are compiled on every request or \
                  force restarts of the whole cache.",
            fix: "Count the `*.php` files including vendor/ and set \
                  `opcache.max_accelerated_files` to at least 1.3 times that (20000–32531 is \
                  typical for Laravel).",
            check: max_accelerated_files,
        },
        Rule {
            id: "php.opcache.validate_timestamps",
            title: "OPcache does not stat files on every request",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "Checking modification times costs system calls on every included file; turning \
                  it off means deployed code only appears after FPM is reloaded or the cache \
                  reset.",
            fix: "Set `opcache.validate_timestamps=0` in production and reload FPM as part of \
                  every deploy.",
            check: validate_timestamps,
        },
        Rule {
            id: "php.opcache.jit",
            title: "JIT is either off on purpose or has a buffer",
            category: Category::Infrastructure,
            severity: Severity::Low,
            why: "Laravel requests mostly wait on I/O, so JIT gains are modest; a half-configured \
                  JIT reserves shared memory for nothing or looks enabled when it is not.",
            fix: "Either set `opcache.jit=disable`, or `opcache.jit=tracing` with \
                  `opcache.jit_buffer_size` of 64–128M.",
            check: jit,
        },
        Rule {
            id: "php.realpath_cache",
            title: "The realpath cache covers Composer's autoloading",
            category: Category::Infrastructure,
            severity: Severity::Low,
            why: "Composer's autoloader resolves thousands of paths per request; a small or \
                  short-lived realpath cache turns them into file system lookups.",
            fix: "Set `realpath_cache_size` to 4096K–16M and `realpath_cache_ttl=600`, and avoid \
                  `open_basedir`, which disables the cache.",
            check: realpath_cache,
        },
        Rule {
            id: "php.errors",
            title: "Errors are logged, never shown",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "Errors raised by the engine bypass Laravel's APP_DEBUG handling and can print \
                  file paths, SQL and secrets into responses.",
            fix: "Use php.ini-production's values: `display_errors=Off`, \
                  `display_startup_errors=Off`, `log_errors=On`, `error_reporting=E_ALL & \
                  ~E_DEPRECATED`.",
            check: errors,
        },
        Rule {
            id: "php.hardening",
            title: "PHP neither advertises itself nor includes remote code",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "`expose_php` adds an X-Powered-By header with the exact PHP version, and \
                  `allow_url_include` lets an include pull code from a URL.",
            fix: "Set `expose_php=Off` and `allow_url_include=Off` (and `fastcgi_hide_header \
                  X-Powered-By` in nginx).",
            check: hardening,
        },
        Rule {
            id: "php.memory_limit",
            title: "memory_limit caps each request sensibly",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "memory_limit is the only per-request memory cap, and it is also the worst-case \
                  size of an FPM child when sizing the pool.",
            fix: "Keep `memory_limit` between 128M and 512M; move memory-hungry work to queue \
                  workers with their own limit.",
            check: memory_limit,
        },
        Rule {
            id: "php.max_execution_time",
            title: "max_execution_time bounds scripts",
            category: Category::Infrastructure,
            severity: Severity::Medium,
            why: "A request that never ends holds an FPM child; on Linux this limit counts only \
                  the script's own CPU-side time, so it is a first line, not a wall clock.",
            fix: "Set `max_execution_time` to 10–60 s for web requests and keep \
                  `request_terminate_timeout` above it.",
            check: max_execution_time,
        },
        Rule {
            id: "php.session_cookies",
            title: "Native session cookies are locked down",
            category: Category::Infrastructure,
            severity: Severity::Low,
            why: "Code calling session_start() relies on these flags to keep the session cookie \
                  off plain HTTP, away from scripts and other sites; Laravel's own sessions use \
                  config/session.php instead.",
            fix: "Set `session.cookie_secure=1`, `session.cookie_httponly=1`, \
                  `session.use_strict_mode=1`, `session.cookie_samesite=Lax` and \
                  `session.use_only_cookies=1`.",
            check: session_cookies,
        },
    ]
}

/// The latest OPcache dump, if any (the last one read).
fn opcache_sample(stack: &Stack) -> Option<&OpcacheSample> {
    stack.opcache_status.as_ref()?.samples.last()
}

fn opcache_enabled(stack: &Stack, _: &Inputs) -> Evaluation {
    let threshold = "opcache.enable=1 and zend_extension=opcache loaded";
    let status = opcache_sample(stack);
    if let Some(s) = status
        && s.enabled == Some(false)
    {
        return Evaluation::fail("opcache_get_status() reports OPcache disabled")
            .value("opcache_enabled=false")
            .threshold(threshold)
            .at(Some(&s.origin));
    }
    let running = status.is_some_and(|s| s.enabled == Some(true));
    let Some(views) = views(stack, &["opcache.enable"]) else {
        if let Some(s) = status.filter(|_| running) {
            return Evaluation::pass("opcache_get_status() reports OPcache loaded and enabled")
                .value("opcache_enabled=true")
                .threshold(threshold)
                .at(Some(&s.origin));
        }
        return no_php_ini(stack);
    };
    worst(
        views
            .iter()
            .map(|v| {
                let mut assumed = Assumed::default();
                let enable = v.get("opcache.enable", "1", &mut assumed);
                let on = php_bool(&enable.value);
                let loaded = v.ini.opcache_loaded_by();
                let value = format!(
                    "opcache.enable={}, {}",
                    u8::from(on),
                    loaded.map_or_else(
                        || "no zend_extension=opcache".to_owned(),
                        |s| format!("zend_extension={}", s.value)
                    )
                );
                let e = if !on {
                    Evaluation::fail("opcache.enable is off, so no script is cached")
                        .at(enable.origin.as_ref())
                } else if let Some(s) = loaded {
                    Evaluation::pass("OPcache is loaded and enabled").at(Some(&s.origin))
                } else if running {
                    Evaluation::pass(
                        "opcache.enable is on, and opcache_get_status() shows the extension \
                         running",
                    )
                    .at(status.map(|s| &s.origin))
                } else {
                    Evaluation::unverified(
                        "opcache.enable is on but no uploaded file loads the extension; upload \
                         the conf.d fragment with zend_extension=opcache (e.g. \
                         docker-php-ext-opcache.ini, 10-opcache.ini) or an opcache_get_status() \
                         dump",
                    )
                    .at(enable.origin.as_ref())
                };
                (
                    v.label(),
                    assumed.apply(e.value(value).threshold(threshold)),
                )
            })
            .collect(),
    )
}

/// A configured size in MiB from php.ini, or from the dump's segment.
fn memory_mb(
    stack: &Stack,
    assumed: &mut Assumed,
) -> Option<(u64, Option<crate::audit::model::Origin>)> {
    if let Some(ini) = stack.php.as_ref() {
        let r = ini.opcache_memory_consumption();
        if r.is_default() {
            assumed.push(default_note(ini, "opcache.memory_consumption", "128 (MB)"));
        }
        return Some((r.value >> 20, r.origin));
    }
    let s = opcache_sample(stack)?;
    let bytes = s.segment_bytes()?;
    assumed.push("no php.ini: the size is the segment opcache_get_status() reports");
    Some((
        bytes.saturating_add(1 << 19) >> 20,
        s.used_memory.as_ref().map(|c| c.origin.clone()),
    ))
}

fn memory_consumption(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let pass_mb = inputs.heuristic("php.opcache.memory_consumption.pass_mb", 192.0);
    let free_share = inputs.heuristic("php.opcache.memory_consumption.free_ratio", 0.10);
    let threshold = format!(
        "≥ {} MB, or ≥ {} free in a status dump; < 128 MB or OOM restarts fail",
        super::number(pass_mb),
        percent(free_share)
    );
    let mut assumed = Assumed::default();
    let Some((mb, origin)) = memory_mb(stack, &mut assumed) else {
        return no_php_ini(stack);
    };
    let status = opcache_sample(stack);
    let value = format!("{mb} MB");
    let e = if let Some(s) = status
        && let Some(oom) = s.oom_restarts.as_ref().filter(|c| c.value > 0.0)
    {
        Evaluation::fail(format!(
            "OPcache ran out of shared memory and restarted (oom_restarts = {})",
            oom.as_u64()
        ))
        .at(Some(&oom.origin))
    } else if mb < 128 {
        Evaluation::fail(format!("{mb} MB is below PHP's own default of 128 MB"))
            .at(origin.as_ref())
    } else if mb as f64 >= pass_mb {
        Evaluation::pass(format!("{mb} MB of shared memory")).at(origin.as_ref())
    } else {
        match status.and_then(|s| Some((s, s.free_memory.as_ref()?, s.segment_bytes()?))) {
            Some((_, free, total)) if total > 0 => {
                let share = free.value / total as f64;
                if share >= free_share {
                    Evaluation::pass(format!(
                        "{mb} MB with {} of it free in the status dump",
                        percent(share)
                    ))
                    .at(Some(&free.origin))
                } else {
                    Evaluation::warn(format!(
                        "{mb} MB with only {} free in the status dump",
                        percent(share)
                    ))
                    .at(Some(&free.origin))
                }
            }
            _ => Evaluation::warn(format!(
                "{mb} MB, and no opcache_get_status() dump shows how much of it is free"
            ))
            .at(origin.as_ref()),
        }
    };
    assumed.apply(e.value(value).threshold(threshold))
}

fn interned_strings(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let min = inputs.heuristic("php.opcache.interned_strings_buffer.min_mb", 16.0);
    let max = inputs.heuristic("php.opcache.interned_strings_buffer.max_mb", 64.0);
    let share = inputs.heuristic("php.opcache.interned_strings_buffer.max_share", 0.25);
    let free_share = inputs.heuristic("php.opcache.interned_strings_buffer.free_ratio", 0.10);
    let threshold = format!(
        "{}–{} MB and < {} of opcache.memory_consumption; ≥ memory_consumption fails",
        super::number(min),
        super::number(max),
        percent(share)
    );
    let mut assumed = Assumed::default();
    let status = opcache_sample(stack);
    let (buffer_mb, origin) = if let Some(ini) = stack.php.as_ref() {
        let r = ini.opcache_interned_strings_buffer();
        if r.is_default() {
            assumed.push(default_note(
                ini,
                "opcache.interned_strings_buffer",
                "8 (MB)",
            ));
        }
        (r.value >> 20, r.origin)
    } else if let Some(size) = status.and_then(|s| s.interned_buffer_size.as_ref()) {
        assumed.push("no php.ini: the size is the buffer opcache_get_status() reports");
        (
            size.as_u64().saturating_add(1 << 19) >> 20,
            Some(size.origin.clone()),
        )
    } else {
        return no_php_ini(stack);
    };
    let Some((memory_mb, _)) = memory_mb(stack, &mut assumed) else {
        return no_php_ini(stack);
    };
    let value = format!("{buffer_mb} MB of {memory_mb} MB");
    let interned_free = status.and_then(|s| {
        let free = s.interned_free_memory.as_ref()?;
        let size = s.interned_buffer_size.as_ref()?.value;
        (size > 0.0).then(|| (free.value / size, free.origin.clone()))
    });
    let b = buffer_mb as f64;
    let e = if buffer_mb >= memory_mb {
        Evaluation::fail(format!(
            "the buffer ({buffer_mb} MB) is as large as the whole segment ({memory_mb} MB) it is \
             carved from, so OPcache cannot start (\"Insufficient shared memory\")"
        ))
        .at(origin.as_ref())
    } else if let Some((free, at)) = interned_free.as_ref().filter(|(f, _)| *f < free_share) {
        Evaluation::warn(format!(
            "only {} of the interned strings buffer is free in the status dump",
            percent(*free)
        ))
        .at(Some(at))
    } else if b >= min && b <= max && b < share * memory_mb as f64 {
        Evaluation::pass(format!("{buffer_mb} MB, a fitting share of {memory_mb} MB"))
            .at(origin.as_ref())
    } else if b < min {
        Evaluation::warn(format!(
            "{buffer_mb} MB is small for the class and method names of a large vendor tree"
        ))
        .at(origin.as_ref())
    } else {
        Evaluation::warn(format!(
            "{buffer_mb} MB takes too much of the {memory_mb} MB segment the scripts need"
        ))
        .at(origin.as_ref())
    };
    assumed.apply(e.value(value).threshold(threshold))
}

fn max_accelerated_files(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let headroom = inputs.heuristic("php.opcache.max_accelerated_files.headroom", 1.3);
    let threshold = format!(
        "key slots ≥ {} × the PHP files deployed; no hash restarts",
        super::number(headroom)
    );
    let mut assumed = Assumed::default();
    let status = opcache_sample(stack);
    let (configured, origin) = if let Some(ini) = stack.php.as_ref() {
        let r = ini.opcache_max_accelerated_files();
        if r.is_default() {
            assumed.push(default_note(ini, "opcache.max_accelerated_files", "10000"));
        }
        (r.value, r.origin)
    } else if let Some(keys) = status.and_then(|s| s.max_cached_keys.as_ref()) {
        assumed.push("no php.ini: the table size is max_cached_keys of the status dump");
        (keys.value as i64, Some(keys.origin.clone()))
    } else {
        return no_php_ini(stack);
    };
    let slots = hash_slots(configured);
    let value = format!("{configured} → {slots} slots");
    let e = if let Some(restarts) = status
        .and_then(|s| s.hash_restarts.as_ref())
        .filter(|c| c.value > 0.0)
    {
        Evaluation::fail(format!(
            "the key table filled up and forced restarts of the cache (hash_restarts = {})",
            restarts.as_u64()
        ))
        .at(Some(&restarts.origin))
    } else {
        match inputs.host.as_ref().and_then(|h| h.php_files) {
            None => Evaluation::unverified(format!(
                "{slots} key slots, but the number of PHP files deployed is unknown; give \
                 php_files (count `*.php` including vendor/) in the host profile"
            ))
            .at(origin.as_ref()),
            Some(files) if slots < files => Evaluation::fail(format!(
                "{slots} key slots for {files} PHP files: some files are never cached"
            ))
            .at(origin.as_ref()),
            Some(files) if (slots as f64) < headroom * files as f64 => Evaluation::warn(format!(
                "{slots} key slots for {files} PHP files leaves little room for growth"
            ))
            .at(origin.as_ref()),
            Some(files) => Evaluation::pass(format!("{slots} key slots for {files} PHP files"))
                .at(origin.as_ref()),
        }
    };
    assumed.apply(e.value(value).threshold(threshold))
}

fn validate_timestamps(stack: &Stack, _: &Inputs) -> Evaluation {
    let Some(views) = views(
        stack,
        &["opcache.validate_timestamps", "opcache.revalidate_freq"],
    ) else {
        return no_php_ini(stack);
    };
    worst(
        views
            .iter()
            .map(|v| {
                let mut assumed = Assumed::default();
                let validate = v.get("opcache.validate_timestamps", "1", &mut assumed);
                let e = if !php_bool(&validate.value) {
                    Evaluation::pass("timestamps are not checked; deploys must reload FPM")
                        .value("opcache.validate_timestamps=0")
                        .at(validate.origin.as_ref())
                } else {
                    let freq = v.get("opcache.revalidate_freq", "2", &mut assumed);
                    let seconds = leading_integer(&freq.value).unwrap_or(0);
                    let e = if seconds <= 0 {
                        Evaluation::warn(
                            "every request stats every included file (revalidate_freq=0), the \
                             costly case",
                        )
                        .at(freq.origin.as_ref().or(validate.origin.as_ref()))
                    } else {
                        Evaluation::warn(format!(
                            "included files are stat()ed at most every {seconds} s, a small cost"
                        ))
                        .at(validate.origin.as_ref().or(freq.origin.as_ref()))
                    };
                    e.value(format!(
                        "opcache.validate_timestamps=1, opcache.revalidate_freq={seconds}"
                    ))
                };
                (
                    v.label(),
                    assumed.apply(e.threshold("opcache.validate_timestamps=0 in production")),
                )
            })
            .collect(),
    )
}

fn jit(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(ini) = stack.php.as_ref() else {
        return no_php_ini(stack);
    };
    let min_mb = inputs.heuristic("php.opcache.jit.min_buffer_mb", 32.0);
    let min = (min_mb * 1048576.0) as u64;
    let threshold = format!(
        "opcache.jit=disable, or a JIT mode with opcache.jit_buffer_size ≥ {}",
        mib(min)
    );
    let mut assumed = Assumed::default();
    let jit = ini.get("opcache.jit");
    let buffer = ini.get("opcache.jit_buffer_size");
    let buffer_bytes = buffer.map(|s| ini::quantity(&s.value).value.max(0).unsigned_abs());
    let xdebug = ini
        .zend_extensions()
        .into_iter()
        .find(|s| extension_named(&s.value, "xdebug"));
    let mode = jit.map(|s| JitMode::parse(&s.value));
    let value = format!(
        "opcache.jit={}, opcache.jit_buffer_size={}",
        jit.map_or("(unset)", |s| s.value.as_str()),
        buffer.map_or("(unset)", |s| s.value.as_str())
    );
    let at = jit.or(buffer).map(|s| &s.origin);
    let e = match (&mode, buffer_bytes) {
        (None, None) => {
            assumed.push(
                "opcache.jit and opcache.jit_buffer_size unset: JIT is off by default on every \
                 version (tracing with a 0 buffer up to 8.3, disable from 8.4)",
            );
            Evaluation::pass("JIT is off by default")
        }
        (None, Some(bytes)) => {
            assumed.push(
                "opcache.jit unset: tracing up to PHP 8.3 (JIT on with this buffer), disable \
                 from 8.4",
            );
            if bytes == 0 || bytes >= min {
                Evaluation::pass(format!(
                    "a {} buffer with the default mode is enough either way",
                    mib(bytes)
                ))
            } else {
                Evaluation::warn(format!(
                    "up to PHP 8.3 JIT runs with only a {} buffer",
                    mib(bytes)
                ))
            }
        }
        (Some(JitMode::Disable), _) => Evaluation::pass("JIT is disabled on purpose"),
        (Some(JitMode::Invalid(v)), _) => Evaluation::warn(format!(
            "`{v}` is not a JIT mode PHP accepts, so JIT stays off with a warning at startup"
        )),
        (Some(JitMode::Off), Some(0)) => Evaluation::pass("JIT is off and reserves no buffer"),
        (Some(JitMode::Off), Some(bytes)) => Evaluation::warn(format!(
            "JIT is off but its {} buffer is still reserved in shared memory; use `disable`",
            mib(bytes)
        )),
        (Some(JitMode::Off), None) => {
            assumed.push("opcache.jit_buffer_size unset: 0 up to PHP 8.3, 64M from 8.4");
            Evaluation::warn(
                "JIT is `off` rather than `disable`; from PHP 8.4 its default 64M buffer is \
                 still reserved",
            )
        }
        (Some(_), _) if xdebug.is_some() => Evaluation::warn(
            "JIT is configured but Xdebug is loaded, which hooks execution and disables JIT",
        ),
        (Some(_), None) => {
            assumed.push(
                "opcache.jit_buffer_size unset: 0 up to PHP 8.3 (JIT silently off), 64M from 8.4",
            );
            Evaluation::warn(
                "a JIT mode is set without a buffer size: up to PHP 8.3 the buffer is 0 and JIT \
                 is silently off",
            )
        }
        (Some(_), Some(0)) => Evaluation::warn(
            "a JIT mode is set but the buffer is 0, so JIT is silently off (before PHP 8.4)",
        ),
        (Some(_), Some(bytes)) if bytes < min => {
            Evaluation::warn(format!("JIT runs with only a {} buffer", mib(bytes)))
        }
        (Some(_), Some(bytes)) => {
            Evaluation::pass(format!("JIT runs with a {} buffer", mib(bytes)))
        }
    };
    let at = if xdebug.is_some() && matches!(e.outcome, crate::targets::Outcome::Warn) {
        xdebug.map(|s| &s.origin).or(at)
    } else {
        at
    };
    assumed.apply(e.value(value).threshold(threshold).at(at))
}

fn realpath_cache(stack: &Stack, _: &Inputs) -> Evaluation {
    let Some(views) = views(
        stack,
        &[
            "realpath_cache_size",
            "realpath_cache_ttl",
            "open_basedir",
            "opcache.validate_timestamps",
        ],
    ) else {
        return no_php_ini(stack);
    };
    worst(
        views
            .iter()
            .map(|v| {
                let mut assumed = Assumed::default();
                let size = v.get("realpath_cache_size", "4096K", &mut assumed);
                let ttl = v.get("realpath_cache_ttl", "120", &mut assumed);
                let bytes = ini::quantity(&size.value).value;
                let seconds = leading_integer(&ttl.value).unwrap_or(0);
                let static_code = {
                    let mut quiet = Assumed::default();
                    !php_bool(&v.get("opcache.validate_timestamps", "1", &mut quiet).value)
                };
                let need_ttl = if static_code { 600 } else { 120 };
                let basedir = v
                    .setting("open_basedir")
                    .filter(|(s, _)| !s.value.trim().is_empty());
                let value = format!(
                    "realpath_cache_size={}, realpath_cache_ttl={seconds}{}",
                    size.value,
                    basedir.as_ref().map_or(String::new(), |(s, _)| format!(
                        ", open_basedir={}",
                        s.value
                    ))
                );
                let e = if let Some((s, place)) = basedir {
                    Evaluation::warn(format!(
                        "open_basedir is set ({place}), which disables the realpath cache"
                    ))
                    .at(Some(&s.origin))
                } else if bytes < 4096 << 10 {
                    Evaluation::warn(format!("the cache holds only {}", size.value))
                        .at(size.origin.as_ref())
                } else if seconds < need_ttl {
                    let why = if static_code {
                        " (code only changes with a deploy, so a longer TTL is safe)"
                    } else {
                        ""
                    };
                    Evaluation::warn(format!(
                        "entries expire after {seconds} s, below {need_ttl} s{why}"
                    ))
                    .at(ttl.origin.as_ref())
                } else {
                    Evaluation::pass("the cache is large enough and long-lived")
                        .at(size.origin.as_ref().or(ttl.origin.as_ref()))
                };
                (
                    v.label(),
                    assumed.apply(
                        e.value(value).threshold(format!(
                            "size ≥ 4096K, ttl ≥ {need_ttl} s, no open_basedir"
                        )),
                    ),
                )
            })
            .collect(),
    )
}

fn errors(stack: &Stack, _: &Inputs) -> Evaluation {
    let Some(views) = views(
        stack,
        &[
            "display_errors",
            "display_startup_errors",
            "log_errors",
            "error_reporting",
        ],
    ) else {
        return no_php_ini(stack);
    };
    worst(
        views
            .iter()
            .map(|v| {
                let mut assumed = Assumed::default();
                let display = v.get("display_errors", "1", &mut assumed);
                let startup = v.get("display_startup_errors", "1", &mut assumed);
                let log = v.get("log_errors", "1", &mut assumed);
                let reporting = v.get("error_reporting", "32767", &mut assumed);
                let display_on = php_bool(&display.value)
                    || matches!(
                        display.value.trim().to_ascii_lowercase().as_str(),
                        "stderr" | "stdout"
                    );
                let level = leading_integer(&reporting.value).unwrap_or(0);
                let onoff = |b: bool| if b { "On" } else { "Off" };
                let value = format!(
                    "display_errors={}, display_startup_errors={}, log_errors={}, \
                     error_reporting={level}",
                    onoff(display_on),
                    onoff(php_bool(&startup.value)),
                    onoff(php_bool(&log.value))
                );
                let e = if display_on {
                    Evaluation::fail("display_errors is on: errors reach the client")
                        .at(display.origin.as_ref())
                } else if !php_bool(&log.value) {
                    Evaluation::warn("log_errors is off: errors are neither shown nor logged")
                        .at(log.origin.as_ref())
                } else if level & 3 != 3 {
                    Evaluation::warn("error_reporting leaves out E_ERROR or E_WARNING")
                        .at(reporting.origin.as_ref())
                } else if php_bool(&startup.value) {
                    Evaluation::warn("display_startup_errors is on: startup errors reach clients")
                        .at(startup.origin.as_ref())
                } else {
                    Evaluation::pass("errors are logged and not displayed")
                        .at(display.origin.as_ref())
                };
                (
                    v.label(),
                    assumed.apply(e.value(value).threshold(
                        "display_errors=Off, display_startup_errors=Off, log_errors=On",
                    )),
                )
            })
            .collect(),
    )
}

fn hardening(stack: &Stack, _: &Inputs) -> Evaluation {
    let Some(views) = views(stack, &["expose_php", "allow_url_include"]) else {
        return no_php_ini(stack);
    };
    worst(
        views
            .iter()
            .map(|v| {
                let mut assumed = Assumed::default();
                let expose = v.get("expose_php", "1", &mut assumed);
                let include = v.get("allow_url_include", "", &mut assumed);
                let (expose_on, include_on) = (php_bool(&expose.value), php_bool(&include.value));
                let value = format!(
                    "expose_php={}, allow_url_include={}",
                    if expose_on { "On" } else { "Off" },
                    if include_on { "On" } else { "Off" }
                );
                let e = if include_on {
                    Evaluation::fail("allow_url_include is on: include can run code from a URL")
                        .at(include.origin.as_ref())
                } else if expose_on {
                    Evaluation::warn("expose_php is on: responses carry the PHP version")
                        .at(expose.origin.as_ref())
                } else {
                    Evaluation::pass("PHP neither advertises itself nor includes URLs")
                        .at(expose.origin.as_ref())
                };
                (
                    v.label(),
                    assumed.apply(
                        e.value(value)
                            .threshold("expose_php=Off, allow_url_include=Off"),
                    ),
                )
            })
            .collect(),
    )
}

fn memory_limit(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(views) = views(stack, &["memory_limit"]) else {
        return no_php_ini(stack);
    };
    let min = inputs.heuristic("php.memory_limit.min_mb", 128.0);
    let max = inputs.heuristic("php.memory_limit.max_mb", 512.0);
    let threshold = format!(
        "{}M–{}M; -1 (unlimited) fails",
        super::number(min),
        super::number(max)
    );
    worst(
        views
            .iter()
            .map(|v| {
                let mut assumed = Assumed::default();
                let limit: Val = v.get("memory_limit", "128M", &mut assumed);
                let q = ini::quantity(&limit.value);
                let mb = q.value as f64 / 1048576.0;
                let invalid = if q.valid {
                    String::new()
                } else {
                    format!(
                        " (`{}` is not a valid size; PHP reads {} bytes)",
                        limit.value, q.value
                    )
                };
                let e = if q.value < 0 {
                    Evaluation::fail(
                        "memory_limit is unlimited: one runaway request can take the host's memory",
                    )
                } else if mb < min {
                    Evaluation::warn(format!(
                        "{} is below {}M{invalid}",
                        limit.value,
                        super::number(min)
                    ))
                } else if mb > max {
                    Evaluation::warn(format!(
                        "{} per request inflates the worst case of every FPM child",
                        limit.value
                    ))
                } else {
                    Evaluation::pass(format!("{} per request", limit.value))
                };
                (
                    v.label(),
                    assumed.apply(
                        e.value(format!("memory_limit={}", limit.value))
                            .threshold(threshold.clone())
                            .at(limit.origin.as_ref()),
                    ),
                )
            })
            .collect(),
    )
}

fn max_execution_time(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let Some(views) = views(stack, &["max_execution_time"]) else {
        return no_php_ini(stack);
    };
    let min = inputs.heuristic("php.max_execution_time.min_s", 10.0);
    let max = inputs.heuristic("php.max_execution_time.max_s", 60.0);
    let threshold = format!("{}–{} s", super::number(min), super::number(max));
    worst(
        views
            .iter()
            .map(|v| {
                let mut assumed = Assumed::default();
                let t = v.get("max_execution_time", "30", &mut assumed);
                let seconds = leading_integer(&t.value).unwrap_or(0);
                let s = seconds as f64;
                let e = if seconds <= 0 {
                    Evaluation::warn("0: scripts never time out")
                } else if s > 120.0 {
                    Evaluation::warn(format!(
                        "{seconds} s lets one request hold a child for minutes"
                    ))
                } else if s < min || s > max {
                    Evaluation::warn(format!("{seconds} s is outside the usual web range"))
                } else {
                    Evaluation::pass(format!("{seconds} s"))
                };
                (
                    v.label(),
                    assumed.apply(
                        e.value(format!("max_execution_time={seconds}"))
                            .threshold(threshold.clone())
                            .at(t.origin.as_ref()),
                    ),
                )
            })
            .collect(),
    )
}

fn session_cookies(stack: &Stack, _: &Inputs) -> Evaluation {
    const KEYS: [(&str, &str); 5] = [
        ("session.cookie_secure", ""),
        ("session.cookie_httponly", ""),
        ("session.use_strict_mode", "0"),
        ("session.cookie_samesite", ""),
        ("session.use_only_cookies", "1"),
    ];
    let keys: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
    let Some(views) = views(stack, &keys) else {
        return no_php_ini(stack);
    };
    worst(
        views
            .iter()
            .map(|v| {
                let mut assumed = Assumed::default();
                let mut missing = Vec::new();
                let mut first_bad = None;
                let mut shown = Vec::new();
                for (key, default) in KEYS {
                    let val = v.get(key, default, &mut assumed);
                    let good = if key == "session.cookie_samesite" {
                        matches!(
                            val.value.trim().to_ascii_lowercase().as_str(),
                            "lax" | "strict"
                        )
                    } else {
                        php_bool(&val.value)
                    };
                    shown.push(format!(
                        "{}={}",
                        key.trim_start_matches("session."),
                        if val.value.is_empty() {
                            "\"\""
                        } else {
                            &val.value
                        }
                    ));
                    if !good {
                        missing.push(key);
                        if first_bad.is_none() {
                            first_bad = val.origin.clone();
                        }
                    }
                }
                let e = if missing.is_empty() {
                    Evaluation::pass("session cookies are secure, HttpOnly, strict and SameSite")
                } else {
                    Evaluation::warn(format!("not set as advised: {}", missing.join(", ")))
                        .at(first_bad.as_ref())
                };
                (
                    v.label(),
                    assumed.apply(e.value(shown.join(", ")).threshold(
                        "cookie_secure=1, cookie_httponly=1, use_strict_mode=1, \
                         cookie_samesite=Lax|Strict, use_only_cookies=1",
                    )),
                )
            })
            .collect(),
    )
}
