//! The nginx configuration tree and the effective values rules read:
//! inheritance from http to server to location, array directives that
//! inherit only when the inner level defines none, and the documented
//! defaults.

use super::super::model::{Origin, Resolved, seconds_nginx, size_1024};

/// One directive with its arguments (quotes removed, escapes resolved),
/// where it was written, and its block when it opens one. Directives of an
/// included file appear in place of the `include`, each with its own file
/// and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub args: Vec<String>,
    pub origin: Origin,
    pub block: Option<Block>,
}

impl Directive {
    pub fn arg(&self, index: usize) -> Option<&str> {
        self.args.get(index).map(String::as_str)
    }
}

/// The directives of one context, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    pub directives: Vec<Directive>,
}

impl Block {
    /// The last directive of that name in this context (nginx refuses most
    /// duplicates; where it accepts them, the last one is the one used).
    pub fn last(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().rev().find(|d| d.name == name)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Directive> + 'a {
        self.directives.iter().filter(move |d| d.name == name)
    }

    /// The blocks of child directives of that name (`server`, `location`).
    pub fn children<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a Directive, &'a Block)> + 'a {
        self.directives
            .iter()
            .filter(move |d| d.name == name)
            .filter_map(|d| d.block.as_ref().map(|b| (d, b)))
    }
}

/// Why an include was accepted without reading a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// A glob that matched no uploaded file (nginx accepts empty globs).
    EmptyGlob,
    /// A data file nginx ships (mime.types) that was not uploaded; no rule
    /// reads it.
    DataFileAssumed,
    /// A fragment uploaded beside a main configuration that does not
    /// include it; it is read as if included in `http`.
    NotIncluded,
}

/// Something the reader accepted that the person should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub origin: Origin,
    pub include: String,
    pub kind: NoteKind,
}

impl Note {
    pub fn describe(&self) -> String {
        match self.kind {
            NoteKind::EmptyGlob => format!(
                "`include {}` at {} matched no uploaded file (nginx accepts that; upload the \
                 files if the server has some)",
                self.include, self.origin
            ),
            NoteKind::DataFileAssumed => format!(
                "`include {}` at {} was not uploaded; nginx's stock file is assumed",
                self.include, self.origin
            ),
            NoteKind::NotIncluded => format!(
                "{} is not included by the main configuration; it is read as part of `http`",
                self.include
            ),
        }
    }
}

/// A configuration file read without a main configuration around it (a
/// site file, a snippet), or beside one that does not include it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub file: String,
    pub block: Block,
}

/// An nginx configuration: the main context (with `events` and `http`),
/// when one was uploaded, and fragments read on their own.
#[derive(Debug, Clone, Default)]
pub struct NginxConf {
    pub main: Option<Block>,
    /// The main configuration's file.
    pub main_file: Option<String>,
    pub fragments: Vec<Fragment>,
    /// Every file read, roots and includes.
    pub files: Vec<String>,
    pub notes: Vec<Note>,
}

/// `worker_processes`: a number, or `auto` (one per CPU nginx sees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerProcesses {
    Auto,
    Count(u64),
}

/// A value at a place of the configuration: which server and location.
#[derive(Debug, Clone, PartialEq)]
pub struct Scoped<T> {
    pub scope: String,
    pub value: Resolved<T>,
}

/// One context and the ones around it, outermost first: main, http,
/// server, location(s). `main_known` is false for fragments read alone,
/// whose surrounding http context was not uploaded.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub levels: Vec<&'a Block>,
    pub main_known: bool,
    /// The directive that opened the innermost block (`server`,
    /// `location ~ \.php$`), if any.
    pub opener: Option<&'a Directive>,
    pub scope: String,
}

/// Where an inherited directive's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    Set(&'a Directive),
    /// Not set anywhere, and every outer level was read: the default
    /// applies.
    Default,
    /// Not set in what was uploaded, and an outer level (http in
    /// nginx.conf) was not uploaded.
    Unknown,
}

