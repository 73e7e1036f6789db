//! JSON to [`Value`]: the inverse of `encode.rs`, strict about the `$` forms.

use serde_json::{Map, Value as Json};

use super::error::{Error, ErrorKind, Result};
use super::{tag, JsonOptions};
use crate::value::{BigInt, Complex, Global, Made, Object, Value};

pub(super) struct Decoder<'o> {
    pub(super) opts: &'o JsonOptions,
}

/// What a JSON value is, for messages.
fn kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn expected(what: &str, got: &Json) -> Error {
    Error::invalid(format!("expected {what}, found {}", kind(got)))
}

fn string<'j>(j: &'j Json, what: &str) -> Result<&'j str> {
    j.as_str().ok_or_else(|| expected(what, j))
}

fn array<'j>(j: &'j Json, what: &str) -> Result<&'j [Json]> {
    j.as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| expected(what, j))
}

/// `[module, name]`.
fn global(j: &Json) -> Result<Global> {
    match array(j, "[module, name]")? {
        [m, n] => Ok(Global {
            module: string(m, "a module name")
                .map_err(|e| e.within(0))?
                .to_string(),
            name: string(n, "a qualified name")
                .map_err(|e| e.within(1))?
                .to_string(),
        }),
        other => Err(Error::invalid(format!(
            "expected [module, name], found an array of {}",
            other.len()
        ))),
    }
}

/// A JSON number: an `int` if it has no fraction or exponent, else a `float`.
fn number(n: &serde_json::Number) -> Result<Value> {
    match (n.as_i64(), n.as_u64()) {
        // `-0` is a float; serde_json with `arbitrary_precision` (which another crate may turn
        // on) answers it as the int 0.
        (Some(0), _) if n.to_string() == "-0" => Ok(Value::Float(-0.0)),
        (Some(i), _) => Ok(Value::Int(i)),
        (None, Some(u)) => Ok(Value::from(u)),
        (None, None) => {
            // A float; or, with `arbitrary_precision`, an int past 64 bits or a float past
            // f64's range, which serde_json then keeps as text: never a silent float or NaN.
            let text = n.to_string();
            let integral = text.bytes().all(|b| b.is_ascii_digit() || b == b'-');
            if integral {
                return text
                    .parse::<BigInt>()
                    .map(Value::from)
                    .map_err(|e| Error::invalid(format!("{}: {e}", cut(&text))));
            }
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Value::Float(f)),
                _ => Err(Error::invalid(format!(
                    "{} is beyond a float's range (write {{\"$float\": \"inf\"}} for infinity)",
                    cut(&text)
                ))),
            }
        }
    }
}

/// The content of `{"$int": ...}`.
fn big_int(inner: &Json) -> Result<Value> {
    let s = string(inner, "an integer's decimal digits")?;
    let b: BigInt = s
        .parse()
        .map_err(|e| Error::invalid(format!("{}: {e}", cut(s))))?;
    Ok(Value::from(b))
}

/// The start of a long number's text, for a message: quoted, cut to 40 characters.
fn cut(s: &str) -> String {
    let shown: String = s.chars().take(40).collect();
    let more = if shown.len() < s.len() { "..." } else { "" };
    format!("{shown:?}{more}")
}

#[cold]
fn unknown_tag(tag: &str) -> Error {
    Error::invalid(format!(
        "unknown tag {} (the tags are {}; a dict whose only key starts with '$' is \
         written {{\"$dict\": [[key, value]]}})",
        cut(tag),
        tag::ALL.join(", ")
    ))
}

/// The content of `{"$float": ...}`.
fn non_finite(j: &Json) -> Result<f64> {
    let bits = |hex: &str| {
        let bits = (hex.len() == 16)
            .then(|| u64::from_str_radix(hex, 16).ok())
            .flatten();
        bits.map(f64::from_bits).filter(|f| f.is_nan())
    };
    match string(j, "\"nan\", \"-nan\", \"inf\" or \"-inf\"")? {
        "nan" => Ok(f64::from_bits(super::NAN_BITS)),
        "-nan" => Ok(f64::from_bits(super::NEGATIVE_NAN_BITS)),
        "inf" => Ok(f64::INFINITY),
        "-inf" => Ok(f64::NEG_INFINITY),
        other => other.strip_prefix("nan:").and_then(bits).ok_or_else(|| {
            Error::invalid(format!(
                "{other:?} is not \"nan\", \"-nan\", \"nan:\" and a NaN's 16 hex digits, \
                 \"inf\" or \"-inf\" (finite floats are JSON numbers)"
            ))
        }),
    }
}

fn made(j: &Json) -> Result<Made> {
    Ok(match string(j, "how the object was made")? {
        "call" => Made::Call,
        "new" => Made::New,
        "new_ex" => Made::NewEx,
        "reconstructor" => Made::Reconstructor,
        other => {
            return Err(Error::invalid(format!(
                "unknown \"made\" {other:?}: expected \"call\", \"new\", \"new_ex\" or \"reconstructor\""
            )))
        }
    })
}

