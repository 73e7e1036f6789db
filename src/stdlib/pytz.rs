//! `pytz` time zones, as `pytz` pickles them (Django before 4.0 made every aware datetime with
//! one). Nothing of `pytz` is needed or looked up: a localized zone's pickle carries its
//! offset, and that is what is read.

use std::fmt::{self, Display, Formatter};

use super::TimeDelta;
use super::{call_args, call_object, int_arg, invalid};
use crate::error::Error;
use crate::value::{Object, Value};

const PYTZ: &str = "pytz time zone";

/// Whether `pytz.name` is one of the callables `pytz` pickles a zone with.
pub(crate) fn is_pytz(name: &str) -> bool {
    matches!(name, "_p" | "_UTC" | "FixedOffset")
}

/// A `pytz` time zone.
///
/// ```
/// use pypickle::stdlib::{DateTime, PytzZone};
/// // pytz.timezone('America/New_York').localize(datetime(2024, 3, 1, 12, 30)), pickled at 2
/// let data = b"\x80\x02cdatetime\ndatetime\nq\x00c_codecs\nencode\nq\x01X\x0b\x00\x00\x00\x07\xc3\xa8\x03\x01\x0c\x1e\x00\x00\x00\x00q\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04Rq\x05cpytz\n_p\nq\x06(X\x10\x00\x00\x00America/New_Yorkq\x07J\xb0\xb9\xff\xffK\x00X\x03\x00\x00\x00ESTq\x08tq\tRq\n\x86q\x0bRq\x0c.";
/// let dt: DateTime = pypickle::from_slice(data)?;
/// assert_eq!(dt.isoformat(), "2024-03-01T12:30:00-05:00");
/// assert_eq!(
///     dt.to_string(),
///     "datetime.datetime(2024, 3, 1, 12, 30, tzinfo=<DstTzInfo 'America/New_York' EST-1 day, 19:00:00 STD>)"
/// );
/// assert_eq!(PytzZone::Utc.to_string(), "<UTC>");
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PytzZone {
    /// `pytz.utc`, pickled as `pytz._UTC()`.
    Utc,
    /// `pytz.FixedOffset(minutes)`: minutes east of UTC, -1439 to 1439.
    Fixed(i32),
    /// A zone whose offset changes over time (`DstTzInfo`) at one of its offsets, as
    /// `localize` and `astimezone` give it: pickled as `pytz._p(zone, utcoffset, dst, tzname)`,
    /// the offsets in seconds.
    Localized {
        /// The zone's name, such as `America/New_York`.
        zone: String,
        /// Seconds east of UTC, daylight saving included.
        utcoffset: i32,
        /// The daylight saving part of `utcoffset`, in seconds (0 for standard time).
        dst: i32,
        /// The abbreviation, such as `EST`.
        tzname: String,
    },
    /// A zone by its name alone (`StaticTzInfo`), pickled as `pytz._p(zone)`: its offset needs
    /// the tz database, which this crate does not carry. It prints as pytz prints a
    /// `StaticTzInfo` (`<StaticTzInfo 'Etc/GMT+5'>`); pytz itself never pickles another zone
    /// so, and what such a pickle of a zone with daylight saving time would load as (and
    /// print) in Python depends on the tz database.
    Named(String),
}

/// Seconds in a day, which no offset reaches.
const DAY: i64 = 86_400;

impl PytzZone {
    /// The offset from UTC, where the pickle carries it (all but [`PytzZone::Named`]).
    pub fn utcoffset(&self) -> Option<TimeDelta> {
        let seconds = match self {
            PytzZone::Utc => 0,
            PytzZone::Fixed(minutes) => i64::from(*minutes) * 60,
            PytzZone::Localized { utcoffset, .. } => i64::from(*utcoffset),
            PytzZone::Named(_) => return None,
        };
        TimeDelta::new(0, seconds, 0).ok()
    }

    /// The offset as `isoformat()` ends with it (`-05:00`), where the pickle carries it.
    pub(crate) fn offset_text(&self) -> Option<String> {
        Some(super::offset_text(self.utcoffset()?))
    }

