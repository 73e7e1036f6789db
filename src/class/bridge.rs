//! Which part of a Python object answers a serde request: the rules shared by the arena walker
//! (`de/walk/object.rs`) and by `Value`'s own deserializer (`from_value`).
//!
//! | asked for | the first part the object has, in this order |
//! |---|---|
//! | a struct | attributes (BUILD state dicts, merged with `__slots__` state); dict items; keyword arguments (NEWOBJ_EX, none positional); constructor arguments (a `namedtuple`, in field order); a tuple or list state (`__getstate__` returning one, as a frozen `@dataclass(slots=True)` does: its field values in order) |
//! | a map | dict items (a dict subclass: `OrderedDict`, `defaultdict`; the dict a `Counter` is made from); attributes; the one dict its constructor got; keyword arguments (none positional) |
//! | a sequence | list items (a list subclass, `deque`); constructor arguments; a tuple state |
//! | anything | list items; dict items; attributes; a tuple state; the constructor's dict; keyword arguments (none positional); constructor arguments |
//!
//! Positional arguments (or the constructor's one dict) chosen from an object that got keyword
//! arguments too would leave the keywords out, and so would nothing: that is an error
//! ([`Source::KeywordsLeftOut`]), never a value without them. An object that has parts, none of
//! them in the row asked for (an `OrderedDict` read as a sequence, a `namedtuple` as a map), is
//! an error too ([`Source::Mismatch`]); an object with nothing in its parts reads as empty.
//!
//! "List items" and "dict items" are what APPEND(S) and SETITEM(S) added, or at protocols 0-1
//! the list or dict that `copyreg._reconstructor(cls, list, [...])` was given. A
//! `defaultdict`'s factory and a `Counter`'s dict are not constructor arguments. A standard
//! library object (datetime, Decimal, ...) asked for anything gives its natural form instead
//! (see [`crate::stdlib`]).

/// What the caller asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    Any,
    Map,
    Seq,
    Struct,
}

/// What an object has, as far as choosing goes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Facts {
    /// List items (or the class is `collections.deque`, whose items are always its content).
    pub list_items: bool,
    pub dict_items: bool,
    /// BUILD states that are attribute dicts (or `(dict, slots)` pairs, or anything else that
    /// is not a plain tuple: reading those as attributes reports what they are).
    pub attributes: bool,
    /// One BUILD state that is a plain tuple.
    pub tuple_state: bool,
    /// The constructor got exactly one argument, a dict.
    pub ctor_dict: bool,
    /// The constructor got arguments.
    pub args: bool,
    /// The constructor got keyword arguments (NEWOBJ_EX, `copyreg.__newobj_ex__`).
    pub kwargs: bool,
    /// Some part holds something: items, a state that is not empty, constructor arguments
    /// (but a `defaultdict`'s factory alone), keyword arguments. An object with parts but no
    /// content (an empty `defaultdict(list)`, an empty list subclass at protocols 0-1, a
    /// `__getstate__` that returned `{}`) reads as empty in any shape.
    pub content: bool,
}

/// The part of the object that answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    ListItems,
    DictItems,
    Attributes,
    TupleState,
    CtorDict,
    /// The keyword arguments, as a map, when there are no positional ones.
    Keywords,
    Args,
    /// The constructor's arguments, or nothing, were chosen, but keyword arguments came too,
    /// which that would leave out: an error.
    KeywordsLeftOut,
    /// The object has parts, but none that reads as what was asked: an error, never an empty
    /// value that would drop them.
    Mismatch,
    /// The object has nothing in its parts (`object()`, an instance without state, an empty
    /// `defaultdict`): an empty map (for a map, struct or anything) or no arguments (a
    /// sequence).
    Nothing,
}

/// Whether the `args` constructor arguments of an instance of `module.name` are arguments, to
/// read as a sequence or a struct's fields: not a `defaultdict`'s one argument, its factory,
/// nor a `Counter`'s, the dict of its items (read as dict items).
pub(crate) fn args_are_arguments(module: &str, name: &str, args: usize) -> bool {
    args > 0 && !(args == 1 && matches!((module, name), ("collections", "defaultdict" | "Counter")))
}

