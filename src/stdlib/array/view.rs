//! An `array.array` as a pickle holds it, in every shape CPython loads: read where it lies in
//! a [`Value::Object`], checked as CPython checks it, its items decoded as they are asked for.

use std::fmt::{self, Formatter};

use crate::value::display::write_str_repr;
use crate::value::{Made, Object, Value};

/// An array's typecode and where its items are, checked as CPython checks them when it loads
/// the pickle. The items are decoded as they are asked for: printing a large array makes no
/// copy of it.
pub(crate) struct View<'a> {
    typecode: char,
    kind: Kind,
    source: Source<'a>,
}

#[derive(Clone, Copy)]
enum Source<'a> {
    /// `array(typecode, items)`.
    List(&'a [Value]),
    /// `array('u', text)`.
    Text(&'a str),
    /// The bytes of `_array_reconstructor`, in machine format `code`.
    Bytes(Format, &'a [u8]),
}

/// What a typecode holds: ints within a range (as CPython on a 64-bit Linux sizes them), floats
/// (`f` rounded to single precision), or characters.
#[derive(Clone, Copy)]
enum Kind {
    Int(i128, i128),
    Float { single: bool },
    Char,
}

fn kind(typecode: char) -> Option<Kind> {
    let int = |bits: u32, signed: bool| {
        Kind::Int(
            if signed { -(1i128 << (bits - 1)) } else { 0 },
            if signed {
                (1i128 << (bits - 1)) - 1
            } else {
                (1i128 << bits) - 1
            },
        )
    };
    Some(match typecode {
        'b' => int(8, true),
        'B' => int(8, false),
        'h' => int(16, true),
        'H' => int(16, false),
        'i' => int(32, true),
        'I' => int(32, false),
        'l' | 'q' => int(64, true),
        'L' | 'Q' => int(64, false),
        'f' => Kind::Float { single: true },
        'd' => Kind::Float { single: false },
        'u' | 'w' => Kind::Char,
        _ => return None,
    })
}

impl<'a> View<'a> {
    /// The array `obj` is, if it is one in a shape CPython writes, with items its typecode
    /// holds; `None` for anything else (it then prints as any object does).
    pub(crate) fn of(obj: &'a Object) -> Option<View<'a>> {
        let plain = matches!(obj.made, Made::Call)
            && obj.kwargs.is_none()
            && obj.state.iter().all(|s| matches!(s, Value::None))
            && obj.list_items.is_empty()
            && obj.dict_items.is_empty();
        let (Value::Tuple(args), true) = (&obj.args, plain) else {
            return None;
        };
        let typecode = one_char;
        let (typecode, source) = match (obj.class.name.as_str(), args.as_slice()) {
            ("array", [code]) => (typecode(code)?, Source::List(&[])),
            ("array", [code, Value::List(items) | Value::Tuple(items)]) => {
                (typecode(code)?, Source::List(items))
            }
            ("array", [code, Value::Str(text)]) => {
                let typecode = typecode(code)?;
                matches!(kind(typecode)?, Kind::Char).then_some((typecode, Source::Text(text)))?
            }
            // `array(typecode, bytes)` (or a bytearray): the items' machine bytes, as
            // `frombytes` takes them.
            ("array", [code, Value::Bytes(data) | Value::ByteArray(data)]) => {
                let typecode = typecode(code)?;
                let format = Format::new(own_format(typecode)?.into())?;
                if data.len() % format.size != 0 {
                    return None;
                }
                (typecode, Source::Bytes(format, data))
            }
            (
                "_array_reconstructor",
                [Value::Global(class), code, mformat @ (Value::Int(_) | Value::Bool(_)), Value::Bytes(data)],
            ) if class.module == "array" && class.name == "array" => {
                let format = Format::new(mformat.as_i64()?)?;
                let typecode = typecode(code)?;
                // CPython checks the length against its own table of sizes, which has 4 for
                // UTF-16 and 8 for UTF-32, except for a typecode's own format.
                let whole = match format.code {
                    18 | 19 => 4,
                    21 => 8,
                    20 if !matches!(typecode, 'u' | 'w') => 8,
                    _ => format.size,
                };
                if data.len() % whole != 0 {
                    return None;
                }
                (
                    loaded_as(typecode, format, data.is_empty())?,
                    Source::Bytes(format, data),
                )
            }
            _ => return None,
        };
        let array = View {
            typecode,
            kind: kind(typecode)?,
            source,
        };
        let valid = match array.kind {
            Kind::Char => array.chars().all(|c| c.is_some()),
            _ => array.numbers().all(|n| n.is_some()),
        };
        valid.then_some(array)
    }

    /// The typecode of the array CPython loads.
    pub(super) fn typecode(&self) -> char {
        self.typecode
    }

    /// The bytes its natural form takes: a value for each number, the text's UTF-8 for
    /// characters.
    pub(crate) fn natural_bytes(&self) -> usize {
        let numbers = match self.source {
            _ if matches!(self.kind, Kind::Char) => {
                return self.chars().flatten().map(char::len_utf8).sum();
            }
            Source::List(items) => items.len(),
            Source::Text(_) => 0,
            Source::Bytes(format, data) => data.len() / format.size,
        };
        numbers.saturating_mul(std::mem::size_of::<Value>())
    }

    /// The items as serde sees them: a list, or a str for `u` and `w`.
    pub(crate) fn natural(&self) -> Value {
        match self.kind {
            Kind::Char => Value::Str(self.chars().flatten().collect()),
            _ => Value::List(self.numbers().flatten().collect()),
        }
    }

    /// Each item of a number typecode, `None` where one is not what the typecode holds.
    pub(super) fn numbers(&self) -> impl Iterator<Item = Option<Value>> + 'a {
        let kind = self.kind;
        let (list, bytes) = self.split();
        let from_list = list.iter().map(move |v| number_of(kind, v));
        let from_bytes = bytes.into_iter().flat_map(move |(format, data)| {
            data.chunks_exact(format.size)
                .map(move |chunk| format.number(kind, chunk))
        });
        from_list.chain(from_bytes)
    }

    /// The items' float32 words, when the array holds them as float32 bytes (machine formats
    /// 14 and 15): exactly, where [`Self::numbers`] makes doubles of them.
    pub(super) fn float32_bits(&self) -> Option<impl Iterator<Item = u32> + 'a> {
        match self.source {
            Source::Bytes(format, data) if matches!(format.code, 14 | 15) => Some(
                data.chunks_exact(format.size)
                    .map(move |chunk| format.word(chunk) as u32),
            ),
            _ => None,
        }
    }

    /// Each item of a character typecode, `None` where one is not a character.
    pub(super) fn chars(&self) -> impl Iterator<Item = Option<char>> + 'a {
        let text = match self.source {
            Source::Text(text) => text,
            _ => "",
        };
        let (list, bytes) = self.split();
        let from_list = list.iter().map(one_char);
        let from_bytes = bytes.into_iter().flat_map(
            |(format, data)| -> Box<dyn Iterator<Item = Option<char>> + 'a> {
                let units = data.chunks_exact(format.size).map(move |c| format.word(c));
                match format.size {
                    // UTF-16: a surrogate pair is one character, a lone surrogate none.
                    2 => Box::new(char::decode_utf16(units.map(|u| u as u16)).map(Result::ok)),
                    _ => Box::new(units.map(|u| char::from_u32(u as u32))),
                }
            },
        );
        text.chars().map(Some).chain(from_list).chain(from_bytes)
    }

    fn split(&self) -> (&'a [Value], Option<(Format, &'a [u8])>) {
        match self.source {
            Source::List(items) => (items, None),
            Source::Text(_) => (&[], None),
            Source::Bytes(format, data) => (&[], Some((format, data))),
        }
    }
}

