//! my.cnf option files: groups, options with their prefixes, and
//! `!include`/`!includedir` resolved inside the uploaded bundle, read the
//! way mysys `my_default.cc` (`search_default_file_with_ext`) reads them.

use super::options;
use super::server::{Flavour, ServerInfo, Version};
use crate::audit::model::Origin;
use crate::audit::{Bundle, Kind, Stack};
use crate::error::ParseError;
use crate::input::{Lines, Source, head, read_error};

/// How deep `!include` may nest: mysys stops at the same depth.
const MAX_INCLUDE_DEPTH: usize = 10;

/// A modifier written before an option name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    /// `skip-x`: x is switched off.
    Skip,
    /// `disable-x`: x is switched off.
    Disable,
    /// `enable-x`: x is switched on.
    Enable,
    /// `maximum-x`: the ceiling a session may SET x to; x itself is unchanged.
    Maximum,
}

/// One option line of an option file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CnfOption {
    /// The group it is in, in lower case (`mysqld`, `mariadb-10.11`).
    pub group: String,
    /// The name as written, prefixes included.
    pub written: String,
    /// The option it sets: lower case, `_` for `-`, prefixes removed.
    pub name: String,
    /// The value with quotes removed and escapes resolved; `ON` for a bare
    /// name or `enable-`, `OFF` for `skip-` and `disable-`.
    pub value: String,
    /// Written without `=` and a value.
    pub bare: bool,
    pub prefix: Option<Prefix>,
    /// Written with `loose-`: the server only warns if it does not know it.
    pub loose: bool,
    pub origin: Origin,
}

impl CnfOption {
    /// Whether the line sets the option's value (`maximum-x` does not).
    pub fn sets_value(&self) -> bool {
        self.prefix != Some(Prefix::Maximum)
    }
}

/// An `!includedir` directive and how many `*.cnf` files of the upload it
/// matched. An empty match is not an error: the directory may well be
/// empty on the server (the official images ship an empty `conf.d`), and
/// nothing in an upload tells an empty directory from one left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludeDir {
    pub directory: String,
    pub origin: Origin,
    pub files: usize,
}

/// Every option file of an upload, read in the server's order.
#[derive(Debug, Clone, Default)]
pub struct MyCnf {
    options: Vec<CnfOption>,
    groups: Vec<(String, Origin)>,
    files: Vec<String>,
    include_dirs: Vec<IncludeDir>,
    /// The first comment line that names MariaDB: the weakest hint of the
    /// flavour, used only when nothing else tells.
    mariadb_comment: Option<Origin>,
}

impl MyCnf {
    /// Every option of every group, in reading order.
    pub fn options(&self) -> &[CnfOption] {
        &self.options
    }

    /// Every group header, in reading order.
    pub fn groups(&self) -> &[(String, Origin)] {
        &self.groups
    }

    /// The files read, roots and includes, in reading order.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    pub fn include_dirs(&self) -> &[IncludeDir] {
        &self.include_dirs
    }

    /// The options a server of this flavour and version reads, in order
    /// (the last of a name wins).
    pub fn server_options<'a>(
        &'a self,
        server: &'a ServerInfo,
    ) -> impl Iterator<Item = &'a CnfOption> + 'a {
        self.options
            .iter()
            .filter(move |o| reads_group(&o.group, server))
    }

    /// The effective server option of a name: the last one that sets it.
    pub fn server_value<'a>(&'a self, name: &str, server: &ServerInfo) -> Option<&'a CnfOption> {
        self.options
            .iter()
            .rev()
            .find(|o| o.name == name && o.sets_value() && reads_group(&o.group, server))
    }

    /// The flavour the files themselves point to, with the reason: a
    /// MariaDB-only group, a version-suffixed group, or an option only one
    /// flavour has. `None` when they say nothing or contradict each other.
    pub fn flavour_hint(&self) -> Option<(Flavour, String)> {
        let mut found: Option<(Flavour, String)> = None;
        let mut note = |flavour: Flavour, why: String| match &found {
            Some((f, _)) if *f != flavour => Err(()),
            Some(_) => Ok(()),
            None => {
                found = Some((flavour, why));
                Ok(())
            }
        };
        for (group, origin) in &self.groups {
            let hint = match split_version_group(group) {
                Some((_, v)) if v.major >= 10 => Some(Flavour::MariaDb),
                Some((base, _)) if base.starts_with("mariadb") => Some(Flavour::MariaDb),
                Some(_) => Some(Flavour::MySql),
                None if MARIADB_GROUPS.contains(&group.as_str()) => Some(Flavour::MariaDb),
                None => None,
            };
            if let Some(flavour) = hint
                && note(flavour, format!("the [{group}] group at {origin}")).is_err()
            {
                return None;
            }
        }
        for option in &self.options {
            if !SERVER_GROUPS.contains(&option.group.as_str())
                && !MARIADB_GROUPS.contains(&option.group.as_str())
            {
                continue;
            }
            let hint = if MYSQL_MARKERS.contains(&option.name.as_str()) {
                Some(Flavour::MySql)
            } else if MARIADB_MARKERS.contains(&option.name.as_str())
                || option.name.starts_with("aria_")
            {
                Some(Flavour::MariaDb)
            } else {
                None
            };
            if let Some(flavour) = hint
                && note(
                    flavour,
                    format!("the option {} at {}", option.written, option.origin),
                )
                .is_err()
            {
                return None;
            }
        }
        if found.is_none()
            && let Some(origin) = &self.mariadb_comment
        {
            return Some((
                Flavour::MariaDb,
                format!("the comment at {origin}, which calls the file a MariaDB configuration"),
            ));
        }
        found
    }
}

