//! Files written by `joblib.dump`, the way scikit-learn models are usually saved.
//!
//! A joblib file is a pickle with the arrays taken out of it: each numpy array is pickled as a
//! `joblib.numpy_pickle.NumpyArrayWrapper` (its dtype, shape and order), and the array's bytes
//! follow that object's BUILD opcode in the file, outside the opcodes (aligned to 16 bytes
//! since joblib 1.2). `pickle.load` cannot read such a file; these functions can. Each array
//! reads as the object numpy's own pickle makes at protocols 2-4,
//! `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')` with the BUILD state
//! `(1, shape, dtype, is_fortran, data)`, so it deserializes into a
//! [`NdArray`](crate::numpy::NdArray) (or, from [`from_slice`], an
//! [`NdArrayView`](crate::numpy::NdArrayView) borrowing the file's bytes), and a
//! [`Value`](crate::Value) read from a joblib file writes back as an ordinary pickle that
//! numpy 1 and 2 both load. Object arrays (joblib pickles them whole, inline) read too.
//!
//! `joblib.dump(..., compress=...)` compresses the whole file. With the `joblib` feature,
//! zlib (`compress=3` or `('zlib', n)`) and gzip (`('gzip', n)`) files are decompressed on the
//! fly (with the [`flate2`](https://docs.rs/flate2) crate), up to
//! [`DeOptions::max_decompressed`] bytes; other compressors (bz2, xz, lzma, lz4) are recognised
//! and refused with an error naming them. Files of joblib before 0.10 (arrays in separate
//! `.npy` files) are refused.
//!
//! Everything else is as for [`from_slice`](crate::from_slice): the classes in the file
//! (the estimator's) must be known to the [`ClassRegistry`](crate::ClassRegistry) or allowed,
//! and nothing is ever executed.
//!
//! ```
//! use pypickle::numpy::NdArray;
//! // joblib.dump(numpy.array([1.5, 2.5]), f): a wrapper, then 16-byte aligned raw data.
//! # let file = std::fs::read("python_fixtures/joblib/float64_vector.joblib").unwrap();
//! let a: NdArray = pypickle::joblib::from_slice(&file)?;
//! assert_eq!(a.to_vec::<f64>()?, [1.5, 2.5]);
//! # Ok::<(), pypickle::Error>(())
//! ```

use std::fmt;
use std::io;

use serde::de::{Deserialize, DeserializeOwned};

use crate::de::DeOptions;
use crate::error::{Error, ErrorCode, Result};

/// How a joblib file is compressed, from its first bytes (joblib's own magic numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// Not compressed: a pickle with the arrays' bytes inline.
    None,
    /// zlib (`compress=True`, `compress=3`, `('zlib', n)`): read with the `joblib` feature.
    Zlib,
    /// gzip (`('gzip', n)`): read with the `joblib` feature.
    Gzip,
    /// bz2: recognised, not read.
    Bz2,
    /// xz: recognised, not read.
    Xz,
    /// lzma: recognised, not read.
    Lzma,
    /// lz4: recognised, not read.
    Lz4,
    /// joblib before 0.9.3's own zlib format (`ZF`): recognised, not read.
    Legacy,
}

impl Compression {
    /// The compression of a file starting with these bytes (5 are enough).
    pub fn detect(start: &[u8]) -> Compression {
        const PREFIXES: [(&[u8], Compression); 7] = [
            (b"ZF", Compression::Legacy),
            (b"\x78", Compression::Zlib),
            (b"\x1f\x8b", Compression::Gzip),
            (b"BZ", Compression::Bz2),
            (b"\xfd\x37\x7a\x58\x5a", Compression::Xz),
            (b"\x5d\x00", Compression::Lzma),
            (b"\x04\x22\x4d\x18", Compression::Lz4),
        ];
        PREFIXES
            .iter()
            .find(|(p, _)| start.starts_with(p))
            .map_or(Compression::None, |&(_, c)| c)
    }

    fn readable(self) -> bool {
        self == Compression::None
            || (cfg!(feature = "joblib") && matches!(self, Compression::Zlib | Compression::Gzip))
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "none",
            Compression::Zlib => "zlib",
            Compression::Gzip => "gzip",
            Compression::Bz2 => "bz2",
            Compression::Xz => "xz",
            Compression::Lzma => "lzma",
            Compression::Lz4 => "lz4",
            Compression::Legacy => "joblib's pre-0.9.3 zlib",
        })
    }
}

