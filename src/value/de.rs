//! `Deserialize` for [`Value`] (lossless from this crate's deserializers, natural from others),
//! and [`Value`] as a `Deserializer` for [`from_value`].
//!
//! `Value::deserialize` asks for the private newtype struct [`VALUE_TOKEN`]. This crate's
//! deserializers answer by building the whole `Value` themselves and handing it over through
//! [`hand_over`]: a one-slot, per-thread mailbox that `Value`'s visitor empties first thing.
//! Other deserializers answer a newtype struct with its content, which `Value` reads the
//! ordinary way.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::forward_to_deserialize_any;

use super::magic::{ARRAY_TOKEN, VALUE_TOKEN};
use super::{Made, Object, Value};
use crate::class::bridge::{
    args_are_arguments, choose, keywords_left_out, made_from_items, merge_attributes, mismatch,
    Facts, Source, Want,
};
use crate::de::visit_all;
use crate::error::{unread_items, Error, ErrorCode, Result, Segment};

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
        if let Some(v) = HANDOFF.with(|slot| slot.take()) {
            return Ok(v);
        }
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
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        let mut next = map.next_key::<Value>()?;
        while let Some(k) = next.take() {
            let v: Value = map.next_value()?;
            next = map.next_key::<Value>()?;
            // serde_json with `arbitrary_precision` (which any crate of the build may turn on)
            // hands every number over as a map of this one entry, its text, and serde's
            // buffer (flatten, untagged enums) replays it as such a map: read as the number,
            // as serde_json's own `Value` reads it. A pickle's dict of that one key read
            // through serde's buffer is read so too.
            if next.is_none() && out.is_empty() && k.as_str() == Some(JSON_NUMBER) {
                if let Some(n) = v.as_str().and_then(json_number) {
                    return Ok(n);
                }
            }
            // From another format, or from serde's buffering (untagged enums, flatten), which
            // turns tuples into lists: a key Python could not hash makes no `Value` dict.
            if let Some(what) = super::ser::unhashable(&k) {
                return Err(de::Error::custom(format_args!(
                    "{what} cannot be a dict key: Python cannot hash it (a tuple key read \
                     through serde's buffering, as in an untagged enum or flatten, arrives as \
                     a list)"
                )));
            }
            out.push((k, v));
        }
        Ok(Value::Dict(out))
    }
}

/// The key of the map serde_json hands a number over as with its `arbitrary_precision`
/// feature (its own `Value` reads it back so).
const JSON_NUMBER: &str = "$serde_json::private::Number";

/// A JSON number's text as Python's `json.loads` makes it: an `int` of any size if it has no
/// fraction or exponent, else a `float` (`-0` a float, as this crate's JSON mapping has it);
/// `None` if it is not JSON's number syntax, or an int of more digits than a `BigInt` reads.
fn json_number(text: &str) -> Option<Value> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let int_part = digits.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &digits[int_part..];
    let (fraction, exponent) = match rest.find(['e', 'E']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let valid = int_part > 0
        && (int_part == 1 || !digits.starts_with('0'))
        && (fraction.is_empty() || fraction.strip_prefix('.').is_some_and(all_digits))
        && (exponent.is_empty() || {
            let e = &exponent[1..];
            all_digits(e.strip_prefix(['+', '-']).unwrap_or(e))
        });
    if !valid {
        return None;
    }
    if fraction.is_empty() && exponent.is_empty() && text != "-0" {
        return match text.parse::<i64>() {
            Ok(i) => Some(Value::Int(i)),
            Err(_) => text.parse::<crate::BigInt>().ok().map(Value::from),
        };
    }
    text.parse::<f64>().ok().map(Value::Float)
}

/// Reads what `Value::deserialize` reads, then makes a `T` of it with `F`: for types that
/// deserialize through a [`Value`] (the standard library types), asked for as [`VALUE_TOKEN`]
/// so that this crate's deserializers hand over the whole `Value`, and other formats see what
/// they see for a `Value`. A conversion's error reaches this crate's deserializers whole (see
/// [`crate::stdlib::conversion_failed`]).
pub(crate) struct ValueThen<F>(pub F);

impl<F> ValueThen<F> {
    /// The conversion of `v`, its error kept for this crate's deserializers.
    fn convert<T, E: de::Error>(self, v: Value) -> std::result::Result<T, E>
    where
        F: FnOnce(Value) -> Result<T>,
    {
        (self.0)(v).map_err(crate::stdlib::conversion_failed)
    }
}

