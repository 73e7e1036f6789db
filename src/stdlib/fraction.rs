//! `fractions.Fraction`, pickled by CPython 3 as `Fraction(numerator, denominator)` and by
//! Python 2 as `Fraction(str)`.

use std::fmt::{self, Display, Formatter};

use super::{call_args, call_object, invalid, via_value};
use crate::error::Error;
use crate::value::{BigInt, Object, Value};

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
        let negative = (numerator < 0) != (denominator < 0);
        Fraction::from_magnitudes(
            negative,
            numerator.unsigned_abs(),
            denominator.unsigned_abs(),
        )
    }

    /// `±n / d` from the magnitudes, in lowest terms: the terms may reach `i128::MIN` only
    /// through this, as a parsed `-170141183460469231731687303715884105728/1` does.
    fn from_magnitudes(negative: bool, n: u128, d: u128) -> Result<Fraction, Error> {
        if d == 0 {
            return Err(invalid(FRACTION, "zero denominator"));
        }
        let g = gcd(n, d);
        let (n, d) = (n / g, d / g);
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

    /// The nearest `f64` (ties to even), as Python's `float(fraction)` gives it.
    ///
    /// ```
    /// use pypickle::stdlib::Fraction;
    /// // Dividing the two terms as floats would round twice, and land one ulp off here.
    /// let f = Fraction::new(61525118528207055294415001, 2062851661593625776654149372244452079)?;
    /// assert_eq!(f.to_f64(), f64::from_bits(0x3dc0_6588_c961_59ab));
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn to_f64(&self) -> f64 {
        let magnitude = nearest_f64(
            self.numerator.unsigned_abs(),
            self.denominator.unsigned_abs(),
        );
        if self.numerator < 0 {
            -magnitude
        } else {
            magnitude
        }
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
        let (negative, num, rest) = match split(text) {
            Split::Ratio(Some((negative, num, den))) => {
                return Fraction::from_digits(negative, &num, &den)
                    .map_err(|e| e.unwrap_or_else(overflow));
            }
            Split::Ratio(None) => return Err(bad()),
            Split::Other(negative, num, rest) => (negative, num, rest),
        };
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
                // Past i64 the exponent is out of reach of any i128 term but for zero.
                let d = d.trim_start_matches('0');
                let d: i128 = if d.len() > 19 {
                    i128::from(i64::MAX)
                } else {
                    d.parse().unwrap_or(0)
                };
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
        let mut exp = exp - frac.len() as i128;
        while exp < 0 && all.ends_with('0') {
            all.pop();
            exp += 1;
        }
        let all = all.trim_start_matches('0');
        if all.is_empty() {
            return Fraction::new(0, 1);
        }
        // n * 10^exp past 10^40 overflows; so does n / 10^k once 10^k is 10^40 times n, as
        // the common factor of the two is at most n.
        let reach = all.len() as i128 + 40;
        if exp > 40 || -exp > reach {
            return Err(overflow());
        }
        let zeros = "0".repeat(exp.unsigned_abs() as usize);
        let (n, d) = if exp >= 0 {
            (format!("{all}{zeros}"), "1".to_string())
        } else {
            (all.to_string(), format!("1{zeros}"))
        };
        Fraction::from_digits(negative, &n, &d).map_err(|e| e.unwrap_or_else(overflow))
    }

    /// `±n / d` from decimal digits of any length, reduced: terms that fit `i128` only once
    /// reduced are read, as Python reduces them (`'10^41/10^41'` written out is 1). `Err(None)`
    /// when a reduced term does not fit.
    fn from_digits(negative: bool, n: &str, d: &str) -> Result<Fraction, Option<Error>> {
        let (n, d) = (n.trim_start_matches('0'), d.trim_start_matches('0'));
        if d.is_empty() {
            return Err(Some(invalid(FRACTION, "zero denominator")));
        }
        if n.is_empty() {
            return Fraction::new(0, 1).map_err(Some);
        }
        // 38 digits fit u128. Terms past 4096 bits are not reduced (`BigInt::lowest_terms`);
        // 1233 digits stay within them.
        if n.len().max(d.len()) <= 38 {
            let n = n.parse().unwrap_or(0);
            let d = d.parse().unwrap_or(0);
            return Fraction::from_magnitudes(negative, n, d).map_err(Some);
        }
        if n.len().max(d.len()) > 1233 {
            return Err(None);
        }
        let big = |t: &str| BigInt::from_decimal_digits(false, t.as_bytes());
        let (n, d) = BigInt::lowest_terms(&big(n), &big(d)).ok_or(None)?;
        match (n.to_u128(), d.to_u128()) {
            (Some(n), Some(d)) => Fraction::from_magnitudes(negative, n, d).map_err(|_| None),
            _ => Err(None),
        }
    }
}

