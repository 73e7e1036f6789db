//! `array.array`, the standard library's typed sequence of numbers or characters. CPython 3
//! pickles it at protocol 3 and up as `array._array_reconstructor(array.array, typecode,
//! mformat_code, bytes)`, the items' machine bytes with a code for their layout, and below
//! protocol 3 (as Python 2.7 does) as `array.array(typecode, list)`.
//!
//! In a [`Value`] it stays an inert [`Value::Object`] whose `repr()` is known ([`View`] reads
//! it in every shape CPython loads), and it reads as its items: a list, or a str for the
//! character typecodes `u` and `w`. [`Array`] is the Rust type that holds one and writes one.

mod view;

use std::fmt::{self, Display, Formatter};

use super::{call_object, invalid, via_value, FromPlain};
use crate::error::Error;
use crate::value::{Global, Object, Value};
pub(crate) use view::View;

const WHAT: &str = "array.array";

/// An `array.array`: its typecode and its items, stored as the typecode stores them.
///
/// It reads from every shape CPython writes (and from Python 2's), and writes what CPython 3
/// writes: `array._array_reconstructor` with the items' little-endian bytes from protocol 3,
/// `array.array(typecode, list)` below 3, which Python 2.7 loads too. The `Vec`s and `String`
/// convert into one with the typecode Python would pick for them (`d` for `f64`, `q` for
/// `i64`, `u` for text); [`Array::new`] takes any typecode that holds its items.
///
/// ```
/// use pypickle::stdlib::{Array, ArrayItems};
/// let a = Array::from(vec![0.5, -1.0]);
/// assert_eq!(a.to_string(), "array('d', [0.5, -1.0])");
/// // pickle.loads(...) in Python gives array('d', [0.5, -1.0]) at every protocol.
/// let bytes = pypickle::to_vec(&a)?;
/// let back: Array = pypickle::from_slice(&bytes)?;
/// assert_eq!(back, a);
///
/// let longs = Array::new('l', ArrayItems::I64(vec![1, -2]))?;
/// assert_eq!(longs.to_string(), "array('l', [1, -2])");
/// assert!(Array::new('b', ArrayItems::I64(vec![1])).is_err());
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    typecode: char,
    items: ArrayItems,
}

/// The items of an [`Array`], as its typecode stores them. The typecodes of each (as CPython
/// sizes them on a 64-bit Linux or macOS) are given below; `l` and `L` take 4 bytes on
/// Windows, where CPython loads an `l` array written here as a `q` one.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrayItems {
    /// `b`
    I8(Vec<i8>),
    /// `B`
    U8(Vec<u8>),
    /// `h`
    I16(Vec<i16>),
    /// `H`
    U16(Vec<u16>),
    /// `i`
    I32(Vec<i32>),
    /// `I`
    U32(Vec<u32>),
    /// `q` or `l`
    I64(Vec<i64>),
    /// `Q` or `L`
    U64(Vec<u64>),
    /// `f`
    F32(Vec<f32>),
    /// `d`
    F64(Vec<f64>),
    /// `u` or `w` (Python 3.13+; `u` is deprecated there)
    Text(String),
}

impl ArrayItems {
    /// Whether `typecode` stores these items.
    fn fit(&self, typecode: char) -> bool {
        matches!(
            (self, typecode),
            (ArrayItems::I8(_), 'b')
                | (ArrayItems::U8(_), 'B')
                | (ArrayItems::I16(_), 'h')
                | (ArrayItems::U16(_), 'H')
                | (ArrayItems::I32(_), 'i')
                | (ArrayItems::U32(_), 'I')
                | (ArrayItems::I64(_), 'q' | 'l')
                | (ArrayItems::U64(_), 'Q' | 'L')
                | (ArrayItems::F32(_), 'f')
                | (ArrayItems::F64(_), 'd')
                | (ArrayItems::Text(_), 'u' | 'w')
        )
    }

