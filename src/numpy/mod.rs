//! numpy arrays, dtypes and scalars, read and written without numpy.
//!
//! A pickled numpy array is a call of one of numpy's reconstruction functions; this crate never
//! calls anything, so it recognises those exact globals (on the default allowlist) and reads
//! their arguments and state into an [`NdArray`]: its [`DType`], shape, [`Order`] and data.
//! Reading into a [`Value`](crate::Value) keeps the same object losslessly.
//!
//! | numpy writes | protocols | read as |
//! |---|---|---|
//! | `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')` + BUILD `(1, shape, dtype, is_fortran, data)` (numpy 2: `numpy._core.multiarray`) | 0-4 | [`NdArray`] (data as bytes, `_codecs.encode` text, or a list for object arrays) |
//! | `numpy._core.numeric._frombuffer(buffer, dtype, shape, order)` (numpy 1: `numpy.core.numeric`) | 5 | [`NdArray`] |
//! | `_frombuffer(buffer, dtype, shape, 'K', axis_order)`: numpy 2, for a transposition of a contiguous array that is neither C- nor F-contiguous | 5 | [`NdArray`] in C order (the elements gathered; a view copies them) |
//! | `numpy.core.multiarray.scalar(dtype, bytes)` | any | a 0-d [`NdArray`] |
//! | `numpy.dtype(code, False, True)` + BUILD state | any | [`DType`] (inside an array) |
//! | `numpy._core._internal._convert_to_stringdtype_kwargs(coerce[, na_object])`: numpy 2's `StringDType`, whose array's data is a list of strs | any | [`DType`] of kind [`DKind::StringDType`] |
//!
//! [`NdArrayView`] reads the same arrays without copying their data: it borrows it from the
//! input (or the out-of-band buffers) wherever the data lies there whole, which is every array
//! with bytes for data at protocols 3-5, except a `'K'` transposition in neither C nor Fortran
//! order, whose elements are gathered into C order. [`NdArray`]'s own deserializer reads through a view,
//! so it copies the data exactly once.
//!
//! With the `ndarray` feature, `NdArray::to_ndarray` and `NdArray::from_ndarray` convert
//! to and from the `ndarray` crate's arrays.
//!
//! Writing an [`NdArray`] produces the `_reconstruct` form under the `numpy.core.multiarray`
//! name, which numpy 1.x loads directly and numpy 2.x through its compatibility alias, at any
//! protocol; at protocol 5 with out-of-band buffers, numpy 2's `_frombuffer` form with the data
//! the next buffer, where numpy hands an array out so. The data is copied once, into the pickle
//! or the buffer.

mod array;
mod dtype;
#[cfg(feature = "ndarray")]
mod ndarray_conv;
mod ser;

pub(crate) use array::{not_an_array, reconstruct_args, ArrayHead, FROMBUFFER, RECONSTRUCT};
pub use array::{Element, NdArray, NdArrayView, Order, MAX_EMPTY_ELEMENTS};
pub use dtype::{ByteOrder, DKind, DType, Field};
pub(crate) use ser::{take_head, wanting_array};

/// The natural form of a pickled numpy array (an object of [`is_array`]'s classes) for
/// self-describing readers (`deserialize_any`: untagged enums, `serde_json::Value`,
/// transcoding): a dict `{"dtype": "<f8", "shape": [2, 3], "order": "C", "data": b"..."}`
/// (`data` a list for an object array; a structured dtype in numpy's dict form, see
/// `DType::natural`), which [`NdArray`] reads back. A numpy scalar of a bool, number or text
/// type (`np.float64(0.5)` in a dict of metrics) is the Python value it stands for instead,
/// as `float(x)` or `str(x)` gives it; other scalars (`datetime64`, `void`) are 0-d arrays.
/// `None` if it is not a well-formed array.
pub(crate) fn natural(obj: &crate::value::Object) -> Option<crate::Value> {
    if !is_array(&obj.class.module, &obj.class.name) {
        return None;
    }
    let a = NdArray::from_object(obj).ok()?;
    if is_scalar(&obj.class.module, &obj.class.name) {
        if let Some(v) = number_of(&a).or_else(|| text_of(&a).and_then(Result::ok)) {
            return Some(v);
        }
    }
    Some(a.into_natural())
}

