//! The serde `Deserializer` that walks the arena the machine built and drives visitors.
//!
//! Walking is recursive (serde visitors are), so the depth is capped; a container met again on
//! its own path is a cycle and an error; every value visited costs one unit of a budget sized
//! from the arena plus `max_expansion`, which bounds the work shared references can multiply.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::arena::{Arena, Id, Items, Kind, Made, Node, NIL};
use crate::error::{Error, ErrorCode, Limit, Result};
use crate::value::magic::{Tag, VALUE_TOKEN};

/// The walk's shared state.
pub(crate) struct Walk<'de: 'a, 'a> {
    input: &'de [u8],
    arena: &'a Arena,
    depth_left: usize,
    max_depth: usize,
    budget: u64,
    max_expansion: u64,
    active_containers: Vec<bool>,
    active_objects: Vec<bool>,
}

impl<'de: 'a, 'a> Walk<'de, 'a> {
    pub(crate) fn new(
        input: &'de [u8],
        arena: &'a Arena,
        max_depth: usize,
        max_expansion: u64,
    ) -> Self {
        Walk {
            input,
            arena,
            depth_left: max_depth,
            max_depth,
            budget: arena.size().saturating_add(max_expansion),
            max_expansion,
            active_containers: vec![false; arena.containers.len()],
            active_objects: vec![false; arena.objects.len()],
        }
    }

    #[inline]
    fn spend(&mut self) -> Result<()> {
        if self.budget == 0 {
            return Err(Error::new(ErrorCode::Limit {
                which: Limit::Expansion,
                limit: self.max_expansion,
            }));
        }
        self.budget -= 1;
        Ok(())
    }

    /// Enter a compound node: depth check, and cycle check for mutable ones.
    #[inline]
    fn enter(&mut self, node: Node) -> Result<()> {
        if self.depth_left == 0 {
            return Err(Error::new(ErrorCode::Limit {
                which: Limit::Depth,
                limit: self.max_depth as u64,
            })
            .or_at(node.offset(), node.opcode()));
        }
        let slot = match node.kind {
            Kind::List(id) | Kind::Dict(id) | Kind::Set(id) => {
                Some(&mut self.active_containers[id as usize])
            }
            Kind::Object(id) => Some(&mut self.active_objects[id as usize]),
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

    #[inline]
    fn exit(&mut self, node: Node) {
        self.depth_left += 1;
        match node.kind {
            Kind::List(id) | Kind::Dict(id) | Kind::Set(id) => {
                self.active_containers[id as usize] = false
            }
            Kind::Object(id) => self.active_objects[id as usize] = false,
            _ => {}
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

    /// The root deserializer.
    pub(crate) fn root<'w>(&'w mut self, node: Node) -> NodeDe<'w, 'de, 'a> {
        NodeDe { w: self, node }
    }
}

/// Bytes from the input (lendable for `'de`) or from the scratch buffer (for `'a` only).
enum Bytes<'de, 'a> {
    Borrowed(&'de [u8]),
    Copied(&'a [u8]),
}

#[inline]
fn as_str(b: &[u8]) -> &str {
    // The machine checked every Str span when it made it.
    debug_assert!(std::str::from_utf8(b).is_ok());
    unsafe { std::str::from_utf8_unchecked(b) }
}

/// Add the node's position to an error that has none.
#[inline]
fn at<T>(node: Node, r: Result<T>) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(e) => Err(e.or_at(node.offset(), node.opcode())),
    }
}

#[cold]
fn type_error(node: Node, msg: String) -> Error {
    Error::new(ErrorCode::Type(msg.into())).or_at(node.offset(), node.opcode())
}

/// Deserializes one node of the arena.
pub(crate) struct NodeDe<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    node: Node,
}

impl<'w, 'de, 'a> NodeDe<'w, 'de, 'a> {
    fn class_name(&self, id: Id) -> String {
        let obj = &self.w.arena.objects[id as usize];
        match obj.class.kind {
            Kind::Global(g) => {
                let (m, n) = self.w.global_name(g);
                format!("{m}.{n}")
            }
            _ => "?".into(),
        }
    }

