//! Evidence formats: detection and parsing of load-test results into the
//! normalized [`Run`].
//!
//! Each format lives in its own module, whose doc links to the upstream
//! source of the format. A module offers a `sniff` function that says from a
//! file's name and first bytes whether the file is its format (and which
//! part of a multi-file result it is), and a `parse` function that turns the
//! files of one run into a [`Run`]. Detection tries every family and, when
//! none matches, reports why each did not, so the user learns what
//! Readiness expected.

pub mod gatling;
pub mod jmeter;
pub mod json;
pub mod k6_csv;
pub mod k6_ndjson;
mod k6_raw;
pub mod k6_summary;
pub mod locust;
pub mod oha;
pub mod vegeta;
pub mod wrk;

use crate::error::ParseError;
use crate::input::{Source, head, read_error};
use crate::run::Run;
use std::fmt;
use std::str::FromStr;

/// A load-test result format Readiness can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// k6 `handleSummary(data)` JSON (k6 v0.30 and later).
    K6Summary,
    /// k6 legacy `--summary-export` JSON (thresholds inverted).
    K6SummaryLegacy,
    /// k6 opt-in machine-readable summary (schema 1.0.0).
    K6SummaryMachine,
    /// k6 `--out json`: one JSON object per sample.
    K6Ndjson,
    /// k6 `--out csv`: one row per sample.
    K6Csv,
    /// JMeter JTL as CSV.
    JmeterCsv,
    /// JMeter JTL as XML.
    JmeterXml,
    /// Locust `--csv` files: stats, stats history, failures.
    LocustCsv,
    /// Gatling's text `simulation.log` (2.x and 3.x up to 3.12).
    GatlingLog,
    /// Gatling's HTML report data: `js/stats.json`, `js/global_stats.json`.
    GatlingJson,
    /// oha `--output-format json`.
    OhaJson,
    /// vegeta `report -type=json`.
    VegetaReport,
    /// vegeta `encode --to json`: one JSON object per request.
    VegetaResults,
    /// wrk's text output.
    Wrk,
}

impl Format {
    pub const ALL: [Format; 14] = [
        Format::K6Summary,
        Format::K6SummaryLegacy,
        Format::K6SummaryMachine,
        Format::K6Ndjson,
        Format::K6Csv,
        Format::JmeterCsv,
        Format::JmeterXml,
        Format::LocustCsv,
        Format::GatlingLog,
        Format::GatlingJson,
        Format::OhaJson,
        Format::VegetaReport,
        Format::VegetaResults,
        Format::Wrk,
    ];

    /// The name used in `?format=`, `--format` and the run's `format` field.
    pub fn name(self) -> &'static str {
        match self {
            Format::K6Summary => "k6-summary",
            Format::K6SummaryLegacy => "k6-summary-legacy",
            Format::K6SummaryMachine => "k6-summary-machine",
            Format::K6Ndjson => "k6-ndjson",
            Format::K6Csv => "k6-csv",
            Format::JmeterCsv => "jmeter-csv",
            Format::JmeterXml => "jmeter-xml",
            Format::LocustCsv => "locust-csv",
            Format::GatlingLog => "gatling-log",
            Format::GatlingJson => "gatling-json",
            Format::OhaJson => "oha-json",
            Format::VegetaReport => "vegeta-report",
            Format::VegetaResults => "vegeta-results",
            Format::Wrk => "wrk",
        }
    }

    /// Parses the files of one run in this format.
    fn parse(self, inputs: &[Input<'_>]) -> Result<Run, IngestError> {
        match self {
            Format::K6Summary | Format::K6SummaryLegacy | Format::K6SummaryMachine => {
                k6_summary::parse(self, inputs)
            }
            Format::K6Ndjson => k6_ndjson::parse(inputs),
            Format::K6Csv => k6_csv::parse(inputs),
            Format::JmeterCsv => jmeter::parse_csv(inputs),
            Format::JmeterXml => jmeter::parse_xml(inputs),
            Format::LocustCsv => locust::parse(inputs),
            Format::GatlingLog | Format::GatlingJson => gatling::parse(inputs),
            Format::OhaJson => oha::parse(inputs),
            Format::VegetaReport => vegeta::parse_report(inputs),
            Format::VegetaResults => vegeta::parse_results(inputs),
            Format::Wrk => wrk::parse(inputs),
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

/// One file of a run, with the part it plays in its format (`"result"` for
/// single-file formats; `"stats"`, `"history"`, ... for multi-file ones).
#[derive(Clone, Copy)]
pub struct Input<'a> {
    pub role: &'static str,
    pub source: &'a dyn Source,
}

impl fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.source.name(), self.role)
    }
}