/// Groups every server reads.
const SERVER_GROUPS: &[&str] = &["mysqld", "server"];

/// Groups only MariaDB servers read. `[client-server]` is read by MariaDB's
/// clients and server alike; MySQL ignores it.
const MARIADB_GROUPS: &[&str] = &["mariadb", "mariadbd", "galera", "client-server"];

/// Options only one flavour has that are common enough in option files to
/// tell the flavour; options a flavour removed long ago are left out,
/// because old files keep them.
const MYSQL_MARKERS: &[&str] = &[
    "innodb_redo_log_capacity",
    "innodb_dedicated_server",
    "mysqlx",
    "binlog_expire_logs_auto_purge",
    "log_error_verbosity",
    "default_authentication_plugin",
    "authentication_policy",
    "gtid_mode",
    "enforce_gtid_consistency",
    "temptable_max_ram",
    "internal_tmp_mem_storage_engine",
    "log_timestamps",
    "admin_address",
];
const MARIADB_MARKERS: &[&str] = &[
    "character_set_collations",
    "log_slow_verbosity",
    "gtid_domain_id",
    "gtid_strict_mode",
    "innodb_encrypt_tables",
    "log_basename",
    "userstat",
    "log_slow_query",
];

/// `mysqld-8.0` → (`mysqld`, 8.0).
fn split_version_group(group: &str) -> Option<(&str, Version)> {
    let (base, version) = group.rsplit_once('-')?;
    if !["mysqld", "mariadb", "mariadbd", "server"].contains(&base) {
        return None;
    }
    let (major, minor) = version.split_once('.')?;
    Some((
        base,
        Version::new(major.parse().ok()?, minor.parse().ok()?, 0),
    ))
}

/// Whether a server reads a group. Version-suffixed groups are read by the
/// servers of that major.minor; when the version is unknown they are taken
/// as read unless the suffix belongs to the other flavour (MariaDB versions
/// start at 10, MySQL's are below).
pub fn reads_group(group: &str, server: &ServerInfo) -> bool {
    if SERVER_GROUPS.contains(&group) {
        return true;
    }
    if MARIADB_GROUPS.contains(&group) {
        return server.flavour != Some(Flavour::MySql);
    }
    let Some((base, version)) = split_version_group(group) else {
        return false;
    };
    if base != "mysqld" && server.flavour == Some(Flavour::MySql) {
        return false;
    }
    match (server.version, server.flavour) {
        (Some(v), _) => v.major == version.major && v.minor == version.minor,
        (None, Some(Flavour::MySql)) => version.major < 10,
        (None, Some(Flavour::MariaDb)) => version.major >= 10,
        (None, None) => true,
    }
}

/// Whether the first lines look like an option file: a group header of a
/// MySQL or MariaDB program, or an include directive. Group names are
/// matched as written (lower case) so that php.ini's `[MySQLi]` or an old
/// `[MySQL]` section does not count, and files with php.ini or php-fpm
/// sections are refused outright.
pub fn looks_like(text: &str) -> bool {
    let mut group = false;
    for line in text.lines().take(400) {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.starts_with("!include ") || line.starts_with("!includedir ") {
            return true;
        }
        let Some(name) = line
            .strip_prefix('[')
            .and_then(|l| l.split_once(']'))
            .map(|(n, _)| n.trim())
        else {
            continue;
        };
        if ["PHP", "global", "www", "opcache"].contains(&name) || name.starts_with("HOST=") {
            return false;
        }
        if PROGRAM_GROUPS.contains(&name) || split_version_group(name).is_some() {
            group = true;
        }
    }
    group
}

