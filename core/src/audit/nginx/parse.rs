//! The nginx configuration lexer (after `ngx_conf_read_token` of nginx's
//! `src/core/ngx_conf_file.c`), the block tree, `include` resolution and the
//! splitting of `nginx -T` output into its files.

use super::super::Bundle;
use super::super::model::Origin;
use super::model::{Block, Directive, Note, NoteKind};
use crate::error::ParseError;
use crate::input::{MemorySource, Source, read_all};

/// The largest configuration file read.
const MAX_FILE_BYTES: usize = 16 << 20;
/// How deep blocks may nest (nginx has no limit; real configurations nest
/// four or five levels: main → http → server → location → if).
const MAX_DEPTH: usize = 32;
/// How deep includes may nest.
const MAX_INCLUDE_DEPTH: usize = 16;
/// How much text one configuration may read in all, includes repeated:
/// a file included from many places is read each time, and a bundle that
/// multiplies that is refused rather than read for minutes.
const MAX_TOTAL_BYTES: usize = 64 << 20;
/// How many files one configuration may read in all, includes repeated (a
/// real one reads a few dozen).
const MAX_READS: usize = 10_000;
/// Files that nginx packages ship as pure data (MIME types and charset
/// maps) and that no rule reads: an include of one of them that was not
/// uploaded is accepted, and noted.
const DATA_FILES: &[&str] = &["mime.types", "koi-utf", "koi-win", "win-utf"];

/// What ended a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// `;`
    Semicolon,
    /// `{`
    Open,
    /// `}`
    Close,
    /// The end of the file.
    Eof,
}

/// Splits configuration text into statements as nginx does: words
/// separated by blanks; `;` ends a directive, `{` opens a block and `}`
/// closes one; `#` starts a comment only where a word could start; words in
/// '…' or "…" may hold blanks; `\` escapes the next character; `${name}`
/// inside a word is a variable, not a block.
struct Lexer<'t> {
    bytes: &'t [u8],
    pos: usize,
    line: u64,
    file: String,
}

impl<'t> Lexer<'t> {
    fn new(text: &'t str, file: &str) -> Lexer<'t> {
        Lexer {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            file: file.to_owned(),
        }
    }

    fn error(&self, expected: &str, found: impl Into<String>, line: u64) -> ParseError {
        ParseError::new(expected, found)
            .in_file(&self.file)
            .at_line(line, None)
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.bytes.get(self.pos).copied()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The next statement: its words, the line its first word is on, and
    /// what ended it.
    fn statement(&mut self) -> Result<(Vec<String>, u64, End), ParseError> {
        let mut words: Vec<String> = Vec::new();
        let mut start_line = self.line;
        loop {
            // Between words: blanks, comments and the punctuation that ends
            // a statement.
            let Some(b) = self.peek() else {
                return if words.is_empty() {
                    Ok((words, start_line, End::Eof))
                } else {
                    Err(self.error(
                        "`;` or `}` before the end of the file",
                        format!(
                            "the end of the file after `{}` (the file is truncated or a `;` is \
                             missing)",
                            clip(&words.join(" "))
                        ),
                        start_line,
                    ))
                };
            };
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    self.bump();
                }
                b'#' => {
                    while let Some(c) = self.bump() {
                        if c == b'\n' {
                            break;
                        }
                    }
                }
                b';' | b'{' => {
                    let line = self.line;
                    self.bump();
                    if words.is_empty() {
                        return Err(self.error(
                            "a directive name",
                            format!("an unexpected `{}`", b as char),
                            line,
                        ));
                    }
                    let end = if b == b';' { End::Semicolon } else { End::Open };
                    return Ok((words, start_line, end));
                }
                b'}' => {
                    let line = self.line;
                    self.bump();
                    if !words.is_empty() {
                        return Err(self.error(
                            "`;` after the directive's arguments",
                            format!("`}}` after `{}`", clip(&words.join(" "))),
                            line,
                        ));
                    }
                    return Ok((words, line, End::Close));
                }
                _ => {
                    if words.is_empty() {
                        start_line = self.line;
                    }
                    let word = self.word()?;
                    words.push(word);
                }
            }
        }
    }

