//! The nginx domain of the audit: nginx.conf with includes, `nginx -T`
//! output, stub_status, and the `nginx.*` rules, over the fixtures of
//! tests/fixtures/audit (see PROVENANCE.md there) and over constructed
//! inputs (inline below, or in fixtures/audit/constructed-rn with its
//! README).
//!
//! Every rule has a passing case and a failing one (for rules whose worst
//! outcome is a warning, the warning). Findings per fixture are pinned by
//! snapshots under tests/snapshots/audit_nginx; run with
//! `UPDATE_SNAPSHOTS=1` to rewrite them, then review the diff.

use readiness_core::audit::nginx::{self, Lookup, NoteKind, WorkerProcesses};
use readiness_core::audit::{
    AuditError, Finding, HostProfile, Inputs, Kind, Role, Server, Stack, evaluate, load,
};
use readiness_core::input::{MemorySource, Source};
use readiness_core::targets::Outcome;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/audit/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

fn load_files(files: &[(&str, &[u8])]) -> Result<Stack, AuditError> {
    let sources: Vec<MemorySource> = files
        .iter()
        .map(|(name, bytes)| MemorySource::new(*name, bytes.to_vec()))
        .collect();
    let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
    load(&refs)
}

fn stack(files: &[(&str, &str)]) -> Stack {
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    load_files(&files).unwrap_or_else(|e| panic!("{e}"))
}

fn error(files: &[(&str, &str)]) -> String {
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    match load_files(&files) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

/// A main configuration with the given lines in `http` and one PHP server.
fn main_conf(main: &str, http: &str, server: &str, php: &str) -> Stack {
    let text = format!(
        "{main}\nevents {{ worker_connections 1024; }}\nhttp {{\n{http}\n  server {{\n    listen 80;\n    \
         server_name app.test;\n{server}\n    location ~ \\.php$ {{\n      fastcgi_pass 127.0.0.1:9000;\n{php}\n    }}\n  }}\n}}\n"
    );
    stack(&[("nginx.conf", &text)])
}

fn finding(stack: &Stack, inputs: &Inputs, id: &str) -> Finding {
    evaluate(stack, inputs)
        .into_iter()
        .find(|f| f.rule == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

fn outcome(stack: &Stack, inputs: &Inputs, id: &str) -> Outcome {
    finding(stack, inputs, id).evaluation.outcome
}

fn web_host(cpus: u32) -> Inputs {
    Inputs {
        host: Some(HostProfile {
            servers: vec![Server {
                name: "web-1".to_owned(),
                roles: vec![Role::Web, Role::Php],
                ram_bytes: 8 << 30,
                cpus,
            }],
            ..HostProfile::default()
        }),
        ..Inputs::default()
    }
}

fn tls_at_lb(value: bool) -> Inputs {
    Inputs {
        host: Some(HostProfile {
            tls_at_load_balancer: Some(value),
            ..HostProfile::default()
        }),
        ..Inputs::default()
    }
}

/// Findings of the nginx rules as stable text.
fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings.iter().filter(|f| f.rule.starts_with("nginx.")) {
        let e = &f.evaluation;
        out.push_str(&format!(
            "## {} [{}, {}] {}\n",
            f.rule,
            f.severity.as_str(),
            f.category.label(),
            e.outcome
        ));
        if let Some(v) = &e.value {
            out.push_str(&format!("value: {v}\n"));
        }
        out.push_str(&format!("threshold: {}\n", e.threshold));
        if let Some(at) = &e.location {
            out.push_str(&format!("at: {at}\n"));
        }
        out.push_str(&format!("detail: {}\n", e.detail));
        for a in &e.defaults_assumed {
            out.push_str(&format!("assumed: {a}\n"));
        }
        out.push('\n');
    }
    out
}

/// The stack's reading notes, then its findings.
fn render_stack(stack: &Stack, inputs: &Inputs) -> String {
    let mut out = String::new();
    if let Some(conf) = &stack.nginx {
        for note in &conf.notes {
            out.push_str(&format!("note: {}\n", note.describe()));
        }
        if !conf.notes.is_empty() {
            out.push('\n');
        }
    }
    out.push_str(&render(&evaluate(stack, inputs)));
    out
}

fn snapshot(name: &str, text: &str) {
    let path = format!(
        "{}/tests/snapshots/audit_nginx/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        if let Some(dir) = std::path::Path::new(&path).parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run with UPDATE_SNAPSHOTS=1)"));
    assert_eq!(
        text, expected,
        "findings differ from {path}; rerun with UPDATE_SNAPSHOTS=1 and review the diff"
    );
}

/// Laradock's configuration laid out as on the server (/etc/nginx), as a
/// person would upload it.
fn laradock_bundle() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("etc/nginx/nginx.conf", fixture("nginx/laradock-nginx.conf")),
        (
            "etc/nginx/sites-available/default.conf",
            fixture("nginx/laradock-sites-default.conf"),
        ),
        (
            "etc/nginx/sites-available/laravel.conf",
            fixture("nginx/laradock-sites-laravel.conf"),
        ),
        ("etc/nginx/fastcgi_params", fixture("nginx/fastcgi_params")),
    ]
}

fn load_owned(files: &[(&str, Vec<u8>)]) -> Result<Stack, AuditError> {
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    load_files(&borrowed)
}

