#![doc = include_str!("../README.md")]
//!
//! [`Value`]: crate::Value
#![deny(missing_docs)]
#![warn(rust_2018_idioms)]

mod class;
pub mod de;
mod error;
pub mod opcode;
pub mod read;
pub mod ser;
pub mod value;

pub use de::{
    from_reader, from_reader_with, from_slice, from_slice_with, DeOptions, Deserializer,
    Py2Strings, StreamDeserializer,
};
pub use error::{Category, Error, Limit, Result};
pub use ser::{to_vec, to_vec_with, to_writer, to_writer_with, SerOptions, Serializer};
pub use value::{from_value, to_value, BigInt, Complex, Global, Made, Object, Value};
