//! The standard library types read back from their plain forms (see the module docs): what a
//! format other than pickle holds for them, such as the ISO text JSON gets for a `datetime`.
//!
//! Each accepts what this crate writes for it, and the close variants other programs write:
//! Python 3.11's `fromisoformat` forms (any one character for the `T`, a date alone, the basic
//! forms `YYYYMMDD` and `HHMMSS`, `HH` or `HH:MM`, a fraction of any number of digits of which
//! six are kept, offsets `+HH` and `+HHMM`, `Z` for UTC, ISO week dates `YYYY-Www-D` and
//! `YYYYWwwD`, the day 1 if left out), an int or float for a
//! `Decimal` (a float as its shortest text) or an int for a `Fraction`, a UUID in any of the
//! spellings `uuid.UUID(str)` takes. A few looser spellings that CPython 3.11's parsers let
//! through are refused: a fraction straight after the hour or the minutes (`12.5`,
//! `12:30.5`), a space before an offset, a fraction in an offset's minutes, a UUID with a
//! space, `+` or `_` among its digits, digits other than ASCII.

use super::{
    invalid, Counter, Date, DateTime, Decimal, DefaultDict, Deque, Fraction, FromPlain,
    OrderedDict, PathClass, PurePath, Range, SafeUuid, Slice, Time, TimeDelta, TimeZone, TzInfo,
    Uuid, ZoneInfo,
};
use crate::error::Error;
use crate::value::Value;

/// The text of a plain form that is a `str`.
fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// `n` ASCII digits at the start of `s` as a number, and the rest.
fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, &s[n..]))
}

/// `YYYY-MM-DD`, or `YYYYMMDD`; or a week date, `YYYY-Www-D` or `YYYYWwwD`.
fn date(s: &str, what: &str) -> Result<Date, Error> {
    let bad = || invalid(what, format_args!("{s:?} is not an ISO date (YYYY-MM-DD)"));
    let (y, rest) = digits(s, 4).ok_or_else(bad)?;
    let extended = rest.starts_with('-');
    let week = if extended { &rest[1..] } else { rest };
    if let Some(week) = week.strip_prefix('W') {
        return week_date(y, week, extended).ok_or_else(bad)?;
    }
    let (m, rest) = date_field(rest, extended).ok_or_else(bad)?;
    let (d, rest) = date_field(rest, extended).ok_or_else(bad)?;
    if !rest.is_empty() {
        return Err(bad());
    }
    Date::new(y as u16, m as u8, d as u8)
}

/// Days from 0001-01-01 to January 1st of `year` (Python's proleptic Gregorian ordinal, less
/// one).
fn days_before_year(year: i64) -> i64 {
    let y = year - 1;
    365 * y + y / 4 - y / 100 + y / 400
}

/// The date of day `D` (1 if left out) of ISO week `ww` of `year`, from `ww[-D]` (extended) or
/// `wwD` after the `W`; `None` if that is not one. Week 1 holds the year's first Thursday
/// (so January 4th); a week 53 that belongs to the next year is refused, as Python does.
fn week_date(year: u32, s: &str, extended: bool) -> Option<Result<Date, Error>> {
    let (week, rest) = digits(s, 2)?;
    let day = match rest {
        "" => 1,
        _ => {
            let rest = if extended {
                rest.strip_prefix('-')?
            } else {
                rest
            };
            match digits(rest, 1)? {
                (d, "") => d,
                _ => return None,
            }
        }
    };
    if !(1..=53).contains(&week) || !(1..=7).contains(&day) {
        return None;
    }
    let year = i64::from(year);
    let jan4 = days_before_year(year) + 3;
    // Monday is 0; 0001-01-01 was a Monday.
    let week1 = jan4 - jan4 % 7;
    let monday = week1 + 7 * (i64::from(week) - 1);
    // The week's Thursday decides its year: a week 53 of a 52-week year is the next's week 1.
    if monday + 3 >= days_before_year(year + 1) {
        return None;
    }
    let day = monday + i64::from(day) - 1;
    let y = match day {
        d if d < days_before_year(year) => year - 1,
        d if d >= days_before_year(year + 1) => year + 1,
        _ => year,
    };
    let mut left = day - days_before_year(y);
    let mut month = 1u8;
    loop {
        let len = i64::from(days_in_month(y, month));
        if left < len {
            break;
        }
        left -= len;
        month += 1;
    }
    match u16::try_from(y) {
        Ok(y) if y >= 1 => Some(Date::new(y, month, left as u8 + 1)),
        _ => Some(Date::new(0, 1, 1)),
    }
}

/// The days of `month` of `year` (proleptic Gregorian).
fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// A month or day: two digits, after a `-` in the extended form.
fn date_field(s: &str, extended: bool) -> Option<(u32, &str)> {
    let s = if extended { s.strip_prefix('-')? } else { s };
    digits(s, 2)
}

