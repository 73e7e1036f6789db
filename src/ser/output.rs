//! The output buffer: protocol 4+ framing built in place, and flushing to a writer.
//!
//! Bytes go into one `Vec<u8>`. At protocol 4 and 5 a frame is opened by reserving its 9-byte
//! FRAME header and closed by patching the length in, at the same points CPython's C pickler
//! closes its frames: at the start of saving a value, once the open frame holds at least
//! [`FRAME_TARGET`] bytes. A frame of fewer than 4 bytes is not worth its header and is written
//! bare, as CPython does. Payloads of [`FRAME_TARGET`] bytes or more are written outside any
//! frame (and, for a writer, straight from the caller's slice).

use std::io::{self, Write};

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

pub(crate) struct Output<W> {
    pub(crate) buf: Vec<u8>,
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
    /// `buf.len()` at which [`Output::boundary`] has work to do (0 while idle).
    pub(crate) next_check: usize,
    /// Bumped whenever bytes already in `buf` may no longer be moved: a frame was closed or
    /// the buffer was handed to the writer.
    pub(crate) epoch: u64,
    /// Bumped whenever bytes left `buf` for the writer.
    pub(crate) flushes: u64,
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
            buf: Vec::new(),
            writer,
            buffer_all,
            framing: false,
            frame_start: 0,
            idle: true,
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

    fn set_next_check(&mut self) {
        self.next_check = if self.idle {
            0
        } else if self.framing {
            self.frame_start + FRAME_HEADER + FRAME_TARGET
        } else if self.buffer_all {
            usize::MAX
        } else {
            FLUSH_AT
        };
    }

    /// Called where CPython's `save()` starts: closes a full frame, feeds the writer.
    #[inline]
    pub(crate) fn boundary(&mut self) -> io::Result<()> {
        if self.buf.len() >= self.next_check {
            self.boundary_slow()
        } else {
            Ok(())
        }
    }

    #[cold]
    pub(crate) fn boundary_slow(&mut self) -> io::Result<()> {
        if self.framing {
            self.commit_frame();
            self.flush()?;
            self.open_frame();
        } else {
            self.flush()?;
        }
        self.set_next_check();
        Ok(())
    }

    /// A pickle starts: [`Output::boundary`] checks the frame (or the flush point) again.
    pub(crate) fn begin_pickle(&mut self) {
        self.idle = false;
        self.set_next_check();
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
            self.writer.write_all(&self.buf)?;
            self.buf.clear();
            self.epoch += 1;
            self.flushes += 1;
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
        self.flush()
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
        if self.buffer_all {
            self.buf
                .reserve(header.len() + data.len() + FRAME_HEADER + 16);
            self.buf.extend_from_slice(header);
            self.buf.extend_from_slice(data);
        } else {
            self.buf.extend_from_slice(header);
            self.flush()?;
            self.writer.write_all(data)?;
            self.flushes += 1;
        }
        self.epoch += 1;
        if framing {
            self.open_frame();
        }
        self.set_next_check();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_frames_lose_their_header() {
        let mut out = Output::new(io::sink(), true);
        out.buf.extend_from_slice(&[0x80, 4]);
        out.start_framing();
        out.buf.extend_from_slice(b"N.");
        out.end_pickle().unwrap();
        assert_eq!(out.buf, b"\x80\x04N.");
    }

    #[test]
    fn frames_get_their_length() {
        let mut out = Output::new(io::sink(), true);
        out.start_framing();
        out.buf.extend_from_slice(b"K\x01.");
        out.buf.push(b'x');
        out.end_pickle().unwrap();
        assert_eq!(out.buf, b"\x95\x04\x00\x00\x00\x00\x00\x00\x00K\x01.x");
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