/// Groups of the server and the client programs that option files carry.
const PROGRAM_GROUPS: &[&str] = &[
    "mysqld",
    "server",
    "mariadb",
    "mariadbd",
    "galera",
    "client",
    "client-server",
    "client-mariadb",
    "mysql",
    "mariadb-client",
    "mysqldump",
    "mariadb-dump",
    "mysqld_safe",
    "mariadbd-safe",
    "mysqladmin",
    "mysqlcheck",
    "mysqlimport",
    "mysqlshow",
    "mysqld_multi",
    "myisamchk",
    "mysqlhotcopy",
    "embedded",
    "mariabackup",
    "xtrabackup",
];

/// Reads every option file of the upload: the files no other option file
/// includes are the roots, read in the servers' search order (/etc/my.cnf,
/// then /etc/mysql/my.cnf, then other my.cnf, then the rest by name, then
/// ~/.my.cnf), each with its includes in place. Returns every file read, so
/// that included files are not read again as roots.
pub fn load_all(
    first: &dyn Source,
    bundle: &Bundle<'_>,
    stack: &mut Stack,
) -> Result<Vec<String>, ParseError> {
    let mut candidates: Vec<&dyn Source> = Vec::new();
    for file in bundle.files() {
        let head = head(*file).map_err(|e| read_error(file.name(), None, &e))?;
        if crate::audit::recognize(*file, &head) == Some(Kind::MyCnf) {
            candidates.push(*file);
        }
    }
    if !candidates.iter().any(|c| c.name() == first.name()) {
        candidates.push(first);
    }
    let included = included_names(&candidates, bundle);
    let mut roots: Vec<&dyn Source> = candidates
        .iter()
        .copied()
        .filter(|c| !included.iter().any(|i| i == c.name()))
        .collect();
    roots.sort_by_key(|r| (search_rank(r.name()), r.name().to_owned()));
    let mut reader = Reader {
        bundle,
        cnf: stack.mysql.take().unwrap_or_default(),
        read: Vec::new(),
        chain: Vec::new(),
    };
    let mut result = Ok(());
    for root in roots {
        result = reader.file(root, None);
        if result.is_err() {
            break;
        }
    }
    // Files that only include each other have no root; reading them from
    // one of them reports the cycle.
    if result.is_ok() {
        for candidate in &candidates {
            if !reader.read.iter().any(|r| r == candidate.name()) {
                result = reader.file(*candidate, None);
                if result.is_err() {
                    break;
                }
            }
        }
    }
    stack.mysql = Some(reader.cnf);
    result.map(|()| reader.read)
}

fn search_rank(name: &str) -> u8 {
    let name = name.to_ascii_lowercase();
    let name = format!("/{}", name.trim_start_matches('/'));
    if name.ends_with("/.my.cnf") {
        4
    } else if name.ends_with("/etc/my.cnf") {
        0
    } else if name.ends_with("/etc/mysql/my.cnf") {
        1
    } else if name.ends_with("/my.cnf") {
        2
    } else {
        3
    }
}

/// The files other candidates include, by a light scan of their include
/// lines (errors are left to the real read).
fn included_names(candidates: &[&dyn Source], bundle: &Bundle<'_>) -> Vec<String> {
    let mut names = Vec::new();
    for file in candidates {
        let Ok(mut lines) = Lines::new(*file) else {
            continue;
        };
        while let Ok(Some(line)) = lines.next_line() {
            let text = String::from_utf8_lossy(line);
            match directive(text.trim()) {
                Some(Directive::Include(path)) => {
                    if let Some(found) = bundle.find(&path, file.name()) {
                        names.push(found.name().to_owned());
                    }
                }
                Some(Directive::IncludeDir(dir)) => {
                    for found in bundle.glob(&dir_pattern(&dir), file.name()) {
                        names.push(found.name().to_owned());
                    }
                }
                _ => {}
            }
        }
    }
    names
}

enum Directive {
    Include(String),
    IncludeDir(String),
    Other(String),
}

