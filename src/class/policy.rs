//! The policy for globals: which `module.name`s a pickle may mention, and what the known ones are.

use crate::de::DeOptions;

/// A global the unpickler understands, or one the caller let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Known {
    /// `builtins.set`
    Set,
    /// `builtins.frozenset`
    FrozenSet,
    /// `builtins.bytearray`
    ByteArray,
    /// `builtins.bytes`
    Bytes,
    /// `builtins.complex`
    Complex,
    /// `builtins.int`
    Int,
    /// `builtins.float`
    Float,
    /// `builtins.str`
    Str,
    /// `builtins.bool`
    Bool,
    /// `builtins.tuple`
    Tuple,
    /// `builtins.list`
    List,
    /// `builtins.dict`
    Dict,
    /// `_codecs.encode`, how protocols 0-2 write `bytes`.
    CodecsEncode,
    /// `copyreg._reconstructor`, how protocols 0-1 write class instances.
    Reconstructor,
    /// `copyreg.__newobj__`
    NewObj,
    /// `copyreg.__newobj_ex__`, how protocols 2-3 write `cls.__new__(cls, *args, **kwargs)`.
    NewObjEx,
    /// `builtins.object`
    Object,
    /// `builtins.getattr`, read only in the shape `getattr(class, 'name')`, which is how
    /// protocols 0-3 write a nested class `module.Outer.Inner`; the result is that global,
    /// checked like any other.
    GetAttr,
    /// `builtins.Ellipsis`
    Ellipsis,
    /// `builtins.NotImplemented`
    NotImplemented,
    /// Any other global the options allow: kept as an inert class reference.
    Other,
}

/// Modules whose every name is refused unless allowed one by one: they run programs, touch
/// files or the network, or load code.
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "posixpath",
    "ntpath",
    "subprocess",
    "sys",
    "runpy",
    "webbrowser",
    "socket",
    "pickle",
    "_pickle",
    "pickletools",
    "importlib",
    "ctypes",
    "shutil",
    "pty",
    "platform",
    "code",
    "codeop",
    "pdb",
    "bdb",
    "timeit",
    "multiprocessing",
    "asyncio",
    "marshal",
    "types",
    "io",
    "_io",
    "tempfile",
    "shelve",
    "dbm",
    "sqlite3",
    "urllib",
    "http",
    "ftplib",
    "smtplib",
    "telnetlib",
    "imaplib",
    "poplib",
    "xmlrpc",
    "signal",
    "threading",
    "_thread",
    "gc",
    "inspect",
    "glob",
    "zipimport",
    "pkgutil",
    "site",
    "sysconfig",
    "distutils",
    "setuptools",
    "pip",
    "builtins.__dict__",
    "torch.hub",
    "numpy.testing",
    "dill",
    "cloudpickle",
];

/// Names in otherwise harmless modules that are refused unless allowed one by one.
const DANGEROUS_NAMES: &[(&str, &str)] = &[
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "compile"),
    ("builtins", "open"),
    ("builtins", "getattr"),
    ("builtins", "setattr"),
    ("builtins", "delattr"),
    ("builtins", "__import__"),
    ("builtins", "input"),
    ("builtins", "breakpoint"),
    ("builtins", "globals"),
    ("builtins", "locals"),
    ("builtins", "vars"),
    ("builtins", "help"),
    ("builtins", "exit"),
    ("builtins", "quit"),
    ("builtins", "memoryview"),
    ("operator", "attrgetter"),
    ("operator", "methodcaller"),
    ("operator", "itemgetter"),
    ("functools", "partial"),
    ("functools", "reduce"),
    ("copyreg", "add_extension"),
    ("_codecs", "open"),
    ("codecs", "open"),
    ("numpy", "load"),
    ("numpy", "fromfile"),
];

/// Lower-case names in `builtins` that are classes of data (the rest are functions).
const BUILTIN_DATA_TYPES: &[&str] = &["range", "slice", "type"];

fn is_dangerous(module: &str, name: &str) -> bool {
    let top = module.split('.').next().unwrap_or(module);
    DANGEROUS_MODULES.iter().any(|m| *m == module || *m == top)
        || DANGEROUS_NAMES.contains(&(module, name))
}

/// What the global `module.name` (already mapped from Python 2 names) means, or why it is
/// refused.
pub(crate) fn resolve(module: &str, name: &str, opts: &DeOptions) -> Result<Known, &'static str> {
    let known = match (module, name) {
        ("builtins", "set") => Some(Known::Set),
        ("builtins", "frozenset") => Some(Known::FrozenSet),
        ("builtins", "bytearray") => Some(Known::ByteArray),
        ("builtins", "bytes") => Some(Known::Bytes),
        ("builtins", "complex") => Some(Known::Complex),
        ("builtins", "int") => Some(Known::Int),
        ("builtins", "float") => Some(Known::Float),
        ("builtins", "str") => Some(Known::Str),
        ("builtins", "bool") => Some(Known::Bool),
        ("builtins", "tuple") => Some(Known::Tuple),
        ("builtins", "list") => Some(Known::List),
        ("builtins", "dict") => Some(Known::Dict),
        ("_codecs", "encode") => Some(Known::CodecsEncode),
        ("copyreg", "_reconstructor") => Some(Known::Reconstructor),
        ("copyreg", "__newobj__") => Some(Known::NewObj),
        ("copyreg", "__newobj_ex__") => Some(Known::NewObjEx),
        ("builtins", "object") => Some(Known::Object),
        ("builtins", "getattr") => Some(Known::GetAttr),
        ("builtins", "Ellipsis") => Some(Known::Ellipsis),
        ("builtins", "NotImplemented") => Some(Known::NotImplemented),
        _ => None,
    };
    if let Some(k) = known {
        return Ok(k);
    }
    if opts.is_allowed_by_name(module, name) || crate::stdlib::is_allowed(module, name) {
        return Ok(Known::Other);
    }
    if is_dangerous(module, name) {
        return Err("it can run code or reach the system; allow it by its exact name to keep it as an inert reference");
    }
    if opts.is_allowed_by_module(module) || opts.registry.knows(module, name) {
        return Ok(Known::Other);
    }
    if module == "builtins"
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !BUILTIN_DATA_TYPES.contains(&name)
    {
        return Err("a builtin function, not a class of data");
    }
    if opts.records_unknown_globals() {
        return Ok(Known::Other);
    }
    Err("not on the allowlist of pure-data globals")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangerous_globals_stay_refused_in_record_mode() {
        let opts = DeOptions::new().record_unknown_globals(true);
        assert!(resolve("os", "system", &opts).is_err());
        assert!(resolve("os.path", "join", &opts).is_err());
        assert!(resolve("builtins", "eval", &opts).is_err());
        assert_eq!(resolve("mymod", "C", &opts), Ok(Known::Other));
        assert!(resolve("mymod", "C", &DeOptions::new()).is_err());
        let opts = DeOptions::new().allow_global("os", "system");
        assert_eq!(resolve("os", "system", &opts), Ok(Known::Other));
        // A whole dangerous module is not unlocked by `*`: only names given one by one.
        let opts = DeOptions::new().allow_global("os", "*");
        assert!(resolve("os", "system", &opts).is_err());
        let opts = DeOptions::new().allow_global("mymod", "*");
        assert_eq!(resolve("mymod", "C", &opts), Ok(Known::Other));
    }
}
