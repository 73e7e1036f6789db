//! Input sources for the unpickler: a borrowing slice reader and an `io::Read` reader behind one
//! sealed trait.
//!
//! Both hand out [`Span`]s: a stretch of bytes that is either in the caller's input (and so can
//! be lent to `Deserialize` impls as `&'de str` / `&'de [u8]`) or in the deserializer's scratch
//! buffer (copied there by the `io::Read` reader, or decoded by the unpickler).
//! Framing (protocol 4's FRAME opcode) is handled here: the unpickler's one-opcode-at-a-time
//! path never sees a frame edge, and its fast loop runs over one frame at a time
//! ([`Read::window`], [`Read::scratch_window`]).

use std::io;

use crate::error::{Error, ErrorCode, Result};

/// Bytes read from the input, by position: in the input itself or in the scratch buffer.
///
/// Packed into 12 bytes, laid out as an arena node holds it: one word with the length's low
/// 23 bits (bits 0-22), whether the bytes are in the scratch buffer (bit 23) and the start
/// (bits 24-63), then the length's high bits. Every field comes out with a shift or a mask
/// that fits an instruction's immediate. Inputs and scratch buffers stay under
/// [`MAX_OFFSET`], which the unpickler checks.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(4))]
pub struct Span {
    word: u64,
    len_hi: u32,
}

/// Offsets into the input or the scratch buffer are below this (1 TiB).
pub(crate) const MAX_OFFSET: u64 = 1 << (64 - START_SHIFT);
const LEN_LO_BITS: u32 = 23;
const LEN_LO_MASK: u64 = (1 << LEN_LO_BITS) - 1;
const SCRATCH_BIT: u64 = 1 << LEN_LO_BITS;
const START_SHIFT: u32 = LEN_LO_BITS + 1;
/// Strings, bytes and big ints are shorter than this (64 GiB), which the unpickler checks: an
/// arena node holds 13 of a span's high length bits.
pub(crate) const MAX_NODE_LEN: u64 = 1 << (LEN_LO_BITS + 13);

impl Span {
    pub(crate) const EMPTY: Span = Span { word: 0, len_hi: 0 };

    #[inline]
    fn pack(start: usize, len: usize, scratch: u64) -> Span {
        let (start, len) = (start as u64, len as u64);
        debug_assert!(start < MAX_OFFSET && len < MAX_OFFSET);
        Span {
            word: start << START_SHIFT | scratch | (len & LEN_LO_MASK),
            len_hi: (len >> LEN_LO_BITS) as u32,
        }
    }

    #[inline]
    pub(crate) fn input(start: usize, len: usize) -> Span {
        Span::pack(start, len, 0)
    }

    #[inline]
    pub(crate) fn scratch(start: usize, len: usize) -> Span {
        Span::pack(start, len, SCRATCH_BIT)
    }

    #[inline]
    fn start(self) -> usize {
        (self.word >> START_SHIFT) as usize
    }

    #[inline]
    fn in_scratch(self) -> bool {
        self.word & SCRATCH_BIT != 0
    }

    /// `len` bytes of this span, `skip` bytes in.
    #[inline]
    pub(crate) fn sub(self, skip: usize, len: usize) -> Span {
        debug_assert!(skip + len <= self.len());
        Span::pack(self.start() + skip, len, self.word & SCRATCH_BIT)
    }

    /// The span in 77 bits, for an arena node: its first word, and the length's high bits
    /// (under 13 of them: lengths must be under [`MAX_NODE_LEN`]).
    #[inline(always)]
    pub(crate) fn to_node_bits(self) -> (u64, u64) {
        debug_assert!((self.len() as u64) < MAX_NODE_LEN);
        (self.word, u64::from(self.len_hi))
    }

    /// The span [`Span::to_node_bits`] gave these bits for.
    #[inline(always)]
    pub(crate) fn from_node_bits(word: u64, high: u64) -> Span {
        Span {
            word,
            len_hi: high as u32,
        }
    }

    /// The span as two words: equal for equal spans, different for any other.
    #[inline]
    pub(crate) fn key(self) -> (u64, u32) {
        (self.word, self.len_hi)
    }

