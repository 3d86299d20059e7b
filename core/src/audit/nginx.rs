//! nginx configurations (nginx.conf with its includes, site files, or the
//! output of `nginx -T`) and stub_status, and the `nginx.*` rules.
//!
//! # Formats
//!
//! **nginx.conf** is a sequence of directives: words separated by blanks,
//! ended by `;`, or by a `{ … }` block for contexts (main → events / http
//! → server → location, plus upstream, if, map, types …). `include` splices
//! other files (globs allowed) into the context where it appears. **`nginx
//! -T`** prints `# configuration file <path>:` and the content of every file
//! nginx read, the main one first; it is split back into files and read the
//! same way, so includes resolve among the dumped files. **stub_status** is
//! the four-line page of `ngx_http_stub_status_module`.
//!
//! # Pitfalls handled (AUDIT-RULES §8)
//!
//! - The lexer follows `ngx_conf_read_token`: `#` starts a comment only
//!   where a word could start (`a#b` is one word); '…' and "…" strings may
//!   hold blanks and `;`; `\"`, `\'`, `\\`, `\t`, `\r`, `\n` are escapes and
//!   other `\x` stay as written; `${var}` inside a word is a variable, not a
//!   block; a closing quote must be followed by a blank, `;` or `{`.
//! - Every directive keeps the file and line it was written on, through
//!   includes and `nginx -T` sections (shown as `path (in upload)`).
//! - `include` takes globs; relative paths resolve against nginx's prefix
//!   (the folder of nginx.conf), then against the including file's folder
//!   and its parents (site files uploaded without nginx.conf); absolute
//!   paths match uploaded files by their trailing path. A plain path that
//!   matches nothing is an error naming the file, line and include and
//!   asking for the files (nginx cannot start without them), except the
//!   data files nginx ships (`mime.types`, charset maps), which no rule
//!   reads and which are noted as assumed. A glob that matches nothing is
//!   accepted, as nginx accepts it, and noted.
//! - Include cycles are errors naming the cycle; includes nest at most 16
//!   deep and blocks 32 deep.
//! - Inheritance: a directive's effective value is the innermost level's
//!   (location → server → http → main); array directives (`fastcgi_param`,
//!   `add_header`, `proxy_set_header`, `allow`/`deny`) inherit only when the
//!   inner level defines none. Where a value is neither set nor known to be
//!   unset (a site file uploaded without its nginx.conf), rules say so
//!   instead of assuming the default.
//! - Sizes: bytes, `k`/`K`, `m`/`M`, `g`/`G` (1024-based, no `kb`). Times:
//!   `ms`, `s`, `m`, `h`, `d`, `w`, `M`, `y`, combinable (`1h 30m`); bare
//!   numbers are seconds.
//! - `listen` parameters (`ssl`, `http2`, `backlog=`) are read on `listen`.
//! - Blocks in other languages (`*_by_lua_block`) are skipped by counting
//!   their braces outside strings and comments.
//! - A truncated file (an unclosed block, a directive without `;`), a stray
//!   `}`, an unclosed quote or a binary file is an error naming file and
//!   line.

mod model;
mod parse;
mod rules;
mod status;

pub use model::{
    Block, Context, DEFAULT_CLIENT_MAX_BODY_SIZE, DEFAULT_FASTCGI_TIMEOUT_S,
    DEFAULT_LISTEN_BACKLOG, DEFAULT_WORKER_CONNECTIONS, Directive, Fragment, Lookup, NginxConf,
    Note, NoteKind, Scoped, StatusLocation, WorkerProcesses, resolve,
};
pub use status::StubStatus;

use super::{Bundle, Kind, Rule, Stack};
use crate::error::ParseError;
use crate::input::Source;

/// Contexts that open a block, for detection. `if` and `map` are left
/// out: program code opens `if` blocks too.
const BLOCKS: &[&str] = &[
    "http",
    "events",
    "server",
    "location",
    "upstream",
    "geo",
    "types",
    "stream",
    "mail",
    "split_clients",
    "limit_except",
];

/// Prefixes of directives found in fragments without blocks
/// (fastcgi_params, snippets).
const DIRECTIVE_PREFIXES: &[&str] = &[
    "fastcgi_",
    "proxy_",
    "uwsgi_",
    "scgi_",
    "ssl_",
    "gzip",
    "add_header",
    "client_",
    "keepalive_",
    "listen",
    "server_name",
    "root",
    "index",
    "try_files",
    "access_log",
    "error_log",
    "limit_req",
    "limit_conn",
    "resolver",
    "open_file_cache",
    "sendfile",
    "tcp_no",
    "server_tokens",
    "charset",
    "expires",
    "return",
    "rewrite",
    "set ",
    "include ",
    "allow ",
    "deny ",
];

/// Lines without comments, trimmed, skipping empty ones.
fn significant(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|l| {
        let l = l.trim();
        let l = if l.starts_with('#') { "" } else { l };
        (!l.is_empty()).then_some(l)
    })
}

