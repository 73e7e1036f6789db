//! `decimal.Decimal`, pickled by CPython as `Decimal(str(d))`.

use std::fmt::{self, Display, Formatter};
use std::str::FromStr;

use super::{call_args, call_object, invalid, via_value};
use crate::error::Error;
use crate::value::{Object, Value};

const DECIMAL: &str = "decimal.Decimal";

/// A `decimal.Decimal`: sign, coefficient digits and exponent exactly as Python keeps them, so
/// `Decimal('1.50')`, `Decimal('1.5')` and `Decimal('-0')` stay distinct, plus infinities and
/// quiet and signalling NaNs with their payloads.
///
/// ```
/// use pypickle::stdlib::Decimal;
/// let d: Decimal = "-0.00".parse()?;
/// assert_eq!(d.to_string(), "Decimal('-0.00')");
/// assert_eq!(d.to_sci_string(), "-0.00");
/// assert_eq!("1e3".parse::<Decimal>()?.to_sci_string(), "1E+3");
/// assert_eq!("0.0000001".parse::<Decimal>()?.to_sci_string(), "1E-7");
/// assert_eq!("-inf".parse::<Decimal>()?.to_sci_string(), "-Infinity");
/// assert_eq!("snan07".parse::<Decimal>()?.to_sci_string(), "sNaN7");
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    negative: bool,
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Kind {
    /// `digits` without leading zeros (`"0"` for zero) times ten to `exponent`.
    Finite {
        digits: String,
        exponent: i64,
    },
    Infinity,
    /// A NaN's payload digits, without leading zeros (empty for none).
    NaN {
        signaling: bool,
        payload: String,
    },
}

impl Decimal {
    /// True for a negative number, `-0`, `-Infinity` or a NaN with its sign set.
    pub fn is_sign_negative(&self) -> bool {
        self.negative
    }

    /// True for a quiet or signalling NaN.
    pub fn is_nan(&self) -> bool {
        matches!(self.kind, Kind::NaN { .. })
    }

    /// True for a signalling NaN.
    pub fn is_snan(&self) -> bool {
        matches!(
            self.kind,
            Kind::NaN {
                signaling: true,
                ..
            }
        )
    }

    /// True for `Infinity` or `-Infinity`.
    pub fn is_infinite(&self) -> bool {
        self.kind == Kind::Infinity
    }

    /// The coefficient's decimal digits and the exponent, for a finite number (`1.50` is
    /// `("150", -2)`).
    pub fn digits_and_exponent(&self) -> Option<(&str, i64)> {
        match &self.kind {
            Kind::Finite { digits, exponent } => Some((digits, *exponent)),
            _ => None,
        }
    }

    /// Python's `float(d)`: the nearest `f64` (correctly rounded; past its range an infinity
    /// or a zero), a NaN for a quiet NaN (its sign kept); `None` for a signalling NaN, which
    /// Python refuses to convert.
    ///
    /// ```
    /// use pypickle::stdlib::Decimal;
    /// let d: Decimal = "1.10".parse()?;
    /// assert_eq!(d.to_f64(), Some(1.1));
    /// assert_eq!("-1E+400".parse::<Decimal>()?.to_f64(), Some(f64::NEG_INFINITY));
    /// assert_eq!("sNaN".parse::<Decimal>()?.to_f64(), None);
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn to_f64(&self) -> Option<f64> {
        let magnitude = match &self.kind {
            Kind::NaN {
                signaling: true, ..
            } => return None,
            Kind::NaN { .. } => f64::NAN,
            Kind::Infinity => f64::INFINITY,
            // Python's float(str(d)): Rust rounds the same text correctly. (Not the digits
            // with the raw exponent: Rust's parser saturates a very large exponent, which a
            // long coefficient can need for a value well inside f64's range, as 1 and 655,360
            // zeros times 10**-655360; `str()`'s exponent is the value's own magnitude.)
            Kind::Finite { .. } => {
                let text = self.to_sci_string();
                return text.parse::<f64>().ok();
            }
        };
        Some(if self.negative { -magnitude } else { magnitude })
    }