/// `nginx -T` output for Laradock's files, written as nginx writes it: its
/// two messages on stderr (captured with 2>&1), then `# configuration file
/// <path>:`, the file's bytes and a newline for each file in the order
/// nginx read them, each file once (fastcgi_params is included twice).
/// mime.types is a short stand-in: the real file is a `types` block too.
fn laradock_dump() -> String {
    let mut out = String::from(
        "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n\
         nginx: configuration file /etc/nginx/nginx.conf test is successful\n",
    );
    let files = [
        (
            "/etc/nginx/nginx.conf",
            fixture_text("nginx/laradock-nginx.conf"),
        ),
        (
            "/etc/nginx/mime.types",
            "\ntypes {\n    text/html  html htm shtml;\n    text/css   css;\n}\n".to_owned(),
        ),
        (
            "/etc/nginx/sites-available/default.conf",
            fixture_text("nginx/laradock-sites-default.conf"),
        ),
        (
            "/etc/nginx/fastcgi_params",
            fixture_text("nginx/fastcgi_params"),
        ),
        (
            "/etc/nginx/sites-available/laravel.conf",
            fixture_text("nginx/laradock-sites-laravel.conf"),
        ),
    ];
    for (path, text) in files {
        out.push_str(&format!("# configuration file {path}:\n{text}\n"));
    }
    out
}

fn prod_bundle() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "etc/nginx/nginx.conf",
            fixture("constructed-rn/nginx-prod/nginx.conf"),
        ),
        (
            "etc/nginx/sites-enabled/laravel.conf",
            fixture("constructed-rn/nginx-prod/sites-enabled/laravel.conf"),
        ),
        ("etc/nginx/fastcgi_params", fixture("nginx/fastcgi_params")),
    ]
}

// ---------------------------------------------------------------- fixtures

#[test]
fn the_stock_nginx_conf_parses_alone() {
    let bytes = fixture("nginx/nginx.conf");
    let stack = load_files(&[("nginx.conf", &bytes)]).unwrap();
    assert_eq!(stack.files, [("nginx.conf".to_owned(), Kind::NginxConf)]);
    let conf = stack.nginx.as_ref().unwrap();
    assert_eq!(conf.main_file.as_deref(), Some("nginx.conf"));
    // `include mime.types;` was not uploaded: assumed, and said.
    assert_eq!(conf.notes.len(), 1);
    assert_eq!(conf.notes[0].kind, NoteKind::DataFileAssumed);
    assert_eq!(conf.notes[0].origin.to_string(), "nginx.conf:18");
    let wp = conf.worker_processes().unwrap();
    assert_eq!(wp.value, WorkerProcesses::Count(1));
    assert_eq!(wp.origin.unwrap().line, 3);
    assert_eq!(conf.worker_connections().unwrap().value, 1024);
    let servers = conf.servers();
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].scope, "server localhost (nginx.conf:35)");
    // Every commented-out block stays a comment.
    assert_eq!(conf.locations().len(), 2);
    assert!(conf.php_locations().is_empty());
    match servers[0].lookup("keepalive_timeout") {
        Lookup::Set(d) => assert_eq!(
            (d.args.as_slice(), d.origin.line),
            (&["65".to_owned()][..], 31)
        ),
        other => panic!("{other:?}"),
    }
    let body = conf.client_max_body_size();
    assert_eq!(body.len(), 1);
    assert!(body[0].value.is_default());
    assert_eq!(body[0].value.value, 1 << 20);
    snapshot("nginx-stock", &render_stack(&stack, &Inputs::default()));
}

#[test]
fn laradocks_nginx_conf_parses_alone() {
    let bytes = fixture("nginx/laradock-nginx.conf");
    let stack = load_files(&[("nginx.conf", &bytes)]).unwrap();
    let conf = stack.nginx.as_ref().unwrap();
    // mime.types assumed; two globs that match nothing here.
    let kinds: Vec<NoteKind> = conf.notes.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            NoteKind::DataFileAssumed,
            NoteKind::EmptyGlob,
            NoteKind::EmptyGlob
        ]
    );
    let http = conf.http().unwrap();
    // A directive spread over 16 lines keeps the line it started on.
    let types = http.last("gzip_types").unwrap();
    assert_eq!(types.args.len(), 15);
    assert_eq!(types.origin.line, 31);
    // A quoted argument with `:` and `!` inside.
    assert!(http.last("ssl_ciphers").unwrap().args[0].ends_with(":!DSS"));
    // `open_file_cache off; # Disabled for issue 619`: the comment is gone.
    assert_eq!(http.last("open_file_cache").unwrap().args, ["off"]);
    assert!(!conf.has_servers());
    snapshot(
        "laradock-nginx-alone",
        &render_stack(&stack, &Inputs::default()),
    );
}

