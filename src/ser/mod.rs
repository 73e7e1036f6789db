//! The pickler: writes any `Serialize` type as a pickle CPython loads, at protocols 0 to 5.
//!
//! The output is what CPython's own `pickle.dumps` writes for the same Python value, opcode
//! for opcode and memo entry for memo entry, frames included (see the [`Serializer`] docs for
//! the mapping and for where it differs). `emit.rs` writes single values, `compound.rs` lists,
//! tuples, dicts and sets in CPython's batches, `tagged.rs` the Python types serde lacks (set,
//! bytearray, big int, complex, globals, objects) that [`Value`](crate::Value) carries, and
//! `output.rs` the buffer with its frames.

mod class;
mod compound;
mod container;
mod emit;
mod memo;
mod ndarray;
mod options;
mod output;
mod probe;
pub(crate) mod tagged;

use std::io;

use serde::ser::Serialize;

pub use compound::{MapWriter, SeqWriter};
pub(crate) use options::DEFAULT_MAX_DEPTH;
pub use options::{SerOptions, DEFAULT_PROTOCOL};

use crate::class::Entry;
use crate::error::{Error, Result, Segment};
use crate::opcode;
use crate::value::magic::Tag;
use emit::unserializable;
use memo::Memo;
use output::{Output, Room};

/// Writes values as pickles into a writer, one complete pickle per [`Serializer::dump`].
///
/// The mapping, which the [`Deserializer`](crate::Deserializer) reads back:
///
/// | Rust (serde) | Python | opcodes |
/// |---|---|---|
/// | `()`, unit struct, `None` | `None` | NONE |
/// | `Some(x)`, newtype struct | `x` | |
/// | `bool` | `bool` | NEWTRUE/NEWFALSE (protocol 2+), `I01`/`I00` |
/// | integers of any width | `int` | BININT1/BININT2/BININT for 32 bits, LONG1/LONG4 beyond (protocol 2+), INT/LONG text |
/// | `f32`, `f64` | `float` | BINFLOAT (protocol 1+), FLOAT text with `repr()` |
/// | `char`, `str` | `str` | SHORT_BINUNICODE/BINUNICODE/BINUNICODE8, UNICODE raw-unicode-escape at protocol 0 |
/// | bytes (`serde_bytes`) | `bytes` | SHORT_BINBYTES/BINBYTES/BINBYTES8 (protocol 3+), `_codecs.encode(text, 'latin1')` before |
/// | seq (`Vec`, slices, ...) | `list` | EMPTY_LIST, MARK ... APPENDS in batches of 1000 |
/// | tuple, tuple struct, `[T; N]` | `tuple` | TUPLE1/2/3 (protocol 2+) or MARK ... TUPLE |
/// | map, struct | `dict` | EMPTY_DICT, MARK ... SETITEMS in batches of 1000 |
/// | unit variant | `'Name'` | a str |
/// | newtype, tuple, struct variant | `{'Name': payload}` | a one-entry dict |
/// | [`Value`](crate::Value) | the same Python object | sets, frozensets, bytearrays, big ints, complex numbers, globals and objects included |
///
/// Protocol 4 and 5 output is framed like CPython's. Dict keys and enum variant names that
/// repeat are written once and then referred to through the memo
/// ([`SerOptions::memoize_keys`]). A dict key Python cannot hash (a list, dict, set or
/// bytearray, or a tuple holding one) is an error, not a pickle Python cannot load.
///
/// Python 2 can load protocol 0-2 output: globals are written under their Python 2 names
/// (`__builtin__`, `copy_reg`, ...; see [`SerOptions::fix_imports`]), `bytes` arrive as `str`,
/// and `str` as `unicode`.
///
/// ```
/// use pypickle::{SerOptions, Serializer};
/// let mut out = Vec::new();
/// let mut ser = Serializer::new(&mut out).with_options(SerOptions::new().protocol(2));
/// ser.dump(&vec![1, 2])?;
/// ser.dump("two pickles, one stream")?;
/// drop(ser);
/// let mut de = pypickle::Deserializer::from_slice(&out);
/// assert_eq!(de.next_value::<Vec<i32>>()?, Some(vec![1, 2]));
/// assert_eq!(de.next_value::<String>()?.as_deref(), Some("two pickles, one stream"));
/// # Ok::<(), pypickle::Error>(())
/// ```
///
/// `&mut Serializer` is a [`serde::Serializer`]: `value.serialize(&mut ser)` writes one complete
/// pickle, just like `ser.dump(&value)`. After an error the pickle being written is abandoned:
/// by [`dump`](Self::dump) at once, and through `value.serialize(&mut ser)` when the next value
/// begins (for every error that passes through the serializer, as those of derived and
/// standard `Serialize` impls all do; `dump` also covers an impl that fails on its own after
/// opening a container). A writer may already have received part of the abandoned pickle
/// (one over about 64 KiB): then no further pickle is written to it, each an error of
/// [`Category::Io`](crate::Category::Io), since a reader would read the next pickle as part
/// of the abandoned one.
/// A `Serialize` impl that ignores an error of one of its parts and goes on gets errors from
/// `dump` (and `to_vec`, `to_writer`) for its later parts and for the value; through
/// `value.serialize(&mut ser)`, nothing tells its later parts from a new value, so use `dump`
/// for values whose impls may do that. After a panic in a `Serialize` impl that the caller
/// catches, the next value abandons the pickle it left half-written, as after an error, when
/// the panic was in a [`dump`](Self::dump); [`take_buffers`](Self::take_buffers) abandons it
/// in any case. After a panic in `value.serialize(&mut ser)`, a value written the same way
/// next is taken for a part of it: use `dump` for values whose impls may panic.
///
/// `P45` is an internal switch, to be left at its default: `to_vec` and `to_writer` set it
/// for protocols 4 and 5, so that the compiler drops the other protocols' branches from the
/// code it generates for them.
pub struct Serializer<W, const P45: bool = false> {
    pub(crate) out: Output<W>,
    pub(crate) memo: Memo,
    pub(crate) proto: u8,
    pub(crate) opts: SerOptions,
    /// Containers open; 0 between pickles.
    pub(crate) level: u32,
    /// `Some`s and newtype structs open, which write nothing of their own: counted apart
    /// from containers (see [`WRAPS_PER_LEVEL`]).
    wraps: u32,
    /// What takes a str, struct or seq off its fast path, as bits ([`KEY`], [`PENDING`],
    /// [`NO_STR_MEMO`], [`CLASSES`]): one test of them all there.
    pub(crate) slow: u8,
    /// The payload of a `$pypickle::` newtype is being serialized: the seq or bytes it makes
    /// stands for this Python type. Set and taken with [`PENDING`] in `slow`.
    pending: Option<Tag>,
    /// Buffers handed out of band, in order.
    pub(crate) buffers: Vec<Vec<u8>>,
    /// An error left the pickle being written half-done, and no [`dump`](Self::dump) was
    /// there to clean up (`value.serialize(&mut ser)`): the next value abandons it first.
    broken: bool,
    /// The value being written is a whole pickle (`dump`, `to_vec`): a value that starts
    /// inside it after an error is a part of it whose `Serialize` impl ignored that error, and
    /// fails, rather than being taken for the next pickle. (`value.serialize(&mut ser)` has
    /// no wrapper to say where a value ends: there the next value abandons the broken pickle,
    /// which a part written after an ignored error also does.)
    whole: bool,
    /// Where the pickle being written began in the buffer, and the flush count then.
    pickle_at: (usize, u64),
    /// A pickle was abandoned after part of it had reached the writer: the stream holds its
    /// beginning, inside which a reader would read any later pickle (memo references of a
    /// protocol 4 pickle would then name the abandoned one's objects). No pickle is begun
    /// after that.
    torn: bool,
    /// How many out-of-band buffers earlier pickles handed out: an abandoned pickle's are
    /// dropped with it.
    buffers_at: usize,
    /// The names of the tuple and struct variants being written (innermost last), for the
    /// path of an error in one's fields: kept here, so that the writers stay small.
    pub(crate) variants: Vec<&'static str>,
    /// The class of a registered newtype variant whose payload is a struct, tuple struct or
    /// newtype struct: that payload is written as the instance, and takes the class in place
    /// of its own (see [`Serializer::class_for`]).
    forced: Option<Box<Entry>>,
    /// For each frozen slots dataclass being written (innermost last): its registry entry's
    /// fields and field count, where in the fields the next must be, and how many were
    /// written (see `MapWriter::field_value`).
    pub(crate) frozen: Vec<Frozen>,
    /// [`Serializer::keep_memo`]: a pickle begins with the memo the ones before it left.
    keep_memo: bool,
    /// The memo's next id when the pickle being written began: with `keep_memo`, where an
    /// abandoned pickle's entries start (the reader never saw them).
    memo_at: u64,
}

