//! [`scan`]: every global a pickle names, with a verdict, found without building anything.
//!
//! The scanner walks the opcodes the way the unpickler does, but keeps only a light symbolic
//! stack and memo: strings are known, globals are remembered by the finding that named them, and
//! everything else is an opaque value with a size (how many values it would expand to), so that
//! a global whose name is fetched from the memo is still found and memo/DUP "billion laughs"
//! are flagged without being built. A container's size is counted as values are put into it;
//! when one grows after it was put into others (filled "top-down"), the sizes are counted
//! again at the pickle's end from which object holds which.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

mod c_text;

use crate::class;
use crate::de::text;
use crate::de::JoblibRegion;
use crate::error::{Category, Error, ErrorCode, Escaped, Result};
use crate::opcode::{self, *};
use crate::read::{Read, SliceRead};

/// How far a global named by a pickle can be trusted, from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// On the default allowlist: the pure-data globals the reader accepts with default options.
    Safe,
    /// Neither on the allowlist nor known to be dangerous: the reader refuses it by default and
    /// keeps it as an inert object with
    /// [`record_unknown_globals`](crate::DeOptions::record_unknown_globals).
    Unknown,
    /// Can run code or reach the system (`os.system`, `builtins.eval`, ...), or hides what it
    /// names: the reader refuses it even in record mode unless it is allowed by its exact name.
    Dangerous,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Safe => "safe",
            Verdict::Unknown => "unknown",
            Verdict::Dangerous => "dangerous",
        })
    }
}

/// One global a pickle references: where, through which opcode, and the verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    module: Arc<str>,
    name: Arc<str>,
    original: Option<Box<(Arc<str>, Arc<str>)>>,
    extension: Option<i32>,
    offset: u64,
    opcode: u8,
    verdict: Verdict,
    note: Option<&'static str>,
}

impl Finding {
    /// The module, after Python 2 names are mapped (`builtins` for `__builtin__` in a protocol
    /// 0-2 pickle). Empty when the pickle does not say (an extension code, or a STACK_GLOBAL
    /// whose operands are not known strings).
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The qualified name in the module (`system`, `Outer.Inner`); empty when the pickle does not
    /// say.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `(module, name)` as written in the pickle, when the reader maps it to another one
    /// (Python 2 names in protocols 0-2).
    pub fn original(&self) -> Option<(&str, &str)> {
        self.original.as_deref().map(|(m, n)| (&**m, &**n))
    }

    /// The extension registry code, for a global named by EXT1, EXT2 or EXT4.
    pub fn extension_code(&self) -> Option<i32> {
        self.extension
    }

    /// The byte offset of the opcode that names the global.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// That opcode's byte.
    pub fn opcode(&self) -> u8 {
        self.opcode
    }

    /// That opcode's `pickletools` name: GLOBAL, STACK_GLOBAL, INST, EXT1, EXT2, EXT4, or REDUCE
    /// (OBJ, INST) for `getattr(module.Outer, 'name')`, reported as the global
    /// `module.Outer.name`.
    pub fn opcode_name(&self) -> &'static str {
        opcode::name(self.opcode).unwrap_or("?")
    }

    /// How far the global can be trusted.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Why the verdict is what it is, where that is not just the name.
    pub fn note(&self) -> Option<&'static str> {
        self.note
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.offset, self.opcode_name())?;
        match self.extension {
            Some(code) => write!(f, "extension code {code}")?,
            None if self.module.is_empty() && self.name.is_empty() => f.write_str("?")?,
            None => write!(f, "{}.{}", Short(&self.module), Short(&self.name))?,
        }
        if let Some((m, n)) = self.original.as_deref() {
            write!(f, " (written {}.{})", Short(m), Short(n))?;
        }
        write!(f, ": {}", self.verdict)?;
        if let Some(note) = self.note {
            write!(f, " ({note})")?;
        }
        Ok(())
    }
}

/// A name cut to a readable length for `Display`, its control characters escaped.
struct Short<'a>(&'a str);

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 200;
        if self.0.len() <= SHOWN {
            return write!(f, "{}", Escaped(self.0));
        }
        let mut end = SHOWN;
        while !self.0.is_char_boundary(end) {
            end -= 1;
        }
        write!(f, "{}... ({} bytes)", Escaped(&self.0[..end]), self.0.len())
    }
}

/// A container whose values, counted through shared references (memo GET, DUP), would expand
/// to more than [`Bomb::LIMIT`] values (and more than the input has bytes): a "billion laughs".
/// A str, bytes or int counts one value for each 64 bytes it has, so that a long one
/// referenced over and over is one too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bomb {
    offset: u64,
    opcode: u8,
    size: u64,
}

impl Bomb {
    /// Expanded sizes above this many values (or the input's length in bytes, if larger) are
    /// flagged. No plain pickle holds more values than it has bytes.
    pub const LIMIT: u64 = 10_000_000;

    /// The offset of the opcode that made the container cross the limit.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// That opcode's `pickletools` name (LIST, APPENDS, TUPLE3, BUILD, REDUCE, ...).
    pub fn opcode_name(&self) -> &'static str {
        opcode::name(self.opcode).unwrap_or("?")
    }

    /// The expanded size in values at that point (saturating at `u64::MAX`).
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl fmt::Display for Bomb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} expansion bomb: {} values through shared references",
            self.offset,
            self.opcode_name(),
            self.size
        )
    }
}

/// What [`scan`] found.
#[derive(Debug)]
#[non_exhaustive]
pub struct Report {
    /// Every global referenced, in the order of the input.
    pub globals: Vec<Finding>,
    /// Expansion bombs.
    pub bombs: Vec<Bomb>,
    /// Why the scan stopped before the end of the input, if it did: a truncated or malformed
    /// pickle (with the offset and opcode). What was found up to there is kept. For
    /// [`joblib::scan`](crate::joblib::scan), also the error that kept the reader from
    /// laying out the file's arrays, past which the scan cannot be trusted.
    pub error: Option<Error>,
    /// How many complete pickles (ended by STOP) the input holds.
    pub pickles: usize,
}

impl Report {
    /// True if a global is [`Verdict::Dangerous`] or there is an expansion bomb.
    pub fn is_dangerous(&self) -> bool {
        !self.bombs.is_empty() || self.globals.iter().any(|g| g.verdict == Verdict::Dangerous)
    }

    /// True if the input is one or more complete pickles that name only safe globals and hold
    /// no expansion bomb.
    pub fn is_safe(&self) -> bool {
        self.error.is_none()
            && self.pickles > 0
            && self.bombs.is_empty()
            && self.globals.iter().all(|g| g.verdict == Verdict::Safe)
    }

    /// The overall verdict: dangerous as [`is_dangerous`](Self::is_dangerous), safe as
    /// [`is_safe`](Self::is_safe), unknown otherwise.
    pub fn verdict(&self) -> Verdict {
        if self.is_dangerous() {
            Verdict::Dangerous
        } else if self.is_safe() {
            Verdict::Safe
        } else {
            Verdict::Unknown
        }
    }
}

impl fmt::Display for Report {
    /// One line per finding, bomb and error, then a summary line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for g in &self.globals {
            writeln!(f, "{g}")?;
        }
        for b in &self.bombs {
            writeln!(f, "{b}")?;
        }
        if let Some(e) = &self.error {
            writeln!(f, "error: {e}")?;
        }
        write!(
            f,
            "{}: {} pickle{}, {} global{}",
            self.verdict(),
            self.pickles,
            if self.pickles == 1 { "" } else { "s" },
            self.globals.len(),
            if self.globals.len() == 1 { "" } else { "s" },
        )
    }
}