/// Whether an instance of `module.name` is made from one dict of its items: a `Counter`.
pub(crate) fn made_from_items(module: &str, name: &str) -> bool {
    (module, name) == ("collections", "Counter")
}

/// Why [`Source::Mismatch`] is an error, for an instance of `class` with `facts` asked as `want`.
pub(crate) fn mismatch(class: impl std::fmt::Display, want: Want, facts: &Facts) -> String {
    let parts: Vec<&str> = [
        (facts.list_items, "list items"),
        (facts.dict_items, "dict items"),
        (facts.attributes, "attributes"),
        (facts.tuple_state, "a tuple or list state"),
        (facts.args, "constructor arguments"),
        (facts.kwargs, "keyword arguments"),
    ]
    .iter()
    .filter(|(has, _)| *has)
    .map(|(_, part)| *part)
    .collect();
    format!(
        "this {class} has {}, none of which reads as {}; read it as pypickle::Value to keep \
         all of it",
        parts.join(" and "),
        match want {
            Want::Seq => "a sequence",
            Want::Map => "a map",
            Want::Struct => "a struct",
            Want::Any => "anything",
        }
    )
}

/// Why [`Source::KeywordsLeftOut`] is an error, for an instance of `class` asked as `want`.
pub(crate) fn keywords_left_out(class: impl std::fmt::Display, want: Want) -> String {
    format!(
        "this {class} was made with keyword arguments, which reading it as {} would leave \
         out; read it as a struct or map (keywords alone), or as pypickle::Value",
        match want {
            Want::Seq => "a sequence",
            _ => "its positional arguments",
        }
    )
}

/// The rules of the table above.
pub(crate) fn choose(want: Want, f: &Facts) -> Source {
    use Source::*;
    let keywords_only = f.kwargs && !f.args;
    let has = |s: &Source| match s {
        Attributes => f.attributes,
        DictItems => f.dict_items,
        Keywords => keywords_only,
        Args => f.args,
        TupleState => f.tuple_state,
        CtorDict => f.ctor_dict,
        ListItems => f.list_items,
        KeywordsLeftOut | Mismatch | Nothing => false,
    };
    let order: &[Source] = match want {
        Want::Struct => &[Attributes, DictItems, Keywords, Args, TupleState],
        Want::Map => &[DictItems, Attributes, CtorDict, Keywords],
        Want::Seq => &[ListItems, Args, TupleState],
        Want::Any => &[
            ListItems, DictItems, Attributes, TupleState, CtorDict, Keywords, Args,
        ],
    };
    match order.iter().find(|s| has(s)).copied() {
        Some(Args | CtorDict) if f.kwargs => KeywordsLeftOut,
        Some(s) => s,
        None if f.kwargs => KeywordsLeftOut,
        None if f.content => Mismatch,
        None => Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let bag = Facts {
            dict_items: true,
            attributes: true,
            ..Facts::default()
        };
        assert_eq!(choose(Want::Struct, &bag), Source::Attributes);
        assert_eq!(choose(Want::Map, &bag), Source::DictItems);
        assert_eq!(choose(Want::Any, &bag), Source::DictItems);
        let namedtuple = Facts {
            args: true,
            content: true,
            ..Facts::default()
        };
        assert_eq!(choose(Want::Struct, &namedtuple), Source::Args);
        // Its arguments are its content: an empty map would drop them.
        assert_eq!(choose(Want::Map, &namedtuple), Source::Mismatch);
        let counter = Facts {
            args: true,
            ctor_dict: true,
            ..Facts::default()
        };
        assert_eq!(choose(Want::Any, &counter), Source::CtorDict);
        let keywords = Facts {
            kwargs: true,
            ..Facts::default()
        };
        assert_eq!(choose(Want::Struct, &keywords), Source::Keywords);
        assert_eq!(choose(Want::Map, &keywords), Source::Keywords);
        assert_eq!(choose(Want::Seq, &keywords), Source::KeywordsLeftOut);
        let both = Facts {
            args: true,
            ..keywords
        };
        assert_eq!(choose(Want::Struct, &both), Source::KeywordsLeftOut);
        assert_eq!(choose(Want::Seq, &both), Source::KeywordsLeftOut);
        let built = Facts {
            attributes: true,
            ..both
        };
        assert_eq!(choose(Want::Struct, &built), Source::Attributes);
        // `cls.__new__(cls, {'a': 1}, b=2)` read as a map: the dict alone would leave `b` out.
        let dict_and_keywords = Facts {
            ctor_dict: true,
            ..both
        };
        assert_eq!(
            choose(Want::Map, &dict_and_keywords),
            Source::KeywordsLeftOut
        );
        assert_eq!(
            choose(Want::Any, &dict_and_keywords),
            Source::KeywordsLeftOut
        );
        assert_eq!(choose(Want::Seq, &Facts::default()), Source::Nothing);
        assert_eq!(choose(Want::Map, &Facts::default()), Source::Nothing);
        let ordered_dict = Facts {
            dict_items: true,
            content: true,
            ..Facts::default()
        };
        assert_eq!(choose(Want::Seq, &ordered_dict), Source::Mismatch);
        let list_subclass = Facts {
            list_items: true,
            content: true,
            ..Facts::default()
        };
        assert_eq!(choose(Want::Map, &list_subclass), Source::Mismatch);
        // Parts with nothing in them: an empty defaultdict (its factory is an argument).
        let empty_defaultdict = Facts {
            args: true,
            ..Facts::default()
        };
        assert_eq!(choose(Want::Map, &empty_defaultdict), Source::Nothing);
    }
}

