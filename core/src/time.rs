//! Conversions between epoch milliseconds and ISO-8601 text, without reading any clock.

/// Formats milliseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
///
/// Values outside years 0..=9999 are clamped to that range so the output is always well formed.
pub fn iso8601(epoch_ms: f64) -> String {
    const MIN_MS: i64 = -62_167_219_200_000; // 0000-01-01T00:00:00Z
    const MAX_MS: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    let ms = if epoch_ms.is_finite() {
        (epoch_ms.floor() as i64).clamp(MIN_MS, MAX_MS)
    } else {
        0
    };
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Formats milliseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds).
pub fn iso8601_seconds(epoch_ms: f64) -> String {
    let full = iso8601(epoch_ms);
    format!("{}Z", full.get(..19).unwrap_or(&full))
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
/// (Howard Hinnant's `civil_from_days`.)
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_epoch_and_known_dates() {
        assert_eq!(iso8601(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_700_000_000_123.0), "2023-11-14T22:13:20.123Z");
        assert_eq!(iso8601(951_782_400_000.0), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(-1.0), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso8601_seconds(1_700_000_000_999.0), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn never_panics_on_extremes() {
        assert_eq!(iso8601(f64::NAN), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(f64::MAX), "9999-12-31T23:59:59.999Z");
        assert_eq!(iso8601(f64::MIN), "0000-01-01T00:00:00.000Z");
    }
}