/// A frozen slots dataclass being written: see [`Serializer::frozen`].
pub(crate) struct Frozen {
    pub fields: &'static [&'static str],
    pub count: Option<usize>,
    pub next: usize,
    pub written: usize,
}

impl Frozen {
    /// What an error adds where the struct did not say how many fields it has.
    pub(crate) fn unknown_count(&self) -> &'static str {
        match self.count {
            Some(_) => "",
            None => {
                " (every field has a default, so the struct does not say how many fields it \
                 has, and an alias cannot be told from a field left out: such a struct can \
                 have no aliases)"
            }
        }
    }
}

/// How many `Some`s and newtype structs may be open at once, for each level of
/// [`SerOptions::max_depth`]: they recurse as containers do, and a type recursive through them
/// alone (`struct W(Option<Box<W>>)`, or a cycle through `Rc<RefCell<..>>`) opens no container
/// at all. Four a level covers an `Option` of a newtype of an `Option` in every container.
pub(crate) const WRAPS_PER_LEVEL: u32 = 4;

/// The error of [`SerOptions::require_registered`] for `what`, otherwise written as `as_what`.
#[cold]
fn unregistered(what: std::fmt::Arguments<'_>, as_what: &str) -> Error {
    emit::unserializable(format!(
        "{what} is not registered as a Python class, and SerOptions::require_registered is on: \
         register it in the ClassRegistry, or turn the option off to write it as {as_what}"
    ))
}

/// [`unregistered`] for a struct, out of line: `serialize_struct` is on every record's path.
#[cold]
#[inline(never)]
fn unregistered_struct(name: &str) -> Error {
    // serde writes an internally or adjacently tagged enum's variants as structs named after
    // the enum, which no registration covers.
    unregistered(
        format_args!("struct `{name}`"),
        "a dict (if it is an enum with `#[serde(tag)]`, serde writes it as a struct, which \
         cannot be registered: keep it externally tagged and register its variants, or turn \
         the option off)",
    )
}

/// [`unregistered`] for an enum's struct or tuple variant.
#[cold]
#[inline(never)]
fn unregistered_variant(name: &str, variant: &str) -> Error {
    unregistered(
        format_args!("enum variant `{name}::{variant}`"),
        "a one-entry dict",
    )
}

/// `slow`: writing a dict key or set element, which Python must be able to hash.
pub(crate) const KEY: u8 = 1;
/// `slow`: a `$pypickle::` payload is pending.
const PENDING: u8 = 2;
/// `slow`: str values are not memoized (`SerOptions::memoize_strings` off).
const NO_STR_MEMO: u8 = 4;
/// `slow`: classes are registered.
const CLASSES: u8 = 8;
/// `slow`: structs must be registered classes (`SerOptions::require_registered`).
const REQUIRE: u8 = 16;

/// The bits of `slow` that come from the options.
fn slow_options(opts: &SerOptions) -> u8 {
    (if opts.memoize_strings { 0 } else { NO_STR_MEMO })
        | (if opts.registry.is_empty() { 0 } else { CLASSES })
        | (if opts.require_registered { REQUIRE } else { 0 })
}

impl<W: io::Write> Serializer<W> {
    /// A serializer writing to `writer` with the default options (protocol 4).
    ///
    /// Output is collected in an internal buffer and handed to the writer about every 64 KiB and
    /// at the end of each pickle, so the writer need not be buffered.
    pub fn new(writer: W) -> Self {
        Serializer::build(writer, false, &SerOptions::default())
    }