fn unreadable(c: Compression, how: &str) -> Error {
    let why = match c {
        Compression::Zlib | Compression::Gzip if !cfg!(feature = "joblib") => {
            format!("this joblib file is compressed with {c}: enable pypickle's `joblib` feature")
        }
        Compression::Zlib | Compression::Gzip => {
            format!("this joblib file is compressed with {c}: {how}")
        }
        _ => format!("joblib files compressed with {c} are not supported (zlib and gzip are)"),
    };
    Error::new(ErrorCode::Unsupported(why.into()))
}

fn joblib_options(opts: &DeOptions) -> DeOptions {
    let mut opts = opts.clone();
    opts.joblib = true;
    opts
}

/// Read an uncompressed joblib file held in memory; strings, bytes and arrays' data can
/// borrow from it. A compressed file is an error that says so: use [`from_reader`] or
/// [`decompress`] for those.
pub fn from_slice<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    from_slice_with(bytes, &DeOptions::default())
}

/// [`from_slice`] with options (the class registry for the estimator's classes, limits).
pub fn from_slice_with<'de, T: Deserialize<'de>>(bytes: &'de [u8], opts: &DeOptions) -> Result<T> {
    match Compression::detect(bytes) {
        Compression::None => crate::de::from_slice_with(bytes, &joblib_options(opts)),
        c => Err(unreadable(
            c,
            "read it with joblib::from_reader, or joblib::decompress it first",
        )),
    }
}

/// Read a joblib file from a reader, decompressing zlib and gzip files on the fly (with the
/// `joblib` feature). Wrap files in a [`std::io::BufReader`].
pub fn from_reader<R: io::Read, T: DeserializeOwned>(reader: R) -> Result<T> {
    from_reader_with(reader, &DeOptions::default())
}

/// [`from_reader`] with options.
pub fn from_reader_with<R: io::Read, T: DeserializeOwned>(
    mut reader: R,
    opts: &DeOptions,
) -> Result<T> {
    let mut start = [0u8; 5];
    let n = read_up_to(&mut reader, &mut start)?;
    let head = io::Cursor::new(start[..n].to_vec());
    let joblib_opts = joblib_options(opts);
    match Compression::detect(&start[..n]) {
        Compression::None => {
            crate::de::from_reader_with(io::Read::chain(head, reader), &joblib_opts)
        }
        #[cfg(feature = "joblib")]
        c @ (Compression::Zlib | Compression::Gzip) => inflate::read(
            c,
            io::Read::chain(head, reader),
            opts.max_decompressed,
            |r| crate::de::from_reader_with(r, &joblib_opts),
        ),
        c => Err(unreadable(c, "")),
    }
}

/// The pickle inside a joblib file: the bytes themselves if it is not compressed, else
/// decompressed (zlib and gzip, with the `joblib` feature) up to
/// [`DeOptions::max_decompressed`] bytes. Read the result with [`from_slice_with`].
pub fn decompress<'a>(bytes: &'a [u8], opts: &DeOptions) -> Result<std::borrow::Cow<'a, [u8]>> {
    let c = Compression::detect(bytes);
    if !c.readable() {
        return Err(unreadable(c, ""));
    }
    match c {
        #[cfg(feature = "joblib")]
        Compression::Zlib | Compression::Gzip => {
            inflate::read(c, bytes, opts.max_decompressed, |mut r| {
                let mut out = Vec::new();
                io::Read::read_to_end(&mut r, &mut out).map_err(Error::read)?;
                Ok(out)
            })
            .map(std::borrow::Cow::Owned)
        }
        _ => {
            let _ = opts;
            Ok(std::borrow::Cow::Borrowed(bytes))
        }
    }
}

/// [`scan`](crate::scan) for a joblib file: every global its pickle names, with verdicts,
/// stepping over the arrays' bytes and scanning object arrays' nested pickles (joblib's
/// `NumpyArrayWrapper` itself is safe here: this crate reads it as data). A compressed
/// file is decompressed first (with the `joblib` feature, up to the default
/// [`DeOptions::max_decompressed`]); offsets are then positions in the decompressed pickle.
///
/// The arrays are found by running the unpickler over the file with every global taken as an
/// inert name (dangerous ones too: nothing is built for the caller, and nothing is ever
/// called); the scan itself is the ordinary one. A file the unpickler cannot read through (an
/// array wrapper it cannot lay out, say) has the error that stopped it in the report's
/// `error`, even where the scan found nothing: past it, array bytes may have been scanned as
/// opcodes.
///
/// ```
/// # let file = std::fs::read("python_fixtures/sklearn/logreg_binary.joblib").unwrap();
/// // joblib.dump(LogisticRegression().fit(...), f)
/// let report = pypickle::joblib::scan(&file);
/// assert!(report.error.is_none() && !report.is_dangerous());
/// assert!(report.globals.iter().any(|g| g.name() == "LogisticRegression"));
/// ```
pub fn scan(bytes: &[u8]) -> crate::Report {
    match decompress(bytes, &DeOptions::default()) {
        Ok(plain) => {
            let (regions, failed) = crate::de::joblib_regions(&plain);
            let mut report = crate::scan::scan_around(&plain, &regions);
            // Where the arrays lie is not known past a point the reader could not read
            // through: the scan of the rest may have read array bytes as opcodes, and missed
            // what joblib would load from them. Not safe, whatever it found.
            if let (Some(e), None) = (failed, &report.error) {
                report.error = Some(e);
            }
            report
        }
        Err(e) => crate::Report {
            globals: Vec::new(),
            bombs: Vec::new(),
            error: Some(e),
            pickles: 0,
        },
    }
}

