//! The class bridge: how an instance of a Python class (an object node) reaches serde visitors.
//!
//! Which part of an object answers a request is decided by `class::bridge` (see its table),
//! shared with `Value`'s deserializer; this file visits that part. Enums are decided here: the
//! class registered for a variant chooses it, with the object as the payload, or a Python
//! `Enum` member's value chooses a unit variant.
//!
//! A struct, tuple struct, newtype struct or unit struct registered for a class must meet an
//! instance of that class: another class is an error naming both.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::{at, type_error, DictMap, NodeDe, NodeSeq, Walk};
use crate::class::bridge::{
    args_are_arguments, choose, keywords_left_out, made_from_items, merge_attributes, mismatch,
    Facts, Source, Want,
};
use crate::class::{Entry, Known};
use crate::de::arena::{Id, Kind, Node};
use crate::error::{Error, Result};
use crate::value::Value;

impl<'w, 'de, 'a> NodeDe<'w, 'de, 'a> {
    /// `module` and qualified name of an object's class.
    pub(super) fn class_of(&self, id: Id) -> (&'a str, &'a str) {
        match self.w.arena.objects[id as usize].class.kind() {
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
    ///
    /// The pairs of every state after the first are charged to the budget as they are
    /// gathered: a pickle may BUILD the same memoized dict into an object again and again, a
    /// few bytes each time.
    fn attributes(&mut self, id: Id) -> Result<Option<Vec<&'a Node>>> {
        let arena = self.w.arena;
        let obj = &arena.objects[id as usize];
        if arena.len(obj.states) == 0 {
            return Ok(None);
        }
        let dict_like = |n: &Node| matches!(n.kind(), Kind::Dict(_) | Kind::None);
        let mut dicts = Vec::new();
        for (i, state) in arena.iter(obj.states).enumerate() {
            // `(dict, slots)`, or one state.
            let parts = match state.kind() {
                Kind::Tuple(r) if r.len == 2 && arena.slice(r).iter().all(dict_like) => {
                    arena.slice(r)
                }
                _ => std::slice::from_ref(state),
            };
            for part in parts {
                match part.kind() {
                    Kind::Dict(d) => {
                        if i > 0 {
                            at(self.node, self.w.spend_n(arena.len(d)))?;
                        }
                        dicts.push(d);
                    }
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
            }
        }
        // A later part sets an attribute again (the slots half after the dict half, a later
        // BUILD): Python keeps the last value.
        let parts = dicts.into_iter().map(|d| {
            let mut items = arena.iter(d);
            std::iter::from_fn(move || Some((items.next()?, items.next()?)))
        });
        let pairs = merge_attributes(parts, |k: &&Node| self.key_text(k));
        Ok(Some(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()))
    }

    fn object(&self, id: Id) -> &'a crate::de::arena::Object {
        &self.w.arena.objects[id as usize]
    }

    /// The constructor's arguments. For `copyreg._reconstructor(cls, base, state)` (protocols
    /// 0-1) that is `base.__new__(cls, state)`: nothing for `object` (or a list or dict base,
    /// whose state holds the items), the items of the tuple for a `tuple` subclass (a
    /// `namedtuple`), else the state itself.
    fn args(&self, id: Id) -> &'a [Node] {
        let arena = self.w.arena;
        let obj = self.object(id);
        let Kind::Tuple(r) = obj.args.kind() else {
            return &[];
        };
        let args = arena.slice(r);
        if obj.made != crate::value::Made::Reconstructor {
            return args;
        }
        let [base, state] = args else { return args };
        let known = match base.kind() {
            Kind::Global(g) => Some(arena.globals[g as usize].known),
            _ => None,
        };
        match (known, state.kind()) {
            (Some(Known::Object | Known::List | Known::Dict), _) | (_, Kind::None) => &[],
            (Some(Known::Tuple), Kind::Tuple(items)) => arena.slice(items),
            _ => &args[1..],
        }
    }

