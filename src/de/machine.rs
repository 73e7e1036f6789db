//! The opcode stack machine. It runs a pickle into the [`Arena`], executing no Python semantics
//! beyond building data: nothing is imported or called, globals are only names checked against
//! the policy.

use super::arena::{Arena, Global, Id, Kind, Made, Node, Object, Range, MAX_NODE_OFFSET, NIL};
use super::memo::Memo;
use super::options::{DeOptions, Py2Strings};
use super::text;
use crate::class::{self, Known, CLASS_NEW_REFUSED};
use crate::error::{Error, ErrorCode, Limit, Result};
use crate::opcode::*;
use crate::read::{Read, Span, MAX_NODE_LEN, MAX_OFFSET};
use crate::value::bigint;

/// The machine's reusable state: stack, marks and memo.
#[derive(Default)]
pub(crate) struct Machine {
    stack: Stack,
    marks: Vec<usize>,
    memo: Memo,
    /// The first item of every tuple that holds an unhashable value (a list, dict, set or
    /// bytearray, or such a tuple), in increasing order: such a tuple cannot be a dict key or a
    /// set element, as in CPython.
    unhashable_tuples: Vec<u32>,
    /// The `functools.partial` objects made and not yet called (see [`Run::call_object`]):
    /// one left at STOP is refused.
    uncalled_partials: std::collections::BTreeSet<Id>,
    /// joblib array wrappers whose array was read (see [`Run::joblib_array`]): a BUILD on
    /// one again, through the memo, is refused, for joblib would read a second array there.
    joblib_arrays: std::collections::BTreeSet<Id>,
    /// Values copied by calls (`tuple(l)`, `set(l)`, `dict(d)`, a class called with a tuple of
    /// arguments): they are paid for by the input, see [`Run::charge_copies`].
    copied: u64,
    /// Bytes this pickle's opcodes (and the caller's hooks) made in scratch: decoded text,
    /// names, `_codecs.encode` results. Not the bytes an `io::Read` input copies there, so
    /// that the limits come out the same for a slice and a reader.
    made: u64,
    /// What `made` was when this pickle began.
    made_before: u64,
    /// A pickle has run since `keep_memo` last cleared the arena.
    kept_any: bool,
    /// One more than the out-of-band buffers the caller passed for this pickle (0: it passed
    /// no list at all, not even an empty one), and how many NEXT_BUFFER took so far.
    buffers_given: usize,
    next_buffer: usize,
    /// Where joblib put array bytes and nested pickles, in order, across the pickles of one
    /// input (for `joblib::scan`), when `records_joblib_regions` (only a machine of its own,
    /// made for that input, records them: the thread's kept machine would hold them forever).
    pub(crate) joblib_regions: Vec<JoblibRegion>,
    pub(crate) records_joblib_regions: bool,
    /// A held `Deserializer`'s stream: STOP with values left below the one it returns (or
    /// inside an unclosed MARK) is an error, not what CPython makes of it (the top, the rest
    /// dropped). In a stream it marks a pickle cut short with the next one read as its rest:
    /// the next pickle would be handed over as this one, and this one lost.
    pub(crate) whole_stack_at_stop: bool,
    /// A held `Deserializer`'s [`keep_memo`](crate::Deserializer::keep_memo): each pickle
    /// starts with the memo, and the arena it points into, that the ones before it left.
    pub(crate) keep_memo: bool,
}

/// Bytes of a joblib file outside its opcodes: an array's bytes (padding included), or the
/// nested pickle of an object array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct JoblibRegion {
    pub start: u64,
    pub end: u64,
    pub nested: bool,
}

/// Kinds that are hashable whatever they hold, as a dict key is checked on the fast path
/// (the others, tuples among them, are left to [`Run::check_hashable`]).
#[inline(always)]
fn plainly_hashable(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Str(_) | Kind::Int(_) | Kind::Float(_) | Kind::Bool(_) | Kind::None | Kind::Bytes(_)
    )
}

/// In [`Run::fast`], after pushing `node`: run a MEMOIZE that follows, as protocol 4 pickles
/// write after nearly every string and container, without a trip through the dispatch. Its
/// checks hold: `node` was just pushed above any mark. At the memo limit, or when the memo
/// would have to grow, the MEMOIZE is left to the loop, which leaves it to step().
///
/// Only into spare room ([`Memo::push_spare`]): with a call that may grow the table after it,
/// the compiler built each node on the CPU stack piece by piece and copied it whole into its
/// slot, a load the store buffer cannot forward, and that stall was two fifths of the fast
/// loop's time on the records benchmark (5% of the typed decode).
#[inline(always)]
fn memoize_next(memo: &mut Memo, input: &[u8], pos: &mut usize, node: Node, max_memo: usize) {
    if input.get(*pos) == Some(&MEMOIZE) && memo.len() < max_memo && memo.push_spare(node) {
        *pos += 1;
    }
}

#[cold]
fn err(code: ErrorCode) -> Error {
    Error::new(code)
}

/// Whether an arena node can hold a span of `len` bytes: a str, bytes, bytearray or int of
/// 64 GiB or more is not supported (see `Node`).
#[inline(always)]
fn node_len(len: u64) -> Result<()> {
    if len >= MAX_NODE_LEN {
        return Err(too_long(len));
    }
    Ok(())
}

/// `span`, if an arena node can hold its length (see [`node_len`]).
#[inline(always)]
fn node_span(span: Span) -> Result<Span> {
    node_len(span.len() as u64)?;
    Ok(span)
}

/// Whether a node can hold `offset` from the arena's base: a pickle read from a stream, or a
/// stream read with `keep_memo`, of 1 TiB or more is not supported (a slice that long is
/// refused up front).
#[inline(always)]
fn within_node_offsets(offset: u64) -> Result<()> {
    if offset > MAX_NODE_OFFSET {
        return Err(too_far());
    }
    Ok(())
}

/// The error of a pickle, or a `keep_memo` stream, past [`MAX_NODE_OFFSET`].
#[cold]
fn too_far() -> Error {
    err(ErrorCode::Unsupported(
        "a pickle, or a stream read with keep_memo, of 1 TiB or more is not supported".into(),
    ))
}

#[cold]
#[inline(never)]
fn too_long(len: u64) -> Error {
    err(ErrorCode::Unsupported(
        format!("a str, bytes or int of {len} bytes: 64 GiB or more is not supported").into(),
    ))
}

#[cold]
fn malformed(msg: &'static str) -> Error {
    Error::new(ErrorCode::Malformed(msg))
}

#[cold]
fn malformed_owned(msg: String) -> Error {
    Error::new(ErrorCode::MalformedOwned(msg.into()))
}

impl Machine {
    /// Bytes held by the stack's, marks' and memo's capacity.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.stack.capacity() * std::mem::size_of::<Node>()
            + self.marks.capacity() * std::mem::size_of::<usize>()
            + self.memo.capacity_bytes()
            + self.unhashable_tuples.capacity() * std::mem::size_of::<u32>()
            + self.uncalled_partials.len() * 2 * std::mem::size_of::<Id>()
            + self.joblib_regions.capacity() * std::mem::size_of::<JoblibRegion>()
    }

    /// The caller passes `n` out-of-band buffers for NEXT_BUFFER to take, in order (`None`:
    /// it passes no list of buffers at all).
    pub(crate) fn set_buffers(&mut self, n: Option<usize>) {
        self.buffers_given = n.map_or(0, |n| n + 1);
        self.next_buffer = 0;
    }

    /// How many out-of-band buffers the last pickle took (since [`Machine::set_buffers`]).
    pub(crate) fn buffers_taken(&self) -> usize {
        self.next_buffer
    }

    /// Run one pickle. `Ok(None)` if the input was already at its end (no pickle at all).
    /// `buffers` are the out-of-band buffers [`Machine::set_buffers`] counted, if the caller
    /// can lend them for the input's lifetime (a persistent id may hold one); else empty.
    pub(crate) fn run<'de, R: Read<'de>>(
        &mut self,
        r: &mut R,
        arena: &mut Arena,
        opts: &DeOptions,
        buffers: &'de [&'de [u8]],
    ) -> Result<Option<Node>> {
        self.stack.clear();
        self.marks.clear();
        self.uncalled_partials.clear();
        if r.input().len() as u64 >= MAX_OFFSET {
            return Err(Error::new(ErrorCode::Unsupported(
                "inputs of 1 TiB or more are not supported".into(),
            )));
        }
        let start = r.position();
        if self.keep_memo && self.kept_any {
            // What the memo's entries point to stays: the arena's nodes, and what is known
            // of them; and what the pickles so far copied and made counts on.
            arena.next_pickle();
            self.made_before = self.made;
        } else {
            self.memo.clear();
            self.unhashable_tuples.clear();
            self.joblib_arrays.clear();
            arena.clear();
            arena.base = start;
            self.copied = 0;
            self.made = 0;
            self.made_before = 0;
            self.kept_any = self.keep_memo;
        }
        let mut run = Run {
            m: self,
            start,
            buffers,
            r,
            arena,
            opts,
            proto: 0,
            pos: 0,
            op: 0,
        };
        run.drive()
    }
}

mod hooks;
mod joblib;
mod stack;

use stack::Stack;

/// What a batch of items goes into (APPEND(S), SETITEM(S), ADDITEMS).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    List,
    Dict,
    Set,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::List => "list",
            Part::Dict => "dict",
            Part::Set => "set",
        }
    }
}

struct Run<'m, 'r, 'a, 'o, 'de, R> {
    m: &'m mut Machine,
    /// Where this pickle starts in the input: what it is allowed to copy and make is counted
    /// from its own bytes, not from those of pickles before it in the same stream.
    start: u64,
    /// The caller's out-of-band buffers, for a persistent id that holds one (the walk lends
    /// the others later).
    buffers: &'de [&'de [u8]],
    r: &'r mut R,
    arena: &'a mut Arena,
    opts: &'o DeOptions,
    proto: u8,
    pos: u64,
    op: u8,
}

