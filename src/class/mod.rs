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

/// Register the extension code `code` for the global `module.name` in `table`, as
/// `copyreg.add_extension` does: a code outside 1 to 2^31 - 1, or a code or global already
/// registered for another, panics (copyreg raises `ValueError`); registering the same pair
/// again does nothing.
pub(crate) fn add_extension(
    table: &mut Vec<(u32, String, String)>,
    code: u32,
    module: &str,
    name: &str,
) {
    assert!(
        (1..=i32::MAX as u32).contains(&code),
        "extension code {code} is out of range: codes are 1 to 2^31 - 1, as in copyreg"
    );
    for (c, m, n) in table.iter() {
        let same_code = *c == code;
        let same_global = (m.as_str(), n.as_str()) == (module, name);
        match (same_code, same_global) {
            (true, true) => return,
            (true, false) => panic!(
                "extension code {code} is already registered for {m}.{n}, not {module}.{name} \
                 (copyreg refuses it too)"
            ),
            (false, true) => panic!(
                "{module}.{name} is already registered as extension code {c}, not {code} \
                 (copyreg refuses it too)"
            ),
            (false, false) => {}
        }
    }
    table.push((code, module.to_string(), name.to_string()));
}
