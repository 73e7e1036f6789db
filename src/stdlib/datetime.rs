//! `datetime.datetime`, `date`, `time`, `timedelta`, `timezone`, and `zoneinfo.ZoneInfo` zones.
//!
//! CPython pickles a `date`, `time` or `datetime` as its class called with a packed state
//! (4, 6 or 10 bytes; a latin-1 `str` in Python 2 pickles) and, for the last two, the tzinfo:
//! year as two big-endian bytes, month, day, hour, minute, second, microseconds as three
//! big-endian bytes; `fold` is the top bit of the month byte (datetime) or hour byte (time).

use std::fmt::{self, Display, Formatter, Write};

use super::{call_args, call_object, int_arg, invalid, via_value, PytzZone};
use crate::error::Error;
use crate::value::{Object, Value};

const DATE: &str = "datetime.date";
const TIME: &str = "datetime.time";
const DATETIME: &str = "datetime.datetime";
const TIMEDELTA: &str = "datetime.timedelta";
const TIMEZONE: &str = "datetime.timezone";
const ZONEINFO: &str = "zoneinfo.ZoneInfo";

const US_PER_SECOND: i128 = 1_000_000;
const US_PER_DAY: i128 = 86_400 * US_PER_SECOND;
const MAX_DAYS: i128 = 999_999_999;

fn is_leap(year: u16) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Python's `repr()` of a `str`.
fn write_py_str(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    Display::fmt(&Value::Str(s.to_string()), f)
}

/// The packed state of a date, time or datetime: bytes, or a latin-1 `str` (Python 2).
fn state_bytes(v: &Value, len: usize, what: &str) -> Result<Option<Vec<u8>>, Error> {
    let bytes = match v {
        Value::Bytes(b) => b.clone(),
        Value::Str(s) => {
            let mut out = Vec::with_capacity(s.len());
            for c in s.chars() {
                match u8::try_from(u32::from(c)) {
                    Ok(b) => out.push(b),
                    Err(_) => return Err(invalid(what, "state str is not latin-1")),
                }
            }
            out
        }
        _ => return Ok(None),
    };
    if bytes.len() != len {
        return Err(invalid(
            what,
            format_args!("state is {} bytes, expected {len}", bytes.len()),
        ));
    }
    Ok(Some(bytes))
}

/// A Python 2 `date`, `time` or `datetime` read with its packed state as a `str` (Latin-1
/// decoding, as `encoding='latin1'` does): the state as the `bytes` CPython's constructor turns
/// it into, so that the value equals the same one from a Python 3 pickle and is written back
/// as Python 2 reads it (`_codecs.encode`, not a unicode string).
pub(crate) fn normalize_state(class: &crate::value::Global, args: &mut Value) {
    let len = match (class.module.as_str(), class.name.as_str()) {
        ("datetime", "date") => 4,
        ("datetime", "time") => 6,
        ("datetime", "datetime") => 10,
        _ => return,
    };
    let Value::Tuple(items) = args else { return };
    let Some(Value::Str(state)) = items.first() else {
        return;
    };
    if state.chars().count() != len {
        return;
    }
    let bytes: Option<Vec<u8>> = state.chars().map(|c| u8::try_from(c).ok()).collect();
    if let Some(bytes) = bytes {
        items[0] = Value::Bytes(bytes);
    }
}

fn small_int<T: TryFrom<i64>>(v: &Value, what: &str, field: &str) -> Result<T, Error> {
    let i = int_arg(v, what, field)?;
    T::try_from(i).map_err(|_| invalid(what, format_args!("{field} {i} out of range")))
}

/// A `date`: year 1-9999, month 1-12, day within the month.
///
/// ```
/// use pypickle::stdlib::Date;
/// let d = Date::new(2026, 2, 28)?;
/// assert_eq!(d.to_string(), "datetime.date(2026, 2, 28)");
/// assert_eq!(d.isoformat(), "2026-02-28");
/// assert!(Date::new(2026, 2, 29).is_err());
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, if it exists in Python's calendar (years 1 to 9999).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, Error> {
        Date::checked(year, month, day, DATE)
    }

    fn checked(year: u16, month: u8, day: u8, what: &str) -> Result<Date, Error> {
        if !(1..=9999).contains(&year) {
            return Err(invalid(what, format_args!("year {year} is out of range")));
        }
        if !(1..=12).contains(&month) {
            return Err(invalid(
                what,
                format_args!("month {month} is not in 1..=12"),
            ));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(invalid(
                what,
                format_args!("day {day} is out of range for {year}-{month:02}"),
            ));
        }
        Ok(Date { year, month, day })
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1-12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// `YYYY-MM-DD`, as Python's `isoformat()`.
    pub fn isoformat(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    fn state(&self) -> [u8; 4] {
        let [hi, lo] = self.year.to_be_bytes();
        [hi, lo, self.month, self.day]
    }

    pub(crate) fn from_object(obj: &Object) -> Result<Date, Error> {
        let args = call_args(obj, DATE)?;
        if let [state] = args {
            if let Some(b) = state_bytes(state, 4, DATE)? {
                return Date::checked(u16::from_be_bytes([b[0], b[1]]), b[2], b[3], DATE);
            }
        }
        match args {
            [y, m, d] => Date::checked(
                small_int(y, DATE, "year")?,
                small_int(m, DATE, "month")?,
                small_int(d, DATE, "day")?,
                DATE,
            ),
            _ => Err(invalid(
                DATE,
                "expected the packed state or (year, month, day)",
            )),
        }
    }
}

impl From<Date> for Value {
    /// `datetime.date(<4 state bytes>)`, as CPython writes it.
    fn from(d: Date) -> Value {
        Value::Object(Box::new(call_object(
            "datetime",
            "date",
            vec![Value::Bytes(d.state().to_vec())],
        )))
    }
}

impl Display for Date {
    /// `datetime.date(2026, 11, 23)`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "datetime.date({}, {}, {})",
            self.year, self.month, self.day
        )
    }
}

