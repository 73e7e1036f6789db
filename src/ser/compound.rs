//! Lists, tuples, dicts, sets and frozensets, written in CPython's batches.
//!
//! CPython's C pickler writes an exact list as `EMPTY_LIST PUT` then, for one item, `item
//! APPEND`, else `MARK items APPENDS` per 1000 items; an exact dict the same way with SETITEM(S),
//! except that a dict whose size is a multiple of 1000 ends with an empty `MARK SETITEMS`; a set
//! (protocol 4+) as `EMPTY_SET PUT` and `MARK items ADDITEMS` per 1000 with the same empty batch
//! at a multiple of 1000; protocol 0 has no batches (APPEND / SETITEM after each item). The
//! writers below do the same while the items stream in, trusting serde's length hint where it
//! saves a byte and staying correct when it is wrong or missing.

use std::io::Write;

use serde::ser::{self, Serialize};

use super::emit::unserializable;
use super::Serializer;
use crate::class::StateForm;
use crate::error::{Result, Segment};
use crate::opcode::*;
use crate::value::magic::Tag;

const BATCH: usize = 1000;

/// How a container's items are grouped. Each writer passes its rule, a const, to every
/// [`Batch`] call, so that the inlined code knows the fields; only protocol 0's one-by-one
/// grouping is known at run time (`Batch::each`).
#[derive(Clone, Copy)]
struct Rule {
    /// Closes a batch of one (APPEND, SETITEM).
    one: u8,
    /// Closes a batch (APPENDS, SETITEMS, ADDITEMS).
    many: u8,
    /// A container of exactly one item is written `item ONE`.
    single: bool,
    /// A container whose size is a multiple of 1000 ends with an empty batch.
    empty_tail: bool,
}

const LIST_RULE: Rule = Rule {
    one: APPEND,
    many: APPENDS,
    single: true,
    empty_tail: false,
};
const DICT_RULE: Rule = Rule {
    one: SETITEM,
    many: SETITEMS,
    single: true,
    empty_tail: true,
};
const SET_RULE: Rule = Rule {
    one: ADDITEMS,
    many: ADDITEMS,
    single: false,
    empty_tail: true,
};

/// No MARK was written when the container opened (the hint said one item, or protocol 0).
const NO_MARK: usize = usize::MAX;

/// [`Batch::each`]: protocol 0, `item ONE` after every item, no batches.
const EACH: usize = 1;

/// [`Batch::each`]: the items of an instance of a list or dict subclass, which CPython batches
/// as it batches any iterator's (`batch_list`, `batch_dict`), not as an exact list's or dict's:
/// a last batch of one item is `item ONE` (an exact list writes `MARK item APPENDS`), and a
/// dict of a multiple of 1000 ends with no empty batch.
const SUBCLASS: usize = 2;

/// The batches of a list, dict or set, written in place as the items come: the MARK of a
/// batch is written as soon as the previous one closes (or the container opens), so that an
/// item costs one count and one compare. A MARK that turns out to open nothing (no items, or
/// none after a full batch of a list) is the last byte written and is taken back.
#[derive(Clone, Copy)]
struct Batch {
    /// Items written.
    total: usize,
    /// `total` at which [`Batch::batch_end`] has work: the open batch is full, or (protocol 0,
    /// a hint of one item) each item is closed on its own.
    next_end: usize,
    /// `total` when the open batch's MARK was written.
    batch_start: usize,
    /// Where the first MARK is in the buffer (for a subclass's items, the open batch's), and
    /// the output's epoch then (it can only be taken out while no frame closed since);
    /// [`NO_MARK`] if none was written.
    mark_pos: usize,
    mark_epoch: u64,
    /// [`EACH`] at protocol 0, [`SUBCLASS`] for the items of a list or dict subclass, else 0.
    each: usize,
    /// serde's length hint (0 if none), to size the output from the batches written so far.
    hint: usize,
}

impl Batch {
    /// The items of a container that starts here, grouped by `rule`.
    #[inline(always)]
    fn start<W, const P45: bool>(
        ser: &mut Serializer<W, P45>,
        rule: &Rule,
        hint: Option<usize>,
    ) -> Self {
        let each = ser.proto() == 0;
        let mut b = Batch {
            total: 0,
            next_end: BATCH,
            batch_start: 0,
            mark_pos: NO_MARK,
            mark_epoch: 0,
            each: if each { EACH } else { 0 },
            hint: hint.unwrap_or(0),
        };
        if each || (rule.single && hint == Some(1)) {
            b.next_end = 1;
        } else {
            b.mark_pos = ser.out.buf.len();
            b.mark_epoch = ser.out.epoch;
            ser.out.buf.push(MARK);
        }
        b
    }

    /// A new list or dict (`empty` is EMPTY_LIST or EMPTY_DICT) from its save boundary
    /// ([`Serializer::open`]), with its MEMOIZE, and its items to come: the state
    /// [`Batch::start`] leaves. At protocol 4+ the opcodes are one write (the MARK left out
    /// when the hint says one item), with the boundary's [`Room`](super::output::Room) if
    /// the boundary had no work.
    #[inline(always)]
    fn open<W: Write, const P45: bool>(
        ser: &mut Serializer<W, P45>,
        empty: u8,
        rule: &Rule,
        hint: Option<usize>,
    ) -> Result<Self> {
        let single = hint == Some(1) && rule.single;
        if ser.proto() >= 4 && ser.level < ser.opts.max_depth {
            let pos = ser.out.buf.len();
            if let Some(room) = ser.out.room() {
                ser.level += 1;
                // Two returns, each with its MARK position known to the compiler: one shared
                // tail with the position in a variable cost 15 instructions a record.
                if single {
                    room.put([empty, MEMOIZE]);
                    return Ok(Self::opened(ser, NO_MARK, hint));
                }
                room.put([empty, MEMOIZE, MARK]);
                return Ok(Self::opened(ser, pos + 2, hint));
            }
        }
        ser.open()?;
        if ser.proto() >= 4 {
            let pos = ser.out.buf.len();
            if single {
                ser.out.buf.extend_from_slice(&[empty, MEMOIZE]);
                return Ok(Self::opened(ser, NO_MARK, hint));
            }
            ser.out.buf.extend_from_slice(&[empty, MEMOIZE, MARK]);
            return Ok(Self::opened(ser, pos + 2, hint));
        }
        Ok(Self::open_before_4(ser, empty, rule, hint))
    }

