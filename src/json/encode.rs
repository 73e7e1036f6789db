//! [`Value`] to JSON: plain JSON where the value has a plain JSON form, a one-key `$` object
//! where it has not.

use std::collections::HashSet;

use serde_json::{Map, Number, Value as Json};

use super::error::{Error, ErrorKind, Result};
use super::{tag, JsonOptions};
use crate::value::{BigInt, Complex, Global, Made, Object, Value};

pub(super) struct Encoder<'o> {
    pub(super) opts: &'o JsonOptions,
}

/// `{tag: inner}`.
fn tagged(tag: &str, inner: Json) -> Json {
    let mut map = Map::with_capacity(1);
    map.insert(tag.to_string(), inner);
    Json::Object(map)
}

/// The keys of a dict that maps to a plain JSON object: every key a `str`, no key twice, and
/// not a single key starting with `$`, which would read back as a tag. `None` for any other
/// dict.
fn plain_keys(items: &[(Value, Value)]) -> Option<Vec<&str>> {
    let keys = items
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Option<Vec<&str>>>()?;
    let plain = match keys.as_slice() {
        [] => true,
        [k] => !k.starts_with('$'),
        _ => {
            let mut seen = HashSet::with_capacity(keys.len());
            keys.iter().all(|k| seen.insert(*k))
        }
    };
    plain.then_some(keys)
}

