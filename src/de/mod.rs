//! The unpickler: reads pickles into any `Deserialize` type.
//!
//! Two passes over one pickle: the machine (`machine.rs`) runs the opcodes into a flat arena
//! (`arena.rs`) of small nodes that borrow strings and bytes from the input, then the walker
//! (`walk.rs`) drives the caller's visitors over it.
//!
//! Why not one pass: a reader that drives the visitors straight from the opcodes, for the
//! lists, dicts and scalars CPython writes for plain data (handing everything else to these
//! two passes), was built and measured on the records benchmark. It ran about 9% more
//! instructions a record than the two passes (2,540 against 2,320). It took the same time or
//! up to 10% more for owned records, and 5-10% less for borrowed ones. The visitor calls it
//! still makes, the allocations of the records themselves, and the lookahead a single
//! APPEND/SETITEM needs cost what the arena saves. That is not enough to justify a second
//! reading of pickle that must stay equal to this one. (Measured again in session 31 as a
//! minimal prototype with no hand-off, meant to fail over to these passes on anything
//! unusual: 2,150 instructions a record against 2,380, and 20.7 ms against 17.9 in
//! alternating timings in one process, the same with the records' vector given the arena's
//! size hint. Fewer instructions did not make it faster.)
//!
//! Why not batches: a root list read as a sequence could be handed over one `APPENDS` batch at
//! a time, each batch walked while its nodes are still in cache and then dropped, the
//! speculation abandoned (and the pickle read whole) on anything that could change an item
//! already handed over. That was built and measured too. It halved the peak memory of the
//! records benchmark (the arena stays one batch long), but ran 7% more instructions a record
//! (2,514 against 2,341: a walk set up per item, the memo entries of each batch rewritten)
//! and no faster with the allocator held steady. With glibc's defaults it was 2.5x slower on
//! repeated decodes: no arena was left above the records on the heap, so dropping them handed
//! the memory back to the system, and the next decode page-faulted all of it again.
//!
//! Also measured and not kept: running the BINGET of a dict's next key inside the handler of
//! the value before it (a third fewer trips through the fast loop's dispatch), and noting a
//! dict's unread entries in the walk instead of replacing the visitor's result with an error
//! (so the result is not copied). Each took 5-9% off a scratch harness's decode and nothing
//! off the benchmark binary's, at the same instruction count: the difference was where the
//! code landed, not what it did.
//!
//! Also measured (session 32) and not kept: a cpu-clock profile puts a seventh of the typed
//! records decode on the `memcpy` that moves a finished batch from the stack's slots into
//! `items`, its vector loads waiting on the slots' piecewise stores. Copying node by node, and
//! storing and copying nodes as three volatile 8-byte words so that every load forwards from
//! one store, each moved those samples elsewhere in the loop and left the decode's time as it
//! was (within 2% in alternating runs of `benches/records_instr`). Part of what those samples
//! wait on is memory: a records decode writes and reads tens of megabytes of nodes. Packing a
//! node into 16 bytes instead of 24 (session 33) took 5-10% off the typed decode in
//! alternating runs on a quiet machine (15-18% with the other core busy, memory contended),
//! at 2.6% more instructions (233.1M against 227.2M for the typed records) to pack and unpack
//! nodes.
//!
//! Measured in session 37 (a one-off harness, each side timed in turn, 2M records decoded in
//! all): the typed records decode against CPython's `pickle.loads` at 1k, 10k and 100k
//! records a pickle gave 1.8x, 2.1-2.2x and 2.0-2.5x. Where the whole arena fits in cache the
//! ratio is no better, so the arena's memory traffic is not what stands between this decode
//! and 4x; glibc's `malloc` and `free` of the records' own strings and vectors took about two
//! fifths of that harness's profile at 1k records (dropping each result included).

mod arena;
mod machine;
mod memo;
mod options;
pub(crate) mod text;
mod walk;

use std::io;
use std::marker::PhantomData;

use serde::de::Deserialize;

pub use options::{DeOptions, Py2Strings};