    /// The number of items (characters for text).
    pub fn len(&self) -> usize {
        match self {
            ArrayItems::I8(v) => v.len(),
            ArrayItems::U8(v) => v.len(),
            ArrayItems::I16(v) => v.len(),
            ArrayItems::U16(v) => v.len(),
            ArrayItems::I32(v) => v.len(),
            ArrayItems::U32(v) => v.len(),
            ArrayItems::I64(v) => v.len(),
            ArrayItems::U64(v) => v.len(),
            ArrayItems::F32(v) => v.len(),
            ArrayItems::F64(v) => v.len(),
            ArrayItems::Text(s) => s.chars().count(),
        }
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items' machine bytes, little-endian (UTF-32 for text), as CPython on a
    /// little-endian machine lays them out.
    fn le_bytes(&self) -> Vec<u8> {
        fn each<T, const N: usize>(items: &[T], le: impl Fn(&T) -> [u8; N]) -> Vec<u8> {
            items.iter().flat_map(le).collect()
        }
        match self {
            ArrayItems::I8(v) => each(v, |x| x.to_le_bytes()),
            ArrayItems::U8(v) => v.clone(),
            ArrayItems::I16(v) => each(v, |x| x.to_le_bytes()),
            ArrayItems::U16(v) => each(v, |x| x.to_le_bytes()),
            ArrayItems::I32(v) => each(v, |x| x.to_le_bytes()),
            ArrayItems::U32(v) => each(v, |x| x.to_le_bytes()),
            ArrayItems::I64(v) => each(v, |x| x.to_le_bytes()),
            ArrayItems::U64(v) => each(v, |x| x.to_le_bytes()),
            ArrayItems::F32(v) => each(v, |x| x.to_le_bytes()),
            ArrayItems::F64(v) => each(v, |x| x.to_le_bytes()),
            ArrayItems::Text(s) => s.chars().flat_map(|c| u32::from(c).to_le_bytes()).collect(),
        }
    }

    /// Each number as a `Value` (for `Display` and the list form); nothing for text.
    fn numbers(&self) -> Box<dyn Iterator<Item = Value> + '_> {
        fn each<'a, T: Copy>(
            items: &'a [T],
            f: impl Fn(T) -> Value + 'a,
        ) -> Box<dyn Iterator<Item = Value> + 'a> {
            Box::new(items.iter().map(move |&x| f(x)))
        }
        match self {
            ArrayItems::I8(v) => each(v, Value::from),
            ArrayItems::U8(v) => each(v, Value::from),
            ArrayItems::I16(v) => each(v, Value::from),
            ArrayItems::U16(v) => each(v, Value::from),
            ArrayItems::I32(v) => each(v, Value::from),
            ArrayItems::U32(v) => each(v, Value::from),
            ArrayItems::I64(v) => each(v, Value::from),
            ArrayItems::U64(v) => each(v, Value::from),
            ArrayItems::F32(v) => each(v, |x| Value::Float(f64::from(x))),
            ArrayItems::F64(v) => each(v, Value::Float),
            ArrayItems::Text(_) => Box::new(std::iter::empty()),
        }
    }
}

impl Array {
    /// An array of `typecode` holding `items`; an error if the typecode does not store them
    /// (see [`ArrayItems`] for which store which) or is not one of Python's.
    pub fn new(typecode: char, items: ArrayItems) -> Result<Array, Error> {
        if !items.fit(typecode) {
            return Err(invalid(
                WHAT,
                format_args!("typecode {typecode:?} does not store {}", items.kind()),
            ));
        }
        Ok(Array { typecode, items })
    }

    /// The typecode, as Python's `a.typecode` gives it.
    pub fn typecode(&self) -> char {
        self.typecode
    }

    /// The items.
    pub fn items(&self) -> &ArrayItems {
        &self.items
    }

    /// The items, taken out.
    pub fn into_items(self) -> ArrayItems {
        self.items
    }

