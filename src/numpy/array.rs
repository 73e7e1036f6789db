//! `NdArray`: a numpy array as its pickle carries it (dtype, shape, order, data), with typed
//! access to the elements.

use std::fmt;

use std::borrow::Cow;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::dtype::{ByteOrder, DKind, DType};
use crate::error::Error;
use crate::stdlib::invalid;
use crate::value::magic::ARRAY_TOKEN;
use crate::value::{Global, Made, Object, Value};

/// How a multi-dimensional array's elements are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// Row-major (C): the last index varies fastest.
    C,
    /// Column-major (Fortran): the first index varies fastest.
    Fortran,
}

/// A numpy array: dtype, shape, memory order and the elements' bytes (or, for an object array,
/// the elements as [`Value`]s).
///
/// It reads from every form numpy pickles arrays in: `numpy.core.multiarray._reconstruct` (and
/// numpy 2's `numpy._core.multiarray._reconstruct`) with a BUILD state, at protocols 0-4, with
/// the data as bytes, as `_codecs.encode` text or as a list for object arrays; the protocol 5
/// form `numpy._core.numeric._frombuffer(buffer, dtype, shape, order)` (with numpy 2's order
/// `'K'` and axis order for a transposed array, gathered into C order); and numpy scalars
/// (`multiarray.scalar(dtype, bytes)`, a 0-d array here). It writes the `_reconstruct` form,
/// which numpy 1.x and 2.x both load with plain `pickle.loads` at any protocol, copying its data
/// once; at protocol 5 with
/// [`out_of_band_buffers`](crate::SerOptions::out_of_band_buffers), as numpy 2 writes it then:
/// `_frombuffer` with its data handed out of band (numpy 2 loads that, numpy 1 does not), but
/// for the arrays numpy keeps in band too (datetimes, objects, overlapping fields).
///
/// ```
/// use pypickle::numpy::NdArray;
/// // pickle.dumps(numpy.arange(6, dtype='<f8').reshape(2, 3), 5)
/// let data = b"\x80\x05\x95\x96\x00\x00\x00\x00\x00\x00\x00\x8c\x13numpy._core.numeric\x94\x8c\x0b_frombuffer\x94\x93\x94(\x96\x30\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x08@\x00\x00\x00\x00\x00\x00\x10@\x00\x00\x00\x00\x00\x00\x14@\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02f8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x02K\x03\x86\x94\x8c\x01C\x94t\x94R\x94.";
/// let a: NdArray = pypickle::from_slice(data)?;
/// assert_eq!(a.shape(), &[2, 3]);
/// assert_eq!(a.dtype().to_string(), "<f8");
/// assert_eq!(a.to_vec::<f64>()?, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NdArray {
    dtype: DType,
    shape: Vec<usize>,
    order: Order,
    data: Data,
}

#[derive(Clone, Debug, PartialEq)]
enum Data {
    Bytes(Vec<u8>),
    Objects(Vec<Value>),
}

/// A Rust type an array's elements can be read as: the numeric types and `bool`; `[f32; 2]`
/// and `[f64; 2]` for complex numbers (`c8`, `c16`: real part, imaginary part); `i64` also
/// reads `datetime64` and `timedelta64` elements, as the counts of their dtype's
/// [`unit`](DType::unit) they are (`NaT` is `i64::MIN`).
pub trait Element: Copy + sealed::Sealed + 'static {
    /// The dtype kind this type reads.
    const KIND: DKind;
    /// Its size in bytes.
    const SIZE: usize;
    /// Decode one element from `SIZE` little-endian bytes.
    fn from_le(b: &[u8]) -> Self;
    /// Decode one element from `SIZE` big-endian bytes.
    fn from_be(b: &[u8]) -> Self;
    /// Append the element's little-endian bytes.
    fn put_le(self, out: &mut Vec<u8>);
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! element {
    ($($t:ty => $kind:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const KIND: DKind = DKind::$kind;
            const SIZE: usize = std::mem::size_of::<$t>();
            fn from_le(b: &[u8]) -> Self {
                <$t>::from_le_bytes(b.try_into().expect("SIZE bytes"))
            }
            fn from_be(b: &[u8]) -> Self {
                <$t>::from_be_bytes(b.try_into().expect("SIZE bytes"))
            }
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}

element!(i8 => Int, i16 => Int, i32 => Int, i64 => Int, u8 => UInt, u16 => UInt, u32 => UInt,
         u64 => UInt, f32 => Float, f64 => Float);

/// Complex numbers: their two parts, each in the array's byte order.
macro_rules! complex_element {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for [$t; 2] {}
        impl Element for [$t; 2] {
            const KIND: DKind = DKind::Complex;
            const SIZE: usize = 2 * std::mem::size_of::<$t>();
            fn from_le(b: &[u8]) -> Self {
                let (re, im) = b.split_at(Self::SIZE / 2);
                [<$t>::from_le(re), <$t>::from_le(im)]
            }
            fn from_be(b: &[u8]) -> Self {
                let (re, im) = b.split_at(Self::SIZE / 2);
                [<$t>::from_be(re), <$t>::from_be(im)]
            }
            fn put_le(self, out: &mut Vec<u8>) {
                self[0].put_le(out);
                self[1].put_le(out);
            }
        }
    )*};
}

complex_element!(f32, f64);

impl sealed::Sealed for bool {}
impl Element for bool {
    const KIND: DKind = DKind::Bool;
    const SIZE: usize = 1;
    fn from_le(b: &[u8]) -> Self {
        b[0] != 0
    }
    fn from_be(b: &[u8]) -> Self {
        b[0] != 0
    }
    fn put_le(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
}

/// The accessors [`NdArray`] and [`NdArrayView`] share: dtype, shape, order, element count.
macro_rules! header_accessors {
    () => {
        /// The element type.
        pub fn dtype(&self) -> &DType {
            &self.dtype
        }

        /// The length of each dimension; empty for a 0-d array (a numpy scalar).
        pub fn shape(&self) -> &[usize] {
            &self.shape
        }

        /// How the elements are laid out in their bytes (`as_bytes`).
        pub fn order(&self) -> Order {
            self.order
        }

        /// The number of elements.
        pub fn len(&self) -> usize {
            self.shape.iter().product()
        }

        /// Whether there are no elements.
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }
    };
}

const WHAT: &str = "numpy array";

impl NdArray {
    /// An array of `T`s with this shape, in C order, little-endian whatever the machine's byte
    /// order.
    pub fn from_vec<T: Element>(shape: Vec<usize>, data: Vec<T>) -> Result<NdArray, Error> {
        let n = element_count(&shape)?;
        if n != data.len() {
            return Err(invalid(
                WHAT,
                format!("shape {shape:?} holds {n} elements, not {}", data.len()),
            ));
        }
        let mut bytes = Vec::with_capacity(n * T::SIZE);
        for x in data {
            x.put_le(&mut bytes);
        }
        Ok(NdArray {
            dtype: DType::new(T::KIND, T::SIZE, ByteOrder::Little),
            shape,
            order: Order::C,
            data: Data::Bytes(bytes),
        })
    }

