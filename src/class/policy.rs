//! The policy for globals: which `module.name`s a pickle may mention, and what the known ones are.

use std::sync::OnceLock;

use crate::de::DeOptions;
use crate::scan::Verdict;

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
    /// `functools.partial`, read only in the shape protocols 2-3 write
    /// `cls.__new__(cls, *args, **kwargs)`: `partial(cls.__new__)` given the state
    /// `(cls.__new__, (cls, *args), kwargs, None)` by BUILD, then called with no arguments,
    /// which reads as NEWOBJ_EX. Nothing is ever called; any other use is refused.
    Partial,
    /// `module.Class.__new__` (`getattr(class, '__new__')`) that the policy does not allow as a
    /// value: taken only as the function of a [`Known::Partial`], refused as a value.
    ClassNew,
    /// `builtins.Ellipsis`
    Ellipsis,
    /// `builtins.NotImplemented`
    NotImplemented,
    /// `joblib.numpy_pickle.NumpyArrayWrapper`, read only by `pypickle::joblib`: its BUILD is
    /// followed by the array's raw bytes.
    JoblibArray,
    /// A class of a module on the danger list that encloses a name the caller registered or
    /// allowed (`test.models.Outer` for `test.models.Outer.Inner`, in a project's own package
    /// called `test`): taken only as the class of `getattr(Outer, 'Inner')`, which is how
    /// protocols 0-3 write the nested class. Refused as anything else.
    Enclosing,
    /// `numpy.memmap` in a joblib file (`pypickle::joblib`), where it is the `subclass` of a
    /// `NumpyArrayWrapper`'s state (an array joblib loaded with `mmap_mode` and dumped again):
    /// joblib compares it and never calls it, and the reader does not read it. Refused
    /// wherever else it is used (as a value, callable or class), as the danger list refuses
    /// it; a reference nothing reads (a field skipped, `IgnoredAny`) is not looked at. Only
    /// where the caller did not allow it by name.
    JoblibSubclass,
    /// Any other global the options allow: kept as an inert class reference.
    Other,
}

impl Known {
    /// A class of the danger list kept for its one use only ([`Known::Enclosing`],
    /// [`Known::JoblibSubclass`]): refused as a value, a callable or a class anywhere else.
    pub(crate) fn dangerous_kept(self) -> bool {
        matches!(self, Known::Enclosing | Known::JoblibSubclass)
    }
}

/// Whether calling `module.name` (an allowed class) returns one of a fixed set of objects the
/// whole program shares, an Enum's members: BUILD on such a result would change that member
/// everywhere, so the reader refuses it and `scan` finds it dangerous.
pub(crate) fn returns_shared_member(module: &str, name: &str) -> bool {
    (module, name) == ("uuid", "SafeUUID")
}

/// Why a global of the danger list is refused.
pub(crate) const DANGEROUS: &str =
    "it can run code or reach the system; allow it by its exact name to keep it as an inert reference";

/// Why a class's `__new__` the policy refused is refused where it is not the function of a
/// `functools.partial` (see [`Known::ClassNew`]).
pub(crate) const CLASS_NEW_REFUSED: &str =
    "a class's __new__ is read only as the function of functools.partial";

/// The longest `module` plus `name` taken for a real global (1 KiB, far beyond any Python
/// module path): longer ones are refused, and `scan` judges them dangerous.
pub(crate) const MAX_GLOBAL_NAME: usize = 1024;

/// The most dotted parts in `module` and `name` together taken for a real global. Protocols
/// 0-3 write a nested name as a chain of getattr calls, each checked over every part so far,
/// so this also bounds that work.
const MAX_GLOBAL_PARTS: usize = 64;

/// Why `module.name` cannot be a real global (too long, or of too many parts), if it cannot.
/// The reader refuses such names unless allowed exactly, and `scan` judges them dangerous.
pub(crate) fn implausible(module: &str, name: &str) -> Option<&'static str> {
    if module.len().saturating_add(name.len()) > MAX_GLOBAL_NAME {
        return Some("a name longer than any real global; allow it by its exact name to keep it");
    }
    let dots = module
        .bytes()
        .chain(name.bytes())
        .filter(|&b| b == b'.')
        .count();
    if dots + 2 > MAX_GLOBAL_PARTS {
        return Some(
            "a name of more parts than any real global; allow it by its exact name to keep it",
        );
    }
    None
}

