//! Integers of any size, as pickle stores them: little-endian two's complement bytes.

use std::cmp::Ordering;
use std::fmt;

/// An integer of any size (Python's `int` beyond what fits in `i64`).
///
/// Stored as minimal little-endian two's complement bytes, the layout of pickle's LONG1/LONG4
/// opcodes, so reading and writing it costs a copy. [`Value::Int`](crate::Value::Int) holds the
/// integers that fit in `i64`; a `BigInt` read from a pickle never does.
///
/// ```
/// use pypickle::BigInt;
/// let n: BigInt = "-123456789012345678901234567890".parse().unwrap();
/// assert_eq!(n.to_string(), "-123456789012345678901234567890");
/// assert_eq!(BigInt::from(u128::MAX).to_u128(), Some(u128::MAX));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BigInt {
    /// Minimal: no top byte that only repeats the sign of the byte below it.
    bytes: Vec<u8>,
}

impl BigInt {
    /// From little-endian two's complement bytes (any length; extra sign bytes are dropped).
    pub fn from_le_bytes(bytes: &[u8]) -> BigInt {
        BigInt {
            bytes: bytes[..minimal_len(bytes)].to_vec(),
        }
    }

    /// The minimal little-endian two's complement bytes (empty for zero).
    pub fn as_le_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// True if the integer is below zero.
    pub fn is_negative(&self) -> bool {
        self.bytes.last().is_some_and(|b| b & 0x80 != 0)
    }

    /// The value as `i64`, if it fits.
    pub fn to_i64(&self) -> Option<i64> {
        self.to_i128().and_then(|v| i64::try_from(v).ok())
    }

    /// The value as `i128`, if it fits.
    pub fn to_i128(&self) -> Option<i128> {
        if self.bytes.len() > 16 {
            return None;
        }
        let fill = if self.is_negative() { 0xff } else { 0 };
        let mut buf = [fill; 16];
        buf[..self.bytes.len()].copy_from_slice(&self.bytes);
        Some(i128::from_le_bytes(buf))
    }

    /// The value as `u128`, if it fits.
    pub fn to_u128(&self) -> Option<u128> {
        if self.is_negative() {
            return None;
        }
        let b = &self.bytes;
        // A non-negative value may need a 17th zero byte for its sign.
        let n = if b.len() == 17 && b[16] == 0 {
            16
        } else {
            b.len()
        };
        if n > 16 {
            return None;
        }
        let mut buf = [0u8; 16];
        buf[..n].copy_from_slice(&b[..n]);
        Some(u128::from_le_bytes(buf))
    }

    /// The nearest `f64`, ties to even as Python's `float(n)` rounds; infinite when the
    /// rounded value is out of range (where Python raises `OverflowError`).
    pub fn to_f64(&self) -> f64 {
        let (neg, mag) = self.magnitude();
        // Zero has no limbs, and no bits.
        let bits = mag.len() * 32 - mag.last().map_or(0, |l| l.leading_zeros() as usize);
        let f = if bits <= 64 {
            // Exact in a u64, whose conversion rounds correctly.
            mag.iter()
                .rev()
                .fold(0u64, |acc, &l| (acc << 32) | u64::from(l)) as f64
        } else {
            // The top 64 bits, with every bit below them folded into the lowest one (sticky):
            // converting that rounds exactly as the whole number would, and scaling by a power
            // of two is exact.
            let shift = bits - 64;
            let bit = |i: usize| (mag[i / 32] >> (i % 32)) & 1 == 1;
            let mut top = 0u64;
            for i in (shift..bits).rev() {
                top = (top << 1) | u64::from(bit(i));
            }
            let below = mag[..shift / 32].iter().any(|&l| l != 0)
                || mag[shift / 32] & ((1u32 << (shift % 32)) - 1) != 0;
            let top = (top | u64::from(below)) as f64;
            // 2^shift, exact up to 2^1023; infinite past it, as is the product past f64::MAX.
            let scale = match u64::try_from(shift) {
                Ok(k) if k <= 1023 => f64::from_bits((k + 1023) << 52),
                _ => f64::INFINITY,
            };
            top * scale
        };
        if neg {
            -f
        } else {
            f
        }
    }