/// The typecode of the array CPython's `_array_reconstructor` makes of bytes in `format` for
/// `typecode` (on a 64-bit Linux): `typecode` itself for its own machine format, a float
/// format for a float typecode, a UTF-16 or UTF-32 one for a character typecode (Windows
/// writes `u` as UTF-16); for an int format of another typecode, the int typecode of the
/// format's size and signedness (`('d', 8, ...)` makes an `array('i')`); `None` where CPython
/// raises (floats for an int or character typecode, unless there are none; text for any
/// other typecode).
fn loaded_as(typecode: char, format: Format, empty: bool) -> Option<char> {
    let own = own_format(typecode)?;
    match format.code {
        code if code == own => Some(typecode),
        0..=13 => Some(match (format.size, format.signed()) {
            (1, false) => 'B',
            (1, true) => 'b',
            (2, false) => 'H',
            (2, true) => 'h',
            (4, false) => 'I',
            (4, true) => 'i',
            (_, false) => 'Q',
            (_, true) => 'q',
        }),
        // No floats made into an int or character array is no error.
        14..=17 if matches!(typecode, 'f' | 'd') || empty => Some(typecode),
        18..=21 if matches!(typecode, 'u' | 'w') => Some(typecode),
        _ => None,
    }
}

/// The machine format of a typecode's items on a 64-bit Linux.
pub(super) fn own_format(typecode: char) -> Option<u8> {
    Some(match typecode {
        'B' => 0,
        'b' => 1,
        'H' => 2,
        'h' => 4,
        'I' => 6,
        'i' => 8,
        'L' | 'Q' => 10,
        'l' | 'q' => 12,
        'f' => 14,
        'd' => 16,
        'u' | 'w' => 20,
        _ => return None,
    })
}