/// The date at the start of a datetime's text (`YYYY-MM-DD` or `YYYYMMDD`, a week date
/// `YYYY-Www[-D]` or `YYYYWww[D]`), and the rest. Where a week date and a separator that is
/// a digit or `-` could be read either way, this settles it as Python 3.11 does.
fn split_date(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let len = match (b.get(4), b.get(5)) {
        // YYYY-Www-D, unless a digit follows it: then YYYY-Www and a `-` separator.
        (Some(b'-'), Some(b'W')) if b.get(8) == Some(&b'-') && !digit(10) => 10,
        (Some(b'-'), Some(b'W')) => 8,
        (Some(b'-'), _) => 10,
        // YYYYWww or YYYYWwwD: by the run of digits after the week, a digit separator and a
        // time of an even number of digits taken to follow the day.
        (Some(b'W'), _) => {
            let run = (7..).take_while(|&i| digit(i)).last().map_or(7, |i| i + 1);
            match run {
                r if r < 9 => r,
                r if r % 2 == 0 => 7,
                _ => 8,
            }
        }
        _ => 8,
    };
    match (s.get(..len), s.get(len..)) {
        (Some(d), Some(rest)) => (d, rest),
        _ => (s, ""),
    }
}

/// `HH[:MM[:SS[.f]]]` or `HH[MM[SS[.f]]]` as hour, minute, second, microsecond: a fraction of
/// any number of digits, the first six kept, as Python's `fromisoformat` reads it.
fn hms(s: &str, what: &str) -> Result<(u8, u8, u8, u32), Error> {
    let bad = || {
        invalid(
            what,
            format_args!("{s:?} is not an ISO time (HH:MM:SS.ffffff)"),
        )
    };
    let (h, mut rest) = digits(s, 2).ok_or_else(bad)?;
    let extended = rest.starts_with(':');
    let mut fields = [h, 0, 0];
    let mut n = 1;
    while n < 3 {
        let r = match (extended, rest.strip_prefix(':')) {
            (true, Some(r)) => r,
            (true, None) => break,
            (false, _) => rest,
        };
        match digits(r, 2) {
            Some((v, r)) => {
                fields[n] = v;
                rest = r;
                n += 1;
            }
            None if extended => return Err(bad()),
            None => break,
        }
    }
    let mut us = 0;
    if let Some(frac) = rest.strip_prefix(['.', ',']) {
        if n != 3 || frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let six = &frac[..frac.len().min(6)];
        let (f, _) = digits(six, six.len()).ok_or_else(bad)?;
        us = f * 10u32.pow(6 - six.len() as u32);
        rest = "";
    }
    if !rest.is_empty() {
        return Err(bad());
    }
    Ok((fields[0] as u8, fields[1] as u8, fields[2] as u8, us))
}

/// A UTC offset as `isoformat()` writes it (`+05:30`, `-00:00:15.000001`), or `+05`, `+0530`,
/// or `Z`.
fn offset(s: &str, what: &str) -> Result<TimeZone, Error> {
    if s == "Z" {
        return Ok(TimeZone::utc());
    }
    let bad = || invalid(what, format_args!("{s:?} is not a UTC offset (+HH:MM)"));
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => return Err(bad()),
    };
    let (h, m, sec, us) = hms(rest, what)?;
    let total =
        ((i64::from(h) * 60 + i64::from(m)) * 60 + i64::from(sec)) * 1_000_000 + i64::from(us);
    let total = if negative { -total } else { total };
    let delta = TimeDelta::from_microseconds(i128::from(total))?;
    TimeZone::new(delta, None)
}

/// A time's text after its `HH:MM:SS.ffffff`: an offset, `[key]` for a zone, or nothing.
fn tzinfo(suffix: &str, what: &str) -> Result<Option<TzInfo>, Error> {
    if suffix.is_empty() {
        return Ok(None);
    }
    if let Some(key) = suffix.strip_prefix('[').and_then(|k| k.strip_suffix(']')) {
        return Ok(Some(TzInfo::ZoneInfo(zone_key(key)?)));
    }
    Ok(Some(TzInfo::TimeZone(offset(suffix, what)?)))
}

/// A time with its offset or zone.
fn time(s: &str, what: &str) -> Result<Time, Error> {
    let at = s
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, ':' | '.' | ',')))
        .unwrap_or(s.len());
    let (h, m, sec, us) = hms(&s[..at], what)?;
    let t = Time::new(h, m, sec, us)?;
    Ok(match tzinfo(&s[at..], what)? {
        Some(tz) => t.with_tzinfo(tz),
        None => t,
    })
}

