//! The crate's error type: what went wrong, where in the input, and which opcode was running.

use std::fmt::{self, Debug, Display};
use std::io;

use crate::opcode;

/// `Result<T, pypickle::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

/// An error reading or writing a pickle.
///
/// It carries what went wrong ([`Error::category`] to branch on), the byte offset of the opcode
/// involved ([`Error::offset`]) and that opcode ([`Error::opcode`]). Its `Display` is one
/// sentence, such as `truncated BINUNICODE at offset 12: 3 bytes needed, 1 left`.
///
/// The error is one pointer wide so that `Result<T>` stays small on the hot path.
///
/// ```
/// use pypickle::{Category, Value};
///
/// // The first 10 bytes of pickle.dumps('hello', protocol=2): the str is cut short.
/// let err = pypickle::from_slice::<Value>(b"\x80\x02X\x05\x00\x00\x00hel").unwrap_err();
/// assert_eq!(err.category(), Category::Truncated);
/// assert_eq!((err.offset(), err.opcode_name()), (Some(2), Some("BINUNICODE")));
/// assert_eq!(err.to_string(), "truncated BINUNICODE at offset 2: 5 bytes needed, 3 left");
///
/// // A global that is not plain data: refused, with its name.
/// let err = pypickle::from_slice::<Value>(b"cos\nsystem\n.").unwrap_err();
/// assert_eq!(err.category(), Category::Refused);
/// assert_eq!(err.refused_global(), Some(("os", "system")));
/// ```
pub struct Error {
    inner: Box<ErrorImpl>,
}

struct ErrorImpl {
    code: ErrorCode,
    offset: Option<u64>,
    opcode: Option<u8>,
    /// Where the failing value was, innermost segment first (pushed as the error leaves each
    /// container on its way out).
    path: Vec<Segment>,
    /// Set as the error leaves an item or value a container handed over, for that container
    /// to add the item's segment to `path` (it alone knows the index or key): how many items
    /// the container had left to hand over then.
    pending: Option<usize>,
}

/// One step of an [`Error::path`]: an item of a sequence or the value under a dict key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Segment {
    /// An item of a list, tuple, set or frozenset, counted from 0.
    Index(usize),
    /// The value of a dict entry, or an object's attribute, whose key is a str (or an enum
    /// variant's payload, under the variant's name). A key past 60 characters is cut there
    /// and ends with `…`.
    Key(String),
    /// The value of a dict entry whose key is not a str: the key as [`Value`](crate::Value)
    /// displays it (Python's `repr()` for plain data), cut as `Key` is; `<tuple>` and the
    /// like for a key too large to show.
    OtherKey(String),
}

impl Segment {
    /// The segment of the value under the str `key`, cut to [`KEY_CHARS`] characters.
    pub(crate) fn key(key: &str) -> Segment {
        Segment::Key(shortened(key))
    }

    /// The segment of the value under a key of another type, whose `repr()` is `repr`, cut
    /// to [`KEY_CHARS`] characters.
    pub(crate) fn other_key(repr: &str) -> Segment {
        Segment::OtherKey(shortened(repr))
    }

    /// The segment of the value under the key `key`: only as much of a long key's `repr()` is
    /// made as is shown.
    #[cold]
    pub(crate) fn of_key(key: &crate::Value) -> Segment {
        match key {
            crate::Value::Str(s) => Segment::key(s),
            other => Segment::OtherKey(shortened(other)),
        }
    }
}

/// The longest key a path shows whole, in characters.
const KEY_CHARS: usize = 60;

/// What `value` displays, or its first [`KEY_CHARS`] characters and an ellipsis: the display
/// stops there, so that a long key's text is made only as far as it is shown.
fn shortened(value: &(impl Display + ?Sized)) -> String {
    struct Upto(String, usize);
    impl fmt::Write for Upto {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for c in s.chars() {
                if self.1 == KEY_CHARS {
                    self.0.push('…');
                    return Err(fmt::Error);
                }
                self.0.push(c);
                self.1 += 1;
            }
            Ok(())
        }
    }
    let mut upto = Upto(String::new(), 0);
    // An error is the display cut short, which is the point.
    let _ = fmt::Write::write_fmt(&mut upto, format_args!("{value}"));
    upto.0
}

