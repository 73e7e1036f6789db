//! The unpickler's memo: dense while the ids a pickle uses stay dense, a map when they do not,
//! so `LONG_BINPUT 0xffffffff` costs one map entry, not a 4-billion-slot table.

use std::collections::HashMap;

use super::arena::Node;

/// How far past twice the entries stored an id may land and still grow the dense table, which
/// so stays under `2 * entries + SLACK + 1` slots.
const SLACK: u64 = 1024;

/// An empty slot of the dense table: a plain `Node` keeps slots at 16 bytes where
/// `Option<Node>` would take 24.
const HOLE: Node = Node::HOLE;

#[derive(Default)]
pub(crate) struct Memo {
    dense: Vec<Node>,
    sparse: HashMap<u64, Node>,
    count: usize,
}

impl Memo {
    pub(crate) fn clear(&mut self) {
        self.dense.clear();
        self.sparse.clear();
        self.count = 0;
    }

    /// Bytes held by the table's capacity (the map's entries roughly).
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.dense.capacity() * std::mem::size_of::<Node>()
            + self.sparse.capacity() * (std::mem::size_of::<Node>() + 16)
    }

    /// Entries stored (MEMOIZE's next id).
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Store `node` under `id`; returns false if that made a new entry.
    #[inline]
    pub(crate) fn put(&mut self, id: u64, node: Node) {
        let len = self.dense.len() as u64;
        if id < len {
            let slot = &mut self.dense[id as usize];
            if slot.is_hole() {
                self.count += 1;
            }
            *slot = node;
        } else if id <= (self.count as u64).saturating_mul(2).saturating_add(SLACK) {
            // Bounded by the entries stored, not the table's length: growing by the length
            // let ids that each doubled it (1024, 3074, 7172, ...) make a 100-byte pickle
            // fill gigabytes with holes.
            self.dense.resize(id as usize, HOLE);
            self.dense.push(node);
            if self.sparse.is_empty() {
                self.count += 1;
            } else {
                self.absorb_sparse(len as usize);
            }
        } else if self.sparse.insert(id, node).is_none() {
            self.count += 1;
        }
    }

    /// Store `node` under the next id if the dense table has a spare slot for it (no growth,
    /// no holes, no map); false, storing nothing, if not.
    #[inline(always)]
    pub(crate) fn push_spare(&mut self, node: Node) -> bool {
        if self.count == self.dense.len()
            && self.dense.len() < self.dense.capacity()
            && self.sparse.is_empty()
        {
            self.dense.push(node);
            self.count += 1;
            true
        } else {
            false
        }
    }

    /// Store `node` under the next id (MEMOIZE: `len(memo)`).
    #[inline(always)]
    pub(crate) fn push(&mut self, node: Node) {
        if self.count == self.dense.len() && self.sparse.is_empty() {
            // No holes and no map: the next id is the dense table's end.
            self.dense.push(node);
            self.count += 1;
        } else {
            self.put(self.count as u64, node);
        }
    }

    /// The dense table grew over ids `from..` that may be in the map: move them into it
    /// (the newly put last slot wins) so that each id is stored, and counted, once.
    #[cold]
    fn absorb_sparse(&mut self, from: usize) {
        let last = self.dense.len() - 1;
        for id in from..last {
            if let Some(n) = self.sparse.remove(&(id as u64)) {
                self.dense[id] = n;
                self.count += 1;
            }
        }
        if self.sparse.remove(&(last as u64)).is_none() {
            self.count += 1;
        }
    }

    /// The node stored under `id`. A reference, not a copy: moving a `Node` through `Option`
    /// and `Result` by value made the compiler copy its bytes piecewise and stall.
    #[inline(always)]
    pub(crate) fn get(&self, id: u64) -> Option<&Node> {
        if let Some(n) = usize::try_from(id).ok().and_then(|i| self.dense.get(i)) {
            if !n.is_hole() {
                return Some(n);
            }
        }
        self.get_sparse(id)
    }

    #[inline(never)]
    fn get_sparse(&self, id: u64) -> Option<&Node> {
        if self.sparse.is_empty() {
            return None;
        }
        self.sparse.get(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::de::arena::Kind;

    #[test]
    fn huge_ids_do_not_allocate_a_dense_table() {
        let mut m = Memo::default();
        let n = Node::new(Kind::Int(1), 0, 0);
        m.put(0xffff_ffff, n);
        assert!(m.dense.capacity() < 4096);
        assert!(m.get(0xffff_ffff).is_some());
        assert!(m.get(0).is_none());
        m.put(0, n);
        m.put(3, n);
        m.put(3, n);
        assert_eq!(m.len(), 3);
        assert!(m.get(2).is_none());
    }

    #[test]
    fn ids_that_each_double_the_table_go_to_the_map() {
        let mut m = Memo::default();
        let n = Node::new(Kind::Int(1), 0, 0);
        let mut next = 0u64;
        for _ in 0..40 {
            let id = 2 * next + SLACK;
            m.put(id, n);
            next = id + 1;
        }
        assert_eq!(m.len(), 40);
        assert!(m.dense.len() <= 2 * m.len() + SLACK as usize + 1);
        assert!(m.get(next - 1).is_some());
    }

    #[test]
    fn dense_table_growing_over_map_ids_counts_each_id_once() {
        // CPython: memo = {2000: 'one'}; each MEMOIZE stores memo[len(memo)]: ids 1..=1999
        // are new, then len(memo) is 2000 and MEMOIZE keeps overwriting id 2000.
        let mut m = Memo::default();
        m.put(2000, Node::new(Kind::Int(1), 0, 0));
        for _ in 0..3000 {
            m.push(Node::new(Kind::Int(2), 0, 0));
        }
        assert_eq!(m.len(), 2000);
        assert!(matches!(m.get(2000).map(|n| n.kind()), Some(Kind::Int(2))));
        assert!(m.get(0).is_none() && m.get(2001).is_none());
    }
}
