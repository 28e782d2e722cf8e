//! Ctrl-C: the first one asks the running command to stop and print what it
//! found so far (exit 130); a second one ends the process at once.
//!
//! Long commands (`swarm`, `check`, `shrink`, a long single run) poll
//! [`requested`] between runs, batches or every few thousand events, so
//! they stop within a fraction of a second.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler (once, at start).
pub fn install() {
    let installed = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            // The second Ctrl-C: the user does not want to wait.
            std::process::exit(130);
        }
        eprintln!("\nraftsim: interrupted; stopping (Ctrl-C again to quit at once)");
    });
    if let Err(err) = installed {
        eprintln!("raftsim: warning: Ctrl-C will end the program without a summary: {err}");
    }
}

/// Whether the user pressed Ctrl-C.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