use crate::error::{Error, ErrorCode, Result};
use crate::read::{IoRead, Read, SliceRead};
use arena::Arena;
pub(crate) use machine::JoblibRegion;
use machine::Machine;
pub(crate) use walk::{instance_mismatch, one_char, Instance};

/// Visit `items` as a sequence, all of them: items the visitor leaves unread are an error, as
/// serde's own deserializers make them, never silently dropped.
pub(crate) fn visit_all<'de, V, I>(visitor: V, items: I) -> Result<V::Value>
where
    V: serde::de::Visitor<'de>,
    I: Iterator,
    I::Item: serde::de::IntoDeserializer<'de, Error>,
{
    let mut seq = serde::de::value::SeqDeserializer::new(items);
    let v = visitor.visit_seq(&mut seq)?;
    seq.end()?;
    Ok(v)
}

/// A `Deserialize` impl asked a `MapAccess` for a value with no key before it (before the
/// first, or past the last entry): its own bug, an error here as in serde_json (serde's
/// `MapDeserializer` panics).
#[cold]
#[inline(never)]
pub(crate) fn value_without_key() -> Error {
    Error::new(ErrorCode::Custom(
        "next_value called with no key before it (a bug in the Deserialize impl)".into(),
    ))
}

/// Where a joblib file's array bytes and nested pickles lie, found by running the machine over
/// it with every global taken as inert (nothing is returned but the positions), and the error
/// that stopped it, if one did: past that point, where the arrays lie is not known (a wrapper
/// it could not lay out is one joblib may still read, its bytes anything), and a scan of the
/// rest cannot be trusted.
pub(crate) fn joblib_regions(bytes: &[u8]) -> (Vec<JoblibRegion>, Option<Error>) {
    let mut opts = DeOptions::default();
    opts.joblib = true;
    opts.accept_all = true;
    let (mut machine, mut arena) = (Machine::default(), Arena::default());
    machine.records_joblib_regions = true;
    let mut read = SliceRead::new(bytes);
    let failed = loop {
        match machine.run(&mut read, &mut arena, &opts, &[]) {
            Ok(Some(_)) => {}
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    (std::mem::take(&mut machine.joblib_regions), failed)
}

/// Reads pickles from a [`SliceRead`] or an [`IoRead`], one after another.
///
/// Hold one to read a stream of pickles written one after another (what repeated
/// `pickle.dump(obj, f)` makes), reusing its buffers from pickle to pickle:
///
/// ```
/// use pypickle::Deserializer;
/// // Two protocol 2 pickles back to back: 1 and 'a'.
/// let stream = b"\x80\x02K\x01.\x80\x02X\x01\x00\x00\x00aq\x00.";
/// let mut de = Deserializer::from_reader(&stream[..]);
/// assert_eq!(de.next_value::<i32>().unwrap(), Some(1));
/// assert_eq!(de.next_value::<String>().unwrap(), Some("a".to_string()));
/// assert_eq!(de.next_value::<String>().unwrap(), None);
/// ```
pub struct Deserializer<R> {
    read: R,
    opts: DeOptions,
    machine: Machine,
    arena: Arena,
    /// Where a pickle failed before its STOP: the stream's position is then unknown, and no
    /// further pickle is read from it.
    broken: Option<u64>,
    /// `broken` was set by [`Deserializer::end`], which found input left and took a byte of
    /// it: no pickle failed.
    ended: bool,
}

impl<'de> Deserializer<SliceRead<'de>> {
    /// Read pickles from a byte slice, lending strings and bytes from it.
    pub fn from_slice(bytes: &'de [u8]) -> Self {
        Deserializer::new(SliceRead::new(bytes))
    }
}

impl<R: io::Read> Deserializer<IoRead<R>> {
    /// Read pickles from an [`io::Read`]. It never reads past a pickle's STOP, and reads one
    /// byte at a time outside protocol 4+ frames: wrap files and sockets in a
    /// [`std::io::BufReader`].
    pub fn from_reader(reader: R) -> Self {
        Deserializer::new(IoRead::new(reader))
    }

    /// The underlying reader, positioned just after the last pickle read.
    pub fn into_inner(self) -> R {
        self.read.into_inner()
    }
}

impl<'de, R: Read<'de>> Deserializer<R> {
    /// A deserializer over any [`Read`] source, with default options.
    pub fn new(read: R) -> Self {
        Deserializer {
            read,
            opts: DeOptions::default(),
            machine: Machine::default(),
            arena: Arena::default(),
            broken: None,
            ended: false,
        }
    }

    /// Use these options.
    pub fn with_options(mut self, opts: DeOptions) -> Self {
        self.opts = opts;
        self
    }

    /// Read each pickle with the memo the pickles before it left, as one reused
    /// `pickle.Unpickler` does (`u.load(); u.load()`): what one reused `pickle.Pickler`
    /// writes (`p.dump(a); p.dump(b)`), where a later pickle refers to values of earlier ones
    /// instead of writing them again. Off by default, as for repeated `pickle.load(f)`, which
    /// reads each pickle on its own and fails on such a stream.
    ///
    /// Everything read stays in memory for as long as the deserializer (Python keeps what its
    /// memo holds, which at protocol 4 is nearly everything), and `max_nodes` and `max_memo`
    /// count the whole stream. Each pickle still has its own `max_expansion`: Python hands
    /// back the same object, but here each pickle's value is built anew, so the values it
    /// takes from earlier pickles count against that limit (a later `p.dump(x)` of a list of
    /// more than a million items needs a larger one). What calls copy and make (`tuple(l)`,
    /// `_codecs.encode(s)`) stays too, and is paid for by the whole stream's bytes plus one
    /// `max_expansion`, not one for each pickle. As for any stream of pickles, each may still
    /// visit `max_expansion` values again, however few its bytes: for a stream from an
    /// untrusted source, a lower limit bounds the work per pickle. An out-of-band buffer
    /// (protocol 5) of an earlier pickle, met again, is an error.
    ///
    /// ```
    /// use pypickle::Deserializer;
    /// // What `p = pickle.Pickler(f, 2); p.dump('spam'); p.dump(['spam'])` writes: the
    /// // second pickle refers to the first's 'spam' (BINGET 0).
    /// let stream = b"\x80\x02X\x04\x00\x00\x00spamq\x00.\x80\x02]q\x01h\x00a.";
    /// let mut de = Deserializer::from_slice(stream).keep_memo(true);
    /// assert_eq!(de.next_value::<String>()?, Some("spam".to_string()));
    /// assert_eq!(de.next_value::<Vec<String>>()?, Some(vec!["spam".to_string()]));
    ///
    /// // Read on its own, the second pickle's reference is an error.
    /// let mut de = Deserializer::from_slice(stream);
    /// de.next_value::<String>()?;
    /// assert!(de.next_value::<Vec<String>>().is_err());
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn keep_memo(mut self, keep: bool) -> Self {
        self.machine.keep_memo = keep;
        self
    }

    /// The byte offset of the next pickle in the input.
    pub fn position(&self) -> u64 {
        self.read.position()
    }

    /// Check that the input holds nothing more: what to call after reading a value through
    /// `&mut Deserializer` (`T::deserialize(&mut de)`, which stops at the pickle's STOP), to
    /// refuse trailing bytes as [`from_slice`] does. An error names them; a byte of them has
    /// then been read, and the stream is done.
    ///
    /// ```
    /// use serde::Deserialize;
    /// let mut de = pypickle::Deserializer::from_slice(b"K\x01.");
    /// assert_eq!(i32::deserialize(&mut de)?, 1);
    /// de.end()?;
    ///
    /// let mut de = pypickle::Deserializer::from_slice(b"K\x01.junk");
    /// assert_eq!(i32::deserialize(&mut de)?, 1);
    /// let e = de.end().unwrap_err();
    /// assert_eq!(e.to_string(), "4 bytes of trailing data after the pickle's STOP (at offset 3)");
    ///
    /// // Called before reading anything, it says so.
    /// let e = pypickle::Deserializer::from_slice(b"K\x01.").end().unwrap_err();
    /// assert_eq!(e.to_string(), "3 bytes of input, and no pickle was read from it (at offset 0)");
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn end(&mut self) -> Result<()> {
        if let Some(at) = self.broken {
            return Err(self.broken_at(at));
        }
        let at = self.read.position();
        let left = self
            .read
            .window()
            .map(|(input, pos, _)| (input.len() - pos) as u64);
        match self
            .read
            .opcode(&self.arena.scratch)
            .map_err(|e| e.at_offset(at))?
        {
            None => Ok(()),
            Some(_) => {
                (self.broken, self.ended) = (Some(at), true);
                // A pickle takes at least one byte: at 0, none was read.
                let code = if at == 0 {
                    ErrorCode::UnreadInput(left)
                } else {
                    ErrorCode::TrailingData(left)
                };
                Err(Error::new(code).at_offset(at))
            }
        }
    }

    /// The error for a read after the stream broke at `at`.
    #[cold]
    fn broken_at(&self, at: u64) -> Error {
        Error::new(if self.ended {
            ErrorCode::StreamEnded(at)
        } else {
            ErrorCode::StreamBroken(at)
        })
    }

    /// Read the next pickle as a `T`; `Ok(None)` if the input is at its end.
    ///
    /// A pickle whose value does not fit `T` is an error and the next call reads the pickle
    /// after it. A pickle that fails before its STOP (malformed, truncated, refused) leaves the
    /// stream at an unknown position: that call and every later one are errors. So does a
    /// STOP that leaves values below the one it returns (or an unclosed MARK), which CPython
    /// accepts: in a stream it is a pickle cut short with the next one read as its rest. But
    /// an error of the reader before the pickle's first byte (a socket's read timeout,
    /// `WouldBlock`) reads nothing: the next call tries again from the same place.
    pub fn next_value<T: Deserialize<'de>>(&mut self) -> Result<Option<T>> {
        let Some(root) = self.next_root(&[])? else {
            return Ok(None);
        };
        walk_root(
            self.read.input(),
            &[],
            &mut self.arena,
            &self.opts,
            root,
            PhantomData::<T>,
        )
        .map(Some)
    }

    /// [`Deserializer::next_value`] for pickles whose buffers travel out of band (protocol 5,
    /// written with a `buffer_callback`, or by a [`Serializer`](crate::Serializer) with
    /// [`SerOptions::out_of_band_buffers`](crate::SerOptions::out_of_band_buffers)): each
    /// NEXT_BUFFER takes the next of `buffers`, and `buffers` moves past those the pickle
    /// took, so that the next call's pickle takes the ones after. That is how CPython's
    /// `pickle.Unpickler(file, buffers=...)` consumes its buffers from load to load, and how
    /// a held `Serializer`'s [`take_buffers`](crate::Serializer::take_buffers) returns them.
    /// What is read from a buffer borrows from it.
    ///
    /// ```
    /// use pypickle::{PickleBuffer, SerOptions, Serializer};
    /// let opts = SerOptions::new().protocol(5).out_of_band_buffers(true);
    /// let mut ser = Serializer::new(Vec::new()).with_options(opts);
    /// ser.dump(&PickleBuffer::new(&b"first"[..]))?;
    /// ser.dump(&(PickleBuffer::new(&b"second"[..]), PickleBuffer::new(&b"third"[..])))?;
    /// let buffers = ser.take_buffers();
    /// let stream = ser.into_inner();
    ///
    /// let lent: Vec<&[u8]> = buffers.iter().map(Vec::as_slice).collect();
    /// let mut left = &lent[..];
    /// let mut de = pypickle::Deserializer::from_slice(&stream);
    /// let one: &[u8] = de.next_value_with_buffers(&mut left)?.unwrap();
    /// assert_eq!((one, left.len()), (&b"first"[..], 2));
    /// let two: (&[u8], &[u8]) = de.next_value_with_buffers(&mut left)?.unwrap();
    /// assert_eq!(two, (&b"second"[..], &b"third"[..]));
    /// assert!(left.is_empty());
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn next_value_with_buffers<T: Deserialize<'de>>(
        &mut self,
        buffers: &mut &'de [&'de [u8]],
    ) -> Result<Option<T>> {
        let lent: &'de [&'de [u8]] = buffers;
        self.machine.set_buffers(Some(lent.len()));
        let root = self.next_root(lent);
        let taken = self.machine.buffers_taken();
        self.machine.set_buffers(None);
        let Some(root) = root? else {
            return Ok(None);
        };
        // Taken by a pickle that ran to its STOP, whether or not its value fits `T`.
        *buffers = &lent[taken..];
        walk_root(
            self.read.input(),
            lent,
            &mut self.arena,
            &self.opts,
            root,
            PhantomData::<T>,
        )
        .map(Some)
    }

    /// Run the next pickle to its STOP, unless an earlier one broke the stream; `buffers` are
    /// those [`Machine::set_buffers`] counted, for a persistent id that holds one.
    fn next_root(&mut self, buffers: &'de [&'de [u8]]) -> Result<Option<arena::Node>> {
        if let Some(at) = self.broken {
            return Err(self.broken_at(at));
        }
        let start = self.read.position();
        // Broken until the run returns: a hook that panics (caught by the caller) leaves the
        // input inside this pickle, where no next pickle can be found either.
        self.broken = Some(start);
        self.machine.whole_stack_at_stop = true;
        let mut root = self
            .machine
            .run(&mut self.read, &mut self.arena, &self.opts, buffers);
        if start > 0 && !self.machine.keep_memo {
            root = root.map_err(Error::in_later_pickle);
        }
        self.broken = match &root {
            Ok(_) => None,
            // The reader failed before giving a byte of this pickle (a socket's timeout, say):
            // nothing was read, so the next call can try again from the same place.
            Err(e) if e.io_error().is_some() && self.read.position() == start => None,
            Err(e) => Some(e.offset().unwrap_or(start)),
        };
        root
    }

    /// An iterator over the pickles left in the input, each read as a `T`.
    #[allow(clippy::should_implement_trait)]
    pub fn into_iter<T: Deserialize<'de>>(self) -> StreamDeserializer<'de, R, T> {
        StreamDeserializer {
            de: self,
            failed: false,
            _t: PhantomData,
        }
    }
}

