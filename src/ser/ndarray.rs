//! numpy arrays, written from their data where it lies (see `numpy/ser.rs`): the data is
//! copied once, into the pickle, or handed out of band.

use std::io::Write;

use serde::ser::{SerializeTuple, Serializer as _};

use super::Serializer;
use crate::error::Result;
use crate::numpy::{ArrayHead, FROMBUFFER, RECONSTRUCT};
use crate::opcode::{BUILD, REDUCE};
use crate::value::Value;

impl<W: Write, const P45: bool> Serializer<W, P45> {
    /// An array with `data` for its data, from its save boundary: at protocol 5 with
    /// out-of-band buffers, as numpy 2 pickles it then (`_frombuffer`, its data the next
    /// buffer) where numpy does; else in numpy's `_reconstruct` form, byte for byte what the
    /// array's [`Value`] writes.
    pub(crate) fn save_ndarray(&mut self, head: &ArrayHead, data: &[u8]) -> Result<()> {
        if self.key() {
            return Err(self.unhashable("a numpy array"));
        }
        self.open()?;
        let key = self.set_key(false);
        // The places inside the array's arguments and state are not the value's own: its
        // error is the array's.
        self.part(|s| {
            if head.from_buffer && s.proto() >= 5 && s.opts.out_of_band {
                s.emit_frombuffer(head, data)
            } else {
                s.emit_reconstruct(head, data)
            }
        })
        .map_err(crate::Error::without_path)?;
        self.set_key(key);
        self.close()
    }

    /// `_reconstruct(numpy.ndarray, (0,), b'b')`, then BUILD with the state `(1, shape,
    /// dtype, is_fortran, data)`, as [`Self::emit_object`] writes that object.
    fn emit_reconstruct(&mut self, head: &ArrayHead, data: &[u8]) -> Result<()> {
        self.emit_global(RECONSTRUCT.0, RECONSTRUCT.1)?;
        self.boundary()?;
        self.save_value(&crate::numpy::reconstruct_args())?;
        self.out.buf.push(REDUCE);
        self.memoize();
        self.boundary()?;
        let mut state = (&mut *self).serialize_tuple(5)?;
        state.element_value(&Value::Int(1))?;
        state.element_value(&head.shape)?;
        state.element_value(&head.dtype)?;
        state.element_value(&Value::Bool(head.fortran))?;
        state.serialize_element(serde_bytes::Bytes::new(data))?;
        state.end()?;
        self.out.buf.push(BUILD);
        Ok(())
    }

    /// `_frombuffer(buffer, dtype, shape, order)`, the buffer handed out of band (NEXT_BUFFER),
    /// as numpy 2 writes an array with `pickle.dumps(a, 5, buffer_callback=...)`.
    fn emit_frombuffer(&mut self, head: &ArrayHead, data: &[u8]) -> Result<()> {
        self.emit_global(FROMBUFFER.0, FROMBUFFER.1)?;
        self.boundary()?;
        let mut args = (&mut *self).serialize_tuple(4)?;
        args.serialize_element(&crate::PickleBuffer::new(data))?;
        args.element_value(&head.dtype)?;
        args.element_value(&head.shape)?;
        // The array's own order, which it reads back in, even where its elements lie in C
        // order too (shape (1, 3)), which numpy then calls C.
        args.serialize_element(if head.fortran { "F" } else { "C" })?;
        args.end()?;
        self.out.buf.push(REDUCE);
        self.memoize();
        Ok(())
    }
}
