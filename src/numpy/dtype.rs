//! numpy dtypes as pickled: `numpy.dtype(descr, False, True)` with a BUILD state
//! `(version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])`.

use std::fmt;

use crate::error::Error;
use crate::stdlib::invalid;
use crate::value::{Made, Object, Value};

/// The byte order of a dtype's elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `<`
    Little,
    /// `>`
    Big,
    /// `|`: single bytes, text of bytes, objects and structured types.
    NotApplicable,
}

impl ByteOrder {
    /// The byte order of the machine this runs on.
    pub const NATIVE: ByteOrder = if cfg!(target_endian = "big") {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };

    fn from_char(c: &str) -> Option<ByteOrder> {
        Some(match c {
            "<" => ByteOrder::Little,
            ">" => ByteOrder::Big,
            "|" => ByteOrder::NotApplicable,
            "=" => ByteOrder::NATIVE,
            _ => return None,
        })
    }

    fn as_char(self) -> &'static str {
        match self {
            ByteOrder::Little => "<",
            ByteOrder::Big => ">",
            ByteOrder::NotApplicable => "|",
        }
    }
}

/// What kind of values a dtype holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DKind {
    /// `b1`
    Bool,
    /// `i1`, `i2`, `i4`, `i8`
    Int,
    /// `u1`, `u2`, `u4`, `u8`
    UInt,
    /// `f2`, `f4`, `f8`
    Float,
    /// `c8`, `c16`
    Complex,
    /// `S<n>`: fixed-width bytes, NUL-padded.
    Bytes,
    /// `U<n>`: fixed-width text, UTF-32 code points, NUL-padded.
    Str,
    /// `M8[unit]`
    DateTime,
    /// `m8[unit]`
    TimeDelta,
    /// `V<n>`: raw bytes, or a structured type with named fields.
    Void,
    /// `O`: Python objects (an object array's elements are [`Value`]s).
    Object,
    /// numpy 2's variable-width text, `StringDType()` (type character `T`): numpy pickles
    /// the elements as Python strs (and, where it has one, its `na_object` for a missing
    /// one), which an array keeps as an object array's, in C order; see
    /// [`DType::string_dtype`].
    StringDType,
}

impl DKind {
    /// A datetime or timedelta: a kind whose dtype has a unit.
    fn has_unit(self) -> bool {
        matches!(self, DKind::DateTime | DKind::TimeDelta)
    }

    fn from_char(c: char) -> Option<DKind> {
        Some(match c {
            'b' => DKind::Bool,
            'i' => DKind::Int,
            'u' => DKind::UInt,
            'f' => DKind::Float,
            'c' => DKind::Complex,
            'S' => DKind::Bytes,
            'U' => DKind::Str,
            'M' => DKind::DateTime,
            'm' => DKind::TimeDelta,
            'V' => DKind::Void,
            'O' => DKind::Object,
            _ => return None,
        })
    }

    fn as_char(self) -> char {
        match self {
            DKind::Bool => 'b',
            DKind::Int => 'i',
            DKind::UInt => 'u',
            DKind::Float => 'f',
            DKind::Complex => 'c',
            DKind::Bytes => 'S',
            DKind::Str => 'U',
            DKind::DateTime => 'M',
            DKind::TimeDelta => 'm',
            DKind::Void => 'V',
            DKind::Object => 'O',
            DKind::StringDType => 'T',
        }
    }
}

/// What makes a [`DKind::StringDType`] dtype: numpy's `StringDType(na_object=..., coerce=...)`,
/// pickled as a call of `numpy._core._internal._convert_to_stringdtype_kwargs(coerce[,
/// na_object])`.
#[derive(Clone, Debug)]
struct StringArgs {
    /// `coerce` as pickled (numpy writes `1` or `0`), so that it is written back the same.
    coerce: Value,
    /// The value that stands for a missing element, if the dtype has one.
    na_object: Option<Value>,
}

impl StringArgs {
    /// `coerce` as Python takes it (checked an int or bool when read).
    fn coerces(&self) -> bool {
        !matches!(self.coerce, Value::Int(0) | Value::Bool(false))
    }
}

/// Equal as numpy's dtypes are: `coerce` by its truth (`1`, `True` and `2` alike).
impl PartialEq for StringArgs {
    fn eq(&self, other: &StringArgs) -> bool {
        self.coerces() == other.coerces() && self.na_object == other.na_object
    }
}

impl Eq for StringArgs {}

impl std::hash::Hash for StringArgs {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.coerces(), &self.na_object).hash(state);
    }
}

/// The function numpy 2 pickles a `StringDType` as a call of.
pub(crate) const STRING_DTYPE_MODULE: &str = "numpy._core._internal";
pub(crate) const STRING_DTYPE_FUNCTION: &str = "_convert_to_stringdtype_kwargs";

/// A named field of a structured dtype.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// Its type.
    pub dtype: DType,
    /// Its byte offset inside an element.
    pub offset: usize,
    /// Its title (numpy's `titles=`: another key the field is found by), if it has one.
    pub title: Option<Value>,
}

