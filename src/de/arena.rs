//! The node graph the unpickler builds: 16-byte `Copy` nodes, a few large vectors, no
//! per-value allocation.
//!
//! Scalars live in the node itself; strings and bytes are [`Span`]s into the input or the
//! scratch buffer. Immutable sequences (tuple, frozenset) are ranges of the `items` vector.
//! Mutable containers (list, dict, set, and the list/dict parts and states of objects) are ids
//! into `containers`: their items arrive in batches (APPENDS, SETITEMS, ADDITEMS) interleaved
//! with other construction, so each container is a chain of segments of `items`. A memo GET
//! copies the node, so shared objects are the same id: sharing costs nothing and cycles are
//! recognisable by id.

use crate::read::Span;

/// An index into one of the arena's tables.
pub(crate) type Id = u32;

/// "No segment" / "no container".
pub(crate) const NIL: Id = u32::MAX;

/// A value on the unpickler's stack or inside a container, packed into 16 bytes.
///
/// The arena is the decode's largest memory (a typed records decode writes and reads tens of
/// megabytes of nodes): at 24 bytes (a [`Kind`] and a word for where it came from) the typed
/// records decode took 5-10% longer than at 16 on a quiet machine, 15-18% longer with the
/// other core busy.
///
/// `head` holds a code (bits 0-15), the opcode that made the value (bits 16-23) and the
/// offset of that opcode from the start of the arena's pickle or kept-memo stream (bits
/// 24-63; [`Arena::base`] is where that starts): every field comes out with a shift or a mask
/// that fits an instruction's immediate. A code whose bit 2 is clear is a span kind: its low
/// two bits say which, its top 13 bits are a span's high length bits, and `body` is the rest
/// of the span ([`Span::to_node_bits`]). Any other kind has a code of its own (bit 2 set),
/// its value in `body`.
#[derive(Clone, Copy)]
pub(crate) struct Node {
    head: u64,
    body: u64,
}

/// Offsets a node holds are below this (1 TiB): larger ones are saturated to it.
pub(crate) const MAX_NODE_OFFSET: u64 = (1 << 40) - 1;
const OFFSET_SHIFT: u32 = 24;
const CODE_MASK: u64 = 0xffff;
/// The codes of the kinds that are no span (bit 2 set); a span kind's code is its index (0-3)
/// and the span's high length bits above bit 2.
const fn code(index: u64) -> u64 {
    4 | index << 3
}
const NONE: u64 = code(0);
const BOOL: u64 = code(1);
const INT: u64 = code(2);
const FLOAT: u64 = code(3);
const COMPLEX: u64 = code(4);
const TUPLE: u64 = code(5);
const FROZENSET: u64 = code(6);
const LIST: u64 = code(7);
const DICT: u64 = code(8);
const SET: u64 = code(9);
const OBJECT: u64 = code(10);
const GLOBAL: u64 = code(11);
const BUFFER: u64 = code(12);
/// The code of no kind: the memo's empty slots.
const HOLE_CODE: u64 = code(31);

impl Node {
    /// A node of `kind`, made by `opcode` at `offset` from the arena's base (saturated at
    /// [`MAX_NODE_OFFSET`], which a pickle reaches only past 1 TiB read from a stream).
    #[inline(always)]
    pub(crate) fn new(kind: Kind, offset: u64, opcode: u8) -> Node {
        let (code, body) = match kind {
            Kind::Str(s) => Node::span_code(0, s),
            Kind::Bytes(s) => Node::span_code(1, s),
            Kind::ByteArray(s) => Node::span_code(2, s),
            Kind::BigInt(s) => Node::span_code(3, s),
            Kind::None => (NONE, 0),
            Kind::Bool(b) => (BOOL, u64::from(b)),
            Kind::Int(i) => (INT, i as u64),
            Kind::Float(f) => (FLOAT, f.to_bits()),
            Kind::Complex(id) => (COMPLEX, u64::from(id)),
            Kind::Tuple(r) => (TUPLE, Node::range_body(r)),
            Kind::FrozenSet(r) => (FROZENSET, Node::range_body(r)),
            Kind::List(id) => (LIST, u64::from(id)),
            Kind::Dict(id) => (DICT, u64::from(id)),
            Kind::Set(id) => (SET, u64::from(id)),
            Kind::Object(id) => (OBJECT, u64::from(id)),
            Kind::Global(id) => (GLOBAL, u64::from(id)),
            Kind::Buffer(id) => (BUFFER, u64::from(id)),
        };
        Node {
            head: code | u64::from(opcode) << 16 | offset.min(MAX_NODE_OFFSET) << OFFSET_SHIFT,
            body,
        }
    }

