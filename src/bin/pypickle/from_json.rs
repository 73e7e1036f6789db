//! `pypickle from-json FILE`: JSON in `pypickle::json`'s mapping back to a pickle.

use std::path::PathBuf;

use pypickle::json::{self, ErrorKind, JsonOptions};
use pypickle::{DeOptions, SerOptions, Verdict};

use crate::io::{write_output, Failure, Input};
use crate::pickles::{allow_arguments, plain_name};
use crate::show::allow_flags;
use crate::{allow_all, AllowedGlobal, Outcome};

/// Convert JSON (as `pypickle to-json` writes it) back to a pickle.
///
/// {"$tuple": [...]}, {"$bytes": "..."} and the other forms of the mapping become the Python
/// values they stand for; {"$global": ...} and {"$object": ...} are refused unless --objects
/// is given, and with it a dangerous global (os.system, builtins.eval, ...) is still refused
/// unless named by --allow, as `to-json` refuses it: the pickle written would call it when
/// Python loads it.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The JSON file, or - for standard input.
    file: PathBuf,
    /// Write to this file instead of standard output (which must not be a terminal).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// The pickle protocol, 0 to 5 [default: 4, as CPython 3.8-3.13 writes].
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=5))]
    protocol: Option<u8>,
    /// Accept {"$global": ...} and {"$object": ...} (the pickle then names those classes);
    /// dangerous globals are still refused.
    #[arg(long)]
    objects: bool,
    /// Write this global (module:name, or module.name) with --objects even if it is
    /// dangerous: Python will import and may call it when it loads the pickle. May be given
    /// more than once.
    #[arg(long, value_name = "GLOBAL")]
    allow: Vec<AllowedGlobal>,
    /// The file holds several JSON documents: write one pickle after another.
    #[arg(long)]
    stream: bool,
}

pub fn run(args: &Args) -> Result<Outcome, Failure> {
    let input = Input::new(&args.file);
    let bytes = input.read()?;
    // As deep as the JSON read may nest (the main thread's stack holds it).
    let mut ser_opts = SerOptions::new().max_depth(crate::MAX_JSON_DEPTH);
    if let Some(p) = args.protocol {
        ser_opts = ser_opts.protocol(p);
    }
    let depth = nesting(&bytes);
    if depth > crate::MAX_JSON_DEPTH {
        return Err(Failure::of(
            &input,
            format_args!(
                "JSON nested {depth} arrays and objects deep; the most read is {}",
                crate::MAX_JSON_DEPTH
            ),
        ));
    }
    let json_opts = JsonOptions::new()
        .objects(args.objects)
        .max_depth(crate::MAX_JSON_DEPTH);
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    // serde_json's own limit is 128 levels, and `to-json` writes up to MAX_JSON_DEPTH (a
    // tuple takes two): the nesting was checked above, which bounds the recursion.
    de.disable_recursion_limit();
    let mut docs = de.into_iter::<serde_json::Value>();
    let mut pickles = Vec::new();
    let mut count = 0usize;
    while let Some(doc) = docs.next() {
        let doc = doc.map_err(|e| Failure::of(&input, format_args!("invalid JSON: {e}")))?;
        count += 1;
        if count > 1 && !args.stream {
            return Err(Failure::of(
                &input,
                format_args!(
                    "more than one JSON document (the second ends at byte {})",
                    docs.byte_offset()
                ),
            )
            .hint("for several documents give --stream"));
        }
        let at = if args.stream {
            format!("document {count}: ")
        } else {
            String::new()
        };
        let v = json::from_json_with(&doc, &json_opts).map_err(|e| {
            let f = Failure::of(&input, format_args!("{at}{e}"));
            match e.kind() {
                ErrorKind::Refused => f.hint("--objects accepts globals and objects"),
                _ => f,
            }
        })?;
        let pickle = pypickle::to_vec_with(&v, &ser_opts)
            .map_err(|e| Failure::of(&input, format_args!("{at}cannot pickle: {e}")))?;
        if args.objects {
            refuse_dangerous(&pickle, &args.allow).map_err(|(message, hint)| {
                let f = Failure::of(&input, format_args!("{at}{message}"));
                match hint.is_empty() {
                    true => f,
                    false => f.hint(hint),
                }
            })?;
        }
        pickles.extend_from_slice(&pickle);
    }
    if count == 0 {
        return Err(Failure::of(&input, "empty input: no JSON document"));
    }
    write_output(args.output.as_deref(), &pickles, true)?;
    Ok(Outcome::Ok)
}

