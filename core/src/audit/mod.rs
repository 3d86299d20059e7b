//! The audit: configuration files, runtime status dumps, database workload
//! exports and monitoring inventories, parsed into one [`Stack`] and judged
//! by the rules of the catalogue (php, fpm, mysql, redis, nginx, cross-file
//! and measured-ratio rules) into [`Finding`]s.
//!
//! Each domain module parses its files and owns its rules:
//! [`php`] (php.ini, php-fpm, OPcache and FPM status), [`mysql`] (my.cnf,
//! SHOW GLOBAL STATUS/VARIABLES, statement digests and the slow log),
//! [`redis`] (redis.conf, INFO), [`nginx`] (nginx.conf with includes or
//! `nginx -T`, stub_status), [`monitoring`] (Grafana dashboards, Prometheus
//! rules) and [`cross`] (rules that read several files and the host).
//!
//! A domain module offers `sniff` (is this file mine, and which kind),
//! `load` (parse it, with includes resolved inside the uploaded bundle, into
//! the stack) and `rules`. Every value keeps the file and line it came from;
//! a rule that uses a documented default says so.

pub mod cross;
pub mod model;
pub mod monitoring;
pub mod mysql;
pub mod nginx;
pub mod php;
pub mod redis;

use crate::assess::{Category, Severity};
use crate::error::ParseError;
use crate::input::{Source, head, read_error};
use crate::targets::Outcome;
use model::Origin;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// What one file of evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    PhpIni,
    FpmConf,
    MyCnf,
    RedisConf,
    NginxConf,
    OpcacheStatus,
    FpmStatus,
    MysqlStatus,
    MysqlVariables,
    StatementDigest,
    StatementHistogram,
    SlowLog,
    RedisInfo,
    NginxStubStatus,
    GrafanaDashboard,
    PrometheusRules,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::PhpIni,
        Kind::FpmConf,
        Kind::MyCnf,
        Kind::RedisConf,
        Kind::NginxConf,
        Kind::OpcacheStatus,
        Kind::FpmStatus,
        Kind::MysqlStatus,
        Kind::MysqlVariables,
        Kind::StatementDigest,
        Kind::StatementHistogram,
        Kind::SlowLog,
        Kind::RedisInfo,
        Kind::NginxStubStatus,
        Kind::GrafanaDashboard,
        Kind::PrometheusRules,
    ];

    /// The kind's name in the API and in URLs, as serialized.
    pub fn name(self) -> &'static str {
        match self {
            Kind::PhpIni => "php_ini",
            Kind::FpmConf => "fpm_conf",
            Kind::MyCnf => "my_cnf",
            Kind::RedisConf => "redis_conf",
            Kind::NginxConf => "nginx_conf",
            Kind::OpcacheStatus => "opcache_status",
            Kind::FpmStatus => "fpm_status",
            Kind::MysqlStatus => "mysql_status",
            Kind::MysqlVariables => "mysql_variables",
            Kind::StatementDigest => "statement_digest",
            Kind::StatementHistogram => "statement_histogram",
            Kind::SlowLog => "slow_log",
            Kind::RedisInfo => "redis_info",
            Kind::NginxStubStatus => "nginx_stub_status",
            Kind::GrafanaDashboard => "grafana_dashboard",
            Kind::PrometheusRules => "prometheus_rules",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::PhpIni => "php.ini",
            Kind::FpmConf => "php-fpm configuration",
            Kind::MyCnf => "MySQL/MariaDB option file",
            Kind::RedisConf => "redis.conf",
            Kind::NginxConf => "nginx configuration",
            Kind::OpcacheStatus => "opcache_get_status() JSON",
            Kind::FpmStatus => "php-fpm status",
            Kind::MysqlStatus => "SHOW GLOBAL STATUS",
            Kind::MysqlVariables => "SHOW GLOBAL VARIABLES",
            Kind::StatementDigest => "events_statements_summary_by_digest",
            Kind::StatementHistogram => "events_statements_histogram_global",
            Kind::SlowLog => "MySQL slow query log",
            Kind::RedisInfo => "redis-cli INFO",
            Kind::NginxStubStatus => "nginx stub_status",
            Kind::GrafanaDashboard => "Grafana dashboard",
            Kind::PrometheusRules => "Prometheus rule file",
        }
    }

    /// Configuration files may include others; they are loaded first so
    /// that included files are not read twice as roots.
    fn is_config(self) -> bool {
        matches!(
            self,
            Kind::PhpIni | Kind::FpmConf | Kind::MyCnf | Kind::RedisConf | Kind::NginxConf
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The files of one upload, by their path inside it, so that includes can
/// be resolved (and an include that points outside can be refused).
pub struct Bundle<'a> {
    files: Vec<&'a dyn Source>,
}

impl<'a> Bundle<'a> {
    pub fn new(files: Vec<&'a dyn Source>) -> Self {
        Bundle { files }
    }

    pub fn files(&self) -> &[&'a dyn Source] {
        &self.files
    }

    /// A file by path, relative to the folder of `from` unless absolute.
    /// Paths inside a bundle rarely match absolute paths on the server, so
    /// an absolute path also matches any file whose path ends with it.
    pub fn find(&self, path: &str, from: &str) -> Option<&'a dyn Source> {
        let wanted = resolve(path, from);
        self.files
            .iter()
            .copied()
            .find(|f| {
                let name = normalize(f.name());
                name == wanted || path.starts_with('/') && name.ends_with(&wanted)
            })
            .or_else(|| {
                // `/etc/nginx/conf.d/x.conf` included from a bundle holding
                // `conf.d/x.conf`: match on the longest common suffix.
                path.starts_with('/').then_some(())?;
                let parts: Vec<&str> = wanted.split('/').collect();
                (1..parts.len()).find_map(|skip| {
                    let tail = parts[skip..].join("/");
                    self.files.iter().copied().find(|f| {
                        normalize(f.name()) == tail
                            || normalize(f.name()).ends_with(&format!("/{tail}"))
                    })
                })
            })
    }

    /// The files matching a glob (`*` and `?` within one path segment),
    /// in name order, as nginx, php-fpm and `!includedir` expand them.
    pub fn glob(&self, pattern: &str, from: &str) -> Vec<&'a dyn Source> {
        let wanted = resolve(pattern, from);
        let mut found: Vec<&'a dyn Source> = self
            .files
            .iter()
            .copied()
            .filter(|f| {
                let name = normalize(f.name());
                glob_match(&wanted, &name)
                    || pattern.starts_with('/') && suffix_glob_match(&wanted, &name)
            })
            .collect();
        found.sort_by(|a, b| a.name().cmp(b.name()));
        found
    }
}

fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// A path relative to the folder of the including file.
fn resolve(path: &str, from: &str) -> String {
    if path.starts_with('/') {
        return normalize(path);
    }
    let dir = from.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    normalize(&format!("{dir}/{path}"))
}

fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), name.split('/').collect());
    p.len() == n.len()
        && p.iter()
            .zip(&n)
            .all(|(p, n)| segment_match(p.as_bytes(), n.as_bytes()))
}

/// An absolute pattern against a bundle path: its last segments match.
fn suffix_glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let n: Vec<&str> = name.split('/').collect();
    (1..=p.len().min(n.len())).rev().any(|k| {
        k >= 2.min(p.len())
            && n.len() == k
            && p[p.len() - k..]
                .iter()
                .zip(&n)
                .all(|(p, n)| segment_match(p.as_bytes(), n.as_bytes()))
    })
}

fn segment_match(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            segment_match(&pattern[1..], name)
                || (!name.is_empty() && segment_match(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => segment_match(&pattern[1..], &name[1..]),
        (Some(a), Some(b)) if a == b => segment_match(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// A server of the project's host profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Server {
    pub name: String,
    pub roles: Vec<Role>,
    pub ram_bytes: u64,
    pub cpus: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Web,
    Php,
    Db,
    Cache,
}

/// The hosts a project runs on, and the facts of the stack no file says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostProfile {
    pub servers: Vec<Server>,
    /// How many `*.php` files the application deploys (with vendor/).
    #[serde(default)]
    pub php_files: Option<u64>,
    /// Measured memory of one FPM child under load.
    #[serde(default)]
    pub worker_rss_bytes: Option<u64>,
    #[serde(default)]
    pub queue_workers: Option<u32>,
    /// Whether the Redis instance also holds queues, sessions or locks.
    #[serde(default)]
    pub redis_shared: Option<bool>,
    /// Whether TLS ends at a load balancer in front of nginx.
    #[serde(default)]
    pub tls_at_load_balancer: Option<bool>,
}

impl HostProfile {
    /// The server holding a role (the first, when several do).
    pub fn server_with(&self, role: Role) -> Option<&Server> {
        self.servers.iter().find(|s| s.roles.contains(&role))
    }

    /// How many servers run PHP.
    pub fn app_servers(&self) -> usize {
        self.servers
            .iter()
            .filter(|s| s.roles.contains(&Role::Php))
            .count()
    }
}

/// What rules read besides the files: the host, the targets, and the
/// heuristic thresholds (the catalogue's (H) values), which a project may
/// change.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub host: Option<HostProfile>,
    pub target_users: Option<f64>,
    pub target_rps: Option<f64>,
    /// Mean service time of a request in seconds, when a run measured it.
    pub mean_service_s: Option<f64>,
    pub heuristics: BTreeMap<String, f64>,
}

impl Inputs {
    /// A heuristic threshold: the project's value, or the catalogue's.
    pub fn heuristic(&self, name: &str, default: f64) -> f64 {
        self.heuristics.get(name).copied().unwrap_or(default)
    }
}

/// What a rule concluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub outcome: Outcome,
    /// The configured or measured value, as people read it.
    pub value: Option<String>,
    /// The threshold it was held to.
    pub threshold: String,
    pub location: Option<Origin>,
    /// One sentence: what was found.
    pub detail: String,
    /// Settings the rule read that were not set, and the default assumed.
    pub defaults_assumed: Vec<String>,
}