    /// An object array (dtype `O`) of these values, in C order.
    pub fn from_objects(shape: Vec<usize>, values: Vec<Value>) -> Result<NdArray, Error> {
        let dtype = DType::new(DKind::Object, 8, ByteOrder::NotApplicable);
        NdArray::holding_objects(dtype, shape, Order::C, values)
    }

    /// An array of numpy 2's `StringDType()` holding these strs, in C order.
    ///
    /// ```
    /// use pypickle::numpy::NdArray;
    /// let a = NdArray::from_strings(vec![2], vec!["a".into(), "bc".into()])?;
    /// assert_eq!(a.dtype().to_string(), "StringDType()");
    /// let back: NdArray = pypickle::from_slice(&pypickle::to_vec(&a)?)?;
    /// assert_eq!(back.to_string_vec()?, ["a", "bc"]);
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn from_strings(shape: Vec<usize>, values: Vec<String>) -> Result<NdArray, Error> {
        let values = values.into_iter().map(Value::Str).collect();
        NdArray::holding_objects(DType::string_dtype(true, None), shape, Order::C, values)
    }

    /// One element of an array of `dtype` from its natural form: a record (a tuple, each
    /// sub-array field an array) for a structured type, else the value as it is.
    fn record_from_natural(dtype: &DType, v: &Value) -> Result<Value, Error> {
        if dtype.fields.is_empty() {
            return Ok(v.clone());
        }
        let items = match v {
            Value::List(items) | Value::Tuple(items) if items.len() == dtype.fields.len() => items,
            _ => return Ok(v.clone()),
        };
        let fields =
            dtype
                .fields
                .iter()
                .zip(items)
                .map(|(f, item)| match (f.dtype.subarray(), item) {
                    (Some(_), Value::Dict(pairs)) => {
                        NdArray::from_natural(pairs).map(|a| a.to_value())
                    }
                    _ => Self::record_from_natural(&f.dtype, item),
                });
        Ok(Value::Tuple(fields.collect::<Result<Vec<Value>, Error>>()?))
    }

    /// An array whose dtype holds objects (`O`, or a structured type with an object field),
    /// of its elements as numpy pickles them (checked against the shape).
    fn holding_objects(
        dtype: DType,
        shape: Vec<usize>,
        order: Order,
        values: Vec<Value>,
    ) -> Result<NdArray, Error> {
        let n = element_count(&shape)?;
        if n != values.len() {
            return Err(invalid(
                WHAT,
                format!("shape {shape:?} holds {n} elements, not {}", values.len()),
            ));
        }
        Ok(NdArray {
            dtype,
            shape,
            order,
            data: Data::Objects(values),
        })
    }

    /// An array of raw element bytes of any dtype (checked against the shape). A dtype numpy
    /// would not load is an error: a size numpy has no type of, a datetime unit it does not
    /// know, a unit on a dtype of another kind.
    pub fn from_bytes(
        dtype: DType,
        shape: Vec<usize>,
        order: Order,
        bytes: Vec<u8>,
    ) -> Result<NdArray, Error> {
        if dtype.kind == DKind::Object {
            return Err(invalid(WHAT, "an object array holds values, not bytes"));
        }
        if dtype.has_object() {
            return Err(no_bytes_for_objects());
        }
        if let Some(why) = dtype.unit_error() {
            return Err(invalid(WHAT, why));
        }
        if !dtype.numpy_makes() {
            return Err(invalid(
                WHAT,
                format!("numpy has no type {dtype} of {} bytes", dtype.itemsize),
            ));
        }
        check_size(&dtype, &shape, bytes.len())?;
        Ok(NdArray {
            dtype,
            shape,
            order,
            data: Data::Bytes(bytes),
        })
    }

    header_accessors!();

