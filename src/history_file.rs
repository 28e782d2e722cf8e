//! `--history FILE`: what a run's clients saw, as JSON lines or, for a
//! name ending in `.edn`, Jepsen's EDN, for `raftsim lincheck`, Knossos,
//! Elle or Porcupine to read.

use std::io::Write;
use std::path::Path;

use lincheck::formats::{write_edn, write_jsonl};
use lincheck::models::kv::KeyValue;
use sim::checker::lincheck_history;
use sim::history::History;

/// Writes `history` to `path`; the error names the file.
pub fn write(path: &Path, history: &History) -> Result<(), String> {
    let ops = lincheck_history(history);
    let fail = |err: std::io::Error| format!("cannot write {}: {err}", path.display());
    let file = std::fs::File::create(path).map_err(fail)?;
    let mut out = std::io::BufWriter::new(file);
    let edn = path.extension().is_some_and(|e| e == "edn");
    if edn {
        write_edn(&KeyValue::default(), &ops, &mut out).map_err(fail)?;
    } else {
        write_jsonl(&KeyValue::default(), &ops, &mut out).map_err(fail)?;
    }
    out.flush().map_err(fail)
}