/// A numpy scalar of a bool, integer, float or complex type (`np.float64(1.5)`, `np.int32(7)`,
/// `np.complex128(1+2j)`) as the Python number it stands for, for a request of a number (or,
/// for a complex, of the pair `(real, imag)`): `None` for anything else.
pub(crate) fn scalar_number(obj: &crate::value::Object) -> Option<crate::Value> {
    if !is_scalar(&obj.class.module, &obj.class.name) {
        return None;
    }
    number_of(&NdArray::from_object(obj).ok()?)
}

/// [`scalar_number`] of the scalar read as a 0-d array.
fn number_of(a: &NdArray) -> Option<crate::Value> {
    use crate::Value;
    if !a.shape().is_empty() {
        return None;
    }
    Some(match a.dtype().kind {
        DKind::Bool => Value::Bool(a.to_i64_vec().ok()?[0] != 0),
        DKind::Int | DKind::UInt => match a.to_i64_vec() {
            Ok(v) => Value::Int(v[0]),
            // A uint64 above i64::MAX.
            Err(_) => Value::BigInt(crate::BigInt::from(a.to_vec::<u64>().ok()?[0])),
        },
        DKind::Float => Value::Float(a.to_f64_vec().ok()?[0]),
        DKind::Complex => complex(a.dtype(), a.as_bytes()?)?,
        _ => return None,
    })
}

/// A `complex64` or `complex128` element's bytes as the Python complex it stands for (numpy's
/// complex scalars are subclasses of `complex`); `None` for another width.
fn complex(dtype: &DType, bytes: &[u8]) -> Option<crate::Value> {
    let big = dtype.order == ByteOrder::Big;
    let part = |b: &[u8]| -> Option<f64> {
        Some(match (b.len(), big) {
            (4, false) => f64::from(f32::from_le_bytes(b.try_into().ok()?)),
            (4, true) => f64::from(f32::from_be_bytes(b.try_into().ok()?)),
            (8, false) => f64::from_le_bytes(b.try_into().ok()?),
            (8, true) => f64::from_be_bytes(b.try_into().ok()?),
            _ => return None,
        })
    };
    if !matches!(dtype.itemsize, 8 | 16) || bytes.len() != dtype.itemsize {
        return None;
    }
    let (re, im) = bytes.split_at(dtype.itemsize / 2);
    Some(crate::Value::Complex(crate::value::Complex {
        re: part(re)?,
        im: part(im)?,
    }))
}

/// A numpy text or bytes scalar (`np.str_('a')`, `np.bytes_(b'a')`, what numpy hands out of
/// its string arrays) as the str or bytes it stands for, for a request of a string or bytes:
/// `None` for anything else; an error for a text scalar no Rust string can hold.
pub(crate) fn scalar_text(obj: &crate::value::Object) -> Option<crate::Result<crate::Value>> {
    if !is_scalar(&obj.class.module, &obj.class.name) {
        return None;
    }
    // A malformed scalar asked for text: numpy's reason, not a type error about its form.
    match NdArray::from_object(obj) {
        Ok(a) => text_of(&a),
        Err(e) => Some(Err(e)),
    }
}

/// [`scalar_text`] of the scalar read as a 0-d array.
fn text_of(a: &NdArray) -> Option<crate::Result<crate::Value>> {
    use crate::Value;
    if !a.shape().is_empty() {
        return None;
    }
    match a.dtype().kind {
        DKind::Str => Some(a.to_string_vec().map(|mut v| Value::Str(v.remove(0)))),
        DKind::Bytes => Some(a.to_bytes_vec().map(|mut v| Value::Bytes(v.remove(0)))),
        _ => None,
    }
}

