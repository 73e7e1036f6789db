//! `joblib.dump` files: after the BUILD of each `joblib.numpy_pickle.NumpyArrayWrapper`, joblib
//! writes the array itself, outside the pickle's opcodes. The machine reads those bytes here and
//! turns the wrapper into the object numpy's own pickle (protocols 2-4) would have made,
//! `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')` built with the state
//! `(1, shape, dtype, is_fortran, data)`, so that everything downstream (`NdArray`, `Value`,
//! the class bridge) sees an ordinary array, and a `Value` writes back as a pickle numpy 1
//! and 2 both load.
//!
//! The layout, as joblib writes it (`NumpyArrayWrapper.write_array`): the wrapper's state is a
//! dict `{subclass, shape, order, dtype, allow_mmap[, numpy_array_alignment_bytes]}`; from
//! protocol 4 the frame ends right after the BUILD; then, for an array of plain elements, one
//! byte giving a padding length, that many padding bytes (only when the state has an alignment,
//! joblib 1.2 and later), and the elements in the array's order; for an object array, a whole
//! protocol 5 pickle of the array, read with a fresh stack and memo.

use super::{malformed, malformed_owned, JoblibRegion, Machine, Run};
use crate::class::Known;
use crate::de::arena::{Id, Kind, Made, Node, Object, NIL};
use crate::error::Result;
use crate::numpy::DType;
use crate::read::Read;

/// What the wrapper's state says about the array.
struct Layout {
    dtype: Node,
    shape: Node,
    /// Order `'F'` (else `'C'`).
    fortran: bool,
    /// `numpy_array_alignment_bytes`, when present and not None.
    aligned: bool,
}

