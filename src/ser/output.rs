//! The output buffer: protocol 4+ framing built in place, and flushing to a writer.
//!
//! Bytes go into one `Vec<u8>`. At protocol 4 and 5 a frame is opened by reserving its 9-byte
//! FRAME header and closed by patching the length in, at the same points CPython's C pickler
//! closes its frames: at the start of saving a value, once the open frame holds at least
//! [`FRAME_TARGET`] bytes. A frame of fewer than 4 bytes is not worth its header and is written
//! bare, as CPython does. Payloads of [`FRAME_TARGET`] bytes or more are written outside any
//! frame (and, for a writer, straight from the caller's slice).
//!
//! The check every value makes at its save boundary ([`Output::boundary`]) also checks for
//! [`HEADROOM`] bytes of spare capacity, and a [`Room`] carries that proof to the few bytes of
//! opcode written next, which then need no capacity check of their own.

use std::io::{self, Write};
use std::ops::{Deref, DerefMut};

use crate::opcode;

/// CPython's `_FRAME_SIZE_TARGET`: a frame is closed once it holds this many bytes.
pub(crate) const FRAME_TARGET: usize = 64 * 1024;
/// FRAME opcode + 8-byte length.
const FRAME_HEADER: usize = 9;
/// CPython's `FRAME_SIZE_MIN`: smaller frames are written without a header.
const FRAME_MIN: usize = 4;
/// Without frames, a writer is handed what has accumulated once it reaches this size.
const FLUSH_AT: usize = 64 * 1024;
/// [`Output::presize`] reserves at most this much at once, whatever a length hint says.
const MAX_PRESIZE: usize = 1 << 30;
/// Spare capacity a passed boundary check guarantees: room for any one [`Room::put`], and
/// for the 40 bytes a short str with its PUT is assembled in.
pub(crate) const HEADROOM: usize = 48;

/// The output bytes: a `Vec<u8>` that can only grow, so that spare capacity once checked
/// stays there (what [`Room`] relies on). Reads and in-place patches go through the slice.
#[derive(Default)]
pub(crate) struct Buf(Vec<u8>);

impl Buf {
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
    #[inline(always)]
    pub(crate) fn capacity(&self) -> usize {
        self.0.capacity()
    }
    #[inline(always)]
    pub(crate) fn push(&mut self, b: u8) {
        self.0.push(b)
    }
    #[inline(always)]
    pub(crate) fn extend_from_slice(&mut self, s: &[u8]) {
        self.0.extend_from_slice(s)
    }
    #[inline]
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.0.reserve(additional)
    }
    pub(crate) fn try_reserve_exact(
        &mut self,
        additional: usize,
    ) -> std::result::Result<(), std::collections::TryReserveError> {
        self.0.try_reserve_exact(additional)
    }
    #[inline(always)]
    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.truncate(len)
    }
    pub(crate) fn clear(&mut self) {
        self.0.clear()
    }
    pub(crate) fn pop(&mut self) -> Option<u8> {
        self.0.pop()
    }
    pub(crate) fn remove(&mut self, at: usize) -> u8 {
        self.0.remove(at)
    }
    /// Insert `byte` at `at`, growing the buffer (keeping [`HEADROOM`]'s proofs: a proof is
    /// spent by the one write after it, and the next check sees the new length).
    pub(crate) fn insert(&mut self, at: usize, byte: u8) {
        self.0.insert(at, byte)
    }
}

impl Deref for Buf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl DerefMut for Buf {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl Write for Buf {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Proof that the buffer has [`HEADROOM`] bytes of spare capacity, borrowing it so that
/// nothing else is written before the proof is spent on one [`Room::put`].
pub(crate) struct Room<'a>(&'a mut Vec<u8>);

impl Room<'_> {
    /// Append `bytes` with no capacity check.
    #[inline(always)]
    pub(crate) fn put<const N: usize>(self, bytes: [u8; N]) {
        assert!(N <= HEADROOM); // decided at compile time
        let v = self.0;
        let len = v.len();
        debug_assert!(v.capacity() - len >= HEADROOM);
        // SAFETY: a `Room` exists only while `len + HEADROOM <= capacity` (see
        // `Output::room` and `Output::make_room`), and N <= HEADROOM: the N bytes after `len`
        // are allocated. They are written before the length covers them.
        unsafe {
            v.as_mut_ptr()
                .add(len)
                .cast::<[u8; N]>()
                .write_unaligned(bytes);
            v.set_len(len + N);
        }
    }

