//! Python classes and globals: which globals a pickle may name, and what the known ones mean.
//!
//! Nothing here imports or calls anything: a global is only ever a name. The unpickler asks
//! [`resolve`] about every `module.name` a pickle mentions, and refuses the pickle unless the
//! name is a pure-data built-in, or the caller allowed it through
//! [`DeOptions`](crate::DeOptions).

pub(crate) mod bridge;
mod compat;
mod policy;
mod registry;

pub(crate) use compat::{fix_import, to_python2};
pub(crate) use policy::{
    implausible, resolve, returns_shared_member, verdict, Known, CLASS_NEW_REFUSED, DANGEROUS,
    MAX_GLOBAL_NAME,
};
pub use registry::ClassRegistry;

/// Whether the qualified name `qualname` is `name`, or a class nested in it (`A.B.C` in `A`
/// and in `A.B`).
pub(crate) fn is_or_nests_in(qualname: &str, name: &str) -> bool {
    qualname.starts_with(name) && matches!(qualname.as_bytes().get(name.len()), None | Some(b'.'))
}
pub(crate) use registry::{Entry, StateForm};
