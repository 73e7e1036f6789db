//! The class registry: which Rust types stand for which Python classes, in both directions.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserialize, Visitor};

use crate::value::Value;

/// Maps Rust types to Python classes, for reading and for writing.
///
/// Reading (in [`DeOptions::registry`](crate::DeOptions::registry)): a registered class may
/// appear in a pickle (it is allowed by the policy, as an inert name), and an instance of it
/// fills the Rust type: its attribute state (the dict that BUILD sets, merged with `__slots__`
/// state) fills a struct's fields, its constructor arguments fill a tuple struct, and a class
/// registered for an enum variant chooses that variant. A registered type that meets an
/// instance of another class is an error naming both.
///
/// Writing (in [`SerOptions::registry`](crate::SerOptions::registry)): a registered struct is
/// written as an instance of its class: `cls.__new__(cls)` (NEWOBJ, or
/// `copyreg._reconstructor` at protocols 0-1) with its fields as the state dict (BUILD), which
/// is what CPython writes for a plain class or a `@dataclass`, so `pickle.loads` gives a real
/// instance. A tuple struct is written as `cls.__new__(cls, *fields)`, what CPython writes for a
/// `namedtuple`.
///
/// Types are named by their serde name (the struct or enum name unless `#[serde(rename)]`),
/// which [`class`](Self::class) reads from the type itself, and told apart by that alone:
/// any struct of a registered type's name is written as its class, so give a registered type
/// a name no other type has (`#[serde(rename = "geo.Point")]`). Registering a type again for the
/// same class (`class`, then `slots_class`) replaces the earlier registration. Cloning a
/// registry is cheap.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use pypickle::{ClassRegistry, DeOptions, SerOptions};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Point { x: i32, y: i32 }
///
/// let registry = ClassRegistry::new().class::<Point>("geometry.Point");
/// let bytes = pypickle::to_vec_with(&Point { x: 1, y: 2 }, &SerOptions::new().registry(registry.clone()))?;
/// // What CPython writes for an instance of `class Point` with attributes x and y.
/// assert!(bytes.windows(5).any(|w| w == b"Point"));
/// let back: Point = pypickle::from_slice_with(&bytes, &DeOptions::new().registry(registry))?;
/// assert_eq!(back, Point { x: 1, y: 2 });
/// // Without the registry the class is not on the allowlist, and the pickle is refused.
/// assert!(pypickle::from_slice::<Point>(&bytes).is_err());
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct ClassRegistry {
    entries: Arc<Vec<Entry>>,
    /// Some entry's state is written as a list of field values (see
    /// [`has_fields_state`](Self::has_fields_state)): known without a look at every entry.
    fields_state: bool,
}

/// The state a registered struct's fields are written as (BUILD's argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StateForm {
    /// `{name: value, ...}`: the instance's `__dict__`.
    Dict,
    /// `(None, {name: value, ...})`, as CPython writes a class with `__slots__`.
    Slots,
    /// `[value, ...]` in field order, what a frozen `@dataclass(slots=True)`'s
    /// `__getstate__` returns.
    Fields,
}

/// One Rust type (or enum variant) and its Python class.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// The serde name of the struct or enum.
    pub rust: &'static str,
    /// For an enum: the variant this class stands for (None: a Python `Enum` class whose
    /// members map to unit variants by value, or a plain struct).
    pub variant: Option<&'static str>,
    pub module: String,
    pub qualname: String,
    /// How a struct's fields are written as the instance's state.
    pub state: StateForm,
    /// For [`StateForm::Fields`]: the struct's fields, in order, as its `Deserialize` names
    /// them, aliases too (the fields written must come in this order), and how many fields
    /// it has, if its `Deserialize` says (as many must be written).
    pub fields: &'static [&'static str],
    pub field_count: Option<usize>,
    /// A newtype struct whose content is the instance itself: a subclass of `dict` or `list`,
    /// its items the content (see [`ClassRegistry::container_class`]).
    pub container: bool,
    /// A newtype struct for a `namedtuple` of one field: written at protocols 0-1 as the
    /// tuple subclass it is, and read from one there (see [`ClassRegistry::namedtuple`]).
    pub namedtuple: bool,
    /// A class whose instances are made by calling it with the fields as arguments,
    /// `cls(*fields)`, at every protocol (see [`ClassRegistry::called_class`]).
    pub called: bool,
    /// A class Python hashes by the attributes written (a frozen dataclass): its instances
    /// may be written as dict keys and set elements (see [`ClassRegistry::frozen_dataclass`]).
    pub hashable: bool,
    /// A Python `Enum` class mapped member by member ([`ClassRegistry::python_enum`]).
    pub python_enum: bool,
    /// For a Python `Enum` class: the member values and the variants they stand for.
    pub members: Vec<(Value, &'static str)>,
    /// For a Python `Enum` class: whether the Rust enum takes a variant name it does not list
    /// (it has a `#[serde(other)]` variant), which a member no variant is registered for
    /// then reaches.
    pub other_members: bool,
}