/// `n / d` (`n <= 2^127`, `0 < d < 2^127`) rounded once to the nearest `f64`, ties to even: long
/// division to 55 or more quotient bits, the remainder kept as a sticky bit. The result is
/// always a normal float (from 2^-127 to 2^127), so scaling by a power of two is exact.
fn nearest_f64(n: u128, d: u128) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let (mut q, mut r) = (n / d, n % d);
    let mut exp: i32 = 0;
    while q < 1 << 55 {
        // r < d < 2^127: doubling it stays within u128.
        r <<= 1;
        q <<= 1;
        if r >= d {
            r -= d;
            q |= 1;
        }
        exp -= 1;
    }
    let drop = 128 - q.leading_zeros() - 53;
    let mut mantissa = q >> drop;
    let rest = q & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    if rest > half || (rest == half && (r != 0 || mantissa & 1 == 1)) {
        mantissa += 1;
    }
    let scale = exp + drop as i32;
    mantissa as f64 * f64::from_bits(((1023 + scale) as u64) << 52)
}

/// The terms of a fraction's text in the forms `str(Fraction)` gives (`[-]n` or `[-]n/d`, in
/// Python's syntax for them, as [`Fraction::parse`] reads it), of any size but Python's limit
/// of 4300 digits a term; `None` for other text or a zero denominator. Not reduced.
pub(super) fn big_terms(text: &str) -> Option<(BigInt, BigInt)> {
    let (negative, num, den) = match split(text) {
        Split::Ratio(terms) => terms?,
        Split::Other(negative, num, "") => (negative, num, "1".to_string()),
        Split::Other(..) => return None,
    };
    let limit = crate::value::bigint::MAX_STR_DIGITS;
    let fits = |t: &str| !t.is_empty() && t.len() <= limit;
    if !fits(&num) || !fits(&den) || den.bytes().all(|b| b == b'0') {
        return None;
    }
    Some((
        BigInt::from_decimal_digits(negative, num.as_bytes()),
        BigInt::from_decimal_digits(false, den.as_bytes()),
    ))
}

/// A fraction's text as Python's `Fraction(str)` begins to read it (see [`Fraction::parse`]).
enum Split<'a> {
    /// `[sign]n/d`: the sign and both terms' digits, or `None` if either is missing or
    /// anything follows.
    Ratio(Option<(bool, String, String)>),
    /// No `/`: the sign, the leading digits, and the rest.
    Other(bool, String, &'a str),
}

/// Split `text` (whitespace around it, and about a `/`) into [`Split`].
fn split(text: &str) -> Split<'_> {
    let s = super::py_strip(text);
    let (negative, s) = super::split_sign(s);
    let (num, rest) = digits(s);
    match rest
        .trim_start_matches(super::is_py_space)
        .strip_prefix('/')
    {
        Some(rest) => {
            let (den, tail) = digits(rest.trim_start_matches(super::is_py_space));
            let whole = !num.is_empty() && !den.is_empty() && tail.is_empty();
            Split::Ratio(whole.then_some((negative, num, den)))
        }
        None => Split::Other(negative, num, rest),
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
        // i128::MIN's text reads back, and terms past i128 that reduce into it are read.
        let min = Fraction::new(i128::MIN, 1).unwrap();
        assert_eq!(Fraction::parse(&format!("{}/1", i128::MIN)).unwrap(), min);
        assert_eq!(Fraction::parse(&i128::MIN.to_string()).unwrap(), min);
        assert_eq!(
            Fraction::parse("-170141183460469231731687303715884105728/2").unwrap(),
            Fraction::new(i128::MIN / 2, 1).unwrap()
        );
        assert_eq!(
            Fraction::parse("340282366920938463463374607431768211454/2").unwrap(),
            Fraction::new(i128::MAX, 1).unwrap()
        );
        assert!(Fraction::parse("170141183460469231731687303715884105728").is_err());
        // 25 / 10^39 reduces to 1 / (4 * 10^37), though 10^39 is past u128 (a review).
        assert_eq!(
            Fraction::parse("25e-39").unwrap(),
            Fraction::new(1, 40_000_000_000_000_000_000_000_000_000_000_000_000).unwrap()
        );
        assert_eq!(
            Fraction::parse("-2.5e-38").unwrap(),
            Fraction::new(-1, 40_000_000_000_000_000_000_000_000_000_000_000_000).unwrap()
        );
        assert!(Fraction::parse("1e-39").is_err());
        // Terms past 128 bits that reduce into i128 are read, as Python reduces them.
        let big = format!("1{}", "0".repeat(41));
        assert_eq!(
            Fraction::parse(&format!("{big}/{big}")).unwrap(),
            Fraction::new(1, 1).unwrap()
        );
        assert_eq!(
            Fraction::parse(&format!("-3{}/{big}", "0".repeat(41))).unwrap(),
            Fraction::new(-3, 1).unwrap()
        );
        // 2^130 / 10^40 is 2^90 / 5^40.
        assert_eq!(
            Fraction::parse("1361129467683753853853498429727072845824e-40").unwrap(),
            Fraction::new(1 << 90, 5i128.pow(40)).unwrap()
        );
        assert!(Fraction::parse(&format!("1{}/3", "0".repeat(2000))).is_err());
        // Zero over any denominator is zero, however long (a review).
        let zero = Fraction::parse(&format!("-0/1{}", "0".repeat(2000))).unwrap();
        assert_eq!(zero, Fraction::new(0, 1).unwrap());
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
