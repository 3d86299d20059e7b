//! Evidence formats: detection and parsing of load-test results into the
//! normalized [`Run`].
//!
//! Each format lives in its own module with a link to the upstream source of
//! its shape. Detection tries every format and, when none matches, reports
//! why each one did not, so the user learns what Readiness expected.

pub mod k6_summary;

use crate::error::ParseError;
use crate::run::Run;
use std::fmt;
use std::str::FromStr;

/// A load-test result format Readiness can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// k6 `handleSummary(data)` JSON (k6 v0.30 and later).
    K6Summary,
    /// k6 legacy `--summary-export` JSON (thresholds inverted).
    K6SummaryLegacy,
    /// k6 opt-in machine-readable summary (schema 1.0.0).
    K6SummaryMachine,
}

impl Format {
    pub const ALL: [Format; 3] = [
        Format::K6Summary,
        Format::K6SummaryLegacy,
        Format::K6SummaryMachine,
    ];

    /// The name used in `?format=`, `--format` and the run's `format` field.
    pub fn name(self) -> &'static str {
        match self {
            Format::K6Summary => "k6-summary",
            Format::K6SummaryLegacy => "k6-summary-legacy",
            Format::K6SummaryMachine => "k6-summary-machine",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormatName(pub String);

impl fmt::Display for UnknownFormatName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        write!(
            f,
            "unknown format `{}`: expected one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownFormatName {}

impl FromStr for Format {
    type Err = UnknownFormatName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s.trim())
            .ok_or_else(|| UnknownFormatName(s.to_owned()))
    }
}

/// Why an input could not be ingested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestError {
    /// The input is empty.
    Empty { file: String },
    /// No known format matched; `tried` says why each one did not.
    UnknownFormat {
        file: String,
        tried: Vec<(Format, String)>,
    },
    /// The input is of a known format but is malformed.
    Parse(ParseError),
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IngestError::Empty { file } => write!(
                f,
                "{file}: the file is empty; expected a load-test result such as a k6 summary JSON"
            ),
            IngestError::UnknownFormat { file, tried } => {
                write!(
                    f,
                    "{file}: not a load-test result format Readiness knows. Tried:"
                )?;
                for (format, why) in tried {
                    write!(f, " {format}: {why};")?;
                }
                Ok(())
            }
            IngestError::Parse(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for IngestError {}

impl From<ParseError> for IngestError {
    fn from(err: ParseError) -> Self {
        IngestError::Parse(err)
    }
}

/// Parses one load-test result. With `format` given, only that format is
/// accepted; otherwise the format is detected from the content.
pub fn parse_run(file: &str, bytes: &[u8], format: Option<Format>) -> Result<Run, IngestError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty {
            file: file.to_owned(),
        });
    }
    let candidates: Vec<Format> = match format {
        Some(format) => vec![format],
        None => Format::ALL.to_vec(),
    };
    let not_matched = |why: String| IngestError::UnknownFormat {
        file: file.to_owned(),
        tried: candidates.iter().map(|f| (*f, why.clone())).collect(),
    };
    let value = match k6_summary::load_json(file, bytes) {
        Ok(value) => value,
        Err(err) if format.is_some() => return Err(err.into()),
        Err(err) => return Err(not_matched(format!("not JSON ({err})"))),
    };
    let shape = match k6_summary::sniff(&value) {
        Ok(shape) => shape,
        Err(why) if format.is_some() => {
            let expected = format!("a {} document", candidates[0]);
            return Err(ParseError::new(expected, why).in_file(file).into());
        }
        Err(why) => return Err(not_matched(why)),
    };
    if let Some(forced) = format
        && forced != shape.format()
    {
        let expected = format!("a {forced} document");
        let found = format!("a {} document", shape.format());
        return Err(ParseError::new(expected, found).in_file(file).into());
    }
    Ok(k6_summary::parse_value(file, &value, shape)?)
}