    /// [`Batch::open`] at protocol 4+, once its opcodes are written, with the MARK at
    /// `mark_pos` ([`NO_MARK`] for a single item, closed on its own as in `start`).
    #[inline(always)]
    fn opened<W, const P45: bool>(
        ser: &mut Serializer<W, P45>,
        mark_pos: usize,
        hint: Option<usize>,
    ) -> Self {
        ser.memo.next += 1;
        Batch {
            total: 0,
            next_end: if mark_pos == NO_MARK { 1 } else { BATCH },
            batch_start: 0,
            mark_pos,
            mark_epoch: ser.out.epoch,
            each: 0,
            hint: hint.unwrap_or(0),
        }
    }

    /// [`Batch::open`] before protocol 4, after the boundary.
    #[inline(always)]
    fn open_before_4<W: Write, const P45: bool>(
        ser: &mut Serializer<W, P45>,
        empty: u8,
        rule: &Rule,
        hint: Option<usize>,
    ) -> Self {
        if empty == EMPTY_DICT {
            ser.emit_empty_dict();
        } else {
            ser.emit_empty_list();
        }
        ser.memoize();
        Batch::start(ser, rule, hint)
    }

    /// A batch that is never used (tuples and frozensets).
    #[inline(always)]
    fn unused() -> Self {
        Batch {
            total: 0,
            next_end: BATCH,
            batch_start: 0,
            mark_pos: NO_MARK,
            mark_epoch: 0,
            each: 0,
            hint: 0,
        }
    }

    #[inline(always)]
    fn after_item<W, const P45: bool>(&mut self, ser: &mut Serializer<W, P45>, rule: &Rule) {
        self.total += 1;
        if self.total == self.next_end {
            self.batch_end(ser, rule);
        }
    }

    #[inline]
    fn batch_end<W, const P45: bool>(&mut self, ser: &mut Serializer<W, P45>, rule: &Rule) {
        let buf = &mut ser.out.buf;
        if self.each & EACH != 0 {
            buf.push(rule.one);
            self.next_end += 1;
            return;
        }
        let subclass = self.each & SUBCLASS != 0;
        if self.mark_pos == NO_MARK && (self.total == 1 || subclass) {
            // The hint said one item (of all, or of a subclass's last batch): it is written
            // without a MARK. Should another come, the batch after it is open.
            buf.extend_from_slice(&[rule.one, MARK]);
        } else {
            buf.extend_from_slice(&[rule.many, MARK]);
        }
        if self.hint >= 2 * BATCH && self.mark_pos != NO_MARK {
            // A long container: the batches so far tell how large the rest will be (for a
            // subclass's, the last batch, over all items: an estimate on the low side).
            ser.out.presize(self.mark_pos, self.total, self.hint);
        }
        self.batch_start = self.total;
        if subclass {
            if self.hint == self.total + 1 {
                // CPython looks one item ahead in a subclass's items: a last batch of one
                // has no MARK. The hint says one is what comes.
                ser.out.buf.pop();
                self.mark_pos = NO_MARK;
                self.next_end = self.total + 1;
                return;
            }
            // Without a hint to say, the MARK is taken out again if the batch holds one item
            // (unless a frame closed or the output was flushed meanwhile).
            self.mark_pos = ser.out.buf.len() - 1;
            self.mark_epoch = ser.out.epoch;
        }
        self.next_end = self.total + BATCH;
    }

    #[inline(always)]
    fn finish<W, const P45: bool>(&mut self, ser: &mut Serializer<W, P45>, rule: &Rule) {
        if self.each & EACH != 0 {
            return;
        }
        let subclass = self.each & SUBCLASS != 0;
        let buf = &mut ser.out.buf;
        if self.total == self.batch_start {
            // The open batch is empty: no items at all, the one item of a hint of one, or a
            // full batch before. Only a dict or set of a multiple of 1000 keeps it.
            let hinted_one = self.mark_pos == NO_MARK;
            if hinted_one && (self.total == 0 || subclass) {
                // No MARK was written (a subclass's: for a last batch the hint promised).
            } else if self.total > 0
                && rule.empty_tail
                && !subclass
                && !(hinted_one && self.total == 1)
            {
                buf.push(rule.many);
            } else if buf.last() == Some(&MARK) {
                buf.pop();
            } else {
                // An inner value left half-written by an error its `Serialize` impl ignored:
                // this pickle is broken, and will not be finished (see `finish_pickle`).
                debug_assert!(ser.broken);
            }
        } else if (self.total == 1 && rule.single || subclass && self.total - self.batch_start == 1)
            && self.mark_pos != NO_MARK
            && self.mark_epoch == ser.out.epoch
        {
            // One item after all (no or a wrong hint), or a subclass's last batch of one:
            // CPython writes no MARK for it.
            buf.remove(self.mark_pos);
            buf.push(rule.one);
        } else {
            buf.push(rule.many);
        }
    }
}