    /// One word, quoted or not, with escapes resolved as nginx does: `\"`,
    /// `\'` and `\\` give the character, `\t`, `\r`, `\n` give the control
    /// character, and any other `\x` is kept as written.
    fn word(&mut self) -> Result<String, ParseError> {
        let line = self.line;
        let quote = match self.peek() {
            Some(q @ (b'"' | b'\'')) => {
                self.bump();
                Some(q)
            }
            _ => None,
        };
        let mut raw: Vec<u8> = Vec::new();
        let mut variable = false;
        loop {
            let Some(b) = self.peek() else {
                if quote.is_some() {
                    return Err(self.error(
                        "a closing quote",
                        "the end of the file inside a quoted string",
                        line,
                    ));
                }
                break;
            };
            if b == b'\\' {
                self.bump();
                raw.push(b'\\');
                if let Some(next) = self.bump() {
                    raw.push(next);
                }
                variable = false;
                continue;
            }
            match quote {
                Some(q) if b == q => {
                    self.bump();
                    // nginx wants a blank, `;` or `{` right after a closing
                    // quote (and accepts `)` in `if (…)` conditions).
                    match self.peek() {
                        None | Some(b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b')') => {}
                        Some(other) => {
                            return Err(self.error(
                                "a blank, `;` or `{` after a closing quote",
                                format!("`{}`", other as char),
                                self.line,
                            ));
                        }
                    }
                    break;
                }
                Some(_) => {
                    self.bump();
                    raw.push(b);
                }
                None => {
                    if b == b'{' && variable {
                        self.bump();
                        raw.push(b);
                        variable = false;
                        continue;
                    }
                    if matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{') {
                        break;
                    }
                    variable = b == b'$';
                    self.bump();
                    raw.push(b);
                }
            }
        }
        Ok(unescape(&raw))
    }