    /// The elements' bytes, in [`order`](Self::order); `None` for an array whose dtype holds
    /// objects (dtype `O`, or a structured type with an object field).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.data {
            Data::Bytes(b) => Some(b),
            Data::Objects(_) => None,
        }
    }

    /// The elements of an array whose dtype holds objects, as numpy pickles them (a structured
    /// type's as tuples); `None` for any other dtype. They are always in C order (the last
    /// index fastest), as numpy writes and reads them, even for an array whose
    /// [`order`](Self::order) is `Fortran`: that flag describes the byte layout of other
    /// dtypes, and is kept only to be written back.
    pub fn objects(&self) -> Option<&[Value]> {
        match &self.data {
            Data::Objects(v) => Some(v),
            Data::Bytes(_) => None,
        }
    }

    /// The typed elements, for the accessors (an object array's dtype fails their checks).
    fn elements(&self) -> Elements<'_> {
        Elements {
            dtype: &self.dtype,
            bytes: self.as_bytes().unwrap_or(&[]),
            len: self.len(),
        }
    }

    /// The elements as `T`s, in [`order`](Self::order), converted from the array's byte order.
    /// An error if the dtype is not exactly `T`'s.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>, Error> {
        self.elements().to_vec()
    }

    /// The elements as a borrowed slice of `T`s, in [`order`](Self::order): `None` where the
    /// bytes cannot be lent as `T`s (another byte order than this machine's, or the buffer
    /// not aligned for `T`); use [`to_vec`](Self::to_vec) then. An error if the dtype is not
    /// exactly `T`'s.
    pub fn as_slice<T: Element>(&self) -> Result<Option<&[T]>, Error> {
        self.elements().as_slice()
    }

    /// All elements as `f64`, whatever the numeric dtype (bool, int, uint, float): a
    /// convenience for models whose arrays may be `float32` or `int64`.
    pub fn to_f64_vec(&self) -> Result<Vec<f64>, Error> {
        self.elements().to_f64_vec()
    }

    /// All elements as `i64`, whatever the integer dtype (bool, int, uint of any width): a
    /// convenience for labels numpy may keep as `int32` or `uint8`. An error for another
    /// dtype, or a `uint64` element above `i64::MAX`.
    ///
    /// ```
    /// use pypickle::numpy::{ByteOrder, DKind, DType, NdArray, Order};
    /// let labels = NdArray::from_bytes(
    ///     DType::new(DKind::Int, 4, ByteOrder::Little),
    ///     vec![2],
    ///     Order::C,
    ///     [7i32, -1].iter().flat_map(|v| v.to_le_bytes()).collect(),
    /// )?;
    /// assert_eq!(labels.to_i64_vec()?, [7, -1]);
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn to_i64_vec(&self) -> Result<Vec<i64>, Error> {
        self.elements().to_i64_vec()
    }

    /// The elements of a text array (dtype `U`) as strings, in [`order`](Self::order) (as
    /// [`to_vec`](Self::to_vec) gives numbers), each as numpy hands it out: without the NULs
    /// it is padded with; for numpy 2's `StringDType` ([`DKind::StringDType`]), its strs in C
    /// order, as [`objects`](Self::objects) gives them. An error for another dtype, an
    /// element holding a lone surrogate (which Python allows and Rust does not), a missing
    /// element of a `StringDType` array (its `na_object`), or a zero-width array of more than
    /// [`MAX_EMPTY_ELEMENTS`] elements.
    ///
    /// ```
    /// use pypickle::numpy::{ByteOrder, DKind, DType, NdArray, Order};
    /// let names = NdArray::from_bytes(
    ///     DType::new(DKind::Str, 16, ByteOrder::Little), // U4: 16 bytes an element
    ///     vec![2],
    ///     Order::C,
    ///     "ab\0\0é\0\0\0".chars().flat_map(|c| u32::from(c).to_le_bytes()).collect(),
    /// )?;
    /// assert_eq!(names.to_string_vec()?, ["ab", "é"]);
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn to_string_vec(&self) -> Result<Vec<String>, Error> {
        if let (DKind::StringDType, Data::Objects(items)) = (self.dtype.kind, &self.data) {
            return string_dtype_elements(&self.dtype, items);
        }
        self.elements().to_string_vec()
    }

    /// The elements of a bytes array (dtype `S`) in [`order`](Self::order), each as numpy
    /// hands it out: without its trailing NULs. An error for another dtype, or a zero-width
    /// array of more than [`MAX_EMPTY_ELEMENTS`] elements.
    pub fn to_bytes_vec(&self) -> Result<Vec<Vec<u8>>, Error> {
        self.elements().to_bytes_vec()
    }

    /// A view of this array's data, borrowing it; an error for an object array.
    pub fn view(&self) -> Result<NdArrayView<'_>, Error> {
        match &self.data {
            Data::Bytes(b) => Ok(NdArrayView {
                dtype: self.dtype.clone(),
                shape: self.shape.clone(),
                order: self.order,
                data: Cow::Borrowed(b),
            }),
            Data::Objects(_) => Err(invalid(WHAT, "an object array has no bytes to view")),
        }
    }

    /// The natural form (see `numpy::natural`).
    pub(crate) fn into_natural(self) -> Value {
        let text = |s: &str| Value::Str(s.to_string());
        let data = match self.data {
            Data::Bytes(b) => Value::Bytes(b),
            Data::Objects(v) => Value::List(v),
        };
        let order = match self.order {
            Order::C => "C",
            Order::Fortran => "F",
        };
        let shape = self.shape.iter().map(|&n| Value::Int(n as i64)).collect();
        Value::Dict(vec![
            (text("dtype"), self.dtype.natural()),
            (text("shape"), Value::List(shape)),
            (text("order"), text(order)),
            (text("data"), data),
        ])
    }

    /// An array from its natural form.
    ///
    /// A structured element holding objects is a tuple to numpy (a record), which serde's
    /// buffering hands back as a list, and a sub-array field of objects is an array, handed
    /// back as its natural form: both are made what numpy pickled again. (A plain object
    /// array's elements are any values; a tuple among them stays the list it became.)
    fn from_natural(pairs: &[(Value, Value)]) -> Result<NdArray, Error> {
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v)
                .ok_or_else(|| invalid(WHAT, format!("the dict has no {key:?}")))
        };
        let dtype = DType::from_natural(get("dtype")?)?;
        let shape = match get("shape")? {
            Value::List(dims) | Value::Tuple(dims) => parse_dims(dims)?,
            _ => return Err(invalid(WHAT, "shape is not a list")),
        };
        let order = match get("order")?.as_str() {
            Some("C") => Order::C,
            Some("F") => Order::Fortran,
            _ => return Err(invalid(WHAT, "order is not 'C' or 'F'")),
        };
        match (dtype.kind, get("data")?) {
            (_, Value::List(items)) if dtype.has_object() => {
                let items = items
                    .iter()
                    .map(|v| Self::record_from_natural(&dtype, v))
                    .collect::<Result<Vec<Value>, Error>>()?;
                NdArray::holding_objects(dtype, shape, order, items)
            }
            _ if dtype.has_object() => Err(invalid(WHAT, "an object array's data is not a list")),
            (_, Value::Bytes(b) | Value::ByteArray(b)) => {
                NdArray::from_bytes(dtype, shape, order, b.clone())
            }
            // Formats without bytes (JSON) carry them as a list of numbers.
            (_, Value::List(items)) => {
                let bytes = items
                    .iter()
                    .map(|v| v.as_i64().and_then(|n| u8::try_from(n).ok()))
                    .collect::<Option<Vec<u8>>>()
                    .ok_or_else(|| invalid(WHAT, "data is not bytes"))?;
                NdArray::from_bytes(dtype, shape, order, bytes)
            }
            _ => Err(invalid(WHAT, "data is not bytes")),
        }
    }

    /// Read an array from the `Value` numpy's pickle makes, or from its natural form.
    fn from_value(v: &Value) -> Result<NdArray, Error> {
        if let Value::Dict(pairs) = v {
            return Self::from_natural(pairs);
        }
        match v {
            Value::Object(obj) => Self::from_object(obj),
            other => Self::from_plain_scalar(other)
                .unwrap_or_else(|| Err(not_an_array(other.type_name()))),
        }
    }

    /// A bool, number, str or bytes as the 0-d array `numpy.asarray` makes of it: what a
    /// numpy scalar reads as where serde asks a self-describing question (a flattened field,
    /// an untagged enum), so it still reads as the 0-d array it is, with numpy's default
    /// type for the Python value (`float64` for an `np.float32`'s number). `None` for other
    /// values.
    fn from_plain_scalar(v: &Value) -> Option<Result<NdArray, Error>> {
        let scalar = |kind, bytes: Vec<u8>| {
            let order = if kind == DKind::Bytes {
                ByteOrder::NotApplicable
            } else {
                ByteOrder::Little
            };
            NdArray::from_bytes(
                DType::new(kind, bytes.len(), order),
                vec![],
                Order::C,
                bytes,
            )
        };
        Some(match v {
            Value::Bool(b) => NdArray::from_vec(vec![], vec![*b]),
            Value::Int(i) => NdArray::from_vec(vec![], vec![*i]),
            Value::BigInt(b) => match b.to_u128().and_then(|u| u64::try_from(u).ok()) {
                Some(u) => NdArray::from_vec(vec![], vec![u]),
                None => return None,
            },
            Value::Float(f) => NdArray::from_vec(vec![], vec![*f]),
            Value::Complex(c) => {
                let mut bytes = c.re.to_le_bytes().to_vec();
                bytes.extend_from_slice(&c.im.to_le_bytes());
                scalar(DKind::Complex, bytes)
            }
            // numpy makes `''` a `<U1` (and `b''` an `|S1`) holding nothing.
            Value::Str(s) if s.is_empty() => scalar(DKind::Str, vec![0; 4]),
            Value::Str(s) => scalar(
                DKind::Str,
                s.chars().flat_map(|c| u32::from(c).to_le_bytes()).collect(),
            ),
            Value::Bytes(b) if b.is_empty() => scalar(DKind::Bytes, vec![0]),
            Value::Bytes(b) => scalar(DKind::Bytes, b.clone()),
            _ => return None,
        })
    }

    /// Read an array (or a numpy scalar) from the object numpy's pickle makes.
    pub(crate) fn from_object(obj: &Object) -> Result<NdArray, Error> {
        if is_scalar(obj) {
            return Self::from_scalar(obj);
        }
        let layout = layout_of(obj)?;
        match layout.payload {
            Payload::Objects(items) => {
                NdArray::holding_objects(layout.dtype, layout.shape, layout.order, items.to_vec())
            }
            Payload::Bytes(b) => {
                check_size(&layout.dtype, &layout.shape, b.len())?;
                let (shape, order, data) = layout.arrange(Cow::Borrowed(b));
                NdArray::from_bytes(layout.dtype, shape, order, data.into_owned())
            }
            Payload::Text(s) => {
                NdArray::from_bytes(layout.dtype, layout.shape, layout.order, latin1(s)?)
            }
            Payload::Taken => Err(invalid(WHAT, "its data is missing")),
        }
    }

    /// `scalar(dtype, bytes)`: a numpy scalar, as a 0-d array.
    fn from_scalar(obj: &Object) -> Result<NdArray, Error> {
        let args = crate::stdlib::call_args(obj, "numpy scalar")?;
        match args {
            [dtype, data] => {
                let dtype = DType::from_value(dtype)?;
                match (dtype.kind, data) {
                    (DKind::Object, v) => NdArray::from_objects(Vec::new(), vec![v.clone()]),
                    (_, Value::Bytes(b)) => {
                        NdArray::from_bytes(dtype, Vec::new(), Order::C, b.clone())
                    }
                    // A Python 2 str read as Latin-1 (`Py2Strings::Latin1`), as for arrays.
                    (_, Value::Str(s)) => {
                        NdArray::from_bytes(dtype, Vec::new(), Order::C, latin1(s)?)
                    }
                    _ => Err(invalid("numpy scalar", "its data is not bytes")),
                }
            }
            _ => Err(invalid("numpy scalar", "expected (dtype, data)")),
        }
    }

    /// The `_reconstruct` form numpy writes at protocols 0-4 (loaded by numpy 1.x and 2.x).
    pub(crate) fn to_value(&self) -> Value {
        let head = self.head();
        let data = match &self.data {
            Data::Bytes(b) => Value::Bytes(b.clone()),
            Data::Objects(v) => Value::List(v.clone()),
        };
        let state = Value::Tuple(vec![
            Value::Int(1),
            head.shape,
            head.dtype,
            Value::Bool(head.fortran),
            data,
        ]);
        Value::Object(Box::new(Object {
            class: Global {
                module: RECONSTRUCT.0.into(),
                name: RECONSTRUCT.1.into(),
            },
            made: Made::Call,
            args: reconstruct_args(),
            kwargs: None,
            state: vec![state],
            list_items: Vec::new(),
            dict_items: Vec::new(),
        }))
    }

    /// What the pickle says of the array beside its data.
    pub(crate) fn head(&self) -> ArrayHead {
        ArrayHead {
            dtype: self.dtype.to_value(),
            shape: Value::Tuple(self.shape.iter().map(|&n| Value::Int(n as i64)).collect()),
            fortran: self.order == Order::Fortran,
            from_buffer: self.dtype.itemsize > 0 && self.dtype.exports_buffer(),
        }
    }
}

