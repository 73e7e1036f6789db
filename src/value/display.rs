//! `Display` for [`Value`]: exactly Python's `repr()`.

use std::fmt::{self, Display, Formatter, Write};

use super::printable::NON_PRINTABLE;
use super::{Complex, Global, Object, Value};

/// Python's `str.isprintable()` for one character (per the generated table).
fn is_printable(c: char) -> bool {
    let cp = u32::from(c);
    if (0x20..0x7f).contains(&cp) {
        return true;
    }
    NON_PRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_err()
}

/// `repr(str)`.
pub(crate) fn write_str_repr(f: &mut impl Write, s: &str) -> fmt::Result {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    f.write_char(quote)?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c == quote => {
                f.write_char('\\')?;
                f.write_char(c)?;
            }
            c if is_printable(c) => f.write_char(c)?,
            c => {
                let cp = u32::from(c);
                if cp < 0x100 {
                    write!(f, "\\x{cp:02x}")?
                } else if cp < 0x10000 {
                    write!(f, "\\u{cp:04x}")?
                } else {
                    write!(f, "\\U{cp:08x}")?
                }
            }
        }
    }
    f.write_char(quote)
}

/// `repr(bytes)`; `bytearray`'s repr differs only in escaping `'` even inside double quotes.
pub(crate) fn write_bytes_repr(f: &mut impl Write, b: &[u8], bytearray: bool) -> fmt::Result {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    f.write_char('b')?;
    f.write_char(quote as char)?;
    for &c in b {
        match c {
            b'\\' => f.write_str("\\\\")?,
            b'\n' => f.write_str("\\n")?,
            b'\r' => f.write_str("\\r")?,
            b'\t' => f.write_str("\\t")?,
            c if c == quote || (bytearray && c == b'\'') => {
                f.write_char('\\')?;
                f.write_char(c as char)?;
            }
            0x20..=0x7e => f.write_char(c as char)?,
            c => write!(f, "\\x{c:02x}")?,
        }
    }
    f.write_char(quote as char)
}

/// `repr(float)`: the shortest digits that round-trip, in Python's layout.
pub(crate) fn write_float_repr(f: &mut impl Write, v: f64, add_dot_zero: bool) -> fmt::Result {
    if v.is_nan() {
        return f.write_str("nan");
    }
    if v.is_infinite() {
        return f.write_str(if v > 0.0 { "inf" } else { "-inf" });
    }
    // `{:e}` finds how many digits the shortest round-trip form needs; formatting again with
    // that precision rounds the exact value half-to-even, as Python's repr does on ties (Rust's
    // shortest form may round a tie up).
    let shortest = format!("{v:e}");
    let n = shortest
        .split_once('e')
        .expect("LowerExp has an exponent")
        .0
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    // Rounding the exact value to that many digits does not always give a string that reads
    // back as `v` (`7.291122019556398e-304` rounds to ...397e-304, which is another float):
    // then the shortest form is the one.
    let mut sci = format!("{:.*e}", n - 1, v);
    if sci.parse::<f64>() != Ok(v) {
        sci = shortest;
    }
    let (mantissa, exp) = sci.split_once('e').expect("LowerExp has an exponent");
    let exp: i32 = exp.parse().expect("exponent");
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let decpt = exp + 1;
    if neg {
        f.write_char('-')?;
    }
    if (-4 < decpt) && (decpt <= 16) {
        if decpt <= 0 {
            f.write_str("0.")?;
            for _ in 0..-decpt {
                f.write_char('0')?;
            }
            f.write_str(&digits)?;
        } else if decpt as usize >= digits.len() {
            f.write_str(&digits)?;
            for _ in 0..(decpt as usize - digits.len()) {
                f.write_char('0')?;
            }
            if add_dot_zero {
                f.write_str(".0")?;
            }
        } else {
            let (a, b) = digits.split_at(decpt as usize);
            write!(f, "{a}.{b}")?;
        }
    } else {
        let (a, b) = digits.split_at(1);
        f.write_str(a)?;
        if !b.is_empty() {
            write!(f, ".{b}")?;
        }
        let e = decpt - 1;
        write!(f, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())?;
    }
    Ok(())
}

