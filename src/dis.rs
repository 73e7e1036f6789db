//! A pickle disassembler and optimizer: [`dis`] prints what `python -m pickletools FILE` prints,
//! and [`optimize`] does what `pickletools.optimize` does.
//!
//! Both read the opcodes the way `pickletools` does: frames are not checked (a `FRAME` is just
//! an opcode with an 8-byte argument), and reading stops after the first `STOP`, ignoring any
//! bytes after it. Arguments are decoded and printed as `pickletools` does, with Python's
//! `repr()` of the decoded value, and the same sanity checks are made (marks, memo, stack).
//! Where `pickletools` raises, these return an [`Error`] with the offset of the opcode involved;
//! [`dis_to`] has by then written the lines `pickletools` would have printed before raising.

use std::collections::HashSet;
use std::fmt::{self, Write};

use crate::error::{Error, ErrorCode, Result};
use crate::opcode::{self as op, Arg, OpInfo};
use crate::value::bigint::MAX_STR_DIGITS;
use crate::value::{BigInt, Value};

/// Options for [`dis_to`]: the defaults give `python -m pickletools FILE`'s output.
#[derive(Clone, Debug)]
pub struct DisOptions {
    indent: usize,
    all: bool,
    keep_memo: bool,
    max_output: Option<usize>,
    py314: bool,
}

impl Default for DisOptions {
    fn default() -> Self {
        DisOptions {
            indent: 4,
            all: false,
            keep_memo: false,
            max_output: None,
            py314: false,
        }
    }
}

impl DisOptions {
    /// The defaults: an indent of 4 blanks per MARK level, only the first pickle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Blanks by which each MARK level indents (`pickletools -l`; default 4).
    pub fn indent(mut self, blanks: usize) -> Self {
        self.indent = blanks;
        self
    }

    /// Disassemble every pickle in the input, one after another, as calling `pickletools.dis`
    /// repeatedly on one open file does (offsets count from the start of the input). The
    /// default, like `python -m pickletools FILE`, disassembles the first pickle only.
    pub fn all_pickles(mut self, yes: bool) -> Self {
        self.all = yes;
        self
    }

    /// With [`DisOptions::all_pickles`], keep the memo from one pickle to the next
    /// (`pickletools -m`), for pickles written by one pickler.
    pub fn keep_memo(mut self, yes: bool) -> Self {
        self.keep_memo = yes;
        self
    }

    /// The most bytes of text to produce before giving up with an error. The default is
    /// 64 MiB plus 64 bytes per input byte: enough for any pickle whose MARKs do not nest
    /// absurdly deep (each level indents every line inside it).
    pub fn max_output(mut self, bytes: usize) -> Self {
        self.max_output = Some(bytes);
        self
    }

    /// Print what CPython 3.14's `pickletools` prints; the default is 3.8-3.13's, which agree.
    /// 3.14 decodes GLOBAL, INST and PERSID lines as UTF-8 (not ASCII) and a Python 2 STRING
    /// as Latin-1, prints the Python 2 strings with `ascii()` (`'\xe9'`, not `'é'`), lets a
    /// memo key be stored twice, and leaves "no MARK exists on stack" off the line it
    /// reports that for.
    ///
    /// ```
    /// use pypickle::{dis_to, DisOptions};
    /// // A Python 2 str holding b'\xe9', as protocol 1 wrote it.
    /// let data = b"U\x01\xe9.";
    /// let mut out = String::new();
    /// dis_to(&mut out, data, &DisOptions::new().pickletools_3_14(true))?;
    /// assert!(out.contains("SHORT_BINSTRING '\\xe9'"));
    /// assert!(pypickle::dis(data)?.contains("SHORT_BINSTRING 'é'"));
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn pickletools_3_14(mut self, yes: bool) -> Self {
        self.py314 = yes;
        self
    }
}

/// The disassembly of the first pickle in `bytes`, exactly as `python -m pickletools FILE`
/// prints it.
///
/// ```
/// // pickle.dumps([1, 'a'], protocol=2)
/// let text = pypickle::dis(b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01e.")?;
/// assert_eq!(text, "    0: \\x80 PROTO      2
///     2: ]    EMPTY_LIST
///     3: q    BINPUT     0
///     5: (    MARK
///     6: K        BININT1    1
///     8: X        BINUNICODE 'a'
///    14: q        BINPUT     1
///    16: e        APPENDS    (MARK at 5)
///    17: .    STOP
/// highest protocol among opcodes = 2
/// ");
/// # Ok::<(), pypickle::Error>(())
/// ```
///
/// Where `pickletools` raises (an unknown opcode, truncated input, an argument it cannot
/// decode, a missing MARK, a memo key never stored, a stack left non-empty), this returns the
/// error; [`dis_to`] gives the text up to that point too.
pub fn dis(bytes: &[u8]) -> Result<String> {
    let mut out = String::new();
    dis_to(&mut out, bytes, &DisOptions::new())?;
    Ok(out)
}

