//! `time.struct_time`, what `time.localtime()`, `time.gmtime()` and `strptime` give (feedparser's
//! `published_parsed`, say): pickled by CPython as `struct_time((year, ..., isdst), {'tm_zone':
//! ..., 'tm_gmtoff': ...})`. It stays an inert [`Value::Object`]; its `repr()` and plain form
//! (the tuple of its nine fields, as `tuple(t)`) are known here.

use std::fmt::{self, Formatter};

use crate::value::{Object, Value};

/// The fields `repr()` shows, in order: the nine a struct_time is a sequence of.
pub(crate) const FIELDS: [&str; 9] = [
    "tm_year", "tm_mon", "tm_mday", "tm_hour", "tm_min", "tm_sec", "tm_wday", "tm_yday", "tm_isdst",
];

/// The fields past the nine, which the sequence may hold or the dict may give.
const EXTRA: [&str; 2] = ["tm_zone", "tm_gmtoff"];

/// The nine fields of `obj` if it is a struct_time every CPython 3 loads: called with a
/// tuple or list of 9 to 11 items, and perhaps a dict giving only the extra fields the
/// sequence leaves out.
pub(crate) fn fields(obj: &Object) -> Option<&[Value]> {
    let args = super::call_args(obj, "time.struct_time").ok()?;
    let (seq, extra) = match args {
        [seq] => (seq, None),
        [seq, Value::Dict(extra)] => (seq, Some(extra)),
        _ => return None,
    };
    let (Value::Tuple(items) | Value::List(items)) = seq else {
        return None;
    };
    if !(FIELDS.len()..=FIELDS.len() + EXTRA.len()).contains(&items.len()) {
        return None;
    }
    // CPython 3.13 refuses a key for a field the sequence holds, or any other key.
    let missing = &EXTRA[items.len() - FIELDS.len()..];
    let keys_fit = extra.map_or(true, |entries| {
        entries
            .iter()
            .all(|(k, _)| k.as_str().is_some_and(|k| missing.contains(&k)))
    });
    keys_fit.then(|| &items[..FIELDS.len()])
}

/// `time.struct_time(tm_year=2026, tm_mon=11, ...)`: the nine fields, as CPython prints them.
pub(crate) fn repr(fields: &[Value], f: &mut Formatter<'_>) -> fmt::Result {
    f.write_str("time.struct_time(")?;
    for (i, (name, value)) in FIELDS.iter().zip(fields).enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{name}={value}")?;
    }
    f.write_str(")")
}