impl Display for Complex {
    /// `repr(complex)`: `1j`, `(1+2j)`, `(-0-0j)`, `(nan+infj)`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let im_part = |f: &mut Formatter<'_>| write_float_repr(f, self.im, false);
        if self.re == 0.0 && self.re.is_sign_positive() {
            im_part(f)?;
            return f.write_char('j');
        }
        f.write_char('(')?;
        write_float_repr(f, self.re, false)?;
        if self.im.is_nan() || !self.im.is_sign_negative() {
            f.write_char('+')?;
        }
        im_part(f)?;
        f.write_str("j)")
    }
}

impl Display for Global {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match (self.module.as_str(), self.name.as_str()) {
            ("builtins", "Ellipsis") => f.write_str("Ellipsis"),
            ("builtins", "NotImplemented") => f.write_str("NotImplemented"),
            (m, n) => write!(f, "{m}.{n}"),
        }
    }
}

impl Display for Object {
    /// `module.Class(args)`, then what BUILD and APPEND/SETITEM added, as keyword-like parts.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.class)?;
        let mut first = true;
        let mut sep = |f: &mut Formatter<'_>| -> fmt::Result {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            Ok(())
        };
        if let Value::Tuple(args) = &self.args {
            for a in args {
                sep(f)?;
                write!(f, "{a}")?;
            }
        } else {
            sep(f)?;
            write!(f, "*{}", self.args)?;
        }
        if let Some(kw) = &self.kwargs {
            sep(f)?;
            write!(f, "**{kw}")?;
        }
        for s in &self.state {
            sep(f)?;
            write!(f, "__setstate__={s}")?;
        }
        if !self.list_items.is_empty() {
            sep(f)?;
            f.write_str("__items__=")?;
            write_list(f, &self.list_items)?;
        }
        if !self.dict_items.is_empty() {
            sep(f)?;
            f.write_str("__dict_items__=")?;
            write_dict(f, self.dict_items.iter().map(|(k, v)| (k, v)))?;
        }
        f.write_char(')')
    }
}

// The reprs of containers are written from borrowed items, never by making a `Value` of
// them to print: a copy at each level of nested objects would cost the size of everything
// below it, again at every level.

fn write_seq<'a>(
    f: &mut Formatter<'_>,
    items: impl IntoIterator<Item = &'a Value>,
    open: &str,
    close: &str,
) -> fmt::Result {
    f.write_str(open)?;
    for (i, v) in items.into_iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        Display::fmt(v, f)?;
    }
    f.write_str(close)
}

/// `repr()` of a list of `items`.
pub(crate) fn write_list<'a>(
    f: &mut Formatter<'_>,
    items: impl IntoIterator<Item = &'a Value>,
) -> fmt::Result {
    write_seq(f, items, "[", "]")
}

/// `repr()` of a tuple of `items`.
pub(crate) fn write_tuple(f: &mut Formatter<'_>, items: &[Value]) -> fmt::Result {
    match items.len() {
        1 => write_seq(f, items, "(", ",)"),
        _ => write_seq(f, items, "(", ")"),
    }
}

/// `repr()` of a dict of `entries`.
pub(crate) fn write_dict<'a>(
    f: &mut Formatter<'_>,
    entries: impl IntoIterator<Item = (&'a Value, &'a Value)>,
) -> fmt::Result {
    f.write_char('{')?;
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{k}: {v}")?;
    }
    f.write_char('}')
}