    /// The one argument the object was made with, if that is all that made it (no keyword
    /// arguments, state, or items): a tuple subclass's tuple at protocols 0-1.
    fn sole_argument(&self, id: Id) -> Option<&'a Node> {
        // An empty state is no state: Python 2 sets `{}` on a `str` subclass's instance.
        if !self.arguments_and_empty_states_only(id) {
            return None;
        }
        if let Some(tuple) = self.reconstructed_tuple(id) {
            return Some(tuple);
        }
        self.one_argument(id)
    }

    /// The one constructor argument the object was made with, if that is all that made it,
    /// with a tuple subclass's tuple spread at protocols 0-1 (as [`Self::args`] spreads it,
    /// where [`Self::sole_argument`] keeps it): a one-field namedtuple's field.
    fn one_argument(&self, id: Id) -> Option<&'a Node> {
        if !self.arguments_and_empty_states_only(id) {
            return None;
        }
        match self.args(id) {
            [arg] => Some(arg),
            _ => None,
        }
    }

    /// The one str or bytes an instance was made from and nothing else, where its class has
    /// no reading of its own (the standard library's and numpy's types, a registered Python
    /// `Enum`): what a `str` or `bytes` subclass's instance holds.
    pub(super) fn text_argument(&self) -> Option<&'a Node> {
        self.plain_argument().filter(|arg| is_text(&arg.kind()))
    }

    /// The one int, float or bool an instance was made from and nothing else, where its class
    /// has no reading of its own: what an `int` or `float` subclass's instance holds, and the
    /// value of a member of an `Enum` (`IntEnum`, `IntFlag`, ...) that is not registered.
    pub(super) fn number_argument(&self) -> Option<&'a Node> {
        self.plain_argument().filter(|arg| is_number(&arg.kind()))
    }

    /// The one str, bytes or number an instance was made from alone, where its class has no
    /// reading of its own (see [`Self::plain_argument`]).
    #[cold]
    #[inline(never)]
    fn scalar_argument(&self) -> Option<&'a Node> {
        self.plain_argument()
            .filter(|arg| is_text(&arg.kind()) || is_number(&arg.kind()))
    }

    /// The one argument an instance of a class with no reading of its own (not one of the
    /// standard library's or numpy's types) was made from, if nothing else made it. For a
    /// member of a registered Python `Enum` (`Class(value)`), its value, which is what a
    /// number asked of it gets. For a class registered as a `namedtuple`, the one field of a
    /// one-field instance at every protocol: protocols 2-5 write its field as the argument
    /// (`cls.__new__(cls, 5)`), 0-1 the tuple (`copyreg._reconstructor(cls, tuple, (5,))`),
    /// which for another tuple subclass stays the argument, as `cls.__new__(cls, (5,))`
    /// writes it at 2-5.
    pub(super) fn plain_argument(&self) -> Option<&'a Node> {
        let Kind::Object(id) = self.node.kind() else {
            return None;
        };
        let (m, q) = self.class_of(id);
        if crate::stdlib::is_allowed(m, q) || crate::numpy::is_allowed(m, q) {
            return None;
        }
        if self.w.opts.registry.is_namedtuple(m, q) {
            self.one_argument(id)
        } else {
            self.sole_argument(id)
        }
    }

    /// Whether the node is an instance of a registered Python `Enum` class.
    pub(super) fn is_python_enum_member(&self) -> bool {
        let Kind::Object(id) = self.node.kind() else {
            return false;
        };
        let (m, q) = self.class_of(id);
        self.w.opts.registry.python_enums(m, q).next().is_some()
    }

    /// The text of a str attribute name.
    fn key_text(&self, key: &Node) -> Option<&'a [u8]> {
        match key.kind() {
            Kind::Str(span) => Some(span.get(self.w.input, &self.w.arena.scratch)),
            _ => None,
        }
    }

    /// Whether the object was made with no arguments, state or items: `cls.__new__(cls)`.
    fn is_bare(&self, id: Id) -> bool {
        self.arguments_only(id) && self.args(id).is_empty()
    }

    /// Whether nothing but positional arguments made the object: no keyword arguments,
    /// state, or items.
    fn arguments_only(&self, id: Id) -> bool {
        self.object(id).states == crate::de::arena::NIL && self.arguments_and_empty_states_only(id)
    }

    /// [`Self::arguments_only`], but states that set nothing (`None`, `{}`) count as none.
    fn arguments_and_empty_states_only(&self, id: Id) -> bool {
        let obj = self.object(id);
        obj.kwargs.is_none()
            && obj.list == crate::de::arena::NIL
            && obj.dict == crate::de::arena::NIL
            && !self.w.arena.iter(obj.states).any(|s| self.has_content(s))
    }

    /// At protocols 0-1 a tuple subclass is `copyreg._reconstructor(cls, tuple, (...))`: that
    /// tuple, which [`Self::args`] spreads into the constructor's arguments.
    pub(super) fn reconstructed_tuple(&self, id: Id) -> Option<&'a Node> {
        match self.reconstructed(id)? {
            (Known::Tuple, state) if matches!(state.kind(), Kind::Tuple(_)) => Some(state),
            _ => None,
        }
    }

    /// For `copyreg._reconstructor(cls, base, state)` (protocols 0-1) with a global base: what
    /// the base is, and the state.
    fn reconstructed(&self, id: Id) -> Option<(Known, &'a Node)> {
        let arena = self.w.arena;
        let obj = self.object(id);
        if obj.made != crate::value::Made::Reconstructor {
            return None;
        }
        let Kind::Tuple(r) = obj.args.kind() else {
            return None;
        };
        let [base, state] = arena.slice(r) else {
            return None;
        };
        let Kind::Global(g) = base.kind() else {
            return None;
        };
        Some((arena.globals[g as usize].known, state))
    }

    /// At protocols 0-1 a dict or list subclass is `copyreg._reconstructor(cls, dict, {...})`
    /// (or `list, [...]`): that dict or list holds its items.
    fn base_items(&self, id: Id) -> Option<&'a Node> {
        // `Counter({...})`: the dict is its items.
        let (module, name) = self.class_of(id);
        if made_from_items(module, name) {
            return self.constructor_dict(id);
        }
        match self.reconstructed(id)? {
            (Known::Dict, state) if matches!(state.kind(), Kind::Dict(_)) => Some(state),
            (Known::List, state) if matches!(state.kind(), Kind::List(_)) => Some(state),
            _ => None,
        }
    }

    /// The one dict a constructor was given (`Counter({...})`), if that is all it was given.
    fn constructor_dict(&self, id: Id) -> Option<&'a Node> {
        match self.args(id) {
            [n] if matches!(n.kind(), Kind::Dict(_)) => Some(n),
            _ => None,
        }
    }

    /// The keyword arguments of a NEWOBJ_EX, if there are any.
    fn keywords(&self, id: Id) -> Option<&'a Node> {
        match &self.object(id).kwargs {
            Some(n) if matches!(n.kind(), Kind::Dict(d) if self.w.arena.len(d) > 0) => Some(n),
            _ => None,
        }
    }

    /// An object's one BUILD state when that is a sequence of values: a tuple other than
    /// `(dict, slots)`, what a `__getstate__` returning a tuple wrote, or a list, the field
    /// values in order as a frozen `@dataclass(slots=True)` pickles them. With `fields` (the
    /// class is registered as taking its field values in order) any tuple is one: two dicts
    /// or `None`s are two field values, not a `(dict, slots)` pair.
    fn tuple_state(&self, id: Id, fields: bool) -> Option<&'a Node> {
        let arena = self.w.arena;
        let mut states = arena.iter(self.object(id).states);
        let (Some(state), None) = (states.next(), states.next()) else {
            return None;
        };
        match state.kind() {
            Kind::Tuple(r) => {
                let items = arena.slice(r);
                let dict_like = |n: &Node| matches!(n.kind(), Kind::Dict(_) | Kind::None);
                (fields || !(items.len() == 2 && items.iter().all(dict_like))).then_some(state)
            }
            Kind::List(_) => Some(state),
            _ => None,
        }
    }

    fn facts(&self, id: Id, fields: bool) -> Facts {
        let arena = self.w.arena;
        let obj = self.object(id);
        let base = self.base_items(id).map(|n| n.kind());
        let tuple_state = self.tuple_state(id, fields).is_some();
        let args = self.args(id);
        let kwargs = self.keywords(id).is_some();
        let base_content = match base {
            Some(Kind::List(c) | Kind::Dict(c)) => arena.len(c) > 0,
            _ => false,
        };
        let state_content = arena.iter(obj.states).any(|s| self.has_content(s));
        let (module, name) = self.class_of(id);
        Facts {
            list_items: arena.len(obj.list) > 0
                || matches!(base, Some(Kind::List(_)))
                || (module, name) == ("collections", "deque"),
            dict_items: arena.len(obj.dict) > 0 || matches!(base, Some(Kind::Dict(_))),
            attributes: arena.len(obj.states) > 0 && !tuple_state,
            tuple_state,
            ctor_dict: self.constructor_dict(id).is_some(),
            args: args_are_arguments(module, name, args.len()),
            kwargs,
            content: arena.len(obj.list) > 0
                || arena.len(obj.dict) > 0
                || base_content
                || state_content
                || args_are_arguments(module, name, args.len())
                || kwargs,
        }
    }

    /// Whether a BUILD state holds something: not `None`, an empty dict or tuple, or a
    /// `(dict, slots)` pair of those.
    fn has_content(&self, state: &Node) -> bool {
        let arena = self.w.arena;
        match state.kind() {
            Kind::None => false,
            Kind::Dict(d) => arena.len(d) > 0,
            Kind::Tuple(r) => arena.slice(r).iter().any(|n| self.has_content(n)),
            _ => true,
        }
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

    fn visit_pairs<V: Visitor<'de>>(self, pairs: Vec<&'a Node>, visitor: V) -> Result<V::Value> {
        self.within(|w| {
            let again = |_: &Walk<'de, 'a>| pairs.iter().copied();
            DictMap::visit(w, pairs.iter().copied(), pairs.len(), visitor, again)
        })
    }

    fn visit_items<V: Visitor<'de>>(self, items: Vec<&'a Node>, visitor: V) -> Result<V::Value> {
        self.within(|w| {
            let len = items.len();
            NodeSeq::visit(w, items.into_iter(), len, visitor)
        })
    }

    /// A container node that stands for the object's content, visited as itself.
    fn visit_node<V: Visitor<'de>>(self, node: &'a Node, visitor: V) -> Result<V::Value> {
        let w = self.w;
        NodeDe { w, node }.compound(visitor)
    }

    /// Whether the object is a collection whose constructor got items (see
    /// `stdlib::has_constructor_items`), told from the arena without building anything.
    fn items_in_constructor(&self, id: Id) -> bool {
        let (module, name) = self.class_of(id);
        if module != "collections" {
            return false;
        }
        let arena = self.w.arena;
        match (name, self.args(id)) {
            ("OrderedDict", [_, ..]) | ("defaultdict", [_, _, ..]) => true,
            ("deque", [items, ..]) => match items.kind() {
                Kind::List(r) => arena.len(r) > 0,
                Kind::Tuple(r) => r.len > 0,
                _ => true,
            },
            _ => false,
        }
    }

    /// The natural form of the standard library object at this node, if it has one (see
    /// `stdlib::into_natural`); an array's items made again for a later reference are charged to
    /// the bytes budget before they are made.
    fn stdlib_natural(&mut self) -> Result<Option<Value>> {
        let node = self.node;
        let Value::Object(obj) = self.w.build(*node)? else {
            return Ok(None);
        };
        if let (Kind::Object(id), "array") = (node.kind(), obj.class.module.as_str()) {
            // Its items the first time are the pickle's own values, as a list's are; made
            // again for each later reference, they are charged as a list's are.
            let rare = self.w.rare.get_or_insert_with(Default::default);
            if !rare.arrays_seen.insert(id) {
                if let Some(n) = crate::stdlib::array_bytes(&obj) {
                    at(node, self.w.spend_bytes(n))?;
                }
            }
        }
        Ok(crate::stdlib::into_natural(obj).ok())
    }

    /// Visit the part of the object that [`choose`] picks for `want`.
    fn visit_part<V: Visitor<'de>>(mut self, id: Id, want: Want, visitor: V) -> Result<V::Value> {
        let arena = self.w.arena;
        let obj = self.object(id);
        if self.items_in_constructor(id) {
            // Python 2's `OrderedDict([[k, v], ...])`, `deque([...])`: the items, whatever is
            // asked for.
            let node = self.node;
            if let Value::Object(o) = self.w.build(*node)? {
                if crate::stdlib::has_constructor_items(&o) {
                    let items = crate::stdlib::into_constructor_items(*o)?;
                    return at(node, de::Deserializer::deserialize_any(items, visitor));
                }
            }
        }
        let (m, q) = self.class_of(id);
        if crate::stdlib::natural_is_items(m, q) {
            // An `array.array`'s items, a `struct_time`'s nine fields: as their natural forms
            // have them.
            if let Some(items) = self.stdlib_natural()? {
                return at(self.node, de::Deserializer::deserialize_any(items, visitor));
            }
        }
        // A class registered as taking its field values in order, whatever reads it (its
        // struct, a variant's payload, serde's buffer for an untagged enum or a flattened
        // field): see `tuple_state`.
        let fields = self.w.opts.registry.takes_fields_state(m, q);
        let facts = self.facts(id, fields);
        match choose(want, &facts) {
            Source::ListItems if arena.len(obj.list) == 0 => match self.base_items(id) {
                Some(list) => self.visit_node(list, visitor),
                None => self.visit_items(Vec::new(), visitor),
            },
            Source::ListItems => self.visit_items(arena.iter(obj.list).collect(), visitor),
            Source::DictItems if arena.len(obj.dict) == 0 => match self.base_items(id) {
                Some(dict) => self.visit_node(dict, visitor),
                None => self.visit_pairs(Vec::new(), visitor),
            },
            Source::DictItems => self.visit_pairs(arena.iter(obj.dict).collect(), visitor),
            Source::Attributes => {
                let mut this = self;
                let pairs = this.attributes(id)?.unwrap_or_default();
                this.visit_pairs(pairs, visitor)
            }
            Source::TupleState => {
                let items = match self.tuple_state(id, fields).map(|s| s.kind()) {
                    Some(Kind::Tuple(r)) => arena.slice(r).iter().collect(),
                    Some(Kind::List(l)) => arena.iter(l).collect(),
                    _ => Vec::new(),
                };
                self.visit_items(items, visitor)
            }
            Source::CtorDict => match self.constructor_dict(id) {
                Some(dict) => self.visit_node(dict, visitor),
                None => self.visit_pairs(Vec::new(), visitor),
            },
            Source::Keywords => match self.keywords(id) {
                Some(dict) => self.visit_node(dict, visitor),
                None => self.visit_pairs(Vec::new(), visitor),
            },
            Source::KeywordsLeftOut => {
                let (m, q) = self.class_of(id);
                let why = keywords_left_out(format_args!("{m}.{q}"), want);
                Err(type_error(self.node, why))
            }
            Source::Args => {
                let args = self.args(id).iter().collect();
                self.visit_items(args, visitor)
            }
            Source::Mismatch => {
                let (m, q) = self.class_of(id);
                let why = mismatch(format_args!("{m}.{q}"), want, &facts);
                Err(type_error(self.node, why))
            }
            Source::Nothing if want == Want::Seq => self.visit_items(Vec::new(), visitor),
            Source::Nothing => self.visit_pairs(Vec::new(), visitor),
        }
    }

    /// An object read as `want`; `rust` names a struct or tuple struct to check against the
    /// registry (None: nothing to check, as for a variant's payload, already chosen by class).
    pub(super) fn object_as<V: Visitor<'de>>(
        self,
        id: Id,
        rust: Option<&str>,
        want: Want,
        visitor: V,
    ) -> Result<V::Value> {
        let opts = self.w.opts;
        let entry = rust.and_then(|r| opts.registry.struct_entry(r));
        // serde's own `SystemTime` and `Duration` are structs of seconds and nanoseconds: a
        // Python datetime or timedelta goes through this crate's types, which an error that
        // reading it so makes says (a user's own struct of those names reads as any does).
        let (m, q) = self.class_of(id);
        let std_time = match ((m, q), rust) {
            (("datetime", "datetime"), Some("SystemTime")) if entry.is_none() => {
                Some("datetime.datetime is read as pypickle::stdlib::DateTime, then `SystemTime::try_from(&dt)`")
            }
            (("datetime", "timedelta"), Some("Duration")) if entry.is_none() => {
                Some("datetime.timedelta is read as pypickle::stdlib::TimeDelta, then `Duration::try_from(td)`")
            }
            _ => None,
        };
        // A numpy array's parts (a class, a shape, raw bytes) are no sequence, map or struct of
        // elements.
        if want != Want::Any
            && entry.is_none()
            && matches!(q, "_reconstruct" | "_frombuffer")
            && crate::numpy::is_array(m, q)
        {
            return Err(type_error(
                self.node,
                "a numpy array is read as pypickle::numpy::NdArray (its `to_vec::<T>()` gives the elements) or pypickle::Value, not as a sequence, map or struct".into(),
            ));
        }
        if let Some(rust) = rust {
            self.check_class(id, rust, entry)?;
        }
        let node = self.node;
        match (self.visit_part(id, want, visitor), std_time) {
            (Err(_), Some(how)) => Err(type_error(
                node,
                format!(
                    "a {how}: serde's {} is a struct of seconds and nanoseconds",
                    rust.unwrap_or_default()
                ),
            )),
            (r, _) => r,
        }
    }

    pub(super) fn object_any<V: Visitor<'de>>(mut self, id: Id, visitor: V) -> Result<V::Value> {
        let (m, q) = self.class_of(id);
        if self.w.opts.registry.python_enums(m, q).next().is_some() {
            // A member of a registered Python `Enum`: its variant's name, as serde's own
            // buffering (an untagged enum, say) holds a unit variant.
            let variant = self.member_variant(id, None)?;
            return at(self.node, visitor.visit_str(&variant));
        }
        if crate::stdlib::is_allowed(m, q) && crate::stdlib::may_be_natural(m, q) {
            // A datetime, Decimal, UUID, ...: its natural form (ISO text, str, ...).
            if let Some(v) = self.stdlib_natural()? {
                return at(self.node, de::Deserializer::deserialize_any(v, visitor));
            }
        }
        if let Some(node) = self.scalar_argument() {
            // A `str` or `int` subclass's instance, an `Enum` member: its one scalar (as
            // Python's `json` writes the subclasses), where serde buffers (`flatten`,
            // `untagged`) as where it asks for a str or number.
            return NodeDe { w: self.w, node }.natural(visitor);
        }
        if crate::numpy::is_array(m, q) {
            // A numpy array: a dict of dtype, shape, order and data, which NdArray reads back
            // (through an untagged enum's buffer, say).
            let node = self.node;
            if let Value::Object(obj) = self.w.build(*node)? {
                if let Some(v) = crate::numpy::natural(&obj) {
                    return at(node, de::Deserializer::deserialize_any(v, visitor));
                }
            }
        }
        self.visit_part(id, Want::Any, visitor)
    }

    /// A registered newtype struct: the instance's one constructor argument, or for a
    /// container class the instance itself (its dict or list items, as the content asks).
    pub(super) fn object_newtype<V: Visitor<'de>>(
        self,
        id: Id,
        entry: &Entry,
        rust: &str,
        visitor: V,
    ) -> Result<V::Value> {
        self.check_class(id, rust, Some(entry))?;
        let node = self.node;
        let tuple_state = self.reconstructed_tuple(id);
        let content = match self.args(id) {
            _ if entry.container => node,
            // A one-field namedtuple at protocols 0-1: its field, the tuple's one item.
            _ if entry.namedtuple && tuple_state.is_some() => {
                let tuple = tuple_state.expect("checked");
                let Kind::Tuple(r) = tuple.kind() else {
                    unreachable!("reconstructed_tuple gives tuples")
                };
                match self.w.arena.slice(r) {
                    [field] => field,
                    fields => {
                        return Err(type_error(
                            node,
                            format!(
                                "{rust} is a newtype struct for the namedtuple {}.{}, but the \
                                 instance holds {} fields, not 1",
                                entry.module,
                                entry.qualname,
                                fields.len()
                            ),
                        ))
                    }
                }
            }
            // A tuple subclass at protocols 0-1: the tuple is the one value, not its items.
            _ if tuple_state.is_some() => tuple_state.expect("checked"),
            [arg] => arg,
            args => {
                return Err(type_error(
                    node,
                    format!(
                        "{rust} is a newtype struct, but its {}.{} was made with {} arguments, \
                         not 1{}",
                        entry.module,
                        entry.qualname,
                        args.len(),
                        if args.is_empty() {
                            " (for a subclass of dict or list, register it with \
                             ClassRegistry::container_class)"
                        } else {
                            ""
                        }
                    ),
                ))
            }
        };
        let w = self.w;
        if entry.container {
            // The instance itself, which its content's visit enters.
            w.descend(node)?;
            let r = visitor.visit_newtype_struct(NodeDe { w: &mut *w, node });
            w.ascend();
            return at(node, r);
        }
        w.enter(node)?;
        let r = visitor.visit_newtype_struct(NodeDe {
            w: &mut *w,
            node: content,
        });
        w.exit(node);
        at(node, r)
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

    /// A global read as the enum `rust`: a member of its registered Python `Enum` class
    /// named as `Class.Member` (`getattr(Class, 'Member')`, as `enum.pickle_by_enum_name`
    /// pickles one) is the variant of that name; one no variant is registered for reaches
    /// a `#[serde(other)]` variant by its name.
    #[cold]
    #[inline(never)]
    pub(super) fn global_enum<V: Visitor<'de>>(
        self,
        g: Id,
        rust: &str,
        visitor: V,
    ) -> Result<V::Value> {
        let node = self.node;
        let (m, q) = self.w.global_name(g);
        let registry = &self.w.opts.registry;
        let variant = match registry.enum_member(m, q, Some(rust)) {
            Some((_, variant)) => Cow::Borrowed(variant),
            None => match registry.other_member(m, q, Some(rust)) {
                Some((_, member)) => Cow::Owned(member.to_owned()),
                None => return Err(super::not_an_enum(node, "global", rust)),
            },
        };
        self.unit_member(variant, visitor)
    }

    /// The unit variant `variant`, which a Python `Enum` member stands for.
    fn unit_member<V: Visitor<'de>>(
        self,
        variant: Cow<'static, str>,
        visitor: V,
    ) -> Result<V::Value> {
        let node = self.node;
        at(
            node,
            visitor.visit_enum(ClassVariant {
                w: self.w,
                variant,
                object: None,
            }),
        )
    }

    /// An object read as the enum `rust`: its class chooses the variant.
    pub(super) fn object_enum<V: Visitor<'de>>(
        mut self,
        id: Id,
        rust: &str,
        visitor: V,
    ) -> Result<V::Value> {
        let (m, q) = self.class_of(id);
        let node = self.node;
        let Some(entry) = self.w.opts.registry.variant_for(rust, m, q) else {
            return Err(type_error(
                node,
                format!(
                    "an instance of {m}.{q} is not a variant of enum {rust}: register the class \
                     with ClassRegistry::variant or ClassRegistry::python_enum"
                ),
            ));
        };
        if let Some(variant) = entry.variant {
            // The payload is the object itself (see `newtype_variant_seed`).
            return at(
                node,
                visitor.visit_enum(ClassVariant {
                    w: self.w,
                    variant: Cow::Borrowed(variant),
                    object: Some((node, id)),
                }),
            );
        }
        let variant = self.member_variant(id, Some(entry))?;
        self.unit_member(variant, visitor)
    }

    /// The unit variant a member of a registered Python `Enum` class stands for: the member is
    /// pickled as `Class(value)`, and `entry` (else the first of the class's entries listing
    /// that value) names the variant. A value no variant is registered for is an error, or,
    /// for an enum with a `#[serde(other)]` variant, the name `Class(value)`, which that
    /// variant takes.
    #[cold]
    #[inline(never)]
    fn member_variant(&mut self, id: Id, entry: Option<&Entry>) -> Result<Cow<'static, str>> {
        let (m, q) = self.class_of(id);
        let node = self.node;
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
        let registry = &self.w.opts.registry;
        let variant_in = |e: &Entry| e.members.iter().find(|(v, _)| *v == value).map(|m| m.1);
        let (variant, other) = match entry {
            Some(e) => (variant_in(e), e.other_members),
            None => (
                registry.python_enums(m, q).find_map(variant_in),
                registry.python_enums(m, q).any(|e| e.other_members),
            ),
        };
        match variant {
            Some(variant) => Ok(Cow::Borrowed(variant)),
            None if other => Ok(Cow::Owned(format!("{q}({value})"))),
            None => {
                let rust = entry.or_else(|| registry.python_enums(m, q).next());
                Err(type_error(
                    node,
                    format!(
                        "{m}.{q}({value}) is not one of the members registered for {}",
                        rust.map_or("", |e| e.rust)
                    ),
                ))
            }
        }
    }
}