via_value!(Date, "datetime", "date");

/// The `tzinfo` of a [`Time`] or [`DateTime`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TzInfo {
    /// A fixed offset, `datetime.timezone` (`timezone.utc` included).
    TimeZone(TimeZone),
    /// A zone of the tz database, `zoneinfo.ZoneInfo`, kept by its key (its offsets need the
    /// database, which this crate does not carry).
    ZoneInfo(ZoneInfo),
    /// A `pytz` zone; a localized one carries its offset.
    Pytz(PytzZone),
    /// An instance of another tzinfo class the options let through, kept as it was.
    Other(Value),
}

/// A tzinfo as [`TzInfo::lend`] reads it: one of the classes this crate knows, or another
/// class's instance, lent.
enum Lent<'a> {
    Known(TzInfo),
    Other(&'a Value),
}

/// The tzinfo argument `tz` of a `time` or `datetime` (`what`), if given: as the tzinfo of a
/// class this crate knows, or as another class's instance, lent (both `None` for none).
fn tz_arg<'a>(
    tz: Option<&'a Value>,
    what: &str,
) -> Result<(Option<TzInfo>, Option<&'a Value>), Error> {
    Ok(
        match tz.map(|v| TzInfo::lend(v, what)).transpose()?.flatten() {
            None => (None, None),
            Some(Lent::Known(tz)) => (Some(tz), None),
            Some(Lent::Other(v)) => (None, Some(v)),
        },
    )
}

impl TzInfo {
    fn from_value(v: &Value, what: &str) -> Result<Option<TzInfo>, Error> {
        Ok(TzInfo::lend(v, what)?.map(|tz| match tz {
            Lent::Known(tz) => tz,
            Lent::Other(v) => TzInfo::Other(v.clone()),
        }))
    }

    /// [`TzInfo::from_value`], another class's instance lent: printing a datetime whose tzinfo
    /// holds another, and so on, would otherwise copy everything below each at every level.
    fn lend<'a>(v: &'a Value, what: &str) -> Result<Option<Lent<'a>>, Error> {
        let o = match v {
            Value::None => return Ok(None),
            Value::Object(o) => o,
            other => {
                return Err(invalid(
                    what,
                    format_args!(
                        "tzinfo must be a tzinfo object, found {}",
                        other.type_name()
                    ),
                ))
            }
        };
        Ok(Some(
            match (o.class.module.as_str(), o.class.name.as_str()) {
                ("datetime", "timezone") => {
                    Lent::Known(TzInfo::TimeZone(TimeZone::from_object(o)?))
                }
                ("zoneinfo", "ZoneInfo._unpickle") => {
                    Lent::Known(TzInfo::ZoneInfo(ZoneInfo::from_object(o)?))
                }
                ("pytz", n) if super::pytz::is_pytz(n) => {
                    Lent::Known(TzInfo::Pytz(PytzZone::from_object(o)?))
                }
                // The standard library's other classes that this crate knows are no tzinfo
                // (Python: "bad tzinfo state arg"); other classes' instances may be.
                (module, name) if super::is_allowed(module, name) => {
                    return Err(invalid(
                        what,
                        format_args!("tzinfo must be a tzinfo object, found {module}.{name}"),
                    ))
                }
                _ => Lent::Other(v),
            },
        ))
    }

    /// An error for an [`TzInfo::Other`] that is no tzinfo Python would take (an int, a
    /// `date`, ...), which the variant's public field can hold: the reader's own test.
    fn writable(&self, what: &str) -> Result<(), Error> {
        match self {
            TzInfo::Other(v) => TzInfo::from_value(v, what).map(drop),
            TzInfo::Pytz(z) => z.check(),
            _ => Ok(()),
        }
    }

    /// How isoformat ends: the offset, `[key]` for a zone whose offset needs the tz database
    /// or, on a time of day, depends on the date (a localized `pytz` zone's), nothing for
    /// other classes.
    fn write_iso_suffix(&self, out: &mut String, of_datetime: bool) {
        let key = match self {
            TzInfo::TimeZone(tz) => return out.push_str(&tz.offset_text()),
            TzInfo::ZoneInfo(z) => &z.key,
            TzInfo::Pytz(PytzZone::Localized { zone, .. }) if !of_datetime => zone,
            TzInfo::Pytz(PytzZone::Named(zone)) => zone,
            TzInfo::Pytz(z) => return out.push_str(&z.offset_text().unwrap_or_default()),
            TzInfo::Other(_) => return,
        };
        out.push('[');
        out.push_str(key);
        out.push(']');
    }

    /// The offset from UTC where the pickle carries it: a `timezone`'s, a localized or fixed
    /// `pytz` zone's; `None` for a zone whose offset needs the tz database, or another class.
    pub fn utcoffset(&self) -> Option<TimeDelta> {
        match self {
            TzInfo::TimeZone(tz) => Some(tz.offset()),
            TzInfo::Pytz(z) => z.utcoffset(),
            TzInfo::ZoneInfo(_) | TzInfo::Other(_) => None,
        }
    }
}

impl From<TimeZone> for TzInfo {
    fn from(tz: TimeZone) -> TzInfo {
        TzInfo::TimeZone(tz)
    }
}

impl From<PytzZone> for TzInfo {
    fn from(z: PytzZone) -> TzInfo {
        TzInfo::Pytz(z)
    }
}

impl From<ZoneInfo> for TzInfo {
    fn from(z: ZoneInfo) -> TzInfo {
        TzInfo::ZoneInfo(z)
    }
}

impl From<TzInfo> for Value {
    fn from(tz: TzInfo) -> Value {
        match tz {
            TzInfo::TimeZone(t) => t.into(),
            TzInfo::ZoneInfo(z) => z.into(),
            TzInfo::Pytz(z) => z.into(),
            TzInfo::Other(v) => v,
        }
    }
}

