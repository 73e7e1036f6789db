//! Writing single values the way CPython's C pickler (`_pickle.c`) writes them: the opcode it
//! picks for each size and protocol, and the memo PUTs it makes.

use std::io::Write;

use super::memo::{is_cached_str, Found, SHORT_STR};
use super::output::{Buf, Room};
use super::Serializer;
use crate::error::{Error, ErrorCode, Result};
use crate::opcode::*;
use crate::value::bigint::{le_to_i64, minimal_len, MAX_STR_DIGITS};
use crate::value::{BigInt, Complex, Global, Made, Object, Value};

#[cold]
pub(crate) fn unserializable(msg: impl Into<Box<str>>) -> Error {
    Error::new(ErrorCode::Unserializable(msg.into()))
}

/// The header of a str of `len` UTF-8 bytes at `proto` (1+): opcode and length.
pub(crate) fn str_header(proto: u8, len: u64) -> Result<([u8; 9], usize)> {
    let mut h = [0u8; 9];
    if len <= 0xff && proto >= 4 {
        h[0] = SHORT_BINUNICODE;
        h[1] = len as u8;
        Ok((h, 2))
    } else if len <= u64::from(u32::MAX) {
        h[0] = BINUNICODE;
        h[1..5].copy_from_slice(&(len as u32).to_le_bytes());
        Ok((h, 5))
    } else if proto >= 4 {
        h[0] = BINUNICODE8;
        h[1..9].copy_from_slice(&len.to_le_bytes());
        Ok((h, 9))
    } else {
        Err(unserializable(format!(
            "a str of {len} bytes needs protocol 4 or higher (protocol {proto} counts lengths in 32 bits)"
        )))
    }
}

/// The header of a bytes object of `len` bytes at `proto` (3+).
pub(crate) fn bytes_header(proto: u8, len: u64) -> Result<([u8; 9], usize)> {
    let mut h = [0u8; 9];
    if len <= 0xff {
        h[0] = SHORT_BINBYTES;
        h[1] = len as u8;
        Ok((h, 2))
    } else if len <= u64::from(u32::MAX) {
        h[0] = BINBYTES;
        h[1..5].copy_from_slice(&(len as u32).to_le_bytes());
        Ok((h, 5))
    } else if proto >= 4 {
        h[0] = BINBYTES8;
        h[1..9].copy_from_slice(&len.to_le_bytes());
        Ok((h, 9))
    } else {
        Err(unserializable(format!(
            "bytes of {len} bytes need protocol 4 or higher (protocol {proto} counts lengths in 32 bits)"
        )))
    }
}

/// SHORT_BINUNICODE, the length, the text and `tail` of a str of at most [`SHORT_STR`] bytes
/// (protocol 4+), without a `memcpy` call for the few bytes: the text copied in fixed-size,
/// overlapping pieces over 32 zero bytes written in place, of which the ones that count are
/// kept. (Built in a stack array first, the pieces were read back wider than they were
/// stored, which stalls store forwarding.)
#[inline(always)]
fn put_short_str(room: Room<'_>, s: &[u8], tail: u8) {
    const _: () = assert!(SHORT_STR + 3 <= 32);
    let n = s.len();
    debug_assert!(n <= SHORT_STR, "callers check the length");
    room.put_with(|a: &mut [u8; 32]| {
        a[0] = SHORT_BINUNICODE;
        a[1] = n as u8;
        copy_short(a, 2, s);
        a[2 + n] = tail;
        3 + n
    });
}

/// `s` (at most [`SHORT_STR`] bytes) into `a` from `at` on, in fixed-size, overlapping
/// pieces: no `memcpy` call for a few bytes.
#[inline(always)]
fn copy_short(a: &mut [u8], at: usize, s: &[u8]) {
    let n = s.len();
    if n >= 8 {
        a[at..at + 8].copy_from_slice(&s[..8]);
        if n > 16 {
            a[at + 8..at + 16].copy_from_slice(&s[8..16]);
        }
        a[at + n - 8..at + n].copy_from_slice(&s[n - 8..]);
    } else if n >= 4 {
        a[at..at + 4].copy_from_slice(&s[..4]);
        a[at + n - 4..at + n].copy_from_slice(&s[n - 4..]);
    } else if n > 0 {
        a[at] = s[0];
        a[at + n / 2] = s[n / 2];
        a[at + n - 1] = s[n - 1];
    }
}

/// BINUNICODE, the 4-byte length, the text of a str of at most [`SHORT_STR`] bytes, and its
/// BINPUT (or LONG_BINPUT) of memo entry `id`: what protocols 1-3 write for a new short str,
/// built as [`put_short_str`] builds its opcode.
#[inline(always)]
fn put_binunicode_put(room: Room<'_>, s: &[u8], id: u32) {
    const _: () = assert!(5 + SHORT_STR + 5 <= 40);
    let n = s.len();
    debug_assert!(n <= SHORT_STR, "callers check the length");
    let (put, put_len) = if id < 256 {
        ([BINPUT, id as u8, 0, 0, 0], 2)
    } else {
        let b = id.to_le_bytes();
        ([LONG_BINPUT, b[0], b[1], b[2], b[3]], 5)
    };
    room.put_with(|a: &mut [u8; 40]| {
        a[0] = BINUNICODE;
        a[1] = n as u8;
        copy_short(a, 5, s);
        a[5 + n..10 + n].copy_from_slice(&put);
        5 + n + put_len
    });
}

/// BININT1, BININT2 or BININT, as CPython picks for a 32-bit int (protocol 1+).
#[inline(always)]
pub(crate) fn put_int32(room: Room<'_>, v: i32) {
    if v as u32 <= 0xff {
        room.put([BININT1, v as u8]);
    } else if v as u32 <= 0xffff {
        let [a, b] = (v as u16).to_le_bytes();
        room.put([BININT2, a, b]);
    } else {
        let [a, b, c, d] = v.to_le_bytes();
        room.put([BININT, a, b, c, d]);
    }
}

