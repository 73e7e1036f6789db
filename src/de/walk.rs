//! The serde `Deserializer` that walks the arena the machine built and drives visitors.
//!
//! Walking is recursive (serde visitors are), so the depth is capped; a container met again on
//! its own path is a cycle and an error; every value visited costs one unit of a budget sized
//! from the arena plus `max_expansion` (a container's items are charged when it is entered),
//! which bounds the work shared references can multiply. The bytes of strs, bytes and big ints
//! handed over (which the visitor may copy) are charged to a second budget, the input's and
//! the scratch buffer's size plus 32 bytes for each value `max_expansion` allows: one str
//! referenced over and over costs its length each time.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

mod array;
mod object;
mod sets;

use super::arena::{Arena, Id, Items, Kind, Node};
use super::{visit_all, DeOptions};
use crate::class::bridge::Want;
use crate::error::{unread_items, Error, ErrorCode, Limit, Result, Segment};
use crate::value::magic::{ARRAY_TOKEN, VALUE_TOKEN};
use crate::value::{BigInt, Complex, Global, Object, Value};

/// The walk's shared state.
pub(crate) struct Walk<'de: 'a, 'a> {
    input: &'de [u8],
    arena: &'a Arena,
    depth_left: usize,
    budget: u64,
    /// Bytes of strs, bytes and big ints that may still be handed over.
    bytes_left: u64,
    /// The budget and bytes left for building the items of sets to find the ones Python's
    /// set would not have kept (see [`Walk::visit_set`]): as large as the walk's own, and
    /// spent apart from it.
    dedup: (u64, u64),
    /// Which containers (`0..containers`) and objects (`containers..`) are on the path being
    /// walked, for the cycle check. Empty for a detached walk, which tracks nothing.
    active: Vec<bool>,
    /// Where the objects' flags start in `active`.
    objects_at: usize,
    /// The limits, for errors, and the class registry: one pointer, the walk's state kept
    /// small (each field more cost the records decode in alternating timings).
    opts: &'a DeOptions,
    /// Out-of-band buffers (protocol 5) the caller passed.
    buffers: &'de [&'de [u8]],
    /// What only some pickles need, made when first needed.
    rare: Option<Box<Rare<'a>>>,
}

/// The walk's state for what few pickles hold: made at the first need, as each field more in
/// [`Walk`] cost the records decode.
#[derive(Default)]
struct Rare<'a> {
    /// The hashes of set items' nodes found so far (see `sets.rs`).
    hashes: sets::SetHashes<'a>,
    /// The `array.array` objects whose items were made once: the pickle's own values, which
    /// each later reference makes again.
    arrays_seen: std::collections::HashSet<Id>,
}

