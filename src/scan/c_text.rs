//! Which text-number lines (INT, LONG, FLOAT, PUT, GET) CPython's C unpickler accepts.
//!
//! The reader is stricter than CPython here (README: "Malformed pickles"), but a scanner that
//! stopped where `pickle.loads` reads on would miss every global after the line, and one that
//! read on where `pickle.loads` stops would report globals that never run. So the scanner asks
//! these functions, which follow the C unpickler: the line is a C string (it ends at a NUL),
//! INT is C's `strtol` in base 0 with Python's `int(s, 0)` as the fallback, LONG is
//! `int(s, 0)`, FLOAT is `PyOS_string_to_double` (no whitespace, overflow refused), and memo
//! keys are `int(s)`. Each takes the line without its `\n`.

/// Whether CPython's C unpickler reads this INT line.
pub(super) fn int_line(line: &[u8]) -> bool {
    if line.is_empty() {
        return false;
    }
    // strtol must stop at the line's end or a NUL, without overflow; or else int(s, 0) reads it.
    match strtol(line) {
        Some(end) if line.get(end).map_or(true, |&b| b == 0) => true,
        _ => py_int(c_string(line), 0).is_some(),
    }
}

/// Whether CPython's C unpickler reads this LONG line (a trailing `L` is dropped first).
pub(super) fn long_line(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"L").unwrap_or(line);
    py_int(c_string(line), 0).is_some()
}

/// Whether CPython's C unpickler reads this FLOAT line.
pub(super) fn float_line(line: &[u8]) -> bool {
    let s = c_string(line);
    let end = float_prefix(s);
    end > 0
        && end == s.len()
        && std::str::from_utf8(&s[..end])
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .is_some_and(|f| f.is_finite() || is_inf_or_nan(&s[..end]))
}

/// A PUT or GET key as CPython's C unpickler reads it (`int(s)` in base 10), if it does: not
/// negative (a negative PUT is refused, and a negative GET finds nothing), and within `isize`.
pub(super) fn memo_key(line: &[u8]) -> Option<u64> {
    match py_int(c_string(line), 10)? {
        (negative, Some(v)) if v <= isize::MAX as u64 && (!negative || v == 0) => Some(v),
        _ => None,
    }
}

/// The line up to its first NUL, as C sees it.
fn c_string(line: &[u8]) -> &[u8] {
    line.split(|&b| b == 0).next().unwrap_or_default()
}

/// C's `isspace`, which Python's int parsing uses too.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Where C's `strtol(s, &end, 0)` stops, or `None` on overflow (`errno`). With no digits at
/// all it stops at the start.
fn strtol(s: &[u8]) -> Option<usize> {
    let mut i = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let (base, digits_at) = match (s.get(i), s.get(i + 1), s.get(i + 2)) {
        (Some(b'0'), Some(b'x' | b'X'), Some(d)) if d.is_ascii_hexdigit() => (16, i + 2),
        (Some(b'0'), _, _) => (8, i),
        _ => (10, i),
    };
    let digits = s[digits_at..]
        .iter()
        .take_while(|&&b| (b as char).is_digit(base))
        .count();
    if digits == 0 {
        return Some(0);
    }
    let text = std::str::from_utf8(&s[digits_at..digits_at + digits]).ok()?;
    // A long's range (64 bits here), for either sign.
    u64::from_str_radix(text, base)
        .ok()
        .filter(|&v| v <= i64::MAX as u64 + 1)?;
    Some(digits_at + digits)
}

/// Python's `int(s, base)` for base 0 or 10 (whitespace around, a sign, digits with single
/// underscores between them; in base 0 a `0x`/`0o`/`0b` prefix, and no leading zero on a
/// nonzero decimal): `None` if Python raises, else whether it is negative and its magnitude
/// if that fits a `u64`.
fn py_int(s: &[u8], base: u32) -> Option<(bool, Option<u64>)> {
    let (negative, radix, digits) = crate::de::text::py_int_parts(s, base)?;
    let value = digits.iter().try_fold(0u64, |v, &d| {
        let d = (d as char).to_digit(radix).expect("checked digits");
        v.checked_mul(u64::from(radix))?.checked_add(u64::from(d))
    });
    Some((negative, value))
}

/// The length of the float literal `PyOS_string_to_double` reads at the start of `s` (0 if
/// none): a sign, then `inf`, `infinity` or `nan` in any case, or digits with an optional point
/// and exponent.
fn float_prefix(s: &[u8]) -> usize {
    let sign = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let rest = &s[sign..];
    let lower: Vec<u8> = rest.iter().take(8).map(u8::to_ascii_lowercase).collect();
    for word in [&b"infinity"[..], b"inf", b"nan"] {
        if lower.starts_with(word) {
            return sign + word.len();
        }
    }
    let digits = |from: usize| {
        rest[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let int = digits(0);
    let mut i = int;
    let mut frac = 0;
    if rest.get(i) == Some(&b'.') {
        frac = digits(i + 1);
        i += 1 + frac;
    }
    if int + frac == 0 {
        return 0;
    }
    if matches!(rest.get(i), Some(b'e' | b'E')) {
        let j = i + 1 + usize::from(matches!(rest.get(i + 1), Some(b'+' | b'-')));
        let exp = digits(j);
        if exp > 0 {
            i = j + exp;
        }
    }
    sign + i
}

fn is_inf_or_nan(s: &[u8]) -> bool {
    s.iter()
        .any(|b| matches!(b.to_ascii_lowercase(), b'i' | b'n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_cpython_reads_and_refuses() {
        // What CPython 3.11's pickle.loads does with each line (recorded; tests/scan.rs
        // compares many more with the live python3).
        for (line, ok) in [
            (&b"\x00junk"[..], true),
            (b"0x10", true),
            (b"010", true),
            (b"0x", false),
            (b" 7 ", true),
            (b"1_0", true),
            (b"0b11", true),
            (b"99999999999999999999", true),
            (b"0x_1f", true),
            (b"  ", false),
            (b"", false),
            (b"-0x10", true),
            (b"9223372036854775807JUNK", false),
        ] {
            assert_eq!(int_line(line), ok, "INT {line:?}");
        }
        for (line, ok) in [(&b"0x10L"[..], true), (b" 0x10 L", true), (b"010L", false)] {
            assert_eq!(long_line(line), ok, "LONG {line:?}");
        }
        for (line, ok) in [
            (&b"1e400"[..], false),
            (b" 1.5", false),
            (b"1.5 ", false),
            (b"1.5\x00j", true),
            (b"infinity", true),
            (b"-NaN", true),
            (b"1_0", false),
            (b".5", true),
            (b"5.", true),
            (b"e5", false),
            (b"0x10", false),
        ] {
            assert_eq!(float_line(line), ok, "FLOAT {line:?}");
        }
        assert_eq!(memo_key(b"-0"), Some(0));
        assert_eq!(memo_key(b"+0"), Some(0));
        assert_eq!(memo_key(b" 1_0 "), Some(10));
        assert_eq!(memo_key(b"1\x00zz"), Some(1));
        assert_eq!(memo_key(b"-1"), None);
        assert_eq!(memo_key(b"0x10"), None);
        assert_eq!(memo_key(b"1__0"), None);
    }
}