#[test]
fn laradocks_bundle_resolves_its_includes() {
    let stack = load_owned(&laradock_bundle()).unwrap();
    let kinds: Vec<(&str, Kind)> = stack.files.iter().map(|(n, k)| (n.as_str(), *k)).collect();
    assert_eq!(
        kinds,
        [
            ("etc/nginx/nginx.conf", Kind::NginxConf),
            ("etc/nginx/sites-available/default.conf", Kind::NginxConf),
            ("etc/nginx/fastcgi_params", Kind::NginxConf),
            ("etc/nginx/sites-available/laravel.conf", Kind::NginxConf),
        ]
    );
    let conf = stack.nginx.as_ref().unwrap();
    assert!(conf.fragments.is_empty(), "the sites are part of http");
    let servers = conf.servers();
    assert_eq!(servers.len(), 2);
    assert_eq!(
        servers[0].scope,
        "server localhost (etc/nginx/sites-available/default.conf:1)"
    );
    let php = conf.php_locations();
    assert_eq!(php.len(), 2);
    // fastcgi_param: the location's own SCRIPT_FILENAME, then those of
    // fastcgi_params, included after it.
    let script = conf.fastcgi_param("SCRIPT_FILENAME");
    assert_eq!(script[0].value.value, "$document_root$fastcgi_script_name");
    assert_eq!(
        script[0].value.origin.as_ref().unwrap().to_string(),
        "etc/nginx/sites-available/default.conf:26"
    );
    let root = conf.fastcgi_param("DOCUMENT_ROOT");
    assert_eq!(root[0].value.value, "$document_root");
    assert_eq!(
        root[0].value.origin.as_ref().unwrap().file,
        "etc/nginx/fastcgi_params"
    );
    let read = conf.fastcgi_read_timeout();
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].value.value, 600.0);
    let connect = conf.fastcgi_connect_timeout();
    assert!(connect[0].value.is_default());
    assert_eq!(connect[0].value.value, 60.0);
    // client_max_body_size 20M, inherited from http by every server.
    let body = conf.client_max_body_size();
    assert!(body.iter().all(|b| b.value.value == 20 << 20));
    let backlogs = conf.listen_backlogs();
    assert_eq!(backlogs.len(), 4);
    assert!(
        backlogs
            .iter()
            .all(|b| b.value.value == 511 && b.value.is_default())
    );
    assert!(conf.status_locations().is_empty());
    snapshot("laradock-bundle", &render_stack(&stack, &web_host(4)));
}

#[test]
fn an_nginx_t_dump_reads_like_the_bundle() {
    let dump = laradock_dump();
    let stack = load_files(&[("nginx-T.txt", dump.as_bytes())]).unwrap();
    assert_eq!(stack.files, [("nginx-T.txt".to_owned(), Kind::NginxConf)]);
    let conf = stack.nginx.as_ref().unwrap();
    assert_eq!(
        conf.main_file.as_deref(),
        Some("/etc/nginx/nginx.conf (in nginx-T.txt)")
    );
    // mime.types was dumped, so nothing is assumed; conf.d is empty.
    let kinds: Vec<NoteKind> = conf.notes.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [NoteKind::EmptyGlob]);
    assert_eq!(conf.files.len(), 5);
    let script = conf.fastcgi_param("SCRIPT_FILENAME");
    assert_eq!(
        script[1].value.origin.as_ref().unwrap().to_string(),
        "/etc/nginx/sites-available/laravel.conf (in nginx-T.txt):32"
    );
    // The same findings as the uploaded files, with the server's paths.
    let from_dump = render(&evaluate(&stack, &web_host(4)));
    let from_files = render(&evaluate(
        &load_owned(&laradock_bundle()).unwrap(),
        &web_host(4),
    ));
    let normalize = |text: &str| {
        text.replace("/etc/nginx/", "etc/nginx/")
            .replace(" (in nginx-T.txt)", "")
    };
    assert_eq!(normalize(&from_dump), normalize(&from_files));
    snapshot("laradock-nginx-T", &render_stack(&stack, &web_host(4)));
}

#[test]
fn site_files_parse_with_the_fastcgi_params_they_include() {
    // A site file alone includes fastcgi_params, which must come with it.
    for site in [
        "nginx/laradock-sites-default.conf",
        "nginx/laradock-sites-laravel.conf",
    ] {
        let stack = load_owned(&[
            ("sites/site.conf", fixture(site)),
            ("fastcgi_params", fixture("nginx/fastcgi_params")),
        ])
        .unwrap();
        let conf = stack.nginx.as_ref().unwrap();
        assert!(conf.main.is_none());
        assert_eq!(conf.fragments.len(), 1);
        assert_eq!(conf.servers().len(), 1);
        assert!(conf.worker_processes().is_none());
    }
    let stack = load_owned(&[
        (
            "sites/default.conf",
            fixture("nginx/laradock-sites-default.conf"),
        ),
        ("fastcgi_params", fixture("nginx/fastcgi_params")),
    ])
    .unwrap();
    snapshot(
        "laradock-site-alone",
        &render_stack(&stack, &Inputs::default()),
    );
    // fastcgi.conf and fastcgi_params parse on their own too.
    for name in ["nginx/fastcgi.conf", "nginx/fastcgi_params"] {
        let stack = load_owned(&[(name, fixture(name))]).unwrap();
        let conf = stack.nginx.as_ref().unwrap();
        assert_eq!(conf.fragments.len(), 1);
        let params = conf.fragments[0].block.all("fastcgi_param").count();
        assert!(params >= 17, "{name}: {params}");
    }
}