/// Each method reads the next pickle and hands its value to the visitor.
macro_rules! next_pickle {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: serde::de::Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value> {
            let root = self.next_root(&[])?.ok_or_else(|| Error::new(ErrorCode::Empty))?;
            with_walk(self.read.input(), &[], &mut self.arena, &self.opts, root, |de| {
                serde::de::Deserializer::$method(de, $($arg,)* visitor)
            })
        }
    )*};
}

/// `T::deserialize(&mut de)` reads the next pickle, like [`Deserializer::next_value`], but with
/// the end of the input as an error.
///
/// ```
/// use serde::Deserialize;
/// let mut de = pypickle::Deserializer::from_slice(b"K\x05.K\x06.");
/// assert_eq!(u8::deserialize(&mut de).unwrap(), 5);
/// assert_eq!(u8::deserialize(&mut de).unwrap(), 6);
/// assert!(u8::deserialize(&mut de).is_err());
/// ```
impl<'de, R: Read<'de>> serde::de::Deserializer<'de> for &mut Deserializer<R> {
    type Error = Error;

    crate::for_each_deserialize_method!(next_pickle);
}

/// An iterator that reads one pickle after another; see [`Deserializer::into_iter`].
pub struct StreamDeserializer<'de, R, T> {
    de: Deserializer<R>,
    failed: bool,
    _t: PhantomData<(&'de (), T)>,
}

