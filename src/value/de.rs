//! `Deserialize` for [`Value`] (lossless from this crate's deserializers, natural from others),
//! and [`Value`] as a `Deserializer` for [`from_value`].

use std::fmt;

use serde::de::{
    self, value::SeqDeserializer, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess,
    SeqAccess, Visitor,
};
use serde::forward_to_deserialize_any;

use super::magic::{Tag, KEY_TOKEN, VALUE_TOKEN};
use super::{BigInt, Complex, Global, Made, Object, Value};
use crate::error::{Error, ErrorCode, Result};

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_newtype_struct(VALUE_TOKEN, ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any Python value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i128<E>(self, v: i128) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u128<E>(self, v: u128) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> std::result::Result<Value, E> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> std::result::Result<Value, E> {
        Ok(Value::Bytes(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::None)
    }
    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        de::Deserialize::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::List(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let first = match map.next_key_seed(KeySeed)? {
            None => return Ok(Value::Dict(Vec::new())),
            Some(KeyOrTag::Tag(tag)) => return map.next_value_seed(PayloadSeed(tag)),
            Some(KeyOrTag::Key(k)) => k,
        };
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096) + 1);
        out.push((first, map.next_value()?));
        while let Some(entry) = map.next_entry()? {
            out.push(entry);
        }
        Ok(Value::Dict(out))
    }
}

enum KeyOrTag {
    Key(Value),
    Tag(Tag),
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = KeyOrTag;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<KeyOrTag, D::Error> {
        d.deserialize_newtype_struct(KEY_TOKEN, KeyVisitor)
    }
}

struct KeyVisitor;

macro_rules! key_forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<E: de::Error>(self, $($arg: $ty),*) -> std::result::Result<KeyOrTag, E> {
            ValueVisitor.$method($($arg),*).map(KeyOrTag::Key)
        }
    )*};
}

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = KeyOrTag;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a dict key")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<KeyOrTag, D::Error> {
        de::Deserialize::deserialize(d).map(KeyOrTag::Key)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<KeyOrTag, E> {
        Ok(match Tag::from_name(v) {
            Some(t) => KeyOrTag::Tag(t),
            None => KeyOrTag::Key(Value::Str(v.to_string())),
        })
    }

    key_forward! {
        visit_bool(v: bool);
        visit_i64(v: i64);
        visit_u64(v: u64);
        visit_i128(v: i128);
        visit_u128(v: u128);
        visit_f64(v: f64);
        visit_bytes(v: &[u8]);
        visit_byte_buf(v: Vec<u8>);
        visit_unit();
        visit_none();
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<KeyOrTag, D::Error> {
        de::Deserialize::deserialize(d).map(KeyOrTag::Key)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<KeyOrTag, A::Error> {
        ValueVisitor.visit_seq(seq).map(KeyOrTag::Key)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<KeyOrTag, A::Error> {
        ValueVisitor.visit_map(map).map(KeyOrTag::Key)
    }
}

/// Reads the payload of a tagged map.
struct PayloadSeed(Tag);

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes")
    }
    fn visit_bytes<E>(self, v: &[u8]) -> std::result::Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> std::result::Result<Vec<u8>, E> {
        Ok(v)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vec<u8>, A::Error> {
        let mut out = Vec::new();
        while let Some(b) = seq.next_element()? {
            out.push(b);
        }
        Ok(out)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object's parts")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let missing = || de::Error::custom("incomplete object");
        let class = match seq.next_element::<Value>()?.ok_or_else(missing)? {
            Value::Global(g) => *g,
            other => {
                return Err(de::Error::custom(format!(
                    "an object's class must be a global, not {}",
                    other.type_name()
                )))
            }
        };
        let made = match seq.next_element::<String>()?.ok_or_else(missing)?.as_str() {
            "call" => Made::Call,
            "new" => Made::New,
            "new_ex" => Made::NewEx,
            "reconstructor" => Made::Reconstructor,
            other => {
                return Err(de::Error::custom(format!(
                    "unknown object construction {other:?}"
                )))
            }
        };
        let args = seq.next_element::<Value>()?.ok_or_else(missing)?;
        let kwargs = seq.next_element::<Value>()?.ok_or_else(missing)?;
        let state = seq.next_element::<Vec<Value>>()?.ok_or_else(missing)?;
        let list_items = seq.next_element::<Vec<Value>>()?.ok_or_else(missing)?;
        let dict_items = match seq.next_element::<Value>()?.ok_or_else(missing)? {
            Value::Dict(d) => d,
            _ => return Err(de::Error::custom("an object's dict items must be a dict")),
        };
        Ok(Value::Object(Box::new(Object {
            class,
            made,
            args,
            kwargs: if kwargs.is_none() { None } else { Some(kwargs) },
            state,
            list_items,
            dict_items,
        })))
    }
}

impl<'de> DeserializeSeed<'de> for PayloadSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        use de::Deserialize;
        Ok(match self.0 {
            Tag::Tuple => Value::Tuple(Vec::deserialize(d)?),
            Tag::Set => Value::Set(Vec::deserialize(d)?),
            Tag::FrozenSet => Value::FrozenSet(Vec::deserialize(d)?),
            Tag::ByteArray => Value::ByteArray(d.deserialize_byte_buf(BytesVisitor)?),
            Tag::BigInt => Value::from_big(BigInt::from_le_bytes(
                &d.deserialize_byte_buf(BytesVisitor)?,
            )),
            Tag::Complex => {
                let (re, im) = <(f64, f64)>::deserialize(d)?;
                Value::Complex(Complex { re, im })
            }
            Tag::Global => {
                let (module, name) = <(String, String)>::deserialize(d)?;
                Value::Global(Box::new(Global { module, name }))
            }
            Tag::Object => d.deserialize_seq(ObjectVisitor)?,
        })
    }
}

