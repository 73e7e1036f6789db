//! Python's pickle format as a Serde data format.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize, Debug, PartialEq)]
//! struct Record { id: u32, name: String, tags: Vec<String> }
//!
//! // pickle.dumps({'id': 1, 'name': 'ada', 'tags': ['x']}, protocol=4)
//! let data = b"\x80\x04\x95)\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x02id\x94K\x01\x8c\x04name\x94\x8c\x03ada\x94\x8c\x04tags\x94]\x94\x8c\x01x\x94au.";
//! let r: Record = pypickle::from_slice(data).unwrap();
//! assert_eq!(r, Record { id: 1, name: "ada".into(), tags: vec!["x".into()] });
//!
//! // Any pickle of plain data, losslessly, printed as Python's repr():
//! let v: pypickle::Value = pypickle::from_slice(data).unwrap();
//! assert_eq!(v.to_string(), "{'id': 1, 'name': 'ada', 'tags': ['x']}");
//! ```
#![deny(missing_docs)]
#![warn(rust_2018_idioms)]

mod class;
pub mod de;
mod error;
pub mod opcode;
pub mod read;
pub mod value;

pub use de::{
    from_reader, from_reader_with, from_slice, from_slice_with, DeOptions, Deserializer,
    Py2Strings, StreamDeserializer,
};
pub use error::{Category, Error, Limit, Result};
pub use value::{from_value, to_value, BigInt, Complex, Global, Made, Object, Value};