impl<'de: 'a, 'a> Walk<'de, 'a> {
    ///
    /// `active` is any vector, for its allocation: the caller keeps it from walk to walk (see
    /// [`Walk::into_active`]), as allocating it afresh for every pickle cost a large request to
    /// the allocator each time.
    pub(crate) fn new(
        input: &'de [u8],
        arena: &'a Arena,
        opts: &'a DeOptions,
        mut active: Vec<bool>,
    ) -> Self {
        let (max_depth, max_expansion) = (opts.max_depth, opts.max_expansion);
        // Every flag is false (see `into_active`): only the new containers need theirs, not
        // the whole arena (a stream that keeps its memo keeps every earlier pickle's).
        let needed = arena.containers.len() + arena.objects.len();
        if active.len() < needed {
            active.resize(needed, false);
        }
        let budget = arena.size().saturating_add(max_expansion);
        let bytes_left = bytes_allowed(arena, max_expansion);
        Walk {
            input,
            arena,
            depth_left: max_depth,
            budget,
            bytes_left,
            dedup: (budget, bytes_left),
            active,
            objects_at: arena.containers.len(),
            opts,
            buffers: &[],
            rare: None,
        }
    }

    /// The cycle-check flags' vector, for the next walk, every flag false: each container
    /// entered was left again when the depth is back where it began; a walk abandoned halfway
    /// hands back an empty vector.
    pub(crate) fn into_active(mut self) -> Vec<bool> {
        if self.depth_left != self.opts.max_depth {
            self.active.clear();
        }
        self.active
    }

    /// Lend bytes from these out-of-band buffers, which the machine checked against.
    pub(crate) fn with_buffers(mut self, buffers: &'de [&'de [u8]]) -> Self {
        self.buffers = buffers;
        self
    }

    /// The bytes of an out-of-band buffer node, and whether it is read-only. The machine
    /// checked each against the buffers given, and every walk is lent them; an error, not a
    /// panic, should one ever not be.
    fn buffer(&self, id: Id) -> Result<(&'de [u8], bool)> {
        let (index, readonly) = self.arena.buffers[id as usize];
        match self.buffers.get(index as usize) {
            Some(data) => Ok((data, readonly)),
            None => Err(Error::new(ErrorCode::Unsupported(
                "an out-of-band buffer (NEXT_BUFFER) that was not lent to this reading".into(),
            ))),
        }
    }

    /// A walk over part of an arena that is still being built (a persistent id the machine
    /// hands to the caller's hook): no cycle tracking, so cycles end at the depth limit. It
    /// may visit `allowance` values, and hand over 32 bytes for each: what the machine has
    /// left of its copy budget (see [`Walk::left`]).
    pub(crate) fn detached(
        input: &'de [u8],
        arena: &'a Arena,
        opts: &'a DeOptions,
        allowance: u64,
    ) -> Self {
        Walk {
            input,
            arena,
            depth_left: opts.max_depth,
            budget: allowance,
            bytes_left: allowance.saturating_mul(32),
            dedup: (allowance, allowance.saturating_mul(32)),
            active: Vec::new(),
            objects_at: 0,
            opts,
            buffers: &[],
            rare: None,
        }
    }

    /// Values and bytes this walk may still hand over: what it spent is the difference.
    pub(crate) fn left(&self) -> (u64, u64) {
        (self.budget, self.bytes_left)
    }

    #[inline]
    fn spend(&mut self) -> Result<()> {
        self.spend_n(1)
    }

    /// Charge `n` values to the budget: a container's items are charged all at once when it
    /// is entered, rather than one by one as they are visited.
    #[inline]
    fn spend_n(&mut self, n: usize) -> Result<()> {
        match self.budget.checked_sub(n as u64) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(Error::new(ErrorCode::Limit {
                which: Limit::Expansion,
                limit: self.opts.max_expansion,
            })),
        }
    }

    /// Charge `len` bytes of a str, bytes or big int handed over (see the module docs).
    #[inline(always)]
    fn spend_bytes(&mut self, len: usize) -> Result<()> {
        match self.bytes_left.checked_sub(len as u64) {
            Some(left) => {
                self.bytes_left = left;
                Ok(())
            }
            None => Err(self.too_many_bytes()),
        }
    }

    #[cold]
    fn too_many_bytes(&self) -> Error {
        Error::new(ErrorCode::Limit {
            which: Limit::Expansion,
            limit: self.opts.max_expansion,
        })
    }

    /// Enter a compound node: depth check, and cycle check for mutable ones.
    #[inline]
    fn enter(&mut self, node: &Node) -> Result<()> {
        if self.depth_left == 0 {
            return Err(Error::new(ErrorCode::Limit {
                which: Limit::Depth,
                limit: self.opts.max_depth as u64,
            })
            .or_at(node.offset(), node.opcode()));
        }
        // (A detached walk tracks nothing: `get_mut` finds no slot.)
        let slot = match node.kind() {
            Kind::List(id) | Kind::Dict(id) | Kind::Set(id) => self.active.get_mut(id as usize),
            Kind::Object(id) => self.active.get_mut(self.objects_at + id as usize),
            _ => None,
        };
        if let Some(slot) = slot {
            if *slot {
                return Err(Error::new(ErrorCode::Cycle).or_at(node.offset(), node.opcode()));
            }
            *slot = true;
        }
        self.depth_left -= 1;
        Ok(())
    }

    /// One level deeper without entering a node: for a node visited again as its own content
    /// (an object that is a newtype variant's payload, or a container class's content),
    /// which its content's visit enters. A type whose content is itself (`enum E { A(Box<E>)
    /// }`) meets the depth limit instead of recursing without end.
    fn descend(&mut self, node: &Node) -> Result<()> {
        if self.depth_left == 0 {
            return Err(self.too_deep(node));
        }
        self.depth_left -= 1;
        Ok(())
    }

    /// Back from [`Walk::descend`].
    fn ascend(&mut self) {
        self.depth_left += 1;
    }

    /// [`Walk::enter`] for a list, dict or set whose id is known.
    #[inline(always)]
    fn enter_container(&mut self, node: &Node, id: Id) -> Result<()> {
        if self.depth_left == 0 {
            return Err(self.too_deep(node));
        }
        // (A detached walk tracks nothing: `get_mut` finds no slot.)
        if let Some(slot) = self.active.get_mut(id as usize) {
            if *slot {
                return Err(Error::new(ErrorCode::Cycle).or_at(node.offset(), node.opcode()));
            }
            *slot = true;
        }
        self.depth_left -= 1;
        Ok(())
    }

    #[inline(always)]
    fn exit_container(&mut self, id: Id) {
        self.depth_left += 1;
        if let Some(slot) = self.active.get_mut(id as usize) {
            *slot = false;
        }
    }

    #[cold]
    fn too_deep(&self, node: &Node) -> Error {
        Error::new(ErrorCode::Limit {
            which: Limit::Depth,
            limit: self.opts.max_depth as u64,
        })
        .or_at(node.offset(), node.opcode())
    }

    #[inline]
    fn exit(&mut self, node: &Node) {
        self.depth_left += 1;
        let slot = match node.kind() {
            Kind::List(id) | Kind::Dict(id) | Kind::Set(id) => self.active.get_mut(id as usize),
            Kind::Object(id) => self.active.get_mut(self.objects_at + id as usize),
            _ => None,
        };
        if let Some(slot) = slot {
            *slot = false;
        }
    }

    #[inline]
    fn bytes(&self, span: crate::read::Span) -> Bytes<'de, 'a> {
        match span.borrowed(self.input) {
            Some(b) => Bytes::Borrowed(b),
            None => Bytes::Copied(span.get(self.input, &self.arena.scratch)),
        }
    }

    fn global_name(&self, id: Id) -> (&'a str, &'a str) {
        let g = &self.arena.globals[id as usize];
        let m = g.module.get(self.input, &self.arena.scratch);
        let n = g.name.get(self.input, &self.arena.scratch);
        // SAFETY-free: checked UTF-8 when the global was made.
        (
            std::str::from_utf8(m).unwrap_or("?"),
            std::str::from_utf8(n).unwrap_or("?"),
        )
    }

    /// The policy's refusal of the global `id`, met as a value at `node`, and why.
    #[cold]
    fn refused_global(&self, id: Id, node: &Node, why: &'static str) -> Error {
        let (module, name) = self.global_name(id);
        Error::new(ErrorCode::RefusedGlobal {
            module: module.into(),
            name: name.into(),
            why,
        })
        .or_at(node.offset(), node.opcode())
    }

    /// Build a [`Value`] straight from a node, with the same depth, cycle and expansion
    /// accounting as the serde walk (this is `Value`'s fast path).
    pub(crate) fn build(&mut self, node: Node) -> Result<Value> {
        Ok(match node.kind() {
            Kind::None => Value::None,
            Kind::Bool(b) => Value::Bool(b),
            Kind::Int(i) => Value::Int(i),
            Kind::Float(f) => Value::Float(f),
            Kind::Complex(c) => {
                let (re, im) = self.arena.complexes[c as usize];
                Value::Complex(Complex { re, im })
            }
            Kind::Str(span) => Value::Str(as_str(at(&node, self.copied(span))?).to_owned()),
            Kind::BigInt(_) | Kind::Bytes(_) | Kind::ByteArray(_) | Kind::Buffer(_) => {
                self.build_binary(node)?
            }
            Kind::Global(g) => self.build_global(g, node)?,
            _ => {
                self.enter(&node)?;
                let built = self.build_compound(node);
                self.exit(&node);
                return built.map_err(|e| e.or_at(node.offset(), node.opcode()));
            }
        })
    }

    /// A dict key as a `Value`, for an error's path: built on an allowance of its own (64
    /// values and 4 KiB, its sets' deduplication included), so that a large key costs little
    /// and the walk's budgets are as they were; `None` if the key is larger than that or
    /// cannot be built.
    #[cold]
    fn key_value(&mut self, key: Node) -> Option<Value> {
        let saved = (self.budget, self.bytes_left, self.dedup);
        self.budget = saved.0.min(64);
        self.bytes_left = saved.1.min(4096);
        self.dedup = (saved.2 .0.min(64), saved.2 .1.min(4096));
        let built = self.build(key);
        (self.budget, self.bytes_left, self.dedup) = saved;
        built.ok()
    }

    fn build_compound(&mut self, node: Node) -> Result<Value> {
        let arena = self.arena;
        Ok(match node.kind() {
            Kind::Tuple(r) => {
                Value::Tuple(self.build_all(arena.slice(r).iter().copied(), r.len as usize)?)
            }
            Kind::FrozenSet(_) | Kind::Set(_) => self.build_set(node)?,
            Kind::List(id) => Value::List(self.build_all(arena.iter(id).copied(), arena.len(id))?),
            Kind::Dict(id) => Value::Dict(self.build_pairs(id)?),
            Kind::Object(o) => self.build_object(o)?,
            _ => unreachable!("build_compound called on a scalar"),
        })
    }

    /// [`Walk::build`] of a big int, bytes, bytearray or buffer (apart, as
    /// [`Walk::build_global`] is).
    #[inline(never)]
    fn build_binary(&mut self, node: Node) -> Result<Value> {
        Ok(match node.kind() {
            Kind::BigInt(span) => Value::from_big(at(&node, self.big_int(span))?),
            Kind::Bytes(span) => Value::Bytes(at(&node, self.copied(span))?.to_vec()),
            Kind::ByteArray(span) => Value::ByteArray(at(&node, self.copied(span))?.to_vec()),
            Kind::Buffer(b) => {
                let (data, readonly) = at(&node, self.buffer(b))?;
                at(&node, self.spend_bytes(data.len()))?;
                match readonly {
                    true => Value::Bytes(data.to_vec()),
                    false => Value::ByteArray(data.to_vec()),
                }
            }
            _ => unreachable!("build_binary's own kinds"),
        })
    }

    /// [`Walk::build`] of a global. Apart, as [`Walk::build_object`] is, to keep the frames
    /// of the recursion small: a debug build keeps every arm's locals in its function's frame.
    #[inline(never)]
    fn build_global(&mut self, g: Id, node: Node) -> Result<Value> {
        use crate::class::Known;
        // Globals the machine takes only in one shape, met as values.
        let refused = match self.arena.globals[g as usize].known {
            // functools.partial itself (the one shape the machine reads leaves no
            // partial in the result): refused unless allowed by name.
            Known::Partial if !self.opts.is_allowed_by_name("functools", "partial") => {
                Some(crate::class::DANGEROUS)
            }
            // A class's __new__ the policy refused, kept only for functools.partial.
            Known::ClassNew => Some(crate::class::CLASS_NEW_REFUSED),
            // getattr itself, not called in the one shape the machine reads.
            Known::GetAttr => Some("only getattr(class, 'name'), a nested class, is read"),
            // A dangerous class, kept only to reach the registered class it encloses,
            // or as a joblib array's subclass, which is not read.
            k if k.dangerous_kept() => Some(crate::class::DANGEROUS),
            _ => None,
        };
        if let Some(why) = refused {
            return Err(self.refused_global(g, &node, why));
        }
        let (module, name) = self.global_name(g);
        // Copied into every value that names it (an object's class too): the bytes of
        // a name past 64 are charged, four times over for the copy's own allocations,
        // or a global of a long name referenced again and again would copy it for a
        // few bytes each time. (Every byte charged, a million objects of one class of
        // 46 bytes of name, 10 MB of pickle, went over the limit.)
        let past = (module.len() + name.len()).saturating_sub(NAME_ALLOWANCE);
        at(&node, self.spend_bytes(past.saturating_mul(4)))?;
        Ok(Value::Global(Box::new(Global {
            module: module.into(),
            name: name.into(),
        })))
    }

    /// [`Walk::build_compound`] of an object.
    #[inline(never)]
    fn build_object(&mut self, o: Id) -> Result<Value> {
        let arena = self.arena;
        let obj = arena.objects[o as usize];
        let class = match self.build(obj.class)? {
            Value::Global(g) => *g,
            _ => unreachable!("an object's class is a global node"),
        };
        let mut args = self.build(obj.args)?;
        crate::stdlib::normalize_state(&class, &mut args);
        let kwargs = match obj.kwargs {
            Some(k) => Some(self.build(k)?),
            None => None,
        };
        let state = self.build_all(arena.iter(obj.states).copied(), arena.len(obj.states))?;
        let list_items = self.build_all(arena.iter(obj.list).copied(), arena.len(obj.list))?;
        let dict_items = self.build_pairs(obj.dict)?;
        Ok(Value::Object(Box::new(Object {
            class,
            made: obj.made,
            args,
            kwargs,
            state,
            list_items,
            dict_items,
        })))
    }

    /// [`Walk::build`] with numbers, bools, None and strings made inline: most of a big
    /// container's items are scalars, and `build` is a call.
    // Inline in optimized builds only: a debug build would keep its locals in the frame of
    // every caller, each a level of the recursion (see `NodeDe::natural`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn build_item(&mut self, node: Node) -> Result<Value> {
        self.spend()?;
        match node.kind() {
            Kind::Int(i) => Ok(Value::Int(i)),
            Kind::Float(f) => Ok(Value::Float(f)),
            Kind::Bool(b) => Ok(Value::Bool(b)),
            Kind::None => Ok(Value::None),
            Kind::Str(span) => Ok(Value::Str(as_str(at(&node, self.copied(span))?).to_owned())),
            _ => self.build(node),
        }
    }

    fn build_all(&mut self, items: impl Iterator<Item = Node>, len: usize) -> Result<Vec<Value>> {
        let mut out = Vec::with_capacity(len);
        for item in items {
            out.push(self.build_item(item)?);
        }
        Ok(out)
    }

    fn build_pairs(&mut self, id: Id) -> Result<Vec<(Value, Value)>> {
        let mut out = Vec::with_capacity(self.arena.len(id) / 2);
        if let Some(run) = self.arena.run(id) {
            // One run (the usual case): pairs straight from the slice.
            for pair in run.chunks_exact(2) {
                let k = self.build_item(pair[0])?;
                out.push((k, self.build_item(pair[1])?));
            }
            return Ok(out);
        }
        let mut items = self.arena.iter(id);
        while let (Some(k), Some(v)) = (items.next(), items.next()) {
            let k = self.build_item(*k)?;
            out.push((k, self.build_item(*v)?));
        }
        Ok(out)
    }

    /// The bytes of a span, wherever they are.
    #[inline]
    fn raw(&self, span: crate::read::Span) -> &'a [u8] {
        span.get(self.input, &self.arena.scratch)
    }

    /// The bytes of a str, bytes or bytearray node, charged as handed over.
    #[inline(always)]
    fn copied(&mut self, span: crate::read::Span) -> Result<&'a [u8]> {
        self.spend_bytes(span.len())?;
        Ok(self.raw(span))
    }

    /// A big int node's value, charged as handed over.
    fn big_int(&mut self, span: crate::read::Span) -> Result<BigInt> {
        Ok(BigInt::from_le_bytes(self.copied(span)?))
    }

    /// The root deserializer.
    pub(crate) fn root<'w>(&'w mut self, node: &'a Node) -> NodeDe<'w, 'de, 'a> {
        NodeDe { w: self, node }
    }
}