/// Modules whose every name (and every submodule's) is refused unless allowed one by one: they
/// run programs, touch files or the network, or load code. Sorted (binary search); each entry
/// says why, with its source: (P) picklescan's `_unsafe_globals`, (F) fickling's
/// `UNSAFE_IMPORTS` and `UnsafeImportsML`, as of mid-2026; unmarked entries are this crate's own.
const DANGEROUS_MODULES: &[&str] = &[
    "__builtins__",                   // not a module; names the builtins of a frame (F)
    "_aix_support",                   // runs commands through os.system (P, F)
    "_bz2", // bz2's C half: nothing to pickle, and written as Python 2's `bz2`, which is refused
    "_ctypes", // foreign functions, raw memory (F)
    "_dbm", // dbm.ndbm's C half: database files (Python 2's `dbm` names both)
    "_frozen_importlib", // the import machinery (F)
    "_frozen_importlib_external", // the import machinery (F)
    "_functools", // functools' C half: partial/reduce call anything
    "_gdbm", // dbm.gnu's C half: database files
    "_imp", // the import machinery (F)
    "_interpreters", // runs code in a subinterpreter (F)
    "_io",  // files (F; P: _io.FileIO)
    "_multiprocessing", // multiprocessing's C half: semaphores, processes
    "_operator", // attrgetter/itemgetter/methodcaller reach any attribute (P, F)
    "_osx_support", // runs commands through os.system (P, F)
    "_pickle", // nested unpickling (P, F)
    "_posixshmem", // shared memory
    "_posixsubprocess", // fork_exec runs programs (F)
    "_pyio", // files: the pure-Python io's open
    "_pyrepl", // pagers run commands (P)
    "_signal", // signal handlers (F)
    "_socket", // socket's C half: network
    "_sqlite3", // database files (F)
    "_ssl", // ssl's C half: network
    "_subprocess", // Python 2's Windows process creation
    "_thread", // threads
    "_tkinter", // Tcl interpreters run commands
    "_winapi", // Windows CreateProcess, files, pipes
    "_winreg", // Python 2's winreg
    "_xxsubinterpreters", // runs code in a subinterpreter (F)
    "aiohttp", // network (P, F)
    "antigravity", // importing it opens a web browser
    "asyncio", // runs coroutines, subprocesses, network (P, F)
    "atexit", // registers code to run at exit (F)
    "bdb",  // debugger: runs code (P, F)
    "binhex", // binhex(in, out) writes the file it names
    "builtins.__dict__", // every builtin by name
    "bz2",  // bz2.open writes files
    "cProfile", // run()/runctx() exec a string (P, F)
    "cloudpickle", // rebuilds functions from code objects (P, F)
    "code", // interactive interpreter: runs code (P, F)
    "codeop", // compiles code (F)
    "commands", // Python 2's subprocess (P, F)
    "compile", // not a module; listed by fickling as an alias of the builtin (F)
    "compileall", // writes .pyc files (F)
    "compression", // Python 3.14: gzip, bz2, lzma, zstd under new names (open files)
    "concurrent", // executors run callables, process pools spawn (3.14: interpreters)
    "ctypes", // foreign functions, raw memory, DLLs (P, F)
    "dbm",  // database files
    "difflib", // reads files (F)
    "dill", // rebuilds functions from code objects (F)
    "distutils", // build commands, file writes (P, F)
    "doctest", // runs docstring code (P: debug_script, F)
    "ensurepip", // installs packages (P, F)
    "eval", // not a module; listed by fickling as an alias of the builtin (F)
    "exec", // not a module; listed by fickling as an alias of the builtin (F)
    "filecmp", // reads files (F)
    "fileinput", // reads files (F)
    "ftplib", // network (F)
    "functools", // partial/reduce call anything (P: partial, F)
    "gc",   // reaches every live object (F)
    "glob", // lists files (F)
    "gzip", // gzip.open writes files
    "http", // network (F; P: httplib)
    "httplib", // Python 2's http.client (P, F)
    "idlelib", // IDLE runs code (P, F)
    "imaplib", // IMAP4_stream runs a command (P, F)
    "imp",  // load_source runs files (F)
    "importlib", // imports anything (F)
    "inspect", // reaches frames and attributes (F)
    "io",   // files (F: io.FileIO, io.open)
    "joblib", // nested unpickling (F)
    "lib2to3", // grammar loading runs code (P, F)
    "linecache", // reads files (F)
    "logging", // handlers open files and sockets (P: FileHandler, F)
    "lzma", // lzma.open writes files
    "mailbox", // creates mailbox files and directories at any path
    "marshal", // loads code objects (F)
    "mmap", // maps memory and files (F)
    "msvcrt", // Windows file handles and console
    "multiprocessing", // processes (F)
    "nntplib", // network (F)
    "nt",   // os on Windows (P, F)
    "ntpath", // os.path on Windows: files
    "numpy._core.memmap", // numpy.memmap's home: creates and truncates files
    "numpy.core.memmap", // numpy 1's numpy.memmap: creates and truncates files
    "numpy.ctypeslib", // load_library loads shared libraries
    "numpy.distutils", // build commands (F)
    "numpy.f2py", // compiles and evals strings (P, F)
    "numpy.lib._datasource", // opens files and downloads URLs (DataSource, open)
    "numpy.lib._format_impl", // numpy 2's numpy.lib.format: read_array unpickles, open_memmap writes files
    "numpy.lib._npyio_impl", // numpy 2's home of numpy.load, save, loadtxt: files, nested unpickling
    "numpy.lib.format",      // read_array unpickles, open_memmap writes files
    "numpy.lib.npyio", // numpy 1's home of numpy.load, save, loadtxt: files, nested unpickling
    "numpy.testing",   // numpy.testing._private.utils.runstring is exec (P, F)
    "operator",        // attrgetter/itemgetter/methodcaller reach any attribute (P, F)
    "os",              // processes and files (P, F)
    "pdb",             // debugger: runs code (P, F)
    "pexpect",         // runs programs (F)
    "pickle",          // nested unpickling (P, F)
    "pickletools",     // pickle internals
    "pip",             // installs packages (P, F)
    "pipes",           // Template runs shell commands (F)
    "pkgutil",         // resolve_name reaches any global (P, F)
    "platform",        // runs commands to probe the system (F)
    "poplib",          // network (F)
    "posix",           // os on Unix (P, F)
    "posixpath",       // os.path on Unix: files
    "profile",         // run()/runctx() exec a string (P, F)
    "pstats",          // Stats reads marshal files, dump_stats writes one where it is told
    "pty",             // spawn runs programs (P, F)
    "py_compile",      // writes .pyc files (F)
    "pydoc",           // locate imports anything, pipepager runs commands (P, F)
    "requests",        // network (P: requests.api, F)
    "runpy",           // runs modules and files (P, F)
    "select",          // I/O multiplexing (F)
    "selectors",       // I/O multiplexing (F)
    "setuptools",      // build commands
    "shelve",          // opens database files (F)
    "shutil",          // copies, moves and deletes files (P, F)
    "signal",          // signal handlers (F)
    "site",            // path configuration runs .pth code (F)
    "sklearn.datasets", // fetch_* downloads, load_/dump_svmlight_file read and write files
    "sklearn.utils._testing", // assert_run_python_script_without_output runs Python source; memmap helpers write files
    "sklearn.utils.estimator_checks", // the test harness: re-exports those helpers, writes memmapped files
    "sklearn.utils.testing",          // scikit-learn < 0.24's name of sklearn.utils._testing
    "smtplib",                        // network (F)
    "socket",                         // network (P, F)
    "socketserver",                   // servers bind and listen (F)
    "sqlite3",                        // database files (F)
    "ssl",                            // network, DNS exfiltration (P, F)
    "subprocess",                     // runs programs (P, F)
    "sys",                            // interpreter state, sys.modules (P, F)
    "sysconfig",                      // build configuration
    "syslog",                         // logging to the system (F)
    "tarfile",                        // extracts files (F)
    "telnetlib",                      // network (F)
    "tempfile",                       // creates files (F)
    "test",                           // test.support spawns interpreters (P, F)
    "threading",                      // threads (F)
    "timeit",                         // times a string of code by running it (P, F)
    "tkinter",                        // Tcl interpreters run commands
    "torch._dynamo",                  // compiles and runs code (P: guards.GuardBuilder.get, F)
    "torch._inductor",                // compiles and runs code (P: codecache.compile_file, F)
    "torch.hub",                      // downloads and runs code (F)
    "torch.jit", // compiles and runs code (P: unsupported_tensor_ops.execWrapper, F)
    "torch.utils.bottleneck", // runs profilers on code (P)
    "trace",     // Trace.run/runctx exec a string (P, F)
    "turtle",    // tkinter under another name (TK, Canvas): Tcl runs commands
    "turtledemo", // tkinter, imported whole
    "types",     // CodeType, FunctionType build code (P, F)
    "unittest",  // runs tests, mocks (F)
    "urllib",    // network (P: urllib.request, F)
    "urllib2",   // Python 2's urllib.request (F)
    "uu",        // encode(in, out) and decode(in, out) read and write files by path
    "venv",      // creates environments, runs pip (P, F)
    "webbrowser", // opens URLs, runs browsers (P, F)
    "winreg",    // Windows registry
    "xmlrpc",    // network (F)
    "zipfile",   // extracts files (F)
    "zipimport", // imports code from archives (F)
];

