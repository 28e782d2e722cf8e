//! Writing to the terminal: standard output that ends the program quietly
//! when its reader goes away (`raftsim ... | head -1`), and a panic hook
//! that says what broke and where.
//!
//! Rust ignores SIGPIPE, so a write to a closed pipe is an error, and
//! `println!` turns that error into a panic. Everything the CLI prints goes
//! through [`say`] instead: a broken pipe exits with status 141, what a
//! shell reports for a program stopped by SIGPIPE, without a word; any other
//! error writing standard output is reported on standard error (exit 2).
//! Files the command writes (`-o`, `--trace`, `--emit-scenario`) are
//! written and flushed before the report is printed, so a reader that stops
//! early never costs them.

use std::fmt;
use std::io::{ErrorKind, Write};

/// The exit status of a program whose output pipe was closed (128 + SIGPIPE).
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// Writes one line to standard output (see the module documentation).
pub fn say(line: fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(line).and_then(|()| out.write_all(b"\n"));
    if let Err(err) = written.and_then(|()| out.flush()) {
        if err.kind() == ErrorKind::BrokenPipe {
            std::process::exit(BROKEN_PIPE_STATUS);
        }
        eprintln!("raftsim: cannot write to standard output: {err}");
        std::process::exit(2);
    }
}

/// `println!` through [`say`].
#[macro_export]
macro_rules! say {
    () => { $crate::output::say(format_args!("")) };
    ($($arg:tt)*) => { $crate::output::say(format_args!($($arg)*)) };
}

/// Prints a panic that escaped every run (a bug in raftsim itself, not in
/// the Raft under test: those are caught and reported as violations) with
/// its message and location.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = sim::panics::message_of(info.payload());
        let location = info.location().map_or_else(String::new, |l| {
            format!(" at {}:{}:{}", l.file(), l.line(), l.column())
        });
        eprintln!(
            "raftsim: internal error: panicked{location}: {message}\n\
             (a bug in raftsim itself; please report it with the command line that ran)"
        );
    }));
}