    /// Skips the body of a block written in another language
    /// (`content_by_lua_block { … }`), whose braces and quotes follow that
    /// language: braces are counted outside strings and `--` comments.
    fn skip_foreign_block(&mut self, opened_at: u64, name: &str) -> Result<(), ParseError> {
        let mut depth = 1usize;
        while let Some(b) = self.bump() {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                b'"' | b'\'' => {
                    while let Some(c) = self.bump() {
                        if c == b'\\' {
                            self.bump();
                        } else if c == b || c == b'\n' {
                            break;
                        }
                    }
                }
                b'-' if self.peek() == Some(b'-') => {
                    while let Some(c) = self.bump() {
                        if c == b'\n' {
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
        Err(self.error(
            &format!("`}}` closing `{name}` opened at line {opened_at}"),
            "the end of the file (the file is truncated)",
            self.line,
        ))
    }
}

fn unescape(raw: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'\\' {
            match raw.get(i + 1) {
                Some(&c @ (b'"' | b'\'' | b'\\')) => {
                    out.push(c);
                    i += 2;
                    continue;
                }
                Some(b't') => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                Some(b'r') => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                Some(b'n') => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn clip(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// Reads a file as text: size-bounded, without BOM, refused with the line
/// of its first NUL byte when binary.
pub(super) fn read_text(source: &dyn Source, label: &str) -> Result<String, ParseError> {
    let bytes = read_all(source, MAX_FILE_BYTES)?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if let Some(pos) = memchr::memchr(0, body) {
        let line = body
            .get(..pos)
            .map(|before| memchr::memchr_iter(b'\n', before).count() + 1)
            .unwrap_or(1);
        return Err(
            ParseError::new("a text nginx configuration", "binary data (a NUL byte)")
                .in_file(label)
                .at_line(line as u64, None),
        );
    }
    // Only comments could hold bytes that are not UTF-8; they are replaced
    // rather than refused, since nginx itself reads bytes.
    Ok(String::from_utf8_lossy(body).into_owned())
}

/// One file of an `nginx -T` dump.
pub(super) struct Section {
    pub path: String,
    pub text: String,
}

/// The separator `nginx -T` writes before each file.
pub(super) fn section_path(line: &str) -> Option<&str> {
    line.strip_prefix("# configuration file ")
        .and_then(|rest| rest.trim_end().strip_suffix(':'))
        .filter(|p| !p.is_empty())
}

/// Splits `nginx -T` output into its files. `nginx -T` writes `# configuration
/// file <path>:` and then the file's bytes and a newline, for every file it
/// read, the main one first; the lines before the first separator are
/// nginx's own messages ("nginx: the configuration file … syntax is ok").
pub(super) fn split_dump(text: &str, upload: &str) -> Result<Vec<Section>, ParseError> {
    let mut sections: Vec<Section> = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for (index, line) in text.split('\n').enumerate() {
        let number = index as u64 + 1;
        if let Some(path) = section_path(line.trim_end_matches('\r')) {
            if let Some((path, lines)) = current.take() {
                sections.push(section(path, &lines));
            }
            current = Some((path.to_owned(), Vec::new()));
            continue;
        }
        match &mut current {
            Some((_, lines)) => lines.push(line),
            None => {
                let t = line.trim();
                if !(t.is_empty() || t.starts_with("nginx:")) {
                    return Err(ParseError::new(
                        "`# configuration file <path>:` before the first file of nginx -T output",
                        format!("`{}`", clip(t)),
                    )
                    .in_file(upload)
                    .at_line(number, None));
                }
            }
        }
    }
    if let Some((path, lines)) = current.take() {
        sections.push(section(path, &lines));
    }
    if sections.is_empty() {
        return Err(
            ParseError::new("nginx -T output with at least one file", "no file").in_file(upload),
        );
    }
    Ok(sections)
}

fn section(path: String, lines: &[&str]) -> Section {
    // nginx adds one newline after each file; a file that ended with its
    // own newline therefore shows one empty line more, which is harmless.
    // Line n of a section is line n of the file on the server.
    Section {
        path,
        text: lines.join("\n"),
    }
}

/// Reads configuration files into a block tree, following includes.
pub(super) struct Reader<'a, 'b> {
    bundle: &'a Bundle<'b>,
    /// The folder of the main configuration: nginx resolves relative
    /// include paths against its prefix, the folder of nginx.conf.
    prefix: Option<String>,
    /// For `nginx -T` output: the uploaded file's name, shown with every
    /// path taken from the dump.
    dump: Option<String>,
    /// The include chain, for cycle detection.
    chain: Vec<String>,
    pub files: Vec<String>,
    pub notes: Vec<Note>,
    bytes_read: usize,
    reads: usize,
}

impl<'a, 'b> Reader<'a, 'b> {
    pub fn new(bundle: &'a Bundle<'b>, root: &str, dump: Option<&str>) -> Reader<'a, 'b> {
        Reader {
            bundle,
            prefix: Some(
                root.rsplit_once('/')
                    .map(|(dir, _)| dir.to_owned())
                    .unwrap_or_default(),
            ),
            dump: dump.map(str::to_owned),
            chain: Vec::new(),
            files: Vec::new(),
            notes: Vec::new(),
            bytes_read: 0,
            reads: 0,
        }
    }

    /// The name a file is shown under: its path, and for a dump, the
    /// upload it came from.
    pub fn label(&self, path: &str) -> String {
        match &self.dump {
            Some(upload) => format!("{path} (in {upload})"),
            None => path.to_owned(),
        }
    }

    /// Parses one file into the directives of the context it is read in.
    pub fn read(
        &mut self,
        source: &dyn Source,
        depth: usize,
    ) -> Result<Vec<Directive>, ParseError> {
        let name = source.name().to_owned();
        let label = self.label(&name);
        if self.chain.contains(&name) {
            let mut cycle: Vec<String> = self.chain.iter().map(|c| self.label(c)).collect();
            cycle.push(label.clone());
            return Err(ParseError::new(
                "includes that do not loop",
                format!("an include cycle: {}", cycle.join(" → ")),
            )
            .in_file(&label));
        }
        if self.chain.len() >= MAX_INCLUDE_DEPTH {
            return Err(ParseError::new(
                format!("includes nested at most {MAX_INCLUDE_DEPTH} deep"),
                "deeper nesting",
            )
            .in_file(&label));
        }
        let text = read_text(source, &label)?;
        self.reads += 1;
        self.bytes_read = self.bytes_read.saturating_add(text.len());
        if self.bytes_read > MAX_TOTAL_BYTES || self.reads > MAX_READS {
            return Err(ParseError::new(
                format!(
                    "a configuration that reads at most {} MiB and {MAX_READS} files with its \
                     includes",
                    MAX_TOTAL_BYTES >> 20
                ),
                "more (files included again and again)",
            )
            .in_file(&label));
        }
        if !self.files.contains(&name) {
            self.files.push(name.clone());
        }
        self.chain.push(name.clone());
        let mut lexer = Lexer::new(&text, &label);
        let directives = self.block(&mut lexer, &name, depth, None)?;
        self.chain.pop();
        Ok(directives)
    }

    /// The directives up to the `}` closing `opened` (or the end of the
    /// file at the top of a file).
    fn block(
        &mut self,
        lexer: &mut Lexer<'_>,
        file: &str,
        depth: usize,
        opened: Option<(&str, u64)>,
    ) -> Result<Vec<Directive>, ParseError> {
        let mut directives = Vec::new();
        loop {
            let (words, line, end) = lexer.statement()?;
            match end {
                End::Eof => {
                    return match opened {
                        Some((name, at)) => Err(lexer.error(
                            &format!("`}}` closing the `{name}` block opened at line {at}"),
                            "the end of the file (the file is truncated or a `}` is missing)",
                            lexer.line,
                        )),
                        None => Ok(directives),
                    };
                }
                End::Close => {
                    return match opened {
                        Some(_) => Ok(directives),
                        None => Err(lexer.error("a directive", "a `}` that closes no block", line)),
                    };
                }
                End::Semicolon | End::Open => {}
            }
            let Some((name, args)) = words.split_first() else {
                continue;
            };
            let origin = Origin::new(&self.label(file), line);
            if end == End::Semicolon && name == "include" {
                let [pattern] = args else {
                    return Err(lexer.error(
                        "`include` with one path",
                        format!("{} arguments", args.len()),
                        line,
                    ));
                };
                let included = self.include(pattern, file, &origin, depth)?;
                directives.extend(included);
                continue;
            }
            let block = if end == End::Open {
                if depth + 1 > MAX_DEPTH {
                    return Err(lexer.error(
                        &format!("blocks nested at most {MAX_DEPTH} deep"),
                        "deeper nesting",
                        line,
                    ));
                }
                if name.ends_with("_by_lua_block") || name.ends_with("_lua_block") {
                    lexer.skip_foreign_block(line, name)?;
                    Some(Block::default())
                } else {
                    let inner = self.block(lexer, file, depth + 1, Some((name, line)))?;
                    Some(Block { directives: inner })
                }
            } else {
                None
            };
            directives.push(Directive {
                name: name.clone(),
                args: args.to_vec(),
                origin,
                block,
            });
        }
    }

    /// The directives of the files an `include` names, read in the context
    /// of the include.
    fn include(
        &mut self,
        pattern: &str,
        from: &str,
        origin: &Origin,
        depth: usize,
    ) -> Result<Vec<Directive>, ParseError> {
        let glob = pattern.contains(['*', '?', '[']);
        let files = self.resolve(pattern, from, glob);
        if files.is_empty() {
            let base = pattern.rsplit('/').next().unwrap_or(pattern);
            if glob {
                // nginx accepts a glob that matches nothing (an empty
                // conf.d); the files may simply not have been uploaded.
                self.notes.push(Note {
                    origin: origin.clone(),
                    include: pattern.to_owned(),
                    kind: NoteKind::EmptyGlob,
                });
                return Ok(Vec::new());
            }
            if DATA_FILES.contains(&base) {
                self.notes.push(Note {
                    origin: origin.clone(),
                    include: pattern.to_owned(),
                    kind: NoteKind::DataFileAssumed,
                });
                return Ok(Vec::new());
            }
            return Err(ParseError::new(
                "an included file that is part of the upload",
                format!(
                    "`include {pattern}`, which matches no uploaded file; upload the files it \
                     includes in the same bundle (or upload `nginx -T` output instead)"
                ),
            )
            .in_file(&origin.file)
            .at_line(origin.line, None));
        }
        let mut directives = Vec::new();
        for file in files {
            let read = self.read(file, depth).map_err(|e| {
                if e.location().line.is_none() {
                    // A cycle or nesting error names the include that
                    // caused it.
                    ParseError::new(e.expected().to_owned(), e.found().to_owned())
                        .in_file(&origin.file)
                        .at_line(origin.line, None)
                } else {
                    e
                }
            })?;
            directives.extend(read);
        }
        Ok(directives)
    }

    /// The uploaded files an include names. nginx resolves a relative path
    /// against its prefix (the folder of nginx.conf); for fragments
    /// uploaded without it, the folder of the including file and its
    /// parents are tried as well. An absolute path matches the bundle's
    /// files by their trailing path.
    fn resolve(&self, pattern: &str, from: &str, glob: bool) -> Vec<&'a dyn Source> {
        let mut anchors: Vec<String> = Vec::new();
        if pattern.starts_with('/') {
            anchors.push(from.to_owned());
        } else {
            if let Some(prefix) = &self.prefix {
                anchors.push(format!("{prefix}/nginx.conf"));
            }
            let mut dir = from.rsplit_once('/').map(|(d, _)| d.to_owned());
            anchors.push(from.to_owned());
            while let Some(d) = dir {
                let parent = d.rsplit_once('/').map(|(p, _)| p.to_owned());
                anchors.push(match &parent {
                    Some(p) => format!("{p}/x"),
                    None => "x".to_owned(),
                });
                dir = parent;
            }
        }
        for anchor in anchors {
            let found: Vec<&'a dyn Source> = if glob {
                self.bundle.glob(pattern, &anchor)
            } else {
                self.bundle.find(pattern, &anchor).into_iter().collect()
            };
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }
}

/// The files of an `nginx -T` dump as sources, so that includes resolve
/// among them as among uploaded files.
pub(super) fn dump_sources(sections: &[Section]) -> Vec<MemorySource> {
    sections
        .iter()
        .map(|s| MemorySource::new(s.path.clone(), s.text.clone().into_bytes()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(text: &str) -> Vec<(Vec<String>, u64, End)> {
        let mut lexer = Lexer::new(text, "t.conf");
        let mut out = Vec::new();
        loop {
            let s = lexer.statement().unwrap();
            let end = s.2;
            out.push(s);
            if end == End::Eof {
                return out;
            }
        }
    }

    #[test]
    fn words_quotes_escapes_comments_and_variables() {
        let s =
            statements("a 'b c' \"d\\\"e\" f#g; # comment\nset $x ${y}z;\nlog_format m '$a \\t';");
        assert_eq!(s[0].0, ["a", "b c", "d\"e", "f#g"]);
        assert_eq!(s[1].0, ["set", "$x", "${y}z"]);
        assert_eq!(s[1].1, 2);
        assert_eq!(s[2].0, ["log_format", "m", "$a \t"]);
    }

    #[test]
    fn blocks_and_errors() {
        let s = statements("http {\n server { }\n}");
        assert_eq!(s[0].2, End::Open);
        assert_eq!(s[2].2, End::Close);
        let mut lexer = Lexer::new("a b", "t.conf");
        assert!(lexer.statement().is_err());
        let mut lexer = Lexer::new("a 'b", "t.conf");
        assert!(lexer.statement().is_err());
        let mut lexer = Lexer::new("a \"b\"c;", "t.conf");
        assert!(lexer.statement().is_err());
    }

    #[test]
    fn dumps_split_into_files() {
        let text = "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n\
                    # configuration file /etc/nginx/nginx.conf:\nevents {}\n\n\
                    # configuration file /etc/nginx/fastcgi_params:\nfastcgi_param A b;\n\n";
        let sections = split_dump(text, "dump.txt").unwrap();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].path, "/etc/nginx/nginx.conf");
        assert!(sections[1].text.starts_with("fastcgi_param"));
    }
}
