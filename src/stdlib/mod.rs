//! Python's standard library types, out of the box: small Rust types for the objects CPython
//! pickles from `datetime`, `decimal`, `uuid`, `fractions`, `collections`, `pathlib`,
//! `ipaddress` and `array`, plus `range`, `slice` and `pytz`'s time zones.
//!
//! Reading a pickle into a [`Value`] keeps each of these as a [`Value::Object`] (the globals
//! they need are on the default allowlist), and `Value`'s `Display` prints it as CPython's
//! `repr()` would. Each type here converts from such a `Value` (`TryFrom<&Value>`, with an error
//! that names what was expected), converts into the exact object CPython writes (`From<T> for
//! Value`, so CPython's `pickle.loads` rebuilds the same object), implements `Serialize` and
//! `Deserialize` through `Value`, and prints as CPython's `repr()`.
//!
//! ```
//! use pypickle::stdlib::{DateTime, TimeZone};
//! // pickle.dumps(datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone.utc), 4)
//! let data = b"\x80\x04\x95U\x00\x00\x00\x00\x00\x00\x00\x8c\x08datetime\x94\x8c\x08datetime\x94\x93\x94C\n\x07\xea\x0b\x17\x0c\x00\x00\x00\x00\x00\x94h\x00\x8c\x08timezone\x94\x93\x94h\x00\x8c\ttimedelta\x94\x93\x94K\x00K\x00K\x00\x87\x94R\x94\x85\x94R\x94\x86\x94R\x94.";
//! let when: DateTime = pypickle::from_slice(data)?;
//! assert_eq!((when.year(), when.month(), when.day(), when.hour()), (2026, 11, 23, 12));
//! assert_eq!(when.to_string(), "datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone.utc)");
//! assert_eq!(when.isoformat(), "2026-11-23T12:00:00+00:00");
//!
//! // And back: CPython loads this as the same datetime.
//! let again = DateTime::new(2026, 11, 23, 12, 0, 0, 0)?.with_tzinfo(TimeZone::utc());
//! assert_eq!(again, when);
//! let bytes = pypickle::to_vec(&again)?;
//! let v: pypickle::Value = pypickle::from_slice(&bytes)?;
//! assert_eq!(v.to_string(), when.to_string());
//! # Ok::<(), pypickle::Error>(())
//! ```
//!
//! # The types
//!
//! | Python | Rust | pickled by CPython as |
//! |---|---|---|
//! | `datetime.datetime` | [`DateTime`] | `datetime(<10 state bytes>[, tzinfo])` |
//! | `datetime.date` | [`Date`] | `date(<4 state bytes>)` |
//! | `datetime.time` | [`Time`] | `time(<6 state bytes>[, tzinfo])` |
//! | `datetime.timedelta` | [`TimeDelta`] | `timedelta(days, seconds, microseconds)` |
//! | `datetime.timezone` | [`TimeZone`] | `timezone(timedelta[, name])` |
//! | `zoneinfo.ZoneInfo` | [`ZoneInfo`] | `getattr(ZoneInfo, '_unpickle')(key, 1)` |
//! | `pytz` zones | [`PytzZone`] | `pytz._UTC()`, `pytz.FixedOffset(minutes)`, `pytz._p(zone[, utcoffset, dst, tzname])` |
//! | `decimal.Decimal` | [`Decimal`] | `Decimal(str)` |
//! | `uuid.UUID` | [`Uuid`] | `UUID.__new__(UUID)` + state `{'int': n[, 'is_safe': 0 or -1]}` |
//! | `fractions.Fraction` | [`Fraction`] | `Fraction(numerator, denominator)` |
//! | `range` | [`Range`] | `range(start, stop, step)` |
//! | `slice` | [`Slice`] | `slice(start, stop, step)` |
//! | `collections.OrderedDict` | [`OrderedDict`] | `OrderedDict()` + SETITEMS |
//! | `collections.defaultdict` | [`DefaultDict`] | `defaultdict([factory])` + SETITEMS |
//! | `collections.Counter` | [`Counter`] | `Counter(dict)` |
//! | `collections.deque` | [`Deque`] | `deque([(), maxlen])` + APPENDS |
//! | `pathlib.PurePosixPath`, `PosixPath`, `PureWindowsPath`, `WindowsPath` | [`PurePath`] | `PurePosixPath(*parts)` (CPython 3.13: `pathlib._local.PurePosixPath`) |
//! | `ipaddress.IPv4Address`, `IPv6Address` | [`IpAddress`] | `IPv4Address(int)`, `IPv6Address(str)` (an int before CPython 3.11) |
//! | `ipaddress.IPv4Network`, `IPv6Network` | [`IpNetwork`] | `IPv4Network('10.0.0.0/8')` |
//! | `ipaddress.IPv4Interface`, `IPv6Interface` | [`IpInterface`] | `IPv4Interface('192.0.2.1/24')` |
//! | `array.array` | [`Array`] | `array._array_reconstructor(array, typecode, mformat_code, bytes)` from protocol 3, `array(typecode, list)` below |
//!
//! [`Range`] holds `i64` bounds and [`Fraction`] `i128` terms; a range or fraction with bigger
//! ints is refused by them with an error, but stays a `Value` that prints as CPython's `repr()`
//! and has its plain form all the same.
//!
//! [`TimeDelta`] converts to and from [`std::time::Duration`], and an aware [`DateTime`] with a
//! fixed offset to and from [`std::time::SystemTime`] (exactly with `TryFrom`; to the
//! microsecond at or before with [`DateTime::from_system_time_floor`] and
//! [`TimeDelta::from_duration_floor`]).
//!
//! Built-in exception instances (`ValueError('x')`, ...), `types.SimpleNamespace`,
//! `time.struct_time` and compiled `re` patterns are allowed too and stay inert
//! [`Value::Object`]s, printed as CPython's `repr()` (`namespace(a=1, b='x')`,
//! `re.compile('a+', re.IGNORECASE)`); a namespace reads into a struct or map of its
//! attributes, a struct_time into a tuple (or array, or `Vec`) of its nine fields, a pattern
//! as its pattern. An `array.array` also reads into a `Vec` of its items (a `String` for `u`).
//!
//! Protocols 0-3 cannot carry `fold`: CPython drops it when it writes a `datetime` or `time` at
//! those protocols. These types keep it in the state bytes at every protocol (CPython 3.6+
//! reads it back from any protocol), so a pickle of a folded time written here at protocol 2
//! differs from CPython's by that one bit, and keeps the fold.
//!
//! The conversions are stricter than CPython in one place: CPython checks only the month of a
//! `datetime`'s or `date`'s packed state (and the hour of a `time`'s) and builds an object with
//! an hour of 24 or a February 31 from a corrupt pickle; here every field is checked and such
//! a state is an error (the `Value` keeps it, and prints it as a generic object).
//!
//! `repr()` of `OrderedDict` and the path classes changed across CPython versions; `Display`
//! follows CPython 3.11: `OrderedDict([('a', 1)])` (3.12 prints `OrderedDict({'a': 1})`).
//!
//! # Plain serde form
//!
//! When a Rust type asks for something plain where a pickle holds one of these objects (a
//! `String` field holding a `datetime`, say), the deserializer hands over this form. It is
//! also what these types (and a [`Value`] holding one of their objects) serialize as into
//! another format, and what they deserialize from there:
//!
//! ```
//! use pypickle::stdlib::{Date, Decimal};
//! #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
//! struct Row { day: Date, price: Decimal }
//! let row = Row { day: Date::new(2026, 11, 23)?, price: "9.99".parse()? };
//! let json = serde_json::to_string(&row).unwrap();
//! assert_eq!(json, r#"{"day":"2026-11-23","price":"9.99"}"#);
//! assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
//! # Ok::<(), pypickle::Error>(())
//! ```
//!
//! | Python object | plain form |
//! |---|---|
//! | `datetime` | ISO 8601 `str`, as `isoformat()`: `2026-11-23T12:00:00+00:00`; naive without offset; a `zoneinfo` zone as `2026-11-01T01:30:00[America/New_York]` (its offset needs the tz database; `fold` is not shown); no offset for another tzinfo class |
//! | `date` | `str`, `2026-11-23` |
//! | `time` | `str`, `12:00:00.000001+01:00`; a `zoneinfo` zone as `12:00:00[Europe/Paris]` |
//! | `timedelta` | `float`: total seconds, as `total_seconds()` (negative for negative durations) |
//! | `timezone` | `str`, the offset: `+00:00`, `-05:00`, `+05:30:15.000001` (the name is dropped) |
//! | `zoneinfo.ZoneInfo` | `str`, the key: `Europe/Paris` |
//! | a `pytz` zone | `str`: its name (`America/New_York`), `UTC` for `pytz.utc`, the offset of a `FixedOffset` (`-05:30`); in a datetime's ISO text, the offset a localized zone pickles with it (`[Etc/GMT+5]` for a zone pickled by name alone, and for a localized zone on a `time`, whose offset depends on the date) |
//! | `Decimal` | `str`, as Python's `str()`: `-0.00`, `1E+3`, `NaN`, `-Infinity`, `sNaN` |
//! | `UUID` | `str`, hyphenated lower-case |
//! | `Fraction` | `str`, `"numerator/denominator"`, always with the denominator (`"3/1"`) |
//! | paths | `str`, as Python's `str()` (`\` separators for Windows paths) |
//! | `range`, `slice` | `(start, stop, step)` tuple (a slice's items as they are, `None` included) |
//! | `time.struct_time` | its nine fields as a tuple, as `tuple(t)` (no `tm_zone`, `tm_gmtoff`) |
//! | `re.Pattern` | its pattern, a `str` or `bytes` (the flags are left out) |
//! | `array.array` | its items, a list (a `str` for typecodes `u` and `w`); [`Array`] reads back `q` for ints (`Q` past `i64`), `d` if one is a float or there are none, `u` for a str |
//! | `ipaddress` addresses, networks, interfaces | `str`, as Python's `str()`: `192.0.2.1`, `fe80::1%eth0`, `10.0.0.0/8`; a `std::net::IpAddr` field reads an address this way |
//!
//! Collections read as the dicts and lists they hold, and serialize as them into another
//! format (an `OrderedDict`, `defaultdict` or `Counter` as a map, a `deque` as a list).
//! A `SimpleNamespace` is the map of its attributes there, an `array.array` the list of its
//! items (the str for `u`). Exceptions have no plain form.
//!
//! [`DateTime`], [`Date`], [`Time`], [`TimeZone`], [`ZoneInfo`], [`Uuid`] and [`Fraction`] also parse these
//! spellings with `str::parse`, as [`Decimal`] does. `Display` is Python's `repr()`
//! (`datetime.date(2026, 11, 23)`), which `parse` does not take: the plain form to hand it is
//! `isoformat()`, `hyphenated()`, `key()`, or the `Fraction`'s `"n/d"`.
//!
//! ```
//! use pypickle::stdlib::{DateTime, Uuid};
//! let dt: DateTime = "2026-11-23T12:00:00+01:00".parse()?;
//! assert_eq!(dt.to_string(), "datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(seconds=3600)))");
//! let id: Uuid = "{12345678-1234-5678-1234-567812345678}".parse()?;
//! assert_eq!(id.hyphenated(), "12345678-1234-5678-1234-567812345678");
//! assert!("2026-02-30".parse::<DateTime>().is_err());
//! # Ok::<(), pypickle::Error>(())
//! ```
//!
//! Read back from another format, each type takes its plain form, and the other spellings
//! Python 3.11's `fromisoformat` and `UUID(str)` take (any one character for the `T`, a date
//! alone for a `datetime`, the basic forms `YYYYMMDD` and `HHMMSS`, offsets `+05` and
//! `+0530`, `Z`, a fraction of any length of which six digits are kept, week dates
//! `2024-W01-1` and `2024W011`, `{...}`, `urn:uuid:`), an int or float for a `Decimal`, an
//! int for a `Fraction`; a
//! `timedelta`'s seconds are rounded to the microsecond as `timedelta(seconds=x)` rounds
//! them. What the plain form leaves out comes back as its
//! default: no timezone name, `fold` 0, no `defaultdict` factory or `deque` bound, `is_safe`
//! unknown, a zone from the cache; a path in the flavour `PurePath(str)` makes on the system
//! (POSIX, or Windows on Windows).