#[test]
fn the_constructed_production_configuration() {
    let stack = load_owned(&prod_bundle()).unwrap();
    let conf = stack.nginx.as_ref().unwrap();
    assert_eq!(conf.servers().len(), 2);
    // `${upstream_response_time}` inside a quoted word is no block.
    let log = conf.http().unwrap().last("log_format").unwrap();
    assert_eq!(log.args.len(), 3);
    let script = conf.fastcgi_param("SCRIPT_FILENAME");
    assert_eq!(script[0].value.value, "$realpath_root$fastcgi_script_name");
    let status = conf.status_locations();
    assert_eq!(status.len(), 2);
    assert!(status.iter().all(|s| s.restricted));
    assert!(!status[0].stub_status && status[1].stub_status);
    assert_eq!(
        status[0].access,
        ["allow 127.0.0.1", "allow 10.0.0.0/8", "deny all"]
    );
    let body = conf.client_max_body_size();
    let php = body.iter().find(|b| b.scope.contains("location")).unwrap();
    assert_eq!(php.value.value, 64 << 20);
    let backlogs = conf.listen_backlogs();
    assert!(
        backlogs
            .iter()
            .any(|b| b.value.value == 4096 && !b.value.is_default())
    );
    let connect = conf.fastcgi_connect_timeout();
    assert_eq!(connect[0].value.value, 5.0);
    snapshot("constructed-prod", &render_stack(&stack, &web_host(8)));
}

#[test]
fn stub_status_parses() {
    let bytes = fixture("status/netdata-nginx-stub_status.txt");
    let stack = load_files(&[("stub_status.txt", &bytes)]).unwrap();
    assert_eq!(
        stack.files,
        [("stub_status.txt".to_owned(), Kind::NginxStubStatus)]
    );
    let status = stack.nginx_status.as_ref().unwrap();
    assert_eq!(
        (
            status.active,
            status.accepts,
            status.handled,
            status.requests
        ),
        (1, 36, 36, 126)
    );
    assert_eq!((status.reading, status.writing, status.waiting), (0, 1, 0));
    assert_eq!(status.dropped(), 0);
    let text = error(&[(
        "stub_status.txt",
        "Active connections: 1\nserver accepts handled requests\n 36 36\nReading: 0 Writing: 1 Waiting: 0\n",
    )]);
    assert!(text.starts_with("stub_status.txt, line 3: "), "{text}");
}

// ------------------------------------------------------------- detection

#[test]
fn detection_is_specific() {
    let nginx_files = [
        "nginx/nginx.conf",
        "nginx/laradock-nginx.conf",
        "nginx/laradock-sites-default.conf",
        "nginx/laradock-sites-laravel.conf",
        "nginx/fastcgi.conf",
        "nginx/fastcgi_params",
    ];
    for name in nginx_files {
        assert_eq!(
            nginx::sniff(name, &fixture(name)),
            Some(Kind::NginxConf),
            "{name}"
        );
    }
    assert!(nginx::is_main(&fixture("nginx/nginx.conf")));
    assert!(nginx::is_main(&fixture("nginx/laradock-nginx.conf")));
    assert!(!nginx::is_main(&fixture(
        "nginx/laradock-sites-default.conf"
    )));
    assert!(!nginx::is_main(&fixture("nginx/fastcgi_params")));
    assert!(nginx::is_main(laradock_dump().as_bytes()));
    assert_eq!(
        nginx::sniff("s", &fixture("status/netdata-nginx-stub_status.txt")),
        Some(Kind::NginxStubStatus)
    );
    assert_eq!(
        nginx::sniff("d", laradock_dump().as_bytes()),
        Some(Kind::NginxConf)
    );
    for name in [
        "redis/redis.conf",
        "status/netdata-redis-6.0.9-info_all.txt",
        "prometheus/awesome-prometheus-alerts-nginx-knyar-nginx-exporter.yml",
        "php-fpm/laradock-xlaravel.pool.conf",
        "mysql/mariadb-docker-11.4-ubi-docker.cnf",
        "status/netdata-phpfpm-status-full.txt",
    ] {
        assert_eq!(
            nginx::sniff(name, &fixture(name)),
            None,
            "{name} is not nginx"
        );
    }
    // A PHP ini whose comment lines end in `;`, and an `if` with ` = `.
    assert_eq!(
        nginx::sniff("x.ini", b"; comment;\nmemory_limit = 128M\n"),
        None
    );
    assert_eq!(
        nginx::sniff(
            "x.conf",
            b"server {\n  listen 80;\n  if ($request_method = POST) { return 405; }\n}\n"
        ),
        Some(Kind::NginxConf)
    );
}

// ------------------------------------------------------------ bad inputs

#[test]
fn a_truncated_configuration_names_file_and_line() {
    let text = error(&[(
        "nginx.conf",
        "events {\n    worker_connections 1024;\n}\nhttp {\n    server {\n        listen 80;\n",
    )]);
    assert!(text.starts_with("nginx.conf, line 7: "), "{text}");
    assert!(
        text.contains("closing the `server` block opened at line 5"),
        "{text}"
    );
    let text = error(&[("nginx.conf", "events {}\nhttp {\n    gzip on\n")]);
    assert!(text.starts_with("nginx.conf, line 3: "), "{text}");
    assert!(text.contains("`;` or `}`"), "{text}");
    let text = error(&[("nginx.conf", "events {}\n}\nhttp {}\n")]);
    assert!(text.starts_with("nginx.conf, line 2: "), "{text}");
    let text = error(&[("nginx.conf", "events {}\nhttp {\n  log_format a 'x;\n}\n")]);
    assert!(text.starts_with("nginx.conf, line 3: "), "{text}");
    assert!(text.contains("closing quote"), "{text}");
}