    /// Sign and magnitude as little-endian 32-bit limbs.
    fn magnitude(&self) -> (bool, Vec<u32>) {
        let neg = self.is_negative();
        let mut bytes = self.bytes.clone();
        if neg {
            negate(&mut bytes);
        }
        let mut limbs = Vec::with_capacity(bytes.len() / 4 + 1);
        for chunk in bytes.chunks(4) {
            let mut b = [0u8; 4];
            b[..chunk.len()].copy_from_slice(chunk);
            limbs.push(u32::from_le_bytes(b));
        }
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
        (neg, limbs)
    }

    fn from_magnitude(neg: bool, limbs: &[u32]) -> BigInt {
        let mut bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
        bytes.push(0);
        if neg {
            negate(&mut bytes);
        }
        BigInt::from_le_bytes(&bytes)
    }

    /// Parse optional sign and decimal digits (no other characters).
    pub(crate) fn parse_decimal(s: &[u8]) -> Option<BigInt> {
        let (neg, digits) = split_sign(s);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(BigInt::from_decimal_digits(neg, digits))
    }

    /// The int of checked decimal digits (most significant first), with a sign.
    pub(crate) fn from_decimal_digits(neg: bool, digits: &[u8]) -> BigInt {
        let mut limbs: Vec<u32> = Vec::with_capacity(digits.len() / 9 + 1);
        let first = digits.len() % 9;
        let mut chunks: Vec<&[u8]> = Vec::new();
        if first > 0 {
            chunks.push(&digits[..first]);
        }
        chunks.extend(digits[first..].chunks(9));
        for chunk in chunks {
            let mut mul = 1u64;
            let mut add = 0u64;
            for d in chunk {
                mul *= 10;
                add = add * 10 + u64::from(d - b'0');
            }
            let mut carry = add;
            for limb in limbs.iter_mut() {
                let v = u64::from(*limb) * mul + carry;
                *limb = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                limbs.push(carry as u32);
            }
        }
        BigInt::from_magnitude(neg, &limbs)
    }

    /// A hex literal as Python's `hex()` writes it (`-0x1f`; `0X` and `+` too), any length.
    pub(crate) fn parse_hex(s: &[u8]) -> Option<BigInt> {
        let (neg, rest) = split_sign(s);
        let digits = rest
            .strip_prefix(b"0x")
            .or_else(|| rest.strip_prefix(b"0X"))?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        Some(BigInt::from_pow2_digits(neg, 16, digits))
    }

    /// The int of digits in radix 2, 8 or 16 (checked ASCII digits, most significant first),
    /// in time linear in their number.
    pub(crate) fn from_pow2_digits(negative: bool, radix: u32, digits: &[u8]) -> BigInt {
        let bits = radix.trailing_zeros();
        let mut limbs: Vec<u32> = Vec::with_capacity(digits.len() * bits as usize / 32 + 1);
        let (mut acc, mut filled) = (0u64, 0u32);
        for &d in digits.iter().rev() {
            let v = (d as char).to_digit(radix).expect("checked digits");
            acc |= u64::from(v) << filled;
            filled += bits;
            if filled >= 32 {
                limbs.push(acc as u32);
                acc >>= 32;
                filled -= 32;
            }
        }
        if filled > 0 {
            limbs.push(acc as u32);
        }
        BigInt::from_magnitude(negative, &limbs)
    }