    #[inline(always)]
    fn span_code(which: u64, span: Span) -> (u64, u64) {
        let (word, high) = span.to_node_bits();
        (which | high << 3, word)
    }

    #[inline(always)]
    fn range_body(r: Range) -> u64 {
        u64::from(r.start) | u64::from(r.len) << 32
    }

    /// What the node is.
    #[inline(always)]
    pub(crate) fn kind(&self) -> Kind {
        let code = self.head & CODE_MASK;
        let body = self.body;
        if code & 4 == 0 {
            let span = Span::from_node_bits(body, code >> 3);
            return match code & 3 {
                0 => Kind::Str(span),
                1 => Kind::Bytes(span),
                2 => Kind::ByteArray(span),
                _ => Kind::BigInt(span),
            };
        }
        let range = || Range {
            start: body as u32,
            len: (body >> 32) as u32,
        };
        match code {
            BOOL => Kind::Bool(body != 0),
            INT => Kind::Int(body as i64),
            FLOAT => Kind::Float(f64::from_bits(body)),
            COMPLEX => Kind::Complex(body as Id),
            TUPLE => Kind::Tuple(range()),
            FROZENSET => Kind::FrozenSet(range()),
            LIST => Kind::List(body as Id),
            DICT => Kind::Dict(body as Id),
            SET => Kind::Set(body as Id),
            OBJECT => Kind::Object(body as Id),
            GLOBAL => Kind::Global(body as Id),
            BUFFER => Kind::Buffer(body as Id),
            // NONE, and the memo's holes (never read as values).
            _ => Kind::None,
        }
    }

    /// The int, if the node is one: one compare, for the walk's hot paths ([`Node::kind`]
    /// decodes every kind).
    #[inline(always)]
    pub(crate) fn int(&self) -> Option<i64> {
        (self.head & CODE_MASK == INT).then_some(self.body as i64)
    }

    /// The float, if the node is one (see [`Node::int`]).
    #[inline(always)]
    pub(crate) fn float(&self) -> Option<f64> {
        (self.head & CODE_MASK == FLOAT).then_some(f64::from_bits(self.body))
    }

    /// The str's span, if the node is a str (see [`Node::int`]).
    #[inline(always)]
    pub(crate) fn str_span(&self) -> Option<Span> {
        let code = self.head & CODE_MASK;
        (code & 7 == 0).then(|| Span::from_node_bits(self.body, code >> 3))
    }

    /// The node's kind replaced, where it came from kept.
    #[inline]
    pub(crate) fn with_kind(&self, kind: Kind) -> Node {
        Node::new(kind, self.offset(), self.opcode())
    }

    /// A node no value is: what the memo's empty slots hold.
    pub(crate) const HOLE: Node = Node {
        head: HOLE_CODE,
        body: 0,
    };

    /// Whether this is [`Node::HOLE`].
    #[inline]
    pub(crate) fn is_hole(&self) -> bool {
        self.head & CODE_MASK == HOLE_CODE
    }

