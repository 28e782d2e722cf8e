//! Panics caught inside a run, with the place they came from.
//!
//! A panic in raft-core or a host is a finding, not a crash of the tool:
//! every driver catches it and reports a violation of kind `panic`. The
//! payload of a caught panic holds only its message, so a process-wide hook
//! (installed once, chained to the hook that was there before) notes the
//! message and `file:line:col` in a thread-local slot while a
//! [`catch`] is active on that thread, and stays silent then; a panic
//! outside any [`catch`] goes to the previous hook as before.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// A caught panic: its message and where it was raised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caught {
    /// The panic's message.
    pub message: String,
    /// `file:line:col` of the `panic!` (or failed assertion), when known.
    pub location: Option<String>,
}

impl Caught {
    /// Whose code panicked, by where: raft-core (a broken invariant of the
    /// library under test), the host (its own bounds, such as the Ready
    /// loop that must settle, or a test-only rule break), a checker, or
    /// the rest of the simulator.
    #[must_use]
    pub fn origin(&self) -> &'static str {
        let location = self.location.as_deref().unwrap_or("");
        if location.contains("raft-core/") {
            "raft-core"
        } else if location.contains("sim/src/host/") {
            "the host"
        } else if location.contains("sim/src/checker/") {
            "a checker"
        } else {
            "the simulator"
        }
    }
}

impl fmt::Display for Caught {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = self.origin();
        match &self.location {
            Some(location) => write!(f, "{origin} panicked at {location}: {}", self.message),
            None => write!(f, "{origin} panicked: {}", self.message),
        }
    }
}

thread_local! {
    /// How many [`catch`]es are active on this thread.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
    /// The last panic seen on this thread while catching.
    static LAST: RefCell<Option<Caught>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// Installs the noting hook (once per process), chained to the current one.
fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CATCHING.with(Cell::get) == 0 {
                previous(info);
                return;
            }
            let caught = Caught {
                message: message_of(info.payload()),
                location: info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())),
            };
            LAST.with(|last| *last.borrow_mut() = Some(caught));
        }));
    });
}

/// Runs `f`, turning a panic inside it into a [`Caught`] (message and
/// location). Nothing is printed for a caught panic.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, Caught> {
    install();
    CATCHING.with(|c| c.set(c.get() + 1));
    LAST.with(|last| last.borrow_mut().take());
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(c.get() - 1));
    result.map_err(|payload| {
        LAST.with(|last| last.borrow_mut().take())
            .unwrap_or_else(|| Caught {
                message: message_of(payload.as_ref()),
                location: None,
            })
    })
}

/// The message a panic carried.
#[must_use]
pub fn message_of(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_keeps_its_message_and_location() {
        let caught = catch(|| -> u32 { panic!("boom {}", 7) }).unwrap_err();
        assert_eq!(caught.message, "boom 7");
        let location = caught.location.clone().expect("the hook saw it");
        assert!(location.starts_with("sim/src/panics.rs:"), "{location}");
        assert!(
            caught
                .to_string()
                .contains("panicked at sim/src/panics.rs:")
        );
    }

    #[test]
    fn a_panic_names_whose_code_raised_it() {
        let at = |location: &str| Caught {
            message: "m".into(),
            location: Some(location.into()),
        };
        assert_eq!(at("raft-core/src/log.rs:10:5").origin(), "raft-core");
        assert_eq!(at("sim/src/host/ready_loop.rs:93:9").origin(), "the host");
        assert_eq!(at("sim/src/checker/logs.rs:1:1").origin(), "a checker");
        assert_eq!(at("sim/src/world/mod.rs:1:1").origin(), "the simulator");
        assert_eq!(
            at("sim/src/host/ready_loop.rs:93:9").to_string(),
            "the host panicked at sim/src/host/ready_loop.rs:93:9: m"
        );
    }

    #[test]
    fn no_panic_passes_the_value_through_and_nesting_works() {
        assert_eq!(catch(|| 5), Ok(5));
        let outer = catch(|| {
            let inner = catch(|| -> () { panic!("inner") }).unwrap_err();
            assert_eq!(inner.message, "inner");
            panic!("outer")
        })
        .unwrap_err();
        assert_eq!(outer.message, "outer");
    }
}
