//! `--trace FILE`: the run's events as JSON lines (format version
//! `sim::trace::TRACE_VERSION`, documented field by field in the README): a
//! header line, one line per event, an end line with the outcome. A write
//! that fails is remembered with the path and reported after the verdict,
//! never instead of it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sim::trace::{TraceEnd, TraceEvent, TraceHeader};

/// A trace file being written.
#[derive(Debug)]
pub struct TraceFile {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    error: Option<std::io::Error>,
}

impl TraceFile {
    /// Creates (truncates) `path`; an error here is reported at once, since
    /// nothing has run yet.
    pub fn create(path: &Path) -> Result<TraceFile, String> {
        let file = File::create(path)
            .map_err(|err| format!("cannot write the trace file {}: {err}", path.display()))?;
        Ok(TraceFile {
            path: path.to_path_buf(),
            out: Some(BufWriter::new(file)),
            error: None,
        })
    }

    /// Writes one JSON line; after the first error, nothing more.
    pub fn line(&mut self, record: &impl Serialize) {
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let written = serde_json::to_writer(&mut *out, record)
            .map_err(std::io::Error::other)
            .and_then(|()| out.write_all(b"\n"));
        if let Err(err) = written {
            self.error = Some(err);
            self.out = None;
        }
    }

    /// The header line.
    pub fn header<P: Serialize>(&mut self, header: &TraceHeader<'_, P>) {
        self.line(header);
    }

    /// One event.
    pub fn event(&mut self, event: &TraceEvent) {
        self.line(event);
    }

    /// The end line, then a flush: `Err` names the path and the first error
    /// met, to print after the verdict.
    pub fn finish(mut self, end: &TraceEnd) -> Result<(), String> {
        self.line(end);
        if let Some(mut out) = self.out.take() {
            if let Err(err) = out.flush() {
                self.error = Some(err);
            }
        }
        match self.error {
            None => Ok(()),
            Some(err) => Err(format!(
                "writing the trace file {} failed: {err}",
                self.path.display()
            )),
        }
    }
}