/// Fill `buf` as far as the reader goes.
fn read_up_to(r: &mut impl io::Read, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::read(e)),
        }
    }
    Ok(n)
}

#[cfg(feature = "joblib")]
mod inflate {
    //! zlib and gzip streams, decompressed with a cap on the output.
    use std::io;

    use super::Compression;
    use crate::error::{Error, ErrorCode, Limit, Result};

    /// A reader that fails once more than `left` bytes are asked of it.
    struct Capped<R> {
        inner: R,
        left: u64,
        hit: bool,
    }

    impl<R: io::Read> io::Read for Capped<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let want = buf
                .len()
                .min(usize::try_from(self.left).unwrap_or(usize::MAX));
            if want == 0 && !buf.is_empty() {
                // Past the cap: is there more? A one-byte probe tells.
                let mut probe = [0u8; 1];
                return match self.inner.read(&mut probe)? {
                    0 => Ok(0),
                    _ => {
                        self.hit = true;
                        Err(io::Error::other("decompressed size limit"))
                    }
                };
            }
            let n = self.inner.read(&mut buf[..want])?;
            self.left -= n as u64;
            Ok(n)
        }
    }

    /// The decompressed stream of a zlib stream, or of gzip members one after another (as
    /// Python's `gzip` reads them), and an error for bytes after them: a joblib file holds
    /// one compressed pickle, and what follows it was read past silently (zlib) or taken for
    /// a broken member (gzip).
    struct Inflate<R: io::BufRead> {
        zlib: Option<flate2::bufread::ZlibDecoder<R>>,
        gzip: Option<flate2::bufread::GzDecoder<R>>,
        /// Gzip, whose members may follow one another.
        members: bool,
    }

    impl<R: io::BufRead> io::Read for Inflate<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            loop {
                let n = match (&mut self.zlib, &mut self.gzip) {
                    (Some(z), _) => z.read(buf)?,
                    (_, Some(g)) => g.read(buf)?,
                    _ => return Ok(0),
                };
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                // The end of the stream, or of a gzip member: what follows it?
                let mut rest = match (self.zlib.take(), self.gzip.take()) {
                    (Some(z), _) => z.into_inner(),
                    (_, Some(g)) => g.into_inner(),
                    _ => return Ok(0),
                };
                let next = rest.fill_buf()?;
                match next.first() {
                    None => return Ok(0),
                    // Another gzip member (its header is checked by its decoder).
                    Some(0x1f) if self.members => {
                        self.gzip = Some(flate2::bufread::GzDecoder::new(rest));
                    }
                    Some(_) => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "bytes follow the end of the compressed stream",
                        ))
                    }
                }
            }
        }
    }

    /// Run `f` over the decompressed stream; the cap's error, if `f` met it, wins.
    pub(super) fn read<R: io::Read, T>(
        c: Compression,
        raw: R,
        max: u64,
        f: impl FnOnce(&mut dyn io::Read) -> Result<T>,
    ) -> Result<T> {
        let raw = io::BufReader::new(raw);
        let inner = match c {
            Compression::Gzip => Inflate {
                zlib: None,
                gzip: Some(flate2::bufread::GzDecoder::new(raw)),
                members: true,
            },
            _ => Inflate {
                zlib: Some(flate2::bufread::ZlibDecoder::new(raw)),
                gzip: None,
                members: false,
            },
        };
        let mut capped = Capped {
            inner,
            left: max,
            hit: false,
        };
        let out = f(&mut capped);
        if capped.hit {
            return Err(Error::new(ErrorCode::Limit {
                which: Limit::Decompressed,
                limit: max,
            }));
        }
        out
    }
}