    /// Use these options for the pickles written from now on.
    pub fn with_options(mut self, opts: SerOptions) -> Self {
        if opts.protocol != self.proto {
            // The memo's caches hold ready-made BINGETs, which protocol 0 writes as text: with
            // `keep_memo` its ids go on, but it looks nothing up from before.
            self.memo.forget(self.memo.next);
        }
        self.proto = opts.protocol;
        self.slow = self.slow & (KEY | PENDING) | slow_options(&opts);
        self.opts = opts;
        self
    }
}

impl<W, const P45: bool> Serializer<W, P45> {
    /// The protocol: with `P45`, known to the compiler to be 4 or 5.
    #[inline(always)]
    pub(crate) fn proto(&self) -> u8 {
        if P45 {
            if self.proto >= 5 {
                5
            } else {
                4
            }
        } else {
            self.proto
        }
    }

    /// Writing a dict key or set element, which Python must be able to hash.
    #[inline(always)]
    pub(crate) fn key(&self) -> bool {
        self.slow & KEY != 0
    }

    /// Set whether a dict key or set element is being written; whether one was.
    #[inline(always)]
    pub(crate) fn set_key(&mut self, key: bool) -> bool {
        let was = self.key();
        self.slow = self.slow & !KEY | if key { KEY } else { 0 };
        was
    }

    pub(crate) fn set_pending(&mut self, tag: Tag) {
        self.pending = Some(tag);
        self.slow |= PENDING;
    }

    #[inline(always)]
    pub(crate) fn take_pending(&mut self) -> Option<Tag> {
        if self.slow & PENDING == 0 {
            return None;
        }
        self.slow &= !PENDING;
        self.pending.take()
    }
}

impl<W: io::Write, const P45: bool> Serializer<W, P45> {
    /// `P45` only with protocol 4 or 5 in `opts`.
    fn build(writer: W, buffer_all: bool, opts: &SerOptions) -> Self {
        debug_assert!(!P45 || matches!(opts.protocol, 4 | 5));
        Serializer {
            out: Output::new(writer, buffer_all),
            memo: Memo::default(),
            proto: opts.protocol,
            opts: opts.clone(),
            level: 0,
            wraps: 0,
            slow: slow_options(opts),
            pending: None,
            buffers: Vec::new(),
            broken: false,
            whole: false,
            forced: None,
            pickle_at: (0, 0),
            torn: false,
            buffers_at: 0,
            frozen: Vec::new(),
            variants: Vec::new(),
            keep_memo: false,
            memo_at: 0,
        }
    }