/// Where in the data the value an error is about sits: the list positions and dict keys
/// from the root, as [`Error::path`] gives them.
///
/// It displays as a Rust or Python reader would write the access: `[3].tags[0]`,
/// `scores['full name']`, `by_id[17]`.
#[derive(Clone, Copy, Debug)]
pub struct Path<'a>(&'a [Segment]);

impl<'a> Path<'a> {
    /// The segments from the root inwards.
    pub fn segments(&self) -> impl DoubleEndedIterator<Item = &'a Segment> + ExactSizeIterator {
        self.0.iter().rev()
    }
}

/// A str key that reads as a field name (`.name`) rather than a subscript (`['a b']`).
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// How many segments a long path shows at each end: past three times that, the ones between
/// are counted, not shown (an error 300 levels deep would otherwise name each of them).
const PATH_ENDS: usize = 8;

/// Escaped as an error's message is (keys come from the data, and may hold control and
/// text-direction characters). A path of more than 24 segments shows its first 8, the number
/// left out (`…284 levels…`) and its last 8; [`segments`](Path::segments) gives them all.
impl Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        let f = &mut EscapingWriter(f);
        let n = self.0.len();
        for (i, segment) in self.segments().enumerate() {
            if n > 3 * PATH_ENDS && (PATH_ENDS..n - PATH_ENDS).contains(&i) {
                if i == PATH_ENDS {
                    write!(f, "…{} levels…", n - 2 * PATH_ENDS)?;
                }
                continue;
            }
            match segment {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(key) if is_identifier(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => {
                    f.write_str("[")?;
                    crate::value::display::write_str_repr(f, key)?;
                    f.write_str("]")?;
                }
                Segment::OtherKey(repr) => write!(f, "[{repr}]")?,
            }
        }
        Ok(())
    }
}

/// The broad class of an [`Error`], for callers that branch on what went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// The input ended before the pickle did.
    Truncated,
    /// The input is not a well-formed pickle (bad opcode, bad stack, bad argument, bytes after
    /// `STOP`, ...).
    Invalid,
    /// The pickle names a global that the policy does not allow.
    Refused,
    /// A resource limit of [`DeOptions`](crate::DeOptions) was hit.
    Limit,
    /// A well-formed pickle uses a feature this crate does not handle without a hook.
    Unsupported,
    /// The pickle is fine but its data does not fit the Rust type asked for.
    Type,
    /// The value cannot be written as a pickle.
    Unserializable,
    /// Reading from or writing to an I/O stream failed.
    Io,
    /// An error made by a `Serialize` or `Deserialize` implementation.
    Custom,
}

/// Which configurable limit an [`Error`] of category [`Category::Limit`] hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Nesting depth of containers ([`DeOptions::max_depth`](crate::DeOptions::max_depth)).
    Depth,
    /// Number of memo entries ([`DeOptions::max_memo`](crate::DeOptions::max_memo)).
    Memo,
    /// Values reached a second time through shared references
    /// ([`DeOptions::max_expansion`](crate::DeOptions::max_expansion)).
    Expansion,
    /// Number of values the pickle builds ([`DeOptions::max_nodes`](crate::DeOptions::max_nodes)).
    Nodes,
    /// Decimal digits in a text integer
    /// ([`DeOptions::max_int_digits`](crate::DeOptions::max_int_digits)).
    IntDigits,
    /// Bytes a compressed joblib file decompresses to
    /// ([`DeOptions::max_decompressed`](crate::DeOptions::max_decompressed)).
    Decompressed,
}

impl Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Depth => "max_depth",
            Limit::Memo => "max_memo",
            Limit::Expansion => "max_expansion",
            Limit::Nodes => "max_nodes",
            Limit::IntDigits => "max_int_digits",
            Limit::Decompressed => "max_decompressed",
        })
    }
}

/// What a missing memo key's message adds in a pickle after the first of a stream.
const LATER_PICKLE_MEMO: &str =
    ": a pickle after the first of a stream refers to the memo of those \
    before it when one pickle.Pickler wrote them all, and each is read on its own here, as by \
    repeated pickle.load (Deserializer::keep_memo(true) reads them as one reused \
    pickle.Unpickler does; or the writer can call the Pickler's clear_memo() after each dump, \
    or use pickle.dump)";

/// [`LATER_PICKLE_MEMO`] for `scan`, which follows each pickle on its own.
const LATER_PICKLE_MEMO_SCANNED: &str =
    ": a pickle after the first of a stream refers to the memo of those \
    before it when one pickle.Pickler wrote them all; scan follows each pickle on its own, as \
    repeated pickle.load reads them, so it cannot follow what this one fetches from an earlier \
    one's memo (a reused pickle.Unpickler would), and stops here";