    /// Exact conversion of an integral, finite float.
    pub(crate) fn from_integral_f64(f: f64) -> Option<BigInt> {
        if !f.is_finite() || f.fract() != 0.0 {
            return None;
        }
        if let Some(i) = float_to_i128(f) {
            return Some(BigInt::from(i));
        }
        let bits = f.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i64 - 1075;
        let mant = (bits & ((1 << 52) - 1)) | (1 << 52);
        // |f| >= 2^127 here, so exp > 0.
        let shift = exp as usize;
        let mut limbs = vec![0u32; shift / 32 + 3];
        let wide = u128::from(mant) << (shift % 32);
        for k in 0..3 {
            limbs[shift / 32 + k] = (wide >> (32 * k)) as u32;
        }
        Some(BigInt::from_magnitude(f < 0.0, &limbs))
    }
}

/// An integral float as i128, if in range.
pub(crate) fn float_to_i128(f: f64) -> Option<i128> {
    if f.fract() == 0.0 && (-1.7014118346046923e38..1.7014118346046923e38).contains(&f) {
        Some(f as i128)
    } else {
        None
    }
}

fn negate(bytes: &mut [u8]) {
    let mut carry = true;
    for b in bytes.iter_mut() {
        let (v, c) = (!*b).overflowing_add(u8::from(carry));
        *b = v;
        carry = c;
    }
}

/// Length of `bytes` without redundant top sign bytes.
pub(crate) fn minimal_len(bytes: &[u8]) -> usize {
    let mut n = bytes.len();
    while n > 0 {
        let top = bytes[n - 1];
        let below_neg = n >= 2 && bytes[n - 2] & 0x80 != 0;
        if (top == 0 && (n == 1 || !below_neg)) || (top == 0xff && n >= 2 && below_neg) {
            n -= 1;
        } else {
            break;
        }
    }
    n
}