impl Evaluation {
    fn new(outcome: Outcome, detail: impl Into<String>) -> Evaluation {
        Evaluation {
            outcome,
            value: None,
            threshold: String::new(),
            location: None,
            detail: detail.into(),
            defaults_assumed: Vec::new(),
        }
    }

    pub fn pass(detail: impl Into<String>) -> Evaluation {
        Evaluation::new(Outcome::Pass, detail)
    }

    pub fn warn(detail: impl Into<String>) -> Evaluation {
        Evaluation::new(Outcome::Warn, detail)
    }

    pub fn fail(detail: impl Into<String>) -> Evaluation {
        Evaluation::new(Outcome::Fail, detail)
    }

    /// The evidence the rule needs is missing; says which.
    pub fn unverified(detail: impl Into<String>) -> Evaluation {
        Evaluation::new(Outcome::Unverified, detail)
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }

    pub fn threshold(mut self, threshold: impl Into<String>) -> Self {
        self.threshold = threshold.into();
        self
    }

    pub fn at(mut self, origin: Option<&Origin>) -> Self {
        self.location = origin.cloned();
        self
    }

    pub fn assumed(mut self, default: impl Into<String>) -> Self {
        self.defaults_assumed.push(default.into());
        self
    }
}

/// A rule of the catalogue.
#[derive(Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub why: &'static str,
    pub fix: &'static str,
    pub check: fn(&Stack, &Inputs) -> Evaluation,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

/// A rule's outcome with everything a person needs to act on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    #[serde(flatten)]
    pub evaluation: Evaluation,
    pub why: String,
    pub fix: String,
}

/// Every rule of the catalogue.
pub fn rules() -> Vec<Rule> {
    let mut all = Vec::new();
    all.extend(php::rules());
    all.extend(mysql::rules());
    all.extend(redis::rules());
    all.extend(nginx::rules());
    all.extend(cross::rules());
    all.extend(monitoring::rules());
    all
}

/// Judges a stack with every rule.
pub fn evaluate(stack: &Stack, inputs: &Inputs) -> Vec<Finding> {
    rules()
        .into_iter()
        .map(|rule| Finding {
            rule: rule.id.to_owned(),
            title: rule.title.to_owned(),
            category: rule.category,
            severity: rule.severity,
            evaluation: (rule.check)(stack, inputs),
            why: rule.why.to_owned(),
            fix: rule.fix.to_owned(),
        })
        .collect()
}