#[test]
fn an_include_outside_the_bundle_names_file_line_and_include() {
    let text = error(&[(
        "etc/nginx/nginx.conf",
        "events {}\nhttp {\n    include /etc/nginx/snippets/ssl.conf;\n}\n",
    )]);
    assert!(text.starts_with("etc/nginx/nginx.conf, line 3: "), "{text}");
    assert!(
        text.contains("include /etc/nginx/snippets/ssl.conf"),
        "{text}"
    );
    assert!(
        text.contains("upload the files it includes in the same bundle"),
        "{text}"
    );
    // A site file alone misses its fastcgi_params.
    let text = error(&[(
        "sites/default.conf",
        &fixture_text("nginx/laradock-sites-default.conf"),
    )]);
    assert!(text.starts_with("sites/default.conf, line 29: "), "{text}");
    assert!(text.contains("include fastcgi_params"), "{text}");
}

#[test]
fn include_cycles_and_deep_nesting_are_refused() {
    let text = error(&[
        ("nginx.conf", "events {}\nhttp {\n    include a.conf;\n}\n"),
        ("a.conf", "server_tokens off;\ninclude b.conf;\n"),
        ("b.conf", "gzip on;\ninclude a.conf;\n"),
    ]);
    assert!(
        text.contains("include cycle: nginx.conf → a.conf → b.conf → a.conf"),
        "{text}"
    );
    assert!(text.starts_with("b.conf, line 2: "), "{text}");
    let deep = format!(
        "events {{}}\nhttp {{\n{}{}\n}}\n",
        "location / {\n".repeat(40),
        "}\n".repeat(40)
    );
    let text = error(&[("nginx.conf", &deep)]);
    assert!(text.contains("nested at most 32 deep"), "{text}");
    // Includes nested too deep (a chain of 20 files).
    let mut files: Vec<(String, String)> = vec![(
        "nginx.conf".to_owned(),
        "events {}\nhttp {\n include f0.conf;\n}\n".to_owned(),
    )];
    for i in 0..20 {
        files.push((
            format!("f{i}.conf"),
            format!("gzip on;\ninclude f{}.conf;\n", i + 1),
        ));
    }
    files.push(("f20.conf".to_owned(), "gzip on;\n".to_owned()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let text = error(&refs);
    assert!(text.contains("includes nested at most 16 deep"), "{text}");
    // Globs that multiply: 4 files per level, each including the 4 of the
    // next level, 8 levels deep (65 536 reads) are refused, and fast.
    let mut files: Vec<(String, String)> = vec![(
        "nginx.conf".to_owned(),
        "events {}\nhttp {\n include /l1/*.conf;\n}\n".to_owned(),
    )];
    for level in 1..=8 {
        for i in 0..4 {
            let body = if level < 8 {
                format!("gzip on;\ninclude /l{}/*.conf;\n", level + 1)
            } else {
                "gzip on;\n".to_owned()
            };
            files.push((format!("l{level}/f{i}.conf"), body));
        }
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let started = std::time::Instant::now();
    let text = error(&refs);
    assert!(text.contains("10000 files"), "{text}");
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn a_binary_file_is_refused_with_its_name_and_line() {
    let text = error(&[("nginx.conf", "events {}\nhttp {\x00}\n")]);
    assert!(text.starts_with("nginx.conf: "), "{text}");
    assert!(text.contains("binary"), "{text}");
    // A NUL past the loader's 64 KiB head: the parser names its line.
    let mut text = String::from("events {}\nhttp {\n");
    for _ in 0..2000 {
        text.push_str("    # a comment long enough to pad the file past the head\n");
    }
    text.push_str("    gzip on;\x00\n}\n");
    let err = error(&[("nginx.conf", &text)]);
    assert!(err.starts_with("nginx.conf, line 2003: "), "{err}");
}

#[test]
fn two_main_configurations_are_refused() {
    let text = error(&[
        ("a/nginx.conf", "events {}\nhttp {}\n"),
        ("b/nginx.conf", "events {}\nhttp {}\n"),
    ]);
    assert!(text.contains("one main nginx configuration"), "{text}");
}

#[test]
fn no_input_makes_anything_panic() {
    for name in [
        "nginx/nginx.conf",
        "nginx/laradock-nginx.conf",
        "nginx/laradock-sites-laravel.conf",
        "status/netdata-nginx-stub_status.txt",
    ] {
        let bytes = fixture(name);
        for cut in 0..bytes.len() {
            if let Ok(stack) = load_files(&[("x.conf", &bytes[..cut])]) {
                let _ = evaluate(&stack, &web_host(2));
            }
        }
    }
    let dump = laradock_dump();
    for cut in (0..dump.len()).step_by(7) {
        let _ = load_files(&[("d.txt", &dump.as_bytes()[..cut])]);
    }
    let odd = [
        "server { listen 443 ssl; ssl_protocols; }",
        "http { server { location { } } }",
        "events {} http { include; }",
        "events {} http { include \"*\"; }",
        "events { worker_connections x; } worker_processes -3; http { keepalive_timeout 1y; }",
        "server { content_by_lua_block { local t = {'}'} -- } \n ngx.say(t) } }",
        "events {} http { server { location ~ \\.php$ { fastcgi_pass x; fastcgi_buffers 0 0; fastcgi_buffer_size 99999999999999999999k; } } }",
    ];
    for text in odd {
        if let Ok(stack) = load_files(&[("x.conf", text.as_bytes())]) {
            let _ = evaluate(&stack, &web_host(2));
        }
    }
}

// ------------------------------------------------------------ the rules

#[test]
fn rule_catalogue_entries() {
    use readiness_core::assess::{Category, Severity};
    let rules = nginx::rules();
    let ids: Vec<(&str, Severity)> = rules.iter().map(|r| (r.id, r.severity)).collect();
    assert_eq!(
        ids,
        [
            ("nginx.worker_processes", Severity::Medium),
            ("nginx.worker_connections", Severity::High),
            ("nginx.keepalive_timeout", Severity::Low),
            ("nginx.gzip", Severity::Medium),
            ("nginx.server_tokens", Severity::Low),
            ("nginx.client_max_body_size", Severity::Medium),
            ("nginx.fastcgi_buffers", Severity::Medium),
            ("nginx.open_file_cache", Severity::Low),
            ("nginx.tls", Severity::High),
        ]
    );
    assert!(rules.iter().all(|r| r.category == Category::Infrastructure));
    assert!(rules.iter().all(|r| !r.why.is_empty() && !r.fix.is_empty()));
}

#[test]
fn nothing_uploaded_is_never_a_pass() {
    for f in evaluate(&Stack::default(), &web_host(4))
        .iter()
        .filter(|f| f.rule.starts_with("nginx."))
    {
        assert_eq!(f.evaluation.outcome, Outcome::Unverified, "{}", f.rule);
        assert!(!f.evaluation.threshold.is_empty(), "{}", f.rule);
    }
}

#[test]
fn worker_processes_pass_with_auto_or_the_cpu_count() {
    let stack = main_conf("worker_processes auto;", "", "", "");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "nginx.worker_processes"),
        Outcome::Pass
    );
    let stack = main_conf("worker_processes 4;", "", "", "");
    assert_eq!(
        outcome(&stack, &web_host(4), "nginx.worker_processes"),
        Outcome::Pass
    );
}

#[test]
fn worker_processes_warn_when_they_do_not_match_the_cpus() {
    let f = finding(
        &main_conf("", "", "", ""),
        &web_host(4),
        "nginx.worker_processes",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(f.evaluation.defaults_assumed[0].contains("worker_processes: 1"));
    let stack = main_conf("worker_processes 16;", "", "", "");
    assert_eq!(
        outcome(&stack, &web_host(4), "nginx.worker_processes"),
        Outcome::Warn
    );
    // Without the CPU count, a number cannot be judged.
    assert_eq!(
        outcome(&stack, &Inputs::default(), "nginx.worker_processes"),
        Outcome::Unverified
    );
}

#[test]
fn worker_connections_pass_with_descriptors_to_spare() {
    let stack = stack(&[(
        "nginx.conf",
        "worker_rlimit_nofile 8192;\nevents { worker_connections 4096; }\nhttp {}\n",
    )]);
    assert_eq!(
        outcome(&stack, &Inputs::default(), "nginx.worker_connections"),
        Outcome::Pass
    );
}

#[test]
fn worker_connections_fail_beyond_the_descriptor_limit() {
    let stack = stack(&[(
        "nginx.conf",
        "worker_rlimit_nofile 1024;\nevents { worker_connections 2048; }\nhttp {}\n",
    )]);
    let f = finding(&stack, &Inputs::default(), "nginx.worker_connections");
    assert_eq!(f.evaluation.outcome, Outcome::Fail);
    assert_eq!(f.evaluation.location.unwrap().line, 1);
    // stub_status showing dropped connections is told alongside.
    let with_status = stack_files(&[
        (
            "nginx.conf",
            "worker_rlimit_nofile 1024;\nevents { worker_connections 2048; }\nhttp {}\n",
        ),
        (
            "status.txt",
            "Active connections: 2048\nserver accepts handled requests\n 5000 4990 9000\nReading: 0 Writing: 2000 Waiting: 48\n",
        ),
    ]);
    let f = finding(&with_status, &Inputs::default(), "nginx.worker_connections");
    assert!(
        f.evaluation
            .detail
            .contains("10 accepted connection(s) not handled"),
        "{}",
        f.evaluation.detail
    );
    // Without worker_rlimit_nofile: a warning; the default 512: assumed.
    let stack = stack_one("events {}\nhttp {}\n");
    let f = finding(&stack, &Inputs::default(), "nginx.worker_connections");
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(f.evaluation.defaults_assumed[0].contains("512"));
}

fn stack_files(files: &[(&str, &str)]) -> Stack {
    stack(files)
}

fn stack_one(text: &str) -> Stack {
    stack(&[("nginx.conf", text)])
}

#[test]
fn keepalive_timeout_passes_within_the_band() {
    let stack = main_conf("", "keepalive_timeout 15;", "", "");
    let f = finding(&stack, &Inputs::default(), "nginx.keepalive_timeout");
    assert_eq!(f.evaluation.outcome, Outcome::Pass);
    assert_eq!(f.evaluation.location.unwrap().line, 4);
}

#[test]
fn keepalive_timeout_warns_at_zero_or_above_the_band() {
    let stack = main_conf("", "keepalive_timeout 15;", "keepalive_timeout 0;", "");
    let f = finding(&stack, &Inputs::default(), "nginx.keepalive_timeout");
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(
        f.evaluation.detail.contains("server app.test"),
        "{}",
        f.evaluation.detail
    );
    let f = finding(
        &main_conf("", "", "", ""),
        &Inputs::default(),
        "nginx.keepalive_timeout",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(f.evaluation.defaults_assumed[0].contains("75s"));
    let stack = main_conf("", "keepalive_timeout 2m;", "", "");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "nginx.keepalive_timeout"),
        Outcome::Warn
    );
}

#[test]
fn gzip_passes_with_the_types_and_a_moderate_level() {
    let http = "gzip on;\ngzip_comp_level 5;\ngzip_types application/json text/javascript text/css image/svg+xml;";
    assert_eq!(
        outcome(
            &main_conf("", http, "", ""),
            &Inputs::default(),
            "nginx.gzip"
        ),
        Outcome::Pass
    );
    let all = "gzip on;\ngzip_comp_level 4;\ngzip_types *;";
    assert_eq!(
        outcome(
            &main_conf("", all, "", ""),
            &Inputs::default(),
            "nginx.gzip"
        ),
        Outcome::Pass
    );
}

#[test]
fn gzip_warns_when_off_or_incomplete() {
    let f = finding(&main_conf("", "", "", ""), &Inputs::default(), "nginx.gzip");
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(f.evaluation.defaults_assumed[0].contains("gzip: off"));
    let f = finding(
        &main_conf("", "gzip on;", "", ""),
        &Inputs::default(),
        "nginx.gzip",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(
        f.evaluation.detail.contains("application/json"),
        "{}",
        f.evaluation.detail
    );
    let http = "gzip on;\ngzip_comp_level 9;\ngzip_types application/json application/javascript text/css image/svg+xml;";
    assert_eq!(
        outcome(
            &main_conf("", http, "", ""),
            &Inputs::default(),
            "nginx.gzip"
        ),
        Outcome::Warn
    );
    // Turned off in one server.
    let http = "gzip on;\ngzip_comp_level 5;\ngzip_types *;";
    let stack = main_conf("", http, "gzip off;", "");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "nginx.gzip"),
        Outcome::Warn
    );
}

#[test]
fn server_tokens_pass_when_off() {
    let stack = main_conf("", "server_tokens off;", "", "");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "nginx.server_tokens"),
        Outcome::Pass
    );
}