    #[inline]
    pub(crate) fn len(self) -> usize {
        (self.word & LEN_LO_MASK | u64::from(self.len_hi) << LEN_LO_BITS) as usize
    }

    /// The bytes, if they are in the caller's input.
    #[inline]
    pub(crate) fn borrowed(self, input: &[u8]) -> Option<&[u8]> {
        if self.in_scratch() {
            None
        } else {
            Some(&input[self.start()..self.start() + self.len()])
        }
    }

    /// The bytes, wherever they are.
    #[inline]
    pub(crate) fn get<'a>(self, input: &'a [u8], scratch: &'a [u8]) -> &'a [u8] {
        let (start, len) = (self.start(), self.len());
        if self.in_scratch() {
            &scratch[start..start + len]
        } else {
            &input[start..start + len]
        }
    }
}

mod private {
    pub trait Sealed {}
}

/// A source of pickle bytes: a byte slice ([`SliceRead`]) or an [`io::Read`] ([`IoRead`]).
///
/// The trait is sealed; its methods are the unpickler's business.
pub trait Read<'de>: private::Sealed {
    #[doc(hidden)]
    fn position(&self) -> u64;
    /// The next opcode byte, or `None` at the end of the input.
    #[doc(hidden)]
    fn opcode(&mut self, scratch: &[u8]) -> Result<Option<u8>>;
    /// The next byte, if it is in the input without crossing a frame's end or needing I/O;
    /// `None` means "ask [`Read::opcode`]", not "no more input". The unpickler's fast path.
    #[doc(hidden)]
    #[inline]
    fn next_byte(&mut self) -> Option<u8> {
        None
    }
    /// Consume the next byte if [`Read::next_byte`] would return `byte`.
    #[doc(hidden)]
    #[inline]
    fn next_byte_is(&mut self, byte: u8) -> bool {
        let _ = byte;
        false
    }
    /// For a reader over a slice: the input, the position and the end of the bytes readable
    /// without crossing a frame's end (`position <= end <= input.len()`).
    #[doc(hidden)]
    #[inline]
    fn window(&self) -> Option<(&'de [u8], usize, usize)> {
        None
    }
    /// Move to `pos`, between the position and the end [`Read::window`] gave.
    #[doc(hidden)]
    #[inline]
    fn advance_to(&mut self, pos: usize) {
        let _ = pos;
    }
    /// For a reader that buffers an open frame in scratch, with bytes left in it: where in
    /// scratch its next byte is and where the frame ends there (the stream position is
    /// `position()`).
    #[doc(hidden)]
    #[inline]
    fn scratch_window(&self) -> Option<(usize, usize)> {
        None
    }
    /// Where in scratch the next byte of the frame last read from is, even if none is left in
    /// it: valid until the next pickle clears scratch.
    #[doc(hidden)]
    #[inline]
    fn frame_in_scratch(&self) -> Option<usize> {
        None
    }
    /// Move `n` bytes on inside the frame [`Read::scratch_window`] gave (at most to its end).
    #[doc(hidden)]
    #[inline]
    fn advance_in_frame(&mut self, n: usize) {
        let _ = n;
    }
    #[doc(hidden)]
    fn fixed<const N: usize>(&mut self, scratch: &mut Vec<u8>) -> Result<[u8; N]>;
    #[doc(hidden)]
    fn bytes(&mut self, len: u64, scratch: &mut Vec<u8>) -> Result<Span>;
    /// One line without its `\n`.
    #[doc(hidden)]
    fn line(&mut self, scratch: &mut Vec<u8>) -> Result<Span>;
    #[doc(hidden)]
    fn begin_frame(&mut self, len: u64, scratch: &mut Vec<u8>) -> Result<()>;
    /// Whether a frame is open with bytes left in it.
    #[doc(hidden)]
    fn in_unfinished_frame(&self) -> bool;
    /// The caller's input, for resolving input spans (empty for readers that copy).
    #[doc(hidden)]
    fn input(&self) -> &'de [u8];
}

#[cold]
fn truncated(needed: u64, left: u64) -> Error {
    Error::new(ErrorCode::Truncated { needed, left })
}