/// What a limit's message adds: for the one that plain data can meet, what it counts and how a
/// caller who trusts the pickle lets it through.
fn limit_hint(which: Limit) -> &'static str {
    match which {
        Limit::Expansion => {
            ": values reached again through shared references (one list or str referenced over \
             and over) would cost more than that; for a trusted pickle, raise \
             DeOptions::max_expansion"
        }
        _ => "",
    }
}

/// What went wrong, without the position.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ErrorCode {
    #[error("{needed} {} needed, {left} left", if *needed == 1 { "byte" } else { "bytes" })]
    Truncated { needed: u64, left: u64 },
    #[error("no newline before the end of the input")]
    NoNewline,
    #[error("input ended without a STOP opcode")]
    NoStop,
    #[error("empty input: no pickle to read")]
    Empty,
    #[error("invalid opcode byte 0x{0:02x}")]
    InvalidOpcode(u8),
    #[error("{0}")]
    Malformed(&'static str),
    #[error("{0}")]
    MalformedOwned(Box<str>),
    #[error("stack underflow: the opcode needs more values than the stack holds")]
    StackUnderflow,
    #[error("no MARK on the stack")]
    NoMark,
    /// `later`: in a pickle after the first of a stream, which may have been written to share
    /// the memo of those before it; `scanned`: met by `scan`, which has no option to share it.
    #[error("memo key {key} not found{}", match (*later, *scanned) {
        (false, _) => "",
        (true, false) => LATER_PICKLE_MEMO,
        (true, true) => LATER_PICKLE_MEMO_SCANNED,
    })]
    MemoMissing {
        key: u64,
        later: bool,
        scanned: bool,
    },
    #[error("unsupported pickle protocol {0} (this crate reads 0 to 5)")]
    Protocol(u64),
    #[error("global {module}.{name} is refused: {why}")]
    RefusedGlobal {
        module: Box<str>,
        name: Box<str>,
        why: &'static str,
    },
    #[error("{0} is not supported without a hook")]
    NeedsHook(&'static str),
    #[error("{0}")]
    Unsupported(Box<str>),
    #[error("limit {which} ({limit}) exceeded{}", limit_hint(*.which))]
    Limit { which: Limit, limit: u64 },
    #[error("{} after the pickle's STOP", match .0 { Some(1) => "1 byte of trailing data".to_string(), Some(n) => format!("{n} bytes of trailing data"), None => "trailing data".to_string() })]
    TrailingData(Option<u64>),
    /// `Deserializer::end` before any pickle was read, with input left.
    #[error("{}, and no pickle was read from it", match .0 { Some(1) => "1 byte of input".to_string(), Some(n) => format!("{n} bytes of input"), None => "unread input".to_string() })]
    UnreadInput(Option<u64>),
    #[error("cycle: a value contains itself, which no Rust value can hold")]
    Cycle,
    #[error("an earlier pickle of this stream failed (at offset {0}), so where the next one begins is unknown")]
    StreamBroken(u64),
    #[error("end() found input left at offset {0} and took a byte of it, so this stream reads no further")]
    StreamEnded(u64),
    #[error("{0}")]
    Type(Box<str>),
    #[error("{0}")]
    Unserializable(Box<str>),
    #[error("{0}")]
    Custom(Box<str>),
    #[error("I/O error: {0}")]
    Io(#[source] io::Error),
    /// A reader's `UnexpectedEof` (a compressed joblib stream cut short, say): the input
    /// ended early.
    #[error("the input ended early: {0}")]
    ReadEof(#[source] io::Error),
}

impl ErrorCode {
    fn category(&self) -> Category {
        use ErrorCode::*;
        match self {
            Truncated { .. } | NoNewline | NoStop | Empty | ReadEof(_) => Category::Truncated,
            InvalidOpcode(_)
            | Malformed(_)
            | MalformedOwned(_)
            | StackUnderflow
            | NoMark
            | MemoMissing { .. }
            | Protocol(_)
            | TrailingData(_)
            | UnreadInput(_)
            | Cycle
            | StreamBroken(_)
            | StreamEnded(_) => Category::Invalid,
            RefusedGlobal { .. } => Category::Refused,
            NeedsHook(_) | Unsupported(_) => Category::Unsupported,
            Limit { .. } => Category::Limit,
            Type(_) => Category::Type,
            Unserializable(_) => Category::Unserializable,
            Custom(_) => Category::Custom,
            Io(_) => Category::Io,
        }
    }
}

impl Error {
    #[cold]
    pub(crate) fn new(code: ErrorCode) -> Self {
        Error {
            inner: Box::new(ErrorImpl {
                code,
                offset: None,
                opcode: None,
                path: Vec::new(),
                pending: None,
            }),
        }
    }

    #[cold]
    pub(crate) fn at(code: ErrorCode, offset: u64, opcode: u8) -> Self {
        Error {
            inner: Box::new(ErrorImpl {
                code,
                offset: Some(offset),
                opcode: Some(opcode),
                path: Vec::new(),
                pending: None,
            }),
        }
    }

    #[cold]
    pub(crate) fn at_offset(mut self, offset: u64) -> Self {
        self.inner.offset = Some(offset);
        self
    }

    /// Attach a position if the error has none yet (the innermost position wins).
    #[cold]
    pub(crate) fn or_at(mut self, offset: u64, opcode: u8) -> Self {
        self.set_at_if_none(offset, opcode);
        self
    }

    /// [`Error::or_at`] in place, for a result that stays where it is.
    #[cold]
    pub(crate) fn set_at_if_none(&mut self, offset: u64, opcode: u8) {
        if self.inner.offset.is_none() {
            self.inner.offset = Some(offset);
            self.inner.opcode = Some(opcode);
        }
    }

    /// The error with its offset moved `base` bytes on: the walk's offsets are from the
    /// start of the arena's pickle (the arena's `base`).
    #[cold]
    pub(crate) fn shifted(mut self, base: u64) -> Self {
        if let Some(offset) = &mut self.inner.offset {
            *offset = offset.saturating_add(base);
        }
        self
    }

    /// Mark the error as leaving an item or value that a container handed over, with `left`
    /// items after it: the container adds the segment ([`Error::take_pending`]).
    #[cold]
    pub(crate) fn leaving_item(mut self, left: usize) -> Self {
        self.inner.pending = Some(left);
        self
    }

    /// If the error left an item or value of the container now handling it, how many items
    /// came after it (and the error no longer marked so).
    #[cold]
    pub(crate) fn take_pending(&mut self) -> Option<usize> {
        self.inner.pending.take()
    }

    /// The error met in a pickle after the first of a stream: a missing memo key says why it
    /// may be missing.
    #[cold]
    pub(crate) fn in_later_pickle(mut self) -> Self {
        if let ErrorCode::MemoMissing { later, .. } = &mut self.inner.code {
            *later = true;
        }
        self
    }

    /// The error without the places gathered so far (they were inside a dict key).
    #[cold]
    pub(crate) fn without_path(mut self) -> Self {
        self.inner.path.clear();
        self
    }

    /// Take back the innermost place noted (a registered newtype's one argument).
    #[cold]
    pub(crate) fn pop_segment(&mut self) {
        self.inner.path.pop();
    }

    /// Note that the error happened inside `segment` of the container it is leaving.
    #[cold]
    pub(crate) fn push_segment(&mut self, segment: Segment) {
        // An error of the output itself (the writer failed) is about no place in the data.
        if !matches!(self.inner.code, ErrorCode::Io(_)) {
            self.inner.path.push(segment);
        }
    }

    /// Whether this is a visitor refusing a sequence or map it was handed itself (serde's
    /// `invalid_type` with `Unexpected::Seq` or `Unexpected::Map`), not an error from inside
    /// one.
    #[cold]
    pub(crate) fn is_container_mismatch(&self) -> bool {
        self.inner.path.is_empty()
            && matches!(&self.inner.code, ErrorCode::Type(m)
                if m.starts_with("invalid type: sequence,") || m.starts_with("invalid type: map,"))
    }

    /// Whether this is a visitor refusing a str it was handed itself (serde's `invalid_type`
    /// with `Unexpected::Str`).
    #[cold]
    pub(crate) fn is_str_mismatch(&self) -> bool {
        self.inner.path.is_empty()
            && matches!(&self.inner.code, ErrorCode::Type(m) if m.starts_with("invalid type: string "))
    }

    /// The error without its offset and opcode (they were in a pickle the caller never saw).
    #[cold]
    pub(crate) fn without_position(mut self) -> Self {
        self.inner.offset = None;
        self.inner.opcode = None;
        self
    }

    #[cold]
    pub(crate) fn clear_opcode(mut self) -> Self {
        self.inner.opcode = None;
        self
    }

    /// What kind of error this is.
    pub fn category(&self) -> Category {
        self.inner.code.category()
    }

    /// The limit hit, for errors of category [`Category::Limit`].
    pub fn limit(&self) -> Option<Limit> {
        match self.inner.code {
            ErrorCode::Limit { which, .. } => Some(which),
            _ => None,
        }
    }

    /// The `module.name` of a refused global, for errors of category [`Category::Refused`].
    pub fn refused_global(&self) -> Option<(&str, &str)> {
        match &self.inner.code {
            ErrorCode::RefusedGlobal { module, name, .. } => Some((module, name)),
            _ => None,
        }
    }

    /// The byte offset in the input of the opcode involved, where known.
    ///
    /// For a value that does not fit the requested Rust type, this is the offset of the opcode
    /// that made the value.
    pub fn offset(&self) -> Option<u64> {
        self.inner.offset
    }

    /// The opcode byte involved, where known.
    pub fn opcode(&self) -> Option<u8> {
        self.inner.opcode
    }

    /// Where in the data the value this error is about sits: the list positions and dict keys
    /// from the root, as `[3].tags[0]`. Reading, for an error met while handing a pickle's
    /// values (or, in [`from_value`](crate::from_value), a `Value`'s) to `Deserialize`
    /// impls; writing, for an error met in a value's `Serialize` or in what it hands over (a
    /// list as a set element, say), in `to_vec` and its kin and in `to_value`. `None` for an
    /// error about the pickle itself, or about the root value. The error's message starts
    /// with it.
    ///
    /// ```
    /// use serde::Deserialize;
    ///
    /// #[derive(Debug, Deserialize)]
    /// struct Record {
    ///     id: u64,
    ///     tags: Vec<String>,
    /// }
    ///
    /// // pickle.dumps([{'id': 1, 'tags': ['a']}, {'id': 2, 'tags': ['b', 3]}], protocol=2)
    /// let data = b"\x80\x02]q\x00(}q\x01(X\x02\x00\x00\x00idq\x02K\x01X\x04\x00\x00\x00tagsq\x03]q\x04X\x01\x00\x00\x00aq\x05au}q\x06(h\x02K\x02h\x03]q\x07(X\x01\x00\x00\x00bq\x08K\x03eue.";
    /// let err = pypickle::from_slice::<Vec<Record>>(data).unwrap_err();
    /// assert_eq!(err.path().unwrap().to_string(), "[1].tags[1]");
    /// assert_eq!(
    ///     err.to_string(),
    ///     "[1].tags[1]: invalid type: integer `3`, expected a string (BININT1 at offset 67)"
    /// );
    /// ```
    pub fn path(&self) -> Option<Path<'_>> {
        match self.inner.path.is_empty() {
            true => None,
            false => Some(Path(&self.inner.path)),
        }
    }

    /// The `pickletools` name of the opcode involved, where known.
    pub fn opcode_name(&self) -> Option<&'static str> {
        self.inner.opcode.and_then(opcode::name)
    }

    /// True if the error is that the input ended early (as opposed to being wrong).
    pub fn is_truncated(&self) -> bool {
        self.category() == Category::Truncated
    }

    /// The underlying I/O error, for errors of category [`Category::Io`], and for those of
    /// [`Category::Truncated`] that a reader's `UnexpectedEof` made.
    pub fn io_error(&self) -> Option<&io::Error> {
        match &self.inner.code {
            ErrorCode::Io(e) | ErrorCode::ReadEof(e) => Some(e),
            _ => None,
        }
    }

    /// An error of the reader the input comes from: its `UnexpectedEof` (what a decompressor
    /// says of a stream cut short) is a truncated input, anything else an I/O error.
    #[cold]
    pub(crate) fn read(e: io::Error) -> Error {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::new(ErrorCode::ReadEof(e))
        } else {
            Error::new(ErrorCode::Io(e))
        }
    }
}