/// Everything an upload of audit evidence held.
#[derive(Debug, Clone, Default)]
pub struct Stack {
    pub php: Option<php::PhpIni>,
    pub fpm: Option<php::FpmConfig>,
    pub opcache_status: Option<php::OpcacheStatus>,
    pub fpm_status: Option<php::FpmStatus>,
    pub mysql: Option<mysql::MyCnf>,
    pub mysql_status: Option<mysql::GlobalValues>,
    pub mysql_variables: Option<mysql::GlobalValues>,
    pub workload: mysql::Workload,
    pub redis: Option<redis::RedisConf>,
    pub redis_info: Option<redis::RedisInfo>,
    pub nginx: Option<nginx::NginxConf>,
    pub nginx_status: Option<nginx::StubStatus>,
    pub monitoring: monitoring::Inventory,
    /// Every file read, with what it was recognised as (included files
    /// under the kind of the file that included them).
    pub files: Vec<(String, Kind)>,
}

impl Stack {
    /// Takes from another stack what it holds of the given kinds, so the
    /// latest upload of each kind can be combined into one stack. Kinds
    /// that share a part of the stack (the database workload exports; the
    /// monitoring inventory) move together.
    pub fn take_kinds(&mut self, mut other: Stack, kinds: &[Kind]) {
        // Kinds that share a part move it once: taking it again for the
        // second kind would replace it with the emptied remainder.
        let mut workload_taken = false;
        let mut monitoring_taken = false;
        for kind in kinds {
            match kind {
                Kind::PhpIni => self.php = other.php.take(),
                Kind::FpmConf => self.fpm = other.fpm.take(),
                Kind::OpcacheStatus => self.opcache_status = other.opcache_status.take(),
                Kind::FpmStatus => self.fpm_status = other.fpm_status.take(),
                Kind::MyCnf => self.mysql = other.mysql.take(),
                Kind::MysqlStatus => self.mysql_status = other.mysql_status.take(),
                Kind::MysqlVariables => self.mysql_variables = other.mysql_variables.take(),
                Kind::StatementDigest | Kind::StatementHistogram | Kind::SlowLog => {
                    if !workload_taken {
                        self.workload = std::mem::take(&mut other.workload);
                        workload_taken = true;
                    }
                }
                Kind::RedisConf => self.redis = other.redis.take(),
                Kind::RedisInfo => self.redis_info = other.redis_info.take(),
                Kind::NginxConf => self.nginx = other.nginx.take(),
                Kind::NginxStubStatus => self.nginx_status = other.nginx_status.take(),
                Kind::GrafanaDashboard | Kind::PrometheusRules => {
                    if !monitoring_taken {
                        self.monitoring = std::mem::take(&mut other.monitoring);
                        monitoring_taken = true;
                    }
                }
            }
            self.files
                .extend(other.files.iter().filter(|(_, k)| k == kind).cloned());
        }
    }
}

