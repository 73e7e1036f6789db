//! Sets as Python's set keeps them: the items a set would not have kept (`set([1, True])` is
//! `{1}`, the same object twice is one item) are left out, whether the set is visited or built.
//!
//! Telling equal items apart is Python's equality, found without running any of its code:
//! numbers, strings and bytes by value; tuples and frozensets by their items; objects (whose
//! `__eq__` nothing here runs) by identity; a NaN is equal only to itself. Items are first
//! told apart by a hash of their nodes, each tuple's and frozenset's found once a walk; only
//! items whose hashes meet are built and compared.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use serde::de::Visitor;

use super::{NodeSeq, Walk};
use crate::de::arena::{Arena, Kind, Node};
use crate::error::Result;
use crate::value::eq::{never_equal, set_survivors, Identity};
use crate::value::{BigInt, Complex, Value};

/// The hashes [`Walk::node_hash`] keeps, by node (a tag, and the node's range, span or id),
/// and its work space, kept from one hash to the next.
#[derive(Default)]
pub(super) struct SetHashes<'a> {
    kept: HashMap<(u8, u64, u32), u64, BuildHasherDefault<NodeHasher>>,
    /// Nodes to hash (false) or to finish from their items' hashes (true).
    work: Vec<(&'a Node, bool)>,
    /// The hashes found, in order.
    done: Vec<u64>,
}

/// Strings and bytes this long, and tuples and frozensets of this many items, have their
/// hashes kept.
const LONG: usize = 16;

