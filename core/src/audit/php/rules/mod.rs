//! The rules of the PHP domain and what they share: reading a PHP setting as
//! a pool sees it, keeping track of the defaults a verdict relied on, and
//! reporting the worst of several pools.

mod fpm;
mod measured;
mod php;

use super::fpm::{FpmConfig, FpmPool, PoolIni};
use super::phpini::PhpIni;
use crate::audit::model::{Origin, Setting, format_bytes};
use crate::audit::{Evaluation, Rule, Stack};
use crate::targets::Outcome;

pub fn all() -> Vec<Rule> {
    let mut rules = php::rules();
    rules.extend(fpm::rules());
    rules.extend(measured::rules());
    rules
}

/// How bad an outcome is, for picking the worst of several pools.
fn rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Pass => 0,
        Outcome::Unverified => 1,
        Outcome::Warn => 2,
        Outcome::Fail => 3,
    }
}

/// The worst evaluation, its detail prefixed with the scope (a pool) it
/// judged when there were several.
fn worst(mut judged: Vec<(Option<String>, Evaluation)>) -> Evaluation {
    let count = judged.len();
    let mut best: Option<usize> = None;
    for (i, (_, e)) in judged.iter().enumerate() {
        if best
            .and_then(|b| judged.get(b))
            .is_none_or(|(_, w)| rank(e.outcome) > rank(w.outcome))
        {
            best = Some(i);
        }
    }
    let Some((scope, mut evaluation)) = best.map(|b| judged.swap_remove(b)) else {
        return Evaluation::unverified("nothing to judge");
    };
    if let Some(scope) = scope {
        let others = if count > 1 {
            format!(" (the worst of {count} pools)")
        } else {
            String::new()
        };
        evaluation.detail = format!("pool `{scope}`{others}: {}", evaluation.detail);
    }
    evaluation
}

/// One value a rule read, and where.
#[derive(Debug, Clone)]
struct Val {
    value: String,
    origin: Option<Origin>,
}

/// The defaults and environment assumptions a verdict relied on.
#[derive(Debug, Default)]
struct Assumed(Vec<String>);

impl Assumed {
    fn push(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !self.0.contains(&text) {
            self.0.push(text);
        }
    }

    fn apply(self, mut evaluation: Evaluation) -> Evaluation {
        for a in self.0 {
            evaluation = evaluation.assumed(a);
        }
        evaluation
    }
}

/// PHP's settings as one pool's requests see them: the pool's
/// `php_admin_value`, else its `php_value`, else php.ini.
struct View<'a> {
    ini: &'a PhpIni,
    fpm: Option<&'a FpmConfig>,
    pool: Option<&'a FpmPool>,
}

impl<'a> View<'a> {
    fn setting(&self, key: &str) -> Option<(&'a Setting, String)> {
        if let Some(pool) = self.pool
            && let Some((s, how)) = pool.php_setting(key)
        {
            let array = match how {
                PoolIni::AdminValue => "php_admin_value",
                PoolIni::Value => "php_value",
            };
            return Some((s, format!("{array}[{key}] of pool {}", pool.name)));
        }
        self.ini.get(key).map(|s| (s, "php.ini".to_owned()))
    }

    /// A value, or PHP's built-in default (recorded as assumed).
    fn get(&self, key: &str, default: &str, assumed: &mut Assumed) -> Val {
        match self.setting(key) {
            Some((s, _)) => {
                let env = self
                    .ini
                    .env_ref(s)
                    .or_else(|| self.fpm.and_then(|f| f.env_ref(s)));
                if let Some(env) = env {
                    assumed.push(format!(
                        "{key} = {} at {}: the server's environment is unknown, so `{}` is \
                         assumed ({})",
                        env.written,
                        s.origin,
                        s.value,
                        env.variables.join(", ")
                    ));
                }
                Val {
                    value: s.value.clone(),
                    origin: Some(s.origin.clone()),
                }
            }
            None => {
                let shown = if default.is_empty() { "\"\"" } else { default };
                assumed.push(default_note(self.ini, key, shown));
                Val {
                    value: default.to_owned(),
                    origin: None,
                }
            }
        }
    }

    fn label(&self) -> Option<String> {
        self.pool.map(|p| p.name.clone())
    }
}

/// Says that a PHP setting was unset and its built-in default assumed; when
/// only conf.d fragments were uploaded, the main php.ini may well set it.
fn default_note(ini: &PhpIni, key: &str, shown: &str) -> String {
    if ini.has_main {
        format!("{key} unset: PHP's default {shown}")
    } else {
        format!(
            "{key} unset in the uploaded fragments (no main php.ini uploaded): PHP's built-in \
             default {shown}"
        )
    }
}

/// The scopes a php.* rule judges: php.ini alone, or, when any pool sets
/// one of `keys` itself, every pool. `None` without a php.ini.
fn views<'a>(stack: &'a Stack, keys: &[&str]) -> Option<Vec<View<'a>>> {
    let ini = stack.php.as_ref()?;
    let fpm = stack.fpm.as_ref();
    let pools: Vec<&FpmPool> = fpm.map(|f| f.pools.iter().collect()).unwrap_or_default();
    let overridden = pools
        .iter()
        .any(|p| keys.iter().any(|k| p.php_setting(k).is_some()));
    Some(if overridden {
        pools
            .into_iter()
            .map(|pool| View {
                ini,
                fpm,
                pool: Some(pool),
            })
            .collect()
    } else {
        vec![View {
            ini,
            fpm,
            pool: None,
        }]
    })
}

/// The verdict when no php.ini was uploaded.
fn no_php_ini(stack: &Stack) -> Evaluation {
    let pools_set = stack.fpm.as_ref().is_some_and(|f| {
        f.pools
            .iter()
            .any(|p| !p.php_admin_values.is_empty() || !p.php_values.is_empty())
    });
    let extra = if pools_set {
        " (the pools' php_value lines alone do not give the rest of PHP's settings)"
    } else {
        ""
    };
    Evaluation::unverified(format!(
        "no php.ini was uploaded; upload the php.ini the FPM SAPI reads, with its conf.d \
         fragments{extra}"
    ))
}

/// The verdict when no FPM pool was uploaded.
fn no_pools(stack: &Stack) -> Evaluation {
    let detail = if stack.fpm.is_some() {
        "the php-fpm files uploaded define no pool; upload the pool files (pool.d/*.conf or \
         php-fpm.d/*.conf) with the main file that includes them"
    } else {
        "no php-fpm configuration was uploaded; upload php-fpm.conf with the pool files it \
         includes"
    };
    Evaluation::unverified(detail)
}

fn mib(bytes: u64) -> String {
    format_bytes(bytes)
}

fn percent(ratio: f64) -> String {
    format!("{} %", crate::targets::trim_number(ratio * 100.0, 2))
}

fn number(value: f64) -> String {
    crate::targets::trim_number(value, 2)
}
