//! `pypickle dis FILE`: the disassembly `python -m pickletools FILE` prints.

use std::path::PathBuf;

use pypickle::DisOptions;

use crate::io::{Failure, Input, Stdout};
use crate::Outcome;

/// Disassemble a pickle, line for line as `python -m pickletools FILE` prints it.
///
/// On a malformed pickle, the lines pickletools would print before failing are printed, then
/// the error.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The pickle file, or - for standard input.
    file: PathBuf,
    /// Disassemble every pickle in the file, not only the first.
    #[arg(short, long)]
    all: bool,
    /// With --all, keep the memo from one pickle to the next (pickletools -m).
    #[arg(short, long, requires = "all")]
    memo: bool,
    /// Blanks by which each MARK level indents (pickletools -l).
    #[arg(short = 'l', long, default_value_t = 4, value_name = "N")]
    indent: usize,
    /// Print what CPython 3.14's pickletools prints (UTF-8 global names, ascii() of Python 2
    /// strings, a memo key stored twice allowed); the default is 3.8-3.13's.
    #[arg(long = "py314")]
    py314: bool,
}

pub fn run(args: &Args) -> Result<Outcome, Failure> {
    let input = Input::new(&args.file);
    let bytes = input.read()?;
    let opts = DisOptions::new()
        .indent(args.indent)
        .all_pickles(args.all)
        .keep_memo(args.memo)
        .pickletools_3_14(args.py314);
    let mut text = String::new();
    let result = pypickle::dis_to(&mut text, &bytes, &opts);
    // The limit on the text's length cuts it anywhere: whole lines only, as pickletools prints.
    if matches!(&result, Err(e) if e.to_string().contains("DisOptions::max_output")) {
        text.truncate(text.rfind('\n').map_or(0, |at| at + 1));
    }
    let mut out = Stdout::new();
    out.text(&text)?;
    out.flush()?;
    result.map_err(|e| Failure::of(&input, e))?;
    Ok(Outcome::Ok)
}
