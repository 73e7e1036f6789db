//! A reversible mapping between [`Value`] and JSON (feature `json`), so that plain-data pickles
//! can be read and edited with ordinary JSON tools and written back as the same Python values.
//!
//! Python values that JSON has map to themselves; every other value becomes an object with a
//! single key that starts with `$`, the tag:
//!
//! | Python | JSON |
//! |---|---|
//! | `None`, `True`, `False` | `null`, `true`, `false` |
//! | `int` from -2^63 to 2^64-1 | a number without fraction or exponent: `7` |
//! | any other `int` | `{"$int": "1180591620717411303424"}` (decimal digits, `-` for negatives; past Python's 4300 digits a hex literal, `"0x1f..."`) |
//! | finite `float` | a number with a fraction or an exponent: `1.0`, `-2.5`, `1e+16`, `-0.0` |
//! | `nan`, `inf`, `-inf` | `{"$float": "nan"}`, `{"$float": "inf"}`, `{"$float": "-inf"}`; a NaN with its sign bit set (`-float('nan')`, and what x86 makes of `0.0 / 0.0` in numpy) `{"$float": "-nan"}`, any other NaN its bits, `{"$float": "nan:7ff0000000000001"}` |
//! | `complex` | `{"$complex": [real, imag]}`, each part a float as above |
//! | `str` | a string |
//! | `bytes` | `{"$bytes": "AP8="}` (standard base64, padded, as `base64.b64encode`) |
//! | `bytearray` | `{"$bytearray": "AP8="}` |
//! | `list` | an array |
//! | `tuple` | `{"$tuple": [...]}` |
//! | `set`, `frozenset` | `{"$set": [...]}`, `{"$frozenset": [...]}` |
//! | `dict` whose keys are all `str`, none twice | an object, in the dict's order |
//! | any other `dict` | `{"$dict": [[key, value], ...]}` |
//! | a dict whose only key starts with `$`, such as `{'$x': 1}` | `{"$dict": [["$x", 1]]}`, so that it cannot be read as a tag |
//! | a global (with [`JsonOptions::objects`]) | `{"$global": ["module", "qualified.name"]}` |
//! | an object (with [`JsonOptions::objects`]) | `{"$object": {"class": ["module", "Name"], "made": "new", "args": {"$tuple": []}, "state": [{...}]}}` |
//!
//! An object's fields are those of [`Object`](crate::Object): `class`, `made` (`"call"`,
//! `"new"`, `"new_ex"` or `"reconstructor"`, see [`Made`](crate::Made)) and `args` always;
//! `kwargs`, `state` (an array: one entry per BUILD), `list_items` and `dict_items` (pairs)
//! when present. Globals and objects are refused by default in both directions: a JSON file
//! from elsewhere must not turn into a pickle that names `os.system` by accident.
//!
//! Reading JSON is strict: an object with one `$` key must be one of the tags above, with the
//! content shown; any other object is a dict. `from_json(to_json(v))` gives `v` back
//! exactly: the same variants (`True` stays a bool, `1.0` a float, a tuple a tuple), floats bit
//! for bit (a NaN's sign and payload too), dicts in their order and with repeated keys kept, sets in their order.
//! Floats are written by serde_json's shortest round-trip formatting, which always keeps a
//! `.0` or an exponent, and read back exactly (this feature turns on serde_json's
//! `float_roundtrip` and `preserve_order`).
//!
//! JSON nests at most [`JsonOptions::max_depth`] arrays and objects deep (127 by default,
//! what `serde_json::from_str` reads): a tuple or a set takes two levels, a dict with
//! non-`str` keys three. Deeper values are an [`ErrorKind::Depth`] error, not a stack
//! overflow.
//!
//! ```
//! use pypickle::json::{from_json, to_json};
//!
//! // pickle.dumps({'id': 7, 'pos': (1.0, -2.5), 'raw': b'\x00\xff', 'big': 2**70,
//! //               'tags': {'a'}}, protocol=4)
//! let data = b"\x80\x04\x95Q\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x02id\x94K\x07\x8c\x03pos\x94G?\xf0\x00\x00\x00\x00\x00\x00G\xc0\x04\x00\x00\x00\x00\x00\x00\x86\x94\x8c\x03raw\x94C\x02\x00\xff\x94\x8c\x03big\x94\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00@\x8c\x04tags\x94\x8f\x94(\x8c\x01a\x94\x90u.";
//! let v: pypickle::Value = pypickle::from_slice(data)?;
//!
//! let json = to_json(&v)?;
//! assert_eq!(
//!     json.to_string(),
//!     r#"{"id":7,"pos":{"$tuple":[1.0,-2.5]},"raw":{"$bytes":"AP8="},"big":{"$int":"1180591620717411303424"},"tags":{"$set":["a"]}}"#
//! );
//!
//! // Edited with any JSON tool, then back to a pickle Python loads:
//! let mut edited: serde_json::Value = serde_json::from_str(&json.to_string())?;
//! edited["id"] = 8.into();
//! let back = from_json(&edited)?;
//! assert_eq!(
//!     back.to_string(),
//!     "{'id': 8, 'pos': (1.0, -2.5), 'raw': b'\\x00\\xff', 'big': 1180591620717411303424, 'tags': {'a'}}"
//! );
//! let pickle = pypickle::to_vec(&back)?;
//! # assert_eq!(pypickle::from_slice::<pypickle::Value>(&pickle)?.to_string(), back.to_string());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod base64;
mod decode;
mod encode;
mod error;

