//! The machine's value stack.
//!
//! A vector whose slots are all initialized (`buf.len()` is the capacity) and a separate count
//! of the live ones. The fast loop works on the slots as a plain slice and the count as a
//! local (see [`Stack::window`]): pushing through a `Vec` made the compiler reload the vector's
//! pointer, length and capacity from memory after every node written, and keep the node on the
//! CPU stack across the (never taken) call that grows it.

use std::ops::Deref;

use super::super::arena::Node;

/// What the slots past the live nodes hold until written (any node would do).
const FILL: Node = Node::HOLE;

#[derive(Default)]
pub(crate) struct Stack {
    /// Every slot initialized; `buf[..len]` are the live nodes.
    buf: Vec<Node>,
    len: usize,
}

impl Stack {
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// Slots allocated.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    #[inline]
    pub(crate) fn push(&mut self, node: Node) {
        if self.len == self.buf.len() {
            self.grow();
        }
        self.buf[self.len] = node;
        self.len += 1;
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let slots = (self.buf.len() * 2).max(64);
        self.buf.resize(slots, FILL);
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<Node> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        Some(self.buf[self.len])
    }

    #[inline]
    pub(crate) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// The nodes from `at` up, removed.
    pub(crate) fn split_off(&mut self, at: usize) -> Vec<Node> {
        let out = self[at..].to_vec();
        self.len = at;
        out
    }

    /// All the slots and the count of live ones, for the fast loop to push and pop on without
    /// going through `self`; it hands the count back with [`Stack::set_len`].
    #[inline(always)]
    pub(crate) fn window(&mut self) -> (&mut [Node], usize) {
        (&mut self.buf, self.len)
    }

    /// The count of live nodes after working on [`Stack::window`]'s slots.
    #[inline(always)]
    pub(crate) fn set_len(&mut self, len: usize) {
        debug_assert!(len <= self.buf.len());
        self.len = len.min(self.buf.len());
    }
}

impl Deref for Stack {
    type Target = [Node];

    #[inline]
    fn deref(&self) -> &[Node] {
        &self.buf[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::de::arena::test_nodes::int;
    use crate::de::arena::Kind;

    fn ints(s: &Stack) -> Vec<i64> {
        crate::de::arena::test_nodes::ints(s.iter())
    }

    #[test]
    fn behaves_as_a_vector() {
        let mut s = Stack::default();
        assert!(s.pop().is_none() && s.last().is_none());
        for i in 0..200 {
            s.push(int(i));
        }
        assert_eq!(s.len(), 200);
        assert_eq!(ints(&s)[..3], [0, 1, 2]);
        assert_eq!(s.split_off(197).len(), 3);
        assert!(matches!(s.pop().map(|n| n.kind()), Some(Kind::Int(196))));
        s.truncate(500);
        assert_eq!(s.len(), 196);
        s.truncate(2);
        assert_eq!(ints(&s), [0, 1]);
        let (slots, len) = s.window();
        assert!(slots.len() >= 200 && len == 2);
        slots[len] = int(7);
        s.set_len(3);
        assert_eq!(ints(&s), [0, 1, 7]);
        s.clear();
        assert!(s.is_empty());
    }
}
