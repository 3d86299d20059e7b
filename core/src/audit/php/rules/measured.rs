//! m.opcache.* and m.fpm.* rules: ratios measured from status dumps.
//! Counters are cumulative since the last (re)start; two dumps of the same
//! instance give a difference, which says what happens now rather than
//! since start.

use super::{Assumed, number, percent, worst};
use crate::assess::{Category, Severity};
use crate::audit::php::status::{Counter, FpmSample, OpcacheSample};
use crate::audit::{Evaluation, Inputs, Rule, Stack};

pub fn rules() -> Vec<Rule> {
    vec![
        Rule {
            id: "m.opcache.hit_rate",
            title: "OPcache serves nearly every script from memory",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "Every miss compiles a script again; after warm-up a healthy cache misses almost \
                  never, so a low hit rate means the cache is too small or keeps restarting.",
            fix: "Raise opcache.memory_consumption and opcache.max_accelerated_files until \
                  restarts stop, and avoid opcache_reset() outside deploys.",
            check: hit_rate,
        },
        Rule {
            id: "m.opcache.health",
            title: "OPcache has room and does not restart",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "Out-of-memory and hash restarts flush the whole cache under load; a full or \
                  wasted segment is the step before them.",
            fix: "Raise opcache.memory_consumption after OOM restarts, \
                  opcache.max_accelerated_files after hash restarts, and \
                  opcache.interned_strings_buffer when it runs low.",
            check: health,
        },
        Rule {
            id: "m.fpm.max_children_reached",
            title: "Pools do not run out of children",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "When every child is busy, new requests wait in the listen queue, so latency \
                  grows with load instead of throughput.",
            fix: "Raise pm.max_children if memory allows (see fpm.pm.max_children_memory), or \
                  make requests faster; confirm with a second status dump under load.",
            check: max_children_reached,
        },
        Rule {
            id: "m.fpm.listen_queue",
            title: "Requests do not queue in front of FPM",
            category: Category::Infrastructure,
            severity: Severity::High,
            why: "A request in the listen queue waits for a free child; a queue near the backlog \
                  limit means connections are about to be refused.",
            fix: "Add children or speed up slow requests (see the slow log); raise \
                  listen.backlog only together with the kernel's somaxconn.",
            check: listen_queue,
        },
    ]
}

/// The samples of the latest OPcache instance (same start or restart
/// time), in the order their counters grew.
fn opcache_samples(stack: &Stack) -> Vec<&OpcacheSample> {
    let Some(status) = stack.opcache_status.as_ref() else {
        return Vec::new();
    };
    let Some(latest) = status.samples.last() else {
        return Vec::new();
    };
    let instance = latest.restarted_at();
    let mut same: Vec<&OpcacheSample> = status
        .samples
        .iter()
        .filter(|s| s.restarted_at() == instance)
        .collect();
    same.sort_by(|a, b| lookups(a).total_cmp(&lookups(b)));
    same
}

fn lookups(s: &OpcacheSample) -> f64 {
    s.hits.as_ref().map_or(0.0, |c| c.value) + s.misses.as_ref().map_or(0.0, |c| c.value)
}

fn no_opcache_dump() -> Evaluation {
    Evaluation::unverified(
        "no opcache_get_status() dump was uploaded; save `json_encode(opcache_get_status(false))` \
         from a request served by FPM (not the CLI) and upload it",
    )
}