/// Writes the disassembly of `bytes` to `out`, line by line, as [`dis`] does but with options.
///
/// On an error, `out` holds what `pickletools` would have printed before raising.
pub fn dis_to<W: Write>(out: &mut W, bytes: &[u8], opts: &DisOptions) -> Result<()> {
    let limit = opts
        .max_output
        .unwrap_or_else(|| (64 << 20) + bytes.len().saturating_mul(64));
    let mut w = Out {
        out,
        written: 0,
        limit,
    };
    let mut ops = Ops {
        input: bytes,
        pos: 0,
    };
    let mut memo = HashSet::new();
    loop {
        if !opts.keep_memo {
            memo.clear();
        }
        dis_one(&mut w, &mut ops, &mut memo, opts)?;
        if !opts.all || ops.pos >= bytes.len() {
            return Ok(());
        }
    }
}

struct Out<'a, W> {
    out: &'a mut W,
    written: usize,
    limit: usize,
}

impl<W: Write> Out<'_, W> {
    fn put(&mut self, s: &str) -> Result<()> {
        self.written = self.written.saturating_add(s.len());
        if self.written > self.limit {
            return Err(Error::new(ErrorCode::Unsupported(
                format!(
                    "the disassembly is longer than DisOptions::max_output ({} bytes)",
                    self.limit
                )
                .into(),
            )));
        }
        self.out
            .write_str(s)
            .map_err(|_| Error::new(ErrorCode::Custom("the output writer failed".into())))
    }
}

/// An opcode's inline argument, as read (not yet decoded).
#[derive(Clone, Copy)]
enum RawArg<'a> {
    None,
    /// An unsigned little-endian integer (uint1, uint2, uint4, uint8).
    Uint(u64),
    /// int4.
    Int(i32),
    Float(f64),
    /// A line without its newline.
    Line(&'a [u8]),
    /// Two lines.
    Lines(&'a [u8], &'a [u8]),
    /// Counted data.
    Data(&'a [u8]),
}

struct Opcode<'a> {
    pos: usize,
    info: &'static OpInfo,
    arg: RawArg<'a>,
    end: usize,
}

/// Reads opcodes the way `pickletools.genops` does.
struct Ops<'a> {
    input: &'a [u8],
    pos: usize,
}

fn invalid(msg: String, pos: usize, code: Option<u8>) -> Error {
    let code_ = ErrorCode::MalformedOwned(msg.into());
    match code {
        Some(c) => Error::at(code_, pos as u64, c),
        None => Error::new(code_).at_offset(pos as u64),
    }
}

impl<'a> Ops<'a> {
    fn take(&mut self, n: u64, at: usize, code: u8) -> Result<&'a [u8]> {
        let left = (self.input.len() - self.pos) as u64;
        if n > left {
            return Err(Error::at(
                ErrorCode::Truncated { needed: n, left },
                at as u64,
                code,
            ));
        }
        let s = &self.input[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn line(&mut self, at: usize, code: u8) -> Result<&'a [u8]> {
        let rest = &self.input[self.pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(n) => {
                self.pos += n + 1;
                Ok(&rest[..n])
            }
            None => {
                self.pos = self.input.len();
                Err(Error::at(ErrorCode::NoNewline, at as u64, code))
            }
        }
    }

    fn uint(&mut self, n: u8, at: usize, code: u8) -> Result<u64> {
        let b = self.take(u64::from(n), at, code)?;
        let mut buf = [0u8; 8];
        buf[..b.len()].copy_from_slice(b);
        Ok(u64::from_le_bytes(buf))
    }

