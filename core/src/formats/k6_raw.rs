//! What k6's raw outputs (`--out json` and `--out csv`) share once a sample
//! is decoded: which samples make a run, and how they are turned into one.

use crate::error::ParseError;
use crate::formats::Format;
use crate::run::{Run, ScenarioKind};
use crate::samples::RunBuilder;
use std::collections::HashSet;

/// The samples a run is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    HttpDuration,
    HttpFailed,
    GrpcDuration,
    Vus,
}

impl Wanted {
    pub fn of(metric: &[u8]) -> Option<Wanted> {
        match metric {
            b"http_req_duration" => Some(Wanted::HttpDuration),
            b"http_req_failed" => Some(Wanted::HttpFailed),
            b"grpc_req_duration" => Some(Wanted::GrpcDuration),
            b"vus" => Some(Wanted::Vus),
            _ => None,
        }
    }
}

/// The tags of a sample that matter to a run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tags<'a> {
    pub name: Option<&'a str>,
    pub url: Option<&'a str>,
    pub method: Option<&'a str>,
    pub expected_response: Option<&'a str>,
    pub scenario: Option<&'a str>,
}

/// Collects the HTTP and gRPC requests of one k6 output.
#[derive(Debug)]
pub struct Collector {
    file: String,
    http: RunBuilder,
    grpc: RunBuilder,
    scenarios: HashSet<String>,
}

impl Collector {
    pub fn new(file: &str, format: Format) -> Self {
        Collector {
            file: file.to_owned(),
            http: RunBuilder::new(file, format.name(), "k6"),
            grpc: RunBuilder::new(file, format.name(), "k6"),
            scenarios: HashSet::new(),
        }
    }

    /// Adds one sample; `at_ms` is its time (a request's end, as k6 stamps
    /// HTTP samples) and `value` its non-negative value.
    pub fn add(&mut self, which: Wanted, at_ms: f64, value: f64, tags: Tags<'_>) {
        let name = tags.name.or(tags.url).unwrap_or("(unnamed)");
        match which {
            Wanted::Vus => {
                self.http.users(at_ms, value as u64);
                self.grpc.users(at_ms, value as u64);
            }
            Wanted::HttpFailed => {
                let endpoint = self.http.endpoint(name, tags.method);
                self.http.failure(at_ms, endpoint, value != 0.0);
            }
            Wanted::HttpDuration | Wanted::GrpcDuration => {
                let builder = if which == Wanted::GrpcDuration {
                    &mut self.grpc
                } else {
                    &mut self.http
                };
                let endpoint = builder.endpoint(name, tags.method);
                // Failures come from the tag when k6 wrote it; otherwise
                // from `http_req_failed` samples, never both.
                let failed = match tags.expected_response {
                    Some("true") => Some(false),
                    Some("false") => Some(true),
                    _ => None,
                };
                builder.request(at_ms - value, value, endpoint, failed);
                if let Some(scenario) = tags.scenario
                    && self.scenarios.len() < 64
                    && !self.scenarios.contains(scenario)
                {
                    self.scenarios.insert(scenario.to_owned());
                }
            }
        }
    }

    /// The run: of the HTTP requests, or of the gRPC calls for a test that
    /// made no HTTP request. Its scenario kind comes from k6's `scenario`
    /// tag when the whole run used one scenario whose name is a kind.
    pub fn finish(self) -> Result<Run, ParseError> {
        let builder = if self.http.request_count() > 0 || self.grpc.request_count() == 0 {
            self.http
        } else {
            self.grpc
        };
        let mut run = builder.finish().map_err(|_| {
            ParseError::new(
                "http_req_duration or grpc_req_duration samples",
                "none, so there is no request to assess",
            )
            .in_file(&self.file)
        })?;
        if self.scenarios.len() == 1
            && let Some(kind) = self
                .scenarios
                .iter()
                .next()
                .and_then(|s| s.parse::<ScenarioKind>().ok())
        {
            run.scenario = kind;
        }
        Ok(run)
    }
}