/// The bytes of a global's module and name that each copy may take without charge:
/// enough for most real names (a million references to an Enum member of 53 bytes of name is a
/// 2 MB pickle), and with the copy's own allocations (about 80 bytes) within what a value may
/// cost in the allocation bound (`tests/alloc_bounds.rs`).
const NAME_ALLOWANCE: usize = 64;

/// The bytes of strs, bytes and big ints a walk may hand over: the pickle's own and those made
/// in scratch (each value once), plus 32 for each value `max_expansion` allows.
fn bytes_allowed(arena: &Arena, max_expansion: u64) -> u64 {
    arena
        .paid_bytes
        .saturating_add(max_expansion.saturating_mul(32))
}

/// Bytes from the input (lendable for `'de`) or from the scratch buffer (for `'a` only).
enum Bytes<'de, 'a> {
    Borrowed(&'de [u8]),
    Copied(&'a [u8]),
}

impl Bytes<'_, '_> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Borrowed(b) | Bytes::Copied(b) => b,
        }
    }
}

#[cold]
#[inline(never)]
fn missing_value<T>() -> Result<T> {
    Err(crate::de::value_without_key())
}

/// What an instance asked for a number or text it does not stand for is, for the hint of
/// [`instance_mismatch`].
#[derive(Clone, Copy)]
pub(crate) enum Instance<'s> {
    /// Made from one argument alone, of this type (as an unregistered `Enum` member is).
    MadeFrom(&'s str),
    /// A member of a class registered with `ClassRegistry::python_enum`, its value of this
    /// type.
    Member(&'s str),
    /// A tuple subclass's instance: `copyreg._reconstructor(cls, tuple, (...))`.
    TupleSubclass,
    /// None of these.
    Other,
}

/// The message for a number or text asked of an instance of `class` that stands for neither.
#[cold]
pub(crate) fn instance_mismatch(class: &str, expected: &str, what: Instance<'_>) -> String {
    match what {
        Instance::Member(arg) => format!(
            "invalid type: a member of the Python Enum {class} whose value is of type {arg}, \
             expected {expected}; read it as the Rust enum registered for the class, or as its \
             value's type"
        ),
        Instance::TupleSubclass => format!(
            "invalid type: an instance of {class} made from one tuple, expected {expected}; a \
             tuple subclass's instance (a namedtuple) reads as a tuple, a tuple struct or a \
             sequence (and a one-field namedtuple registered with ClassRegistry::namedtuple as \
             its field)"
        ),
        Instance::MadeFrom(arg) => format!(
            "invalid type: an instance of {class} made from one {arg}, expected {expected}; if \
             it is a member of a Python Enum, register the class with ClassRegistry::python_enum"
        ),
        Instance::Other => format!(
            "invalid type: an instance of {class}, expected {expected}; register a Rust type \
             for the class (ClassRegistry)"
        ),
    }
}

/// The one char that `bytes` hold as UTF-8, if that is all they hold.
pub(crate) fn one_char(bytes: &[u8]) -> Option<char> {
    let mut chars = std::str::from_utf8(bytes).ok()?.chars();
    chars.next().filter(|_| chars.next().is_none())
}

#[inline]
fn as_str(b: &[u8]) -> &str {
    // The machine checked every Str span when it made it.
    debug_assert!(std::str::from_utf8(b).is_ok());
    unsafe { std::str::from_utf8_unchecked(b) }
}

/// The error for a value of Python type `what` asked for as the enum `rust`.
#[cold]
fn not_an_enum(node: &Node, what: &str, rust: &str) -> Error {
    type_error(
        node,
        format!(
            "invalid type: {what}, expected enum {rust} (a variant name as str, or a one-entry dict {{name: payload}})"
        ),
    )
}

/// Add the node's position to an error that has none.
#[inline]
fn at<T>(node: &Node, mut r: Result<T>) -> Result<T> {
    if let Err(e) = &mut r {
        e.set_at_if_none(node.offset(), node.opcode());
    }
    r
}

#[cold]
fn type_error(node: &Node, msg: String) -> Error {
    Error::new(ErrorCode::Type(msg.into())).or_at(node.offset(), node.opcode())
}

/// `deserialize_*` methods that try one kind before falling back to `natural`.
macro_rules! fast_path {
    ($($($method:ident)* => $get:ident($v:ident) $visit:ident($arg:ident), big: $big:ident;)*) => {$($(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            // The one kind asked for by one compare ([`Node::int`]), every other out of line.
            match self.node.$get() {
                Some($v) => at(self.node, visitor.$visit($arg)),
                None => self.number_rest(visitor, Self::$big),
            }
        }
    )*)*};
}

