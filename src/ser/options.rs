//! Options for writing pickles: the protocol, the memo of keys and Python 2 names.

/// The protocol CPython 3.8 to 3.13 write by default, and so does this crate.
pub const DEFAULT_PROTOCOL: u8 = 4;

/// Options for writing pickles. Build with [`SerOptions::new`] and the builder methods.
///
/// ```
/// use pypickle::SerOptions;
/// // Protocol 2: what Python 2.3+ and every Python 3 can load.
/// let opts = SerOptions::new().protocol(2);
/// let bytes = pypickle::to_vec_with(&(1, "a"), &opts).unwrap();
/// assert_eq!(bytes, b"\x80\x02K\x01X\x01\x00\x00\x00aq\x00\x86q\x01.");
///
/// // A protocol this crate does not write is an error when writing, never a panic.
/// let err = pypickle::to_vec_with(&1, &SerOptions::new().protocol(6)).unwrap_err();
/// assert_eq!(err.category(), pypickle::Category::Unserializable);
/// ```
///
/// | option | default | what it does |
/// |---|---|---|
/// | [`protocol`](Self::protocol) | 4 | the pickle protocol, 0 to 5 |
/// | [`memoize_keys`](Self::memoize_keys) | on | write each distinct dict key (struct field name, string map key) once and refer back to it |
/// | [`memoize_strings`](Self::memoize_strings) | on | refer back to recently written short str values instead of writing them again |
/// | [`fix_imports`](Self::fix_imports) | on | at protocols 0-2, write globals under their Python 2 names, like CPython |
/// | [`require_registered`](Self::require_registered) | off | refuse structs and struct or tuple variants the registry does not have as classes |
/// | [`max_depth`](Self::max_depth) | 256 | the deepest nesting of containers written (as the reader's default): deeper is an error, not a stack overflow |
#[derive(Clone, Debug, PartialEq)]
pub struct SerOptions {
    pub(crate) protocol: u8,
    pub(crate) memoize_keys: bool,
    pub(crate) memoize_strings: bool,
    pub(crate) fix_imports: bool,
    pub(crate) registry: crate::ClassRegistry,
    pub(crate) extensions: Vec<(u32, String, String)>,
    pub(crate) out_of_band: bool,
    pub(crate) max_depth: u32,
    pub(crate) require_registered: bool,
}

/// [`SerOptions::max_depth`]'s default, which [`to_value`](crate::to_value) keeps too.
pub(crate) const DEFAULT_MAX_DEPTH: u32 = 256;

impl Default for SerOptions {
    fn default() -> Self {
        SerOptions {
            protocol: DEFAULT_PROTOCOL,
            memoize_keys: true,
            memoize_strings: true,
            fix_imports: true,
            registry: crate::ClassRegistry::new(),
            extensions: Vec::new(),
            out_of_band: false,
            max_depth: DEFAULT_MAX_DEPTH,
            require_registered: false,
        }
    }
}

impl SerOptions {
    /// The defaults: protocol 4, keys memoized, Python 2 names at protocols 0-2.
    pub fn new() -> Self {
        Self::default()
    }

    /// The pickle protocol to write, 0 to 5 ([`HIGHEST_PROTOCOL`](crate::opcode::HIGHEST_PROTOCOL)).
    ///
    /// - 0: text, readable by every Python;
    /// - 1: binary, every Python;
    /// - 2: Python 2.3+ (`bytes` are written the way Python 2 and 3 both load);
    /// - 3: Python 3.0+ (`bytes` opcodes);
    /// - 4: Python 3.4+ (frames, sets, short strings, memo without ids; CPython's default);
    /// - 5: Python 3.8+ (`bytearray` opcode).
    ///
    /// Any other number is stored as given and makes every write fail with an error of
    /// category [`Unserializable`](crate::Category::Unserializable): a builder method cannot fail,
    /// and a bad protocol is found on the first write.
    pub fn protocol(mut self, protocol: u8) -> Self {
        self.protocol = protocol;
        self
    }

    /// Whether repeated dict keys are written once and then referenced from the memo (on by
    /// default).
    ///
    /// Struct field names, enum variant names and string map keys are written the first time
    /// with a memo entry and afterwards as a 2-byte `BINGET` (5-byte `LONG_BINGET` past 256 memo
    /// entries), as CPython does for the interned keys of a list of dicts. Turned off, each key
    /// is written out in full every time, as CPython does for keys that are distinct objects.
    /// The value Python loads is the same either way.
    pub fn memoize_keys(mut self, on: bool) -> Self {
        self.memoize_keys = on;
        self
    }

    /// Whether repeated short str values are referenced from the memo (on by default).
    ///
    /// A str value of up to 23 bytes that was written recently in the same pickle (a tag, a
    /// status, a country code repeated across records) becomes a `BINGET` instead of a copy, as
    /// CPython does when such values are the same interned object. Unlike CPython, this looks at
    /// the text, not at object identity, so a pickle of data whose equal strings are distinct
    /// Python objects is smaller than CPython's; Python loads the same values either way (the
    /// equal strings then being one object). Turn it off for output that matches CPython's
    /// byte for byte on such data too.
    pub fn memoize_strings(mut self, on: bool) -> Self {
        self.memoize_strings = on;
        self
    }