/// What an input starting with `byte`, not an opcode, may be instead: the first byte of the
/// compressed streams `joblib.dump(compress=...)` writes. (Not lzma's 0x5d, EMPTY_LIST, nor
/// bz2's `B`, BINBYTES: those fail further on, as pickles.)
fn compressed_hint(byte: u8) -> Option<&'static str> {
    Some(match byte {
        0x78 => {
            "the first byte of a zlib stream: a compressed joblib file? `pypickle::joblib` reads it"
        }
        0x1f => {
            "the first byte of a gzip stream: a compressed joblib file? `pypickle::joblib` reads it"
        }
        0xfd => "the first byte of an xz stream: decompress it first",
        0x04 => "the first byte of an lz4 frame: decompress it first",
        _ => return None,
    })
}

fn op_label(opcode: Option<u8>) -> String {
    match opcode {
        Some(op) => match opcode::name(op) {
            Some(name) => name.to_string(),
            None => format!("opcode 0x{op:02x}"),
        },
        None => "input".to_string(),
    }
}

/// What serde's messages say a name should have been, in serde's words: "expected `a`",
/// "expected `a` or `b`", "expected one of `a`, `b`, `c`", or "there are no fields".
struct OneOf<'a>(&'a [&'a str], &'static str);

impl Display for OneOf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [] => write!(f, "there are no {}", self.1),
            [a] => write!(f, "expected `{a}`"),
            [a, b] => write!(f, "expected `{a}` or `{b}`"),
            names => {
                f.write_str("expected one of ")?;
                for (i, n) in names.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}`{n}`")?;
                }
                Ok(())
            }
        }
    }
}