/// Names in otherwise harmless modules that are refused unless allowed one by one, with the
/// attributes reached through them (`eval.__call__`). Sorted; sources marked as above.
const DANGEROUS_NAMES: &[(&str, &str)] = &[
    ("_codecs", "open"),    // files
    ("aifc", "Aifc_write"), // opens the file it names for writing
    ("aifc", "open"),
    ("aifc", "openfp"),
    ("builtins", "__build_class__"),        // makes classes from code
    ("builtins", "__import__"),             // imports anything (P, F)
    ("builtins", "__loader__"),             // the import machinery (F)
    ("builtins", "__spec__"),               // the import machinery (F)
    ("builtins", "apply"),                  // Python 2's apply(f, args) calls anything (P)
    ("builtins", "breakpoint"),             // debugger (P, F)
    ("builtins", "compile"),                // compiles code (P, F)
    ("builtins", "delattr"),                // attribute access (F)
    ("builtins", "eval"),                   // runs code (P, F)
    ("builtins", "exec"),                   // runs code (P, F)
    ("builtins", "execfile"),               // Python 2: runs a file
    ("builtins", "exit"),                   // ends the process
    ("builtins", "file"),                   // Python 2's open
    ("builtins", "getattr"), // reaches any attribute (P, F); read only as getattr(class, 'name')
    ("builtins", "globals"), // namespace access (F)
    ("builtins", "hasattr"), // attribute access runs properties (F)
    ("builtins", "help"),    // pager runs commands
    ("builtins", "input"),   // reads the terminal (F)
    ("builtins", "locals"),  // namespace access (F)
    ("builtins", "memoryview"), // raw memory (F)
    ("builtins", "open"),    // files (P, F)
    ("builtins", "quit"),    // ends the process
    ("builtins", "raw_input"), // Python 2's input
    ("builtins", "reload"),  // Python 2: re-runs a module
    ("builtins", "setattr"), // attribute writes (F)
    ("builtins", "vars"),    // namespace access (F)
    ("codecs", "open"),      // files
    ("copyreg", "add_extension"), // changes the extension registry
    ("numpy", "DataSource"), // numpy 1: opens files and URLs
    ("numpy", "fromfile"),   // reads files
    ("numpy", "fromregex"),  // reads files
    ("numpy", "genfromtxt"), // reads files
    ("numpy", "load"),       // reads files, nested unpickling
    ("numpy", "loadtxt"),    // reads files
    ("numpy", "memmap"),     // creates and truncates files
    ("numpy", "save"),       // writes files
    ("numpy", "savetxt"),    // writes files
    ("numpy", "savez"),      // writes files
    ("numpy", "savez_compressed"), // writes files
    ("numpy._core", "_ufunc_reconstruct"), // getattr(__import__(module), name): anything
    ("numpy._core._methods", "_dump"), // ndarray.dump's body: writes a file
    ("numpy._core.multiarray", "fromfile"), // numpy.fromfile's home: reads files
    ("numpy._core.records", "fromfile"), // reads files
    ("numpy.core", "_ufunc_reconstruct"), // numpy 1's (and numpy 2's alias): anything
    ("numpy.core._methods", "_dump"), // numpy 1's ndarray.dump body: writes a file
    ("numpy.core.multiarray", "fromfile"), // numpy 1's numpy.fromfile: reads files
    ("numpy.core.records", "fromfile"), // reads files
    ("numpy.ma", "dump"),    // writes a pickle file
    ("numpy.ma", "load"),    // nested unpickling
    ("numpy.ma", "loads"),   // nested unpickling
    ("numpy.ma.core", "dump"), // writes a pickle file
    ("numpy.ma.core", "load"), // nested unpickling
    ("numpy.ma.core", "loads"), // nested unpickling
    ("numpy.ma.mrecords", "fromtextfile"), // reads files
    ("numpy.rec", "fromfile"), // numpy.rec is numpy._core.records: reads files
    ("sunau", "Au_write"),   // opens the file it names for writing
    ("sunau", "open"),
    ("sunau", "openfp"),
    ("torch", "compile"), // compiles code (F)
    ("torch", "load"),    // nested unpickling (F)
    ("torch.distributed.elastic.rendezvous.api", "basichandlers"), // network handlers (F)
    (
        "torch.fx.experimental.symbolic_shapes",
        "ShapeEnv.evaluate_guards_expression",
    ), // evals a string (P)
    ("torch.serialization", "load"), // nested unpickling (P)
    ("torch.storage", "_load_from_bytes"), // nested unpickling (F)
    ("torch.utils._config_module", "ConfigModule"), // load_config unpickles (P: ConfigModule.load_config, F)
    ("torch.utils.collect_env", "run"),             // runs a command (P)
    ("torch.utils.data.datapipes.utils.decoder", "basichandlers"), // nested unpickling (P)
    ("typing", "ForwardRef._evaluate"),             // evals a string
    ("typing", "_eval_type"),                       // evals a ForwardRef's string
    ("typing", "get_type_hints"),                   // evals annotation strings
    ("uuid", "_arp_getnode"),                       // runs a command
    ("uuid", "_find_mac"),                          // runs a command (Python 3.8)
    ("uuid", "_find_mac_near_keyword"),             // runs a command of the caller's choice
    ("uuid", "_find_mac_under_heading"),            // runs a command of the caller's choice
    ("uuid", "_get_command_stdout"), // runs a command (P; F lists all of uuid, but uuid.UUID is data)
    ("uuid", "_ifconfig_getnode"),   // runs a command
    ("uuid", "_ip_getnode"),         // runs a command
    ("uuid", "_lanscan_getnode"),    // runs a command
    ("uuid", "_netstat_getnode"),    // runs a command
    ("uuid", "_popen"),              // runs a command (Python 2)
    ("wave", "Wave_write"),          // opens the file it names for writing
    ("wave", "open"),
    ("xml.etree.ElementTree", "ElementTree.write"), // writes the file it is given
    ("xml.etree.cElementTree", "ElementTree.write"), // the same, Python 3.8
    ("zipapp", "create_archive"),                   // writes an archive where it is told
];

