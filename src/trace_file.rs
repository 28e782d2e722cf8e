//! `--trace FILE` and `--html FILE`: the run's records as JSON lines
//! (format version `sim::trace::TRACE_VERSION`, documented field by field
//! in the README): a header line, one line per event (with the picture's
//! `send` and `node` records after the event that caused them), an `op`
//! line per client operation, an end line with the outcome. `--trace`
//! writes the lines as they come; `--html` keeps them and writes them,
//! inside the picture of the run, at the end (`picture.rs`). A write that
//! fails is remembered with the path and reported after the verdict, never
//! instead of it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sim::history::History;
use sim::trace::{TraceEnd, TraceEvent, TraceHeader};

/// The most bytes of records a picture keeps (a run of an hour would
/// otherwise make a file no browser opens): past it, events are left out
/// and the picture says so; the `op` and end lines are always kept.
pub const PICTURE_BYTES_MAX: usize = 256 << 20;

/// Where the lines go.
#[derive(Debug)]
enum Out {
    /// A JSON-lines file, written as the run goes.
    Lines(BufWriter<File>),
    /// The lines kept for a picture, written at the end.
    Picture { lines: Vec<u8>, left_out: u64 },
}

/// A trace being written.
#[derive(Debug)]
pub struct TraceFile {
    path: PathBuf,
    out: Option<Out>,
    error: Option<std::io::Error>,
}

impl TraceFile {
    /// Creates (truncates) `path` for JSON lines; an error here is reported
    /// at once, since nothing has run yet.
    pub fn create(path: &Path) -> Result<TraceFile, String> {
        let file = File::create(path)
            .map_err(|err| format!("cannot write the trace file {}: {err}", path.display()))?;
        Ok(TraceFile {
            path: path.to_path_buf(),
            out: Some(Out::Lines(BufWriter::new(file))),
            error: None,
        })
    }

    /// Creates (truncates) `path` for the picture of the run, written when
    /// the run ends.
    pub fn create_picture(path: &Path) -> Result<TraceFile, String> {
        File::create(path)
            .map_err(|err| format!("cannot write the picture {}: {err}", path.display()))?;
        Ok(TraceFile {
            path: path.to_path_buf(),
            out: Some(Out::Picture {
                lines: Vec::new(),
                left_out: 0,
            }),
            error: None,
        })
    }

    /// Writes one JSON line; after the first error, nothing more.
    pub fn line(&mut self, record: &impl Serialize) {
        self.write_line(record, false);
    }

    fn write_line(&mut self, record: &impl Serialize, always: bool) {
        let written = match self.out.as_mut() {
            None => return,
            Some(Out::Lines(out)) => serde_json::to_writer(&mut *out, record)
                .map_err(std::io::Error::other)
                .and_then(|()| out.write_all(b"\n")),
            Some(Out::Picture { lines, left_out }) => {
                if lines.len() >= PICTURE_BYTES_MAX && !always {
                    *left_out += 1;
                    return;
                }
                serde_json::to_writer(&mut *lines, record)
                    .map_err(std::io::Error::other)
                    .map(|()| lines.push(b'\n'))
            }
        };
        if let Err(err) = written {
            self.error = Some(err);
            self.out = None;
        }
    }

    /// The header line.
    pub fn header<P: Serialize>(&mut self, header: &TraceHeader<'_, P>) {
        self.write_line(header, true);
    }

    /// One event.
    pub fn event(&mut self, event: &TraceEvent) {
        self.line(event);
    }

    /// The clients' operations that have not ended (`history`), then the
    /// end line, then a
    /// flush (or the picture): `Err` names the path and the first error
    /// met, to print after the verdict.
    pub fn finish(mut self, history: &History, end: &TraceEnd) -> Result<(), String> {
        for op in sim::timeline::unfinished_op_records(history, end.time_ns) {
            self.write_line(&op, true);
        }
        self.write_line(end, true);
        match self.out.take() {
            Some(Out::Lines(mut out)) => {
                if let Err(err) = out.flush() {
                    self.error = Some(err);
                }
            }
            Some(Out::Picture { lines, left_out }) => {
                let html = crate::picture::html(&lines, left_out);
                if let Err(err) = std::fs::write(&self.path, html) {
                    self.error = Some(err);
                }
            }
            None => {}
        }
        match self.error {
            None => Ok(()),
            Some(err) => Err(format!("writing {} failed: {err}", self.path.display())),
        }
    }
}

/// Every trace a command writes (`--trace`, `--html`, both or none).
#[derive(Debug, Default)]
pub struct TraceFiles(Vec<TraceFile>);

impl TraceFiles {
    /// Opens `--trace` (JSON lines) and `--html` (a picture), whichever are
    /// given.
    pub fn open(trace: Option<&Path>, html: Option<&Path>) -> Result<TraceFiles, String> {
        let mut files = Vec::new();
        if let Some(path) = trace {
            files.push(TraceFile::create(path)?);
        }
        if let Some(path) = html {
            files.push(TraceFile::create_picture(path)?);
        }
        Ok(TraceFiles(files))
    }

    /// Whether any trace is written (so the run should hand out records).
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    /// The header line, to each.
    pub fn header<P: Serialize>(&mut self, header: &TraceHeader<'_, P>) {
        self.0.iter_mut().for_each(|f| f.header(header));
    }

    /// One event, to each.
    pub fn event(&mut self, event: &TraceEvent) {
        self.0.iter_mut().for_each(|f| f.event(event));
    }

    /// Finishes each ([`TraceFile::finish`]); the errors, one per file.
    pub fn finish(self, history: &History, end: &TraceEnd) -> Vec<String> {
        self.0
            .into_iter()
            .filter_map(|f| f.finish(history, end).err())
            .collect()
    }
}