/// The function numpy's pickles at protocols 0-4 make an array with: under numpy 1's name,
/// which numpy 2 loads without a warning.
pub(crate) const RECONSTRUCT: (&str, &str) = ("numpy.core.multiarray", "_reconstruct");

/// The function numpy 2's pickles at protocol 5 make an array with, from its buffer: under
/// numpy 2's name (numpy 2 warns that numpy 1's is deprecated, which numpy 1 needs).
pub(crate) const FROMBUFFER: (&str, &str) = ("numpy._core.numeric", "_frombuffer");

/// [`RECONSTRUCT`]'s arguments: `(numpy.ndarray, (0,), b'b')`, an empty array that its
/// state then fills.
pub(crate) fn reconstruct_args() -> Value {
    Value::Tuple(vec![
        Value::Global(Box::new(Global {
            module: "numpy".into(),
            name: "ndarray".into(),
        })),
        Value::Tuple(vec![Value::Int(0)]),
        Value::Bytes(b"b".to_vec()),
    ])
}

/// What a pickle says of an array beside its data, as it writes it.
pub(crate) struct ArrayHead {
    /// The `numpy.dtype` object.
    pub dtype: Value,
    /// The shape, a tuple.
    pub shape: Value,
    /// Whether the data is in Fortran order.
    pub fortran: bool,
    /// Whether numpy pickles the array from its buffer at protocol 5: not if its dtype
    /// cannot be a buffer's (see `DType::exports_buffer`), nor if its items have no size.
    pub from_buffer: bool,
}

/// Where a pickled array's elements are.
#[derive(Clone, Copy)]
enum Payload<'v> {
    Bytes(&'v [u8]),
    /// Python 2 pickles carry the data as a str, read here as Latin-1 text.
    Text(&'v str),
    Objects(&'v [Value]),
    /// Taken out by the walker, which hands the bytes over beside the object.
    Taken,
}

/// What a pickled array says about itself.
struct Layout<'v> {
    dtype: DType,
    shape: Vec<usize>,
    order: Order,
    /// numpy 2's `_frombuffer(..., 'K', axis_order)`, for an array that is a transposition of a
    /// contiguous one: the data is `shape` in C order, and the array is that transposed by these
    /// axes.
    axes: Option<Vec<usize>>,
    payload: Payload<'v>,
}

impl Layout<'_> {
    /// The array's shape, order and data (in that order) from the pickled data, which
    /// [`check_size`] has checked: the data itself, unless the array is a transposition that
    /// neither C nor Fortran order lays out, whose elements are gathered into C order.
    fn arrange<'d>(&self, data: Cow<'d, [u8]>) -> (Vec<usize>, Order, Cow<'d, [u8]>) {
        let Some(axes) = &self.axes else {
            return (self.shape.clone(), self.order, data);
        };
        let shape: Vec<usize> = axes.iter().map(|&a| self.shape[a]).collect();
        if axes.iter().enumerate().all(|(i, &a)| i == a) {
            (shape, Order::C, data)
        } else if axes.iter().rev().enumerate().all(|(i, &a)| i == a) {
            // All axes reversed: C order of the data is Fortran order of the array.
            (shape, Order::Fortran, data)
        } else {
            let gathered = transpose(&data, self.dtype.itemsize, &self.shape, axes);
            (shape, Order::C, Cow::Owned(gathered))
        }
    }
}

/// The elements of `data` (C order, `shape`, `itemsize` bytes each) transposed by `axes`, in C
/// order.
fn transpose(data: &[u8], itemsize: usize, shape: &[usize], axes: &[usize]) -> Vec<u8> {
    // Each axis of the result steps through the data by its source axis's C-order stride.
    let mut strides = vec![0usize; shape.len()];
    let mut step = itemsize;
    for (stride, &n) in strides.iter_mut().zip(shape).rev() {
        *stride = step;
        step *= n;
    }
    let dims: Vec<(usize, usize)> = axes.iter().map(|&a| (shape[a], strides[a])).collect();
    let mut out = Vec::with_capacity(data.len());
    if data.is_empty() {
        return out;
    }
    let mut index = vec![0usize; dims.len()];
    let mut at = 0;
    loop {
        out.extend_from_slice(&data[at..at + itemsize]);
        // The next index in C order: the last axis fastest, carrying leftwards.
        let mut k = dims.len();
        loop {
            if k == 0 {
                return out;
            }
            k -= 1;
            let (n, stride) = dims[k];
            index[k] += 1;
            at += stride;
            if index[k] < n {
                break;
            }
            index[k] = 0;
            at -= stride * n;
        }
    }
}

