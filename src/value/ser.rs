//! `Serialize` for [`Value`] (lossless into this crate's serializers, natural into others), and
//! [`to_value`], a `Serializer` that builds a [`Value`].

use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, SerializeTuple, Serializer};

use super::magic::Tag;
use super::{BigInt, Complex, Global, Made, Object, Value};
use crate::error::{Error, ErrorCode, Result, Segment};
use crate::ser::WRAPS_PER_LEVEL;

/// Serializes through a newtype struct named after a tag, which this crate's serializers
/// recognise and other serializers see through.
struct Tagged<'a, T: ?Sized>(Tag, &'a T);

impl<T: Serialize + ?Sized> Serialize for Tagged<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(self.0.name(), self.1)
    }
}

struct Items<'a>(&'a [Value]);

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for v in self.0 {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

struct Entries<'a>(&'a [(Value, Value)]);

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// A big int's payload: its little-endian bytes to pypickle's own serializers (inside a
/// `$pypickle::BigInt` newtype, which they read back as the int), and to serde's buffer when
/// it buffers for them (a `#[serde(flatten)]` field, an internally tagged enum), which
/// replays it to them as it was; to any other, a number in the narrowest of serde's integer
/// types that holds it (serde's own buffer has none of 128 bits), or its decimal text past
/// 128 bits.
struct Big<'a>(&'a BigInt);

impl Serialize for Big<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if !s.is_human_readable() || is_serde_buffer::<S>() {
            return s.serialize_bytes(self.0.as_le_bytes());
        }
        let b = self.0;
        if let Some(v) = b.to_i64() {
            s.serialize_i64(v)
        } else if let Some(v) = b.to_u128().and_then(|v| u64::try_from(v).ok()) {
            s.serialize_u64(v)
        } else if let Some(v) = b.to_i128() {
            s.serialize_i128(v)
        } else if let Some(v) = b.to_u128() {
            s.serialize_u128(v)
        } else {
            s.serialize_str(&b.to_string())
        }
    }
}

fn made_name(m: Made) -> &'static str {
    match m {
        Made::Call => "call",
        Made::New => "new",
        Made::NewEx => "new_ex",
        Made::Reconstructor => "reconstructor",
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(7)?;
        t.serialize_element(&Tagged(
            Tag::Global,
            &(&self.class.module, &self.class.name),
        ))?;
        t.serialize_element(made_name(self.made))?;
        t.serialize_element(&self.args)?;
        t.serialize_element(&self.kwargs)?;
        t.serialize_element(&Items(&self.state))?;
        t.serialize_element(&Items(&self.list_items))?;
        t.serialize_element(&Entries(&self.dict_items))?;
        t.end()
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Value::None => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::BigInt(b) => s.serialize_newtype_struct(Tag::BigInt.name(), &Big(b)),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Complex(c) => s.serialize_newtype_struct(Tag::Complex.name(), &(c.re, c.im)),
            Value::Str(v) => s.serialize_str(v),
            Value::Bytes(b) => s.serialize_bytes(b),
            Value::ByteArray(b) => s.serialize_newtype_struct(Tag::ByteArray.name(), &Bytes(b)),
            Value::List(v) => Items(v).serialize(s),
            Value::Tuple(v) => {
                let mut t = s.serialize_tuple(v.len())?;
                for x in v {
                    t.serialize_element(x)?;
                }
                t.end()
            }
            Value::Dict(d) => Entries(d).serialize(s),
            Value::Set(v) => s.serialize_newtype_struct(Tag::Set.name(), &Items(v)),
            Value::FrozenSet(v) => s.serialize_newtype_struct(Tag::FrozenSet.name(), &Items(v)),
            Value::Global(g) => {
                s.serialize_newtype_struct(Tag::Global.name(), &(&g.module, &g.name))
            }
            Value::Object(o) => s.serialize_newtype_struct(Tag::Object.name(), &Payload(o)),
        }
    }
}