/// BINFLOAT (protocol 1+).
#[inline(always)]
pub(crate) fn put_binfloat(room: Room<'_>, v: f64) {
    let b = v.to_be_bytes();
    room.put([BINFLOAT, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
}

/// CPython's `raw_unicode_escape` for protocol 0 UNICODE: code points below 256 as one
/// Latin-1 byte, except `\`, `\0`, `\n`, `\r` and `\x1a` as `\u00xx`; the rest as `\uxxxx` or
/// `\Uxxxxxxxx` (lower-case hex).
pub(crate) fn raw_unicode_escape(buf: &mut Buf, s: &str) {
    if s.bytes()
        .all(|b| b < 0x80 && !matches!(b, b'\\' | 0 | b'\n' | b'\r' | 0x1a))
    {
        buf.extend_from_slice(s.as_bytes());
        return;
    }
    for c in s.chars() {
        push_escaped(buf, u32::from(c));
    }
}

/// [`raw_unicode_escape`] of the Latin-1 text of `bytes` (each byte is the code point).
pub(crate) fn raw_unicode_escape_latin1(buf: &mut Buf, bytes: &[u8]) {
    for &b in bytes {
        push_escaped(buf, u32::from(b));
    }
}

#[inline]
fn push_escaped(buf: &mut Buf, cp: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if cp >= 0x10000 {
        buf.extend_from_slice(b"\\U");
        for shift in (0..8).rev() {
            buf.push(HEX[(cp >> (shift * 4)) as usize & 0xf]);
        }
    } else if cp >= 0x100 || matches!(cp, 0x5c | 0 | 0x0a | 0x0d | 0x1a) {
        buf.extend_from_slice(b"\\u");
        for shift in (0..4).rev() {
            buf.push(HEX[(cp >> (shift * 4)) as usize & 0xf]);
        }
    } else {
        buf.push(cp as u8);
    }
}

/// Module names whose functions and types CPython names with a fresh (not interned) string.
fn fresh_qualname(module: &str) -> bool {
    matches!(module, "builtins" | "_codecs")
}

impl<W: Write, const P45: bool> Serializer<W, P45> {
    // ---- memo ----

    /// A PUT (or MEMOIZE) for the object just written; its id, if it got one.
    #[inline]
    pub(crate) fn memoize(&mut self) -> Option<u64> {
        let id = self.memo.next;
        if self.proto() >= 4 {
            self.out.buf.push(MEMOIZE);
            self.memo.next = id + 1;
            return Some(id);
        }
        if self.proto() != 0 && id <= u64::from(u32::MAX) {
            if id < 256 {
                self.out.buf.extend_from_slice(&[BINPUT, id as u8]);
            } else {
                let b = (id as u32).to_le_bytes();
                self.out
                    .buf
                    .extend_from_slice(&[LONG_BINPUT, b[0], b[1], b[2], b[3]]);
            }
            self.memo.next = id + 1;
            return Some(id);
        }
        self.memoize_put(id)
    }

    /// Take back the empty dict just written with its memo entry, the last one, if the output
    /// ends with exactly that (as CPython writes `{}` at this protocol); whether it did.
    /// CPython writes no state at all for an instance whose `__dict__` is empty.
    pub(crate) fn unwrite_empty_dict(&mut self) -> bool {
        self.unwrite_empty(false, &[])
    }

    /// Take back an empty slots state just written, `(None, {})` but for its closing TUPLE2
    /// (the dict with its memo entry, the `None`, and below protocol 2 the MARK), if the output
    /// ends with exactly that; whether it did. CPython writes no state for an instance of a
    /// slots class with no slot set.
    pub(crate) fn unwrite_empty_slots_state(&mut self) -> bool {
        let head: &[u8] = if self.proto() < 2 {
            &[MARK, NONE]
        } else {
            &[NONE]
        };
        self.unwrite_empty(false, head)
    }

    /// [`Self::unwrite_empty_dict`] for an empty list.
    pub(crate) fn unwrite_empty_list(&mut self) -> bool {
        self.unwrite_empty(true, &[])
    }

    /// Take back `head` and the empty list or dict written after it, with its memo entry, if
    /// the output ends with exactly those bytes.
    fn unwrite_empty(&mut self, list: bool, head: &[u8]) -> bool {
        let (empty, text) = if list {
            (EMPTY_LIST, 'l')
        } else {
            (EMPTY_DICT, 'd')
        };
        let Some(id) = self.memo.next.checked_sub(1) else {
            return false;
        };
        let mut tail = head.to_vec();
        match self.proto() {
            0 => tail.extend_from_slice(format!("({text}p{id}\n").as_bytes()),
            1..=3 => {
                tail.push(empty);
                match u8::try_from(id) {
                    Ok(id) => tail.extend_from_slice(&[BINPUT, id]),
                    Err(_) => match u32::try_from(id) {
                        Ok(id) => {
                            tail.push(LONG_BINPUT);
                            tail.extend_from_slice(&id.to_le_bytes());
                        }
                        Err(_) => return false,
                    },
                }
            }
            _ => tail.extend_from_slice(&[empty, MEMOIZE]),
        }
        if !self.out.buf.ends_with(&tail) {
            return false;
        }
        self.out.buf.truncate(self.out.buf.len() - tail.len());
        self.memo.next = id;
        true
    }

    /// [`Self::memoize`] of the rest: protocol 0's PUT, ids past 32 bits.
    #[inline(never)]
    fn memoize_put(&mut self, id: u64) -> Option<u64> {
        if self.proto() != 0 {
            // An id past 32 bits: CPython fails here; nothing refers to this object, so
            // leave it out.
            return None;
        }
        let buf = &mut self.out.buf;
        buf.push(PUT);
        let _ = writeln!(buf, "{id}");
        self.memo.next += 1;
        Some(id)
    }

    /// A GET of memo entry `id`: whoever stored it checked it is addressable.
    #[inline]
    pub(crate) fn memo_get(&mut self, id: u64) {
        if id < 256 && self.proto() != 0 {
            self.out.buf.extend_from_slice(&[BINGET, id as u8]);
        } else {
            self.memo_get_long(id);
        }
    }

    /// [`Self::memo_get`] out of line, as the tail of a fast path.
    #[inline(never)]
    fn memo_get_then_ok(&mut self, id: u64) -> Result<()> {
        self.memo_get(id);
        Ok(())
    }

    #[inline(never)]
    fn memo_get_long(&mut self, id: u64) {
        let proto = self.proto();
        let buf = &mut self.out.buf;
        if proto == 0 {
            buf.push(GET);
            let _ = writeln!(buf, "{id}");
        } else if id < 256 {
            buf.extend_from_slice(&[BINGET, id as u8]);
        } else {
            buf.push(LONG_BINGET);
            buf.extend_from_slice(&(id as u32).to_le_bytes());
        }
    }

    /// Whether a memo id can be the argument of a GET at this protocol.
    #[inline]
    fn gettable(&self, id: u64) -> Option<u64> {
        (self.proto() == 0 || id <= u64::from(u32::MAX)).then_some(id)
    }

    // ---- atoms ----

    pub(crate) fn emit_none(&mut self) {
        self.out.buf.push(NONE);
    }

    pub(crate) fn emit_bool(&mut self, v: bool) {
        let proto = self.proto();
        let buf = &mut self.out.buf;
        if proto >= 2 {
            buf.push(if v { NEWTRUE } else { NEWFALSE });
        } else {
            buf.extend_from_slice(if v { b"I01\n" } else { b"I00\n" });
        }
    }

    #[inline]
    pub(crate) fn emit_i64(&mut self, v: i64) {
        if let Ok(v) = i32::try_from(v) {
            if self.proto() == 0 {
                Self::emit_int_text(&mut self.out.buf, v);
            } else {
                put_int32(self.out.make_room(), v);
            }
        } else {
            self.emit_i64_long(v);
        }
    }

    /// [`Self::emit_long`] of an i64 outside i32, taking the value in a register (a closure or
    /// byte array made on the hot path would be spilled there).
    #[cold]
    #[inline(never)]
    fn emit_i64_long(&mut self, v: i64) {
        self.emit_long(&v.to_le_bytes(), move || v.to_string());
    }

    #[cold]
    #[inline(never)]
    fn emit_int_text(buf: &mut Buf, v: i32) {
        buf.push(INT);
        let _ = writeln!(buf, "{v}");
    }

    #[inline]
    pub(crate) fn emit_u64(&mut self, v: u64) {
        if v <= i32::MAX as u64 && self.proto() != 0 {
            put_int32(self.out.make_room(), v as i32);
        } else {
            self.emit_u64_other(v);
        }
    }

    /// [`Self::emit_u64`] of the rest: beyond i32, or protocol 0.
    #[cold]
    #[inline(never)]
    fn emit_u64_other(&mut self, v: u64) {
        match i64::try_from(v) {
            Ok(v) => self.emit_i64(v),
            Err(_) => {
                let mut b = [0u8; 9];
                b[..8].copy_from_slice(&v.to_le_bytes());
                self.emit_long(&b, move || v.to_string());
            }
        }
    }

    pub(crate) fn emit_i128(&mut self, v: i128) {
        match i64::try_from(v) {
            Ok(v) => self.emit_i64(v),
            Err(_) => self.emit_long(&v.to_le_bytes(), move || v.to_string()),
        }
    }

    pub(crate) fn emit_u128(&mut self, v: u128) {
        match i128::try_from(v) {
            Ok(v) => self.emit_i128(v),
            Err(_) => {
                let mut b = [0u8; 17];
                b[..16].copy_from_slice(&v.to_le_bytes());
                self.emit_long(&b, move || v.to_string());
            }
        }
    }

    /// An integer from little-endian two's complement bytes of any length. At protocols 0-1
    /// it is decimal text, which CPython refuses to write (and every unpickler to read) past
    /// 4300 digits: so is it here.
    pub(crate) fn emit_int_le(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(v) = le_to_i64(bytes) {
            self.emit_i64(v);
            return Ok(());
        }
        if self.proto() >= 2 {
            self.emit_long(bytes, || unreachable!("text only before protocol 2"));
            return Ok(());
        }
        let Some(text) = BigInt::from_le_bytes(bytes).to_decimal() else {
            return Err(unserializable(format!(
                "an int of more than {MAX_STR_DIGITS} decimal digits cannot be written at \
                 protocols 0-1, whose text Python refuses to write or read (protocols 2-5 write \
                 any size)"
            )));
        };
        self.emit_long(bytes, || text);
        Ok(())
    }

    /// An integer outside i32: LONG1/LONG4 from protocol 2, `L<digits>L` text before (CPython
    /// writes INT text only for values that fit in 32 bits).
    #[cold]
    #[inline(never)]
    fn emit_long(&mut self, le: &[u8], decimal: impl FnOnce() -> String) {
        let proto = self.proto();
        let buf = &mut self.out.buf;
        if proto >= 2 {
            let bytes = &le[..minimal_len(le)];
            if bytes.len() < 256 {
                buf.extend_from_slice(&[LONG1, bytes.len() as u8]);
            } else {
                buf.push(LONG4);
                buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            }
            buf.extend_from_slice(bytes);
        } else {
            buf.push(LONG);
            buf.extend_from_slice(decimal().as_bytes());
            buf.extend_from_slice(b"L\n");
        }
    }

    #[inline]
    pub(crate) fn emit_f64(&mut self, v: f64) {
        if self.proto() >= 1 {
            put_binfloat(self.out.make_room(), v);
        } else {
            self.emit_float_text(v);
        }
    }

    /// FLOAT with `repr(float)` (protocol 0), which Value's Display is.
    #[cold]
    #[inline(never)]
    fn emit_float_text(&mut self, v: f64) {
        let buf = &mut self.out.buf;
        buf.push(FLOAT);
        let _ = writeln!(buf, "{}", Value::Float(v));
    }

    /// A str, without its PUT.
    #[inline]
    pub(crate) fn emit_str_op(&mut self, s: &str) -> Result<()> {
        if s.len() <= 0xff && self.proto() >= 4 {
            let buf = &mut self.out.buf;
            buf.reserve(s.len() + 3);
            buf.extend_from_slice(&[SHORT_BINUNICODE, s.len() as u8]);
            buf.extend_from_slice(s.as_bytes());
            return Ok(());
        }
        if s.len() <= 0xffff && self.proto() != 0 && self.proto() < 4 {
            let buf = &mut self.out.buf;
            buf.reserve(s.len() + 5);
            buf.push(BINUNICODE);
            buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
            buf.extend_from_slice(s.as_bytes());
            return Ok(());
        }
        self.emit_str_op_slow(s)
    }

    #[cold]
    #[inline(never)]
    fn emit_str_op_slow(&mut self, s: &str) -> Result<()> {
        if self.proto() == 0 {
            let buf = &mut self.out.buf;
            buf.push(UNICODE);
            raw_unicode_escape(buf, s);
            buf.push(b'\n');
            Ok(())
        } else {
            let (h, n) = str_header(self.proto(), s.len() as u64)?;
            Ok(self.out.write_payload(&h[..n], s.as_bytes())?)
        }
    }

    /// A str value: written, then memoized.
    #[inline(always)]
    pub(crate) fn emit_str(&mut self, s: &str) -> Result<()> {
        // One compare for most short strings: 3 bytes and more are never CPython's cached ones.
        if s.len().wrapping_sub(3) <= SHORT_STR - 3 && self.opts.memoize_strings {
            return self.short_str(s);
        }
        self.emit_str_other(s)
    }

    /// [`Self::emit_str`] of the rest: up to 2 bytes, long, or with the cache off.
    #[inline(never)]
    fn emit_str_other(&mut self, s: &str) -> Result<()> {
        if s.len() <= SHORT_STR {
            if is_cached_str(s) {
                return self.emit_interned_str(s);
            }
            if self.opts.memoize_strings {
                return self.short_str(s);
            }
        }
        self.emit_plain_str(s)
    }

    /// A str value of at most [`SHORT_STR`] bytes, not a cached one, through the cache.
    #[inline(always)]
    pub(crate) fn short_str(&mut self, s: &str) -> Result<()> {
        match self.memo.short.recent(s) {
            Ok(get) => {
                self.out.make_room().put(get);
                Ok(())
            }
            Err((index, first, last)) => self.short_str_search(s, index, first, last),
        }
    }

    /// [`Self::short_str`] from the value's save boundary: a repeat's BINGET goes with the
    /// boundary's [`Room`] when the boundary has no work.
    #[inline(always)]
    pub(crate) fn short_str_value(&mut self, s: &str) -> Result<()> {
        let Some(room) = self.out.room() else {
            return self.str_value_slow(s);
        };
        match self.memo.short.recent(s) {
            Ok(get) => {
                room.put(get);
                Ok(())
            }
            Err((index, first, last)) => self.short_str_search(s, index, first, last),
        }
    }

    /// [`Self::short_str`] past the first level of the cache, out of line so that the hit
    /// above is small enough to be inlined into a caller's loop: the cache searched, and
    /// whatever it found (or the str, if it missed) written.
    #[inline(never)]
    fn short_str_search(&mut self, s: &str, index: u8, first: u64, last: u64) -> Result<()> {
        if !self.memo.short.is_allocated() {
            // A tail call: no call in here, so that this saves and restores few registers.
            return self.short_str_first(s, index, first, last);
        }
        let binget = self.proto() != 0;
        match self
            .memo
            .short
            .search(s, (index, first, last), binget, self.memo.next)
        {
            Found::Get(get) => {
                self.out.make_room().put(get);
                Ok(())
            }
            Found::Id(id) => self.memo_get_then_ok(id),
            Found::Miss => self.short_str_miss(s),
        }
    }

    /// [`Self::short_str_search`] of the first short str: the cache made first.
    #[cold]
    #[inline(never)]
    fn short_str_first(&mut self, s: &str, index: u8, first: u64, last: u64) -> Result<()> {
        self.memo.short.allocate();
        self.short_str_search(s, index, first, last)
    }

    /// A short str value the cache missed (and now holds as the memo entry to come): written
    /// and memoized. Protocol 4's SHORT_BINUNICODE and MEMOIZE, or BINUNICODE and BINPUT (or
    /// LONG_BINPUT) for protocols 1-3, each in one write.
    #[inline(always)]
    fn short_str_miss(&mut self, s: &str) -> Result<()> {
        let id = self.memo.next;
        if self.proto() == 0 || s.len() > SHORT_STR || id > u64::from(u32::MAX) {
            return self.short_str_miss_slow(s);
        }
        if self.proto() >= 4 {
            put_short_str(self.out.make_room(), s.as_bytes(), MEMOIZE);
        } else {
            put_binunicode_put(self.out.make_room(), s.as_bytes(), id as u32);
        }
        self.memo.next = id + 1;
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn short_str_miss_slow(&mut self, s: &str) -> Result<()> {
        self.emit_str_op(s)?;
        self.memoize();
        Ok(())
    }

    /// A str written out in full (unless it is one of CPython's cached strings), then memoized.
    pub(crate) fn emit_plain_str(&mut self, s: &str) -> Result<()> {
        if is_cached_str(s) {
            return self.emit_interned_str(s);
        }
        self.emit_str_op(s)?;
        self.memoize();
        Ok(())
    }

    /// A str CPython would have interned: a GET if the same text was memoized before.
    pub(crate) fn emit_interned_str(&mut self, s: &str) -> Result<()> {
        if let Some(id) = self.memo.get_str(s) {
            self.memo_get(id);
            return Ok(());
        }
        self.emit_str_op(s)?;
        if let Some(id) = self.memoize().and_then(|id| self.gettable(id)) {
            self.memo.put_str(s, id);
        }
        Ok(())
    }

    /// A `&'static str` dict key or variant name: memoized by address (and by content).
    #[inline(always)]
    pub(crate) fn emit_static_key(&mut self, s: &'static str) -> Result<()> {
        if !self.opts.memoize_keys {
            return self.emit_plain_str(s);
        }
        if let Some(id) = self.memo.get_static(s) {
            self.memo_get(id);
            return Ok(());
        }
        self.static_key_slow(s)
    }

    /// A struct's `index`th field name: [`Self::emit_static_key`], found by its place first
    /// (only ids below 256 of protocols 1+ are put there: a BINGET).
    #[cold]
    #[inline(never)]
    pub(crate) fn emit_field_key(&mut self, s: &'static str, index: usize) -> Result<()> {
        if let Some(get) = self.memo.get_field(s, index) {
            self.out.buf.extend_from_slice(&get);
            return Ok(());
        }
        self.emit_static_key(s)?;
        if self.opts.memoize_keys && self.proto() != 0 {
            if let Some(id) = self.memo.get_static(s) {
                self.memo.put_field(s, index, id);
            }
        }
        Ok(())
    }

    #[cold]
    fn static_key_slow(&mut self, s: &'static str) -> Result<()> {
        let before = self.memo.next;
        self.emit_interned_str(s)?;
        let id = match self.memo.get_str(s) {
            Some(id) => Some(id),
            // Too long for the content table, or not gettable: still memoized by address.
            None if self.memo.next > before => self.gettable(before),
            None => None,
        };
        if let Some(id) = id {
            self.memo.put_static(s, id);
        }
        Ok(())
    }

    /// bytes: the bytes opcodes from protocol 3; before, `_codecs.encode(latin1 text,
    /// 'latin1')` (or `bytes()` for b''), which Python 2 loads as `str` and Python 3 as `bytes`.
    pub(crate) fn emit_bytes(&mut self, b: &[u8]) -> Result<()> {
        self.emit_bytes_object(b, true)
    }

    /// `cached`: the object is CPython's singleton for `b''` or a 1-byte value, memo-shared
    /// with every equal one (not so the fresh bytes CPython makes from a bytearray).
    fn emit_bytes_object(&mut self, b: &[u8], cached: bool) -> Result<()> {
        if cached && b.len() <= 1 {
            if let Some(id) = self.memo.get_small_bytes(b) {
                self.memo_get(id);
                return Ok(());
            }
        }
        if self.proto() >= 3 {
            let (h, n) = bytes_header(self.proto(), b.len() as u64)?;
            self.out.write_payload(&h[..n], b)?;
        } else if b.is_empty() {
            self.emit_global("builtins", "bytes")?;
            self.boundary()?;
            self.emit_empty_tuple();
            self.out.buf.push(REDUCE);
        } else {
            self.emit_global("_codecs", "encode")?;
            self.boundary()?;
            if self.proto() < 2 {
                self.out.buf.push(MARK);
            }
            self.boundary()?;
            if let [c] = b {
                // A one-character str: CPython's cached object, a memo reference when repeated.
                self.emit_interned_str(char::from(*c).encode_utf8(&mut [0; 4]))?;
            } else {
                self.emit_latin1_str(b)?;
                self.memoize();
            }
            self.boundary()?;
            self.emit_interned_str("latin1")?;
            self.out
                .buf
                .push(if self.proto() >= 2 { TUPLE2 } else { TUPLE });
            self.memoize();
            self.out.buf.push(REDUCE);
        }
        if let Some(id) = self.memoize().and_then(|id| self.gettable(id)) {
            if cached {
                self.memo.put_small_bytes(b, id);
            }
        }
        Ok(())
    }

    /// The str whose code points are the bytes (protocols 0-2), without its PUT.
    fn emit_latin1_str(&mut self, b: &[u8]) -> Result<()> {
        let proto = self.proto();
        let buf = &mut self.out.buf;
        if proto == 0 {
            buf.push(UNICODE);
            raw_unicode_escape_latin1(buf, b);
            buf.push(b'\n');
            return Ok(());
        }
        let high = b.iter().filter(|&&c| c >= 0x80).count();
        let (h, n) = str_header(proto, b.len() as u64 + high as u64)?;
        buf.reserve(n + b.len() + high);
        buf.extend_from_slice(&h[..n]);
        if high == 0 {
            buf.extend_from_slice(b);
        } else {
            for &c in b {
                if c < 0x80 {
                    buf.push(c);
                } else {
                    buf.extend_from_slice(&[0xc0 | (c >> 6), 0x80 | (c & 0x3f)]);
                }
            }
        }
        Ok(())
    }

    /// bytearray: BYTEARRAY8 at protocol 5; before, `builtins.bytearray(bytes)` (or
    /// `bytearray()`), as CPython writes it.
    pub(crate) fn emit_bytearray(&mut self, b: &[u8]) -> Result<()> {
        if self.proto() >= 5 {
            let mut h = [BYTEARRAY8, 0, 0, 0, 0, 0, 0, 0, 0];
            h[1..].copy_from_slice(&(b.len() as u64).to_le_bytes());
            self.out.write_payload(&h, b)?;
        } else {
            self.emit_global("builtins", "bytearray")?;
            self.boundary()?;
            if b.is_empty() {
                self.emit_empty_tuple();
            } else {
                if self.proto() < 2 {
                    self.out.buf.push(MARK);
                }
                self.boundary()?;
                self.emit_bytes_object(b, false)?;
                self.end_one_tuple();
            }
            self.out.buf.push(REDUCE);
        }
        self.memoize();
        Ok(())
    }

    /// The end of a one-item tuple whose item is written (after a MARK below protocol 2):
    /// TUPLE1, or TUPLE below protocol 2, memoized.
    pub(crate) fn end_one_tuple(&mut self) {
        self.out
            .buf
            .push(if self.proto() >= 2 { TUPLE1 } else { TUPLE });
        self.memoize();
    }

    /// `()`: EMPTY_TUPLE, or MARK TUPLE at protocol 0; never memoized.
    pub(crate) fn emit_empty_tuple(&mut self) {
        if self.proto() >= 1 {
            self.out.buf.push(EMPTY_TUPLE);
        } else {
            self.out.buf.extend_from_slice(&[MARK, TUPLE]);
        }
    }

    /// A global `module.name` (a class or function), memoized and referred back to.
    ///
    /// Protocol 4+: STACK_GLOBAL of the two names. Before: GLOBAL, under its Python 2 name at
    /// protocols 0-2 (with `fix_imports`), and for a dotted (nested) name
    /// `getattr(module.Outer, 'Inner')`, as CPython writes them.
    pub(crate) fn emit_global(&mut self, module: &str, name: &str) -> Result<()> {
        if let Some(id) = self.memo.get_global(module, name) {
            self.memo_get(id);
            return Ok(());
        }
        if self.proto() >= 2
            && !self.opts.extensions.is_empty()
            && self.emit_extension(module, name)
        {
            return Ok(());
        }
        // A dotted name is a nested class, which protocol 4 names directly, or a class's
        // method, which CPython pickles as `getattr(cls, name)` at every protocol.
        let dotted = name
            .rsplit_once('.')
            .filter(|_| self.proto() < 4 || crate::stdlib::pickled_by_getattr(module, name));
        if self.proto() >= 4 && dotted.is_none() {
            self.boundary()?;
            self.emit_interned_str(module)?;
            self.boundary()?;
            if fresh_qualname(module) {
                self.emit_str(name)?;
            } else {
                self.emit_interned_str(name)?;
            }
            self.out.buf.push(STACK_GLOBAL);
        } else if let Some((parent, last)) = dotted {
            self.emit_global("builtins", "getattr")?;
            self.boundary()?;
            if self.proto() < 2 {
                self.out.buf.push(MARK);
            }
            self.boundary()?;
            self.emit_global(module, parent)?;
            self.boundary()?;
            self.emit_str(last)?;
            self.out
                .buf
                .push(if self.proto() >= 2 { TUPLE2 } else { TUPLE });
            self.memoize();
            self.out.buf.push(REDUCE);
        } else {
            let (m, n) = if self.proto() < 3 && self.opts.fix_imports {
                crate::class::to_python2(module, name)
            } else {
                (module, name)
            };
            if self.proto() < 3 && !(m.is_ascii() && n.is_ascii()) {
                return Err(unserializable(format!(
                    "global {module}.{name} is not ASCII, which protocol {} cannot name (use protocol 3 or higher)",
                    self.proto()
                )));
            }
            if m.contains('\n') || n.contains('\n') || m.is_empty() || n.is_empty() {
                return Err(unserializable(format!(
                    "global {module:?}.{name:?} cannot be written as a GLOBAL line"
                )));
            }
            let buf = &mut self.out.buf;
            buf.push(GLOBAL);
            buf.extend_from_slice(m.as_bytes());
            buf.push(b'\n');
            buf.extend_from_slice(n.as_bytes());
            buf.push(b'\n');
        }
        if let Some(id) = self.memoize().and_then(|id| self.gettable(id)) {
            self.memo.put_global(module, name, id);
        }
        Ok(())
    }

    /// complex: `builtins.complex(re, im)` by REDUCE at every protocol (CPython's
    /// `copyreg.pickle_complex`).
    pub(crate) fn emit_complex(&mut self, c: Complex) -> Result<()> {
        self.emit_global("builtins", "complex")?;
        self.boundary()?;
        if self.proto() < 2 {
            self.out.buf.push(MARK);
        }
        self.boundary()?;
        self.emit_f64(c.re);
        self.boundary()?;
        self.emit_f64(c.im);
        self.out
            .buf
            .push(if self.proto() >= 2 { TUPLE2 } else { TUPLE });
        self.memoize();
        self.out.buf.push(REDUCE);
        self.memoize();
        Ok(())
    }

    /// A tuple of Values, as `save_tuple` writes it.
    pub(crate) fn emit_value_tuple(&mut self, items: &[&Value]) -> Result<()> {
        if items.is_empty() {
            self.emit_empty_tuple();
            return Ok(());
        }
        let short = self.proto() >= 2 && items.len() <= 3;
        if !short {
            self.out.buf.push(MARK);
        }
        for v in items {
            self.save_value(v)?;
        }
        self.out.buf.push(if short {
            [EMPTY_TUPLE, TUPLE1, TUPLE2, TUPLE3][items.len()]
        } else {
            TUPLE
        });
        self.memoize();
        Ok(())
    }

    /// An instance of a class, so that CPython builds the same object: the constructor call
    /// its `made` says, then list items, dict items and each BUILD state.
    pub(crate) fn emit_object(&mut self, o: &Object) -> Result<()> {
        // An `array.array` is written below protocol 3 as CPython writes it there (and Python
        // 2 reads it), whichever form it was read or built in.
        if self.proto() < 3 {
            if let Some(args) = crate::stdlib::array_list_form(o) {
                self.emit_global("array", "array")?;
                self.boundary()?;
                serde::Serialize::serialize(&args, &mut *self)?;
                self.out.buf.push(REDUCE);
                self.memoize();
                return Ok(());
            }
        }
        let Global { module, name } = &o.class;
        // What Python could not load (NEWOBJ of a list) or would load as another value.
        let args: Vec<&Value> = match &o.args {
            Value::Tuple(items) => items.iter().collect(),
            other => {
                return Err(unserializable(format!(
                    "an object's args must be a tuple (Python calls with a tuple of arguments), \
                     not a {}",
                    other.type_name()
                )))
            }
        };
        if let Some(kw) = o.kwargs.as_ref().filter(|kw| !matches!(kw, Value::Dict(_))) {
            return Err(unserializable(format!(
                "an object's kwargs must be a dict, not a {}",
                kw.type_name()
            )));
        }
        // Only `cls.__new__(cls, *args, **kwargs)` takes keywords: anywhere else they would be
        // left out of the pickle.
        if matches!(&o.kwargs, Some(Value::Dict(kw)) if !kw.is_empty()) && o.made != Made::NewEx {
            return Err(unserializable(format!(
                "an object made by {:?} has no keyword arguments to write: kwargs need \
                 Made::NewEx (NEWOBJ_EX)",
                o.made
            )));
        }
        // A class CPython reduces with `copyreg._reduce_ex` below protocol 2 is written as
        // CPython writes it at this protocol, whichever of its two forms it was read in:
        // `_reconstructor(cls, object, None)` below 2, `cls.__new__(cls)` from 2 on.
        let reduce_ex = crate::stdlib::reconstructed_below_protocol_2(&o.class)
            && match o.made {
                Made::New => args.is_empty(),
                Made::Reconstructor => matches!(args.as_slice(), [Value::Global(g), Value::None]
                    if g.module == "builtins" && g.name == "object"),
                _ => false,
            };
        let (object, none, no_args);
        let (made, args, args_tuple) = match (reduce_ex, self.proto() >= 2) {
            (true, true) => {
                no_args = Value::Tuple(Vec::new());
                (Made::New, Vec::new(), &no_args)
            }
            (true, false) if o.made == Made::New => {
                object = Value::Global(Box::new(Global {
                    module: "builtins".into(),
                    name: "object".into(),
                }));
                none = Value::None;
                (Made::Reconstructor, vec![&object, &none], &o.args)
            }
            _ => (o.made, args, &o.args),
        };
        match made {
            Made::Call => {
                self.emit_global(module, name)?;
                self.boundary()?;
                self.save_value(&o.args)?;
                self.out.buf.push(REDUCE);
            }
            Made::New if self.proto() >= 2 => {
                self.emit_global(module, name)?;
                self.boundary()?;
                self.save_value(args_tuple)?;
                self.out.buf.push(NEWOBJ);
            }
            Made::NewEx if self.proto() >= 4 => {
                self.emit_global(module, name)?;
                self.boundary()?;
                self.save_value(&o.args)?;
                self.boundary()?;
                match &o.kwargs {
                    Some(kw) => self.save_value(kw)?,
                    None => self.save_value(&Value::Dict(Vec::new()))?,
                }
                self.out.buf.push(NEWOBJ_EX);
            }
            Made::New | Made::Reconstructor => {
                let func = if made == Made::New {
                    "__newobj__"
                } else {
                    "_reconstructor"
                };
                self.emit_global("copyreg", func)?;
                self.boundary()?;
                let class = Value::Global(Box::new(o.class.clone()));
                let mut items = vec![&class];
                items.extend(args);
                self.emit_value_tuple(&items)?;
                self.out.buf.push(REDUCE);
            }
            Made::NewEx => self.emit_partial_new(o)?,
        }
        self.memoize();
        self.emit_object_items(o)?;
        for state in &o.state {
            self.boundary()?;
            self.save_value(state)?;
            self.out.buf.push(BUILD);
        }
        Ok(())
    }

    /// `cls.__new__(cls, *args, **kwargs)` below protocol 4, byte for byte as CPython's
    /// protocols 2-3 write it: `partial(cls.__new__)` (the function named `getattr(cls,
    /// '__new__')`), given the state `(func, (cls, *args), kwargs, None)` with the function
    /// referred back to, called with no arguments. (Python 3's
    /// `copyreg.__newobj_ex__` would be shorter, but Python 2 has none.) Apart from
    /// [`Self::emit_object`], which recurses, to keep its stack frame small.
    ///
    /// The arguments lie two containers deep in the partial (its state tuple, and in it the
    /// tuple of `cls` and the arguments), and as deep on the stack: both count against
    /// `max_depth`, or 256 levels of objects nested through their arguments would not fit a
    /// 2 MiB thread in a debug build (found by a review; 127 overflowed it).
    #[cold]
    #[inline(never)]
    fn emit_partial_new(&mut self, o: &Object) -> Result<()> {
        const EXTRA: u32 = 2;
        if self.level + EXTRA > self.opts.max_depth {
            return Err(self.too_deep_inside());
        }
        self.level += EXTRA;
        let r = self.emit_partial_new_within(o);
        self.level -= EXTRA;
        r
    }

    /// [`Self::emit_partial_new`], two levels deeper.
    fn emit_partial_new_within(&mut self, o: &Object) -> Result<()> {
        let Global { module, name } = &o.class;
        // The function as a global of a dotted name: written once, then a memo GET.
        let new = format!("{name}.__new__");
        self.emit_global("functools", "partial")?;
        self.boundary()?;
        if self.proto() < 2 {
            self.out.buf.push(MARK);
        }
        self.emit_global(module, &new)?;
        self.boundary()?;
        self.end_one_tuple();
        self.out.buf.push(REDUCE);
        self.memoize();
        // The partial's state, as its `__reduce__` gives it.
        self.boundary()?;
        self.out.buf.push(MARK);
        self.emit_global(module, &new)?;
        self.boundary()?;
        // `(cls, *args)`, the arguments written where they are (not copied into a tuple).
        let class = Value::Global(Box::new(o.class.clone()));
        let mut fargs = vec![&class];
        if let Value::Tuple(a) = &o.args {
            fargs.extend(a);
        }
        self.emit_value_tuple(&fargs)?;
        self.boundary()?;
        match &o.kwargs {
            Some(kw) => self.save_value(kw)?,
            None => self.save_value(&Value::Dict(Vec::new()))?,
        }
        self.boundary()?;
        self.out.buf.extend_from_slice(&[NONE, TUPLE]);
        self.memoize();
        self.out.buf.push(BUILD);
        self.emit_empty_tuple();
        self.out.buf.push(REDUCE);
        Ok(())
    }

    /// `batch_list` / `batch_dict` for a list or dict subclass: batches of 1000, a last batch
    /// of one item as APPEND/SETITEM; one at a time at protocol 0.
    fn emit_object_items(&mut self, o: &Object) -> Result<()> {
        for chunk in o
            .list_items
            .chunks(if self.proto() == 0 { 1 } else { 1000 })
        {
            let multi = chunk.len() > 1;
            if multi {
                self.out.buf.push(MARK);
            }
            for item in chunk {
                self.save_value(item)?;
            }
            self.out.buf.push(if multi { APPENDS } else { APPEND });
        }
        for chunk in o
            .dict_items
            .chunks(if self.proto() == 0 { 1 } else { 1000 })
        {
            let multi = chunk.len() > 1;
            if multi {
                self.out.buf.push(MARK);
            }
            for (k, v) in chunk {
                self.save_key_value(k)?;
                self.save_value(v)?;
            }
            self.out.buf.push(if multi { SETITEMS } else { SETITEM });
        }
        Ok(())
    }

    /// A Value as a dict key: it must be hashable.
    fn save_key_value(&mut self, k: &Value) -> Result<()> {
        let saved = self.set_key(true);
        let r = self.save_value(k);
        self.set_key(saved);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ser::output::Output;

    #[test]
    fn over_4_gib_needs_protocol_4() {
        let big = u64::from(u32::MAX) + 1;
        for proto in 1..=3 {
            let e = str_header(proto, big).unwrap_err();
            assert!(e.to_string().contains("protocol 4"), "{e}");
            assert!(bytes_header(proto, big).is_err() || proto < 3);
        }
        assert_eq!(str_header(3, u64::from(u32::MAX)).unwrap().0[0], BINUNICODE);
        assert_eq!(str_header(4, big).unwrap().0[0], BINUNICODE8);
        assert_eq!(bytes_header(4, big).unwrap().0[0], BINBYTES8);
        assert!(bytes_header(3, big).is_err());
        assert_eq!(str_header(4, 255).unwrap().1, 2);
        assert_eq!(str_header(3, 255).unwrap().1, 5);
        assert_eq!(str_header(4, 256).unwrap().0[0], BINUNICODE);
    }

    #[test]
    fn short_strs_written_whole_at_every_length() {
        let text = "abcdefghijklmnopqrstuvwxyz\u{e9}";
        for n in 0..=SHORT_STR {
            let s = &text.as_bytes()[..n];
            let mut out = Output::new(std::io::sink(), true);
            out.buf.push(b'x');
            put_short_str(out.make_room(), s, MEMOIZE);
            let got = &out.buf;
            let mut want = vec![b'x', SHORT_BINUNICODE, n as u8];
            want.extend_from_slice(s);
            want.push(MEMOIZE);
            assert_eq!(&got[..], &want[..], "{n} bytes");
        }
    }

    #[test]
    fn protocol_3_short_strs_written_whole_with_their_put() {
        let text = "abcdefghijklmnopqrstuvwxyz\u{e9}";
        for n in 0..=SHORT_STR {
            let s = &text.as_bytes()[..n];
            for id in [0u32, 7, 255, 256, 0x1234_5678, u32::MAX] {
                let mut out = Output::new(std::io::sink(), true);
                out.buf.push(b'x');
                put_binunicode_put(out.make_room(), s, id);
                let got = &out.buf;
                let mut want = vec![b'x', BINUNICODE];
                want.extend_from_slice(&(n as u32).to_le_bytes());
                want.extend_from_slice(s);
                if id < 256 {
                    want.extend_from_slice(&[BINPUT, id as u8]);
                } else {
                    want.push(LONG_BINPUT);
                    want.extend_from_slice(&id.to_le_bytes());
                }
                assert_eq!(&got[..], &want[..], "{n} bytes, id {id}");
            }
        }
    }

    #[test]
    fn raw_unicode_escape_like_cpython() {
        let mut b = Buf::default();
        raw_unicode_escape(&mut b, "a\\\n\r\0\x1a\u{e9}\u{20ac}\u{1f600} \t");
        assert_eq!(
            &b[..],
            b"a\\u005c\\u000a\\u000d\\u0000\\u001a\xe9\\u20ac\\U0001f600 \t"
        );
    }
}
