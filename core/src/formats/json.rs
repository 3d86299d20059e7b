//! Helpers shared by the JSON formats: reading a document with errors that
//! point at the line and column, and describing a value's type in messages.

use crate::error::ParseError;
use serde_json::Value;

/// Reads a JSON document, with an error that points at the line and column
/// where it stops being JSON.
pub fn load_json(file: &str, bytes: &[u8]) -> Result<Value, ParseError> {
    serde_json::from_slice(bytes).map_err(|err| {
        let found = match err.classify() {
            serde_json::error::Category::Eof => {
                "the end of the input (the file is truncated)".to_owned()
            }
            _ => strip_position(&err.to_string()),
        };
        ParseError::new("valid JSON", found)
            .in_file(file)
            .at_line(err.line() as u64, Some(err.column() as u64))
    })
}

/// serde_json appends " at line L column C" to its messages; the location is
/// reported separately, so it is removed from the text.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Short description of a JSON value's type, for error messages.
pub fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