fn hit_rate(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let pass = inputs.heuristic("m.opcache.hit_rate.pass", 0.99);
    let fail = inputs.heuristic("m.opcache.hit_rate.fail", 0.95);
    let min_uptime = inputs.heuristic("m.opcache.hit_rate.min_uptime_s", 3600.0);
    let threshold = format!("≥ {}; below {} fails", percent(pass), percent(fail));
    let samples = opcache_samples(stack);
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return no_opcache_dump();
    };
    let mut assumed = Assumed::default();
    if let (Some(now), Some(since)) = (last.latest_use, last.restarted_at()) {
        if now - since < min_uptime {
            return Evaluation::unverified(format!(
                "the cache had been warm for at most {} s when the dump was taken; dump it again \
                 at least {} s after the last restart",
                number(now - since),
                number(min_uptime)
            ))
            .threshold(threshold)
            .at(Some(&last.origin));
        }
    } else {
        assumed.push(format!(
            "the dump does not say when it was taken: at least {} s after the last restart \
             assumed",
            number(min_uptime)
        ));
    }
    let delta = samples.len() >= 2 && lookups(last) > lookups(first);
    let get = |s: &OpcacheSample| {
        (
            s.hits.as_ref().map_or(0.0, |c| c.value),
            s.misses.as_ref().map_or(0.0, |c| c.value),
        )
    };
    let (hits, misses) = if delta {
        let ((h0, m0), (h1, m1)) = (get(first), get(last));
        (h1 - h0, m1 - m0)
    } else {
        get(last)
    };
    let origin = last
        .hits
        .as_ref()
        .map(|c| c.origin.clone())
        .or_else(|| last.opcache_hit_rate.as_ref().map(|c| c.origin.clone()));
    let rate = if hits + misses > 0.0 {
        hits / (hits + misses)
    } else if let Some(r) = last.opcache_hit_rate.as_ref().filter(|_| !delta) {
        r.value / 100.0
    } else {
        return Evaluation::unverified("the dump counts no lookups yet; dump it again under load")
            .threshold(threshold)
            .at(origin.as_ref());
    };
    let over = if delta {
        format!(" between {} dumps", samples.len())
    } else {
        " since the last restart".to_owned()
    };
    let e = if rate >= pass {
        Evaluation::pass(format!("{} of lookups hit{over}", percent(rate)))
    } else if rate >= fail {
        Evaluation::warn(format!("{} of lookups hit{over}", percent(rate)))
    } else {
        Evaluation::fail(format!(
            "only {} of lookups hit{over}: scripts are compiled again and again",
            percent(rate)
        ))
    };
    assumed.apply(
        e.value(format!(
            "{} ({} hits, {} misses)",
            percent(rate),
            number(hits),
            number(misses)
        ))
        .threshold(threshold)
        .at(origin.as_ref()),
    )
}

fn health(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let free_share = inputs.heuristic("m.opcache.health.free_ratio", 0.10);
    let keys_share = inputs.heuristic("m.opcache.health.keys_ratio", 0.90);
    let interned_share = inputs.heuristic("m.opcache.health.interned_free_ratio", 0.10);
    let Some(s) = stack
        .opcache_status
        .as_ref()
        .and_then(|st| st.samples.last())
    else {
        return no_opcache_dump();
    };
    let mut assumed = Assumed::default();
    let threshold = format!(
        "no OOM or hash restarts; ≥ {} free, wasted below opcache.max_wasted_percentage, keys ≤ {} \
         of the table",
        percent(free_share),
        percent(keys_share)
    );
    let positive = |c: &Option<Counter>| c.as_ref().filter(|c| c.value > 0.0).cloned();
    let mut values = Vec::new();
    if let Some(oom) = positive(&s.oom_restarts) {
        return Evaluation::fail(format!(
            "OPcache restarted because shared memory ran out (oom_restarts = {})",
            oom.as_u64()
        ))
        .value(format!("oom_restarts = {}", oom.as_u64()))
        .threshold(threshold)
        .at(Some(&oom.origin));
    }
    if let Some(hash) = positive(&s.hash_restarts) {
        return Evaluation::fail(format!(
            "OPcache restarted because its key table was full (hash_restarts = {})",
            hash.as_u64()
        ))
        .value(format!("hash_restarts = {}", hash.as_u64()))
        .threshold(threshold)
        .at(Some(&hash.origin));
    }
    let mut warnings: Vec<(String, Option<crate::audit::model::Origin>)> = Vec::new();
    if s.cache_full == Some(true) {
        warnings.push(("the cache is full".to_owned(), Some(s.origin.clone())));
    }
    if s.restart_pending == Some(true) {
        warnings.push(("a restart is pending".to_owned(), Some(s.origin.clone())));
    }
    if let (Some(free), Some(total)) = (s.free_memory.as_ref(), s.segment_bytes()) {
        let share = if total > 0 {
            free.value / total as f64
        } else {
            0.0
        };
        values.push(format!("free {}", percent(share)));
        if share < free_share {
            warnings.push((
                format!("only {} of shared memory is free", percent(share)),
                Some(free.origin.clone()),
            ));
        }
    }
    if let Some(wasted) = s.current_wasted_percentage.as_ref() {
        let limit = match stack.php.as_ref() {
            None => {
                assumed.push("opcache.max_wasted_percentage: PHP's default 5");
                5
            }
            Some(ini) => {
                let r = ini.opcache_max_wasted_percentage();
                if r.is_default() {
                    assumed.push("opcache.max_wasted_percentage unset: PHP's default 5");
                }
                r.value
            }
        };
        values.push(format!("wasted {} %", number(wasted.value)));
        if wasted.value >= limit as f64 {
            warnings.push((
                format!(
                    "{} % of memory is wasted, at or above the {limit} % that schedules a restart",
                    number(wasted.value)
                ),
                Some(wasted.origin.clone()),
            ));
        }
    }
    if let (Some(free), Some(size)) = (
        s.interned_free_memory.as_ref(),
        s.interned_buffer_size.as_ref(),
    ) && size.value > 0.0
    {
        let share = free.value / size.value;
        values.push(format!("interned free {}", percent(share)));
        if share < interned_share {
            warnings.push((
                format!(
                    "only {} of the interned strings buffer is free",
                    percent(share)
                ),
                Some(free.origin.clone()),
            ));
        }
    }
    if let (Some(keys), Some(max)) = (s.num_cached_keys.as_ref(), s.max_cached_keys.as_ref())
        && max.value > 0.0
    {
        let share = keys.value / max.value;
        values.push(format!("keys {}", percent(share)));
        if share > keys_share {
            warnings.push((
                format!("{} of {} key slots are used", keys.as_u64(), max.as_u64()),
                Some(keys.origin.clone()),
            ));
        }
    }
    if let (Some(size), Some(free)) = (s.jit_buffer_size.as_ref(), s.jit_buffer_free.as_ref())
        && size.value > 0.0
        && free.value / size.value < 0.01
    {
        warnings.push((
            "the JIT buffer is full".to_owned(),
            Some(free.origin.clone()),
        ));
    }
    let value = values.join(", ");
    let e = match warnings.first() {
        Some((_, origin)) => {
            let texts: Vec<&str> = warnings.iter().map(|(t, _)| t.as_str()).collect();
            Evaluation::warn(texts.join("; ")).at(origin.as_ref())
        }
        None => Evaluation::pass("no restarts, and room left in every area").at(Some(&s.origin)),
    };
    assumed.apply(e.value(value).threshold(threshold))
}

