//! The unpickler's memo: dense while the ids a pickle uses stay dense, a map when they do not,
//! so `LONG_BINPUT 0xffffffff` costs one map entry, not a 4-billion-slot table.

use std::collections::HashMap;

use super::arena::Node;

/// How far past the dense table's end an id may land and still grow the table.
const SLACK: u64 = 1024;

/// An empty slot of the dense table: no real node has this position (opcode 0xff is not an
/// opcode), and a plain `Node` keeps slots at 24 bytes where `Option<Node>` would take 32.
const HOLE: Node = Node {
    kind: super::arena::Kind::None,
    at: u64::MAX,
};

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
            if slot.at == HOLE.at {
                self.count += 1;
            }
            *slot = node;
        } else if id <= len.saturating_mul(2).saturating_add(SLACK) {
            self.dense.resize(id as usize, HOLE);
            self.dense.push(node);
            self.count += 1;
        } else if self.sparse.insert(id, node).is_none() {
            self.count += 1;
        }
    }

    /// The node stored under `id`. A reference, not a copy: moving a `Node` through `Option`
    /// and `Result` by value made the compiler copy its bytes piecewise and stall.
    #[inline]
    pub(crate) fn get(&self, id: u64) -> Option<&Node> {
        if id < self.dense.len() as u64 {
            let n = &self.dense[id as usize];
            if n.at != HOLE.at {
                return Some(n);
            }
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
}
