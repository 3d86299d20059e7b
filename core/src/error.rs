//! Parse errors that say where the input went wrong and what was expected.

use std::fmt;

/// Where in an input a problem was found. Every part is optional because not
/// every format has lines (a JSON document has a line and column; a field
/// path is often more useful than either).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub file: Option<String>,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub field: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(file) = &self.file {
            parts.push(file.clone());
        }
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if let Some(column) = self.column {
            parts.push(format!("column {column}"));
        }
        if let Some(field) = &self.field {
            parts.push(format!("field `{field}`"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// An input that could not be turned into evidence. Boxed, so the `Ok`
/// path of every parser stays small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(Box<Details>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Details {
    location: Location,
    found: String,
    expected: String,
}

impl ParseError {
    pub fn new(expected: impl Into<String>, found: impl Into<String>) -> Self {
        ParseError(Box::new(Details {
            location: Location::default(),
            found: found.into(),
            expected: expected.into(),
        }))
    }

    pub fn location(&self) -> &Location {
        &self.0.location
    }

    /// What the input held at that place, in a few words.
    pub fn found(&self) -> &str {
        &self.0.found
    }

    /// What the format requires there.
    pub fn expected(&self) -> &str {
        &self.0.expected
    }

    pub fn in_file(mut self, file: &str) -> Self {
        if self.0.location.file.is_none() {
            self.0.location.file = Some(file.to_owned());
        }
        self
    }

    pub fn at_field(mut self, field: impl Into<String>) -> Self {
        self.0.location.field = Some(field.into());
        self
    }

    pub fn at_line(mut self, line: u64, column: Option<u64>) -> Self {
        self.0.location.line = Some(line);
        self.0.location.column = column;
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.0.location.to_string();
        if !location.is_empty() {
            write!(f, "{location}: ")?;
        }
        write!(f, "expected {}, found {}", self.0.expected, self.0.found)
    }
}

impl std::error::Error for ParseError {}