impl fmt::Debug for ClassRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| {
                // How it is written, where that is not `class`'s way.
                let form = match e.state {
                    _ if e.python_enum => " (python_enum)",
                    _ if e.container => " (container_class)",
                    _ if e.called => " (called_class)",
                    _ if e.namedtuple => " (namedtuple)",
                    _ if e.hashable => " (frozen_dataclass)",
                    StateForm::Slots => " (slots_class)",
                    StateForm::Fields => " (frozen_slots_dataclass)",
                    StateForm::Dict => "",
                };
                format!(
                    "{}{}{} <-> {}.{}{form}",
                    e.rust,
                    if e.variant.is_some() { "::" } else { "" },
                    e.variant.unwrap_or(""),
                    e.module,
                    e.qualname
                )
            }))
            .finish()
    }
}

impl PartialEq for ClassRegistry {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.entries, &other.entries)
            || (self.entries.len() == other.entries.len()
                && self.entries.iter().zip(other.entries.iter()).all(|(a, b)| {
                    (
                        a.rust,
                        a.variant,
                        &a.module,
                        &a.qualname,
                        a.state,
                        a.container,
                        a.namedtuple,
                        a.called,
                    ) == (
                        b.rust,
                        b.variant,
                        &b.module,
                        &b.qualname,
                        b.state,
                        b.container,
                        b.namedtuple,
                        b.called,
                    ) && (a.python_enum, &a.members, a.other_members)
                        == (b.python_enum, &b.members, b.other_members)
                }))
    }
}

/// Split `module.QualName` at the first dot that starts a capitalised or underscored part... in
/// practice at the last dot whose left side is a module path. Python modules are lower-case by
/// convention, classes are not; when that fails use `module:QualName`.
fn split_python_name(python: &str) -> (String, String) {
    if let Some((m, q)) = python.split_once(':') {
        assert!(
            !q.contains(':')
                && [m, q]
                    .iter()
                    .all(|half| half.split('.').all(|p| !p.is_empty())),
            "a Python class is named `module:QualName`, both dotted names with no empty part, \
             got {python:?}"
        );
        return (m.to_string(), q.to_string());
    }
    // The qualified name starts at the first part that begins with an upper-case letter.
    let parts: Vec<&str> = python.split('.').collect();
    let first_class = parts
        .iter()
        .position(|p| p.starts_with(|c: char| c.is_ascii_uppercase()))
        .filter(|&i| i > 0)
        .unwrap_or(parts.len().saturating_sub(1).max(1));
    assert!(
        parts.len() >= 2 && parts.iter().all(|p| !p.is_empty()),
        "a Python class is named `module.QualName` (or `module:QualName`), got {python:?}"
    );
    (
        parts[..first_class].join("."),
        parts[first_class..].join("."),
    )
}