/// Word-sized, like every field of the writers: they are moved between frames of inlined
/// serde code, and byte fields were copied with wider loads than their stores, which stalls
/// store forwarding.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
enum SeqKind {
    List,
    /// [`SHORT`]: TUPLE1/2/3 without a MARK.
    Tuple,
    /// EMPTY_SET ... ADDITEMS (protocol 4+).
    Set,
    /// MARK ... FROZENSET (protocol 4+).
    FrozenSet,
    /// `builtins.set(list)` / `builtins.frozenset(list)` (protocols 0-3).
    SetReduce,
}

impl SeqKind {
    /// How the items of a list or set are grouped (a set before protocol 4 is a list).
    #[inline(always)]
    fn rule(self) -> &'static Rule {
        if self == SeqKind::Set {
            &SET_RULE
        } else {
            &LIST_RULE
        }
    }
}

/// Writes a serde seq or tuple: a list, tuple, set or frozenset.
///
/// Returned by the [`Serializer`]'s `serialize_seq`, `serialize_tuple`,
/// `serialize_tuple_struct` and `serialize_tuple_variant`.
pub struct SeqWriter<'a, W, const P45: bool = false> {
    ser: &'a mut Serializer<W, P45>,
    batch: Batch,
    kind: SeqKind,
    /// A tuple's declared length, and its elements so far.
    len: usize,
    count: usize,
    /// [`HASHABLE`], [`VARIANT`], [`SHORT`].
    flags: usize,
}

/// Elements are dict keys or set elements: they must be hashable.
const HASHABLE: usize = 1;
/// A tuple or struct variant: the tuple or dict is the value of a one-entry dict.
const VARIANT: usize = 2;
/// A tuple of up to 3 elements written TUPLE1/2/3 (or EMPTY_TUPLE).
const SHORT: usize = 4;
/// The fields of an instance of a registered class: its state (then BUILD) or its
/// constructor's arguments (then NEWOBJ).
const INSTANCE: usize = 8;
/// An instance's state is `(None, fields)`, for a class with `__slots__`.
const SLOTS: usize = 16;
/// The dict is the last argument of `copyreg._reconstructor(cls, dict, {...})`: a dict
/// subclass at protocols 0-1.
const RECONSTRUCTOR_ARG: usize = 32;
/// A map's key was written and its value is still to come.
const KEY_WRITTEN: usize = 64;
/// A tuple's length is a `serialize_seq` hint, which may be short: a [`SHORT`] tuple given
/// more takes the MARK it left out (see [`SeqWriter::unshorten`]).
const HINTED: usize = 128;
/// An instance's state is the list of its field values, in order (a frozen
/// `@dataclass(slots=True)`): the struct's fields are written without their names. Only the
/// `P45 = false` writer checks it: `to_vec` and `to_writer` take that one when the registry
/// has such a class, so that the protocol 4-5 writer's fields carry no extra test.
const FIELDS: usize = 256;
/// The [`INSTANCE`]'s class is called with its fields, `cls(*fields)` (REDUCE), in place of
/// `cls.__new__(cls, *fields)`.
const CALLED: usize = 512;

impl<'a, W: Write, const P45: bool> SeqWriter<'a, W, P45> {
    #[inline(always)]
    fn with(ser: &'a mut Serializer<W, P45>, kind: SeqKind, batch: Batch) -> Self {
        let flags = if ser.key() { HASHABLE } else { 0 };
        SeqWriter {
            ser,
            batch,
            kind,
            len: 0,
            count: 0,
            flags,
        }
    }

    #[inline(always)]
    pub(crate) fn list(ser: &'a mut Serializer<W, P45>, hint: Option<usize>) -> Result<Self> {
        let batch = Batch::open(ser, EMPTY_LIST, &LIST_RULE, hint)?;
        Ok(Self::with(ser, SeqKind::List, batch))
    }

    #[inline(always)]
    pub(crate) fn tuple(ser: &'a mut Serializer<W, P45>, len: usize) -> Result<Self> {
        ser.open()?;
        let short = len <= 3 && (ser.proto() >= 2 || len == 0);
        if !short || (len == 0 && ser.proto() == 0) {
            ser.out.buf.push(MARK);
        }
        let mut w = Self::with(ser, SeqKind::Tuple, Batch::unused());
        w.len = len;
        if short {
            w.flags |= SHORT;
        }
        Ok(w)
    }

    pub(crate) fn tuple_variant(
        ser: &'a mut Serializer<W, P45>,
        variant: &'static str,
        len: usize,
    ) -> Result<Self> {
        ser.open()?;
        ser.part(|s| s.emit_variant_head(variant))?;
        let mut w = Self::tuple(ser, len)?;
        w.flags |= VARIANT;
        w.ser.variants.push(variant);
        Ok(w)
    }

    /// The fields of a tuple struct (or tuple or newtype variant) registered for a class: the
    /// arguments of `cls.__new__(cls, *fields)`. As a dict key or set element it is a
    /// namedtuple (or another subclass of a hashable type), hashable when its fields are: they
    /// are written as a key's are.
    pub(crate) fn instance(
        ser: &'a mut Serializer<W, P45>,
        class: &crate::class::Entry,
        len: usize,
    ) -> Result<Self> {
        ser.open()?;
        ser.part(|s| s.begin_instance_args(class))?;
        let mut w = Self::tuple(ser, len)?;
        if class.called {
            // As a dict key, the instance is what Python hashes (an Enum member by its
            // name): its arguments need not be hashable, as at protocols 0-1.
            w.flags = (w.flags & !HASHABLE) | INSTANCE | CALLED;
        } else {
            w.flags |= INSTANCE;
        }
        Ok(w)
    }

