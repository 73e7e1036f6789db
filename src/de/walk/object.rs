//! The class bridge: how an instance of a Python class (an object node) reaches serde visitors.
//!
//! | asked for | what the object gives |
//! |---|---|
//! | a struct | its attributes: every BUILD state dict, and both halves of a `(dict, slots)` state, in order; else the items of a dict subclass; else its constructor arguments in field order (a `namedtuple`) |
//! | a map | the items of a dict subclass (`OrderedDict`, `defaultdict`; SETITEMS, or the dict `copyreg._reconstructor` was given); else its attributes; else a dict given to its constructor (`Counter`) |
//! | a seq, tuple or tuple struct | the items of a list subclass (`deque`; APPENDS, or the list `copyreg._reconstructor` was given); else its constructor arguments; else a tuple state |
//! | an enum | the variant its class is registered for, with the object as the payload; or, for a Python `Enum` class, the variant registered for the member's value |
//! | anything (`deserialize_any`) | the natural form of a standard library type; else the first that applies of: list items, dict items, attributes, a constructor's dict, constructor arguments |
//!
//! A struct, tuple struct, newtype struct or unit struct registered for a class must meet an
//! instance of that class: another class is an error naming both.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};

use super::{at, type_error, NodeDe, NodeSeq, Walk};
use crate::class::{Entry, Known};
use crate::de::arena::{Id, Kind, Node};
use crate::error::{Error, Result};

impl<'w, 'de, 'a> NodeDe<'w, 'de, 'a> {
    /// `module` and qualified name of an object's class.
    pub(super) fn class_of(&self, id: Id) -> (&'a str, &'a str) {
        match self.w.arena.objects[id as usize].class.kind {
            Kind::Global(g) => self.w.global_name(g),
            _ => ("?", "?"),
        }
    }

    /// An error unless the object is an instance of the class registered for `rust`, if any.
    fn check_class(&self, id: Id, rust: &str, entry: Option<&Entry>) -> Result<()> {
        let Some(e) = entry else { return Ok(()) };
        let (m, q) = self.class_of(id);
        if (m, q) == (e.module.as_str(), e.qualname.as_str()) {
            return Ok(());
        }
        Err(type_error(
            self.node,
            format!(
                "{rust} is registered for {}.{}, but the pickle has an instance of {m}.{q}",
                e.module, e.qualname
            ),
        ))
    }

    /// The attributes of an object: the pairs of every BUILD state, `None` if it has none.
    fn attributes(&self, id: Id) -> Result<Option<Vec<Node>>> {
        let arena = self.w.arena;
        let obj = &arena.objects[id as usize];
        if arena.len(obj.states) == 0 {
            return Ok(None);
        }
        let mut pairs = Vec::new();
        for state in arena.iter(obj.states) {
            let mut add = |part: Node| -> Result<()> {
                match part.kind {
                    Kind::Dict(d) => pairs.extend(arena.iter(d)),
                    Kind::None => {}
                    other => {
                        let (m, q) = self.class_of(id);
                        return Err(type_error(
                            part,
                            format!(
                                "the state of this {m}.{q} is a {}, not a dict of attributes \
                                 (it has its own __setstate__); read it as a tuple or as \
                                 pypickle::Value",
                                other.type_name()
                            ),
                        ));
                    }
                }
                Ok(())
            };
            match state.kind {
                Kind::Tuple(r) if r.len == 2 => {
                    let s = arena.slice(r);
                    let dict_like = |n: &Node| matches!(n.kind, Kind::Dict(_) | Kind::None);
                    if s.iter().all(dict_like) {
                        add(s[0])?;
                        add(s[1])?;
                    } else {
                        add(state)?;
                    }
                }
                _ => add(state)?,
            }
        }
        Ok(Some(pairs))
    }

    fn list_items(&self, id: Id) -> Vec<Node> {
        let arena = self.w.arena;
        arena.iter(arena.objects[id as usize].list).collect()
    }

