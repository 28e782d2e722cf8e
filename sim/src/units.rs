//! Durations with units, as the command line and scenario files write them:
//! `ns us ms s m` (e.g. `150ms`, `2s`, `1m`).

/// The largest duration [`duration_ns`] reads: 10^19 ns (about 317
/// years), below `u64::MAX`, so the conversion to `u64` never saturates.
pub const DURATION_NS_READ_MAX: f64 = 1e19;

/// Why a duration did not parse, pointing at the part that is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationError<'a> {
    /// Digits only, no unit.
    NoUnit,
    /// A unit that is not one of `ns us ms s m`.
    UnknownUnit(&'a str),
    /// The part before the unit is not a number.
    NotANumber(&'a str),
    /// More than [`DURATION_NS_READ_MAX`] nanoseconds.
    OutOfRange,
}

impl DurationError<'_> {
    /// The error in words, quoting the duration `text` and its wrong part
    /// through `show` (which may shorten them).
    pub fn message(&self, text: &str, show: impl Fn(&str) -> String) -> String {
        let text = show(text);
        match self {
            DurationError::NoUnit => {
                format!("`{text}` has no unit (expected one of ns, us, ms, s, m)")
            }
            DurationError::UnknownUnit(unit) => format!(
                "unknown unit `{}` in `{text}` (expected ns, us, ms, s or m)",
                show(unit)
            ),
            DurationError::NotANumber(number) => {
                format!("`{}` in `{text}` is not a number", show(number))
            }
            DurationError::OutOfRange => format!("`{text}` is out of range"),
        }
    }
}

/// Reads a duration like `150ms` as nanoseconds (rounded to the nearest).
///
/// The number is read as an `f64` and scaled by the unit, so no integer
/// arithmetic can overflow: a product that is not finite or beyond
/// [`DURATION_NS_READ_MAX`] is [`DurationError::OutOfRange`]. Below 2^53 ns
/// (104 days) a whole number of nanoseconds is exact.
pub fn duration_ns(text: &str) -> Result<u64, DurationError<'_>> {
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .ok_or(DurationError::NoUnit)?;
    let (number, unit) = text.split_at(split);
    let scale: f64 = match unit {
        "ns" => 1.0,
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        _ => return Err(DurationError::UnknownUnit(unit)),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| DurationError::NotANumber(number))?;
    let ns = value * scale;
    if !ns.is_finite() || !(0.0..=DURATION_NS_READ_MAX).contains(&ns) {
        return Err(DurationError::OutOfRange);
    }
    Ok(ns.round() as u64)
}

/// Parses a duration like `150ms` into nanoseconds; the error says what was
/// expected (see [`duration_ns`]).
pub fn parse_duration_ns(text: &str) -> Result<u64, String> {
    duration_ns(text).map_err(|error| error.message(text, str::to_string))
}

/// Formats nanoseconds for people: `1.250s`, `15ms`.
#[must_use]
pub fn format_ns(ns: u64) -> String {
    if ns >= 1_000_000_000 {
        format!("{:.3}s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.3}ms", ns as f64 / 1e6)
    } else {
        format!("{}us", ns / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_every_unit_and_errors_say_why() {
        assert_eq!(parse_duration_ns("150ms"), Ok(150_000_000));
        assert_eq!(parse_duration_ns("2s"), Ok(2_000_000_000));
        assert_eq!(parse_duration_ns("1m"), Ok(60_000_000_000));
        assert_eq!(parse_duration_ns("7us"), Ok(7_000));
        assert_eq!(parse_duration_ns("9ns"), Ok(9));
        assert_eq!(parse_duration_ns("1.5s"), Ok(1_500_000_000));
        assert!(parse_duration_ns("10").unwrap_err().contains("no unit"));
        assert!(
            parse_duration_ns("10h")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(
            parse_duration_ns("ms")
                .unwrap_err()
                .contains("not a number")
        );
    }

    #[test]
    fn huge_durations_are_out_of_range_not_overflows() {
        for text in [
            "9999999999999m",
            "18446744073709551615ns",
            "18446744073709551616s",
        ] {
            assert_eq!(duration_ns(text), Err(DurationError::OutOfRange), "{text}");
        }
        let digits = format!("{}s", "9".repeat(100_000));
        assert_eq!(duration_ns(&digits), Err(DurationError::OutOfRange));
        assert_eq!(duration_ns("10000000000s"), Ok(10_000_000_000_000_000_000));
        assert_eq!(duration_ns("1440m"), Ok(86_400_000_000_000));
        assert_eq!(
            duration_ns("86400000000001ns"),
            Ok(86_400_000_000_001),
            "exact below 2^53"
        );
    }
}