    /// [`SeqWriter::instance`] for a sequence payload's items, `hint` from `serialize_seq`: a
    /// hint of up to 3 is written TUPLE1/2/3, as CPython writes such a `namedtuple`; a payload
    /// that gives more than it hinted gets the MARK back.
    pub(crate) fn hinted_instance(
        ser: &'a mut Serializer<W, P45>,
        class: &crate::class::Entry,
        hint: Option<usize>,
    ) -> Result<Self> {
        Ok(Self::instance(ser, class, hint.unwrap_or(usize::MAX))?.hinted())
    }

    /// A sequence written as a tuple (`pypickle::with::tuple`): as short as CPython writes
    /// one of the length hinted, with a MARK and TUPLE when there is no hint or it fell short.
    pub(crate) fn hinted_tuple(
        ser: &'a mut Serializer<W, P45>,
        hint: Option<usize>,
    ) -> Result<Self> {
        Ok(Self::tuple(ser, hint.unwrap_or(usize::MAX))?.hinted())
    }

    /// A tuple of a length only hinted: where its items begin is kept, in the batch a tuple
    /// does not use, for [`SeqWriter::unshorten`].
    fn hinted(mut self) -> Self {
        if self.len == 0 && self.ser.proto() == 0 {
            // Protocol 0 wrote the MARK of an empty tuple already: items may follow it as
            // they are, and no second MARK goes in.
            self.flags &= !SHORT;
        }
        self.batch.mark_pos = self.ser.out.buf.len();
        self.batch.mark_epoch = self.ser.out.epoch;
        self.flags |= HINTED;
        self
    }

    /// A [`HINTED`] tuple written short that gets an item more: the MARK goes in before its
    /// items, if they are all still in the buffer and nothing was framed since; whether it
    /// went in. A MARK is no memo entry, so nothing written after moves.
    #[cold]
    #[inline(never)]
    fn unshorten(&mut self) -> bool {
        let buf = &mut self.ser.out.buf;
        let at = self.batch.mark_pos;
        if self.flags & HINTED == 0 || self.batch.mark_epoch != self.ser.out.epoch || at > buf.len()
        {
            return false;
        }
        buf.insert(at, MARK);
        self.flags &= !SHORT;
        true
    }

    /// The items of an instance of a `list` subclass (a container class): the new instance,
    /// its items appended; at protocols 0-1 the list `copyreg._reconstructor` is given.
    pub(crate) fn container(
        ser: &'a mut Serializer<W, P45>,
        class: &crate::class::Entry,
        hint: Option<usize>,
    ) -> Result<Self> {
        if let Some(batch) = ser.container_head(class, "list", &LIST_RULE, hint)? {
            return Ok(Self::with(ser, SeqKind::List, batch));
        }
        let mut w = Self::list(ser, hint)?;
        // Closed as a constructor's arguments are.
        w.flags |= INSTANCE;
        Ok(w)
    }