    fn dict_items(&self, id: Id) -> Vec<Node> {
        let arena = self.w.arena;
        arena.iter(arena.objects[id as usize].dict).collect()
    }

    /// The constructor's arguments. For `copyreg._reconstructor(cls, base, state)` (protocols
    /// 0-1) that is `base.__new__(cls, state)`: nothing for `object`, the items of the tuple
    /// for a `tuple` subclass (a `namedtuple`), else the state itself.
    fn args(&self, id: Id) -> &'a [Node] {
        let arena = self.w.arena;
        let obj = &arena.objects[id as usize];
        let Kind::Tuple(r) = obj.args.kind else {
            return &[];
        };
        let args = arena.slice(r);
        if obj.made != crate::value::Made::Reconstructor {
            return args;
        }
        let [base, state] = args else { return args };
        let known = match base.kind {
            Kind::Global(g) => Some(arena.globals[g as usize].known),
            _ => None,
        };
        match (known, state.kind) {
            (Some(Known::Object), _) | (_, Kind::None) => &[],
            (Some(Known::Tuple), Kind::Tuple(items)) => arena.slice(items),
            _ => &args[1..],
        }
    }

    /// At protocols 0-1 a dict or list subclass is `copyreg._reconstructor(cls, dict, {...})`
    /// (or `list, [...]`): that dict or list holds its items.
    fn base_items(&self, id: Id, want: Known) -> Option<Node> {
        let arena = self.w.arena;
        let obj = &arena.objects[id as usize];
        if obj.made != crate::value::Made::Reconstructor {
            return None;
        }
        let Kind::Tuple(r) = obj.args.kind else {
            return None;
        };
        let [base, state] = *arena.slice(r) else {
            return None;
        };
        let Kind::Global(g) = base.kind else {
            return None;
        };
        let known = arena.globals[g as usize].known;
        match (known, state.kind) {
            (Known::Dict, Kind::Dict(_)) | (Known::List, Kind::List(_)) if known == want => {
                Some(state)
            }
            _ => None,
        }
    }

    /// The one dict a constructor was given (`Counter({...})`), if that is all it was given.
    fn constructor_dict(&self, id: Id) -> Option<Node> {
        match self.args(id) {
            [n] if matches!(n.kind, Kind::Dict(_)) => Some(*n),
            _ => None,
        }
    }

    fn is_deque(&self, id: Id) -> bool {
        self.class_of(id) == ("collections", "deque")
    }

    /// Visit an object's parts with depth and cycle accounting for the object itself.
    fn within<T>(self, f: impl FnOnce(&mut Walk<'de, 'a>) -> Result<T>) -> Result<T> {
        let node = self.node;
        let w = self.w;
        w.enter(node)?;
        let r = f(&mut *w);
        w.exit(node);
        at(node, r)
    }

    fn visit_pairs<V: Visitor<'de>>(self, pairs: Vec<Node>, visitor: V) -> Result<V::Value> {
        self.within(|w| {
            visitor.visit_map(PairMap {
                left: pairs.len() / 2,
                w,
                items: pairs.into_iter(),
            })
        })
    }

    fn visit_items<V: Visitor<'de>>(self, items: Vec<Node>, visitor: V) -> Result<V::Value> {
        self.within(|w| {
            visitor.visit_seq(NodeSeq {
                left: items.len(),
                w,
                items: items.into_iter(),
            })
        })
    }

    /// An object read as a struct named `rust` (None: a struct variant, already checked).
    pub(super) fn object_struct<V: Visitor<'de>>(
        self,
        id: Id,
        rust: Option<&str>,
        visitor: V,
    ) -> Result<V::Value> {
        if let Some(rust) = rust {
            self.check_class(id, rust, self.w.registry.struct_entry(rust))?;
        }
        if let Some(pairs) = self.attributes(id)? {
            return self.visit_pairs(pairs, visitor);
        }
        let items = self.dict_items(id);
        if !items.is_empty() {
            return self.visit_pairs(items, visitor);
        }
        let args = self.args(id).to_vec();
        self.visit_items(args, visitor)
    }

    pub(super) fn object_map<V: Visitor<'de>>(self, id: Id, visitor: V) -> Result<V::Value> {
        let items = self.dict_items(id);
        if !items.is_empty() {
            return self.visit_pairs(items, visitor);
        }
        if let Some(dict) = self.base_items(id, Known::Dict) {
            let w = self.w;
            return NodeDe { w, node: dict }.compound(visitor);
        }
        if let Some(pairs) = self.attributes(id)? {
            return self.visit_pairs(pairs, visitor);
        }
        if let Some(dict) = self.constructor_dict(id) {
            let w = self.w;
            return NodeDe { w, node: dict }.compound(visitor);
        }
        self.visit_pairs(Vec::new(), visitor)
    }

    /// An object read as a sequence; `rust` names a tuple struct to check against the registry.
    pub(super) fn object_seq<V: Visitor<'de>>(
        self,
        id: Id,
        rust: Option<&str>,
        visitor: V,
    ) -> Result<V::Value> {
        if let Some(rust) = rust {
            self.check_class(id, rust, self.w.registry.struct_entry(rust))?;
        }
        let items = self.list_items(id);
        if !items.is_empty() || self.is_deque(id) {
            return self.visit_items(items, visitor);
        }
        if let Some(list) = self.base_items(id, Known::List) {
            let w = self.w;
            return NodeDe { w, node: list }.compound(visitor);
        }
        let args = self.args(id);
        if args.is_empty() {
            if let Some(state) = self.tuple_state(id) {
                return self.visit_items(state, visitor);
            }
        }
        let args = args.to_vec();
        self.visit_items(args, visitor)
    }

    /// The items of an object's one BUILD state when that is a tuple other than
    /// `(dict, slots)`: what a `__getstate__` returning a tuple wrote.
    fn tuple_state(&self, id: Id) -> Option<Vec<Node>> {
        let arena = self.w.arena;
        let obj = &arena.objects[id as usize];
        let mut states = arena.iter(obj.states);
        let (Some(state), None) = (states.next(), states.next()) else {
            return None;
        };
        let Kind::Tuple(r) = state.kind else {
            return None;
        };
        let items = arena.slice(r);
        let dict_like = |n: &Node| matches!(n.kind, Kind::Dict(_) | Kind::None);
        if items.len() == 2 && items.iter().all(dict_like) {
            return None;
        }
        Some(items.to_vec())
    }

    pub(super) fn object_any<V: Visitor<'de>>(self, id: Id, visitor: V) -> Result<V::Value> {
        let items = self.list_items(id);
        if !items.is_empty() || self.is_deque(id) {
            return self.visit_items(items, visitor);
        }
        let items = self.dict_items(id);
        if !items.is_empty() {
            return self.visit_pairs(items, visitor);
        }
        if let Some(items) = self
            .base_items(id, Known::List)
            .or_else(|| self.base_items(id, Known::Dict))
        {
            let w = self.w;
            return NodeDe { w, node: items }.compound(visitor);
        }
        if let Some(pairs) = self.attributes(id)? {
            return self.visit_pairs(pairs, visitor);
        }
        if let Some(dict) = self.constructor_dict(id) {
            let w = self.w;
            return NodeDe { w, node: dict }.compound(visitor);
        }
        let args = self.args(id);
        if args.is_empty() {
            return self.visit_pairs(Vec::new(), visitor);
        }
        let args = args.to_vec();
        self.visit_items(args, visitor)
    }

    /// A registered newtype struct: the instance's one constructor argument.
    pub(super) fn object_newtype<V: Visitor<'de>>(
        self,
        id: Id,
        entry: &Entry,
        rust: &str,
        visitor: V,
    ) -> Result<V::Value> {
        self.check_class(id, rust, Some(entry))?;
        let node = self.node;
        match *self.args(id) {
            [arg] => {
                let w = self.w;
                w.enter(node)?;
                let r = visitor.visit_newtype_struct(NodeDe {
                    w: &mut *w,
                    node: arg,
                });
                w.exit(node);
                at(node, r)
            }
            ref args => Err(type_error(
                node,
                format!(
                    "{rust} is a newtype struct, but its {}.{} was made with {} arguments, not 1",
                    entry.module,
                    entry.qualname,
                    args.len()
                ),
            )),
        }
    }

    /// A registered unit struct: any instance of its class.
    pub(super) fn object_unit<V: Visitor<'de>>(
        self,
        id: Id,
        entry: &Entry,
        rust: &str,
        visitor: V,
    ) -> Result<V::Value> {
        self.check_class(id, rust, Some(entry))?;
        at(self.node, visitor.visit_unit())
    }

    /// An object read as the enum `rust`: its class chooses the variant.
    pub(super) fn object_enum<V: Visitor<'de>>(
        self,
        id: Id,
        rust: &str,
        visitor: V,
    ) -> Result<V::Value> {
        let (m, q) = self.class_of(id);
        let node = self.node;
        let Some(entry) = self.w.registry.variant_for(rust, m, q) else {
            return Err(type_error(
                node,
                format!(
                    "an instance of {m}.{q} is not a variant of enum {rust}: register the class \
                     with ClassRegistry::variant or ClassRegistry::python_enum"
                ),
            ));
        };
        if let Some(variant) = entry.variant {
            // The payload is the object itself, which enters itself when visited.
            return at(
                node,
                visitor.visit_enum(ClassVariant {
                    w: self.w,
                    variant,
                    object: Some((node, id)),
                }),
            );
        }
        // A Python Enum member: `Class(value)`.
        let value = match *self.args(id) {
            [v] => self.w.build(v)?,
            ref args => {
                return Err(type_error(
                    node,
                    format!(
                    "a member of the enum {m}.{q} is pickled as {q}(value), not with {} arguments",
                    args.len()
                ),
                ))
            }
        };
        let Some((_, variant)) = entry.members.iter().find(|(v, _)| *v == value) else {
            return Err(type_error(
                node,
                format!("{m}.{q}({value}) is not one of the members registered for {rust}"),
            ));
        };
        at(
            node,
            visitor.visit_enum(ClassVariant {
                w: self.w,
                variant,
                object: None,
            }),
        )
    }
}