/// Convert a [`Value`] into any `Deserialize` type.
///
/// ```
/// use pypickle::{from_value, pickle_value};
/// let v = pickle_value!({"x": 1, "y": [2, 3]});
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct P { x: i32, y: Vec<u8> }
/// assert_eq!(from_value::<P>(v).unwrap(), P { x: 1, y: vec![2, 3] });
/// ```
pub fn from_value<T: de::DeserializeOwned>(value: Value) -> Result<T> {
    T::deserialize(value)
}

#[cold]
fn type_error(msg: String) -> Error {
    Error::new(ErrorCode::Type(msg.into()))
}

impl Value {
    fn lossless<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let tag = match &self {
            Value::Tuple(_) => Tag::Tuple,
            Value::Set(_) => Tag::Set,
            Value::FrozenSet(_) => Tag::FrozenSet,
            Value::ByteArray(_) => Tag::ByteArray,
            Value::BigInt(_) => Tag::BigInt,
            Value::Complex(_) => Tag::Complex,
            Value::Global(_) => Tag::Global,
            Value::Object(_) => Tag::Object,
            _ => return self.deserialize_any(visitor),
        };
        visitor.visit_map(TaggedValue {
            tag,
            payload: Some(self),
        })
    }
}

struct TaggedValue {
    tag: Tag,
    payload: Option<Value>,
}

impl<'de> MapAccess<'de> for TaggedValue {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.payload.is_none() {
            return Ok(None);
        }
        seed.deserialize(crate::de::TagKey(self.tag)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let v = self.payload.take().expect("value after key");
        match v {
            Value::Tuple(items) | Value::Set(items) | Value::FrozenSet(items) => {
                seed.deserialize(SeqDeserializer::new(items.into_iter()))
            }
            Value::ByteArray(b) => seed.deserialize(de::value::BytesDeserializer::new(&b)),
            Value::BigInt(b) => {
                seed.deserialize(de::value::BytesDeserializer::new(b.as_le_bytes()))
            }
            Value::Complex(c) => seed.deserialize(SeqDeserializer::new([c.re, c.im].into_iter())),
            Value::Global(g) => {
                let g = *g;
                seed.deserialize(SeqDeserializer::new([g.module, g.name].into_iter()))
            }
            Value::Object(o) => {
                let o = *o;
                let made = match o.made {
                    Made::Call => "call",
                    Made::New => "new",
                    Made::NewEx => "new_ex",
                    Made::Reconstructor => "reconstructor",
                };
                let parts = vec![
                    Value::Global(Box::new(o.class)),
                    Value::Str(made.into()),
                    o.args,
                    o.kwargs.unwrap_or(Value::None),
                    Value::List(o.state),
                    Value::List(o.list_items),
                    Value::Dict(o.dict_items),
                ];
                seed.deserialize(SeqDeserializer::new(parts.into_iter()))
            }
            _ => unreachable!("only tagged values get here"),
        }
    }
}

