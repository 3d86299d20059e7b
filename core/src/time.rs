//! Timestamps as load-test tools write them, parsed fast: raw formats carry
//! one per sample, millions per file.

/// Milliseconds since the Unix epoch of an RFC 3339 timestamp such as
/// `2023-09-08T21:03:10.549397854+02:00` or `2026-01-02T10:00:00Z`, with
/// any number of fractional digits (nanoseconds are kept as a fraction of a
/// millisecond). `None` when the text is not such a timestamp.
pub fn rfc3339_ms(text: &[u8]) -> Option<f64> {
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        let mut value = 0i64;
        for b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(b - b'0');
        }
        Some(value)
    };
    if text.len() < 20 || text[4] != b'-' || text[7] != b'-' || text[13] != b':' || text[16] != b':'
    {
        return None;
    }
    if !matches!(text[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut fraction_ms = 0.0;
    if text.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = 100.0;
        while let Some(b) = text.get(i).filter(|b| b.is_ascii_digit()) {
            fraction_ms += f64::from(b - b'0') * scale;
            scale /= 10.0;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset_minutes = match text.get(i) {
        Some(b'Z' | b'z') if i + 1 == text.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == text.len() && text[i + 3] == b':' => {
            let minutes = digits(i + 1..i + 3)? * 60 + digits(i + 4..i + 6)?;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds as f64 * 1000.0 + fraction_ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_offsets_and_nanoseconds() {
        let ms = rfc3339_ms(b"2023-09-08T21:03:10.549397854+02:00").unwrap();
        let expected = chrono::DateTime::parse_from_rfc3339("2023-09-08T21:03:10.549397854+02:00")
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap() as f64
            / 1e6;
        assert!((ms - expected).abs() < 1e-3, "{ms} vs {expected}");
        assert_eq!(rfc3339_ms(b"1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            rfc3339_ms(b"2026-01-02T10:00:00.5Z"),
            Some(1_767_348_000_500.0)
        );
        assert_eq!(
            rfc3339_ms(b"2000-02-29T00:00:00-01:30"),
            Some(951_787_800_000.0)
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            &b"2023-09-08"[..],
            b"2023-13-08T21:03:10Z",
            b"2023-09-08T21:03:10",
            b"2023-09-08T21:03:10.Z",
            b"2023-09-08T21:03:10+0200",
            b"yesterday at noon, roughly",
        ] {
            assert_eq!(rfc3339_ms(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