impl ClassRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Add `entry`, in place of an earlier registration of the same type (or variant) for
    /// the same class, of the same sort (a struct's, or a Python Enum's member list): the
    /// last one made is how it is written. Types are found by their serde name, so two
    /// different types of one name (`a::Item` and `b::Item`, or `Wrapper<A>` and
    /// `Wrapper<B>`) registered for different classes would be taken for each other: a
    /// programming error, caught here.
    fn push(mut self, entry: Entry) -> Self {
        let clash = self.entries.iter().find(|e| {
            e.rust == entry.rust
                && e.variant == entry.variant
                && (e.module != entry.module || e.qualname != entry.qualname)
        });
        if let Some(e) = clash {
            panic!(
                "ClassRegistry: a Rust type named {}{}{} is registered for {}.{} already, and \
                 types are told apart by their serde name: give one of them another with \
                 #[serde(rename = \"...\")] to register it for {}.{}",
                entry.rust,
                if entry.variant.is_some() { "::" } else { "" },
                entry.variant.unwrap_or(""),
                e.module,
                e.qualname,
                entry.module,
                entry.qualname
            );
        }
        let entries = Arc::make_mut(&mut self.entries);
        // A Python Enum's entry and a struct's are apart even under one serde name (the
        // Enum's members and a newtype over its value, say): lookups keep them apart too.
        entries.retain(|e| {
            !(e.rust == entry.rust
                && e.variant == entry.variant
                && e.python_enum == entry.python_enum
                && e.module == entry.module
                && e.qualname == entry.qualname)
        });
        entries.push(entry);
        self.fields_state = entries.iter().any(|e| e.state == StateForm::Fields);
        self
    }

    /// Apply `change` to the entry just added.
    fn last(mut self, change: impl FnOnce(&mut Entry)) -> Self {
        if let Some(e) = Arc::make_mut(&mut self.entries).last_mut() {
            change(e);
        }
        self
    }

    /// Map the struct (or tuple, newtype or unit struct) `T` to the Python class `python`,
    /// written `module.QualName` (`pkg.mod.Outer.Inner`; the class part is where the first
    /// capitalised name starts, or write `module:QualName` to say it exactly).
    ///
    /// This is the registration for a plain class or a `@dataclass` without `slots=True`.
    /// Others need their own, or Python may load what is written without an error, and wrong:
    /// a class with `__slots__`, [`slots_class`](Self::slots_class); a frozen
    /// `@dataclass(slots=True)`, [`frozen_slots_dataclass`](Self::frozen_slots_dataclass)
    /// (its `__setstate__` would zip this state's keys into its fields); an `Enum`, `IntFlag`
    /// or other class pickled as a call `cls(*args)`,
    /// [`python_enum`](Self::python_enum) or [`called_class`](Self::called_class) (this one
    /// writes `cls.__new__(cls, *fields)`, which skips the constructor: at protocols 0-1 an
    /// Enum member loads broken or not at all, and a `__reduce__` class's instance without
    /// its attributes); a `dict` or `list` subclass,
    /// [`container_class`](Self::container_class).
    ///
    /// Python runs no `__init__` when it loads the instance: a field the struct leaves out
    /// (`skip_serializing_if`) is no attribute of it, and Python falls back on a class
    /// attribute of that name (a dataclass field's plain default) or raises `AttributeError`
    /// (a `default_factory` field's).
    ///
    /// # Panics
    /// If `T` is not a struct (its `Deserialize` does not ask for a struct by name), if
    /// another type of the same serde name is registered for another class, or if `python`
    /// is not a dotted name. All are mistakes in the program, not in input. A struct
    /// with a `#[serde(flatten)]` field is not one in this sense: serde reads and writes it as
    /// a map, without its name, so nothing could tell its instances from a dict.
    pub fn class<T: Deserialize<'static>>(self, python: &str) -> Self {
        let name = match probe::<T>() {
            Some((name, Shape::Struct | Shape::TupleStruct | Shape::Newtype)) => name,
            Some((_, Shape::Enum(_))) => panic!(
                "ClassRegistry::class: {} is an enum: register a Python Enum class for it with \
                 python_enum, or a class for each of its variants with variant",
                std::any::type_name::<T>()
            ),
            _ => panic!(
                "ClassRegistry::class: {} is not a struct by serde's account: a struct with a \
                 #[serde(flatten)] field is read as a map, without its name, and written as a \
                 plain dict (make it the payload of an enum's newtype variant and register \
                 that with variant, which writes and reads the map as the instance's \
                 attributes); an untagged or internally tagged enum is read as any value \
                 (register its variants' payload types, or make it externally tagged and \
                 register its variants with variant)",
                std::any::type_name::<T>()
            ),
        };
        self.class_named(name, python)
    }

    /// [`class`](Self::class) for a frozen `@dataclass(frozen=True)` without `slots=True`:
    /// written the same way, and, as Python hashes such an instance by its fields, also as a
    /// dict key or set element, which `class` refuses (a plain dataclass's instance is not
    /// hashable, and its pickle as a key would not load). For `slots=True`, use
    /// [`frozen_slots_dataclass`](Self::frozen_slots_dataclass).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use pypickle::{ClassRegistry, DeOptions, SerOptions};
    ///
    /// // @dataclass(frozen=True)
    /// // class Sku:
    /// //     name: str
    /// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord, Debug)]
    /// struct Sku { name: String }
    ///
    /// let reg = ClassRegistry::new().frozen_dataclass::<Sku>("shop.Sku");
    /// let stock = BTreeMap::from([(Sku { name: "pen".into() }, 3)]);
    /// let bytes = pypickle::to_vec_with(&stock, &SerOptions::new().registry(reg.clone()))?;
    /// let back: BTreeMap<Sku, i64> = pypickle::from_slice_with(&bytes, &DeOptions::new().registry(reg))?;
    /// assert_eq!(back, stock);
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    ///
    /// # Panics
    /// As [`class`](Self::class).
    pub fn frozen_dataclass<T: Deserialize<'static>>(self, python: &str) -> Self {
        self.class::<T>(python).last(|e| e.hashable = true)
    }

    /// [`class`](Self::class) for a class with `__slots__` and no `__dict__`: the fields are
    /// written as the slots half of a `(None, slots)` state, as CPython does.
    pub fn slots_class<T: Deserialize<'static>>(self, python: &str) -> Self {
        self.class::<T>(python).last(|e| e.state = StateForm::Slots)
    }

    /// Whether a class's state is written as a list of field values (see
    /// [`frozen_slots_dataclass`](Self::frozen_slots_dataclass)).
    pub(crate) fn has_fields_state(&self) -> bool {
        self.fields_state
    }

    /// [`class`](Self::class) for a frozen `@dataclass(slots=True)` (Python 3.10+), whose
    /// state is the list of its field values in order: the fields of `T` are written so,
    /// and must be the dataclass's, in its order, none skipped. (Any class reads from such a
    /// state by field order; this is only needed to write one.) Python can hash such an
    /// instance, so it may be a dict key or set element when its fields can be.
    ///
    /// The same state fits any class whose own `__setstate__` takes the field values in
    /// order (its `__getstate__` returns a tuple or list, and `__setstate__` unpacks it):
    /// CPython writes the tuple its `__getstate__` returns, and a `__setstate__` that
    /// unpacks or indexes takes the list alike.
    ///
    /// ```
    /// use pypickle::{ClassRegistry, DeOptions, SerOptions, Value};
    ///
    /// // @dataclass(frozen=True, slots=True)
    /// // class Point:
    /// //     x: int
    /// //     y: int
    /// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// struct Point { x: i64, y: i64 }
    ///
    /// let reg = ClassRegistry::new().frozen_slots_dataclass::<Point>("geo.Point");
    /// let bytes = pypickle::to_vec_with(&Point { x: 1, y: 2 }, &SerOptions::new().registry(reg.clone()))?;
    /// let inert: Value = pypickle::from_slice_with(&bytes, &DeOptions::new().record_unknown_globals(true))?;
    /// assert_eq!(inert.to_string(), "geo.Point(__setstate__=[1, 2])");
    /// let back: Point = pypickle::from_slice_with(&bytes, &DeOptions::new().registry(reg))?;
    /// assert_eq!(back, Point { x: 1, y: 2 });
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    ///
    /// # Panics
    /// As [`class`](Self::class), and if `T` is not a struct with named fields (a tuple
    /// struct is written as a `namedtuple`'s instance, which a dataclass is not).
    pub fn frozen_slots_dataclass<T: Deserialize<'static>>(self, python: &str) -> Self {
        let reg = self.class::<T>(python);
        let (_, fields, count) = probe_all::<T>();
        assert!(
            !fields.is_empty() || count == Some(0),
            "ClassRegistry::frozen_slots_dataclass: {} is not a struct with named fields",
            std::any::type_name::<T>()
        );
        let mut reg = reg.last(|e| {
            e.state = StateForm::Fields;
            e.fields = fields;
            e.field_count = count;
        });
        reg.fields_state = true;
        reg
    }

    /// Map the newtype struct `T` to `python`, a Python subclass of `dict` or `list` whose
    /// items are `T`'s content: a map is written as CPython writes an instance of a `dict`
    /// subclass (`cls.__new__(cls)`, then its items set one by one; at protocols 0-1
    /// `copyreg._reconstructor(cls, dict, {...})`), a sequence as one of a `list` subclass (its
    /// items appended). Read, an instance's dict or list items are the content, whether CPython
    /// or this crate wrote it; its attributes, if it has any, are not read.
    ///
    /// [`class`](Self::class) maps a newtype struct to a class made with one constructor
    /// argument (a `namedtuple` of one field, or a subclass of `int`, `str`, ...), which for a
    /// `dict` or `list` subclass would lose the items: `dict.__new__` ignores its arguments.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use pypickle::{ClassRegistry, DeOptions, SerOptions, Value};
    ///
    /// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// struct Scores(BTreeMap<String, i64>);
    ///
    /// let registry = ClassRegistry::new().container_class::<Scores>("game.Scores");
    /// let scores = Scores(BTreeMap::from([("ann".to_string(), 3)]));
    /// let bytes = pypickle::to_vec_with(&scores, &SerOptions::new().registry(registry.clone()))?;
    /// // game.Scores() with its item set: what pickle.dumps writes for a dict subclass.
    /// let inert: Value = pypickle::from_slice_with(&bytes, &DeOptions::new().record_unknown_globals(true))?;
    /// assert_eq!(inert.to_string(), "game.Scores(__dict_items__={'ann': 3})");
    /// let back: Scores = pypickle::from_slice_with(&bytes, &DeOptions::new().registry(registry))?;
    /// assert_eq!(back, scores);
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    ///
    /// # Panics
    /// If `T` is not a newtype struct, or `python` is not a dotted name.
    pub fn container_class<T: Deserialize<'static>>(self, python: &str) -> Self {
        let name = match probe::<T>() {
            Some((name, Shape::Newtype)) => name,
            _ => panic!(
                "ClassRegistry::container_class: {} is not a newtype struct",
                std::any::type_name::<T>()
            ),
        };
        self.class_named(name, python).last(|e| e.container = true)
    }

    /// A tuple struct standing for a `namedtuple` (or a `typing.NamedTuple`), its fields in
    /// order. For two or more fields this is [`class`](Self::class), which writes a tuple
    /// struct as a namedtuple's instance. A newtype struct (a namedtuple of one field,
    /// `NT = namedtuple('NT', 'x')`) needs this at protocols 0-1: there CPython writes such an
    /// instance as a tuple subclass's, `copyreg._reconstructor(cls, tuple, (x,))`, which from
    /// the bytes alone could as well be a tuple subclass holding the tuple `(x,)`, and
    /// [`class`](Self::class) writes a newtype as a subclass of its content's type would be
    /// (`int` for `NT(5)`), which CPython refuses for a tuple subclass.
    ///
    /// ```
    /// use pypickle::{ClassRegistry, DeOptions, SerOptions};
    ///
    /// // NT = collections.namedtuple('NT', 'x')
    /// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// struct Nt(i64);
    ///
    /// let reg = ClassRegistry::new().namedtuple::<Nt>("shapes.NT");
    /// let opts = SerOptions::new().protocol(0).registry(reg.clone());
    /// let bytes = pypickle::to_vec_with(&Nt(5), &opts)?;
    /// // What CPython writes for NT(5): a tuple subclass made from the tuple (5,).
    /// let cpython = b"ccopy_reg\n_reconstructor\np0\n(cshapes\nNT\np1\nc__builtin__\ntuple\np2\n(I5\ntp3\ntp4\nRp5\n.";
    /// assert_eq!(bytes, cpython);
    /// let back: Nt = pypickle::from_slice_with(&bytes, &DeOptions::new().registry(reg))?;
    /// assert_eq!(back, Nt(5));
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    ///
    /// # Panics
    /// As [`class`](Self::class), and if `T` is not a tuple struct (a struct with named
    /// fields cannot be written as a namedtuple's instance, which `cls.__new__(cls)` cannot
    /// make).
    pub fn namedtuple<T: Deserialize<'static>>(self, python: &str) -> Self {
        match probe::<T>() {
            Some((_, Shape::Newtype)) => {}
            // Two or more fields: what `class` writes for it is a namedtuple's instance.
            Some((_, Shape::TupleStruct)) => return self.class::<T>(python),
            _ => panic!(
                "ClassRegistry::namedtuple: {} is not a tuple struct (a namedtuple's Rust type \
                 has its fields in order: struct Pair(i64, String))",
                std::any::type_name::<T>()
            ),
        }
        self.class::<T>(python).last(|e| e.namedtuple = true)
    }

    /// Map the newtype, tuple or unit struct `T` to `python`, a class whose instances CPython
    /// pickles as a call of the class with their arguments, `cls(*args)` (REDUCE), at every
    /// protocol: a member of an `enum.Enum`, `IntEnum`, `IntFlag` or `Flag` (combined flags
    /// such as `Perm.R | Perm.W` too), or any class whose `__reduce__` returns
    /// `(cls, args)`. `T`'s fields are the arguments. Python runs the class's constructor on
    /// them when it loads the pickle, so an Enum class finds its member by value.
    ///
    /// [`class`](Self::class) writes `cls.__new__(cls, *fields)`, the instance of a plain
    /// subclass, which skips the constructor: at protocols 0-1
    /// (`copyreg._reconstructor(cls, int, 6)`) an Enum class gets a broken member, or one
    /// Python cannot load (a `Flag` that is no `int`). For an Enum whose members map one to one to unit variants
    /// of a Rust enum, [`python_enum`](Self::python_enum) is the closer fit; this one takes
    /// any value, a combination of flags included. Read, an instance made so fills `T` from
    /// its arguments, as it would with `class`.
    ///
    /// ```
    /// use pypickle::{ClassRegistry, DeOptions, SerOptions};
    ///
    /// // class Perm(enum.IntFlag): R = 4; W = 2; X = 1
    /// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// struct Perm(u8);
    ///
    /// let reg = ClassRegistry::new().called_class::<Perm>("files.Perm");
    /// let opts = SerOptions::new().protocol(0).registry(reg.clone());
    /// let bytes = pypickle::to_vec_with(&Perm(6), &opts)?;
    /// // What CPython writes for Perm.R | Perm.W at protocol 0: Perm(6).
    /// assert_eq!(bytes, b"cfiles\nPerm\np0\n(I6\ntp1\nRp2\n.");
    /// let back: Perm = pypickle::from_slice_with(&bytes, &DeOptions::new().registry(reg))?;
    /// assert_eq!(back, Perm(6));
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    ///
    /// # Panics
    /// As [`class`](Self::class), and if `T` is a struct with named fields (arguments are
    /// positional: give it a tuple struct).
    pub fn called_class<T: Deserialize<'static>>(self, python: &str) -> Self {
        if let Some((_, Shape::Struct)) = probe::<T>() {
            let (_, fields, _) = probe_all::<T>();
            assert!(
                fields.is_empty(),
                "ClassRegistry::called_class: {} has named fields, and a class is called with \
                 positional arguments: give it a tuple struct (struct Perm(u8))",
                std::any::type_name::<T>()
            );
        }
        self.class::<T>(python).last(|e| e.called = true)
    }

    /// [`class`](Self::class) by the type's serde name, for types that only implement
    /// `Serialize`. A type serde writes as a map (a struct with a `#[serde(flatten)]` field)
    /// gives the writer no name to find: it is written as a dict, whatever is registered.
    pub fn class_named(self, serde_name: &'static str, python: &str) -> Self {
        let (module, qualname) = split_python_name(python);
        self.push(Entry {
            rust: serde_name,
            variant: None,
            module,
            qualname,
            state: StateForm::Dict,
            fields: &[],
            field_count: None,
            container: false,
            namedtuple: false,
            called: false,
            hashable: false,
            members: Vec::new(),
            python_enum: false,
            other_members: false,
        })
    }

    /// Map the variant `variant` of the enum `E` to the Python class `python`: an instance of
    /// that class read as an `E` is that variant (a struct variant takes the attributes, a
    /// tuple variant the constructor arguments, a newtype variant the whole instance), and the
    /// variant is written as an instance of the class.
    ///
    /// # Panics
    /// If `E` is not an enum with that variant.
    pub fn variant<E: Deserialize<'static>>(self, variant: &'static str, python: &str) -> Self {
        let (name, variants) = match probe::<E>() {
            Some((name, Shape::Enum(variants))) => (name, variants),
            _ => panic!(
                "ClassRegistry::variant: {} is not an enum that serde reads by variant name (a \
                 struct, or an untagged, internally or adjacently tagged enum, which serde reads \
                 as a map or any value, cannot be registered by variant: register each \
                 variant's payload type with `class`)",
                std::any::type_name::<E>()
            ),
        };
        let variant = *variants
            .iter()
            .find(|v| **v == variant)
            .unwrap_or_else(|| no_variant("variant", name, variant, variants));
        let (module, qualname) = split_python_name(python);
        self.push(Entry {
            rust: name,
            variant: Some(variant),
            module,
            qualname,
            state: StateForm::Dict,
            fields: &[],
            field_count: None,
            container: false,
            namedtuple: false,
            called: false,
            hashable: false,
            members: Vec::new(),
            python_enum: false,
            other_members: false,
        })
    }

    /// Map a Python `enum.Enum` (or `IntEnum`, `StrEnum`, ...) class to the Rust enum `E`,
    /// member by member: each `(variant, value)` says which unit variant stands for the member
    /// with that value. CPython pickles a member as `Class(value)`; a value missing from the
    /// list is an error naming it, unless `E` has a `#[serde(other)]` variant, which then
    /// takes it (a member the Python side added later, say). A member pickled by name (`getattr(Class, 'Member')`, as
    /// `enum.pickle_by_enum_name` does) reads as the variant of that name. Where serde asks for
    /// any value (`deserialize_any`: an untagged enum, a flattened field), a member is its
    /// variant's name, the form serde gives a unit variant, and so it is read as text (a
    /// `String`, a map key); read into a number, it is its value, as Python's `member.value`.
    /// For an `IntFlag` or `Flag`, whose
    /// combined values are members too, a newtype over the value registered with
    /// [`called_class`](Self::called_class) takes any of them.
    ///
    /// ```
    /// use serde::{Deserialize, Serialize};
    /// use pypickle::{ClassRegistry, DeOptions, SerOptions};
    ///
    /// #[derive(Serialize, Deserialize, Debug, PartialEq)]
    /// enum Color { Red, Green }
    ///
    /// let reg = ClassRegistry::new().python_enum::<Color>("paint.Color", [("Red", 1), ("Green", 2)]);
    /// let bytes = pypickle::to_vec_with(&Color::Green, &SerOptions::new().registry(reg.clone()))?;
    /// let v: pypickle::Value = pypickle::from_slice_with(&bytes, &DeOptions::new().registry(reg.clone()))?;
    /// assert_eq!(v.to_string(), "paint.Color(2)");
    /// assert_eq!(pypickle::from_slice_with::<Color>(&bytes, &DeOptions::new().registry(reg))?, Color::Green);
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    ///
    /// # Panics
    /// If `E` is not an enum or lacks one of the variants.
    pub fn python_enum<E: Deserialize<'static>>(
        self,
        python: &str,
        members: impl IntoIterator<Item = (&'static str, impl Into<Value>)>,
    ) -> Self {
        let (name, variants) = match probe::<E>() {
            Some((name, Shape::Enum(variants))) => (name, variants),
            _ => panic!(
                "ClassRegistry::python_enum: {} is not an enum that serde reads by variant name (a \
                 struct, or an untagged, internally or adjacently tagged enum, which serde reads \
                 as a map or any value, cannot be registered by variant: register each \
                 variant's payload type with `class`)",
                std::any::type_name::<E>()
            ),
        };
        let members = members
            .into_iter()
            .map(|(variant, value)| {
                let variant = *variants
                    .iter()
                    .find(|v| **v == variant)
                    .unwrap_or_else(|| no_variant("python_enum", name, variant, variants));
                (value.into(), variant)
            })
            .collect();
        let (module, qualname) = split_python_name(python);
        self.push(Entry {
            rust: name,
            variant: None,
            module,
            qualname,
            state: StateForm::Dict,
            fields: &[],
            field_count: None,
            container: false,
            namedtuple: false,
            called: false,
            hashable: false,
            members,
            python_enum: true,
            other_members: takes_other_variants::<E>(),
        })
    }

    /// Whether `module.name` is a registered class (not one it is nested in).
    pub(crate) fn knows_exactly(&self, module: &str, name: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.module == module && e.qualname == name)
    }

    /// Whether `module.name` is a registered class, or a class a registered one is nested in
    /// (protocols 0-3 name `Outer.Inner` as `getattr(Outer, 'Inner')`).
    pub(crate) fn knows(&self, module: &str, name: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.module == module && super::is_or_nests_in(&e.qualname, name))
    }

    /// A member of a registered Python `Enum` class named as `Class.Member` (as
    /// `getattr(Class, 'Member')` names it: `enum.pickle_by_enum_name` pickles a member so),
    /// `Member` a variant the class's members map to, in the entry of the Rust enum `rust` if
    /// given: the class's entry and the variant.
    pub(crate) fn enum_member(
        &self,
        module: &str,
        name: &str,
        rust: Option<&str>,
    ) -> Option<(&Entry, &'static str)> {
        let (class, member) = name.rsplit_once('.')?;
        self.entries.iter().find_map(|e| {
            if !e.python_enum
                || e.module != module
                || e.qualname != class
                || rust.is_some_and(|r| r != e.rust)
            {
                return None;
            }
            e.members
                .iter()
                .find(|(_, v)| *v == member)
                .map(|&(_, v)| (e, v))
        })
    }

    /// A member of a registered Python `Enum` class named as `Class.Member` that no variant is
    /// registered for, where the class's Rust enum (`rust`, if given) takes such a name (it
    /// has a `#[serde(other)]` variant): the class's entry and the member's name. Only a
    /// name an `Enum` member can have is one: an identifier that does not start with `_`
    /// (Python's own attributes and the `_sunder_` names are never members).
    pub(crate) fn other_member<'n>(
        &self,
        module: &str,
        name: &'n str,
        rust: Option<&str>,
    ) -> Option<(&Entry, &'n str)> {
        let (class, member) = name.rsplit_once('.')?;
        let identifier = member.starts_with(|c: char| c.is_alphabetic())
            && member.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !identifier {
            return None;
        }
        self.entries
            .iter()
            .find(|e| {
                e.other_members
                    && e.module == module
                    && e.qualname == class
                    && rust.map_or(true, |r| r == e.rust)
            })
            .map(|e| (e, member))
    }

    /// The entries that map the Python `Enum` class `module.qualname` to a Rust enum.
    pub(crate) fn python_enums<'s>(
        &'s self,
        module: &'s str,
        qualname: &'s str,
    ) -> impl Iterator<Item = &'s Entry> + 's {
        self.entries
            .iter()
            .filter(move |e| e.python_enum && e.module == module && e.qualname == qualname)
    }

    /// Whether `module.qualname` is registered as taking its field values in order
    /// ([`frozen_slots_dataclass`](Self::frozen_slots_dataclass)), for any Rust type.
    pub(crate) fn takes_fields_state(&self, module: &str, qualname: &str) -> bool {
        // Asked of every object read: the flag answers most registries without a look.
        self.fields_state
            && self.entries.iter().any(|e| {
                e.state == StateForm::Fields && e.module == module && e.qualname == qualname
            })
    }

    /// Whether `module.qualname` is registered with [`namedtuple`](Self::namedtuple).
    pub(crate) fn is_namedtuple(&self, module: &str, qualname: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.namedtuple && e.module == module && e.qualname == qualname)
    }

    /// The entry of a struct by serde name.
    pub(crate) fn struct_entry(&self, rust: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.variant.is_none() && !e.python_enum && e.rust == rust)
    }

    /// The entry of an enum's variant.
    pub(crate) fn variant_entry(&self, rust: &str, variant: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.rust == rust && e.variant == Some(variant))
    }

    /// The Python `Enum` entry of a Rust enum.
    pub(crate) fn enum_entry(&self, rust: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.rust == rust && e.python_enum)
    }

    /// The variant of the enum `rust` that the class `module.qualname` stands for.
    pub(crate) fn variant_for(&self, rust: &str, module: &str, qualname: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| {
            e.rust == rust
                && e.module == module
                && e.qualname == qualname
                && (e.variant.is_some() || e.python_enum)
        })
    }
}