/// The character a one-character str holds.
fn one_char(v: &Value) -> Option<char> {
    match v {
        Value::Str(s) => crate::de::one_char(s.as_bytes()),
        _ => None,
    }
}

/// A list item as the typecode holds it: an int in range, a number for a float typecode (as
/// single precision for `f`).
fn number_of(kind: Kind, v: &Value) -> Option<Value> {
    match kind {
        Kind::Int(min, max) => {
            let n = match v {
                Value::Bool(b) => i128::from(*b),
                _ => v.as_i128()?,
            };
            (min..=max).contains(&n).then(|| Value::from(n))
        }
        Kind::Float { single } => {
            // `float(v)`: an int beyond the float range is CPython's OverflowError.
            let x = match v {
                Value::Float(_) | Value::Bool(_) | Value::Int(_) | Value::BigInt(_) => {
                    v.as_f64()?
                }
                _ => return None,
            };
            Some(Value::Float(if single { x as f32 as f64 } else { x }))
        }
        Kind::Char => None,
    }
}

/// One of CPython's machine formats for an array's bytes: 0-13 ints of 1, 2, 4 or 8 bytes
/// (unsigned then signed, little then big-endian), 14-17 floats and doubles, 18-21 UTF-16 and
/// UTF-32.
#[derive(Clone, Copy)]
struct Format {
    code: u8,
    size: usize,
    big: bool,
}

impl Format {
    fn new(code: i64) -> Option<Format> {
        let code = u8::try_from(code).ok()?;
        let size = match code {
            0 | 1 => 1,
            2..=5 | 18 | 19 => 2,
            6..=9 | 14 | 15 | 20 | 21 => 4,
            10..=13 | 16 | 17 => 8,
            _ => return None,
        };
        let big = match code {
            0 | 1 => false,
            2..=13 => (code - 2) % 2 == 1,
            _ => code % 2 == 1,
        };
        Some(Format { code, size, big })
    }

    /// Whether an int format is of signed ints.
    fn signed(self) -> bool {
        match self.code {
            0 => false,
            1 => true,
            code => (code - 2) % 4 >= 2,
        }
    }

    /// The unsigned word in `chunk` (`size` bytes).
    fn word(self, chunk: &[u8]) -> u64 {
        let mut b = [0u8; 8];
        if self.big {
            b[8 - self.size..].copy_from_slice(chunk);
            u64::from_be_bytes(b)
        } else {
            b[..self.size].copy_from_slice(chunk);
            u64::from_le_bytes(b)
        }
    }

    /// The item in `chunk`, if this format holds what `kind` does and the value is in range.
    fn number(self, kind: Kind, chunk: &[u8]) -> Option<Value> {
        let w = self.word(chunk);
        match (kind, self.code) {
            (Kind::Int(min, max), 0..=13) => {
                let bits = 8 * self.size as u32;
                let n = if self.signed() && w >> (bits - 1) & 1 == 1 {
                    i128::from(w) - (1i128 << bits)
                } else {
                    i128::from(w)
                };
                (min..=max).contains(&n).then(|| Value::from(n))
            }
            (Kind::Float { single }, 14..=17) => {
                let x = match self.size {
                    4 => f64::from(f32::from_bits(w as u32)),
                    _ => f64::from_bits(w),
                };
                Some(Value::Float(if single { x as f32 as f64 } else { x }))
            }
            _ => None,
        }
    }
}

/// `array('i', [1, 2])`, `array('u', 'hé')`, `array('d')`: as CPython prints it.
impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Char => {
                let text: String = self.chars().flatten().collect();
                write_repr(f, self.typecode, Some(&text), std::iter::empty())
            }
            _ => write_repr(f, self.typecode, None, self.numbers().flatten()),
        }
    }
}

/// `array('i', [1, 2])`, `array('u', 'hé')`, `array('d')`: an array's `repr()` in CPython, of
/// its `text` for a character typecode, else of its `numbers`; for [`View`] and
/// [`super::Array`] alike.
pub(super) fn write_repr(
    f: &mut Formatter<'_>,
    typecode: char,
    text: Option<&str>,
    numbers: impl Iterator<Item = Value>,
) -> fmt::Result {
    write!(f, "array('{typecode}'")?;
    if let Some(text) = text {
        if !text.is_empty() {
            f.write_str(", ")?;
            write_str_repr(f, text)?;
        }
    } else {
        let mut numbers = numbers.peekable();
        if numbers.peek().is_some() {
            f.write_str(", [")?;
            for (i, item) in numbers.enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            f.write_str("]")?;
        }
    }
    f.write_str(")")
}
