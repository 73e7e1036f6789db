//! The shape of a value at its top, found without writing it: a serializer that stops at the
//! first call the value's `Serialize` makes.
//!
//! A registered class's instance is written in a form that depends on what stands for it: a
//! struct's fields become the instance's state, a scalar its one constructor argument, and at
//! protocols 0-1 the scalar's Python type is the base `copyreg._reconstructor` needs before
//! the scalar itself is written.

use std::fmt;

use serde::ser::{Impossible, Serialize, Serializer};

use crate::class::ClassRegistry;

/// What a value serializes as, at its top.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A struct, tuple struct, unit struct, or a newtype struct registered for a class: a type
    /// of its own, with a name.
    Named,
    /// A map.
    Map,
    /// What Python holds as an `int` (bool included), `float`, `str`, `bytes` or `tuple`.
    Int,
    Float,
    Str,
    Bytes,
    Tuple,
    /// A sequence (a `Vec`, a slice).
    Seq,
    /// `None` (an `Option` left empty).
    None,
    /// One of the crate's own newtypes for a Python type serde lacks (a `Value`'s set, ...).
    Tagged(crate::value::magic::Tag),
    /// Anything else: `None`, a dict, an enum variant, ...
    Other,
}

impl Shape {
    /// The Python built-in type a value of this shape is, if it is one of those a subclass
    /// instance is rebuilt from at protocols 0-1.
    pub(crate) fn builtin(self) -> Option<&'static str> {
        Some(match self {
            Shape::Int => "int",
            Shape::Float => "float",
            Shape::Str => "str",
            Shape::Bytes => "bytes",
            Shape::Tuple => "tuple",
            Shape::Named
            | Shape::Map
            | Shape::Seq
            | Shape::None
            | Shape::Tagged(_)
            | Shape::Other => return None,
        })
    }
}

/// The shape of `v`, seen through the newtype structs `registry` has no class for, as the
/// serializer writes them.
pub(crate) fn shape_of<T: Serialize + ?Sized>(v: &T, registry: &ClassRegistry) -> Shape {
    shape_through(v, registry)
}

fn shape_through<T: Serialize + ?Sized>(v: &T, registry: &ClassRegistry) -> Shape {
    match v.serialize(Probe(registry)) {
        Ok(()) => Shape::Other,
        Err(Found(shape)) => shape,
    }
}

/// The "error" that ends the probe with the shape found.
#[derive(Debug)]
struct Found(Shape);

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for Found {}

impl serde::ser::Error for Found {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Found(Shape::Other)
    }
}

struct Probe<'r>(&'r ClassRegistry);

impl Probe<'_> {
    fn registered(&self, name: &str) -> bool {
        !self.0.is_empty() && self.0.struct_entry(name).is_some()
    }
}

/// Methods that end the probe with a shape.
macro_rules! found {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $ret:ty = $shape:ident;)*) => {$(
        fn $method(self, $(_: $ty),*) -> Result<$ret, Found> {
            Err(Found(Shape::$shape))
        }
    )*};
}

impl Serializer for Probe<'_> {
    type Ok = ();
    type Error = Found;
    type SerializeSeq = Impossible<(), Found>;
    type SerializeTuple = Impossible<(), Found>;
    type SerializeTupleStruct = Impossible<(), Found>;
    type SerializeTupleVariant = Impossible<(), Found>;
    type SerializeMap = Impossible<(), Found>;
    type SerializeStruct = Impossible<(), Found>;
    type SerializeStructVariant = Impossible<(), Found>;

    found! {
        serialize_bool(v: bool) -> () = Int;
        serialize_i8(v: i8) -> () = Int;
        serialize_i16(v: i16) -> () = Int;
        serialize_i32(v: i32) -> () = Int;
        serialize_i64(v: i64) -> () = Int;
        serialize_i128(v: i128) -> () = Int;
        serialize_u8(v: u8) -> () = Int;
        serialize_u16(v: u16) -> () = Int;
        serialize_u32(v: u32) -> () = Int;
        serialize_u64(v: u64) -> () = Int;
        serialize_u128(v: u128) -> () = Int;
        serialize_f32(v: f32) -> () = Float;
        serialize_f64(v: f64) -> () = Float;
        serialize_char(v: char) -> () = Str;
        serialize_str(v: &str) -> () = Str;
        serialize_bytes(v: &[u8]) -> () = Bytes;
        serialize_none() -> () = None;
        serialize_unit() -> () = Other;
        serialize_unit_struct(name: &'static str) -> () = Named;
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> () = Other;
        serialize_seq(len: Option<usize>) -> Impossible<(), Found> = Seq;
        serialize_tuple(len: usize) -> Impossible<(), Found> = Tuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> Impossible<(), Found> = Named;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Impossible<(), Found> = Other;
        serialize_map(len: Option<usize>) -> Impossible<(), Found> = Map;
        serialize_struct(name: &'static str, len: usize) -> Impossible<(), Found> = Named;
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Impossible<(), Found> = Other;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Found> {
        // `Some(x)` is written as `x`.
        Err(Found(shape_through(v, self.0)))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Found> {
        // The crate's own newtypes stand for Python types: a tuple is one.
        Err(Found(match crate::value::magic::Tag::from_name(name) {
            Some(crate::value::magic::Tag::Tuple) => Shape::Tuple,
            Some(crate::value::magic::Tag::BigInt) => Shape::Int,
            // Other Python types.
            Some(tag) => Shape::Tagged(tag),
            // A numpy array: an object.
            None if name == crate::value::magic::ARRAY_OUT_TOKEN => {
                Shape::Tagged(crate::value::magic::Tag::Object)
            }
            // Persistent ids.
            None if name.starts_with('$') => Shape::Other,
            // A newtype registered for a class of its own is an instance; any other is its
            // content (see `Serializer::serialize_newtype_struct`).
            None if self.registered(name) => Shape::Named,
            None => shape_through(v, self.0),
        }))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Found> {
        Err(Found(Shape::Other))
    }

    fn is_human_readable(&self) -> bool {
        // As this crate's serializers say (see `Serializer::is_human_readable`).
        true
    }
}