/// Dunder names that are data, not a way into an object's internals.
const SAFE_DUNDERS: &[(&str, &str)] = &[
    ("copy_reg", "__newobj__"),
    ("copy_reg", "__newobj_ex__"),
    ("copyreg", "__newobj__"),
    ("copyreg", "__newobj_ex__"),
];

/// `builtins` reached as another module's attribute (`json.builtins.eval`): refused, although
/// the module itself is not dangerous as a whole. Any module of [`DANGEROUS_MODULES`] and any
/// name of [`DANGEROUS_NAMES`] reached that way is refused too (see [`reaches_listed`]).
const BUILTINS: &str = "builtins";

/// Lower-case names in `builtins` that are classes of data (the rest are functions).
const BUILTIN_DATA_TYPES: &[&str] = &["range", "slice", "type"];

/// Whether `module.name` can run code or reach the system: its module (or a package above it) is
/// on [`DANGEROUS_MODULES`], it is (or reaches into) one of [`DANGEROUS_NAMES`], it goes through a
/// dunder attribute (`object.__subclasses__`, `f.__globals__`) or through a module imported by
/// another (`uuid.os`). Python 2 names are checked under their Python 3 names too, whatever the
/// protocol (`__builtin__.eval`, `commands.Popen`).
pub(crate) fn is_dangerous(module: &str, name: &str) -> bool {
    if dangerous_as_named(module, name) {
        return true;
    }
    let (m, n) = super::fix_import(module, name);
    if (m, n) != (module, name) && dangerous_as_named(m, n) {
        return true;
    }
    // A package's `__init__` is the package itself to Python's import (`numpy.core.__init__`
    // is `numpy.core`): checked under the name without it, as a review's pickle ran a command
    // through `numpy.core.__init__._ufunc_reconstruct`.
    if module.split('.').any(|part| part == "__init__") {
        let bare: Vec<&str> = module.split('.').filter(|&p| p != "__init__").collect();
        return !bare.is_empty() && is_dangerous(&bare.join("."), name);
    }
    false
}