/// What a type asks a deserializer for, by serde's account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// A struct with named fields, or a unit struct.
    Struct,
    /// A tuple struct of other than one field.
    TupleStruct,
    Newtype,
    /// An enum, with its variants.
    Enum(&'static [&'static str]),
}

/// The serde name of `T` and its shape, found by asking `T` to deserialize from a deserializer
/// that records the name and fails.
fn probe<T: Deserialize<'static>>() -> Found {
    probe_all::<T>().0
}

type Found = Option<(&'static str, Shape)>;

/// What [`probe`] finds, with the fields a struct's `Deserialize` asks for, in order, with
/// their aliases (none if it is no struct with named fields); and how many fields it reads
/// from a sequence, if it says (serde's derive does, in the error for a sequence too short:
/// "struct T with 3 elements").
fn probe_all<T: Deserialize<'static>>() -> (Found, &'static [&'static str], Option<usize>) {
    let (found, fields) = (Cell::new(None), Cell::new(&[][..]));
    let count = match T::deserialize(Probe {
        found: &found,
        fields: &fields,
    }) {
        Err(Probed(count)) => count,
        // A value from nothing: no fields, or every field has a default (the count is not
        // said).
        Ok(_) => fields.get().is_empty().then_some(0),
    };
    (found.get(), fields.get(), count)
}

/// The panic of a registration that names a variant the enum does not have: its variants are
/// the names serde reads, after any `rename` or `rename_all`.
fn no_variant(method: &str, name: &str, variant: &str, variants: &[&str]) -> ! {
    panic!(
        "ClassRegistry::{method}: {name} has no variant {variant:?}; its variants, as serde \
         names them (after any rename or rename_all), are {variants:?}"
    )
}

/// Whether the enum `E` takes a unit variant by a name it does not list: serde's derive does
/// for an enum with a `#[serde(other)]` variant.
fn takes_other_variants<E: Deserialize<'static>>() -> bool {
    E::deserialize(OtherProbe).is_ok()
}

