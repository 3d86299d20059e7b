//! The INI syntax PHP's own scanner (`Zend/zend_ini_scanner.l`, normal
//! mode) accepts, as php.ini and php-fpm both use it: how a line splits into
//! a section, a key and a value, and what a value means once quotes,
//! `${ENV}` references, boolean words, constants and `| & ^ ~ !` expressions
//! are resolved.

/// One environment variable a value referred to (`${NAME}` or, since PHP
/// 8.3, `${NAME:-default}`). The environment of the server is unknown here,
/// so the value is resolved with the default (or the empty string PHP uses
/// for an unset variable) and the reference is kept, so rules can say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvUse {
    pub name: String,
    pub default: Option<String>,
}

impl EnvUse {
    /// The variable and its default, as people read them.
    pub fn describe(&self) -> String {
        match &self.default {
            Some(default) => format!("{} (default `{default}`)", self.name),
            None => format!("{} (no default: empty when unset)", self.name),
        }
    }
}

/// A value after PHP's scanner and parser: what PHP would store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexed {
    pub value: String,
    /// The value as written, without its trailing comment.
    pub written: String,
    pub env: Vec<EnvUse>,
}

/// One line of an INI file, split the way PHP's scanner does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    /// Empty, or a `;` comment.
    Blank,
    /// A line starting with `#`, which PHP has not treated as a comment since
    /// 7.0.
    Hash(&'a str),
    /// `[name]`, the name trimmed.
    Section(&'a str),
    /// `key = value` or `name[offset] = value`; the value text runs to the
    /// end of the line (its comment, if any, included).
    Entry {
        key: &'a str,
        offset: Option<&'a str>,
        value: &'a str,
    },
    /// A name without `=`: PHP stores it without a value.
    Bare(&'a str),
}

/// Splits one line. `Err` says what was found where PHP's parser stops.
pub fn split_line(line: &str) -> Result<Line<'_>, String> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with(';') {
        return Ok(Line::Blank);
    }
    if trimmed.starts_with('#') {
        return Ok(Line::Hash(trimmed));
    }
    if let Some(rest) = trimmed.strip_prefix('[') {
        let Some((name, after)) = rest.split_once(']') else {
            return Err(format!(
                "`{}` with no closing `]` (is the file cut short?)",
                clip(trimmed)
            ));
        };
        let after = after.trim();
        if !after.is_empty() && !after.starts_with(';') {
            return Err(format!("`{}` after the section header", clip(after)));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err("an empty section header `[]`".to_owned());
        }
        return Ok(Line::Section(name));
    }
    let equals = trimmed.find('=');
    let semicolon = trimmed.find(';');
    let Some(equals) = equals.filter(|e| semicolon.is_none_or(|s| *e < s)) else {
        // No `=` before any comment: a bare name.
        let label = trimmed.split(';').next().unwrap_or("").trim();
        return Ok(Line::Bare(label));
    };
    let (key, value) = trimmed.split_at(equals);
    let value = value.strip_prefix('=').unwrap_or(value);
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("`{}` with no name before `=`", clip(trimmed)));
    }
    if key.contains(['"', '\'', '(', ')', '{', '}', '!', '|', '&', '~', '^', '$']) {
        return Err(format!(
            "the name `{}`, which holds characters INI names cannot",
            clip(key)
        ));
    }
    if let Some(open) = key.strip_suffix(']')
        && let Some((name, offset)) = open.split_once('[')
    {
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("`{}` with no name before `[`", clip(key)));
        }
        return Ok(Line::Entry {
            key: name,
            offset: Some(offset.trim()),
            value,
        });
    }
    if key.contains(['[', ']']) {
        return Err(format!("the name `{}` with unbalanced brackets", clip(key)));
    }
    Ok(Line::Entry {
        key,
        offset: None,
        value,
    })
}

/// Whether a value's text leaves a quoted string open at the end of the line
/// (php.ini lets a quoted value run over several lines; php-fpm does not).
pub fn open_quote(text: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, ';') => return false,
            (None, '"') | (None, '\'') => quote = Some(c),
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    quote.is_some()
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Text; `true` when it is an unquoted word, which may name a constant
    /// or a boolean.
    Text(String, bool),
    Space(String),
    Op(char),
}