/// The payload of a newtype variant registered for a class, as the writer writes it (see
/// `ser/class.rs`). When the instance was made with one constructor argument and nothing
/// else, that argument is a scalar, `None`, unit or enum payload (`MyInt(5)` for
/// `Shape::I(i64)`), and a sequence payload if it is a tuple (`MyTuple((1, 2))`: a
/// one-field `namedtuple` holding a list is its arguments, as before). A struct, map or tuple
/// struct payload, and a sequence otherwise, is the instance itself (its state, or its
/// arguments by position), whatever class its own type is registered for: the variant's class
/// stands for it. A unit or unit struct payload is also a bare instance.
struct VariantPayload<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    node: &'a Node,
    id: Id,
    arg: Option<&'a Node>,
    /// Made with no arguments, state or items.
    bare: bool,
}

impl<'a> VariantPayload<'_, '_, 'a> {
    /// The node a scalar is read from.
    fn scalar(&self) -> &'a Node {
        self.arg.unwrap_or(self.node)
    }

    /// Whether the instance was made as `copyreg._reconstructor` makes one (protocols 0-1).
    fn reconstructed(&self) -> bool {
        self.w.arena.objects[self.id as usize].made == crate::value::Made::Reconstructor
    }

    /// The node anything else is read from: the instance.
    fn instance(&self) -> &'a Node {
        self.node
    }

    /// The node a sequence is read from: the argument if it is a tuple.
    fn sequence(&self) -> &'a Node {
        match self.arg {
            Some(arg) if matches!(arg.kind(), Kind::Tuple(_)) => arg,
            _ => self.node,
        }
    }
}

