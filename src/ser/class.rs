//! Registered Rust types written as instances of their Python classes, byte for byte as
//! CPython's pickler writes an instance of a plain class (or a `namedtuple`, or an `Enum`
//! member).
//!
//! | Rust | protocol 2+ | protocols 0-1 |
//! |---|---|---|
//! | struct, struct variant | `cls`, `()`, NEWOBJ, then the fields as a state dict, BUILD | `copyreg._reconstructor(cls, object, None)`, state dict, BUILD |
//! | the same, for a `__slots__` class | state `(None, fields)` | the same |
//! | tuple struct, tuple variant | `cls`, `(fields...)`, NEWOBJ | `copyreg._reconstructor(cls, tuple, (fields...))` |
//! | newtype struct, newtype variant of a scalar (a subclass of `int`, `str`, ...) | `cls`, `(value,)`, NEWOBJ | `copyreg._reconstructor(cls, int, value)`: the base is the value's Python type (`int`, `float`, `str`, `bytes`, `tuple`); `cls(value)` for another value |
//! | newtype variant of a struct, tuple struct or newtype struct | that payload written as the instance, of the variant's class | the same |
//! | newtype variant of a sequence | `cls`, `(items...)`, NEWOBJ | `copyreg._reconstructor(cls, tuple, (items...))` |
//! | unit struct, unit variant of a class | `cls`, `()`, NEWOBJ | `copyreg._reconstructor(cls, object, None)` |
//! | unit variant of a Python `Enum` | `cls(value)` (REDUCE) | the same |
//! | newtype, tuple or unit struct of a [called](crate::ClassRegistry::called_class) class | `cls`, `(fields...)`, REDUCE | the same |
//! | newtype struct of a container class | see `container.rs` | |
//!
//! One difference: CPython memoizes objects by identity, and an `Enum` member is one object,
//! so a member met again in the same pickle is a memo GET there; here every occurrence is
//! written as `cls(value)` again (Python loads the same member either way).

use std::io::Write;

use super::compound::{MapWriter, SeqWriter};
use super::emit::unserializable;
use super::probe::{shape_of, Shape};
use super::Serializer;
use crate::class::Entry;
use crate::error::Result;
use crate::opcode::*;
use crate::value::Value;

impl<W: Write, const P45: bool> Serializer<W, P45> {
    /// The registry entry for the struct `rust`, if the registry holds one.
    #[inline]
    pub(crate) fn struct_class(&self, rust: &str) -> Option<Entry> {
        if self.opts.registry.is_empty() {
            return None;
        }
        self.opts.registry.struct_entry(rust).cloned()
    }

    /// The class `rust` is written as an instance of: the registered newtype variant's whose
    /// payload this is ([`Serializer::save_variant_instance`]), else its own, if any. A
    /// payload whose own class is [called](crate::ClassRegistry::called_class) is written as
    /// a call of the variant's.
    #[inline]
    pub(crate) fn class_for(&mut self, rust: &str) -> Option<Entry> {
        if let Some(class) = self.forced.take() {
            let mut class = *class;
            class.called |= self.struct_class(rust).is_some_and(|own| own.called);
            return Some(class);
        }
        self.struct_class(rust)
    }

    /// The registry entry for the variant `variant` of the enum `rust`.
    #[inline]
    pub(crate) fn variant_class(&self, rust: &str, variant: &str) -> Option<Entry> {
        if self.opts.registry.is_empty() {
            return None;
        }
        self.opts.registry.variant_entry(rust, variant).cloned()
    }

    /// The value of the Python `Enum` member that the unit variant `variant` of `rust` stands
    /// for, with its class; an error if `rust` is registered for a Python `Enum` that has no
    /// member for it (written as its bare name, Python would get a str in place of a member).
    #[inline]
    pub(crate) fn enum_member(&self, rust: &str, variant: &str) -> Result<Option<(Entry, Value)>> {
        if self.opts.registry.is_empty() {
            return Ok(None);
        }
        let Some(e) = self.opts.registry.enum_entry(rust) else {
            return Ok(None);
        };
        match e.members.iter().find(|(_, v)| *v == variant) {
            Some((value, _)) => Ok(Some((e.clone(), value.clone()))),
            None => Err(unserializable(format!(
                "{rust}::{variant} has no member of the Python enum {}.{} it is registered for",
                e.module, e.qualname
            ))),
        }
    }

