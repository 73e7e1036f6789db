#![doc = include_str!("../README.md")]
//!
//! [`Value`]: crate::Value
//! [`ClassRegistry`]: crate::ClassRegistry
//! [`PersistentId`]: crate::PersistentId
//! [`numpy::NdArray`]: crate::numpy::NdArray
//! [`numpy::NdArrayView`]: crate::numpy::NdArrayView
//! [`joblib::from_slice`]: crate::joblib::from_slice
//! [`joblib::from_reader`]: crate::joblib::from_reader
//! [`PickleBuffer`]: crate::PickleBuffer
//! [`scan`]: fn@crate::scan
//! [`dis`]: fn@crate::dis
//! [`optimize`]: fn@crate::optimize
//! [`to_vec`]: fn@crate::to_vec
//! [`to_writer`]: fn@crate::to_writer
//! [`from_slice`]: fn@crate::from_slice
//! [`from_reader`]: fn@crate::from_reader
//! [`Serializer`]: crate::Serializer
//! [`Deserializer`]: crate::Deserializer
//! [`Global`]: crate::Global
//! [`Error`]: crate::Error
//! [`Error::category`]: crate::Error::category
//! [`Error::refused_global`]: crate::Error::refused_global
//! [`Category`]: crate::Category
//! [`Category::Unserializable`]: crate::Category::Unserializable
//! [`Category::Custom`]: crate::Category::Custom
//! [`Category::Io`]: crate::Category::Io
//! [`Limit`]: crate::Limit
//! [`with`]: crate::with
#![deny(missing_docs)]
#![warn(rust_2018_idioms)]

/// Calls `$mac! { deserialize_any(); deserialize_bool(); ... }` with every method of
/// `serde::Deserializer` and its arguments besides the visitor, for deserializers that forward
/// each method somewhere else.
macro_rules! for_each_deserialize_method {
    ($mac:ident) => {
        $mac! {
            deserialize_any();
            deserialize_bool();
            deserialize_i8();
            deserialize_i16();
            deserialize_i32();
            deserialize_i64();
            deserialize_i128();
            deserialize_u8();
            deserialize_u16();
            deserialize_u32();
            deserialize_u64();
            deserialize_u128();
            deserialize_f32();
            deserialize_f64();
            deserialize_char();
            deserialize_str();
            deserialize_string();
            deserialize_bytes();
            deserialize_byte_buf();
            deserialize_option();
            deserialize_unit();
            deserialize_unit_struct(name: &'static str);
            deserialize_newtype_struct(name: &'static str);
            deserialize_seq();
            deserialize_tuple(len: usize);
            deserialize_tuple_struct(name: &'static str, len: usize);
            deserialize_map();
            deserialize_struct(name: &'static str, fields: &'static [&'static str]);
            deserialize_enum(name: &'static str, variants: &'static [&'static str]);
            deserialize_identifier();
            deserialize_ignored_any();
        }
    };
}
pub(crate) use for_each_deserialize_method;

mod buffer;
mod class;
pub mod de;
mod dis;
mod error;
pub mod joblib;
#[cfg(feature = "json")]
pub mod json;
pub mod numpy;
pub mod opcode;
mod persistent;
pub mod read;
mod scan;
pub mod ser;
pub mod stdlib;
pub mod value;
pub mod with;

pub use buffer::PickleBuffer;
pub use class::ClassRegistry;
pub use de::{
    from_reader, from_reader_with, from_slice, from_slice_with, from_slice_with_buffers, DeOptions,
    Deserializer, Py2Strings, StreamDeserializer,
};
pub use dis::{dis, dis_to, optimize, DisOptions};
pub use error::{Category, Error, Limit, Path, Result, Segment};
pub use persistent::PersistentId;
pub use scan::{scan, Bomb, Finding, Report, Verdict};
pub use ser::{
    to_vec, to_vec_with, to_vec_with_buffers, to_writer, to_writer_with, SerOptions, Serializer,
};
pub use value::{
    from_value, from_value_with, to_value, BigInt, Complex, Global, Made, Object, Value,
};