/// A deserializer that offers any enum a unit variant no enum lists.
struct OtherProbe;

impl<'de> de::Deserializer<'de> for OtherProbe {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed(None))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Probed> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
        struct identifier ignored_any
    }
}

impl<'de> de::EnumAccess<'de> for OtherProbe {
    type Error = Probed;
    type Variant = Self;

    fn variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self), Probed> {
        let name = de::value::StrDeserializer::new("\0pypickle: a variant no enum lists");
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for OtherProbe {
    type Error = Probed;

    fn unit_variant(self) -> Result<(), Probed> {
        Ok(())
    }

    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(self, _: S) -> Result<S::Value, Probed> {
        Err(Probed(None))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Probed> {
        Err(Probed(None))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probed> {
        Err(Probed(None))
    }
}

struct Probe<'a> {
    found: &'a Cell<Found>,
    fields: &'a Cell<&'static [&'static str]>,
}

/// The probe's error: the field count, where serde's derive said it.
#[derive(Debug)]
struct Probed(Option<usize>);

impl fmt::Display for Probed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probed")
    }
}

impl std::error::Error for Probed {}

impl de::Error for Probed {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Probed(None)
    }
    fn invalid_length(_: usize, expected: &dyn de::Expected) -> Self {
        let text = expected.to_string();
        let count = text.rsplit_once(" with ").and_then(|(_, n)| {
            let (n, unit) = n.split_once(' ')?;
            unit.starts_with("element").then(|| n.parse().ok())?
        });
        Probed(count)
    }
}