/// Whether `obj` is a numpy scalar (`multiarray.scalar(dtype, bytes)`).
fn is_scalar(obj: &Object) -> bool {
    matches!(
        (obj.class.module.as_str(), obj.class.name.as_str()),
        ("numpy.core.multiarray" | "numpy._core.multiarray", "scalar")
    )
}

/// The layout of an array object in either of numpy's forms.
fn layout(v: &Value) -> Result<Layout<'_>, Error> {
    match v {
        Value::Object(o) => layout_of(o),
        other => Err(invalid(WHAT, format!("found {}", other.type_name()))),
    }
}

/// [`layout`] of the object itself.
fn layout_of(obj: &Object) -> Result<Layout<'_>, Error> {
    let Global { module, name } = &obj.class;
    let layout = match (module.as_str(), name.as_str()) {
        ("numpy.core.multiarray" | "numpy._core.multiarray", "_reconstruct") => {
            reconstruct_layout(obj)?
        }
        ("numpy.core.numeric" | "numpy._core.numeric", "_frombuffer") => frombuffer_layout(obj)?,
        _ => {
            return Err(invalid(
                WHAT,
                format!("an instance of {module}.{name} is not a numpy array"),
            ))
        }
    };
    match (layout.dtype.kind, &layout.payload) {
        (DKind::Object, Payload::Objects(_)) => Ok(layout),
        (DKind::Object, _) => Err(invalid(WHAT, "an object array's data is not a list")),
        // A structured type with an object field: numpy pickles its elements as a list.
        (_, Payload::Objects(_)) if layout.dtype.elements_hold_objects() => Ok(layout),
        // (A float64 type whose flags claim objects too: numpy fails on its list.)
        (_, Payload::Objects(_)) => Err(invalid(WHAT, "its data is not bytes")),
        _ if layout.dtype.has_object() => Err(no_bytes_for_objects()),
        _ => Ok(layout),
    }
}

/// Elements holding objects (a structured or sub-array type with an object inside) given as
/// bytes, which would be object pointers: numpy's "object pickle not returning list".
fn no_bytes_for_objects() -> Error {
    invalid(
        WHAT,
        "its dtype holds objects, whose data cannot be bytes (numpy: object pickle not returning list)",
    )
}

/// `_reconstruct(ndarray, (0,), b'b')` + BUILD `(1, shape, dtype, is_fortran, data)`.
fn reconstruct_layout(obj: &Object) -> Result<Layout<'_>, Error> {
    // Items set or appended after the BUILD (numpy would set elements, or refuse), or another
    // way of making it: not the array the state describes.
    if obj.made != crate::value::Made::Call || obj.kwargs.is_some() {
        return Err(invalid(WHAT, "not made by a plain _reconstruct call"));
    }
    if !obj.list_items.is_empty() || !obj.dict_items.is_empty() {
        return Err(invalid(WHAT, "unexpected appended or set items"));
    }
    let state = match obj.state.as_slice() {
        [Value::Tuple(s)] => s.as_slice(),
        _ => return Err(invalid(WHAT, "expected one BUILD state tuple")),
    };
    let [_version, shape, dtype, fortran, data] = state else {
        return Err(invalid(
            WHAT,
            "the state is not (version, shape, dtype, fortran, data)",
        ));
    };
    let order = match fortran {
        Value::Bool(true) => Order::Fortran,
        Value::Bool(false) => Order::C,
        v if v.as_i64() == Some(1) => Order::Fortran,
        v if v.as_i64() == Some(0) => Order::C,
        _ => return Err(invalid(WHAT, "is_fortran is not a bool")),
    };
    Ok(Layout {
        dtype: DType::from_value(dtype)?,
        shape: parse_shape(shape)?,
        order,
        axes: None,
        payload: payload(data)?,
    })
}

/// `_frombuffer(buffer, dtype, shape, order[, axis_order])`, protocol 5: numpy 2 writes order
/// `'K'` and the axis order for a transposition of a contiguous array (numpy reads the buffer in
/// C order as `shape`, then transposes it by `axis_order`; with another order it ignores
/// `axis_order`).
fn frombuffer_layout(obj: &Object) -> Result<Layout<'_>, Error> {
    let args = crate::stdlib::call_args(obj, WHAT)?;
    let (buf, dtype, shape, order, axis_order) = match args {
        [buf, dtype, shape, order] => (buf, dtype, shape, order, &Value::None),
        [buf, dtype, shape, order, axis_order] => (buf, dtype, shape, order, axis_order),
        _ => {
            return Err(invalid(
                WHAT,
                "_frombuffer takes (buffer, dtype, shape, order[, axis_order])",
            ))
        }
    };
    let shape = parse_shape(shape)?;
    let (order, axes) = match (order.as_str(), axis_order) {
        (Some("C"), _) => (Order::C, None),
        (Some("F"), _) => (Order::Fortran, None),
        (Some("K"), Value::Tuple(axes) | Value::List(axes)) => {
            (Order::C, Some(parse_axes(axes, shape.len())?))
        }
        (Some("K"), _) => return Err(invalid(WHAT, "order 'K' without an axis order")),
        _ => return Err(invalid(WHAT, "order is not 'C', 'F' or 'K'")),
    };
    let payload = match payload(buf)? {
        Payload::Objects(_) | Payload::Text(_) => {
            return Err(invalid(WHAT, "the buffer is not bytes"))
        }
        p => p,
    };
    Ok(Layout {
        dtype: DType::from_value(dtype)?,
        shape,
        order,
        axes,
        payload,
    })
}

/// An axis order for `ndim` axes: each of `0..ndim` once, as numpy's `transpose` takes it.
fn parse_axes(axes: &[Value], ndim: usize) -> Result<Vec<usize>, Error> {
    let axes = parse_dims(axes)?;
    let mut seen = vec![false; ndim];
    for &a in &axes {
        match seen.get_mut(a) {
            Some(s) if !*s => *s = true,
            _ => {
                return Err(invalid(
                    WHAT,
                    format!("axis order {axes:?} for {ndim} axes"),
                ))
            }
        }
    }
    if axes.len() != ndim {
        return Err(invalid(
            WHAT,
            format!("axis order {axes:?} for {ndim} axes"),
        ));
    }
    Ok(axes)
}

fn payload(data: &Value) -> Result<Payload<'_>, Error> {
    Ok(match data {
        Value::Bytes(b) | Value::ByteArray(b) => Payload::Bytes(b),
        Value::Str(s) => Payload::Text(s),
        Value::List(items) => Payload::Objects(items),
        Value::None => Payload::Taken,
        _ => return Err(invalid(WHAT, "its data is not bytes")),
    })
}