/// Whether a character is escaped where text from the input is printed: control characters
/// (line breaks and terminal escapes among them), line and paragraph separators, and the
/// characters that reorder text on screen.
pub(crate) fn escaped_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// A name from the input as messages show it: [`escaped_char`]s escaped (`\u{1b}`), so that a
/// name cannot forge lines or drive a terminal.
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        EscapingWriter(f).write_str(self.0)
    }
}

/// Writes text through to `f` with [`escaped_char`]s escaped.
struct EscapingWriter<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl fmt::Write for EscapingWriter<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(i) = rest.find(escaped_char) {
            self.0.write_str(&rest[..i])?;
            let c = rest[i..].chars().next().expect("found");
            write!(self.0, "{}", c.escape_default())?;
            rest = &rest[i + c.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}

impl Display for Error {
    /// The message, with control and text-direction characters escaped wherever they come
    /// from (a name in the pickle, a `Deserialize` impl's message): printed to a terminal or a
    /// log, an error cannot forge lines or send escape sequences.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        let f = &mut EscapingWriter(f);
        let e = &*self.inner;
        if let Some(path) = self.path() {
            write!(f, "{path}: ")?;
        }
        match (&e.code, e.offset) {
            (ErrorCode::Truncated { .. } | ErrorCode::NoNewline, Some(off)) => {
                write!(
                    f,
                    "truncated {} at offset {off}: {}",
                    op_label(e.opcode),
                    e.code
                )
            }
            (ErrorCode::InvalidOpcode(_), Some(off)) | (ErrorCode::NoStop, Some(off)) => {
                write!(f, "{} at offset {off}", e.code)?;
                match (&e.code, off) {
                    (ErrorCode::InvalidOpcode(b), 0) => match compressed_hint(*b) {
                        Some(hint) => write!(f, " ({hint})"),
                        None => Ok(()),
                    },
                    _ => Ok(()),
                }
            }
            (code, Some(off)) if e.opcode.is_some() => {
                write!(f, "{code} ({} at offset {off})", op_label(e.opcode))
            }
            (code, Some(off)) => write!(f, "{code} (at offset {off})"),
            (code, None) => write!(f, "{code}"),
        }
    }
}

