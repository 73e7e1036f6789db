//! Decoders for the text forms in pickles: protocol 0 numbers, Python 2 quoted strings
//! (`escape_decode`), `raw-unicode-escape`, Latin-1, and UTF-8 with CPython's surrogate rules.

use std::borrow::Cow;

use crate::error::{Error, ErrorCode, Result};
use crate::value::BigInt;

#[cold]
fn bad(msg: &'static str) -> Error {
    Error::new(ErrorCode::Malformed(msg))
}

#[cold]
fn bad_owned(msg: String) -> Error {
    Error::new(ErrorCode::MalformedOwned(msg.into()))
}

/// `text` quoted for an error message, cut to its first 200 characters as CPython cuts its own
/// (a bad argument may be megabytes long).
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}... ({} bytes)", &text[..cut], text.len()),
    }
}

/// An integer in Python's `int(s, base)` syntax, split up: sign, radix, and the digits without
/// the underscores Python allows between them (and after a base prefix). Whitespace around it
/// is dropped; `None` if Python's `int()` refuses it. In base 0, a prefix picks the radix
/// (`0x`, `0o`, `0b`) and a decimal may start with zero only if it is all zeros.
pub(crate) fn py_int_parts(s: &[u8], base: u32) -> Option<(bool, u32, Cow<'_, [u8]>)> {
    let s = trim_ascii(s);
    let (negative, s) = match s.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, s),
    };
    let (radix, digits, mut after_digit) = match (base, s) {
        (0, [b'0', b'x' | b'X', rest @ ..]) => (16, rest, true),
        (0, [b'0', b'o' | b'O', rest @ ..]) => (8, rest, true),
        (0, [b'0', b'b' | b'B', rest @ ..]) => (2, rest, true),
        _ => (10, s, false),
    };
    let prefixed = radix != 10;
    let mut any = false;
    for &b in digits {
        match b {
            b'_' if after_digit => after_digit = false,
            _ if (b as char).is_digit(radix) => {
                after_digit = true;
                any = true;
            }
            _ => return None,
        }
    }
    if !any || !after_digit {
        return None;
    }
    let digits: Cow<'_, [u8]> = if digits.contains(&b'_') {
        Cow::Owned(digits.iter().copied().filter(|&b| b != b'_').collect())
    } else {
        Cow::Borrowed(digits)
    };
    // In base 0, a decimal with a leading zero must be all zeros (`00`, not `010`).
    if base == 0 && !prefixed && digits[0] == b'0' && digits.iter().any(|&d| d != b'0') {
        return None;
    }
    Some((negative, radix, digits))
}

/// A text integer (INT, LONG, PUT, GET) as CPython's unpicklers read it.
pub(crate) enum TextInt<'a> {
    /// One that fits `i64`.
    Small(i64),
    /// Decimal digits (no sign, no underscores) of one that does not.
    Decimal(bool, Cow<'a, [u8]>),
    /// One written with a base prefix, as a big int.
    Big(BigInt),
}

/// An INT or LONG line (Python's `int(s, 0)`: base prefixes and underscores, no leading zero
/// in a decimal), or a PUT or GET one (`int(s)`, base 10).
pub(crate) fn parse_int<'a>(line: &'a [u8], what: &'static str) -> Result<TextInt<'a>> {
    let base = if what == "INT" || what == "LONG" {
        0
    } else {
        10
    };
    let Some((negative, radix, digits)) = py_int_parts(line, base) else {
        return Err(bad_owned(format!(
            "{what} argument {} is not an integer as Python's int() reads it",
            excerpt(&String::from_utf8_lossy(line))
        )));
    };
    if radix != 10 {
        let big = BigInt::from_pow2_digits(negative, radix, &digits);
        return Ok(match big.to_i64() {
            Some(v) => TextInt::Small(v),
            None => TextInt::Big(big),
        });
    }
    // At most 18 digits always fit.
    if digits.len() <= 18 {
        let v = digits
            .iter()
            .fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
        return Ok(TextInt::Small(if negative { -v } else { v }));
    }
    let text = std::str::from_utf8(&digits).expect("ASCII digits");
    match text
        .parse::<i128>()
        .ok()
        .map(|v| if negative { -v } else { v })
    {
        Some(v) if i64::try_from(v).is_ok() => Ok(TextInt::Small(v as i64)),
        _ => Ok(TextInt::Decimal(negative, digits)),
    }
}