use std::fmt;

use crate::error::{Error, ErrorCode};
use crate::value::{Global, Made, Object, Value};

mod array;
mod collections;
mod datetime;
mod decimal;
mod exception;
mod fraction;
mod ipaddress;
mod namespace;
mod path;
mod pattern;
mod plain;
mod pytz;
mod range;
mod std_time;
mod struct_time;
mod uuid;

pub(crate) use self::array::list_form as array_list_form;
pub use self::array::{Array, ArrayItems};
pub(crate) use self::collections::{has_constructor_items, into_constructor_items};
pub use self::collections::{Counter, DefaultDict, Deque, OrderedDict};
pub(crate) use self::datetime::{normalize_state, offset_text};
pub use self::datetime::{Date, DateTime, Time, TimeDelta, TimeZone, TzInfo, ZoneInfo};
pub use self::decimal::Decimal;
pub use self::fraction::Fraction;
pub use self::ipaddress::{IpAddress, IpInterface, IpNetwork};
pub use self::path::{PathClass, PurePath};
pub use self::pytz::PytzZone;
pub use self::range::{Range, Slice};
pub use self::uuid::{SafeUuid, Uuid};

/// Whether `module.name` (dotted) is a class's method that CPython pickles as `getattr(cls,
/// name)` at every protocol, where a nested class is named directly from protocol 4: the
/// ones these types write.
pub(crate) fn pickled_by_getattr(module: &str, name: &str) -> bool {
    (module, name) == ("zoneinfo", "ZoneInfo._unpickle")
}