    /// Visit a compound node's children with depth and cycle accounting.
    fn compound<V: Visitor<'de>>(self, visitor: V, lossless: bool) -> Result<V::Value> {
        let node = self.node;
        let w = self.w;
        w.enter(node)?;
        let arena = w.arena;
        let r = match node.kind {
            Kind::Tuple(r) | Kind::FrozenSet(r) => visitor.visit_seq(SliceSeq {
                w: &mut *w,
                items: arena.slice(r).iter(),
            }),
            Kind::List(id) | Kind::Set(id) => visitor.visit_seq(ContainerSeq {
                w: &mut *w,
                items: arena.iter(id),
                left: arena.len(id),
            }),
            Kind::Dict(id) => visitor.visit_map(DictMap {
                w: &mut *w,
                items: arena.iter(id),
                left: arena.len(id) / 2,
                lossless,
            }),
            _ => unreachable!("compound called on a scalar"),
        };
        w.exit(node);
        at(node, r)
    }

    fn natural<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let node = self.node;
        match node.kind {
            Kind::None => at(node, visitor.visit_unit()),
            Kind::Bool(b) => at(node, visitor.visit_bool(b)),
            Kind::Int(i) => at(node, visitor.visit_i64(i)),
            Kind::Float(f) => at(node, visitor.visit_f64(f)),
            Kind::BigInt(span) => {
                let big = crate::value::BigInt::from_le_bytes(
                    span.get(self.w.input, &self.w.arena.scratch),
                );
                if let Some(v) = big.to_u128().and_then(|v| u64::try_from(v).ok()) {
                    at(node, visitor.visit_u64(v))
                } else if let Some(v) = big.to_i128() {
                    at(node, visitor.visit_i128(v))
                } else if let Some(v) = big.to_u128() {
                    at(node, visitor.visit_u128(v))
                } else {
                    Err(type_error(
                        node,
                        format!("integer {big} does not fit in 128 bits"),
                    ))
                }
            }
            Kind::Complex(re, im) => {
                self.w.enter(node)?;
                let r = visitor.visit_seq(de::value::SeqDeserializer::<_, Error>::new(
                    [re, im].into_iter(),
                ));
                self.w.exit(node);
                at(node, r)
            }
            Kind::Str(span) => match self.w.bytes(span) {
                Bytes::Borrowed(b) => at(node, visitor.visit_borrowed_str(as_str(b))),
                Bytes::Copied(b) => at(node, visitor.visit_str(as_str(b))),
            },
            Kind::Bytes(span) | Kind::ByteArray(span) => match self.w.bytes(span) {
                Bytes::Borrowed(b) => at(node, visitor.visit_borrowed_bytes(b)),
                Bytes::Copied(b) => at(node, visitor.visit_bytes(b)),
            },
            Kind::Tuple(_) | Kind::FrozenSet(_) | Kind::List(_) | Kind::Set(_) | Kind::Dict(_) => {
                self.compound(visitor, false)
            }
            Kind::Object(id) => Err(type_error(
                node,
                format!(
                    "an instance of {} has no plain serde form (read it as pypickle::Value)",
                    self.class_name(id)
                ),
            )),
            Kind::Global(g) => {
                let (m, n) = self.w.global_name(g);
                Err(type_error(
                    node,
                    format!(
                        "the global {m}.{n} has no plain serde form (read it as pypickle::Value)"
                    ),
                ))
            }
        }
    }

    /// The form `Value` understands: like `natural`, but the Python types serde lacks come as
    /// tagged maps.
    fn lossless<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let node = self.node;
        let tag = match node.kind {
            Kind::Tuple(_) => Tag::Tuple,
            Kind::Set(_) => Tag::Set,
            Kind::FrozenSet(_) => Tag::FrozenSet,
            Kind::ByteArray(_) => Tag::ByteArray,
            Kind::BigInt(_) => Tag::BigInt,
            Kind::Complex(..) => Tag::Complex,
            Kind::Global(_) => Tag::Global,
            Kind::Object(_) => Tag::Object,
            Kind::Dict(_) => return self.compound(visitor, true),
            _ => return self.natural(visitor),
        };
        let w = self.w;
        w.enter(node)?;
        let r = visitor.visit_map(Tagged {
            w: &mut *w,
            node,
            tag,
            state: 0,
        });
        w.exit(node);
        at(node, r)
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
        match self.node.kind {
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
            return self.lossless(visitor);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node.kind {
            Kind::Bytes(span) | Kind::ByteArray(span) => {
                let node = self.node;
                let bytes = span.get(self.w.input, &self.w.arena.scratch);
                self.w.enter(node)?;
                let r = visitor.visit_seq(de::value::SeqDeserializer::<_, Error>::new(
                    bytes.iter().copied(),
                ));
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
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.natural(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let node = self.node;
        match node.kind {
            Kind::Str(_) => at(node, visitor.visit_enum(Enum { w: self.w, variant: node, payload: None })),
            Kind::Dict(id) if self.w.arena.len(id) == 2 => {
                let mut it = self.w.arena.iter(id);
                let (k, v) = (it.next().expect("len 2"), it.next().expect("len 2"));
                let w = self.w;
                w.enter(node)?;
                let r = visitor.visit_enum(Enum { w: &mut *w, variant: k, payload: Some(v) });
                w.exit(node);
                at(node, r)
            }
            other => Err(type_error(
                node,
                format!(
                    "invalid type: {}, expected enum {name} (a variant name as str, or a one-entry dict {{name: payload}})",
                    other.type_name()
                ),
            )),
        }
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // Nothing to walk: the machine has already checked the whole pickle.
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit_struct map struct identifier
    }
}

/// A sequence that is a range of arena items.
struct SliceSeq<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    items: std::slice::Iter<'a, Node>,
}

impl<'de> SeqAccess<'de> for SliceSeq<'_, 'de, '_> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.items.next() {
            Some(&node) => {
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

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A sequence that is a mutable container.
struct ContainerSeq<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    items: Items<'a>,
    left: usize,
}

impl<'de> SeqAccess<'de> for ContainerSeq<'_, 'de, '_> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
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

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// A dict's keys and values.
struct DictMap<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    items: Items<'a>,
    left: usize,
    lossless: bool,
}