    /// The next opcode, or an error at the end of the input (a pickle ends with STOP).
    fn next(&mut self) -> Result<Opcode<'a>> {
        let pos = self.pos;
        let Some(&code) = self.input.get(pos) else {
            return Err(Error::new(ErrorCode::NoStop).at_offset(pos as u64));
        };
        let Some(info) = op::info(code) else {
            return Err(Error::new(ErrorCode::InvalidOpcode(code)).at_offset(pos as u64));
        };
        self.pos += 1;
        let arg = match (info.arg, code) {
            (Arg::None, _) => RawArg::None,
            (Arg::Fixed(4), op::BININT | op::EXT4) => {
                RawArg::Int(self.uint(4, pos, code)? as u32 as i32)
            }
            (Arg::Fixed(8), op::BINFLOAT) => {
                let b = self.take(8, pos, code)?;
                RawArg::Float(f64::from_be_bytes(b.try_into().expect("8 bytes")))
            }
            (Arg::Fixed(n), _) => RawArg::Uint(self.uint(n, pos, code)?),
            (Arg::Line, _) => RawArg::Line(self.line(pos, code)?),
            (Arg::TwoLines, _) => {
                let a = self.line(pos, code)?;
                RawArg::Lines(a, self.line(pos, code)?)
            }
            (Arg::Counted(n), _) => {
                let len = self.uint(n, pos, code)?;
                let signed = matches!(code, op::BINSTRING | op::LONG4);
                if signed && len >= 1 << 31 {
                    return Err(invalid(
                        format!("{} byte count < 0: {}", info.name, len as u32 as i32),
                        pos,
                        Some(code),
                    ));
                }
                if len > i64::MAX as u64 {
                    return Err(invalid(
                        format!("{} byte count > sys.maxsize: {len}", info.name),
                        pos,
                        Some(code),
                    ));
                }
                RawArg::Data(self.take(len, pos, code)?)
            }
        };
        Ok(Opcode {
            pos,
            info,
            arg,
            end: self.pos,
        })
    }
}

/// A memo key: Python's int (a bool key is the int it equals).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum Key {
    Small(i128),
    Big(BigInt),
}

impl Key {
    fn from_u64(v: u64) -> Key {
        Key::Small(i128::from(v))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Small(v) => write!(f, "{v}"),
            Key::Big(b) => write!(f, "{b}"),
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |e| e + 1);
    &s[start..end]
}

/// Python's `int(s)` for bytes `s` (base 10).
fn py_int(s: &[u8]) -> std::result::Result<Key, String> {
    let bad = || format!("invalid literal for int() with base 10: {}", bytes_repr(s));
    let t = trim(s);
    let (neg, body) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() || !body[0].is_ascii_digit() || !body[body.len() - 1].is_ascii_digit() {
        return Err(bad());
    }
    let mut digits = String::with_capacity(body.len() + 1);
    let mut prev_underscore = false;
    for &b in body {
        match b {
            b'0'..=b'9' => {
                digits.push(b as char);
                prev_underscore = false;
            }
            b'_' if !prev_underscore => prev_underscore = true,
            _ => return Err(bad()),
        }
    }
    if digits.len() > MAX_STR_DIGITS {
        return Err(format!(
            "Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion: value has {} digits",
            digits.len()
        ));
    }
    let trimmed = digits.trim_start_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    if digits.len() <= 37 {
        let v: i128 = digits.parse().map_err(|_| bad())?;
        return Ok(Key::Small(if neg { -v } else { v }));
    }
    let text = if neg {
        format!("-{digits}")
    } else {
        digits.to_string()
    };
    let b: BigInt = text.parse().map_err(|_| bad())?;
    Ok(Key::Big(b))
}

/// `read_decimalnl_short`: `00` and `01` are False and True, anything else an int.
enum Short {
    Bool(bool),
    Int(Key),
}

fn decimal_short(line: &[u8]) -> std::result::Result<Short, String> {
    match line {
        b"00" => Ok(Short::Bool(false)),
        b"01" => Ok(Short::Bool(true)),
        _ => py_int(line).map(Short::Int),
    }
}

impl Short {
    fn key(self) -> Key {
        match self {
            Short::Bool(b) => Key::Small(i128::from(b)),
            Short::Int(k) => k,
        }
    }
}

/// Python's `float(s)` for bytes `s`.
fn py_float(s: &[u8]) -> std::result::Result<f64, String> {
    let bad = || format!("could not convert string to float: {}", bytes_repr(s));
    let t = trim(s);
    let mut clean = String::with_capacity(t.len());
    for (i, &b) in t.iter().enumerate() {
        if b == b'_' {
            let digit_before = i > 0 && t[i - 1].is_ascii_digit();
            let digit_after = t.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !(digit_before && digit_after) {
                return Err(bad());
            }
            continue;
        }
        if !b.is_ascii() {
            return Err(bad());
        }
        clean.push(b as char);
    }
    // Past the underscores, Rust's grammar is Python's: a sign, digits with an optional point
    // and an exponent, or inf, infinity and nan in any case.
    let body = clean.trim_start_matches(['+', '-']);
    if body.len() + 1 < clean.len() {
        return Err(bad());
    }
    clean.parse::<f64>().map_err(|_| bad())
}

/// What the bytes `codecs.escape_decode` gives are decoded as.
#[derive(Clone, Copy)]
enum Decode {
    Ascii,
    Latin1,
    /// Strict UTF-8 (no surrogates).
    Utf8,
}

