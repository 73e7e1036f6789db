//! Options for reading pickles: limits, Python 2 string decoding and the policy for globals.

/// How Python 2 `str` values (the STRING, BINSTRING and SHORT_BINSTRING opcodes) are read,
/// like the `encoding=` argument of CPython's `pickle.loads`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Py2Strings {
    /// Decode as ASCII; a byte over 0x7f is an error (CPython's default).
    #[default]
    Ascii,
    /// Decode as Latin-1: every byte is the code point of the same number. Use this for pickles
    /// of Python 2 datetime or numpy objects, as CPython's documentation advises.
    Latin1,
    /// Decode as UTF-8; invalid UTF-8 is an error.
    Utf8,
    /// Keep them as `bytes`.
    Bytes,
}

/// Options for reading pickles. Build with [`DeOptions::new`] and the builder methods.
///
/// ```
/// use pypickle::{DeOptions, Py2Strings};
/// let opts = DeOptions::new().max_depth(64).py2_strings(Py2Strings::Latin1);
/// let v: i32 = pypickle::from_slice_with(b"K\x07.", &opts).unwrap();
/// assert_eq!(v, 7);
/// ```
///
/// # Limits
/// Every resource a pickle can claim is bounded. Lengths in the input are never trusted: nothing
/// is allocated beyond what the remaining input can hold. On top of that:
///
/// | limit | default | why |
/// |---|---|---|
/// | [`max_depth`](Self::max_depth) | 256 | nesting of containers when converting to Rust values, which recurses; keeps the stack safe on a 2 MiB thread |
/// | [`max_memo`](Self::max_memo) | 2^26 entries | memo entries (16 bytes each) |
/// | [`max_nodes`](Self::max_nodes) | 2^28 | values held in containers, call arguments and BUILD states, and values on the unpickler's stack (16 bytes each) |
/// | [`max_expansion`](Self::max_expansion) | 2^20 | values visited again through shared references (memo GET, DUP): stops "billion laughs" pickles whose shared structure would expand without bound; also values copied by calls (`tuple(l)` of a memoized list, again and again) beyond the pickle's length; and, at 32 bytes a value, the bytes of strs, bytes and ints handed over again beyond the pickle's length (one long str referenced over and over), at 8 bytes a value the bytes calls copy (`_codecs.encode` of one str, again and again). Each pickle of a stream is measured by its own bytes, the same from a slice and a reader, and has a budget of its own: a stream of many small expanding pickles costs up to the limit for each (about 20 ms of work for each 3 KB one at the default), so a caller reading an untrusted stream bounds the number of pickles, or lowers this; what `persistent_load` returns counts as bytes calls copy |
/// | [`max_int_digits`](Self::max_int_digits) | 4300 | decimal digits of a text integer, as CPython's `sys.int_info.default_max_str_digits` |
/// | [`max_decompressed`](Self::max_decompressed) | 1 GiB | bytes a compressed joblib file ([`crate::joblib`]) may inflate to: a few KiB of zlib can claim gigabytes |
///
/// Two sizes are not options: an input slice of 1 TiB or more, and a single str, bytes,
/// bytearray or int of 64 GiB or more, are refused as unsupported.
#[derive(Clone, Debug)]
pub struct DeOptions {
    pub(crate) max_depth: usize,
    pub(crate) max_memo: usize,
    pub(crate) max_nodes: usize,
    pub(crate) max_expansion: u64,
    pub(crate) max_int_digits: usize,
    pub(crate) max_decompressed: u64,
    pub(crate) py2_strings: Py2Strings,
    pub(crate) fix_imports: bool,
    allowed: Vec<(String, String)>,
    record_unknown: bool,
    pub(crate) registry: crate::ClassRegistry,
    pub(crate) persistent_load: Option<PersistentLoad>,
    /// Extension codes (EXT1, EXT2, EXT4) and the globals they stand for.
    pub(crate) extensions: Vec<(u32, String, String)>,
    /// Reading a `joblib.dump` file (set by `pypickle::joblib`): raw array bytes follow each
    /// `NumpyArrayWrapper`'s BUILD.
    pub(crate) joblib: bool,
    /// Take every global as an inert reference, dangerous ones too: only for finding where a
    /// joblib file's array bytes lie, for `joblib::scan` (nothing read this way is returned).
    pub(crate) accept_all: bool,
}

