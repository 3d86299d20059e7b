//! x.timeouts and x.body_chain: limits that a request meets one after the
//! other on its way from nginx into a PHP-FPM child, judged for every PHP
//! location and the pools it passes to.

use super::{NO_FPM, NO_NGINX, Verdict, bytes, php_size, php_value, pools_for, rank, secs};
use crate::audit::model::{Origin, Resolved, seconds_nginx, size_1024};
use crate::audit::nginx::{
    Context, DEFAULT_CLIENT_MAX_BODY_SIZE, DEFAULT_FASTCGI_TIMEOUT_S, Lookup, NginxConf, resolve,
};
use crate::audit::php::ini::leading_integer;
use crate::audit::php::phpini::memory_limit_value;
use crate::audit::php::{FpmConfig, FpmPool};
use crate::audit::{Evaluation, Inputs, Stack};

const NO_MAIN: &str =
    "the main nginx.conf (what the PHP locations do not set may be set there for all of http)";
const NO_LOCATION: &str = "an nginx location that passes PHP to FPM (fastcgi_pass)";

/// The FPM pools and the nginx PHP locations both rules walk; `None` after
/// recording what is missing.
fn sides<'s>(
    stack: &'s Stack,
    v: &mut Verdict,
) -> Option<(&'s FpmConfig, &'s NginxConf, Vec<Context<'s>>)> {
    let fpm = match stack.fpm.as_ref() {
        Some(f) if !f.pools.is_empty() => Some(f),
        Some(_) => {
            v.missing("the php-fpm pool files (the uploaded php-fpm files define no pool)");
            None
        }
        None => {
            v.missing(NO_FPM);
            None
        }
    };
    let conf = stack.nginx.as_ref();
    if conf.is_none() {
        v.missing(NO_NGINX);
    }
    let (fpm, conf) = (fpm?, conf?);
    let locations = conf.app_php_locations();
    if locations.is_empty() {
        v.missing(NO_LOCATION);
        return None;
    }
    Some((fpm, conf, locations))
}

/// An nginx time of a location, or `None` (recorded as missing) when an
/// outer level that could set it was not uploaded or the value is not a
/// time.
fn nginx_seconds(ctx: &Context<'_>, name: &str, v: &mut Verdict) -> Option<Resolved<f64>> {
    let r = resolve(ctx, name, DEFAULT_FASTCGI_TIMEOUT_S, |d| {
        seconds_nginx(&d.args.join(" "))
    });
    match (&r, ctx.lookup(name)) {
        (Some(r), _) if r.is_default() => v.assumed.push(format!(
            "{name} unset: {}, nginx's default",
            secs(DEFAULT_FASTCGI_TIMEOUT_S)
        )),
        (None, Lookup::Set(d)) => v.missing(format!("a valid {name} (at {})", d.origin)),
        (None, _) => v.missing(NO_MAIN),
        _ => {}
    }
    r
}

/// An FPM time of a pool, or `None` (recorded as missing) when FPM would
/// refuse the value.
fn fpm_seconds(
    r: Resolved<Option<i64>>,
    name: &str,
    pool: &FpmPool,
    v: &mut Verdict,
) -> Option<(f64, Option<Origin>)> {
    if r.is_default() {
        v.assumed
            .push(format!("{name} unset: 0 (off), FPM's default"));
    }
    match r.value {
        Some(n) => Some((n.max(0) as f64, r.origin)),
        None => {
            v.missing(format!(
                "a valid {name} in pool `{}` (FPM refuses the one given)",
                pool.name
            ));
            None
        }
    }
}

fn off_or(value: f64) -> String {
    if value <= 0.0 {
        "0 (off)".to_owned()
    } else {
        secs(value)
    }
}

// ------------------------------------------------------------ x.timeouts