    pub(crate) fn from_object(obj: &Object) -> Result<Array, Error> {
        let view = View::of(obj)
            .ok_or_else(|| invalid(WHAT, "not in a shape CPython loads as an array"))?;
        let typecode = view.typecode();
        // The view has checked every item against the typecode's range.
        let ints = || view.numbers().flatten().map(|v| v.as_i128().unwrap_or(0));
        let floats = || {
            view.numbers().flatten().map(|v| match v {
                Value::Float(x) => x,
                _ => 0.0,
            })
        };
        let items = match typecode {
            'b' => ArrayItems::I8(ints().map(|n| n as i8).collect()),
            'B' => ArrayItems::U8(ints().map(|n| n as u8).collect()),
            'h' => ArrayItems::I16(ints().map(|n| n as i16).collect()),
            'H' => ArrayItems::U16(ints().map(|n| n as u16).collect()),
            'i' => ArrayItems::I32(ints().map(|n| n as i32).collect()),
            'I' => ArrayItems::U32(ints().map(|n| n as u32).collect()),
            'q' | 'l' => ArrayItems::I64(ints().map(|n| n as i64).collect()),
            'Q' | 'L' => ArrayItems::U64(ints().map(|n| n as u64).collect()),
            // Bit for bit from float32 bytes (a signalling NaN made a double and back would
            // come back quiet); from doubles and Python floats, rounded as C casts them.
            'f' => ArrayItems::F32(match view.float32_bits() {
                Some(bits) => bits.map(f32::from_bits).collect(),
                None => floats().map(|x| x as f32).collect(),
            }),
            'd' => ArrayItems::F64(floats().collect()),
            _ => ArrayItems::Text(view.chars().flatten().collect()),
        };
        Array::new(typecode, items)
    }
}

impl ArrayItems {
    /// What these items are, for errors.
    fn kind(&self) -> &'static str {
        match self {
            ArrayItems::I8(_) => "i8 items",
            ArrayItems::U8(_) => "u8 items",
            ArrayItems::I16(_) => "i16 items",
            ArrayItems::U16(_) => "u16 items",
            ArrayItems::I32(_) => "i32 items",
            ArrayItems::U32(_) => "u32 items",
            ArrayItems::I64(_) => "i64 items",
            ArrayItems::U64(_) => "u64 items",
            ArrayItems::F32(_) => "f32 items",
            ArrayItems::F64(_) => "f64 items",
            ArrayItems::Text(_) => "text",
        }
    }
}

/// The typecode Python's `array` module picks for these items, as the `From` impls use it.
macro_rules! from_vec {
    ($($t:ty => $variant:ident, $code:literal;)*) => {$(
        impl From<Vec<$t>> for Array {
            #[doc = concat!("`array('", $code, "', items)`.")]
            fn from(items: Vec<$t>) -> Array {
                Array { typecode: $code, items: ArrayItems::$variant(items) }
            }
        }
    )*};
}

from_vec! {
    i8 => I8, 'b';
    u8 => U8, 'B';
    i16 => I16, 'h';
    u16 => U16, 'H';
    i32 => I32, 'i';
    u32 => U32, 'I';
    i64 => I64, 'q';
    u64 => U64, 'Q';
    f32 => F32, 'f';
    f64 => F64, 'd';
}

impl From<String> for Array {
    /// `array('u', text)`.
    fn from(text: String) -> Array {
        Array {
            typecode: 'u',
            items: ArrayItems::Text(text),
        }
    }
}

impl From<&str> for Array {
    /// `array('u', text)`.
    fn from(text: &str) -> Array {
        Array::from(text.to_string())
    }
}

impl From<Array> for Value {
    /// `array._array_reconstructor(array.array, typecode, mformat_code, bytes)`, as CPython 3
    /// writes an array from protocol 3 (the writer gives protocols 0-2 the `array(typecode,
    /// list)` CPython writes there).
    fn from(a: Array) -> Value {
        let class = Value::Global(Box::new(Global {
            module: "array".into(),
            name: "array".into(),
        }));
        let format = view::own_format(a.typecode).unwrap_or(0);
        Value::Object(Box::new(call_object(
            "array",
            "_array_reconstructor",
            vec![
                class,
                Value::Str(a.typecode.to_string()),
                Value::Int(i64::from(format)),
                Value::Bytes(a.items.le_bytes()),
            ],
        )))
    }
}

