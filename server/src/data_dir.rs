//! A node's data directory: the host's files (`sim::disk::Disk`, the model
//! every simulated run writes) kept on a real disk, in the same bytes.
//!
//! The host performs no I/O: it changes its `Disk` value and asks for an
//! fsync. A production loop calls [`DataDir::follow`] after every host
//! call, which writes what changed, and [`DataDir::sync`] when the host
//! asks for an fsync, before telling it the fsync completed. The model's
//! two kinds of change map onto the two safe ways to change a file:
//!
//! - **appends** (records added at the end) are written at the end of the
//!   real file, volatile until `sync`'s fsync; a crash may lose or tear
//!   them, as the model's torn crash does, and recovery's CRCs cut a torn
//!   tail;
//! - **anything else** (a snapshot renamed into place, a log's old records
//!   dropped, the meta file kept short, a torn tail cut at boot) is what the
//!   model treats as atomic and durable at once, so it is written the way
//!   that makes it so: a temporary file, fsync, rename over the old one,
//!   fsync of the directory.
//!
//! Loading reads the files back into a `Disk` whose every byte is durable,
//! which the host boots from as it does in the simulator: one format.
//!
//! The directory carries a manifest naming its format and node; a
//! directory without one that holds files, or one of another format or
//! node, is refused, never written over.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use raft_core::NodeId;
use serde::{Deserialize, Serialize};
use sim::disk::{Disk, File};

/// The manifest's file name.
pub const MANIFEST: &str = "raftsim-node.json";
/// The data format this build writes and reads.
pub const FORMAT: u32 = 1;

/// The boot counter's file name (see [`DataDir::count_boot`]).
const BOOTS: &str = "boots";

/// The host's files, by name in the directory.
const FILES: [&str; 4] = ["meta", "log", "snapshot", "snapshot.tmp"];

/// What the manifest says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Manifest {
    /// Always "raftsim".
    program: String,
    format: u32,
    node: u64,
}

/// Why a directory cannot be used.
#[derive(Debug)]
pub enum DataDirError {
    /// Reading or writing failed.
    Io(PathBuf, io::Error),
    /// The directory holds files but no manifest: not ours.
    Foreign(PathBuf),
    /// The manifest cannot be read, or names another format or node.
    Mismatch(PathBuf, String),
    /// A file holds a whole record whose CRC does not match, at this byte:
    /// damage no crash leaves (see `sim::disk::File::check_torn_tail`).
    Corrupt(PathBuf, usize),
}

impl std::fmt::Display for DataDirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataDirError::Io(path, err) => write!(f, "{}: {err}", path.display()),
            DataDirError::Foreign(path) => write!(
                f,
                "{} holds files but no {MANIFEST}: not a raftsim data directory; refusing to touch it",
                path.display()
            ),
            DataDirError::Mismatch(path, why) => write!(f, "{}: {why}", path.display()),
            DataDirError::Corrupt(path, at) => write!(
                f,
                "{}: the record at byte {at} is whole but fails its CRC: the file is damaged \
                 (a crash only cuts a write short); refusing to start rather than drop what follows it",
                path.display()
            ),
        }
    }
}

impl std::error::Error for DataDirError {}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> DataDirError + '_ {
    move |err| DataDirError::Io(path.to_path_buf(), err)
}

/// A node's data directory (see the module documentation).
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    /// Per file (in `FILES` order), the bytes the real file holds.
    written: [Vec<u8>; 4],
    /// Per file, whether appends wait for an fsync.
    unsynced: [bool; 4],
}

impl DataDir {
    /// Opens node `node`'s directory at `path`, creating it (and its
    /// manifest) if it is missing or empty.
    ///
    /// # Errors
    /// The directory is another program's, another node's or another
    /// format's, or cannot be read or written.
    pub fn open(path: &Path, node: NodeId) -> Result<DataDir, DataDirError> {
        fs::create_dir_all(path).map_err(io_error(path))?;
        let manifest_path = path.join(MANIFEST);
        let expected = Manifest {
            program: "raftsim".into(),
            format: FORMAT,
            node: node.0,
        };
        match fs::read(&manifest_path) {
            Ok(bytes) => {
                let found: Manifest = serde_json::from_slice(&bytes).map_err(|err| {
                    DataDirError::Mismatch(manifest_path.clone(), format!("unreadable: {err}"))
                })?;
                if found != expected {
                    return Err(DataDirError::Mismatch(
                        manifest_path,
                        format!(
                            "written by {} format {} for node {}; this is format {FORMAT}, node {}",
                            found.program, found.format, found.node, node.0
                        ),
                    ));
                }
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let mut entries = fs::read_dir(path).map_err(io_error(path))?;
                if entries.next().is_some() {
                    return Err(DataDirError::Foreign(path.to_path_buf()));
                }
                let text = serde_json::to_vec_pretty(&expected).expect("a manifest serializes");
                write_atomically(path, MANIFEST, &text)?;
            }
            Err(err) => return Err(DataDirError::Io(manifest_path, err)),
        }
        let mut dir = DataDir {
            path: path.to_path_buf(),
            written: Default::default(),
            unsynced: [false; 4],
        };
        for (i, name) in FILES.iter().enumerate() {
            let file = path.join(name);
            dir.written[i] = match fs::read(&file) {
                Ok(bytes) => bytes,
                Err(err) if err.kind() == io::ErrorKind::NotFound => Vec::new(),
                Err(err) => return Err(DataDirError::Io(file, err)),
            };
            // A temporary snapshot is deleted at boot whatever it holds.
            if *name != "snapshot.tmp" {
                File::from_durable(dir.written[i].clone())
                    .check_torn_tail()
                    .map_err(|at| DataDirError::Corrupt(file, at))?;
            }
        }
        Ok(dir)
    }