impl<'de, R: Read<'de>, T: Deserialize<'de>> Iterator for StreamDeserializer<'de, R, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.failed {
            return None;
        }
        match self.de.next_value() {
            Ok(Some(v)) => Some(Ok(v)),
            Ok(None) => None,
            Err(e) => {
                // Like serde_json's stream: the first error ends the iteration.
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Read one pickle from `bytes` as a `T`, with default options. Strings and bytes in `T` may
/// borrow from `bytes` where the pickle holds them as they are (strs from protocol 1, bytes
/// from protocol 3; `Cow` takes the others owned). Bytes after the pickle's STOP are an error.
///
/// ```
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Point<'a> { x: i32, label: &'a str }
/// // pickle.dumps({'x': 3, 'label': 'origin'}, protocol=2)
/// let data = b"\x80\x02}q\x00(X\x01\x00\x00\x00xq\x01K\x03X\x05\x00\x00\x00labelq\x02X\x06\x00\x00\x00originq\x03u.";
/// let p: Point = pypickle::from_slice(data).unwrap();
/// assert_eq!(p, Point { x: 3, label: "origin" });
/// ```
pub fn from_slice<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    from_slice_with(bytes, &DeOptions::default())
}

/// [`from_slice`] with options.
pub fn from_slice_with<'de, T: Deserialize<'de>>(bytes: &'de [u8], opts: &DeOptions) -> Result<T> {
    slice_with_buffers(bytes, &[], false, opts)
}

