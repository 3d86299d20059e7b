//! The canonical JSON form of a certificate: the exact bytes that are
//! signed.
//!
//! Rules, applied to the certificate's `serde_json` value:
//! - objects: members sorted by key, comparing the keys' UTF-8 bytes (the
//!   same as comparing code points); no duplicate keys (a `serde_json` value
//!   cannot hold any);
//! - no whitespace at all outside strings: `{"a":1,"b":[true,null]}`;
//! - strings: UTF-8 as they are, escaped as `serde_json` writes them: `\"`,
//!   `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters below
//!   U+0020 as `\u00XX` (lowercase hex), nothing else escaped (not `/`, not
//!   non-ASCII);
//! - numbers as `serde_json` prints them: integers in decimal, floats in the
//!   shortest form that reads back to the same `f64` (`0.1`, `1e-7`,
//!   `500.0`). Non-finite floats do not occur: the certificate holds none.
//! - `null`, `true`, `false` as such; absent optional fields are `null`,
//!   never left out, unless the type omits them (`ScenarioVerdict`'s
//!   optional parts).
//!
//! This is not RFC 8785 (JCS), whose number form follows ECMAScript; the
//! rules above are what [`canonical_json`] does, and what a verifier in
//! another language must do to recompute the signed bytes.

use readiness_core::certificate::Certificate;
use serde_json::Value;

/// The canonical bytes of a certificate (see the module doc).
pub fn canonical_json(certificate: &Certificate) -> Vec<u8> {
    // A certificate has only string-keyed maps and finite numbers, so
    // converting it to a value cannot fail.
    let value = serde_json::to_value(certificate).expect("a certificate converts to JSON");
    canonical_value(&value)
}

/// The canonical bytes of any JSON value (see the module doc).
pub fn canonical_value(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write(member, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Value::String(s) => write_string(s, out),
        // Numbers, booleans and null print without whitespace.
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // serde_json's string escaping is the rule; writing into a Vec cannot
    // fail.
    serde_json::to_writer(&mut *out, s).expect("writing to memory");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canonical(value: Value) -> String {
        String::from_utf8(canonical_value(&value)).unwrap()
    }

    #[test]
    fn keys_are_sorted_and_there_is_no_whitespace() {
        let value = json!({"b": [1, {"z": null, "a": true}], "a": "x", "A": 0.5, "é": 1});
        assert_eq!(
            canonical(value),
            r#"{"A":0.5,"a":"x","b":[1,{"a":true,"z":null}],"é":1}"#
        );
    }

    #[test]
    fn strings_and_numbers_are_written_as_serde_json_does() {
        let value = json!({"s": "quote \" slash / back \\ tab \t nul \u{0} é ✅", "f": 500.0,
                           "g": 1e-7, "h": 0.1, "i": -3, "u": u64::MAX});
        assert_eq!(
            canonical(value),
            "{\"f\":500.0,\"g\":1e-7,\"h\":0.1,\"i\":-3,\
             \"s\":\"quote \\\" slash / back \\\\ tab \\t nul \\u0000 é ✅\",\
             \"u\":18446744073709551615}"
        );
    }

    #[test]
    fn floats_read_back_to_the_same_bytes() {
        // Values whose shortest form needs all 17 digits, where a lax float
        // parser can be off by one unit in the last place.
        for x in [
            0.1 + 0.2,
            1.0 / 3.0,
            2.225_073_858_507_201e-308,
            9_007_199_254_740_993.0,
            123.456_789_012_345_68,
            0.000_123_456_789_012_345_67,
        ] {
            let text = canonical(json!([x]));
            let back: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(canonical(back), text, "{x:e}");
        }
    }
}