    /// Python's `str()`: the General Decimal Arithmetic to-scientific-string conversion.
    pub fn to_sci_string(&self) -> String {
        let mut s = String::new();
        if self.negative {
            s.push('-');
        }
        match &self.kind {
            Kind::Infinity => s.push_str("Infinity"),
            Kind::NaN { signaling, payload } => {
                if *signaling {
                    s.push('s');
                }
                s.push_str("NaN");
                s.push_str(payload);
            }
            Kind::Finite { digits, exponent } => {
                let n = digits.len() as i128;
                let exp = i128::from(*exponent);
                let adjusted = exp + n - 1;
                if exp <= 0 && adjusted >= -6 {
                    if exp == 0 {
                        s.push_str(digits);
                    } else {
                        // The point falls `-exp` digits from the right.
                        let point = n + exp;
                        if point > 0 {
                            let (int, frac) = digits.split_at(point as usize);
                            s.push_str(int);
                            s.push('.');
                            s.push_str(frac);
                        } else {
                            s.push_str("0.");
                            for _ in 0..-point {
                                s.push('0');
                            }
                            s.push_str(digits);
                        }
                    }
                } else {
                    let (first, rest) = digits.split_at(1);
                    s.push_str(first);
                    if !rest.is_empty() {
                        s.push('.');
                        s.push_str(rest);
                    }
                    s.push('E');
                    if adjusted >= 0 {
                        s.push('+');
                    }
                    s.push_str(&adjusted.to_string());
                }
            }
        }
        s
    }

    pub(crate) fn from_object(obj: &Object) -> Result<Decimal, Error> {
        match call_args(obj, DECIMAL)? {
            [Value::Str(s)] => s.parse(),
            [] => Ok(Decimal::from(0i64)),
            [Value::Int(i)] => Ok(Decimal::from(*i)),
            [Value::BigInt(b)] => {
                let text = b.to_string();
                Ok(text.parse()?)
            }
            _ => Err(invalid(DECIMAL, "expected Decimal(str)")),
        }
    }
}

impl From<i64> for Decimal {
    fn from(i: i64) -> Decimal {
        Decimal {
            negative: i < 0,
            kind: Kind::Finite {
                digits: i.unsigned_abs().to_string(),
                exponent: 0,
            },
        }
    }
}

/// The leading ASCII digits of `s` and the rest.
fn take_digits(s: &str) -> (&str, &str) {
    s.split_at(s.bytes().take_while(u8::is_ascii_digit).count())
}

/// The largest adjusted exponent CPython's `decimal` represents (libmpdec's `MPD_MAX_EMAX`).
const MAX_EMAX: i128 = 999_999_999_999_999_999;
/// The smallest exponent it represents (libmpdec's `MPD_MIN_ETINY`).
const MIN_ETINY: i128 = -1_999_999_999_999_999_997;

impl FromStr for Decimal {
    type Err = Error;

    /// Python's `Decimal(str)` syntax (ASCII digits): surrounding whitespace, a sign, digits
    /// with an optional point, an exponent, `Inf`/`Infinity`, `NaN`/`sNaN` with a payload, in
    /// any case. As in CPython, every `_` is ignored (`'1_000'`, and `'_1'` too).
    fn from_str(text: &str) -> Result<Decimal, Error> {
        let bad = || invalid(DECIMAL, format_args!("{text:?} is not a decimal number"));
        let stripped = super::py_strip(text).replace('_', "");
        let s = stripped.as_str();
        let (negative, s) = super::split_sign(s);
        let lower = s.to_ascii_lowercase();
        if lower == "inf" || lower == "infinity" {
            return Ok(Decimal {
                negative,
                kind: Kind::Infinity,
            });
        }
        for (prefix, signaling) in [("snan", true), ("nan", false)] {
            if let Some(rest) = lower.strip_prefix(prefix) {
                let (payload, tail) = take_digits(rest);
                if !tail.is_empty() {
                    return Err(bad());
                }
                let payload = payload.trim_start_matches('0').to_string();
                return Ok(Decimal {
                    negative,
                    kind: Kind::NaN { signaling, payload },
                });
            }
        }
        let (int, rest) = take_digits(s);
        let (frac, rest) = match rest.strip_prefix('.') {
            Some(r) => take_digits(r),
            None => ("", rest),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        let exp: i64 = match rest.strip_prefix(['e', 'E']) {
            Some(e) => {
                let (neg, e) = super::split_sign(e);
                let (digits, tail) = take_digits(e);
                if digits.is_empty() || !tail.is_empty() {
                    return Err(bad());
                }
                let mag: i64 = digits.parse().map_err(|_| {
                    invalid(
                        DECIMAL,
                        format_args!("exponent of {text:?} is out of range"),
                    )
                })?;
                if neg {
                    -mag
                } else {
                    mag
                }
            }
            None if rest.is_empty() => 0,
            None => return Err(bad()),
        };
        let exponent = i64::try_from(frac.len())
            .ok()
            .and_then(|n| exp.checked_sub(n))
            .ok_or_else(|| {
                invalid(
                    DECIMAL,
                    format_args!("exponent of {text:?} is out of range"),
                )
            })?;
        let all = format!("{int}{frac}");
        let digits = match all.trim_start_matches('0') {
            "" => "0".to_string(),
            d => d.to_string(),
        };
        // CPython's (libmpdec's, 64-bit) range: the adjusted exponent at most MAX_EMAX, the
        // exponent at least MIN_ETINY; beyond it `Decimal(str)` raises InvalidOperation.
        let adjusted = i128::from(exponent) + digits.len() as i128 - 1;
        if adjusted > MAX_EMAX || i128::from(exponent) < MIN_ETINY {
            return Err(invalid(
                DECIMAL,
                format_args!("exponent of {text:?} is out of range"),
            ));
        }
        Ok(Decimal {
            negative,
            kind: Kind::Finite { digits, exponent },
        })
    }
}

impl From<Decimal> for Value {
    /// `decimal.Decimal(str)`, as CPython writes it.
    fn from(d: Decimal) -> Value {
        Value::Object(Box::new(call_object(
            "decimal",
            "Decimal",
            vec![Value::Str(d.to_sci_string())],
        )))
    }
}

impl Display for Decimal {
    /// `Decimal('1.50')`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal('{}')", self.to_sci_string())
    }
}