    /// Write `value` as one complete pickle (PROTO, frames, STOP). The memo starts afresh for
    /// every pickle, as with CPython's `pickle.dump`, unless [`keep_memo`](Self::keep_memo).
    pub fn dump<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        if self.mid_pickle() {
            self.recover();
        }
        // Nothing is open at a dump's start. What a `Serialize` impl that panicked left
        // open (the caller caught it) is not counted against this pickle, nor its class.
        self.wraps = 0;
        self.forced = None;
        self.frozen.clear();
        self.pickle_at = (self.out.buf.len(), self.out.flushes);
        self.buffers_at = self.buffers.len();
        self.whole = true;
        let r = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            value.serialize(&mut *self)
        })) {
            Ok(r) => r,
            Err(panic) => {
                // A `Serialize` impl panicked: the pickle is half-written, as after an error,
                // so that a value written next with `value.serialize(&mut ser)` abandons it
                // rather than being taken for a part of it. Then the panic goes on.
                self.whole = false;
                let _ = self.fail(incomplete());
                std::panic::resume_unwind(panic)
            }
        };
        let r = r.and_then(|()| self.completed());
        self.whole = false;
        r.map_err(|e| {
            self.recover();
            e
        })
    }

    /// Whether a pickle is left half-written: a container open, an error or a caught panic
    /// inside it, or its bytes begun.
    fn mid_pickle(&self) -> bool {
        self.level != 0 || self.broken || !self.out.is_idle()
    }

    fn abandon(&mut self, start: Option<usize>) {
        if self.keep_memo {
            // The reader's memo has none of this pickle's entries: ids go on from where it
            // began, and nothing refers to what it wrote.
            self.memo.forget(self.memo_at);
        }
        self.out.abandon(start);
        self.buffers.truncate(self.buffers_at);
        self.level = 0;
        self.set_key(false);
        self.take_pending();
        self.variants.clear();
        self.broken = false;
    }

    /// Abandon the pickle an error left half-written (what of it is still buffered).
    #[cold]
    fn recover(&mut self) {
        let (start, flushes) = self.pickle_at;
        let kept = self.out.flushes == flushes;
        // Flushed while the pickle is still open: part of it is in the writer. (A pickle that
        // a value taken for a new one completed and flushed left nothing open there.)
        self.torn |= !kept && !self.out.is_idle();
        self.abandon(kept.then_some(start));
    }

    /// A part of a value (an element, a key, a field's value) that `write` writes: its error
    /// leaves the pickle half-done (see [`Self::fail`]).
    #[inline(always)]
    pub(crate) fn part(&mut self, write: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        write(self).map_err(|e| self.fail(e))
    }

    /// [`Self::part`] for an item of a container (an element, or the value of a field or
    /// entry): its error also gets the item's place, which `segment` makes, in its path.
    #[inline(always)]
    pub(crate) fn item(
        &mut self,
        segment: impl FnOnce() -> Segment,
        write: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        write(self).map_err(|e| {
            let mut e = self.fail(e);
            e.push_segment(segment());
            e
        })
    }

    /// The error of a field of the innermost tuple or struct variant being written, which it
    /// leaves: the variant's name goes into its path.
    #[cold]
    #[inline(never)]
    pub(crate) fn variant_failed(&mut self, mut e: Error) -> Error {
        if let Some(variant) = self.variants.pop() {
            e.push_segment(Segment::key(variant));
        }
        e
    }

    /// `e` leaves the pickle being written half-done: the next value abandons it (see
    /// [`Self::broken`]). Called where an error passes out of a container or a value that
    /// opened one, so that `value.serialize(&mut ser)` recovers as `dump` does.
    #[cold]
    #[inline(never)]
    pub(crate) fn fail(&mut self, e: Error) -> Error {
        self.broken = true;
        // Every value's start then takes its slow path, which sees `broken`; the checks some
        // values make before it (a key's hashability, a pending payload) start clean.
        self.out.force_check();
        self.set_key(false);
        self.take_pending();
        e
    }

    /// Write each pickle with the memo the pickles before it left, as one reused
    /// `pickle.Pickler` does (`p.dump(a); p.dump(b)`): a later pickle refers to the field
    /// names, dict keys, short repeated strings and globals an earlier one wrote instead of
    /// writing them again, so a stream of records is smaller. Only a reader that keeps its
    /// memo reads such a stream: one reused `pickle.Unpickler` (`u.load(); u.load()`), or a
    /// [`Deserializer`](crate::Deserializer) with
    /// [`keep_memo`](crate::Deserializer::keep_memo); repeated `pickle.load(f)` fails on it.
    /// Off by default. A pickle that fails is dropped from the memo as from the output, so
    /// the pickles after it still read. [`clear_memo`](Self::clear_memo) starts afresh.
    ///
    /// ```
    /// use pypickle::{Deserializer, Serializer};
    /// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// struct Rec { id: u32, tag: String }
    ///
    /// let recs = [Rec { id: 1, tag: "red".into() }, Rec { id: 2, tag: "red".into() }];
    /// let mut ser = Serializer::new(Vec::new()).keep_memo(true);
    /// for r in &recs {
    ///     ser.dump(r)?;
    /// }
    /// let stream = ser.into_inner();
    /// // The second pickle refers to the first's "id", "tag" and "red".
    /// let alone = pypickle::to_vec(&recs[1])?;
    /// assert!(stream.len() - pypickle::to_vec(&recs[0])?.len() < alone.len());
    ///
    /// let mut de = Deserializer::from_slice(&stream).keep_memo(true);
    /// assert_eq!(de.next_value::<Rec>()?.as_ref(), Some(&recs[0]));
    /// assert_eq!(de.next_value::<Rec>()?.as_ref(), Some(&recs[1]));
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn keep_memo(mut self, keep: bool) -> Self {
        self.keep_memo = keep;
        self
    }

    /// Forget what earlier pickles wrote, as `pickle.Pickler.clear_memo()`: the next pickle
    /// refers to none of them and reads on its own (by `pickle.load` or
    /// [`from_slice`](crate::from_slice)), and as in CPython its memo ids start again at 0,
    /// so a reader that kept its memo must start afresh there too (a new `pickle.Unpickler`
    /// or [`Deserializer`](crate::Deserializer)). With [`keep_memo`](Self::keep_memo) the
    /// memo then fills again from that pickle on.
    pub fn clear_memo(&mut self) {
        if self.mid_pickle() {
            self.recover();
        }
        self.memo.clear();
        self.memo_at = 0;
    }

    /// The buffers written out of band so far (see [`SerOptions::out_of_band_buffers`]), in
    /// the order the pickles refer to them; the serializer's list starts empty again.
    pub fn take_buffers(&mut self) -> Vec<Vec<u8>> {
        // Not those of a pickle an error (or a caught panic) left half-written: no pickle will
        // refer to them, and every later pickle's would be taken one place off.
        if self.mid_pickle() {
            self.recover();
        }
        self.buffers_at = 0;
        std::mem::take(&mut self.buffers)
    }

    /// The writer.
    pub fn get_ref(&self) -> &W {
        self.out.writer()
    }

    /// The writer back; every complete pickle has been handed to it.
    pub fn into_inner(self) -> W {
        self.out.into_writer()
    }

    /// The writer, to write something of one's own between pickles (a delimiter, say).
    /// Every complete pickle has been handed to it; writing to it from a `Serialize` impl,
    /// in the middle of a pickle, would corrupt the stream.
    pub fn get_mut(&mut self) -> &mut W {
        self.out.writer_mut()
    }

    /// Flush the writer, so that every complete pickle reaches where it is going. Each
    /// [`dump`](Self::dump) hands its pickle to the writer but does not flush it, as Python's
    /// `pickle.dump` does not flush its file: a writer that buffers (stdout, which holds
    /// bytes until a newline; a `BufWriter`; a compressor) keeps the last pickle until it is
    /// flushed, which a peer waiting for a reply on a pipe or socket waits for.
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// let mut ser = pypickle::Serializer::new(std::io::BufWriter::new(Vec::new()));
    /// ser.dump(&"reply")?;
    /// assert!(ser.get_ref().get_ref().is_empty()); // still in the BufWriter
    /// ser.flush()?;
    /// let sent = ser.get_ref().get_ref();
    /// assert_eq!(pypickle::from_slice::<String>(sent)?, "reply");
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn flush(&mut self) -> Result<()> {
        Ok(self.out.writer_mut().flush()?)
    }

    // ---- pickle structure ----

    /// Where CPython's `save()` starts: frames close here.
    #[inline]
    pub(crate) fn boundary(&mut self) -> Result<()> {
        Ok(self.out.boundary()?)
    }

    /// Before any value: the start of a pickle, or a save boundary inside one. One compare:
    /// between pickles the output's `next_check` is 0.
    #[inline]
    pub(crate) fn begin_value(&mut self) -> Result<()> {
        if !self.out.clear_run() {
            self.begin_value_slow()
        } else {
            Ok(())
        }
    }

    #[cold]
    fn begin_value_slow(&mut self) -> Result<()> {
        // A pickle left open at the top: a top-level value failed after it began.
        let left_open = self.level == 0 && !self.out.is_idle();
        if self.broken || self.level_wrapped() || left_open {
            if self.whole {
                return Err(self.fail(incomplete()));
            }
            self.recover();
        }
        if self.level == 0 {
            self.start_pickle()
        } else {
            // An I/O error flushing inside a container: the pickle is half-done.
            self.out
                .boundary_slow()
                .map_err(|e| self.fail_inside(e.into()))
        }
    }

    /// A value with no parts (a scalar or a str), from its save boundary to its end: inside a
    /// container and short of the boundary's work, `emit` is all there is to do.
    #[inline(always)]
    pub(crate) fn scalar(&mut self, emit: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        if self.out.clear_run() {
            emit(self)
        } else {
            self.scalar_slow(emit)
        }
    }

    /// A scalar of a few bytes that `put` writes, from its save boundary to its end: inside a
    /// container and short of the boundary's work, `put` with the boundary's [`Room`] is all
    /// there is to do.
    #[inline(always)]
    pub(crate) fn scalar_room(&mut self, put: impl FnOnce(Room<'_>) + Copy) -> Result<()> {
        match self.out.room() {
            Some(room) => {
                put(room);
                Ok(())
            }
            None => self.scalar_slow(move |s| {
                put(s.out.make_room());
                Ok(())
            }),
        }
    }

    #[cold]
    #[inline(never)]
    fn scalar_slow(&mut self, emit: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        self.begin_value_slow()?;
        // The pickle has begun (a top-level scalar): an error in it (a writer failing under a
        // large payload) leaves it half-done, for the next value to abandon.
        emit(self).map_err(|e| self.fail(e))?;
        self.end_value()
    }

    /// A str value or key, short of the boundary's work: one test for a str value of 3 to
    /// [`SHORT_STR`](memo::SHORT_STR) bytes with the cache on, which goes to the cache.
    #[inline(always)]
    fn str_value(&mut self, v: &str) -> Result<()> {
        if self.cached_str(v) {
            return self.short_str(v);
        }
        self.str_value_other(v)
    }

    /// Whether the str value `v` goes to the short-str cache: 3 to
    /// [`SHORT_STR`](memo::SHORT_STR) bytes, not a key, the cache on. One test.
    #[inline(always)]
    fn cached_str(&self, v: &str) -> bool {
        self.slow & (KEY | NO_STR_MEMO) == 0 && v.len().wrapping_sub(3) <= memo::SHORT_STR - 3
    }

    /// [`Self::str_value`] of the rest.
    #[inline(never)]
    fn str_value_other(&mut self, v: &str) -> Result<()> {
        if !self.key() {
            self.emit_str(v)
        } else if self.opts.memoize_keys {
            self.emit_interned_str(v)
        } else {
            self.emit_plain_str(v)
        }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn str_value_slow(&mut self, v: &str) -> Result<()> {
        self.begin_value_slow()?;
        self.str_value(v)?;
        self.end_value()
    }

    /// After a value: at the top level, the end of the pickle.
    #[inline]
    pub(crate) fn end_value(&mut self) -> Result<()> {
        if self.level == 0 {
            self.finish_pickle()
        } else {
            Ok(())
        }
    }

    /// Before a container: [`Self::begin_value`] and one level deeper. Once it returns `Ok`,
    /// every error before the matching [`Self::close`] must pass through [`Self::fail`] (see
    /// [`Self::part`]): the pickle is half-done. Its own error inside a container leaves the
    /// pickle so too.
    #[inline]
    pub(crate) fn open(&mut self) -> Result<()> {
        if self.level >= self.opts.max_depth {
            return self.open_deep();
        }
        self.begin_value()?;
        self.level += 1;
        Ok(())
    }

    /// [`Self::open`] at the depth limit, or past any depth: a container closed with none
    /// open, which wrapped the level (see [`Self::close`]); that pickle is abandoned.
    #[cold]
    #[inline(never)]
    fn open_deep(&mut self) -> Result<()> {
        if self.level_wrapped() {
            self.recover();
            return self.open();
        }
        Err(self.too_deep_inside())
    }

    /// The level wrapped below 0 (no nesting is two billion deep).
    fn level_wrapped(&self) -> bool {
        self.level > u32::MAX / 2
    }

    /// `e`, from a value that opened nothing: the pickle is half-done if a container is open.
    #[cold]
    fn fail_inside(&mut self, e: Error) -> Error {
        if self.level > 0 {
            self.fail(e)
        } else {
            e
        }
    }

    /// The depth limit, met by a container inside another (see [`Self::fail_inside`]).
    #[cold]
    #[inline(never)]
    fn too_deep_inside(&mut self) -> Error {
        let e = self.too_deep();
        self.fail_inside(e)
    }

    /// `v`, inside a `Some` or newtype struct: one wrapper deeper.
    #[inline]
    fn wrapped<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        if self.wraps >= self.opts.max_depth.saturating_mul(WRAPS_PER_LEVEL) {
            return Err(self.too_deep());
        }
        self.wraps += 1;
        let r = v.serialize(&mut *self);
        self.wraps -= 1;
        r
    }

    /// How deep a value built apart ([`to_value`](crate::to_value) of an object's payload)
    /// may still nest: containers and wrappers left.
    pub(crate) fn depth_left(&self) -> (u32, u32) {
        (
            self.opts.max_depth.saturating_sub(self.level),
            self.opts
                .max_depth
                .saturating_mul(WRAPS_PER_LEVEL)
                .saturating_sub(self.wraps),
        )
    }

    #[cold]
    fn too_deep(&self) -> Error {
        Error::new(crate::error::ErrorCode::Limit {
            which: crate::error::Limit::Depth,
            limit: u64::from(self.opts.max_depth),
        })
    }

    /// After a container: one level up, and the end of the pickle at the top.
    #[inline]
    pub(crate) fn close(&mut self) -> Result<()> {
        // Wrapping: a container closed with none open leaves the level past any depth, which
        // `completed` and the next value's start catch. That happens when a `Serialize` impl
        // goes on with a container after one of its parts failed: the next part, taken for a
        // new value, abandoned the half-written pickle (see `broken`).
        self.level = self.level.wrapping_sub(1);
        self.end_value()
    }

    /// Whether the value just serialized made a whole pickle: not if its `Serialize` impl
    /// ignored an error of one of its parts and went on (serde does not forbid it), which
    /// leaves the pickle half-written, or part of it in another.
    fn completed(&mut self) -> Result<()> {
        if self.broken || self.level != 0 {
            return Err(self.fail(incomplete()));
        }
        Ok(())
    }

    #[cold]
    fn start_pickle(&mut self) -> Result<()> {
        if self.torn {
            return Err(Error::new(crate::error::ErrorCode::Io(
                std::io::Error::other(
                    "an earlier pickle failed after part of it reached the writer, which a reader \
                 would read this one as part of: write to a new writer",
                ),
            )));
        }
        if self.proto() > opcode::HIGHEST_PROTOCOL {
            return Err(unserializable(format!(
                "unsupported pickle protocol {}: this crate writes protocols 0 to {}",
                self.proto(),
                opcode::HIGHEST_PROTOCOL
            )));
        }
        if !self.keep_memo {
            self.memo.clear();
        }
        self.memo_at = self.memo.next;
        self.set_key(false);
        self.frozen.clear();
        // After `begin_pickle`, which drops stray bytes written between pickles: the pickle
        // begins where they began.
        self.out.begin_pickle();
        self.pickle_at = (self.out.buf.len(), self.out.flushes);
        self.buffers_at = self.buffers.len();
        if self.proto() >= 2 {
            self.out
                .buf
                .extend_from_slice(&[opcode::PROTO, self.proto()]);
        }
        if self.proto() >= 4 {
            self.out.start_framing();
        }
        // The next value's start takes the slow path: the first part of a container (which
        // sets the check up again), or, after a top-level value that failed and left its
        // pickle open, the next value, which finds it so (see `begin_value_slow`).
        self.out.force_check();
        Ok(())
    }

    fn finish_pickle(&mut self) -> Result<()> {
        if self.broken {
            // A part failed and its `Serialize` impl went on to the end: no STOP, nothing
            // handed to the writer; the next value abandons it.
            return Err(self.fail(incomplete()));
        }
        self.out.buf.push(opcode::STOP);
        if let Err(e) = self.out.end_pickle() {
            // The writer refused the pickle: it is dropped, not handed over with the next one
            // (the caller was told it failed). If it took part of it, that part is in its
            // stream, where a reader would read the next pickle as its rest.
            self.torn |= self.out.flushes != self.pickle_at.1;
            self.recover();
            return Err(e.into());
        }
        // A pickle that reached the writer is never taken back: an error or panic of the
        // value's impl after this leaves the memo and the buffers as they are.
        self.memo_at = self.memo.next;
        self.buffers_at = self.buffers.len();
        self.pickle_at = (self.out.buf.len(), self.out.flushes);
        Ok(())
    }

    /// An error for a value Python could not use as a dict key or set element.
    #[cold]
    pub(crate) fn unhashable(&self, what: &str) -> Error {
        unserializable(format!(
            "{what} cannot be a dict key or set element: Python cannot hash it{}",
            crate::ser::tuple_hint(what)
        ))
    }
}