/// Deserializes one node of the arena.
pub(crate) struct NodeDe<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    /// In the arena (or the caller's root): a reference keeps `NodeDe` two registers wide.
    node: &'a Node,
}

impl<'w, 'de, 'a> NodeDe<'w, 'de, 'a> {
    /// A number asked of a node of another kind than the one asked for (`fast_path!`): a big
    /// int read by `big`, an object's number, or the node as it is.
    #[inline(never)]
    fn number_rest<V: Visitor<'de>>(
        self,
        visitor: V,
        big: fn(Self, crate::read::Span, V) -> Result<V::Value>,
    ) -> Result<V::Value> {
        match self.node.kind() {
            Kind::BigInt(span) => big(self, span, visitor),
            Kind::Object(_) => self.number_of_object(visitor),
            _ => self.natural(visitor),
        }
    }

    /// A number asked of an object: a numpy scalar (`np.float64(1.5)`) is the number it stands
    /// for, and so is an instance of another class made from one number alone (an `int`
    /// subclass, a member of an unregistered `IntEnum`); any other object answers as it
    /// answers anything.
    #[cold]
    #[inline(never)]
    fn number_of_object<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        if let Some(n) = self.scalar_number()? {
            return at(self.node, de::Deserializer::deserialize_any(n, visitor));
        }
        if let Some(node) = self.number_argument() {
            return NodeDe { w: self.w, node }.natural(visitor);
        }
        self.instance_as_scalar(visitor)
    }

    /// A number or text asked of an instance that stands for none. One made from a single
    /// argument of another kind (an `Enum` member with an int value asked for a string) is an
    /// error naming its class: read as its arguments, bytes would take `MyInt(5)` as `[5]`.
    /// Any other answers as it answers anything (a visitor may take its parts), and where the
    /// visitor refuses it as a sequence or map, the error names the class and how to read it.
    #[cold]
    #[inline(never)]
    fn instance_as_scalar<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let node = self.node;
        let Kind::Object(id) = node.kind() else {
            return self.natural(visitor);
        };
        let expected = format!("{}", &visitor as &dyn de::Expected);
        let (m, q) = self.class_of(id);
        let class = format!("{m}.{q}");
        if let Some(arg) = self.plain_argument() {
            let what = if self.is_python_enum_member() {
                Instance::Member(arg.kind().type_name())
            } else if self.reconstructed_tuple(id).is_some() {
                Instance::TupleSubclass
            } else {
                Instance::MadeFrom(arg.kind().type_name())
            };
            return Err(type_error(
                node,
                crate::de::instance_mismatch(&class, &expected, what),
            ));
        }
        self.natural(visitor).map_err(|e| {
            if !e.is_container_mismatch() {
                return e;
            }
            type_error(
                node,
                crate::de::instance_mismatch(&class, &expected, Instance::Other),
            )
        })
    }

    /// The node as the object it is, built, if it is a numpy scalar (`np.float64(1.5)`,
    /// `np.str_('a')`): what the number, text and enum requests below look into.
    fn numpy_scalar(&mut self) -> Result<Option<Box<crate::value::Object>>> {
        let node = self.node;
        if let Kind::Object(id) = node.kind() {
            let (m, q) = self.class_of(id);
            if crate::numpy::is_scalar(m, q) {
                if let Value::Object(obj) = self.w.build(*node)? {
                    return Ok(Some(obj));
                }
            }
        }
        Ok(None)
    }

    /// The number a numpy scalar object stands for, if the node is one.
    #[cold]
    #[inline(never)]
    fn scalar_number(&mut self) -> Result<Option<Value>> {
        Ok(self
            .numpy_scalar()?
            .and_then(|obj| crate::numpy::scalar_number(&obj)))
    }

    /// A sequence asked of an object: a numpy complex scalar (`np.complex128(1+2j)`, a
    /// subclass of `complex`) is the pair `(real, imag)`, as a Python complex is; any other
    /// object is read as its class allows (`rust`: the Rust type's name, for a tuple struct).
    #[cold]
    #[inline(never)]
    fn seq_of_object<V: Visitor<'de>>(
        mut self,
        id: Id,
        rust: Option<&str>,
        visitor: V,
    ) -> Result<V::Value> {
        if let Some(n @ Value::Complex(_)) = self.scalar_number()? {
            return at(self.node, de::Deserializer::deserialize_seq(n, visitor));
        }
        self.object_as(id, rust, Want::Seq, visitor)
    }

    /// The str or bytes a numpy text scalar object stands for, if the node is one.
    #[cold]
    #[inline(never)]
    fn scalar_text(&mut self) -> Result<Option<Value>> {
        let node = self.node;
        match self.numpy_scalar()? {
            Some(obj) => at(node, crate::numpy::scalar_text(&obj).transpose()),
            None => Ok(None),
        }
    }

    /// Whether the node is a Python 2 `str` (STRING, BINSTRING, SHORT_BINSTRING, or a memo
    /// GET of one) that `Py2Strings::Latin1` decoded.
    #[inline]
    fn is_latin1_py2_str(&self) -> bool {
        use crate::opcode::{BINSTRING, SHORT_BINSTRING, STRING};
        matches!(self.node.opcode(), STRING | BINSTRING | SHORT_BINSTRING)
            && self.w.opts.py2_strings == super::Py2Strings::Latin1
    }

    /// A string or bytes asked of anything but a str: a member of a registered Python `Enum`
    /// is its Rust variant's name (its value is what a number asks of it); a numpy str or
    /// bytes scalar
    /// (`np.str_('a')`, as numpy hands out the elements of its string arrays) is the str or
    /// bytes it stands for, and so is an instance of another class made from one str or bytes
    /// alone (a `str` subclass, such as Django's `SafeString`), read by `ask` (the request
    /// made, so that a Python 2 str's bytes are read as that request reads them); anything
    /// else answers as it answers anything.
    #[cold]
    #[inline(never)]
    fn text_of_object<V: Visitor<'de>>(
        mut self,
        visitor: V,
        ask: fn(NodeDe<'w, 'de, 'a>, V) -> Result<V::Value>,
    ) -> Result<V::Value> {
        if let Kind::Object(id) = self.node.kind() {
            if self.is_python_enum_member() {
                // The Rust variant's name, as serde's buffering and a field name see it.
                return self.object_any(id, visitor);
            }
        }
        if let Some(text) = self.scalar_text()? {
            return at(self.node, de::Deserializer::deserialize_any(text, visitor));
        }
        if let Some(node) = self.text_argument() {
            return ask(NodeDe { w: self.w, node }, visitor);
        }
        self.instance_as_scalar(visitor)
    }

    /// Visit a compound node's children with depth and cycle accounting.
    fn compound<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node.kind() {
            Kind::Tuple(r) => self.tuple(r, visitor),
            Kind::List(id) => self.list(id, visitor),
            Kind::Dict(id) => self.dict(id, visitor),
            Kind::Set(_) | Kind::FrozenSet(_) => self.set(visitor),
            _ => unreachable!("compound called on a scalar"),
        }
    }

    /// A set's or frozenset's items as a set (see [`Walk::visit_set`]).
    fn set<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let node = self.node;
        let w = self.w;
        w.enter(node)?;
        let arena = w.arena;
        let items: Vec<&Node> = match node.kind() {
            Kind::FrozenSet(r) => arena.slice(r).iter().collect(),
            Kind::Set(id) => arena.iter(id).collect(),
            _ => unreachable!("set called on a {}", node.kind().type_name()),
        };
        let r = w.visit_set(items, visitor);
        w.exit(node);
        at(node, r)
    }

    /// A dict's keys and values as a map.
    // Inline in optimized builds only: a debug build would keep its locals in the frame of
    // every caller, each a level of the recursion (see `NodeDe::natural`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn dict<V: Visitor<'de>>(self, id: Id, visitor: V) -> Result<V::Value> {
        let node = self.node;
        let w = self.w;
        w.enter_container(node, id)?;
        let arena = w.arena;
        let mut r = DictMap::visit(&mut *w, arena.iter(id), arena.len(id), visitor, move |w| {
            w.arena.iter(id)
        });
        w.exit_container(id);
        if let Err(e) = &mut r {
            e.set_at_if_none(node.offset(), node.opcode());
        }
        r
    }

    /// A tuple's items as a sequence.
    // Inline in optimized builds only: a debug build would keep its locals in the frame of
    // every caller, each a level of the recursion (see `NodeDe::natural`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tuple<V: Visitor<'de>>(self, r: crate::de::arena::Range, visitor: V) -> Result<V::Value> {
        let node = self.node;
        let w = self.w;
        w.enter(node)?;
        let items = w.arena.slice(r);
        let mut r = NodeSeq::visit(&mut *w, items.iter(), items.len(), visitor);
        w.exit(node);
        if let Err(e) = &mut r {
            e.set_at_if_none(node.offset(), node.opcode());
        }
        r
    }

    /// A list's or set's items as a sequence.
    // Inline in optimized builds only: a debug build would keep its locals in the frame of
    // every caller, each a level of the recursion (see `NodeDe::natural`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn list<V: Visitor<'de>>(self, id: Id, visitor: V) -> Result<V::Value> {
        let node = self.node;
        let w = self.w;
        w.enter_container(node, id)?;
        let arena = w.arena;
        let mut r = NodeSeq::visit(&mut *w, arena.iter(id), arena.len(id), visitor);
        w.exit_container(id);
        if let Err(e) = &mut r {
            e.set_at_if_none(node.offset(), node.opcode());
        }
        r
    }

    #[inline(always)]
    fn str<V: Visitor<'de>>(self, span: crate::read::Span, visitor: V) -> Result<V::Value> {
        at(self.node, self.w.spend_bytes(span.len()))?;
        match self.w.bytes(span) {
            Bytes::Borrowed(b) => at(self.node, visitor.visit_borrowed_str(as_str(b))),
            Bytes::Copied(b) => at(self.node, visitor.visit_str(as_str(b))),
        }
    }

    /// A big int (beyond i64) read as an integer type of 64 bits or fewer: `u64` takes it up to
    /// 2^64 - 1; beyond that it is out of range for every such type, said as a range error.
    fn big_as_int<V: Visitor<'de>>(self, span: crate::read::Span, visitor: V) -> Result<V::Value> {
        let node = self.node;
        let big = at(node, self.w.big_int(span))?;
        match big.to_u128().and_then(|v| u64::try_from(v).ok()) {
            Some(v) => at(node, visitor.visit_u64(v)),
            None => {
                let unexpected = big.describe();
                let e: Error =
                    de::Error::invalid_value(de::Unexpected::Other(&unexpected), &visitor);
                Err(e.or_at(node.offset(), node.opcode()))
            }
        }
    }

    /// A big int read as a float: rounded as Python's `float(n)`, an error past the float
    /// range (Python's OverflowError).
    fn big_as_float<V: Visitor<'de>>(
        self,
        span: crate::read::Span,
        visitor: V,
    ) -> Result<V::Value> {
        let node = self.node;
        let big = at(node, self.w.big_int(span))?;
        let f = big.to_f64();
        if f.is_finite() {
            at(node, visitor.visit_f64(f))
        } else {
            Err(type_error(
                node,
                format!("{} is too large to convert to a float", big.describe()),
            ))
        }
    }

    /// Each Python type as its natural serde type (`deserialize_any`). Only the containers'
    /// arms are inline here: this function is a level of every recursion through
    /// `deserialize_any`, and a debug build keeps every arm's locals in its frame (the
    /// default `max_depth` must fit a 2 MiB thread there too).
    fn natural<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let node = self.node;
        match node.kind() {
            Kind::None => at(node, visitor.visit_unit()),
            Kind::Bool(b) => at(node, visitor.visit_bool(b)),
            Kind::Int(i) => at(node, visitor.visit_i64(i)),
            Kind::Float(f) => at(node, visitor.visit_f64(f)),
            Kind::Str(span) => self.str(span, visitor),
            Kind::List(id) => self.list(id, visitor),
            Kind::Dict(id) => self.dict(id, visitor),
            Kind::Tuple(r) => self.tuple(r, visitor),
            Kind::Set(_) | Kind::FrozenSet(_) => self.set(visitor),
            Kind::Object(id) => self.object_any(id, visitor),
            _ => self.natural_rest(visitor),
        }
    }

    /// [`Self::natural`] for the kinds with locals of their own.
    #[inline(never)]
    fn natural_rest<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let node = self.node;
        match node.kind() {
            Kind::BigInt(span) => {
                let big = at(node, self.w.big_int(span))?;
                if let Some(v) = big.to_u128().and_then(|v| u64::try_from(v).ok()) {
                    at(node, visitor.visit_u64(v))
                } else if let Some(v) = big.to_i128() {
                    at(node, visitor.visit_i128(v))
                } else if let Some(v) = big.to_u128() {
                    at(node, visitor.visit_u128(v))
                } else {
                    Err(type_error(
                        node,
                        crate::value::wider_than_128_bits(&big, &visitor),
                    ))
                }
            }
            Kind::Complex(c) => {
                let (re, im) = self.w.arena.complexes[c as usize];
                self.w.enter(node)?;
                let r = visit_all(visitor, [re, im].into_iter());
                self.w.exit(node);
                at(node, r)
            }
            Kind::Bytes(span) | Kind::ByteArray(span) => {
                at(node, self.w.spend_bytes(span.len()))?;
                match self.w.bytes(span) {
                    Bytes::Borrowed(b) => at(node, visitor.visit_borrowed_bytes(b)),
                    Bytes::Copied(b) => at(node, visitor.visit_bytes(b)),
                }
            }
            Kind::Buffer(b) => {
                let data = at(node, self.w.buffer(b))?.0;
                at(node, self.w.spend_bytes(data.len()))?;
                at(node, visitor.visit_borrowed_bytes(data))
            }
            Kind::Global(g) => {
                if self.w.arena.globals[g as usize].known.dangerous_kept() {
                    return Err(self.w.refused_global(g, node, crate::class::DANGEROUS));
                }
                let (m, n) = self.w.global_name(g);
                let registry = &self.w.opts.registry;
                if let Some(variant) = registry
                    .enum_member(m, n, None)
                    .map(|(_, v)| v)
                    .or_else(|| registry.other_member(m, n, None).map(|(_, member)| member))
                {
                    // A registered Python `Enum`'s member pickled by name: its variant's name
                    // (or its own, for a `#[serde(other)]` variant). Its value is not in the
                    // pickle: a visitor that takes no str (a number) is told so.
                    let expected = format!("{}", &visitor as &dyn de::Expected);
                    return at(
                        node,
                        visitor.visit_str(variant).map_err(|e: Error| {
                            if !e.is_str_mismatch() {
                                return e;
                            }
                            Error::new(ErrorCode::Type(
                                format!(
                                    "invalid type: the member {m}.{n} of a Python Enum, pickled \
                                     by name, expected {expected}; its value is not in the \
                                     pickle: read it as the Rust enum registered for the class"
                                )
                                .into(),
                            ))
                        }),
                    );
                }
                Err(type_error(
                    node,
                    format!(
                        "the global {m}.{n} has no plain serde form (read it as pypickle::Value)"
                    ),
                ))
            }
            _ => unreachable!("natural's own kinds"),
        }
    }
}