impl Encoder<'_> {
    /// `depth` more JSON containers around a position already inside `outer` of them.
    fn nest(&self, outer: usize, depth: usize) -> Result<usize> {
        let d = outer + depth;
        if d > self.opts.max_depth {
            return Err(Error::new(
                ErrorKind::Depth,
                format!(
                    "the JSON would nest deeper than {} arrays and objects",
                    self.opts.max_depth
                ),
            ));
        }
        Ok(d)
    }

    /// The JSON of `v`, which sits inside `outer` JSON containers.
    ///
    /// Each arm that does more than wrap a scalar is a method of its own, so that this frame,
    /// which recursion repeats once per level, stays small (in debug builds too).
    pub(super) fn value(&self, v: &Value, outer: usize) -> Result<Json> {
        match v {
            Value::None => Ok(Json::Null),
            Value::Bool(b) => Ok(Json::Bool(*b)),
            Value::Int(i) => Ok(Json::from(*i)),
            Value::BigInt(b) => self.big_int(b, outer),
            Value::Float(f) => self.float(*f, outer),
            Value::Complex(c) => self.complex(c, outer),
            Value::Str(s) => Ok(Json::String(s.clone())),
            Value::Bytes(b) => self.bytes(tag::BYTES, b, outer),
            Value::ByteArray(b) => self.bytes(tag::BYTEARRAY, b, outer),
            Value::List(items) => self.list(items, outer),
            Value::Tuple(items) => self.tagged_items(tag::TUPLE, items, outer),
            Value::Set(items) => self.tagged_items(tag::SET, items, outer),
            Value::FrozenSet(items) => self.tagged_items(tag::FROZENSET, items, outer),
            Value::Dict(items) => self.dict(items, outer),
            Value::Global(g) => self.global(g, outer),
            Value::Object(o) => self.object(o, outer),
        }
    }

    fn big_int(&self, b: &BigInt, outer: usize) -> Result<Json> {
        Ok(match b.to_u128().and_then(|u| u64::try_from(u).ok()) {
            Some(u) => Json::from(u),
            None => {
                self.nest(outer, 1)?;
                // Past Python's 4300 digits, a hex literal: no quadratic decimal conversion.
                let text = b.to_decimal().unwrap_or_else(|| b.hex());
                tagged(tag::INT, Json::String(text))
            }
        })
    }

    fn complex(&self, c: &Complex, outer: usize) -> Result<Json> {
        let inner = self.nest(outer, 2)?;
        let part = |i: usize, f: f64| {
            self.float(f, inner)
                .map_err(|e| e.within(i).within(tag::COMPLEX))
        };
        Ok(tagged(
            tag::COMPLEX,
            Json::Array(vec![part(0, c.re)?, part(1, c.im)?]),
        ))
    }

    fn bytes(&self, tag: &str, b: &[u8], outer: usize) -> Result<Json> {
        self.nest(outer, 1)?;
        Ok(tagged(tag, Json::String(super::base64::encode(b))))
    }

    fn list(&self, items: &[Value], outer: usize) -> Result<Json> {
        Ok(Json::Array(self.items(items, self.nest(outer, 1)?)?))
    }

    fn dict(&self, items: &[(Value, Value)], outer: usize) -> Result<Json> {
        let Some(keys) = plain_keys(items) else {
            let inner = self.nest(outer, 1)?;
            let pairs = self.pairs(items, inner).map_err(|e| e.within(tag::DICT))?;
            return Ok(tagged(tag::DICT, pairs));
        };
        let inner = self.nest(outer, 1)?;
        let mut map = Map::with_capacity(items.len());
        for (k, (_, v)) in keys.into_iter().zip(items) {
            let v = self.value(v, inner).map_err(|e| e.within(k))?;
            map.insert(k.to_string(), v);
        }
        Ok(Json::Object(map))
    }

    fn global(&self, g: &Global, outer: usize) -> Result<Json> {
        self.refuse_objects(|| format!("the global {}.{}", g.module, g.name))?;
        self.nest(outer, 2)?;
        Ok(tagged(tag::GLOBAL, class_json(g)))
    }

    fn object(&self, o: &Object, outer: usize) -> Result<Json> {
        self.refuse_objects(|| format!("an object of class {}.{}", o.class.module, o.class.name))?;
        let inner = self.nest(outer, 2)?;
        let fields = self.fields(o, inner).map_err(|e| e.within(tag::OBJECT))?;
        Ok(tagged(tag::OBJECT, fields))
    }

    fn refuse_objects(&self, what: impl FnOnce() -> String) -> Result<()> {
        if self.opts.objects {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Refused,
            format!(
                "{} is refused: globals and objects (a datetime, a Decimal, ...) are mapped \
                 only with `JsonOptions::objects(true)` (the command line's --objects)",
                what()
            ),
        ))
    }

    fn float(&self, f: f64, outer: usize) -> Result<Json> {
        Ok(match Number::from_f64(f) {
            Some(n) => Json::Number(n),
            None => {
                self.nest(outer, 1)?;
                let text = match f.to_bits() {
                    _ if !f.is_nan() && f > 0.0 => "inf".to_string(),
                    _ if !f.is_nan() => "-inf".to_string(),
                    super::NAN_BITS => "nan".to_string(),
                    super::NEGATIVE_NAN_BITS => "-nan".to_string(),
                    bits => format!("nan:{bits:016x}"),
                };
                tagged(tag::FLOAT, Json::String(text))
            }
        })
    }

    /// The values, each inside `depth` containers.
    fn items(&self, items: &[Value], depth: usize) -> Result<Vec<Json>> {
        // A plain loop: iterator adapters would add frames to every level of recursion.
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            out.push(self.value(v, depth).map_err(|e| e.within(i))?);
        }
        Ok(out)
    }

    fn tagged_items(&self, tag: &str, items: &[Value], outer: usize) -> Result<Json> {
        let inner = self.nest(outer, 2)?;
        let items = self.items(items, inner).map_err(|e| e.within(tag))?;
        Ok(tagged(tag, Json::Array(items)))
    }

    /// `[[k, v], ...]`, whose outer array sits inside `outer` containers.
    fn pairs(&self, items: &[(Value, Value)], outer: usize) -> Result<Json> {
        let inner = self.nest(outer, 1)?;
        let inner = self.nest(inner, 1)?;
        let mut pairs = Vec::with_capacity(items.len());
        for (i, (k, v)) in items.iter().enumerate() {
            let k = self.value(k, inner).map_err(|e| e.within(0).within(i))?;
            let v = self.value(v, inner).map_err(|e| e.within(1).within(i))?;
            pairs.push(Json::Array(vec![k, v]));
        }
        Ok(Json::Array(pairs))
    }

    /// The fields of `{"$object": {...}}`, that object inside `outer` containers.
    fn fields(&self, o: &Object, outer: usize) -> Result<Json> {
        let mut map = Map::new();
        // The class's array is one level, as the decoder counts it.
        self.nest(outer, 1)?;
        map.insert("class".into(), class_json(&o.class));
        map.insert("made".into(), Json::String(made_name(o.made).into()));
        map.insert(
            "args".into(),
            self.value(&o.args, outer).map_err(|e| e.within("args"))?,
        );
        if let Some(kwargs) = &o.kwargs {
            map.insert(
                "kwargs".into(),
                self.value(kwargs, outer).map_err(|e| e.within("kwargs"))?,
            );
        }
        if !o.state.is_empty() {
            let inner = self.nest(outer, 1)?;
            let state = self.items(&o.state, inner).map_err(|e| e.within("state"))?;
            map.insert("state".into(), Json::Array(state));
        }
        if !o.list_items.is_empty() {
            let inner = self.nest(outer, 1)?;
            let items = self
                .items(&o.list_items, inner)
                .map_err(|e| e.within("list_items"))?;
            map.insert("list_items".into(), Json::Array(items));
        }
        if !o.dict_items.is_empty() {
            let pairs = self
                .pairs(&o.dict_items, outer)
                .map_err(|e| e.within("dict_items"))?;
            map.insert("dict_items".into(), pairs);
        }
        Ok(Json::Object(map))
    }
}

/// `[module, name]`.
fn class_json(g: &Global) -> Json {
    Json::Array(vec![
        Json::String(g.module.clone()),
        Json::String(g.name.clone()),
    ])
}

/// The name of `made` in `{"$object": {"made": ...}}`.
pub(super) fn made_name(made: Made) -> &'static str {
    match made {
        Made::Call => "call",
        Made::New => "new",
        Made::NewEx => "new_ex",
        Made::Reconstructor => "reconstructor",
    }
}