/// [`from_slice_with`] for a protocol 5 pickle whose buffers travel out of band, like
/// `pickle.loads(data, buffers=...)`: each NEXT_BUFFER takes the next of `buffers`, and what
/// is read from it (`&[u8]`, a numpy array's data, ...) borrows from it. A pickle that asks
/// for more buffers than given is an error; so is NEXT_BUFFER when none are given. A buffer
/// reads as a `bytearray` `Value` (`bytes` after READONLY_BUFFER).
pub fn from_slice_with_buffers<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    buffers: &'de [&'de [u8]],
    opts: &DeOptions,
) -> Result<T> {
    slice_with_buffers(bytes, buffers, true, opts)
}

/// Read one pickle from `bytes`; `passed` is false when the caller passed no list of buffers.
/// (An `Option` of the buffers here, and of their count in the machine, cost the typed
/// records decode 3% in alternating timings.)
fn slice_with_buffers<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    buffers: &'de [&'de [u8]],
    passed: bool,
    opts: &DeOptions,
) -> Result<T> {
    with_buffers(|Buffers { machine, arena }| {
        machine.set_buffers(passed.then_some(buffers.len()));
        let mut read = SliceRead::new(bytes);
        let root = machine.run(&mut read, arena, opts, buffers);
        machine.set_buffers(None);
        let root = root?.ok_or_else(|| Error::new(ErrorCode::Empty))?;
        let end = read.position();
        if read.remaining() > 0 {
            return Err(
                Error::new(ErrorCode::TrailingData(Some(read.remaining() as u64))).at_offset(end),
            );
        }
        walk_root(bytes, buffers, arena, opts, root, PhantomData::<T>)
    })
}