/// The value of little-endian two's complement bytes if it fits in i64.
pub(crate) fn le_to_i64(bytes: &[u8]) -> Option<i64> {
    let n = minimal_len(bytes);
    if n > 8 {
        return None;
    }
    let fill = if n > 0 && bytes[n - 1] & 0x80 != 0 {
        0xff
    } else {
        0
    };
    let mut buf = [fill; 8];
    buf[..n].copy_from_slice(&bytes[..n]);
    Some(i64::from_le_bytes(buf))
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for BigInt {
            fn from(v: $t) -> BigInt {
                let mut bytes = v.to_le_bytes().to_vec();
                if (v as i128) >= 0 || <$t>::MIN as i128 == 0 {
                    bytes.push(0);
                }
                BigInt::from_le_bytes(&bytes)
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, usize);

impl From<u128> for BigInt {
    fn from(v: u128) -> BigInt {
        let mut bytes = v.to_le_bytes().to_vec();
        bytes.push(0);
        BigInt::from_le_bytes(&bytes)
    }
}

/// Python's limit on the decimal digits of an int converted to or from text
/// (`sys.int_info.default_max_str_digits`): the conversion costs the square of the length.
pub(crate) const MAX_STR_DIGITS: usize = 4300;

/// More bits than this is more than [`MAX_STR_DIGITS`] digits (4300 / log10(2) < 14,285).
const MAX_STR_BITS: u64 = 14_285;

impl BigInt {
    /// How many bits the magnitude has (Python's `int.bit_length()`).
    ///
    /// ```
    /// use pypickle::BigInt;
    /// assert_eq!(BigInt::from(u128::MAX).bit_length(), 128);
    /// assert_eq!(BigInt::from(-(1i128 << 100)).bit_length(), 101);
    /// ```
    pub fn bit_length(&self) -> u64 {
        bits(&self.magnitude().1)
    }

    /// The decimal text, or `None` past Python's 4300 digits, which is refused before any of
    /// the (quadratic) conversion is done.
    pub(crate) fn to_decimal(&self) -> Option<String> {
        let (neg, limbs) = self.magnitude();
        if bits(&limbs) > MAX_STR_BITS {
            return None;
        }
        let text = decimal(neg, limbs);
        (text.trim_start_matches('-').len() <= MAX_STR_DIGITS).then_some(text)
    }

    /// `integer `123`` for error messages; past Python's 4300 digits, `integer of N bits`.
    pub(crate) fn describe(&self) -> String {
        match self.to_decimal() {
            Some(text) => format!("integer `{text}`"),
            None => format!("integer of {} bits", self.bit_length()),
        }
    }

    /// Python's `hex()`: `-0x1f`.
    pub(crate) fn hex(&self) -> String {
        let (neg, limbs) = self.magnitude();
        let mut s = String::from(if neg { "-0x" } else { "0x" });
        let mut it = limbs.iter().rev();
        match it.next() {
            None => s.push('0'),
            Some(top) => s.push_str(&format!("{top:x}")),
        }
        for limb in it {
            s.push_str(&format!("{limb:08x}"));
        }
        s
    }
}

/// How many bits a magnitude's limbs (least significant first, no zero on top) hold.
fn bits(limbs: &[u32]) -> u64 {
    match limbs.last() {
        None => 0,
        Some(top) => (limbs.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()),
    }
}

/// Terms of more bits than this are not reduced ([`BigInt::lowest_terms`]): the work is the
/// square of their length, and no pickler writes terms not already in lowest form.
const MAX_REDUCED_BITS: u64 = 4096;

impl BigInt {
    /// `n / d` in lowest terms with a positive denominator, as Python's `Fraction(n, d)`
    /// keeps it: `None` for a zero denominator, or terms longer than 4096 bits.
    pub(crate) fn lowest_terms(n: &BigInt, d: &BigInt) -> Option<(BigInt, BigInt)> {
        let (n_neg, n_mag) = n.magnitude();
        let (d_neg, d_mag) = d.magnitude();
        if d_mag.is_empty() || bits(&n_mag).max(bits(&d_mag)) > MAX_REDUCED_BITS {
            return None;
        }
        if n_mag.is_empty() {
            return Some((BigInt::from(0), BigInt::from(1)));
        }
        let g = gcd(n_mag.clone(), d_mag.clone());
        Some((
            BigInt::from_magnitude(n_neg != d_neg, &div_exact(&n_mag, &g)),
            BigInt::from_magnitude(false, &div_exact(&d_mag, &g)),
        ))
    }
}

fn trim(v: &mut Vec<u32>) {
    while v.last() == Some(&0) {
        v.pop();
    }
}

/// `a` and `b` compared as magnitudes (trimmed).
fn cmp_mag(a: &[u32], b: &[u32]) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

/// `a -= b`, with `a >= b`.
fn sub_mag(a: &mut Vec<u32>, b: &[u32]) {
    let mut borrow = 0u64;
    for (i, x) in a.iter_mut().enumerate() {
        let y = u64::from(b.get(i).copied().unwrap_or(0)) + borrow;
        let (v, under) = u64::from(*x).overflowing_sub(y);
        *x = v as u32;
        borrow = u64::from(under);
    }
    trim(a);
}

/// `a >>= k` bits.
fn shr_mag(a: &mut Vec<u32>, k: u64) {
    let (words, k) = ((k / 32) as usize, (k % 32) as u32);
    a.drain(..words.min(a.len()));
    if k > 0 {
        for i in 0..a.len() {
            let high = a.get(i + 1).map_or(0, |&h| h << (32 - k));
            a[i] = (a[i] >> k) | high;
        }
    }
    trim(a);
}

/// `a <<= k` bits.
fn shl_mag(a: &mut Vec<u32>, k: u64) {
    let (words, k) = ((k / 32) as usize, (k % 32) as u32);
    if k > 0 {
        let mut carry = 0u32;
        for x in a.iter_mut() {
            let next = *x >> (32 - k);
            *x = (*x << k) | carry;
            carry = next;
        }
        a.push(carry);
    }
    a.splice(..0, std::iter::repeat(0).take(words));
    trim(a);
}

fn trailing_zeros(a: &[u32]) -> u64 {
    let words = a.iter().take_while(|&&x| x == 0).count();
    words as u64 * 32 + a.get(words).map_or(0, |x| u64::from(x.trailing_zeros()))
}

/// The greatest common divisor of two non-zero magnitudes (binary GCD: shifts and
/// subtractions only).
fn gcd(mut a: Vec<u32>, mut b: Vec<u32>) -> Vec<u32> {
    let shift = trailing_zeros(&a).min(trailing_zeros(&b));
    let tz = trailing_zeros(&a);
    shr_mag(&mut a, tz);
    loop {
        let tz = trailing_zeros(&b);
        shr_mag(&mut b, tz);
        if cmp_mag(&a, &b) == Ordering::Greater {
            std::mem::swap(&mut a, &mut b);
        }
        sub_mag(&mut b, &a);
        if b.is_empty() {
            break;
        }
    }
    shl_mag(&mut a, shift);
    a
}

/// `a / g` for a non-zero `g` that divides `a`: exact division from the low limbs up
/// (Jebelean), each quotient limb the low limb of what is left times the inverse of `g`'s low
/// limb; `len(a) * len(g)` limb products, where long division bit by bit took `bits(a)`
/// full-length subtractions.
fn div_exact(a: &[u32], g: &[u32]) -> Vec<u32> {
    // Both lose `g`'s trailing zero bits (they divide `a` too): `g` is then odd.
    let tz = trailing_zeros(g);
    let (mut a, mut g) = (a.to_vec(), g.to_vec());
    shr_mag(&mut a, tz);
    shr_mag(&mut g, tz);
    if a.len() < g.len() {
        return Vec::new();
    }
    // The inverse of g[0] modulo 2^32: right to 3 bits for any odd number, and each Newton
    // step doubles that.
    let low = g[0];
    let mut inv = low;
    for _ in 0..4 {
        inv = inv.wrapping_mul(2u32.wrapping_sub(low.wrapping_mul(inv)));
    }
    let mut q = vec![0u32; a.len() - g.len() + 1];
    for i in 0..q.len() {
        let qi = a[i].wrapping_mul(inv);
        q[i] = qi;
        // a -= qi * g * 2^(32 i): a[i] becomes zero.
        let mut carry = 0u64; // of the product
        let mut borrow = 0u64; // of the subtraction
        for (j, &gj) in g.iter().enumerate() {
            let product = u64::from(qi) * u64::from(gj) + carry;
            carry = product >> 32;
            let (v, b1) = a[i + j].overflowing_sub(product as u32);
            let (v, b2) = v.overflowing_sub(borrow as u32);
            a[i + j] = v;
            borrow = u64::from(b1) + u64::from(b2);
        }
        let mut rest = carry + borrow;
        for x in a.iter_mut().skip(i + g.len()) {
            if rest == 0 {
                break;
            }
            let (v, under) = x.overflowing_sub(rest as u32);
            *x = v;
            rest = (rest >> 32) + u64::from(under);
        }
    }
    trim(&mut q);
    q
}

/// The decimal text of a sign and magnitude: quadratic in its length.
fn decimal(neg: bool, mut limbs: Vec<u32>) -> String {
    if limbs.is_empty() {
        return "0".into();
    }
    let mut chunks = Vec::new();
    while !limbs.is_empty() {
        let mut rem = 0u64;
        for limb in limbs.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / 1_000_000_000) as u32;
            rem = cur % 1_000_000_000;
        }
        chunks.push(rem as u32);
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
    }
    let mut s = String::with_capacity(chunks.len() * 9 + 1);
    if neg {
        s.push('-');
    }
    let mut it = chunks.iter().rev();
    if let Some(top) = it.next() {
        s.push_str(&top.to_string());
    }
    for c in it {
        s.push_str(&format!("{c:09}"));
    }
    s
}