    /// Protocols 0-1: `copyreg._reconstructor, (cls, builtins.<base>,` up to the third item
    /// of the arguments tuple, which the caller writes.
    pub(crate) fn begin_reconstructor(&mut self, e: &Entry, base: &str) -> Result<()> {
        self.emit_global("copyreg", "_reconstructor")?;
        self.boundary()?;
        self.out.buf.push(MARK);
        self.boundary()?;
        self.emit_global(&e.module, &e.qualname)?;
        self.boundary()?;
        self.emit_global("builtins", base)?;
        self.boundary()
    }

    /// `cls.__new__(cls)` (`cls()` for a [called](crate::ClassRegistry::called_class)
    /// class), memoized: an instance whose state may follow. Inside an open level.
    pub(crate) fn emit_new_instance(&mut self, e: &Entry) -> Result<()> {
        if self.proto() >= 2 || e.called {
            self.emit_global(&e.module, &e.qualname)?;
            self.boundary()?;
            self.emit_empty_tuple();
            self.out.buf.push(if e.called { REDUCE } else { NEWOBJ });
        } else {
            self.begin_reconstructor(e, "object")?;
            self.emit_none();
            self.out.buf.push(TUPLE);
            self.memoize();
            self.out.buf.push(REDUCE);
        }
        self.memoize();
        Ok(())
    }

    /// What comes before the arguments tuple of `cls.__new__(cls, *args)` (of `cls(*args)`
    /// for a [called](crate::ClassRegistry::called_class) class).
    pub(crate) fn begin_instance_args(&mut self, e: &Entry) -> Result<()> {
        if self.proto() >= 2 || e.called {
            self.emit_global(&e.module, &e.qualname)?;
            self.boundary()
        } else {
            self.begin_reconstructor(e, "tuple")
        }
    }

    /// What comes after the arguments tuple (already written and memoized).
    pub(crate) fn end_instance_args(&mut self, called: bool) {
        if called {
            self.out.buf.push(REDUCE);
        } else if self.proto() >= 2 {
            self.out.buf.push(NEWOBJ);
        } else {
            self.out.buf.push(TUPLE);
            self.memoize();
            self.out.buf.push(REDUCE);
        }
        self.memoize();
    }

    /// A newtype struct registered for a class (not a container class), `v` its content: at
    /// protocol 2+ `cls.__new__(cls, v)`; at protocols 0-1 what CPython writes for a subclass
    /// of `v`'s Python type, `copyreg._reconstructor(cls, <that type>, v)`.
    pub(crate) fn save_newtype_instance<T: serde::Serialize + ?Sized>(
        &mut self,
        e: &Entry,
        v: &T,
    ) -> Result<()> {
        // A one-field namedtuple is a tuple subclass at protocols 0-1 too:
        // `copyreg._reconstructor(cls, tuple, (v,))`. A called class is `cls(v)` at
        // protocol 2+ through this path too (its tuple written TUPLE1).
        if self.proto() >= 2 || e.namedtuple {
            let mut w = SeqWriter::instance(self, e, 1)?;
            w.push(v)?;
            return w.done();
        }
        let base = if e.called {
            None
        } else {
            shape_of(v, &self.opts.registry).builtin()
        };
        let Some(base) = base else {
            // Not a subclass of a built-in the value could be: `cls(value)`, as CPython writes
            // an instance whose `__reduce__` gives `(cls, (value,))`; read back the same. The
            // value is written as any is, registered classes inside it and all; it need not
            // be hashable where the instance must be (as an Enum member's value need not).
            self.open()?;
            self.part(|s| {
                s.emit_global(&e.module, &e.qualname)?;
                s.boundary()?;
                s.out.buf.push(MARK);
                let key = s.set_key(false);
                v.serialize(&mut *s)?;
                s.set_key(key);
                s.out.buf.push(TUPLE);
                s.memoize();
                Ok(())
            })?;
            self.out.buf.push(REDUCE);
            self.memoize();
            return self.close();
        };
        self.open()?;
        self.part(|s| {
            s.begin_reconstructor(e, base)?;
            v.serialize(&mut *s)
        })?;
        self.out.buf.push(TUPLE);
        self.memoize();
        self.out.buf.push(REDUCE);
        self.memoize();
        self.close()
    }