impl Display for TzInfo {
    /// The tzinfo's `repr()`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            TzInfo::TimeZone(t) => t.fmt(f),
            TzInfo::ZoneInfo(z) => z.fmt(f),
            TzInfo::Pytz(z) => z.fmt(f),
            TzInfo::Other(v) => v.fmt(f),
        }
    }
}

/// A `time` of day, with microseconds, `fold` and an optional tzinfo.
///
/// ```
/// use pypickle::stdlib::{Time, TimeZone, TimeDelta};
/// let t = Time::new(9, 30, 0, 250)?.with_tzinfo(TimeZone::new(TimeDelta::new(0, 3600, 0)?, None)?);
/// assert_eq!(t.to_string(), "datetime.time(9, 30, 0, 250, tzinfo=datetime.timezone(datetime.timedelta(seconds=3600)))");
/// assert_eq!(t.isoformat(), "09:30:00.000250+01:00");
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Time {
    hour: u8,
    minute: u8,
    second: u8,
    microsecond: u32,
    fold: bool,
    tzinfo: Option<TzInfo>,
}

impl Time {
    /// A naive time, if each field is in range (microsecond below 1,000,000).
    pub fn new(hour: u8, minute: u8, second: u8, microsecond: u32) -> Result<Time, Error> {
        Time::checked(hour, minute, second, microsecond, TIME)
    }

    fn checked(h: u8, m: u8, s: u8, us: u32, what: &str) -> Result<Time, Error> {
        if h > 23 {
            return Err(invalid(what, format_args!("hour {h} is not in 0..=23")));
        }
        if m > 59 {
            return Err(invalid(what, format_args!("minute {m} is not in 0..=59")));
        }
        if s > 59 {
            return Err(invalid(what, format_args!("second {s} is not in 0..=59")));
        }
        if us > 999_999 {
            return Err(invalid(
                what,
                format_args!("microsecond {us} is not in 0..=999999"),
            ));
        }
        Ok(Time {
            hour: h,
            minute: m,
            second: s,
            microsecond: us,
            fold: false,
            tzinfo: None,
        })
    }

    /// With this tzinfo.
    pub fn with_tzinfo(mut self, tzinfo: impl Into<TzInfo>) -> Time {
        self.tzinfo = Some(tzinfo.into());
        self
    }

    /// Without a tzinfo (naive).
    pub fn naive(mut self) -> Time {
        self.tzinfo = None;
        self
    }

    /// With `fold` set or cleared (PEP 495: the second of two equal wall times). A set `fold`
    /// is written at every protocol (CPython drops it below 4); Python 2 cannot load it.
    pub fn with_fold(mut self, fold: bool) -> Time {
        self.fold = fold;
        self
    }

    /// The hour, 0-23.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute, 0-59.
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// The second, 0-59.
    pub fn second(&self) -> u8 {
        self.second
    }

    /// The microsecond, 0-999999.
    pub fn microsecond(&self) -> u32 {
        self.microsecond
    }

    /// `fold`.
    pub fn fold(&self) -> bool {
        self.fold
    }

    /// The tzinfo, `None` if naive.
    pub fn tzinfo(&self) -> Option<&TzInfo> {
        self.tzinfo.as_ref()
    }

    /// `HH:MM:SS[.ffffff]` then the offset (`+01:00`), or `[key]` for a zoneinfo zone, as
    /// Python's `isoformat()` (which omits a zone's offset for a time, having no date).
    pub fn isoformat(&self) -> String {
        let mut s = String::new();
        self.write_iso(&mut s, false);
        s
    }

    fn write_iso(&self, s: &mut String, of_datetime: bool) {
        let _ = write!(s, "{:02}:{:02}:{:02}", self.hour, self.minute, self.second);
        if self.microsecond != 0 {
            let _ = write!(s, ".{:06}", self.microsecond);
        }
        if let Some(tz) = &self.tzinfo {
            tz.write_iso_suffix(s, of_datetime);
        }
    }

    /// The fields of Python's repr after the hour and minute, shared with datetime.
    fn write_repr_hms(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {}", self.hour, self.minute)?;
        if self.microsecond != 0 {
            write!(f, ", {}, {}", self.second, self.microsecond)
        } else if self.second != 0 {
            write!(f, ", {}", self.second)
        } else {
            Ok(())
        }
    }

    fn state(&self) -> [u8; 6] {
        let [_, a, b, c] = self.microsecond.to_be_bytes();
        let hour = self.hour | if self.fold { 0x80 } else { 0 };
        [hour, self.minute, self.second, a, b, c]
    }

    pub(crate) fn from_object(obj: &Object) -> Result<Time, Error> {
        let (mut t, other) = Time::lent(obj)?;
        if let Some(v) = other {
            t.tzinfo = Some(TzInfo::Other(v.clone()));
        }
        Ok(t)
    }