impl Display for Value {
    /// Python's `repr()` of the value.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::BigInt(b) => write!(f, "{b}"),
            Value::Float(v) => write_float_repr(f, *v, true),
            Value::Complex(c) => write!(f, "{c}"),
            Value::Str(s) => write_str_repr(f, s),
            Value::Bytes(b) => write_bytes_repr(f, b, false),
            Value::ByteArray(b) => {
                f.write_str("bytearray(")?;
                write_bytes_repr(f, b, true)?;
                f.write_char(')')
            }
            Value::List(v) => write_list(f, v),
            Value::Tuple(v) => write_tuple(f, v),
            Value::Set(v) if v.is_empty() => f.write_str("set()"),
            Value::Set(v) => write_seq(f, v, "{", "}"),
            Value::FrozenSet(v) if v.is_empty() => f.write_str("frozenset()"),
            Value::FrozenSet(v) => write_seq(f, v, "frozenset({", "})"),
            Value::Dict(d) => write_dict(f, d.iter().map(|(k, v)| (k, v))),
            Value::Global(g) => write!(f, "{g}"),
            Value::Object(o) => match crate::stdlib::repr(o, f) {
                Some(r) => r,
                None => write!(f, "{o}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(v: f64) -> String {
        Value::Float(v).to_string()
    }

    #[test]
    fn floats_print_like_python() {
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(-0.0), "-0.0");
        assert_eq!(float(1.5), "1.5");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(1e16), "1e+16");
        assert_eq!(float(1e15), "1000000000000000.0");
        assert_eq!(float(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(float(0.0001), "0.0001");
        assert_eq!(float(1e-5), "1e-05");
        assert_eq!(float(5e-324), "5e-324");
        assert_eq!(float(1e308), "1e+308");
        assert_eq!(float(1.7976931348623157e308), "1.7976931348623157e+308");
        assert_eq!(float(f64::NAN), "nan");
        assert_eq!(float(f64::NEG_INFINITY), "-inf");
        assert_eq!(float(1.0 / 3.0), "0.3333333333333333");
        // A tie in the shortest form rounds half to even, as in Python.
        let tie: f64 = "999916984082883.25".parse().unwrap();
        assert_eq!(float(tie), "999916984082883.2");
    }

    #[test]
    fn complex_prints_like_python() {
        let c = |re, im| Value::Complex(Complex { re, im }).to_string();
        assert_eq!(c(1.0, 2.0), "(1+2j)");
        assert_eq!(c(0.0, 1.0), "1j");
        assert_eq!(c(0.0, -0.0), "-0j");
        assert_eq!(c(-0.0, 0.0), "(-0+0j)");
        assert_eq!(c(1.5, -2.25), "(1.5-2.25j)");
        assert_eq!(c(f64::INFINITY, f64::NAN), "(inf+nanj)");
    }

    #[test]
    fn strings_and_bytes_quote_like_python() {
        let s = |x: &str| Value::Str(x.into()).to_string();
        assert_eq!(s("it's"), "\"it's\"");
        assert_eq!(s("both ' and \""), "'both \\' and \"'");
        assert_eq!(
            s("\t\n\\\x00\x7f\u{e9}\u{2028}\u{1f600}"),
            "'\\t\\n\\\\\\x00\\x7fé\\u2028😀'"
        );
        let b = |x: &[u8]| Value::Bytes(x.to_vec()).to_string();
        assert_eq!(b(b"it's"), "b\"it's\"");
        assert_eq!(b(b"\x00\xff'\""), "b'\\x00\\xff\\'\"'");
        assert_eq!(Value::ByteArray(vec![]).to_string(), "bytearray(b'')");
        assert_eq!(
            Value::ByteArray(b"'".to_vec()).to_string(),
            "bytearray(b\"\\'\")"
        );
        assert_eq!(
            Value::ByteArray(b"\"'".to_vec()).to_string(),
            "bytearray(b'\"\\'')"
        );
    }

    #[test]
    fn containers_print_like_python() {
        assert_eq!(Value::Tuple(vec![Value::Int(1)]).to_string(), "(1,)");
        assert_eq!(Value::Tuple(vec![]).to_string(), "()");
        assert_eq!(Value::Set(vec![]).to_string(), "set()");
        assert_eq!(
            Value::FrozenSet(vec![Value::Int(1), Value::Int(2)]).to_string(),
            "frozenset({1, 2})"
        );
        assert_eq!(
            Value::Dict(vec![(Value::Int(1), Value::Str("a".into()))]).to_string(),
            "{1: 'a'}"
        );
    }
}