/// A numpy dtype: kind, element size, byte order, and for datetimes the unit, for structured
/// types the fields.
///
/// Its `Display` is numpy's `dtype.str` (`<f8`, `|S5`, `<U3`, `<M8[ns]`, `|V12`, `|O`).
#[derive(Clone, Debug)]
pub struct DType {
    /// What kind of values.
    pub kind: DKind,
    /// Bytes per element (4 per character for `U`).
    pub itemsize: usize,
    /// The byte order.
    pub order: ByteOrder,
    /// The unit of a datetime or timedelta (`ns`, `s`, `D`, ... with a multiplier, as
    /// `"10ms"`, or `"generic"`, numpy's unit for `np.dtype('M8')`), else `None`.
    pub unit: Option<String>,
    /// The fields of a structured type, in order; empty otherwise.
    pub fields: Vec<Field>,
    /// A sub-array type's element type and shape (`np.dtype(('<i2', (3,)))`, the type of a
    /// field that holds a small array), see [`DType::subarray`].
    subarray: Option<Box<(DType, Vec<usize>)>>,
    /// numpy's alignment and flags from the pickle, kept so it writes back the same.
    alignment: i64,
    flags: i64,
    /// numpy's `dtype.metadata` (a dict), kept so it writes back the same (boxed: rare).
    metadata: Option<Box<Value>>,
    /// A [`DKind::StringDType`]'s arguments (boxed: rare).
    string: Option<Box<StringArgs>>,
    /// A structured type of `numpy.record` elements (a record array's, `np.rec.array`), which
    /// numpy pickles as `dtype(numpy.record, ...)` in place of `dtype('V12', ...)`: kept so it
    /// writes back the same.
    record: bool,
}

impl DType {
    /// Everything equality and hashing look at. numpy keeps its flags in a C `char`, which
    /// numpy 1 pickles signed and numpy 2 unsigned (an aligned struct's are -104 or 152):
    /// the same bits, compared as such.
    #[allow(clippy::type_complexity)]
    fn key(
        &self,
    ) -> (
        DKind,
        usize,
        ByteOrder,
        &Option<String>,
        &[Field],
        &Option<Box<(DType, Vec<usize>)>>,
        i64,
        u8,
        &Option<Box<Value>>,
        &Option<Box<StringArgs>>,
        bool,
    ) {
        (
            self.kind,
            self.itemsize,
            self.order,
            &self.unit,
            &self.fields,
            &self.subarray,
            self.alignment,
            self.flags as u8,
            &self.metadata,
            &self.string,
            self.record,
        )
    }
}

impl PartialEq for DType {
    fn eq(&self, other: &DType) -> bool {
        self.key() == other.key()
    }
}

impl Eq for DType {}

impl std::hash::Hash for DType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

/// Elements bigger than this are refused (numpy's own limit is far smaller in practice).
const MAX_ITEMSIZE: usize = 1 << 31;

/// Text, or bytes where Python 2 strs were kept as bytes (`Py2Strings::Bytes`).
fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Str(s) => Some(s.as_str()),
        Value::Bytes(b) => std::str::from_utf8(b).ok(),
        _ => None,
    }
}

/// Whether `n` is a size numpy knows for type code `kind` (`i3`, `f0`, `M4` are not).
fn size_ok(kind: DKind, n: usize) -> bool {
    match kind {
        DKind::Bool => n == 1,
        DKind::Int | DKind::UInt => matches!(n, 1 | 2 | 4 | 8),
        DKind::Float => matches!(n, 2 | 4 | 8 | 16),
        DKind::Complex => matches!(n, 8 | 16 | 32),
        DKind::DateTime | DKind::TimeDelta => n == 8,
        _ => true,
    }
}

/// numpy's unit of a datetime or timedelta without one (`np.dtype('M8')`).
const GENERIC: &str = "generic";

/// The datetime units numpy knows.
const UNITS: [&str; 14] = [
    "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", GENERIC,
];

/// A datetime unit as this crate keeps it (`"ns"`, `"10ms"`, `"generic"`) from numpy's unit
/// name and multiplier; `None` unless the name is numpy's and the multiplier is one numpy
/// loads (1 to 2^31 - 1). A generic unit keeps no multiplier: numpy shows none.
fn unit_text(name: &str, mult: i64) -> Option<String> {
    let name = known_unit(name)?;
    if !(1..=i64::from(i32::MAX)).contains(&mult) {
        return None;
    }
    Some(match (name, mult) {
        (GENERIC, _) | (_, 1) => name.to_string(),
        _ => format!("{mult}{name}"),
    })
}

/// A unit name numpy knows, as it names it: `μs` (Greek mu), which numpy takes too, is `us`.
fn known_unit(name: &str) -> Option<&'static str> {
    let name = if name == "\u{3bc}s" { "us" } else { name };
    UNITS.iter().copied().find(|&u| u == name)
}

/// numpy's unit name and multiplier of a unit as this crate keeps it (see [`unit_text`]).
fn unit_parts(unit: &str) -> Option<(&'static str, i64)> {
    let digits = unit.bytes().take_while(u8::is_ascii_digit).count();
    let (mult, name) = unit.split_at(digits);
    let mult = if digits == 0 { 1 } else { mult.parse().ok()? };
    let name = known_unit(name)?;
    unit_text(name, mult).map(|_| (name, mult))
}

/// The shape of a depth counter for nested structured dtypes.
const MAX_NESTING: usize = 32;

impl DType {
    /// A plain dtype: `DType::new(DKind::Float, 8, ByteOrder::Little)` is `<f8`. For
    /// [`DKind::StringDType`], `StringDType()` whatever the size and order (see
    /// [`DType::string_dtype`]).
    pub fn new(kind: DKind, itemsize: usize, order: ByteOrder) -> DType {
        if kind == DKind::StringDType {
            return DType::string_dtype(true, None);
        }
        let order = match kind {
            DKind::Bool | DKind::Bytes | DKind::Void | DKind::Object => ByteOrder::NotApplicable,
            _ if itemsize == 1 && matches!(kind, DKind::Int | DKind::UInt) => {
                ByteOrder::NotApplicable
            }
            _ => order,
        };
        let (alignment, flags) = match kind {
            DKind::Object => (-1, 63),
            DKind::Str => (4, 8),
            DKind::Bytes | DKind::Void => (1, 0),
            _ => (-1, 0),
        };
        let unit = kind.has_unit().then(|| GENERIC.to_string());
        DType {
            kind,
            itemsize,
            order,
            unit,
            fields: Vec::new(),
            subarray: None,
            alignment,
            flags,
            metadata: None,
            string: None,
            record: false,
        }
    }

