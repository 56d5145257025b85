//! `loadgate report`: the report formats written again from a saved `results.json`, e.g. after
//! copying it off a CI machine, or to print its summary table.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::Exit;
use crate::report::{Console, Html, Junit, Markdown, Report, RunResults};

#[derive(Debug, Args)]
pub(super) struct ReportArgs {
    /// A results.json written by a run
    #[arg(value_name = "RESULTS")]
    results: PathBuf,
    /// Write the HTML report here
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write the Markdown summary here
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Write JUnit XML here
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
}

pub(super) fn report(args: &ReportArgs) -> Exit {
    let shown = args.results.display();
    let text = match std::fs::read_to_string(&args.results) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: {shown}: cannot read: {e}");
            return Exit::BadInput;
        }
    };
    let run = match RunResults::from_json(&text) {
        Ok(run) => run,
        Err(e) => {
            eprintln!("error: {shown}: not a loadgate results.json: {e}");
            return Exit::BadInput;
        }
    };
    let outputs: [(&Option<PathBuf>, &dyn Report); 3] = [
        (&args.html, &Html(&run.run)),
        (&args.markdown, &Markdown),
        (&args.junit, &Junit(&run.run)),
    ];
    let mut exit = Exit::Met;
    let mut wrote = false;
    for (path, format) in outputs {
        let Some(path) = path else { continue };
        wrote = true;
        match write_to(path, format, &run) {
            Ok(()) => println!("wrote {}", path.display()),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                exit = Exit::Missed;
            }
        }
    }
    if !wrote {
        // Nothing asked for: the table a run prints.
        let _ = Console.write(&run.cases, &mut std::io::stdout().lock());
    }
    exit
}

fn write_to(path: &Path, format: &dyn Report, run: &RunResults) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    format.write(&run.cases, &mut out)?;
    out.flush()
}