    /// The offset of the opcode that made the value, from [`Arena::base`].
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.head >> OFFSET_SHIFT
    }

    #[inline]
    pub(crate) fn opcode(&self) -> u8 {
        (self.head >> 16) as u8
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("kind", &self.kind())
            .field("offset", &self.offset())
            .field("opcode", &self.opcode())
            .finish()
    }
}

/// What a node is, unpacked from it ([`Node::kind`]).
///
/// `repr(u32)` gives each variant a C layout with a 4-byte tag and a 12-byte span beside it:
/// 16 bytes, two registers.
#[derive(Clone, Copy, Debug)]
#[repr(u32)]
pub(crate) enum Kind {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Little-endian two's complement, too large for i64.
    BigInt(Span),
    /// Index into `Arena::complexes` (two floats would make every node larger).
    Complex(Id),
    /// Valid UTF-8.
    Str(Span),
    Bytes(Span),
    ByteArray(Span),
    Tuple(Range),
    FrozenSet(Range),
    List(Id),
    Dict(Id),
    Set(Id),
    Object(Id),
    Global(Id),
    /// A protocol 5 out-of-band buffer: index into `Arena::buffers`.
    Buffer(Id),
}

impl Kind {
    /// The Python type name, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Kind::None => "None",
            Kind::Bool(_) => "bool",
            Kind::Int(_) | Kind::BigInt(_) => "int",
            Kind::Float(_) => "float",
            Kind::Complex(..) => "complex",
            Kind::Str(_) => "str",
            Kind::Bytes(_) => "bytes",
            Kind::ByteArray(_) => "bytearray",
            Kind::Tuple(_) => "tuple",
            Kind::FrozenSet(_) => "frozenset",
            Kind::List(_) => "list",
            Kind::Dict(_) => "dict",
            Kind::Set(_) => "set",
            Kind::Object(_) => "object",
            Kind::Global(_) => "global",
            Kind::Buffer(_) => "PickleBuffer",
        }
    }
}

/// A contiguous run of `Arena::items`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Range {
    pub start: u32,
    pub len: u32,
}

impl Range {
    pub(crate) const EMPTY: Range = Range { start: 0, len: 0 };
}

/// A mutable container: a run of `items`, then (if its batches were not adjacent) a chain of
/// further segments. Most containers get their items in one batch, or in adjacent ones, and so
/// need no segment at all.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Container {
    /// The first run of items.
    pub start: u32,
    pub run: u32,
    /// Number of items (for a dict, keys and values both count).
    pub len: u32,
    /// The first and last segments after the run (NIL if none).
    pub more: Id,
    pub last: Id,
}

impl Container {
    /// Where its first run of items is.
    #[inline]
    fn first_run(&self) -> Range {
        Range {
            start: self.start,
            len: self.run,
        }
    }
}

/// One batch of a container's items.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    pub start: u32,
    pub len: u32,
    pub next: Id,
}

pub(crate) use crate::value::Made;

/// An instance of a class the policy let through.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Object {
    /// A `Kind::Global` node.
    pub class: Node,
    pub made: Made,
    /// A tuple node.
    pub args: Node,
    /// A dict node, for `NEWOBJ_EX`.
    pub kwargs: Option<Node>,
    /// Container of BUILD states, in order (NIL if never built).
    pub states: Id,
    /// Container of APPENDed items (NIL if none).
    pub list: Id,
    /// Container of SETITEM keys and values (NIL if none).
    pub dict: Id,
}

/// A global reference (`module.name`) that the policy allowed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Global {
    pub module: Span,
    pub name: Span,
    pub known: crate::class::Known,
}