    /// numpy 2's `StringDType(coerce=coerce, na_object=na_object)` (`na_object` `None`: the
    /// dtype has no missing value; `Some(Value::None)`: Python's `None` is its missing value).
    /// Its elements are 16 bytes to numpy, and Python strs in a pickle.
    ///
    /// ```
    /// use pypickle::numpy::DType;
    /// use pypickle::Value;
    /// let d = DType::string_dtype(true, Some(Value::None));
    /// assert_eq!(d.to_string(), "StringDType(na_object=None)");
    /// assert_eq!((d.na_object(), d.string_coerce()), (Some(&Value::None), Some(true)));
    /// ```
    pub fn string_dtype(coerce: bool, na_object: Option<Value>) -> DType {
        DType {
            kind: DKind::StringDType,
            itemsize: 16,
            order: ByteOrder::NotApplicable,
            unit: None,
            fields: Vec::new(),
            subarray: None,
            alignment: 8,
            flags: 107,
            metadata: None,
            string: Some(Box::new(StringArgs {
                coerce: Value::Int(i64::from(coerce)),
                na_object,
            })),
            record: false,
        }
    }

    /// A [`DKind::StringDType`]'s missing value (`StringDType(na_object=None)`: `Value::None`);
    /// `None` for one without, and for any other dtype.
    pub fn na_object(&self) -> Option<&Value> {
        self.string.as_ref()?.na_object.as_ref()
    }

    /// A [`DKind::StringDType`]'s `coerce` (whether numpy turns non-str values assigned to
    /// the array into strs); `None` for any other dtype.
    pub fn string_coerce(&self) -> Option<bool> {
        Some(self.string.as_ref()?.coerces())
    }

    /// For a sub-array type (`np.dtype(('<i2', (3,)))`, which numpy uses for a structured
    /// type's field holding a small array), its element type and shape; its own kind is
    /// [`DKind::Void`] and its itemsize the whole sub-array's.
    pub fn subarray(&self) -> Option<(&DType, &[usize])> {
        self.subarray
            .as_deref()
            .map(|(d, shape)| (d, shape.as_slice()))
    }

    /// Whether elements hold Python objects anywhere: an object type, or a structured or
    /// sub-array type with one inside (numpy's `dtype.hasobject`). As numpy does, a dtype
    /// whose pickled flags say so (`NPY_ITEM_HASOBJECT`) holds objects whatever its kind:
    /// numpy, and joblib, then take its data for a pickle of objects.
    pub fn has_object(&self) -> bool {
        matches!(self.kind, DKind::Object | DKind::StringDType)
            || self.flags_hold_objects()
            || self.fields.iter().any(|f| f.dtype.has_object())
            || self.subarray().is_some_and(|(d, _)| d.has_object())
    }

    /// Whether numpy hands an array of this type out as a buffer (PEP 3118), which pickling
    /// it out of band at protocol 5 takes: not with objects, a datetime or a timedelta
    /// anywhere in it, nor a long double in big-endian order (native only, on the
    /// little-endian machines numpy runs on), nor with fields that overlap, are out of order
    /// or have a `:` in their name.
    pub(crate) fn exports_buffer(&self) -> bool {
        if self.has_object() || self.kind.has_unit() {
            return false;
        }
        let long_double = matches!(
            (self.kind, self.itemsize),
            (DKind::Float, 12 | 16) | (DKind::Complex, 24 | 32)
        );
        if long_double && self.order == ByteOrder::Big {
            return false;
        }
        if self.subarray().is_some_and(|(d, _)| !d.exports_buffer()) {
            return false;
        }
        let mut end = 0;
        for f in &self.fields {
            if f.offset < end || f.name.contains(':') || !f.dtype.exports_buffer() {
                return false;
            }
            end = f.offset + f.dtype.itemsize;
        }
        true
    }

    /// Whether an element has somewhere to hold a Python object: an object (or `StringDType`)
    /// type, or a field or sub-array of one. Unlike [`DType::has_object`], the flags do not
    /// count: a float64 type whose flags claim objects has no place for them.
    pub(crate) fn elements_hold_objects(&self) -> bool {
        matches!(self.kind, DKind::Object | DKind::StringDType)
            || self.fields.iter().any(|f| f.dtype.elements_hold_objects())
            || self
                .subarray()
                .is_some_and(|(d, _)| d.elements_hold_objects())
    }

    /// Whether numpy makes a type of this kind and size (an `i3`, a `b2`, a `U` of 6 bytes or
    /// a 4-byte `M` it does not), and so does every field and sub-array base: a type built
    /// by hand (the fields are public) may be one numpy cannot load.
    pub(crate) fn numpy_makes(&self) -> bool {
        let own = match self.kind {
            DKind::Str => self.itemsize % 4 == 0,
            DKind::Object => self.itemsize == 8,
            kind => size_ok(kind, self.itemsize),
        };
        own && self.itemsize <= MAX_ITEMSIZE
            && self.unit_error().is_none()
            && self.fields.iter().all(|f| f.dtype.numpy_makes())
            && self.subarray().map_or(true, |(d, _)| d.numpy_makes())
    }