impl<'de, R: Read<'de>> Run<'_, '_, '_, '_, 'de, R> {
    #[inline]
    fn push(&mut self, kind: Kind) {
        let node = self.node(kind);
        self.m.stack.push(node);
    }

    /// A node made by the current opcode.
    #[inline(always)]
    pub(super) fn node(&self, kind: Kind) -> Node {
        Node::new(kind, self.pos.wrapping_sub(self.arena.base), self.op)
    }

    /// Where in the stream `node` was made.
    pub(super) fn made_at(&self, node: &Node) -> u64 {
        self.arena.base + node.offset()
    }

    /// Run opcodes until STOP: the root, or `None` if the input was already at its end.
    fn drive(&mut self) -> Result<Option<Node>> {
        let first = self.r.position();
        loop {
            let before = (
                self.r.position(),
                self.m.stack.len() + self.arena.items.len(),
            );
            self.fast();
            self.pos = self.r.position();
            // The fast loop pushes into the stack's slots without counting them: as many as a
            // larger pickle read before on this thread left. Counted here, before anything
            // can take one off, the limit falls alike whatever the slots.
            if self.m.stack.len() + self.arena.items.len() > self.opts.max_nodes {
                (self.pos, self.op) = self.first_push_over_limit(before);
                return Err(self.too_many_nodes());
            }
            let op = match self.r.next_byte() {
                Some(op) => op,
                None => match self.r.opcode(&self.arena.scratch) {
                    Ok(Some(op)) => op,
                    Ok(None) if self.pos == first => return Ok(None),
                    Ok(None) => {
                        return Err(Error::at(ErrorCode::NoStop, self.pos, STOP).clear_opcode())
                    }
                    Err(e) => return Err(e.or_at(self.pos, 0).clear_opcode()),
                },
            };
            // Before any opcode can use a node whose offset was saturated (`Node::new`); not
            // at the end of the input, which is no opcode.
            within_node_offsets(self.pos.wrapping_sub(self.arena.base))
                .map_err(|e| e.at_offset(self.pos))?;
            self.op = op;
            match self.step(op) {
                // The stack holds values too: `max_nodes` bounds it with the arena (pushes
                // beyond the slots allocated so far all come through here).
                Ok(false) if self.m.stack.len() + self.arena.items.len() > self.opts.max_nodes => {
                    // A push run with the MEMOIZE after it (`push_memo`) went over: reported at
                    // the push, as a reader, which runs the two one by one, reports it.
                    if self.op == MEMOIZE {
                        if let Some(top) = self.m.stack.last() {
                            (self.pos, self.op) = (self.made_at(top), top.opcode());
                        }
                    }
                    return Err(self.too_many_nodes());
                }
                Ok(false) => {}
                // STOP left the root on top of the stack.
                Ok(true) => {
                    self.arena.paid_bytes = self
                        .read_so_far()
                        .saturating_add(self.m.made - self.m.made_before);
                    return Ok(self.m.stack.pop());
                }
                // `self.op` and `self.pos`, not `op`: a fused MEMOIZE reports itself.
                Err(e) => return Err(e.or_at(self.pos, self.op)),
            }
        }
    }

    /// Where the fast loop, run from `(position, nodes held)`, pushed the node that went over
    /// `max_nodes`: its count of nodes on the
    /// stack and in the arena only grows, by one for each push (a batch moves nodes from one
    /// to the other), so the push that went over is found by reading its opcodes again. The
    /// error is then where step() alone reports it, whatever slots earlier pickles left the
    /// stack.
    #[cold]
    #[inline(never)]
    fn first_push_over_limit(&self, (from, mut held): (u64, usize)) -> (u64, u8) {
        // The bytes the loop ran over: the input, or, for an `io::Read`, the frame in scratch
        // it stopped in (the loop moves only inside a frame there, and stays inside one).
        let (input, to_stream) = match self.r.frame_in_scratch() {
            Some(at) if from != self.pos => {
                (&self.arena.scratch[..], self.pos.wrapping_sub(at as u64))
            }
            _ => (self.r.input(), 0),
        };
        let index = |stream: u64| stream.wrapping_sub(to_stream) as usize;
        let mut pos = index(from);
        while pos < index(self.pos) {
            let op = input[pos];
            let (len, pushes) = match op {
                BINGET | BININT1 => (2, true),
                BININT2 => (3, true),
                BININT => (5, true),
                BINFLOAT => (9, true),
                SHORT_BINUNICODE => (2 + usize::from(input[pos + 1]), true),
                EMPTY_LIST | EMPTY_DICT => (1, true),
                MEMOIZE | MARK | APPENDS | SETITEMS | APPEND | SETITEM => (1, false),
                // Not one of the fast loop's opcodes (it never runs these).
                _ => break,
            };
            if pushes {
                held += 1;
                if held > self.opts.max_nodes {
                    return ((pos as u64).wrapping_add(to_stream), op);
                }
            }
            pos += len;
        }
        let op = input.get(index(self.pos)).copied().unwrap_or(STOP);
        (self.pos, op)
    }

    /// STOP with values below the one it returns, or inside an unclosed MARK, in a stream.
    #[cold]
    fn left_at_stop(&self) -> Error {
        let mark = if self.m.marks.is_empty() {
            ""
        } else {
            " and an unclosed MARK"
        };
        let what = match self.m.stack.len() - 1 {
            0 => "inside an unclosed MARK".to_string(),
            1 => format!("with 1 more value on the stack below the one it returns{mark}"),
            n => format!("with {n} more values on the stack below the one it returns{mark}"),
        };
        malformed_owned(format!(
            "STOP {what}: in a stream, the mark of a pickle cut short with the next one read \
             as its rest (no pickler leaves any; `from_slice` reads it as CPython does, taking \
             the top)"
        ))
    }

    #[cold]
    fn too_many_nodes(&self) -> Error {
        err(ErrorCode::Limit {
            which: Limit::Nodes,
            limit: self.opts.max_nodes as u64,
        })
        .or_at(self.pos, self.op)
    }

    /// The success paths of the most common opcodes, straight from the input (a slice's, or
    /// an `io::Read`'s frame buffered in scratch) with the position in a register, until an opcode that is not among them, or would fail, or
    /// would cross the end of the frame or input: that one is left for [`Run::step`], which
    /// runs it, or reports its error, exactly as if this loop did not exist.
    #[inline(always)]
    fn fast(&mut self) {
        if let Some((input, pos, limit)) = self.r.window() {
            let to = self.fast_loop::<false>(&input[..limit], pos, 0);
            self.r.advance_to(to);
        } else if let Some((at, end)) = self.r.scratch_window() {
            self.fast_in_scratch(at, end);
        }
    }

    /// [`Run::fast`] for an `io::Read`'s open frame, buffered in `scratch[at..end]`: the same
    /// loop over it, with spans into scratch. Nothing the loop does touches scratch, so it is
    /// lent out meanwhile (a move of three words). Out of line: inlined, it made every opcode
    /// outside frames 3% dearer (callgrind), by what it did to the rest of `drive`.
    #[inline(never)]
    fn fast_in_scratch(&mut self, at: usize, end: usize) {
        let scratch = std::mem::take(&mut self.arena.scratch);
        let to_stream = self.r.position().wrapping_sub(at as u64);
        let to = self.fast_loop::<true>(&scratch[..end], at, to_stream);
        self.arena.scratch = scratch;
        self.r.advance_in_frame(to - at);
    }

    /// [`Run::fast`]'s loop over `input[pos..]`, returning where it stopped: the input itself
    /// (`SCRATCH` false), or the scratch buffer holding an `io::Read`'s frame (`SCRATCH`
    /// true), where `pos + to_stream` (wrapping) is the stream offset of `pos`.
    #[inline(always)]
    fn fast_loop<const SCRATCH: bool>(
        &mut self,
        input: &[u8],
        mut pos: usize,
        to_stream: u64,
    ) -> usize {
        let m = &mut *self.m;
        let arena = &mut *self.arena;
        let max_memo = self.opts.max_memo;
        let max_nodes = self.opts.max_nodes;
        let to_node = to_stream.wrapping_sub(arena.base);
        // The stack's slots and length as locals (see `Stack`): a push that finds no free slot
        // leaves its opcode to step(), which grows the stack.
        let (slots, mut sp) = m.stack.window();
        let marks = &mut m.marks;
        let memo = &mut m.memo;
        // Push a node into the next free slot; without one, leave the opcode to step().
        macro_rules! push {
            ($node:expr) => {{
                let Some(slot) = slots.get_mut(sp) else { break };
                *slot = $node;
                sp += 1;
            }};
        }
        while let Some(&op) = input.get(pos) {
            // The node's offset: from the arena's base, not the stream's start.
            let at = (pos as u64).wrapping_add(to_node);
            match op {
                BINGET => {
                    let Some(&id) = input.get(pos + 1) else { break };
                    let Some(&node) = memo.get(u64::from(id)) else {
                        break;
                    };
                    push!(node);
                    pos += 2;
                }
                MEMOIZE => {
                    let fence = marks.last().copied().unwrap_or(0);
                    // At the limit, step() makes the entry and reports it.
                    if sp <= fence || memo.len() >= max_memo {
                        break;
                    }
                    // Growing the memo is step()'s (see `memoize_next`).
                    if !memo.push_spare(slots[sp - 1]) {
                        break;
                    }
                    pos += 1;
                }
                MARK => {
                    marks.push(sp);
                    pos += 1;
                }
                BININT1 => {
                    let Some(&v) = input.get(pos + 1) else { break };
                    push!(Node::new(Kind::Int(i64::from(v)), at, op));
                    pos += 2;
                }
                BININT2 => {
                    let Some(&[a, b]) = input.get(pos + 1..pos + 3) else {
                        break;
                    };
                    let v = u16::from_le_bytes([a, b]);
                    push!(Node::new(Kind::Int(i64::from(v)), at, op));
                    pos += 3;
                }
                BININT => {
                    let Some(&[a, b, c, d]) = input.get(pos + 1..pos + 5) else {
                        break;
                    };
                    let v = i32::from_le_bytes([a, b, c, d]);
                    push!(Node::new(Kind::Int(i64::from(v)), at, op));
                    pos += 5;
                }
                BINFLOAT => {
                    let Some(b) = input.get(pos + 1..pos + 9) else {
                        break;
                    };
                    let v = f64::from_be_bytes(b.try_into().expect("8 bytes"));
                    push!(Node::new(Kind::Float(v), at, op));
                    pos += 9;
                }
                SHORT_BINUNICODE => {
                    let Some(&n) = input.get(pos + 1) else { break };
                    let (start, end) = (pos + 2, pos + 2 + usize::from(n));
                    let Some(b) = input.get(start..end) else {
                        break;
                    };
                    // ASCII is valid UTF-8; anything else gets step()'s full check.
                    if !text::is_ascii_short(b) {
                        break;
                    }
                    let span = if SCRATCH {
                        Span::scratch(start, usize::from(n))
                    } else {
                        Span::input(start, usize::from(n))
                    };
                    let node = Node::new(Kind::Str(span), at, op);
                    push!(node);
                    pos = end;
                    memoize_next(memo, input, &mut pos, node, max_memo);
                }
                EMPTY_LIST => {
                    // The slot first: the container is made only if the node is pushed.
                    let Some(slot) = slots.get_mut(sp) else { break };
                    let id = arena.new_container();
                    let node = Node::new(Kind::List(id), at, op);
                    *slot = node;
                    sp += 1;
                    pos += 1;
                    memoize_next(memo, input, &mut pos, node, max_memo);
                }
                EMPTY_DICT => {
                    // The slot first: the container is made only if the node is pushed.
                    let Some(slot) = slots.get_mut(sp) else { break };
                    let id = arena.new_container();
                    let node = Node::new(Kind::Dict(id), at, op);
                    *slot = node;
                    sp += 1;
                    pos += 1;
                    memoize_next(memo, input, &mut pos, node, max_memo);
                    // The MARK of the batch that fills it, as pickle writes it.
                    if input.get(pos) == Some(&MARK) {
                        marks.push(sp);
                        pos += 1;
                    }
                }
                // The batches that fill lists and dicts: straight into the arena when the
                // target is a plain list or dict, the keys plainly hashable and the node limit
                // not reached; anything else (an object's items, an error) is step()'s.
                APPENDS | SETITEMS => {
                    let Some(&start) = marks.last() else { break };
                    let len = sp;
                    let below = match marks.len() {
                        1 => 0,
                        n => marks[n - 2],
                    };
                    if start == 0 || start <= below || start >= len {
                        break;
                    }
                    let batch = &slots[start..sp];
                    let id = match (op, slots[start - 1].kind()) {
                        (APPENDS, Kind::List(id)) => id,
                        (SETITEMS, Kind::Dict(id))
                            if batch.len() % 2 == 0
                                && batch.iter().step_by(2).all(|k| plainly_hashable(k.kind())) =>
                        {
                            id
                        }
                        _ => break,
                    };
                    if arena.items.len() + batch.len() > max_nodes {
                        break;
                    }
                    arena.extend(id, batch);
                    sp = start;
                    marks.pop();
                    pos += 1;
                }
                APPEND | SETITEM => {
                    let n = if op == APPEND { 1 } else { 2 };
                    let len = sp;
                    let fence = marks.last().copied().unwrap_or(0);
                    if len < n + 1 || len - n <= fence {
                        break;
                    }
                    let batch = &slots[len - n..len];
                    let id = match (op, slots[len - n - 1].kind()) {
                        (APPEND, Kind::List(id)) => id,
                        (SETITEM, Kind::Dict(id)) if plainly_hashable(batch[0].kind()) => id,
                        _ => break,
                    };
                    if arena.items.len() + n > max_nodes {
                        break;
                    }
                    arena.extend(id, batch);
                    sp = len - n;
                    pos += 1;
                }
                _ => break,
            }
        }
        m.stack.set_len(sp);
        pos
    }

    #[inline]
    fn fence(&self) -> usize {
        self.m.marks.last().copied().unwrap_or(0)
    }

    #[inline]
    fn pop(&mut self) -> Result<Node> {
        if self.m.stack.len() <= self.fence() {
            return Err(err(ErrorCode::StackUnderflow));
        }
        Ok(self.m.stack.pop().expect("checked"))
    }

    #[inline]
    fn top(&self) -> Result<Node> {
        if self.m.stack.len() <= self.fence() {
            return Err(err(ErrorCode::StackUnderflow));
        }
        Ok(*self.m.stack.last().expect("checked"))
    }

    /// Pop the topmost mark; the stack items above it are `stack[start..]`.
    #[inline]
    fn pop_mark(&mut self) -> Result<usize> {
        self.m.marks.pop().ok_or_else(|| err(ErrorCode::NoMark))
    }

    #[inline]
    fn bytes<'s>(&'s self, span: Span) -> &'s [u8]
    where
        'de: 's,
    {
        span.get(self.r.input(), &self.arena.scratch)
    }

    #[inline]
    fn check_nodes(&self) -> Result<()> {
        if self.arena.items.len() > self.opts.max_nodes {
            return Err(err(ErrorCode::Limit {
                which: Limit::Nodes,
                limit: self.opts.max_nodes as u64,
            }));
        }
        Ok(())
    }

    /// Read a length-prefixed argument of `n` length bytes.
    #[inline]
    fn counted(&mut self, len: u64) -> Result<Span> {
        // Refused before it is read, from a slice and a reader alike: from a stream without
        // end, reading first would buffer up to 64 GiB of what is refused anyway.
        node_len(len)?;
        self.r.bytes(len, &mut self.arena.scratch)
    }

    #[inline]
    fn u32_len(&mut self) -> Result<u64> {
        Ok(u64::from(u32::from_le_bytes(
            self.r.fixed(&mut self.arena.scratch)?,
        )))
    }

    #[inline]
    fn u64_len(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.r.fixed(&mut self.arena.scratch)?))
    }

    #[inline]
    fn u8_arg(&mut self) -> Result<u8> {
        Ok(self.r.fixed::<1>(&mut self.arena.scratch)?[0])
    }

    fn line(&mut self) -> Result<Span> {
        node_span(self.r.line(&mut self.arena.scratch)?)
    }

    /// This pickle's bytes read so far.
    fn read_so_far(&self) -> u64 {
        self.r.position().saturating_sub(self.start)
    }

    /// The bytes read so far that pay for what is copied and made: from the arena's base,
    /// this pickle's start, or with `keep_memo` the first pickle's, as what they made stays
    /// with the arena for the rest of the stream (an allowance for each pickle would let
    /// tiny pickles pile up copies).
    fn paying_bytes(&self) -> u64 {
        self.r.position().saturating_sub(self.arena.base)
    }

    /// Bytes made in scratch by the pickle's opcodes, as a span. What calls and conversions
    /// make is bounded by the pickle's bytes read so far: four for each (decoding text at
    /// most doubles it), plus 8 for each value `max_expansion` allows. Past that, the pickle
    /// is copying shared data again and again (`_codecs.encode` of one memoized str, called
    /// over and over).
    fn push_scratch(&mut self, bytes: &[u8]) -> Result<Span> {
        let allowed = self
            .paying_bytes()
            .saturating_mul(4)
            .saturating_add(self.opts.max_expansion.saturating_mul(8));
        if self.m.made.saturating_add(bytes.len() as u64) > allowed {
            return Err(err(ErrorCode::Limit {
                which: Limit::Expansion,
                limit: self.opts.max_expansion,
            }));
        }
        let span = node_span(Span::scratch(self.arena.scratch.len(), bytes.len()))?;
        self.m.made = self.m.made.saturating_add(bytes.len() as u64);
        self.arena.scratch.extend_from_slice(bytes);
        Ok(span)
    }

    #[inline(always)]
    fn str_node(&mut self, span: Span) -> Result<()> {
        let bytes = self.bytes(span);
        // Most strings are short and ASCII: check those inline.
        if !(bytes.len() <= 32 && bytes.iter().all(|&b| b < 0x80)) {
            text::check_utf8(bytes)?;
        }
        self.push_memo(Kind::Str(span))
    }

    /// A Python 2 `str`, decoded as the options say.
    fn py2_str(&mut self, span: Span) -> Result<()> {
        let kind = match self.opts.py2_strings {
            Py2Strings::Bytes => Kind::Bytes(span),
            Py2Strings::Utf8 => {
                text::check_utf8(self.bytes(span))?;
                Kind::Str(span)
            }
            Py2Strings::Ascii => {
                let bytes = self.bytes(span);
                if let Some(at) = bytes.iter().position(|b| !b.is_ascii()) {
                    return Err(malformed_owned(format!(
                        "byte 0x{:02x} at position {at} of a Python 2 str is not ASCII; read \
                         with DeOptions::py2_strings(Py2Strings::Latin1 or Bytes)",
                        bytes[at]
                    )));
                }
                Kind::Str(span)
            }
            Py2Strings::Latin1 => {
                let bytes = self.bytes(span);
                if bytes.is_ascii() {
                    Kind::Str(span)
                } else {
                    let mut out = Vec::with_capacity(bytes.len() * 2);
                    text::latin1_to_utf8(bytes, &mut out);
                    Kind::Str(self.push_scratch(&out)?)
                }
            }
        };
        self.push(kind);
        Ok(())
    }

    fn int_from_le(&mut self, span: Span) {
        let kind = match bigint::le_to_i64(self.bytes(span)) {
            Some(v) => Kind::Int(v),
            None => Kind::BigInt(span),
        };
        self.push(kind);
    }

    /// A text int past `max_int_digits`.
    #[cold]
    fn too_many_digits(&self) -> Error {
        err(ErrorCode::Limit {
            which: Limit::IntDigits,
            limit: self.opts.max_int_digits as u64,
        })
    }

    fn int_text(&mut self, line: Span, what: &'static str) -> Result<()> {
        let bytes = self.bytes(line);
        let mut body = bytes;
        if what == "LONG" && body.last() == Some(&b'L') {
            body = &body[..body.len() - 1];
        }
        // CPython's C unpickler reads a two-character INT line that C's strtol takes whole as 0
        // or 1 as a bool: `00` and `01` as protocol 0 writes False and True, but also ` 1`, `+1`
        // and `-0`.
        if let [first, last @ (b'0' | b'1')] = *body {
            let sign_or_space = match first {
                b'0' | b'+' | b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c' => true,
                b'-' => last == b'0',
                _ => false,
            };
            if what == "INT" && sign_or_space {
                self.push(Kind::Bool(last == b'1'));
                return Ok(());
            }
        }
        let kind = match text::parse_int(body, what)? {
            // (Up to 19 digits: a limit that low is met only here.)
            text::TextInt::Small(_)
                if self.opts.max_int_digits < 20
                    && body.iter().filter(|b| b.is_ascii_digit()).count()
                        > self.opts.max_int_digits =>
            {
                return Err(self.too_many_digits());
            }
            text::TextInt::Small(v) => Kind::Int(v),
            text::TextInt::Decimal(negative, digits) => {
                if digits.len() > self.opts.max_int_digits {
                    return Err(self.too_many_digits());
                }
                let big = bigint::BigInt::from_decimal_digits(negative, &digits);
                Kind::BigInt(self.push_scratch(big.as_le_bytes())?)
            }
            text::TextInt::Big(big) => Kind::BigInt(self.push_scratch(big.as_le_bytes())?),
        };
        self.push(kind);
        Ok(())
    }

    #[inline]
    fn memo_get(&mut self, id: u64) -> Result<()> {
        match self.m.memo.get(id) {
            Some(node) => {
                self.m.stack.push(*node);
                Ok(())
            }
            None => Err(err(ErrorCode::MemoMissing {
                key: id,
                later: false,
                scanned: false,
            })),
        }
    }

    #[inline]
    fn memo_put(&mut self, id: u64) -> Result<()> {
        if self.m.stack.len() <= self.fence() {
            return Err(err(ErrorCode::StackUnderflow));
        }
        let node = self.m.stack[self.m.stack.len() - 1];
        self.m.memo.put(id, node);
        self.check_memo()
    }

    #[inline(always)]
    fn check_memo(&self) -> Result<()> {
        if self.m.memo.len() > self.opts.max_memo {
            return Err(err(ErrorCode::Limit {
                which: Limit::Memo,
                limit: self.opts.max_memo as u64,
            }));
        }
        Ok(())
    }

    /// MEMOIZE: the top of the stack under the next id.
    #[inline(always)]
    fn memoize(&mut self) -> Result<()> {
        let Some(&node) = self.m.stack.last() else {
            return Err(err(ErrorCode::StackUnderflow));
        };
        if self.m.stack.len() <= self.fence() {
            return Err(err(ErrorCode::StackUnderflow));
        }
        self.m.memo.push(node);
        self.check_memo()
    }

    /// Push a node made by the current opcode, then run a MEMOIZE that follows it, without a
    /// trip through the dispatch loop: protocol 4 pickles memoize nearly every string and
    /// container this way. Errors are reported at the MEMOIZE.
    #[inline(always)]
    fn push_memo(&mut self, kind: Kind) -> Result<()> {
        let node = self.node(kind);
        let at = self.r.position();
        if self.r.next_byte_is(MEMOIZE) {
            // The memo's copy first, from registers: reading the node back from the stack
            // just written (in pieces) stalled on store forwarding.
            self.m.memo.push(node);
            self.m.stack.push(node);
            self.pos = at;
            self.op = MEMOIZE;
            if self.m.memo.len() > self.opts.max_memo {
                return Err(self.fused_memo_over(node));
            }
            return Ok(());
        }
        self.m.stack.push(node);
        Ok(())
    }

    /// The MEMOIZE fused with the push of `node` went over `max_memo`. Run one by one, the
    /// push comes first: if it went over `max_nodes`, that is the error, at the push, as a
    /// reader (which never fuses them) and the fast loop report it.
    #[cold]
    #[inline(never)]
    fn fused_memo_over(&mut self, node: Node) -> Error {
        if self.m.stack.len() + self.arena.items.len() > self.opts.max_nodes {
            (self.pos, self.op) = (self.made_at(&node), node.opcode());
            return self.too_many_nodes();
        }
        err(ErrorCode::Limit {
            which: Limit::Memo,
            limit: self.opts.max_memo as u64,
        })
    }

    fn text_memo_id(&mut self) -> Result<u64> {
        let line = self.line()?;
        let what = if self.op == PUT { "PUT" } else { "GET" };
        match text::parse_int(self.bytes(line), what)? {
            text::TextInt::Small(v) if v >= 0 => Ok(v as u64),
            text::TextInt::Small(_) => Err(malformed_owned(format!("negative {what} argument"))),
            _ => Err(malformed_owned(format!("{what} argument out of range"))),
        }
    }

    /// Whether Python could hash the value: not a list, dict, set or bytearray, nor a tuple
    /// holding one, nor an object Python never hashes ([`Run::unhashable_object`]).
    #[inline]
    fn hashable(&self, node: Node) -> bool {
        match node.kind() {
            Kind::List(_) | Kind::Dict(_) | Kind::Set(_) | Kind::ByteArray(_) => false,
            Kind::Buffer(b) => self.arena.buffers[b as usize].1,
            Kind::Tuple(r) => {
                r.len == 0 || self.m.unhashable_tuples.binary_search(&r.start).is_err()
            }
            Kind::Object(o) => self.unhashable_object(o).is_none(),
            _ => true,
        }
    }

    /// An object Python never hashes, by the rules the writer refuses it by
    /// (`value::object_unhashable`), and what it is: the `collections` containers, a plain
    /// numpy array, and what has list or dict items so far, or is a `copyreg._reconstructor`
    /// over `list` or `dict`. Other classes are taken as hashable (their code is never run).
    #[cold]
    #[inline(never)]
    fn unhashable_object(&self, o: Id) -> Option<&'static str> {
        let obj = self.arena.objects[o as usize];
        let Kind::Global(g) = obj.class.kind() else {
            return None;
        };
        let g = self.arena.globals[g as usize];
        let (module, name) = (self.bytes(g.module), self.bytes(g.name));
        if let Some(&(_, _, what)) = crate::value::UNHASHABLE_CLASSES
            .iter()
            .find(|&&(m, n, _)| (m.as_bytes(), n.as_bytes()) == (module, name))
        {
            return Some(what);
        }
        let first = match obj.args.kind() {
            Kind::Tuple(r) => self.arena.slice(r).first().map(|n| n.kind()),
            _ => None,
        };
        if obj.made == Made::Call {
            let first = match first {
                Some(Kind::Global(b)) => {
                    let b = self.arena.globals[b as usize];
                    Some((self.bytes(b.module), self.bytes(b.name)))
                }
                _ => None,
            };
            if crate::numpy::makes_unhashable_array(module, name, first) {
                return Some("a numpy array");
            }
        }
        let has_items = |id: Id| id != NIL && self.arena.len(id) > 0;
        let base = match first {
            Some(Kind::Global(b)) if obj.made == Made::Reconstructor => {
                Some(self.arena.globals[b as usize].known)
            }
            _ => None,
        };
        if has_items(obj.list) || base == Some(Known::List) {
            Some("an instance of a list subclass")
        } else if has_items(obj.dict) || base == Some(Known::Dict) {
            Some("an instance of a dict subclass")
        } else if matches!(base, Some(Known::Set | Known::ByteArray)) {
            Some("an instance of a set or bytearray subclass")
        } else {
            None
        }
    }

    /// A tuple of these items, noting whether it is hashable.
    fn tuple(&mut self, items: &[Node]) -> Kind {
        let unhashable = !items.iter().all(|&n| self.hashable(n));
        let r = self.arena.range(items);
        if unhashable {
            self.m.unhashable_tuples.push(r.start);
        }
        Kind::Tuple(r)
    }

    /// CPython's `TypeError: unhashable type` for the first of `keys` it could not hash.
    fn check_hashable(&self, keys: impl Iterator<Item = Node>, what: &str) -> Result<()> {
        for key in keys {
            if !self.hashable(key) {
                let kind = match key.kind() {
                    Kind::Tuple(_) => {
                        "a tuple holding a list, dict, set, bytearray or such an object".into()
                    }
                    Kind::Object(o) => match (
                        self.arena.objects[o as usize].class.kind(),
                        self.unhashable_object(o),
                    ) {
                        (Kind::Global(g), Some(what)) => {
                            let g = self.arena.globals[g as usize];
                            format!(
                                "{what} (made by {}.{})",
                                String::from_utf8_lossy(self.bytes(g.module)),
                                String::from_utf8_lossy(self.bytes(g.name))
                            )
                        }
                        _ => "an object".into(),
                    },
                    other => format!("a {}", other.type_name()),
                };
                return Err(malformed_owned(format!(
                    "unhashable type: {kind} cannot be {what}"
                )));
            }
        }
        Ok(())
    }

    /// Check a global against the policy and make its node.
    fn global(&mut self, module: Span, name: Span) -> Result<Node> {
        let (m, n) = (self.bytes(module), self.bytes(name));
        let (Ok(m), Ok(n)) = (std::str::from_utf8(m), std::str::from_utf8(n)) else {
            return Err(malformed("a global's module or name is not UTF-8"));
        };
        let (fm, fname) = if self.proto < 3 && self.opts.fix_imports {
            class::fix_import(m, n)
        } else {
            (m, n)
        };
        let known = self.check_global(fm, fname)?;
        let (module, name) = if (fm, fname) != (m, n) {
            let (fm, fname) = (fm.to_string(), fname.to_string());
            (
                self.push_scratch(fm.as_bytes())?,
                self.push_scratch(fname.as_bytes())?,
            )
        } else {
            (module, name)
        };
        let global = Kind::Global(self.add_global(module, name, known));
        Ok(self.node(global))
    }

    fn check_global(&self, module: &str, name: &str) -> Result<Known> {
        class::resolve(module, name, self.opts).map_err(|why| {
            err(ErrorCode::RefusedGlobal {
                module: module.into(),
                name: name.into(),
                why,
            })
        })
    }

    fn add_global(&mut self, module: Span, name: Span, known: Known) -> Id {
        let id = self.arena.globals.len() as Id;
        self.arena.globals.push(Global {
            module,
            name,
            known,
        });
        id
    }

    /// `getattr(module.Outer, 'Inner')` is the global `module.Outer.Inner`, checked by the policy
    /// under that name; a `module.Class.__new__` the policy refuses is kept as a
    /// [`Known::ClassNew`] for a functools.partial to take. getattr in any other shape is
    /// refused.
    fn nested_global(&mut self, args: &[Node]) -> Result<Kind> {
        let (Some(Kind::Global(outer)), Some(Kind::Str(attr)), 2) = (
            args.first().map(Node::kind),
            args.get(1).map(Node::kind),
            args.len(),
        ) else {
            return Err(err(ErrorCode::RefusedGlobal {
                module: "builtins".into(),
                name: "getattr".into(),
                why: "only getattr(class, 'name'), a nested class, is read",
            }));
        };
        let g = self.arena.globals[outer as usize];
        let module = String::from_utf8_lossy(self.bytes(g.module)).into_owned();
        let name = format!(
            "{}.{}",
            String::from_utf8_lossy(self.bytes(g.name)),
            String::from_utf8_lossy(self.bytes(attr))
        );
        let known = match self.check_global(&module, &name) {
            Ok(known) => known,
            // Kept for a functools.partial to take as its function; the walk refuses it as a
            // value, as the policy just did.
            Err(_) if self.bytes(attr) == b"__new__" => Known::ClassNew,
            Err(e) => return Err(e),
        };
        let (module, name) = (
            self.push_scratch(module.as_bytes())?,
            self.push_scratch(name.as_bytes())?,
        );
        Ok(Kind::Global(self.add_global(module, name, known)))
    }

    /// Whether a node is a global of this kind.
    fn is_known(&self, node: Node, known: Known) -> bool {
        matches!(node.kind(), Kind::Global(g) if self.arena.globals[g as usize].known == known)
    }

    #[cold]
    fn partial_refused(&self) -> Error {
        err(ErrorCode::RefusedGlobal {
            module: "functools".into(),
            name: "partial".into(),
            why: "read only as protocols 2-3 write cls.__new__(cls, *args, **kwargs): \
                  partial(cls.__new__) with that state, called with no arguments",
        })
    }

    /// Calling (REDUCE) the object `o`: only a `functools.partial` of `cls.__new__`, which is
    /// how protocols 2-3 write `cls.__new__(cls, *args, **kwargs)`, reads as NEWOBJ_EX.
    fn call_object(&mut self, o: Id, args: &[Node]) -> Result<Kind> {
        let obj = self.arena.objects[o as usize];
        if !self.is_known(obj.class, Known::Partial) {
            return Err(malformed(
                "cannot call an object: only globals are callable",
            ));
        }
        let mut states = self.arena.iter(obj.states);
        let (true, Some(&state), None, NIL, NIL) = (
            args.is_empty(),
            states.next(),
            states.next(),
            obj.list,
            obj.dict,
        ) else {
            return Err(self.partial_refused());
        };
        let (Kind::Tuple(r), Kind::Tuple(cargs)) = (state.kind(), obj.args.kind()) else {
            return Err(self.partial_refused());
        };
        let (&[func, fargs, kwargs, dict], &[cfunc]) =
            (self.arena.slice(r), self.arena.slice(cargs))
        else {
            return Err(self.partial_refused());
        };
        let Kind::Tuple(fargs) = fargs.kind() else {
            return Err(self.partial_refused());
        };
        let fargs = self.arena.slice(fargs).to_vec();
        let no_dict = match dict.kind() {
            Kind::None => true,
            Kind::Dict(d) => self.arena.len(d) == 0,
            _ => false,
        };
        let kwargs_ok = matches!(kwargs.kind(), Kind::None | Kind::Dict(_));
        let Some((&cls, rest)) = fargs.split_first() else {
            return Err(self.partial_refused());
        };
        if !(no_dict && kwargs_ok && self.is_new_of(func, cls) && self.is_new_of(cfunc, cls)) {
            return Err(self.partial_refused());
        }
        let kwargs = match kwargs.kind() {
            Kind::None => {
                let dict = Kind::Dict(self.arena.new_container());
                self.node(dict)
            }
            _ => self.keywords(kwargs)?,
        };
        self.charge_copies(rest.len())?;
        self.m.uncalled_partials.remove(&o);
        self.new_instance(cls, rest.to_vec(), Some(kwargs))
    }

    /// Whether a node is a global `module.Class.__new__`: a [`Known::ClassNew`], or one the
    /// policy allows by its name.
    fn is_class_new(&self, func: Node) -> bool {
        let Kind::Global(f) = func.kind() else {
            return false;
        };
        let f = self.arena.globals[f as usize];
        matches!(f.known, Known::ClassNew | Known::Other)
            && self.bytes(f.name).ends_with(b".__new__")
    }

    /// Whether `func` is `cls.__new__` for the global `cls`: its own, or `object.__new__`, which
    /// is what `cls.__new__` is for a class that does not define one (CPython then writes
    /// `getattr(object, '__new__')`).
    fn is_new_of(&self, func: Node, cls: Node) -> bool {
        let (Kind::Global(f), Kind::Global(c)) = (func.kind(), cls.kind()) else {
            return false;
        };
        let (f, c) = (
            self.arena.globals[f as usize],
            self.arena.globals[c as usize],
        );
        if !self.is_class_new(func) {
            return false;
        }
        if (self.bytes(f.module), self.bytes(f.name)) == (b"builtins", b"object.__new__") {
            // Not a builtin type's (CPython: "object.__new__(set) is not safe"), nor one of the
            // standard library's or numpy's types the reader knows by name (their own C
            // types, or classes with a `__new__` of their own, which CPython would write).
            let module = String::from_utf8_lossy(self.bytes(c.module));
            let name = String::from_utf8_lossy(self.bytes(c.name));
            return c.known == Known::Object
                || (c.known == Known::Other
                    && module != "builtins"
                    && !crate::numpy::is_allowed(&module, &name)
                    && !crate::stdlib::is_allowed(&module, &name));
        }
        self.bytes(f.module) == self.bytes(c.module)
            && self
                .bytes(f.name)
                .strip_suffix(b".__new__")
                .is_some_and(|outer| outer == self.bytes(c.name))
    }

    fn new_object(&mut self, class: Node, made: Made, args: Range, kwargs: Option<Node>) -> Kind {
        let id = self.arena.objects.len() as Id;
        let args = self.node(Kind::Tuple(args));
        self.arena.objects.push(Object {
            class,
            made,
            args,
            kwargs,
            states: NIL,
            list: NIL,
            dict: NIL,
        });
        Kind::Object(id)
    }

    /// The keyword arguments of a call, as the call takes them: a copy of the dict's items now
    /// (`**kwargs` makes a new dict, so setting an item of the memoized one later changes
    /// nothing), and CPython's `TypeError: keywords must be strings` for keys of other types.
    ///
    /// The items are charged as copies: one memoized dict may be passed to call after call for
    /// a few bytes each.
    fn keywords(&mut self, kwargs: Node) -> Result<Node> {
        let Kind::Dict(d) = kwargs.kind() else {
            return Ok(kwargs);
        };
        if let Some(k) = self
            .arena
            .iter(d)
            .step_by(2)
            .find(|k| !matches!(k.kind(), Kind::Str(_)))
        {
            return Err(malformed_owned(format!(
                "keyword argument names must be str, not {}",
                k.kind().type_name()
            )));
        }
        self.snapshot(kwargs)
    }

    /// A copy of a list, dict or set as it holds now, for a call that copies its argument
    /// (`dict.__init__`, `deque(list)`, `**kwargs`): what the pickle later adds to the memoized
    /// original is not in the copy, as it is not in CPython's. Other values as they are.
    fn snapshot(&mut self, node: Node) -> Result<Node> {
        let (id, make): (Id, fn(Id) -> Kind) = match node.kind() {
            Kind::List(id) => (id, Kind::List),
            Kind::Dict(id) => (id, Kind::Dict),
            Kind::Set(id) => (id, Kind::Set),
            _ => return Ok(node),
        };
        let items: Vec<Node> = self.arena.iter(id).copied().collect();
        self.charge_copies(items.len())?;
        let copy = self.arena.new_container();
        self.arena.extend(copy, &items);
        self.check_nodes()?;
        Ok(node.with_kind(make(copy)))
    }

    /// Whether a call of `callable` copies the containers it is given, as the `collections`
    /// types (but `ChainMap`) and `array.array` do (`deque(l)`, `OrderedDict(l)`: what
    /// CPython's `deque.__reduce__` writes), and so must not see what the pickle later adds to
    /// them. Other classes may keep what they are given, changes and all, as the arena does.
    fn copies_its_arguments(&self, callable: Node) -> bool {
        let Kind::Global(g) = callable.kind() else {
            return false;
        };
        let g = self.arena.globals[g as usize];
        match self.bytes(g.module) {
            b"collections" => matches!(
                self.bytes(g.name),
                b"deque" | b"OrderedDict" | b"Counter" | b"defaultdict" | b"UserList" | b"UserDict"
            ),
            b"array" => self.bytes(g.name) == b"array",
            _ => false,
        }
    }

    /// Count `n` values copied by a call. A memoized container can be copied again and again
    /// for a few bytes each (`tuple(l)` 2000 times over a 10k-item list is 20M values from
    /// 64 KiB), so copies are limited to the input read so far plus `max_expansion`, like
    /// values visited again through shared references: a pickle that consumes each container
    /// once, as every pickler writes them, never comes near it.
    fn charge_copies(&mut self, n: usize) -> Result<()> {
        if n as u64 > self.copies_left() {
            return Err(err(ErrorCode::Limit {
                which: Limit::Expansion,
                limit: self.opts.max_expansion,
            }));
        }
        self.m.copied += n as u64;
        Ok(())
    }

    /// What [`Run::charge_copies`] would still allow.
    fn copies_left(&self) -> u64 {
        self.paying_bytes()
            .saturating_add(self.opts.max_expansion)
            .saturating_sub(self.m.copied)
    }

    /// A node built into a [`Value`] while the pickle is still being read (a persistent id
    /// for the caller's hook, a joblib array's dtype), charged as copies: a value visited
    /// for each of its values, 32 bytes of strs and bytes for one. A pickle may hand the
    /// same memoized value over again and again for a few bytes each.
    pub(super) fn build_detached(&mut self, node: Node) -> Result<crate::Value> {
        // The walk's errors are at its nodes' offsets, from the arena's base.
        let base = self.arena.base;
        let mut walk = crate::de::walk::Walk::detached(
            self.r.input(),
            self.arena,
            self.opts,
            self.copies_left(),
        )
        .with_buffers(self.buffers);
        let before = walk.left();
        let value = walk.build(node).map_err(|e| e.shifted(base))?;
        let after = walk.left();
        let spent = (before.0 - after.0).saturating_add((before.1 - after.1).div_ceil(32));
        self.charge_copies(usize::try_from(spent).unwrap_or(usize::MAX))?;
        Ok(value)
    }

    /// The items of an iterable node, for `set(x)`, `frozenset(x)`, `bytes(x)`, charged as
    /// copies.
    fn iterable(&mut self, node: Node) -> Result<Option<Vec<Node>>> {
        let items = self.items_of(node);
        if let Some(items) = &items {
            self.charge_copies(items.len())?;
        }
        Ok(items)
    }

    fn items_of(&self, node: Node) -> Option<Vec<Node>> {
        match node.kind() {
            Kind::Tuple(r) | Kind::FrozenSet(r) => Some(self.arena.slice(r).to_vec()),
            Kind::List(id) | Kind::Set(id) => Some(self.arena.iter(id).copied().collect()),
            Kind::Dict(id) => Some(self.arena.iter(id).step_by(2).copied().collect()),
            _ => None,
        }
    }

    fn ints_to_bytes(&self, items: &[Node]) -> Result<Vec<u8>> {
        items
            .iter()
            .map(|n| match n.kind() {
                Kind::Int(v @ 0..=255) => Ok(v as u8),
                Kind::Bool(b) => Ok(u8::from(b)),
                _ => Err(malformed("bytes() needs ints in range(0, 256)")),
            })
            .collect()
    }

    /// `str.encode(encoding)` for the encodings CPython's pickles use.
    fn encode(&mut self, s: Span, encoding: Option<Node>) -> Result<Span> {
        let enc = match encoding.map(|n| n.kind()) {
            None => "utf-8".to_string(),
            Some(Kind::Str(e)) => String::from_utf8_lossy(self.bytes(e))
                .to_ascii_lowercase()
                .replace('_', "-"),
            Some(_) => return Err(malformed("the encoding argument must be a str")),
        };
        match enc.as_str() {
            "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "l1" => {
                let text = std::str::from_utf8(self.bytes(s)).expect("checked UTF-8");
                if text.is_ascii() {
                    return Ok(s);
                }
                let mut out = Vec::with_capacity(text.len());
                text::utf8_to_latin1(text, &mut out)?;
                self.push_scratch(&out)
            }
            "utf-8" | "utf8" => Ok(s),
            "ascii" | "us-ascii" => {
                if self.bytes(s).is_ascii() {
                    Ok(s)
                } else {
                    Err(malformed("a non-ASCII str cannot be encoded as ascii"))
                }
            }
            _ => Err(malformed_owned(format!(
                "unsupported encoding {} in a pickle",
                text::excerpt(&enc)
            ))),
        }
    }

    /// A number argument of `float()` or `complex()` as Python converts it: `None` if it is
    /// not a number; an error for an int too large for a float, as in Python.
    fn number(&self, node: Node) -> Result<Option<f64>> {
        Ok(match node.kind() {
            Kind::Int(v) => Some(v as f64),
            Kind::Float(f) => Some(f),
            Kind::Bool(b) => Some(f64::from(u8::from(b))),
            Kind::BigInt(span) => {
                let f = bigint::BigInt::from_le_bytes(self.bytes(span)).to_f64();
                if f.is_infinite() {
                    return Err(malformed("int too large to convert to float"));
                }
                Some(f)
            }
            _ => None,
        })
    }

    /// What INST and OBJ build. Given no arguments, CPython makes a class with
    /// `cls.__new__(cls)`, without running `__init__` (what an old-style instance of Python 2,
    /// which these opcodes write, expects), unless the class defines `__getinitargs__`,
    /// which the pickle cannot show; given arguments, it calls `cls(*args)`.
    fn instantiate(&mut self, cls: Node, args: Vec<Node>) -> Result<Kind> {
        if let (Kind::Global(gid), []) = (cls.kind(), args.as_slice()) {
            if self.arena.globals[gid as usize].known == Known::Other {
                return Ok(self.new_object(cls, Made::New, Range::EMPTY, None));
            }
        }
        self.call(cls, args)
    }

    /// What calling a global with these arguments builds (REDUCE; INST and OBJ given some).
    fn call(&mut self, callable: Node, args: Vec<Node>) -> Result<Kind> {
        if let Kind::Object(o) = callable.kind() {
            return self.call_object(o, &args);
        }
        let Kind::Global(gid) = callable.kind() else {
            return Err(malformed_owned(format!(
                "cannot call a {}: only globals are callable",
                callable.kind().type_name()
            )));
        };
        let known = self.arena.globals[gid as usize].known;
        let bad_args = |what: &str| malformed_owned(format!("unexpected arguments to {what}"));
        let first = args.first().map(Node::kind);
        Ok(match (known, args.as_slice(), first) {
            (Known::Set, [], _) => Kind::Set(self.arena.new_container()),
            (Known::Set, [it], _) => {
                let items = self.iterable(*it)?.ok_or_else(|| bad_args("set()"))?;
                self.check_hashable(items.iter().copied(), "a set element")?;
                let id = self.arena.new_container();
                self.arena.extend(id, &items);
                Kind::Set(id)
            }
            (Known::FrozenSet, [], _) => Kind::FrozenSet(Range::EMPTY),
            (Known::FrozenSet, [it], _) => {
                let items = self.iterable(*it)?.ok_or_else(|| bad_args("frozenset()"))?;
                self.check_hashable(items.iter().copied(), "a set element")?;
                Kind::FrozenSet(self.arena.range(&items))
            }
            (Known::ByteArray | Known::Bytes, rest, _) => {
                let what = if known == Known::Bytes {
                    "bytes()"
                } else {
                    "bytearray()"
                };
                let span = match (rest, first) {
                    ([], _) => Span::EMPTY,
                    ([_], Some(Kind::Bytes(s) | Kind::ByteArray(s))) => s,
                    ([_, enc], Some(Kind::Str(s))) => self.encode(s, Some(*enc))?,
                    ([it], _) => {
                        let items = self.iterable(*it)?.ok_or_else(|| bad_args(what))?;
                        let bytes = self.ints_to_bytes(&items)?;
                        self.push_scratch(&bytes)?
                    }
                    _ => return Err(bad_args(what)),
                };
                if known == Known::Bytes {
                    Kind::Bytes(span)
                } else {
                    Kind::ByteArray(span)
                }
            }
            (Known::Complex, rest, _) if rest.len() <= 2 => {
                let mut parts = [0.0f64; 2];
                for (slot, n) in parts.iter_mut().zip(rest) {
                    *slot = self.number(*n)?.ok_or_else(|| bad_args("complex()"))?;
                }
                let id = self.arena.complexes.len() as Id;
                self.arena.complexes.push((parts[0], parts[1]));
                Kind::Complex(id)
            }
            (Known::Int, [], _) => Kind::Int(0),
            (Known::Int, [_], Some(k @ (Kind::Int(_) | Kind::BigInt(_)))) => k,
            (Known::Int, [_], Some(Kind::Bool(b))) => Kind::Int(i64::from(b)),
            (Known::Int, [_], Some(Kind::Float(f))) if f.is_finite() => {
                match bigint::BigInt::from_integral_f64(f.trunc()) {
                    Some(big) => match big.to_i64() {
                        Some(v) => Kind::Int(v),
                        None => Kind::BigInt(self.push_scratch(big.as_le_bytes())?),
                    },
                    None => return Err(bad_args("int()")),
                }
            }
            (Known::Float, [], _) => Kind::Float(0.0),
            (Known::Float, [n], _) => {
                Kind::Float(self.number(*n)?.ok_or_else(|| bad_args("float()"))?)
            }
            (Known::Str, [], _) => Kind::Str(Span::EMPTY),
            (Known::Str, [_], Some(k @ Kind::Str(_))) => k,
            (Known::Bool, [], _) => Kind::Bool(false),
            (Known::Bool, [_], Some(k @ Kind::Bool(_))) => k,
            (Known::Tuple, [], _) => Kind::Tuple(Range::EMPTY),
            (Known::Tuple, [it], _) => {
                let items = self.iterable(*it)?.ok_or_else(|| bad_args("tuple()"))?;
                self.tuple(&items)
            }
            (Known::List, [], _) => Kind::List(self.arena.new_container()),
            (Known::List, [it], _) => {
                let items = self.iterable(*it)?.ok_or_else(|| bad_args("list()"))?;
                let id = self.arena.new_container();
                self.arena.extend(id, &items);
                Kind::List(id)
            }
            (Known::Dict, [], _) => Kind::Dict(self.arena.new_container()),
            (Known::Dict, [_], Some(Kind::Dict(src))) => {
                let items: Vec<Node> = self.arena.iter(src).copied().collect();
                self.charge_copies(items.len())?;
                let id = self.arena.new_container();
                self.arena.extend(id, &items);
                Kind::Dict(id)
            }
            (Known::CodecsEncode, [_, rest @ ..], Some(Kind::Str(s))) if rest.len() <= 2 => {
                // `errors`, when given, must be a str (CPython's TypeError otherwise); any
                // handler reads as "strict", which all CPython's pickles need.
                if rest.len() == 2 && !matches!(rest[1].kind(), Kind::Str(_)) {
                    return Err(bad_args("_codecs.encode"));
                }
                Kind::Bytes(self.encode(s, rest.first().copied())?)
            }
            (Known::Reconstructor, [cls, base, state], _) => {
                // `object.__new__(cls)` or `base.__new__(cls, state)`: cls a class of its own,
                // base any class (a builtin one when cls subclasses it).
                use Known::*;
                let is_class = |node: &Node, builtin: bool| match node.kind() {
                    Kind::Global(g) => match self.arena.globals[g as usize].known {
                        Other | Object | JoblibArray => true,
                        Set | FrozenSet | ByteArray | Bytes | Complex | Int | Float | Str
                        | Bool | Tuple | List | Dict => builtin,
                        _ => false,
                    },
                    _ => false,
                };
                for node in [cls, base] {
                    if let Kind::Global(g) = node.kind() {
                        if self.arena.globals[g as usize].known.dangerous_kept() {
                            return Err(self.refused(g, class::DANGEROUS));
                        }
                    }
                }
                if !is_class(cls, false) {
                    return Err(malformed("copyreg._reconstructor needs a class of its own"));
                }
                if !is_class(base, true) {
                    return Err(malformed(
                        "copyreg._reconstructor needs a class as its base",
                    ));
                }
                // A builtin base's `__init__` copies the state (`dict.__init__(obj, d)`).
                let builtin_base = match base.kind() {
                    Kind::Global(g) => !matches!(
                        self.arena.globals[g as usize].known,
                        Other | Object | JoblibArray
                    ),
                    _ => false,
                };
                let state = if builtin_base {
                    self.snapshot(*state)?
                } else {
                    *state
                };
                let r = self.arena.range(&[*base, state]);
                self.new_object(*cls, Made::Reconstructor, r, None)
            }
            (Known::NewObjEx, [cls, args, kwargs], _) => {
                let (cls, kwargs) = (*cls, *kwargs);
                let (Kind::Tuple(r), Kind::Dict(_)) = (args.kind(), kwargs.kind()) else {
                    return Err(malformed(
                        "copyreg.__newobj_ex__ expects a class, a tuple and a dict",
                    ));
                };
                let kwargs = self.keywords(kwargs)?;
                let args = self.arena.slice(r).to_vec();
                self.charge_copies(args.len())?;
                return self.new_instance(cls, args, Some(kwargs));
            }
            (Known::NewObj, [cls, rest @ ..], _) => {
                let cls = *cls;
                let rest = rest.to_vec();
                return self.new_instance(cls, rest, None);
            }
            (Known::Object, [], _) | (Known::Other, _, _) => {
                let r = if self.copies_its_arguments(callable) {
                    let mut copies = args.to_vec();
                    for arg in &mut copies {
                        *arg = self.snapshot(*arg)?;
                    }
                    self.arena.range(&copies)
                } else {
                    self.arena.range(&args)
                };
                self.new_object(callable, Made::Call, r, None)
            }
            (Known::GetAttr, args, _) => return self.nested_global(args),
            (Known::Partial, [func], _) if self.is_class_new(*func) => {
                let r = self.arena.range(&args);
                let kind = self.new_object(callable, Made::Call, r, None);
                if let Kind::Object(o) = kind {
                    self.m.uncalled_partials.insert(o);
                }
                kind
            }
            (Known::Partial, _, _) => return Err(self.partial_refused()),
            (Known::Ellipsis | Known::NotImplemented, _, _) => {
                return Err(malformed("Ellipsis and NotImplemented are not callable"))
            }
            (Known::ClassNew, _, _) => return Err(self.refused(gid, CLASS_NEW_REFUSED)),
            (k, _, _) if k.dangerous_kept() => return Err(self.refused(gid, class::DANGEROUS)),
            _ => {
                let g = self.arena.globals[gid as usize];
                let name = format!(
                    "{}.{}",
                    String::from_utf8_lossy(self.bytes(g.module)),
                    String::from_utf8_lossy(self.bytes(g.name))
                );
                return Err(bad_args(&name));
            }
        })
    }

    /// A call whose result POP throws away right after REDUCE made it, given an object or a
    /// container, as CPython writes a `__reduce__`'s `state_setter(obj, state)`, could only act
    /// by changing what it was given, which is never run: refused, rather than losing the
    /// state it would set.
    fn check_not_thrown_away(&self, node: Node) -> Result<()> {
        let Kind::Object(o) = node.kind() else {
            return Ok(());
        };
        let obj = self.arena.objects[o as usize];
        if node.opcode() != REDUCE || self.made_at(&node) + 1 != self.pos || obj.made != Made::Call
        {
            return Ok(());
        }
        // Only a call given something it could change (the object whose state it sets) can
        // matter by its side effects; a constructor's thrown-away result loses nothing.
        let Kind::Tuple(args) = obj.args.kind() else {
            return Ok(());
        };
        let mutable = |n: &Node| {
            matches!(
                n.kind(),
                Kind::Object(_) | Kind::List(_) | Kind::Dict(_) | Kind::Set(_) | Kind::ByteArray(_)
            )
        };
        if !self.arena.slice(args).iter().any(mutable) {
            return Ok(());
        }
        let Kind::Global(g) = obj.class.kind() else {
            return Ok(());
        };
        let why = "called only for its side effects, which are never run (a __reduce__ state \
                   setter, whose result is thrown away): the state it sets would be lost";
        Err(self.refused(g, why).or_at(self.made_at(&node), REDUCE))
    }

    /// The global `gid` refused, for `why`.
    #[cold]
    fn refused(&self, gid: Id, why: &'static str) -> Error {
        let g = self.arena.globals[gid as usize];
        err(ErrorCode::RefusedGlobal {
            module: String::from_utf8_lossy(self.bytes(g.module)).into(),
            name: String::from_utf8_lossy(self.bytes(g.name)).into(),
            why,
        })
    }

    /// `cls.__new__(cls, *args, **kwargs)` (NEWOBJ, NEWOBJ_EX, `copyreg.__newobj__`).
    fn new_instance(&mut self, cls: Node, args: Vec<Node>, kwargs: Option<Node>) -> Result<Kind> {
        let Kind::Global(gid) = cls.kind() else {
            return Err(malformed("NEWOBJ class argument is not a class"));
        };
        let known = self.arena.globals[gid as usize].known;
        let no_kwargs = match kwargs {
            None => true,
            Some(n) => matches!(n.kind(), Kind::Dict(id) if self.arena.len(id) == 0),
        };
        match known {
            Known::Object if !args.is_empty() || !no_kwargs => {
                Err(malformed("object() takes no arguments"))
            }
            Known::Other | Known::Object | Known::JoblibArray => {
                let r = self.arena.range(&args);
                Ok(self.new_object(
                    cls,
                    if kwargs.is_some() {
                        Made::NewEx
                    } else {
                        Made::New
                    },
                    r,
                    kwargs,
                ))
            }
            // `set.__new__` and `bytearray.__new__` ignore their arguments; __init__ fills them.
            Known::Set if no_kwargs => Ok(Kind::Set(self.arena.new_container())),
            Known::List if no_kwargs => Ok(Kind::List(self.arena.new_container())),
            Known::Dict if no_kwargs => Ok(Kind::Dict(self.arena.new_container())),
            Known::Int | Known::Float | Known::Str | Known::Bool | Known::Tuple if no_kwargs => {
                self.call(cls, args)
            }
            Known::ByteArray if no_kwargs => Ok(Kind::ByteArray(Span::EMPTY)),
            Known::FrozenSet | Known::Bytes | Known::Complex if no_kwargs => self.call(cls, args),
            k if k.dangerous_kept() => Err(self.refused(gid, class::DANGEROUS)),
            _ => Err(malformed("NEWOBJ of a global that is not a class")),
        }
    }

    /// Items `stack[start..]` appended to the container at `stack[start - 1]`.
    #[inline(always)]
    fn extend_at(&mut self, start: usize, what: Part) -> Result<()> {
        if start == 0 || start <= self.fence() || start > self.m.stack.len() {
            return Err(err(ErrorCode::StackUnderflow));
        }
        let target = self.m.stack[start - 1];
        let n = self.m.stack.len() - start;
        if n == 0 {
            // An empty APPENDS, SETITEMS or ADDITEMS: CPython does nothing, whatever is below.
            return Ok(());
        }
        let id = match (what, target.kind()) {
            (Part::List, Kind::List(id))
            | (Part::Dict, Kind::Dict(id))
            | (Part::Set, Kind::Set(id)) => id,
            _ => self.extend_target(what, target)?,
        };
        if what == Part::Dict && n % 2 != 0 {
            return Err(malformed("odd number of items for SETITEMS"));
        }
        match target.kind() {
            Kind::Dict(_) => self.check_hashable(
                self.m.stack[start..].iter().step_by(2).copied(),
                "a dict key",
            )?,
            Kind::Set(_) => {
                self.check_hashable(self.m.stack[start..].iter().copied(), "a set element")?
            }
            _ => {}
        }
        let arena = &mut *self.arena;
        arena.extend(id, &self.m.stack[start..]);
        self.m.stack.truncate(start);
        self.check_nodes()
    }

    /// The container that a node which is not a list, dict or set takes `what` items into.
    #[inline(never)]
    fn extend_target(&mut self, what: Part, target: Node) -> Result<Id> {
        match (what, target.kind()) {
            (_, Kind::Object(o)) if self.plain_object(o) => Err(malformed_owned(format!(
                "{} onto an object(), which cannot take {} items",
                name(self.op).unwrap_or("?"),
                what.name()
            ))),
            (Part::List, Kind::Object(o)) => Ok(self.object_part(o, |obj| &mut obj.list)),
            (Part::Dict, Kind::Object(o)) => Ok(self.object_part(o, |obj| &mut obj.dict)),
            (_, other) => Err(malformed_owned(format!(
                "{} onto a {}, which cannot take {} items",
                name(self.op).unwrap_or("?"),
                other.type_name(),
                what.name()
            ))),
        }
    }

    /// Whether a BUILD state sets nothing, as CPython reads it without `__setstate__`: `None`,
    /// or `(None, {})` (no instance dict, no slot values).
    fn sets_nothing(&self, state: Node) -> bool {
        match state.kind() {
            Kind::None => true,
            Kind::Tuple(r) => match self.arena.slice(r) {
                [none, dict] => {
                    matches!(none.kind(), Kind::None)
                        && matches!(dict.kind(), Kind::Dict(d) if self.arena.len(d) == 0)
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether the object is what calling a class that returns shared members made (see
    /// [`crate::class::returns_shared_member`]). Out of line: inlined into `step`, it made
    /// the typed records decode 5% slower (the fast loop's code moved), at fewer
    /// instructions.
    #[cold]
    #[inline(never)]
    fn shared_member(&self, o: Id) -> bool {
        match self.arena.objects[o as usize].class.kind() {
            Kind::Global(g) => {
                let g = &self.arena.globals[g as usize];
                let (m, n) = (self.bytes(g.module), self.bytes(g.name));
                crate::class::returns_shared_member(
                    std::str::from_utf8(m).unwrap_or(""),
                    std::str::from_utf8(n).unwrap_or(""),
                )
            }
            _ => false,
        }
    }

    /// Whether the object is a bare `object()`: no attributes, no items.
    fn plain_object(&self, o: Id) -> bool {
        match self.arena.objects[o as usize].class.kind() {
            Kind::Global(g) => self.arena.globals[g as usize].known == Known::Object,
            _ => false,
        }
    }

    fn object_part(&mut self, o: Id, part: fn(&mut Object) -> &mut Id) -> Id {
        let existing = *part(&mut self.arena.objects[o as usize]);
        if existing != NIL {
            return existing;
        }
        let id = self.arena.new_container();
        *part(&mut self.arena.objects[o as usize]) = id;
        id
    }

    /// Execute one opcode; `true` at STOP, with the root left on the stack. (A small result
    /// stays in registers; returning the root itself went through memory on every opcode.)
    #[inline(always)]
    fn step(&mut self, op: u8) -> Result<bool> {
        match op {
            BININT1 => {
                let v = self.u8_arg()?;
                self.push(Kind::Int(i64::from(v)));
            }
            BININT2 => {
                let v = u16::from_le_bytes(self.r.fixed(&mut self.arena.scratch)?);
                self.push(Kind::Int(i64::from(v)));
            }
            BININT => {
                let v = i32::from_le_bytes(self.r.fixed(&mut self.arena.scratch)?);
                self.push(Kind::Int(i64::from(v)));
            }
            BINFLOAT => {
                let v = f64::from_be_bytes(self.r.fixed(&mut self.arena.scratch)?);
                self.push(Kind::Float(v));
            }
            SHORT_BINUNICODE => {
                let n = self.u8_arg()?;
                let span = self.counted(u64::from(n))?;
                self.str_node(span)?;
            }
            BINUNICODE => {
                let n = self.u32_len()?;
                let span = self.counted(n)?;
                self.str_node(span)?;
            }
            BINUNICODE8 => {
                let n = self.u64_len()?;
                let span = self.counted(n)?;
                self.str_node(span)?;
            }
            MEMOIZE => self.memoize()?,
            BINPUT => {
                let id = self.u8_arg()?;
                self.memo_put(u64::from(id))?;
            }
            LONG_BINPUT => {
                let id = self.u32_len()?;
                self.memo_put(id)?;
            }
            PUT => {
                let id = self.text_memo_id()?;
                self.memo_put(id)?;
            }
            BINGET => {
                let id = self.u8_arg()?;
                self.memo_get(u64::from(id))?;
            }
            LONG_BINGET => {
                let id = self.u32_len()?;
                self.memo_get(id)?;
            }
            GET => {
                let id = self.text_memo_id()?;
                self.memo_get(id)?;
            }
            MARK => self.m.marks.push(self.m.stack.len()),
            EMPTY_LIST => {
                let id = self.arena.new_container();
                self.push_memo(Kind::List(id))?;
            }
            EMPTY_DICT => {
                let id = self.arena.new_container();
                self.push_memo(Kind::Dict(id))?;
            }
            EMPTY_SET => {
                let id = self.arena.new_container();
                self.push_memo(Kind::Set(id))?;
            }
            EMPTY_TUPLE => self.push(Kind::Tuple(Range::EMPTY)),
            APPENDS => {
                let start = self.pop_mark()?;
                self.extend_at(start, Part::List)?;
            }
            SETITEMS => {
                let start = self.pop_mark()?;
                self.extend_at(start, Part::Dict)?;
            }
            ADDITEMS => {
                let start = self.pop_mark()?;
                self.extend_at(start, Part::Set)?;
            }
            APPEND => {
                let len = self.m.stack.len();
                if len < 2 || len - 1 <= self.fence() {
                    return Err(err(ErrorCode::StackUnderflow));
                }
                self.extend_at(len - 1, Part::List)?;
            }
            SETITEM => {
                let len = self.m.stack.len();
                if len < 3 || len - 2 <= self.fence() {
                    return Err(err(ErrorCode::StackUnderflow));
                }
                self.extend_at(len - 2, Part::Dict)?;
            }
            TUPLE1 | TUPLE2 | TUPLE3 => {
                let n = usize::from(op - TUPLE1 + 1);
                let len = self.m.stack.len();
                if len < n || len - n < self.fence() {
                    return Err(err(ErrorCode::StackUnderflow));
                }
                let stack = std::mem::take(&mut self.m.stack);
                let kind = self.tuple(&stack[len - n..]);
                self.m.stack = stack;
                self.m.stack.truncate(len - n);
                self.check_nodes()?;
                self.push_memo(kind)?;
            }
            TUPLE | FROZENSET | LIST | DICT => {
                let start = self.pop_mark()?;
                let kind = match op {
                    TUPLE => {
                        let stack = std::mem::take(&mut self.m.stack);
                        let kind = self.tuple(&stack[start..]);
                        self.m.stack = stack;
                        kind
                    }
                    FROZENSET => {
                        let items = &self.m.stack[start..];
                        self.check_hashable(items.iter().copied(), "a set element")?;
                        Kind::FrozenSet(self.arena.range(items))
                    }
                    _ => {
                        if op == DICT && (self.m.stack.len() - start) % 2 != 0 {
                            return Err(malformed("odd number of items for DICT"));
                        }
                        if op == DICT {
                            let keys = self.m.stack[start..].iter().step_by(2).copied();
                            self.check_hashable(keys, "a dict key")?;
                        }
                        let id = self.arena.new_container();
                        self.arena.extend(id, &self.m.stack[start..]);
                        if op == LIST {
                            Kind::List(id)
                        } else {
                            Kind::Dict(id)
                        }
                    }
                };
                self.m.stack.truncate(start);
                self.push(kind);
                self.check_nodes()?;
            }
            NONE => self.push(Kind::None),
            NEWTRUE => self.push(Kind::Bool(true)),
            NEWFALSE => self.push(Kind::Bool(false)),
            SHORT_BINBYTES => {
                let n = self.u8_arg()?;
                let span = self.counted(u64::from(n))?;
                self.push(Kind::Bytes(span));
            }
            BINBYTES => {
                let n = self.u32_len()?;
                let span = self.counted(n)?;
                self.push(Kind::Bytes(span));
            }
            BINBYTES8 => {
                let n = self.u64_len()?;
                let span = self.counted(n)?;
                self.push(Kind::Bytes(span));
            }
            BYTEARRAY8 => {
                let n = self.u64_len()?;
                let span = self.counted(n)?;
                self.push(Kind::ByteArray(span));
            }
            SHORT_BINSTRING => {
                let n = self.u8_arg()?;
                let span = self.counted(u64::from(n))?;
                self.py2_str(span)?;
            }
            BINSTRING => {
                let n = i32::from_le_bytes(self.r.fixed(&mut self.arena.scratch)?);
                if n < 0 {
                    return Err(malformed("BINSTRING has a negative length"));
                }
                let span = self.counted(n as u64)?;
                self.py2_str(span)?;
            }
            STRING => {
                let line = self.line()?;
                let body = text::unquote_string(self.bytes(line))?;
                let span = match body {
                    std::borrow::Cow::Borrowed(b) => {
                        // The body sits one byte into the line, inside the quotes.
                        let _ = b;
                        self.sub_span(line, 1, line.len() - 2)
                    }
                    std::borrow::Cow::Owned(v) => self.push_scratch(&v)?,
                };
                self.py2_str(span)?;
            }
            UNICODE => {
                let line = self.line()?;
                let bytes = self.bytes(line);
                if bytes.is_ascii() && !bytes.contains(&b'\\') {
                    self.push(Kind::Str(line));
                } else {
                    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 2);
                    text::raw_unicode_escape(bytes, &mut out)?;
                    let span = self.push_scratch(&out)?;
                    self.push(Kind::Str(span));
                }
            }
            INT => {
                let line = self.line()?;
                self.int_text(line, "INT")?;
            }
            LONG => {
                let line = self.line()?;
                self.int_text(line, "LONG")?;
            }
            LONG1 => {
                let n = self.u8_arg()?;
                let span = self.counted(u64::from(n))?;
                self.int_from_le(span);
            }
            LONG4 => {
                let n = i32::from_le_bytes(self.r.fixed(&mut self.arena.scratch)?);
                if n < 0 {
                    return Err(malformed("LONG4 has a negative length"));
                }
                let span = self.counted(n as u64)?;
                self.int_from_le(span);
            }
            FLOAT => {
                let line = self.line()?;
                let v = text::parse_float(self.bytes(line))?;
                self.push(Kind::Float(v));
            }
            POP => {
                let len = self.m.stack.len();
                if self.m.marks.last() == Some(&len) && len >= self.fence() {
                    // CPython pops a mark that sits on top of the stack.
                    self.m.marks.pop();
                } else {
                    let node = self.pop()?;
                    self.check_not_thrown_away(node)?;
                }
            }
            POP_MARK => {
                let start = self.pop_mark()?;
                self.m.stack.truncate(start);
            }
            DUP => {
                let top = self.top()?;
                self.m.stack.push(top);
            }
            GLOBAL => {
                let module = self.line()?;
                let name = self.line()?;
                let node = self.global(module, name)?;
                self.m.stack.push(node);
            }
            STACK_GLOBAL => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (Kind::Str(m), Kind::Str(n)) = (module.kind(), name.kind()) else {
                    return Err(malformed("STACK_GLOBAL requires two str"));
                };
                let node = self.global(m, n)?;
                self.m.stack.push(node);
            }
            REDUCE => {
                let args = self.pop()?;
                let callable = self.pop()?;
                let Kind::Tuple(r) = args.kind() else {
                    return Err(malformed("REDUCE arguments must be a tuple"));
                };
                let args = self.arena.slice(r).to_vec();
                self.charge_copies(args.len())?;
                let kind = self.call(callable, args)?;
                self.push(kind);
                self.check_nodes()?;
            }
            INST => {
                let module = self.line()?;
                let name = self.line()?;
                let start = self.pop_mark()?;
                let cls = self.global(module, name)?;
                let args = self.m.stack.split_off(start);
                let kind = self.instantiate(cls, args)?;
                self.push(kind);
                self.check_nodes()?;
            }
            OBJ => {
                let start = self.pop_mark()?;
                if self.m.stack.len() <= start {
                    return Err(err(ErrorCode::StackUnderflow));
                }
                let mut args = self.m.stack.split_off(start);
                let cls = args.remove(0);
                let kind = self.instantiate(cls, args)?;
                self.push(kind);
                self.check_nodes()?;
            }
            NEWOBJ => {
                let args = self.pop()?;
                let cls = self.pop()?;
                let Kind::Tuple(r) = args.kind() else {
                    return Err(malformed("NEWOBJ expected an argument tuple"));
                };
                let args = self.arena.slice(r).to_vec();
                self.charge_copies(args.len())?;
                let kind = self.new_instance(cls, args, None)?;
                self.push(kind);
                self.check_nodes()?;
            }
            NEWOBJ_EX => {
                let kwargs = self.pop()?;
                let args = self.pop()?;
                let cls = self.pop()?;
                let (Kind::Tuple(r), Kind::Dict(_)) = (args.kind(), kwargs.kind()) else {
                    return Err(malformed("NEWOBJ_EX expects an argument tuple and a dict"));
                };
                let kwargs = self.keywords(kwargs)?;
                let args = self.arena.slice(r).to_vec();
                self.charge_copies(args.len())?;
                let kind = self.new_instance(cls, args, Some(kwargs))?;
                self.push(kind);
                self.check_nodes()?;
            }
            BUILD => {
                let state = self.pop()?;
                let target = self.top()?;
                let Kind::Object(o) = target.kind() else {
                    // CPython sets nothing for these, whatever the target.
                    if self.sets_nothing(state) {
                        return Ok(false);
                    }
                    return Err(malformed_owned(format!(
                        "BUILD on a {}, which has no state to set",
                        target.kind().type_name()
                    )));
                };
                if self.plain_object(o) && !matches!(state.kind(), Kind::None) {
                    return Err(malformed(
                        "BUILD on an object(), which has no attributes to set",
                    ));
                }
                if !self.sets_nothing(state) && self.shared_member(o) {
                    return Err(malformed(
                        "BUILD on an Enum member, which CPython would change for the whole \
                         program",
                    ));
                }
                if self.opts.joblib && self.m.joblib_arrays.contains(&o) {
                    return Err(malformed(
                        "BUILD on a joblib array wrapper whose array was read already (joblib \
                         would read another array's bytes after it)",
                    ));
                }
                let id = self.object_part(o, |obj| &mut obj.states);
                self.arena.extend(id, &[state]);
                self.check_nodes()?;
                if self.opts.joblib && self.is_joblib_wrapper(o) {
                    self.joblib_array(o, state)?;
                }
            }
            PROTO => {
                let v = self.u8_arg()?;
                if v > HIGHEST_PROTOCOL {
                    return Err(err(ErrorCode::Protocol(u64::from(v))));
                }
                self.proto = v;
            }
            FRAME => {
                let n = self.u64_len()?;
                // Refused before it is read, as `counted` refuses: no pickle goes past 1 TiB.
                within_node_offsets(self.pos.wrapping_sub(self.arena.base).saturating_add(n))?;
                self.r.begin_frame(n, &mut self.arena.scratch)?;
            }
            STOP => {
                self.top()?;
                if self.m.whole_stack_at_stop
                    && (self.m.stack.len() > 1 || !self.m.marks.is_empty())
                {
                    return Err(self.left_at_stop());
                }
                if self.r.in_unfinished_frame() {
                    return Err(malformed("STOP before the end of the current FRAME"));
                }
                if let Some(&o) = self.m.uncalled_partials.first() {
                    // Reported where the partial was made.
                    let made = self.arena.objects[o as usize].args;
                    return Err(self
                        .partial_refused()
                        .or_at(self.made_at(&made), made.opcode()));
                }
                return Ok(true);
            }
            PERSID => {
                let line = self.line()?;
                let pid = self.text_pid(line)?;
                self.persistent(pid)?;
            }
            BINPERSID => {
                let pid = self.pop()?;
                self.persistent(pid)?;
            }
            EXT1 => {
                let code = self.u8_arg()?;
                self.extension(u32::from(code))?;
            }
            EXT2 => {
                let code = u16::from_le_bytes(self.r.fixed(&mut self.arena.scratch)?);
                self.extension(u32::from(code))?;
            }
            EXT4 => {
                let code = i32::from_le_bytes(self.r.fixed(&mut self.arena.scratch)?);
                let code = u32::try_from(code).map_err(|_| malformed("negative extension code"))?;
                self.extension(code)?;
            }
            NEXT_BUFFER => {
                let Some(given) = self.m.buffers_given.checked_sub(1) else {
                    return Err(err(ErrorCode::Unsupported(
                        "an out-of-band buffer (NEXT_BUFFER) without the buffers: this pickle \
                         was written with a buffer_callback; pass the buffers it got to \
                         from_slice_with_buffers (as Python's loads(data, buffers=...)) or \
                         Deserializer::next_value_with_buffers"
                            .into(),
                    )));
                };
                if self.m.next_buffer >= given {
                    return Err(malformed_owned(format!(
                        "not enough out-of-band buffers: NEXT_BUFFER asks for buffer {} of {} \
                         passed",
                        self.m.next_buffer + 1,
                        given
                    )));
                }
                let id = self.arena.buffers.len() as Id;
                self.arena.buffers.push((self.m.next_buffer as u32, false));
                self.m.next_buffer += 1;
                self.push(Kind::Buffer(id));
            }
            READONLY_BUFFER => {
                let top = self.top()?;
                let kind = match top.kind() {
                    Kind::Buffer(b) => {
                        let (index, _) = self.arena.buffers[b as usize];
                        let id = self.arena.buffers.len() as Id;
                        self.arena.buffers.push((index, true));
                        Kind::Buffer(id)
                    }
                    Kind::Bytes(_) => top.kind(),
                    Kind::ByteArray(span) => Kind::Bytes(span),
                    other => {
                        return Err(malformed_owned(format!(
                            "READONLY_BUFFER on a {}, not a buffer",
                            other.type_name()
                        )))
                    }
                };
                self.m.stack.pop();
                self.push(kind);
            }
            other => return Err(err(ErrorCode::InvalidOpcode(other))),
        }
        Ok(false)
    }

    fn sub_span(&self, span: Span, skip: usize, len: usize) -> Span {
        span.sub(skip, len)
    }
}

#[cfg(test)]
mod tests {
    use crate::{DeOptions, Limit, Value};

    #[test]
    fn offsets_a_node_cannot_hold_are_refused() {
        // Past them, offsets saturate: checks that compare a node's offset with the
        // position (`check_not_thrown_away`) would no longer hold.
        use crate::de::arena::MAX_NODE_OFFSET;
        assert!(super::within_node_offsets(MAX_NODE_OFFSET).is_ok());
        let e = super::within_node_offsets(MAX_NODE_OFFSET + 1).unwrap_err();
        assert_eq!(e.category(), crate::Category::Unsupported);
        assert!(
            e.to_string().contains("1 TiB or more is not supported"),
            "{e}"
        );
    }

    #[test]
    fn a_str_or_bytes_a_node_cannot_hold_is_refused_not_cut() {
        // A node keeps 36 bits of a span's length: the check is what stops a 64 GiB object
        // (which no test can allocate) coming back 64 GiB shorter.
        use crate::read::Span;
        let longest = (1 << 36) - 1;
        assert!(super::node_span(Span::input(3, longest)).is_ok());
        for span in [Span::input(3, longest + 1), Span::scratch(0, 1 << 37)] {
            let e = super::node_span(span).unwrap_err();
            assert_eq!(e.category(), crate::Category::Unsupported);
            assert!(
                e.to_string().contains("64 GiB or more is not supported"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_memoize_run_with_the_opcode_before_it_reports_itself() {
        // SHORT_BINUNICODE 'a', MEMOIZE, EMPTY_LIST, MEMOIZE (offset 7), STOP
        let data = b"\x80\x04\x8c\x01a\x94]\x94.";
        let e = crate::from_slice_with::<Value>(data, &DeOptions::new().max_memo(1)).unwrap_err();
        assert_eq!(e.limit(), Some(Limit::Memo));
        assert_eq!(
            (e.offset(), e.opcode_name()),
            (Some(7), Some("MEMOIZE")),
            "{e}"
        );
        let v = crate::from_slice::<Value>(data).unwrap();
        assert_eq!(v.to_string(), "[]");
    }

    #[test]
    fn opcodes_the_fast_loop_leaves_to_step_fail_as_in_step() {
        // BININT1 1, MEMOIZE, BININT1 2, MEMOIZE (offset 7, over a memo limit of 1)
        let e = crate::from_slice_with::<Value>(
            b"\x80\x04K\x01\x94K\x02\x94.",
            &DeOptions::new().max_memo(1),
        )
        .unwrap_err();
        assert_eq!(
            (e.offset(), e.opcode_name()),
            (Some(7), Some("MEMOIZE")),
            "{e}"
        );
        // BINGET of an id never stored
        let e = crate::from_slice::<Value>(b"\x80\x04K\x01\x94h\x01.").unwrap_err();
        assert_eq!(
            (e.offset(), e.opcode_name()),
            (Some(5), Some("BINGET")),
            "{e}"
        );
        // A string cut short by the end of the input, and one that is not UTF-8
        let e = crate::from_slice::<Value>(b"\x80\x04\x8c\x05ab").unwrap_err();
        assert_eq!(
            (e.offset(), e.opcode_name()),
            (Some(2), Some("SHORT_BINUNICODE"))
        );
        let e = crate::from_slice::<Value>(b"\x80\x04\x8c\x01\xff.").unwrap_err();
        assert_eq!(
            (e.offset(), e.opcode_name()),
            (Some(2), Some("SHORT_BINUNICODE"))
        );
        // Non-ASCII UTF-8 goes through step's check and is read.
        let v = crate::from_slice::<Value>(b"\x80\x04\x8c\x02\xc3\xa9.").unwrap();
        assert_eq!(v.as_str(), Some("\u{e9}"));
        // Batches the fast loop leaves to step: an odd SETITEMS, APPENDS onto a dict, an
        // unhashable key, a batch over the node limit, APPEND with nothing to append
        for (data, at, op) in [
            (&b"\x80\x04}(K\x01K\x02K\x03u."[..], 10, "SETITEMS"),
            (b"\x80\x04}(K\x01e.", 6, "APPENDS"),
            (b"\x80\x04}]K\x01s.", 6, "SETITEM"),
            (b"\x80\x04}(]K\x01u.", 7, "SETITEMS"),
            (b"\x80\x04](a.", 4, "APPEND"),
        ] {
            let e = crate::from_slice::<Value>(data).unwrap_err();
            assert_eq!((e.offset(), e.opcode_name()), (Some(at), Some(op)), "{e}");
        }
        let e = crate::from_slice_with::<Value>(
            b"\x80\x04](K\x01K\x02e.",
            &DeOptions::new().max_nodes(1),
        )
        .unwrap_err();
        assert_eq!(e.limit(), Some(Limit::Nodes));
        // The second node, as a reader reports it.
        assert_eq!((e.offset(), e.opcode_name()), (Some(4), Some("BININT1")));
        // ...and the batches it does take read as step() reads them.
        for (data, repr) in [
            (
                &b"\x80\x04](K\x01K\x02}(K\x01K\x02uK\x03e."[..],
                "[1, 2, {1: 2}, 3]",
            ),
            (b"\x80\x04]K\x05a.", "[5]"),
            (b"\x80\x04}K\x01K\x02s.", "{1: 2}"),
            (b"\x80\x04](e.", "[]"),
        ] {
            assert_eq!(crate::from_slice::<Value>(data).unwrap().to_string(), repr);
        }
        // MEMOIZE with nothing above the mark
        let e = crate::from_slice::<Value>(b"\x80\x04K\x01(\x94.").unwrap_err();
        assert_eq!(
            (e.offset(), e.opcode_name()),
            (Some(5), Some("MEMOIZE")),
            "{e}"
        );
    }
}