/// The signature of a `persistent_load` hook.
type PersistentLoadFn = dyn Fn(&crate::Value) -> Result<crate::Value, String> + Send + Sync;

/// The caller's `persistent_load`.
#[derive(Clone)]
pub(crate) struct PersistentLoad(pub(crate) std::sync::Arc<PersistentLoadFn>);

impl std::fmt::Debug for PersistentLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersistentLoad(..)")
    }
}

impl Default for DeOptions {
    fn default() -> Self {
        DeOptions {
            max_depth: 256,
            max_memo: 1 << 26,
            max_nodes: 1 << 28,
            max_expansion: 1 << 20,
            max_int_digits: 4300,
            max_decompressed: 1 << 30,
            py2_strings: Py2Strings::Ascii,
            fix_imports: true,
            allowed: Vec::new(),
            record_unknown: false,
            registry: crate::ClassRegistry::new(),
            persistent_load: None,
            extensions: Vec::new(),
            joblib: false,
            accept_all: false,
        }
    }
}

impl DeOptions {
    /// The defaults: see the table above.
    pub fn new() -> Self {
        Self::default()
    }

    /// The deepest nesting of containers allowed.
    ///
    /// Each level is a level of recursion when the value is handed to serde (in this crate and
    /// in the `Deserialize` impls): the default is safe on a 2 MiB thread, and a limit raised
    /// far past it needs a thread with a larger stack, or input no deeper than that stack
    /// can take.
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// The most memo entries a pickle may make.
    pub fn max_memo(mut self, entries: usize) -> Self {
        self.max_memo = entries;
        self
    }

    /// The most values a pickle may hold at once, in containers and on the unpickler's stack
    /// (at most `u32::MAX - 1`).
    pub fn max_nodes(mut self, nodes: usize) -> Self {
        self.max_nodes = nodes.min(u32::MAX as usize - 1);
        self
    }

    /// How many values may be visited again through shared references, beyond the values the
    /// pickle itself holds; and how many values calls may copy (`tuple(l)`, `set(l)`,
    /// `dict(d)`, a class called with a tuple of arguments) beyond the input's length.
    pub fn max_expansion(mut self, visits: u64) -> Self {
        self.max_expansion = visits;
        self
    }

    /// The most decimal digits in a text integer (INT, LONG opcodes).
    pub fn max_int_digits(mut self, digits: usize) -> Self {
        self.max_int_digits = digits;
        self
    }

    /// The most bytes a compressed joblib file may decompress to (see [`crate::joblib`]).
    pub fn max_decompressed(mut self, bytes: u64) -> Self {
        self.max_decompressed = bytes;
        self
    }

    /// How Python 2 `str` values are read.
    pub fn py2_strings(mut self, how: Py2Strings) -> Self {
        self.py2_strings = how;
        self
    }

    /// Map Python 2 module names (`__builtin__`, `copy_reg`, ...) to Python 3 ones in protocol
    /// 0-2 pickles, like CPython's `fix_imports` (on by default).
    pub fn fix_imports(mut self, on: bool) -> Self {
        self.fix_imports = on;
        self
    }

    /// Let the pickle mention `module.name`, kept as an inert reference (never imported or
    /// called). `name` may be `*` for every name in `module`, except the globals on the built-in
    /// list of dangerous ones (`os.system`, `builtins.eval`, ...): those pass only when named
    /// one by one, so name them deliberately.
    pub fn allow_global(mut self, module: &str, name: &str) -> Self {
        self.allowed.push((module.to_string(), name.to_string()));
        self
    }