impl<'a> Context<'a> {
    /// The effective directive: the innermost level that sets it.
    pub fn lookup(&self, name: &str) -> Lookup<'a> {
        for block in self.levels.iter().rev() {
            if let Some(d) = block.last(name) {
                return Lookup::Set(d);
            }
        }
        if self.main_known {
            Lookup::Default
        } else {
            Lookup::Unknown
        }
    }

    /// An array directive (`fastcgi_param`, `add_header`,
    /// `proxy_set_header`, `allow`/`deny`): the entries of the innermost
    /// level that defines any; outer entries are not inherited then.
    pub fn array(&self, name: &str) -> Option<Vec<&'a Directive>> {
        for block in self.levels.iter().rev() {
            let entries: Vec<&'a Directive> =
                block.directives.iter().filter(|d| d.name == name).collect();
            if !entries.is_empty() {
                return Some(entries);
            }
        }
        None
    }

    pub fn origin(&self) -> Option<&'a Origin> {
        self.opener.map(|d| &d.origin)
    }

    fn child(&self, opener: &'a Directive, block: &'a Block, scope: String) -> Context<'a> {
        let mut levels = self.levels.clone();
        levels.push(block);
        Context {
            levels,
            main_known: self.main_known,
            opener: Some(opener),
            scope,
        }
    }
}

/// An access-controlled status page: FPM's `pm.status_path` or `ping.path`
/// passed to FastCGI, or nginx's `stub_status`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusLocation {
    pub scope: String,
    /// The location's match, as written (`= /fpm-status`,
    /// `~ ^/(status|ping)$`).
    pub pattern: String,
    pub origin: Origin,
    /// `stub_status` (nginx) rather than FastCGI (PHP-FPM).
    pub stub_status: bool,
    /// `allow`/`deny` rules in effect, `internal`, or `auth_basic`
    /// (anything but `off`) restrict it.
    pub restricted: bool,
    /// The `allow`/`deny` rules in effect, as written.
    pub access: Vec<String>,
}

/// nginx's default for `worker_connections`.
pub const DEFAULT_WORKER_CONNECTIONS: u64 = 512;
/// nginx's default `listen … backlog=` on Linux (NGX_LISTEN_BACKLOG).
pub const DEFAULT_LISTEN_BACKLOG: u64 = 511;
/// nginx's default `client_max_body_size` (1m).
pub const DEFAULT_CLIENT_MAX_BODY_SIZE: u64 = 1 << 20;
/// nginx's default `fastcgi_read_timeout` and `fastcgi_connect_timeout`.
pub const DEFAULT_FASTCGI_TIMEOUT_S: f64 = 60.0;

impl NginxConf {
    /// The `events` block of the main configuration.
    pub fn events(&self) -> Option<&Block> {
        self.main
            .as_ref()?
            .children("events")
            .map(|(_, b)| b)
            .last()
    }

    /// The `http` block of the main configuration.
    pub fn http(&self) -> Option<&Block> {
        self.main.as_ref()?.children("http").map(|(_, b)| b).last()
    }