/// An `!` line: the keyword must be followed by white space and a path,
/// which runs to the end of the line (mysys takes no comment there).
fn directive(line: &str) -> Option<Directive> {
    let rest = line.strip_prefix('!')?.trim_start();
    let (keyword, path) = rest
        .split_once(|c: char| c.is_whitespace())
        .map(|(k, p)| (k, p.trim()))
        .unwrap_or((rest, ""));
    Some(match keyword {
        "include" if !path.is_empty() => Directive::Include(path.to_owned()),
        "includedir" if !path.is_empty() => Directive::IncludeDir(path.to_owned()),
        _ => Directive::Other(rest.to_owned()),
    })
}

fn dir_pattern(dir: &str) -> String {
    format!("{}/*.cnf", dir.trim_end_matches('/'))
}

/// Whether a relative path climbs above the upload's root from the folder
/// of the including file.
fn escapes_upload(path: &str, from: &str) -> bool {
    if path.starts_with('/') {
        return false;
    }
    let mut depth = from
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .count();
    // The including file's own name is not a folder.
    depth = depth.saturating_sub(1);
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if depth == 0 {
                    return true;
                }
                depth -= 1;
            }
            _ => depth += 1,
        }
    }
    false
}

struct Reader<'b, 'a> {
    bundle: &'b Bundle<'a>,
    cnf: MyCnf,
    read: Vec<String>,
    chain: Vec<String>,
}

impl Reader<'_, '_> {
    /// Reads one file; `from` is the include line that named it.
    fn file(&mut self, source: &dyn Source, from: Option<&Origin>) -> Result<(), ParseError> {
        let name = source.name().to_owned();
        let at_include = |err: ParseError| match from {
            Some(origin) => err.in_file(&origin.file).at_line(origin.line, None),
            None => err.in_file(&name),
        };
        if self.chain.contains(&name) {
            return Err(at_include(ParseError::new(
                "includes that do not loop",
                format!(
                    "{name} including itself again through {}",
                    self.chain.join(" → ")
                ),
            )));
        }
        if self.chain.len() >= MAX_INCLUDE_DEPTH {
            return Err(at_include(ParseError::new(
                format!("includes nested at most {MAX_INCLUDE_DEPTH} deep"),
                format!("a deeper include of {name}"),
            )));
        }
        self.chain.push(name.clone());
        if !self.read.contains(&name) {
            self.read.push(name.clone());
        }
        if !self.cnf.files.contains(&name) {
            self.cnf.files.push(name.clone());
        }
        let result = self.lines(source, &name);
        self.chain.pop();
        result
    }