/// A Python 2 string's argument as `pickletools` prints it: `repr()`, or in 3.14 `ascii()`.
fn py2_str_repr(text: String, py314: bool) -> String {
    let repr = Value::Str(text).to_string();
    if !py314 {
        return repr;
    }
    // The text is Latin-1: what repr() leaves of it past ASCII becomes `\xNN`.
    let mut out = String::with_capacity(repr.len());
    for c in repr.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
    }
    out
}

/// `codecs.escape_decode`, then `.decode(how)`.
fn escape_decode(s: &[u8], how: Decode) -> std::result::Result<String, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&c) = s.get(i) else {
            return Err("Trailing \\ in string".into());
        };
        i += 1;
        match c {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(c),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(0x0b),
            b'a' => out.push(0x07),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => {
                let hex = |b: Option<&u8>| b.and_then(|&b| (b as char).to_digit(16));
                match (hex(s.get(i)), hex(s.get(i + 1))) {
                    (Some(a), Some(b)) => {
                        out.push((a * 16 + b) as u8);
                        i += 2;
                    }
                    _ => return Err(format!("invalid \\x escape at position {}", i - 2)),
                }
            }
            _ => {
                out.push(b'\\');
                i -= 1;
            }
        }
    }
    match how {
        Decode::Latin1 => return Ok(out.iter().map(|&b| char::from(b)).collect()),
        Decode::Utf8 => return strict_utf8(out),
        Decode::Ascii => {}
    }
    match out.iter().position(|b| !b.is_ascii()) {
        None => Ok(String::from_utf8(out).expect("ascii")),
        Some(at) => Err(format!(
            "'ascii' codec can't decode byte 0x{:02x} in position {at}: ordinal not in range(128)",
            out[at]
        )),
    }
}

/// `bytes.decode('utf-8')`, with Python's words for what is not UTF-8.
fn strict_utf8(bytes: Vec<u8>) -> std::result::Result<String, String> {
    let bad = match String::from_utf8(bytes) {
        Ok(s) => return Ok(s),
        Err(e) => e.into_bytes(),
    };
    // Python's words for it, as for `surrogatepass`; what that accepts is a surrogate, whose
    // first byte strict UTF-8 refuses to continue.
    // (0xed leads a sequence only: it is never a continuation byte.) Strict UTF-8 stops at the
    // first surrogate, before any error `surrogatepass` meets later.
    let surrogate = bad.windows(2).position(|w| w[0] == 0xed && w[1] >= 0xa0);
    let Some(at) = surrogate else {
        utf8_surrogatepass(&bad)?;
        return Err("'utf-8' codec can't decode".into());
    };
    if std::str::from_utf8(&bad[..at]).is_err() {
        // An error before it, worded as for the whole (the surrogate's first byte, kept, ends
        // any sequence it would continue as the whole does).
        utf8_surrogatepass(&bad[..=at])?;
    }
    Err(format!(
        "'utf-8' codec can't decode byte 0xed in position {at}: invalid continuation byte"
    ))
}

/// `str(data, 'raw-unicode-escape')`, as code points.
fn raw_unicode_escape(s: &[u8]) -> std::result::Result<Vec<u32>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' || i >= s.len() {
            out.push(u32::from(c));
            continue;
        }
        let c = s[i];
        i += 1;
        let count = match c {
            b'u' => 4,
            b'U' => 8,
            _ => {
                out.push(u32::from(b'\\'));
                out.push(u32::from(c));
                continue;
            }
        };
        let start = i - 2;
        let mut v: u32 = 0;
        for _ in 0..count {
            match s.get(i).and_then(|&b| (b as char).to_digit(16)) {
                Some(d) => {
                    v = (v << 4) | d;
                    i += 1;
                }
                None => {
                    return Err(format!(
                        "'rawunicodeescape' codec can't decode bytes in position {start}-{}: truncated \\{}XXXX escape",
                        i.min(s.len()).saturating_sub(1).max(start),
                        c as char
                    ))
                }
            }
        }
        if v > 0x10ffff {
            return Err(format!(
                "'rawunicodeescape' codec can't decode bytes in position {start}-{}: \\Uxxxxxxxx out of range",
                i - 1
            ));
        }
        out.push(v);
    }
    Ok(out)
}