impl Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &*self.inner;
        f.debug_struct("Error")
            .field("category", &e.code.category())
            .field("code", &e.code)
            .field("offset", &e.offset)
            .field("opcode", &e.opcode.map(|op| op_label(Some(op))))
            .field("path", &self.path().map(|p| p.to_string()))
            .field("message", &self.to_string())
            .finish()
    }
}

/// An I/O error is this error's source, so that a chain of causes can be searched for it
/// (`anyhow`'s `downcast_ref`), and its text is in this error's message too, so that printing
/// the error alone says what failed: as serde_json's errors do.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner.code {
            ErrorCode::Io(e) | ErrorCode::ReadEof(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    #[cold]
    fn from(e: io::Error) -> Self {
        Error::new(ErrorCode::Io(e))
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e.inner.code {
            ErrorCode::Io(io) | ErrorCode::ReadEof(io) => io,
            _ => {
                let kind = match e.category() {
                    Category::Truncated => io::ErrorKind::UnexpectedEof,
                    _ => io::ErrorKind::InvalidData,
                };
                io::Error::new(kind, e)
            }
        }
    }
}

/// Why a str or bytes could not be lent to a `&str` or `&[u8]`.
const LENDING_HINT: &str = ": a pickle lends only what it holds as it is (a str from \
     protocol 1 on, as protocol 0 escapes it; bytes from protocol 3 on, as below 3 they are a \
     latin-1 str); a String, Vec<u8> or Cow takes any";