impl<'de> de::Deserializer<'de> for NodeDe<'_, 'de, '_> {
    type Error = Error;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.natural(visitor)
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node.kind() {
            Kind::None => at(self.node, visitor.visit_none()),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == VALUE_TOKEN {
            // `Value::deserialize` asks for this: build the Value straight from the arena and
            // hand it over whole, instead of describing it through visitor calls. A standard
            // library type asks for it too: its conversion's error is an error at this node.
            let node = self.node;
            let value = self.w.build(*node)?;
            let visit = || crate::value::hand_over(value, visitor);
            return at(node, crate::stdlib::failed_within(visit));
        }
        if name == ARRAY_TOKEN {
            // `NdArrayView` and `NdArray` ask for this: the array with its data lent. Their
            // conversion's error is an error at this node, of its own category.
            let node = self.node;
            match node.kind() {
                Kind::Object(id) => {
                    if let Some(parts) = self.w.array_parts(id)? {
                        let visit = || visitor.visit_seq(parts);
                        return at(node, crate::stdlib::failed_within(visit));
                    }
                }
                // An array's natural form.
                Kind::Dict(_) => {}
                // A plain number or str in the pickle is no array (through serde's buffer, a
                // numpy scalar's number is read as its 0-d array: `NdArray::from_value`).
                kind => {
                    let visit = || Err(crate::numpy::not_an_array(kind.type_name()));
                    return at(node, crate::stdlib::failed_within(visit));
                }
            }
            let visit = || visitor.visit_newtype_struct(self);
            return at(node, crate::stdlib::failed_within(visit));
        }
        if let Kind::Object(id) = self.node.kind() {
            if let Some(entry) = self.w.opts.registry.struct_entry(name) {
                return self.object_newtype(id, entry, name, visitor);
            }
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node.kind() {
            Kind::List(id) => self.list(id, visitor),
            Kind::Object(id) => self.seq_of_object(id, None, visitor),
            Kind::Bytes(_) | Kind::ByteArray(_) | Kind::Buffer(_) => {
                let node = self.node;
                let bytes = match node.kind() {
                    Kind::Buffer(b) => at(node, self.w.buffer(b))?.0,
                    Kind::Bytes(span) | Kind::ByteArray(span) => {
                        span.get(self.w.input, &self.w.arena.scratch)
                    }
                    _ => unreachable!("matched above"),
                };
                at(node, self.w.spend_bytes(bytes.len()))?;
                self.w.enter(node)?;
                let r = visit_all(visitor, bytes.iter().copied());
                self.w.exit(node);
                at(node, r)
            }
            _ => self.natural(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        match self.node.kind() {
            Kind::Object(id) => self.seq_of_object(id, Some(name), visitor),
            _ => self.deserialize_seq(visitor),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if let Kind::Object(id) = self.node.kind() {
            if let Some(entry) = self.w.opts.registry.struct_entry(name) {
                return self.object_unit(id, entry, name, visitor);
            }
        }
        self.natural(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.natural(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        mut self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let node = self.node;
        match node.kind() {
            Kind::Object(id) => match self.scalar_text()? {
                // `np.str_('Red')`: a variant name, as a str is.
                Some(text) => at(
                    node,
                    de::Deserializer::deserialize_enum(text, name, variants, visitor),
                ),
                None => self.object_enum(id, name, visitor),
            },
            // A name as `bytes` too (a Python 2 str read with `Py2Strings::Bytes`), as the
            // key of `{name: payload}` is.
            Kind::Str(_) | Kind::Bytes(_) => at(
                node,
                visitor.visit_enum(Enum {
                    w: self.w,
                    variant: node,
                    payload: None,
                }),
            ),
            Kind::Dict(id) if self.w.arena.len(id) == 2 => {
                let mut it = self.w.arena.iter(id);
                let (k, v) = (it.next().expect("len 2"), it.next().expect("len 2"));
                let w = self.w;
                w.enter(node)?;
                let r = visitor.visit_enum(Enum {
                    w: &mut *w,
                    variant: k,
                    payload: Some(v),
                });
                w.exit(node);
                at(node, r)
            }
            Kind::Global(g) => self.global_enum(g, name, visitor),
            other => Err(not_an_enum(node, other.type_name(), name)),
        }
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // Nothing to walk: the machine has already checked the whole pickle.
        visitor.visit_unit()
    }

    // The kinds these usually meet are tried first, with one compare instead of `natural`'s
    // jump table; anything else goes to `natural`, which treats them alike.
    fast_path! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
            => int(i) visit_i64(i), big: big_as_int;
        deserialize_f64 => float(f) visit_f64(f), big: big_as_float;
    }

    /// As `f64`, but a float (or big int) beyond `f32`'s range is an error, not infinity.
    fn deserialize_f32<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value> {
        let node = self.node;
        let f = match node.kind() {
            Kind::Float(f) => f,
            Kind::BigInt(span) => at(node, self.w.big_int(span))?.to_f64(),
            // A numpy scalar: its number, range checked as any.
            Kind::Object(_) => match self.scalar_number()? {
                Some(n) => return at(node, de::Deserializer::deserialize_f32(n, visitor)),
                None => match self.number_argument() {
                    Some(node) => return NodeDe { w: self.w, node }.deserialize_f32(visitor),
                    None => return self.instance_as_scalar(visitor),
                },
            },
            _ => return self.deserialize_f64(visitor),
        };
        match crate::value::f32_range_error(f) {
            Some(why) => Err(type_error(node, why)),
            None => self.deserialize_f64(visitor),
        }
    }

    #[inline]
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node.kind() {
            Kind::Bool(b) => at(self.node, visitor.visit_bool(b)),
            Kind::Object(_) => self.number_of_object(visitor),
            _ => self.natural(visitor),
        }
    }

    // Always inlined: a derived struct's field names come through here (as identifiers), and
    // through a call they cost the typed records 4.5% more instructions.
    #[inline(always)]
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node.str_span() {
            Some(span) => self.str(span, visitor),
            // One call for everything else, numpy text scalars too: a third arm here made
            // every `String` field's read 1.5% slower.
            None => self.text_of_object(visitor, Self::deserialize_str),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node.kind() {
            Kind::Object(_) => self.text_of_object(visitor, Self::deserialize_bytes),
            // Decoded as Latin-1, each byte one char: bytes asked for are the bytes the pickle
            // holds (as `s.encode('latin1')`), not the text's UTF-8. (ASCII text is the same
            // bytes, still in the input, and lent as before.)
            Kind::Str(span) if self.is_latin1_py2_str() => {
                let node = self.node;
                let text = self.w.bytes(span);
                if text.as_slice().is_ascii() {
                    return self.natural(visitor);
                }
                let text = std::str::from_utf8(text.as_slice()).unwrap_or_default();
                let raw: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
                at(node, self.w.spend_bytes(raw.len()))?;
                at(node, visitor.visit_byte_buf(raw))
            }
            _ => self.natural(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    #[inline]
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    #[inline]
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node.kind() {
            Kind::Dict(id) => self.dict(id, visitor),
            Kind::Object(id) => self.object_as(id, None, Want::Map, visitor),
            _ => self.natural(visitor),
        }
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.node.kind() {
            Kind::Dict(id) => self.dict(id, visitor),
            Kind::Object(id) => self.object_as(id, Some(name), Want::Struct, visitor),
            _ => self.natural(visitor),
        }
    }

    /// As anything, but an int out of `i128`'s range is an error naming it.
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.int128(visitor, true)
    }

    /// As anything, but an int out of `u128`'s range is an error naming it.
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.int128(visitor, false)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node.kind() {
            Kind::Object(_) => self.text_of_object(visitor, Self::deserialize_char),
            // Bytes holding one UTF-8 char, as a `String` takes UTF-8 bytes (a Python 2 str
            // read with `Py2Strings::Bytes`).
            Kind::Bytes(span) | Kind::ByteArray(span) => {
                match one_char(self.w.bytes(span).as_slice()) {
                    Some(c) => at(self.node, visitor.visit_char(c)),
                    None => self.natural(visitor),
                }
            }
            _ => self.natural(visitor),
        }
    }
}

impl<'de> NodeDe<'_, 'de, '_> {
    /// An `i128` (`signed`) or `u128`: serde's visitors name neither a big int out of range
    /// nor the type asked for ("invalid value: u128, expected i128").
    fn int128<V: Visitor<'de>>(mut self, visitor: V, signed: bool) -> Result<V::Value> {
        let node = self.node;
        match node.kind() {
            Kind::BigInt(span) => {
                let big = at(node, self.w.big_int(span))?;
                if let Some(why) = crate::value::int128_range_error(&big, signed) {
                    return Err(type_error(node, why));
                }
            }
            // A numpy scalar: its number, as `i64` and the rest read one.
            Kind::Object(_) => {
                if let Some(n) = self.scalar_number()? {
                    return at(node, n.int128(visitor, signed));
                }
                if let Some(node) = self.number_argument() {
                    return NodeDe { w: self.w, node }.int128(visitor, signed);
                }
                return self.instance_as_scalar(visitor);
            }
            _ => {}
        }
        self.natural(visitor)
    }
}

/// A sequence of nodes: a range of arena items (tuple, frozenset) or a container's segments
/// (list, set), with the count left for `size_hint`.
struct NodeSeq<'w, 'de, 'a, I> {
    w: &'w mut Walk<'de, 'a>,
    items: I,
    left: usize,
}

impl<'w, 'de, 'a, I> NodeSeq<'w, 'de, 'a, I> {
    /// The `len` items of `items`, charged to the budget now.
    #[inline]
    pub(crate) fn new(w: &'w mut Walk<'de, 'a>, items: I, len: usize) -> Result<Self> {
        w.spend_n(len)?;
        Ok(NodeSeq {
            w,
            items,
            left: len,
        })
    }
}

impl<'de, 'a, I: Iterator<Item = &'a Node>> NodeSeq<'_, 'de, 'a, I> {
    /// Hand the `len` items of `items` to the visitor as a sequence; items it leaves unread
    /// are an error.
    // Inline in optimized builds only: a debug build would keep its locals in the frame of
    // every caller, each a level of the recursion (see `NodeDe::natural`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn visit<V: Visitor<'de>>(
        w: &mut Walk<'de, 'a>,
        items: I,
        len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        // Lent, as serde's own deserializers lend theirs, to see what is left. (Inlined: lent
        // to an out-of-line visitor, the sequence's state lives in memory; 1% of the typed
        // records decode, where handing it over by value cost nothing.)
        let mut seq = NodeSeq::new(w, items, len)?;
        let mut r = visitor.visit_seq(&mut seq);
        match &mut r {
            Ok(_) => {
                if let Some(e) = unread(seq.items, len, 1, "sequence") {
                    r = Err(e);
                }
            }
            Err(e) => in_item(e, len),
        }
        r
    }
}