    /// A newtype variant registered for a class, `v` its payload (seen through newtype structs
    /// with no class of their own): a struct, tuple struct, map, or a newtype struct with a
    /// class is written as the instance (its fields or entries the state, as for a registered
    /// struct, ...), with the variant's class; a sequence is the instance's arguments; anything
    /// else is its one constructor argument, as for a registered newtype struct. The reader
    /// reads each back.
    pub(crate) fn save_variant_instance<T: serde::Serialize + ?Sized>(
        &mut self,
        e: Entry,
        v: &T,
    ) -> Result<()> {
        if e.container {
            return self.save_container(&e, v);
        }
        match shape_of(v, &self.opts.registry) {
            // A map is the instance's state, as a struct's fields.
            Shape::Named | Shape::Map => {
                self.forced = Some(Box::new(e));
                let r = v.serialize(&mut *self);
                self.forced = None;
                r
            }
            // The instance's arguments, as a tuple struct's fields (a `namedtuple`): the
            // payload's `serialize_seq` takes the class (see `forced_seq`), and its items are
            // written as any value is, registered classes and all.
            Shape::Seq => {
                self.forced = Some(Box::new(e));
                let r = v.serialize(&mut *self);
                self.forced = None;
                r
            }
            _ => self.save_newtype_instance(&e, v),
        }
    }

    /// A newtype variant's map payload: the instance, its entries the state. (Out of line:
    /// inlined, it made every map's frame larger, and deep values overflowed the stack
    /// sooner.)
    #[cold]
    #[inline(never)]
    pub(crate) fn forced_map(&mut self, len: Option<usize>) -> Result<MapWriter<'_, W, P45>> {
        let class = self.forced.take().expect("checked by the caller");
        MapWriter::instance(self, &class, len.unwrap_or(0))
    }

    /// A newtype variant's sequence payload: the instance's arguments, in a tuple of the
    /// length given (a MARK and TUPLE when there is none). Out of line as `forced_map` is.
    #[cold]
    #[inline(never)]
    pub(crate) fn forced_seq(&mut self, len: Option<usize>) -> Result<SeqWriter<'_, W, P45>> {
        let class = self.forced.take().expect("checked by the caller");
        SeqWriter::hinted_instance(self, &class, len)
    }

    /// A unit struct or unit variant registered for a class: a bare instance.
    pub(crate) fn save_bare_instance(&mut self, e: &Entry) -> Result<()> {
        self.open()?;
        self.part(|s| s.emit_new_instance(e))?;
        self.close()
    }

    /// A Python `Enum` member, or any instance made by calling its class with one value:
    /// `cls(value)`.
    pub(crate) fn save_enum_member(&mut self, e: &Entry, value: &Value) -> Result<()> {
        self.open()?;
        self.part(|s| {
            s.emit_global(&e.module, &e.qualname)?;
            s.boundary()?;
            s.emit_value_tuple(&[value])
        })?;
        self.out.buf.push(REDUCE);
        self.memoize();
        self.close()
    }

    /// EXT1/EXT2/EXT4 for a global in the extension registry; false if it is not there.
    pub(crate) fn emit_extension(&mut self, module: &str, name: &str) -> bool {
        let Some(&(code, ..)) = self
            .opts
            .extensions
            .iter()
            .find(|(_, m, n)| m == module && n == name)
        else {
            return false;
        };
        let buf = &mut self.out.buf;
        if code <= 0xff {
            buf.extend_from_slice(&[EXT1, code as u8]);
        } else if code <= 0xffff {
            buf.push(EXT2);
            buf.extend_from_slice(&(code as u16).to_le_bytes());
        } else {
            buf.push(EXT4);
            buf.extend_from_slice(&code.to_le_bytes());
        }
        true
    }

    /// A [`PersistentId`](crate::PersistentId): the id, then BINPERSID; at protocol 0, PERSID
    /// with the id as a line of text, which must be an ASCII str.
    pub(crate) fn save_persistent_id<T: serde::Serialize + ?Sized>(
        &mut self,
        id: &T,
    ) -> Result<()> {
        // As a dict key or set element: what Python hashes is what persistent_load returns for
        // it, which the pickle does not say (CPython writes such keys); the id itself is any
        // value, written as one.
        let key = self.set_key(false);
        self.save_persistent_id_unkeyed(id)?;
        self.set_key(key);
        Ok(())
    }

    fn save_persistent_id_unkeyed<T: serde::Serialize + ?Sized>(&mut self, id: &T) -> Result<()> {
        if self.proto() == 0 {
            let text = match crate::value::to_value_of_text_pid(id)? {
                Value::Str(s) if s.is_ascii() && !s.contains('\n') => s,
                other => {
                    return Err(super::emit::unserializable(format!(
                        "a persistent id at protocol 0 must be an ASCII str without newlines, not {other}"
                    )))
                }
            };
            self.begin_value()?;
            self.out.buf.push(PERSID);
            self.out.buf.extend_from_slice(text.as_bytes());
            self.out.buf.push(b'\n');
            return self.end_value();
        }
        self.open()?;
        self.part(|s| id.serialize(s))?;
        self.out.buf.push(BINPERSID);
        self.close()
    }
}