impl<'de: 'a, 'a> Walk<'de, 'a> {
    /// A set's or frozenset's items as a sequence, without the ones Python's set would not
    /// have kept (`set([1, True])` is `{1}`). Only items whose hashes meet another's (see
    /// [`Walk::may_repeat`]) are compared; telling those apart builds each once more, charged
    /// to a budget of its own (`dedup`), as large as the walk's: the visit charges the items
    /// it visits, but a visitor that skips them (`IgnoredAny`) would let a set referenced
    /// again and again be built again and again for nothing.
    pub(super) fn visit_set<V: Visitor<'de>>(
        &mut self,
        items: Vec<&'a Node>,
        visitor: V,
    ) -> Result<V::Value> {
        let keep = self.set_keep(&items)?;
        match keep {
            None => NodeSeq::visit(self, items.iter().copied(), items.len(), visitor),
            Some(keep) => {
                let kept = keep.iter().map(|&i| items[i]);
                NodeSeq::visit(self, kept, keep.len(), visitor)
            }
        }
    }

    /// Which of `items` a Python set keeps (`None`: all), each built on the `dedup` budget.
    fn survivors(&mut self, items: &[&'a Node]) -> Result<Option<Vec<usize>>> {
        let walk = (self.budget, self.bytes_left, self.depth_left);
        (self.budget, self.bytes_left) = self.dedup;
        let values = items
            .iter()
            .map(|&&n| self.build(n))
            .collect::<Result<Vec<Value>>>();
        self.dedup = (self.budget, self.bytes_left);
        (self.budget, self.bytes_left, self.depth_left) = walk;
        Ok(set_survivors(
            &values?,
            &self.identities(items.iter().copied()),
        ))
    }

    /// A set or frozenset node built, without the items Python's set would not have kept.
    /// Out of line: its locals would make every level of [`Walk::build`]'s recursion larger.
    #[inline(never)]
    pub(super) fn build_set(&mut self, node: Node) -> Result<Value> {
        let arena = self.arena;
        let mut nodes: Vec<&'a Node> = match node.kind() {
            Kind::FrozenSet(r) => arena.slice(r).iter().collect(),
            Kind::Set(id) => arena.iter(id).collect(),
            _ => unreachable!("build_set called on a {}", node.kind().type_name()),
        };
        if let Some(keep) = self.set_keep(&nodes)? {
            nodes = keep.into_iter().map(|i| nodes[i]).collect();
        }
        let values = self.build_all(nodes.iter().map(|&&n| n), nodes.len())?;
        Ok(match node.kind() {
            Kind::FrozenSet(_) => Value::FrozenSet(values),
            _ => Value::Set(values),
        })
    }

    /// Which of a set's `items` Python's set keeps, in order (`None`: all of them). Items whose
    /// hashes meet no other's are kept unbuilt; of those that meet, the same node again (a memo
    /// GET: the same Python object) is dropped unbuilt; the rest are built on the `dedup`
    /// budget and compared.
    fn set_keep(&mut self, items: &[&'a Node]) -> Result<Option<Vec<usize>>> {
        if items.len() < 2 {
            return Ok(None);
        }
        let meet = match self.may_repeat(items) {
            Some(meet) if meet.is_empty() => return Ok(None),
            Some(meet) => meet,
            None => (0..items.len()).collect(),
        };
        let mut seen = std::collections::HashSet::new();
        let firsts: Vec<usize> = meet
            .iter()
            .copied()
            .filter(|&i| same_node(items[i]).map_or(true, |k| seen.insert(k)))
            .collect();
        let some: Vec<&Node> = firsts.iter().map(|&i| items[i]).collect();
        let kept = match self.survivors(&some)? {
            Some(kept) => kept,
            None if firsts.len() == meet.len() => return Ok(None),
            None => (0..firsts.len()).collect(),
        };
        let mut dropped = vec![false; items.len()];
        for &i in &meet {
            dropped[i] = true;
        }
        for k in kept {
            dropped[firsts[k]] = false;
        }
        Ok(Some((0..items.len()).filter(|&i| !dropped[i]).collect()))
    }

    /// The indices of the items that may be equal to another (their hashes meet), in order;
    /// `None` if an item has no hash here (a list, dict or set in it), and every item must be
    /// compared. Each tuple's and frozenset's hash is found once a walk, so
    /// nested sets cost their size, not their size times their depth.
    fn may_repeat(&mut self, items: &[&'a Node]) -> Option<Vec<usize>> {
        let mut hashes = Vec::with_capacity(items.len());
        for n in items {
            hashes.push(self.node_hash(n)?);
        }
        if hashes.len() <= 8 {
            // Few: compared pair by pair, without a map.
            let meets = |i: usize| (0..hashes.len()).any(|j| j != i && hashes[j] == hashes[i]);
            return Some((0..hashes.len()).filter(|&i| meets(i)).collect());
        }
        let mut count: HashMap<u64, u32, BuildHasherDefault<NodeHasher>> =
            HashMap::with_capacity_and_hasher(hashes.len(), Default::default());
        for &h in &hashes {
            *count.entry(h).or_default() += 1;
        }
        Some(
            (0..hashes.len())
                .filter(|&i| count[&hashes[i]] > 1)
                .collect(),
        )
    }

    /// A hash of the node's value as a set item: equal values (as the set compares them:
    /// numbers across types, bytes and bytearray alike, frozensets in any order, objects by
    /// identity) hash alike; `None` if it holds a list, dict or set. Tuples and frozensets are
    /// followed to the bottom however deep, with a stack of its own, not by recursion. The
    /// hashes of long strings, globals, and of tuples and frozensets that are long or hold
    /// others are kept for the walk: a node met again (nested sets, a memo GET) is hashed once.
    fn node_hash(&mut self, root: &'a Node) -> Option<u64> {
        match root.kind() {
            Kind::Tuple(_) | Kind::FrozenSet(_) => {}
            Kind::List(_) | Kind::Dict(_) | Kind::Set(_) => return None,
            _ => return Some(self.scalar_hash(root)),
        }
        let state = &mut self.rare.get_or_insert_with(Default::default).hashes;
        let (mut work, mut done) = (
            std::mem::take(&mut state.work),
            std::mem::take(&mut state.done),
        );
        work.clear();
        done.clear();
        work.push((root, false));
        let mut hashable = true;
        while let Some((node, finish)) = work.pop() {
            let r = match node.kind() {
                Kind::Tuple(r) | Kind::FrozenSet(r) => r,
                Kind::List(_) | Kind::Dict(_) | Kind::Set(_) => {
                    hashable = false;
                    break;
                }
                _ => {
                    done.push(self.scalar_hash(node));
                    continue;
                }
            };
            let key = (node_tag(node), u64::from(r.start), r.len);
            if !finish {
                match self.kept(&key) {
                    Some(h) => done.push(h),
                    None => {
                        work.push((node, true));
                        work.extend(self.arena.slice(r).iter().rev().map(|n| (n, false)));
                    }
                }
                continue;
            }
            let at = done.len() - r.len as usize;
            let h = if key.0 == FROZENSET {
                // A set of its items' hashes: equal frozensets have equal items, whatever
                // their order or repeats.
                let mut parts = done[at..].to_vec();
                parts.sort_unstable();
                parts.dedup();
                hash_one(&(key.0, parts))
            } else {
                hash_one(&(key.0, &done[at..]))
            };
            done.truncate(at);
            done.push(h);
            let items = self.arena.slice(r);
            let nested = items
                .iter()
                .any(|n| matches!(n.kind(), Kind::Tuple(_) | Kind::FrozenSet(_)));
            if nested || items.len() >= LONG {
                self.keep(key, h);
            }
        }
        let h = done.pop().filter(|_| hashable);
        let state = &mut self.rare.get_or_insert_with(Default::default).hashes;
        (state.work, state.done) = (work, done);
        h
    }

    /// A hash kept for this node key.
    #[inline]
    fn kept(&self, key: &(u8, u64, u32)) -> Option<u64> {
        self.rare
            .as_ref()
            .and_then(|r| r.hashes.kept.get(key))
            .copied()
    }

    fn keep(&mut self, key: (u8, u64, u32), h: u64) {
        self.rare
            .get_or_insert_with(Default::default)
            .hashes
            .kept
            .insert(key, h);
    }

    /// [`Walk::node_hash`] of anything but a tuple, frozenset, list, dict or set. Long strs,
    /// bytes and big ints, buffers and globals have their hashes kept.
    fn scalar_hash(&mut self, node: &Node) -> u64 {
        let key = match node.kind() {
            Kind::None | Kind::Bool(_) | Kind::Int(_) | Kind::Float(_) => {
                let v = match node.kind() {
                    Kind::Bool(b) => Value::Bool(b),
                    Kind::Int(i) => Value::Int(i),
                    Kind::Float(f) => Value::Float(f),
                    _ => Value::None,
                };
                return hash_one(&v);
            }
            Kind::Complex(c) => {
                let (re, im) = self.arena.complexes[c as usize];
                return hash_one(&Value::Complex(Complex { re, im }));
            }
            Kind::Object(id) => return hash_one(&(9u8, id)),
            Kind::Str(span) | Kind::Bytes(span) | Kind::ByteArray(span) if span.len() < LONG => {
                return self.bytes_hash(node);
            }
            Kind::BigInt(span) | Kind::Str(span) | Kind::Bytes(span) | Kind::ByteArray(span) => {
                let (a, b) = span.key();
                (node_tag(node), a, b)
            }
            Kind::Buffer(id) => (4, u64::from(id), 0),
            Kind::Global(g) => (5, u64::from(g), 0),
            _ => unreachable!("scalar_hash of a {}", node.kind().type_name()),
        };
        if let Some(h) = self.kept(&key) {
            return h;
        }
        let h = self.bytes_hash(node);
        self.keep(key, h);
        h
    }

    /// The hash of a str, bytes, big int, buffer or global, found afresh.
    fn bytes_hash(&self, node: &Node) -> u64 {
        match node.kind() {
            Kind::BigInt(span) => {
                let big = BigInt::from_le_bytes(self.raw(span));
                hash_one(&Value::from_big(big))
            }
            Kind::Str(span) => hash_one(&(2u8, self.raw(span))),
            Kind::Bytes(span) | Kind::ByteArray(span) => hash_one(&(3u8, self.raw(span))),
            // A buffer not lent is an error when built: any hash does.
            Kind::Buffer(id) => hash_one(&(3u8, self.buffer(id).map_or(&[][..], |b| b.0))),
            Kind::Global(g) => hash_one(&(8u8, self.global_name(g))),
            _ => unreachable!("bytes_hash of a {}", node.kind().type_name()),
        }
    }

    /// Each set item's [`Identity`], if it holds an object: the same object twice (a memo
    /// GET), bare or in a tuple, is one item, as Python's set finds an object equal to itself.
    /// The values beside the objects are built by one walk on the dedup budget: past it,
    /// an item is kept apart.
    fn identities<'n>(
        &self,
        items: impl Iterator<Item = &'n Node> + Clone,
    ) -> Vec<Option<Identity>> {
        let arena = self.arena;
        if !items.clone().any(|n| odd(arena, n, 0)) {
            // Nothing to follow: no list beside a set without objects or NaNs.
            return Vec::new();
        }
        let mut plain = Walk::detached(self.input, self.arena, self.opts, self.dedup.0);
        // The same tuple or frozenset twice (a memo GET) is one item, whatever it holds:
        // Python's comparison checks identity first.
        let mut seen = std::collections::HashMap::new();
        let mut out: Vec<Option<Identity>> = Vec::new();
        for (i, n) in items.enumerate() {
            let id = match node_key(n).map(|k| *seen.entry(k).or_insert(i)) {
                Some(first) if first != i => out[first].clone(),
                _ => Self::identity(&mut plain, n, i, 0).or_else(|| Self::as_node(arena, n)),
            };
            out.push(id);
        }
        out
    }

    /// A tuple or frozenset that no value can stand for (it holds a NaN, or an object past
    /// [`MAX_IDENTITY_DEPTH`]; see [`odd`]): itself, so that only the same node is equal to
    /// it.
    fn as_node(arena: &Arena, node: &Node) -> Option<Identity> {
        let key = node_key(node)?;
        odd(arena, node, 0).then_some(Identity::Node(key.0, key.1, key.2))
    }

    /// [`Walk::identities`] of one item: `None` if it holds no object (down to
    /// [`MAX_IDENTITY_DEPTH`]), so that its value decides; `i` keeps one that holds a NaN
    /// beside its objects, or whose values are past the budget, apart. One pass over the
    /// item; a list only for a tuple that holds an object.
    fn identity(
        plain: &mut Walk<'de, 'a>,
        node: &Node,
        i: usize,
        depth: usize,
    ) -> Option<Identity> {
        let arena = plain.arena;
        let (items, frozen) = match node.kind() {
            Kind::Object(id) => return Some(Identity::Object(id)),
            Kind::Tuple(r) => (arena.slice(r), false),
            Kind::FrozenSet(r) => (arena.slice(r), true),
            _ => return None,
        };
        if depth >= MAX_IDENTITY_DEPTH {
            // Taken for a value: if an object is deeper, its value is never equal anyway.
            return None;
        }
        let mut parts: Option<Vec<Identity>> = None;
        for (k, n) in items.iter().enumerate() {
            let part = Self::identity(plain, n, i, depth + 1);
            if parts.is_none() && part.is_none() {
                continue;
            }
            let parts = match &mut parts {
                Some(p) => p,
                None => {
                    // The first object: the values before it too.
                    let mut p = Vec::with_capacity(items.len());
                    for n in &items[..k] {
                        match Self::plain_part(plain, n) {
                            Some(v) => p.push(v),
                            None => return Some(Identity::Alone(i)),
                        }
                    }
                    parts.insert(p)
                }
            };
            match part.or_else(|| Self::plain_part(plain, n)) {
                Some(id) => parts.push(id),
                None => return Some(Identity::Alone(i)),
            }
        }
        let mut parts = parts?;
        if !frozen {
            return Some(Identity::Tuple(parts));
        }
        // As a set: each once, in an order of their hashes.
        parts.sort_by_cached_key(hash_one);
        parts.dedup();
        Some(Identity::FrozenSet(parts))
    }

    /// A part with no object in it, by its value; `None` if that is equal to nothing (a NaN)
    /// or past the budget.
    fn plain_part(plain: &mut Walk<'de, 'a>, node: &Node) -> Option<Identity> {
        match plain.build(*node) {
            Ok(v) if !never_equal(&v) => Some(Identity::Plain(v)),
            // A tuple holding a NaN: equal only to itself (Python checks identity first).
            Ok(_) => Self::as_node(plain.arena, node),
            Err(_) => None,
        }
    }
}