thread_local! {
    /// Set while this crate's serializer serializes the payload of a `$pypickle::Object`
    /// newtype (see [`Payload`]).
    static OBJECT_WANTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `f`, the serialization of a `$pypickle::Object` newtype's payload into this crate's
/// serializer: a [`Payload`] in it gives the object whole.
fn wanting_object<T>(f: impl FnOnce() -> T) -> T {
    /// Unset on the way out, whether `f` returned or unwound (a `Payload` unsets it first).
    struct Unset;
    impl Drop for Unset {
        fn drop(&mut self) {
            OBJECT_WANTED.with(|w| w.set(false));
        }
    }
    OBJECT_WANTED.with(|w| w.set(true));
    let _unset = Unset;
    f()
}

/// Whether `S` is serde's own buffer (its `ContentSerializer`) for this crate's serializer,
/// which keeps what it is given to replay it there later (`#[serde(flatten)]`, the tuple and
/// struct variants of an internally tagged enum): the pickle needs the whole object, so the
/// buffer gets it. (Serde offers no way to ask; its type name is the one sign.)
fn is_serde_buffer<S>() -> bool {
    // `ContentSerializer<E>`, `E` the error type of the serializer it buffers for: ours, or
    // another format's (which gets the plain form, as unbuffered).
    let name = std::any::type_name::<S>();
    name.contains("ContentSerializer<") && name.contains("<pypickle::")
}

/// An object as the payload of its `$pypickle::Object` newtype.
///
/// This crate's serializers want the object itself, in its seven parts (class, how it was
/// made, arguments, keyword arguments, states, list items, dict items), and say so (see
/// [`wanting_object`]). A serializer of another format (JSON, ...) sees through the newtype
/// and gets, for a standard library object or a numpy array, what deserializing one from a
/// pickle gives: a `datetime` as its ISO text, a `Decimal` as its `str`, an `OrderedDict` as
/// a map (see [`crate::stdlib`]), and the stdlib types read those back. Other objects have no
/// such form and give the seven parts there too; as do all objects to serde's own buffer for
/// this crate's serializer (see [`is_serde_buffer`]).
struct Payload<'a>(&'a Object);

impl Serialize for Payload<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if !OBJECT_WANTED.with(|w| w.replace(false)) && !is_serde_buffer::<S>() {
            if let Some(form) = crate::stdlib::foreign_form(self.0) {
                return form.serialize(s);
            }
            if let Some(plain) = crate::numpy::natural(self.0) {
                return plain.serialize(s);
            }
        }
        self.0.serialize(s)
    }
}

/// Convert any `Serialize` type into a [`Value`], mapped the way the pickle serializer maps it
/// (structs and maps become dicts, tuples stay tuples, unit variants become their name, other
/// variants a one-entry dict `{name: payload}`).
///
/// ```
/// use pypickle::{to_value, pickle_value};
/// #[derive(serde::Serialize)]
/// struct P { x: i32, y: (u8, Option<String>) }
/// let v = to_value(&P { x: 1, y: (2, None) }).unwrap();
/// assert_eq!(v, pickle_value!({"x": 1, "y": (2, None)}));
/// ```
///
/// Converting recurses, so nesting is bounded as the pickle writer bounds it with
/// [`SerOptions::max_depth`](crate::SerOptions::max_depth)'s default: more than 256 containers
/// deep, or more than 1024 `Some`s and newtype structs, is an error of
/// [`Limit::Depth`](crate::Limit::Depth), not a stack overflow.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value> {
    value.serialize(ValueSerializer::top())
}

/// [`to_value`] of a protocol 0 persistent id, where a persistent id inside is an error.
pub(crate) fn to_value_of_text_pid<T: Serialize + ?Sized>(value: &T) -> Result<Value> {
    value.serialize(ValueSerializer {
        no_persistent: true,
        ..ValueSerializer::top()
    })
}

/// [`to_value`] for a value being written `depth` containers and `wraps` wrappers short of
/// the writer's `limit` (its `max_depth`).
pub(crate) fn to_value_within<T: Serialize + ?Sized>(
    value: &T,
    limit: u32,
    (depth, wraps): (u32, u32),
) -> Result<Value> {
    value.serialize(ValueSerializer::within(limit, depth, wraps))
}

#[cold]
fn bad(msg: &str) -> Error {
    Error::new(ErrorCode::Unserializable(msg.into()))
}

/// Builds a [`Value`] from any `Serialize` type. Human readable, as the pickle serializer is,
/// except for the payload of a `$pypickle::BigInt` newtype, which [`Big`] then writes as its
/// little-endian bytes.
#[derive(Clone, Copy)]
struct ValueSerializer {
    big_payload: bool,
    /// Containers that may still open inside, and `Some`s and newtype structs (which recurse
    /// too, opening nothing); `limit` is the `max_depth` an error names.
    depth: u32,
    wraps: u32,
    limit: u32,
    /// A persistent id is an error, not transparent (the text of a protocol 0 PERSID).
    no_persistent: bool,
}

impl ValueSerializer {
    /// For a value on its own: the writer's default depth limits.
    fn top() -> ValueSerializer {
        let limit = crate::ser::DEFAULT_MAX_DEPTH;
        ValueSerializer::within(limit, limit, limit * WRAPS_PER_LEVEL)
    }