/// A sequence with nothing in it: a struct's derive given it says how many fields it wanted.
struct NoItems;

impl<'de> de::SeqAccess<'de> for NoItems {
    type Error = Probed;
    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        _: S,
    ) -> Result<Option<S::Value>, Probed> {
        Ok(None)
    }
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Probed> {
        self.found.set(Some((name, Shape::Struct)));
        self.fields.set(fields);
        visitor.visit_seq(NoItems)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value, Probed> {
        self.found.set(Some((name, Shape::TupleStruct)));
        Err(Probed(None))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: V,
    ) -> Result<V::Value, Probed> {
        self.found.set(Some((name, Shape::Newtype)));
        Err(Probed(None))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: V,
    ) -> Result<V::Value, Probed> {
        self.found.set(Some((name, Shape::Struct)));
        Err(Probed(None))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probed> {
        self.found.set(Some((name, Shape::Enum(variants))));
        Err(Probed(None))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit seq tuple map identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Plain {
        a: i32,
    }

    #[derive(serde::Deserialize)]
    #[serde(rename = "Renamed")]
    #[allow(dead_code)]
    struct Tup(i32, i32);

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    enum Shape {
        Circle { r: f64 },
        Square(f64),
    }

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Wrap(Vec<i32>);

    #[test]
    fn names_come_from_the_types() {
        assert_eq!(probe::<Plain>(), Some(("Plain", super::Shape::Struct)));
        assert_eq!(probe::<Tup>(), Some(("Renamed", super::Shape::TupleStruct)));
        assert_eq!(probe::<Wrap>(), Some(("Wrap", super::Shape::Newtype)));
        assert_eq!(
            probe::<Shape>(),
            Some(("Shape", super::Shape::Enum(&["Circle", "Square"])))
        );
        assert_eq!(probe::<i32>(), None);
    }

    #[test]
    fn python_names_split_at_the_class() {
        let s = |p| split_python_name(p);
        assert_eq!(s("geo.Point"), ("geo".into(), "Point".into()));
        assert_eq!(s("a.b.Outer.Inner"), ("a.b".into(), "Outer.Inner".into()));
        assert_eq!(s("mod.lower"), ("mod".into(), "lower".into()));
        assert_eq!(
            s("pkg.mod:thing.inner"),
            ("pkg.mod".into(), "thing.inner".into())
        );
        assert!(std::panic::catch_unwind(|| split_python_name("Point")).is_err());
    }

    #[test]
    fn lookups() {
        let r = ClassRegistry::new()
            .class::<Plain>("m.Plain")
            .variant::<Shape>("Circle", "m.Circle");
        assert!(r.knows("m", "Plain") && r.knows("m", "Circle") && !r.knows("m", "Square"));
        assert!(!r.knows("m", "Pla") && !r.knows("n", "Plain"));
        assert_eq!(r.struct_entry("Plain").unwrap().qualname, "Plain");
        assert!(r.struct_entry("Shape").is_none());
        assert_eq!(
            r.variant_for("Shape", "m", "Circle").unwrap().variant,
            Some("Circle")
        );
        assert_eq!(r.clone(), r);
        let r = ClassRegistry::new().class::<Plain>("m.Outer.Plain");
        assert!(r.knows("m", "Outer") && r.knows("m", "Outer.Plain") && !r.knows("m", "Out"));
    }
}