    /// The time of `obj`, and its tzinfo lent if it is another class's instance (the time's
    /// own tzinfo is then `None`).
    pub(crate) fn lent(obj: &Object) -> Result<(Time, Option<&Value>), Error> {
        let args = call_args(obj, TIME)?;
        if let [state, rest @ ..] = args {
            if let Some(b) = state_bytes(state, 6, TIME)? {
                let (tz, other) = match rest {
                    [] => (None, None),
                    [tz] => tz_arg(Some(tz), TIME)?,
                    _ => return Err(invalid(TIME, "too many arguments")),
                };
                let us = u32::from_be_bytes([0, b[3], b[4], b[5]]);
                let mut t = Time::checked(b[0] & 0x7f, b[1], b[2], us, TIME)?;
                t.fold = b[0] & 0x80 != 0;
                t.tzinfo = tz;
                return Ok((t, other));
            }
        }
        // time(hour=0, minute=0, second=0, microsecond=0, tzinfo=None), positionally.
        if args.len() > 5 {
            return Err(invalid(TIME, "too many arguments"));
        }
        let mut f = [0i64; 4];
        for (slot, (v, name)) in
            f.iter_mut()
                .zip(args.iter().zip(["hour", "minute", "second", "microsecond"]))
        {
            *slot = int_arg(v, TIME, name)?;
        }
        let field = |i: usize| -> Result<u8, Error> {
            u8::try_from(f[i]).map_err(|_| invalid(TIME, format_args!("{} out of range", f[i])))
        };
        let us = u32::try_from(f[3])
            .map_err(|_| invalid(TIME, format_args!("microsecond {} out of range", f[3])))?;
        let mut t = Time::checked(field(0)?, field(1)?, field(2)?, us, TIME)?;
        let (tz, other) = tz_arg(args.get(4), TIME)?;
        t.tzinfo = tz;
        Ok((t, other))
    }
}

impl From<Time> for Value {
    /// `datetime.time(<6 state bytes>[, tzinfo])`, as CPython writes it at protocol 4 and up.
    fn from(t: Time) -> Value {
        let mut args = vec![Value::Bytes(t.state().to_vec())];
        if let Some(tz) = t.tzinfo {
            args.push(tz.into());
        }
        Value::Object(Box::new(call_object("datetime", "time", args)))
    }
}

impl Display for Time {
    /// `datetime.time(12, 0)`, `datetime.time(0, 0, 0, 1, tzinfo=datetime.timezone.utc, fold=1)`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.write_repr(f, None)
    }
}

impl Time {
    /// The repr, with `other` for the tzinfo if the time has none of its own (see
    /// [`Time::lent`]).
    pub(crate) fn write_repr(&self, f: &mut Formatter<'_>, other: Option<&Value>) -> fmt::Result {
        f.write_str("datetime.time(")?;
        self.write_repr_hms(f)?;
        if let Some(tz) = &self.tzinfo {
            write!(f, ", tzinfo={tz}")?;
        } else if let Some(tz) = other {
            write!(f, ", tzinfo={tz}")?;
        }
        if self.fold {
            f.write_str(", fold=1")?;
        }
        f.write_char(')')
    }
}

impl Time {
    /// An error for a tzinfo Python would refuse (see [`TzInfo::writable`]).
    fn writable(&self) -> Result<(), Error> {
        self.tzinfo.as_ref().map_or(Ok(()), |tz| tz.writable(TIME))
    }
}

via_value!(Time, "datetime", "time", check: Time::writable);

/// A `datetime`: a [`Date`] and a [`Time`] (with its `fold` and tzinfo).
///
/// Equality is field by field, not Python's comparison of instants: the same instant in two
/// zones is two different values here.
///
/// ```
/// use pypickle::stdlib::{DateTime, ZoneInfo};
/// let dt = DateTime::new(2026, 11, 1, 1, 30, 0, 0)?
///     .with_fold(true)
///     .with_tzinfo(ZoneInfo::new("America/New_York")?);
/// assert_eq!(dt.to_string(), "datetime.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=zoneinfo.ZoneInfo(key='America/New_York'))");
/// assert_eq!(dt.isoformat(), "2026-11-01T01:30:00[America/New_York]");
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    time: Time,
}