impl Decoder<'_> {
    /// `j` is one more container deep than `outer`: check the limit.
    fn enter(&self, outer: usize) -> Result<usize> {
        let d = outer + 1;
        if d > self.opts.max_depth {
            return Err(Error::new(
                ErrorKind::Depth,
                format!(
                    "JSON nested deeper than {} arrays and objects",
                    self.opts.max_depth
                ),
            ));
        }
        Ok(d)
    }

    /// The value of `j`, which sits inside `outer` JSON containers.
    ///
    /// Each arm that does more than wrap a scalar is a method of its own, so that this frame,
    /// which recursion repeats once per level, stays small (in debug builds too).
    pub(super) fn value(&self, j: &Json, outer: usize) -> Result<Value> {
        match j {
            Json::Null => Ok(Value::None),
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::Number(n) => number(n),
            Json::String(s) => Ok(Value::Str(s.clone())),
            Json::Array(items) => self.list(items, outer),
            Json::Object(map) => self.object(map, outer),
        }
    }

    fn list(&self, items: &[Json], outer: usize) -> Result<Value> {
        Ok(Value::List(self.items(items, self.enter(outer)?)?))
    }

    /// A dict, or a tag: an object whose only key starts with `$`.
    fn object(&self, map: &Map<String, Json>, outer: usize) -> Result<Value> {
        let depth = self.enter(outer)?;
        if map.len() == 1 {
            if let Some((tag, inner)) = map.iter().next().filter(|(k, _)| k.starts_with('$')) {
                return self.tagged(tag, inner, depth).map_err(|e| e.within(tag));
            }
        }
        let mut items = Vec::with_capacity(map.len());
        for (k, v) in map {
            let v = self.value(v, depth).map_err(|e| e.within(k))?;
            items.push((Value::Str(k.clone()), v));
        }
        Ok(Value::Dict(items))
    }

    fn items(&self, items: &[Json], depth: usize) -> Result<Vec<Value>> {
        // A plain loop: iterator adapters would add frames to every level of recursion.
        let mut out = Vec::with_capacity(items.len());
        for (i, j) in items.iter().enumerate() {
            out.push(self.value(j, depth).map_err(|e| e.within(i))?);
        }
        Ok(out)
    }

    /// The items of `{tag: [...]}` whose object is inside `outer` containers.
    fn tagged_items(&self, inner: &Json, outer: usize) -> Result<Vec<Value>> {
        let items = array(inner, "an array")?;
        self.items(items, self.enter(outer)?)
    }

    /// `{tag: inner}`, the object being inside `outer` containers (itself included).
    fn tagged(&self, tag: &str, inner: &Json, outer: usize) -> Result<Value> {
        Ok(match tag {
            tag::INT => big_int(inner)?,
            tag::FLOAT => Value::Float(non_finite(inner)?),
            tag::COMPLEX => self.complex(inner, outer)?,
            tag::BYTES => Value::Bytes(self.base64(inner)?),
            tag::BYTEARRAY => Value::ByteArray(self.base64(inner)?),
            tag::TUPLE => Value::Tuple(self.tagged_items(inner, outer)?),
            tag::SET => Value::Set(hashable(self.tagged_items(inner, outer)?, "a set element")?),
            tag::FROZENSET => {
                Value::FrozenSet(hashable(self.tagged_items(inner, outer)?, "a set element")?)
            }
            tag::DICT => Value::Dict(self.pairs(inner, outer)?),
            tag::GLOBAL => {
                self.refuse_objects(tag)?;
                self.enter(outer)?;
                Value::Global(Box::new(global(inner)?))
            }
            tag::OBJECT => {
                self.refuse_objects(tag)?;
                Value::Object(Box::new(self.fields(inner, outer)?))
            }
            other => return Err(unknown_tag(other)),
        })
    }

    fn complex(&self, inner: &Json, outer: usize) -> Result<Value> {
        let depth = self.enter(outer)?;
        match array(inner, "[real, imag]")? {
            [re, im] => Ok(Value::Complex(Complex {
                re: self.float(re, depth).map_err(|e| e.within(0))?,
                im: self.float(im, depth).map_err(|e| e.within(1))?,
            })),
            other => Err(Error::invalid(format!(
                "expected [real, imag], found an array of {}",
                other.len()
            ))),
        }
    }

    fn refuse_objects(&self, tag: &str) -> Result<()> {
        if self.opts.objects {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Refused,
            format!(
                "{tag} is refused: globals and objects are read only with \
                 `JsonOptions::objects(true)` (the command line's --objects)"
            ),
        ))
    }

    /// A part of a complex number: a JSON number or `{"$float": "nan" | "inf" | "-inf"}`,
    /// inside `outer` containers.
    fn float(&self, j: &Json, outer: usize) -> Result<f64> {
        match j {
            // Not NaN for a number past a float's range (serde_json with
            // `arbitrary_precision` keeps `1e400` as text): an error, as for a float alone.
            Json::Number(n) => number(n)?
                .as_f64()
                .ok_or_else(|| Error::invalid(format!("{n} is not a float"))),
            Json::Object(map) if map.len() == 1 && map.contains_key(tag::FLOAT) => {
                self.enter(outer)?;
                non_finite(&map[tag::FLOAT]).map_err(|e| e.within(tag::FLOAT))
            }
            other => Err(expected("a float", other)),
        }
    }

    fn base64(&self, inner: &Json) -> Result<Vec<u8>> {
        super::base64::decode(string(inner, "a base64 string")?).map_err(Error::invalid)
    }

    /// `[[k, v], ...]`, the outer array inside `outer` containers: each key one Python can
    /// hash.
    fn pairs(&self, j: &Json, outer: usize) -> Result<Vec<(Value, Value)>> {
        let list = array(j, "an array of [key, value] pairs")?;
        let depth = self.enter(outer)?;
        let inner = self.enter(depth)?;
        let mut pairs = Vec::with_capacity(list.len());
        for (i, pair) in list.iter().enumerate() {
            let pair = match array(pair, "a [key, value] pair").map_err(|e| e.within(i))? {
                [k, v] => {
                    let k = self.value(k, inner).map_err(|e| e.within(0).within(i))?;
                    if let Some(what) = crate::value::unhashable(&k) {
                        return Err(not_hashable(what, "a dict key").within(0).within(i));
                    }
                    (k, self.value(v, inner).map_err(|e| e.within(1).within(i))?)
                }
                other => {
                    return Err(Error::invalid(format!(
                        "expected a [key, value] pair, found an array of {}",
                        other.len()
                    ))
                    .within(i))
                }
            };
            pairs.push(pair);
        }
        Ok(pairs)
    }

    /// The fields of `{"$object": {...}}`, the `$object` object inside `outer` containers.
    fn fields(&self, j: &Json, outer: usize) -> Result<Object> {
        let map: &Map<String, Json> = j
            .as_object()
            .ok_or_else(|| expected("an object of fields", j))?;
        let depth = self.enter(outer)?;
        let field = |name: &str| -> Result<&Json> {
            map.get(name)
                .ok_or_else(|| Error::invalid(format!("missing field {name:?}")))
        };
        for key in map.keys() {
            if ![
                "class",
                "made",
                "args",
                "kwargs",
                "state",
                "list_items",
                "dict_items",
            ]
            .contains(&key.as_str())
            {
                return Err(Error::invalid(format!(
                    "unknown field {key:?} (the fields are class, made, args, kwargs, state, \
                     list_items, dict_items)"
                )));
            }
        }
        let class = field("class").and_then(|j| {
            self.enter(depth)?;
            global(j).map_err(|e| e.within("class"))
        })?;
        let made = field("made").and_then(|j| made(j).map_err(|e| e.within("made")))?;
        let args =
            field("args").and_then(|j| self.value(j, depth).map_err(|e| e.within("args")))?;
        let kwargs = match map.get("kwargs") {
            Some(j) => Some(self.value(j, depth).map_err(|e| e.within("kwargs"))?),
            None => None,
        };
        let list = |name: &str| -> Result<Vec<Value>> {
            match map.get(name) {
                Some(j) => self.tagged_items(j, depth).map_err(|e| e.within(name)),
                None => Ok(Vec::new()),
            }
        };
        let state = list("state")?;
        let list_items = list("list_items")?;
        let dict_items = match map.get("dict_items") {
            Some(j) => self.pairs(j, depth).map_err(|e| e.within("dict_items"))?,
            None => Vec::new(),
        };
        Ok(Object {
            class,
            made,
            args,
            kwargs,
            state,
            list_items,
            dict_items,
        })
    }
}

/// `items`, if Python can hash each of them, as `what` (a set element) must be.
fn hashable(items: Vec<Value>, what: &str) -> Result<Vec<Value>> {
    match items
        .iter()
        .enumerate()
        .find_map(|(i, v)| Some((i, crate::value::unhashable(v)?)))
    {
        Some((i, it)) => Err(not_hashable(it, what).within(i)),
        None => Ok(items),
    }
}

/// The error for `it` (a list, ...) where Python must hash `what` (a dict key, a set element).
#[cold]
fn not_hashable(it: &str, what: &str) -> Error {
    Error::invalid(format!(
        "{it} cannot be {what}: Python cannot hash it (a {{\"$tuple\": [...]}} of hashable \
         values can be)"
    ))
}