/// The error for what the visitor left of `rest`, if anything: `len` items of `per` nodes
/// each (a dict entry whose value was not read counts as unread).
///
/// The callers keep the visitor's result in the one place they return it and only replace
/// it on error: moving it out and back (`let v = visit()?; Ok(v)`) copied every struct and
/// vector once more with wide loads of what narrow stores had just written, and the stalled
/// store forwarding cost 10% of the typed records decode.
///
/// `rest` is taken by value: lent, its owner (the sequence or map handed to the visitor)
/// escaped into the out-of-line count and lived in memory for the whole visit, its flags and
/// iterator reloaded at every item (3% more instructions in the typed records decode).
#[inline(always)]
fn unread<'a, I: Iterator<Item = &'a Node>>(
    mut rest: I,
    len: usize,
    per: usize,
    what: &'static str,
) -> Option<Error> {
    rest.next()?;
    Some(unread_rest(rest, len, per, what))
}

#[cold]
#[inline(never)]
fn unread_rest<'a>(
    rest: impl Iterator<Item = &'a Node>,
    len: usize,
    per: usize,
    what: &'static str,
) -> Error {
    let left = (1 + rest.count()).div_ceil(per);
    unread_items(len, len - left, what)
}

impl<'de, 'a, I: Iterator<Item = &'a Node>> SeqAccess<'de> for NodeSeq<'_, 'de, 'a, I> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.items.next() {
            Some(node) => {
                self.left -= 1;
                visit_item(&mut *self.w, node, seed, self.left).map(Some)
            }
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// `seed` over `node`. An error with no position of its own gets the node's: one a
/// `Deserialize` impl makes after reading the value (serde's untagged enums: "did not match any
/// variant") is about this item, not the container around it. (As `map_err`: 13 instructions
/// a typed record under callgrind, where checking the result in place cost 57 and had each
/// record copied twice more on its way into the `Vec`.)
#[inline(always)]
fn visit_node<'de, 'a, T: DeserializeSeed<'de>>(
    w: &mut Walk<'de, 'a>,
    node: &'a Node,
    seed: T,
) -> Result<T::Value> {
    seed.deserialize(NodeDe { w, node })
        .map_err(|e| e.or_at(node.offset(), node.opcode()))
}