    /// What is wrong with this type's own unit, if anything: numpy loads a datetime or
    /// timedelta only with a unit it knows (none is `generic`), and no other kind has one
    /// (it would not be written).
    pub(crate) fn unit_error(&self) -> Option<String> {
        match (self.kind.has_unit(), self.unit.as_deref()) {
            (true, Some(unit)) if unit_parts(unit).is_none() => Some(format!(
                "numpy has no datetime unit {unit:?} (it knows {}, with a multiplier from 1 \
                 to 2^31 - 1: \"10ms\")",
                UNITS.join(", ")
            )),
            (false, Some(unit)) => Some(format!(
                "a dtype of kind {:?} has no unit, and {unit:?} is set",
                self.kind
            )),
            _ => None,
        }
    }

    /// numpy's `dtype.hasobject` exactly as numpy takes it from a pickle: the flags' object
    /// bit alone (`NPY_ITEM_HASOBJECT`), whatever the kind and fields say. joblib decides by
    /// it whether an array's data is raw bytes or a nested pickle, so its layout does too.
    pub(crate) fn flags_hold_objects(&self) -> bool {
        self.flags & 1 != 0
    }

    /// Whether an element's bytes must be swapped to be read on this machine.
    pub fn needs_swap(&self) -> bool {
        self.order != ByteOrder::NotApplicable && self.order != ByteOrder::NATIVE
    }

    /// numpy's type code without byte order: `f8`, `S5`, `U3`, `M8`, `V12`, `O8`.
    fn code(&self) -> String {
        let n = match self.kind {
            DKind::Str => self.itemsize / 4,
            _ => self.itemsize,
        };
        format!("{}{}", self.kind.as_char(), n)
    }

    /// Read a dtype from the `numpy.dtype` object CPython pickled.
    pub(crate) fn from_value(v: &Value) -> Result<DType, Error> {
        Self::from_value_at(v, 0)
    }

    fn from_value_at(v: &Value, depth: usize) -> Result<DType, Error> {
        const WHAT: &str = "numpy.dtype";
        if depth > MAX_NESTING {
            return Err(invalid(WHAT, "structured types nested too deeply"));
        }
        let obj = match v {
            Value::Object(o) if o.class.module == "numpy" && o.class.name == "dtype" => o,
            Value::Object(o)
                if o.class.module == STRING_DTYPE_MODULE
                    && o.class.name == STRING_DTYPE_FUNCTION =>
            {
                return Self::string_from_call(o);
            }
            other => return Err(invalid(WHAT, format!("found {}", other.type_name()))),
        };
        let Value::Tuple(args) = &obj.args else {
            return Err(invalid(WHAT, "arguments are not a tuple"));
        };
        // A record array's type: numpy.record in place of the code, its size from the state.
        let record = matches!(args.first(), Some(Value::Global(g))
            if g.module == "numpy" && g.name == "record");
        let code = match args.first() {
            _ if record => "V0",
            first => first
                .and_then(text)
                .ok_or_else(|| invalid(WHAT, "no type code"))?,
        };
        let mut chars = code.chars();
        let kind = chars
            .next()
            .and_then(DKind::from_char)
            .ok_or_else(|| invalid(WHAT, format!("unknown type code {code:?}")))?;
        let n: usize = chars
            .as_str()
            .parse()
            .ok()
            .filter(|&n| kind == DKind::Object || size_ok(kind, n))
            .ok_or_else(|| invalid(WHAT, format!("unknown type code {code:?}")))?;
        let state = match obj.state.as_slice() {
            [Value::Tuple(s)] => s.as_slice(),
            _ => return Err(invalid(WHAT, "expected one BUILD state tuple")),
        };
        if state.len() < 8 {
            return Err(invalid(WHAT, "state tuple too short"));
        }
        let order = text(&state[1])
            .and_then(ByteOrder::from_char)
            .ok_or_else(|| invalid(WHAT, format!("byte order {}", state[1])))?;
        let int = |v: &Value, what: &str| {
            v.as_i64()
                .ok_or_else(|| invalid(WHAT, format!("{what} is not an int")))
        };
        let elsize = int(&state[5], "elsize")?;
        if record && elsize < 0 {
            return Err(invalid(WHAT, "a numpy.record type without its size"));
        }
        let alignment = int(&state[6], "alignment")?;
        let flags = int(&state[7], "flags")?;
        // numpy reads the flags of a state before version 3 as "holds objects" if any is set,
        // and makes them its object flags (63).
        let flags = match int(&state[0], "version")? {
            v if v < 3 && flags != 0 => 63,
            _ => flags,
        };
        let itemsize = match kind {
            DKind::Str => n.checked_mul(4).ok_or_else(|| invalid(WHAT, "too wide"))?,
            DKind::Object => 8,
            DKind::Void if elsize >= 0 => elsize as usize,
            _ => n,
        };
        // numpy takes a text type's size from `elsize`, and writes the size its code says.
        if matches!(kind, DKind::Str | DKind::Bytes) && elsize >= 0 && elsize as usize != itemsize {
            return Err(invalid(
                WHAT,
                format!("type code {code:?} with elements of {elsize} bytes"),
            ));
        }
        if itemsize > MAX_ITEMSIZE {
            return Err(invalid(WHAT, "elements too large"));
        }
        let subarray = match &state[2] {
            Value::None => None,
            Value::Tuple(sub) => match sub.as_slice() {
                [base, Value::Tuple(dims)] => {
                    let base = Self::from_value_at(base, depth + 1)?;
                    let shape = super::array::parse_dims(dims)?;
                    let size = shape
                        .iter()
                        .try_fold(base.itemsize, |n, &d| n.checked_mul(d))
                        .filter(|&n| n == itemsize);
                    if kind != DKind::Void || size.is_none() {
                        return Err(invalid(WHAT, "a sub-array's size is not its element's"));
                    }
                    Some(Box::new((base, shape)))
                }
                _ => return Err(invalid(WHAT, "sub-array is not (dtype, shape)")),
            },
            _ => return Err(invalid(WHAT, "sub-array is not (dtype, shape)")),
        };
        let mut fields = Vec::new();
        if let (Value::Tuple(names), Value::Dict(defs)) = (&state[3], &state[4]) {
            for name in names {
                let def = defs
                    .iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map(|(_, d)| d)
                    .ok_or_else(|| invalid(WHAT, format!("field {name} has no definition")))?;
                let (dt, offset, title) = match def.as_slice() {
                    Some([dt, offset]) => (dt, offset, None),
                    Some([dt, offset, title]) => (dt, offset, Some(title.clone())),
                    _ => return Err(invalid(WHAT, format!("field {name}: bad definition"))),
                };
                let offset = offset
                    .as_i64()
                    .and_then(|o| usize::try_from(o).ok())
                    .ok_or_else(|| invalid(WHAT, format!("field {name}: bad offset")))?;
                let dtype = Self::from_value_at(dt, depth + 1)?;
                if offset
                    .checked_add(dtype.itemsize)
                    .map_or(true, |end| end > itemsize)
                {
                    return Err(invalid(WHAT, format!("field {name} overruns the element")));
                }
                fields.push(Field {
                    name: text(name)
                        .ok_or_else(|| invalid(WHAT, "a field name is not a str"))?
                        .to_string(),
                    dtype,
                    offset,
                    title,
                });
            }
        }
        // numpy's `dtype.metadata`: the ninth item, or for a datetime the first of its pair.
        let metadata = match (kind, state.get(8)) {
            (DKind::DateTime | DKind::TimeDelta, Some(Value::Tuple(meta))) => meta.first(),
            (_, meta) => meta,
        };
        // (numpy 1 gives every datetime an empty dict, which is as good as none.)
        let metadata = match metadata {
            None | Some(Value::None) => None,
            Some(Value::Dict(d)) if d.is_empty() => None,
            Some(d @ Value::Dict(_)) => Some(Box::new(d.clone())),
            Some(other) => return Err(invalid(WHAT, format!("metadata {other} is not a dict"))),
        };
        let unit = match (kind, state.get(8)) {
            (DKind::DateTime | DKind::TimeDelta, Some(Value::Tuple(meta))) => match meta.get(1) {
                // (unit, multiplier, denominator, events): numpy writes 1 for the last two,
                // and converts the unit when the denominator is not.
                Some(Value::Tuple(u)) if u.len() == 4 => {
                    let name =
                        text(&u[0]).ok_or_else(|| invalid(WHAT, "datetime unit is not text"))?;
                    let unit = match (u[1].as_i64(), &u[2], &u[3]) {
                        (Some(mult), Value::Int(1), Value::Int(1)) => unit_text(name, mult),
                        _ => None,
                    };
                    Some(unit.ok_or_else(|| {
                        invalid(
                            WHAT,
                            format_args!("datetime metadata {} numpy does not load", meta[1]),
                        )
                    })?)
                }
                _ => return Err(invalid(WHAT, "datetime metadata")),
            },
            (DKind::DateTime | DKind::TimeDelta, _) => {
                return Err(invalid(WHAT, "datetime without a unit"))
            }
            _ => None,
        };
        Ok(DType {
            kind,
            itemsize,
            order,
            unit,
            fields,
            subarray,
            alignment,
            flags,
            metadata,
            string: None,
            record,
        })
    }

