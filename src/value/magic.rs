//! The private protocol that carries Python types serde's data model lacks (tuple vs list, set,
//! frozenset, bytearray, big ints, complex, globals, objects) between this crate's
//! deserializers and [`Value`](crate::Value), without loss.
//!
//! `Value::deserialize` asks for the newtype struct [`VALUE_TOKEN`]. This crate's deserializers
//! answer with a map whose first key, asked for as the newtype struct [`KEY_TOKEN`], is one of the
//! tag strings below rather than a real key; the map's value is the payload. Any other
//! deserializer answers a newtype struct with the value itself, so `Value` still deserializes
//! from JSON and friends in the ordinary way.

/// The newtype name `Value::deserialize` asks for.
pub(crate) const VALUE_TOKEN: &str = "$pypickle::private::Value";
/// The newtype name `Value`'s map visitor asks its first key for.
pub(crate) const KEY_TOKEN: &str = "$pypickle::private::Key";

/// A Python type that serde's data model does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    Tuple,
    Set,
    FrozenSet,
    ByteArray,
    BigInt,
    Complex,
    Global,
    Object,
}

impl Tag {
    pub(crate) const ALL: [Tag; 8] = [
        Tag::Tuple,
        Tag::Set,
        Tag::FrozenSet,
        Tag::ByteArray,
        Tag::BigInt,
        Tag::Complex,
        Tag::Global,
        Tag::Object,
    ];

    /// The tag's key string, also the newtype name `Value::serialize` uses for it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tag::Tuple => "$pypickle::Tuple",
            Tag::Set => "$pypickle::Set",
            Tag::FrozenSet => "$pypickle::FrozenSet",
            Tag::ByteArray => "$pypickle::ByteArray",
            Tag::BigInt => "$pypickle::BigInt",
            Tag::Complex => "$pypickle::Complex",
            Tag::Global => "$pypickle::Global",
            Tag::Object => "$pypickle::Object",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Tag> {
        if !s.starts_with("$pypickle::") {
            return None;
        }
        Tag::ALL.iter().copied().find(|t| t.name() == s)
    }
}