/// Everything one pickle built. Reused from pickle to pickle to keep its allocations.
#[derive(Default)]
pub(crate) struct Arena {
    pub items: Vec<Node>,
    pub containers: Vec<Container>,
    pub segments: Vec<Segment>,
    pub objects: Vec<Object>,
    pub globals: Vec<Global>,
    /// Complex numbers' (real, imaginary) parts.
    pub complexes: Vec<(f64, f64)>,
    /// Out-of-band buffers met (NEXT_BUFFER): which of the caller's buffers, and whether
    /// READONLY_BUFFER made it read-only.
    pub buffers: Vec<(u32, bool)>,
    /// Bytes copied from an `io::Read` or decoded by the unpickler.
    pub scratch: Vec<u8>,
    /// What a walk may hand over before `max_expansion` counts, in bytes: the pickle's own
    /// (PROTO to STOP) and those its opcodes and the caller's hooks made in scratch. The same
    /// for a slice and an `io::Read`, and for a pickle alone or in a stream. Set at STOP.
    pub paid_bytes: u64,
    /// Not the pickle's: the walk's cycle-check flags, kept here between walks for their
    /// allocation (see `Walk::new`).
    pub walk_active: Vec<bool>,
    /// [`Arena::size`] as the last pickle left it, for a stream that keeps its memo (0
    /// otherwise).
    earlier: u64,
    /// How many of `buffers` [`Arena::next_pickle`] has already marked as not lent.
    buffers_forgotten: usize,
    /// Where in the stream the arena's pickle starts (with `keep_memo`, its first pickle):
    /// nodes hold their offsets from here ([`Node::offset`]), and the bytes from here pay for
    /// what calls copy and make (the machine's `paying_bytes`).
    pub base: u64,
}

impl Arena {
    pub(crate) fn clear(&mut self) {
        self.items.clear();
        self.containers.clear();
        self.segments.clear();
        self.objects.clear();
        self.globals.clear();
        self.complexes.clear();
        self.buffers.clear();
        self.scratch.clear();
        self.paid_bytes = 0;
        self.earlier = 0;
        self.buffers_forgotten = 0;
    }

    /// Ready the arena for the next pickle of a stream that keeps its memo: every node stays,
    /// as the memo may hand any of them to the pickles after. Only the out-of-band buffers
    /// are forgotten: each pickle is lent its own, and one of an earlier pickle met again is
    /// an error of the walk (one not lent to it).
    pub(crate) fn next_pickle(&mut self) {
        for (index, _) in &mut self.buffers[self.buffers_forgotten..] {
            *index = u32::MAX;
        }
        self.buffers_forgotten = self.buffers.len();
        self.paid_bytes = 0;
        self.earlier = (self.items.len() + 4 * self.objects.len()) as u64;
    }

    /// Bytes held by the vectors' capacity.
    pub(crate) fn capacity_bytes(&self) -> usize {
        use std::mem::size_of;
        self.items.capacity() * size_of::<Node>()
            + self.containers.capacity() * size_of::<Container>()
            + self.segments.capacity() * size_of::<Segment>()
            + self.objects.capacity() * size_of::<Object>()
            + self.globals.capacity() * size_of::<Global>()
            + self.complexes.capacity() * size_of::<(f64, f64)>()
            + self.buffers.capacity() * size_of::<(u32, bool)>()
            + self.scratch.capacity()
            + self.walk_active.capacity()
    }

    /// A new empty container.
    #[inline]
    pub(crate) fn new_container(&mut self) -> Id {
        let id = self.containers.len() as Id;
        self.containers.push(Container {
            start: 0,
            run: 0,
            len: 0,
            more: NIL,
            last: NIL,
        });
        id
    }

    /// Append a batch of nodes to a container.
    #[inline(always)]
    pub(crate) fn extend(&mut self, id: Id, batch: &[Node]) {
        if batch.is_empty() {
            return;
        }
        let start = self.items.len() as u32;
        let n = batch.len() as u32;
        self.items.extend_from_slice(batch);
        let c = &mut self.containers[id as usize];
        c.len += n;
        if c.more == NIL {
            if c.run == 0 {
                c.start = start;
                c.run = n;
                return;
            }
            if c.start + c.run == start {
                c.run += n;
                return;
            }
        }
        self.extend_segments(id, start, n);
    }