impl serde::de::Error for Error {
    #[cold]
    fn custom<T: Display>(msg: T) -> Self {
        Error::new(ErrorCode::Custom(msg.to_string().into()))
    }

    #[cold]
    fn invalid_type(unexp: serde::de::Unexpected<'_>, exp: &dyn serde::de::Expected) -> Self {
        use serde::de::Unexpected;
        let mut msg = format!("invalid type: {unexp}, expected {exp}");
        // A `&str` or `&[u8]` given a str or bytes it cannot borrow: say why, since the same
        // field reads other data, or the same data at another protocol.
        if matches!(unexp, Unexpected::Str(_) | Unexpected::Bytes(_))
            && exp.to_string().starts_with("a borrowed ")
        {
            msg.push_str(LENDING_HINT);
        }
        Error::new(ErrorCode::Type(msg.into()))
    }

    #[cold]
    fn invalid_value(unexp: serde::de::Unexpected<'_>, exp: &dyn serde::de::Expected) -> Self {
        Error::new(ErrorCode::Type(
            format!("invalid value: {unexp}, expected {exp}").into(),
        ))
    }

    #[cold]
    fn invalid_length(len: usize, exp: &dyn serde::de::Expected) -> Self {
        Error::new(ErrorCode::Type(
            format!("invalid length {len}, expected {exp}").into(),
        ))
    }

    #[cold]
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Error::new(ErrorCode::Type(
            format!(
                "unknown variant `{variant}`, {}",
                OneOf(expected, "variants")
            )
            .into(),
        ))
    }

    #[cold]
    fn missing_field(field: &'static str) -> Self {
        Error::new(ErrorCode::Type(format!("missing field `{field}`").into()))
    }

    #[cold]
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Error::new(ErrorCode::Type(
            format!("unknown field `{field}`, {}", OneOf(expected, "fields")).into(),
        ))
    }

    #[cold]
    fn duplicate_field(field: &'static str) -> Self {
        Error::new(ErrorCode::Type(format!("duplicate field `{field}`").into()))
    }
}

/// A sequence or map whose visitor returned before reading all of it: `len` items (entries),
/// `read` of them read. The rest is an error, as serde's own deserializers make it, never
/// silently dropped.
#[cold]
pub(crate) fn unread_items(len: usize, read: usize, what: &'static str) -> Error {
    struct Read(usize, &'static str);
    impl serde::de::Expected for Read {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.0 {
                1 => write!(f, "1 element in {}", self.1),
                n => write!(f, "{n} elements in {}", self.1),
            }
        }
    }
    serde::de::Error::invalid_length(len, &Read(read, what))
}

impl serde::ser::Error for Error {
    #[cold]
    fn custom<T: Display>(msg: T) -> Self {
        Error::new(ErrorCode::Custom(msg.to_string().into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn truncated_message_names_opcode_and_offset() {
        let e = Error::at(
            ErrorCode::Truncated { needed: 3, left: 1 },
            12,
            opcode::BINUNICODE,
        );
        assert_eq!(
            e.to_string(),
            "truncated BINUNICODE at offset 12: 3 bytes needed, 1 left"
        );
        assert_eq!(e.category(), Category::Truncated);
        assert_eq!(e.offset(), Some(12));
        assert_eq!(e.opcode_name(), Some("BINUNICODE"));
    }

    #[test]
    fn or_at_keeps_the_innermost_position() {
        let e = Error::at(
            ErrorCode::MemoMissing {
                key: 5,
                later: false,
                scanned: false,
            },
            30,
            opcode::BINGET,
        )
        .or_at(1, opcode::NONE);
        assert_eq!(e.to_string(), "memo key 5 not found (BINGET at offset 30)");
    }
}
