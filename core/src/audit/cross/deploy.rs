//! x.deploy_coherence: whether a deploy that switches a release symlink
//! reaches the PHP code that runs.

use super::{NO_NGINX, Verdict, php_value, secs};
use crate::audit::nginx::{Context, Lookup};
use crate::audit::php::FpmPool;
use crate::audit::php::ini::{leading_integer, php_bool};
use crate::audit::{Evaluation, Inputs, Stack};

const NO_MAIN: &str =
    "the main nginx.conf (root or fastcgi_param may be set there for all of http)";
const DECLARE: &str = "x.deploy_coherence.deploy_reloads_fpm";

/// Whether a document root sits in a release layout whose live release is
/// a symlink: Envoyer, Deployer and Forge's zero-downtime deploys all
/// serve `…/current/public`, with the releases under `…/releases/`.
fn symlinked(root: &str) -> bool {
    root.split('/').any(|s| s == "current" || s == "releases")
}

/// One PHP location: what nginx passes as the script's path.
fn judge_location(ctx: &Context<'_>, ttl: &str, v: &mut Verdict, shown: &mut Vec<String>) {
    let params = ctx.array("fastcgi_param").unwrap_or_default();
    let param = |name: &str| {
        params
            .iter()
            .rev()
            .find(|d| d.arg(0) == Some(name))
            .copied()
    };
    let script = param("SCRIPT_FILENAME");
    let scope = &ctx.scope;
    if script.is_none() && !ctx.main_known {
        v.missing(NO_MAIN);
        return;
    }
    let root = match ctx.lookup("root") {
        Lookup::Set(d) => Some(d.arg(0).unwrap_or("").to_owned()),
        Lookup::Default => Some("html".to_owned()),
        Lookup::Unknown => None,
    };
    let Some(script) = script else {
        v.warn(
            format!(
                "{scope}: no SCRIPT_FILENAME is passed, so FPM cannot find the script \
                 (fastcgi_params does not set it; fastcgi.conf or the location must)"
            ),
            ctx.origin(),
        );
        return;
    };
    let value = script.arg(1).unwrap_or("");
    shown.push(format!(
        "SCRIPT_FILENAME {value}, root {}",
        root.as_deref().unwrap_or("unknown")
    ));
    // DOCUMENT_ROOT is told but not judged: Laravel reads the script's
    // path, and its own sample config leaves DOCUMENT_ROOT at
    // $document_root.
    let document_root = param("DOCUMENT_ROOT")
        .and_then(|d| d.arg(1))
        .filter(|d| d.contains("$document_root"))
        .map(|_| " (DOCUMENT_ROOT stays $document_root, which Laravel does not read)")
        .unwrap_or("");
    if value.contains("$realpath_root") {
        v.pass(
            format!(
                "{scope}: SCRIPT_FILENAME {value} resolves the release symlink in nginx, so the \
                 new release's files are the ones compiled{document_root}"
            ),
            Some(&script.origin),
        );
        return;
    }
    let Some(root) = root else {
        v.missing(NO_MAIN);
        return;
    };
    if symlinked(&root) {
        v.warn(
            format!(
                "{scope}: SCRIPT_FILENAME {value} keeps the symlink of root {root}: after a \
                 release switch OPcache and the realpath cache (ttl {ttl}) go on running the old \
                 release's files"
            ),
            Some(&script.origin),
        );
    } else {
        v.assumed.push(format!(
            "release layout: root {root} has no `current` or `releases` folder, so releases are \
             taken as not symlinked"
        ));
        v.pass(
            format!("{scope}: SCRIPT_FILENAME {value} under a root that is not a release symlink"),
            Some(&script.origin),
        );
    }
}

pub(super) fn check(stack: &Stack, inputs: &Inputs) -> Evaluation {
    let threshold = "SCRIPT_FILENAME built on $realpath_root (or releases not symlinked); with \
                     opcache.validate_timestamps=0, every deploy reloads PHP-FPM";
    let mut v = Verdict::default();
    let mut shown: Vec<String> = Vec::new();
    let ttl = match stack.php.as_ref() {
        Some(ini) => {
            let r = ini.realpath_cache_ttl();
            secs(r.value.max(0) as f64)
        }
        None => "unknown".to_owned(),
    };
    match stack.nginx.as_ref() {
        None => v.missing(NO_NGINX),
        Some(conf) => {
            let locations = conf.app_php_locations();
            if locations.is_empty() {
                v.missing("an nginx location that passes PHP to FPM (fastcgi_pass)");
            }
            for ctx in &locations {
                judge_location(ctx, &ttl, &mut v, &mut shown);
            }
        }
    }
    // validate_timestamps may be set per pool (it is PHP_INI_ALL); judge
    // every pool that does, else php.ini's value.
    let pools: Vec<Option<&FpmPool>> = match stack.fpm.as_ref() {
        Some(fpm)
            if fpm
                .pools
                .iter()
                .any(|p| p.php_setting("opcache.validate_timestamps").is_some()) =>
        {
            fpm.pools.iter().map(Some).collect()
        }
        _ => vec![None],
    };
    let declared = inputs.heuristics.get(DECLARE).copied();
    // Where validate_timestamps is set: the place to look when the verdict
    // hangs on it.
    let mut fallback = None;
    for pool in pools {
        let scope = pool.map_or("php.ini".to_owned(), |p| format!("pool `{}`", p.name));
        let vt = match php_value(
            stack,
            pool,
            "opcache.validate_timestamps",
            "1",
            &mut v.assumed,
        ) {
            Ok(vt) => vt,
            Err(what) => {
                v.missing(what);
                continue;
            }
        };
        let on = php_bool(&vt.text);
        if fallback.is_none() {
            fallback = vt.origin.clone();
        }
        shown.push(format!(
            "{scope}: opcache.validate_timestamps {}, realpath_cache_ttl {ttl}",
            u8::from(on)
        ));
        let at = vt.origin.as_ref();
        if on {
            let freq = stack
                .php
                .as_ref()
                .and_then(|i| i.get("opcache.revalidate_freq"))
                .and_then(|s| leading_integer(&s.value))
                .unwrap_or(2);
            v.pass(
                format!(
                    "{scope}: opcache.validate_timestamps is on, so changed files are picked up \
                     within revalidate_freq ({freq} s)"
                ),
                at,
            );
            continue;
        }
        match declared {
            Some(d) if d >= 0.5 => v.pass(
                format!(
                    "{scope}: opcache.validate_timestamps is 0 and, as declared, every deploy \
                     reloads PHP-FPM"
                ),
                at,
            ),
            Some(_) => v.warn(
                format!(
                    "{scope}: opcache.validate_timestamps is 0 and the deploy does not reload \
                     PHP-FPM, so OPcache keeps running the old code until the next restart"
                ),
                at,
            ),
            None => v.missing(format!(
                "a declaration of whether every deploy reloads PHP-FPM or resets OPcache, since \
                 opcache.validate_timestamps is 0 and no file says so ({DECLARE} = 1 or 0)"
            )),
        }
    }
    let value = (!shown.is_empty()).then(|| shown.join("; "));
    v.finish(value, threshold, fallback.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_layouts_are_recognised_by_their_folders() {
        assert!(symlinked("/srv/app/current/public"));
        assert!(symlinked("/var/www/releases/42/public"));
        assert!(!symlinked("/var/www/app/public"));
        assert!(!symlinked("/var/www/currently/public"));
    }
}