    /// Serialize one element (for a newtype written as a one-argument instance).
    pub(crate) fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        // The one argument of a registered newtype's `cls.__new__(cls, v)` stands for the
        // newtype itself: no place of its own in an error's path.
        self.element(v).map_err(|mut e| {
            e.pop_segment();
            e
        })
    }

    /// Finish the sequence.
    pub(crate) fn done(self) -> Result<()> {
        self.finish()
    }

    /// The payload of a `$pypickle::Set` / `FrozenSet` newtype.
    pub(crate) fn tagged(
        ser: &'a mut Serializer<W, P45>,
        tag: Tag,
        hint: Option<usize>,
    ) -> Result<Self> {
        let frozen = match tag {
            Tag::Set => false,
            Tag::FrozenSet => true,
            Tag::Tuple => return Self::hinted_tuple(ser, hint),
            _ => return Err(unserializable(format!("malformed {} payload", tag.name()))),
        };
        ser.open()?;
        let mut w = if ser.proto() >= 4 {
            if frozen {
                ser.out.buf.push(MARK);
                Self::with(ser, SeqKind::FrozenSet, Batch::unused())
            } else {
                ser.out.buf.push(EMPTY_SET);
                ser.memoize();
                let batch = Batch::start(ser, &SET_RULE, hint);
                Self::with(ser, SeqKind::Set, batch)
            }
        } else {
            ser.emit_global("builtins", if frozen { "frozenset" } else { "set" })?;
            ser.boundary()?;
            if ser.proto() < 2 {
                ser.out.buf.push(MARK);
            }
            ser.boundary()?;
            ser.emit_empty_list();
            ser.memoize();
            let batch = Batch::start(ser, &LIST_RULE, hint);
            Self::with(ser, SeqKind::SetReduce, batch)
        };
        w.flags |= HASHABLE;
        Ok(w)
    }

    #[inline]
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        self.element_with(|ser| v.serialize(ser))
    }

    /// A [`Value`](crate::Value) element, written without going through its `Serialize`.
    pub(crate) fn element_value(&mut self, v: &crate::Value) -> Result<()> {
        self.element_with(|ser| ser.save_value(v))
    }

    /// An element that `write` writes, with the tuple count, the key flag and the batches
    /// seen to around it.
    #[inline(always)]
    fn element_with(
        &mut self,
        write: impl FnOnce(&mut Serializer<W, P45>) -> Result<()>,
    ) -> Result<()> {
        // The key flag the element is written with (`None`: a list's, already off), and its
        // index for the path of its error (a tuple counts its items itself).
        let (key, index) = match self.kind {
            SeqKind::Tuple => {
                self.count += 1;
                if self.flags & SHORT != 0 && self.count > self.len && !self.unshorten() {
                    return Err(self.ser.fail(unserializable(format!(
                        "a tuple said it has {} and gave more{}",
                        match self.len {
                            1 => "1 element".to_string(),
                            n => format!("{n} elements"),
                        },
                        if self.flags & HINTED != 0 {
                            " (a sequence's length hint, too small after the start of the \
                             tuple was written out: a hint given must be the length)"
                        } else {
                            ""
                        }
                    ))));
                }
                (Some(self.flags & HASHABLE != 0), self.count - 1)
            }
            SeqKind::FrozenSet => {
                // A frozenset is written whole (no batches), so it counts its items itself.
                self.count += 1;
                (Some(true), self.count - 1)
            }
            // Set elements; a frozenset may itself sit inside a dict key.
            _ if self.flags & HASHABLE != 0 => (Some(true), self.batch.total),
            _ => (None, self.batch.total),
        };
        // One call for every kind: four made a debug build's frame too large for the depth
        // limit on a 2 MiB stack.
        let saved = key.map(|key| self.ser.set_key(key));
        self.ser.item(|| Segment::Index(index), write)?;
        if let Some(saved) = saved {
            self.ser.set_key(saved);
        }
        if !matches!(self.kind, SeqKind::Tuple | SeqKind::FrozenSet) {
            self.batch.after_item(self.ser, self.kind.rule());
        }
        Ok(())
    }

    #[inline]
    fn finish(mut self) -> Result<()> {
        let ser = &mut *self.ser;
        match self.kind {
            SeqKind::List => self.batch.finish(ser, &LIST_RULE),
            SeqKind::Set => self.batch.finish(ser, &SET_RULE),
            SeqKind::Tuple => {
                let n = self.count;
                if self.flags & SHORT != 0 {
                    if n == 0 {
                        if ser.proto() == 0 {
                            ser.out.buf.push(TUPLE);
                        } else {
                            ser.out.buf.push(EMPTY_TUPLE);
                        }
                    } else {
                        ser.out.buf.push([EMPTY_TUPLE, TUPLE1, TUPLE2, TUPLE3][n]);
                        ser.memoize();
                    }
                } else {
                    ser.out.buf.push(TUPLE);
                    if n > 0 {
                        ser.memoize();
                    }
                }
            }
            SeqKind::FrozenSet => {
                ser.out.buf.push(FROZENSET);
                ser.memoize();
            }
            SeqKind::SetReduce => {
                self.batch.finish(ser, &LIST_RULE);
                ser.end_one_tuple();
                ser.out.buf.push(REDUCE);
                ser.memoize();
            }
        }
        ser.close()?;
        if self.flags & VARIANT != 0 {
            ser.variants.pop();
            ser.out.buf.push(SETITEM);
            ser.close()?;
        }
        if self.flags & INSTANCE != 0 {
            ser.end_instance_args(self.flags & CALLED != 0);
            ser.close()?;
        }
        Ok(())
    }
}

impl<W: Write, const P45: bool> ser::SerializeSeq for SeqWriter<'_, W, P45> {
    type Ok = ();
    type Error = crate::Error;
    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        self.element(v)
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<W: Write, const P45: bool> ser::SerializeTuple for SeqWriter<'_, W, P45> {
    type Ok = ();
    type Error = crate::Error;
    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        self.element(v)
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<W: Write, const P45: bool> ser::SerializeTupleStruct for SeqWriter<'_, W, P45> {
    type Ok = ();
    type Error = crate::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        self.element(v)
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<W: Write, const P45: bool> ser::SerializeTupleVariant for SeqWriter<'_, W, P45> {
    type Ok = ();
    type Error = crate::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        match self.element(v) {
            Err(e) if self.flags & VARIANT != 0 => Err(self.ser.variant_failed(e)),
            r => r,
        }
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

/// How an error's path names the value under the key `k`: a str as itself, any other key as
/// Python's `repr()` of it.
#[cold]
#[inline(never)]
fn key_segment<K: Serialize + ?Sized>(k: &K) -> Segment {
    match crate::to_value(k) {
        Ok(key) => Segment::of_key(&key),
        Err(_) => Segment::other_key("<key>"),
    }
}

/// Writes a serde map or struct as a dict.
///
/// Returned by the [`Serializer`]'s `serialize_map`, `serialize_struct` and
/// `serialize_struct_variant`.
pub struct MapWriter<'a, W, const P45: bool = false> {
    ser: &'a mut Serializer<W, P45>,
    batch: Batch,
    /// [`VARIANT`] or 0.
    flags: usize,
}

impl<'a, W: Write, const P45: bool> MapWriter<'a, W, P45> {
    #[inline(always)]
    pub(crate) fn new(ser: &'a mut Serializer<W, P45>, hint: Option<usize>) -> Result<Self> {
        let batch = Batch::open(ser, EMPTY_DICT, &DICT_RULE, hint)?;
        Ok(MapWriter {
            ser,
            batch,
            flags: 0,
        })
    }

    pub(crate) fn variant(
        ser: &'a mut Serializer<W, P45>,
        variant: &'static str,
        len: usize,
    ) -> Result<Self> {
        ser.open()?;
        ser.part(|s| s.emit_variant_head(variant))?;
        let mut w = Self::new(ser, Some(len))?;
        w.flags = VARIANT;
        w.ser.variants.push(variant);
        Ok(w)
    }