impl FromPlain for Date {
    fn from_plain(v: &Value) -> Option<Result<Date, Error>> {
        Some(date(text(v)?, "datetime.date"))
    }
}

impl FromPlain for Time {
    fn from_plain(v: &Value) -> Option<Result<Time, Error>> {
        let s = text(v)?;
        Some(time(s.strip_prefix('T').unwrap_or(s), "datetime.time"))
    }
}

impl FromPlain for DateTime {
    fn from_plain(v: &Value) -> Option<Result<DateTime, Error>> {
        const WHAT: &str = "datetime.datetime";
        let s = text(v)?;
        Some((|| {
            // Any one character between the date and the time, as Python 3.11 takes.
            let (d, rest) = split_date(s);
            let d = date(d, WHAT)?;
            let mut after = rest.chars();
            let t = match after.next() {
                Some(_) => time(after.as_str(), WHAT)?,
                None => Time::new(0, 0, 0, 0)?,
            };
            Ok(DateTime::combine(d, t))
        })())
    }
}

impl FromPlain for TimeDelta {
    /// Total seconds, rounded to the microsecond as `timedelta(seconds=x)` rounds them.
    fn from_plain(v: &Value) -> Option<Result<TimeDelta, Error>> {
        let seconds = match v {
            Value::Float(f) => *f,
            Value::Int(i) => return Some(TimeDelta::new(0, *i, 0)),
            _ => return None,
        };
        // As CPython: the whole seconds exactly, the fraction's microseconds rounded.
        let whole = seconds.trunc();
        Some(if whole.abs() < 1e15 {
            let us = round_half_even((seconds - whole) * 1e6);
            TimeDelta::from_microseconds(whole as i128 * 1_000_000 + us as i128)
        } else {
            Err(invalid(
                "datetime.timedelta",
                format_args!("{seconds} seconds is out of range"),
            ))
        })
    }
}

/// `x` rounded to an integer, halves to even (`f64::round_ties_even` is newer than this
/// crate's MSRV).
fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

impl FromPlain for TimeZone {
    fn from_plain(v: &Value) -> Option<Result<TimeZone, Error>> {
        Some(offset(text(v)?, "datetime.timezone"))
    }
}

impl FromPlain for super::PytzZone {
    /// `UTC`, an offset of whole minutes (a `FixedOffset`), or a zone's name.
    fn from_plain(v: &Value) -> Option<Result<super::PytzZone, Error>> {
        use super::PytzZone;
        let s = text(v)?;
        if s == "UTC" {
            return Some(Ok(PytzZone::Utc));
        }
        if s.starts_with(['+', '-']) {
            return Some(offset(s, "pytz time zone").and_then(|tz| {
                let o = tz.offset();
                let seconds = i64::from(o.days()) * 86_400 + i64::from(o.seconds());
                if seconds % 60 != 0 || o.microseconds() != 0 {
                    return Err(super::invalid(
                        "pytz time zone",
                        format_args!("{s} is not whole minutes"),
                    ));
                }
                Ok(PytzZone::Fixed((seconds / 60) as i32))
            }));
        }
        Some(Ok(PytzZone::Named(s.to_string())))
    }
}

impl FromPlain for ZoneInfo {
    fn from_plain(v: &Value) -> Option<Result<ZoneInfo, Error>> {
        Some(zone_key(text(v)?))
    }
}

/// A zone from a key of the tz database's names: ASCII letters, digits, `_`, `-`, `+` and
/// `/` (`America/Port-au-Prince`, `Etc/GMT+5`), in the shape [`ZoneInfo::new`] checks. Python
/// would look up any other text too and find no such zone; here it is an error at once (the
/// text of `ZoneInfo`'s `Display`, its repr, would be taken as a key).
fn zone_key(key: &str) -> Result<ZoneInfo, Error> {
    if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-+/".contains(&b))
    {
        return Err(invalid(
            "ZoneInfo",
            format_args!("{key:?} is not a tz database key (such as Europe/Paris)"),
        ));
    }
    ZoneInfo::new(key)
}

impl FromPlain for Decimal {
    fn from_plain(v: &Value) -> Option<Result<Decimal, Error>> {
        match v {
            Value::Str(s) => Some(s.parse()),
            Value::Int(i) => Some(Ok(Decimal::from(*i))),
            Value::BigInt(b) => Some(b.to_string().parse()),
            // The float's repr, as `Decimal(repr(x))`: a JSON `1.5` is Decimal('1.5'), not
            // the binary value, and `100.0` is Decimal('100.0') (not `1E+2`).
            Value::Float(_) => Some(v.to_string().parse()),
            _ => None,
        }
    }
}