    /// Append the first bytes of `N` that `fill` builds in place over zeros, with no capacity
    /// check: `fill` returns how many count (at most `N`).
    #[inline(always)]
    pub(crate) fn put_with<const N: usize>(self, fill: impl FnOnce(&mut [u8; N]) -> usize) {
        assert!(N <= HEADROOM); // decided at compile time
        let v = self.0;
        let len = v.len();
        debug_assert!(v.capacity() - len >= HEADROOM);
        // SAFETY: as in `put`, the N bytes after `len` are allocated; they are initialized
        // (zeroed) before a reference to them is made, and `[u8; N]` needs no alignment.
        unsafe {
            let window = v.as_mut_ptr().add(len).cast::<[u8; N]>();
            window.write_unaligned([0; N]);
            let keep = fill(&mut *window).min(N);
            v.set_len(len + keep);
        }
    }
}

pub(crate) struct Output<W> {
    pub(crate) buf: Buf,
    writer: W,
    /// `to_vec`: keep everything in `buf`, never touch `writer`.
    buffer_all: bool,
    /// Protocol 4+: a frame is open at `frame_start`.
    framing: bool,
    frame_start: usize,
    /// No pickle is being written: [`Output::begin_pickle`] has not been called since the last
    /// [`Output::end_pickle`] or [`Output::abandon`]. `next_check` is then 0, so that the one
    /// check a value makes before it is written also finds the start of a pickle.
    idle: bool,
    /// `buf.len()` when the output last went idle: anything after it was written between
    /// pickles, by a container writer whose pickle was abandoned (a `Serialize` impl that went
    /// on after an error), and is dropped when the next pickle begins.
    idle_len: usize,
    /// `buf.len()` at which [`Output::boundary`] has work to do (0 while idle): the frame's
    /// end or the flush point, and never more than `buf.capacity() - HEADROOM`. The capacity
    /// only grows, so `buf.len() < next_check` proves [`HEADROOM`] spare bytes.
    next_check: usize,
    /// Bumped whenever bytes already in `buf` may no longer be moved: a frame was closed or
    /// the buffer was handed to the writer.
    pub(crate) epoch: u64,
    /// Bumped whenever bytes left `buf` for the writer.
    pub(crate) flushes: u64,
}

