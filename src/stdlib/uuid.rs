//! `uuid.UUID`, pickled by CPython as `UUID.__new__(UUID)` with the state
//! `{'int': n}` (and `'is_safe': 0 or -1` when known).

use std::fmt::{self, Display, Formatter};

use super::{call_object, invalid, via_value};
use crate::error::Error;
use crate::value::{Made, Object, Value};

const UUID: &str = "uuid.UUID";

/// `uuid.SafeUUID`: whether the UUID was generated in a multiprocessing-safe way. Read and
/// written on its own as CPython pickles an enum member, `SafeUUID(value)`.
///
/// ```
/// use pypickle::stdlib::SafeUuid;
/// let s: SafeUuid = pypickle::from_slice(&pypickle::to_vec(&SafeUuid::Safe)?)?;
/// assert_eq!(s.to_string(), "<SafeUUID.safe: 0>");
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SafeUuid {
    /// `SafeUUID.safe` (0).
    Safe,
    /// `SafeUUID.unsafe` (-1).
    Unsafe,
    /// `SafeUUID.unknown` (None), the default.
    #[default]
    Unknown,
}

impl SafeUuid {
    /// A `uuid.SafeUUID` member as CPython pickles it, `SafeUUID(value)`.
    pub(crate) fn from_object(obj: &Object) -> Result<SafeUuid, Error> {
        match super::call_args(obj, "uuid.SafeUUID")? {
            [inner] if !matches!(inner, Value::Object(_)) => safe_from_value(inner),
            _ => Err(invalid("uuid.SafeUUID", "expected SafeUUID(value)")),
        }
    }

    /// The member's value: 0, -1 or None.
    pub(crate) fn value(self) -> Value {
        match self {
            SafeUuid::Safe => Value::Int(0),
            SafeUuid::Unsafe => Value::Int(-1),
            SafeUuid::Unknown => Value::None,
        }
    }
}

impl From<SafeUuid> for Value {
    /// `SafeUUID(value)`, as CPython pickles an enum member.
    fn from(s: SafeUuid) -> Value {
        Value::Object(Box::new(call_object("uuid", "SafeUUID", vec![s.value()])))
    }
}

via_value!(SafeUuid, "uuid", "SafeUUID");

impl Display for SafeUuid {
    /// Python's `repr()`: `<SafeUUID.safe: 0>`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let name = match self {
            SafeUuid::Safe => "safe",
            SafeUuid::Unsafe => "unsafe",
            SafeUuid::Unknown => "unknown",
        };
        write!(f, "<SafeUUID.{name}: {}>", self.value())
    }
}

/// A `uuid.UUID`.
///
/// ```
/// use pypickle::stdlib::Uuid;
/// let u = Uuid::from_u128(0x12345678_1234_5678_1234_567812345678);
/// assert_eq!(u.to_string(), "UUID('12345678-1234-5678-1234-567812345678')");
/// let back: Uuid = pypickle::from_slice(&pypickle::to_vec(&u)?)?;
/// assert_eq!(back, u);
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Uuid {
    value: u128,
    is_safe: SafeUuid,
}

impl Uuid {
    /// The UUID whose 128-bit integer (`UUID.int`) is `value`.
    pub fn from_u128(value: u128) -> Uuid {
        Uuid {
            value,
            is_safe: SafeUuid::Unknown,
        }
    }

    /// With `is_safe` set.
    pub fn with_is_safe(mut self, is_safe: SafeUuid) -> Uuid {
        self.is_safe = is_safe;
        self
    }

    /// `UUID.int`.
    pub fn as_u128(&self) -> u128 {
        self.value
    }

    /// `UUID.bytes`, big-endian.
    pub fn as_bytes(&self) -> [u8; 16] {
        self.value.to_be_bytes()
    }

    /// `UUID.is_safe`.
    pub fn is_safe(&self) -> SafeUuid {
        self.is_safe
    }