pub(super) fn timeouts(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let connect_max = inputs.heuristic("x.timeouts.connect_max_s", 10.0);
    let balancer = inputs
        .heuristics
        .get("x.timeouts.lb_idle_timeout_s")
        .copied()
        .filter(|t| t.is_finite() && *t > 0.0);
    let threshold = format!(
        "request_slowlog_timeout < max_execution_time < request_terminate_timeout ≤ \
         fastcgi_read_timeout{}, all > 0; fastcgi_connect_timeout ≤ {}",
        if balancer.is_some() {
            " ≤ load balancer idle timeout"
        } else {
            ""
        },
        secs(connect_max)
    );
    let mut v = Verdict::default();
    let Some((fpm, conf, locations)) = sides(stack, &mut v) else {
        return v.finish(None, threshold, None);
    };
    if balancer.is_none() {
        v.assumed.push(
            "load balancer idle timeout not given (x.timeouts.lb_idle_timeout_s): fastcgi_read_timeout \
             not compared with it",
        );
    }
    // The ladder of the worst pair is the value shown.
    let mut shown: Option<(u8, String)> = None;
    for ctx in &locations {
        let read = nginx_seconds(ctx, "fastcgi_read_timeout", &mut v);
        let connect = nginx_seconds(ctx, "fastcgi_connect_timeout", &mut v);
        let (Some(read), Some(connect)) = (read, connect) else {
            continue;
        };
        for pool in pools_for(conf, ctx, &fpm.pools) {
            let slow = fpm_seconds(
                pool.request_slowlog_timeout(),
                "request_slowlog_timeout",
                pool,
                &mut v,
            );
            let term = fpm_seconds(
                pool.request_terminate_timeout(),
                "request_terminate_timeout",
                pool,
                &mut v,
            );
            let php = match php_value(
                stack,
                Some(pool),
                "max_execution_time",
                "30",
                &mut v.assumed,
            ) {
                Ok(p) => Some(p),
                Err(what) => {
                    v.missing(what);
                    None
                }
            };
            let (Some((ts, ts_at)), Some((tf, tf_at)), Some(php)) = (slow, term, php) else {
                continue;
            };
            let tp = leading_integer(&php.text).unwrap_or(0).max(0) as f64;
            let tp_at = php.origin.clone();
            let (tn, tn_at) = (read.value, read.origin.clone());
            let (tc, tc_at) = (connect.value, connect.origin.clone());
            let scope = format!("pool `{}` behind {}", pool.name, ctx.scope);
            let before = v.checks.len();
            if tp > 0.0 && tn < tp {
                v.fail(
                    format!(
                        "{scope}: nginx gives up after fastcgi_read_timeout {} while PHP's own \
                         max_execution_time is {}: the client gets a 504 and its retry lands on \
                         children still busy",
                        secs(tn),
                        secs(tp)
                    ),
                    tn_at.as_ref().or(tp_at.as_ref()),
                );
            }
            if tf <= 0.0 {
                v.warn(
                    format!(
                        "{scope}: request_terminate_timeout is 0, so a request stuck on I/O holds \
                         its child forever"
                    ),
                    tf_at.as_ref().or(Some(&pool.origin)),
                );
            } else {
                if tn < tf {
                    v.warn(
                        format!(
                            "{scope}: nginx answers 504 after {} while FPM lets the child work on \
                             until request_terminate_timeout {}",
                            secs(tn),
                            secs(tf)
                        ),
                        tn_at.as_ref().or(tf_at.as_ref()),
                    );
                }
                if tp > 0.0 && tf <= tp {
                    v.warn(
                        format!(
                            "{scope}: FPM kills the child at request_terminate_timeout {}, not \
                             after max_execution_time {}, so PHP and Laravel never log the \
                             timeout",
                            secs(tf),
                            secs(tp)
                        ),
                        tf_at.as_ref().or(tp_at.as_ref()),
                    );
                }
            }
            if tp <= 0.0 {
                v.warn(
                    format!("{scope}: max_execution_time is 0, so PHP sets no limit of its own"),
                    tp_at.as_ref(),
                );
            }
            // The slow log must fire before anything stops the request, or
            // the backtrace that explains it is never written.
            let stop = if tp > 0.0 { tp } else { tf };
            if ts <= 0.0 {
                v.warn(
                    format!(
                        "{scope}: request_slowlog_timeout is 0, so slow requests leave no \
                         backtrace"
                    ),
                    ts_at.as_ref().or(Some(&pool.origin)),
                );
            } else if stop > 0.0 && ts >= stop {
                v.warn(
                    format!(
                        "{scope}: request_slowlog_timeout {} is not below the {} at which the \
                         request is stopped, so the slow log never records it",
                        secs(ts),
                        secs(stop)
                    ),
                    ts_at.as_ref(),
                );
            }
            if tc > connect_max {
                v.warn(
                    format!(
                        "{scope}: fastcgi_connect_timeout {}: when FPM is down or its backlog \
                         full, nginx waits that long before answering 502",
                        secs(tc)
                    ),
                    tc_at.as_ref(),
                );
            }
            if let Some(tl) = balancer
                && tn > tl
            {
                v.warn(
                    format!(
                        "{scope}: fastcgi_read_timeout {} outlasts the load balancer's idle \
                         timeout {}, which closes the connection first",
                        secs(tn),
                        secs(tl)
                    ),
                    tn_at.as_ref(),
                );
            }
            if v.checks.len() == before {
                v.pass(
                    format!(
                        "{scope}: slowlog {} < max_execution_time {} < request_terminate_timeout \
                         {} ≤ fastcgi_read_timeout {}",
                        secs(ts),
                        secs(tp),
                        secs(tf),
                        secs(tn)
                    ),
                    tn_at.as_ref().or(tf_at.as_ref()),
                );
            }
            let pair_rank = v.checks[before..]
                .iter()
                .map(|c| rank(c.outcome))
                .max()
                .unwrap_or(0);
            let ladder = format!(
                "request_slowlog_timeout {}, max_execution_time {}, request_terminate_timeout {}, \
                 fastcgi_read_timeout {}, fastcgi_connect_timeout {}{}",
                off_or(ts),
                off_or(tp),
                off_or(tf),
                secs(tn),
                secs(tc),
                balancer.map_or(String::new(), |tl| format!(", load balancer {}", secs(tl)))
            );
            if shown.as_ref().is_none_or(|(r, _)| pair_rank > *r) {
                shown = Some((pair_rank, ladder));
            }
        }
    }
    v.finish(shown.map(|(_, l)| l), threshold, None)
}