/// Whether `module.name` is one of the standard library globals these types need (checked
/// after Python 2 names are mapped to Python 3 ones).
pub(crate) fn is_allowed(module: &str, name: &str) -> bool {
    match module {
        "datetime" => matches!(
            name,
            "datetime" | "date" | "time" | "timedelta" | "timezone"
        ),
        "decimal" => name == "Decimal",
        "uuid" => matches!(name, "UUID" | "SafeUUID"),
        "fractions" => name == "Fraction",
        "collections" => matches!(name, "OrderedDict" | "defaultdict" | "Counter" | "deque"),
        // CPython 3.13 names the path classes in `pathlib._local`.
        "pathlib" | "pathlib._local" => path::PathClass::from_name(name).is_some(),
        // CPython writes a zone as `getattr(ZoneInfo, '_unpickle')(key, 1)`. The policy checks
        // `ZoneInfo` itself when the pickle names it, before the getattr, so it is allowed too
        // (as an inert class: a pickle calling it directly gets an inert object).
        "zoneinfo" => matches!(name, "ZoneInfo" | "ZoneInfo._unpickle"),
        "pytz" => pytz::is_pytz(name),
        "builtins" => matches!(name, "range" | "slice") || exception::is_exception(name),
        "types" => name == "SimpleNamespace",
        "time" => name == "struct_time",
        // `re._compile(pattern, flags)`, how CPython pickles a compiled pattern (never called
        // here).
        "re" => name == "_compile",
        "array" => matches!(name, "array" | "_array_reconstructor"),
        "ipaddress" => matches!(
            name,
            "IPv4Address"
                | "IPv6Address"
                | "IPv4Network"
                | "IPv6Network"
                | "IPv4Interface"
                | "IPv6Interface"
        ),
        _ => false,
    }
}

/// Whether instances of the allowed `module.name` may have a plain form ([`into_natural`]):
/// not the collections, namespaces and exceptions, whose items or attributes are what is
/// read of them. Asked before an object is built for its plain form, which for those would
/// build everything below it at every level of nesting, for nothing.
pub(crate) fn may_be_natural(module: &str, name: &str) -> bool {
    let items_or_attributes = matches!(
        (module, name),
        ("collections", _) | ("types", "SimpleNamespace")
    );
    !(items_or_attributes || module == "builtins" && exception::is_exception(name))
}