    /// `_convert_to_stringdtype_kwargs(coerce[, na_object])`, numpy 2's pickle of a
    /// `StringDType`.
    fn string_from_call(obj: &Object) -> Result<DType, Error> {
        const WHAT: &str = "numpy StringDType";
        // A function: called (REDUCE), never NEWOBJ'd as a class; the rest is any plain call's.
        if obj.made != Made::Call {
            return Err(invalid(WHAT, "expected a call of (coerce[, na_object])"));
        }
        let (coerce, na_object) = match crate::stdlib::call_args(obj, WHAT)? {
            [coerce] => (coerce, None),
            [coerce, na] => (coerce, Some(na.clone())),
            _ => return Err(invalid(WHAT, "expected (coerce[, na_object])")),
        };
        if !matches!(coerce, Value::Int(_) | Value::Bool(_) | Value::BigInt(_)) {
            return Err(invalid(
                WHAT,
                format!("coerce {coerce} is not a bool or int"),
            ));
        }
        let mut d = DType::string_dtype(true, na_object);
        if let Some(args) = d.string.as_mut() {
            args.coerce = coerce.clone();
        }
        Ok(d)
    }

    /// numpy's `dtype.alignment`: what `align=True` aligns a field of this type to.
    fn natural_alignment(&self) -> i64 {
        if !self.fields.is_empty() || self.subarray.is_some() {
            return self.alignment;
        }
        match self.kind {
            DKind::Bool | DKind::Bytes | DKind::Void => 1,
            DKind::Str => 4,
            DKind::Complex => (self.itemsize / 2) as i64,
            DKind::Int | DKind::UInt | DKind::Float => self.itemsize as i64,
            DKind::Object | DKind::StringDType | DKind::DateTime | DKind::TimeDelta => 8,
        }
    }

