//! Durations with units, as the command line and scenario files write them:
//! `ns us ms s m` (e.g. `150ms`, `2s`, `1m`).

/// Parses a duration like `150ms` into nanoseconds; the error says what was
/// expected.
pub fn parse_duration_ns(text: &str) -> Result<u64, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .ok_or_else(|| format!("`{text}` has no unit (expected one of ns, us, ms, s, m)"))?;
    let (number, unit) = text.split_at(split);
    let scale: f64 = match unit {
        "ns" => 1.0,
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (expected ns, us, ms, s or m)"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{number}` in `{text}` is not a number"))?;
    let ns = value * scale;
    if !ns.is_finite() || !(0.0..=1e19).contains(&ns) {
        return Err(format!("`{text}` is out of range"));
    }
    Ok(ns.round() as u64)
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
}