/// A standard-library class whose instances CPython pickles below protocol 2 as
/// `copyreg._reconstructor(cls, object, None)` and from protocol 2 on as `cls.__new__(cls)`:
/// the writer makes the same choice for an object of it made by `__new__` without arguments.
pub(crate) fn reconstructed_below_protocol_2(class: &Global) -> bool {
    class.module == "uuid" && class.name == "UUID"
}

/// Python's `repr()` of a standard library object; `None` if `obj` is not one of a known class
/// in a shape CPython writes (nothing is written then).
pub(crate) fn repr(obj: &Object, f: &mut fmt::Formatter<'_>) -> Option<fmt::Result> {
    let known = Known::of(obj)?;
    Some(known.fmt(f))
}

/// The bytes an `array.array`'s items take as values (`None` for anything else), for the walk
/// to charge to its budget before making them: the array in the pickle is one value and its
/// bytes, which a million floats made into a million values outgrow.
pub(crate) fn array_bytes(obj: &Object) -> Option<usize> {
    if obj.class.module != "array" {
        return None;
    }
    match Known::of(obj)? {
        Known::Array(a) => Some(a.natural_bytes()),
        _ => None,
    }
}

/// Whether the objects of `module.name` read, whatever is asked of them, as the items their
/// plain form holds (an `array.array`'s items, a `struct_time`'s nine fields), not as their
/// parts.
pub(crate) fn natural_is_items(module: &str, name: &str) -> bool {
    module == "array" || (module, name) == ("time", "struct_time")
}

/// The plain serde form of a scalar-like standard library object (see the module docs), its
/// parts moved into it where they are in it whole (a slice's, a `struct_time`'s): a copy of
/// them at each level of nested objects would cost the size of everything below it, again at
/// every level. The object back if it has no plain form (a collection, say).
pub(crate) fn into_natural(mut obj: Box<Object>) -> Result<Value, Box<Object>> {
    enum Plan {
        Made(Value),
        Slice,
        StructTime,
        Nothing,
    }
    let plan = match Known::of(&obj) {
        Some(Known::Slice(_)) => Plan::Slice,
        Some(Known::StructTime(_)) => Plan::StructTime,
        Some(known) => natural_of(known).map_or(Plan::Nothing, Plan::Made),
        None => Plan::Nothing,
    };
    // Both recognised forms are calls with a tuple of arguments.
    match (plan, std::mem::replace(&mut obj.args, Value::None)) {
        (Plan::Made(v), _) => Ok(v),
        (Plan::Slice, Value::Tuple(args)) => {
            let n = args.len();
            let mut args = args.into_iter();
            let mut next = || args.next().unwrap_or(Value::None);
            let parts = match n {
                1 => [Value::None, next(), Value::None],
                2 => [next(), next(), Value::None],
                _ => [next(), next(), next()],
            };
            Ok(Value::Tuple(parts.into()))
        }
        (Plan::StructTime, Value::Tuple(mut args)) => match args.first_mut() {
            Some(Value::Tuple(fields) | Value::List(fields)) => {
                let mut fields = std::mem::take(fields);
                fields.truncate(struct_time::FIELDS.len());
                Ok(Value::Tuple(fields))
            }
            _ => {
                obj.args = Value::Tuple(args);
                Err(obj)
            }
        },
        (_, args) => {
            obj.args = args;
            Err(obj)
        }
    }
}

/// [`into_natural`] of an object already recognised, made.
fn natural_of(known: Known<'_>) -> Option<Value> {
    Some(match known {
        // Another class's tzinfo adds nothing to isoformat.
        Known::DateTime(x, _) => Value::Str(x.isoformat()),
        Known::Date(x) => Value::Str(x.isoformat()),
        Known::Time(x, _) => Value::Str(x.isoformat()),
        Known::TimeDelta(x) => Value::Float(x.total_seconds()),
        Known::TimeZone(x) => Value::Str(x.offset_text()),
        Known::ZoneInfo(x) => Value::Str(x.key().to_string()),
        Known::Pytz(x) => x.plain(),
        Known::Decimal(x) => Value::Str(x.to_sci_string()),
        Known::Uuid(x) => Value::Str(x.hyphenated()),
        Known::SafeUuid(x) => x.value(),
        Known::Fraction(x) => Value::Str(format!("{}/{}", x.numerator(), x.denominator())),
        Known::Path(x) => Value::Str(x.as_str().to_string()),
        Known::Range(x) => Value::Tuple(vec![x.start.into(), x.stop.into(), x.step.into()]),
        Known::Slice(parts) => Value::Tuple(parts.into_iter().cloned().collect()),
        Known::BigRange(r) => Value::Tuple(r.into_iter().cloned().collect()),
        Known::BigFraction(n, d) => Value::Str(format!("{n}/{d}")),
        Known::Array(x) => x.natural(),
        Known::StructTime(fields) => Value::Tuple(fields.to_vec()),
        Known::Pattern(pattern, _) => (*pattern).clone(),
        Known::IpAddress(x) => Value::Str(x.python_str()),
        Known::IpNetwork(x) => Value::Str(x.python_str()),
        Known::IpInterface(x) => Value::Str(x.python_str()),
        Known::OrderedDict(_)
        | Known::DefaultDict(..)
        | Known::Counter(_)
        | Known::Deque(_)
        | Known::Exception(_)
        | Known::Namespace(_) => return None,
    })
}

