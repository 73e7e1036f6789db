//! Protocol 5 buffers: bytes that may travel beside the pickle instead of inside it.

use serde::{Serialize, Serializer};

use crate::value::magic::Tag;

/// Bytes written as Python's `pickle.PickleBuffer`: at protocol 5, in band as a `bytearray`
/// (or `bytes`, if read-only), or out of band when
/// [`SerOptions::out_of_band_buffers`](crate::SerOptions::out_of_band_buffers) is on (see
/// [`to_vec_with_buffers`](crate::to_vec_with_buffers)), so that a large array travels without
/// being copied into the pickle. Below protocol 5 it is an error, as in CPython.
///
/// Reading, out-of-band buffers are passed to
/// [`from_slice_with_buffers`](crate::from_slice_with_buffers) and read as bytes (`&[u8]` lent
/// from the buffer, `Vec<u8>`, a `Value` bytearray or bytes, a numpy array's data).
///
/// ```
/// use pypickle::{PickleBuffer, SerOptions, Value};
/// let p5 = SerOptions::new().protocol(5);
/// // In band: pickle.dumps(pickle.PickleBuffer(bytearray(b'ab')), protocol=5)
/// let bytes = pypickle::to_vec_with(&PickleBuffer::new(b"ab".to_vec()), &p5)?;
/// assert_eq!(pypickle::from_slice::<Value>(&bytes)?.to_string(), "bytearray(b'ab')");
/// // Below protocol 5 it is refused, as CPython refuses it.
/// assert!(pypickle::to_vec(&PickleBuffer::new(b"ab".to_vec())).is_err());
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PickleBuffer<B> {
    data: B,
    readonly: bool,
}

impl<B: AsRef<[u8]>> PickleBuffer<B> {
    /// A writable buffer: Python gets a `bytearray` (or, out of band, the buffer it is given).
    pub fn new(data: B) -> Self {
        PickleBuffer {
            data,
            readonly: false,
        }
    }

    /// A read-only buffer: Python gets `bytes` (out of band: a read-only view of the buffer).
    pub fn readonly(data: B) -> Self {
        PickleBuffer {
            data,
            readonly: true,
        }
    }

    /// The bytes.
    pub fn data(&self) -> &[u8] {
        self.data.as_ref()
    }

    /// Whether Python gets a read-only view.
    pub fn is_readonly(&self) -> bool {
        self.readonly
    }
}

/// The payload: the bytes, as serde bytes.
struct Payload<'a>(&'a [u8]);

impl Serialize for Payload<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

impl<B: AsRef<[u8]>> Serialize for PickleBuffer<B> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let tag = if self.readonly {
            Tag::ReadOnlyBuffer
        } else {
            Tag::Buffer
        };
        s.serialize_newtype_struct(tag.name(), &Payload(self.data.as_ref()))
    }
}