/// `str(data, 'utf-8', 'surrogatepass')`, as code points.
fn utf8_surrogatepass(s: &[u8]) -> std::result::Result<Vec<u32>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        let (len, lo, hi, init) = match b {
            0x00..=0x7f => {
                out.push(u32::from(b));
                i += 1;
                continue;
            }
            0xc2..=0xdf => (2, 0x80, 0xbf, u32::from(b & 0x1f)),
            0xe0 => (3, 0xa0, 0xbf, 0),
            0xe1..=0xef => (3, 0x80, 0xbf, u32::from(b & 0x0f)),
            0xf0 => (4, 0x90, 0xbf, 0),
            0xf1..=0xf3 => (4, 0x80, 0xbf, u32::from(b & 0x07)),
            0xf4 => (4, 0x80, 0x8f, 4),
            _ => {
                return Err(format!(
                    "'utf-8' codec can't decode byte 0x{b:02x} in position {i}: invalid start byte"
                ))
            }
        };
        let mut v = init;
        for k in 1..len {
            let (l, h) = if k == 1 { (lo, hi) } else { (0x80, 0xbf) };
            match s.get(i + k) {
                Some(&c) if (l..=h).contains(&c) => v = (v << 6) | u32::from(c & 0x3f),
                // Python names the bytes of the sequence begun so far, and why it stopped. A
                // surrogate's start (0xed 0xa0-0xbf) that does not complete is strict UTF-8's
                // error, which `surrogatepass` raises again: at its first byte.
                next => {
                    let surrogate = b == 0xed && s.get(i + 1).is_some_and(|&c| c >= 0xa0);
                    let (k, why) = match next {
                        _ if surrogate => (1, "invalid continuation byte"),
                        None => (k, "unexpected end of data"),
                        Some(_) => (k, "invalid continuation byte"),
                    };
                    let at = match k {
                        1 => format!("byte 0x{b:02x} in position {i}"),
                        _ => format!("bytes in position {i}-{}", i + k - 1),
                    };
                    return Err(format!("'utf-8' codec can't decode {at}: {why}"));
                }
            }
        }
        out.push(v);
        i += len;
    }
    Ok(out)
}

fn bytes_repr(b: &[u8]) -> String {
    Value::Bytes(b.to_vec()).to_string()
}

/// Python's `repr()` of a str given as code points (lone surrogates included).
fn str_repr(cps: &[u32]) -> String {
    let chars: Option<String> = cps.iter().map(|&c| char::from_u32(c)).collect();
    if let Some(s) = chars {
        return Value::Str(s).to_string();
    }
    let has = |c: char| cps.contains(&u32::from(c));
    let quote = if has('\'') && !has('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(cps.len() + 2);
    out.push(quote);
    for &cp in cps {
        match char::from_u32(cp) {
            None => {
                let _ = write!(out, "\\u{cp:04x}");
            }
            Some(c) if c == quote => {
                out.push('\\');
                out.push(c);
            }
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some(c) => {
                // The repr of a one-character str is the character's escape between quotes.
                let r = Value::Str(c.to_string()).to_string();
                out.push_str(&r[1..r.len() - 1]);
            }
        }
    }
    out.push(quote);
    out
}

/// `repr()` of an int decoded from LONG1/LONG4 bytes, with CPython's digit limit.
fn long_repr(data: &[u8]) -> std::result::Result<String, String> {
    let b = BigInt::from_le_bytes(data);
    let too_long = || {
        format!("Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit")
    };
    b.to_decimal().ok_or_else(too_long)
}

/// The decoded argument, as `repr()` prints it. `Err` is the message of the exception the
/// argument reader raises (before the opcode's line is printed).
fn decode_arg<'a>(o: &Opcode<'a>, py314: bool) -> std::result::Result<Option<Decoded<'a>>, String> {
    let code = o.info.code;
    use Decode::{Ascii, Latin1, Utf8};
    // How a GLOBAL's, INST's or PERSID's line decodes.
    let names = if py314 { Utf8 } else { Ascii };
    Ok(Some(match o.arg {
        RawArg::None => return Ok(None),
        RawArg::Uint(v) => Decoded::Text(v.to_string()),
        RawArg::Int(v) => Decoded::Text(v.to_string()),
        RawArg::Float(v) => Decoded::Text(Value::Float(v).to_string()),
        RawArg::Line(line) => match code {
            op::INT | op::GET | op::PUT => match decimal_short(line)? {
                Short::Bool(b) => Decoded::Text(if b { "True" } else { "False" }.into()),
                Short::Int(k) => Decoded::Text(k.to_string()),
            },
            op::LONG => {
                let s = line.strip_suffix(b"L").unwrap_or(line);
                Decoded::Text(py_int(s)?.to_string())
            }
            op::FLOAT => Decoded::Text(Value::Float(py_float(line)?).to_string()),
            op::STRING => {
                let inner = strip_quotes(line, py314)?;
                let text = escape_decode(inner, if py314 { Latin1 } else { Ascii })?;
                Decoded::Text(py2_str_repr(text, py314))
            }
            op::UNICODE => Decoded::Text(str_repr(&raw_unicode_escape(line)?)),
            // PERSID
            _ => Decoded::Text(Value::Str(escape_decode(line, names)?).to_string()),
        },
        RawArg::Lines(a, b) => {
            let s = format!("{} {}", escape_decode(a, names)?, escape_decode(b, names)?);
            Decoded::Text(Value::Str(s).to_string())
        }
        RawArg::Data(d) => match code {
            op::BINSTRING | op::SHORT_BINSTRING => {
                Decoded::Text(py2_str_repr(d.iter().map(|&b| b as char).collect(), py314))
            }
            op::BINBYTES | op::SHORT_BINBYTES | op::BINBYTES8 => Decoded::Text(bytes_repr(d)),
            op::BYTEARRAY8 => Decoded::Text(Value::ByteArray(d.to_vec()).to_string()),
            op::LONG1 | op::LONG4 => Decoded::Long(d),
            // SHORT_BINUNICODE, BINUNICODE, BINUNICODE8
            _ => Decoded::Text(str_repr(&utf8_surrogatepass(d)?)),
        },
    }))
}