fn latin1(s: &str) -> Result<Vec<u8>, Error> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| invalid(WHAT, "data text is not Latin-1"))
}

/// A `StringDType` array's elements (C order), each a str: a missing one (its `na_object`)
/// is an error naming it.
fn string_dtype_elements(dtype: &DType, items: &[Value]) -> Result<Vec<String>, Error> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match (v, dtype.na_object()) {
            (Value::Str(s), _) => Ok(s.clone()),
            (other, Some(_)) => Err(invalid(
                WHAT,
                format!("its element {i} is {other}, not a str (the missing value of {dtype})"),
            )),
            (other, None) => Err(invalid(
                WHAT,
                format!("its element {i} is {other}, not a str"),
            )),
        })
        .collect()
}

/// The most elements of a zero-width text or bytes array (`U0`, `S0`) that
/// [`NdArray::to_string_vec`] and [`NdArray::to_bytes_vec`] make a list of: 2^20, 24 MiB of
/// empty `String`s. No data bounds their number (a pickle of a few bytes can claim 2^40), and
/// numpy makes such arrays only when asked to.
pub const MAX_EMPTY_ELEMENTS: usize = 1 << 20;

/// An array's elements as raw bytes of a dtype, for the typed accessors of [`NdArray`] and
/// [`NdArrayView`].
struct Elements<'b> {
    dtype: &'b DType,
    bytes: &'b [u8],
    /// The number of elements.
    len: usize,
}

impl<'b> Elements<'b> {
    fn check_type<T: Element>(&self) -> Result<&'b [u8], Error> {
        // A datetime64 or timedelta64 is an int64 count of its unit.
        let kind_fits = self.dtype.kind == T::KIND
            || T::KIND == DKind::Int
                && matches!(self.dtype.kind, DKind::DateTime | DKind::TimeDelta);
        if !kind_fits || self.dtype.itemsize != T::SIZE {
            return Err(invalid(
                WHAT,
                format!(
                    "its dtype is {}, not {}",
                    self.dtype,
                    std::any::type_name::<T>()
                ),
            ));
        }
        Ok(self.bytes)
    }

    fn iter<T: Element>(&self) -> Result<impl ExactSizeIterator<Item = T> + 'b, Error> {
        let bytes = self.check_type::<T>()?;
        let big = self.dtype.order == ByteOrder::Big;
        Ok(bytes
            .chunks_exact(T::SIZE)
            .map(move |c| if big { T::from_be(c) } else { T::from_le(c) }))
    }

    fn to_vec<T: Element>(&self) -> Result<Vec<T>, Error> {
        Ok(self.iter()?.collect())
    }

    fn as_slice<T: Element>(&self) -> Result<Option<&'b [T]>, Error> {
        let bytes = self.check_type::<T>()?;
        if self.dtype.needs_swap() {
            return Ok(None);
        }
        if T::KIND == DKind::Bool && bytes.iter().any(|&b| b > 1) {
            return Ok(None);
        }
        // SAFETY: every `Element` is a plain integer, float or bool with no padding; integers
        // and floats are valid for any bit pattern, and a bool array's bytes were just checked
        // to be 0 or 1. `align_to` itself handles the alignment.
        let (head, body, tail) = unsafe { bytes.align_to::<T>() };
        if !head.is_empty() || !tail.is_empty() {
            return Ok(None);
        }
        Ok(Some(body))
    }

    fn to_f64_vec(&self) -> Result<Vec<f64>, Error> {
        let size = self.dtype.itemsize;
        let big = self.dtype.order == ByteOrder::Big;
        let conv: fn([u8; 8], usize) -> f64 = match (self.dtype.kind, size) {
            (DKind::Bool | DKind::Int | DKind::UInt, _) => {
                return Ok(self.integers()?.map(|n| n as f64).collect());
            }
            (DKind::Float, 4) => |w, _| f64::from(f32::from_le_bytes([w[0], w[1], w[2], w[3]])),
            (DKind::Float, 8) => |w, _| f64::from_le_bytes(w),
            (DKind::Float, 2) => |w, _| f16_to_f64(u16::from_le_bytes([w[0], w[1]])),
            _ => {
                return Err(invalid(
                    WHAT,
                    format!("its dtype {} is not a real number type", self.dtype),
                ))
            }
        };
        Ok(self
            .bytes
            .chunks_exact(size)
            .map(|c| conv(word(c, big), size))
            .collect())
    }

    fn to_i64_vec(&self) -> Result<Vec<i64>, Error> {
        if self.dtype.kind != DKind::UInt || self.dtype.itemsize < 8 {
            return Ok(self.integers()?.map(|n| n as i64).collect());
        }
        self.integers()?
            .map(|n| {
                i64::try_from(n).map_err(|_| invalid(WHAT, format!("element {n} does not fit i64")))
            })
            .collect()
    }

    fn to_string_vec(&self) -> Result<Vec<String>, Error> {
        if self.dtype.kind != DKind::Str {
            return Err(invalid(
                WHAT,
                format!("its dtype is {}, not a text type (U)", self.dtype),
            ));
        }
        let big = self.dtype.order == ByteOrder::Big;
        let size = self.dtype.itemsize;
        if size % 4 != 0 {
            return Err(invalid(
                WHAT,
                format!(
                    "its dtype {} is not a whole number of code points",
                    self.dtype
                ),
            ));
        }
        if size == 0 {
            return self.empty_elements();
        }
        self.bytes
            .chunks_exact(size)
            .enumerate()
            .map(|(i, item)| {
                let mut points: Vec<u32> = item
                    .chunks_exact(4)
                    .map(|c| {
                        let c = [c[0], c[1], c[2], c[3]];
                        if big {
                            u32::from_be_bytes(c)
                        } else {
                            u32::from_le_bytes(c)
                        }
                    })
                    .collect();
                // numpy pads with NULs and strips them when it hands an element out.
                while points.last() == Some(&0) {
                    points.pop();
                }
                points
                    .iter()
                    .map(|&p| {
                        char::from_u32(p).ok_or_else(|| {
                            invalid(
                                WHAT,
                                format!(
                                    "element {i} holds {p:#x}, which is not a Unicode scalar value (a Rust string cannot hold it)"
                                ),
                            )
                        })
                    })
                    .collect()
            })
            .collect()
    }

    fn to_bytes_vec(&self) -> Result<Vec<Vec<u8>>, Error> {
        if self.dtype.kind != DKind::Bytes {
            return Err(invalid(
                WHAT,
                format!("its dtype is {}, not a bytes type (S)", self.dtype),
            ));
        }
        let size = self.dtype.itemsize;
        if size == 0 {
            return self.empty_elements();
        }
        Ok(self
            .bytes
            .chunks_exact(size)
            .map(|item| {
                let end = item.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                item[..end].to_vec()
            })
            .collect())
    }

    /// The elements of a zero-width text or bytes dtype (`U0`, `S0`): all empty, as many as
    /// the shape says; past [`MAX_EMPTY_ELEMENTS`] an error (where numpy's `tolist()` would
    /// raise `MemoryError` for 2^40), as is a list the allocator refuses.
    fn empty_elements<T: Default + Clone>(&self) -> Result<Vec<T>, Error> {
        let too_many = || {
            invalid(
                WHAT,
                format!(
                    "{} empty elements of {} are more than the {MAX_EMPTY_ELEMENTS} a list is made of",
                    self.len, self.dtype
                ),
            )
        };
        if self.len > MAX_EMPTY_ELEMENTS {
            return Err(too_many());
        }
        let mut out = Vec::new();
        out.try_reserve_exact(self.len).map_err(|_| too_many())?;
        out.resize(self.len, T::default());
        Ok(out)
    }

    /// The elements of a bool or integer dtype, widened, one at a time.
    fn integers(&self) -> Result<impl Iterator<Item = i128> + 'b, Error> {
        let size = self.dtype.itemsize;
        let big = self.dtype.order == ByteOrder::Big;
        // (bool: any non-zero byte is True, as numpy reads it.)
        let (signed, boolean) = match (self.dtype.kind, size) {
            (DKind::Bool, 1) => (false, true),
            (DKind::UInt, 1 | 2 | 4 | 8) => (false, false),
            (DKind::Int, 1 | 2 | 4 | 8) => (true, false),
            _ => {
                return Err(invalid(
                    WHAT,
                    format!("its dtype {} is not an integer type", self.dtype),
                ))
            }
        };
        Ok(self.bytes.chunks_exact(size).map(move |c| {
            let w = word(c, big);
            let shift = 64 - 8 * size as u32;
            match (signed, boolean) {
                (_, true) => i128::from(w[0] != 0),
                (true, _) => i128::from((i64::from_le_bytes(w) << shift) >> shift),
                (false, _) => i128::from(u64::from_le_bytes(w)),
            }
        }))
    }
}