/// A key that only the same node (one Python object, met again through the memo) has, for
/// the kinds that have one: tuples and frozensets by their range, strs, bytes and big ints by
/// their span, objects, globals and buffers by their id.
fn same_node(node: &Node) -> Option<(u8, u64, u32)> {
    Some(match node.kind() {
        Kind::Tuple(r) | Kind::FrozenSet(r) if r.len > 0 => {
            (node_tag(node), u64::from(r.start), r.len)
        }
        Kind::BigInt(span) | Kind::Str(span) | Kind::Bytes(span) | Kind::ByteArray(span) => {
            let (a, b) = span.key();
            (node_tag(node), a, b)
        }
        Kind::Object(id) => (9, u64::from(id), 0),
        Kind::Global(g) => (5, u64::from(g), 0),
        Kind::Buffer(b) => (4, u64::from(b), 0),
        _ => return None,
    })
}

/// The tag of a node kind in [`Hashes`] (and in its hash).
fn node_tag(node: &Node) -> u8 {
    match node.kind() {
        Kind::BigInt(_) => 1,
        Kind::Str(_) => 2,
        Kind::Bytes(_) | Kind::ByteArray(_) => 3,
        Kind::Tuple(_) => 6,
        _ => FROZENSET,
    }
}

const FROZENSET: u8 = 7;