    /// `str(uuid)`: `12345678-1234-5678-1234-567812345678`.
    pub fn hyphenated(&self) -> String {
        let h = format!("{:032x}", self.value);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }

    pub(crate) fn from_object(obj: &Object) -> Result<Uuid, Error> {
        match obj.made {
            // `UUID.__new__(UUID)`; calling `UUID()` itself raises in Python.
            Made::New if obj.args == Value::Tuple(vec![]) => {}
            // copyreg._reconstructor(UUID, object, None), protocols 0 and 1.
            Made::Reconstructor => match &obj.args {
                Value::Tuple(a)
                    if matches!(a.as_slice(), [Value::Global(g), Value::None]
                        if g.module == "builtins" && g.name == "object") => {}
                _ => return Err(invalid(UUID, "unexpected _reconstructor arguments")),
            },
            _ => return Err(invalid(UUID, "not made by UUID.__new__(UUID)")),
        }
        if obj.kwargs.is_some() || !obj.list_items.is_empty() || !obj.dict_items.is_empty() {
            return Err(invalid(UUID, "unexpected arguments or items"));
        }
        let [state] = obj.state.as_slice() else {
            return Err(invalid(UUID, "expected one state dict"));
        };
        // `UUID.__setstate__` takes a dict (a (dict, slots) pair raises in Python).
        let Value::Dict(entries) = state else {
            return Err(invalid(UUID, "state is not a dict"));
        };
        let mut value = None;
        let mut is_safe = SafeUuid::Unknown;
        for (k, v) in entries {
            match k.as_str() {
                Some("int") => {
                    let n = match v {
                        Value::Int(i) => u128::try_from(*i).ok(),
                        Value::BigInt(b) => b.to_u128(),
                        _ => None,
                    };
                    value = Some(n.ok_or_else(|| {
                        invalid(UUID, format_args!("int {v} is not in 0..2**128"))
                    })?);
                }
                Some("is_safe") => is_safe = safe_from_value(v)?,
                _ => return Err(invalid(UUID, format_args!("unexpected state entry {k}"))),
            }
        }
        let value = value.ok_or_else(|| invalid(UUID, "state has no 'int'"))?;
        Ok(Uuid { value, is_safe })
    }
}

/// `is_safe` as CPython pickles it (the enum's value), or a `uuid.SafeUUID(value)` object.
fn safe_from_value(v: &Value) -> Result<SafeUuid, Error> {
    match v {
        Value::Int(0) => Ok(SafeUuid::Safe),
        Value::Int(-1) => Ok(SafeUuid::Unsafe),
        Value::None => Ok(SafeUuid::Unknown),
        Value::Object(o) if o.class.module == "uuid" && o.class.name == "SafeUUID" => {
            SafeUuid::from_object(o)
        }
        other => Err(invalid(
            UUID,
            format_args!("is_safe {other} is not 0, -1 or None"),
        )),
    }
}

impl From<u128> for Uuid {
    fn from(value: u128) -> Uuid {
        Uuid::from_u128(value)
    }
}

impl From<Uuid> for Value {
    /// `UUID.__new__(UUID)` with the state `{'int': n}` (and `'is_safe'` when known), as
    /// CPython writes it at protocol 2 and up.
    fn from(u: Uuid) -> Value {
        let mut state = vec![(Value::from("int"), Value::from(u.value))];
        match u.is_safe {
            SafeUuid::Safe => state.push(("is_safe".into(), Value::Int(0))),
            SafeUuid::Unsafe => state.push(("is_safe".into(), Value::Int(-1))),
            SafeUuid::Unknown => {}
        }
        let mut obj = call_object("uuid", "UUID", Vec::new());
        obj.made = Made::New;
        obj.state.push(Value::Dict(state));
        Value::Object(Box::new(obj))
    }
}

impl Display for Uuid {
    /// `UUID('12345678-1234-5678-1234-567812345678')`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "UUID('{}')", self.hyphenated())
    }
}

via_value!(Uuid, "uuid", "UUID");