enum Decoded<'a> {
    Text(String),
    /// An int whose `repr()` may exceed CPython's digit limit (which fails while printing).
    Long(&'a [u8]),
}

fn strip_quotes(line: &[u8], py314: bool) -> std::result::Result<&[u8], String> {
    for q in [b'"', b'\''] {
        if line.first() == Some(&q) {
            if line.last() != Some(&q) {
                // (3.13 and earlier misspell it; 3.14 does not.)
                return Err(format!(
                    "{} quote {} not found at both ends of {}",
                    if py314 { "string" } else { "strinq" },
                    bytes_repr(&[q]),
                    bytes_repr(line)
                ));
            }
            // A lone quote both starts and ends the line: the string is empty.
            return Ok(line.get(1..line.len() - 1).unwrap_or_default());
        }
    }
    Err(format!("no string quotes around {}", bytes_repr(line)))
}

/// The stack effect `pickletools` gives an opcode: items popped (or, for an opcode that takes
/// a MARK, the index of the mark among them) and items pushed.
fn effect(code: u8) -> (usize, Option<usize>, usize) {
    match code {
        op::APPENDS | op::SETITEMS | op::ADDITEMS => (3, Some(1), 1),
        op::LIST | op::TUPLE | op::DICT | op::FROZENSET | op::INST => (2, Some(0), 1),
        op::OBJ => (3, Some(0), 1),
        op::POP_MARK => (2, Some(0), 0),
        op::READONLY_BUFFER | op::TUPLE1 | op::MEMOIZE | op::BINPERSID => (1, None, 1),
        op::APPEND | op::TUPLE2 | op::STACK_GLOBAL | op::REDUCE | op::BUILD | op::NEWOBJ => {
            (2, None, 1)
        }
        op::TUPLE3 | op::SETITEM | op::NEWOBJ_EX => (3, None, 1),
        op::POP | op::STOP => (1, None, 0),
        op::DUP => (1, None, 2),
        op::PUT | op::BINPUT | op::LONG_BINPUT | op::PROTO | op::FRAME | op::MARK => (0, None, 0),
        _ => (0, None, 1),
    }
}