/// For an unhashable sequence, the way to a hashable one.
pub(crate) fn tuple_hint(what: &str) -> &'static str {
    if what.starts_with("a sequence") {
        " (a Rust tuple or array is written as a tuple, which it can hash; so is a `Vec` field \
         with `pypickle::with::tuple`; bytes are hashable too: a `Vec<u8>` meant as bytes is \
         written so as `serde_bytes::ByteBuf`, or with `#[serde(with = \"serde_bytes\")]`)"
    } else {
        ""
    }
}

/// Serialize `value` as a pickle with the default options (protocol 4, as CPython's
/// `pickle.dumps`).
///
/// ```
/// use std::collections::BTreeMap;
/// #[derive(serde::Serialize)]
/// struct Point { x: i32, y: i32 }
/// let bytes = pypickle::to_vec(&Point { x: 1, y: 2 }).unwrap();
/// // What pickle.dumps({'x': 1, 'y': 2}) writes.
/// assert_eq!(bytes, b"\x80\x04\x95\x11\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02u.");
/// let back: BTreeMap<String, i32> = pypickle::from_slice(&bytes).unwrap();
/// assert_eq!(back["y"], 2);
/// ```
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    to_vec_with(value, &SerOptions::default())
}

/// [`to_vec`] with options.
///
/// ```
/// use pypickle::SerOptions;
/// let bytes = pypickle::to_vec_with(&vec![1.5], &SerOptions::new().protocol(0)).unwrap();
/// assert_eq!(bytes, b"(lp0\nF1.5\na.");
/// ```
pub fn to_vec_with<T: Serialize + ?Sized>(value: &T, opts: &SerOptions) -> Result<Vec<u8>> {
    if matches!(opts.protocol, 4 | 5) && !opts.registry.has_fields_state() {
        to_vec_in::<T, true>(value, opts)
    } else {
        to_vec_in::<T, false>(value, opts)
    }
}