    /// A structured type, as numpy's `np.dtype({'names': ..., 'formats': ..., 'offsets': ...,
    /// 'itemsize': ..., 'aligned': ...})` makes it: alignment and flags numpy's.
    fn structured(fields: Vec<Field>, itemsize: usize, aligned: bool) -> Result<DType, Error> {
        const WHAT: &str = "numpy structured dtype";
        if itemsize > MAX_ITEMSIZE {
            return Err(invalid(WHAT, "elements too large"));
        }
        for (i, f) in fields.iter().enumerate() {
            if fields[..i].iter().any(|g| g.name == f.name) {
                return Err(invalid(WHAT, format!("field {:?} twice", f.name)));
            }
            if f.offset
                .checked_add(f.dtype.itemsize)
                .map_or(true, |end| end > itemsize)
            {
                return Err(invalid(
                    WHAT,
                    format!("field {:?} overruns the element", f.name),
                ));
            }
            if aligned && f.offset as i64 % f.dtype.natural_alignment() != 0 {
                return Err(invalid(WHAT, format!("field {:?} is not aligned", f.name)));
            }
        }
        // numpy's NPY_NEEDS_PYAPI, the fields' NPY_FROM_FIELDS flags, NPY_ALIGNED_STRUCT.
        let from_fields = fields.iter().fold(0, |acc, f| acc | f.dtype.flags) & 27;
        let (alignment, aligned_flag) = match aligned {
            true => (
                fields
                    .iter()
                    .map(|f| f.dtype.natural_alignment())
                    .max()
                    .unwrap_or(1),
                128,
            ),
            false => (1, 0),
        };
        Ok(DType {
            flags: 16 | from_fields | aligned_flag,
            alignment,
            fields,
            ..DType::new(DKind::Void, itemsize, ByteOrder::NotApplicable)
        })
    }

    /// A sub-array type, `np.dtype((base, shape))`.
    fn sub_array(base: DType, shape: Vec<usize>) -> Result<DType, Error> {
        let itemsize = shape
            .iter()
            .try_fold(base.itemsize, |n, &d| n.checked_mul(d))
            .filter(|&n| n <= MAX_ITEMSIZE)
            .ok_or_else(|| invalid("numpy sub-array dtype", "elements too large"))?;
        Ok(DType {
            alignment: base.natural_alignment(),
            flags: base.flags,
            subarray: Some(Box::new((base, shape))),
            ..DType::new(DKind::Void, itemsize, ByteOrder::NotApplicable)
        })
    }

    /// The dtype in an array's natural form: its `str` (`"<f8"`); for a structured type
    /// numpy's dict form, `{"names", "formats", "offsets", "itemsize", "aligned"}`; for a
    /// sub-array type `(base, shape)`.
    pub(crate) fn natural(&self) -> Value {
        let ints = |v: &mut dyn Iterator<Item = usize>| Value::List(v.map(int).collect());
        if let Some((base, shape)) = self.subarray() {
            return Value::Tuple(vec![base.natural(), ints(&mut shape.iter().copied())]);
        }
        if let Some(args) = &self.string {
            // `{"StringDType": {"coerce": true, "na_object": None}}`: a missing value may be
            // any value, which the text form cannot hold.
            let key = |k: &str| Value::Str(k.into());
            let mut spec = vec![(key("coerce"), Value::Bool(args.coerces()))];
            if let Some(na) = &args.na_object {
                spec.push((key("na_object"), na.clone()));
            }
            return Value::Dict(vec![(key("StringDType"), Value::Dict(spec))]);
        }
        if self.fields.is_empty() {
            return Value::Str(self.to_string());
        }
        let key = |k: &str| Value::Str(k.into());
        let mut spec = vec![
            (
                key("names"),
                Value::List(self.fields.iter().map(|f| key(&f.name)).collect()),
            ),
            (
                key("formats"),
                Value::List(self.fields.iter().map(|f| f.dtype.natural()).collect()),
            ),
            (
                key("offsets"),
                ints(&mut self.fields.iter().map(|f| f.offset)),
            ),
            (key("itemsize"), int(self.itemsize)),
            (key("aligned"), Value::Bool(self.flags & 128 != 0)),
        ];
        if self.fields.iter().any(|f| f.title.is_some()) {
            let titles = self
                .fields
                .iter()
                .map(|f| f.title.clone().unwrap_or(Value::None));
            spec.push((key("titles"), Value::List(titles.collect())));
        }
        Value::Dict(spec)
    }

    /// The inverse of [`DType::natural`].
    pub(crate) fn from_natural(v: &Value) -> Result<DType, Error> {
        Self::from_natural_at(v, 0)
    }