    /// The fields of a struct (or struct variant) registered for a class: a new instance, and
    /// the fields as its state.
    ///
    /// The dict itself is opened inline, as for a plain struct, so that the code the two
    /// share knows the state of its batch (no item written yet) whichever way it came.
    #[inline(always)]
    pub(crate) fn instance(
        ser: &'a mut Serializer<W, P45>,
        class: &crate::class::Entry,
        len: usize,
    ) -> Result<Self> {
        let flags = Self::instance_head(ser, class)?;
        let mut w = Self::new(ser, Some(len))?;
        w.flags = flags;
        if !P45 && flags & FIELDS != 0 {
            // The writer's parts by value: taking its address kept it in memory on the plain
            // path too.
            Self::dict_to_list(&mut *w.ser, w.batch.mark_pos, w.batch.each)?;
            w.ser.frozen.push(super::Frozen {
                fields: class.fields,
                count: class.field_count,
                next: 0,
                written: 0,
            });
        }
        Ok(w)
    }

    /// A [`FIELDS`] instance's state is a list: the dict just opened for it becomes one, the
    /// same bytes but its first (a list opens as a dict does, MEMOIZE and MARK alike), so
    /// that `instance` opens every state alike.
    #[cold]
    #[inline(never)]
    fn dict_to_list(ser: &mut Serializer<W, P45>, mark_pos: usize, each: usize) -> Result<()> {
        let mark = usize::from(mark_pos != NO_MARK && each == 0);
        // The dict's memo put, which `memoize` wrote just after it.
        let id = ser.memo.next.wrapping_sub(1);
        let put = match ser.proto() {
            0 => 2 + id.to_string().len(),
            1..=3 if id < 256 => 2,
            1..=3 if id <= u64::from(u32::MAX) => 5,
            1..=3 => 0,
            _ => 1,
        };
        let (dict, list) = if ser.proto() == 0 {
            (b'd', b'l')
        } else {
            (EMPTY_DICT, EMPTY_LIST)
        };
        let buf = &mut ser.out.buf;
        match buf.len().checked_sub(mark + put + 1) {
            Some(at) if buf[at] == dict => {
                buf[at] = list;
                Ok(())
            }
            _ => Err(ser.fail(unserializable(
                "internal: a frozen slots dataclass's state was not where it was opened",
            ))),
        }
    }

    /// A field of a [`FIELDS`] instance: its value, the next item of the state list.
    #[cold]
    #[inline(never)]
    fn field_value<T: Serialize + ?Sized>(
        ser: &mut Serializer<W, P45>,
        mut batch: Batch,
        key: &'static str,
        v: &T,
    ) -> Result<Batch> {
        // The list names no field: each must come in the dataclass's order (past aliases),
        // and every one be written (see `finish_fields`).
        if let Some(f) = ser.frozen.last_mut() {
            let rest = &f.fields[f.next.min(f.fields.len())..];
            // Without a count, no name may be passed over: it could be a field left out.
            let found = match f.count {
                Some(_) => rest.iter().position(|&n| n == key),
                None => (rest.first() == Some(&key)).then_some(0),
            };
            match found {
                Some(at) => {
                    f.next += at + 1;
                    f.written += 1;
                }
                None => {
                    let e = unserializable(format!(
                        "field `{key}` is written out of the order of the frozen slots \
                         dataclass's fields ({}): its state lists them by position{}",
                        f.fields.join(", "),
                        f.unknown_count()
                    ));
                    return Err(ser.fail(e));
                }
            }
        }
        ser.item(|| Segment::key(key), |s| v.serialize(s))?;
        batch.after_item(ser, &LIST_RULE);
        Ok(batch)
    }

    /// The items of an instance of a `dict` subclass (a container class): the new instance,
    /// its items set; at protocols 0-1 the dict `copyreg._reconstructor` is given.
    pub(crate) fn container(
        ser: &'a mut Serializer<W, P45>,
        class: &crate::class::Entry,
        hint: Option<usize>,
    ) -> Result<Self> {
        if let Some(batch) = ser.container_head(class, "dict", &DICT_RULE, hint)? {
            return Ok(MapWriter {
                ser,
                batch,
                flags: 0,
            });
        }
        let mut w = Self::new(ser, hint)?;
        w.flags = RECONSTRUCTOR_ARG;
        Ok(w)
    }

    /// What comes before an instance's state: the new instance, and the `None` of `(None,
    /// state)` for a class with `__slots__`. Its writer's flags.
    #[inline(never)]
    fn instance_head(ser: &mut Serializer<W, P45>, class: &crate::class::Entry) -> Result<usize> {
        if ser.key() && class.state != StateForm::Fields && !class.hashable {
            return Err(unserializable(
                "an instance of a class registered with `class` cannot be a dict key or set \
                 element: Python cannot hash a plain dataclass's; register a frozen dataclass \
                 with frozen_dataclass (frozen_slots_dataclass for slots=True), or a tuple \
                 struct for a namedtuple key",
            ));
        }
        if P45 && class.state == StateForm::Fields {
            // `to_vec` and `to_writer` never pick this writer for such a registry.
            return Err(unserializable(
                "internal: a frozen slots dataclass reached the protocol 4-5 writer",
            ));
        }
        ser.open()?;
        ser.part(|s| {
            s.emit_new_instance(class)?;
            s.boundary()?;
            if class.state == StateForm::Slots {
                if s.proto() < 2 {
                    s.out.buf.push(MARK);
                }
                s.emit_none();
                s.boundary()?;
            }
            Ok(())
        })?;
        Ok(INSTANCE
            | match class.state {
                StateForm::Dict => 0,
                StateForm::Slots => SLOTS,
                StateForm::Fields => FIELDS,
            })
    }