fn to_vec_in<T: Serialize + ?Sized, const P45: bool>(
    value: &T,
    opts: &SerOptions,
) -> Result<Vec<u8>> {
    let mut ser = Serializer::<_, P45>::build(io::sink(), true, opts);
    ser.out.buf.reserve(128);
    ser.whole = true;
    value.serialize(&mut ser)?;
    ser.completed()?;
    lost_buffers(&ser)?;
    Ok(ser.out.take_bytes())
}

/// The error for a value whose `Serialize` impl went on after a part of it failed.
fn incomplete() -> Error {
    emit::unserializable(
        "the value's Serialize impl went on after one of its parts failed (the error was \
         ignored): the pickle is incomplete",
    )
}

/// An error if `ser` handed buffers out of band that its caller has no way to return (the
/// pickle refers to them by position only).
fn lost_buffers<W, const P45: bool>(ser: &Serializer<W, P45>) -> Result<()> {
    if ser.buffers.is_empty() {
        return Ok(());
    }
    Err(emit::unserializable(format!(
        "{} buffers were handed out of band (SerOptions::out_of_band_buffers), which only \
         to_vec_with_buffers and a held Serializer's take_buffers return",
        ser.buffers.len()
    )))
}

/// [`to_vec_with`] with every [`PickleBuffer`](crate::PickleBuffer) (and the data of every
/// numpy [`NdArray`](crate::numpy::NdArray) that numpy would hand out) handed out of band:
/// the pickle and the buffers it refers to, in order, as CPython's `pickle.dumps(obj, 5,
/// buffer_callback=buffers.append)` gives them. Protocol 5 is required for buffers.
///
/// ```
/// use pypickle::{PickleBuffer, SerOptions};
/// let big = vec![7u8; 1 << 20];
/// let (pickle, buffers) =
///     pypickle::to_vec_with_buffers(&PickleBuffer::new(&big[..]), &SerOptions::new().protocol(5))?;
/// assert!(pickle.len() < 20); // PROTO, NEXT_BUFFER, STOP
/// assert_eq!(buffers, [big.clone()]);
/// let lent = [&buffers[0][..]];
/// let back: &[u8] = pypickle::from_slice_with_buffers(&pickle, &lent, &Default::default())?;
/// assert_eq!(back.as_ptr(), buffers[0].as_ptr()); // lent from the buffer
/// # Ok::<(), pypickle::Error>(())
/// ```
pub fn to_vec_with_buffers<T: Serialize + ?Sized>(
    value: &T,
    opts: &SerOptions,
) -> Result<(Vec<u8>, Vec<Vec<u8>>)> {
    let mut opts = opts.clone();
    opts.out_of_band = true;
    let mut ser = Serializer::<_, false>::build(io::sink(), true, &opts);
    ser.out.buf.reserve(128);
    ser.whole = true;
    value.serialize(&mut ser)?;
    ser.completed()?;
    Ok((ser.out.take_bytes(), ser.take_buffers()))
}