pub use error::{Error, ErrorKind, Result};

use crate::value::Value;

/// The NaN Python's `float('nan')` is, written `"nan"`; and with its sign bit set, `"-nan"`.
/// Any other NaN is written with its bits.
const NAN_BITS: u64 = 0x7ff8_0000_0000_0000;
const NEGATIVE_NAN_BITS: u64 = 0xfff8_0000_0000_0000;

/// The tags: the keys of the one-key objects that stand for values JSON does not have.
mod tag {
    pub const INT: &str = "$int";
    pub const FLOAT: &str = "$float";
    pub const COMPLEX: &str = "$complex";
    pub const BYTES: &str = "$bytes";
    pub const BYTEARRAY: &str = "$bytearray";
    pub const TUPLE: &str = "$tuple";
    pub const SET: &str = "$set";
    pub const FROZENSET: &str = "$frozenset";
    pub const DICT: &str = "$dict";
    pub const GLOBAL: &str = "$global";
    pub const OBJECT: &str = "$object";
    pub const ALL: &[&str] = &[
        INT, FLOAT, COMPLEX, BYTES, BYTEARRAY, TUPLE, SET, FROZENSET, DICT, GLOBAL, OBJECT,
    ];
}

/// Options for [`to_json_with`] and [`from_json_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonOptions {
    objects: bool,
    max_depth: usize,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            objects: false,
            max_depth: 127,
        }
    }
}

impl JsonOptions {
    /// The defaults: globals and objects refused, at most 127 levels of JSON nesting.
    pub fn new() -> Self {
        Self::default()
    }

    /// Map globals and inert objects (`{"$global": ...}`, `{"$object": ...}`) instead of
    /// refusing them with an [`ErrorKind::Refused`] error. Off by default.
    pub fn objects(mut self, yes: bool) -> Self {
        self.objects = yes;
        self
    }

    /// The deepest nesting of JSON arrays and objects written or read (default 127, the
    /// most `serde_json::from_str` parses).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }
}

/// The JSON form of `v`, with the default options: globals and objects are refused.
///
/// ```
/// use pypickle::{json, pickle_value};
/// let v = pickle_value!({"n": 1, "t": (1.5, None)});
/// assert_eq!(json::to_json(&v)?.to_string(), r#"{"n":1,"t":{"$tuple":[1.5,null]}}"#);
/// # Ok::<(), json::Error>(())
/// ```
pub fn to_json(v: &Value) -> Result<serde_json::Value> {
    to_json_with(v, &JsonOptions::default())
}

/// The JSON form of `v`, with options.
pub fn to_json_with(v: &Value, opts: &JsonOptions) -> Result<serde_json::Value> {
    encode::Encoder { opts }.value(v, 0)
}

/// The value whose JSON form is `j`, with the default options: `$global` and `$object` are
/// refused.
///
/// A JSON integer outside `i64` and `u64` (`18446744073709551616`) or `-0` reaches this
/// function as a float: `serde_json` keeps no other number without its `arbitrary_precision`
/// feature, which a library cannot turn on for its users. [`to_json`] writes such ints as
/// `{"$int": "..."}`, which reads back exactly.
///
/// ```
/// use pypickle::json;
/// let j = serde_json::json!({"$dict": [[1, "one"], [{"$tuple": [2, 3]}, null]]});
/// assert_eq!(json::from_json(&j)?.to_string(), "{1: 'one', (2, 3): None}");
/// # Ok::<(), json::Error>(())
/// ```
pub fn from_json(j: &serde_json::Value) -> Result<Value> {
    from_json_with(j, &JsonOptions::default())
}

/// The value whose JSON form is `j`, with options.
pub fn from_json_with(j: &serde_json::Value, opts: &JsonOptions) -> Result<Value> {
    decode::Decoder { opts }.value(j, 0)
}

#[cfg(test)]
mod tests;