    /// An error for what `pytz` would not load: a fixed offset or a localized zone's offset
    /// of a day or more.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let within = |seconds: i64| seconds.abs() < DAY;
        let ok = match self {
            PytzZone::Fixed(minutes) => within(i64::from(*minutes) * 60),
            PytzZone::Localized { utcoffset, dst, .. } => {
                within(i64::from(*utcoffset)) && within(i64::from(*dst))
            }
            PytzZone::Utc | PytzZone::Named(_) => true,
        };
        if ok {
            Ok(())
        } else {
            Err(invalid(
                PYTZ,
                format_args!("offset of a day or more in {self}"),
            ))
        }
    }

    pub(crate) fn from_object(obj: &Object) -> Result<PytzZone, Error> {
        if obj.class.module != "pytz" {
            return Err(invalid(PYTZ, format_args!("{} is no pytz zone", obj.class)));
        }
        let args = call_args(obj, PYTZ)?;
        let seconds = |v: &Value, field: &str| {
            let s = int_arg(v, PYTZ, field)?;
            i32::try_from(s)
                .ok()
                .filter(|s| i64::from(*s).abs() < DAY)
                .ok_or_else(|| invalid(PYTZ, format_args!("{field} {s} is a day or more")))
        };
        // A Python 2 pickle read with `Py2Strings::Bytes` holds the names as bytes.
        let text = |v: &Value| match v {
            Value::Str(s) => Some(s.clone()),
            Value::Bytes(b) => String::from_utf8(b.clone()).ok(),
            _ => None,
        };
        let zone = match (obj.class.name.as_str(), args) {
            ("_UTC", []) => PytzZone::Utc,
            ("FixedOffset", [minutes]) => {
                let m = int_arg(minutes, PYTZ, "offset")?;
                match i32::try_from(m).ok().filter(|m| m.abs() < 1440) {
                    Some(m) => PytzZone::Fixed(m),
                    None => return Err(invalid(PYTZ, format_args!("offset {m} minutes"))),
                }
            }
            // `_p(zone, None, None, None)` is pytz's zone by name too.
            ("_p", [zone] | [zone, Value::None, Value::None, Value::None])
                if text(zone).is_some() =>
            {
                PytzZone::Named(text(zone).unwrap_or_default())
            }
            ("_p", [zone, utcoffset, dst, tzname])
                if text(zone).is_some() && text(tzname).is_some() =>
            {
                PytzZone::Localized {
                    zone: text(zone).unwrap_or_default(),
                    utcoffset: seconds(utcoffset, "utcoffset")?,
                    dst: seconds(dst, "dst")?,
                    tzname: text(tzname).unwrap_or_default(),
                }
            }
            (name, _) => {
                return Err(invalid(
                    PYTZ,
                    format_args!("pytz.{name} with arguments pytz does not pickle"),
                ))
            }
        };
        Ok(zone)
    }

    /// The zone's plain form: its name (`UTC` for `pytz.utc`), or the offset of a fixed one
    /// (`+01:30`).
    pub(crate) fn plain(&self) -> Value {
        Value::Str(match self {
            PytzZone::Utc => "UTC".into(),
            PytzZone::Fixed(_) => self.offset_text().unwrap_or_default(),
            PytzZone::Localized { zone, .. } | PytzZone::Named(zone) => zone.clone(),
        })
    }
}

/// Python's `str()` of a `timedelta` of whole seconds: `19:00:00`, `-1 day, 19:00:00`.
fn timedelta_str(seconds: i64) -> String {
    let (days, rest) = (seconds.div_euclid(DAY), seconds.rem_euclid(DAY));
    let clock = format!("{}:{:02}:{:02}", rest / 3600, rest / 60 % 60, rest % 60);
    match days {
        0 => clock,
        1 | -1 => format!("{days} day, {clock}"),
        _ => format!("{days} days, {clock}"),
    }
}

impl Display for PytzZone {
    /// pytz's `repr()`: `<UTC>`, `pytz.FixedOffset(-330)`,
    /// `<DstTzInfo 'America/New_York' EST-1 day, 19:00:00 STD>`, `<StaticTzInfo 'EST'>`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            // `FixedOffset(0)` is `pytz.utc` itself.
            PytzZone::Utc | PytzZone::Fixed(0) => f.write_str("<UTC>"),
            PytzZone::Fixed(minutes) => write!(f, "pytz.FixedOffset({minutes})"),
            PytzZone::Localized {
                zone,
                utcoffset,
                dst,
                tzname,
            } => write!(
                f,
                "<DstTzInfo {} {tzname}{}{} {}>",
                Value::Str(zone.clone()),
                if *utcoffset > 0 { "+" } else { "" },
                timedelta_str(i64::from(*utcoffset)),
                if *dst != 0 { "DST" } else { "STD" }
            ),
            PytzZone::Named(zone) => write!(f, "<StaticTzInfo {}>", Value::Str(zone.clone())),
        }
    }
}

impl From<PytzZone> for Value {
    /// The call `pytz` pickles the zone as.
    fn from(z: PytzZone) -> Value {
        let (name, args) = match z {
            PytzZone::Utc => ("_UTC", vec![]),
            PytzZone::Fixed(minutes) => ("FixedOffset", vec![Value::Int(i64::from(minutes))]),
            PytzZone::Localized {
                zone,
                utcoffset,
                dst,
                tzname,
            } => (
                "_p",
                vec![
                    Value::Str(zone),
                    Value::Int(i64::from(utcoffset)),
                    Value::Int(i64::from(dst)),
                    Value::Str(tzname),
                ],
            ),
            PytzZone::Named(zone) => ("_p", vec![Value::Str(zone)]),
        };
        Value::Object(Box::new(call_object("pytz", name, args)))
    }
}

impl TryFrom<&Value> for PytzZone {
    type Error = Error;
    fn try_from(v: &Value) -> Result<PytzZone, Error> {
        match v {
            Value::Object(o) => PytzZone::from_object(o),
            other => Err(invalid(
                PYTZ,
                format_args!("expected a pytz zone, found {}", other.type_name()),
            )),
        }
    }
}

super::via_value!(PytzZone, check: PytzZone::check);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timedelta_str_is_pythons() {
        assert_eq!(timedelta_str(-18000), "-1 day, 19:00:00");
        assert_eq!(timedelta_str(3600), "1:00:00");
        assert_eq!(timedelta_str(0), "0:00:00");
        assert_eq!(timedelta_str(-2 * DAY + 5), "-2 days, 0:00:05");
        let z = |utcoffset| PytzZone::Localized {
            zone: "X".into(),
            utcoffset,
            dst: 0,
            tzname: "X".into(),
        };
        assert_eq!(z(-19800).offset_text().unwrap(), "-05:30");
        assert_eq!(z(3601).offset_text().unwrap(), "+01:00:01");
        assert_eq!(PytzZone::Fixed(90).offset_text().unwrap(), "+01:30");
        assert_eq!(PytzZone::Named("EST".into()).offset_text(), None);
    }
}