/// Serialize `value` as a pickle into `writer`, with the default options. I/O errors are
/// returned as errors of category [`Io`](crate::Category::Io) that keep their source.
///
/// The pickle is handed to `writer` in pieces of about 64 KiB, so a `File` needs no
/// `BufWriter`.
///
/// ```
/// let mut file = Vec::new(); // or a std::fs::File
/// pypickle::to_writer(&mut file, &("job", 7))?; // pickle.dump(('job', 7), f)
/// assert_eq!(pypickle::from_slice::<(String, u8)>(&file)?, ("job".to_string(), 7));
/// # Ok::<(), pypickle::Error>(())
/// ```
pub fn to_writer<W: io::Write, T: Serialize + ?Sized>(writer: W, value: &T) -> Result<()> {
    to_writer_with(writer, value, &SerOptions::default())
}

/// [`to_writer`] with options.
pub fn to_writer_with<W: io::Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
    opts: &SerOptions,
) -> Result<()> {
    if matches!(opts.protocol, 4 | 5) && !opts.registry.has_fields_state() {
        let mut ser = Serializer::<_, true>::build(writer, false, opts);
        ser.dump(value)?;
        lost_buffers(&ser)
    } else {
        let mut ser = Serializer::<_, false>::build(writer, false, opts);
        ser.dump(value)?;
        lost_buffers(&ser)
    }
}