impl<'de> MapAccess<'de> for DictMap<'_, 'de, '_> {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let _ = self.lossless;
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

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let node = self.items.next().expect("dicts hold pairs");
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

/// Enum access: a variant name node and maybe a payload node.
struct Enum<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    variant: Node,
    payload: Option<Node>,
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
            None
            | Some(Node {
                kind: Kind::None, ..
            }) => Ok(()),
            Some(node) => Err(type_error(
                node,
                format!(
                    "invalid type: {}, expected a unit variant's None",
                    node.kind.type_name()
                ),
            )),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        match self.payload {
            Some(node) => seed.deserialize(NodeDe { w: self.w, node }),
            None => Err(type_error(
                self.variant,
                "expected a newtype variant as {name: payload}, found a bare name".into(),
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        match self.payload {
            Some(node) => de::Deserializer::deserialize_seq(NodeDe { w: self.w, node }, visitor),
            None => Err(type_error(
                self.variant,
                "expected a tuple variant as {name: (..)}, found a bare name".into(),
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.payload {
            Some(node) => de::Deserializer::deserialize_any(NodeDe { w: self.w, node }, visitor),
            None => Err(type_error(
                self.variant,
                "expected a struct variant as {name: {..}}, found a bare name".into(),
            )),
        }
    }
}

/// A tagged map `{tag: payload}` for `Value`.
struct Tagged<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    node: Node,
    tag: Tag,
    state: u8,
}

impl<'de> MapAccess<'de> for Tagged<'_, 'de, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.state > 0 {
            return Ok(None);
        }
        self.state = 1;
        seed.deserialize(TagKey(self.tag)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(Payload {
            w: &mut *self.w,
            node: self.node,
        })
    }
}

/// The key of a tagged map: answers the key token with the tag name.
pub(crate) struct TagKey(pub(crate) Tag);

impl<'de> de::Deserializer<'de> for TagKey {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.0.name())
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// The payload of a tagged node.
struct Payload<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    node: Node,
}

impl<'de> de::Deserializer<'de> for Payload<'_, 'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let node = self.node;
        let w = self.w;
        let arena = w.arena;
        match node.kind {
            Kind::Tuple(r) | Kind::FrozenSet(r) => visitor.visit_seq(SliceSeq {
                w,
                items: arena.slice(r).iter(),
            }),
            Kind::Set(id) => visitor.visit_seq(ContainerSeq {
                w,
                items: arena.iter(id),
                left: arena.len(id),
            }),
            Kind::ByteArray(span) | Kind::BigInt(span) => match w.bytes(span) {
                Bytes::Borrowed(b) => visitor.visit_borrowed_bytes(b),
                Bytes::Copied(b) => visitor.visit_bytes(b),
            },
            Kind::Complex(re, im) => visitor.visit_seq(
                de::value::SeqDeserializer::<_, Error>::new([re, im].into_iter()),
            ),
            Kind::Global(g) => {
                let (m, n) = w.global_name(g);
                visitor.visit_seq(de::value::SeqDeserializer::<_, Error>::new(
                    [m, n].into_iter(),
                ))
            }
            Kind::Object(o) => visitor.visit_seq(ObjectParts {
                w,
                object: o,
                index: 0,
            }),
            _ => unreachable!("no payload for an untagged node"),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// An object's parts, in the order `Value`'s object visitor reads them: class, how it was made,
/// args, kwargs (or None), states, list items, dict items.
struct ObjectParts<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    object: Id,
    index: u8,
}

impl<'de> SeqAccess<'de> for ObjectParts<'_, 'de, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let obj = self.w.arena.objects[self.object as usize];
        let i = self.index;
        self.index += 1;
        let w = &mut *self.w;
        let v = match i {
            0 => seed.deserialize(NodeDe { w, node: obj.class })?,
            1 => {
                let made = match obj.made {
                    Made::Call => "call",
                    Made::New => "new",
                    Made::NewEx => "new_ex",
                    Made::Reconstructor => "reconstructor",
                };
                seed.deserialize(de::value::StrDeserializer::<Error>::new(made))?
            }
            2 => seed.deserialize(NodeDe { w, node: obj.args })?,
            3 => match obj.kwargs {
                Some(node) => seed.deserialize(NodeDe { w, node })?,
                None => seed.deserialize(de::value::UnitDeserializer::<Error>::new())?,
            },
            4 => seed.deserialize(ContainerDe {
                w,
                id: obj.states,
                map: false,
            })?,
            5 => seed.deserialize(ContainerDe {
                w,
                id: obj.list,
                map: false,
            })?,
            6 => seed.deserialize(ContainerDe {
                w,
                id: obj.dict,
                map: true,
            })?,
            _ => return Ok(None),
        };
        Ok(Some(v))
    }
}

/// A container (possibly NIL, meaning empty) as a seq, or as a map of its pairs.
struct ContainerDe<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    id: Id,
    map: bool,
}

impl<'de> de::Deserializer<'de> for ContainerDe<'_, 'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let arena = self.w.arena;
        let (items, len) = (
            arena.iter(self.id),
            if self.id == NIL {
                0
            } else {
                arena.len(self.id)
            },
        );
        if self.map {
            visitor.visit_map(DictMap {
                w: self.w,
                items,
                left: len / 2,
                lossless: true,
            })
        } else {
            visitor.visit_seq(ContainerSeq {
                w: self.w,
                items,
                left: len,
            })
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}