/// [`visit_node`] for an item or value a container hands over: its error is marked for the
/// container to add the item's index or key to the error's path ([`in_item`], [`in_value`]).
#[inline(always)]
fn visit_item<'de, 'a, T: DeserializeSeed<'de>>(
    w: &mut Walk<'de, 'a>,
    node: &'a Node,
    seed: T,
    left: usize,
) -> Result<T::Value> {
    seed.deserialize(NodeDe { w, node })
        .map_err(|e| e.or_at(node.offset(), node.opcode()).leaving_item(left))
}

/// [`visit_node`] for a dict's key: places inside the key (a tuple's items) are not places
/// in the data, so its error is the dict's.
#[inline(always)]
fn visit_key<'de, 'a, T: DeserializeSeed<'de>>(
    w: &mut Walk<'de, 'a>,
    node: &'a Node,
    seed: T,
) -> Result<T::Value> {
    seed.deserialize(NodeDe { w, node })
        .map_err(|e| e.or_at(node.offset(), node.opcode()).without_path())
}

/// A sequence's error: if it left one of the sequence's `len` items, that item's index goes
/// into the path.
#[cold]
#[inline(never)]
fn in_item(e: &mut Error, len: usize) {
    if let Some(left) = e.take_pending() {
        e.push_segment(Segment::Index(len.saturating_sub(left + 1)));
    }
}