// ------------------------------------------------------------ x.body_chain

/// `u64::MAX` for "no limit".
fn unlimited_if_zero(value: u64) -> u64 {
    if value == 0 { u64::MAX } else { value }
}

pub(super) fn body_chain(stack: &Stack, _inputs: &Inputs) -> Evaluation {
    let threshold = "upload_max_filesize ≤ post_max_size ≤ client_max_body_size, and post_max_size ≤ \
         memory_limit";
    let mut v = Verdict::default();
    let Some((fpm, conf, locations)) = sides(stack, &mut v) else {
        return v.finish(None, threshold, None);
    };
    let mut shown: Option<(u8, String)> = None;
    for ctx in &locations {
        let body = resolve(
            ctx,
            "client_max_body_size",
            DEFAULT_CLIENT_MAX_BODY_SIZE,
            |d| d.arg(0).and_then(size_1024),
        );
        let body = match (body, ctx.lookup("client_max_body_size")) {
            (Some(b), _) => {
                if b.is_default() {
                    v.assumed
                        .push("client_max_body_size unset: 1 MiB, nginx's default");
                }
                b
            }
            (None, Lookup::Set(d)) => {
                v.missing(format!("a valid client_max_body_size (at {})", d.origin));
                continue;
            }
            (None, _) => {
                v.missing(NO_MAIN);
                continue;
            }
        };
        let nginx_limit = unlimited_if_zero(body.value);
        for pool in pools_for(conf, ctx, &fpm.pools) {
            let read = |key: &str, default: &str, v: &mut Verdict| {
                php_value(stack, Some(pool), key, default, &mut v.assumed)
                    .map_err(|what| v.missing(what))
                    .ok()
            };
            let upload = read("upload_max_filesize", "2M", &mut v);
            let post = read("post_max_size", "8M", &mut v);
            let memory = read("memory_limit", "128M", &mut v);
            let (Some(upload), Some(post), Some(memory)) = (upload, post, memory) else {
                continue;
            };
            let up = php_size(&upload.text);
            // post_max_size 0 and memory_limit -1 switch PHP's check off.
            let po = unlimited_if_zero(php_size(&post.text));
            let mem = memory_limit_value(&memory.text).unwrap_or(u64::MAX);
            let scope = format!("pool `{}` behind {}", pool.name, ctx.scope);
            let before = v.checks.len();
            if up > po {
                v.warn(
                    format!(
                        "{scope}: upload_max_filesize {} is above post_max_size {}: a file \
                         between the two makes PHP drop the whole body, so $_POST and $_FILES \
                         arrive empty",
                        bytes(up),
                        bytes(po)
                    ),
                    upload.origin.as_ref().or(post.origin.as_ref()),
                );
            }
            if po > nginx_limit {
                v.warn(
                    format!(
                        "{scope}: nginx refuses bodies over client_max_body_size {} with a 413, \
                         below PHP's post_max_size {}",
                        bytes(nginx_limit),
                        bytes(po)
                    ),
                    body.origin.as_ref().or(post.origin.as_ref()),
                );
            }
            if po > mem {
                v.warn(
                    format!(
                        "{scope}: memory_limit {} is below post_max_size {}, so PHP cannot hold \
                         the largest body it accepts",
                        bytes(mem),
                        bytes(po)
                    ),
                    memory.origin.as_ref().or(post.origin.as_ref()),
                );
            }
            if v.checks.len() == before {
                v.pass(
                    format!(
                        "{scope}: upload_max_filesize {} ≤ post_max_size {} ≤ \
                         client_max_body_size {}, memory_limit {}",
                        bytes(up),
                        bytes(po),
                        bytes(nginx_limit),
                        bytes(mem)
                    ),
                    body.origin.as_ref().or(post.origin.as_ref()),
                );
            }
            let pair_rank = v.checks[before..]
                .iter()
                .map(|c| rank(c.outcome))
                .max()
                .unwrap_or(0);
            let chain = format!(
                "upload_max_filesize {}, post_max_size {}, client_max_body_size {}, memory_limit {}",
                bytes(up),
                bytes(po),
                bytes(nginx_limit),
                bytes(mem)
            );
            if shown.as_ref().is_none_or(|(r, _)| pair_rank > *r) {
                shown = Some((pair_rank, chain));
            }
        }
    }
    v.finish(shown.map(|(_, c)| c), threshold, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_no_limit() {
        assert_eq!(unlimited_if_zero(0), u64::MAX);
        assert_eq!(unlimited_if_zero(5), 5);
    }
}