    /// The http context: main and http levels, when a main configuration
    /// was uploaded.
    pub fn http_context(&self) -> Option<Context<'_>> {
        let main = self.main.as_ref()?;
        let mut levels = vec![main];
        let mut opener = None;
        if let Some((d, http)) = main.children("http").last() {
            levels.push(http);
            opener = Some(d);
        }
        Some(Context {
            levels,
            main_known: true,
            opener,
            scope: "http".to_owned(),
        })
    }

    /// Every `server` of the http context: those of the main
    /// configuration, then those of fragments (read as if inside the main
    /// configuration's `http` when there is one).
    pub fn servers(&self) -> Vec<Context<'_>> {
        let mut servers = Vec::new();
        let http = self.http_context();
        if let (Some(ctx), Some(http)) = (&http, self.http()) {
            for (d, b) in http.children("server") {
                servers.push(ctx.child(d, b, server_scope(d, b)));
            }
        }
        for fragment in &self.fragments {
            let base = match &http {
                Some(ctx) => ctx.clone(),
                None => Context {
                    levels: Vec::new(),
                    main_known: false,
                    opener: None,
                    scope: String::new(),
                },
            };
            for (d, b) in fragment.block.children("server") {
                servers.push(base.child(d, b, server_scope(d, b)));
            }
        }
        servers
    }

    /// Every location of every server, nested ones included.
    pub fn locations(&self) -> Vec<Context<'_>> {
        let mut out = Vec::new();
        for server in self.servers() {
            if let Some(block) = server.levels.last() {
                collect_locations(&server, block, &mut out, 0);
            }
        }
        out
    }

    /// The locations that pass requests to PHP-FPM (`fastcgi_pass`).
    pub fn php_locations(&self) -> Vec<Context<'_>> {
        self.locations()
            .into_iter()
            .filter(|l| {
                l.levels
                    .last()
                    .is_some_and(|b| b.last("fastcgi_pass").is_some())
            })
            .collect()
    }

    /// The PHP locations that serve the application: those passing to
    /// FastCGI, without FPM's status and ping pages.
    pub fn app_php_locations(&self) -> Vec<Context<'_>> {
        self.php_locations()
            .into_iter()
            .filter(|l| !l.opener.is_some_and(is_status_opener))
            .collect()
    }

    /// Whether any configuration with server blocks was read.
    pub fn has_servers(&self) -> bool {
        !self.servers().is_empty()
    }

    fn main_directive(&self, name: &str) -> Option<&Directive> {
        self.main.as_ref()?.last(name)
    }

    /// `worker_processes` (default 1). `None` without a main configuration.
    pub fn worker_processes(&self) -> Option<Resolved<WorkerProcesses>> {
        self.main.as_ref()?;
        Some(match self.main_directive("worker_processes") {
            Some(d) => {
                let value = match d.arg(0) {
                    Some("auto") => WorkerProcesses::Auto,
                    Some(n) => WorkerProcesses::Count(n.parse().unwrap_or(1)),
                    None => WorkerProcesses::Count(1),
                };
                Resolved::set(value, &d.origin)
            }
            None => Resolved::default(WorkerProcesses::Count(1)),
        })
    }

    /// `events { worker_connections }` (default 512). `None` without a
    /// main configuration.
    pub fn worker_connections(&self) -> Option<Resolved<u64>> {
        self.main.as_ref()?;
        Some(
            match self.events().and_then(|e| e.last("worker_connections")) {
                Some(d) => Resolved::set(
                    d.arg(0)
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(DEFAULT_WORKER_CONNECTIONS),
                    &d.origin,
                ),
                None => Resolved::default(DEFAULT_WORKER_CONNECTIONS),
            },
        )
    }

    /// `worker_rlimit_nofile`, when set.
    pub fn worker_rlimit_nofile(&self) -> Option<Resolved<u64>> {
        let d = self.main_directive("worker_rlimit_nofile")?;
        let n = d.arg(0)?.parse().ok()?;
        Some(Resolved::set(n, &d.origin))
    }

    /// The effective `client_max_body_size` (bytes; 0 = unchecked) of
    /// every server and every location that passes to PHP.
    pub fn client_max_body_size(&self) -> Vec<Scoped<u64>> {
        let mut out = Vec::new();
        for ctx in self.servers().into_iter().chain(self.php_locations()) {
            if let Some(value) = resolve(
                &ctx,
                "client_max_body_size",
                DEFAULT_CLIENT_MAX_BODY_SIZE,
                |d| d.arg(0).and_then(size_1024),
            ) {
                out.push(Scoped {
                    scope: ctx.scope.clone(),
                    value,
                });
            }
        }
        out
    }

    /// The effective `fastcgi_read_timeout` (seconds) of every PHP
    /// location.
    pub fn fastcgi_read_timeout(&self) -> Vec<Scoped<f64>> {
        self.php_seconds("fastcgi_read_timeout")
    }

    /// The effective `fastcgi_connect_timeout` (seconds) of every PHP
    /// location.
    pub fn fastcgi_connect_timeout(&self) -> Vec<Scoped<f64>> {
        self.php_seconds("fastcgi_connect_timeout")
    }

    fn php_seconds(&self, name: &str) -> Vec<Scoped<f64>> {
        self.php_locations()
            .into_iter()
            .filter_map(|ctx| {
                let value = resolve(&ctx, name, DEFAULT_FASTCGI_TIMEOUT_S, |d| {
                    seconds_nginx(&d.args.join(" "))
                })?;
                Some(Scoped {
                    scope: ctx.scope.clone(),
                    value,
                })
            })
            .collect()
    }

    /// The `backlog=` of every `listen` (511 when not given, nginx's
    /// default on Linux).
    pub fn listen_backlogs(&self) -> Vec<Scoped<u64>> {
        let mut out = Vec::new();
        for server in self.servers() {
            let Some(block) = server.levels.last() else {
                continue;
            };
            for listen in block.all("listen") {
                let backlog = listen
                    .args
                    .iter()
                    .find_map(|a| a.strip_prefix("backlog="))
                    .and_then(|n| n.parse().ok());
                out.push(Scoped {
                    scope: format!("{} listen {}", server.scope, listen.arg(0).unwrap_or("")),
                    value: match backlog {
                        Some(n) => Resolved::set(n, &listen.origin),
                        None => Resolved {
                            value: DEFAULT_LISTEN_BACKLOG,
                            origin: None,
                        },
                    },
                });
            }
        }
        out
    }

    /// The value every PHP location passes for a FastCGI parameter
    /// (`SCRIPT_FILENAME`, `DOCUMENT_ROOT`), after array inheritance;
    /// `value` is empty when the location passes none.
    pub fn fastcgi_param(&self, param: &str) -> Vec<Scoped<String>> {
        self.php_locations()
            .into_iter()
            .map(|ctx| {
                let found = ctx.array("fastcgi_param").and_then(|entries| {
                    entries.into_iter().rev().find(|d| d.arg(0) == Some(param))
                });
                Scoped {
                    scope: ctx.scope.clone(),
                    value: match found {
                        Some(d) => Resolved::set(d.arg(1).unwrap_or("").to_owned(), &d.origin),
                        None => Resolved::default(String::new()),
                    },
                }
            })
            .collect()
    }

    /// Locations serving a status page: FastCGI locations whose match
    /// names a status or ping path, and `stub_status` locations.
    pub fn status_locations(&self) -> Vec<StatusLocation> {
        let mut out = Vec::new();
        for ctx in self.locations() {
            let (Some(block), Some(opener)) = (ctx.levels.last(), ctx.opener) else {
                continue;
            };
            let pattern = opener.args.join(" ");
            let stub = block.last("stub_status").is_some();
            let fpm = block.last("fastcgi_pass").is_some() && is_status_opener(opener);
            if !(stub || fpm) {
                continue;
            }
            let mut access: Vec<String> = Vec::new();
            let mut rules: Vec<&Directive> = Vec::new();
            // allow and deny share one list, inherited as a whole.
            for block in ctx.levels.iter().rev() {
                let here: Vec<&Directive> = block
                    .directives
                    .iter()
                    .filter(|d| d.name == "allow" || d.name == "deny")
                    .collect();
                if !here.is_empty() {
                    rules = here;
                    break;
                }
            }
            for rule in &rules {
                access.push(format!("{} {}", rule.name, rule.args.join(" ")));
            }
            let denies_rest = rules
                .last()
                .is_some_and(|d| d.name == "deny" && d.arg(0) == Some("all"));
            let internal = block.last("internal").is_some();
            let auth =
                matches!(ctx.lookup("auth_basic"), Lookup::Set(d) if d.arg(0) != Some("off"));
            out.push(StatusLocation {
                scope: ctx.scope.clone(),
                pattern,
                origin: opener.origin.clone(),
                stub_status: stub,
                restricted: denies_rest || internal || auth,
                access,
            });
        }
        out
    }
}

