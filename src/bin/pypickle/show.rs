//! `pypickle show FILE`: each pickle in the file as Python's `repr()`.

use std::path::PathBuf;

use pypickle::{Category, DeOptions};

use crate::io::{Failure, Input, Stdout};
use crate::pickles::{all_read, allow_arguments, Pickles};
use crate::{allow_all, AllowedGlobal, Outcome, Py2Strings};

/// Print each pickle in a file as Python's repr(), objects shown inertly.
///
/// Instances of classes that are not plain data are shown as the pickle describes them
/// (`module.Class(...)`), never built. Pickles naming dangerous globals (os.system, eval, ...)
/// are refused unless each is named with --allow: `pypickle scan` lists what they name. A
/// joblib file (compressed with zlib or gzip, or not) shows as the value `joblib.load` gives,
/// its arrays as numpy's own pickles make them.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The pickle file, or - for standard input. A file of several pickles written one after
    /// another shows each on its own line.
    file: PathBuf,
    /// How Python 2 str values are decoded.
    #[arg(long, value_enum, default_value_t)]
    py2_strings: Py2Strings,
    /// Show this dangerous global (module:name, or module.name) inertly instead of refusing
    /// the pickle; it is never imported or called. May be given more than once.
    #[arg(long, value_name = "GLOBAL")]
    allow: Vec<AllowedGlobal>,
    /// How many values shared references may make the reader visit again (DeOptions'
    /// max_expansion; default 1048576, plus the pickle's own values): raise it for a trusted
    /// pickle that refers to one large list or str over and over.
    #[arg(long, value_name = "VALUES")]
    max_expansion: Option<u64>,
    /// The pickles of the file share one memo, as one reused pickle.Pickler writes them
    /// (p.dump(a); p.dump(b)) and one reused pickle.Unpickler reads them.
    #[arg(long)]
    keep_memo: bool,
}

pub fn run(args: &Args) -> Result<Outcome, Failure> {
    let input = Input::new(&args.file);
    let bytes = input.read()?;
    let opts = DeOptions::new()
        .record_unknown_globals(true)
        .py2_strings(args.py2_strings.into());
    let opts = with_max_expansion(allow_all(opts, &args.allow), args.max_expansion);
    let mut pickles = Pickles::open(&bytes, opts.clone(), args.keep_memo);
    let mut out = Stdout::new();
    let mut shown = 0usize;
    loop {
        match pickles.next_value() {
            Ok(Some(v)) => {
                out.line(&v.to_string())?;
                shown += 1;
            }
            Ok(None) if shown == 0 => return Err(Failure::of(&input, "empty input: no pickle")),
            Ok(None) => break,
            Err(e) => {
                out.flush()?;
                let hint = match allow_arguments(&bytes, &opts, args.keep_memo, &e) {
                    Some(globals) => format!(
                        "`pypickle scan` lists every global it names; {} shows {} inertly",
                        allow_flags(&globals),
                        if globals.len() == 1 { "it" } else { "them" }
                    ),
                    None => "`pypickle scan` lists every global it names".to_string(),
                };
                return Err(failure(
                    &e,
                    &input,
                    &hint,
                    &bytes,
                    &opts,
                    Given {
                        max_expansion: args.max_expansion.is_some(),
                        keep_memo: args.keep_memo,
                    },
                ));
            }
        }
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

/// `--allow` flags for `globals`.
pub fn allow_flags(globals: &[String]) -> String {
    let flags: Vec<String> = globals.iter().map(|g| format!("--allow {g}")).collect();
    flags.join(" ")
}

/// The flags a command was given that [`failure`]'s hints depend on.
#[derive(Clone, Copy)]
pub struct Given {
    pub max_expansion: bool,
    pub keep_memo: bool,
}

/// The failure for a pickle of `bytes` that does not read with `opts`: with `refused_hint`
/// when it names a global that is refused, and with `--py2-strings latin1` when a Python 2 str
/// stopped it and the file reads that way; with `--keep-memo` when a later pickle refers to
/// an earlier one's memo and the file reads so; past the expansion limit, with
/// `--max-expansion` (or a larger one, if given).
pub fn failure(
    e: &pypickle::Error,
    input: &Input,
    refused_hint: &str,
    bytes: &[u8],
    opts: &DeOptions,
    given: Given,
) -> Failure {
    let f = Failure::of(input, e);
    let py2_str = matches!(
        e.opcode_name(),
        Some("STRING" | "BINSTRING" | "SHORT_BINSTRING")
    );
    match e.category() {
        Category::Refused => f.hint(format!("nothing was loaded; {refused_hint}")),
        // Latin-1 decodes any bytes: if the file reads so, the encoding was all that failed.
        Category::Invalid
            if py2_str
                && all_read(
                    bytes,
                    opts.clone().py2_strings(pypickle::Py2Strings::Latin1),
                    given.keep_memo,
                ) =>
        {
            f.hint(
                "a Python 2 str that is not text in the chosen encoding: give --py2-strings \
                 latin1 (each byte a character, as Python's encoding='latin1') or bytes",
            )
        }
        Category::Invalid if !given.keep_memo && all_read(bytes, opts.clone(), true) => f.hint(
            "a later pickle refers to the memo of those before it, as one reused \
             pickle.Pickler writes them: give --keep-memo to read them as one reused \
             pickle.Unpickler does",
        ),
        Category::Limit if e.limit() == Some(pypickle::Limit::Expansion) => {
            f.hint(match given.max_expansion {
                false => "--max-expansion raises the limit",
                true => "--max-expansion was not enough for this pickle: give a larger one",
            })
        }
        _ => f,
    }
}

/// `opts` with `--max-expansion`, if given.
pub fn with_max_expansion(opts: DeOptions, max: Option<u64>) -> DeOptions {
    match max {
        Some(max) => opts.max_expansion(max),
        None => opts,
    }
}