    /// The batch at `items[start..start + n]` goes after the container's run: into its last
    /// segment if adjacent, else into a new one.
    #[inline(never)]
    fn extend_segments(&mut self, id: Id, start: u32, n: u32) {
        let c = &mut self.containers[id as usize];
        if c.more != NIL {
            let seg = &mut self.segments[c.last as usize];
            if seg.start + seg.len == start {
                seg.len += n;
                return;
            }
        }
        let seg_id = self.segments.len() as Id;
        self.segments.push(Segment {
            start,
            len: n,
            next: NIL,
        });
        if c.more == NIL {
            c.more = seg_id;
        } else {
            self.segments[c.last as usize].next = seg_id;
        }
        c.last = seg_id;
    }

    /// Copy a batch of nodes into a fresh immutable range.
    #[inline]
    pub(crate) fn range(&mut self, batch: &[Node]) -> Range {
        let start = self.items.len() as u32;
        self.items.extend_from_slice(batch);
        Range {
            start,
            len: batch.len() as u32,
        }
    }

    /// The items of a container, in order.
    #[inline]
    pub(crate) fn iter(&self, id: Id) -> Items<'_> {
        let (run, next) = match self.containers.get(id as usize) {
            Some(c) => (self.slice(c.first_run()), c.more),
            None => (&[][..], NIL),
        };
        Items {
            arena: self,
            stretch: run.iter(),
            next,
        }
    }

    /// A container's items as one slice, if they are one run (no segments).
    #[inline]
    pub(crate) fn run(&self, id: Id) -> Option<&[Node]> {
        let c = self.containers.get(id as usize)?;
        if c.more != NIL {
            return None;
        }
        Some(self.slice(c.first_run()))
    }

    /// The number of items in a container (0 for NIL).
    #[inline]
    pub(crate) fn len(&self, id: Id) -> usize {
        if id == NIL {
            0
        } else {
            self.containers[id as usize].len as usize
        }
    }

    #[inline]
    pub(crate) fn slice(&self, r: Range) -> &[Node] {
        &self.items[r.start as usize..(r.start + r.len) as usize]
    }

    /// How many nodes the arena holds, as a yardstick for the expansion limit: those of this
    /// pickle, not those earlier pickles of a stream that keeps its memo left (handing those
    /// over again is expansion, or a run of tiny pickles could each hand over them all).
    pub(crate) fn size(&self) -> u64 {
        (self.items.len() + 4 * self.objects.len() + 1) as u64 - self.earlier
    }
}

/// Iterator over a container's items: its run, then its segments.
#[derive(Clone)]
pub(crate) struct Items<'a> {
    arena: &'a Arena,
    /// What is left of the current stretch (the run, then each segment): a slice iterator,
    /// so that an item costs a pointer compare, not an index and a bounds check.
    stretch: std::slice::Iter<'a, Node>,
    /// The next segment (NIL when the current stretch is the last).
    next: Id,
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a Node;

    #[inline]
    fn next(&mut self) -> Option<&'a Node> {
        loop {
            if let Some(n) = self.stretch.next() {
                return Some(n);
            }
            // Once exhausted, stay exhausted (the iterator is fused).
            if self.next == NIL {
                return None;
            }
            let s = self.arena.segments[self.next as usize];
            self.stretch = self
                .arena
                .slice(Range {
                    start: s.start,
                    len: s.len,
                })
                .iter();
            self.next = s.next;
        }
    }
}

/// Test helpers: integer nodes made and read back.
#[cfg(test)]
pub(crate) mod test_nodes {
    use super::{Kind, Node};

    /// An int node (offset and opcode 0).
    pub(crate) fn int(i: i64) -> Node {
        Node::new(Kind::Int(i), 0, 0)
    }

