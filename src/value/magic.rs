//! The private names that carry Python types serde's data model lacks (tuple vs list, set,
//! frozenset, bytearray, big ints, complex, globals, objects) between [`Value`](crate::Value)
//! and this crate's serializers and deserializers, without loss.
//!
//! Deserializing: `Value::deserialize` asks for the newtype struct [`VALUE_TOKEN`], which this
//! crate's deserializers answer by handing over a whole `Value` (see `value/de.rs`); other
//! deserializers answer with the content, read the ordinary way.
//!
//! Serializing: `Value::serialize` wraps each such type in a newtype struct named by its
//! [`Tag`], which this crate's serializers recognise and other serializers see through.

/// The newtype name `Value::deserialize` asks for.
pub(crate) const VALUE_TOKEN: &str = "$pypickle::private::Value";

/// The newtype name `NdArrayView` and `NdArray` ask for: this crate's walker answers with the
/// array object (data taken out) and its data lent from the input (see `de/walk/array.rs`).
pub(crate) const ARRAY_TOKEN: &str = "$pypickle::private::NdArray";

/// The newtype name `NdArray` serializes under: this crate's pickle serializer asks for the
/// array's head and data (see `numpy/ser.rs`); other serializers see through it.
pub(crate) const ARRAY_OUT_TOKEN: &str = "$pypickle::private::NdArrayOut";

/// The newtype name of the bytes an `NdArray` answers its pickle serializer with.
pub(crate) const ARRAY_DATA_TOKEN: &str = "$pypickle::private::NdArrayData";

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
    /// A writable protocol 5 buffer (`pickle.PickleBuffer` of a bytearray).
    Buffer,
    /// A read-only protocol 5 buffer.
    ReadOnlyBuffer,
    /// The data of a numpy array (see `numpy/ser.rs`): not in [`Tag::ALL`], for only
    /// `NdArray` writes it, and only into this crate's pickle serializer.
    ArrayData,
}

impl Tag {
    pub(crate) const ALL: [Tag; 10] = [
        Tag::Tuple,
        Tag::Set,
        Tag::FrozenSet,
        Tag::ByteArray,
        Tag::BigInt,
        Tag::Complex,
        Tag::Global,
        Tag::Object,
        Tag::Buffer,
        Tag::ReadOnlyBuffer,
    ];

    /// The newtype name `Value::serialize` uses for it.
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
            Tag::Buffer => "$pypickle::PickleBuffer",
            Tag::ReadOnlyBuffer => "$pypickle::ReadOnlyPickleBuffer",
            Tag::ArrayData => ARRAY_DATA_TOKEN,
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Tag> {
        if !s.starts_with("$pypickle::") {
            return None;
        }
        Tag::ALL.iter().copied().find(|t| t.name() == s)
    }
}