#[cold]
fn frame_crossed() -> Error {
    Error::new(ErrorCode::Malformed(
        "data runs past the end of the current FRAME",
    ))
}

#[cold]
fn frame_in_frame() -> Error {
    Error::new(ErrorCode::Malformed(
        "FRAME begins before the current frame has ended",
    ))
}

/// Reads a pickle from a byte slice, lending strings and bytes from it without copying.
pub struct SliceRead<'de> {
    input: &'de [u8],
    pos: usize,
    /// The end of the current frame, or `input.len()` outside frames.
    limit: usize,
    in_frame: bool,
}

impl<'de> SliceRead<'de> {
    /// A reader over `input`.
    pub fn new(input: &'de [u8]) -> Self {
        SliceRead {
            input,
            pos: 0,
            limit: input.len(),
            in_frame: false,
        }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    /// Leaves a frame whose bytes are all read, so that an argument starting exactly at its end
    /// is read from after it, as CPython's unpicklers (and [`IoRead`]) do.
    #[cold]
    fn leave_finished_frame(&mut self) {
        if self.in_frame && self.pos == self.limit {
            self.in_frame = false;
            self.limit = self.input.len();
        }
    }

    /// An argument of `needed` bytes that is not there. Inside a frame (whose bytes were all
    /// there when it began) it crosses the frame's end, however much input follows: more input
    /// would not help, so it is not "truncated", as from an [`IoRead`].
    #[cold]
    fn short(&self, needed: u64) -> Error {
        if self.in_frame {
            frame_crossed()
        } else {
            truncated(needed, (self.limit - self.pos) as u64)
        }
    }
}

impl private::Sealed for SliceRead<'_> {}

impl<'de> Read<'de> for SliceRead<'de> {
    #[inline]
    fn position(&self) -> u64 {
        self.pos as u64
    }

    #[inline(always)]
    fn next_byte(&mut self) -> Option<u8> {
        // `limit <= input.len()`, so `get` never fails when `pos < limit`.
        if self.pos < self.limit {
            let b = *self.input.get(self.pos)?;
            self.pos += 1;
            Some(b)
        } else {
            None
        }
    }

    #[inline(always)]
    fn next_byte_is(&mut self, byte: u8) -> bool {
        if self.pos < self.limit && self.input.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    #[inline(always)]
    fn window(&self) -> Option<(&'de [u8], usize, usize)> {
        Some((self.input, self.pos, self.limit))
    }

    #[inline(always)]
    fn advance_to(&mut self, pos: usize) {
        debug_assert!(self.pos <= pos && pos <= self.limit);
        self.pos = pos;
    }

    #[inline]
    fn opcode(&mut self, _scratch: &[u8]) -> Result<Option<u8>> {
        if self.pos >= self.limit {
            if self.in_frame {
                self.in_frame = false;
                self.limit = self.input.len();
            }
            if self.pos >= self.limit {
                return Ok(None);
            }
        }
        let b = self.input[self.pos];
        self.pos += 1;
        Ok(Some(b))
    }

    #[inline]
    fn fixed<const N: usize>(&mut self, _scratch: &mut Vec<u8>) -> Result<[u8; N]> {
        if self.limit - self.pos < N {
            self.leave_finished_frame();
            if self.limit - self.pos < N {
                return Err(self.short(N as u64));
            }
        }
        let mut out = [0u8; N];
        out.copy_from_slice(&self.input[self.pos..self.pos + N]);
        self.pos += N;
        Ok(out)
    }

    #[inline]
    fn bytes(&mut self, len: u64, _scratch: &mut Vec<u8>) -> Result<Span> {
        if ((self.limit - self.pos) as u64) < len {
            self.leave_finished_frame();
            if ((self.limit - self.pos) as u64) < len {
                return Err(self.short(len));
            }
        }
        let len = len as usize;
        let span = Span::input(self.pos, len);
        self.pos += len;
        Ok(span)
    }

    fn line(&mut self, _scratch: &mut Vec<u8>) -> Result<Span> {
        if self.pos == self.limit {
            self.leave_finished_frame();
        }
        let rest = &self.input[self.pos..self.limit];
        match rest.iter().position(|&b| b == b'\n') {
            Some(n) => {
                let span = Span::input(self.pos, n);
                self.pos += n + 1;
                Ok(span)
            }
            // The frame's bytes were all there: the line crosses its end.
            None if self.in_frame => Err(frame_crossed()),
            None => Err(Error::new(ErrorCode::NoNewline)),
        }
    }

    fn begin_frame(&mut self, len: u64, _scratch: &mut Vec<u8>) -> Result<()> {
        if self.in_unfinished_frame() {
            return Err(frame_in_frame());
        }
        let left = (self.input.len() - self.pos) as u64;
        if left < len {
            return Err(truncated(len, left));
        }
        self.limit = self.pos + len as usize;
        self.in_frame = true;
        Ok(())
    }

    fn in_unfinished_frame(&self) -> bool {
        self.in_frame && self.pos < self.limit
    }

    #[inline]
    fn input(&self) -> &'de [u8] {
        self.input
    }
}