#[test]
fn server_tokens_warn_when_on() {
    let f = finding(
        &main_conf("", "", "", ""),
        &Inputs::default(),
        "nginx.server_tokens",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(f.evaluation.defaults_assumed[0].contains("server_tokens: on"));
    // Set back on in one location.
    let stack = main_conf("", "server_tokens off;", "", "server_tokens on;");
    let f = finding(&stack, &Inputs::default(), "nginx.server_tokens");
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert_eq!(f.evaluation.location.unwrap().line, 11);
}

#[test]
fn client_max_body_size_passes_when_generous() {
    let stack = main_conf("", "client_max_body_size 20M;", "", "");
    let f = finding(&stack, &Inputs::default(), "nginx.client_max_body_size");
    assert_eq!(f.evaluation.outcome, Outcome::Pass);
    assert_eq!(
        f.evaluation.value.as_deref(),
        Some("client_max_body_size 20 MiB")
    );
}

#[test]
fn client_max_body_size_warns_at_zero_or_the_default() {
    let f = finding(
        &main_conf("", "", "", ""),
        &Inputs::default(),
        "nginx.client_max_body_size",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(f.evaluation.defaults_assumed[0].contains("1m"));
    // 0 in the PHP location, overriding http.
    let stack = main_conf(
        "",
        "client_max_body_size 20M;",
        "",
        "client_max_body_size 0;",
    );
    let f = finding(&stack, &Inputs::default(), "nginx.client_max_body_size");
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(
        f.evaluation.detail.contains("any size"),
        "{}",
        f.evaluation.detail
    );
    assert_eq!(f.evaluation.location.unwrap().line, 11);
}

#[test]
fn fastcgi_buffers_pass_when_raised() {
    let php = "fastcgi_buffer_size 32k;\nfastcgi_buffers 16 16k;";
    let f = finding(
        &main_conf("", "", "", php),
        &Inputs::default(),
        "nginx.fastcgi_buffers",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Pass);
    assert_eq!(
        f.evaluation.value.as_deref(),
        Some("fastcgi_buffer_size 32 KiB, fastcgi_buffers 16 × 16 KiB")
    );
}

#[test]
fn fastcgi_buffers_warn_at_the_defaults() {
    let f = finding(
        &main_conf("", "", "", ""),
        &Inputs::default(),
        "nginx.fastcgi_buffers",
    );
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert_eq!(f.evaluation.defaults_assumed.len(), 1);
    assert!(f.evaluation.defaults_assumed[0].contains("8 4k"));
    // No PHP location: nothing to judge.
    let stack = stack_one("events {}\nhttp { server { listen 80; } }\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "nginx.fastcgi_buffers"),
        Outcome::Unverified
    );
}

#[test]
fn open_file_cache_passes_when_set() {
    let stack = main_conf("", "open_file_cache max=10000 inactive=30s;", "", "");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "nginx.open_file_cache"),
        Outcome::Pass
    );
}

