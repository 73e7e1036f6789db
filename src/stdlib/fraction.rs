//! `fractions.Fraction`, pickled by CPython 3 as `Fraction(numerator, denominator)` and by
//! Python 2 as `Fraction(str)`.

use std::fmt::{self, Display, Formatter};

use super::{call_args, call_object, invalid, via_value};
use crate::error::Error;
use crate::value::{Object, Value};

const FRACTION: &str = "fractions.Fraction";

/// A `fractions.Fraction` in lowest terms with a positive denominator, both fitting `i128`.
///
/// ```
/// use pypickle::stdlib::Fraction;
/// let f = Fraction::new(6, -4)?;
/// assert_eq!((f.numerator(), f.denominator()), (-3, 2));
/// assert_eq!(f.to_string(), "Fraction(-3, 2)");
/// assert!(Fraction::new(1, 0).is_err());
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fraction {
    numerator: i128,
    denominator: i128,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Fraction {
    /// `numerator / denominator` in lowest terms; an error for a zero denominator or a result
    /// outside `i128`.
    pub fn new(numerator: i128, denominator: i128) -> Result<Fraction, Error> {
        if denominator == 0 {
            return Err(invalid(FRACTION, "zero denominator"));
        }
        let g = gcd(numerator.unsigned_abs(), denominator.unsigned_abs());
        let n = numerator.unsigned_abs() / g;
        let d = denominator.unsigned_abs() / g;
        let negative = (numerator < 0) != (denominator < 0);
        let overflow = || invalid(FRACTION, "numerator or denominator does not fit i128");
        let d = i128::try_from(d).map_err(|_| overflow())?;
        let n = if negative {
            0i128.checked_sub_unsigned(n).ok_or_else(overflow)?
        } else {
            i128::try_from(n).map_err(|_| overflow())?
        };
        Ok(Fraction {
            numerator: n,
            denominator: d,
        })
    }

    /// The numerator (carries the sign).
    pub fn numerator(&self) -> i128 {
        self.numerator
    }

    /// The denominator, positive.
    pub fn denominator(&self) -> i128 {
        self.denominator
    }

    /// The nearest `f64`.
    pub fn to_f64(&self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }

    pub(crate) fn from_object(obj: &Object) -> Result<Fraction, Error> {
        let int = |v: &Value, what: &str| -> Result<i128, Error> {
            v.as_i128().ok_or_else(|| {
                invalid(
                    FRACTION,
                    format_args!("{what} {v} is not an int that fits i128"),
                )
            })
        };
        match call_args(obj, FRACTION)? {
            [n, d] => Fraction::new(int(n, "numerator")?, int(d, "denominator")?),
            [Value::Str(s)] => Fraction::parse(s),
            [n] => Fraction::new(int(n, "numerator")?, 1),
            [] => Fraction::new(0, 1),
            _ => Err(invalid(FRACTION, "expected (numerator, denominator)")),
        }
    }

    /// `n/d` or `n`, with optional whitespace and sign, as Python 2 pickled it.
    fn parse(text: &str) -> Result<Fraction, Error> {
        let bad = || invalid(FRACTION, format_args!("{text:?} is not n/d"));
        let int = |s: &str| -> Result<i128, Error> {
            let s = s.trim();
            let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            s.parse().map_err(|_| bad())
        };
        match text.split_once('/') {
            Some((n, d)) if !d.trim_start().starts_with(['+', '-']) => {
                Fraction::new(int(n)?, int(d)?)
            }
            Some(_) => Err(bad()),
            None => Fraction::new(int(text)?, 1),
        }
    }
}

impl From<Fraction> for Value {
    /// `fractions.Fraction(numerator, denominator)`, as CPython 3 writes it.
    fn from(f: Fraction) -> Value {
        Value::Object(Box::new(call_object(
            "fractions",
            "Fraction",
            vec![f.numerator.into(), f.denominator.into()],
        )))
    }
}

impl Display for Fraction {
    /// `Fraction(3, 4)`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "Fraction({}, {})", self.numerator, self.denominator)
    }
}

via_value!(Fraction, "fractions", "Fraction");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_parses() {
        assert_eq!(Fraction::new(-6, -4).unwrap().to_string(), "Fraction(3, 2)");
        assert_eq!(Fraction::new(0, -5).unwrap().to_string(), "Fraction(0, 1)");
        assert_eq!(Fraction::new(i128::MIN, 1).unwrap().numerator(), i128::MIN);
        assert!(Fraction::new(i128::MIN, -1).is_err());
        assert_eq!(
            Fraction::parse(" -3/6 ").unwrap(),
            Fraction::new(-1, 2).unwrap()
        );
        assert_eq!(Fraction::parse("7").unwrap(), Fraction::new(7, 1).unwrap());
        for bad in ["", "1/", "/2", "1/-2", "1.5", "a/b", "1/0"] {
            assert!(Fraction::parse(bad).is_err(), "{bad:?}");
        }
    }
}
