//! Persistent ids: objects a pickle refers to by an id instead of containing them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The newtype name this crate's serializer recognises.
pub(crate) const PERSISTENT_TOKEN: &str = "$pypickle::PersistentId";

/// A value written as a persistent id (BINPERSID, or PERSID at protocol 0), as CPython's
/// pickler writes whatever its `persistent_id` returned for an object: the unpickler hands the
/// id to its `persistent_load` to get the object back.
///
/// Reading, it is transparent: it reads whatever value the reader has there, which with
/// [`DeOptions::persistent_load`](crate::DeOptions::persistent_load) is what the hook returned
/// for the id. With other serializers it is transparent too.
///
/// ```
/// use pypickle::{DeOptions, PersistentId, Value};
/// #[derive(serde::Serialize)]
/// struct Doc { title: &'static str, blob: PersistentId<(&'static str, u32)> }
///
/// let bytes = pypickle::to_vec(&Doc { title: "t", blob: PersistentId(("blob", 7)) })?;
/// let opts = DeOptions::new().persistent_load(|pid| Ok(Value::from(format!("loaded {pid}"))));
/// let v: Value = pypickle::from_slice_with(&bytes, &opts)?;
/// assert_eq!(v.to_string(), "{'title': 't', 'blob': \"loaded ('blob', 7)\"}");
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersistentId<T>(pub T);

impl<T: Serialize> Serialize for PersistentId<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(PERSISTENT_TOKEN, &self.0)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for PersistentId<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(PersistentId)
    }
}