impl TryFrom<&Value> for Array {
    type Error = Error;
    /// From an `array.array` in any shape CPython loads.
    fn try_from(v: &Value) -> Result<Array, Error> {
        match v {
            Value::Object(o) if o.class.module == "array" => Array::from_object(o),
            other => super::expect_object(other, "array", "array").and_then(Array::from_object),
        }
    }
}

via_value!(Array);

impl FromPlain for Array {
    /// From the list of items another format holds: `q` for ints (`Q` if one needs it),
    /// `d` if any is a float, `d` for no items; `u` for a str.
    fn from_plain(v: &Value) -> Option<Result<Array, Error>> {
        let items = match v {
            Value::Str(s) => return Some(Ok(Array::from(s.as_str()))),
            Value::List(items) | Value::Tuple(items) => items,
            _ => return None,
        };
        let number = |v: &Value| match v {
            Value::Int(_) | Value::BigInt(_) | Value::Float(_) => Ok(()),
            other => Err(invalid(
                WHAT,
                format_args!("an item is {}, not a number", super::describe(other)),
            )),
        };
        if let Err(e) = items.iter().try_for_each(number) {
            return Some(Err(e));
        }
        if items.is_empty() || items.iter().any(|v| matches!(v, Value::Float(_))) {
            let floats: Option<Vec<f64>> = items.iter().map(Value::as_f64).collect();
            return Some(floats.map(Array::from).ok_or_else(|| {
                invalid(
                    WHAT,
                    "an int item is beyond the range of a float (typecode d)",
                )
            }));
        }
        let ints: Option<Vec<i64>> = items.iter().map(|v| v.as_i64()).collect();
        if let Some(ints) = ints {
            return Some(Ok(Array::from(ints)));
        }
        let unsigned: Option<Vec<u64>> = items
            .iter()
            .map(|v| v.as_i128().and_then(|n| u64::try_from(n).ok()))
            .collect();
        Some(unsigned.map(Array::from).ok_or_else(|| {
            invalid(
                WHAT,
                "an int item fits neither i64 nor u64 (typecodes q and Q)",
            )
        }))
    }
}

impl Display for Array {
    /// `array('d', [0.5, -1.0])`, `array('u', 'hé')`, `array('q')`: as CPython prints it.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let text = match &self.items {
            ArrayItems::Text(text) => Some(text.as_str()),
            _ => None,
        };
        view::write_repr(f, self.typecode, text, self.items.numbers())
    }
}

/// The arguments `(typecode, [items])` of `array.array(typecode, list)`, CPython's form below
/// protocol 3, for an array `obj` holds in the reconstructor's form; `None` for anything else
/// (written as it is). Its `Serialize` writes the items one by one from the array's bytes, so
/// that a large array is not first made into a list of values (32 bytes an item).
pub(crate) fn list_form(obj: &Object) -> Option<ListForm<'_>> {
    if (obj.class.module.as_str(), obj.class.name.as_str()) != ("array", "_array_reconstructor") {
        return None;
    }
    View::of(obj).map(ListForm)
}

/// See [`list_form`].
pub(crate) struct ListForm<'a>(View<'a>);

impl serde::Serialize for ListForm<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut args = s.serialize_tuple(2)?;
        args.serialize_element(self.0.typecode().encode_utf8(&mut [0; 4]))?;
        args.serialize_element(&Items(&self.0))?;
        args.end()
    }
}

/// The items of [`ListForm`], as a list.
struct Items<'v, 'a>(&'v View<'a>);

impl serde::Serialize for Items<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let view = self.0;
        let mut seq = s.serialize_seq(None)?;
        if matches!(view.typecode(), 'u' | 'w') {
            for c in view.chars() {
                // `View::of` has checked every item.
                let c = c.ok_or_else(|| S::Error::custom("an array item is not a character"))?;
                seq.serialize_element(c.encode_utf8(&mut [0; 4]))?;
            }
        } else {
            for n in view.numbers() {
                seq.serialize_element(
                    &n.ok_or_else(|| S::Error::custom("an array item out of its range"))?,
                )?;
            }
        }
        seq.end()
    }
}