/// Whether `module.name` makes numpy scalars.
pub(crate) fn is_scalar(module: &str, name: &str) -> bool {
    matches!(
        (module, name),
        ("numpy.core.multiarray" | "numpy._core.multiarray", "scalar")
    )
}

/// Whether `module.name` makes arrays (and numpy scalars).
pub(crate) fn is_array(module: &str, name: &str) -> bool {
    matches!(
        (module, name),
        (
            "numpy.core.multiarray" | "numpy._core.multiarray",
            "_reconstruct" | "scalar"
        ) | ("numpy.core.numeric" | "numpy._core.numeric", "_frombuffer")
    )
}

/// Whether a call of `module.name`, its first argument the global `first` (if it is one),
/// makes an array Python never hashes, as a dict key or set element must be: a plain
/// `ndarray` (`_frombuffer` makes nothing else) or `MaskedArray`. A subclass, which
/// `_reconstruct` names first, may define `__hash__`; a numpy scalar hashes.
pub(crate) fn makes_unhashable_array(
    module: &[u8],
    name: &[u8],
    first: Option<(&[u8], &[u8])>,
) -> bool {
    let made = |m: &[u8], n: &[u8]| first == Some((m, n));
    match (module, name) {
        (b"numpy.core.numeric" | b"numpy._core.numeric", b"_frombuffer") => true,
        (b"numpy.core.multiarray" | b"numpy._core.multiarray", b"_reconstruct") => {
            made(b"numpy", b"ndarray")
        }
        (b"numpy.ma.core", b"_mareconstruct") => made(b"numpy.ma.core", b"MaskedArray"),
        _ => false,
    }
}

/// numpy's scalar types (`numpy.float64`, abstract ones like `numpy.floating` too), under
/// the names numpy 1 and 2 give them: pickled as classes where a program keeps a type (a
/// scikit-learn estimator's `dtype=np.float64`), they are data. Sorted.
const SCALAR_TYPES: &[&str] = &[
    "bool",
    "bool_",
    "byte",
    "bytes_",
    "cdouble",
    "cfloat",
    "character",
    "clongdouble",
    "clongfloat",
    "complex128",
    "complex192",
    "complex256",
    "complex64",
    "complex_",
    "complexfloating",
    "csingle",
    "datetime64",
    "double",
    "flexible",
    "float128",
    "float16",
    "float32",
    "float64",
    "float96",
    "float_",
    "floating",
    "generic",
    "half",
    "inexact",
    "int16",
    "int32",
    "int64",
    "int8",
    "int_",
    "intc",
    "integer",
    "intp",
    "long",
    "longcomplex",
    "longdouble",
    "longfloat",
    "longlong",
    "number",
    "object_",
    "record",
    "short",
    "signedinteger",
    "single",
    "singlecomplex",
    "str_",
    "string_",
    "timedelta64",
    "ubyte",
    "uint",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
    "uintc",
    "uintp",
    "ulong",
    "ulonglong",
    "unicode_",
    "unsignedinteger",
    "ushort",
    "void",
];

/// Whether `module.name` is one of the numpy globals that pickled arrays name, or a scalar
/// type.
pub(crate) fn is_allowed(module: &str, name: &str) -> bool {
    if module == "numpy" && SCALAR_TYPES.binary_search(&name).is_ok() {
        return true;
    }
    matches!(
        (module, name),
        ("numpy", "ndarray" | "dtype")
            // a record array's class (numpy 1's name, numpy 2's), as `_reconstruct`'s subtype
            | ("numpy" | "numpy.rec", "recarray")
            | (
                "numpy.core.multiarray" | "numpy._core.multiarray",
                "_reconstruct" | "scalar"
            )
            | ("numpy.core.numeric" | "numpy._core.numeric", "_frombuffer")
            | (dtype::STRING_DTYPE_MODULE, dtype::STRING_DTYPE_FUNCTION)
    )
}