impl<'de, R: Read<'de>> Run<'_, '_, '_, '_, 'de, R> {
    /// Whether object `o` is a `NumpyArrayWrapper` (only ever the case for joblib reads).
    pub(super) fn is_joblib_wrapper(&self, o: Id) -> bool {
        match self.arena.objects[o as usize].class.kind() {
            Kind::Global(g) => self.arena.globals[g as usize].known == Known::JoblibArray,
            _ => false,
        }
    }

    /// Read the array that follows the wrapper `o`'s BUILD and make `o` that array.
    pub(super) fn joblib_array(&mut self, o: Id, state: Node) -> Result<()> {
        if self.r.in_unfinished_frame() {
            return Err(malformed(
                "joblib array data inside a FRAME (joblib ends the frame after the wrapper)",
            ));
        }
        let layout = self.layout(state)?;
        let dtype = self.build_detached(layout.dtype)?;
        let dtype = DType::from_value(&dtype)
            .map_err(|e| malformed_owned(format!("joblib array dtype: {e}")))?;
        let count = self.element_count(layout.shape)?;
        let start = self.r.position();
        // joblib pickles any array whose dtype holds objects (numpy's `hasobject`, which it
        // takes from the pickled flags alone: a crafted `O` with flags 0 is raw bytes to it).
        let nested = dtype.flags_hold_objects();
        let array = if nested {
            self.nested_pickle()?
        } else {
            if layout.aligned {
                let padding = self.u8_arg()?;
                self.counted(u64::from(padding))?;
            }
            let len = count
                .checked_mul(dtype.itemsize as u64)
                .ok_or_else(|| malformed("joblib array size overflows"))?;
            let data = self.counted(len)?;
            // `_reconstruct(ndarray, (0,), b'b')` and its BUILD state
            // `(1, shape, dtype, is_fortran, data)`, under the names numpy 1 and 2 both load
            // without a warning.
            let class = self.global_kind("numpy.core.multiarray", "_reconstruct", false)?;
            let ndarray = self.global_kind("numpy", "ndarray", false)?;
            let b = self.push_scratch(b"b")?;
            let zero = [self.node(Kind::Int(0))];
            let zero = self.tuple(&zero);
            let args = [
                self.node(ndarray),
                self.node(zero),
                self.node(Kind::Bytes(b)),
            ];
            let args = self.tuple(&args);
            let fortran = layout.fortran;
            let state = [
                self.node(Kind::Int(1)),
                layout.shape,
                layout.dtype,
                self.node(Kind::Bool(fortran)),
                self.node(Kind::Bytes(data)),
            ];
            let state = self.tuple(&state);
            let states = self.arena.new_container();
            self.arena.extend(states, &[self.node(state)]);
            Object {
                class: self.node(class),
                made: Made::Call,
                args: self.node(args),
                kwargs: None,
                states,
                list: NIL,
                dict: NIL,
            }
        };
        self.arena.objects[o as usize] = array;
        self.m.joblib_arrays.insert(o);
        if self.m.records_joblib_regions {
            let end = self.r.position();
            self.m
                .joblib_regions
                .push(JoblibRegion { start, end, nested });
        }
        self.check_nodes()
    }

    /// The wrapper's state dict, checked.
    fn layout(&self, state: Node) -> Result<Layout> {
        let Kind::Dict(id) = state.kind() else {
            return Err(malformed(
                "a joblib NumpyArrayWrapper's state is not a dict",
            ));
        };
        let (mut dtype, mut shape, mut order, mut aligned) = (None, None, None, false);
        let mut items = self.arena.iter(id);
        while let (Some(&key), Some(&value)) = (items.next(), items.next()) {
            let Kind::Str(key) = key.kind() else { continue };
            match self.bytes(key) {
                b"dtype" => dtype = Some(value),
                b"shape" => shape = Some(value),
                b"order" => order = Some(value),
                b"numpy_array_alignment_bytes" => aligned = !matches!(value.kind(), Kind::None),
                _ => {}
            }
        }
        let (Some(dtype), Some(shape), Some(order)) = (dtype, shape, order) else {
            return Err(malformed(
                "a joblib NumpyArrayWrapper's state lacks its dtype, shape or order",
            ));
        };
        let fortran = match order.kind() {
            Kind::Str(s) if self.bytes(s) == b"C" => false,
            Kind::Str(s) if self.bytes(s) == b"F" => true,
            _ => return Err(malformed("a joblib array's order is not 'C' or 'F'")),
        };
        Ok(Layout {
            dtype,
            shape,
            fortran,
            aligned,
        })
    }

    /// The number of elements of a shape tuple, checked.
    fn element_count(&self, shape: Node) -> Result<u64> {
        let Kind::Tuple(r) = shape.kind() else {
            return Err(malformed("a joblib array's shape is not a tuple"));
        };
        self.arena
            .slice(r)
            .iter()
            .try_fold(1u64, |n, dim| match dim.kind() {
                Kind::Int(d) if d >= 0 => n
                    .checked_mul(d as u64)
                    .ok_or_else(|| malformed("a joblib array's shape overflows")),
                _ => Err(malformed("a joblib array's dimension is not a size")),
            })
    }

    /// The protocol 5 pickle joblib writes for an object array: a pickle of its own (own stack,
    /// memo and marks; no joblib wrappers inside, as joblib reads it with a plain unpickler),
    /// whose objects go into the same arena.
    fn nested_pickle(&mut self) -> Result<Object> {
        let mut opts = self.opts.clone();
        opts.joblib = false;
        // Its budgets are the outer pickle's: what it copies and makes is counted with what
        // the outer pickle did, against the outer pickle's bytes from the arena's base (a
        // file of many object arrays must not get an allowance for each).
        let mut inner = Machine {
            copied: self.m.copied,
            made: self.m.made,
            made_before: self.m.made_before,
            ..Machine::default()
        };
        let root = Run {
            m: &mut inner,
            start: self.start,
            buffers: &[],
            r: &mut *self.r,
            arena: &mut *self.arena,
            opts: &opts,
            proto: 0,
            pos: 0,
            op: 0,
        }
        .drive()?;
        // Its tuples come after every tuple made so far, so the list stays sorted.
        self.m.unhashable_tuples.extend(&inner.unhashable_tuples);
        self.m.copied = inner.copied;
        self.m.made = inner.made;
        match root.map(|n| n.kind()) {
            Some(Kind::Object(a)) => Ok(self.arena.objects[a as usize]),
            Some(other) => Err(malformed_owned(format!(
                "a joblib object array's pickle holds a {}, not an array",
                other.type_name()
            ))),
            None => Err(malformed("a joblib object array's pickle is missing")),
        }
    }
}
