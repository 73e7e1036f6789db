//! Conversions between the `datetime` types and `std::time`: a [`TimeDelta`] and a
//! [`Duration`], an aware [`DateTime`] and a [`SystemTime`].
//!
//! Python keeps microseconds and `std::time` nanoseconds. The `TryFrom` conversions are exact:
//! a `Duration` or `SystemTime` with nanoseconds below a microsecond is an error, never
//! rounded. [`TimeDelta::from_duration_floor`] and [`DateTime::from_system_time_floor`] take
//! the microsecond at or before instead, as `datetime.now(timezone.utc)` reads the clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::datetime::{DateTime, TimeDelta, TimeZone, TzInfo};
use super::invalid;
use crate::error::Error;

const TIMEDELTA: &str = "datetime.timedelta";
const DATETIME: &str = "datetime.datetime";

const US_PER_SECOND: i128 = 1_000_000;
const US_PER_DAY: i128 = 86_400 * US_PER_SECOND;

/// Days from 1970-01-01 to the proleptic Gregorian `year-month-day` (negative before it).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Count years from March, so that a leap day is the last day of its year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400; // 0..=399
    let shifted_month = i64::from((month + 9) % 12); // March is 0
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1; // 0..=365
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 days from 0000-03-01 to 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian `(year, month, day)` `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097; // 0..=146096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March is 0
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The error for a duration or instant `below` nanoseconds past a whole microsecond.
fn below_a_microsecond(what: &str, below: u32) -> Error {
    invalid(
        what,
        format_args!(
            "{below} ns below a microsecond, which Python does not keep \
             (use the `_floor` conversion, or round it first)"
        ),
    )
}

/// A `Duration` in whole microseconds, or the error for the nanoseconds it has beyond them.
fn exact_micros(d: Duration, what: &str) -> Result<i128, Error> {
    match d.subsec_nanos() % 1000 {
        0 => Ok(d.as_micros() as i128),
        below => Err(below_a_microsecond(what, below)),
    }
}

/// Microseconds from the Unix epoch to `t` (negative before it): exact, or floored.
fn micros_since_epoch(t: SystemTime, floor: bool) -> Result<i128, Error> {
    let (d, after) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d, true),
        Err(e) => (e.duration(), false),
    };
    let us = d.as_micros() as i128;
    let past = d.subsec_nanos() % 1000;
    if past == 0 {
        return Ok(if after { us } else { -us });
    }
    if !floor {
        // Before the epoch, `past` nanoseconds short of a microsecond back from 1970.
        let below = if after { past } else { 1000 - past };
        return Err(below_a_microsecond(DATETIME, below));
    }
    // Before the epoch, the microsecond at or before lies one further back.
    Ok(if after { us } else { -us - 1 })
}

/// The UTC datetime `us` microseconds after the Unix epoch.
fn utc_from_micros(us: i128) -> Result<DateTime, Error> {
    let days = us.div_euclid(US_PER_DAY);
    let rest = us.rem_euclid(US_PER_DAY);
    let (year, month, day) = match i64::try_from(days) {
        Ok(days) if (-719_162..=2_932_896).contains(&days) => civil_from_days(days),
        // Beyond 0001-01-01 .. 9999-12-31 (and far enough beyond not to overflow).
        _ => {
            return Err(invalid(
                DATETIME,
                "outside the years 1-9999 a datetime holds",
            ))
        }
    };
    let seconds = rest / US_PER_SECOND;
    DateTime::new(
        year as u16,
        month as u8,
        day as u8,
        (seconds / 3600) as u8,
        (seconds / 60 % 60) as u8,
        (seconds % 60) as u8,
        (rest % US_PER_SECOND) as u32,
    )
    .map(|dt| dt.with_tzinfo(TimeZone::utc()))
}

impl TimeDelta {
    /// The duration `d`, to the microsecond at or below it (a `timedelta` keeps no
    /// nanoseconds); an error beyond 999,999,999 days. `TimeDelta::try_from(d)` refuses
    /// nanoseconds instead.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pypickle::stdlib::TimeDelta;
    /// let d = TimeDelta::from_duration_floor(Duration::new(90_000, 1_999))?;
    /// assert_eq!(d.to_string(), "datetime.timedelta(days=1, seconds=3600, microseconds=1)");
    /// assert!(TimeDelta::try_from(Duration::new(90_000, 1_999)).is_err());
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn from_duration_floor(d: Duration) -> Result<TimeDelta, Error> {
        TimeDelta::from_microseconds(d.as_micros() as i128)
    }
}

impl TryFrom<Duration> for TimeDelta {
    type Error = Error;

    /// The same duration: an error if it has nanoseconds below a microsecond, or is beyond
    /// 999,999,999 days.
    fn try_from(d: Duration) -> Result<TimeDelta, Error> {
        TimeDelta::from_microseconds(exact_micros(d, TIMEDELTA)?)
    }
}

impl TryFrom<TimeDelta> for Duration {
    type Error = Error;

    /// The same duration: an error if it is negative, which a `Duration` cannot be.
    fn try_from(d: TimeDelta) -> Result<Duration, Error> {
        let us = d.total_microseconds();
        if us < 0 {
            return Err(invalid(
                TIMEDELTA,
                format_args!("{d} is negative, which a Duration cannot be"),
            ));
        }
        // At most 999,999,999 days: the seconds fit a u64.
        Ok(Duration::new(
            (us / US_PER_SECOND) as u64,
            (us % US_PER_SECOND) as u32 * 1000,
        ))
    }
}

impl DateTime {
    /// The instant `t` as a UTC datetime (`tzinfo=datetime.timezone.utc`), to the microsecond
    /// at or before it, as `datetime.now(timezone.utc)` reads the clock; an error outside
    /// the years 1-9999. `DateTime::try_from(t)` refuses nanoseconds instead.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use pypickle::stdlib::DateTime;
    /// let t = UNIX_EPOCH + Duration::new(1_795_000_000, 123_456_789);
    /// let dt = DateTime::from_system_time_floor(t)?;
    /// assert_eq!(dt.to_string(), "datetime.datetime(2026, 11, 18, 11, 6, 40, 123456, tzinfo=datetime.timezone.utc)");
    /// // And back, to the microsecond kept.
    /// assert_eq!(SystemTime::try_from(&dt)?, UNIX_EPOCH + Duration::new(1_795_000_000, 123_456_000));
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn from_system_time_floor(t: SystemTime) -> Result<DateTime, Error> {
        utc_from_micros(micros_since_epoch(t, true)?)
    }

    /// Microseconds from the Unix epoch to this datetime, if it is aware with a fixed offset.
    fn micros_since_epoch(&self) -> Result<i128, Error> {
        let offset = match self.tzinfo() {
            Some(TzInfo::TimeZone(tz)) => tz.offset().total_microseconds(),
            Some(TzInfo::Pytz(z)) => match z.utcoffset() {
                Some(offset) => offset.total_microseconds(),
                None => {
                    return Err(invalid(
                        DATETIME,
                        format_args!(
                        "the offset of {z} needs the tz database, which this crate does not carry"
                    ),
                    ))
                }
            },
            None => {
                return Err(invalid(
                    DATETIME,
                    "a naive datetime is no instant: give it a tzinfo \
                     (`with_tzinfo(TimeZone::utc())` if it is UTC)",
                ))
            }
            Some(TzInfo::ZoneInfo(z)) => {
                return Err(invalid(
                    DATETIME,
                    format_args!(
                        "the offset of zone {:?} needs the tz database, which this crate does \
                         not carry",
                        z.key()
                    ),
                ))
            }
            Some(TzInfo::Other(_)) => {
                return Err(invalid(
                    DATETIME,
                    "the offset of a tzinfo of another class is its code's, which this crate \
                     never runs",
                ))
            }
        };
        let days = days_from_civil(
            i64::from(self.year()),
            u32::from(self.month()),
            u32::from(self.day()),
        );
        let seconds = i64::from(self.hour()) * 3600
            + i64::from(self.minute()) * 60
            + i64::from(self.second());
        let local = i128::from(days) * US_PER_DAY
            + i128::from(seconds) * US_PER_SECOND
            + i128::from(self.microsecond());
        Ok(local - offset)
    }
}

impl TryFrom<SystemTime> for DateTime {
    type Error = Error;

    /// The instant `t` as a UTC datetime: an error if it has nanoseconds below a microsecond
    /// (see [`DateTime::from_system_time_floor`]) or lies outside the years 1-9999.
    fn try_from(t: SystemTime) -> Result<DateTime, Error> {
        utc_from_micros(micros_since_epoch(t, false)?)
    }
}

impl TryFrom<&DateTime> for SystemTime {
    type Error = Error;

    /// The instant an aware datetime with a fixed offset (`datetime.timezone`) names, as
    /// Python's `timestamp()` computes it (`fold` changes nothing for a fixed offset). A naive
    /// datetime, a `zoneinfo` zone (whose offsets need the tz database) or another tzinfo
    /// class is an error, and so is an instant this platform's `SystemTime` cannot hold.
    fn try_from(dt: &DateTime) -> Result<SystemTime, Error> {
        let us = dt.micros_since_epoch()?;
        let span = Duration::new(
            (us.unsigned_abs() / US_PER_SECOND as u128) as u64,
            (us.unsigned_abs() % US_PER_SECOND as u128) as u32 * 1000,
        );
        let t = if us >= 0 {
            UNIX_EPOCH.checked_add(span)
        } else {
            UNIX_EPOCH.checked_sub(span)
        };
        t.ok_or_else(|| {
            invalid(
                DATETIME,
                format_args!("{dt} is beyond this platform's SystemTime"),
            )
        })
    }
}

impl TryFrom<DateTime> for SystemTime {
    type Error = Error;

    /// As for `&DateTime`.
    fn try_from(dt: DateTime) -> Result<SystemTime, Error> {
        SystemTime::try_from(&dt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_agree_both_ways_over_all_years_a_datetime_holds() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1, 1, 1), -719_162);
        assert_eq!(days_from_civil(9999, 12, 31), 2_932_896);
        // Every day from 0001-01-01 to 9999-12-31, in order, each the next day's predecessor.
        let mut expect = (1i64, 1u32, 1u32);
        for days in -719_162..=2_932_896 {
            assert_eq!(civil_from_days(days), expect, "{days}");
            assert_eq!(days_from_civil(expect.0, expect.1, expect.2), days);
            let (y, m, d) = expect;
            let month_days = match m {
                2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            expect = match (d == month_days, m == 12) {
                (false, _) => (y, m, d + 1),
                (true, false) => (y, m + 1, 1),
                (true, true) => (y + 1, 1, 1),
            };
        }
    }
}