fn dis_one<W: Write>(
    w: &mut Out<'_, W>,
    ops: &mut Ops<'_>,
    memo: &mut HashSet<Key>,
    opts: &DisOptions,
) -> Result<()> {
    let (indent, py314) = (opts.indent, opts.py314);
    // The emulated stack: true for a MARK.
    let mut stack: Vec<bool> = Vec::new();
    let mut marks: Vec<usize> = Vec::new();
    let mut maxproto = 0u8;
    let mut line = String::new();
    loop {
        let o = ops.next()?;
        let code = o.info.code;
        let fail = |msg: String| invalid(msg, o.pos, Some(code));
        let arg = decode_arg(&o, py314).map_err(fail)?;
        line.clear();
        write!(line, "{:5}: ", o.pos).expect("string");
        w.put(&line)?;
        line.clear();
        let code_repr = if code.is_ascii() {
            (code as char).to_string()
        } else {
            format!("\\x{code:02x}")
        };
        write!(line, "{code_repr:<4} ").expect("string");
        let depth = marks.len().saturating_mul(indent);
        if depth > w.limit {
            return Err(Error::new(ErrorCode::Unsupported(
                "the disassembly is longer than DisOptions::max_output".into(),
            )));
        }
        line.extend(std::iter::repeat(' ').take(depth));
        line.push_str(o.info.name);
        maxproto = maxproto.max(o.info.proto);

        let (before, mark_at, after) = effect(code);
        let mut numtopop = before;
        let mut markmsg: Option<String> = None;
        let mut errormsg: Option<String> = None;
        if mark_at.is_some() || (code == op::POP && stack.last() == Some(&true)) {
            match marks.pop() {
                Some(markpos) => {
                    markmsg = Some(format!("(MARK at {markpos})"));
                    loop {
                        match stack.pop() {
                            Some(true) => break,
                            Some(false) => {}
                            None => return Err(fail("pop from empty list".into())),
                        }
                    }
                    numtopop = mark_at.unwrap_or(0);
                }
                None => {
                    errormsg = Some("no MARK exists on stack".into());
                    if !py314 {
                        markmsg = errormsg.clone();
                    }
                }
            }
        }

        let mut arg_key = None;
        match code {
            op::PUT | op::BINPUT | op::LONG_BINPUT | op::MEMOIZE => {
                let idx = if code == op::MEMOIZE {
                    markmsg = Some(format!("(as {})", memo.len()));
                    Key::from_u64(memo.len() as u64)
                } else {
                    memo_key(&o).map_err(fail)?
                };
                if memo.contains(&idx) && !py314 {
                    let shown = match &arg {
                        Some(Decoded::Text(t)) => t.clone(),
                        _ => "None".into(),
                    };
                    errormsg = Some(format!("memo key {shown} already defined"));
                } else if stack.is_empty() {
                    errormsg = Some("stack is empty -- can't store into memo".into());
                } else if stack.last() == Some(&true) {
                    errormsg = Some("can't store markobject in the memo".into());
                } else {
                    arg_key = Some(idx);
                }
            }
            op::GET | op::BINGET | op::LONG_BINGET => {
                let k = memo_key(&o).map_err(fail)?;
                if !memo.contains(&k) {
                    let shown = match &arg {
                        Some(Decoded::Text(t)) => t.clone(),
                        _ => k.to_string(),
                    };
                    errormsg = Some(format!("memo key {shown} has never been stored into"));
                }
            }
            _ => {}
        }
        if let Some(k) = arg_key {
            memo.insert(k);
        }

        if arg.is_some() || markmsg.is_some() {
            let pad = 10usize.saturating_sub(o.info.name.len());
            line.extend(std::iter::repeat(' ').take(pad));
            match &arg {
                Some(Decoded::Text(t)) => {
                    line.push(' ');
                    line.push_str(t);
                }
                Some(Decoded::Long(d)) => match long_repr(d) {
                    Ok(t) => {
                        line.push(' ');
                        line.push_str(&t);
                    }
                    Err(msg) => return Err(fail(msg)),
                },
                None => {}
            }
            if let Some(m) = &markmsg {
                line.push(' ');
                line.push_str(m);
            }
        }
        line.push('\n');
        w.put(&line)?;

        if let Some(msg) = errormsg {
            return Err(fail(msg));
        }
        if stack.len() < numtopop {
            return Err(Error::new(ErrorCode::StackUnderflow).or_at(o.pos as u64, code));
        }
        stack.truncate(stack.len() - numtopop);
        if code == op::MARK {
            marks.push(o.pos);
            stack.push(true);
        } else {
            stack.extend(std::iter::repeat(false).take(after));
        }
        if code == op::STOP {
            break;
        }
    }
    w.put(&format!("highest protocol among opcodes = {maxproto}\n"))?;
    if !stack.is_empty() {
        return Err(invalid(
            format!("stack not empty after STOP: {} items", stack.len()),
            ops.pos - 1,
            Some(op::STOP),
        ));
    }
    Ok(())
}

/// The memo key of a PUT or GET opcode.
fn memo_key(o: &Opcode<'_>) -> std::result::Result<Key, String> {
    match o.arg {
        RawArg::Uint(v) => Ok(Key::from_u64(v)),
        RawArg::Line(line) => decimal_short(line).map(Short::key),
        _ => unreachable!("memo opcodes have an int argument"),
    }
}