/// Makers of plain data that the rules below would refuse: `types.SimpleNamespace` is a bag of
/// attributes, where `types` also builds code and functions; `re._compile` is how CPython
/// pickles a compiled pattern, where a name ending in `compile` looks like the builtin that
/// compiles code.
const DATA_EXEMPT: &[(&str, &str)] = &[("types", "SimpleNamespace"), ("re", "_compile")];

fn dangerous_as_named(module: &str, name: &str) -> bool {
    if DATA_EXEMPT.contains(&(module, name)) {
        return false;
    }
    let dunder = !SAFE_DUNDERS.contains(&(module, name))
        && name
            .split('.')
            .any(|part| part.len() > 4 && part.starts_with("__") && part.ends_with("__"));
    module_listed(module)
        || name_listed(module, name)
        || dunder
        || reaches_listed(name)
        || path_method(module, name)
        || dataclasses_code(module, name)
        || numpy_file_method(module, name)
}

/// A method of one of numpy's array classes that writes a file (`ndarray.tofile`, `dump`),
/// reached as `getattr(Class, 'tofile')` under any of numpy's modules and subclasses
/// (`numpy.ma.core.MaskedArray.tofile`, `numpy.recarray.dump`).
fn numpy_file_method(module: &str, name: &str) -> bool {
    (module == "numpy" || module.starts_with("numpy."))
        && name.contains('.')
        && matches!(name.rsplit('.').next(), Some("tofile" | "dump"))
}

/// The names of `dataclasses` that are data (sentinels, the field record, the frozen error);
/// its other names make classes and functions from text (`_create_fn`, `_init_fn`,
/// `make_dataclass`) or set attributes of classes.
const DATACLASSES_DATA: &[&str] = &[
    "Field",
    "FrozenInstanceError",
    "InitVar",
    "KW_ONLY",
    "MISSING",
    "_DataclassParams",
    "_FIELD",
    "_FIELD_CLASSVAR",
    "_FIELD_INITVAR",
    "_FIELD_BASE",
    "_HAS_DEFAULT_FACTORY",
    "_HAS_DEFAULT_FACTORY_CLASS",
    "_KW_ONLY_TYPE",
    "_MISSING_TYPE",
];

/// A name of `dataclasses` that is not data (see [`DATACLASSES_DATA`]).
fn dataclasses_code(module: &str, name: &str) -> bool {
    let first = name.split('.').next().unwrap_or(name);
    module == "dataclasses" && !DATACLASSES_DATA.contains(&first)
}

/// A method of a `pathlib` class (`PosixPath.write_text`, `Path.unlink`): they read, write and
/// delete files. The classes themselves are data.
fn path_method(module: &str, name: &str) -> bool {
    (module == "pathlib" || module.starts_with("pathlib.")) && name.contains('.')
}

/// Whether `module` or a package above it is on [`DANGEROUS_MODULES`].
fn module_listed(module: &str) -> bool {
    module
        .match_indices('.')
        .map(|(i, _)| &module[..i])
        .chain([module])
        .any(|m| DANGEROUS_MODULES.binary_search(&m).is_ok())
}