/// Resolves a value as PHP does. `Err` says what PHP's parser would reject.
pub fn lex_value(text: &str) -> Result<Lexed, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens: Vec<Tok> = Vec::new();
    let mut env: Vec<EnvUse> = Vec::new();
    let mut written = String::new();
    let mut i = 0;
    while chars.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
        i += 1;
    }
    while let Some(&c) = chars.get(i) {
        match c {
            ';' => break,
            '"' => {
                let (value, next) = double_quoted(&chars, i + 1, &mut env)?;
                tokens.push(Tok::Text(value, false));
                push_range(&mut written, &chars, i, next);
                i = next;
            }
            '\'' => {
                let mut j = i + 1;
                let mut value = String::new();
                loop {
                    match chars.get(j) {
                        None => {
                            return Err("a single-quoted value with no closing quote".to_owned());
                        }
                        Some('\'') => break,
                        Some(ch) => value.push(*ch),
                    }
                    j += 1;
                }
                tokens.push(Tok::Text(value, false));
                push_range(&mut written, &chars, i, j + 1);
                i = j + 1;
            }
            '$' if chars.get(i + 1) == Some(&'{') => {
                let (value, next) = env_reference(&chars, i + 2, &mut env)?;
                tokens.push(Tok::Text(value, false));
                push_range(&mut written, &chars, i, next);
                i = next;
            }
            '|' | '&' | '^' | '~' | '!' | '(' | ')' => {
                tokens.push(Tok::Op(c));
                written.push(c);
                i += 1;
            }
            ' ' | '\t' | '\n' | '\r' => {
                let mut space = String::new();
                while let Some(&s) = chars
                    .get(i)
                    .filter(|s| matches!(s, ' ' | '\t' | '\n' | '\r'))
                {
                    space.push(s);
                    i += 1;
                }
                written.push_str(&space);
                tokens.push(Tok::Space(space));
            }
            '=' => {
                return Err(
                    "an `=` inside an unquoted value (PHP refuses it; quote the value)".to_owned(),
                );
            }
            _ => {
                let mut word = String::new();
                while let Some(&w) = chars.get(i) {
                    if matches!(
                        w,
                        ';' | '"'
                            | '\''
                            | '|'
                            | '&'
                            | '^'
                            | '~'
                            | '!'
                            | '('
                            | ')'
                            | ' '
                            | '\t'
                            | '\n'
                            | '\r'
                            | '='
                    ) || (w == '$' && chars.get(i + 1) == Some(&'{'))
                    {
                        break;
                    }
                    word.push(w);
                    i += 1;
                }
                written.push_str(&word);
                tokens.push(Tok::Text(word, true));
            }
        }
    }
    while matches!(tokens.last(), Some(Tok::Space(_))) {
        tokens.pop();
    }
    let written = written.trim().to_owned();
    let value = if tokens.iter().any(|t| matches!(t, Tok::Op(_))) {
        let mut parser = Expr {
            tokens: &tokens,
            at: 0,
            depth: 0,
        };
        let n = parser.expr()?;
        if parser.at < tokens.len() {
            return Err(format!(
                "`{}`, an expression with an unmatched `)`",
                clip(&written)
            ));
        }
        n.to_string()
    } else if let [Tok::Text(word, true)] = tokens.as_slice() {
        match word.to_ascii_lowercase().as_str() {
            "on" | "yes" | "true" => "1".to_owned(),
            "off" | "no" | "false" | "none" | "null" => String::new(),
            _ => constant(word).map_or_else(|| word.clone(), |n| n.to_string()),
        }
    } else {
        tokens.iter().map(resolve_text).collect::<String>()
    };
    Ok(Lexed {
        value,
        written,
        env,
    })
}

fn push_range(out: &mut String, chars: &[char], from: usize, to: usize) {
    out.extend(chars.iter().skip(from).take(to.saturating_sub(from)));
}

/// A double-quoted string from just after its opening quote: `\"`, `\\` and
/// `\$` are escapes (other backslashes stay), and `${…}` expands.
fn double_quoted(
    chars: &[char],
    mut j: usize,
    env: &mut Vec<EnvUse>,
) -> Result<(String, usize), String> {
    let mut value = String::new();
    loop {
        match chars.get(j) {
            None => return Err("a double-quoted value with no closing quote".to_owned()),
            Some('"') => return Ok((value, j + 1)),
            Some('\\') => match chars.get(j + 1) {
                Some(&e @ ('"' | '\\' | '$')) => {
                    value.push(e);
                    j += 2;
                }
                _ => {
                    value.push('\\');
                    j += 1;
                }
            },
            Some('$') if chars.get(j + 1) == Some(&'{') => {
                let (expanded, next) = env_reference(chars, j + 2, env)?;
                value.push_str(&expanded);
                j = next;
            }
            Some(c) => {
                value.push(*c);
                j += 1;
            }
        }
    }
}