impl DateTime {
    /// A naive datetime, if each field is in range.
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        microsecond: u32,
    ) -> Result<DateTime, Error> {
        Ok(DateTime {
            date: Date::checked(year, month, day, DATETIME)?,
            time: Time::checked(hour, minute, second, microsecond, DATETIME)?,
        })
    }

    /// The date and the time (whose tzinfo and fold the datetime takes).
    pub fn combine(date: Date, time: Time) -> DateTime {
        DateTime { date, time }
    }

    /// With this tzinfo.
    pub fn with_tzinfo(mut self, tzinfo: impl Into<TzInfo>) -> DateTime {
        self.time = self.time.with_tzinfo(tzinfo);
        self
    }

    /// Without a tzinfo (naive).
    pub fn naive(mut self) -> DateTime {
        self.time = self.time.naive();
        self
    }

    /// With `fold` set or cleared, written as [`Time::with_fold`] says.
    pub fn with_fold(mut self, fold: bool) -> DateTime {
        self.time.fold = fold;
        self
    }

    /// The date part.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The time part, with the tzinfo and fold.
    pub fn time(&self) -> &Time {
        &self.time
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.date.year
    }

    /// The month, 1-12.
    pub fn month(&self) -> u8 {
        self.date.month
    }

    /// The day of the month.
    pub fn day(&self) -> u8 {
        self.date.day
    }

    /// The hour, 0-23.
    pub fn hour(&self) -> u8 {
        self.time.hour
    }

    /// The minute, 0-59.
    pub fn minute(&self) -> u8 {
        self.time.minute
    }

    /// The second, 0-59.
    pub fn second(&self) -> u8 {
        self.time.second
    }

    /// The microsecond.
    pub fn microsecond(&self) -> u32 {
        self.time.microsecond
    }

    /// `fold`.
    pub fn fold(&self) -> bool {
        self.time.fold
    }

    /// The tzinfo, `None` if naive.
    pub fn tzinfo(&self) -> Option<&TzInfo> {
        self.time.tzinfo.as_ref()
    }

    /// `YYYY-MM-DDTHH:MM:SS[.ffffff]`, then the offset for a `timezone` (`+00:00`), or `[key]`
    /// for a zoneinfo zone (whose offset needs the tz database), or nothing for a naive
    /// datetime or another tzinfo class. For a naive datetime or a `timezone` this is Python's
    /// `isoformat()`.
    pub fn isoformat(&self) -> String {
        let mut s = self.date.isoformat();
        s.push('T');
        self.time.write_iso(&mut s, true);
        s
    }

    fn state(&self) -> [u8; 10] {
        let [y0, y1, m, d] = self.date.state();
        let [h, mi, s, a, b, c] = self.time.state();
        let m = m | if self.time.fold { 0x80 } else { 0 };
        [y0, y1, m, d, h & 0x7f, mi, s, a, b, c]
    }

    pub(crate) fn from_object(obj: &Object) -> Result<DateTime, Error> {
        let (mut dt, other) = DateTime::lent(obj)?;
        if let Some(v) = other {
            dt.time.tzinfo = Some(TzInfo::Other(v.clone()));
        }
        Ok(dt)
    }

    /// The datetime of `obj`, and its tzinfo lent if it is another class's instance (the
    /// datetime's own tzinfo is then `None`).
    pub(crate) fn lent(obj: &Object) -> Result<(DateTime, Option<&Value>), Error> {
        let args = call_args(obj, DATETIME)?;
        if let [state, rest @ ..] = args {
            if let Some(b) = state_bytes(state, 10, DATETIME)? {
                let (tz, other) = match rest {
                    [] => (None, None),
                    [tz] => tz_arg(Some(tz), DATETIME)?,
                    _ => return Err(invalid(DATETIME, "too many arguments")),
                };
                let year = u16::from_be_bytes([b[0], b[1]]);
                let date = Date::checked(year, b[2] & 0x7f, b[3], DATETIME)?;
                let us = u32::from_be_bytes([0, b[7], b[8], b[9]]);
                let mut time = Time::checked(b[4], b[5], b[6], us, DATETIME)?;
                time.fold = b[2] & 0x80 != 0;
                time.tzinfo = tz;
                return Ok((DateTime { date, time }, other));
            }
        }
        // datetime(year, month, day, hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        if !(3..=8).contains(&args.len()) {
            return Err(invalid(
                DATETIME,
                "expected the packed state or (year, month, day, ...)",
            ));
        }
        let mut f = [0i64; 7];
        let names = [
            "year",
            "month",
            "day",
            "hour",
            "minute",
            "second",
            "microsecond",
        ];
        for (slot, (v, name)) in f.iter_mut().zip(args.iter().zip(names)) {
            *slot = int_arg(v, DATETIME, name)?;
        }
        let small = |i: usize| -> Result<u8, Error> {
            u8::try_from(f[i])
                .map_err(|_| invalid(DATETIME, format_args!("{} {} out of range", names[i], f[i])))
        };
        let year = u16::try_from(f[0])
            .map_err(|_| invalid(DATETIME, format_args!("year {} out of range", f[0])))?;
        let us = u32::try_from(f[6])
            .map_err(|_| invalid(DATETIME, format_args!("microsecond {} out of range", f[6])))?;
        let date = Date::checked(year, small(1)?, small(2)?, DATETIME)?;
        let mut time = Time::checked(small(3)?, small(4)?, small(5)?, us, DATETIME)?;
        let (tz, other) = tz_arg(args.get(7), DATETIME)?;
        time.tzinfo = tz;
        Ok((DateTime { date, time }, other))
    }
}

impl From<DateTime> for Value {
    /// `datetime.datetime(<10 state bytes>[, tzinfo])`, as CPython writes it at protocol 4 and
    /// up (and at lower protocols too, but for the fold bit, which CPython drops there).
    fn from(dt: DateTime) -> Value {
        let mut args = vec![Value::Bytes(dt.state().to_vec())];
        if let Some(tz) = dt.time.tzinfo {
            args.push(tz.into());
        }
        Value::Object(Box::new(call_object("datetime", "datetime", args)))
    }
}

impl Display for DateTime {
    /// `datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone.utc)`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.write_repr(f, None)
    }
}

impl DateTime {
    /// The repr, with `other` for the tzinfo if the datetime has none of its own (see
    /// [`DateTime::lent`]).
    pub(crate) fn write_repr(&self, f: &mut Formatter<'_>, other: Option<&Value>) -> fmt::Result {
        let d = &self.date;
        write!(f, "datetime.datetime({}, {}, {}, ", d.year, d.month, d.day)?;
        self.time.write_repr_hms(f)?;
        if self.time.fold {
            f.write_str(", fold=1")?;
        }
        if let Some(tz) = &self.time.tzinfo {
            write!(f, ", tzinfo={tz}")?;
        } else if let Some(tz) = other {
            write!(f, ", tzinfo={tz}")?;
        }
        f.write_char(')')
    }
}

impl DateTime {
    /// An error for a tzinfo Python would refuse (see [`TzInfo::writable`]).
    fn writable(&self) -> Result<(), Error> {
        self.time
            .tzinfo
            .as_ref()
            .map_or(Ok(()), |tz| tz.writable(DATETIME))
    }
}

via_value!(DateTime, "datetime", "datetime", check: DateTime::writable);

/// A `timedelta`, normalised as Python keeps it: `days` carries the sign, `0 <= seconds <
/// 86400`, `0 <= microseconds < 1000000`, and `|days| <= 999999999`.
///
/// ```
/// use pypickle::stdlib::TimeDelta;
/// let d = TimeDelta::new(0, -1, 0)?;
/// assert_eq!((d.days(), d.seconds(), d.microseconds()), (-1, 86399, 0));
/// assert_eq!(d.to_string(), "datetime.timedelta(days=-1, seconds=86399)");
/// assert_eq!(d.total_seconds(), -1.0);
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeDelta {
    days: i32,
    seconds: i32,
    microseconds: i32,
}

impl TimeDelta {
    /// Zero.
    pub const ZERO: TimeDelta = TimeDelta {
        days: 0,
        seconds: 0,
        microseconds: 0,
    };

    /// `timedelta(days, seconds, microseconds)`, normalised; an error if out of Python's range.
    pub fn new(days: i64, seconds: i64, microseconds: i64) -> Result<TimeDelta, Error> {
        let total = i128::from(days) * US_PER_DAY
            + i128::from(seconds) * US_PER_SECOND
            + i128::from(microseconds);
        TimeDelta::from_microseconds(total)
    }