/// Without the whitespace around it, as C's `isspace` sees it (vertical tab included).
fn trim_ascii(s: &[u8]) -> &[u8] {
    let space = |b: &u8| b.is_ascii_whitespace() || *b == 0x0b;
    let start = s.iter().position(|b| !space(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !space(b)).map_or(start, |e| e + 1);
    &s[start..end]
}

/// A FLOAT line, as CPython's unpickler reads it (`1.5`, `1e+16`, `inf`, `-nan`, ...): unlike
/// `float()`, it takes no whitespace around the number.
pub(crate) fn parse_float(line: &[u8]) -> Result<f64> {
    let text = std::str::from_utf8(line).map_err(|_| bad("FLOAT argument is not ASCII"))?;
    let lower = text.to_ascii_lowercase();
    let v: f64 = lower
        .parse()
        .map_err(|_| bad_owned(format!("FLOAT argument {} is not a float", excerpt(text))))?;
    if v.is_infinite() && !lower.contains("inf") {
        return Err(bad_owned(format!(
            "FLOAT argument {} is out of range",
            excerpt(text)
        )));
    }
    Ok(v)
}

/// The body of a protocol 0 STRING argument: strip the matching outer quotes, then undo
/// Python's bytes escapes (`\n`, `\x41`, `\101`, `\'`, ...).
pub(crate) fn unquote_string(line: &[u8]) -> Result<Cow<'_, [u8]>> {
    let n = line.len();
    if n < 2 || line[0] != line[n - 1] || (line[0] != b'\'' && line[0] != b'"') {
        return Err(bad("the STRING opcode argument must be quoted"));
    }
    escape_decode(&line[1..n - 1])
}

fn escape_decode(s: &[u8]) -> Result<Cow<'_, [u8]>> {
    if !s.contains(&b'\\') {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = s.get(i) else {
            return Err(bad("trailing \\ in a STRING argument"));
        };
        i += 1;
        match e {
            b'\n' => {}
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => {
                let hex = s.get(i..i + 2).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                });
                match hex {
                    Some(v) if s[i].is_ascii_hexdigit() && s[i + 1].is_ascii_hexdigit() => {
                        out.push(v);
                        i += 2;
                    }
                    _ => return Err(bad("invalid \\x escape in a STRING argument")),
                }
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// Decode `raw-unicode-escape` (the UNICODE opcode): Latin-1 bytes, except that `\uXXXX` and
/// `\UXXXXXXXX` after an odd number of backslashes are code points.
pub(crate) fn raw_unicode_escape(s: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let mut i = 0;
    let mut buf = [0u8; 4];
    while i < s.len() {
        let c = s[i];
        if c != b'\\' {
            if c < 0x80 {
                out.push(c);
            } else {
                out.extend_from_slice(char::from(c).encode_utf8(&mut buf).as_bytes());
            }
            i += 1;
            continue;
        }
        let run_start = i;
        while i < s.len() && s[i] == b'\\' {
            i += 1;
        }
        let run = i - run_start;
        let escape = run % 2 == 1 && i < s.len() && (s[i] == b'u' || s[i] == b'U');
        if !escape {
            out.extend(std::iter::repeat(b'\\').take(run));
            continue;
        }
        out.extend(std::iter::repeat(b'\\').take(run - 1));
        let digits = if s[i] == b'u' { 4 } else { 8 };
        i += 1;
        let hex = s
            .get(i..i + digits)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .ok_or_else(|| bad("truncated \\uXXXX or \\UXXXXXXXX escape in a UNICODE argument"))?;
        let cp = u32::from_str_radix(std::str::from_utf8(hex).expect("hex"), 16).expect("hex");
        i += digits;
        match char::from_u32(cp) {
            Some(ch) => out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes()),
            None if (0xd800..0xe000).contains(&cp) => return Err(lone_surrogate(cp)),
            None => return Err(bad("\\U escape out of range in a UNICODE argument")),
        }
    }
    Ok(())
}

#[cold]
fn lone_surrogate(cp: u32) -> Error {
    Error::new(ErrorCode::Unsupported(
        format!("the string holds a lone surrogate U+{cp:04X}, which a Rust string cannot hold")
            .into(),
    ))
}

/// Check that a string argument is UTF-8 as CPython reads it (`surrogatepass`): a lone
/// surrogate is valid Python but not Rust, and gets its own error.
#[inline]
pub(crate) fn check_utf8(bytes: &[u8]) -> Result<()> {
    match std::str::from_utf8(bytes) {
        Ok(_) => Ok(()),
        Err(e) => Err(utf8_error(bytes, e.valid_up_to())),
    }
}

#[cold]
fn utf8_error(bytes: &[u8], at: usize) -> Error {
    if let [0xed, b1 @ 0xa0..=0xbf, b2 @ 0x80..=0xbf, ..] = bytes[at..] {
        let cp = 0xd000 | (u32::from(b1 & 0x3f) << 6) | u32::from(b2 & 0x3f);
        return lone_surrogate(cp);
    }
    bad_owned(format!(
        "invalid UTF-8 in a string at byte {at} of the argument"
    ))
}

/// Latin-1 bytes as UTF-8.
pub(crate) fn latin1_to_utf8(bytes: &[u8], out: &mut Vec<u8>) {
    let mut buf = [0u8; 4];
    for &b in bytes {
        if b < 0x80 {
            out.push(b);
        } else {
            out.extend_from_slice(char::from(b).encode_utf8(&mut buf).as_bytes());
        }
    }
}

/// A str as Latin-1 bytes (every char must be below U+0100).
pub(crate) fn utf8_to_latin1(s: &str, out: &mut Vec<u8>) -> Result<()> {
    for ch in s.chars() {
        let cp = u32::from(ch);
        if cp > 0xff {
            return Err(bad_owned(format!(
                "character U+{cp:04X} cannot be encoded as latin-1"
            )));
        }
        out.push(cp as u8);
    }
    Ok(())
}