/// What detection decided about one file.
pub type Sniffed = Result<(Format, &'static str), String>;

/// A family of formats detected by one function, which may open the source
/// for more than the head when the head cannot decide.
struct Family {
    name: &'static str,
    sniff: fn(&dyn Source, &[u8]) -> Sniffed,
}

/// Every family, in the order detection tries them.
const FAMILIES: [Family; 9] = [
    Family {
        name: "k6 summary",
        sniff: k6_summary::sniff,
    },
    Family {
        name: "k6 NDJSON",
        sniff: k6_ndjson::sniff,
    },
    Family {
        name: "k6 CSV",
        sniff: k6_csv::sniff,
    },
    Family {
        name: "JMeter JTL",
        sniff: jmeter::sniff,
    },
    Family {
        name: "Locust CSV",
        sniff: locust::sniff,
    },
    Family {
        name: "Gatling",
        sniff: gatling::sniff,
    },
    Family {
        name: "oha JSON",
        sniff: oha::sniff,
    },
    Family {
        name: "vegeta",
        sniff: vegeta::sniff,
    },
    Family {
        name: "wrk",
        sniff: wrk::sniff,
    },
];

/// Why input could not be ingested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestError {
    /// A file is empty.
    Empty { file: String },
    /// No known format matched; `tried` says why each family did not.
    UnknownFormat {
        file: String,
        tried: Vec<(&'static str, String)>,
    },
    /// The files hold results of more than one run or format.
    Mixed { files: Vec<(String, Format)> },
    /// The input is of a known format but is malformed or unusable.
    Parse(ParseError),
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IngestError::Empty { file } => write!(
                f,
                "{file}: the file is empty; expected a load-test result (k6, JMeter, Locust, \
                 Gatling, oha, vegeta or wrk output)"
            ),
            IngestError::UnknownFormat { file, tried } => {
                write!(
                    f,
                    "{file}: not a load-test result format Readiness knows. Tried:"
                )?;
                for (family, why) in tried {
                    write!(f, " {family}: {why};")?;
                }
                Ok(())
            }
            IngestError::Mixed { files } => {
                write!(
                    f,
                    "these files hold more than one result; upload one run at a time:"
                )?;
                for (file, format) in files {
                    write!(f, " {file} ({format});")?;
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

/// Says what one file is, or why it is none of the known formats.
pub fn detect(source: &dyn Source) -> Result<(Format, &'static str), IngestError> {
    let head = head(source).map_err(|e| read_error(source.name(), None, &e))?;
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty {
            file: source.name().to_owned(),
        });
    }
    let mut tried = Vec::new();
    for family in &FAMILIES {
        match (family.sniff)(source, &head) {
            Ok(found) => return Ok(found),
            Err(why) => tried.push((family.name, why)),
        }
    }
    Err(IngestError::UnknownFormat {
        file: source.name().to_owned(),
        tried,
    })
}

/// Parses the files of one run: one file for most tools, several for
/// Locust's CSVs or a Gatling report. With `format` given, detection is
/// skipped and every file is read as that format.
pub fn ingest(sources: &[&dyn Source], format: Option<Format>) -> Result<Run, IngestError> {
    let Some(first) = sources.first() else {
        return Err(IngestError::Parse(ParseError::new(
            "at least one file",
            "none",
        )));
    };
    let mut inputs: Vec<(Format, Input<'_>)> = Vec::new();
    let mut unrecognized = None;
    for source in sources {
        let detected = match format {
            Some(forced) => {
                let head = head(*source).map_err(|e| read_error(source.name(), None, &e))?;
                if head.iter().all(u8::is_ascii_whitespace) {
                    return Err(IngestError::Empty {
                        file: source.name().to_owned(),
                    });
                }
                let role = FAMILIES
                    .iter()
                    .find_map(|family| match (family.sniff)(*source, &head) {
                        Ok((found, role)) if same_family(found, forced) => Some(role),
                        _ => None,
                    })
                    .unwrap_or("result");
                Ok((forced, role))
            }
            None => detect(*source),
        };
        match detected {
            Ok((format, role)) => inputs.push((
                format,
                Input {
                    role,
                    source: *source,
                },
            )),
            // In a set of files, files of no known format (a report's
            // HTML, a README) are left aside; alone, they are an error.
            Err(err @ IngestError::UnknownFormat { .. }) => {
                unrecognized.get_or_insert(err);
            }
            Err(err) => return Err(err),
        }
    }
    let Some((format, _)) = inputs.first().copied() else {
        return Err(unrecognized.unwrap_or(IngestError::UnknownFormat {
            file: first.name().to_owned(),
            tried: Vec::new(),
        }));
    };
    if inputs.iter().any(|(f, _)| !same_family(*f, format)) {
        return Err(IngestError::Mixed {
            files: inputs
                .iter()
                .map(|(f, input)| (input.source.name().to_owned(), *f))
                .collect(),
        });
    }
    let inputs: Vec<Input<'_>> = inputs.into_iter().map(|(_, input)| input).collect();
    format.parse(&inputs)
}

/// Formats whose files combine into one run.
fn same_family(a: Format, b: Format) -> bool {
    let gatling = |f| matches!(f, Format::GatlingLog | Format::GatlingJson);
    a == b || gatling(a) && gatling(b)
}

/// The one input of a single-file format, or an error naming the extra
/// files.
pub fn single<'a>(inputs: &[Input<'a>], format: Format) -> Result<Input<'a>, IngestError> {
    match inputs {
        [one] => Ok(*one),
        _ => Err(IngestError::Mixed {
            files: inputs
                .iter()
                .map(|i| (i.source.name().to_owned(), format))
                .collect(),
        }),
    }
}

/// Parses one in-memory file: the convenience the browser and tests use.
pub fn parse_run(file: &str, bytes: &[u8], format: Option<Format>) -> Result<Run, IngestError> {
    let source = crate::input::MemorySource::new(file, bytes);
    ingest(&[&source], format)
}