/// `${NAME}` or `${NAME:-default}` from just after `${`.
fn env_reference(
    chars: &[char],
    mut j: usize,
    env: &mut Vec<EnvUse>,
) -> Result<(String, usize), String> {
    let mut inner = String::new();
    loop {
        match chars.get(j) {
            None => return Err("a `${` with no closing `}`".to_owned()),
            Some('}') => break,
            Some(c) => inner.push(*c),
        }
        j += 1;
    }
    let (name, default) = match inner.split_once(":-") {
        Some((name, default)) => (name.trim().to_owned(), Some(default.to_owned())),
        None => (inner.trim().to_owned(), None),
    };
    if name.is_empty() {
        return Err("an empty `${}`".to_owned());
    }
    let value = default.clone().unwrap_or_default();
    env.push(EnvUse { name, default });
    Ok((value, j + 1))
}

fn resolve_text(token: &Tok) -> String {
    match token {
        Tok::Text(word, true) => constant(word).map_or_else(|| word.clone(), |n| n.to_string()),
        Tok::Text(text, false) | Tok::Space(text) => text.clone(),
        Tok::Op(c) => c.to_string(),
    }
}

/// The constants php.ini files use (error levels). PHP looks any defined
/// constant up; an unknown name stays text, as here.
pub fn constant(name: &str) -> Option<i64> {
    Some(match name {
        "E_ERROR" => 1,
        "E_WARNING" => 2,
        "E_PARSE" => 4,
        "E_NOTICE" => 8,
        "E_CORE_ERROR" => 16,
        "E_CORE_WARNING" => 32,
        "E_COMPILE_ERROR" => 64,
        "E_COMPILE_WARNING" => 128,
        "E_USER_ERROR" => 256,
        "E_USER_WARNING" => 512,
        "E_USER_NOTICE" => 1024,
        "E_STRICT" => 2048,
        "E_RECOVERABLE_ERROR" => 4096,
        "E_DEPRECATED" => 8192,
        "E_USER_DEPRECATED" => 16384,
        // PHP 8.0 to 8.3; 8.4 drops E_STRICT from it (30719). Both keep
        // E_ERROR and E_WARNING, which is what rules test.
        "E_ALL" => 32767,
        _ => return None,
    })
}

/// The operators of PHP's INI grammar: `|`, `&` and `^` share one
/// precedence and associate to the left; `~` and `!` are unary; operands
/// are the text between operators, converted to integers.
struct Expr<'t> {
    tokens: &'t [Tok],
    at: usize,
    /// How deeply operators nest; bounded so that a line of ten thousand
    /// `(` or `~` is refused instead of exhausting the stack.
    depth: usize,
}

/// The deepest nesting of `(`, `~` and `!` an expression may have.
const MAX_NESTING: usize = 64;

impl Expr<'_> {
    fn skip_space(&mut self) {
        while matches!(self.tokens.get(self.at), Some(Tok::Space(_))) {
            self.at += 1;
        }
    }

    fn expr(&mut self) -> Result<i64, String> {
        let mut left = self.unary()?;
        loop {
            self.skip_space();
            let op = match self.tokens.get(self.at) {
                Some(Tok::Op(op @ ('|' | '&' | '^'))) => *op,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.unary()?;
            left = match op {
                '|' => left | right,
                '&' => left & right,
                _ => left ^ right,
            };
        }
    }

    fn unary(&mut self) -> Result<i64, String> {
        self.depth += 1;
        let result = self.unary_inner();
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self) -> Result<i64, String> {
        if self.depth > MAX_NESTING {
            return Err(format!(
                "an expression nested more than {MAX_NESTING} levels deep"
            ));
        }
        self.skip_space();
        match self.tokens.get(self.at) {
            Some(Tok::Op('~')) => {
                self.at += 1;
                Ok(!self.unary()?)
            }
            Some(Tok::Op('!')) => {
                self.at += 1;
                Ok(i64::from(self.unary()? == 0))
            }
            Some(Tok::Op('(')) => {
                self.at += 1;
                let inner = self.expr()?;
                self.skip_space();
                if self.tokens.get(self.at) != Some(&Tok::Op(')')) {
                    return Err("an expression with an unclosed `(`".to_owned());
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Tok::Text(..)) => {
                let mut text = String::new();
                while let Some(t @ (Tok::Text(..) | Tok::Space(_))) = self.tokens.get(self.at) {
                    text.push_str(&resolve_text(t));
                    self.at += 1;
                }
                Ok(leading_integer(&text).unwrap_or(0))
            }
            Some(Tok::Op(op)) => Err(format!("an operator `{op}` where an operand belongs")),
            None | Some(Tok::Space(_)) => {
                Err("an expression that ends after an operator".to_owned())
            }
        }
    }
}

/// The integer a string starts with (optional sign, decimal digits), as C's
/// `strtol` reads it; `None` when it starts with no digit.
pub fn leading_integer(text: &str) -> Option<i64> {
    let text = text.trim_start();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let (number, _) = digits.split_at(end);
    if number.is_empty() {
        return None;
    }
    let n = number
        .chars()
        .filter_map(|c| c.to_digit(10))
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d))
        });
    Some(if negative { -n } else { n })
}