/// The samples of each pool, from its latest FPM instance (same start
/// time), oldest first.
fn fpm_pools(stack: &Stack) -> Vec<Vec<&FpmSample>> {
    let Some(status) = stack.fpm_status.as_ref() else {
        return Vec::new();
    };
    let mut names: Vec<&str> = Vec::new();
    for s in &status.samples {
        if !names.contains(&s.pool.as_str()) {
            names.push(&s.pool);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let of_pool: Vec<&FpmSample> =
                status.samples.iter().filter(|s| s.pool == name).collect();
            let latest = of_pool.iter().filter_map(|s| s.start_time).max();
            let mut same: Vec<&FpmSample> = of_pool
                .into_iter()
                .filter(|s| s.start_time == latest)
                .collect();
            same.sort_by(|a, b| since(a).total_cmp(&since(b)));
            same
        })
        .collect()
}

fn since(s: &FpmSample) -> f64 {
    s.start_since.as_ref().map_or(0.0, |c| c.value)
}

fn no_fpm_dump() -> Evaluation {
    Evaluation::unverified(
        "no php-fpm status dump was uploaded; set pm.status_path and save `<path>?json` (twice, \
         at least 5 minutes apart, under load)",
    )
}

fn value_of(c: &Option<Counter>) -> f64 {
    c.as_ref().map_or(0.0, |c| c.value)
}

/// How two samples of one instance were taken, for details.
fn interval(first: &FpmSample, last: &FpmSample) -> String {
    format!("{} s apart", number(since(last) - since(first)))
}