/// Keys and values from a list of nodes (attributes merged from several states).
struct PairMap<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    items: std::vec::IntoIter<Node>,
    left: usize,
}

impl<'de> MapAccess<'de> for PairMap<'_, 'de, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.items.next() {
            Some(node) => {
                self.left -= 1;
                self.w.spend()?;
                seed.deserialize(NodeDe {
                    w: &mut *self.w,
                    node,
                })
                .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let node = self.items.next().expect("pairs come in twos");
        self.w.spend()?;
        seed.deserialize(NodeDe {
            w: &mut *self.w,
            node,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// The variant a class stands for, with the instance as its payload (None: a unit variant of
/// a Python `Enum` member).
struct ClassVariant<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    variant: &'static str,
    object: Option<(Node, Id)>,
}

impl<'w, 'de, 'a> de::EnumAccess<'de> for ClassVariant<'w, 'de, 'a> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let d: de::value::StrDeserializer<'_, Error> = self.variant.into_deserializer();
        Ok((seed.deserialize(d)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for ClassVariant<'_, 'de, '_> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        match self.object {
            Some((node, _)) => seed.deserialize(NodeDe { w: self.w, node }),
            None => seed.deserialize(().into_deserializer()),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        match self.object {
            Some((node, id)) => NodeDe { w: self.w, node }.object_seq(id, None, visitor),
            None => visitor.visit_seq(de::value::SeqDeserializer::<_, Error>::new(
                std::iter::empty::<()>(),
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.object {
            Some((node, id)) => NodeDe { w: self.w, node }.object_struct(id, None, visitor),
            None => visitor.visit_map(de::value::MapDeserializer::<_, Error>::new(
                std::iter::empty::<((), ())>(),
            )),
        }
    }
}
