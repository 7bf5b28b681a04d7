//! Durations written as strings: `"150ms"`, `"2s"`, `"1.5s"`, `"500us"`, `"20ns"`, `"2m"`, `"24h"`.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// A span of virtual time as written in scenario files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(pub Duration);

/// What every duration field expects; used in error messages.
pub const DURATION_EXPECTED: &str =
    "a duration string such as \"150ms\", \"2s\" or \"1.5s\" (units ns, us, ms, s, m, h)";

impl Span {
    /// Parses `"150ms"`-style text; `None` if it is not a valid duration.
    pub fn parse(text: &str) -> Option<Span> {
        let text = text.trim();
        let split = text.find(|c: char| c.is_ascii_alphabetic())?;
        let (number, unit) = text.split_at(split);
        let unit_nanos: u128 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        if number.ends_with('.') || fraction.len() > 9 {
            return None;
        }
        let whole: u128 = whole.parse().ok()?;
        let scale = 10u128.pow(fraction.len() as u32);
        let fraction: u128 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().ok()?
        };
        let nanos = whole
            .checked_mul(unit_nanos)?
            .checked_add(fraction * unit_nanos / scale)?;
        u64::try_from(nanos)
            .ok()
            .map(|n| Span(Duration::from_nanos(n)))
    }

    /// The span in nanoseconds.
    pub fn nanos(self) -> u64 {
        faultline_sim::duration_nanos(self.0)
    }
}

impl fmt::Display for Span {
    /// Writes the shortest exact form: `2s`, `150ms`, `1500us`, `20ns`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.nanos();
        for (unit, size) in [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] {
            if nanos != 0 && nanos % size == 0 {
                return write!(f, "{}{unit}", nanos / size);
            }
        }
        write!(f, "{nanos}ns")
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Span, D::Error> {
        struct SpanVisitor;
        impl Visitor<'_> for SpanVisitor {
            type Value = Span;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(DURATION_EXPECTED)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Span, E> {
                Span::parse(text).ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &self))
            }
        }
        deserializer.deserialize_str(SpanVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_units() {
        let ms = |n| Some(Span(Duration::from_millis(n)));
        assert_eq!(Span::parse("150ms"), ms(150));
        assert_eq!(Span::parse("2s"), ms(2000));
        assert_eq!(Span::parse("1.5s"), ms(1500));
        assert_eq!(Span::parse("2m"), ms(120_000));
        assert_eq!(Span::parse("24h"), ms(86_400_000));
        assert_eq!(Span::parse("1.5h"), ms(5_400_000));
        assert_eq!(Span::parse("500us"), Some(Span(Duration::from_micros(500))));
        assert_eq!(Span::parse("7ns"), Some(Span(Duration::from_nanos(7))));
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "150",
            "ms",
            "-1s",
            "1.s",
            ".5s",
            "1e3ms",
            "2 hours",
            "1.0000000001s",
            "99999999999999999999s",
        ] {
            assert_eq!(Span::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["2s", "150ms", "1500us", "7ns"] {
            assert_eq!(Span::parse(text).unwrap().to_string(), text);
        }
    }
}