    fn lines(&mut self, source: &dyn Source, name: &str) -> Result<(), ParseError> {
        let mut lines = Lines::new(source)?;
        // Each file starts outside any group, as mysys reads it.
        let mut group: Option<String> = None;
        while let Some((number, raw)) = lines.next_numbered()? {
            let text = String::from_utf8_lossy(raw).into_owned();
            let mut line = text.trim();
            if number == 1 {
                line = line.trim_start_matches('\u{feff}').trim_start();
            }
            let origin = Origin::new(name, number);
            let err = |expected: &str, found: String| {
                ParseError::new(expected, found)
                    .in_file(name)
                    .at_line(number, None)
            };
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                // MariaDB's own files say so in their opening comment
                // (MySQL's name MySQL, but MariaDB's do too, so only
                // "MariaDB" counts).
                if self.cnf.mariadb_comment.is_none() && line.contains("MariaDB") {
                    self.cnf.mariadb_comment = Some(origin);
                }
                continue;
            }
            if line.starts_with('!') {
                self.directive(line, &origin)?;
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some((inside, after)) = rest.split_once(']') else {
                    return Err(err(
                        "a group header closed by `]`",
                        format!("`{line}` (the line or the file may be cut)"),
                    ));
                };
                let after = after.trim();
                if !after.is_empty() && !after.starts_with('#') && !after.starts_with(';') {
                    return Err(err(
                        "nothing but a comment after a group header",
                        format!("`{after}`"),
                    ));
                }
                let inside = inside.trim();
                if inside.is_empty() {
                    return Err(err("a group name between `[` and `]`", "`[]`".to_owned()));
                }
                let inside = inside.to_ascii_lowercase();
                self.cnf.groups.push((inside.clone(), origin));
                group = Some(inside);
                continue;
            }
            let Some(group) = &group else {
                return Err(err(
                    "a [group] header before the first option",
                    format!("`{line}`"),
                ));
            };
            let option = option(line, group, origin).map_err(|(expected, found)| {
                ParseError::new(expected, found)
                    .in_file(name)
                    .at_line(number, None)
            })?;
            self.cnf.options.push(option);
        }
        Ok(())
    }

    fn directive(&mut self, line: &str, origin: &Origin) -> Result<(), ParseError> {
        let err = |expected: String, found: String| {
            ParseError::new(expected, found)
                .in_file(&origin.file)
                .at_line(origin.line, None)
        };
        match directive(line) {
            Some(Directive::Include(path)) => {
                if escapes_upload(&path, &origin.file) {
                    return Err(err(
                        format!(
                            "`!include {path}` to name a file inside the upload (upload the \
                             included file in the same bundle and include it by a path inside it)"
                        ),
                        "a path that leads outside the upload".to_owned(),
                    ));
                }
                let Some(found) = self.bundle.find(&path, &origin.file) else {
                    return Err(err(
                        format!(
                            "the file of `!include {path}` in the upload (upload it in the same \
                             bundle as the file that includes it)"
                        ),
                        "no such file in the upload".to_owned(),
                    ));
                };
                self.file(found, Some(origin))
            }
            Some(Directive::IncludeDir(dir)) => {
                if escapes_upload(&dir, &origin.file) {
                    return Err(err(
                        format!(
                            "`!includedir {dir}` to name a folder inside the upload (upload its \
                             files in the same bundle and include it by a path inside it)"
                        ),
                        "a path that leads outside the upload".to_owned(),
                    ));
                }
                let found = self.bundle.glob(&dir_pattern(&dir), &origin.file);
                self.cnf.include_dirs.push(IncludeDir {
                    directory: dir,
                    origin: origin.clone(),
                    files: found.len(),
                });
                for file in found {
                    self.file(file, Some(origin))?;
                }
                Ok(())
            }
            Some(Directive::Other(text)) => Err(err(
                "`!include <file>` or `!includedir <folder>`".to_owned(),
                format!("`!{text}` (the line or the file may be cut)"),
            )),
            None => Ok(()),
        }
    }
}

/// One option line: `name`, `name = value`, with prefixes, quotes, escapes
/// and a trailing `#` comment.
fn option(line: &str, group: &str, origin: Origin) -> Result<CnfOption, (String, String)> {
    let line = remove_end_comment(line).trim();
    let (key, value) = match line.split_once('=') {
        Some((k, v)) => (k.trim(), Some(v.trim())),
        None => (line, None),
    };
    if key.is_empty() {
        return Err(("an option name before `=`".to_owned(), format!("`{line}`")));
    }
    let value = match value {
        Some(v) => Some(unquote(v)?),
        None => None,
    };
    let lower = key.to_ascii_lowercase().replace('-', "_");
    let (loose, base) = match lower.strip_prefix("loose_") {
        Some(rest) => (true, rest.to_owned()),
        None => (false, lower.clone()),
    };
    let (name, prefix) = resolve_prefix(&base);
    let value_text = match (prefix, &value) {
        (Some(Prefix::Skip | Prefix::Disable), _) => "OFF".to_owned(),
        (Some(Prefix::Enable), _) => "ON".to_owned(),
        (_, Some(v)) => v.clone(),
        (_, None) => "ON".to_owned(),
    };
    Ok(CnfOption {
        group: group.to_owned(),
        written: key.to_owned(),
        name,
        value: value_text,
        bare: value.is_none(),
        prefix,
        loose,
        origin,
    })
}

/// A name is an option of its own if any flavour knows it
/// (`skip_name_resolve` is one); otherwise a known option behind a
/// `skip-`, `disable-`, `enable-` or `maximum-` prefix.
fn resolve_prefix(base: &str) -> (String, Option<Prefix>) {
    if options::known_to_any(base) {
        return (base.to_owned(), None);
    }
    for (text, prefix) in [
        ("skip_", Prefix::Skip),
        ("disable_", Prefix::Disable),
        ("enable_", Prefix::Enable),
        ("maximum_", Prefix::Maximum),
    ] {
        if let Some(rest) = base.strip_prefix(text)
            && options::known_to_any(rest)
        {
            return (rest.to_owned(), Some(prefix));
        }
    }
    (base.to_owned(), None)
}

