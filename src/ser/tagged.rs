//! The Python types serde's data model lacks, which [`Value`] serializes as newtype structs
//! named `$pypickle::...` (see `value/magic.rs`): set, frozenset, bytearray, big int, complex,
//! globals and objects.
//!
//! Sets and frozensets stream their items (the newtype's payload is a seq, which
//! `serialize_seq` turns into a set writer while a tag is pending); bytearrays and big ints are
//! bytes payloads; complex numbers, globals and objects are small and rare, so their payload is
//! first turned back into a [`Value`] and written from there.

use std::io::Write;

use serde::ser::Serialize;

use super::emit::unserializable;
use super::probe::{shape_of, Shape};
use super::Serializer;
use crate::error::Result;
use crate::value::magic::Tag;
use crate::value::{object_unhashable, to_value_within, Value};

/// Serializes a payload under its tag's newtype name again, for [`to_value_within`].
struct Retag<'a, T: ?Sized>(&'static str, &'a T);

impl<T: Serialize + ?Sized> Serialize for Retag<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(self.0, self.1)
    }
}

impl<W: Write, const P45: bool> Serializer<W, P45> {
    /// A `$pypickle::` newtype struct.
    pub(crate) fn save_tagged<T: Serialize + ?Sized>(
        &mut self,
        tag: Tag,
        name: &'static str,
        payload: &T,
    ) -> Result<()> {
        match tag {
            // What `pypickle::with` writes as a set, frozenset, tuple or bytearray: a
            // sequence (bytes for a bytearray), `None` (an `Option` left empty), or for a tuple
            // a Rust tuple. Anything else is refused before it is written: a map or struct
            // would otherwise write a dict and hand the tag on to the first sequence inside.
            Tag::Set | Tag::FrozenSet | Tag::Tuple | Tag::ByteArray => {
                match check_payload(tag, payload, &self.opts.registry)? {
                    Payload::Take => {}
                    Payload::AsIs => return payload.serialize(&mut *self),
                    Payload::None => return serde::Serializer::serialize_none(&mut *self),
                }
                match tag {
                    Tag::Set if self.key() => return Err(self.unhashable("a set")),
                    Tag::ByteArray if self.key() => return Err(self.unhashable("a bytearray")),
                    _ => {}
                }
                self.set_pending(tag);
                let r = payload.serialize(&mut *self);
                if self.take_pending().is_some() && r.is_ok() {
                    return Err(unserializable(format!("malformed {name} payload")));
                }
                r
            }
            Tag::BigInt | Tag::Buffer | Tag::ReadOnlyBuffer | Tag::ArrayData => {
                if tag == Tag::Buffer && self.key() {
                    return Err(self.unhashable("a bytearray"));
                }
                self.set_pending(tag);
                let r = payload.serialize(&mut *self);
                if self.take_pending().is_some() && r.is_ok() {
                    return Err(unserializable(format!("malformed {name} payload")));
                }
                r
            }
            Tag::Complex | Tag::Global | Tag::Object => {
                let limit = self.opts.max_depth;
                let value = to_value_within(&Retag(name, payload), limit, self.depth_left())?;
                if !matches!(
                    value,
                    Value::Complex(_) | Value::Global(_) | Value::Object(_)
                ) {
                    return Err(unserializable(format!("malformed {name} payload")));
                }
                self.save_value(&value)
            }
        }
    }

    /// A complex number, global or object, from its save boundary.
    pub(crate) fn save_made(&mut self, value: &Value) -> Result<()> {
        if let Value::Object(o) = value {
            if let Some(what) = self.key().then(|| object_unhashable(o)).flatten() {
                return Err(self.unhashable(what));
            }
        }
        self.open()?;
        let key = self.set_key(false);
        self.part(|s| match value {
            Value::Complex(c) => s.emit_complex(*c),
            Value::Global(g) => s.emit_global(&g.module, &g.name),
            Value::Object(o) => s.emit_object(o),
            _ => unreachable!("save_made of a {}", value.type_name()),
        })?;
        self.set_key(key);
        self.close()
    }

    /// One [`Value`], from a save boundary: what its `Serialize` writes through this
    /// serializer, without going through it. Through `Serialize`, a complex number, global or
    /// object is first turned back into a `Value` (see the module docs), and so would every
    /// object inside one be again, level by level: deeply nested objects cost the square of
    /// their size.
    pub(crate) fn save_value(&mut self, v: &Value) -> Result<()> {
        use serde::ser::{SerializeMap, SerializeSeq, SerializeTuple, Serializer as _};
        match v {
            Value::Complex(_) | Value::Global(_) | Value::Object(_) => self.save_made(v),
            Value::List(items) | Value::Set(items) | Value::FrozenSet(items) => {
                // As `save_tagged` has a set or frozenset's items written.
                match v {
                    Value::Set(_) if self.key() => return Err(self.unhashable("a set")),
                    Value::Set(_) => self.set_pending(Tag::Set),
                    Value::FrozenSet(_) => self.set_pending(Tag::FrozenSet),
                    _ => {}
                }
                let mut seq = (&mut *self).serialize_seq(Some(items.len()))?;
                for x in items {
                    seq.element_value(x)?;
                }
                SerializeSeq::end(seq)
            }
            Value::Tuple(items) => {
                let mut tuple = (&mut *self).serialize_tuple(items.len())?;
                for x in items {
                    tuple.element_value(x)?;
                }
                SerializeTuple::end(tuple)
            }
            Value::Dict(entries) => {
                let mut map = (&mut *self).serialize_map(Some(entries.len()))?;
                for (k, x) in entries {
                    map.entry_value(k, x)?;
                }
                SerializeMap::end(map)
            }
            // No values inside.
            _ => v.serialize(&mut *self),
        }
    }