    #[inline]
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<()> {
        if !P45 && self.flags & FIELDS != 0 {
            // The parts, not the writer: with its address taken it lived in memory on the
            // plain path too.
            self.batch = Self::field_value(&mut *self.ser, self.batch, key, v)?;
            return Ok(());
        }
        let ser = &mut *self.ser;
        match (ser.memo.get_field(key, self.batch.total), ser.out.room()) {
            // The key's save boundary passed, and its BINGET is ready.
            (Some(get), Some(room)) => room.put(get),
            _ => {
                let total = self.batch.total;
                ser.part(|s| {
                    s.boundary()?;
                    s.emit_field_key(key, total)
                })?;
            }
        }
        self.ser.item(|| Segment::key(key), |s| v.serialize(s))?;
        self.batch.after_item(self.ser, &DICT_RULE);
        Ok(())
    }

    /// A dict key that `write` writes, flagged as a key (Python must be able to hash it).
    #[inline(always)]
    fn key_with(
        &mut self,
        write: impl FnOnce(&mut Serializer<W, P45>) -> Result<()>,
    ) -> Result<()> {
        if self.flags & KEY_WRITTEN != 0 {
            return Err(self.unpaired("a key after a key"));
        }
        self.ser.set_key(true);
        // Places inside a key are not places in the data: its error is the map's.
        self.ser.part(write).map_err(crate::Error::without_path)?;
        self.ser.set_key(false);
        self.flags |= KEY_WRITTEN;
        Ok(())
    }

    /// The value after a key, that `write` writes, and the batch seen to.
    #[inline(always)]
    fn value_with(
        &mut self,
        segment: impl FnOnce() -> Segment,
        write: impl FnOnce(&mut Serializer<W, P45>) -> Result<()>,
    ) -> Result<()> {
        if self.flags & KEY_WRITTEN == 0 {
            return Err(self.unpaired("a value without a key"));
        }
        self.ser.item(segment, write)?;
        self.flags &= !KEY_WRITTEN;
        self.batch.after_item(self.ser, &DICT_RULE);
        Ok(())
    }

    /// A `Serialize` impl that broke `SerializeMap`'s contract (key, value, key, value):
    /// Python would load another value than the map, or none.
    #[cold]
    fn unpaired(&mut self, what: &str) -> crate::Error {
        let e = unserializable(format!(
            "a map was given {what}: serialize_key and serialize_value must alternate"
        ));
        self.ser.fail(e)
    }

    /// A [`Value`](crate::Value) entry, written without going through its `Serialize`.
    pub(crate) fn entry_value(&mut self, k: &crate::Value, v: &crate::Value) -> Result<()> {
        self.key_with(|ser| ser.save_value(k))?;
        self.value_with(|| Segment::of_key(k), |ser| ser.save_value(v))
    }

    #[inline]
    fn finish(mut self) -> Result<()> {
        if !P45 && self.flags & FIELDS != 0 {
            return self.finish_fields();
        }
        self.batch.finish(self.ser, &DICT_RULE);
        self.ser.close()?;
        if self.flags == 0 {
            // A plain dict: one test of the flags.
            return Ok(());
        }
        if self.flags & VARIANT != 0 {
            self.ser.variants.pop();
            self.ser.out.buf.push(SETITEM);
            self.ser.close()?;
        }
        if self.flags & RECONSTRUCTOR_ARG != 0 {
            self.ser.end_instance_args(false);
            self.ser.close()?;
        }
        if self.flags & INSTANCE != 0 {
            let ser = &mut *self.ser;
            // No fields: CPython writes an instance with an empty __dict__, or no slot set,
            // without a state.
            if self.batch.total == 0
                && if self.flags & SLOTS == 0 {
                    ser.unwrite_empty_dict()
                } else {
                    ser.unwrite_empty_slots_state()
                }
            {
                return ser.close();
            }
            if self.flags & SLOTS != 0 {
                ser.out
                    .buf
                    .push(if ser.proto() >= 2 { TUPLE2 } else { TUPLE });
                ser.memoize();
            }
            ser.out.buf.push(BUILD);
            ser.close()?;
        }
        Ok(())
    }
}

impl<W: Write, const P45: bool> MapWriter<'_, W, P45> {
    /// The end of a [`FIELDS`] instance: the list, then BUILD. With no fields at protocols
    /// 0-1 CPython writes no state (`copyreg` leaves out an empty one); from protocol 2 on
    /// it builds with the empty list.
    #[cold]
    #[inline(never)]
    fn finish_fields(mut self) -> Result<()> {
        let ser = &mut *self.ser;
        if let Some(f) = ser.frozen.pop() {
            if f.count.unwrap_or(f.fields.len()) != f.written {
                let e = unserializable(format!(
                    "{} fields of a frozen slots dataclass of {} were written: its state lists \
                     every field by position, none left out (`#[serde(skip_serializing)]`){}",
                    f.written,
                    f.count.unwrap_or(f.fields.len()),
                    f.unknown_count()
                ));
                return Err(ser.fail(e));
            }
        }
        self.batch.finish(ser, &LIST_RULE);
        ser.close()?;
        if !(self.batch.total == 0 && ser.proto() < 2 && ser.unwrite_empty_list()) {
            ser.out.buf.push(BUILD);
        }
        ser.close()
    }

    /// A field left out (`skip_serializing_if`): a dict state goes on without it, but a list
    /// of field values would give the later fields the wrong names.
    fn skipped(&mut self, key: &'static str) -> Result<()> {
        if P45 || self.flags & FIELDS == 0 {
            return Ok(());
        }
        let e = unserializable(format!(
            "field `{key}` was skipped, but a frozen slots dataclass's state lists every field \
             in order"
        ));
        Err(self.ser.fail(e))
    }
}