    fn from_natural_at(v: &Value, depth: usize) -> Result<DType, Error> {
        const WHAT: &str = "numpy dtype";
        if depth > MAX_NESTING {
            return Err(invalid(WHAT, "structured types nested too deeply"));
        }
        let size = |v: &Value| {
            v.as_i64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| invalid(WHAT, format!("{v} is not a size")))
        };
        match v {
            Value::Str(s) => s.parse(),
            Value::List(pair) | Value::Tuple(pair) => match pair.as_slice() {
                [base, Value::List(dims) | Value::Tuple(dims)] => Self::sub_array(
                    Self::from_natural_at(base, depth + 1)?,
                    dims.iter().map(size).collect::<Result<_, _>>()?,
                ),
                _ => Err(invalid(WHAT, "a sub-array type is not (base, shape)")),
            },
            Value::Dict(spec) if spec.len() == 1 && spec[0].0.as_str() == Some("StringDType") => {
                let Value::Dict(args) = &spec[0].1 else {
                    return Err(invalid(WHAT, "StringDType's arguments are not a dict"));
                };
                let get = |k: &str| args.iter().find(|(key, _)| key.as_str() == Some(k));
                let coerce = match get("coerce") {
                    None => true,
                    Some((_, Value::Bool(b))) => *b,
                    Some((_, other)) => {
                        return Err(invalid(WHAT, format!("coerce {other} is not a bool")))
                    }
                };
                Ok(DType::string_dtype(
                    coerce,
                    get("na_object").map(|(_, v)| v.clone()),
                ))
            }
            Value::Dict(spec) => {
                let get = |k: &str| spec.iter().find(|(key, _)| key.as_str() == Some(k));
                let list = |k: &str| match get(k) {
                    Some((_, Value::List(v) | Value::Tuple(v))) => Ok(v.as_slice()),
                    _ => Err(invalid(WHAT, format!("{k:?} is not a list"))),
                };
                let (names, formats, offsets) =
                    (list("names")?, list("formats")?, list("offsets")?);
                if formats.len() != names.len() || offsets.len() != names.len() {
                    return Err(invalid(WHAT, "names, formats and offsets differ in length"));
                }
                let itemsize = match get("itemsize") {
                    Some((_, n)) => size(n)?,
                    None => return Err(invalid(WHAT, "no \"itemsize\"")),
                };
                let aligned = match get("aligned") {
                    None | Some((_, Value::Bool(false))) => false,
                    Some((_, Value::Bool(true))) => true,
                    Some((_, other)) => {
                        return Err(invalid(WHAT, format!("aligned {other} is not a bool")))
                    }
                };
                let titles = match get("titles") {
                    None => None,
                    Some((_, Value::List(t) | Value::Tuple(t))) if t.len() == names.len() => {
                        Some(t.as_slice())
                    }
                    Some(_) => return Err(invalid(WHAT, "\"titles\" is not a list of each")),
                };
                let fields = names
                    .iter()
                    .zip(formats)
                    .zip(offsets)
                    .enumerate()
                    .map(|(i, ((name, format), offset))| {
                        Ok(Field {
                            name: name
                                .as_str()
                                .ok_or_else(|| invalid(WHAT, format!("field name {name}")))?
                                .to_string(),
                            dtype: Self::from_natural_at(format, depth + 1)?,
                            offset: size(offset)?,
                            title: titles
                                .map(|t| t[i].clone())
                                .filter(|t| !matches!(t, Value::None)),
                        })
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                Self::structured(fields, itemsize, aligned)
            }
            other => Err(invalid(WHAT, format!("found {}", other.type_name()))),
        }
    }

    /// The `numpy.dtype` object numpy itself pickles for this dtype.
    pub(crate) fn to_value(&self) -> Value {
        if let Some(args) = &self.string {
            let mut call = vec![args.coerce.clone()];
            call.extend(args.na_object.clone());
            return Value::Object(Box::new(crate::stdlib::call_object(
                STRING_DTYPE_MODULE,
                STRING_DTYPE_FUNCTION,
                call,
            )));
        }
        let elsize = match self.kind {
            DKind::Bytes | DKind::Str | DKind::Void => self.itemsize as i64,
            _ => -1,
        };
        let subarray = match self.subarray() {
            Some((base, shape)) => Value::Tuple(vec![
                base.to_value(),
                Value::Tuple(shape.iter().map(|&n| Value::Int(n as i64)).collect()),
            ]),
            None => Value::None,
        };
        let mut state = vec![
            // Version 4 has metadata, and a datetime's unit (numpy crashes on one without).
            Value::Int(if self.metadata.is_some() || self.kind.has_unit() {
                4
            } else {
                3
            }),
            Value::Str(self.order.as_char().into()),
            subarray,
        ];
        if self.fields.is_empty() {
            state.extend([Value::None, Value::None]);
        } else {
            state.push(Value::Tuple(
                self.fields
                    .iter()
                    .map(|f| Value::Str(f.name.clone()))
                    .collect(),
            ));
            // Each field by name, and by title too where it has one, as numpy's `fields`.
            let mut defs = Vec::new();
            for f in &self.fields {
                let mut def = vec![f.dtype.to_value(), Value::Int(f.offset as i64)];
                def.extend(f.title.clone());
                let def = Value::Tuple(def);
                defs.push((Value::Str(f.name.clone()), def.clone()));
                if let Some(title) = &f.title {
                    defs.push((title.clone(), def));
                }
            }
            state.push(Value::Dict(defs));
        }
        state.extend([
            Value::Int(elsize),
            Value::Int(self.alignment),
            Value::Int(self.flags),
        ]);
        if self.kind.has_unit() {
            // `NdArray::from_bytes` refuses a unit numpy does not know, and a dtype read from
            // a pickle has one it knows.
            let unit = self.unit.as_deref().unwrap_or(GENERIC);
            let (name, mult) = unit_parts(unit).unwrap_or((unit, 1));
            state.push(Value::Tuple(vec![
                self.metadata.as_deref().cloned().unwrap_or(Value::None),
                Value::Tuple(vec![
                    Value::Bytes(name.as_bytes().to_vec()),
                    Value::Int(mult),
                    Value::Int(1),
                    Value::Int(1),
                ]),
            ]));
        } else if let Some(metadata) = &self.metadata {
            state.push(Value::clone(metadata));
        }
        let code = match self.kind {
            DKind::DateTime | DKind::TimeDelta => format!("{}8", self.kind.as_char()),
            _ => self.code(),
        };
        Value::Object(Box::new(Object {
            class: crate::value::Global {
                module: "numpy".into(),
                name: "dtype".into(),
            },
            made: Made::Call,
            args: Value::Tuple(vec![
                if self.record {
                    Value::Global(Box::new(crate::value::Global {
                        module: "numpy".into(),
                        name: "record".into(),
                    }))
                } else {
                    Value::Str(code)
                },
                Value::Bool(false),
                Value::Bool(true),
            ]),
            kwargs: None,
            state: vec![Value::Tuple(state)],
            list_items: Vec::new(),
            dict_items: Vec::new(),
        }))
    }
}

/// A size as a Python int.
fn int(n: usize) -> Value {
    Value::Int(n as i64)
}

impl std::str::FromStr for DType {
    type Err = Error;