/// Standard library names bound to another module's object that the policy refuses by that
/// module's name (`pathlib.attrgetter` is `operator.attrgetter`, `tokenize._builtin_open` is
/// `open`, `statistics.reduce` is `functools.reduce`): a pickle may name the object by either.
/// The aliases python3.8-3.13 have, listed by `python_fixtures/stdlib_aliases.py`;
/// `tests/policy_aliases.rs` checks every alias there against the object's own name. Sorted.
const DANGEROUS_ALIASES: &[(&str, &str)] = &[
    ("_android_support", "RLock"),
    ("_collections_abc", "GenericAlias"),
    ("_interpqueues", "QueueError"),
    ("_interpqueues", "QueueNotFoundError"),
    ("_pydatetime", "_index"),
    ("_strptime", "_thread_allocate_lock"),
    ("_strptime", "re_compile"),
    ("_threading_local", "RLock"),
    ("_threading_local", "current_thread"),
    ("_weakrefset", "GenericAlias"),
    ("cgi", "BytesIO"),
    ("cgi", "StringIO"),
    ("cgi", "TextIOWrapper"),
    ("collections", "_eq"),
    ("collections", "_itemgetter"),
    ("collections.abc", "GenericAlias"),
    ("contextlib", "GenericAlias"),
    ("contextlib", "wraps"),
    ("csv", "StringIO"),
    ("dummy_threading", "Barrier"),
    ("dummy_threading", "BoundedSemaphore"),
    ("dummy_threading", "BrokenBarrierError"),
    ("dummy_threading", "Condition"),
    ("dummy_threading", "Event"),
    ("dummy_threading", "ExceptHookArgs"),
    ("dummy_threading", "RLock"),
    ("dummy_threading", "Semaphore"),
    ("dummy_threading", "Thread"),
    ("dummy_threading", "Timer"),
    ("dummy_threading", "active_count"),
    ("dummy_threading", "current_thread"),
    ("dummy_threading", "enumerate"),
    ("dummy_threading", "excepthook"),
    ("dummy_threading", "main_thread"),
    ("dummy_threading", "setprofile"),
    ("dummy_threading", "settrace"),
    ("email._header_value_parser", "itemgetter"),
    ("email.charset", "partial"),
    ("email.contentmanager", "typ"),
    ("email.feedparser", "StringIO"),
    ("email.generator", "BytesIO"),
    ("email.generator", "StringIO"),
    ("email.iterators", "StringIO"),
    ("email.message", "BytesIO"),
    ("email.message", "StringIO"),
    ("email.mime.audio", "BytesIO"),
    ("email.parser", "StringIO"),
    ("email.parser", "TextIOWrapper"),
    ("encodings.quopri_codec", "BytesIO"),
    ("encodings.uu_codec", "BytesIO"),
    ("enum", "DynamicClassAttribute"),
    ("enum", "_or_"),
    ("enum", "reduce"),
    ("graphlib", "GenericAlias"),
    ("hmac", "compare_digest"),
    ("imghdr", "PathLike"),
    ("pathlib", "attrgetter"),
    ("pathlib", "urlquote_from_bytes"),
    ("pathlib._abc", "_Globber"),
    ("pathlib._local", "_StringGlobber"),
    ("plistlib", "BytesIO"),
    ("pprint", "_StringIO"),
    ("pprint", "_dataclasses"),
    ("random", "_index"),
    ("random", "_urandom"),
    ("reprlib", "get_ident"),
    ("secrets", "compare_digest"),
    ("shlex", "StringIO"),
    ("statistics", "itemgetter"),
    ("statistics", "mul"),
    ("statistics", "reduce"),
    ("tokenize", "TextIOWrapper"),
    ("tokenize", "_builtin_open"),
    ("tomllib._re", "lru_cache"),
    ("tracemalloc", "total_ordering"),
    ("typing", "GenericAlias"),
    ("typing", "_abc_instancecheck"),
    ("typing", "_abc_subclasscheck"),
    ("wsgiref.simple_server", "BaseHTTPRequestHandler"),
    ("wsgiref.simple_server", "HTTPServer"),
    ("wsgiref.simple_server", "python_implementation"),
    ("xdrlib", "BytesIO"),
    ("xdrlib", "wraps"),
    ("xml.etree.ElementInclude", "urljoin"),
];

/// Whether `module.name` is, or reaches into, one of [`DANGEROUS_NAMES`] or
/// [`DANGEROUS_ALIASES`].
fn name_listed(module: &str, name: &str) -> bool {
    DANGEROUS_NAMES
        .iter()
        .chain(DANGEROUS_ALIASES)
        .any(|&(m, n)| {
            m == module
                && name.starts_with(n)
                && (name.len() == n.len() || name[n.len()..].starts_with('.'))
        })
}

