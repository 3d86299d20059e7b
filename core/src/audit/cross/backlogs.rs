//! x.backlogs: the listen queues of FPM, Redis and nginx against the
//! kernel's ceiling.

use super::{NO_FPM, NO_NGINX, Verdict, num};
use crate::audit::php::Pm;
use crate::audit::{Evaluation, Inputs, Role, Stack, redis};

/// FPM's listen backlog on Linux (`FPM_BACKLOG_DEFAULT`), which ondemand
/// pools are raised to.
const FPM_DEFAULT: i64 = 511;

pub(super) fn check(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let somaxconn = inputs.heuristic("x.backlogs.somaxconn", 4096.0);
    let min = inputs.heuristic("x.backlogs.min", 128.0);
    let threshold = format!(
        "every backlog between {} and somaxconn {}; FPM's listen.backlog ≥ {FPM_DEFAULT}",
        num(min),
        num(somaxconn)
    );
    let mut v = Verdict::default();
    if !inputs.heuristics.contains_key("x.backlogs.somaxconn") {
        v.assumed.push(format!(
            "somaxconn: {} (the default since Linux 5.4; give x.backlogs.somaxconn for the \
             servers' net.core.somaxconn)",
            num(somaxconn)
        ));
    }
    // The services of the host profile's roles must be uploaded to be
    // judged; without a profile, whatever was uploaded is judged.
    let (want_fpm, want_redis, want_nginx) = match inputs.host.as_ref() {
        Some(h) if !h.servers.is_empty() => {
            let any = |role: Role| h.servers.iter().any(|s| s.roles.contains(&role));
            (any(Role::Php), any(Role::Cache), any(Role::Web))
        }
        _ => (
            stack.fpm.is_some(),
            stack.redis.is_some(),
            stack.nginx.is_some(),
        ),
    };
    if !(want_fpm || want_redis || want_nginx) {
        v.missing("a php-fpm, redis.conf or nginx configuration");
    }
    let mut shown: Vec<String> = Vec::new();
    // A backlog is judged against the kernel's ceiling and the floor.
    let judge = |v: &mut Verdict,
                 what: String,
                 n: f64,
                 floor: f64,
                 floor_why: &str,
                 origin: Option<&crate::audit::model::Origin>| {
        if n > somaxconn {
            v.warn(
                format!(
                    "{what} is above somaxconn {}: the kernel cuts it to that silently",
                    num(somaxconn)
                ),
                origin,
            );
        } else if n < floor {
            v.warn(
                format!("{what} is below {}: {floor_why}", num(floor)),
                origin,
            );
        } else {
            v.pass(what, origin);
        }
    };

    if want_fpm {
        match stack.fpm.as_ref().filter(|f| !f.pools.is_empty()) {
            None => v.missing(NO_FPM),
            Some(fpm) => {
                for pool in &fpm.pools {
                    let r = pool.listen_backlog();
                    let Some(n) = r.value else {
                        v.missing(format!(
                            "a valid listen.backlog in pool `{}` (FPM refuses the one given)",
                            pool.name
                        ));
                        continue;
                    };
                    if r.is_default() {
                        v.assumed
                            .push("listen.backlog unset: 511, FPM's default on Linux");
                    }
                    let at = r.origin.as_ref().or(Some(&pool.origin));
                    if n < 0 {
                        // -1 asks the kernel for its maximum: somaxconn.
                        v.pass(
                            format!(
                                "pool `{}`: listen.backlog {n} takes the kernel's maximum",
                                pool.name
                            ),
                            at,
                        );
                        shown.push(format!("FPM `{}` {n} (somaxconn)", pool.name));
                        continue;
                    }
                    let ondemand = pool.pm().value == Pm::Ondemand && n < FPM_DEFAULT;
                    let effective = if ondemand { FPM_DEFAULT } else { n };
                    let what = if ondemand {
                        format!(
                            "pool `{}`: listen.backlog {n} (raised to {FPM_DEFAULT} by pm = \
                             ondemand)",
                            pool.name
                        )
                    } else {
                        format!("pool `{}`: listen.backlog {n}", pool.name)
                    };
                    judge(
                        &mut v,
                        what,
                        effective as f64,
                        min.max(FPM_DEFAULT as f64),
                        "a burst larger than the queue is refused while every child is busy \
                         (FPM's own default is 511)",
                        at,
                    );
                    shown.push(format!("FPM `{}` {effective}", pool.name));
                    // The status page shows the backlog the kernel granted.
                    let granted = stack
                        .fpm_status
                        .iter()
                        .flat_map(|s| &s.samples)
                        .filter(|s| s.pool == pool.name)
                        .find_map(|s| s.listen_queue_len.as_ref());
                    if let Some(len) = granted
                        && (len.value as i64) < effective
                    {
                        v.warn(
                            format!(
                                "pool `{}`: the FPM status reports a listen queue len of {} \
                                 against listen.backlog {effective}: the kernel cut it, so \
                                 somaxconn is {} there",
                                pool.name,
                                num(len.value),
                                num(len.value)
                            ),
                            Some(&len.origin),
                        );
                    }
                }
            }
        }
    }

    if want_redis {
        match redis::tcp_backlog(stack) {
            None => v.missing("redis.conf (tcp-backlog; INFO does not report it)"),
            Some(r) => {
                if r.is_default() {
                    v.assumed.push("tcp-backlog unset: 511, Redis's default");
                }
                judge(
                    &mut v,
                    format!("Redis tcp-backlog {}", r.value),
                    r.value as f64,
                    min,
                    "bursts of new connections are refused",
                    r.origin.as_ref(),
                );
                shown.push(format!("Redis {}", r.value));
            }
        }
    }

    if want_nginx {
        match stack.nginx.as_ref() {
            None => v.missing(NO_NGINX),
            Some(conf) if !conf.has_servers() => {
                v.missing("an nginx server block (the listen sockets are declared there)")
            }
            Some(conf) => {
                let listens = conf.listen_backlogs();
                if listens.is_empty() {
                    // A server without `listen` listens on *:80 with the
                    // default backlog.
                    v.pass("nginx listens with its default backlog 511", None);
                    v.assumed
                        .push("listen backlog= unset: 511, nginx's default on Linux");
                    shown.push("nginx 511".to_owned());
                }
                for l in listens {
                    if l.value.is_default() {
                        v.assumed
                            .push("listen backlog= unset: 511, nginx's default on Linux");
                    }
                    let address = l
                        .scope
                        .rsplit_once(" listen ")
                        .map_or(l.scope.as_str(), |(_, a)| a)
                        .to_owned();
                    judge(
                        &mut v,
                        format!("nginx listen {address} backlog {}", l.value.value),
                        l.value.value as f64,
                        min,
                        "bursts of new clients are refused",
                        l.value.origin.as_ref(),
                    );
                    let item = format!("nginx {address} {}", l.value.value);
                    if !shown.contains(&item) {
                        shown.push(item);
                    }
                }
            }
        }
    }
    let value =
        (!shown.is_empty()).then(|| format!("{}; somaxconn {}", shown.join(", "), num(somaxconn)));
    v.finish(value, threshold, None)
}