/// How much an [`IoRead`] reads at once when a length field claims more: the buffer grows only
/// as data actually arrives, so a lying length costs at most this much before the error.
const CHUNK: usize = 64 << 10;

/// Reads a pickle from an [`io::Read`], copying what it needs into the deserializer's scratch
/// buffer.
///
/// It never reads past the pickle's `STOP` (so several pickles can be read one after another
/// from one stream), which means it reads opcodes outside frames one byte at a time: wrap an
/// unbuffered source (a `File`, a socket) in a [`std::io::BufReader`]. Inside protocol 4+
/// frames it reads the whole frame at once.
pub struct IoRead<R> {
    reader: R,
    pos: u64,
    /// The open frame as a range of the scratch buffer.
    frame: Option<(usize, usize)>,
}

impl<R: io::Read> IoRead<R> {
    /// A reader over `reader`.
    pub fn new(reader: R) -> Self {
        IoRead {
            reader,
            pos: 0,
            frame: None,
        }
    }

    /// The wrapped reader.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// Read exactly `len` bytes onto the end of `scratch`, growing it in bounded steps.
    fn read_into(&mut self, len: u64, scratch: &mut Vec<u8>) -> Result<usize> {
        let start = scratch.len();
        let mut got: u64 = 0;
        while got < len {
            let step = (len - got).min(CHUNK as u64) as usize;
            let at = scratch.len();
            scratch.resize(at + step, 0);
            let mut filled = 0;
            while filled < step {
                match self.reader.read(&mut scratch[at + filled..at + step]) {
                    Ok(0) => {
                        scratch.truncate(start);
                        return Err(truncated(len, got + filled as u64));
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        scratch.truncate(start);
                        return Err(Error::read(e));
                    }
                }
            }
            got += step as u64;
        }
        self.pos += len;
        Ok(start)
    }

    fn read_byte(&mut self) -> Result<Option<u8>> {
        let mut b = [0u8; 1];
        loop {
            match self.reader.read(&mut b) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    self.pos += 1;
                    return Ok(Some(b[0]));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::read(e)),
            }
        }
    }

    /// Take `n` bytes from the open frame, if one is open.
    #[inline]
    fn take_from_frame(&mut self, n: usize) -> Result<Option<usize>> {
        match &mut self.frame {
            Some((at, end)) => {
                if *end - *at < n {
                    return Err(frame_crossed());
                }
                let start = *at;
                *at += n;
                self.pos += n as u64;
                Ok(Some(start))
            }
            None => Ok(None),
        }
    }

    fn close_finished_frame(&mut self) {
        if matches!(self.frame, Some((at, end)) if at == end) {
            self.frame = None;
        }
    }
}

impl<R> private::Sealed for IoRead<R> {}

impl<'de, R: io::Read> Read<'de> for IoRead<R> {
    fn position(&self) -> u64 {
        self.pos
    }

    fn opcode(&mut self, scratch: &[u8]) -> Result<Option<u8>> {
        self.close_finished_frame();
        match self.take_from_frame(1)? {
            Some(at) => Ok(Some(scratch[at])),
            None => self.read_byte(),
        }
    }