impl<W: Write, const P45: bool> ser::SerializeMap for MapWriter<'_, W, P45> {
    type Ok = ();
    type Error = crate::Error;
    #[inline]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<()> {
        self.key_with(|ser| k.serialize(ser))
    }
    #[inline]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        // The key was handed over on its own and is gone: the path says a key was there.
        self.value_with(|| Segment::other_key("<key>"), |ser| v.serialize(ser))
    }
    #[inline]
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        k: &K,
        v: &V,
    ) -> Result<()> {
        self.key_with(|ser| k.serialize(ser))?;
        self.value_with(|| key_segment(k), |ser| v.serialize(ser))
    }
    #[inline]
    fn end(mut self) -> Result<()> {
        // Only a map's keys come apart from their values (a struct's fields come whole).
        if self.flags & KEY_WRITTEN != 0 {
            return Err(self.unpaired("a key without a value"));
        }
        self.finish()
    }
}

impl<W: Write, const P45: bool> ser::SerializeStruct for MapWriter<'_, W, P45> {
    type Ok = ();
    type Error = crate::Error;
    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<()> {
        self.field(key, v)
    }
    fn skip_field(&mut self, key: &'static str) -> Result<()> {
        self.skipped(key)
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<W: Write, const P45: bool> ser::SerializeStructVariant for MapWriter<'_, W, P45> {
    type Ok = ();
    type Error = crate::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<()> {
        match self.field(key, v) {
            Err(e) if self.flags & VARIANT != 0 => Err(self.ser.variant_failed(e)),
            r => r,
        }
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<W: Write, const P45: bool> Serializer<W, P45> {
    /// What comes before the items of an instance of a `dict` or `list` subclass (`base`), a
    /// container class: at protocol 2+ the new instance, and the batch its items are set or
    /// appended in; at protocols 0-1 `copyreg._reconstructor(cls, base, ` up to the dict or
    /// list, which the caller writes as a plain one (`None`).
    fn container_head(
        &mut self,
        class: &crate::class::Entry,
        base: &str,
        rule: &Rule,
        hint: Option<usize>,
    ) -> Result<Option<Batch>> {
        if self.key() {
            let what = format!("an instance of a {base} subclass");
            return Err(self.unhashable(&what));
        }
        self.open()?;
        if self.proto() >= 2 {
            self.part(|s| {
                s.emit_new_instance(class)?;
                s.boundary()
            })?;
            let mut batch = Batch::start(self, rule, hint);
            batch.each |= SUBCLASS;
            return Ok(Some(batch));
        }
        self.part(|s| s.begin_reconstructor(class, base))?;
        Ok(None)
    }

    /// serde's `collect_seq` (a `Vec`, slice or other iterable) as a list: the same bytes as
    /// [`SeqWriter::list`] and its elements, with the batch state in locals rather than in a
    /// writer struct handed back and forth.
    #[inline]
    pub(crate) fn collect_list<I>(&mut self, iter: I, hint: Option<usize>) -> Result<()>
    where
        I: Iterator,
        I::Item: Serialize,
    {
        let mut batch = Batch::open(self, EMPTY_LIST, &LIST_RULE, hint)?;
        for item in iter {
            // A list is never inside a key, so the flag is already off.
            let index = batch.total;
            self.item(|| Segment::Index(index), |s| item.serialize(s))?;
            batch.after_item(self, &LIST_RULE);
        }
        batch.finish(self, &LIST_RULE);
        self.close()
    }

    #[inline]
    pub(crate) fn emit_empty_list(&mut self) {
        if self.proto() >= 1 {
            self.out.buf.push(EMPTY_LIST);
        } else {
            self.out.buf.extend_from_slice(&[MARK, LIST]);
        }
    }

    #[inline]
    pub(crate) fn emit_empty_dict(&mut self) {
        if self.proto() >= 1 {
            self.out.buf.push(EMPTY_DICT);
        } else {
            self.out.buf.extend_from_slice(&[MARK, DICT]);
        }
    }

    /// `{variant: ` of an enum variant with data: the dict and its key.
    pub(crate) fn emit_variant_head(&mut self, variant: &'static str) -> Result<()> {
        self.emit_empty_dict();
        self.memoize();
        self.boundary()?;
        self.emit_static_key(variant)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::SerOptions;

    /// `to_vec` sizes its buffer from the first batches of a long container; the bytes are
    /// those a writer gets, which never presizes.
    #[test]
    fn long_containers_written_alike_to_vec_and_to_writer() {
        let list: Vec<(u32, String)> = (0..5000).map(|i| (i * 7, format!("s{i}"))).collect();
        let map: BTreeMap<u32, Vec<u8>> = (0..3001).map(|i| (i, vec![i as u8; 3])).collect();
        let nested: Vec<Vec<u16>> = (0..3).map(|i| (0..2500 + i).collect()).collect();
        for proto in 0..=5 {
            let opts = SerOptions::new().protocol(proto);
            let mut w = Vec::new();
            crate::to_writer_with(&mut w, &(&list, &map, &nested), &opts).unwrap();
            let v = crate::to_vec_with(&(&list, &map, &nested), &opts).unwrap();
            assert!(v == w, "protocol {proto}");
        }
    }
}