/// What a serializer of another format (JSON, ...) gets for a standard library object, where
/// this crate's own get the object itself (see `value/ser.rs`): the plain form of a scalar-like
/// one (see the module docs), the entries of an `OrderedDict`, `defaultdict` or `Counter`, the
/// items of a `deque`; `None` for anything else.
pub(crate) fn foreign_form(obj: &Object) -> Option<Foreign<'_>> {
    Some(match Known::of(obj)? {
        Known::OrderedDict(e) | Known::DefaultDict(_, e) | Known::Counter(e) => Foreign::Entries(e),
        Known::Deque(d) => Foreign::Items(d),
        Known::Namespace(attrs) => Foreign::Attributes(attrs),
        Known::Slice(parts) => Foreign::Tuple(parts.to_vec()),
        Known::StructTime(fields) => Foreign::Tuple(fields.iter().collect()),
        Known::Pattern(pattern, _) => Foreign::Lent(pattern),
        known => Foreign::Made(natural_of(known)?),
    })
}

/// [`foreign_form`]: the parts of the object it holds lent, so that nested objects are
/// serialized without a copy at each level (see [`into_natural`]).
pub(crate) enum Foreign<'a> {
    Made(Value),
    Lent(&'a Value),
    Tuple(Vec<&'a Value>),
    Entries(collections::EntriesRef<'a>),
    Attributes(Vec<(&'a Value, &'a Value)>),
    Items(collections::DequeRef<'a>),
}

impl serde::Serialize for Foreign<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq, SerializeTuple};
        match self {
            Foreign::Made(v) => v.serialize(s),
            Foreign::Lent(v) => v.serialize(s),
            Foreign::Tuple(items) => {
                let mut t = s.serialize_tuple(items.len())?;
                for v in items {
                    t.serialize_element(v)?;
                }
                t.end()
            }
            Foreign::Entries(e) => {
                let mut m = s.serialize_map(Some(e.len()))?;
                for (k, v) in e.iter() {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            Foreign::Attributes(attrs) => {
                let mut m = s.serialize_map(Some(attrs.len()))?;
                for (k, v) in attrs {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            Foreign::Items(d) => {
                let mut q = s.serialize_seq(Some(d.len()))?;
                for v in d.iter() {
                    q.serialize_element(v)?;
                }
                q.end()
            }
        }
    }
}

/// A standard library type read from its form in another format (see [`foreign_form`]).
pub(crate) trait FromPlain: Sized {
    /// The value from `v` if it has the type of this type's plain form (a `str` for a
    /// `datetime`, say), which may still be malformed; `None` for another type.
    fn from_plain(v: &Value) -> Option<Result<Self, Error>>;
}

/// One recognised standard library object.
enum Known<'a> {
    /// A datetime, and its tzinfo lent if it is another class's instance (see
    /// [`DateTime::lent`]).
    DateTime(DateTime, Option<&'a Value>),
    Date(Date),
    Time(Time, Option<&'a Value>),
    TimeDelta(TimeDelta),
    TimeZone(TimeZone),
    ZoneInfo(ZoneInfo),
    Pytz(PytzZone),
    Decimal(Decimal),
    Uuid(Uuid),
    SafeUuid(SafeUuid),
    Fraction(Fraction),
    Range(Range),
    /// A slice's start, stop and step.
    Slice([&'a Value; 3]),
    /// A range whose bounds do not fit [`Range`]: start, stop, step.
    BigRange([&'a Value; 3]),
    /// A fraction whose terms do not fit [`Fraction`], in lowest terms as Python keeps it.
    BigFraction(Value, Value),
    Path(PurePath),
    OrderedDict(collections::EntriesRef<'a>),
    /// A `defaultdict`'s factory and entries.
    DefaultDict(&'a Value, collections::EntriesRef<'a>),
    Counter(collections::EntriesRef<'a>),
    Deque(collections::DequeRef<'a>),
    Exception(&'a Object),
    /// A `types.SimpleNamespace`'s attributes.
    Namespace(Vec<(&'a Value, &'a Value)>),
    Array(array::View<'a>),
    /// A compiled regular expression's pattern and flags.
    Pattern(&'a Value, i64),
    /// A `time.struct_time`'s nine fields.
    StructTime(&'a [Value]),
    IpAddress(IpAddress),
    IpNetwork(IpNetwork),
    IpInterface(IpInterface),
}

impl<'a> Known<'a> {
    fn of(obj: &'a Object) -> Option<Known<'a>> {
        let Global { module, name } = &obj.class;
        Some(match (module.as_str(), name.as_str()) {
            ("datetime", "datetime") => {
                let (dt, other) = DateTime::lent(obj).ok()?;
                Known::DateTime(dt, other)
            }
            ("datetime", "date") => Known::Date(Date::from_object(obj).ok()?),
            ("datetime", "time") => {
                let (t, other) = Time::lent(obj).ok()?;
                Known::Time(t, other)
            }
            ("datetime", "timedelta") => Known::TimeDelta(TimeDelta::from_object(obj).ok()?),
            ("datetime", "timezone") => Known::TimeZone(TimeZone::from_object(obj).ok()?),
            ("zoneinfo", "ZoneInfo._unpickle") => Known::ZoneInfo(ZoneInfo::from_object(obj).ok()?),
            ("pytz", n) if pytz::is_pytz(n) => Known::Pytz(PytzZone::from_object(obj).ok()?),
            ("decimal", "Decimal") => Known::Decimal(Decimal::from_object(obj).ok()?),
            ("uuid", "UUID") => Known::Uuid(Uuid::from_object(obj).ok()?),
            ("uuid", "SafeUUID") => Known::SafeUuid(SafeUuid::from_object(obj).ok()?),
            ("fractions", "Fraction") => match Fraction::from_object(obj) {
                Ok(x) => Known::Fraction(x),
                Err(_) => big_fraction(obj)?,
            },
            ("builtins", "range") => match Range::from_object(obj) {
                Ok(x) => Known::Range(x),
                Err(_) => big_range(obj)?,
            },
            ("builtins", "slice") => Known::Slice(Slice::lent(obj).ok()?),
            ("pathlib" | "pathlib._local", _) => Known::Path(PurePath::from_object(obj).ok()?),
            // Their repr() leaves out instance attributes.
            ("collections", "OrderedDict") => {
                Known::OrderedDict(collections::ordered_dict_ref(obj, true).ok()?)
            }
            ("collections", "defaultdict") => {
                let (factory, entries) = collections::default_dict_ref(obj, true).ok()?;
                Known::DefaultDict(factory, entries)
            }
            ("collections", "Counter") => Known::Counter(collections::counter_ref(obj, true).ok()?),
            ("collections", "deque") => Known::Deque(collections::deque_ref(obj, true).ok()?),
            ("builtins", n) if exception::is_exception(n) => {
                exception::check(obj)?;
                Known::Exception(obj)
            }
            ("types", "SimpleNamespace") => Known::Namespace(namespace::attributes(obj)?),
            ("array", _) => Known::Array(array::View::of(obj)?),
            ("time", "struct_time") => Known::StructTime(struct_time::fields(obj)?),
            ("re", "_compile") => {
                let (pattern, flags) = pattern::parts(obj)?;
                Known::Pattern(pattern, flags)
            }
            ("ipaddress", "IPv4Address" | "IPv6Address") => {
                Known::IpAddress(IpAddress::from_object(obj).ok()?)
            }
            ("ipaddress", "IPv4Network" | "IPv6Network") => {
                Known::IpNetwork(IpNetwork::from_object(obj).ok()?)
            }
            ("ipaddress", "IPv4Interface" | "IPv6Interface") => {
                Known::IpInterface(IpInterface::from_object(obj).ok()?)
            }
            _ => return None,
        })
    }

    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Known::DateTime(x, other) => x.write_repr(f, *other),
            Known::Date(x) => fmt::Display::fmt(x, f),
            Known::Time(x, other) => x.write_repr(f, *other),
            Known::TimeDelta(x) => fmt::Display::fmt(x, f),
            Known::TimeZone(x) => fmt::Display::fmt(x, f),
            Known::ZoneInfo(x) => fmt::Display::fmt(x, f),
            Known::Pytz(x) => fmt::Display::fmt(x, f),
            Known::Decimal(x) => fmt::Display::fmt(x, f),
            Known::Uuid(x) => fmt::Display::fmt(x, f),
            Known::SafeUuid(x) => fmt::Display::fmt(x, f),
            Known::Fraction(x) => fmt::Display::fmt(x, f),
            Known::Range(x) => fmt::Display::fmt(x, f),
            Known::Slice([start, stop, step]) => write!(f, "slice({start}, {stop}, {step})"),
            Known::BigRange([start, stop, step]) => match step {
                Value::Int(1) => write!(f, "range({start}, {stop})"),
                _ => write!(f, "range({start}, {stop}, {step})"),
            },
            Known::BigFraction(n, d) => write!(f, "Fraction({n}, {d})"),
            Known::Path(x) => fmt::Display::fmt(x, f),
            Known::OrderedDict(e) => collections::write_ordered_dict(f, e.iter()),
            Known::DefaultDict(factory, e) => collections::write_default_dict(f, factory, e.iter()),
            Known::Counter(e) => collections::write_counter(f, e.iter()),
            Known::Deque(d) => collections::write_deque(f, *d),
            Known::Exception(o) => exception::repr(o, f),
            Known::Namespace(attrs) => namespace::repr(attrs, f),
            Known::Array(x) => fmt::Display::fmt(x, f),
            Known::StructTime(fields) => struct_time::repr(fields, f),
            Known::Pattern(pattern, flags) => pattern::repr(pattern, *flags, f),
            Known::IpAddress(x) => fmt::Display::fmt(x, f),
            Known::IpNetwork(x) => fmt::Display::fmt(x, f),
            Known::IpInterface(x) => fmt::Display::fmt(x, f),
        }
    }
}

/// `range(...)` with an int too big for [`Range`].
fn big_range(obj: &Object) -> Option<Known<'_>> {
    static ZERO: Value = Value::Int(0);
    static ONE: Value = Value::Int(1);
    let args = call_args(obj, "range").ok()?;
    if !args
        .iter()
        .all(|a| matches!(a, Value::Int(_) | Value::BigInt(_)))
    {
        return None;
    }
    let r = match args {
        [stop] => [&ZERO, stop, &ONE],
        [start, stop] => [start, stop, &ONE],
        [start, stop, step] if *step != Value::Int(0) => [start, stop, step],
        _ => return None,
    };
    Some(Known::BigRange(r))
}

/// `Fraction(numerator, denominator)` (or `Fraction('n/d')`) with an int too big for
/// [`Fraction`], reduced (terms of up to 4096 bits; longer ones as they are, with a positive
/// denominator); `None` for a zero denominator.
fn big_fraction(obj: &Object) -> Option<Known<'_>> {
    let big = |v: &Value| match v {
        Value::Int(i) => Some(crate::BigInt::from(*i)),
        Value::BigInt(b) => Some(b.clone()),
        _ => None,
    };
    let int = |b: crate::BigInt| b.to_i64().map_or(Value::BigInt(b), Value::Int);
    match call_args(obj, "fractions.Fraction").ok()? {
        [n, d] => {
            // In lowest terms with a positive denominator, as `Fraction(n, d)` makes it;
            // terms too long to reduce are taken as CPython writes them, already so.
            match crate::BigInt::lowest_terms(&big(n)?, &big(d)?) {
                Some((n, d)) => Some(Known::BigFraction(int(n), int(d))),
                None if big(d)?.is_negative() || matches!(d, Value::Int(0)) => None,
                None => Some(Known::BigFraction(n.clone(), d.clone())),
            }
        }
        // `Fraction('n/d')`, as Python 2.7 and 3.6-3.10 write every fraction.
        [Value::Str(text)] => {
            // (Terms too long to reduce are taken as written: CPython wrote them reduced.)
            let (n, d) = fraction::big_terms(text)?;
            let (n, d) = crate::BigInt::lowest_terms(&n, &d).unwrap_or((n, d));
            Some(Known::BigFraction(int(n), int(d)))
        }
        _ => None,
    }
}

/// `s` without the whitespace around it, as Python's `str.strip()` sees whitespace: Unicode's,
/// and the four separators `\x1c`-`\x1f`.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// A leading `-` or `+` of `s` (whether it was `-`), and the rest.
pub(crate) fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

/// Whitespace to Python's `str.isspace()`: Unicode's, and the separators `\x1c`-`\x1f`.
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// A conversion error: `what` is the Python type that was expected.
#[cold]
pub(crate) fn invalid(what: &str, why: impl fmt::Display) -> Error {
    Error::new(ErrorCode::Type(format!("invalid {what}: {why}").into()))
}

/// The object inside `v` if it is an instance of `module.name`, else an error naming both.
pub(crate) fn expect_object<'a>(
    v: &'a Value,
    module: &str,
    name: &str,
) -> Result<&'a Object, Error> {
    match v {
        Value::Object(o) if o.class.module == module && o.class.name == name => Ok(o),
        Value::Object(o) => Err(Error::new(ErrorCode::Type(
            format!(
                "expected a {module}.{name}, found an instance of {}",
                o.class
            )
            .into(),
        ))),
        other => Err(Error::new(ErrorCode::Type(
            format!("expected a {module}.{name}, found {}", describe(other)).into(),
        ))),
    }
}

/// `an int`, `a str`, ... for error messages.
fn describe(v: &Value) -> String {
    let t = v.type_name();
    let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {t}")
}

/// The positional arguments of a plain constructor call (`cls(*args)` or `cls.__new__(cls,
/// *args)`), checking that nothing else was done to the object.
pub(crate) fn call_args<'a>(obj: &'a Object, what: &str) -> Result<&'a [Value], Error> {
    if !matches!(obj.made, Made::Call | Made::New) || obj.kwargs.is_some() {
        return Err(invalid(what, "not made by a plain constructor call"));
    }
    if !obj.state.is_empty() {
        return Err(invalid(what, "unexpected BUILD state"));
    }
    if !obj.list_items.is_empty() || !obj.dict_items.is_empty() {
        return Err(invalid(what, "unexpected appended or set items"));
    }
    match &obj.args {
        Value::Tuple(items) => Ok(items),
        _ => Err(invalid(what, "constructor arguments are not a tuple")),
    }
}

/// A new object of `module.name` made by `cls(*args)`.
pub(crate) fn call_object(module: &str, name: &str, args: Vec<Value>) -> Object {
    Object {
        class: Global {
            module: module.into(),
            name: name.into(),
        },
        made: Made::Call,
        args: Value::Tuple(args),
        kwargs: None,
        state: Vec::new(),
        list_items: Vec::new(),
        dict_items: Vec::new(),
    }
}

/// An integer argument as `i64`.
pub(crate) fn int_arg(v: &Value, what: &str, field: &str) -> Result<i64, Error> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::BigInt(_) => Err(invalid(what, format_args!("{field} out of range: {v}"))),
        other => Err(invalid(
            what,
            format_args!("{field} must be an int, found {}", describe(other)),
        )),
    }
}

thread_local! {
    /// The error of the last stdlib conversion that failed on this thread, until this crate's
    /// deserializer that asked for it takes it back.
    static FAILED: std::cell::Cell<Option<Error>> = const { std::cell::Cell::new(None) };
}

/// A stdlib type's conversion from a `Value` failed with `e`: any deserializer gets its text;
/// this crate's take back `e` itself ([`failed_within`]), with its category, and give it the
/// object's position.
pub(crate) fn conversion_failed<E: serde::de::Error>(e: Error) -> E {
    let text = E::custom(&e);
    // (`try_with`: from a thread-local's destructor, once this one is gone, the text alone.)
    let _ = FAILED.try_with(|f| f.set(Some(e)));
    text
}

/// Run `visit` (a `Value` handed over), its error the conversion's own if one failed.
pub(crate) fn failed_within<T>(visit: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    let _ = FAILED.try_with(|f| f.set(None));
    visit().map_err(|e| FAILED.try_with(|f| f.take()).ok().flatten().unwrap_or(e))
}

/// `Serialize` and `Deserialize` through [`Value`], and `TryFrom<Value>`; with a class, also
/// `TryFrom<&Value>` through the type's `from_object`.
macro_rules! via_value {
    ($t:ty, $module:literal, $name:literal $(, check: $check:path)?) => {
        impl TryFrom<&$crate::Value> for $t {
            type Error = $crate::Error;
            fn try_from(v: &$crate::Value) -> Result<Self, $crate::Error> {
                <$t>::from_object($crate::stdlib::expect_object(v, $module, $name)?)
            }
        }
        $crate::stdlib::via_value!($t $(, check: $check)?);
    };
    // `check`: for a type whose public fields can hold what Python cannot (a zero step), an
    // error instead of a pickle Python (and this crate) would refuse to load.
    ($t:ty $(, check: $check:path)?) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $(
                    if let Err(e) = $check(self) {
                        return Err(<S::Error as serde::ser::Error>::custom(e));
                    }
                )?
                serde::Serialize::serialize(&$crate::Value::from(self.clone()), s)
            }
        }

        /// From the object CPython pickles, or from its plain form (see the module docs), as a
        /// format other than pickle holds it.
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Read as a `Value` is, in every format; this crate's deserializers give a
                // failed conversion the object's position and its own error's category.
                let convert = |v: $crate::Value| {
                    let plain = match &v {
                        $crate::Value::Object(_) => None,
                        other => <$t as $crate::stdlib::FromPlain>::from_plain(other),
                    };
                    plain.unwrap_or_else(|| <$t>::try_from(&v))
                };
                d.deserialize_newtype_struct(
                    $crate::value::magic::VALUE_TOKEN,
                    $crate::value::ValueThen(convert),
                )
            }
        }

        impl TryFrom<$crate::Value> for $t {
            type Error = $crate::Error;
            fn try_from(v: $crate::Value) -> Result<Self, $crate::Error> {
                <$t>::try_from(&v)
            }
        }
    };
}
pub(crate) use via_value;

#[cfg(test)]
mod tests {
    use super::*;

    /// `into_natural` and `repr` against CPython, for every fixture of python_fixtures/stdlib.py.
    #[test]
    fn natural_forms_match_cpython() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/python_fixtures/stdlib/");
        let manifest = std::fs::read_to_string(format!("{dir}manifest.tsv")).unwrap();
        let mut rest: &[u8] = &std::fs::read(format!("{dir}pickles.bin")).unwrap();
        let mut lines = manifest.lines().filter(|l| !l.starts_with('#'));
        let mut seen = 0;
        while !rest.is_empty() {
            let n = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
            let len = u32::from_le_bytes(rest[3 + n..7 + n].try_into().unwrap()) as usize;
            let pickle = &rest[7 + n..7 + n + len];
            rest = &rest[7 + n + len..];
            let line: Vec<&str> = lines.next().unwrap().split('\t').collect();
            let v: Value = crate::from_slice(pickle).unwrap();
            let got = match v {
                Value::Object(o) => into_natural(o).ok().map(|n| n.to_string()),
                _ => None,
            };
            assert_eq!(
                got.as_deref().unwrap_or("-"),
                line[3],
                "{} at protocol {}",
                line[0],
                line[1]
            );
            seen += 1;
        }
        assert!(lines.next().is_none());
        assert!(seen >= 600);
    }

    #[test]
    fn allowlist_is_exact() {
        for (m, n) in [
            ("datetime", "datetime"),
            ("decimal", "Decimal"),
            ("zoneinfo", "ZoneInfo._unpickle"),
            ("builtins", "ValueError"),
            ("builtins", "range"),
            ("pathlib", "PosixPath"),
            ("pathlib._local", "PurePosixPath"),
            ("collections", "deque"),
            ("ipaddress", "IPv6Interface"),
        ] {
            assert!(is_allowed(m, n), "{m}.{n}");
        }
        for (m, n) in [
            ("zoneinfo", "ZoneInfo.no_cache"),
            ("datetime", "tzinfo"),
            ("builtins", "eval"),
            ("builtins", "getattr"),
            ("pathlib", "Path"),
            ("pathlib._local", "Path"),
            ("collections", "namedtuple"),
            ("os", "system"),
            ("uuid", "uuid4"),
            ("ipaddress", "ip_address"),
            ("ipaddress", "_BaseAddress"),
        ] {
            assert!(!is_allowed(m, n), "{m}.{n}");
        }
    }

    #[test]
    fn repr_writes_nothing_for_unknown_or_malformed_objects() {
        let mut o = call_object("decimal", "Decimal", vec![Value::Str("1.5x".into())]);
        assert_eq!(
            Value::Object(Box::new(o.clone())).to_string(),
            "decimal.Decimal('1.5x')"
        );
        o.args = Value::Tuple(vec![Value::Str("1.5".into())]);
        assert_eq!(Value::Object(Box::new(o)).to_string(), "Decimal('1.5')");
        let other = call_object("mymod", "Decimal", vec![]);
        assert!(into_natural(Box::new(other)).is_err());
    }
}