    fn fixed<const N: usize>(&mut self, scratch: &mut Vec<u8>) -> Result<[u8; N]> {
        self.close_finished_frame();
        let mut out = [0u8; N];
        if self.frame.is_some() {
            let span = Read::bytes(self, N as u64, scratch)?;
            out.copy_from_slice(span.get(&[], scratch));
            return Ok(out);
        }
        // Outside frames, straight into `out` (through scratch, they were appended there only
        // to be copied out).
        let mut filled = 0;
        while filled < N {
            match self.reader.read(&mut out[filled..]) {
                Ok(0) => return Err(truncated(N as u64, filled as u64)),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::read(e)),
            }
        }
        self.pos += N as u64;
        Ok(out)
    }

    fn bytes(&mut self, len: u64, scratch: &mut Vec<u8>) -> Result<Span> {
        self.close_finished_frame();
        if self.frame.is_some() {
            let n = usize::try_from(len).map_err(|_| frame_crossed())?;
            let start = self.take_from_frame(n)?.expect("frame is open");
            return Ok(Span::scratch(start, n));
        }
        let start = self.read_into(len, scratch)?;
        Ok(Span::scratch(start, len as usize))
    }

    fn line(&mut self, scratch: &mut Vec<u8>) -> Result<Span> {
        self.close_finished_frame();
        if let Some((at, end)) = self.frame {
            return match scratch[at..end].iter().position(|&b| b == b'\n') {
                Some(n) => {
                    self.take_from_frame(n + 1)?;
                    Ok(Span::scratch(at, n))
                }
                None => Err(frame_crossed()),
            };
        }
        let start = scratch.len();
        loop {
            match self.read_byte()? {
                Some(b'\n') => return Ok(Span::scratch(start, scratch.len() - start)),
                Some(b) => scratch.push(b),
                None => {
                    scratch.truncate(start);
                    return Err(Error::new(ErrorCode::NoNewline));
                }
            }
        }
    }

    fn begin_frame(&mut self, len: u64, scratch: &mut Vec<u8>) -> Result<()> {
        self.close_finished_frame();
        if self.frame.is_some() {
            return Err(frame_in_frame());
        }
        let start = self.read_into(len, scratch)?;
        // Bytes of the frame are counted as they are consumed, not as they are buffered.
        self.pos -= len;
        self.frame = Some((start, start + len as usize));
        Ok(())
    }

    fn in_unfinished_frame(&self) -> bool {
        matches!(self.frame, Some((at, end)) if at < end)
    }

    #[inline]
    fn scratch_window(&self) -> Option<(usize, usize)> {
        // A finished frame's range may be stale: scratch is cleared for the next pickle.
        self.frame.filter(|&(at, end)| at < end)
    }

    #[inline]
    fn frame_in_scratch(&self) -> Option<usize> {
        self.frame.map(|(at, _)| at)
    }

    #[inline]
    fn advance_in_frame(&mut self, n: usize) {
        if let Some((at, end)) = &mut self.frame {
            debug_assert!(*at + n <= *end);
            *at += n;
            self.pos += n as u64;
        }
    }

    fn input(&self) -> &'de [u8] {
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_pack_large_offsets_and_lengths() {
        assert_eq!(std::mem::size_of::<Span>(), 12);
        let big = (1usize << 39) + 12345;
        let s = Span::input(big, big - 1);
        assert_eq!((s.start(), s.len(), s.in_scratch()), (big, big - 1, false));
        let s = Span::scratch(7, (1usize << 36) + 3);
        assert_eq!(
            (s.start(), s.len(), s.in_scratch()),
            (7, (1 << 36) + 3, true)
        );
        for s in [
            Span::input(big, (1 << 36) - 1),
            Span::scratch((1 << 40) - 1, 12345),
            Span::scratch(0, 0),
            Span::input(3, (1 << 23) + 1),
        ] {
            let (word, high) = s.to_node_bits();
            assert!(high < 1 << 13);
            assert_eq!(Span::from_node_bits(word, high), s);
        }
        let sub = s.sub(2, 5);
        assert_eq!((sub.start(), sub.len(), sub.in_scratch()), (9, 5, true));
        assert_eq!(Span::EMPTY.len(), 0);
    }
}