    /// The duration of this many microseconds; an error if out of Python's range.
    pub fn from_microseconds(total: i128) -> Result<TimeDelta, Error> {
        let days = total.div_euclid(US_PER_DAY);
        if days.abs() > MAX_DAYS {
            return Err(invalid(
                TIMEDELTA,
                format_args!("{days} days is out of range (|days| <= 999999999)"),
            ));
        }
        let rest = total.rem_euclid(US_PER_DAY);
        // In range by the checks above.
        Ok(TimeDelta {
            days: days as i32,
            seconds: (rest / US_PER_SECOND) as i32,
            microseconds: (rest % US_PER_SECOND) as i32,
        })
    }

    /// Days (negative for negative durations).
    pub fn days(&self) -> i32 {
        self.days
    }

    /// Seconds, 0-86399.
    pub fn seconds(&self) -> i32 {
        self.seconds
    }

    /// Microseconds, 0-999999.
    pub fn microseconds(&self) -> i32 {
        self.microseconds
    }

    /// The whole duration in microseconds.
    pub fn total_microseconds(&self) -> i128 {
        i128::from(self.days) * US_PER_DAY
            + i128::from(self.seconds) * US_PER_SECOND
            + i128::from(self.microseconds)
    }

    /// The duration in seconds, as Python's `total_seconds()`: the `f64` nearest to the exact
    /// number of microseconds divided by a million.
    pub fn total_seconds(&self) -> f64 {
        let n = self.total_microseconds();
        let x = n.unsigned_abs();
        if x == 0 {
            return 0.0;
        }
        // Scale so the quotient has at least 64 bits, keep a sticky bit for any remainder
        // (below the 53 bits an f64 holds), and let the one conversion round.
        let bits = 128 - x.leading_zeros() as i32;
        let k = 84 - bits;
        let scaled = x << k;
        let m = scaled / 1_000_000;
        let sticky = u128::from(scaled % 1_000_000 != 0);
        let v = (m | sticky) as f64 * 2f64.powi(-k);
        if n < 0 {
            -v
        } else {
            v
        }
    }

    pub(crate) fn from_object(obj: &Object) -> Result<TimeDelta, Error> {
        let args = call_args(obj, TIMEDELTA)?;
        if args.len() > 3 {
            return Err(invalid(
                TIMEDELTA,
                "expected (days, seconds, microseconds) as ints",
            ));
        }
        let mut f = [0i64; 3];
        for (slot, (v, name)) in
            f.iter_mut()
                .zip(args.iter().zip(["days", "seconds", "microseconds"]))
        {
            *slot = int_arg(v, TIMEDELTA, name)?;
        }
        TimeDelta::new(f[0], f[1], f[2])
    }
}

impl From<TimeDelta> for Value {
    /// `datetime.timedelta(days, seconds, microseconds)`, as CPython writes it.
    fn from(d: TimeDelta) -> Value {
        Value::Object(Box::new(call_object(
            "datetime",
            "timedelta",
            vec![d.days.into(), d.seconds.into(), d.microseconds.into()],
        )))
    }
}

impl Display for TimeDelta {
    /// `datetime.timedelta(days=-1, seconds=5)`, `datetime.timedelta(0)`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("datetime.timedelta(")?;
        let mut sep = "";
        for (name, v) in [
            ("days", self.days),
            ("seconds", self.seconds),
            ("microseconds", self.microseconds),
        ] {
            if v != 0 {
                write!(f, "{sep}{name}={v}")?;
                sep = ", ";
            }
        }
        if sep.is_empty() {
            f.write_char('0')?;
        }
        f.write_char(')')
    }
}

via_value!(TimeDelta, "datetime", "timedelta");

/// A fixed-offset `timezone`, with an optional name; `TimeZone::utc()` is `timezone.utc`.
///
/// ```
/// use pypickle::stdlib::{TimeDelta, TimeZone};
/// assert_eq!(TimeZone::utc().to_string(), "datetime.timezone.utc");
/// let est = TimeZone::new(TimeDelta::new(0, -5 * 3600, 0)?, Some("EST".into()))?;
/// assert_eq!(est.to_string(), "datetime.timezone(datetime.timedelta(days=-1, seconds=68400), 'EST')");
/// assert_eq!(est.offset_text(), "-05:00");
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimeZone {
    offset: TimeDelta,
    name: Option<String>,
}

impl TimeZone {
    /// `timezone.utc`.
    pub fn utc() -> TimeZone {
        TimeZone {
            offset: TimeDelta::ZERO,
            name: None,
        }
    }

    /// `timezone(offset[, name])`; the offset must be strictly between -24 and 24 hours.
    pub fn new(offset: TimeDelta, name: Option<String>) -> Result<TimeZone, Error> {
        if offset.total_microseconds().abs() >= US_PER_DAY {
            return Err(invalid(
                TIMEZONE,
                format_args!("offset {offset} is not strictly between -24 and 24 hours"),
            ));
        }
        Ok(TimeZone { offset, name })
    }

    /// The offset from UTC.
    pub fn offset(&self) -> TimeDelta {
        self.offset
    }

    /// The name, if one was given.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// True for `timezone.utc` (offset zero, no name).
    pub fn is_utc(&self) -> bool {
        self.offset == TimeDelta::ZERO && self.name.is_none()
    }

    /// The offset as `isoformat()` ends: `+00:00`, `-05:00`, `+05:30:15.000001`.
    pub fn offset_text(&self) -> String {
        offset_text(self.offset)
    }