/// List every global a pickle (or a stream of pickles written back to back) references, with
/// its offset, opcode and a [`Verdict`], and flag expansion bombs, without building anything.
///
/// Like `picklescan`, but it follows the pickle machine: names of a STACK_GLOBAL fetched from
/// the memo are found, Python 2 names are mapped as the reader maps them,
/// `getattr(module.Outer, 'name')` is reported as the global `module.Outer.name` (any other use
/// of getattr is dangerous), and a STACK_GLOBAL whose operands are not strings known before the
/// pickle runs is dangerous. It never panics, never allocates beyond what the input's length
/// justifies, and stops at the first malformed opcode with the error in the report.
///
/// ```
/// use pypickle::{scan, Verdict};
///
/// // What pickle.dumps writes for an object whose __reduce__ is (os.system, ('echo hi',)),
/// // with the names fetched from the memo.
/// let evil = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93\x8c\x07echo hi\x85R.";
/// let report = scan(evil);
/// assert!(report.is_dangerous());
/// let g = &report.globals[0];
/// assert_eq!((g.module(), g.name(), g.opcode_name()), ("os", "system", "STACK_GLOBAL"));
/// assert_eq!((g.offset(), g.verdict()), (20, Verdict::Dangerous));
///
/// // Plain data names only safe built-ins.
/// let report = scan(&pypickle::to_vec(&(1, "two", vec![3.0]))?);
/// assert!(report.is_safe());
/// assert_eq!(report.to_string(), "safe: 1 pickle, 0 globals");
/// # Ok::<(), pypickle::Error>(())
/// ```
pub fn scan(bytes: &[u8]) -> Report {
    scan_skipping(bytes, &[])
}

fn scan_skipping(bytes: &[u8], regions: &[JoblibRegion]) -> Report {
    let mut s = Scanner::new(bytes);
    s.regions = regions;
    if let Err(e) = s.run() {
        s.report.error = Some(e);
    }
    s.finish()
}

/// [`scan`], stepping over the regions of a joblib file that are not opcodes: array bytes
/// skipped, nested pickles scanned as pickles of their own.
/// `joblib.numpy_pickle.NumpyArrayWrapper` (in the dangerous `joblib` module, which can load
/// pickles) is judged safe: the joblib reader takes it as an array's dtype, shape and order.
pub(crate) fn scan_around(bytes: &[u8], regions: &[JoblibRegion]) -> Report {
    let mut report = scan_skipping(bytes, regions);
    for g in &mut report.globals {
        if (&*g.module, &*g.name) == ("joblib.numpy_pickle", "NumpyArrayWrapper") {
            g.verdict = Verdict::Safe;
            g.note = Some("joblib's array wrapper: dtype, shape and order, read as data");
        }
    }
    report
}

/// Names longer than this are not analysed (a real module.qualname is far shorter): dangerous,
/// and refused by the reader.
use crate::class::MAX_GLOBAL_NAME as MAX_NAME;

/// A value on the symbolic stack (16 bytes: a run of one-byte opcodes stays within bounds).
#[derive(Clone, Copy, Debug)]
enum Sym {
    /// A value whose content does not matter: a number, bytes, None, a persistent id.
    Leaf,
    /// Like `Leaf`, for bytes or an int of 64 bytes or more: the size it counts for (one value
    /// for each 64 bytes, so that one referenced over and over is an expansion too).
    Data(u64),
    /// A str known from the input, `strings[i]`.
    Str(usize),
    /// The global of `report.globals[i]`.
    Global(usize),
    /// A value made while loading, `objs[i]`.
    Obj(usize),
}

/// The size `len` bytes count for: one value, and one more for each 64 bytes.
fn data_size(len: u64) -> u64 {
    1 + len / 64
}

