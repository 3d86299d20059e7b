//! What every configuration parser produces: settings that remember the
//! file and line they came from, and the units configuration files write
//! values in.

use serde::{Deserialize, Serialize};

/// Where a value was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Origin {
    pub file: String,
    pub line: u64,
}

impl Origin {
    pub fn new(file: &str, line: u64) -> Origin {
        Origin {
            file: file.to_owned(),
            line,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One configured value: its key as the format normalizes it, its value as
/// written (quotes removed, escapes resolved), and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub origin: Origin,
}

/// The settings of one scope (a php.ini, an FPM pool, a my.cnf server group,
/// a redis.conf), in the order they were read. Lookups give the effective
/// value: the last assignment, as every one of these formats decides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    entries: Vec<Setting>,
}

impl Settings {
    pub fn new() -> Settings {
        Settings::default()
    }

    pub fn push(&mut self, key: impl Into<String>, value: impl Into<String>, origin: Origin) {
        self.entries.push(Setting {
            key: key.into(),
            value: value.into(),
            origin,
        });
    }

    /// The effective (last) setting of a key.
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.entries.iter().rev().find(|s| s.key == key)
    }

    /// The effective value of a key.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(|s| s.value.as_str())
    }

    /// Every setting of a key, in order (for keys that accumulate).
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Setting> + 'a {
        self.entries.iter().filter(move |s| s.key == key)
    }

    /// Keys set more than once, with every place they were set.
    pub fn duplicates(&self) -> Vec<(&str, Vec<&Origin>)> {
        let mut seen: Vec<(&str, Vec<&Origin>)> = Vec::new();
        for s in &self.entries {
            match seen.iter_mut().find(|(k, _)| *k == s.key) {
                Some((_, origins)) => origins.push(&s.origin),
                None => seen.push((&s.key, vec![&s.origin])),
            }
        }
        seen.retain(|(_, o)| o.len() > 1);
        seen
    }

    pub fn iter(&self) -> impl Iterator<Item = &Setting> {
        self.entries.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// An effective value and where it was set; `origin` is `None` when the
/// value is the documented default because nothing set it. Models offer
/// their values this way so that rules (and the cross-file rules that read
/// several models) can say where a value came from, or that a default was
/// assumed.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved<T> {
    pub value: T,
    pub origin: Option<Origin>,
}

impl<T> Resolved<T> {
    pub fn set(value: T, origin: &Origin) -> Self {
        Resolved {
            value,
            origin: Some(origin.clone()),
        }
    }

    pub fn default(value: T) -> Self {
        Resolved {
            value,
            origin: None,
        }
    }

    pub fn is_default(&self) -> bool {
        self.origin.is_none()
    }
}

/// A size with K/M/G suffixes meaning powers of 1024, as php.ini, php-fpm,
/// my.cnf (also T/P/E) and nginx write them; bare numbers are bytes. `None`
/// for anything else (`128MB` is not a php.ini size).
pub fn size_1024(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, factor) = match text.chars().last()? {
        'k' | 'K' => (&text[..text.len() - 1], 1u64 << 10),
        'm' | 'M' => (&text[..text.len() - 1], 1 << 20),
        'g' | 'G' => (&text[..text.len() - 1], 1 << 30),
        't' | 'T' => (&text[..text.len() - 1], 1 << 40),
        'p' | 'P' => (&text[..text.len() - 1], 1 << 50),
        'e' | 'E' => (&text[..text.len() - 1], 1 << 60),
        _ => (text, 1),
    };
    let number: u64 = digits.trim().parse().ok()?;
    number.checked_mul(factor)
}

/// A redis.conf memory size: `1k` = 1000 but `1kb` = 1024, `m`/`mb`,
/// `g`/`gb`, case-insensitive; bare numbers are bytes.
pub fn size_redis(text: &str) -> Option<u64> {
    let lower = text.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let number: u64 = digits.parse().ok()?;
    let factor: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(factor)
}

/// A duration in seconds with the suffixes of php-fpm (`s`, `m`, `h`, `d`;
/// bare = seconds).
pub fn seconds_fpm(text: &str) -> Option<f64> {
    let text = text.trim();
    let (digits, factor) = match text.chars().last()? {
        's' => (&text[..text.len() - 1], 1.0),
        'm' => (&text[..text.len() - 1], 60.0),
        'h' => (&text[..text.len() - 1], 3600.0),
        'd' => (&text[..text.len() - 1], 86400.0),
        _ => (text, 1.0),
    };
    let n: f64 = digits.trim().parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some(n * factor)
}

