//! The values a file holds, for `show` and `to-json`: each pickle of a plain file, one after
//! another, or the one pickle of a joblib file (compressed or not, its arrays read as numpy's
//! own pickles make them).

use pypickle::joblib::{self, Compression};
use pypickle::read::SliceRead;
use pypickle::{Category, DeOptions, Deserializer, Error, Value};

/// joblib's array wrapper, the global every joblib file with an array names.
pub const WRAPPER: (&str, &str) = ("joblib.numpy_pickle", "NumpyArrayWrapper");

/// Whether `bytes` look like a joblib file: a compression's magic bytes, or a pickle naming
/// joblib's array wrapper.
pub fn looks_like_joblib(bytes: &[u8]) -> bool {
    let named = WRAPPER.0.as_bytes();
    Compression::detect(bytes) != Compression::None
        || bytes.windows(named.len()).any(|w| w == named)
}

/// The values of a file, read one at a time.
pub enum Pickles<'a> {
    /// A joblib file's one value, until taken.
    Joblib(Option<Value>),
    /// Plain pickles; with the error of reading them as a joblib file, if they looked like
    /// one, for a first pickle that does not read either.
    Plain {
        de: Box<Deserializer<SliceRead<'a>>>,
        as_joblib: Option<Error>,
    },
}

impl<'a> Pickles<'a> {
    /// A file that looks like joblib's is read as joblib's; if that fails it may still be
    /// plain pickles (`BZ` begins a BINBYTES, and any pickle may hold the wrapper's name as
    /// text), and is read as such.
    /// With `keep_memo`, the pickles of a plain file share one memo, as one reused
    /// `pickle.Unpickler` reads them (`--keep-memo`).
    pub fn open(bytes: &'a [u8], opts: DeOptions, keep_memo: bool) -> Pickles<'a> {
        let as_joblib = if looks_like_joblib(bytes) {
            let value = joblib::decompress(bytes, &opts)
                .and_then(|plain| joblib::from_slice_with::<Value>(&plain, &opts));
            match value {
                Ok(v) => return Pickles::Joblib(Some(v)),
                Err(e) => Some(e),
            }
        } else {
            None
        };
        Pickles::Plain {
            de: Box::new(
                Deserializer::from_slice(bytes)
                    .with_options(opts)
                    .keep_memo(keep_memo),
            ),
            as_joblib,
        }
    }

    /// The next value, or `None` after the last. A first pickle that is not one at all
    /// (truncated or invalid), or that stops at joblib's array wrapper, in a file that looked
    /// like joblib's reports the joblib error: what stopped the file read as joblib's.
    pub fn next_value(&mut self) -> Result<Option<Value>, Error> {
        match self {
            Pickles::Joblib(value) => Ok(value.take()),
            Pickles::Plain { de, as_joblib } => {
                let r = de.next_value();
                let joblib_error = as_joblib.take();
                match (r, joblib_error) {
                    (Err(e), Some(j))
                        if matches!(e.category(), Category::Truncated | Category::Invalid)
                            || e.refused_global() == Some(WRAPPER) =>
                    {
                        Err(j)
                    }
                    (r, _) => r,
                }
            }
        }
    }

    /// Where the reading stopped: the offset after the last STOP read (a joblib file is read
    /// to its end or not at all).
    pub fn position(&self, len: usize) -> u64 {
        match self {
            Pickles::Joblib(_) => len as u64,
            Pickles::Plain { de, .. } => de.position(),
        }
    }
}

/// Whether every pickle of the file reads with `opts`: how a command tells that an option it
/// would suggest helps.
pub fn all_read(bytes: &[u8], opts: DeOptions, keep_memo: bool) -> bool {
    first_error(bytes, opts, keep_memo).is_none()
}

/// The error that stops reading the file's pickles with `opts`, if one does.
fn first_error(bytes: &[u8], opts: DeOptions, keep_memo: bool) -> Option<Error> {
    let mut pickles = Pickles::open(bytes, opts, keep_memo);
    loop {
        match pickles.next_value() {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => return Some(e),
        }
    }
}

/// Whether a module or name may be printed as an argument to give: only letters, digits, `_`
/// and `.`, as Python's are; any other could hold shell syntax, line breaks or terminal
/// escapes.
pub fn plain_name(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

/// The `--allow` arguments that let every pickle of the file read with `opts`, given the error
/// that stopped it first (a refused global): the globals refused one after another, each then
/// allowed, up to a few. `None` if the error was not a refusal, or the file still does not
/// read with them allowed.
pub fn allow_arguments(
    bytes: &[u8],
    opts: &DeOptions,
    keep_memo: bool,
    first: &Error,
) -> Option<Vec<String>> {
    const MOST: usize = 8;
    let mut opts = opts.clone();
    let mut args = Vec::new();
    let mut refused = first
        .refused_global()
        .map(|(m, n)| (m.to_string(), n.to_string()));
    while let Some((module, name)) = refused.take() {
        if args.len() == MOST || !plain_name(&module) || !plain_name(&name) {
            return None;
        }
        args.push(format!("{module}:{name}"));
        opts = opts.allow_global(&module, &name);
        let Some(e) = first_error(bytes, opts.clone(), keep_memo) else {
            return Some(args);
        };
        match e.refused_global() {
            // The same global refused again: allowing it does not help.
            Some((m, n)) if (m, n) != (module.as_str(), name.as_str()) => {
                refused = Some((m.to_string(), n.to_string()));
            }
            _ => return None,
        }
    }
    None
}