/// A map's error: if it left the value of one of the map's `len` entries (`entries` gives
/// them again), that entry's key goes into the path.
#[cold]
#[inline(never)]
fn in_value<'a>(
    w: &mut Walk<'_, 'a>,
    e: &mut Error,
    mut entries: impl Iterator<Item = &'a Node>,
    len: usize,
) {
    if let Some(left) = e.take_pending() {
        let entry = len.checked_sub(left + 1);
        if let Some(key) = entry.and_then(|n| entries.nth(2 * n)) {
            e.push_segment(key_segment(w, key));
        }
    }
}

/// A variant's payload's error, with the variant's name (the key of `{name: payload}`) in
/// its path.
#[cold]
#[inline(never)]
fn in_variant(w: &mut Walk<'_, '_>, mut e: Error, variant: &Node) -> Error {
    e.push_segment(key_segment(w, variant));
    e
}

/// How a path names the value under `key`: a str as itself, any other key as its `repr()`.
fn key_segment(w: &mut Walk<'_, '_>, key: &Node) -> Segment {
    match key.kind() {
        Kind::Str(span) => Segment::key(as_str(w.bytes(span).as_slice())),
        Kind::Int(i) => Segment::other_key(&i.to_string()),
        _ => match w.key_value(*key) {
            Some(value) => Segment::of_key(&value),
            None => Segment::other_key(&format!("<{}>", key.kind().type_name())),
        },
    }
}

/// A dict's keys and values (or an object's attributes, gathered from several states).
struct DictMap<'w, 'de, 'a, I = Items<'a>> {
    w: &'w mut Walk<'de, 'a>,
    items: I,
    left: usize,
    /// A key was handed over and its value not yet: the next node is that value (or `held`).
    value_due: bool,
    /// A due value passed over by a second `next_key` that found no key after it: still the
    /// value to hand over, as serde's `MapDeserializer` and `from_value` keep it.
    held: Option<&'a Node>,
}

impl<'w, 'de, 'a, I> DictMap<'w, 'de, 'a, I> {
    /// The keys and values of `items`, `len` of them (two an entry), charged to the budget
    /// now.
    #[inline]
    pub(crate) fn new(w: &'w mut Walk<'de, 'a>, items: I, len: usize) -> Result<Self> {
        w.spend_n(len)?;
        Ok(DictMap {
            w,
            items,
            left: len / 2,
            value_due: false,
            held: None,
        })
    }
}

impl<'de, 'a, I: Iterator<Item = &'a Node>> DictMap<'_, 'de, 'a, I> {
    /// Hand the keys and values of `items` (`len` of them, two an entry) to the visitor as a
    /// map; entries it leaves unread are an error. `again` gives the items anew, for the path
    /// of an error in a value (in a closure, so that nothing of it is kept meanwhile).
    // Inline in optimized builds only: a debug build would keep its locals in the frame of
    // every caller, each a level of the recursion (see `NodeDe::natural`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn visit<V: Visitor<'de>, J: Iterator<Item = &'a Node>>(
        w: &mut Walk<'de, 'a>,
        items: I,
        len: usize,
        visitor: V,
        again: impl FnOnce(&Walk<'de, 'a>) -> J,
    ) -> Result<V::Value> {
        let mut map = DictMap::new(w, items, len)?;
        let mut r = visitor.visit_map(&mut map);
        match &mut r {
            Ok(_) => {
                // A value left unread after its key is not an entry left unread (serde's
                // `MapDeserializer` and `from_value` pass it over too).
                if map.value_due && map.held.is_none() {
                    map.items.next();
                }
                if let Some(e) = unread(map.items, len / 2, 2, "map") {
                    r = Err(e);
                }
            }
            Err(e) => {
                let entries = again(map.w);
                in_value(map.w, e, entries, len / 2)
            }
        }
        r
    }
}

impl<'de, 'a, I: Iterator<Item = &'a Node>> MapAccess<'de> for DictMap<'_, 'de, 'a, I> {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.value_due {
            // A key asked for twice in a row: the first one's value is passed over, as
            // serde's own `MapDeserializer` passes it over, not handed over as a key.
            self.held = self.items.next();
        }
        match self.items.next() {
            Some(node) => {
                self.held = None;
                self.left = self.left.saturating_sub(1);
                self.value_due = true;
                visit_key(&mut *self.w, node, seed).map(Some)
            }
            None => Ok(None),
        }
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        // Only a `Deserialize` impl asking for a value with no key before it gets here with
        // no value due.
        if !std::mem::take(&mut self.value_due) {
            return missing_value();
        }
        match self.held.take().or_else(|| self.items.next()) {
            Some(node) => visit_item(&mut *self.w, node, seed, self.left),
            None => missing_value(),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'w, 'de, 'a> Enum<'w, 'de, 'a> {
    /// The payload of `{name: payload}`, read by `read`: its error has the variant's name in
    /// its path. A bare name, with no payload, is an error saying it should have been
    /// `expected`.
    fn payload<T>(
        self,
        expected: &str,
        read: impl FnOnce(&mut Walk<'de, 'a>, &'a Node) -> Result<T>,
    ) -> Result<T> {
        match self.payload {
            Some(node) => read(&mut *self.w, node).map_err(|e| in_variant(self.w, e, self.variant)),
            None => Err(type_error(
                self.variant,
                format!("expected {expected}, found a bare name"),
            )),
        }
    }
}

/// Enum access: a variant name node and maybe a payload node.
struct Enum<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    variant: &'a Node,
    payload: Option<&'a Node>,
}

impl<'w, 'de, 'a> de::EnumAccess<'de> for Enum<'w, 'de, 'a> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let v = seed.deserialize(NodeDe {
            w: &mut *self.w,
            node: self.variant,
        })?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enum<'_, 'de, '_> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        match self.payload {
            None => Ok(()),
            Some(node) if matches!(node.kind(), Kind::None) => Ok(()),
            Some(node) => Err(type_error(
                node,
                format!(
                    "invalid type: {}, expected a unit variant's None",
                    node.kind().type_name()
                ),
            )),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        self.payload("a newtype variant as {name: payload}", |w, node| {
            visit_node(w, node, seed)
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.payload("a tuple variant as {name: (..)}", |w, node| {
            de::Deserializer::deserialize_seq(NodeDe { w, node }, visitor)
        })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.payload("a struct variant as {name: {..}}", |w, node| {
            de::Deserializer::deserialize_any(NodeDe { w, node }, visitor)
        })
    }
}