    /// The values of int nodes; panics on any other kind.
    pub(crate) fn ints<'n>(nodes: impl IntoIterator<Item = &'n Node>) -> Vec<i64> {
        nodes
            .into_iter()
            .map(|n| match n.kind() {
                Kind::Int(i) => i,
                other => panic!("not an int node: {other:?}"),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_nodes::int;
    use super::*;

    fn ints(a: &Arena, id: Id) -> Vec<i64> {
        super::test_nodes::ints(a.iter(id))
    }

    #[test]
    fn node_is_small() {
        assert_eq!(std::mem::size_of::<Kind>(), 16);
        assert_eq!(std::mem::size_of::<Node>(), 16);
    }

    #[test]
    fn nodes_keep_every_kind_offset_and_opcode() {
        let big = Span::input((1 << 40) - 1, (1 << 36) - 1);
        let kinds = [
            Kind::None,
            Kind::Bool(true),
            Kind::Bool(false),
            Kind::Int(i64::MIN),
            Kind::Int(-1),
            Kind::Float(-0.0),
            Kind::Float(f64::NAN),
            Kind::BigInt(big),
            Kind::Complex(u32::MAX),
            Kind::Str(Span::scratch(5, 7)),
            // High length bits in the code: still a str to `str_span`.
            Kind::Str(big),
            Kind::Bytes(big),
            Kind::ByteArray(Span::EMPTY),
            Kind::Tuple(Range {
                start: u32::MAX,
                len: 3,
            }),
            Kind::FrozenSet(Range {
                start: 1,
                len: u32::MAX,
            }),
            Kind::List(1),
            Kind::Dict(2),
            Kind::Set(3),
            Kind::Object(4),
            Kind::Global(5),
            Kind::Buffer(NIL),
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            for (offset, opcode) in [(0, 0), (MAX_NODE_OFFSET, 0xff), (i as u64 * 977, 0x8c)] {
                let n = Node::new(kind, offset, opcode);
                assert!(!n.is_hole());
                assert_eq!((n.offset(), n.opcode()), (offset, opcode));
                assert_eq!(format!("{:?}", n.kind()), format!("{kind:?}"));
                let expected = match kind {
                    Kind::Int(i) => (Some(i), None, None),
                    Kind::Float(f) => (None, Some(f.to_bits()), None),
                    Kind::Str(s) => (None, None, Some(s)),
                    _ => (None, None, None),
                };
                let got = (n.int(), n.float().map(f64::to_bits), n.str_span());
                assert_eq!(got, expected, "{kind:?}");
                let n = n.with_kind(Kind::Int(7));
                assert_eq!((n.offset(), n.opcode()), (offset, opcode));
            }
        }
        // Offsets past the largest saturate rather than wrap into the code.
        let n = Node::new(Kind::Dict(9), u64::MAX, 1);
        assert_eq!((n.offset(), n.opcode()), (MAX_NODE_OFFSET, 1));
        assert!(matches!(n.kind(), Kind::Dict(9)));
        assert!(Node::HOLE.is_hole() && matches!(Node::HOLE.kind(), Kind::None));
    }

    #[test]
    fn batches_interleaved_with_other_containers_keep_order() {
        let mut a = Arena::default();
        let x = a.new_container();
        let y = a.new_container();
        a.extend(x, &[int(1), int(2)]);
        a.extend(x, &[int(3)]); // adjacent: same segment
        a.extend(y, &[int(10)]);
        a.extend(x, &[int(4)]); // new segment
        a.extend(x, &[int(5)]); // adjacent to that segment: same one
        a.extend(y, &[int(11)]); // y's second stretch: a segment
        assert_eq!(ints(&a, x), vec![1, 2, 3, 4, 5]);
        assert_eq!(ints(&a, y), vec![10, 11]);
        assert_eq!(a.segments.len(), 2);
        assert_eq!(a.len(x), 5);
        assert_eq!(ints(&a, NIL), Vec::<i64>::new());
        // Asking again after the end keeps answering None.
        let mut it = a.iter(x);
        assert_eq!(it.by_ref().count(), 5);
        assert!(it.next().is_none() && it.next().is_none());
    }
}