    /// The disk as the directory holds it, every byte durable: what the
    /// host boots from (its recovery deletes a temporary snapshot and cuts
    /// a torn tail, as in the simulator).
    #[must_use]
    pub fn disk(&self) -> Disk {
        let file = |i: usize| File::from_durable(self.written[i].clone());
        Disk {
            meta: file(0),
            log: file(1),
            snapshot: file(2),
            snapshot_tmp: file(3),
        }
    }

    /// Writes what `disk` changed since the last call: appends at the end
    /// of their files (durable at the next [`sync`](Self::sync)), any other
    /// change atomically and durably.
    ///
    /// # Errors
    /// A write failed; the directory then holds the old or the new file.
    pub fn follow(&mut self, disk: &Disk) -> Result<(), DataDirError> {
        let files = [&disk.meta, &disk.log, &disk.snapshot, &disk.snapshot_tmp];
        for (i, file) in files.into_iter().enumerate() {
            let now = file.bytes();
            let before = &self.written[i];
            if now == before.as_slice() {
                continue;
            }
            let path = self.path.join(FILES[i]);
            if now.starts_with(before) {
                let mut real = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(io_error(&path))?;
                real.write_all(&now[before.len()..])
                    .map_err(io_error(&path))?;
                self.unsynced[i] = true;
            } else {
                write_atomically(&self.path, FILES[i], now)?;
                self.unsynced[i] = false;
            }
            self.written[i] = now.to_vec();
        }
        Ok(())
    }

    /// Makes every append so far durable (the fsync the host asked for).
    ///
    /// # Errors
    /// An fsync failed: nothing may be acknowledged.
    pub fn sync(&mut self) -> Result<(), DataDirError> {
        self.sync_job().run()
    }

    /// The fsync of every append so far, to run off the event loop (on a
    /// blocking thread) while the loop goes on. The host writes nothing
    /// while it waits for an fsync, so the job covers what it asked for.
    #[must_use]
    pub fn sync_job(&mut self) -> SyncJob {
        let mut files = Vec::new();
        for (i, name) in FILES.iter().enumerate() {
            if std::mem::take(&mut self.unsynced[i]) {
                files.push(self.path.join(name));
            }
        }
        SyncJob {
            dir: self.path.clone(),
            files,
        }
    }

    /// Numbers this start of the directory: 1 the first time, one more at
    /// each (recorded durably before the node runs). Servers number their
    /// client sessions' requests from it, so a restarted server never
    /// reuses a sequence number its sessions used before.
    ///
    /// # Errors
    /// The counter cannot be read or written.
    pub fn count_boot(&mut self) -> Result<u64, DataDirError> {
        let path = self.path.join(BOOTS);
        let before = match fs::read_to_string(&path) {
            Ok(text) => text.trim().parse::<u64>().map_err(|err| {
                DataDirError::Mismatch(path.clone(), format!("not a boot count: {err}"))
            })?,
            Err(err) if err.kind() == io::ErrorKind::NotFound => 0,
            Err(err) => return Err(DataDirError::Io(path, err)),
        };
        let boot = before + 1;
        write_atomically(&self.path, BOOTS, boot.to_string().as_bytes())?;
        Ok(boot)
    }
}

/// An fsync of a data directory's appended files and of the directory.
#[derive(Debug)]
pub struct SyncJob {
    dir: PathBuf,
    files: Vec<PathBuf>,
}

impl SyncJob {
    /// Runs the fsyncs.
    ///
    /// # Errors
    /// An fsync failed: nothing may be acknowledged, and the appends'
    /// state on disk is unknown (the node must stop, not retry).
    pub fn run(self) -> Result<(), DataDirError> {
        for path in &self.files {
            let file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io_error(path))?;
            file.sync_data().map_err(io_error(path))?;
        }
        sync_dir(&self.dir)
    }
}

/// Writes `name` in `dir` as a whole, atomically and durably: a temporary
/// file, fsync, rename, fsync of the directory.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), DataDirError> {
    let tmp = dir.join(format!("{name}.writing"));
    let target = dir.join(name);
    let mut file = fs::File::create(&tmp).map_err(io_error(&tmp))?;
    file.write_all(bytes).map_err(io_error(&tmp))?;
    file.sync_all().map_err(io_error(&tmp))?;
    fs::rename(&tmp, &target).map_err(io_error(&target))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<(), DataDirError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))
}