/// `VariantPayload`'s methods that read from the node `$pick` gives.
macro_rules! variant_payload {
    ($($pick:ident: $($method:ident($($arg:ident: $ty:ty),*))*;)*) => {$($(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value> {
            let node = self.$pick();
            de::Deserializer::$method(NodeDe { w: self.w, node }, $($arg,)* visitor)
        }
    )*)*};
}

impl<'de> de::Deserializer<'de> for VariantPayload<'_, 'de, '_> {
    type Error = Error;

    variant_payload! {
        scalar: deserialize_bool() deserialize_i8() deserialize_i16() deserialize_i32()
            deserialize_i64() deserialize_i128() deserialize_u8() deserialize_u16()
            deserialize_u32() deserialize_u64() deserialize_u128() deserialize_f32()
            deserialize_f64() deserialize_char() deserialize_str() deserialize_string()
            deserialize_bytes() deserialize_byte_buf()
            deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        sequence: deserialize_seq() deserialize_tuple(len: usize);
        instance: deserialize_map() deserialize_identifier() deserialize_ignored_any();
    }

    /// What the writer wrote: a struct-like payload as the instance, with no arguments; any
    /// other as the one argument (`serde_json::Value`, an untagged enum).
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let node = self.scalar();
        de::Deserializer::deserialize_any(NodeDe { w: self.w, node }, visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.arg {
            Some(arg) if matches!(arg.kind(), Kind::None) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.bare {
            return visitor.visit_unit();
        }
        let node = self.scalar();
        de::Deserializer::deserialize_unit(NodeDe { w: self.w, node }, visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name.starts_with('$') {
            // `Value`, a stdlib type, an array: the argument, as the writer writes one such
            // (a dict `Value` is the state, read as the instance).
            let node = self.scalar();
            return de::Deserializer::deserialize_newtype_struct(
                NodeDe { w: self.w, node },
                name,
                visitor,
            );
        }
        match self
            .w
            .opts
            .registry
            .struct_entry(name)
            .map(|e| (e.container, e.namedtuple))
        {
            // A newtype with a container class of its own: the instance's items.
            Some((true, _)) => visitor.visit_newtype_struct(NodeDe {
                w: self.w,
                node: self.node,
            }),
            // One with a class of its own (which the variant's stands for): its one argument;
            // for a one-field namedtuple made as a tuple subclass (protocols 0-1), the
            // tuple's one item.
            Some((false, namedtuple)) => {
                let node = match self.arg.map(|a| a.kind()) {
                    Some(Kind::Tuple(r)) if namedtuple && self.reconstructed() => {
                        match self.w.arena.slice(r) {
                            [field] => field,
                            _ => self.scalar(),
                        }
                    }
                    _ => self.scalar(),
                };
                visitor.visit_newtype_struct(NodeDe { w: self.w, node })
            }
            // No class: seen through, as the writer sees through it.
            None => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        let (node, id) = (self.node, self.id);
        NodeDe { w: self.w, node }.object_as(id, None, Want::Seq, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let (node, id) = (self.node, self.id);
        NodeDe { w: self.w, node }.object_as(id, None, Want::Struct, visitor)
    }
}

/// The variant a class stands for, with the instance as its payload (None: a unit variant of
/// a Python `Enum` member).
struct ClassVariant<'w, 'de, 'a> {
    w: &'w mut Walk<'de, 'a>,
    variant: Cow<'static, str>,
    object: Option<(&'a Node, Id)>,
}

impl<'w, 'de, 'a> de::EnumAccess<'de> for ClassVariant<'w, 'de, 'a> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(mut self, seed: V) -> Result<(V::Value, Self)> {
        let name = std::mem::take(&mut self.variant);
        let d: de::value::CowStrDeserializer<'_, Error> = name.into_deserializer();
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
            Some((node, id)) => {
                // The object itself, which its payload's visit enters; or its one argument.
                let w = self.w;
                let this = NodeDe { w: &mut *w, node };
                let (arg, bare) = (this.sole_argument(id), this.is_bare(id));
                w.descend(node)?;
                let r = seed.deserialize(VariantPayload {
                    w: &mut *w,
                    node,
                    id,
                    arg,
                    bare,
                });
                w.ascend();
                r
            }
            None => seed.deserialize(().into_deserializer()),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        match self.object {
            Some((node, id)) => NodeDe { w: self.w, node }.object_as(id, None, Want::Seq, visitor),
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
            Some((node, id)) => {
                NodeDe { w: self.w, node }.object_as(id, None, Want::Struct, visitor)
            }
            None => visitor.visit_map(NoEntries),
        }
    }
}

/// A map with no entries whose `next_value` is an error, not serde's `MapDeserializer`'s
/// panic, for a `Deserialize` impl that asks for one anyway.
struct NoEntries;

impl<'de> de::MapAccess<'de> for NoEntries {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, _seed: K) -> Result<Option<K::Value>> {
        Ok(None)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, _seed: V) -> Result<V::Value> {
        Err(crate::de::value_without_key())
    }
}

/// A str or bytes: what an instance made from one alone stands for as text.
fn is_text(kind: &Kind) -> bool {
    matches!(kind, Kind::Str(_) | Kind::Bytes(_))
}

/// An int, float or bool: what an instance made from one alone stands for as a number.
fn is_number(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Int(_) | Kind::BigInt(_) | Kind::Float(_) | Kind::Bool(_)
    )
}