#[test]
fn open_file_cache_warns_when_off() {
    let stack = main_conf("", "open_file_cache off;", "", "");
    let f = finding(&stack, &Inputs::default(), "nginx.open_file_cache");
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert_eq!(f.evaluation.location.unwrap().line, 4);
    assert_eq!(
        outcome(
            &main_conf("", "", "", ""),
            &Inputs::default(),
            "nginx.open_file_cache"
        ),
        Outcome::Warn
    );
}

#[test]
fn tls_passes_with_current_protocols_and_http2() {
    let stack = main_conf(
        "",
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "listen 443 ssl;\nhttp2 on;",
        "",
    );
    let f = finding(&stack, &Inputs::default(), "nginx.tls");
    assert_eq!(
        f.evaluation.outcome,
        Outcome::Pass,
        "{}",
        f.evaluation.detail
    );
    // The older `listen … http2` form still counts.
    let stack = main_conf(
        "",
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "listen 443 ssl http2;",
        "",
    );
    assert_eq!(
        outcome(&stack, &Inputs::default(), "nginx.tls"),
        Outcome::Pass
    );
}

#[test]
fn tls_fails_with_deprecated_protocols_or_plain_http() {
    let stack = main_conf(
        "",
        "ssl_protocols TLSv1 TLSv1.1 TLSv1.2;",
        "listen 443 ssl;\nhttp2 on;",
        "",
    );
    let f = finding(&stack, &Inputs::default(), "nginx.tls");
    assert_eq!(f.evaluation.outcome, Outcome::Fail);
    assert!(
        f.evaluation.detail.contains("TLSv1, TLSv1.1"),
        "{}",
        f.evaluation.detail
    );
    assert_eq!(f.evaluation.location.unwrap().line, 4);
    // No TLS listener while TLS does not end at a load balancer.
    let plain = main_conf("", "", "", "");
    assert_eq!(
        outcome(&plain, &tls_at_lb(false), "nginx.tls"),
        Outcome::Fail
    );
    assert_eq!(
        outcome(&plain, &Inputs::default(), "nginx.tls"),
        Outcome::Unverified
    );
    // When TLS ends at the load balancer, the rule does not apply.
    assert_eq!(
        outcome(&stack, &tls_at_lb(true), "nginx.tls"),
        Outcome::Unverified
    );
    // No ssl_protocols, no HTTP/2: warnings.
    let stack = main_conf("", "", "listen 443 ssl;", "");
    let f = finding(&stack, &Inputs::default(), "nginx.tls");
    assert_eq!(f.evaluation.outcome, Outcome::Warn);
    assert!(
        f.evaluation.detail.contains("HTTP/2 is off"),
        "{}",
        f.evaluation.detail
    );
    assert!(f.evaluation.defaults_assumed[0].contains("1.23.4"));
}

