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

    /// Python's `Fraction(str)` syntax (ASCII digits): surrounding whitespace, a sign, then
    /// `n/d`, or a decimal `n.f` with an optional exponent (`'1.5e-3'`); digits may be grouped
    /// with single underscores. Whitespace may surround the `/`, as CPython 3.12 allows
    /// (3.11 refused `'1 / 2'`); no sign may follow it (`'1/-2'`).
    pub(super) fn parse(text: &str) -> Result<Fraction, Error> {
        let bad = || invalid(FRACTION, format_args!("{text:?} is not a fraction"));
        let overflow = || invalid(FRACTION, format_args!("{text:?} does not fit i128 terms"));
        let s = super::py_strip(text);
        let (negative, s) = super::split_sign(s);
        let (num, rest) = digits(s);
        let int = |d: &str| -> Result<i128, Error> {
            d.bytes().try_fold(0i128, |n, b| {
                n.checked_mul(10)
                    .and_then(|n| n.checked_add(i128::from(b - b'0')))
                    .ok_or_else(overflow)
            })
        };
        let signed = |n: i128| if negative { -n } else { n };
        let slash = rest
            .trim_start_matches(super::is_py_space)
            .strip_prefix('/');
        if let Some(rest) = slash {
            let (den, tail) = digits(rest.trim_start_matches(super::is_py_space));
            if num.is_empty() || den.is_empty() || !tail.is_empty() {
                return Err(bad());
            }
            return Fraction::new(signed(int(&num)?), int(&den)?);
        }
        let (frac, rest) = match rest.strip_prefix('.') {
            Some(rest) => digits(rest),
            None => (String::new(), rest),
        };
        if num.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        let exp = match rest.strip_prefix(['e', 'E']) {
            Some(e) => {
                let (neg, e) = super::split_sign(e);
                let (d, tail) = digits(e);
                if d.is_empty() || !tail.is_empty() {
                    return Err(bad());
                }
                let d = i64::try_from(int(&d)?).map_err(|_| overflow())?;
                if neg {
                    -d
                } else {
                    d
                }
            }
            None if rest.is_empty() => 0,
            None => return Err(bad()),
        };
        // Zeros at the end of the digits cancel against a negative exponent ('1.000').
        let mut all = format!("{num}{frac}");
        let mut exp = i128::from(exp) - frac.len() as i128;
        while exp < 0 && all.len() > 1 && all.ends_with('0') {
            all.pop();
            exp += 1;
        }
        let mut n = int(&all)?;
        if n == 0 {
            return Fraction::new(0, 1);
        }
        let pow = |e: i128| -> Result<i128, Error> {
            let e = u32::try_from(e).map_err(|_| overflow())?;
            10i128.checked_pow(e).ok_or_else(overflow)
        };
        let mut d = 1;
        if exp >= 0 {
            n = n.checked_mul(pow(exp)?).ok_or_else(overflow)?;
        } else {
            d = pow(-exp)?;
        }
        Fraction::new(signed(n), d)
    }
}

/// The leading ASCII digits of `s`, grouped by single underscores as Python's `\d+(_\d+)*`
/// (the underscores left out), and the rest of `s`.
fn digits(s: &str) -> (String, &str) {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            out.push(char::from(b[i]));
        } else if b[i] == b'_' && !out.is_empty() && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            // An underscore between two digits.
        } else {
            break;
        }
        i += 1;
    }
    (out, &s[i..])
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
        assert_eq!(
            Fraction::parse("1.5").unwrap(),
            Fraction::new(3, 2).unwrap()
        );
        assert_eq!(
            Fraction::parse("-.5e1").unwrap(),
            Fraction::new(-5, 1).unwrap()
        );
        assert_eq!(
            Fraction::parse("1_0/4").unwrap(),
            Fraction::new(5, 2).unwrap()
        );
        // CPython 3.12 allows whitespace around the slash.
        assert_eq!(
            Fraction::parse(" 1 / 2 ").unwrap(),
            Fraction::new(1, 2).unwrap()
        );
        assert_eq!(
            Fraction::parse("0e-50").unwrap(),
            Fraction::new(0, 1).unwrap()
        );
        let one = format!("1.{}", "0".repeat(45));
        assert_eq!(Fraction::parse(&one).unwrap(), Fraction::new(1, 1).unwrap());
        assert!(Fraction::parse("0.00e-9223372036854775807").is_ok());
        assert!(Fraction::parse("1e-9223372036854775807").is_err());
        for bad in [
            "", "1/", "/2", "1/-2", "1 /-2", "1__0", "_1", "1_", ".", "a/b", "1/0",
        ] {
            assert!(Fraction::parse(bad).is_err(), "{bad:?}");
        }
    }
}