    /// Keep objects of classes not on the allowlist as inert [`Value::Object`]s instead of
    /// refusing the pickle. Globals known to be dangerous (`os.system`, `builtins.eval`, ...)
    /// are still refused unless allowed with [`allow_global`](Self::allow_global).
    ///
    /// [`Value::Object`]: crate::Value::Object
    pub fn record_unknown_globals(mut self, on: bool) -> Self {
        self.record_unknown = on;
        self
    }

    /// Read instances of the registry's classes into the Rust types registered for them; those
    /// classes are allowed (as inert names) by the policy.
    pub fn registry(mut self, registry: crate::ClassRegistry) -> Self {
        self.registry = registry;
        self
    }

    /// Resolve persistent ids (the PERSID and BINPERSID opcodes) like `Unpickler.persistent_load`:
    /// `load` gets the id as a [`Value`](crate::Value) and returns the value that stands in
    /// its place (or an error message, which becomes the decode error). Without it a persistent
    /// id is an error. The returned value is trusted: it is not checked against the policy.
    /// Its bytes (strs, bytes, big ints) are copied at each call, and a pickle chooses how
    /// often it calls the hook, so they are charged as bytes the pickle made (see
    /// [`max_expansion`](Self::max_expansion)): a hook that returns large blobs wants
    /// `max_expansion` raised. The id is a copy of what the pickle built when the
    /// PERSID or BINPERSID runs (CPython passes the object itself, so a container the pickle
    /// fills afterwards is seen filled there; CPython's pickler never writes that), and an id
    /// that holds itself is an error of [`Category::Invalid`](crate::Category::Invalid), as
    /// a [`Value`](crate::Value) cannot hold a cycle.
    ///
    /// ```
    /// use pypickle::{DeOptions, Value};
    /// // pickle.dumps([1, obj]) where persistent_id(obj) returned ('blob', 7):
    /// let data = b"\x80\x04\x95\x12\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01\x8c\x04blob\x94K\x07\x86\x94Qe.";
    /// let opts = DeOptions::new().persistent_load(|pid| match pid.as_slice() {
    ///     Some([kind, Value::Int(n)]) if kind.as_str() == Some("blob") => Ok(Value::from(format!("blob #{n}"))),
    ///     _ => Err(format!("unknown persistent id {pid}")),
    /// });
    /// let v: Vec<Value> = pypickle::from_slice_with(data, &opts)?;
    /// assert_eq!(v[1].as_str(), Some("blob #7"));
    /// assert!(pypickle::from_slice::<Value>(data).is_err());
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn persistent_load(
        mut self,
        load: impl Fn(&crate::Value) -> Result<crate::Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.persistent_load = Some(PersistentLoad(std::sync::Arc::new(load)));
        self
    }

    /// Read the extension code `code` (the EXT1, EXT2 and EXT4 opcodes, which stand for
    /// globals registered with `copyreg.add_extension`) as the global `module.name`. The global
    /// is then checked by the policy like any other. Unregistered codes are an error.
    ///
    /// # Panics
    ///
    /// If `code` is 0 or above 2^31 - 1, or `code` or `module.name` is already registered for
    /// another, which `copyreg.add_extension` refuses too (no pickle holds such a code, and
    /// one code cannot stand for two globals).
    pub fn extension(mut self, code: u32, module: &str, name: &str) -> Self {
        crate::class::add_extension(&mut self.extensions, code, module, name);
        self
    }

    pub(crate) fn is_allowed_by_name(&self, module: &str, name: &str) -> bool {
        self.allowed.iter().any(|(m, n)| m == module && n == name)
    }

    /// Whether `module.name` is a name allowed one by one, or a class one is nested in
    /// (protocols 0-3 write `Outer.Inner` as `getattr(Outer, 'Inner')`).
    pub(crate) fn is_allowed_as_enclosing(&self, module: &str, name: &str) -> bool {
        self.allowed
            .iter()
            .any(|(m, n)| m == module && crate::class::is_or_nests_in(n, name))
    }

    pub(crate) fn is_allowed_by_module(&self, module: &str) -> bool {
        self.allowed.iter().any(|(m, n)| m == module && n == "*")
    }

    pub(crate) fn records_unknown_globals(&self) -> bool {
        self.record_unknown
    }
}