/// Whether `b` is all ASCII, a word at a time: for the short strings of the unpickler's fast
/// path (a byte loop cost four instructions a byte).
#[inline(always)]
pub(crate) fn is_ascii_short(b: &[u8]) -> bool {
    const HI8: u64 = 0x8080_8080_8080_8080;
    let n = b.len();
    if n >= 8 {
        let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        // Whole words, then the last eight bytes (overlapping the last whole word).
        let mut acc = word(n - 8);
        let mut i = 0;
        while i + 8 <= n {
            acc |= word(i);
            i += 8;
        }
        acc & HI8 == 0
    } else if n >= 4 {
        let word = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        (word(0) | word(n - 4)) & 0x8080_8080 == 0
    } else {
        b.iter().all(|&c| c < 0x80)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rue(s: &[u8]) -> Result<String> {
        let mut out = Vec::new();
        raw_unicode_escape(s, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn is_ascii_short_finds_a_high_byte_anywhere() {
        for n in 0..=40 {
            let mut b = vec![b'a'; n];
            assert!(is_ascii_short(&b), "{n}");
            for i in 0..n {
                b[i] = 0x80;
                assert!(!is_ascii_short(&b), "{n} {i}");
                b[i] = b'a';
            }
        }
    }

    #[test]
    fn raw_unicode_escape_follows_backslash_parity() {
        assert_eq!(rue(b"a\\u00e9b").unwrap(), "a\u{e9}b");
        assert_eq!(rue(b"\\\\u0041").unwrap(), "\\\\u0041");
        assert_eq!(rue(b"\\\\\\u0041").unwrap(), "\\\\A");
        assert_eq!(rue(b"\\U0001f600").unwrap(), "\u{1f600}");
        assert_eq!(rue(b"\xe9\\x").unwrap(), "\u{e9}\\x");
        assert!(rue(b"\\u12").is_err());
        assert!(rue(b"\\ud800").is_err());
        assert!(rue(b"\\U00110000").is_err());
    }

    #[test]
    fn string_quotes_and_escapes() {
        assert_eq!(&*unquote_string(b"'abc'").unwrap(), b"abc");
        assert_eq!(&*unquote_string(b"\"a'b\"").unwrap(), b"a'b");
        assert_eq!(
            &*unquote_string(b"'a\\nb\\x00\\'c\\101\\q'").unwrap(),
            b"a\nb\0'cA\\q"
        );
        assert!(unquote_string(b"'abc").is_err());
        assert!(unquote_string(b"'").is_err());
        assert!(unquote_string(b"'abc\"").is_err());
        assert!(unquote_string(b"'\\x4'").is_err());
        assert!(unquote_string(b"'a\\'").is_err());
    }

    #[test]
    fn numbers() {
        let small = |s: &[u8], what| match parse_int(s, what) {
            Ok(TextInt::Small(v)) => Some(v),
            _ => None,
        };
        assert_eq!(small(b"123", "INT"), Some(123));
        assert_eq!(small(b"-9223372036854775808", "INT"), Some(i64::MIN));
        assert!(matches!(
            parse_int(b"9223372036854775808", "INT"),
            Ok(TextInt::Decimal(false, d)) if &d[..] == b"9223372036854775808"
        ));
        assert!(parse_int(b"12a", "INT").is_err());
        assert!(parse_int(b"", "INT").is_err());
        // Python's int(s, 0): prefixes, underscores, no leading zero in a decimal.
        assert_eq!(small(b"0x10", "INT"), Some(16));
        assert_eq!(small(b"-0o17", "LONG"), Some(-15));
        assert_eq!(small(b"0b_101", "INT"), Some(5));
        assert_eq!(small(b"1_000", "INT"), Some(1000));
        assert_eq!(small(b"00", "INT"), Some(0));
        for bad in [
            &b"010"[..],
            b"1__0",
            b"1_",
            b"_1",
            b"0x",
            b"0x_",
            b"0b2",
            b"0o8",
            b"- 1",
        ] {
            assert!(parse_int(bad, "INT").is_err(), "{:?}", bad);
        }
        // PUT and GET: int(s), base 10.
        assert_eq!(small(b"010", "PUT"), Some(10));
        assert_eq!(small(b"1_0", "GET"), Some(10));
        assert!(parse_int(b"0x10", "PUT").is_err());
        assert_eq!(parse_float(b"1e+16").unwrap(), 1e16);
        assert!(parse_float(b"nan").unwrap().is_nan());
        assert_eq!(parse_float(b"-inf").unwrap(), f64::NEG_INFINITY);
        assert!(parse_float(b"1e999").is_err());
        assert!(parse_float(b"x").is_err());
    }

    #[test]
    fn surrogates_are_named() {
        let e = check_utf8(b"a\xed\xa0\x80").unwrap_err();
        assert!(e.to_string().contains("U+D800"), "{e}");
        assert!(check_utf8(b"\xff").is_err());
    }
}