pub fn sniff(_name: &str, head: &[u8]) -> Option<Kind> {
    let text = String::from_utf8_lossy(head);
    let complete = if head.len() >= crate::input::HEAD_BYTES {
        text.rsplit_once('\n').map(|(a, _)| a).unwrap_or("")
    } else {
        &text
    };
    if status::looks_like(complete) {
        return Some(Kind::NginxStubStatus);
    }
    if complete
        .lines()
        .any(|l| parse::section_path(l.trim_end_matches('\r')).is_some())
    {
        return Some(Kind::NginxConf);
    }
    let mut blocks = false;
    let mut main_blocks = (false, false);
    let mut terminated = 0usize;
    let mut all_directives = true;
    let mut lines = 0usize;
    for line in significant(complete) {
        lines += 1;
        // php.ini comments start with `;`; INI and my.cnf sections with
        // `[`; JSON with `{` or `"`; YAML keys end with `:`.
        if line.starts_with(';') || line.starts_with('[') || line.starts_with('"') {
            return None;
        }
        let code = line.split(" #").next().unwrap_or(line).trim_end();
        let mut words = code.split_whitespace();
        let first = words.next().unwrap_or("");
        let first_word = first.trim_end_matches('{');
        let opens = BLOCKS.contains(&first_word) && code.contains('{');
        // `key = value` is INI; nginx writes `location = /path {`.
        if first.ends_with(':') || (words.next() == Some("=") && !opens) {
            return None;
        }
        if opens {
            blocks = true;
            main_blocks.0 |= first_word == "events";
            main_blocks.1 |= first_word == "http";
        }
        if code.ends_with(';') {
            terminated += 1;
            if !DIRECTIVE_PREFIXES.iter().any(|p| code.starts_with(p)) {
                all_directives = false;
            }
        } else if !(code.ends_with('{') || code.ends_with('}')) {
            all_directives = false;
        }
    }
    if blocks && (terminated > 0 || main_blocks == (true, true)) {
        return Some(Kind::NginxConf);
    }
    // A fragment of directives only (fastcgi_params, a snippet): every
    // line a `;`-terminated nginx directive.
    (lines > 0 && terminated == lines && all_directives).then_some(Kind::NginxConf)
}

/// Whether a configuration is a main one (with `events` or `http`), read
/// before the fragments it includes.
pub fn is_main(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    if text
        .lines()
        .any(|l| parse::section_path(l.trim_end_matches('\r')).is_some())
    {
        return true;
    }
    significant(&text).any(|l| {
        ["events", "http"].iter().any(|b| {
            l.strip_prefix(b)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '{']))
        })
    })
}

pub fn load(
    kind: Kind,
    source: &dyn Source,
    bundle: &Bundle<'_>,
    stack: &mut Stack,
) -> Result<Vec<String>, ParseError> {
    match kind {
        Kind::NginxStubStatus => {
            if let Some(existing) = &stack.nginx_status {
                return Err(ParseError::new(
                    "one stub_status sample per upload",
                    format!("a second one besides {}", existing.file),
                )
                .in_file(source.name()));
            }
            stack.nginx_status = Some(status::parse(source)?);
            Ok(vec![source.name().to_owned()])
        }
        Kind::NginxConf => load_conf(source, bundle, stack),
        other => Err(ParseError::new(
            "an nginx configuration or stub_status",
            format!("a {other}"),
        )
        .in_file(source.name())),
    }
}

fn load_conf(
    source: &dyn Source,
    bundle: &Bundle<'_>,
    stack: &mut Stack,
) -> Result<Vec<String>, ParseError> {
    let name = source.name();
    let text = parse::read_text(source, name)?;
    let is_dump = text
        .lines()
        .any(|l| parse::section_path(l.trim_end_matches('\r')).is_some());
    let (directives, files, notes, root, main) = if is_dump {
        let sections = parse::split_dump(&text, name)?;
        let sources = parse::dump_sources(&sections);
        let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
        let dump_bundle = Bundle::new(refs);
        let Some(first) = sources.first() else {
            return Err(ParseError::new("nginx -T output with a file", "none").in_file(name));
        };
        let mut reader = parse::Reader::new(&dump_bundle, first.name(), Some(name));
        let directives = reader.read(first, 0)?;
        let files: Vec<String> = reader.files.iter().map(|f| reader.label(f)).collect();
        let root = reader.label(first.name());
        // nginx -T always starts with the main configuration.
        (directives, files, reader.notes, root, true)
    } else {
        let mut reader = parse::Reader::new(bundle, name, None);
        let directives = reader.read(source, 0)?;
        let main = directives
            .iter()
            .any(|d| d.block.is_some() && (d.name == "events" || d.name == "http"));
        (
            directives,
            reader.files,
            reader.notes,
            name.to_owned(),
            main,
        )
    };
    let block = Block { directives };
    let conf = stack.nginx.get_or_insert_with(NginxConf::default);
    // Fragments read earlier as roots that this file includes are now part
    // of it (the loader reads files in name order).
    conf.fragments.retain(|f| !files.contains(&f.file));
    if main {
        if let Some(existing) = &conf.main_file {
            return Err(ParseError::new(
                "one main nginx configuration (with events/http) per upload",
                format!("a second one besides {existing}; upload one server's configuration"),
            )
            .in_file(name));
        }
        conf.main = Some(block);
        conf.main_file = Some(root);
    } else {
        conf.fragments.push(Fragment { file: root, block });
    }
    for file in &files {
        if !conf.files.contains(file) {
            conf.files.push(file.clone());
        }
    }
    conf.notes.extend(notes);
    conf.notes.retain(|n| n.kind != NoteKind::NotIncluded);
    if conf.main.is_some() {
        let orphans: Vec<model::Note> = conf
            .fragments
            .iter()
            .map(|f| model::Note {
                origin: super::model::Origin::new(&f.file, 1),
                include: f.file.clone(),
                kind: NoteKind::NotIncluded,
            })
            .collect();
        conf.notes.extend(orphans);
    }
    if is_dump {
        Ok(vec![name.to_owned()])
    } else {
        Ok(files)
    }
}

pub fn rules() -> Vec<Rule> {
    rules::rules()
}