/// `write_all`, counting a flush in `flushes` once any of `data` reached the writer, even if a
/// later write fails: those bytes are in the writer's stream, and the pickle they begin is
/// torn (`write_all` says nothing of what it wrote before an error).
fn write_counted<W: Write>(writer: &mut W, data: &[u8], flushes: &mut u64) -> io::Result<()> {
    let mut rest = data;
    let failed = loop {
        if rest.is_empty() {
            break None;
        }
        match writer.write(rest) {
            Ok(0) => {
                break Some(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "failed to write whole buffer",
                ))
            }
            Ok(n) => rest = &rest[n.min(rest.len())..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Some(e),
        }
    };
    if rest.len() < data.len() {
        *flushes += 1;
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

impl<W> Output<W> {
    /// `to_vec` only: `done` of a container's `hint` items took the bytes from `start` on. If
    /// the rest, at that rate, will not fit, make room for it and an eighth more, so that the
    /// buffer grows about once for a long container instead of doubling (and copying all that
    /// was written) at every step. Called at the end of each batch of such a container. It
    /// grows at least as a `Vec` would (to twice the capacity), so that items growing in size
    /// cannot make it reallocate at every batch.
    #[cold]
    #[inline(never)]
    pub(crate) fn presize(&mut self, start: usize, done: usize, hint: usize) {
        if !self.buffer_all || start > self.buf.len() || done == 0 || done >= hint {
            return;
        }
        let per_item = (self.buf.len() - start) / done + 1;
        let rest = (hint - done).saturating_mul(per_item);
        if rest <= self.buf.capacity() - self.buf.len() {
            return;
        }
        let rest = rest
            .saturating_add(rest / 8)
            .max(self.buf.capacity())
            .min(MAX_PRESIZE);
        // A hint that was wrong, or memory that is short, only costs the doubling after all.
        let _ = self.buf.try_reserve_exact(rest);
    }
}

impl<W: Write> Output<W> {
    pub(crate) fn new(writer: W, buffer_all: bool) -> Self {
        let mut out = Output {
            buf: Buf::default(),
            writer,
            buffer_all,
            framing: false,
            frame_start: 0,
            idle: true,
            idle_len: 0,
            next_check: 0,
            epoch: 0,
            flushes: 0,
        };
        out.set_next_check();
        out
    }

    pub(crate) fn writer(&self) -> &W {
        &self.writer
    }

    pub(crate) fn into_writer(self) -> W {
        self.writer
    }

    pub(crate) fn writer_mut(&mut self) -> &mut W {
        &mut self.writer
    }

    fn set_next_check(&mut self) {
        let at = if self.idle {
            0
        } else if self.framing {
            self.frame_start + FRAME_HEADER + FRAME_TARGET
        } else if self.buffer_all {
            usize::MAX
        } else {
            FLUSH_AT
        };
        self.next_check = at.min(self.buf.capacity().saturating_sub(HEADROOM));
    }

    /// Whether [`Output::boundary`] has nothing to do (and [`HEADROOM`] is there).
    #[inline(always)]
    pub(crate) fn clear_run(&self) -> bool {
        self.buf.len() < self.next_check
    }

    /// Send every value's start to its slow path until the next pickle begins or is
    /// abandoned (which set the check again).
    pub(crate) fn force_check(&mut self) {
        self.next_check = 0;
    }

    /// The [`HEADROOM`] proof, if [`Output::boundary`] has nothing to do here.
    #[inline(always)]
    pub(crate) fn room(&mut self) -> Option<Room<'_>> {
        if self.clear_run() {
            Some(Room(&mut self.buf.0))
        } else {
            None
        }
    }

    /// [`HEADROOM`] spare bytes, made if they are not there (for a path that did the
    /// boundary's work already).
    #[inline]
    pub(crate) fn make_room(&mut self) -> Room<'_> {
        if self.buf.capacity() - self.buf.len() < HEADROOM {
            self.buf.reserve(HEADROOM);
        }
        Room(&mut self.buf.0)
    }

    /// The bytes written, leaving the buffer empty (and the output idle).
    pub(crate) fn take_bytes(&mut self) -> Vec<u8> {
        self.idle = true;
        self.idle_len = 0;
        self.set_next_check();
        std::mem::take(&mut self.buf.0)
    }

    /// Called where CPython's `save()` starts: closes a full frame, feeds the writer.
    #[inline]
    pub(crate) fn boundary(&mut self) -> io::Result<()> {
        if self.clear_run() {
            Ok(())
        } else {
            self.boundary_slow()
        }
    }

    /// [`Output::boundary`]'s work: a full frame closed, a writer fed, the buffer grown so
    /// that there is [`HEADROOM`] again, whichever of these is due.
    #[cold]
    pub(crate) fn boundary_slow(&mut self) -> io::Result<()> {
        let flushed = if self.framing {
            if self.buf.len() >= self.frame_start + FRAME_HEADER + FRAME_TARGET {
                self.commit_frame();
                let flushed = self.flush();
                // A frame open again whatever the writer said: a later close finds it whole.
                self.open_frame();
                flushed
            } else {
                Ok(())
            }
        } else if self.buf.len() >= FLUSH_AT {
            self.flush()
        } else {
            Ok(())
        };
        // Doubling, as a `Vec` grows: this is reached once a doubling, not once a value.
        self.buf.reserve(2 * HEADROOM);
        self.set_next_check();
        self.broken_if(flushed)
    }

    /// `r`, an I/O error leaving the pickle half-written: every value's start then takes its
    /// slow path, which abandons the pickle (whichever value failed, at whatever level).
    fn broken_if(&mut self, r: io::Result<()>) -> io::Result<()> {
        if r.is_err() {
            self.next_check = 0;
        }
        r
    }

    /// A pickle starts: [`Output::boundary`] checks the frame (or the flush point) again.
    pub(crate) fn begin_pickle(&mut self) {
        if self.buf.len() > self.idle_len {
            // Stray bytes of an abandoned pickle's writers (see `idle_len`).
            self.buf.truncate(self.idle_len);
        }
        self.idle = false;
        self.buf.reserve(2 * HEADROOM);
        self.set_next_check();
    }

    /// Whether no pickle is being written.
    pub(crate) fn is_idle(&self) -> bool {
        self.idle
    }

    /// Start framing (protocol 4+), after the PROTO opcode.
    pub(crate) fn start_framing(&mut self) {
        self.framing = true;
        self.open_frame();
        self.set_next_check();
    }

    fn open_frame(&mut self) {
        self.frame_start = self.buf.len();
        self.buf.extend_from_slice(&[0; FRAME_HEADER]);
    }

    /// Close the open frame: patch its header in, or drop the header of a tiny frame.
    fn commit_frame(&mut self) {
        let start = self.frame_start;
        let len = self.buf.len() - start - FRAME_HEADER;
        if len >= FRAME_MIN {
            self.buf[start] = opcode::FRAME;
            self.buf[start + 1..start + FRAME_HEADER].copy_from_slice(&(len as u64).to_le_bytes());
        } else {
            self.buf.copy_within(start + FRAME_HEADER.., start);
            self.buf.truncate(start + len);
        }
        self.epoch += 1;
    }

    /// Hand what is in the buffer to the writer (nothing for `to_vec`).
    fn flush(&mut self) -> io::Result<()> {
        if !self.buffer_all && !self.buf.is_empty() {
            write_counted(&mut self.writer, &self.buf, &mut self.flushes)?;
            self.buf.clear();
            self.epoch += 1;
        }
        Ok(())
    }

    /// The pickle is complete (STOP written): close the frame, feed the writer.
    pub(crate) fn end_pickle(&mut self) -> io::Result<()> {
        if self.framing {
            self.commit_frame();
            self.framing = false;
        }
        self.idle = true;
        self.set_next_check();
        let flushed = self.flush();
        self.idle_len = self.buf.len();
        flushed
    }

    /// Forget a pickle that failed half-way: stop framing and drop what is still buffered of
    /// it (`start` is where it began in `buf`, if nothing was flushed since).
    pub(crate) fn abandon(&mut self, start: Option<usize>) {
        self.framing = false;
        self.idle = true;
        match start {
            Some(start) if start <= self.buf.len() => self.buf.truncate(start),
            _ => self.buf.clear(),
        }
        self.idle_len = self.buf.len();
        self.epoch += 1;
        self.set_next_check();
    }

    /// An opcode's header and a payload of any size: outside frames when it is large.
    #[inline]
    pub(crate) fn write_payload(&mut self, header: &[u8], data: &[u8]) -> io::Result<()> {
        if data.len() >= FRAME_TARGET {
            self.write_large(header, data)
        } else {
            self.buf.extend_from_slice(header);
            self.buf.extend_from_slice(data);
            Ok(())
        }
    }

    #[cold]
    fn write_large(&mut self, header: &[u8], data: &[u8]) -> io::Result<()> {
        let framing = self.framing;
        if framing {
            self.commit_frame();
        }
        let written = if self.buffer_all {
            self.buf
                .reserve(header.len() + data.len() + FRAME_HEADER + 16);
            self.buf.extend_from_slice(header);
            self.buf.extend_from_slice(data);
            Ok(())
        } else {
            self.buf.extend_from_slice(header);
            self.flush()
                .and_then(|()| write_counted(&mut self.writer, data, &mut self.flushes))
        };
        self.epoch += 1;
        if framing {
            // Open again whatever the writer said: a later close finds the frame whole.
            self.open_frame();
        }
        self.set_next_check();
        self.broken_if(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passed_boundary_leaves_headroom_for_a_put() {
        // Framed and not, collected and handed to a writer: writes of every size up to
        // twice a frame, each after a boundary, as the serializer makes them.
        for (framing, buffer_all) in [(true, true), (true, false), (false, true), (false, false)] {
            let mut sink = Vec::new();
            let mut out = Output::new(&mut sink, buffer_all);
            out.begin_pickle();
            if framing {
                out.start_framing();
            }
            let mut size = 1usize;
            while size < 2 * FRAME_TARGET {
                out.boundary().unwrap();
                assert!(out.clear_run(), "{framing} {buffer_all} {size}");
                assert!(out.buf.capacity() - out.buf.len() >= HEADROOM);
                out.room()
                    .expect("room after a boundary")
                    .put([7u8; HEADROOM]);
                out.buf.extend_from_slice(&vec![1; size]);
                size = size * 3 / 2 + 1;
            }
            out.end_pickle().unwrap();
            assert!(
                !out.clear_run(),
                "idle: no room without the boundary's work"
            );
            // `make_room` makes the room it proves (`put` checks it in debug builds).
            let before = out.buf.len();
            out.make_room().put([9u8; HEADROOM]);
            assert_eq!(out.buf.len(), before + HEADROOM);
        }
    }

    #[test]
    fn tiny_frames_lose_their_header() {
        let mut out = Output::new(io::sink(), true);
        out.buf.extend_from_slice(&[0x80, 4]);
        out.start_framing();
        out.buf.extend_from_slice(b"N.");
        out.end_pickle().unwrap();
        assert_eq!(&out.buf[..], b"\x80\x04N.");
    }

    #[test]
    fn frames_get_their_length() {
        let mut out = Output::new(io::sink(), true);
        out.start_framing();
        out.buf.extend_from_slice(b"K\x01.");
        out.buf.push(b'x');
        out.end_pickle().unwrap();
        assert_eq!(&out.buf[..], b"\x95\x04\x00\x00\x00\x00\x00\x00\x00K\x01.x");
    }

    #[test]
    fn presize_makes_room_for_the_rest_at_the_rate_so_far() {
        let mut out = Output::new(io::sink(), true);
        out.buf.extend_from_slice(&[1; 100]);
        // 100 items of 10 bytes from 0, of 10_000: about 99_000 bytes more to come.
        out.buf.extend_from_slice(&[2; 1000]);
        out.presize(100, 100, 10_000);
        let cap = out.buf.capacity();
        assert!(cap >= 1100 + 9900 * 10, "{cap}");
        assert!(cap <= 1100 + 9900 * 11 * 9 / 8 + 16, "{cap}");
        // Enough room already: nothing moves.
        out.presize(100, 200, 10_000);
        assert_eq!(out.buf.capacity(), cap);
        // No hint beyond what is done, or a writer behind the buffer: nothing either.
        out.presize(100, 100, 100);
        assert_eq!(out.buf.capacity(), cap);
        let mut to_writer = Output::new(io::sink(), false);
        to_writer.buf.extend_from_slice(&[2; 1000]);
        let before = to_writer.buf.capacity();
        to_writer.presize(0, 100, 10_000);
        assert_eq!(to_writer.buf.capacity(), before);
        assert_eq!(out.buf.len(), 1100);
        // A rest just over the room left still grows the buffer as a Vec would, at least.
        let free = cap - 1100;
        out.presize(0, 1, free / 1100 + 2);
        assert!(
            out.buf.capacity() >= 1100 + cap,
            "{} {cap}",
            out.buf.capacity()
        );
    }

    #[test]
    fn large_payloads_go_outside_frames_and_straight_to_the_writer() {
        let data = vec![7u8; FRAME_TARGET];
        let mut sink = Vec::new();
        {
            let mut out = Output::new(&mut sink, false);
            out.start_framing();
            out.buf.extend_from_slice(b"]\x94(");
            out.write_payload(b"hdr", &data).unwrap();
            out.buf.extend_from_slice(b"\x94e.");
            out.end_pickle().unwrap();
        }
        let mut want = b"]\x94(hdr".to_vec();
        want.extend_from_slice(&data);
        want.extend_from_slice(b"\x94e.");
        assert_eq!(sink, want);
    }
}