    pub(crate) fn from_object(obj: &Object) -> Result<TimeZone, Error> {
        let args = call_args(obj, TIMEZONE)?;
        let (offset, name) = match args {
            [offset] => (offset, None),
            [offset, Value::Str(name)] => (offset, Some(name.clone())),
            _ => {
                return Err(invalid(
                    TIMEZONE,
                    "expected (timedelta,) or (timedelta, name)",
                ))
            }
        };
        let offset = match offset {
            Value::Object(o) if o.class.module == "datetime" && o.class.name == "timedelta" => {
                TimeDelta::from_object(o)?
            }
            _ => return Err(invalid(TIMEZONE, "the offset is not a timedelta")),
        };
        TimeZone::new(offset, name)
    }
}

impl From<TimeZone> for Value {
    /// `datetime.timezone(timedelta[, name])`, as CPython writes it (`timezone.utc` too).
    fn from(tz: TimeZone) -> Value {
        let mut args = vec![tz.offset.into()];
        if let Some(name) = tz.name {
            args.push(Value::Str(name));
        }
        Value::Object(Box::new(call_object("datetime", "timezone", args)))
    }
}

impl Display for TimeZone {
    /// `datetime.timezone.utc`, `datetime.timezone(datetime.timedelta(seconds=3600), 'CET')`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.is_utc() {
            return f.write_str("datetime.timezone.utc");
        }
        write!(f, "datetime.timezone({}", self.offset)?;
        if let Some(name) = &self.name {
            f.write_str(", ")?;
            write_py_str(f, name)?;
        }
        f.write_char(')')
    }
}

via_value!(TimeZone, "datetime", "timezone");

/// An offset as `isoformat()` ends with it: `+00:00`, `-05:00`, `+05:30:15.000001`.
pub(crate) fn offset_text(offset: TimeDelta) -> String {
    let total = offset.total_microseconds();
    let sign = if total < 0 { '-' } else { '+' };
    let total = total.abs();
    let us = total % US_PER_SECOND;
    let secs = total / US_PER_SECOND;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = format!("{sign}{h:02}:{m:02}");
    if s != 0 || us != 0 {
        let _ = write!(out, ":{s:02}");
        if us != 0 {
            let _ = write!(out, ".{us:06}");
        }
    }
    out
}

/// A `zoneinfo.ZoneInfo` zone, kept by its key (`Europe/Paris`).
///
/// CPython pickles it as `getattr(ZoneInfo, '_unpickle')(key, from_cache)`; that is the only
/// shape read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ZoneInfo {
    key: String,
    from_cache: bool,
}

impl ZoneInfo {
    /// `ZoneInfo(key)`. The key must have the shape CPython accepts, a normalized relative path
    /// (`Europe/Paris`, not `/etc/x`, `../x`, `a//b` or empty), else this is an error, as
    /// `ZoneInfo(key)` raises ValueError. Whether the tz database has the zone is not checked
    /// (that needs the database).
    pub fn new(key: impl Into<String>) -> Result<ZoneInfo, Error> {
        ZoneInfo::checked(key.into(), true)
    }

    /// `ZoneInfo.no_cache(key)`: Python builds a fresh zone object when it loads it. The key is
    /// checked as by [`ZoneInfo::new`].
    pub fn no_cache(key: impl Into<String>) -> Result<ZoneInfo, Error> {
        ZoneInfo::checked(key.into(), false)
    }

    /// As CPython's `zoneinfo` checks a key before it looks for the file: not absolute, every
    /// part of the path a name (no empty, `.` or `..` part); and no NUL, which no file name holds.
    fn checked(key: String, from_cache: bool) -> Result<ZoneInfo, Error> {
        let bad = key.starts_with('/')
            || key.contains('\0')
            || key.split('/').any(|part| matches!(part, "" | "." | ".."));
        if bad {
            return Err(invalid(
                ZONEINFO,
                format_args!("{key:?} is not a zone key (a normalized relative path)"),
            ));
        }
        Ok(ZoneInfo { key, from_cache })
    }

    /// The key, such as `Europe/Paris`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// False for a zone made with `ZoneInfo.no_cache`.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    pub(crate) fn from_object(obj: &Object) -> Result<ZoneInfo, Error> {
        match call_args(obj, ZONEINFO)? {
            [Value::Str(key), flag] => {
                let from_cache = match flag {
                    Value::Bool(b) => *b,
                    Value::Int(i) => *i != 0,
                    _ => return Err(invalid(ZONEINFO, "from_cache is not a bool or int")),
                };
                ZoneInfo::checked(key.clone(), from_cache)
            }
            _ => Err(invalid(ZONEINFO, "expected (key, from_cache)")),
        }
    }
}

impl From<ZoneInfo> for Value {
    /// `getattr(zoneinfo.ZoneInfo, '_unpickle')(key, 1)`, as CPython writes it.
    fn from(z: ZoneInfo) -> Value {
        Value::Object(Box::new(call_object(
            "zoneinfo",
            "ZoneInfo._unpickle",
            vec![Value::Str(z.key), Value::Int(i64::from(z.from_cache))],
        )))
    }
}

impl Display for ZoneInfo {
    /// `zoneinfo.ZoneInfo(key='Europe/Paris')`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("zoneinfo.ZoneInfo(key=")?;
        write_py_str(f, &self.key)?;
        f.write_char(')')
    }
}

