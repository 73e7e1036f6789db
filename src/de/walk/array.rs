//! numpy arrays handed to `NdArrayView` and `NdArray` without copying their data into a
//! `Value` first.
//!
//! Both types ask for the newtype [`ARRAY_TOKEN`]. For an array object whose data is bytes
//! (`_frombuffer(data, dtype, shape, order)`, or `_reconstruct` with a BUILD state
//! `(version, shape, dtype, is_fortran, data)`), the walker answers with a sequence of two
//! parts: the object as a `Value` with its data replaced by `None`, then the data itself, lent
//! from the input or an out-of-band buffer where it lies there. Anything else (object arrays,
//! numpy scalars, Python 2 text data) gets the ordinary newtype visit, and the types read it
//! through a `Value`.

use serde::de::{self, DeserializeSeed, SeqAccess};

use super::{Bytes, Walk};
use crate::de::arena::{Id, Kind, Node, NIL};
use crate::error::{Error, Result};
use crate::value::{Global, Object, Value};

/// The object (data taken out) and the data, for the visitor's `visit_seq`.
pub(super) struct ArrayParts<'de, 'a> {
    meta: Option<Value>,
    data: Option<Bytes<'de, 'a>>,
}

impl<'de: 'a, 'a> Walk<'de, 'a> {
    /// The parts of array object `id`, or `None` if it is not an array with bytes for data.
    pub(super) fn array_parts(&mut self, id: Id) -> Result<Option<ArrayParts<'de, 'a>>> {
        let obj = self.arena.objects[id as usize];
        let Kind::Global(g) = obj.class.kind() else {
            return Ok(None);
        };
        if obj.kwargs.is_some() || obj.list != NIL || obj.dict != NIL {
            return Ok(None);
        }
        let (module, name) = self.global_name(g);
        let class = Global {
            module: module.into(),
            name: name.into(),
        };
        let object = |args, state| {
            Value::Object(Box::new(Object {
                class,
                made: obj.made,
                args,
                kwargs: None,
                state,
                list_items: Vec::new(),
                dict_items: Vec::new(),
            }))
        };
        let (meta, data): (Value, Bytes<'de, 'a>) = match (module, name) {
            ("numpy.core.numeric" | "numpy._core.numeric", "_frombuffer") => {
                let Kind::Tuple(r) = obj.args.kind() else {
                    return Ok(None);
                };
                let items = self.arena.slice(r);
                if items.len() != 4 || obj.states != NIL {
                    return Ok(None);
                }
                let Some(data) = self.data(items[0]) else {
                    return Ok(None);
                };
                let args = self.build_but_first(items)?;
                (object(Value::Tuple(args), Vec::new()), data)
            }
            ("numpy.core.multiarray" | "numpy._core.multiarray", "_reconstruct") => {
                let mut states = self.arena.iter(obj.states);
                let (Some(state), None) = (states.next(), states.next()) else {
                    return Ok(None);
                };
                let Kind::Tuple(r) = state.kind() else {
                    return Ok(None);
                };
                let items = self.arena.slice(r);
                if items.len() != 5 {
                    return Ok(None);
                }
                let Some(data) = self.data(items[4]) else {
                    return Ok(None);
                };
                let mut state = Vec::with_capacity(5);
                for &item in &items[..4] {
                    state.push(self.build(item)?);
                }
                state.push(Value::None);
                let args = self.build(obj.args)?;
                (object(args, vec![Value::Tuple(state)]), data)
            }
            _ => return Ok(None),
        };
        // The data is handed over (and copied by `NdArray`) at each reference to the array.
        self.spend_bytes(data.len())?;
        Ok(Some(ArrayParts {
            meta: Some(meta),
            data: Some(data),
        }))
    }

    /// `None`, then the other items built.
    fn build_but_first(&mut self, items: &[Node]) -> Result<Vec<Value>> {
        let mut out = Vec::with_capacity(items.len());
        out.push(Value::None);
        for &item in &items[1..] {
            out.push(self.build(item)?);
        }
        Ok(out)
    }

    /// An array's data, if it is bytes of some kind.
    fn data(&self, node: Node) -> Option<Bytes<'de, 'a>> {
        match node.kind() {
            Kind::Bytes(span) | Kind::ByteArray(span) => Some(self.bytes(span)),
            Kind::Buffer(b) => self.buffer(b).ok().map(|(data, _)| Bytes::Borrowed(data)),
            _ => None,
        }
    }
}

impl<'de> SeqAccess<'de> for ArrayParts<'de, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if let Some(meta) = self.meta.take() {
            return seed.deserialize(meta).map(Some);
        }
        match self.data.take() {
            Some(Bytes::Borrowed(b)) => seed
                .deserialize(de::value::BorrowedBytesDeserializer::<Error>::new(b))
                .map(Some),
            Some(Bytes::Copied(b)) => seed
                .deserialize(de::value::BytesDeserializer::<Error>::new(b))
                .map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.meta.is_some()) + usize::from(self.data.is_some()))
    }
}