/// An optional sign, and the rest.
fn split_sign(s: &[u8]) -> (bool, &[u8]) {
    match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

impl fmt::Display for BigInt {
    /// Python's `repr()`. Past 4300 digits, where Python's `repr()` refuses
    /// (`sys.int_info`) and the decimal conversion would take the square of the length, the
    /// hex literal Python's `hex()` gives, which Python reads back as the same int.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_decimal() {
            Some(text) => f.write_str(&text),
            None => f.write_str(&self.hex()),
        }
    }
}

impl fmt::Debug for BigInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BigInt({self})")
    }
}

/// Error from parsing a [`BigInt`] from a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseBigIntError;

impl fmt::Display for ParseBigIntError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid integer: expected decimal digits (at most {MAX_STR_DIGITS}, Python's limit) \
             or a 0x hex literal"
        )
    }
}

impl std::error::Error for ParseBigIntError {}

impl std::str::FromStr for BigInt {
    type Err = ParseBigIntError;

    /// Decimal digits, at most 4300 of them as Python's `int(text)` takes (the conversion
    /// costs the square of the length), or a hex literal of any length (`Display`'s form
    /// past 4300 digits).
    ///
    /// ```
    /// use pypickle::BigInt;
    /// let n: BigInt = "-0x1f".parse().unwrap();
    /// assert_eq!(n.to_i64(), Some(-31));
    /// assert!("1".repeat(4301).parse::<BigInt>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<BigInt, ParseBigIntError> {
        let b = s.as_bytes();
        if let Some(big) = BigInt::parse_hex(b) {
            return Ok(big);
        }
        if b.iter().filter(|c| c.is_ascii_digit()).count() > MAX_STR_DIGITS {
            return Err(ParseBigIntError);
        }
        BigInt::parse_decimal(b).ok_or(ParseBigIntError)
    }
}