macro_rules! then_convert {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<E: de::Error>(self, $($arg: $ty),*) -> std::result::Result<T, E> {
            let v = ValueVisitor.$method($($arg),*)?;
            self.convert(v)
        }
    )*};
}

impl<'de, T, F: FnOnce(Value) -> Result<T>> Visitor<'de> for ValueThen<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any Python value")
    }

    then_convert! {
        visit_bool(v: bool);
        visit_i64(v: i64);
        visit_u64(v: u64);
        visit_i128(v: i128);
        visit_u128(v: u128);
        visit_f64(v: f64);
        visit_str(v: &str);
        visit_string(v: String);
        visit_bytes(v: &[u8]);
        visit_byte_buf(v: Vec<u8>);
        visit_unit();
        visit_none();
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<T, D::Error> {
        let v = ValueVisitor.visit_some(d)?;
        self.convert(v)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> std::result::Result<T, D::Error> {
        let v = ValueVisitor.visit_newtype_struct(d)?;
        self.convert(v)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<T, A::Error> {
        let v = ValueVisitor.visit_seq(seq)?;
        self.convert(v)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<T, A::Error> {
        let v = ValueVisitor.visit_map(map)?;
        self.convert(v)
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

/// Convert a [`Value`] into any `Deserialize` type as [`from_slice_with`](crate::from_slice_with)
/// reads a pickle with `opts`: its class registry (registered classes, Python `Enum`s and their
/// members), policy and limits apply to the value's objects and globals, as if the value had
/// been pickled and read back, which is what this does (at protocol 5, in memory). An error
/// gives the path in the value, not a pickle offset.
///
/// So the options judge the value as they would its pickle: a global the policy refuses is
/// refused (`os.system` too, whatever the options allow), and `max_depth` bounds its nesting,
/// which `from_value` does not. A value no pickle holds (a list inside a set, which
/// `pickle.dumps` refuses too) is the writer's error.
///
/// [`from_value`] reads an object by the same rules as a pickle with no registry: its
/// attributes fill a struct, whatever its class; it knows no `Enum` member's variant.
///
/// ```
/// use pypickle::{from_value_with, ClassRegistry, DeOptions, SerOptions, Value};
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// enum Color { Red, Green }
///
/// let reg = ClassRegistry::new().python_enum::<Color>("paint.Color", [("Red", 1), ("Green", 2)]);
/// // `{"fill": paint.Color(2)}`, as Python pickles `{"fill": Color.GREEN}`.
/// let bytes = pypickle::to_vec_with(
///     &std::collections::BTreeMap::from([("fill", Color::Green)]),
///     &SerOptions::new().registry(reg.clone()),
/// )?;
/// let opts = DeOptions::new().registry(reg);
/// let v: Value = pypickle::from_slice_with(&bytes, &opts)?;
/// let fill = v["fill"].clone();
/// assert_eq!(fill.to_string(), "paint.Color(2)");
/// assert_eq!(from_value_with::<Color>(fill.clone(), &opts)?, Color::Green);
/// assert!(pypickle::from_value::<Color>(fill).is_err()); // no registry: no variant
/// # Ok::<(), pypickle::Error>(())
/// ```
pub fn from_value_with<T: de::DeserializeOwned>(
    value: Value,
    opts: &crate::DeOptions,
) -> Result<T> {
    let bytes = crate::to_vec_with(&value, &crate::SerOptions::new().protocol(5))?;
    drop(value);
    crate::from_slice_with(&bytes, opts).map_err(Error::without_position)
}

#[cold]
fn type_error(msg: String) -> Error {
    Error::new(ErrorCode::Type(msg.into()))
}

thread_local! {
    /// The mailbox of [`hand_over`]. `ManuallyDrop`: a thread-local with nothing to drop has
    /// no destructor, and so is still there when another thread-local's destructor decodes a
    /// `Value` (`with` on one already destroyed panics). [`hand_over`] always empties it.
    static HANDOFF: std::mem::ManuallyDrop<std::cell::Cell<Option<Value>>> =
        const { std::mem::ManuallyDrop::new(std::cell::Cell::new(None)) };
}

/// Give a visitor that asked for [`VALUE_TOKEN`] a whole `Value`. `Value`'s own visitor takes it
/// from the mailbox; any other visitor gets a deserializer over it, so it still sees the data.
pub(crate) fn hand_over<'de, V: Visitor<'de>>(value: Value, visitor: V) -> Result<V::Value> {
    /// Empties the mailbox, on the way out of a visitor that panicked too: nothing may
    /// linger for an unrelated visitor to find, nor be left undropped when the thread ends.
    struct Empty;
    impl Drop for Empty {
        fn drop(&mut self) {
            drop(HANDOFF.with(|slot| slot.take()));
        }
    }
    HANDOFF.with(|slot| slot.set(Some(value)));
    let _empty = Empty;
    visitor.visit_newtype_struct(Mailbox)
}

/// A deserializer over whatever [`hand_over`] left in the mailbox.
struct Mailbox;

impl Mailbox {
    fn take() -> Result<Value> {
        HANDOFF.with(|slot| slot.take()).ok_or_else(|| {
            Error::new(ErrorCode::Custom(
                "the handed-over value was already taken".into(),
            ))
        })
    }
}

macro_rules! from_mailbox {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value> {
            Mailbox::take()?.$method($($arg,)* visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for Mailbox {
    type Error = Error;

    crate::for_each_deserialize_method!(from_mailbox);
}

impl<'de> IntoDeserializer<'de, Error> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

/// A list's, tuple's or set's items as a sequence: an item's error gets its index in the
/// error's path.
struct ListAccess {
    items: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> SeqAccess<'de> for ListAccess {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.items.next() {
            Some(item) => {
                let index = self.index;
                self.index += 1;
                // The error marked in place, as `DictAccess` marks its values', so that the
                // item (a whole struct, say) is not moved once more on its way out.
                let mut r = seed.deserialize(item);
                if let Err(e) = &mut r {
                    at_index(e, index);
                }
                r.map(Some)
            }
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A dict's entries as a map. The entries stay where they are: each key is lent to the key's
/// `Deserialize` (a copy of it, but for a str asked for as a str), so that it is still there
/// for the path of an error in its value, and each value is taken out when asked for.
struct DictAccess {
    entries: Vec<(Value, Value)>,
    /// How many keys were handed over.
    next: usize,
    /// Whether the last key's value is still to be asked for.
    value_due: bool,
}

impl<'de> MapAccess<'de> for DictAccess {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.entries.get(self.next) {
            Some((k, _)) => {
                self.next += 1;
                self.value_due = true;
                // Places inside a key are not places in the data: its error is the map's.
                seed.deserialize(LentKey(k))
                    .map(Some)
                    .map_err(Error::without_path)
            }
            None => Ok(None),
        }
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        if !std::mem::take(&mut self.value_due) {
            return Err(crate::de::value_without_key());
        }
        let (k, v) = &mut self.entries[self.next - 1];
        let mut r = seed.deserialize(std::mem::replace(v, Value::None));
        match &mut r {
            // The key is done with: its memory goes now, as when it was moved.
            Ok(_) => *k = Value::None,
            Err(e) => under_key(e, k),
        }
        r
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}

/// A dict value's error (or a variant's payload's, under the key of `{name: payload}`),
/// with the key in its path.
#[cold]
#[inline(never)]
fn under_key(e: &mut Error, key: &Value) {
    e.push_segment(Segment::of_key(key));
}

/// A sequence item's error, with the item's index in its path.
#[cold]
#[inline(never)]
fn at_index(e: &mut Error, index: usize) {
    e.push_segment(Segment::Index(index));
}

/// A dict key, lent to the key's `Deserialize`: a str asked for as a str or an identifier is
/// visited in place, anything else is a copy of the key (for a number, no more than a move).
struct LentKey<'k>(&'k Value);

macro_rules! lent_key_copies {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            self.0.clone().$method(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for LentKey<'_> {
    type Error = Error;

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Value::Str(s) => visitor.visit_str(s),
            other => other.clone().deserialize_str(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    lent_key_copies! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_bytes deserialize_byte_buf deserialize_option deserialize_unit
        deserialize_seq deserialize_map deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.0.clone().deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.0.clone().deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        self.0.clone().deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.0.clone().deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.0.clone().deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.0.clone().deserialize_enum(name, variants, visitor)
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
        // The name is lent, and kept for the path of an error in the payload.
        let variant = seed.deserialize(LentKey(&self.variant))?;
        Ok((variant, VariantPayload(self.payload, self.variant)))
    }
}

/// The payload of an enum variant, if it has one, and the variant's name.
struct VariantPayload(Option<Value>, Value);

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
        self.read("a newtype variant as {name: payload}", |v| {
            seed.deserialize(v)
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.read("a tuple variant as {name: (..)}", |v| {
            v.deserialize_seq(visitor)
        })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.read("a struct variant as {name: {..}}", |v| {
            v.deserialize_any(visitor)
        })
    }
}

impl VariantPayload {
    /// The payload of `{name: payload}`, read by `read`: its error has the variant's name in
    /// its path. A bare name, with no payload, is an error saying it should have been
    /// `expected`.
    fn read<T>(self, expected: &str, read: impl FnOnce(Value) -> Result<T>) -> Result<T> {
        match self.0 {
            Some(v) => read(v).map_err(|mut e| {
                under_key(&mut e, &self.1);
                e
            }),
            None => Err(type_error(format!("expected {expected}"))),
        }
    }
}

/// Integer types of 64 bits and less: a big int past `u64` is out of their range whatever its
/// size, an error naming the number (as the pickle reader gives).
macro_rules! small_ints {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            match self {
                Value::Object(o) => as_scalar(number_or_object(o), visitor),
                Value::BigInt(b) => {
                    // Never built by this crate for a value within i64, but a public variant.
                    if let Some(v) = b.to_u128().and_then(|v| u64::try_from(v).ok()) {
                        return visitor.visit_u64(v);
                    }
                    if let Some(v) = b.to_i128().and_then(|v| i64::try_from(v).ok()) {
                        return visitor.visit_i64(v);
                    }
                    let unexpected = b.describe();
                    Err(de::Error::invalid_value(
                        de::Unexpected::Other(&unexpected),
                        &visitor,
                    ))
                }
                other => other.deserialize_any(visitor),
            }
        }
    )*};
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
                _ => Err(type_error(wider_than_128_bits(&b, &visitor))),
            },
            Value::Float(f) => visitor.visit_f64(f),
            Value::Complex(c) => visit_all(visitor, [c.re, c.im].into_iter()),
            Value::Str(s) => visitor.visit_string(s),
            Value::Bytes(b) | Value::ByteArray(b) => visitor.visit_byte_buf(b),
            Value::List(v) | Value::Tuple(v) | Value::Set(v) | Value::FrozenSet(v) => {
                let len = v.len();
                let mut seq = ListAccess {
                    items: v.into_iter(),
                    index: 0,
                };
                let out = visitor.visit_seq(&mut seq)?;
                match seq.items.len() {
                    0 => Ok(out),
                    left => Err(unread_items(len, len - left, "sequence")),
                }
            }
            Value::Dict(d) => {
                let mut map = DictAccess {
                    entries: d,
                    next: 0,
                    value_due: false,
                };
                let out = visitor.visit_map(&mut map)?;
                match map.entries.len() - map.next {
                    0 => Ok(out),
                    _ => Err(unread_items(map.entries.len(), map.next, "map")),
                }
            }
            Value::Global(g) => Err(type_error(format!(
                "the global {g} has no plain serde form"
            ))),
            Value::Object(o) => object_part(*o, Want::Any)?.deserialize_any(visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Value::Object(o) => object_part(*o, Want::Map)?.deserialize_any(visitor),
            v => v.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self {
            Value::Object(o) => object_part(*o, Want::Struct)?.deserialize_any(visitor),
            v => v.deserialize_any(visitor),
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
            // A standard library type's conversion that fails is its own error.
            return crate::stdlib::failed_within(|| hand_over(self, visitor));
        }
        if name == ARRAY_TOKEN {
            // So is a numpy array's.
            return crate::stdlib::failed_within(|| visitor.visit_newtype_struct(self));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Value::Bytes(b) | Value::ByteArray(b) => visit_all(visitor, b.into_iter()),
            // `np.complex128(1+2j)`: the pair `(real, imag)`, as a Python complex is.
            Value::Object(o) => match crate::numpy::scalar_number(&o) {
                Some(c @ Value::Complex(_)) => c.deserialize_any(visitor),
                _ => object_part(*o, Want::Seq)?.deserialize_any(visitor),
            },
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
        // `np.str_('Red')`: a variant name, as a str is. Not a `str` subclass's instance: an
        // `Enum` member's value is no variant name (`from_value_with` reads a registered one).
        let this = match self {
            Value::Object(o) => match crate::numpy::scalar_text(&o) {
                Some(text) => text?,
                None => Value::Object(o),
            },
            v => v,
        };
        match this {
            v @ (Value::Str(_) | Value::Bytes(_)) => visitor.visit_enum(EnumAccess {
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
            Value::Object(o) => Err(type_error(format!(
                "an instance of {}.{} is not a variant of enum {name}: register the class with \
                 ClassRegistry::variant or ClassRegistry::python_enum, and read the value with \
                 from_value_with",
                o.class.module, o.class.name
            ))),
            other => Err(type_error(format!(
                "invalid type: {}, expected enum {name} (a variant name, or a one-entry dict)",
                other.type_name()
            ))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    small_ints! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
    }

    /// As `f64`, but a float (or big int) beyond `f32`'s range is an error, not infinity.
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let f = match self {
            Value::Float(f) => f,
            Value::BigInt(ref b) => b.to_f64(),
            // A numpy scalar: its number, range checked as any.
            Value::Object(o) => {
                return match number_or_object(o) {
                    o @ Value::Object(_) => o.deserialize_f64(visitor),
                    n => n.deserialize_f32(visitor),
                }
            }
            _ => return self.deserialize_f64(visitor),
        };
        match super::f32_range_error(f) {
            Some(why) => Err(type_error(why)),
            None => self.deserialize_f64(visitor),
        }
    }

    /// A big int reads as Python's `float(n)`: rounded, an error past the float range.
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Value::Object(o) => as_scalar(number_or_object(o), visitor),
            Value::BigInt(b) => match b.to_f64() {
                f if f.is_finite() => visitor.visit_f64(f),
                _ => Err(type_error(format!(
                    "{} is too large to convert to a float",
                    b.describe()
                ))),
            },
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Value::Object(o) => as_scalar(number_or_object(o), visitor),
            other => other.deserialize_any(visitor),
        }
    }

    /// As anything, but an int out of `i128`'s range is an error naming it.
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.int128(visitor, true)
    }

    /// As anything, but an int out of `u128`'s range is an error naming it.
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.int128(visitor, false)
    }

    /// As anything, but a numpy str or bytes scalar is the str or bytes it stands for (and so
    /// for a `String`, `char`, bytes and identifiers).
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Value::Object(o) => as_scalar(text_or_object(o)?, visitor),
            v => v.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            // As the pickle reader takes them (a Python 2 str kept as bytes).
            Value::Bytes(ref b) | Value::ByteArray(ref b) => match crate::de::one_char(b) {
                Some(c) => visitor.visit_char(c),
                None => self.deserialize_str(visitor),
            },
            other => other.deserialize_str(visitor),
        }
    }

    forward_to_deserialize_any! {
        unit unit_struct
    }
}

/// An object asked for a string or bytes: a numpy str or bytes scalar is the str or bytes it
/// stands for, and so is an instance of another class made from one str or bytes alone (a
/// `str` subclass), as when reading a pickle; any other object stays itself.
fn text_or_object(o: Box<Object>) -> Result<Value> {
    if let Some(text) = crate::numpy::scalar_text(&o) {
        return text;
    }
    match plain_argument(&o) {
        Some(arg) if is_text(arg) => Ok(arg.clone()),
        _ => Ok(Value::Object(o)),
    }
}

/// An object asked for a number: a numpy scalar is the number it stands for (an int, float
/// or bool, or a big int for a `uint64` past `i64`, all of which any number visitor takes
/// through `deserialize_any`; a complex, which no number visitor takes, as a Python complex),
/// and so is an instance of another class made from one number alone (an `int` subclass, a
/// member of an `IntEnum`), as when reading a pickle; any other object stays itself.
fn number_or_object(o: Box<Object>) -> Value {
    if let Some(n) = crate::numpy::scalar_number(&o) {
        return n;
    }
    match plain_argument(&o) {
        Some(arg) if is_number(arg) => arg.clone(),
        _ => Value::Object(o),
    }
}

/// What [`number_or_object`] or [`text_or_object`] gave, as a number or text. An object made
/// from a single argument (of another kind, or those would have taken it) is an error naming
/// its class, as when reading a pickle; any other answers as it answers anything (a visitor
/// may take its parts), and where the visitor refuses it as a sequence or map, the error
/// names the class and how to read it.
fn as_scalar<'de, V: Visitor<'de>>(v: Value, visitor: V) -> Result<V::Value> {
    let Value::Object(o) = &v else {
        return v.deserialize_any(visitor);
    };
    let expected = format!("{}", &visitor as &dyn de::Expected);
    let class = format!("{}.{}", o.class.module, o.class.name);
    if let Some(arg) = plain_argument(o) {
        let tuple_subclass = o.made == Made::Reconstructor
            && matches!(&o.args, Value::Tuple(args) if matches!(args.as_slice(),
                [Value::Global(base), _] if base.module == "builtins" && base.name == "tuple"));
        let what = if tuple_subclass {
            crate::de::Instance::TupleSubclass
        } else {
            crate::de::Instance::MadeFrom(arg.type_name())
        };
        return Err(type_error(crate::de::instance_mismatch(
            &class, &expected, what,
        )));
    }
    v.deserialize_any(visitor).map_err(|e| {
        if !e.is_container_mismatch() {
            return e;
        }
        type_error(crate::de::instance_mismatch(
            &class,
            &expected,
            crate::de::Instance::Other,
        ))
    })
}

/// A str or bytes: what an instance made from one alone stands for as text.
fn is_text(v: &Value) -> bool {
    matches!(v, Value::Str(_) | Value::Bytes(_))
}

/// An int, float or bool: what an instance made from one alone stands for as a number.
fn is_number(v: &Value) -> bool {
    matches!(
        v,
        Value::Int(_) | Value::BigInt(_) | Value::Float(_) | Value::Bool(_)
    )
}

/// The one argument an instance of a class with no reading of its own (not one of the
/// standard library's or numpy's types) was made from, if nothing else made it.
fn plain_argument(o: &Object) -> Option<&Value> {
    let (m, q) = (o.class.module.as_str(), o.class.name.as_str());
    // An empty state is no state: Python 2 sets `{}` on a `str` subclass's instance.
    fn empty(state: &Value) -> bool {
        match state {
            Value::None => true,
            Value::Dict(entries) => entries.is_empty(),
            Value::Tuple(parts) => parts.iter().all(empty),
            _ => false,
        }
    }
    let plain = o.kwargs.is_none()
        && o.state.iter().all(empty)
        && o.list_items.is_empty()
        && o.dict_items.is_empty()
        && !crate::stdlib::is_allowed(m, q)
        && !crate::numpy::is_allowed(m, q);
    match (&o.args, o.made) {
        (Value::Tuple(args), Made::Call | Made::New) if plain => match args.as_slice() {
            [arg] => Some(arg),
            _ => None,
        },
        // `copyreg._reconstructor(cls, str, text)` (protocols 0-1); with `object`, `list` or
        // `dict` for a base, what follows is no argument (as the pickle reader takes it).
        (Value::Tuple(args), Made::Reconstructor) if plain => match args.as_slice() {
            [Value::Global(base), arg]
                if !(base.module == "builtins"
                    && matches!(base.name.as_str(), "object" | "list" | "dict")) =>
            {
                Some(arg)
            }
            _ => None,
        },
        _ => None,
    }
}

/// The part of an object that answers a request, by `class::bridge`'s rules (the same as when
/// reading a pickle, without a class registry): a map of attributes, a tuple of arguments, ...
fn object_part(o: Object, want: Want) -> Result<Value> {
    if crate::stdlib::has_constructor_items(&o) {
        // Python 2's `OrderedDict([[k, v], ...])`, `deque([...])`: the items, whatever is
        // asked for.
        return crate::stdlib::into_constructor_items(o);
    }
    // Parts are moved, never copied: a copy at each level of nested objects would cost the
    // size of everything below it, again at every level.
    let o = match want == Want::Any && crate::stdlib::is_allowed(&o.class.module, &o.class.name) {
        true => match crate::stdlib::into_natural(Box::new(o)) {
            Ok(v) => return Ok(v),
            Err(o) => *o,
        },
        false => o,
    };
    if want == Want::Any {
        if let Some(v) = crate::numpy::natural(&o) {
            return Ok(v);
        }
        // A `str` or `int` subclass's instance, an `Enum` member: its one scalar, as the
        // pickle reader gives it (and as Python's `json` writes the subclasses).
        if let Some(arg) = plain_argument(&o).filter(|a| is_text(a) || is_number(a)) {
            return Ok(arg.clone());
        }
    }
    let Object {
        class,
        made,
        args,
        kwargs,
        state,
        list_items,
        dict_items,
    } = o;
    let kwargs = kwargs.filter(|k| !matches!(k, Value::Dict(d) if d.is_empty()));
    let mut args = match args {
        Value::Tuple(items) => items,
        other => vec![other],
    };
    // `copyreg._reconstructor(cls, base, state)`: `base.__new__(cls, state)`.
    let mut base_items = None;
    if made == Made::Reconstructor && args.len() == 2 {
        let state = args.pop().expect("two");
        let base = args.pop().expect("two");
        let base = base
            .as_global()
            .map(|g| (g.module.as_str(), g.name.as_str()));
        args = match (base, state) {
            (_, Value::None) | (Some(("builtins", "object")), _) => Vec::new(),
            (Some(("builtins", "tuple")), Value::Tuple(items)) => items,
            (Some(("builtins", "list" | "dict")), items @ (Value::List(_) | Value::Dict(_))) => {
                base_items = Some(items);
                Vec::new()
            }
            (_, state) => vec![state],
        };
    }
    // `Counter({...})`: the dict is its items.
    if made_from_items(&class.module, &class.name) && matches!(args.as_slice(), [Value::Dict(_)]) {
        base_items = args.pop();
    }
    let dict_like = |v: &Value| matches!(v, Value::Dict(_) | Value::None);
    // (Told, not copied: it is moved out if it is the part chosen. A copy of every object's
    // state cost the size of everything below it at every level of nesting.)
    let tuple_state = match state.as_slice() {
        [Value::Tuple(t)] => !(t.len() == 2 && t.iter().all(dict_like)),
        // The field values in order, as a frozen `@dataclass(slots=True)` pickles them.
        [Value::List(_)] => true,
        _ => false,
    };
    let ctor_dict = matches!(args.as_slice(), [Value::Dict(_)]);
    fn has_content(state: &Value) -> bool {
        match state {
            Value::None => false,
            Value::Dict(d) => !d.is_empty(),
            Value::Tuple(t) => t.iter().any(has_content),
            _ => true,
        }
    }
    let base_content = match &base_items {
        Some(Value::List(items)) => !items.is_empty(),
        Some(Value::Dict(pairs)) => !pairs.is_empty(),
        _ => false,
    };
    let content = !list_items.is_empty()
        || !dict_items.is_empty()
        || base_content
        || state.iter().any(has_content)
        || args_are_arguments(&class.module, &class.name, args.len())
        || kwargs.is_some();
    let facts = Facts {
        list_items: !list_items.is_empty()
            || matches!(base_items, Some(Value::List(_)))
            || (class.module == "collections" && class.name == "deque"),
        dict_items: !dict_items.is_empty() || matches!(base_items, Some(Value::Dict(_))),
        attributes: !state.is_empty() && !tuple_state,
        tuple_state,
        ctor_dict,
        args: args_are_arguments(&class.module, &class.name, args.len()),
        kwargs: kwargs.is_some(),
        content,
    };
    Ok(match choose(want, &facts) {
        Source::ListItems => match base_items {
            Some(items) if list_items.is_empty() => items,
            _ => Value::List(list_items),
        },
        Source::DictItems => match base_items {
            Some(items) if dict_items.is_empty() => items,
            _ => Value::Dict(dict_items),
        },
        Source::Attributes => {
            let mut dicts = Vec::new();
            for s in state {
                let parts = match s {
                    Value::Tuple(t) if t.len() == 2 && t.iter().all(dict_like) => t,
                    other => vec![other],
                };
                for part in parts {
                    match part {
                        Value::Dict(d) => dicts.push(d),
                        Value::None => {}
                        other => {
                            return Err(type_error(format!(
                                "the state of this {class} is a {}, not a dict of attributes \
                                 (it has its own __setstate__)",
                                other.type_name()
                            )))
                        }
                    }
                }
            }
            // A later part sets the attribute again: Python keeps the last value.
            Value::Dict(merge_attributes(dicts, |k: &Value| match k {
                Value::Str(s) => Some(s.clone()),
                _ => None,
            }))
        }
        Source::TupleState => match state.into_iter().next() {
            Some(Value::Tuple(items) | Value::List(items)) => Value::Tuple(items),
            _ => Value::Tuple(Vec::new()),
        },
        Source::CtorDict => args.pop().unwrap_or(Value::Dict(Vec::new())),
        Source::Keywords => kwargs.unwrap_or(Value::Dict(Vec::new())),
        Source::KeywordsLeftOut => return Err(type_error(keywords_left_out(&class, want))),
        Source::Mismatch => return Err(type_error(mismatch(&class, want, &facts))),
        Source::Args => Value::Tuple(args),
        Source::Nothing if want == Want::Seq => Value::Tuple(Vec::new()),
        Source::Nothing => Value::Dict(Vec::new()),
    })
}

impl Value {
    /// An `i128` (`signed`) or `u128`: serde's visitors name neither a big int out of range
    /// nor the type asked for ("invalid value: u128, expected i128").
    pub(crate) fn int128<'de, V: Visitor<'de>>(self, visitor: V, signed: bool) -> Result<V::Value> {
        match self {
            Value::BigInt(ref b) => {
                if let Some(why) = int128_range_error(b, signed) {
                    return Err(type_error(why));
                }
            }
            // A numpy scalar: its number.
            Value::Object(o) => {
                return match number_or_object(o) {
                    o @ Value::Object(_) => as_scalar(o, visitor),
                    n => n.int128(visitor, signed),
                }
            }
            _ => {}
        }
        de::Deserializer::deserialize_any(self, visitor)
    }
}

/// Why the big int `b` is no `i128` (`signed`) or `u128`, if it is not.
pub(crate) fn int128_range_error(b: &super::BigInt, signed: bool) -> Option<String> {
    let fits = if signed {
        b.to_i128().is_some()
    } else {
        b.to_u128().is_some()
    };
    (!fits).then(|| {
        format!(
            "invalid value: {}, expected {}",
            b.describe(),
            if signed { "i128" } else { "u128" }
        )
    })
}

/// Why an int wider than 128 bits cannot be what `exp` expects: no Rust integer holds it.
pub(crate) fn wider_than_128_bits(b: &super::BigInt, exp: &dyn serde::de::Expected) -> String {
    format!(
        "invalid type: {} (wider than 128 bits, too large for any Rust integer), expected {exp}",
        b.describe()
    )
}

/// Why `f` cannot be read as an `f32`: it is finite, but beyond `f32`'s range (a cast would
/// make it infinity).
pub(crate) fn f32_range_error(f: f64) -> Option<String> {
    (f.is_finite() && (f as f32).is_infinite()).then(|| {
        format!(
            "invalid value: float {}, expected an f32 (at most {:e} in magnitude)",
            Value::Float(f),
            f32::MAX
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{BigInt, Complex, Global, Made, Object};

    fn rich() -> Value {
        Value::Tuple(vec![
            Value::Set(vec![Value::Int(1)]),
            Value::FrozenSet(vec![]),
            Value::ByteArray(b"x".to_vec()),
            Value::BigInt(BigInt::from(u128::MAX)),
            Value::Complex(Complex { re: 1.0, im: -2.0 }),
            Value::Dict(vec![(Value::Tuple(vec![Value::None]), Value::List(vec![]))]),
            Value::Object(Box::new(Object {
                class: Global {
                    module: "m".into(),
                    name: "C".into(),
                },
                made: Made::New,
                args: Value::Tuple(vec![]),
                kwargs: None,
                state: vec![Value::Dict(vec![])],
                list_items: vec![],
                dict_items: vec![],
            })),
        ])
    }

    #[test]
    fn from_value_to_value_is_lossless() {
        let v = rich();
        assert_eq!(from_value::<Value>(v.clone()).unwrap(), v);
        assert_eq!(crate::to_value(&v).unwrap(), v);
        // Nested inside other types too.
        let pair: (Value, Vec<Value>) =
            from_value(Value::Tuple(vec![v.clone(), Value::List(vec![v.clone()])])).unwrap();
        assert_eq!(pair, (v.clone(), vec![v]));
    }

    #[test]
    fn the_mailbox_is_empty_after_a_foreign_visitor() {
        // A visitor that asks for the private name but never reads the content.
        struct Ignore;
        impl<'de> Visitor<'de> for Ignore {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("anything")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                _d: D,
            ) -> std::result::Result<(), D::Error> {
                Ok(())
            }
        }
        Value::Int(5)
            .deserialize_newtype_struct(VALUE_TOKEN, Ignore)
            .unwrap();
        assert!(HANDOFF.with(|slot| slot.take()).is_none());
        // And a visitor that does read it gets the data.
        let n: i64 = hand_over(Value::Int(7), ValueVisitor)
            .map(|v| v.as_i64().unwrap())
            .unwrap();
        assert_eq!(n, 7);
    }
}