    /// Whether globals are written under their Python 2 names at protocols 0-2 (on by default,
    /// like the `fix_imports` argument of CPython's `pickle.dumps`): `builtins.set` becomes
    /// `__builtin__.set`, `copyreg` becomes `copy_reg`, and so on, so that Python 2 can load the
    /// pickle. Python 3 maps them back when it loads.
    pub fn fix_imports(mut self, on: bool) -> Self {
        self.fix_imports = on;
        self
    }

    /// Write the registry's Rust types as instances of their Python classes.
    pub fn registry(mut self, registry: crate::ClassRegistry) -> Self {
        self.registry = registry;
        self
    }

    /// Refuse to write a struct (with named fields, or a tuple struct) or an enum's struct or
    /// tuple variant that the [registry](Self::registry) does not have as a Python class: an
    /// error naming it, where it would otherwise be written as a dict (or a tuple), which a
    /// Python program expecting instances of its classes only finds out about later. Off by
    /// default. Unit and newtype structs, unit and newtype variants, and the types of
    /// [`stdlib`](crate::stdlib) and [`Value`](crate::Value) are written as always. A struct
    /// with a `#[serde(flatten)]` field reaches the serializer as a map, without its name, so
    /// it cannot be told from one and is written as a dict all the same. An internally or
    /// adjacently tagged enum (`#[serde(tag = "...")]`) reaches it as a struct named after the
    /// enum, for every variant, unit ones too: it is refused, and no registration covers it
    /// (keep such an enum externally tagged, serde's default, and register its variants).
    ///
    /// ```
    /// use pypickle::{ClassRegistry, SerOptions};
    /// use serde::{Deserialize, Serialize};
    /// #[derive(Serialize, Deserialize)]
    /// struct Point { x: i32, y: i32 }
    /// #[derive(Serialize, Deserialize)]
    /// struct Line { a: Point, b: Point, style: Style }
    /// #[derive(Serialize, Deserialize)]
    /// struct Style { width: f64 }
    ///
    /// let line = Line { a: Point { x: 0, y: 0 }, b: Point { x: 1, y: 1 }, style: Style { width: 0.5 } };
    /// let registry = ClassRegistry::new()
    ///     .class::<Point>("geometry.Point")
    ///     .class::<Line>("geometry.Line");
    /// let opts = SerOptions::new().registry(registry.clone()).require_registered(true);
    /// // `Style` was forgotten: an error, not a dict where Python expects an object.
    /// let err = pypickle::to_vec_with(&line, &opts).unwrap_err();
    /// assert!(err.to_string().contains("struct `Style` is not registered"), "{err}");
    ///
    /// let opts = SerOptions::new()
    ///     .registry(registry.class::<Style>("geometry.Style"))
    ///     .require_registered(true);
    /// assert!(pypickle::to_vec_with(&line, &opts).is_ok());
    /// ```
    pub fn require_registered(mut self, on: bool) -> Self {
        self.require_registered = on;
        self
    }

    /// Write the global `module.name` as the extension code `code` (EXT1, EXT2 or EXT4, by
    /// size) at protocols 2 and up, as CPython does for globals registered with
    /// `copyreg.add_extension`. The reader must know the same code; codes are 1 to 2^31 - 1.
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

    /// Hand [`PickleBuffer`](crate::PickleBuffer)s, and the data of numpy
    /// [`NdArray`](crate::numpy::NdArray)s that numpy would hand out, out of band at protocol 5
    /// (NEXT_BUFFER, READONLY_BUFFER), like `pickle.dumps(..., buffer_callback=...)` with a
    /// callback that keeps them: the pickle holds only a reference to each, in order, and the buffers
    /// themselves come back from [`to_vec_with_buffers`](crate::to_vec_with_buffers) or
    /// [`Serializer::take_buffers`](crate::Serializer::take_buffers); `to_vec_with` and
    /// `to_writer_with`, which cannot return them, return an error for a value that hands any
    /// out. (`to_writer_with` finds out only once the pickle is written: the writer has it
    /// then, a pickle whose buffers nobody gets back.) Off by default: buffers are written in
    /// band, as bytes or bytearray.
    pub fn out_of_band_buffers(mut self, on: bool) -> Self {
        self.out_of_band = on;
        self
    }

    /// The deepest nesting of containers written (256 by default, as
    /// [`DeOptions::max_depth`](crate::DeOptions::max_depth)): serializing recurses, so a value
    /// nested deeper (a hand-built `Value`, a recursive type) is an error of
    /// [`Limit::Depth`](crate::Limit::Depth) instead of a stack overflow. A level of a `Value`
    /// takes about 0.7 KiB of stack in a release build and 5 KiB in a debug build: 256 levels
    /// fit a 2 MiB thread either way; raise the limit together with the stack. `Some`s and
    /// newtype structs, which write nothing of their own but recurse too, may nest 4 times as
    /// deep (1024 by default), so that a type recursive through them alone stops as well.
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = u32::try_from(depth).unwrap_or(u32::MAX);
        self
    }

    /// The protocol these options ask for (possibly one that is not supported).
    pub fn get_protocol(&self) -> u8 {
        self.protocol
    }
}
