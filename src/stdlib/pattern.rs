//! Compiled regular expressions (`re.Pattern`): pickled by CPython as `re._compile(pattern,
//! flags)`, the pattern a str or bytes and the flags an int. It stays an inert
//! [`Value::Object`] (nothing compiles it here); its `repr()` and plain form, the pattern, are
//! known here.

use std::fmt::{self, Formatter, Write as _};

use crate::value::{Object, Value};

const UNICODE: i64 = 32;
const LOCALE: i64 = 4;
const ASCII: i64 = 256;

/// The names `repr()` gives the flags, in its order (CPython 3.8-3.12's; 3.13 prints
/// `re.TEMPLATE`, which it no longer names, as `0x1`).
const FLAG_NAMES: [(&str, i64); 9] = [
    ("re.TEMPLATE", 1),
    ("re.IGNORECASE", 2),
    ("re.LOCALE", LOCALE),
    ("re.MULTILINE", 8),
    ("re.DOTALL", 16),
    ("re.UNICODE", UNICODE),
    ("re.VERBOSE", 64),
    ("re.DEBUG", 128),
    ("re.ASCII", ASCII),
];

/// The pattern (a str or bytes) and flags of `obj` if it is `re._compile(pattern, flags)` in
/// the shape CPython writes, with flags it accepts: any C `int`, with at most one of
/// `re.ASCII`, `re.LOCALE` and `re.UNICODE`, `re.LOCALE` only and `re.UNICODE` never for
/// bytes. Whether the pattern itself compiles is not checked, nor what flags it sets inline:
/// CPython's own pickles carry those in `flags` and print the same, but a hand-made
/// `re._compile('(?i)a', 0)`, which CPython prints with `re.IGNORECASE`, prints without.
pub(crate) fn parts(obj: &Object) -> Option<(&Value, i64)> {
    let [pattern, Value::Int(flags)] = super::call_args(obj, "re.Pattern").ok()? else {
        return None;
    };
    let flags = i64::from(i32::try_from(*flags).ok()?);
    let bytes = match pattern {
        Value::Str(_) => false,
        Value::Bytes(_) => true,
        _ => return None,
    };
    let kinds = (flags & (UNICODE | LOCALE | ASCII)).count_ones();
    // Bytes take `re.LOCALE` and never `re.UNICODE`; a str the other way round.
    let refused = if bytes { UNICODE } else { LOCALE };
    let fits = kinds <= 1 && flags & refused == 0;
    fits.then_some((pattern, flags))
}

/// `re.compile('a+b', re.IGNORECASE)`: the pattern's `repr()` cut at 200 characters, and the
/// flags by name, `re.UNICODE` left out where a str pattern has it implied, as CPython prints
/// them.
pub(crate) fn repr(pattern: &Value, flags: i64, f: &mut Formatter<'_>) -> fmt::Result {
    let text = pattern.to_string();
    f.write_str("re.compile(")?;
    match text.char_indices().nth(200) {
        Some((end, _)) => f.write_str(&text[..end])?,
        None => f.write_str(&text)?,
    }
    let mut left = flags;
    if matches!(pattern, Value::Str(_)) && flags & (UNICODE | LOCALE | ASCII) == UNICODE {
        left &= !UNICODE;
    }
    let mut names = String::new();
    for (name, bit) in FLAG_NAMES {
        if left & bit != 0 {
            if !names.is_empty() {
                names.push('|');
            }
            names.push_str(name);
            left &= !bit;
        }
    }
    if left != 0 {
        if !names.is_empty() {
            names.push('|');
        }
        // As C's `%x` prints the `int`: a negative one as its 32 bits.
        write!(names, "0x{:x}", left as i32 as u32)?;
    }
    if !names.is_empty() {
        write!(f, ", {names}")?;
    }
    f.write_str(")")
}