/// What `pickletools.optimize` returns: the first pickle in `bytes` without the PUTs (and
/// MEMOIZEs) that no GET uses, the memo renumbered from 0 and, at protocol 4 and up, framed
/// again.
///
/// The output is byte for byte what `pickletools.optimize` gives (this crate's tests check
/// every fixture and thousands of mutations of them). Unlike `pickletools`, it does not decode
/// arguments other than memo keys, so it also optimizes pickles whose strings `pickletools`
/// cannot decode (Python 2 `str` with non-ASCII bytes at protocol 0, for one); and a GET of a
/// memo key that no PUT stored before it is an error, where `pickletools` raises too except
/// at protocol 0 (it writes `GET None`, which no unpickler reads).
///
/// ```
/// // pickle.dumps([1, 'a'], protocol=2): two BINPUTs that nothing reads.
/// let p = b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01e.";
/// assert_eq!(pypickle::optimize(p)?, b"\x80\x02](K\x01X\x01\x00\x00\x00ae.");
/// # Ok::<(), pypickle::Error>(())
/// ```
pub fn optimize(bytes: &[u8]) -> Result<Vec<u8>> {
    enum Item<'a> {
        Put(Key),
        Get(Key, usize),
        Raw(&'a [u8]),
    }
    let mut ops = Ops {
        input: bytes,
        pos: 0,
    };
    let mut oldids: HashSet<Key> = HashSet::new();
    let mut newids: std::collections::HashMap<Key, Option<u64>> = Default::default();
    let mut items = Vec::new();
    let mut proto = 0u64;
    let mut header: &[u8] = &[];
    loop {
        let o = ops.next()?;
        let code = o.info.code;
        let raw = &bytes[o.pos..o.end];
        match code {
            op::PUT | op::BINPUT | op::LONG_BINPUT => {
                let k = memo_key(&o).map_err(|m| invalid(m, o.pos, Some(code)))?;
                oldids.insert(k.clone());
                items.push(Item::Put(k));
            }
            op::MEMOIZE => {
                let k = Key::from_u64(oldids.len() as u64);
                oldids.insert(k.clone());
                items.push(Item::Put(k));
            }
            op::FRAME => {}
            op::GET | op::BINGET | op::LONG_BINGET => {
                proto = proto.max(u64::from(o.info.proto));
                let k = memo_key(&o).map_err(|m| invalid(m, o.pos, Some(code)))?;
                newids.insert(k.clone(), None);
                items.push(Item::Get(k, o.pos));
            }
            op::PROTO => {
                if let RawArg::Uint(v) = o.arg {
                    // pickletools writes the result with a pickler of the highest protocol
                    // seen, which refuses one it does not know.
                    if v > 5 {
                        return Err(invalid(
                            format!("pickle protocol {v}: optimize writes protocols 0 to 5"),
                            o.pos,
                            Some(code),
                        ));
                    }
                    proto = proto.max(v);
                }
                if o.pos == 0 {
                    header = raw;
                } else {
                    items.push(Item::Raw(raw));
                }
            }
            _ => items.push(Item::Raw(raw)),
        }
        if code == op::STOP {
            break;
        }
    }
    drop(oldids);

    const FRAME_TARGET: usize = 64 * 1024;
    let framing = proto >= 4;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(header);
    let mut frame: Vec<u8> = Vec::new();
    let commit = |out: &mut Vec<u8>, frame: &mut Vec<u8>, force: bool| {
        if framing && (frame.len() >= FRAME_TARGET || force) {
            if frame.len() >= 4 {
                out.push(op::FRAME);
                out.extend_from_slice(&(frame.len() as u64).to_le_bytes());
            }
            out.append(frame);
        }
    };
    let mut idx: u64 = 0;
    let mut data = Vec::new();
    for item in &items {
        data.clear();
        let mut frameless = false;
        let piece: &[u8] = match item {
            Item::Put(k) => {
                let Some(slot) = newids.get_mut(k) else {
                    continue;
                };
                *slot = Some(idx);
                memo_op(&mut data, proto, idx, true)?;
                idx += 1;
                &data
            }
            Item::Get(k, pos) => {
                let Some(Some(i)) = newids.get(k).copied() else {
                    return Err(invalid(
                        format!("memo key {k} is read before it is stored"),
                        *pos,
                        bytes.get(*pos).copied(),
                    ));
                };
                memo_op(&mut data, proto, i, false)?;
                &data
            }
            Item::Raw(r) => {
                frameless = r.len() > FRAME_TARGET;
                r
            }
        };
        commit(&mut out, &mut frame, frameless);
        if frameless || !framing {
            out.extend_from_slice(piece);
        } else {
            frame.extend_from_slice(piece);
        }
    }
    if framing && !frame.is_empty() {
        commit(&mut out, &mut frame, true);
    }
    Ok(out)
}

/// What `pickle._Pickler.put` / `.get` write for memo index `idx` at protocol `proto`.
fn memo_op(out: &mut Vec<u8>, proto: u64, idx: u64, put: bool) -> Result<()> {
    if put && proto >= 4 {
        out.push(op::MEMOIZE);
    } else if proto >= 1 {
        if idx < 256 {
            out.push(if put { op::BINPUT } else { op::BINGET });
            out.push(idx as u8);
        } else {
            let i = u32::try_from(idx).map_err(|_| {
                Error::new(ErrorCode::Unsupported(
                    "more than 2**32 memo entries".into(),
                ))
            })?;
            out.push(if put {
                op::LONG_BINPUT
            } else {
                op::LONG_BINGET
            });
            out.extend_from_slice(&i.to_le_bytes());
        }
    } else {
        out.push(if put { op::PUT } else { op::GET });
        out.extend_from_slice(idx.to_string().as_bytes());
        out.push(b'\n');
    }
    Ok(())
}