/// A pickle of globals and objects is refused where `to-json --objects` would refuse it: if,
/// read into a `Value` as `to-json` reads it, it names a dangerous global not allowed by name
/// in `allow` (a bare `builtins.getattr` or `functools.partial` too, whose use there is
/// unknown). A value this crate does not read back, which Python may well load (`int('12')`),
/// is judged global by global instead (see [`refuse_each`]). A refusal's message, naming the
/// global as the JSON does (the pickle the reader's offset is in is never written), and its
/// hint.
fn refuse_dangerous(pickle: &[u8], allow: &[AllowedGlobal]) -> Result<(), (String, String)> {
    let opts = allow_all(DeOptions::new().record_unknown_globals(true), allow);
    let Err(e) = pypickle::from_slice_with::<pypickle::Value>(pickle, &opts) else {
        return Ok(());
    };
    let Some((module, name)) = e.refused_global() else {
        return refuse_each(pickle, &opts, allow);
    };
    let hint = match allow_arguments(pickle, &opts, false, &e) {
        Some(globals) => allow_hint(&globals),
        None => "`pypickle scan` on the output tells which globals are dangerous".into(),
    };
    Err((refused(module, name), hint))
}

/// [`refuse_dangerous`] for a pickle the reader stops in before its end: every global the
/// scanner finds in it, judged alone as the reader judges a bare global with `opts` (stricter
/// than in its place: `getattr(class, 'name')` is refused too), and the ones the scanner
/// calls dangerous whatever their name says.
fn refuse_each(
    pickle: &[u8],
    opts: &DeOptions,
    allow: &[AllowedGlobal],
) -> Result<(), (String, String)> {
    let report = pypickle::scan(pickle);
    for g in &report.globals {
        let (module, name) = (g.module(), g.name());
        let alone = pypickle::Value::Global(Box::new(pypickle::Global {
            module: module.into(),
            name: name.into(),
        }));
        let by_reader = match pypickle::to_vec(&alone) {
            Ok(bare) => pypickle::from_slice_with::<pypickle::Value>(&bare, opts)
                .is_err_and(|e| e.refused_global().is_some()),
            Err(_) => true,
        };
        let allowed = allow
            .iter()
            .any(|a| (a.module.as_str(), a.name.as_str()) == (module, name));
        if by_reader || (g.verdict() == Verdict::Dangerous && !allowed) {
            let plain = |s: &str| !s.is_empty() && plain_name(s);
            let hint = match plain(module) && plain(name) {
                true => allow_hint(&[format!("{module}:{name}")]),
                false => String::new(),
            };
            return Err((refused(module, name), hint));
        }
    }
    Ok(())
}

/// The message of a refused global.
fn refused(module: &str, name: &str) -> String {
    format!("global {module}.{name} is refused: it can run code or reach the system")
}

/// The hint that the `--allow` flags for `globals` write them.
fn allow_hint(globals: &[String]) -> String {
    let it = if globals.len() == 1 { "it" } else { "them" };
    format!(
        "{} writes {it} (Python then imports and may call {it} when it loads the pickle)",
        allow_flags(globals)
    )
}

/// The deepest nesting of arrays and objects in JSON text (brackets inside strings do not
/// count). For text that is not valid JSON, at least the depth a parser reaches before it
/// finds the error.
fn nesting(text: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in text {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::nesting;

    #[test]
    fn nesting_counts_brackets_outside_strings() {
        for (text, depth) in [
            ("1", 0),
            ("[]", 1),
            ("[[1], {\"a\": [2]}]", 3),
            (r#"{"[[[": "{{", "b": "\\\"[["}"#, 1),
            (r#"["\\", [[]]]"#, 3),
            ("]]][[", 2),
            ("[1] [[2]]", 2),
        ] {
            assert_eq!(nesting(text.as_bytes()), depth, "{text}");
        }
    }
}