/// An nginx time: `ms`, `s`, `m`, `h`, `d`, `w`, `M` (30 days), `y`,
/// combinable (`1h 30m`); bare = seconds.
pub fn seconds_nginx(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut any = false;
    for part in text.split_whitespace() {
        let split = part
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(part.len());
        let (digits, unit) = part.split_at(split);
        let n: f64 = digits.parse().ok()?;
        let factor = match unit {
            "" | "s" => 1.0,
            "ms" => 0.001,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            "w" => 604_800.0,
            "M" => 2_592_000.0,
            "y" => 31_536_000.0,
            _ => return None,
        };
        total += n * factor;
        any = true;
    }
    any.then_some(total)
}

/// A boolean as INI files write them: on/yes/true/1 and off/no/false/none/0
/// or empty, case-insensitive.
pub fn ini_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "on" | "yes" | "true" => Some(true),
        "0" | "off" | "no" | "false" | "none" | "" => Some(false),
        _ => None,
    }
}

/// A memory size as people write it for a server: `8 GiB`, `8GB`, `8G`,
/// `16384 MiB`, `1.5 TiB`, or bare bytes. Machine memory is counted in
/// powers of 1024 whichever way the unit is spelled, as vendors do.
pub fn memory_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let expected = "expected a size such as `8 GiB`, `16GB` or `512 MiB`";
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: {expected}"))?;
    let power = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 1,
        "m" | "mb" | "mib" => 2,
        "g" | "gb" | "gib" => 3,
        "t" | "tb" | "tib" => 4,
        other => {
            return Err(format!(
                "`{other}` is not a unit of size in `{text}`: {expected}"
            ));
        }
    };
    let bytes = number * 1024f64.powi(power);
    if !bytes.is_finite() || bytes < 1.0 || bytes > 1024f64.powi(6) {
        return Err(format!("`{text}` is out of range: {expected}"));
    }
    Ok(bytes.round() as u64)
}

/// A size for people: 256 MiB, 1.5 GiB.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", crate::targets::trim_number(value, 1), UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_read_as_people_write_them() {
        assert_eq!(memory_size("8 GiB"), Ok(8 << 30));
        assert_eq!(memory_size("8GB"), Ok(8 << 30));
        assert_eq!(memory_size("8g"), Ok(8 << 30));
        assert_eq!(memory_size("1.5 GiB"), Ok(3 << 29));
        assert_eq!(memory_size("16384 MiB"), Ok(16 << 30));
        assert_eq!(memory_size("4096"), Ok(4096));
        assert!(memory_size("eight").unwrap_err().contains("not a size"));
        assert!(
            memory_size("8 GHz")
                .unwrap_err()
                .contains("`ghz` is not a unit")
        );
        assert!(memory_size("0").is_err());
        assert!(memory_size("").is_err());
    }

    #[test]
    fn sizes_in_each_formats_units() {
        assert_eq!(size_1024("128M"), Some(128 << 20));
        assert_eq!(size_1024("4096k"), Some(4096 << 10));
        assert_eq!(size_1024("2G"), Some(2 << 30));
        assert_eq!(size_1024("512"), Some(512));
        assert_eq!(size_1024("128MB"), None);
        assert_eq!(size_redis("1k"), Some(1000));
        assert_eq!(size_redis("1kb"), Some(1024));
        assert_eq!(size_redis("256MB"), Some(256 << 20));
        assert_eq!(size_redis("2gb"), Some(2 << 30));
        assert_eq!(size_redis("12x"), None);
    }

    #[test]
    fn durations_in_each_formats_units() {
        assert_eq!(seconds_fpm("30"), Some(30.0));
        assert_eq!(seconds_fpm("5m"), Some(300.0));
        assert_eq!(seconds_nginx("60s"), Some(60.0));
        assert_eq!(seconds_nginx("1h 30m"), Some(5400.0));
        assert_eq!(seconds_nginx("500ms"), Some(0.5));
        assert_eq!(seconds_nginx("10x"), None);
    }

    #[test]
    fn the_last_assignment_wins_and_duplicates_are_found() {
        let mut s = Settings::new();
        s.push("memory_limit", "128M", Origin::new("php.ini", 3));
        s.push("memory_limit", "256M", Origin::new("conf.d/x.ini", 1));
        assert_eq!(s.value("memory_limit"), Some("256M"));
        assert_eq!(
            s.get("memory_limit").unwrap().origin.to_string(),
            "conf.d/x.ini:1"
        );
        assert_eq!(s.duplicates().len(), 1);
        assert!(ini_bool("Off") == Some(false) && ini_bool("YES") == Some(true));
        assert_eq!(format_bytes(256 << 20), "256 MiB");
    }
}