/// A bytes or int value of `len` bytes on the stack.
fn data(len: u64) -> Sym {
    match data_size(len) {
        1 => Sym::Leaf,
        n => Sym::Data(n),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ObjKind {
    List,
    Dict,
    Set,
    Tuple,
    FrozenSet,
    /// Made by calling something (REDUCE, NEWOBJ, INST, OBJ): it could be anything.
    Made,
}

#[derive(Debug)]
struct Obj {
    /// Values it expands to, itself included (saturating).
    size: u64,
    /// The items of a 2-tuple, for `getattr(class, 'name')`: `pairs[pair - 1]`, 0 if none.
    pair: u32,
    kind: ObjKind,
    /// A getattr finding this container holds, not yet used (`index + 1`, 0 if none): put in
    /// a container, getattr calls nothing until the container reaches code (a call's
    /// arguments, a state, a persistent id); a container that is dropped never does.
    getattr: u32,
    /// What it holds that is not an object, in values, itself included: its size without
    /// its objects', for [`Scanner::recount`].
    leaf: u64,
    /// It was put into a container or passed to a call: growing afterwards makes the sizes
    /// copied from it stale.
    held: bool,
    /// Where it was made or last grew, and the opcode: where a bomb found by the recount is
    /// reported.
    at: (u64, u8),
    /// A class that returns one of its shared members (an Enum's), by its finding
    /// (`index + 1`, 0 if none): for an object, the class whose call made it; for a tuple,
    /// its first item (the arguments of `copyreg.__newobj__(cls, ...)`, which make one).
    shared: u32,
}

/// What the scanner knows of a finding beyond the report.
#[derive(Clone, Copy, Debug, Default)]
struct Uses {
    /// The finding is `builtins.getattr`.
    getattr: bool,
    /// Calls of the shape `getattr(global, 'name')`.
    nested: u32,
    /// Any other use of getattr: called otherwise, passed as a value.
    other: bool,
    /// The finding does not say what it names (an extension code, hidden operands).
    opaque: bool,
}

/// What one pickle's opcodes build: its stack, memo and what they refer to. Each pickle of a
/// stream starts from an empty one, and a joblib object array's nested pickle has its own.
#[derive(Default)]
struct PickleState {
    stack: Vec<Sym>,
    marks: Vec<usize>,
    /// The memo while its keys are 0, 1, 2, ... (as picklers write them); then `sparse`.
    memo: Vec<Option<Sym>>,
    sparse: HashMap<u64, Sym>,
    objs: Vec<Obj>,
    pairs: Vec<(Sym, Sym)>,
    strings: Vec<Arc<str>>,
    proto: u8,
    /// Which object holds which (`(holder, held)`, once for each time), for the recount.
    edges: Vec<(u32, u32)>,
    /// An object grew after it was held: the sizes copied from it are stale.
    stale: bool,
}

impl PickleState {
    /// Empty, keeping the vectors' capacity: each pickle of a stream starts afresh, as
    /// `pickle.load` called for each does. (An `Unpickler` that loads one pickle after another
    /// keeps its memo, and a later pickle could fetch what an earlier one stored: not followed
    /// here, see the README.)
    fn clear(&mut self) {
        self.stack.clear();
        self.marks.clear();
        self.memo.clear();
        self.sparse.clear();
        self.objs.clear();
        self.pairs.clear();
        self.strings.clear();
        self.proto = 0;
        self.edges.clear();
        self.stale = false;
    }
}

struct Scanner<'a> {
    input: &'a [u8],
    r: SliceRead<'a>,
    scratch: Vec<u8>,
    /// The state of the pickle being scanned.
    st: PickleState,
    uses: Vec<Uses>,
    pos: u64,
    op: u8,
    report: Report,
    /// Sizes above this are bombs.
    threshold: u64,
    /// Bytes the getattr names made so far may still take.
    name_budget: usize,
    /// The one name kept for getattr names made beyond the budget.
    elided: Arc<str>,
    /// A joblib file's regions outside the opcodes, and the next one to meet.
    regions: &'a [JoblibRegion],
    next_region: usize,
    /// Where the last FRAME read ends.
    frame_end: u64,
}

#[cold]
fn malformed(msg: &'static str) -> Error {
    Error::new(ErrorCode::Malformed(msg))
}

/// A str the text decoders refuse as Unsupported (a lone surrogate, which CPython writes and
/// reads) is a value whose content does not matter; any other decoding error stops the scan.
#[cold]
fn lone_surrogate_leaf(e: Error) -> Result<Sym> {
    match e.category() {
        Category::Unsupported => Ok(Sym::Leaf),
        _ => Err(e),
    }
}

#[cold]
fn underflow() -> Error {
    Error::new(ErrorCode::StackUnderflow)
}

impl<'a> Scanner<'a> {
    fn new(input: &'a [u8]) -> Self {
        Scanner {
            input,
            r: SliceRead::new(input),
            scratch: Vec::new(),
            st: PickleState::default(),
            uses: Vec::new(),
            pos: 0,
            op: 0,
            report: Report {
                globals: Vec::new(),
                bombs: Vec::new(),
                error: None,
                pickles: 0,
            },
            threshold: Bomb::LIMIT.max(input.len() as u64),
            name_budget: input.len().saturating_mul(4).saturating_add(1 << 16),
            elided: Arc::from("<name not kept: the report's size limit>"),
            regions: &[],
            next_region: 0,
            frame_end: 0,
        }
    }

    fn run(&mut self) -> Result<()> {
        loop {
            self.st.clear();
            if !self.one()? {
                return match self.report.pickles {
                    0 => Err(Error::new(ErrorCode::Empty)),
                    _ => Ok(()),
                };
            }
            self.report.pickles += 1;
        }
    }

    /// Scan one pickle to its STOP; `false` if the input was already at its end.
    fn one(&mut self) -> Result<bool> {
        let first = self.r.position();
        loop {
            self.pos = self.r.position();
            let op = match self.r.opcode(&self.scratch) {
                Ok(Some(op)) => op,
                Ok(None) if self.pos == first => return Ok(false),
                Ok(None) => return Err(Error::at(ErrorCode::NoStop, self.pos, STOP).clear_opcode()),
                Err(e) => return Err(e.or_at(self.pos, 0).clear_opcode()),
            };
            self.op = op;
            match self.step(op) {
                Ok(false) => self.step_around()?,
                Ok(true) => {
                    self.recount();
                    return Ok(true);
                }
                Err(e) => {
                    self.recount();
                    return Err(e.or_at(self.pos, op));
                }
            }
        }
    }

    /// At the start of a joblib region: skip an array's bytes, or scan a nested pickle with a
    /// stack and memo of its own.
    fn step_around(&mut self) -> Result<()> {
        let Some(&region) = self.regions.get(self.next_region) else {
            return Ok(());
        };
        if self.r.position() != region.start {
            return Ok(());
        }
        self.next_region += 1;
        if !region.nested {
            self.r.bytes(region.end - region.start, &mut self.scratch)?;
            return Ok(());
        }
        let outer = (std::mem::take(&mut self.st), self.frame_end);
        let scanned = self.one();
        (self.st, self.frame_end) = outer;
        match scanned? {
            true if self.r.position() == region.end => Ok(()),
            _ => Err(malformed(
                "a joblib object array's pickle does not end where it should",
            )),
        }
    }

    /// Settle the verdicts of getattr, which depend on how it was used.
    fn finish(mut self) -> Report {
        for (g, u) in self.report.globals.iter_mut().zip(&self.uses) {
            if !u.getattr {
                continue;
            }
            if u.nested > 0 && !u.other {
                g.verdict = Verdict::Safe;
                g.note = Some("used only as getattr(class, 'name'), a nested class");
            } else if !u.other {
                // Named and dropped (popped, or left under the result): nothing can call it,
                // and the reader accepts it.
                g.verdict = Verdict::Safe;
                g.note = Some("named but never used");
            } else {
                g.verdict = Verdict::Dangerous;
                g.note = Some("getattr used otherwise than as getattr(class, 'name')");
            }
        }
        self.report
    }

    // The stack, as the unpickler keeps it: a mark fences off what is below it.

    fn fence(&self) -> usize {
        self.st.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Result<Sym> {
        if self.st.stack.len() <= self.fence() {
            return Err(underflow());
        }
        self.st.stack.pop().ok_or_else(underflow)
    }

    fn top(&self) -> Result<&Sym> {
        if self.st.stack.len() <= self.fence() {
            return Err(underflow());
        }
        self.st.stack.last().ok_or_else(underflow)
    }

    /// Whether object `o` was made by a call (and so may take a BUILD).
    fn made(&self, o: usize) -> bool {
        self.st.objs.get(o).is_some_and(|o| o.kind == ObjKind::Made)
    }

    fn pop_mark(&mut self) -> Result<usize> {
        self.st
            .marks
            .pop()
            .ok_or_else(|| Error::new(ErrorCode::NoMark))
    }

    // Reading arguments.

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.r.fixed::<N>(&mut self.scratch)
    }

    fn counted(&mut self, len: u64) -> Result<&'a [u8]> {
        let span = self.r.bytes(len, &mut self.scratch)?;
        // A slice reader's spans are in the input.
        span.borrowed(self.input)
            .ok_or_else(|| malformed("scanner: span outside the input"))
    }

    fn line(&mut self) -> Result<&'a [u8]> {
        let span = self.r.line(&mut self.scratch)?;
        span.borrowed(self.input)
            .ok_or_else(|| malformed("scanner: span outside the input"))
    }

    fn u32_len(&mut self) -> Result<u64> {
        Ok(u64::from(u32::from_le_bytes(self.fixed()?)))
    }

    fn i32_len(&mut self, what: &'static str) -> Result<u64> {
        let n = i32::from_le_bytes(self.fixed()?);
        u64::try_from(n).map_err(|_| malformed(what))
    }

    fn u64_len(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.fixed()?))
    }

    // Values.

    /// The total and the largest size of values put into a container or passed to a call, and
    /// a getattr finding among them (or held by one of them), as `index + 1` (0 if none).
    fn absorb(&self, start: usize) -> (u64, u64, u32) {
        let (mut sum, mut max, mut getattr) = (0u64, 0u64, 0u32);
        for s in self.st.stack.get(start..).unwrap_or(&[]) {
            let n = match s {
                Sym::Obj(o) => self.st.objs.get(*o).map_or(1, |o| o.size),
                Sym::Data(n) => *n,
                Sym::Str(i) => self
                    .st
                    .strings
                    .get(*i)
                    .map_or(1, |s| data_size(s.len() as u64)),
                _ => 1,
            };
            if getattr == 0 {
                getattr = self.held(s);
            }
            sum = sum.saturating_add(n);
            max = max.max(n);
        }
        (sum, max, getattr)
    }

    /// The getattr finding `s` is or holds unused, as `index + 1` (0 if none).
    fn held(&self, s: &Sym) -> u32 {
        match s {
            Sym::Global(g) if self.uses.get(*g).is_some_and(|u| u.getattr) => {
                u32::try_from(*g + 1).unwrap_or(0)
            }
            Sym::Obj(o) => self.st.objs.get(*o).map_or(0, |o| o.getattr),
            _ => 0,
        }
    }

    /// A getattr (`index + 1`, 0 for none) reaches code: a use other than
    /// `getattr(class, 'name')`.
    fn used(&mut self, getattr: u32) {
        if let Some(u) = getattr
            .checked_sub(1)
            .and_then(|g| self.uses.get_mut(g as usize))
        {
            u.other = true;
        }
    }

    /// BUILD sets attributes of the global of finding `g`: dangerous, whatever it is.
    fn patched(&mut self, g: usize) {
        if let Some(f) = self.report.globals.get_mut(g) {
            f.verdict = Verdict::Dangerous;
            f.note = Some(
                "its attributes (or a shared member's) set by BUILD, which changes the loading \
                 program",
            );
        }
        if let Some(u) = self.uses.get_mut(g) {
            // Settled here, not by how a getattr is used.
            u.getattr = false;
        }
    }

    /// `s` reaches code (a call's arguments, a state, a persistent id).
    fn use_value(&mut self, s: &Sym) {
        self.used(self.held(s));
    }

    fn bomb_check(&mut self, old: u64, new: u64, largest_item: u64) {
        // Flag where the limit is crossed, not every container built from a bomb.
        if old <= self.threshold && new > self.threshold && largest_item <= self.threshold {
            self.report.bombs.push(Bomb {
                offset: self.pos,
                opcode: self.op,
                size: new,
            });
        }
    }

    /// Whether a BUILD state may be one that sets nothing (`None`, `(None, {})`, `(None,
    /// None)`): a leaf, or a pair of a leaf and a leaf or an empty dict.
    fn may_set_nothing(&self, state: &Sym) -> bool {
        let empty = |s: &Sym| match s {
            Sym::Leaf => true,
            Sym::Obj(o) => self
                .st
                .objs
                .get(*o)
                .is_some_and(|o| o.kind == ObjKind::Dict && o.size <= 1),
            _ => false,
        };
        match state {
            Sym::Leaf => true,
            Sym::Obj(o) => match self.st.objs.get(*o) {
                Some(obj) if obj.kind == ObjKind::Tuple => match obj.pair.checked_sub(1) {
                    Some(p) => self
                        .st
                        .pairs
                        .get(p as usize)
                        .is_some_and(|(a, b)| matches!(a, Sym::Leaf) && empty(b)),
                    None => false,
                },
                _ => false,
            },
            _ => false,
        }
    }

    fn push_obj(&mut self, kind: ObjKind, size: u64, pair: Option<(Sym, Sym)>) {
        let pair = match pair {
            Some(p) => {
                self.st.pairs.push(p);
                u32::try_from(self.st.pairs.len()).unwrap_or(0)
            }
            None => 0,
        };
        self.st.objs.push(Obj {
            size,
            pair,
            kind,
            getattr: 0,
            leaf: size,
            held: false,
            at: (self.pos, self.op),
            shared: 0,
        });
        self.st.stack.push(Sym::Obj(self.st.objs.len() - 1));
    }

    /// `stack[start..]` replaced by one new container (or call result) holding them.
    fn collect(&mut self, start: usize, kind: ObjKind) {
        let (sum, max, getattr) = self.absorb(start);
        let size = sum.saturating_add(1);
        self.bomb_check(0, size, max);
        let pair = match self.st.stack.get(start..) {
            Some(&[a, b]) if kind == ObjKind::Tuple => Some((a, b)),
            _ => None,
        };
        // A tuple that starts with a class returning shared members: the arguments of
        // `copyreg.__newobj__(cls, ...)` or `__newobj_ex__`, which make one.
        let first = match (kind, self.st.stack.get(start)) {
            (ObjKind::Tuple, Some(&Sym::Global(g))) => self.shared_class(g),
            _ => 0,
        };
        let leaf = self.link(self.st.objs.len(), start);
        self.st.stack.truncate(start);
        self.push_obj(kind, size, pair);
        if let Some(o) = self.st.objs.last_mut() {
            o.getattr = getattr;
            o.leaf = leaf.saturating_add(1);
            o.shared = first;
        }
    }

    /// Record that object `holder` holds `stack[start..]` (for [`Scanner::recount`]), each
    /// object among them now held; the size of the rest, which are not objects.
    fn link(&mut self, holder: usize, start: usize) -> u64 {
        let mut leaf = 0u64;
        let holder = u32::try_from(holder).unwrap_or(u32::MAX);
        for i in start..self.st.stack.len() {
            match self.st.stack[i] {
                Sym::Obj(o) => {
                    self.st
                        .edges
                        .push((holder, u32::try_from(o).unwrap_or(u32::MAX)));
                    if let Some(o) = self.st.objs.get_mut(o) {
                        o.held = true;
                    }
                }
                Sym::Data(n) => leaf = leaf.saturating_add(n),
                Sym::Str(i) => {
                    let n = self
                        .st
                        .strings
                        .get(i)
                        .map_or(1, |s| data_size(s.len() as u64));
                    leaf = leaf.saturating_add(n);
                }
                _ => leaf = leaf.saturating_add(1),
            }
        }
        leaf
    }

    /// [`Scanner::link`] for values not on the stack, which the newest object holds (a
    /// call's arguments).
    fn link_newest(&mut self, held: &[Sym]) {
        let Some(holder) = self.st.objs.len().checked_sub(1) else {
            return;
        };
        let start = self.st.stack.len();
        self.st.stack.extend_from_slice(held);
        let leaf = self.link(holder, start);
        self.st.stack.truncate(start);
        let o = &mut self.st.objs[holder];
        o.leaf = o
            .leaf
            .saturating_sub(o.size.saturating_sub(1))
            .saturating_add(leaf);
    }

    /// `target` grew by what `stack[start..]` holds (items added, a BUILD state).
    fn grow(&mut self, target: usize, start: usize, sum: u64, max: u64) {
        let leaf = self.link(target, start);
        let o = &mut self.st.objs[target];
        let old = o.size;
        let new = old.saturating_add(sum);
        o.size = new;
        o.leaf = o.leaf.saturating_add(leaf);
        o.at = (self.pos, self.op);
        self.st.stale |= o.held;
        self.bomb_check(old, new, max);
    }

    /// The sizes again, from which object holds which, when an object grew after it was
    /// held (a container filled after it was put into others, "top-down"): the sizes copied
    /// as values were put in missed that growth. Each object's size is its own values plus
    /// its objects' sizes; a cycle adds nothing more (nothing expands a value that holds
    /// itself: the reader stops at the cycle). Where a recounted size first exceeds the
    /// threshold, and the running count had not, is a bomb, reported where that object was
    /// made or last grew.
    fn recount(&mut self) {
        if !self.st.stale {
            return;
        }
        self.st.stale = false;
        let n = self.st.objs.len();
        let mut edges = std::mem::take(&mut self.st.edges);
        edges.sort_unstable();
        // Where each holder's edges start in `edges`.
        let mut first = vec![0usize; n + 1];
        for &(h, _) in &edges {
            if let Some(f) = first.get_mut(h as usize + 1) {
                *f += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![NEW; n];
        let mut size = vec![0u64; n];
        let mut largest = vec![0u64; n];
        // Depth-first, without recursion: (object, next edge to follow).
        let mut path: Vec<(usize, usize)> = Vec::new();
        for root in 0..n {
            if state[root] != NEW {
                continue;
            }
            state[root] = OPEN;
            size[root] = self.st.objs[root].leaf;
            path.push((root, first[root]));
            while let Some(&mut (o, ref mut next)) = path.last_mut() {
                if *next < first[o + 1] {
                    let c = edges[*next].1 as usize;
                    *next += 1;
                    match state.get(c) {
                        Some(&NEW) => {
                            state[c] = OPEN;
                            size[c] = self.st.objs[c].leaf;
                            path.push((c, first[c]));
                        }
                        Some(&DONE) => {
                            size[o] = size[o].saturating_add(size[c]);
                            largest[o] = largest[o].max(size[c]);
                        }
                        _ => {} // a cycle, or an object of another pickle
                    }
                    continue;
                }
                state[o] = DONE;
                path.pop();
                if let Some(&(holder, _)) = path.last() {
                    size[holder] = size[holder].saturating_add(size[o]);
                    largest[holder] = largest[holder].max(size[o]);
                }
            }
        }
        for (o, obj) in self.st.objs.iter().enumerate() {
            if size[o] > self.threshold
                && obj.size <= self.threshold
                && largest[o] <= self.threshold
            {
                self.report.bombs.push(Bomb {
                    offset: obj.at.0,
                    opcode: obj.at.1,
                    size: size[o],
                });
            }
        }
        self.st.edges = edges;
    }

    /// Items `stack[start..]` added to the container at `stack[start - 1]` (APPEND(S),
    /// SETITEM(S), ADDITEMS), with the unpickler's checks.
    fn extend(&mut self, start: usize, what: ObjKind) -> Result<()> {
        if start == 0 || start <= self.fence() || start > self.st.stack.len() {
            return Err(underflow());
        }
        if start == self.st.stack.len() {
            // An empty batch: CPython does nothing, whatever is below.
            return Ok(());
        }
        // CPython adds items with whatever the target has: `__setitem__` for SETITEM(S) (a
        // list takes int and slice keys), `extend` or `append` for APPEND(S), `add` for
        // ADDITEMS. Only a target that cannot have it stops the pickle here; a leaf (a
        // bytearray among them) or a global might, and the scan goes on, as loading may.
        let (target, kind) = match &self.st.stack[start - 1] {
            Sym::Obj(o) => (Some(*o), self.st.objs.get(*o).map(|o| o.kind)),
            Sym::Str(_) => return Err(malformed("items added to a str")),
            _ => (None, None),
        };
        let fails = matches!(
            (what, kind),
            (_, Some(ObjKind::Tuple | ObjKind::FrozenSet))
                | (ObjKind::List, Some(ObjKind::Dict | ObjKind::Set))
                | (ObjKind::Dict, Some(ObjKind::Set))
                | (ObjKind::Set, Some(ObjKind::List | ObjKind::Dict))
        );
        if fails {
            return Err(malformed(
                "items added to a container that cannot take them",
            ));
        }
        if what == ObjKind::Dict && (self.st.stack.len() - start) % 2 != 0 {
            return Err(malformed("odd number of items for SETITEMS"));
        }
        let (sum, max, getattr) = self.absorb(start);
        match (target, kind) {
            (Some(target), Some(k)) if k == what => {
                if self.st.objs[target].getattr == 0 {
                    self.st.objs[target].getattr = getattr;
                }
                self.grow(target, start, sum, max);
            }
            (Some(target), _) => {
                // Items of an instance (or a list's items set by index) go to its own
                // methods.
                self.used(getattr);
                self.grow(target, start, sum, max);
            }
            (None, _) => self.used(getattr),
        }
        self.st.stack.truncate(start);
        Ok(())
    }

    /// A str value from text the input holds, or a leaf if it is not UTF-8 as CPython reads it
    /// (lone surrogates); other invalid UTF-8 is an error, as in the unpickler.
    fn push_str(&mut self, bytes: &[u8]) -> Result<()> {
        let sym = match std::str::from_utf8(bytes) {
            Ok(s) => self.new_str(Arc::from(s)),
            Err(_) => match text::check_utf8(bytes) {
                Err(e) => lone_surrogate_leaf(e)?,
                Ok(()) => Sym::Leaf,
            },
        };
        self.st.stack.push(sym);
        Ok(())
    }

    /// A Python 2 str: ASCII or UTF-8 as it is, anything else as Latin-1 (whichever way the
    /// reader is told to decode it, a global's name in it is the same).
    fn push_py2_str(&mut self, bytes: &[u8]) {
        let s = match std::str::from_utf8(bytes) {
            Ok(s) => Arc::from(s),
            Err(_) => {
                let mut out = Vec::with_capacity(bytes.len().saturating_mul(2));
                text::latin1_to_utf8(bytes, &mut out);
                Arc::from(String::from_utf8_lossy(&out).as_ref())
            }
        };
        let sym = self.new_str(s);
        self.st.stack.push(sym);
    }

    fn new_str(&mut self, s: Arc<str>) -> Sym {
        self.st.strings.push(s);
        Sym::Str(self.st.strings.len() - 1)
    }

    /// A PUT or GET key as CPython's C unpickler reads it (see [`c_text`]).
    fn memo_id(&mut self) -> Result<u64> {
        let line = self.line()?;
        c_text::memo_key(line).ok_or_else(|| malformed("a memo key CPython does not read"))
    }

    fn memo_put(&mut self, id: u64) -> Result<()> {
        let top = *self.top()?;
        match usize::try_from(id) {
            Ok(i) if i < self.st.memo.len() => self.st.memo[i] = Some(top),
            Ok(i) if i == self.st.memo.len() && !self.st.sparse.contains_key(&id) => {
                self.st.memo.push(Some(top))
            }
            _ => {
                self.st.sparse.insert(id, top);
            }
        }
        Ok(())
    }

    fn memo_get(&mut self, id: u64) -> Result<()> {
        let dense = usize::try_from(id)
            .ok()
            .and_then(|i| self.st.memo.get(i).copied().flatten());
        let s = dense
            .or_else(|| self.st.sparse.get(&id).copied())
            .ok_or_else(|| {
                Error::new(ErrorCode::MemoMissing {
                    key: id,
                    later: self.report.pickles > 0,
                    scanned: true,
                })
            })?;
        self.st.stack.push(s);
        Ok(())
    }

    // Globals.

    fn add_finding(&mut self, finding: Finding, uses: Uses) -> usize {
        self.report.globals.push(finding);
        self.uses.push(uses);
        self.report.globals.len() - 1
    }

    fn judge(module: &str, name: &str) -> (Verdict, Option<&'static str>) {
        match class::implausible(module, name) {
            Some(why) => (
                Verdict::Dangerous,
                Some(why.split(';').next().unwrap_or(why)),
            ),
            None => (class::verdict(module, name), None),
        }
    }

    /// A global named by the pickle, mapped from Python 2 names as the reader maps them.
    fn named(&mut self, module: Arc<str>, name: Arc<str>) -> usize {
        let (m, n) = if self.st.proto < 3 {
            class::fix_import(&module, &name)
        } else {
            (&*module, &*name)
        };
        let (verdict, note) = Self::judge(m, n);
        let getattr = (m, n) == ("builtins", "getattr");
        let mapped = if (m, n) != (&*module, &*name) {
            Some((Arc::<str>::from(m), Arc::<str>::from(n)))
        } else {
            None
        };
        let (module, name, original) = match mapped {
            Some((m, n)) => (m, n, Some(Box::new((module, name)))),
            None => (module, name, None),
        };
        let finding = Finding {
            module,
            name,
            original,
            extension: None,
            offset: self.pos,
            opcode: self.op,
            verdict,
            note,
        };
        self.add_finding(
            finding,
            Uses {
                getattr,
                ..Uses::default()
            },
        )
    }

    /// A global the pickle names without saying what it is.
    fn opaque(&mut self, extension: Option<i32>, verdict: Verdict, note: &'static str) -> usize {
        let empty: Arc<str> = Arc::from("");
        let finding = Finding {
            module: empty.clone(),
            name: empty,
            original: None,
            extension,
            offset: self.pos,
            opcode: self.op,
            verdict,
            note: Some(note),
        };
        self.add_finding(
            finding,
            Uses {
                opaque: true,
                ..Uses::default()
            },
        )
    }

    /// `getattr(outer, attr)`: the global `module.Outer.attr`.
    fn nested(&mut self, outer: usize, attr: &str) -> usize {
        let Some(o) = self.report.globals.get(outer) else {
            return self.opaque(None, Verdict::Dangerous, "getattr of an unknown global");
        };
        if self.uses.get(outer).is_some_and(|u| u.opaque) || Arc::ptr_eq(&o.name, &self.elided) {
            return self.opaque(
                None,
                Verdict::Dangerous,
                "getattr of a global the pickle does not name",
            );
        }
        let module = o.module.clone();
        let full_len = o.name.len().saturating_add(1).saturating_add(attr.len());
        let (name, verdict, note) = if module.len().saturating_add(full_len) > MAX_NAME {
            (
                self.elided.clone(),
                Verdict::Dangerous,
                "getattr making a name longer than any real global",
            )
        } else {
            let full = format!("{}.{attr}", o.name);
            let (verdict, _) = Self::judge(&module, &full);
            let name = if full.len() <= self.name_budget {
                self.name_budget -= full.len();
                Arc::from(full)
            } else {
                self.elided.clone()
            };
            (name, verdict, "getattr(module.Outer, 'name')")
        };
        let finding = Finding {
            module,
            name,
            original: None,
            extension: None,
            offset: self.pos,
            opcode: self.op,
            verdict,
            note: Some(note),
        };
        self.add_finding(finding, Uses::default())
    }

    /// Calling `callable` (REDUCE, INST, OBJ) with a tuple of `args_size` values whose items are
    /// `pair` if there are two of them: getattr's shape is checked, everything else is an opaque
    /// result, which holds `args` (the argument tuple, or the arguments themselves).
    fn call(
        &mut self,
        callable: &Sym,
        pair: Option<(Sym, Sym)>,
        args_size: u64,
        args: &[Sym],
    ) -> Result<()> {
        let callable_kind = match callable {
            Sym::Obj(o) => self.st.objs.get(*o).map(|o| o.kind),
            _ => None,
        };
        if matches!(callable, Sym::Leaf | Sym::Data(_) | Sym::Str(_))
            || callable_kind.is_some_and(|k| k != ObjKind::Made)
        {
            return Err(malformed("cannot call a value that is not callable"));
        }
        if let Sym::Global(g) = callable {
            if self.uses.get(*g).is_some_and(|u| u.getattr) {
                if let Some((Sym::Global(outer), Sym::Str(attr))) = pair {
                    self.uses[*g].nested += 1;
                    let attr = self.st.strings[attr].clone();
                    let id = self.nested(outer, &attr);
                    self.st.stack.push(Sym::Global(id));
                    return Ok(());
                }
                self.uses[*g].other = true;
            }
        }
        let size = args_size.saturating_add(1);
        self.bomb_check(0, size, args_size);
        self.push_obj(ObjKind::Made, size, None);
        self.link_newest(args);
        // The class called, or given to `copyreg.__newobj__(cls, ...)` (or `__newobj_ex__`):
        // its arguments' tuple knows whether it starts with one returning shared members.
        let shared = match (callable, args.first()) {
            (&Sym::Global(g), Some(&Sym::Obj(t)))
                if self.report.globals.get(g).is_some_and(|f| {
                    f.module() == "copyreg" && matches!(f.name(), "__newobj__" | "__newobj_ex__")
                }) =>
            {
                self.st.objs.get(t).map_or(0, |t| t.shared)
            }
            (&Sym::Global(g), _) => self.shared_class(g),
            _ => 0,
        };
        if let Some(o) = self.st.objs.last_mut() {
            o.shared = shared;
        }
        Ok(())
    }

    /// `g + 1` if finding `g` is a class whose call returns one of its shared members (an
    /// Enum's), which BUILD must not change; else 0.
    fn shared_class(&self, g: usize) -> u32 {
        let shared = self
            .report
            .globals
            .get(g)
            .is_some_and(|f| class::returns_shared_member(f.module(), f.name()));
        if shared {
            u32::try_from(g + 1).unwrap_or(0)
        } else {
            0
        }
    }

    /// The object just made came from `cls.__new__(cls, ...)` (NEWOBJ, NEWOBJ_EX).
    fn mark_shared(&mut self, cls: &Sym) {
        if let &Sym::Global(g) = cls {
            let shared = self.shared_class(g);
            if let Some(o) = self.st.objs.last_mut() {
                o.shared = shared;
            }
        }
    }

    /// The items and size of an argument tuple; `None` items if the tuple is not a 2-tuple
    /// known here. A value known not to be a tuple is an error, as in CPython.
    fn tuple_args(&self, args: &Sym, what: &'static str) -> Result<(Option<(Sym, Sym)>, u64)> {
        match args {
            Sym::Obj(o) => match self.st.objs.get(*o) {
                Some(Obj {
                    kind: ObjKind::Tuple,
                    size,
                    pair,
                    ..
                }) => Ok((
                    pair.checked_sub(1)
                        .and_then(|i| self.st.pairs.get(i as usize).copied()),
                    *size,
                )),
                Some(Obj {
                    kind: ObjKind::Made,
                    size,
                    ..
                }) => Ok((None, *size)),
                _ => Err(malformed(what)),
            },
            _ => Err(malformed(what)),
        }
    }

    /// A class argument (NEWOBJ, NEWOBJ_EX): getattr there is a use other than nested classes.
    fn class_arg(&mut self, cls: &Sym) -> Result<()> {
        match cls {
            Sym::Global(g) => {
                if let Some(u) = self.uses.get_mut(*g) {
                    u.other |= u.getattr;
                }
                Ok(())
            }
            Sym::Obj(o) if self.made(*o) => Ok(()),
            _ => Err(malformed("NEWOBJ class argument is not a class")),
        }
    }

    /// Execute one opcode symbolically; `true` at STOP.
    fn step(&mut self, op: u8) -> Result<bool> {
        match op {
            // Numbers and other leaves.
            BININT1 => {
                self.fixed::<1>()?;
                self.st.stack.push(Sym::Leaf);
            }
            BININT2 => {
                self.fixed::<2>()?;
                self.st.stack.push(Sym::Leaf);
            }
            BININT => {
                self.fixed::<4>()?;
                self.st.stack.push(Sym::Leaf);
            }
            BINFLOAT => {
                self.fixed::<8>()?;
                self.st.stack.push(Sym::Leaf);
            }
            // Text numbers as CPython's C unpickler reads them, which is more than the reader
            // does (see [`c_text`]).
            INT | LONG | FLOAT => {
                let line = self.line()?;
                let read = match op {
                    INT => c_text::int_line(line),
                    LONG => c_text::long_line(line),
                    _ => c_text::float_line(line),
                };
                if !read {
                    return Err(malformed("a text number CPython does not read"));
                }
                self.st.stack.push(Sym::Leaf);
            }
            LONG1 => {
                let [n] = self.fixed::<1>()?;
                self.counted(u64::from(n))?;
                self.st.stack.push(data(u64::from(n)));
            }
            LONG4 => {
                let n = self.i32_len("LONG4 has a negative length")?;
                self.counted(n)?;
                self.st.stack.push(data(n));
            }
            SHORT_BINBYTES => {
                let [n] = self.fixed::<1>()?;
                self.counted(u64::from(n))?;
                self.st.stack.push(data(u64::from(n)));
            }
            BINBYTES => {
                let n = self.u32_len()?;
                self.counted(n)?;
                self.st.stack.push(data(n));
            }
            BINBYTES8 | BYTEARRAY8 => {
                let n = self.u64_len()?;
                self.counted(n)?;
                self.st.stack.push(data(n));
            }
            NONE | NEWTRUE | NEWFALSE | NEXT_BUFFER => self.st.stack.push(Sym::Leaf),
            READONLY_BUFFER => {
                self.top()?;
            }
            PERSID => {
                self.line()?;
                self.st.stack.push(Sym::Leaf);
            }
            BINPERSID => {
                let pid = self.pop()?;
                self.use_value(&pid);
                self.st.stack.push(Sym::Leaf);
            }

            // Strings.
            SHORT_BINUNICODE => {
                let [n] = self.fixed::<1>()?;
                let b = self.counted(u64::from(n))?;
                self.push_str(b)?;
            }
            BINUNICODE => {
                let n = self.u32_len()?;
                let b = self.counted(n)?;
                self.push_str(b)?;
            }
            BINUNICODE8 => {
                let n = self.u64_len()?;
                let b = self.counted(n)?;
                self.push_str(b)?;
            }
            UNICODE => {
                let line = self.line()?;
                if line.is_ascii() && !line.contains(&b'\\') {
                    self.push_str(line)?;
                } else {
                    let mut out = Vec::with_capacity(line.len());
                    match text::raw_unicode_escape(line, &mut out) {
                        Ok(()) => self.push_str(&out)?,
                        Err(e) => {
                            let leaf = lone_surrogate_leaf(e)?;
                            self.st.stack.push(leaf);
                        }
                    }
                }
            }
            SHORT_BINSTRING => {
                let [n] = self.fixed::<1>()?;
                let b = self.counted(u64::from(n))?;
                self.push_py2_str(b);
            }
            BINSTRING => {
                let n = self.i32_len("BINSTRING has a negative length")?;
                let b = self.counted(n)?;
                self.push_py2_str(b);
            }
            STRING => {
                let line = self.line()?;
                let body = text::unquote_string(line)?;
                self.push_py2_str(&body);
            }

            // The memo.
            MEMOIZE => {
                let id = (self.st.memo.len() + self.st.sparse.len()) as u64;
                self.memo_put(id)?;
            }
            BINPUT => {
                let [id] = self.fixed::<1>()?;
                self.memo_put(u64::from(id))?;
            }
            LONG_BINPUT => {
                let id = self.u32_len()?;
                self.memo_put(id)?;
            }
            PUT => {
                let id = self.memo_id()?;
                self.memo_put(id)?;
            }
            BINGET => {
                let [id] = self.fixed::<1>()?;
                self.memo_get(u64::from(id))?;
            }
            LONG_BINGET => {
                let id = self.u32_len()?;
                self.memo_get(id)?;
            }
            GET => {
                let id = self.memo_id()?;
                self.memo_get(id)?;
            }

            // Stack shuffling.
            MARK => self.st.marks.push(self.st.stack.len()),
            POP => {
                let len = self.st.stack.len();
                if self.st.marks.last() == Some(&len) {
                    // CPython pops a mark that sits on top of the stack.
                    self.st.marks.pop();
                } else {
                    self.pop()?;
                }
            }
            POP_MARK => {
                let start = self.pop_mark()?;
                self.st.stack.truncate(start);
            }
            DUP => {
                let top = *self.top()?;
                self.st.stack.push(top);
            }

            // Containers.
            EMPTY_LIST => self.push_obj(ObjKind::List, 1, None),
            EMPTY_DICT => self.push_obj(ObjKind::Dict, 1, None),
            EMPTY_SET => self.push_obj(ObjKind::Set, 1, None),
            EMPTY_TUPLE => self.push_obj(ObjKind::Tuple, 1, None),
            APPEND => {
                let len = self.st.stack.len();
                if len < 2 || len - 1 <= self.fence() {
                    return Err(underflow());
                }
                self.extend(len - 1, ObjKind::List)?;
            }
            SETITEM => {
                let len = self.st.stack.len();
                if len < 3 || len - 2 <= self.fence() {
                    return Err(underflow());
                }
                self.extend(len - 2, ObjKind::Dict)?;
            }
            APPENDS => {
                let start = self.pop_mark()?;
                self.extend(start, ObjKind::List)?;
            }
            SETITEMS => {
                let start = self.pop_mark()?;
                self.extend(start, ObjKind::Dict)?;
            }
            ADDITEMS => {
                let start = self.pop_mark()?;
                self.extend(start, ObjKind::Set)?;
            }
            TUPLE1 | TUPLE2 | TUPLE3 => {
                let n = usize::from(op - TUPLE1 + 1);
                let len = self.st.stack.len();
                if len < n || len - n < self.fence() {
                    return Err(underflow());
                }
                self.collect(len - n, ObjKind::Tuple);
            }
            TUPLE | LIST | DICT | FROZENSET => {
                let start = self.pop_mark()?;
                let start = start.min(self.st.stack.len());
                let kind = match op {
                    TUPLE => ObjKind::Tuple,
                    LIST => ObjKind::List,
                    FROZENSET => ObjKind::FrozenSet,
                    _ => {
                        if (self.st.stack.len() - start) % 2 != 0 {
                            return Err(malformed("odd number of items for DICT"));
                        }
                        ObjKind::Dict
                    }
                };
                self.collect(start, kind);
            }

            // Globals.
            GLOBAL | INST => {
                let module = self.line()?;
                let name = self.line()?;
                let (Ok(module), Ok(name)) =
                    (std::str::from_utf8(module), std::str::from_utf8(name))
                else {
                    return Err(malformed("a global's module or name is not UTF-8"));
                };
                let id = self.named(Arc::from(module), Arc::from(name));
                if op == GLOBAL {
                    self.st.stack.push(Sym::Global(id));
                } else {
                    let start = self.pop_mark()?.min(self.st.stack.len());
                    let (size, _, getattr) = self.absorb(start);
                    self.used(getattr);
                    let pair = match self.st.stack.get(start..) {
                        Some(&[a, b]) => Some((a, b)),
                        _ => None,
                    };
                    let args = self.st.stack.split_off(start);
                    self.call(&Sym::Global(id), pair, size, &args)?;
                }
            }
            STACK_GLOBAL => {
                let name = self.pop()?;
                let module = self.pop()?;
                let id = match (module, name) {
                    (Sym::Str(m), Sym::Str(n)) => {
                        let (m, n) = (self.st.strings[m].clone(), self.st.strings[n].clone());
                        self.named(m, n)
                    }
                    (m, n) => {
                        let start = self.st.stack.len();
                        self.st.stack.push(m);
                        self.st.stack.push(n);
                        let (_, _, getattr) = self.absorb(start);
                        self.used(getattr);
                        self.st.stack.truncate(start);
                        self.opaque(
                            None,
                            Verdict::Dangerous,
                            "its module and name are not strings known before the pickle runs",
                        )
                    }
                };
                self.st.stack.push(Sym::Global(id));
            }
            EXT1 | EXT2 | EXT4 => {
                let code = match op {
                    EXT1 => i32::from(self.fixed::<1>()?[0]),
                    EXT2 => i32::from(u16::from_le_bytes(self.fixed()?)),
                    _ => i32::from_le_bytes(self.fixed()?),
                };
                if code <= 0 {
                    return Err(malformed("EXT specifies code <= 0"));
                }
                let id = self.opaque(
                    Some(code),
                    Verdict::Unknown,
                    "an extension code: what it names is in the loading process's copyreg registry",
                );
                self.st.stack.push(Sym::Global(id));
            }

            // Calls.
            REDUCE => {
                let args = self.pop()?;
                let callable = self.pop()?;
                let (pair, size) = self.tuple_args(&args, "REDUCE arguments must be a tuple")?;
                let nested = matches!(callable, Sym::Global(g) if self.uses.get(g).is_some_and(|u| u.getattr))
                    && matches!(pair, Some((Sym::Global(_), Sym::Str(_))));
                if !nested {
                    self.use_value(&args);
                }
                self.call(&callable, pair, size, &[args])?;
            }
            OBJ => {
                let start = self.pop_mark()?;
                if self.st.stack.len() <= start {
                    return Err(underflow());
                }
                let callable = self.st.stack[start];
                let (size, _, getattr) = self.absorb(start + 1);
                self.used(getattr);
                let pair = match self.st.stack.get(start + 1..) {
                    Some(&[a, b]) => Some((a, b)),
                    _ => None,
                };
                let args = self.st.stack.split_off(start + 1);
                self.st.stack.truncate(start);
                self.call(&callable, pair, size, &args)?;
            }
            NEWOBJ => {
                let args = self.pop()?;
                let cls = self.pop()?;
                let (_, size) = self.tuple_args(&args, "NEWOBJ expected an argument tuple")?;
                self.use_value(&args);
                self.class_arg(&cls)?;
                let size = size.saturating_add(1);
                self.bomb_check(0, size, size - 1);
                self.push_obj(ObjKind::Made, size, None);
                self.link_newest(&[args]);
                self.mark_shared(&cls);
            }
            NEWOBJ_EX => {
                let kwargs = self.pop()?;
                let args = self.pop()?;
                let cls = self.pop()?;
                let bad = "NEWOBJ_EX expects an argument tuple and a dict";
                let (_, size) = self.tuple_args(&args, bad)?;
                self.use_value(&args);
                self.use_value(&kwargs);
                let kw_size = match &kwargs {
                    Sym::Obj(o) => match self.st.objs.get(*o) {
                        Some(o) if matches!(o.kind, ObjKind::Dict | ObjKind::Made) => o.size,
                        _ => return Err(malformed(bad)),
                    },
                    _ => return Err(malformed(bad)),
                };
                self.class_arg(&cls)?;
                let size = size.saturating_add(kw_size).saturating_add(1);
                self.bomb_check(0, size, size - 1);
                self.push_obj(ObjKind::Made, size, None);
                self.link_newest(&[args, kwargs]);
                self.mark_shared(&cls);
            }
            BUILD => {
                let state = self.pop()?;
                let target = match self.top()? {
                    Sym::Obj(o) if self.made(*o) => *o,
                    // CPython sets nothing for a state of None or (None, {}), whatever the
                    // target.
                    _ if self.may_set_nothing(&state) => return Ok(false),
                    // Attributes set on a class or function: the program that loads it is
                    // changed (`setattr(fractions.Fraction, '__str__', getattr)`).
                    &Sym::Global(g) => {
                        self.patched(g);
                        self.use_value(&state);
                        return Ok(false);
                    }
                    _ => return Err(malformed("BUILD on a value that has no state to set")),
                };
                // An Enum's member is shared by the whole program: setting its attributes
                // changes it everywhere.
                let shared = self.st.objs[target].shared;
                if shared != 0 && !self.may_set_nothing(&state) {
                    self.patched(shared as usize - 1);
                }
                let start = self.st.stack.len();
                self.st.stack.push(state);
                let (sum, max, getattr) = self.absorb(start);
                self.used(getattr);
                self.grow(target, start, sum, max);
                self.st.stack.truncate(start);
            }

            // Framing and the end.
            PROTO => {
                let [v] = self.fixed::<1>()?;
                if v > HIGHEST_PROTOCOL {
                    return Err(Error::new(ErrorCode::Protocol(u64::from(v))));
                }
                self.st.proto = v;
            }
            FRAME => {
                // As `pickle.loads` reads a frame: the bytes it claims must be there, and
                // that is all (it reads on across its end, or into a frame within it, where
                // the reader refuses the pickle); a scan that stopped there would miss
                // whatever came after.
                let n = self.u64_len()?;
                let left = (self.input.len() as u64).saturating_sub(self.r.position());
                if n > left {
                    return Err(Error::new(ErrorCode::Truncated { needed: n, left }));
                }
                // The outermost frame's end: an unpickler that takes whole frames goes on
                // from there after a STOP inside a frame within it.
                self.frame_end = self.frame_end.max(self.r.position() + n);
            }
            STOP => {
                // The result reaches the caller: a getattr in it is a use (the reader refuses
                // it there).
                let result = *self.top()?;
                self.use_value(&result);
                if self.r.position() < self.frame_end {
                    // The next pickle of a stream begins after the STOP for one unpickler,
                    // at the frame's end for another (CPython's, reading a file, takes the
                    // whole frame): which one hides the other.
                    return Err(malformed("STOP before the end of the current FRAME"));
                }
                return Ok(true);
            }
            other => return Err(Error::new(ErrorCode::InvalidOpcode(other))),
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(r: &Report) -> Vec<(String, String, Verdict)> {
        r.globals
            .iter()
            .map(|g| (g.module().to_string(), g.name().to_string(), g.verdict()))
            .collect()
    }

    #[test]
    fn memoized_stack_global_operands_are_found() {
        // 'os' and 'system' memoized, other values between, then fetched back.
        let p = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94K\x01K\x020h\x00h\x01\x93)R.";
        let r = scan(p);
        assert!(r.error.is_none(), "{r}");
        assert_eq!(
            names(&r),
            [("os".into(), "system".into(), Verdict::Dangerous)]
        );
        assert_eq!(r.globals[0].offset(), 25);
    }

    #[test]
    fn stack_global_of_unknown_operands_is_dangerous() {
        // STACK_GLOBAL of two ints.
        let r = scan(b"\x80\x04K\x01K\x02\x93.");
        assert_eq!(r.globals[0].verdict(), Verdict::Dangerous);
        assert_eq!(r.globals[0].module(), "");
        // Of the result of a call.
        let r = scan(b"\x80\x04\x8c\x01a\x8c\x01b\x93)R\x8c\x01c\x93.");
        assert_eq!(r.globals[1].verdict(), Verdict::Dangerous);
    }

    #[test]
    fn python2_names_are_mapped_below_protocol_3() {
        let r = scan(b"c__builtin__\nset\n)R.");
        let g = &r.globals[0];
        assert_eq!((g.module(), g.name()), ("builtins", "set"));
        assert_eq!(g.original(), Some(("__builtin__", "set")));
        assert_eq!(g.verdict(), Verdict::Safe);
        assert!(r.is_safe(), "{r}");
        // At protocol 3 the name is kept; eval is dangerous under either name.
        let r = scan(b"\x80\x03c__builtin__\neval\n.");
        let g = &r.globals[0];
        assert_eq!(
            (g.module(), g.name(), g.original()),
            ("__builtin__", "eval", None)
        );
        assert_eq!(g.verdict(), Verdict::Dangerous);
    }

    #[test]
    fn getattr_of_a_nested_class_is_the_nested_global() {
        // getattr(mod.Outer, 'Inner'), as protocols 0-3 write a nested class.
        let p = b"\x80\x02cbuiltins\ngetattr\ncmod\nOuter\nX\x05\x00\x00\x00Inner\x86R.";
        let r = scan(p);
        assert!(r.error.is_none(), "{r}");
        assert_eq!(
            names(&r),
            [
                ("builtins".into(), "getattr".into(), Verdict::Safe),
                ("mod".into(), "Outer".into(), Verdict::Unknown),
                ("mod".into(), "Outer.Inner".into(), Verdict::Unknown),
            ]
        );
        assert_eq!(r.globals[2].opcode_name(), "REDUCE");
        // getattr(builtins.object, '__subclasses__') reaches into the interpreter.
        let p =
            b"\x80\x02cbuiltins\ngetattr\ncbuiltins\nobject\nX\x0e\x00\x00\x00__subclasses__\x86R.";
        let r = scan(p);
        assert_eq!(r.globals[2].name(), "object.__subclasses__");
        assert_eq!(r.globals[2].verdict(), Verdict::Dangerous);
        // getattr called any other way is dangerous itself.
        let p = b"\x80\x02cbuiltins\ngetattr\nK\x01X\x01\x00\x00\x00a\x86R.";
        let r = scan(p);
        assert_eq!(r.globals[0].verdict(), Verdict::Dangerous);
    }

    #[test]
    fn memo_bombs_are_flagged_without_being_built() {
        // l0 = [1]*10; l1 = [l0]*10; ... 9 levels: 10^9 values from a few hundred bytes.
        let mut p = b"\x80\x04(".to_vec();
        p.extend(std::iter::repeat(b"K\x01".as_slice()).take(10).flatten());
        p.extend(b"l\x94");
        for level in 0..9u8 {
            p.push(b'(');
            for _ in 0..10 {
                p.extend([b'h', level]);
            }
            p.extend(b"l\x94");
        }
        p.push(b'.');
        let r = scan(&p);
        assert!(r.error.is_none(), "{r}");
        assert_eq!(r.bombs.len(), 1, "{r}");
        assert!(r.bombs[0].size() > Bomb::LIMIT);
        assert_eq!(r.bombs[0].opcode_name(), "LIST");
        assert!(r.is_dangerous());
        // DUP doubling a list into itself.
        let mut p = b"\x80\x04]".to_vec();
        for _ in 0..64 {
            p.extend(b"2\x94(h\x00e");
        }
        let r = scan(&p);
        assert!(!r.bombs.is_empty());
    }

    #[test]
    fn streams_truncation_and_garbage() {
        let r = scan(b"K\x01.K\x02.");
        assert_eq!((r.pickles, r.error.is_none()), (2, true));
        let r = scan(b"");
        assert!(r.error.is_some() && !r.is_safe());
        let r = scan(b"cos\nsystem\n(S'ls'\ntR");
        assert_eq!(r.globals[0].verdict(), Verdict::Dangerous);
        assert!(r.error.as_ref().unwrap().is_truncated());
        let r = scan(b"cos\nsys");
        assert_eq!(r.error.as_ref().unwrap().opcode_name(), Some("GLOBAL"));
        let r = scan(b"\x80\x04\xff");
        assert_eq!(r.error.as_ref().unwrap().offset(), Some(2));
    }

    #[test]
    fn extension_codes_are_unknown() {
        let r = scan(b"\x80\x02\x82\xf0)R.");
        let g = &r.globals[0];
        assert_eq!(
            (g.extension_code(), g.verdict()),
            (Some(240), Verdict::Unknown)
        );
        assert!(!r.is_safe());
        assert!(scan(b"\x80\x02\x84\x00\x00\x00\x80.").error.is_some());
    }
}