/// Read one pickle from an [`io::Read`] as a `T`, with default options. Anything after the
/// pickle's STOP is an error, so it reads on until the input ends (a pipe or socket whose writer
/// stays open blocks there); to read one pickle of a stream and stop at its STOP, or several
/// pickles from one stream, use a [`Deserializer`].
///
/// ```
/// use std::collections::HashMap;
/// // with open(path, 'rb') as f: pickle.load(f), where pickle.dump({'a': 1}, f, protocol=2)
/// let file: &[u8] = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.";
/// let m: HashMap<String, i32> = pypickle::from_reader(std::io::BufReader::new(file))?;
/// assert_eq!(m["a"], 1);
/// # Ok::<(), pypickle::Error>(())
/// ```
pub fn from_reader<R: io::Read, T: serde::de::DeserializeOwned>(reader: R) -> Result<T> {
    from_reader_with(reader, &DeOptions::default())
}

/// [`from_reader`] with options.
pub fn from_reader_with<R: io::Read, T: serde::de::DeserializeOwned>(
    reader: R,
    opts: &DeOptions,
) -> Result<T> {
    with_buffers(|Buffers { machine, arena }| {
        let mut read = IoRead::new(reader);
        let root = machine
            .run(&mut read, arena, opts, &[])?
            .ok_or_else(|| Error::new(ErrorCode::Empty))?;
        let end = read.position();
        if read
            .opcode(&arena.scratch)
            .map_err(|e| e.at_offset(end))?
            .is_some()
        {
            return Err(Error::new(ErrorCode::TrailingData(None)).at_offset(end));
        }
        walk_root(&[], &[], arena, opts, root, PhantomData::<T>)
    })
}