/// An element of up to 8 bytes as a little-endian word, zero-extended.
fn word(c: &[u8], big: bool) -> [u8; 8] {
    let mut w = [0u8; 8];
    if big {
        w[8 - c.len()..].copy_from_slice(c);
        w.reverse();
    } else {
        w[..c.len()].copy_from_slice(c);
    }
    w
}

/// A numpy array whose data stays where the pickle has it: borrowed from the input given to
/// [`from_slice`](crate::from_slice) (or from the out-of-band buffers of
/// [`from_slice_with_buffers`](crate::from_slice_with_buffers)) wherever the data lies there
/// whole, which is the case for every array numpy pickles with bytes for data at protocols
/// 3-5 (but for numpy 2's `'K'` transpositions in neither C nor Fortran order, whose elements
/// are gathered into C order), and for `pypickle::joblib` files. Reading a 100 MB array this
/// way copies nothing.
///
/// Object arrays have no bytes and cannot be viewed: read them as [`NdArray`].
/// [`as_slice`](Self::as_slice) lends the elements typed where the bytes happen to be aligned
/// for the type (pickles do not align them); [`iter`](Self::iter) reads them in place
/// whatever the alignment.
///
/// ```
/// use pypickle::numpy::NdArrayView;
/// // pickle.dumps(numpy.array([1.5, 2.5]), protocol=5)
/// let data = b"\x80\x05\x95\x84\x00\x00\x00\x00\x00\x00\x00\x8c\x13numpy._core.numeric\x94\x8c\x0b_frombuffer\x94\x93\x94(\x96\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf8?\x00\x00\x00\x00\x00\x00\x04@\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02f8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x02\x85\x94\x8c\x01C\x94t\x94R\x94.";
/// let a: NdArrayView = pypickle::from_slice(data)?;
/// assert!(a.is_borrowed());
/// assert_eq!(a.shape(), &[2]);
/// assert_eq!(a.iter::<f64>()?.sum::<f64>(), 4.0);
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NdArrayView<'a> {
    dtype: DType,
    shape: Vec<usize>,
    order: Order,
    data: Cow<'a, [u8]>,
}

impl<'a> NdArrayView<'a> {
    /// A view of the array `meta` describes (its data taken out), with `data`.
    fn from_parts(meta: &Value, data: Cow<'a, [u8]>) -> Result<NdArrayView<'a>, Error> {
        let layout = layout(meta)?;
        if !matches!(layout.payload, Payload::Taken) {
            return Err(invalid(WHAT, "its data was not handed over"));
        }
        check_size(&layout.dtype, &layout.shape, data.len())?;
        let (shape, order, data) = layout.arrange(data);
        Ok(NdArrayView {
            dtype: layout.dtype,
            shape,
            order,
            data,
        })
    }

    header_accessors!();

    /// The elements' bytes, in [`order`](Self::order).
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// Whether the data is borrowed (not copied) from what was deserialized.
    pub fn is_borrowed(&self) -> bool {
        matches!(self.data, Cow::Borrowed(_))
    }

    fn elements(&self) -> Elements<'_> {
        Elements {
            dtype: &self.dtype,
            bytes: &self.data,
            len: self.len(),
        }
    }

    /// The elements as `T`s, decoded in place from the array's byte order and whatever the
    /// alignment, in [`order`](Self::order). An error if the dtype is not exactly `T`'s.
    pub fn iter<T: Element>(&self) -> Result<impl ExactSizeIterator<Item = T> + '_, Error> {
        self.elements().iter()
    }

    /// The elements as `T`s, in [`order`](Self::order). An error if the dtype is not exactly
    /// `T`'s.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>, Error> {
        self.elements().to_vec()
    }

    /// The elements as a borrowed slice of `T`s: `None` where the bytes cannot be lent as
    /// `T`s (another byte order than this machine's, or not aligned for `T`). An error if
    /// the dtype is not exactly `T`'s.
    pub fn as_slice<T: Element>(&self) -> Result<Option<&[T]>, Error> {
        self.elements().as_slice()
    }

    /// All elements as `f64`, whatever the numeric dtype (bool, int, uint, float).
    pub fn to_f64_vec(&self) -> Result<Vec<f64>, Error> {
        self.elements().to_f64_vec()
    }

    /// All elements as `i64`, whatever the integer dtype (see [`NdArray::to_i64_vec`]).
    pub fn to_i64_vec(&self) -> Result<Vec<i64>, Error> {
        self.elements().to_i64_vec()
    }

    /// The elements of a text array as strings (see [`NdArray::to_string_vec`]).
    pub fn to_string_vec(&self) -> Result<Vec<String>, Error> {
        self.elements().to_string_vec()
    }

    /// The elements of a bytes array without trailing NULs (see [`NdArray::to_bytes_vec`]).
    pub fn to_bytes_vec(&self) -> Result<Vec<Vec<u8>>, Error> {
        self.elements().to_bytes_vec()
    }

    /// An owned array with this data (copied if borrowed).
    pub fn into_owned(self) -> NdArray {
        NdArray {
            dtype: self.dtype,
            shape: self.shape,
            order: self.order,
            data: Data::Bytes(self.data.into_owned()),
        }
    }
}

