//! `#[serde(with = "...")]` helpers that write a field as a Python type serde's data model
//! lacks: a `set`, a `frozenset`, a `tuple` of any length, or a `bytearray` (and `bytes`, as
//! `serde_bytes` writes them).
//!
//! Without them a `HashSet` or `BTreeSet` is written as a list (serde has no set type), a `Vec`
//! as a list and a `Vec<u8>` as a list of ints. Each module here has the `serialize` and
//! `deserialize` pair serde's `with` attribute wants; reading accepts whatever the field's
//! type reads anyway (a set field reads a list, set or frozenset).
//!
//! ```
//! use std::collections::{BTreeSet, HashSet};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, PartialEq, Debug)]
//! struct Doc {
//!     #[serde(with = "pypickle::with::set")]
//!     tags: BTreeSet<String>,
//!     #[serde(with = "pypickle::with::frozenset")]
//!     ids: HashSet<u32>,
//!     #[serde(with = "pypickle::with::tuple")]
//!     shape: Vec<usize>,
//!     #[serde(with = "pypickle::with::bytearray")]
//!     buf: Vec<u8>,
//!     #[serde(with = "pypickle::with::set")]
//!     maybe: Option<BTreeSet<i64>>,
//! }
//!
//! let doc = Doc {
//!     tags: BTreeSet::from(["a".to_string()]),
//!     ids: HashSet::from([7]),
//!     shape: vec![2, 3],
//!     buf: b"ok".to_vec(),
//!     maybe: None,
//! };
//! let data = pypickle::to_vec(&doc)?;
//! let v: pypickle::Value = pypickle::from_slice(&data)?;
//! assert_eq!(
//!     v.to_string(),
//!     "{'tags': {'a'}, 'ids': frozenset({7}), 'shape': (2, 3), 'buf': bytearray(b'ok'), 'maybe': None}"
//! );
//! assert_eq!(pypickle::from_slice::<Doc>(&data)?, doc);
//! # Ok::<(), pypickle::Error>(())
//! ```
//!
//! Other serde formats see through them: `serde_json` writes these fields as arrays (and the
//! bytearray as an array of numbers, as it writes any bytes). Each also takes an `Option` of
//! what it takes (`None` is written as `None`). A value of another shape (a map given to
//! `set`, say) is an error, not a dict: to find that out before writing anything, the field's
//! `Serialize` is run up to its first call, then run again to write it, so one that can run
//! only once (taking an iterator out of a `RefCell`) fails here. `to_value` takes and refuses
//! the same.

use serde::ser::{Serialize, Serializer};
use serde::Deserializer;

use crate::value::magic::Tag;

/// Reads the field as its own type reads it: every helper here only changes how it is written.
fn read<'de, T: serde::Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    T::deserialize(d)
}

/// A field whose value serializes as a sequence (`HashSet`, `BTreeSet`, `Vec`, ...), written
/// as a Python `set`. Its elements must be hashable in Python: a `Vec` element is an error.
pub mod set {
    use super::*;

    /// Writes `value`'s sequence as a Python `set`.
    pub fn serialize<T: Serialize + ?Sized, S: Serializer>(
        value: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(Tag::Set.name(), value)
    }

    /// Reads the field as its type reads any sequence (a list, tuple, set or frozenset).
    pub fn deserialize<'de, T: serde::Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        read(d)
    }
}

/// As [`set`](mod@set), written as a Python `frozenset` (which, unlike a set, can be a dict key
/// or a set element).
pub mod frozenset {
    use super::*;

    /// Writes `value`'s sequence as a Python `frozenset`.
    pub fn serialize<T: Serialize + ?Sized, S: Serializer>(
        value: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(Tag::FrozenSet.name(), value)
    }

    /// Reads the field as its type reads any sequence.
    pub fn deserialize<'de, T: serde::Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        read(d)
    }
}

/// A sequence of any length (`Vec`, `VecDeque`, a slice, ...) written as a Python `tuple`, as
/// a Rust tuple or array already is. A tuple of hashable items can be a dict key.
pub mod tuple {
    use super::*;

    /// Writes the items of `value`'s sequence as a Python `tuple`.
    pub fn serialize<T: Serialize + ?Sized, S: Serializer>(
        value: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(Tag::Tuple.name(), value)
    }

    /// Reads the field as its type reads any sequence.
    pub fn deserialize<'de, T: serde::Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        read(d)
    }
}

/// Bytes (`Vec<u8>`, `[u8; N]`, `Cow<[u8]>`, ...) written as Python `bytes`: what
/// `serde_bytes` does, here beside [`bytearray`](mod@bytearray) so that a field needs no
/// other crate. (Without it a `Vec<u8>` is a list of ints.)
pub mod bytes {
    /// Writes `value`'s bytes as Python `bytes`.
    pub fn serialize<T: serde_bytes::Serialize + ?Sized, S: serde::Serializer>(
        value: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serde_bytes::serialize(value, s)
    }

    /// Reads `bytes` or a `bytearray` as `serde_bytes` does.
    pub fn deserialize<'de, T: serde_bytes::Deserialize<'de>, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        serde_bytes::deserialize(d)
    }
}

/// Bytes (`Vec<u8>`, `[u8; N]`, `serde_bytes::ByteBuf`, ...) written as a Python `bytearray`
/// (`serde_bytes` writes `bytes`).
pub mod bytearray {
    use super::*;

    /// `serde_bytes`'s serialization, inside the bytearray tag.
    struct Bytes<'a, T: ?Sized>(&'a T);

    impl<T: serde_bytes::Serialize + ?Sized> Serialize for Bytes<'_, T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serde_bytes::Serialize::serialize(self.0, s)
        }
    }

    /// Writes `value`'s bytes as a Python `bytearray`.
    pub fn serialize<T: serde_bytes::Serialize + ?Sized, S: Serializer>(
        value: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(Tag::ByteArray.name(), &Bytes(value))
    }

    /// Reads `bytes` or a `bytearray` as `serde_bytes` does.
    pub fn deserialize<'de, T: serde_bytes::Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        serde_bytes::deserialize(d)
    }
}