    /// The inverse of `Display`: numpy's `dtype.str` (`<f8`, `|b1`, `>i4`, `<U3`, `|S5`,
    /// `<M8[ns]`, `|V12`, `|O`, `StringDType()`, `StringDType(coerce=False)`). A structured
    /// type's fields are not in that text: `|V12` reads as raw 12-byte elements; nor is a
    /// `StringDType`'s missing value, any Python value: its text is refused.
    ///
    /// ```
    /// use pypickle::numpy::{ByteOrder, DKind, DType};
    /// let d: DType = "<U3".parse()?;
    /// assert_eq!((d.kind, d.itemsize, d.order), (DKind::Str, 12, ByteOrder::Little));
    /// assert_eq!(d.to_string(), "<U3");
    /// assert!("<q9".parse::<DType>().is_err());
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<DType, Error> {
        const WHAT: &str = "numpy dtype text";
        let bad = || invalid(WHAT, format!("{s:?} is not a dtype's str"));
        let (order, rest) = match s.get(..1).and_then(ByteOrder::from_char) {
            Some(o) => (o, &s[1..]),
            None => (ByteOrder::NATIVE, s),
        };
        let (code, unit) = match rest.split_once('[') {
            Some((code, unit)) => (code, Some(unit.strip_suffix(']').ok_or_else(bad)?)),
            None => (rest, None),
        };
        match s {
            "StringDType()" => return Ok(DType::string_dtype(true, None)),
            "StringDType(coerce=False)" => return Ok(DType::string_dtype(false, None)),
            _ => {}
        }
        let mut chars = code.chars();
        let kind = chars.next().and_then(DKind::from_char).ok_or_else(bad)?;
        if kind == DKind::Object {
            return match chars.as_str() {
                "" | "8" => Ok(DType::new(DKind::Object, 8, ByteOrder::NotApplicable)),
                _ => Err(bad()),
            };
        }
        let n: usize = chars.as_str().parse().map_err(|_| bad())?;
        let itemsize = match kind {
            DKind::Str => n.checked_mul(4).ok_or_else(bad)?,
            _ => n,
        };
        let sizes_ok = size_ok(kind, n) && itemsize <= MAX_ITEMSIZE;
        let datetime = kind.has_unit();
        let unit = match unit {
            Some(u) if datetime => Some(unit_parts(u).ok_or_else(bad)?),
            Some(_) => return Err(bad()),
            None => None,
        };
        if !sizes_ok {
            return Err(bad());
        }
        let mut dtype = DType::new(kind, itemsize, order);
        if let Some((name, mult)) = unit {
            dtype.unit = unit_text(name, mult);
        }
        Ok(dtype)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == DKind::Object {
            return f.write_str("|O");
        }
        if let Some(args) = &self.string {
            // numpy's `str`: `StringDType(na_object=None, coerce=False)`.
            f.write_str("StringDType(")?;
            if let Some(na) = &args.na_object {
                write!(f, "na_object={na}")?;
            }
            if !args.coerces() {
                let sep = if args.na_object.is_some() { ", " } else { "" };
                write!(f, "{sep}coerce=False")?;
            }
            return f.write_str(")");
        }
        write!(f, "{}{}", self.order.as_char(), self.code())?;
        match &self.unit {
            // numpy's `np.dtype('M8').str` is `<M8`.
            Some(unit) if unit != GENERIC => write!(f, "[{unit}]"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(made: Made, args: Vec<Value>) -> Value {
        let mut o = crate::stdlib::call_object(STRING_DTYPE_MODULE, STRING_DTYPE_FUNCTION, args);
        o.made = made;
        Value::Object(Box::new(o))
    }

    /// numpy's pickle of a `StringDType`, a call of `_convert_to_stringdtype_kwargs`: `coerce`
    /// kept as pickled and compared by its truth, as numpy compares the dtypes; what Python
    /// would refuse (NEWOBJ of a function, no arguments, a str `coerce`) refused.
    #[test]
    fn string_dtypes_read_as_numpy_makes_them() {
        let d = DType::from_value(&call(Made::Call, vec![Value::Bool(true)])).unwrap();
        assert_eq!(d, DType::string_dtype(true, None));
        assert_eq!(d.to_value(), call(Made::Call, vec![Value::Bool(true)]));
        let big = Value::from_big(crate::BigInt::from(u64::MAX));
        let d = DType::from_value(&call(Made::Call, vec![big, Value::None])).unwrap();
        assert_eq!(d, DType::string_dtype(true, Some(Value::None)));
        let d = DType::from_value(&call(Made::Call, vec![Value::Int(0)])).unwrap();
        assert_eq!(d.to_string(), "StringDType(coerce=False)");
        assert_eq!(d.to_string().parse::<DType>().unwrap(), d);
        for bad in [
            call(Made::New, vec![Value::Int(1)]),
            call(Made::Call, vec![]),
            call(Made::Call, vec![Value::Str("yes".into())]),
            call(Made::Call, vec![Value::Int(1), Value::None, Value::None]),
        ] {
            let e = DType::from_value(&bad).unwrap_err();
            assert!(e.to_string().contains("StringDType"), "{bad}: {e}");
        }
    }
}
