//! The content of a newtype struct registered with
//! [`ClassRegistry::container_class`](crate::ClassRegistry::container_class): an instance of
//! a Python subclass of `dict` or `list`, written as CPython writes one.
//!
//! | content | protocol 2+ | protocols 0-1 |
//! |---|---|---|
//! | a map | `cls`, `()`, NEWOBJ, then the items as SETITEM(S) | `copyreg._reconstructor(cls, dict, {items})` |
//! | a sequence | `cls`, `()`, NEWOBJ, then the items as APPEND(S) | `copyreg._reconstructor(cls, list, [items])` |
//!
//! Which of the two is known only when the content's `Serialize` asks for a map or a
//! sequence, so the content is serialized through [`Content`], which writes the instance then;
//! any other content is an error (as a constructor argument, `dict.__new__` would drop it).

use std::io::Write;

use serde::ser::{Impossible, Serialize};

use super::compound::{MapWriter, SeqWriter};
use super::emit::unserializable;
use super::Serializer;
use crate::class::Entry;
use crate::error::{Error, Result};

impl<W: Write, const P45: bool> Serializer<W, P45> {
    /// A newtype struct registered for a `dict` or `list` subclass, its content `v`.
    pub(crate) fn save_container<T: Serialize + ?Sized>(
        &mut self,
        class: &Entry,
        v: &T,
    ) -> Result<()> {
        v.serialize(Content { ser: self, class })
    }
}

/// Serializes a container class's content: a map or a sequence, written as the instance's
/// items.
struct Content<'a, W, const P45: bool> {
    ser: &'a mut Serializer<W, P45>,
    class: &'a Entry,
}

impl<W, const P45: bool> Content<'_, W, P45> {
    fn not_a_container(&self, what: &str) -> Error {
        unserializable(format!(
            "{}.{} is registered as a subclass of dict or list, so its content must be a map or \
             a sequence, not {what}",
            self.class.module, self.class.qualname
        ))
    }
}

/// The serde methods a container's content cannot call: each an error naming what it gave.
macro_rules! refuse {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $ok:ty, $what:literal;)*) => {
        $(
            fn $method(self, $(_: $ty),*) -> Result<$ok> {
                Err(self.not_a_container($what))
            }
        )*
    };
}

impl<'a, W: Write, const P45: bool> serde::Serializer for Content<'a, W, P45> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = SeqWriter<'a, W, P45>;
    type SerializeMap = MapWriter<'a, W, P45>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn is_human_readable(&self) -> bool {
        true
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq> {
        SeqWriter::container(self.ser, self.class, len)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap> {
        MapWriter::container(self.ser, self.class, len)
    }

    /// A newtype inside is transparent, as everywhere: its content is the container's.
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<()> {
        if name.starts_with('$') || self.ser.struct_class(name).is_some() {
            return Err(self.not_a_container("a Python object of its own"));
        }
        v.serialize(self)
    }

    refuse! {
        serialize_bool(v: bool) -> (), "a bool";
        serialize_i8(v: i8) -> (), "an int";
        serialize_i16(v: i16) -> (), "an int";
        serialize_i32(v: i32) -> (), "an int";
        serialize_i64(v: i64) -> (), "an int";
        serialize_i128(v: i128) -> (), "an int";
        serialize_u8(v: u8) -> (), "an int";
        serialize_u16(v: u16) -> (), "an int";
        serialize_u32(v: u32) -> (), "an int";
        serialize_u64(v: u64) -> (), "an int";
        serialize_u128(v: u128) -> (), "an int";
        serialize_f32(v: f32) -> (), "a float";
        serialize_f64(v: f64) -> (), "a float";
        serialize_char(v: char) -> (), "a str";
        serialize_str(v: &str) -> (), "a str";
        serialize_bytes(v: &[u8]) -> (), "bytes";
        serialize_none() -> (), "None";
        serialize_unit() -> (), "None";
        serialize_unit_struct(name: &'static str) -> (), "a unit struct";
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> (), "an enum";
        serialize_tuple(len: usize) -> Impossible<(), Error>, "a tuple";
        serialize_tuple_struct(name: &'static str, len: usize) -> Impossible<(), Error>, "a tuple struct";
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Impossible<(), Error>, "an enum";
        serialize_struct(name: &'static str, len: usize) -> Impossible<(), Error>, "a struct";
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Impossible<(), Error>, "an enum";
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<()> {
        Err(self.not_a_container("an Option"))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<()> {
        Err(self.not_a_container("an enum"))
    }
}