    fn within(limit: u32, depth: u32, wraps: u32) -> ValueSerializer {
        ValueSerializer {
            big_payload: false,
            depth,
            wraps,
            limit,
            no_persistent: false,
        }
    }

    /// The serializer of what a container holds: one container deeper.
    fn inside(self) -> Result<ValueSerializer> {
        match self.depth.checked_sub(1) {
            Some(depth) => Ok(ValueSerializer {
                big_payload: false,
                depth,
                ..self
            }),
            None => Err(self.too_deep()),
        }
    }

    /// The serializer of what a `Some` or newtype struct holds.
    fn unwrapped(self, big_payload: bool) -> Result<ValueSerializer> {
        match self.wraps.checked_sub(1) {
            Some(wraps) => Ok(ValueSerializer {
                big_payload,
                wraps,
                ..self
            }),
            None => Err(self.too_deep()),
        }
    }

    #[cold]
    fn too_deep(self) -> Error {
        Error::new(ErrorCode::Limit {
            which: crate::Limit::Depth,
            limit: u64::from(self.limit),
        })
    }
}

/// What in `v` Python cannot hash (as a dict key or set element must be), if anything.
pub(crate) fn unhashable(v: &Value) -> Option<&'static str> {
    match v {
        Value::List(_) => Some("a list"),
        Value::Dict(_) => Some("a dict"),
        Value::Set(_) => Some("a set"),
        Value::ByteArray(_) => Some("a bytearray"),
        Value::Tuple(items) => items.iter().find_map(unhashable),
        Value::Object(o) => object_unhashable(o),
        _ => None,
    }
}

/// Classes whose instances Python can never hash (`__hash__` is `None`), and what to call one.
pub(crate) const UNHASHABLE_CLASSES: &[(&str, &str, &str)] = &[
    ("collections", "Counter", "a Counter"),
    ("collections", "OrderedDict", "an OrderedDict"),
    ("collections", "defaultdict", "a defaultdict"),
    ("collections", "deque", "a deque"),
    ("types", "SimpleNamespace", "a SimpleNamespace"),
    ("array", "array", "an array.array"),
    ("array", "_array_reconstructor", "an array.array"),
];

/// Whether Python can never hash an instance like `o`, and what it is: the `collections`
/// containers, `SimpleNamespace`, `array.array`, a numpy `ndarray` or `MaskedArray` (not a
/// subclass), and a `list` or `dict` subclass, as those set `__hash__` to `None`. Items
/// appended or set on an object are taken to mean such a subclass (CPython writes them for
/// those; a class of its own `__reduce__` could return them and define `__hash__`, and would be
/// refused), as is a `copyreg._reconstructor` over `list` or `dict`. Any other class may be
/// hashable; whether it is depends on its code, which is not here to look at.
pub(crate) fn object_unhashable(o: &super::Object) -> Option<&'static str> {
    if let Some(&(_, _, what)) = UNHASHABLE_CLASSES
        .iter()
        .find(|&&(m, n, _)| (m, n) == (&*o.class.module, &*o.class.name))
    {
        return Some(what);
    }
    if o.made == super::Made::Call {
        let first = match &o.args {
            Value::Tuple(args) => match args.first() {
                Some(Value::Global(g)) => Some((g.module.as_bytes(), g.name.as_bytes())),
                _ => None,
            },
            _ => None,
        };
        if crate::numpy::makes_unhashable_array(
            o.class.module.as_bytes(),
            o.class.name.as_bytes(),
            first,
        ) {
            return Some("a numpy array");
        }
    }
    let base = match (&o.made, &o.args) {
        (super::Made::Reconstructor, Value::Tuple(args)) => match args.first() {
            Some(Value::Global(g)) if g.module == "builtins" => Some(&*g.name),
            _ => None,
        },
        _ => None,
    };
    if !o.list_items.is_empty() || matches!(base, Some("list")) {
        Some("an instance of a list subclass")
    } else if !o.dict_items.is_empty() || matches!(base, Some("dict")) {
        Some("an instance of a dict subclass")
    } else if matches!(base, Some("set" | "bytearray")) {
        Some("an instance of a set or bytearray subclass")
    } else {
        None
    }
}

/// `v`, if Python can hash it (as a dict key or set element must be); else the error the pickle
/// writer gives for it.
fn hashable(v: Value) -> Result<Value> {
    match unhashable(&v) {
        None => Ok(v),
        Some(what) => Err(bad(&format!(
            "{what} cannot be a dict key or set element: Python cannot hash it{}",
            crate::ser::tuple_hint(what)
        ))),
    }
}

