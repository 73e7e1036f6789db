//! How an [`NdArray`] serializes.
//!
//! Into this crate's pickle serializer, from its data where it lies: the serializer asks for
//! the array by its private newtype name ([`ARRAY_OUT_TOKEN`]), and the array answers with its
//! [`ArrayHead`] (set aside here, a few small values) and its data as bytes, which the
//! serializer writes as they are (`ser/ndarray.rs`) — in the pickle, or out of band at
//! protocol 5 when asked to.
//!
//! Into anything else (another format, [`to_value`](crate::to_value), serde's own buffer for
//! a flattened field) the array is the object of its `_reconstruct` form, as a
//! [`Value`](crate::Value) of it serializes: its natural form in other formats.

use std::cell::{Cell, RefCell};

use serde::{Serialize, Serializer};

use super::array::{ArrayHead, NdArray};
use crate::value::magic::{ARRAY_DATA_TOKEN, ARRAY_OUT_TOKEN};

thread_local! {
    /// Set while this crate's pickle serializer serializes the payload of an
    /// [`ARRAY_OUT_TOKEN`] newtype (see [`wanting_array`]).
    static WANTED: Cell<bool> = const { Cell::new(false) };
    /// The head of the array whose data the serializer is handed next.
    static HEAD: RefCell<Option<ArrayHead>> = const { RefCell::new(None) };
}

impl Serialize for NdArray {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.as_bytes().is_none() {
            // An object array's elements are values of their own.
            return self.to_value().serialize(s);
        }
        s.serialize_newtype_struct(ARRAY_OUT_TOKEN, &Out(self))
    }
}

/// An array (one with bytes for data) as the payload of its [`ARRAY_OUT_TOKEN`] newtype.
struct Out<'a>(&'a NdArray);

impl Serialize for Out<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_bytes() {
            // (`try_with`: from another thread-local's destructor, once this one is gone, the
            // array is written as its `Value`.)
            Some(data)
                if WANTED.with(|w| w.replace(false))
                    && HEAD
                        .try_with(|h| *h.borrow_mut() = Some(self.0.head()))
                        .is_ok() =>
            {
                s.serialize_newtype_struct(ARRAY_DATA_TOKEN, serde_bytes::Bytes::new(data))
            }
            _ => self.0.to_value().serialize(s),
        }
    }
}

/// `f`, the serialization of an [`ARRAY_OUT_TOKEN`] newtype's payload into this crate's
/// pickle serializer: an array in it answers with its head and data. Whatever else it was (a
/// payload serde's buffer replays), nothing is left set afterwards, whether `f` returned or
/// unwound.
pub(crate) fn wanting_array<T>(f: impl FnOnce() -> T) -> T {
    struct Unset;
    impl Drop for Unset {
        fn drop(&mut self) {
            WANTED.with(|w| w.set(false));
            let _ = HEAD.try_with(|h| h.borrow_mut().take());
        }
    }
    WANTED.with(|w| w.set(true));
    let _unset = Unset;
    f()
}

/// The head of the array whose data the serializer was just handed (an
/// [`ARRAY_DATA_TOKEN`] newtype's bytes), if an array handed it.
pub(crate) fn take_head() -> Option<ArrayHead> {
    HEAD.try_with(|h| h.borrow_mut().take()).ok().flatten()
}