/// A size as PHP reads one (`zend_ini_parse_quantity`): an integer (with
/// `0x`, `0o`, `0b` prefixes since 8.2) and a multiplier taken from the
/// *last* character (`k`, `m`, `g`, case-insensitive, powers of 1024). So
/// `128MB` is 128 bytes (PHP 8.2+ warns) and `1KM` is 1 MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    pub value: i64,
    /// Whether PHP accepts the text without a warning.
    pub valid: bool,
}

pub fn quantity(text: &str) -> Quantity {
    let text = text.trim();
    if text.is_empty() {
        return Quantity {
            value: 0,
            valid: true,
        };
    }
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else {
        (10, lower.as_str())
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    let (number, rest) = digits.split_at(end);
    let mut value = number
        .chars()
        .filter_map(|c| c.to_digit(radix))
        .fold(0i64, |n, d| {
            n.saturating_mul(i64::from(radix))
                .saturating_add(i64::from(d))
        });
    let rest = rest.trim();
    let factor = match lower.chars().last() {
        Some('k') => 1 << 10,
        Some('m') => 1 << 20,
        Some('g') => 1 << 30,
        _ => 1,
    };
    let suffix_ok = rest.is_empty() || (rest.len() == 1 && factor != 1);
    value = value.saturating_mul(factor);
    Quantity {
        value: if negative { -value } else { value },
        valid: !number.is_empty() && suffix_ok,
    }
}

/// A boolean as PHP's `OnUpdateBool` reads a stored value: `on`, `yes`,
/// `true` (any case) or a non-zero leading integer.
pub fn php_bool(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    matches!(v.as_str(), "on" | "yes" | "true") || leading_integer(&v).is_some_and(|n| n != 0)
}

/// Text shortened for messages.
pub fn clip(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> String {
        lex_value(text)
            .map(|l| l.value)
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn values_resolve_as_php_stores_them() {
        assert_eq!(value(" On"), "1");
        assert_eq!(value(" off ; comment"), "");
        assert_eq!(value(" \"On\""), "On");
        assert_eq!(value(" E_ALL & ~E_DEPRECATED & ~E_STRICT"), "22527");
        assert_eq!(value(" E_ALL"), "32767");
        assert_eq!(value(" (E_ALL | E_STRICT) ^ E_NOTICE"), "32759");
        assert_eq!(
            value(" /usr/sbin/sendmail -t -i "),
            "/usr/sbin/sendmail -t -i"
        );
        assert_eq!(value(" \"a=href,area=href\""), "a=href,area=href");
        assert_eq!(value(" 'raw ${X}'"), "raw ${X}");
        assert_eq!(value(" ${PHP_MEMORY_LIMIT:-128M}"), "128M");
        assert_eq!(value(" \"${HOME}/x\""), "/x");
        assert_eq!(value(" \"say \\\"hi\\\" \\n\""), "say \"hi\" \\n");
        assert_eq!(value(" -1"), "-1");
        assert!(value(" a=b").starts_with("ERR"));
        assert!(value(" \"open").starts_with("ERR"));
        assert!(value(" (E_ALL").starts_with("ERR"));
        assert!(value(" E_ALL &").starts_with("ERR"));
    }

    #[test]
    fn lines_split_into_sections_entries_and_names() {
        assert_eq!(split_line("[PHP]"), Ok(Line::Section("PHP")));
        assert_eq!(split_line("  ; c = d"), Ok(Line::Blank));
        assert_eq!(
            split_line("php_admin_value[memory_limit] = 1G"),
            Ok(Line::Entry {
                key: "php_admin_value",
                offset: Some("memory_limit"),
                value: " 1G"
            })
        );
        assert_eq!(
            split_line("memory_limit 1G"),
            Ok(Line::Bare("memory_limit 1G"))
        );
        assert_eq!(split_line("foo ; a = b"), Ok(Line::Bare("foo")));
        assert!(split_line("[www").is_err());
        assert!(open_quote(" \"abc"));
        assert!(!open_quote(" abc ; don't"));
    }

    #[test]
    fn quantities_follow_zend_ini_parse_quantity() {
        assert_eq!(quantity("128M").value, 128 << 20);
        assert_eq!(
            quantity("1gb"),
            Quantity {
                value: 1,
                valid: false
            }
        );
        assert_eq!(quantity("14.2bm").value, 14 << 20);
        assert_eq!(quantity("-1").value, -1);
        assert_eq!(quantity("0x10").value, 16);
        assert!(!quantity("boat").valid);
    }
}