via_value!(ZoneInfo, "zoneinfo", "ZoneInfo._unpickle");

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(state: &[u8], tz: Option<Value>) -> Object {
        let mut args = vec![Value::Bytes(state.to_vec())];
        args.extend(tz);
        call_object("datetime", "datetime", args)
    }

    #[test]
    fn datetime_repr_drops_zero_seconds_and_microseconds_like_python() {
        let d = |s, us| DateTime::new(2026, 1, 2, 3, 4, s, us).unwrap().to_string();
        assert_eq!(d(0, 0), "datetime.datetime(2026, 1, 2, 3, 4)");
        assert_eq!(d(5, 0), "datetime.datetime(2026, 1, 2, 3, 4, 5)");
        assert_eq!(d(0, 7), "datetime.datetime(2026, 1, 2, 3, 4, 0, 7)");
        let t = Time::new(0, 0, 0, 1)
            .unwrap()
            .with_fold(true)
            .with_tzinfo(TimeZone::utc());
        assert_eq!(
            t.to_string(),
            "datetime.time(0, 0, 0, 1, tzinfo=datetime.timezone.utc, fold=1)"
        );
        assert_eq!(t.isoformat(), "00:00:00.000001+00:00");
    }

    #[test]
    fn state_bytes_round_trip_with_fold() {
        let x = DateTime::new(9999, 12, 31, 23, 59, 59, 999_999)
            .unwrap()
            .with_fold(true);
        let state = x.state();
        assert_eq!(state, [0x27, 0x0f, 0x8c, 31, 23, 59, 59, 0x0f, 0x42, 0x3f]);
        let back = DateTime::from_object(&dt(&state, None)).unwrap();
        assert_eq!(back, x);
        assert!(back.fold());
        // Python 2 pickles: the state is a latin-1 str.
        let s: String = state.iter().map(|&b| char::from(b)).collect();
        let py2 = call_object("datetime", "datetime", vec![Value::Str(s)]);
        assert_eq!(DateTime::from_object(&py2).unwrap(), x);
    }

    #[test]
    fn bad_states_are_errors() {
        let ok = [0x07, 0xea, 0x0b, 0x17, 0x0c, 0, 0, 0, 0, 0];
        assert!(DateTime::from_object(&dt(&ok, None)).is_ok());
        assert!(DateTime::from_object(&dt(&ok[..9], None)).is_err());
        for (i, bad) in [
            (2, 13),
            (2, 0),
            (3, 31),
            (4, 24),
            (5, 60),
            (6, 60),
            (7, 0x10),
        ] {
            let mut s = ok;
            s[i] = bad;
            let e = DateTime::from_object(&dt(&s, None)).unwrap_err();
            assert_eq!(e.category(), crate::Category::Type, "{e}");
        }
        let e = DateTime::from_object(&dt(&ok, Some(Value::Int(1)))).unwrap_err();
        assert!(e.to_string().contains("tzinfo"), "{e}");
        let date = call_object("datetime", "date", vec![Value::Bytes(vec![0, 0, 1, 1])]);
        assert!(Date::from_object(&date)
            .unwrap_err()
            .to_string()
            .contains("year 0"));
        let leap = call_object("datetime", "date", vec![Value::Bytes(vec![7, 0xd0, 2, 29])]);
        assert_eq!(
            Date::from_object(&leap).unwrap(),
            Date::new(2000, 2, 29).unwrap()
        );
        let not_leap = call_object("datetime", "date", vec![Value::Bytes(vec![7, 0x6c, 2, 29])]);
        assert!(Date::from_object(&not_leap).is_err());
    }

    #[test]
    fn timedelta_normalises_like_python() {
        let d = |a, b, c| TimeDelta::new(a, b, c).unwrap();
        assert_eq!(
            d(0, 0, -1).to_string(),
            "datetime.timedelta(days=-1, seconds=86399, microseconds=999999)"
        );
        assert_eq!(d(0, 0, 0).to_string(), "datetime.timedelta(0)");
        assert_eq!(
            d(0, 0, 1_000_000).to_string(),
            "datetime.timedelta(seconds=1)"
        );
        assert_eq!(d(1, 86400, 0).to_string(), "datetime.timedelta(days=2)");
        assert_eq!(d(0, 0, 5).to_string(), "datetime.timedelta(microseconds=5)");
        assert_eq!(d(-1, 5, 0).total_seconds(), -86395.0);
        assert_eq!(d(0, 0, 1).total_seconds(), 1e-6);
        // Beyond 2^53 microseconds a plain division would round twice (CPython: -86399999913600.0).
        assert_eq!(d(-999_999_999, 0, 0).total_seconds(), -86399999913600.0);
        assert_eq!(
            d(999_999_999, 86399, 999_999).total_seconds(),
            86400000000000.0
        );
        assert_eq!(d(0, 0, 3).total_seconds(), 3e-6);
        assert_eq!(d(0, 1, 100_000).total_seconds(), 1.1);
        assert!(TimeDelta::new(999_999_999, 86399, 999_999).is_ok());
        assert!(TimeDelta::new(999_999_999, 86400, 0).is_err());
        assert!(TimeDelta::new(-999_999_999, 0, 0).is_ok());
        assert!(TimeDelta::new(-999_999_999, 0, -1).is_err());
        assert!(TimeDelta::new(i64::MAX, i64::MAX, i64::MAX).is_err());
    }

    #[test]
    fn timezone_offsets_print_like_isoformat() {
        let tz = |s, us| TimeZone::new(TimeDelta::new(0, s, us).unwrap(), None).unwrap();
        assert_eq!(tz(0, 0).offset_text(), "+00:00");
        assert_eq!(tz(-3600, 0).offset_text(), "-01:00");
        assert_eq!(tz(-3600, 5).offset_text(), "-00:59:59.999995");
        assert_eq!(tz(19815, 1).offset_text(), "+05:30:15.000001");
        assert_eq!(
            tz(-3600, 5).to_string(),
            "datetime.timezone(datetime.timedelta(days=-1, seconds=82800, microseconds=5))"
        );
        assert!(TimeZone::new(TimeDelta::new(1, 0, 0).unwrap(), None).is_err());
        assert!(TimeZone::new(TimeDelta::new(-1, 0, 0).unwrap(), None).is_err());
        let named = TimeZone::new(TimeDelta::ZERO, Some("it's".into())).unwrap();
        assert_eq!(
            named.to_string(),
            "datetime.timezone(datetime.timedelta(0), \"it's\")"
        );
    }
}