impl FromPlain for Uuid {
    /// As `uuid.UUID(str)`: hex digits, with any hyphens, braces around them, and a `urn:uuid:`
    /// before.
    fn from_plain(v: &Value) -> Option<Result<Uuid, Error>> {
        let s = text(v)?;
        let hex: String = s
            .replace("urn:", "")
            .replace("uuid:", "")
            .trim_matches(|c| c == '{' || c == '}')
            .replace('-', "");
        Some(match hex.len() {
            32 if hex.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(Uuid::from_u128(
                u128::from_str_radix(&hex, 16).expect("32 hex digits"),
            )),
            _ => Err(invalid(
                "uuid.UUID",
                format_args!("{s:?} is not 32 hexadecimal digits"),
            )),
        })
    }
}

impl FromPlain for SafeUuid {
    /// The member's value: 0, -1 or None.
    fn from_plain(v: &Value) -> Option<Result<SafeUuid, Error>> {
        Some(match v {
            Value::Int(0) => Ok(SafeUuid::Safe),
            Value::Int(-1) => Ok(SafeUuid::Unsafe),
            Value::None => Ok(SafeUuid::Unknown),
            Value::Int(_) => Err(invalid("uuid.SafeUUID", format_args!("{v} is no member"))),
            _ => return None,
        })
    }
}

impl FromPlain for Fraction {
    fn from_plain(v: &Value) -> Option<Result<Fraction, Error>> {
        match v {
            Value::Str(s) => Some(Fraction::parse(s)),
            Value::Int(i) => Some(Fraction::new(i128::from(*i), 1)),
            Value::BigInt(b) => Some(Fraction::parse(&b.to_string())),
            _ => None,
        }
    }
}

impl FromPlain for PurePath {
    /// Of the flavour Python's `PurePath(str)` makes on this system: Windows' on Windows,
    /// POSIX elsewhere.
    fn from_plain(v: &Value) -> Option<Result<PurePath, Error>> {
        let class = if cfg!(windows) {
            PathClass::PureWindowsPath
        } else {
            PathClass::PurePosixPath
        };
        Some(Ok(PurePath::new(class, text(v)?)))
    }
}

/// The three items of a `(start, stop, step)` tuple (or list).
fn triple(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Tuple(items) | Value::List(items) => Some(items),
        _ => None,
    }
}

impl FromPlain for Range {
    fn from_plain(v: &Value) -> Option<Result<Range, Error>> {
        let items = triple(v)?;
        Some(match items {
            [Value::Int(start), Value::Int(stop), Value::Int(step)] => {
                Range::new(*start, *stop, *step)
            }
            _ => Err(invalid("range", "expected (start, stop, step) ints")),
        })
    }
}

impl FromPlain for Slice {
    fn from_plain(v: &Value) -> Option<Result<Slice, Error>> {
        Some(match triple(v)? {
            [start, stop, step] => Ok(Slice::new(start.clone(), stop.clone(), step.clone())),
            _ => Err(invalid("slice", "expected (start, stop, step)")),
        })
    }
}

/// A dict's entries.
fn entries(v: &Value) -> Option<Vec<(Value, Value)>> {
    match v {
        Value::Dict(items) => Some(items.clone()),
        _ => None,
    }
}

impl FromPlain for OrderedDict {
    fn from_plain(v: &Value) -> Option<Result<OrderedDict, Error>> {
        Some(Ok(OrderedDict { items: entries(v)? }))
    }
}

impl FromPlain for DefaultDict {
    /// With no `default_factory` (`None`): the plain form does not carry it.
    fn from_plain(v: &Value) -> Option<Result<DefaultDict, Error>> {
        Some(Ok(DefaultDict {
            factory: Value::None,
            items: entries(v)?,
        }))
    }
}

impl FromPlain for Counter {
    fn from_plain(v: &Value) -> Option<Result<Counter, Error>> {
        Some(Ok(Counter { items: entries(v)? }))
    }
}

impl FromPlain for Deque {
    fn from_plain(v: &Value) -> Option<Result<Deque, Error>> {
        match v {
            Value::List(items) | Value::Tuple(items) => Some(Ok(Deque {
                items: items.clone(),
                maxlen: None,
            })),
            _ => None,
        }
    }
}

/// `FromStr` for the types whose plain form is a str: the spellings their `Deserialize` takes
/// from another format (see the module docs), as Python's `fromisoformat` and `UUID(str)` do.
macro_rules! from_str_via_plain {
    ($($t:ty),*) => {$(
        impl std::str::FromStr for $t {
            type Err = Error;

            fn from_str(s: &str) -> Result<$t, Error> {
                <$t as FromPlain>::from_plain(&Value::Str(s.to_owned())).unwrap_or_else(|| {
                    Err(super::invalid(stringify!($t), "no str form"))
                })
            }
        }
    )*};
}

from_str_via_plain!(Date, Time, DateTime, Uuid, TimeZone, ZoneInfo, Fraction);