impl TryFrom<&Value> for NdArrayView<'static> {
    type Error = Error;
    /// An owned view of the array a `Value` holds; an error for an object array.
    fn try_from(v: &Value) -> Result<NdArrayView<'static>, Error> {
        NdArray::from_value(v).and_then(NdArrayView::try_from)
    }
}

impl TryFrom<NdArray> for NdArrayView<'static> {
    type Error = Error;
    /// The array as an owned view; an error for an object array.
    fn try_from(a: NdArray) -> Result<NdArrayView<'static>, Error> {
        match a.data {
            Data::Bytes(b) => Ok(NdArrayView {
                dtype: a.dtype,
                shape: a.shape,
                order: a.order,
                data: Cow::Owned(b),
            }),
            Data::Objects(_) => Err(invalid(WHAT, "an object array has no bytes to view")),
        }
    }
}

/// An error unless `len` bytes are exactly the elements of this dtype and shape.
fn check_size(dtype: &DType, shape: &[usize], len: usize) -> Result<(), Error> {
    let n = element_count(shape)?;
    if n.checked_mul(dtype.itemsize) != Some(len) {
        return Err(invalid(
            WHAT,
            format!(
                "{len} bytes of data for shape {shape:?} of {dtype} ({} bytes each)",
                dtype.itemsize
            ),
        ));
    }
    Ok(())
}

/// Bytes handed over beside an array object: borrowed where the deserializer lends them.
struct DataBytes<'de>(Cow<'de, [u8]>);

impl<'de> Deserialize<'de> for DataBytes<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DataBytes<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DataBytes<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array's bytes")
            }
            fn visit_borrowed_bytes<E>(self, b: &'de [u8]) -> Result<DataBytes<'de>, E> {
                Ok(DataBytes(Cow::Borrowed(b)))
            }
            fn visit_bytes<E>(self, b: &[u8]) -> Result<DataBytes<'de>, E> {
                Ok(DataBytes(Cow::Owned(b.to_vec())))
            }
            fn visit_byte_buf<E>(self, b: Vec<u8>) -> Result<DataBytes<'de>, E> {
                Ok(DataBytes(Cow::Owned(b)))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// Reads an array as this crate's deserializers hand it over ([`ARRAY_TOKEN`]): the object and
/// its lent data, or (from any other deserializer, or for arrays without bytes) a `Value`,
/// converted here, so that this crate's deserializers give a conversion's error the array's
/// position and its own category (see `stdlib::conversion_failed`). `view`: for an
/// [`NdArrayView`].
struct ArrayVisitor {
    view: bool,
}

/// What [`ArrayVisitor`] found.
enum Read<'de> {
    View(NdArrayView<'de>),
    Array(NdArray),
}

impl<'de> Visitor<'de> for ArrayVisitor {
    type Value = Read<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a numpy array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Read<'de>, A::Error> {
        let missing = || de::Error::custom("a numpy array's parts are missing");
        let meta: Value = seq.next_element()?.ok_or_else(missing)?;
        let data: DataBytes<'de> = seq.next_element()?.ok_or_else(missing)?;
        NdArrayView::from_parts(&meta, data.0)
            .map(Read::View)
            .map_err(crate::stdlib::conversion_failed)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Read<'de>, D::Error> {
        let v = Value::deserialize(d)?;
        let array = NdArray::from_value(&v).map_err(crate::stdlib::conversion_failed)?;
        match self.view {
            true => NdArrayView::try_from(array)
                .map(Read::View)
                .map_err(crate::stdlib::conversion_failed),
            false => Ok(Read::Array(array)),
        }
    }
}

/// Borrows for any `'a` the input outlives, as `&'a [u8]` does, so a struct with a
/// `#[serde(borrow)]` view field derives `Deserialize`.
impl<'de: 'a, 'a> Deserialize<'de> for NdArrayView<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NdArrayView<'a>, D::Error> {
        match d.deserialize_newtype_struct(ARRAY_TOKEN, ArrayVisitor { view: true })? {
            Read::View(v) => Ok(v),
            Read::Array(a) => NdArrayView::try_from(a).map_err(de::Error::custom),
        }
    }
}

/// The error for a value of Python type `found` read as an array.
pub(crate) fn not_an_array(found: &str) -> Error {
    invalid(WHAT, format!("found {found}"))
}

/// The product of the dimensions, checked.
fn element_count(shape: &[usize]) -> Result<usize, Error> {
    // numpy's dimensions are signed (`npy_intp`): one past `isize::MAX` would be written
    // negative, even in an empty array.
    let dims_fit = shape.iter().all(|&d| d <= isize::MAX as usize);
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| dims_fit && n <= isize::MAX as usize)
        .ok_or_else(|| invalid(WHAT, format!("shape {shape:?} is too large")))
}

fn parse_shape(v: &Value) -> Result<Vec<usize>, Error> {
    let Value::Tuple(dims) = v else {
        return Err(invalid(WHAT, "the shape is not a tuple"));
    };
    parse_dims(dims)
}

pub(super) fn parse_dims(dims: &[Value]) -> Result<Vec<usize>, Error> {
    dims.iter()
        .map(|d| {
            d.as_i64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| invalid(WHAT, format!("dimension {d} is not a size")))
        })
        .collect()
}

/// IEEE 754 half precision to double.
fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f64::from(h & 0x3ff);
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    }
}

impl TryFrom<&Value> for NdArray {
    type Error = Error;
    fn try_from(v: &Value) -> Result<NdArray, Error> {
        NdArray::from_value(v)
    }
}

impl From<NdArray> for Value {
    fn from(a: NdArray) -> Value {
        a.to_value()
    }
}

impl From<&NdArray> for Value {
    fn from(a: &NdArray) -> Value {
        a.to_value()
    }
}

impl<'de> Deserialize<'de> for NdArray {
    /// One copy of the data, from the input: the array is read as a view first.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NdArray, D::Error> {
        match d.deserialize_newtype_struct(ARRAY_TOKEN, ArrayVisitor { view: false })? {
            Read::View(v) => Ok(v.into_owned()),
            Read::Array(a) => Ok(a),
        }
    }
}

impl fmt::Display for NdArray {
    /// `array(shape=[2, 3], dtype=<f8)`: numpy's own repr prints the elements, which this
    /// does not try to match.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "array(shape={:?}, dtype={})", self.shape, self.dtype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn round_trip_through_value() {
        let a = NdArray::from_vec(vec![2, 2], vec![1i32, -2, 3, 4]).unwrap();
        let b = NdArray::try_from(&Value::from(&a)).unwrap();
        assert_eq!(a, b);
        assert_eq!(b.to_vec::<i32>().unwrap(), [1, -2, 3, 4]);
        assert_eq!(b.as_slice::<i32>().unwrap().map(<[i32]>::len), Some(4));
        assert!(b.to_vec::<f64>().is_err());
        assert_eq!(b.to_f64_vec().unwrap(), [1.0, -2.0, 3.0, 4.0]);
        assert!(NdArray::from_vec(vec![3], vec![1u8]).is_err());
        assert!(NdArray::from_vec(vec![usize::MAX, 2], Vec::<u8>::new()).is_err());
    }
}