via_value!(Decimal, "decimal", "Decimal");

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        text.parse::<Decimal>().unwrap().to_sci_string()
    }

    #[test]
    fn strings_like_python() {
        // Each pair checked against CPython 3.11's str(Decimal(x)).
        for (input, want) in [
            ("0", "0"),
            ("-0", "-0"),
            ("0.00", "0.00"),
            ("-0.00", "-0.00"),
            ("1.50", "1.50"),
            ("100", "100"),
            ("1e2", "1E+2"),
            ("1E+2", "1E+2"),
            ("100e-2", "1.00"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1E-7"),
            ("0.00000012", "1.2E-7"),
            ("123.456e-10", "1.23456E-8"),
            ("1e-6", "0.000001"),
            ("0e5", "0E+5"),
            ("0e-8", "0E-8"),
            ("0e-7", "0E-7"),
            ("0e-6", "0.000000"),
            ("  12_345.6_7  ", "12345.67"),
            // CPython drops every underscore, wherever it is.
            ("1_", "1"),
            ("_1", "1"),
            ("1__2", "12"),
            ("1e+5_", "1E+5"),
            ("1._5", "1.5"),
            ("nan_1", "NaN1"),
            ("in_f", "Infinity"),
            (".5", "0.5"),
            ("5.", "5"),
            ("+7", "7"),
            ("00012", "12"),
            ("inf", "Infinity"),
            ("-Infinity", "-Infinity"),
            ("nan", "NaN"),
            ("-NaN", "-NaN"),
            ("NaN0", "NaN"),
            ("nan012", "NaN12"),
            ("sNaN", "sNaN"),
            ("-snan3", "-sNaN3"),
            ("1.23E+5", "1.23E+5"),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
            ("1E999999999999999999", "1E+999999999999999999"),
        ] {
            assert_eq!(s(input), want, "{input}");
        }
    }

    #[test]
    fn bad_strings_are_errors() {
        for bad in [
            "",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "_",
            "1.2.3",
            "infinit",
            "nan1.5",
            "1e99999999999999999999",
            "0x10",
            "1 2",
        ] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_exponent_range_is_cpythons() {
        // Checked against CPython 3.11's `Decimal(str)`: the adjusted exponent at most
        // 999999999999999999, the exponent at least -1999999999999999997.
        for ok in [
            "1E999999999999999999",
            "10E+999999999999999998",
            "1000E999999999999999996",
            "0E+999999999999999999",
            "1E-1999999999999999997",
            "12345E-1999999999999999997",
            "1.5E-1999999999999999996",
            "0.000E-1999999999999999994",
        ] {
            assert!(ok.parse::<Decimal>().is_ok(), "{ok}");
        }
        for bad in [
            "1E1000000000000000000",
            "-1E1000000000000000000",
            "10E+999999999999999999",
            "1000E999999999999999997",
            "0E+1000000000000000000",
            "1E-1999999999999999998",
            "1.5E-1999999999999999997",
            "0E-1999999999999999998",
            "0.000E-1999999999999999995",
            "1E9223372036854775807",
        ] {
            let e = bad.parse::<Decimal>().unwrap_err();
            assert!(e.to_string().contains("out of range"), "{bad}: {e}");
        }
    }

    #[test]
    fn repr_and_parts() {
        let d: Decimal = "1.50".parse().unwrap();
        assert_eq!(d.to_string(), "Decimal('1.50')");
        assert_eq!(d.digits_and_exponent(), Some(("150", -2)));
        assert!("-nan".parse::<Decimal>().unwrap().is_sign_negative());
        assert!("snan".parse::<Decimal>().unwrap().is_snan());
        assert_eq!(Decimal::from(-12).to_sci_string(), "-12");
    }
}