/// The attributes an object's BUILD states set, as Python sets them, in one pass: each part
/// (a state's dict, or a half of a `(dict, slots)` state) in order, and a name set again, by a
/// later part or in the same dict (which only a crafted pickle repeats), keeps its first place
/// and takes the later value, as in `__dict__`. `name` is a pair's attribute name (`None`: not
/// a str, never merged).
pub(crate) fn merge_attributes<T, K, P>(
    parts: impl IntoIterator<Item = P>,
    name: impl Fn(&T) -> Option<K>,
) -> Vec<(T, T)>
where
    P: IntoIterator<Item = (T, T)>,
    K: Eq + std::hash::Hash,
{
    let mut out: Vec<(T, T)> = Vec::new();
    let mut places: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    for (k, v) in parts.into_iter().flatten() {
        match name(&k) {
            Some(key) => match places.entry(key) {
                std::collections::hash_map::Entry::Occupied(at) => out[*at.get()].1 = v,
                std::collections::hash_map::Entry::Vacant(at) => {
                    at.insert(out.len());
                    out.push((k, v));
                }
            },
            None => out.push((k, v)),
        }
    }
    out
}

#[cfg(test)]
mod merge_tests {
    use super::merge_attributes;

    /// Merged parts of (name, value) pairs; an empty name stands for a key that is no str.
    fn merge(parts: &[&[(&'static str, &'static str)]]) -> Vec<(&'static str, &'static str)> {
        let parts = parts.iter().map(|p| p.iter().copied());
        merge_attributes(parts, |k: &&str| (!k.is_empty()).then_some(*k))
    }

    #[test]
    fn a_name_set_again_keeps_its_place_and_takes_the_last_value() {
        assert_eq!(
            merge(&[
                &[("a", "1"), ("b", "2")],
                &[("c", "3"), ("a", "4")],
                &[("a", "5")]
            ]),
            [("a", "5"), ("b", "2"), ("c", "3")]
        );
        // Within one part too, as the state dict itself keeps one.
        assert_eq!(merge(&[&[("a", "1"), ("a", "2")]]), [("a", "2")]);
        assert_eq!(
            merge(&[&[("a", "1"), ("b", "0"), ("a", "2")], &[("a", "3")]]),
            [("a", "3"), ("b", "0")]
        );
        // Pairs without a name are never merged.
        assert_eq!(merge(&[&[("", "1")], &[("", "2")]]), [("", "1"), ("", "2")]);
    }
}
