//! `check --memory SIZE` and `--time D`: budgets past which a search stops
//! and reports what it reached as inconclusive (exit 3), never a pass, as
//! TLC stops a run that would not fit. They are polled where Ctrl-C is
//! (between batches, every few thousand states), so the search overshoots
//! by a batch at most; the memory is the process's resident set.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The memory budget in bytes (0: none).
static MEMORY_BYTES: AtomicU64 = AtomicU64::new(0);
/// When the time budget ends, if there is one.
static DEADLINE: OnceLock<Instant> = OnceLock::new();
/// Which budget ran out first: 0 none, [`MEMORY`] or [`TIME`].
static EXCEEDED: AtomicU8 = AtomicU8::new(0);

const MEMORY: u8 = 1;
const TIME: u8 = 2;

/// Sets the budgets, once, as the command starts (the time budget counts
/// from now).
pub fn set(memory_bytes: Option<u64>, time: Option<Duration>) {
    MEMORY_BYTES.store(memory_bytes.unwrap_or(0), Ordering::Relaxed);
    if let Some(time) = time {
        let _ = DEADLINE.set(Instant::now() + time);
    }
}

/// Whether the search should stop now: Ctrl-C, or a budget ran out (the
/// search's `cancelled` hook).
pub fn stop_requested() -> bool {
    if crate::interrupt::requested() || EXCEEDED.load(Ordering::Relaxed) != 0 {
        return true;
    }
    let memory = MEMORY_BYTES.load(Ordering::Relaxed);
    if memory > 0 && resident_bytes().is_some_and(|resident| resident > memory) {
        EXCEEDED.store(MEMORY, Ordering::Relaxed);
        return true;
    }
    if DEADLINE
        .get()
        .is_some_and(|deadline| Instant::now() >= *deadline)
    {
        EXCEEDED.store(TIME, Ordering::Relaxed);
        return true;
    }
    false
}

/// The budget that stopped the search, in words, if one did.
pub fn exceeded() -> Option<String> {
    match EXCEEDED.load(Ordering::Relaxed) {
        MEMORY => Some(format!(
            "the memory budget (--memory {}) ran out",
            bytesize::ByteSize::b(MEMORY_BYTES.load(Ordering::Relaxed))
                .display()
                .si()
        )),
        TIME => Some("the time budget (--time) ran out".to_string()),
        _ => None,
    }
}

/// Whether this system tells a process its resident memory (Linux's
/// `/proc`): without, `--memory` cannot be kept.
pub fn can_measure_memory() -> bool {
    resident_bytes().is_some()
}

/// The process's resident memory in bytes, where the system tells it.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The process's peak resident memory so far in bytes (`VmHWM`), where the
/// system tells it.
pub fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

/// Starts the peak over, so that each bound set of a preset reports its
/// own (Linux: writing 5 to `/proc/self/clear_refs` resets `VmHWM`; where
/// that fails the peak stays the process's).
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Parses `--memory`: a size such as `8G`, `512MiB` or `1.5GB` (decimal
/// units without `i`, binary with), at least 64 MB.
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let size: bytesize::ByteSize = text
        .parse()
        .map_err(|_| format!("`{text}` is not a size (write 8G, 512MiB or 1.5GB)"))?;
    if size.as_u64() < 64_000_000 {
        return Err(format!("{size} is too little to search in: at least 64 MB"));
    }
    Ok(size.as_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_in_decimal_and_binary_units() {
        assert_eq!(parse_memory("8G"), Ok(8_000_000_000));
        assert_eq!(parse_memory("8GiB"), Ok(8 << 30));
        assert_eq!(parse_memory("512MiB"), Ok(512 << 20));
        assert_eq!(parse_memory("1.5GB"), Ok(1_500_000_000));
        assert!(parse_memory("1M").unwrap_err().contains("at least 64 MB"));
        assert!(parse_memory("lots").unwrap_err().contains("not a size"));
    }
}