/// The effective value of an inherited directive in a context: set (with
/// its origin), the default when every outer level was read, or `None`
/// when an outer level was not uploaded (or the value does not parse).
pub fn resolve<T>(
    ctx: &Context<'_>,
    name: &str,
    default: T,
    parse: impl Fn(&Directive) -> Option<T>,
) -> Option<Resolved<T>> {
    match ctx.lookup(name) {
        Lookup::Set(d) => parse(d).map(|v| Resolved::set(v, &d.origin)),
        Lookup::Default => Some(Resolved::default(default)),
        Lookup::Unknown => None,
    }
}

/// Whether a location's match names a status or ping page (FPM's
/// `pm.status_path` and `ping.path` are usually /status, /fpm-status,
/// /ping).
fn is_status_opener(opener: &Directive) -> bool {
    let lower = opener.args.join(" ").to_ascii_lowercase();
    lower.contains("status") || lower.contains("ping")
}

fn server_scope(d: &Directive, b: &Block) -> String {
    let name = b
        .last("server_name")
        .and_then(|s| s.arg(0))
        .filter(|n| !n.is_empty() && *n != "_")
        .map(str::to_owned);
    match name {
        Some(n) => format!("server {n} ({})", d.origin),
        None => {
            let listen = b.last("listen").and_then(|l| l.arg(0)).unwrap_or("");
            if listen.is_empty() {
                format!("server ({})", d.origin)
            } else {
                format!("server listen {listen} ({})", d.origin)
            }
        }
    }
}

fn collect_locations<'a>(
    parent: &Context<'a>,
    block: &'a Block,
    out: &mut Vec<Context<'a>>,
    depth: usize,
) {
    // Locations nest only a few levels in practice; the tree depth is
    // bounded by the parser anyway.
    if depth > 32 {
        return;
    }
    for (d, b) in block.children("location") {
        let server = parent
            .scope
            .split(" > ")
            .next()
            .unwrap_or(&parent.scope)
            .to_owned();
        let scope = format!("{server} > location {}", d.args.join(" "));
        let ctx = parent.child(d, b, scope);
        out.push(ctx.clone());
        collect_locations(&ctx, b, out, depth + 1);
    }
}