/// Why audit evidence could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditError {
    /// A file is of no kind Readiness audits; `tried` says why each did not
    /// match.
    Unknown {
        file: String,
    },
    /// A file is binary, not a configuration or dump.
    Binary {
        file: String,
    },
    Parse(ParseError),
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditError::Unknown { file } => write!(
                f,
                "{file}: not a file Readiness audits; expected a configuration (php.ini, php-fpm, \
                 my.cnf, redis.conf, nginx.conf), a status dump (redis-cli INFO, SHOW GLOBAL \
                 STATUS/VARIABLES, php-fpm status, opcache_get_status() JSON, nginx stub_status), \
                 a statement digest or histogram export, a slow query log, a Grafana dashboard or \
                 a Prometheus rule file"
            ),
            AuditError::Binary { file } => write!(
                f,
                "{file}: a binary file; expected a text configuration, status dump or export"
            ),
            AuditError::Parse(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for AuditError {}

impl From<ParseError> for AuditError {
    fn from(err: ParseError) -> Self {
        AuditError::Parse(err)
    }
}

/// What kind of evidence a file is, if any.
pub fn recognize(source: &dyn Source, head: &[u8]) -> Option<Kind> {
    let name = source.name();
    php::sniff(name, head)
        .or_else(|| mysql::sniff(name, head))
        .or_else(|| redis::sniff(name, head))
        .or_else(|| nginx::sniff(name, head))
        .or_else(|| monitoring::sniff(name, head))
}

/// Reads the files of one upload into a stack: configurations first (their
/// includes are taken from the bundle and not read again; a main nginx.conf
/// before the fragments it includes), then dumps and inventories. A file
/// that is of no known kind and that no configuration included is an error
/// naming it.
pub fn load(sources: &[&dyn Source]) -> Result<Stack, AuditError> {
    let bundle = Bundle::new(sources.to_vec());
    let mut recognized = Vec::new();
    let mut unrecognized = Vec::new();
    for source in sources {
        let head = head(*source).map_err(|e| read_error(source.name(), None, &e))?;
        if head.contains(&0) {
            return Err(AuditError::Binary {
                file: source.name().to_owned(),
            });
        }
        match recognize(*source, &head) {
            Some(kind) => {
                let fragment = kind == Kind::NginxConf && !nginx::is_main(&head);
                recognized.push((kind, fragment, *source));
            }
            None => unrecognized.push(*source),
        }
    }
    recognized.sort_by_key(|(kind, fragment, source)| {
        (
            !kind.is_config(),
            *kind,
            *fragment,
            source.name().to_owned(),
        )
    });
    let mut stack = Stack::default();
    let mut consumed: Vec<String> = Vec::new();
    for (kind, _, source) in &recognized {
        if consumed.iter().any(|c| c == source.name()) {
            continue;
        }
        let read = match kind {
            Kind::PhpIni | Kind::FpmConf | Kind::OpcacheStatus | Kind::FpmStatus => {
                php::load(*kind, *source, &bundle, &mut stack)?
            }
            Kind::MyCnf
            | Kind::MysqlStatus
            | Kind::MysqlVariables
            | Kind::StatementDigest
            | Kind::StatementHistogram
            | Kind::SlowLog => mysql::load(*kind, *source, &bundle, &mut stack)?,
            Kind::RedisConf | Kind::RedisInfo => redis::load(*kind, *source, &bundle, &mut stack)?,
            Kind::NginxConf | Kind::NginxStubStatus => {
                nginx::load(*kind, *source, &bundle, &mut stack)?
            }
            Kind::GrafanaDashboard | Kind::PrometheusRules => {
                monitoring::load(*kind, *source, &bundle, &mut stack)?
            }
        };
        for name in read {
            if !consumed.contains(&name) {
                stack.files.push((name.clone(), *kind));
                consumed.push(name);
            }
        }
    }
    // Files with no mark of their own (nginx's fastcgi_params) are fine when
    // a configuration included them.
    if let Some(unread) = unrecognized
        .iter()
        .find(|s| !consumed.iter().any(|c| c == s.name()))
    {
        return Err(AuditError::Unknown {
            file: unread.name().to_owned(),
        });
    }
    Ok(stack)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::MemorySource;

    #[test]
    fn kind_names_are_the_serialized_names() {
        for kind in Kind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()), "{kind:?}");
        }
    }

    #[test]
    fn bundle_paths_resolve_relative_and_absolute_includes() {
        let files = [
            MemorySource::new("etc/nginx/nginx.conf", ""),
            MemorySource::new("etc/nginx/conf.d/a.conf", ""),
            MemorySource::new("etc/nginx/conf.d/b.conf", ""),
            MemorySource::new("etc/nginx/fastcgi_params", ""),
        ];
        let bundle = Bundle::new(files.iter().map(|f| f as &dyn Source).collect());
        let from = "etc/nginx/nginx.conf";
        assert_eq!(
            bundle.find("fastcgi_params", from).unwrap().name(),
            "etc/nginx/fastcgi_params"
        );
        assert_eq!(
            bundle
                .find("/etc/nginx/fastcgi_params", from)
                .unwrap()
                .name(),
            "etc/nginx/fastcgi_params"
        );
        let names: Vec<&str> = bundle
            .glob("conf.d/*.conf", from)
            .iter()
            .map(|f| f.name())
            .collect();
        assert_eq!(
            names,
            ["etc/nginx/conf.d/a.conf", "etc/nginx/conf.d/b.conf"]
        );
        let names: Vec<&str> = bundle
            .glob("/etc/nginx/conf.d/*.conf", from)
            .iter()
            .map(|f| f.name())
            .collect();
        assert_eq!(names.len(), 2);
        assert!(bundle.find("../../secret", from).is_none());
    }
}