impl PartialOrd for BigInt {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BigInt {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.is_negative(), other.is_negative()) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            // Minimal encodings of one sign: a longer one is further from zero, so larger if
            // positive and smaller if negative; of one length, two's complement bytes compare
            // as unsigned.
            (negative, _) => {
                let by_len = self.bytes.len().cmp(&other.bytes.len());
                if negative { by_len.reverse() } else { by_len }
                    .then_with(|| self.bytes.iter().rev().cmp(other.bytes.iter().rev()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// `div_exact` against multiplication: random divisors (odd and even, one limb to
    /// dozens) times random quotients divide back exactly.
    #[test]
    fn exact_division_undoes_multiplication() {
        fn mul(a: &[u32], b: &[u32]) -> Vec<u32> {
            let mut out = vec![0u32; a.len() + b.len()];
            for (i, &x) in a.iter().enumerate() {
                let mut carry = 0u64;
                for (j, &y) in b.iter().enumerate() {
                    let t = u64::from(x) * u64::from(y) + u64::from(out[i + j]) + carry;
                    out[i + j] = t as u32;
                    carry = t >> 32;
                }
                out[i + b.len()] = carry as u32;
            }
            super::trim(&mut out);
            out
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..2000 {
            let mut limbs = |max: u64| -> Vec<u32> {
                let n = 1 + (next() % max) as usize;
                let mut v: Vec<u32> = (0..n).map(|_| next() as u32).collect();
                // Some with low zero limbs and bits, some with high ones.
                if round % 3 == 0 {
                    v[0] = 0;
                }
                if round % 5 == 0 {
                    v[0] &= !0xff;
                }
                *v.last_mut().unwrap() |= 1 << (next() % 32);
                v
            };
            let (g, q) = (limbs(40), limbs(40));
            let mut g = g;
            super::trim(&mut g);
            let a = mul(&g, &q);
            let mut want = q.clone();
            super::trim(&mut want);
            assert_eq!(super::div_exact(&a, &g), want, "round {round}");
        }
    }

    #[test]
    fn lowest_terms_divide_by_the_gcd() {
        let big = |s: &str| s.parse::<super::BigInt>().unwrap();
        let terms = |n: &str, d: &str| {
            super::BigInt::lowest_terms(&big(n), &big(d))
                .map(|(n, d)| (n.to_string(), d.to_string()))
        };
        let e40 = "10000000000000000000000000000000000000000";
        assert_eq!(
            terms(&format!("2{}", &e40[1..]), &format!("4{}", &e40[1..])),
            Some(("1".into(), "2".into()))
        );
        assert_eq!(terms("0", e40), Some(("0".into(), "1".into())));
        assert_eq!(terms(e40, "-3"), Some((format!("-{e40}"), "3".into())));
        assert_eq!(terms("-6", "-4"), Some(("3".into(), "2".into())));
        assert_eq!(terms("1", "0"), None);
        // 3 * 2^100 over 9 * 2^90 is 2^10 / 3.
        assert_eq!(
            terms(
                "3802951800684688204490109616128",
                "11141460353568422474092118016"
            ),
            Some(("1024".into(), "3".into()))
        );
    }

    use super::*;

    #[test]
    fn order_is_numeric_across_lengths_and_signs() {
        let sorted: Vec<BigInt> = [
            "-340282366920938463463374607431768211456",
            "-9223372036854775809",
            "-256",
            "-255",
            "-129",
            "-128",
            "-2",
            "-1",
            "0",
            "1",
            "127",
            "128",
            "255",
            "256",
            "9223372036854775808",
            "340282366920938463463374607431768211456",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        for (i, a) in sorted.iter().enumerate() {
            for (j, b) in sorted.iter().enumerate() {
                assert_eq!(a.cmp(b), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn round_trips_through_decimal() {
        for s in [
            "0",
            "1",
            "-1",
            "127",
            "128",
            "-128",
            "-129",
            "255",
            "256",
            "18446744073709551616",
            "-340282366920938463463374607431768211456",
            "1000000000000000000000000000000",
            "-99999999999999999999999999999999999999999",
        ] {
            let n: BigInt = s.parse().unwrap();
            assert_eq!(n.to_string(), s);
        }
        assert_eq!(BigInt::from(u64::MAX).to_string(), "18446744073709551615");
        assert_eq!(BigInt::from(i128::MIN).to_i128(), Some(i128::MIN));
        assert_eq!(BigInt::from(u128::MAX).to_i128(), None);
        assert_eq!(BigInt::from(-1i64).as_le_bytes(), &[0xff]);
        assert_eq!(BigInt::from(128u8).as_le_bytes(), &[0x80, 0]);
        assert_eq!(BigInt::from(0u8).as_le_bytes(), &[] as &[u8]);
    }

    #[test]
    fn minimal_and_i64() {
        assert_eq!(le_to_i64(&[0xff; 12]), Some(-1));
        assert_eq!(le_to_i64(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0]), Some(128));
        assert_eq!(le_to_i64(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0]), None);
        assert_eq!(le_to_i64(&[0, 0, 0, 0, 0, 0, 0, 0x80]), Some(i64::MIN));
        assert_eq!(le_to_i64(&[]), Some(0));
    }

    #[test]
    fn floats_convert_exactly() {
        let n = BigInt::from_integral_f64(1e300).unwrap();
        assert_eq!(n.to_string(), format!("{:.0}", 1e300));
        assert_eq!(
            BigInt::from_integral_f64(-2f64.powi(200)).unwrap().to_f64(),
            -2f64.powi(200)
        );
        assert!(BigInt::from_integral_f64(0.5).is_none());
    }

    #[test]
    fn zero_in_every_spelling_converts_to_zero() {
        // A zero BigInt is never read from a pickle (small ints are `Value::Int`), but one
        // can be built; its float is 0.0, as Python's `float(0)` (it panicked).
        for z in [
            BigInt::from(0i128),
            BigInt::from_le_bytes(&[]),
            BigInt::from_le_bytes(&[0, 0]),
            "0".parse().unwrap(),
            "-0".parse().unwrap(),
        ] {
            assert_eq!(z.to_f64().to_bits(), 0f64.to_bits(), "{z:?}");
            assert_eq!(z.to_string(), "0");
        }
    }
}