fn max_children_reached(stack: &Stack, _: &Inputs) -> Evaluation {
    let pools = fpm_pools(stack);
    if pools.is_empty() {
        return no_fpm_dump();
    }
    let threshold = "0, and never all children busy while requests queue";
    worst(
        pools
            .into_iter()
            .filter_map(|samples| {
                let (first, last) = (samples.first().copied()?, samples.last().copied()?);
                let mut assumed = Assumed::default();
                let reached = last.max_children_reached.as_ref();
                let count = value_of(&last.max_children_reached);
                let active = value_of(&last.max_active_processes);
                let queue = value_of(&last.listen_queue);
                let configured = stack
                    .fpm
                    .as_ref()
                    .and_then(|f| f.pool(&last.pool))
                    .and_then(|p| p.max_children().value);
                let is_static = last.process_manager.eq_ignore_ascii_case("static");
                let mut value = format!(
                    "max children reached = {}, max active processes = {}",
                    number(count),
                    number(active)
                );
                if let Some(c) = configured {
                    value.push_str(&format!(", pm.max_children = {c}"));
                }
                let rising = samples.len() >= 2 && count > value_of(&first.max_children_reached);
                let saturated = configured.is_some_and(|c| c > 0 && active >= c as f64);
                let at = reached.map(|c| &c.origin).unwrap_or(&last.origin);
                let e = if rising {
                    Evaluation::fail(format!(
                        "the counter rose from {} to {} between dumps {}",
                        number(value_of(&first.max_children_reached)),
                        number(count),
                        interval(first, last)
                    ))
                    .at(Some(at))
                } else if saturated && queue > 0.0 {
                    Evaluation::fail(format!(
                        "every child was busy and {} requests were queued",
                        number(queue)
                    ))
                    .at(Some(at))
                } else if is_static {
                    match configured {
                        None => Evaluation::unverified(
                            "a static pool does not count this; upload its pool configuration to \
                             compare max active processes with pm.max_children",
                        )
                        .at(Some(&last.origin)),
                        Some(_) if saturated => Evaluation::warn(
                            "every child of the static pool has been busy at once since start",
                        )
                        .at(Some(at)),
                        Some(_) => Evaluation::pass("the static pool never had every child busy")
                            .at(Some(at)),
                    }
                } else if count > 0.0 {
                    let how = if samples.len() >= 2 {
                        format!("flat between dumps {}", interval(first, last))
                    } else {
                        "one dump cannot tell whether it still rises".to_owned()
                    };
                    Evaluation::warn(format!(
                        "the pool ran out of children {} times since start ({how})",
                        number(count)
                    ))
                    .at(Some(at))
                } else {
                    Evaluation::pass("the pool never ran out of children").at(Some(at))
                };
                if samples.len() < 2 {
                    assumed.push("one dump: counters are totals since FPM started");
                }
                Some((
                    Some(last.pool.clone()),
                    assumed.apply(e.value(value).threshold(threshold)),
                ))
            })
            .collect(),
    )
}

fn listen_queue(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let share = inputs.heuristic("m.fpm.listen_queue.max_queue_share", 0.5);
    let pools = fpm_pools(stack);
    if pools.is_empty() {
        return no_fpm_dump();
    }
    let threshold = format!(
        "both queues 0; max listen queue below {} of listen queue len",
        percent(share)
    );
    worst(
        pools
            .into_iter()
            .filter_map(|samples| {
                let (first, last) = (samples.first().copied()?, samples.last().copied()?);
                let mut assumed = Assumed::default();
                let queue = value_of(&last.listen_queue);
                let max = value_of(&last.max_listen_queue);
                let len = value_of(&last.listen_queue_len);
                let slow = value_of(&last.slow_requests);
                let origin_of = |c: &Option<Counter>| {
                    c.as_ref()
                        .map(|c| c.origin.clone())
                        .unwrap_or(last.origin.clone())
                };
                let value = format!(
                    "listen queue = {}, max listen queue = {}, listen queue len = {}, slow \
                     requests = {}",
                    number(queue),
                    number(max),
                    number(len),
                    number(slow)
                );
                let e = if queue > 0.0 {
                    Evaluation::fail(format!(
                        "{} requests were waiting for a child when the dump was taken",
                        number(queue)
                    ))
                    .at(Some(&origin_of(&last.listen_queue)))
                } else if len > 0.0 && max >= share * len {
                    Evaluation::fail(format!(
                        "the queue reached {} of its {} slots since start",
                        number(max),
                        number(len)
                    ))
                    .at(Some(&origin_of(&last.max_listen_queue)))
                } else if max > 0.0 {
                    Evaluation::warn(format!(
                        "up to {} requests have waited for a child since start",
                        number(max)
                    ))
                    .at(Some(&origin_of(&last.max_listen_queue)))
                } else if samples.len() >= 2 && slow > value_of(&first.slow_requests) {
                    Evaluation::warn(format!(
                        "slow requests rose from {} to {} between dumps {}",
                        number(value_of(&first.slow_requests)),
                        number(slow),
                        interval(first, last)
                    ))
                    .at(Some(&origin_of(&last.slow_requests)))
                } else if samples.len() < 2 && slow > 0.0 {
                    Evaluation::warn(format!(
                        "{} slow requests since start (one dump cannot tell whether they still \
                         occur)",
                        number(slow)
                    ))
                    .at(Some(&origin_of(&last.slow_requests)))
                } else {
                    Evaluation::pass("no request has queued")
                        .at(Some(&origin_of(&last.listen_queue)))
                };
                if len <= 0.0 {
                    assumed.push(
                        "listen queue len is 0 (the platform does not report the backlog), so \
                         the queue is not compared with it",
                    );
                }
                Some((
                    Some(last.pool.clone()),
                    assumed.apply(e.value(value).threshold(threshold.clone())),
                ))
            })
            .collect(),
    )
}