impl<'a, W: io::Write, const P45: bool> serde::Serializer for &'a mut Serializer<W, P45> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = SeqWriter<'a, W, P45>;
    type SerializeTuple = SeqWriter<'a, W, P45>;
    type SerializeTupleStruct = SeqWriter<'a, W, P45>;
    type SerializeTupleVariant = SeqWriter<'a, W, P45>;
    type SerializeMap = MapWriter<'a, W, P45>;
    type SerializeStruct = MapWriter<'a, W, P45>;
    type SerializeStructVariant = MapWriter<'a, W, P45>;

    /// Human readable: types that choose (addresses, UUIDs, times) are written in their text
    /// forms, the natural ones for Python, and read back so. The exception is the payload of a
    /// `$pypickle::BigInt` newtype, which [`Value`](crate::Value) writes as its little-endian
    /// bytes to a serializer that is not.
    #[inline]
    fn is_human_readable(&self) -> bool {
        self.pending != Some(Tag::BigInt)
    }

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.scalar(move |s| {
            s.emit_bool(v);
            Ok(())
        })
    }
    #[inline]
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_i64(self, v: i64) -> Result<()> {
        if let (Ok(v), false) = (i32::try_from(v), self.proto() == 0) {
            return self.scalar_room(move |room| emit::put_int32(room, v));
        }
        self.scalar(move |s| {
            s.emit_i64(v);
            Ok(())
        })
    }
    #[inline]
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.begin_value()?;
        self.emit_i128(v);
        self.end_value()
    }
    #[inline]
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_u64(self, v: u64) -> Result<()> {
        if v <= i32::MAX as u64 && self.proto() != 0 {
            return self.scalar_room(move |room| emit::put_int32(room, v as i32));
        }
        self.scalar(move |s| {
            s.emit_u64(v);
            Ok(())
        })
    }
    #[inline]
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.begin_value()?;
        self.emit_u128(v);
        self.end_value()
    }
    #[inline]
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.serialize_f64(v.into())
    }
    #[inline]
    fn serialize_f64(self, v: f64) -> Result<()> {
        if self.proto() != 0 {
            return self.scalar_room(move |room| emit::put_binfloat(room, v));
        }
        self.scalar(move |s| {
            s.emit_f64(v);
            Ok(())
        })
    }
    #[inline]
    fn serialize_char(self, v: char) -> Result<()> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    #[inline(always)]
    fn serialize_str(self, v: &str) -> Result<()> {
        // As `str_value`, with the boundary's room for a repeat's BINGET.
        if self.cached_str(v) {
            return self.short_str_value(v);
        }
        // Not `scalar`: its closure, called from two places, was not inlined.
        if self.out.clear_run() {
            self.str_value_other(v)
        } else {
            self.str_value_slow(v)
        }
    }
    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        if let Some(tag) = self.take_pending() {
            return self.save_tagged_bytes(tag, v);
        }
        self.begin_value()?;
        self.emit_bytes(v)?;
        self.end_value()
    }
    #[inline]
    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }
    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<()> {
        self.wrapped(v)
    }
    #[inline]
    fn serialize_unit(self) -> Result<()> {
        self.scalar(move |s| {
            s.emit_none();
            Ok(())
        })
    }
    #[inline]
    fn serialize_unit_struct(self, name: &'static str) -> Result<()> {
        if let Some(class) = self.class_for(name) {
            return self.save_bare_instance(&class);
        }
        self.serialize_unit()
    }
    #[inline]
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        if let Some((class, value)) = self.enum_member(name, variant)? {
            return self.save_enum_member(&class, &value);
        }
        if let Some(class) = self.variant_class(name, variant) {
            return self.save_bare_instance(&class);
        }
        self.begin_value()?;
        self.emit_static_key(variant)?;
        self.end_value()
    }
    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<()> {
        if name.starts_with('$') {
            if let Some(tag) = Tag::from_name(name) {
                return self.save_tagged(tag, name, v);
            }
            if name == crate::persistent::PERSISTENT_TOKEN {
                return self.save_persistent_id(v);
            }
            if name == crate::value::magic::ARRAY_OUT_TOKEN {
                return crate::numpy::wanting_array(|| self.wrapped(v));
            }
            if name == crate::value::magic::ARRAY_DATA_TOKEN {
                return self.save_tagged(Tag::ArrayData, name, v);
            }
        }
        let own = self.struct_class(name);
        let class = match (self.forced.take(), &own) {
            // A newtype variant's payload seen through (see `save_variant_instance`): the
            // class is its content's.
            (Some(forced), None) => {
                self.forced = Some(forced);
                return self.wrapped(v);
            }
            (Some(forced), Some(_)) => *forced,
            (None, Some(own)) => own.clone(),
            (None, None) => return self.wrapped(v),
        };
        if class.container || own.as_ref().is_some_and(|own| own.container) {
            // A container class, or a variant's class standing for one: its items.
            return self.save_container(&class, v);
        }
        let mut class = class;
        // A variant's class standing for a one-field namedtuple, or a called class: written
        // as one.
        if let Some(own) = own {
            class.namedtuple |= own.namedtuple;
            class.called |= own.called;
        }
        self.save_newtype_instance(&class, v)
    }
    #[inline]
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<()> {
        if let Some(class) = self.variant_class(name, variant) {
            return self.save_variant_instance(class, v);
        }
        if self.key() {
            return Err(self.unhashable("an enum variant with data (written as a dict)"));
        }
        self.open()?;
        self.part(|s| s.emit_variant_head(variant))?;
        self.item(|| Segment::key(variant), |s| v.serialize(s))?;
        self.out.buf.push(opcode::SETITEM);
        self.close()
    }
    #[inline(always)]
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqWriter<'a, W, P45>> {
        if self.slow & (KEY | PENDING | CLASSES) != 0 {
            // A registered newtype variant's payload: the instance's arguments.
            if self.forced.is_some() {
                return self.forced_seq(len);
            }
            if let Some(tag) = self.take_pending() {
                return SeqWriter::tagged(self, tag, len);
            }
            if self.key() {
                return Err(self.unhashable("a sequence (written as a list)"));
            }
        }
        SeqWriter::list(self, len)
    }
    #[inline]
    fn collect_seq<I>(self, iter: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        let iter = iter.into_iter();
        // serde's own hint for collect_seq: the length if the iterator knows it exactly.
        let hint = match iter.size_hint() {
            (lo, Some(hi)) if lo == hi => Some(lo),
            _ => None,
        };
        if self.slow & (KEY | PENDING | CLASSES) != 0
            && (self.slow & (KEY | PENDING) != 0 || self.forced.is_some())
        {
            // A set payload, a variant's arguments, or an error for a list as a key:
            // serialize_seq sorts them out.
            let mut seq = serde::Serializer::serialize_seq(self, hint)?;
            for item in iter {
                serde::ser::SerializeSeq::serialize_element(&mut seq, &item)?;
            }
            return serde::ser::SerializeSeq::end(seq);
        }
        self.collect_list(iter, hint)
    }
    #[inline(always)]
    fn serialize_tuple(self, len: usize) -> Result<SeqWriter<'a, W, P45>> {
        SeqWriter::tuple(self, len)
    }
    #[inline]
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<SeqWriter<'a, W, P45>> {
        if let Some(class) = self.class_for(name) {
            return SeqWriter::instance(self, &class, len);
        }
        if self.opts.require_registered {
            return Err(unregistered(
                format_args!("tuple struct `{name}`"),
                "a tuple",
            ));
        }
        SeqWriter::tuple(self, len)
    }
    #[inline]
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        if let Some(class) = self.variant_class(name, variant) {
            return SeqWriter::instance(self, &class, len);
        }
        if self.opts.require_registered {
            return Err(unregistered_variant(name, variant));
        }
        if self.key() {
            return Err(self.unhashable("an enum variant with data (written as a dict)"));
        }
        SeqWriter::tuple_variant(self, variant, len)
    }
    #[inline(always)]
    fn serialize_map(self, len: Option<usize>) -> Result<MapWriter<'a, W, P45>> {
        if self.forced.is_some() {
            return self.forced_map(len);
        }
        if self.key() {
            return Err(self.unhashable("a map (written as a dict)"));
        }
        MapWriter::new(self, len)
    }
    #[inline(always)]
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<MapWriter<'a, W, P45>> {
        if self.slow & (KEY | CLASSES | REQUIRE) != 0 {
            if let Some(class) = self.class_for(name) {
                return MapWriter::instance(self, &class, len);
            }
            if self.slow & REQUIRE != 0 {
                return Err(unregistered_struct(name));
            }
            if self.key() {
                return Err(self.unhashable("a struct (written as a dict)"));
            }
        }
        MapWriter::new(self, Some(len))
    }
    #[inline]
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        if let Some(class) = self.variant_class(name, variant) {
            return MapWriter::instance(self, &class, len);
        }
        if self.opts.require_registered {
            return Err(unregistered_variant(name, variant));
        }
        if self.key() {
            return Err(self.unhashable("an enum variant with data (written as a dict)"));
        }
        MapWriter::variant(self, variant, len)
    }
}