impl<'de> IntoDeserializer<'de, Error> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

struct DictAccess {
    items: std::vec::IntoIter<(Value, Value)>,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for DictAccess {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.items.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(k).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(self.value.take().expect("value after key"))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct EnumAccess {
    variant: Value,
    payload: Option<Value>,
}

impl<'de> de::EnumAccess<'de> for EnumAccess {
    type Error = Error;
    type Variant = VariantPayload;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, VariantPayload)> {
        Ok((
            seed.deserialize(self.variant)?,
            VariantPayload(self.payload),
        ))
    }
}

/// The payload of an enum variant, if it has one.
struct VariantPayload(Option<Value>);

impl<'de> de::VariantAccess<'de> for VariantPayload {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        match self.0 {
            None | Some(Value::None) => Ok(()),
            Some(v) => Err(type_error(format!(
                "invalid type: {}, expected a unit variant",
                v.type_name()
            ))),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        match self.0 {
            Some(v) => seed.deserialize(v),
            None => Err(type_error(
                "expected a newtype variant as {name: payload}".into(),
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        match self.0 {
            Some(v) => v.deserialize_seq(visitor),
            None => Err(type_error(
                "expected a tuple variant as {name: (..)}".into(),
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.0 {
            Some(v) => v.deserialize_any(visitor),
            None => Err(type_error(
                "expected a struct variant as {name: {..}}".into(),
            )),
        }
    }
}

impl<'de> Deserializer<'de> for Value {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Value::None => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => visitor.visit_i64(i),
            Value::BigInt(b) => match (b.to_i128(), b.to_u128()) {
                (_, Some(v)) if v <= u128::from(u64::MAX) => visitor.visit_u64(v as u64),
                (Some(v), _) => visitor.visit_i128(v),
                (None, Some(v)) => visitor.visit_u128(v),
                _ => Err(type_error(format!("integer {b} does not fit in 128 bits"))),
            },
            Value::Float(f) => visitor.visit_f64(f),
            Value::Complex(c) => visitor.visit_seq(SeqDeserializer::new([c.re, c.im].into_iter())),
            Value::Str(s) => visitor.visit_string(s),
            Value::Bytes(b) | Value::ByteArray(b) => visitor.visit_byte_buf(b),
            Value::List(v) | Value::Tuple(v) | Value::Set(v) | Value::FrozenSet(v) => {
                let mut seq = SeqDeserializer::new(v.into_iter());
                let out = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Value::Dict(d) => visitor.visit_map(DictAccess {
                items: d.into_iter(),
                value: None,
            }),
            Value::Global(g) => Err(type_error(format!(
                "the global {g} has no plain serde form"
            ))),
            Value::Object(o) => Err(type_error(format!(
                "an instance of {} has no plain serde form",
                o.class
            ))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Value::None => visitor.visit_none(),
            v => visitor.visit_some(v),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == VALUE_TOKEN {
            return self.lossless(visitor);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Value::Bytes(b) | Value::ByteArray(b) => {
                visitor.visit_seq(SeqDeserializer::new(b.into_iter()))
            }
            v => v.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self {
            v @ Value::Str(_) => visitor.visit_enum(EnumAccess {
                variant: v,
                payload: None,
            }),
            Value::Dict(mut d) if d.len() == 1 => {
                let (k, v) = d.pop().expect("one entry");
                visitor.visit_enum(EnumAccess {
                    variant: k,
                    payload: Some(v),
                })
            }
            other => Err(type_error(format!(
                "invalid type: {}, expected enum {name} (a variant name, or a one-entry dict)",
                other.type_name()
            ))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct map struct identifier
    }
}