/// Cuts a `#` comment that starts outside quotes, as mysys
/// `remove_end_comment` does (a `;` mid-line is not a comment).
fn remove_end_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escape = false;
    for (i, c) in line.char_indices() {
        if (c == '\'' || c == '"') && !escape {
            match quote {
                None => quote = Some(c),
                Some(q) if q == c => quote = None,
                Some(_) => {}
            }
        }
        if quote.is_none() && c == '#' {
            return &line[..i];
        }
        escape = quote.is_some() && c == '\\' && !escape;
    }
    line
}

/// Removes a pair of surrounding quotes and resolves the escapes mysys
/// knows (`\n \t \r \b \s \" \' \\`; any other keeps its backslash, which
/// Windows paths rely on). A value that opens a quote and never closes it
/// is refused: the server would take the quote as part of the value, and
/// such a line is nearly always cut.
fn unquote(value: &str) -> Result<String, (String, String)> {
    let mut inner = value;
    if let Some(q) = value.chars().next().filter(|c| *c == '"' || *c == '\'') {
        if value.len() >= 2 && value.ends_with(q) {
            inner = &value[1..value.len() - 1];
        } else {
            return Err((
                format!("a closing {q} for the value `{value}`"),
                "the end of the line (the line or the file may be cut)".to_owned(),
            ));
        }
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('s') => out.push(' '),
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> CnfOption {
        option(line, "mysqld", Origin::new("my.cnf", 1)).unwrap()
    }

    #[test]
    fn options_with_prefixes_quotes_and_comments() {
        let o = parse("skip-name-resolve");
        assert_eq!(
            (o.name.as_str(), o.value.as_str(), o.prefix),
            ("skip_name_resolve", "ON", None)
        );
        let o = parse("skip-log-bin");
        assert_eq!((o.name.as_str(), o.value.as_str()), ("log_bin", "OFF"));
        assert_eq!(o.prefix, Some(Prefix::Skip));
        let o = parse("loose-innodb_buffer_pool_size = 1G # half the RAM");
        assert!(o.loose);
        assert_eq!(
            (o.name.as_str(), o.value.as_str()),
            ("innodb_buffer_pool_size", "1G")
        );
        let o = parse(r#"sql-mode="STRICT_TRANS_TABLES,NO_ZERO_DATE" # strict"#);
        assert_eq!(o.value, "STRICT_TRANS_TABLES,NO_ZERO_DATE");
        let o = parse(r#"init_connect = 'SET NAMES utf8mb4 # not a comment'"#);
        assert_eq!(o.value, "SET NAMES utf8mb4 # not a comment");
        let o = parse(r"log_error = C:\logs\err\sfile.log");
        assert_eq!(o.value, r"C:\logs\err file.log");
        let o = parse("maximum-max_heap_table_size=64M");
        assert!(!o.sets_value());
        assert!(option("datadir=\"/var/lib/mysql", "mysqld", Origin::new("x", 1)).is_err());
    }

    #[test]
    fn relative_includes_may_not_climb_out_of_the_upload() {
        assert!(!escapes_upload("conf.d/a.cnf", "etc/mysql/my.cnf"));
        assert!(!escapes_upload("../my.cnf", "etc/mysql/my.cnf"));
        assert!(escapes_upload("../../../x.cnf", "etc/mysql/my.cnf"));
        assert!(!escapes_upload("/etc/secret.cnf", "my.cnf"));
    }

    #[test]
    fn version_groups_follow_the_server() {
        let mysql80 = ServerInfo {
            flavour: Some(Flavour::MySql),
            version: Some(Version::new(8, 0, 36)),
            basis: String::new(),
        };
        assert!(reads_group("mysqld-8.0", &mysql80));
        assert!(!reads_group("mysqld-8.4", &mysql80));
        assert!(!reads_group("mariadb", &mysql80));
        assert!(!reads_group("client", &mysql80));
        let unknown = ServerInfo::default();
        assert!(reads_group("mariadb-10.11", &unknown));
        assert!(reads_group("client-server", &unknown));
    }

    #[test]
    fn php_ini_and_fpm_files_are_not_option_files() {
        assert!(looks_like("[mysqld]\nport=3306\n"));
        assert!(looks_like("!includedir /etc/mysql/conf.d/\n"));
        assert!(!looks_like(
            "[PHP]\nengine = On\n[MySQLi]\nmysqli.max_links = -1\n"
        ));
        assert!(!looks_like("[global]\npid = run/php-fpm.pid\n[www]\n"));
        assert!(!looks_like("maxmemory 100mb\n"));
    }
}
