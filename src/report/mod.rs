//! Reports: one file per output format behind the [`Report`] trait, all reading
//! [`CaseResult`]s; [`text`] words values the same way for every format that prints words.

mod console;
pub mod text;

use std::io;

pub use console::Console;
pub use text::failure_message;

use crate::results::CaseResult;

/// An output format.
pub trait Report {
    /// Writes the results of one run.
    fn write(&self, results: &[CaseResult], out: &mut dyn io::Write) -> io::Result<()>;
}