/// Walk the arena from `root` into `seed`, lending bytes from `input` and `buffers`.
fn walk_root<'de, S: serde::de::DeserializeSeed<'de>>(
    input: &'de [u8],
    buffers: &'de [&'de [u8]],
    arena: &mut Arena,
    opts: &DeOptions,
    root: arena::Node,
    seed: S,
) -> Result<S::Value> {
    with_walk(input, buffers, arena, opts, root, |de| seed.deserialize(de))
}

/// `f` with the deserializer of `root` in a walk of the arena, whose cycle-check flags'
/// vector is kept in the arena from walk to walk (see [`walk::Walk::new`]). An error with no
/// position (one a `Deserialize` impl made after reading the value, as serde's untagged
/// enums do) gets the root's.
fn with_walk<'de, T>(
    input: &'de [u8],
    buffers: &'de [&'de [u8]],
    arena: &mut Arena,
    opts: &DeOptions,
    root: arena::Node,
    f: impl FnOnce(walk::NodeDe<'_, 'de, '_>) -> Result<T>,
) -> Result<T> {
    let active = std::mem::take(&mut arena.walk_active);
    let base = arena.base;
    let mut walk = walk::Walk::new(input, arena, opts, active).with_buffers(buffers);
    let out = f(walk.root(&root));
    arena.walk_active = walk.into_active();
    // Nodes hold offsets from the arena's base; the caller is told the stream's.
    out.map_err(|e| e.or_at(root.offset(), root.opcode()).shifted(base))
}

/// The machine's and the arena's vectors, kept between calls of [`from_slice`] and
/// [`from_reader`] on one thread: a program that decodes many pickles then allocates (and page
/// faults) only while its pickles grow, like a held [`Deserializer`] does.
#[derive(Default)]
struct Buffers {
    machine: Machine,
    arena: Arena,
}

/// Buffers larger than this are freed after use rather than kept for the next call.
///
/// A memory/speed trade-off. Fresh buffers cost page faults on first touch, a quarter to a
/// third of the decode time of a large pickle in the benchmark. The buffers take several
/// times the pickle's length (a 16-byte node per value, a memo entry per MEMOIZE), and each
/// vector keeps the largest size any pickle on the thread needed. At 64 MiB, a thread reading
/// a 4 MiB records pickle and a 14 MiB dict of 1M numbers in turn (46 MB and 49 MB of
/// buffers, 67 MB together, when nodes took 24 bytes) dropped and re-faulted them on every
/// call. 128 MiB keeps them for
/// pickles of about 10 MiB; larger ones decode as before with fresh buffers, freed after.
const RETAIN_BYTES: usize = 128 << 20;

thread_local! {
    static BUFFERS: std::cell::Cell<Option<Box<Buffers>>> = const { std::cell::Cell::new(None) };
}

fn with_buffers<T>(f: impl FnOnce(&mut Buffers) -> T) -> T {
    // A nested call (a Deserialize impl that itself calls from_slice) finds the slot empty and
    // uses fresh buffers.
    // So does a call from a thread-local's destructor once this one is gone (`try_with`).
    let mut buffers = BUFFERS
        .try_with(|slot| slot.take())
        .ok()
        .flatten()
        .unwrap_or_default();
    let out = f(&mut buffers);
    if buffers.machine.capacity_bytes() + buffers.arena.capacity_bytes() <= RETAIN_BYTES {
        // (Gone: the buffers are dropped here.)
        let _ = BUFFERS.try_with(|slot| slot.set(Some(buffers)));
    }
    out
}