    /// The bytes payload of a `$pypickle::ByteArray`, `BigInt` or `PickleBuffer`.
    pub(crate) fn save_tagged_bytes(&mut self, tag: Tag, v: &[u8]) -> Result<()> {
        if tag == Tag::ArrayData {
            return match crate::numpy::take_head() {
                Some(head) => self.save_ndarray(&head, v),
                None => Err(unserializable(format!("malformed {} payload", tag.name()))),
            };
        }
        self.begin_value()?;
        match tag {
            Tag::ByteArray => self.emit_bytearray(v)?,
            Tag::BigInt => self.emit_int_le(v)?,
            Tag::Buffer | Tag::ReadOnlyBuffer => {
                self.emit_pickle_buffer(v, tag == Tag::ReadOnlyBuffer)?
            }
            _ => return Err(unserializable(format!("malformed {} payload", tag.name()))),
        }
        self.end_value()
    }

    /// A protocol 5 buffer, as CPython's `save_picklebuffer`: handed out of band (NEXT_BUFFER,
    /// then READONLY_BUFFER for a read-only one) when the options ask for it, else in band as
    /// bytes (read-only) or a bytearray.
    fn emit_pickle_buffer(&mut self, v: &[u8], readonly: bool) -> Result<()> {
        if self.proto() < 5 {
            return Err(unserializable(format!(
                "a PickleBuffer can only be pickled with protocol 5, not {}",
                self.proto()
            )));
        }
        if self.opts.out_of_band {
            self.buffers.push(v.to_vec());
            self.out.buf.push(crate::opcode::NEXT_BUFFER);
            if readonly {
                self.out.buf.push(crate::opcode::READONLY_BUFFER);
            }
            Ok(())
        } else if readonly {
            self.emit_bytes(v)
        } else {
            self.emit_bytearray(v)
        }
    }
}

/// How the payload of a `$pypickle::` set, frozenset, tuple or bytearray newtype (what
/// `pypickle::with` writes) is written.
pub(crate) enum Payload {
    /// Its sequence (or bytes) become the Python type.
    Take,
    /// A Rust tuple given to `with::tuple`: a tuple already.
    AsIs,
    /// `None`: an `Option` left empty.
    None,
}

/// How `payload` is written under `tag`, found from the first call its `Serialize` makes (so
/// a payload is serialized a second time to be written), or the error for a payload of
/// another shape.
pub(crate) fn check_payload<T: Serialize + ?Sized>(
    tag: Tag,
    payload: &T,
    registry: &crate::ClassRegistry,
) -> Result<Payload> {
    let want = if tag == Tag::ByteArray {
        Shape::Bytes
    } else {
        Shape::Seq
    };
    match shape_of(payload, registry) {
        shape if shape == want => Ok(Payload::Take),
        Shape::Tuple if tag == Tag::Tuple => Ok(Payload::AsIs),
        Shape::None => Ok(Payload::None),
        shape => Err(not_a_payload(tag, shape)),
    }
}

/// The error for a `$pypickle::` set, frozenset, tuple or bytearray newtype (what
/// `pypickle::with` writes) whose payload is not what the Python type is made of.
#[cold]
fn not_a_payload(tag: Tag, shape: Shape) -> crate::Error {
    let got = match shape {
        Shape::Named => "a struct",
        Shape::Map => "a map",
        Shape::Int => "an int",
        Shape::Float => "a float",
        Shape::Str => "a str",
        Shape::Bytes => "bytes",
        Shape::Tuple => "a tuple",
        Shape::Seq => "a sequence",
        Shape::None => "None",
        Shape::Tagged(Tag::Set) => "a set",
        Shape::Tagged(Tag::FrozenSet) => "a frozenset",
        Shape::Tagged(Tag::ByteArray) => "a bytearray",
        Shape::Tagged(Tag::Complex) => "a complex",
        Shape::Tagged(Tag::Global) => "a global",
        Shape::Tagged(Tag::Object) => "an object",
        Shape::Tagged(_) => "a protocol 5 buffer",
        Shape::Other => "an enum variant or ()",
    };
    unserializable(payload_mismatch(tag, got))
}

/// What a `pypickle::with` field of `tag` is written from, and that `got` is not it.
pub(crate) fn payload_mismatch(tag: Tag, got: &str) -> String {
    let (python, needs) = match tag {
        Tag::Set => ("set", "a sequence"),
        Tag::FrozenSet => ("frozenset", "a sequence"),
        Tag::Tuple => ("tuple", "a sequence"),
        _ => ("bytearray", "bytes (as `serde_bytes` writes them)"),
    };
    format!("a Python {python} (pypickle::with::{python}) is written from {needs}, not from {got}")
}