/// Whether a dotted name goes through a module that its own module imported (CPython resolves
/// protocol 4+ dotted names attribute by attribute): to `builtins`, to a module of
/// [`DANGEROUS_MODULES`] (`uuid.os.system`, `gzip.io.open`, `collections._sys.modules`, under
/// its own name or a private alias), or to a name of [`DANGEROUS_NAMES`] (`json.codecs.open`).
fn reaches_listed(name: &str) -> bool {
    let starts = std::iter::once(0).chain(name.match_indices('.').map(|(i, _)| i + 1));
    starts.map(|i| &name[i..]).any(|path| {
        [path, path.trim_start_matches('_')]
            .into_iter()
            .any(|path| {
                path.split('.').next() == Some(BUILTINS)
                    || module_listed(path)
                    || path
                        .match_indices('.')
                        .any(|(i, _)| name_listed(&path[..i], &path[i + 1..]))
            })
    })
}

/// How [`scan`](crate::scan()) judges the global `module.name` (mapped from Python 2 names as
/// the reader maps them): dangerous as [`is_dangerous`] says, safe if the reader takes it with
/// default options, unknown otherwise.
pub(crate) fn verdict(module: &str, name: &str) -> Verdict {
    static DEFAULTS: OnceLock<DeOptions> = OnceLock::new();
    if is_dangerous(module, name) {
        return Verdict::Dangerous;
    }
    // Safe: what `resolve` lets through with default options, the pure-data built-ins and the
    // standard library's and numpy's allowlists (`stdlib::is_allowed`, `numpy::is_allowed`).
    if resolve(module, name, DEFAULTS.get_or_init(DeOptions::new)).is_ok() {
        Verdict::Safe
    } else {
        Verdict::Unknown
    }
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
        ("functools", "partial") => Some(Known::Partial),
        ("builtins", "Ellipsis") => Some(Known::Ellipsis),
        ("builtins", "NotImplemented") => Some(Known::NotImplemented),
        _ => None,
    };
    if let Some(k) = known {
        return Ok(k);
    }
    if opts.joblib && module == "joblib.numpy_pickle" {
        match name {
            "NumpyArrayWrapper" => return Ok(Known::JoblibArray),
            "NDArrayWrapper" | "ZNDArrayWrapper" => {
                return Err("joblib before 0.10 kept arrays in separate files, which are not read")
            }
            _ => {}
        }
    }
    if opts.accept_all {
        return Ok(Known::Other);
    }
    // Names the caller gave one by one, allowed or registered, pass whatever the danger list
    // says (nothing is ever called; a registered class reads into its Rust type).
    if opts.is_allowed_by_name(module, name)
        || opts.registry.knows_exactly(module, name)
        || opts.registry.enum_member(module, name, None).is_some()
        || crate::stdlib::is_allowed(module, name)
        || crate::numpy::is_allowed(module, name)
    {
        return Ok(Known::Other);
    }
    if !opts.joblib
        && module == "joblib.numpy_pickle"
        && matches!(
            name,
            "NumpyArrayWrapper" | "NDArrayWrapper" | "ZNDArrayWrapper"
        )
    {
        return Err("joblib's array wrapper: this is a joblib file, whose arrays follow their wrappers outside the pickle; read it with `pypickle::joblib`");
    }
    if let Some(why) = implausible(module, name) {
        return Err(why);
    }
    if is_dangerous(module, name) {
        if opts.is_allowed_as_enclosing(module, name) || opts.registry.knows(module, name) {
            return Ok(Known::Enclosing);
        }
        if opts.joblib
            && matches!(
                (module, name),
                ("numpy", "memmap") | ("numpy.core.memmap" | "numpy._core.memmap", "memmap")
            )
        {
            return Ok(Known::JoblibSubclass);
        }
        return Err(DANGEROUS);
    }
    // A member no variant is registered for, of a Python `Enum` whose Rust enum takes any
    // (`#[serde(other)]`): by name only after the danger list, as names not given one by one.
    if opts.is_allowed_by_module(module)
        || opts.is_allowed_as_enclosing(module, name)
        || opts.registry.knows(module, name)
        || opts.registry.other_member(module, name, None).is_some()
    {
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
    Err("not on the allowlist of pure-data globals; to read it, register a Rust type for the class (`DeOptions::registry`), allow the name (`DeOptions::allow_global`), or keep unknown classes as inert objects (`DeOptions::record_unknown_globals`)")
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

    /// The C halves and platform modules added in session 17 stay refused in record mode
    /// and are dangerous to `scan`'s verdict.
    #[test]
    fn c_halves_and_platform_modules_are_refused() {
        let opts = DeOptions::new().record_unknown_globals(true);
        for m in [
            "_bz2",
            "_dbm",
            "_gdbm",
            "_multiprocessing",
            "_posixshmem",
            "_socket",
            "_ssl",
            "_subprocess",
            "_tkinter",
            "_winapi",
            "_winreg",
            "msvcrt",
            "tkinter",
            "winreg",
        ] {
            assert!(resolve(m, "anything", &opts).is_err(), "{m}");
            assert_eq!(verdict(m, "anything"), Verdict::Dangerous, "{m}");
        }
    }

    /// numpy's file readers and writers, under every name numpy 1 and 2 give them (a hunt
    /// chained `ndarray.tofile` and `numpy.lib._npyio_impl.load` into a pickle `scan` called
    /// unknown, exit 0, that runs a command when loaded), are dangerous; its data classes
    /// are not.
    #[test]
    fn numpys_file_functions_are_dangerous_under_every_name() {
        for (m, n) in [
            ("numpy", "ndarray.tofile"),
            ("numpy", "ndarray.dump"),
            ("numpy", "memmap"),
            ("numpy", "save"),
            ("numpy", "loadtxt"),
            ("numpy._core.multiarray", "fromfile"),
            ("numpy.core.multiarray", "fromfile"),
            ("numpy.core.multiarray", "ndarray.tofile"),
            ("numpy._core.memmap", "memmap"),
            ("numpy.lib._npyio_impl", "load"),
            ("numpy.lib.npyio", "load"),
            ("numpy.lib.format", "read_array"),
            ("numpy.lib._format_impl", "open_memmap"),
            ("numpy.ctypeslib", "load_library"),
            ("numpy.ma.core", "MaskedArray.tofile"),
            ("numpy", "recarray.dump"),
            ("numpy.ma", "loads"),
            // From a review of the first list.
            ("numpy._core._methods", "_dump"),
            ("numpy.core._methods", "_dump"),
            ("numpy.rec", "fromfile"),
            ("numpy.ma.mrecords", "fromtextfile"),
            ("numpy.lib._datasource", "open"),
            ("numpy", "DataSource"),
            ("sklearn.datasets", "fetch_openml"),
            ("sklearn.datasets._svmlight_format_io", "dump_svmlight_file"),
            // From the sklearn hunt: getattr(__import__(m), n), and a Python script runner.
            ("numpy._core", "_ufunc_reconstruct"),
            ("numpy.core", "_ufunc_reconstruct"),
            // A package's __init__ is the package (a review).
            ("numpy.core.__init__", "_ufunc_reconstruct"),
            ("numpy.__init__", "load"),
            ("numpy.__init__", "savetxt"),
            ("os.__init__", "system"),
            ("numpy.__init__.core", "_ufunc_reconstruct"),
            // Importing it opens a web browser (a review).
            ("antigravity", "geohash"),
            (
                "sklearn.utils._testing",
                "assert_run_python_script_without_output",
            ),
            (
                "sklearn.utils.estimator_checks",
                "create_memmap_backed_data",
            ),
            (
                "sklearn.utils.testing",
                "assert_run_python_script_without_output",
            ),
        ] {
            assert_eq!(verdict(m, n), Verdict::Dangerous, "{m}.{n}");
        }
        for (m, n) in [
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.ma.core", "_mareconstruct"),
            ("numpy", "dump_data"),
        ] {
            assert_ne!(verdict(m, n), Verdict::Dangerous, "{m}.{n}");
        }
    }

    #[test]
    fn dangerous_lists_are_sorted_and_reach_submodules_attributes_and_python2_names() {
        assert!(DANGEROUS_MODULES.windows(2).all(|w| w[0] < w[1]));
        assert!(DANGEROUS_NAMES.windows(2).all(|w| w[0] < w[1]));
        assert!(DANGEROUS_ALIASES.windows(2).all(|w| w[0] < w[1]));
        for (m, n) in [
            ("os", "system"),
            ("numpy.testing._private.utils", "runstring"),
            ("builtins", "eval.__call__"),
            ("builtins", "object.__subclasses__"),
            ("collections", "OrderedDict.__init__.__globals__"),
            ("uuid", "os.system"),
            ("collections", "_sys.modules"),
            // More through other modules in tests/objects.rs, end to end.
            ("json", "codecs.open"),
            ("mymod", "_io.open"),
            ("mymod", "torch.storage._load_from_bytes"),
            ("uuid", "_get_command_stdout"),
            ("__builtin__", "eval"),
            ("__builtin__", "apply"),
            ("commands", "Popen"),
            (
                "torch.fx.experimental.symbolic_shapes",
                "ShapeEnv.evaluate_guards_expression",
            ),
        ] {
            assert!(is_dangerous(m, n), "{m}.{n}");
        }
        for (m, n) in [
            ("copyreg", "__newobj__"),
            ("copy_reg", "__newobj_ex__"),
            ("uuid", "UUID"),
            ("collections", "OrderedDict"),
            ("__main__", "Point"),
            ("mymod", "Outer.Inner"),
            ("zoneinfo", "ZoneInfo._unpickle"),
            ("numpy", "dtype"),
            ("numpy.random._pickle", "__randomstate_ctor"),
            ("copyreg", "_reconstructor"),
            ("pathlib", "PosixPath"),
            ("datetime", "datetime"),
            ("mymod", "Outer.Types"),
            ("torch.fx.experimental.symbolic_shapes", "ShapeEnv"),
        ] {
            assert!(!is_dangerous(m, n), "{m}.{n}");
        }
        assert_eq!(verdict("builtins", "set"), Verdict::Safe);
        assert_eq!(verdict("__main__", "Point"), Verdict::Unknown);
        assert_eq!(verdict("posix", "system"), Verdict::Dangerous);
    }
}