/// A set's elements, if Python can hash them all.
fn all_hashable(items: Vec<Value>) -> Result<Vec<Value>> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| hashable(v).map_err(|e| in_place(e, Segment::Index(i))))
        .collect()
}

/// Rebuild the Python type a tag stands for from its serialized payload.
fn untag(tag: Tag, inner: Value) -> Result<Value> {
    Ok(match (tag, inner) {
        (Tag::Tuple, Value::List(v) | Value::Tuple(v)) => Value::Tuple(v),
        (Tag::Set, Value::List(v)) => Value::Set(all_hashable(v)?),
        (Tag::FrozenSet, Value::List(v)) => Value::FrozenSet(all_hashable(v)?),
        (Tag::ByteArray | Tag::Buffer, Value::Bytes(b)) => Value::ByteArray(b),
        (Tag::ReadOnlyBuffer, Value::Bytes(b)) => Value::Bytes(b),
        (Tag::BigInt, Value::Bytes(b)) => Value::from_big(BigInt::from_le_bytes(&b)),
        (Tag::Complex, Value::Tuple(v)) if v.len() == 2 => match (&v[0], &v[1]) {
            (Value::Float(re), Value::Float(im)) => Value::Complex(Complex { re: *re, im: *im }),
            _ => return Err(bad("malformed complex")),
        },
        (Tag::Global, Value::Tuple(mut v)) if v.len() == 2 => match (v.pop(), v.pop()) {
            (Some(Value::Str(name)), Some(Value::Str(module))) => {
                Value::Global(Box::new(Global { module, name }))
            }
            _ => return Err(bad("malformed global")),
        },
        (Tag::Object, Value::Tuple(v)) if v.len() == 7 => {
            let mut it = v.into_iter();
            let mut next = || it.next().expect("7 parts");
            let class = match next() {
                Value::Global(g) => *g,
                _ => return Err(bad("malformed object class")),
            };
            let made = match next() {
                Value::Str(s) if s == "call" => Made::Call,
                Value::Str(s) if s == "new" => Made::New,
                Value::Str(s) if s == "new_ex" => Made::NewEx,
                Value::Str(s) if s == "reconstructor" => Made::Reconstructor,
                _ => return Err(bad("malformed object construction")),
            };
            let args = next();
            let kwargs = match next() {
                Value::None => None,
                v => Some(v),
            };
            let (Value::List(state), Value::List(list_items), Value::Dict(dict_items)) =
                (next(), next(), next())
            else {
                return Err(bad("malformed object parts"));
            };
            Value::Object(Box::new(Object {
                class,
                made,
                args,
                kwargs,
                state,
                list_items,
                dict_items,
            }))
        }
        (tag @ (Tag::Set | Tag::FrozenSet | Tag::Tuple | Tag::ByteArray), v) => {
            let got = format!("a {}", v.type_name());
            return Err(bad(&crate::ser::tagged::payload_mismatch(tag, &got)));
        }
        (tag, _) => return Err(bad(&format!("malformed {}", tag.name()))),
    })
}

/// Collects a seq or tuple.
pub(crate) struct SeqBuilder {
    items: Vec<Value>,
    tuple: bool,
    each: ValueSerializer,
}

/// Collects a map or struct.
pub(crate) struct MapBuilder {
    entries: Vec<(Value, Value)>,
    key: Option<Value>,
    each: ValueSerializer,
}

/// Collects a tuple or struct variant: `{variant: payload}`.
pub(crate) struct VariantBuilder<B> {
    name: &'static str,
    inner: B,
}