fn hash_one<T: Hash + ?Sized>(v: &T) -> u64 {
    let mut h = NodeHasher::default();
    v.hash(&mut h);
    h.finish()
}

/// A fast hasher for telling set items apart: a word at a time, one 64x64 to 128-bit multiply
/// folded to 64 bits (as aHash and wyhash mix). Not proof against chosen collisions: items
/// whose hashes meet are compared in full, on the `dedup` budget, so crafted collisions cost
/// no more than comparing every item did.
#[derive(Default)]
pub(super) struct NodeHasher(u64);

impl NodeHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        let x = (self.0 ^ word).wrapping_add(0x2d35_8dcc_aa6c_78a5);
        let full = u128::from(x) * u128::from(0x8bb8_4b93_962e_acc9_u64);
        self.0 = (full as u64) ^ ((full >> 64) as u64);
    }
}

impl Hasher for NodeHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let mut last = [0u8; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(last) ^ (bytes.len() as u64) << 56);
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A non-empty tuple or frozenset node's identity: the same node (a memo GET) twice is the
/// same Python object. Empty ones share their range's start with others, and are equal by
/// value anyway.
fn node_key(node: &Node) -> Option<(bool, u32, u32)> {
    match node.kind() {
        Kind::Tuple(r) if r.len > 0 => Some((false, r.start, r.len)),
        Kind::FrozenSet(r) if r.len > 0 => Some((true, r.start, r.len)),
        _ => None,
    }
}

/// Whether `node` is, or holds down to twice [`MAX_IDENTITY_DEPTH`], an object or a NaN
/// (deeper still, taken to): whether a set item needs an [`Identity`]. One pass.
fn odd(arena: &Arena, node: &Node, depth: usize) -> bool {
    match node.kind() {
        Kind::Object(_) => true,
        Kind::Float(f) => f.is_nan(),
        Kind::Complex(c) => {
            let (re, im) = arena.complexes[c as usize];
            re.is_nan() || im.is_nan()
        }
        Kind::Tuple(r) | Kind::FrozenSet(r) => {
            depth >= 2 * MAX_IDENTITY_DEPTH
                || arena.slice(r).iter().any(|n| odd(arena, n, depth + 1))
        }
        _ => false,
    }
}

/// How deep [`Walk::identity`] follows tuples and frozensets (the machine allows deeper).
const MAX_IDENTITY_DEPTH: usize = 32;