#[test]
fn fragments_alone_do_not_assume_http_defaults() {
    // A site file without nginx.conf: what http might set is unknown.
    let stack = stack(&[(
        "sites/app.conf",
        "server {\n listen 80;\n location ~ \\.php$ { fastcgi_pass 127.0.0.1:9000; }\n}\n",
    )]);
    for id in [
        "nginx.worker_processes",
        "nginx.worker_connections",
        "nginx.keepalive_timeout",
        "nginx.gzip",
        "nginx.server_tokens",
        "nginx.client_max_body_size",
        "nginx.fastcgi_buffers",
        "nginx.open_file_cache",
    ] {
        assert_eq!(
            outcome(&stack, &web_host(4), id),
            Outcome::Unverified,
            "{id}"
        );
    }
    // What the fragment sets itself is judged.
    let stack = stack_with_site("server {\n listen 80;\n server_tokens on;\n}\n");
    assert_eq!(
        outcome(&stack, &Inputs::default(), "nginx.server_tokens"),
        Outcome::Warn
    );
}

fn stack_with_site(text: &str) -> Stack {
    stack(&[("sites/app.conf", text)])
}

#[test]
fn a_fragment_beside_a_main_configuration_that_does_not_include_it() {
    let stack = stack(&[
        (
            "etc/nginx/nginx.conf",
            "events {}\nhttp {\n  server_tokens off;\n  include sites-enabled/*;\n}\n",
        ),
        (
            "etc/nginx/sites-available/app.conf",
            "server {\n  listen 80;\n}\n",
        ),
    ]);
    let conf = stack.nginx.as_ref().unwrap();
    let kinds: Vec<NoteKind> = conf.notes.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [NoteKind::EmptyGlob, NoteKind::NotIncluded]);
    // Read as part of http: it inherits server_tokens off.
    assert_eq!(
        outcome(&stack, &Inputs::default(), "nginx.server_tokens"),
        Outcome::Pass
    );
}

#[test]
fn fragments_that_include_each_other_are_read_once() {
    // The snippet sorts before the site that includes it.
    let stack = stack(&[
        (
            "a-snippets/php.conf",
            "fastcgi_buffers 16 16k;\nfastcgi_buffer_size 32k;\n",
        ),
        (
            "sites/app.conf",
            "server {\n listen 80;\n location ~ \\.php$ {\n  fastcgi_pass 127.0.0.1:9000;\n  include ../a-snippets/php.conf;\n }\n}\n",
        ),
    ]);
    let conf = stack.nginx.as_ref().unwrap();
    assert_eq!(conf.fragments.len(), 1);
    assert_eq!(conf.fragments[0].file, "sites/app.conf");
}