impl Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantBuilder<SeqBuilder>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = VariantBuilder<MapBuilder>;

    fn is_human_readable(&self) -> bool {
        !self.big_payload
    }

    fn serialize_bool(self, v: bool) -> Result<Value> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_i128(self, v: i128) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_u8(self, v: u8) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_u128(self, v: u128) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_f32(self, v: f32) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_char(self, v: char) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_str(self, v: &str) -> Result<Value> {
        Ok(v.into())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value> {
        Ok(Value::None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value> {
        v.serialize(self.unwrapped(false)?)
    }
    fn serialize_unit(self) -> Result<Value> {
        Ok(Value::None)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value> {
        Ok(Value::None)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value> {
        Ok(Value::Str(variant.into()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<Value> {
        if self.no_persistent && name == crate::persistent::PERSISTENT_TOKEN {
            return Err(bad(
                "a persistent id inside a persistent id: protocol 0 writes an id as one line \
                 of text (PERSID), which cannot hold another",
            ));
        }
        let tag = Tag::from_name(name);
        if let Some(t @ (Tag::Set | Tag::FrozenSet | Tag::Tuple | Tag::ByteArray)) = tag {
            // Refused or taken as the pickle writer takes it (see `check_payload`).
            use crate::ser::tagged::{check_payload, Payload};
            if let Payload::None = check_payload(t, v, &crate::ClassRegistry::new())? {
                return Ok(Value::None);
            }
        }
        let mut payload = self.unwrapped(tag == Some(Tag::BigInt))?;
        if tag == Some(Tag::Object) {
            // The 7-tuple's state, list and dict items are each one more container here, where
            // the pickle (and the writer, and the reader) has none: an object nests as deep
            // as its one level and its state's.
            payload.depth = payload.depth.saturating_add(1);
        }
        let inner = if tag == Some(Tag::Object) {
            // The places inside the 7-tuple that stands for an object are not the object's
            // own: its error is the object's.
            wanting_object(|| v.serialize(payload)).map_err(Error::without_path)?
        } else {
            v.serialize(payload)?
        };
        match tag {
            Some(tag) => untag(tag, inner),
            None => Ok(inner),
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Value> {
        let inside = self.inside()?;
        let payload = v
            .serialize(inside)
            .map_err(|e| in_place(e, Segment::key(variant)))?;
        Ok(Value::Dict(vec![(Value::Str(variant.into()), payload)]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.unwrap_or(0).min(4096)),
            tuple: false,
            each: self.inside()?,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.min(4096)),
            tuple: true,
            each: self.inside()?,
        })
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<SeqBuilder>> {
        // `{variant: (...)}`: the dict is a container too, as the writer counts it.
        Ok(VariantBuilder {
            name: variant,
            inner: self.inside()?.serialize_tuple(len)?,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len.unwrap_or(0).min(4096)),
            key: None,
            each: self.inside()?,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapBuilder> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<MapBuilder>> {
        Ok(VariantBuilder {
            name: variant,
            inner: self.inside()?.serialize_map(Some(len))?,
        })
    }
}

impl SeqBuilder {
    fn finish(self) -> Value {
        if self.tuple {
            Value::Tuple(self.items)
        } else {
            Value::List(self.items)
        }
    }
}

/// `e`, an item's error, with the item's place in its path.
#[cold]
#[inline(never)]
fn in_place(mut e: Error, segment: Segment) -> Error {
    e.push_segment(segment);
    e
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        let index = self.items.len();
        let item = v
            .serialize(self.each)
            .map_err(|e| in_place(e, Segment::Index(index)))?;
        self.items.push(item);
        Ok(())
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for VariantBuilder<SeqBuilder> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(&mut self.inner, v)
            .map_err(|e| in_place(e, Segment::key(self.name)))
    }
    fn end(self) -> Result<Value> {
        Ok(Value::Dict(vec![(
            Value::Str(self.name.into()),
            self.inner.finish(),
        )]))
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<()> {
        if self.key.is_some() {
            return Err(bad("serialize_key twice without serialize_value"));
        }
        // Places inside a key are not places in the data: its error is the map's.
        let k = k.serialize(self.each).map_err(Error::without_path)?;
        self.key = Some(hashable(k)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        let k = self
            .key
            .take()
            .ok_or_else(|| bad("serialize_value before serialize_key"))?;
        match v.serialize(self.each) {
            Ok(v) => {
                self.entries.push((k, v));
                Ok(())
            }
            Err(e) => Err(in_place(e, Segment::of_key(&k))),
        }
    }
    fn end(self) -> Result<Value> {
        if self.key.is_some() {
            return Err(bad("serialize_key without serialize_value"));
        }
        Ok(Value::Dict(self.entries))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<()> {
        let v = v
            .serialize(self.each)
            .map_err(|e| in_place(e, Segment::key(key)))?;
        self.entries.push((Value::Str(key.into()), v));
        Ok(())
    }
    fn end(self) -> Result<Value> {
        Ok(Value::Dict(self.entries))
    }
}

impl ser::SerializeStructVariant for VariantBuilder<MapBuilder> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<()> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, v)
            .map_err(|e| in_place(e, Segment::key(self.name)))
    }
    fn end(self) -> Result<Value> {
        Ok(Value::Dict(vec![(
            Value::Str(self.name.into()),
            Value::Dict(self.inner.entries),
        )]))
    }
}
