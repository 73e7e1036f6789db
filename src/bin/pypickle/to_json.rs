//! `pypickle to-json FILE`: a plain-data pickle as JSON, in `pypickle::json`'s mapping.

use std::io::Write as _;
use std::path::PathBuf;

use pypickle::json::{self, ErrorKind, JsonOptions};
use pypickle::DeOptions;

use crate::io::{write_output_streamed, Failure, Input, SafeJson};
use crate::pickles::{all_read, allow_arguments, Pickles};
use crate::show::{allow_flags, failure, with_max_expansion, Given};
use crate::{allow_all, AllowedGlobal, Outcome, Py2Strings};

/// Convert a pickle to JSON; tuples, sets, bytes, big ints... become {"$tuple": [...]} forms.
///
/// The mapping is reversible (`pypickle from-json` writes the same Python value back) and is
/// documented in the README and in the `pypickle::json` module. Objects and globals are
/// refused unless --objects is given.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The pickle file, or - for standard input.
    file: PathBuf,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Map instances of classes and globals as {"$object": ...} and {"$global": ...} instead of
    /// refusing them (dangerous globals are still refused).
    #[arg(long)]
    objects: bool,
    /// The file holds several pickles one after another: write one JSON document per line.
    #[arg(long)]
    stream: bool,
    /// Write the JSON on one line instead of indented.
    #[arg(long)]
    compact: bool,
    /// How Python 2 str values are decoded.
    #[arg(long, value_enum, default_value_t)]
    py2_strings: Py2Strings,
    /// Map this global (module:name, or module.name) as {"$global": ...} with --objects, even
    /// a dangerous one, instead of refusing the pickle; it is never imported or called. May be
    /// given more than once.
    #[arg(long, value_name = "GLOBAL")]
    allow: Vec<AllowedGlobal>,
    /// How many values shared references may make the reader visit again (DeOptions'
    /// max_expansion; default 1048576, plus the pickle's own values): raise it for a trusted
    /// pickle that refers to one large list or str over and over.
    #[arg(long, value_name = "VALUES")]
    max_expansion: Option<u64>,
    /// With --stream: the pickles share one memo, as one reused pickle.Pickler writes them
    /// (p.dump(a); p.dump(b)) and one reused pickle.Unpickler reads them.
    #[arg(long)]
    keep_memo: bool,
}

pub fn run(args: &Args) -> Result<Outcome, Failure> {
    let input = Input::new(&args.file);
    let bytes = input.read()?;
    let de_opts = DeOptions::new()
        .record_unknown_globals(args.objects)
        .py2_strings(args.py2_strings.into());
    let de_opts = with_max_expansion(allow_all(de_opts, &args.allow), args.max_expansion);
    let json_opts = JsonOptions::new()
        .objects(args.objects)
        .max_depth(crate::MAX_JSON_DEPTH);
    let mut pickles = Pickles::open(&bytes, de_opts.clone(), args.keep_memo);
    // The documents, written out once every pickle has read (an error leaves no output).
    let mut docs = Vec::new();
    while let Some(v) = pickles.next_value().map_err(|e| {
        let with_objects = de_opts.clone().record_unknown_globals(true);
        let scan = "`pypickle scan` lists every global it names";
        let hint = if !args.objects && all_read(&bytes, with_objects.clone(), args.keep_memo) {
            format!("--objects maps instances of classes that are not dangerous; {scan}")
        } else {
            match allow_arguments(&bytes, &with_objects, args.keep_memo, &e) {
                Some(globals) => format!(
                    "{scan}; --objects {} maps {}",
                    allow_flags(&globals),
                    if globals.len() == 1 { "it" } else { "them" }
                ),
                None => scan.to_string(),
            }
        };
        failure(
            &e,
            &input,
            &hint,
            &bytes,
            &de_opts,
            Given {
                max_expansion: args.max_expansion.is_some(),
                keep_memo: args.keep_memo,
            },
        )
    })? {
        let j = json::to_json_with(&v, &json_opts).map_err(|e| {
            let f = Failure::of(&input, &e);
            match e.kind() {
                ErrorKind::Refused => f.hint("--objects maps objects and globals"),
                _ => f,
            }
        })?;
        docs.push(j);
        let position = pickles.position(bytes.len());
        let extra = (bytes.len() as u64).saturating_sub(position);
        if !args.stream && extra > 0 {
            return Err(Failure::of(
                &input,
                format_args!(
                    "{extra} more {} after the pickle's STOP at offset {}",
                    if extra == 1 { "byte" } else { "bytes" },
                    position - 1
                ),
            )
            .hint("for a file of several pickles give --stream"));
        }
    }
    if docs.is_empty() {
        return Err(Failure::of(&input, "empty input: no pickle"));
    }
    // Written as it is made: pretty JSON indents each value by its depth, and a few KB of
    // pickle nesting a million values 250 deep made a gigabyte of text (found by a hunt).
    write_output_streamed(args.output.as_deref(), |out| {
        // DEL and C1 in strings escaped too: the same JSON, safe for a terminal.
        let mut out = SafeJson::new(out);
        for j in &docs {
            if args.compact || args.stream {
                serde_json::to_writer(&mut out, j)?;
            } else {
                serde_json::to_writer_pretty(&mut out, j)?;
            }
            out.write_all(b"\n")?;
        }
        out.flush()
    })?;
    Ok(Outcome::Ok)
}
