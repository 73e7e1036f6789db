//! The caller's hooks in the opcode machine: persistent ids (PERSID, BINPERSID) resolved by
//! `DeOptions::persistent_load`, and extension codes (EXT1, EXT2, EXT4) looked up in
//! `DeOptions::extension`'s registry.

use super::{err, malformed, Run};
use crate::de::arena::{Id, Kind, Node, NIL};
use crate::error::{ErrorCode, Limit, Result};
use crate::read::{Read, Span};
use crate::value::{Global, Value};

impl<'de, R: Read<'de>> Run<'_, '_, '_, '_, 'de, R> {
    /// PERSID's id: its line, which must be ASCII, as a str.
    pub(super) fn text_pid(&mut self, line: Span) -> Result<Node> {
        if !self.bytes(line).is_ascii() {
            return Err(malformed("a PERSID persistent id must be ASCII"));
        }
        Ok(self.node(Kind::Str(line)))
    }

    /// Ask the caller's `persistent_load` for the object `pid` stands for, and push it.
    pub(super) fn persistent(&mut self, pid: Node) -> Result<()> {
        let Some(load) = self.opts.persistent_load.clone() else {
            return Err(err(ErrorCode::NeedsHook(
                "a persistent id (PERSID, BINPERSID; see DeOptions::persistent_load)",
            )));
        };
        let pid = match self.build_detached(pid) {
            Ok(pid) => pid,
            // The detached walk tracks no cycles: one ends at the depth limit (or, wide, at
            // the expansion limit first), and is told apart from a deep or large id here,
            // when it already failed.
            Err(e)
                if matches!(e.limit(), Some(Limit::Depth | Limit::Expansion))
                    && self.holds_itself(pid) =>
            {
                return Err(err(ErrorCode::Cycle))
            }
            Err(e) => return Err(e),
        };
        let value = (load.0)(&pid).map_err(|msg| {
            err(ErrorCode::Custom(
                format!("persistent_load failed for the persistent id {pid}: {msg}").into(),
            ))
        })?;
        // What the hook gave is copied into the arena: charged as copies too.
        let before = self.arena.size();
        let kind = self.inject(&value, 0)?;
        self.charge_copies((self.arena.size() - before) as usize)?;
        self.push(kind);
        self.check_nodes()
    }

    /// Whether the value at `node` holds itself: a depth-first search that marks what is on
    /// the current path and what is done, so that shared values are searched once.
    #[cold]
    fn holds_itself(&self, node: Node) -> bool {
        use std::collections::HashSet;
        let arena = &*self.arena;
        // A container's identity: its kind and id (a tuple's or frozenset's first item).
        let key = |n: &Node| match n.kind() {
            Kind::List(id) => Some((0u8, id)),
            Kind::Dict(id) => Some((1, id)),
            Kind::Set(id) => Some((2, id)),
            Kind::Object(id) => Some((3, id)),
            Kind::Tuple(r) if r.len > 0 => Some((4, r.start)),
            Kind::FrozenSet(r) if r.len > 0 => Some((5, r.start)),
            _ => None,
        };
        let children = |n: &Node| -> Vec<Node> {
            match n.kind() {
                Kind::List(id) | Kind::Dict(id) | Kind::Set(id) => {
                    arena.iter(id).copied().collect()
                }
                Kind::Tuple(r) | Kind::FrozenSet(r) => arena.slice(r).to_vec(),
                Kind::Object(id) => {
                    let o = arena.objects[id as usize];
                    let mut out = vec![o.args];
                    out.extend(o.kwargs);
                    for c in [o.states, o.list, o.dict] {
                        if c != NIL {
                            out.extend(arena.iter(c).copied());
                        }
                    }
                    out
                }
                _ => Vec::new(),
            }
        };
        let (mut on_path, mut done) = (HashSet::new(), HashSet::new());
        let Some(root) = key(&node) else {
            return false;
        };
        on_path.insert(root);
        let mut stack = vec![(root, children(&node), 0usize)];
        while let Some((k, kids, next)) = stack.last_mut() {
            let Some(child) = kids.get(*next).copied() else {
                let k = *k;
                on_path.remove(&k);
                done.insert(k);
                stack.pop();
                continue;
            };
            *next += 1;
            let Some(ck) = key(&child) else { continue };
            if on_path.contains(&ck) {
                return true;
            }
            if !done.contains(&ck) {
                on_path.insert(ck);
                stack.push((ck, children(&child), 0));
            }
        }
        false
    }

    /// Push the global an extension code stands for, checked by the policy.
    pub(super) fn extension(&mut self, code: u32) -> Result<()> {
        if code == 0 {
            return Err(malformed("extension code 0 is invalid"));
        }
        let Some((_, module, name)) = self.opts.extensions.iter().find(|(c, ..)| *c == code) else {
            return Err(err(ErrorCode::Unsupported(
                format!("extension code {code} is not registered (see DeOptions::extension)")
                    .into(),
            )));
        };
        // Mapped from Python 2 names as a GLOBAL is (CPython's find_class does both).
        let (module, name) = if self.proto < 3 && self.opts.fix_imports {
            let (m, n) = crate::class::fix_import(module, name);
            (m.to_string(), n.to_string())
        } else {
            (module.clone(), name.clone())
        };
        let kind = self.global_kind(&module, &name, true)?;
        self.push(kind);
        Ok(())
    }

    /// A global node for `module.name`, checked by the policy (`check`) or trusted.
    pub(super) fn global_kind(&mut self, module: &str, name: &str, check: bool) -> Result<Kind> {
        let known = match self.check_global(module, name) {
            Ok(k) => k,
            Err(e) if check => return Err(e),
            Err(_) => crate::class::Known::Other,
        };
        let m = self.push_scratch(module.as_bytes())?;
        let n = self.push_scratch(name.as_bytes())?;
        Ok(Kind::Global(self.add_global(m, n, known)))
    }

    fn inject_all(&mut self, items: &[Value], depth: usize) -> Result<Vec<Node>> {
        let mut out = Vec::with_capacity(items.len());
        for v in items {
            let kind = self.inject(v, depth + 1)?;
            out.push(self.node(kind));
        }
        Ok(out)
    }

    fn inject_pairs(&mut self, pairs: &[(Value, Value)], depth: usize) -> Result<Vec<Node>> {
        let mut out = Vec::with_capacity(pairs.len() * 2);
        for (k, v) in pairs {
            let k = self.inject(k, depth + 1)?;
            out.push(self.node(k));
            let v = self.inject(v, depth + 1)?;
            out.push(self.node(v));
        }
        Ok(out)
    }

    fn container(&mut self, nodes: &[Node]) -> Id {
        let id = self.arena.new_container();
        self.arena.extend(id, nodes);
        id
    }

    /// Put a caller's value into the arena, as if the pickle had built it.
    fn inject(&mut self, v: &Value, depth: usize) -> Result<Kind> {
        if depth > self.opts.max_depth {
            return Err(err(ErrorCode::Limit {
                which: Limit::Depth,
                limit: self.opts.max_depth as u64,
            }));
        }
        Ok(match v {
            Value::None => Kind::None,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Int(i) => Kind::Int(*i),
            Value::Float(f) => Kind::Float(*f),
            // The caller's value is trusted, but how often the hook is called is the
            // pickle's choice: each copy is charged as bytes the pickle made.
            Value::BigInt(b) => Kind::BigInt(self.push_scratch(b.as_le_bytes())?),
            Value::Complex(c) => {
                let id = self.arena.complexes.len() as Id;
                self.arena.complexes.push((c.re, c.im));
                Kind::Complex(id)
            }
            Value::Str(s) => Kind::Str(self.push_scratch(s.as_bytes())?),
            Value::Bytes(b) => Kind::Bytes(self.push_scratch(b)?),
            Value::ByteArray(b) => Kind::ByteArray(self.push_scratch(b)?),
            Value::List(items) => {
                let nodes = self.inject_all(items, depth)?;
                Kind::List(self.container(&nodes))
            }
            Value::Set(items) => {
                let nodes = self.inject_all(items, depth)?;
                Kind::Set(self.container(&nodes))
            }
            Value::Tuple(items) => {
                // As TUPLE makes it: noted unhashable if it holds a list, dict or set.
                let nodes = self.inject_all(items, depth)?;
                self.tuple(&nodes)
            }
            Value::FrozenSet(items) => {
                let nodes = self.inject_all(items, depth)?;
                Kind::FrozenSet(self.arena.range(&nodes))
            }
            Value::Dict(pairs) => {
                let nodes = self.inject_pairs(pairs, depth)?;
                Kind::Dict(self.container(&nodes))
            }
            Value::Global(g) => self.global_kind(&g.module, &g.name, false)?,
            Value::Object(o) => {
                let Global { module, name } = &o.class;
                let class = self.global_kind(module, name, false)?;
                let class = self.node(class);
                let args = match &o.args {
                    Value::Tuple(items) => self.inject_all(items, depth)?,
                    other => self.inject_all(std::slice::from_ref(other), depth)?,
                };
                let args = self.arena.range(&args);
                let kwargs = match &o.kwargs {
                    Some(k) => {
                        let k = self.inject(k, depth + 1)?;
                        Some(self.node(k))
                    }
                    None => None,
                };
                let states = self.inject_all(&o.state, depth)?;
                let list = self.inject_all(&o.list_items, depth)?;
                let dict = self.inject_pairs(&o.dict_items, depth)?;
                let kind = self.new_object(class, o.made, args, kwargs);
                let Kind::Object(id) = kind else {
                    unreachable!("new_object makes objects")
                };
                let part = |r: &mut Self, nodes: &[Node]| {
                    if nodes.is_empty() {
                        NIL
                    } else {
                        r.container(nodes)
                    }
                };
                let (s, l, d) = (part(self, &states), part(self, &list), part(self, &dict));
                let obj = &mut self.arena.objects[id as usize];
                obj.states = s;
                obj.list = l;
                obj.dict = d;
                kind
            }
        })
    }
}
