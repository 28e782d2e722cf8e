//! A simulated disk: files of bytes behind a page cache. Writes land in the
//! cache and are volatile until an fsync completes; a crash loses what was
//! not synced, or with torn writes keeps a random prefix of it. Records carry
//! a length and a CRC32 so recovery can find a torn tail and drop it.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// One file: its bytes as the page cache sees them, and how many of them are
/// durable. Invariant: `durable_len <= bytes.len()`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct File {
    bytes: Vec<u8>,
    durable_len: usize,
}

/// Bytes of framing in front of each record: length (u32) and CRC32 (u32).
const RECORD_HEADER_BYTES: usize = 8;

impl File {
    /// A file read back from a real disk: every byte durable.
    #[must_use]
    pub fn from_durable(bytes: Vec<u8>) -> File {
        File {
            durable_len: bytes.len(),
            bytes,
        }
    }

    /// Its bytes as the page cache sees them (what a production host
    /// writes to a real file: see the `server` crate's data directory).
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Appends one framed record to the page cache (not durable yet).
    pub fn append_record(&mut self, payload: &[u8]) {
        let len = u32::try_from(payload.len()).expect("record under 4 GiB");
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes
            .extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        self.bytes.extend_from_slice(payload);
    }

    /// The length an fsync issued now would make durable.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the file holds no bytes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// An fsync issued when the file was `len` bytes long completed.
    pub fn synced_to(&mut self, len: usize) {
        assert!(len <= self.bytes.len(), "sync beyond the end of the file");
        self.durable_len = self.durable_len.max(len);
    }

    /// How many bytes are durable.
    #[must_use]
    pub fn durable_len(&self) -> usize {
        self.durable_len
    }

    /// Every intact record from the start, with the offset where it ends.
    pub fn records(&self) -> impl Iterator<Item = (&[u8], usize)> + '_ {
        let mut at = 0;
        std::iter::from_fn(move || {
            let (payload, next) = read_record(&self.bytes, at)?;
            at = next;
            Some((payload, next))
        })
    }

    /// Whether the bytes after the last intact record can be a torn write
    /// (what recovery cuts) rather than corruption: a crash keeps a prefix
    /// of what was written, so a torn tail is one record cut short — its
    /// header, or its payload, running past the end of the file. A whole
    /// record whose CRC does not match is damage no crash makes (etcd's WAL
    /// repairs only an unexpected end of file, for the same reason): the
    /// error says where. A real server refuses such a file instead of
    /// letting recovery cut everything after the damage.
    ///
    /// # Errors
    /// The offset of the first whole record whose CRC does not match.
    pub fn check_torn_tail(&self) -> Result<(), usize> {
        let end = self.records().last().map_or(0, |(_, end)| end);
        let Some(header) = self.bytes.get(end..end + RECORD_HEADER_BYTES) else {
            return Ok(()); // nothing after the last record, or a header cut short
        };
        let len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes")) as usize;
        if end + RECORD_HEADER_BYTES + len > self.bytes.len() {
            Ok(()) // a payload cut short
        } else {
            Err(end)
        }
    }

    /// Bytes written and not yet durable.
    #[must_use]
    pub fn unsynced_len(&self) -> usize {
        self.bytes.len() - self.durable_len
    }

    /// The records written and not yet durable (records that straddle the
    /// durable length count as unsynced).
    #[must_use]
    pub fn unsynced_records(&self) -> usize {
        self.records()
            .filter(|(_, end)| *end > self.durable_len)
            .count()
    }

    /// Power loss that keeps the first `kept` unsynced records whole and
    /// loses the rest: the outcomes of a torn crash as recovery sees them
    /// (a torn record is cut by recovery, as if lost), each one chosen
    /// instead of drawn (the model checker's crash). `kept` past the
    /// unsynced records keeps them all.
    pub fn crash_keeping(&mut self, kept: usize) {
        let end = self
            .records()
            .filter(|(_, end)| *end > self.durable_len)
            .take(kept)
            .last()
            .map_or(self.durable_len, |(_, end)| end);
        self.bytes.truncate(end.max(self.durable_len));
        self.durable_len = self.bytes.len();
    }

    /// Power loss: unsynced bytes are lost, or with `torn` a random prefix of
    /// them survives (a partial sector write). What survives is on disk now.
    pub fn crash(&mut self, torn: bool, rng: &mut impl Rng) {
        let unsynced = self.unsynced_len();
        let kept = if torn && unsynced > 0 {
            rng.random_range(0..=unsynced)
        } else {
            0
        };
        self.bytes.truncate(self.durable_len + kept);
        self.durable_len = self.bytes.len();
    }

    /// Drops the durable records `drop` picks, keeping the others and every
    /// unsynced byte in order: what deleting a log's old segments does once
    /// a snapshot stands for them. Modeled as atomic and durable at once
    /// (an unlink); callers drop only records whose loss a crash could not
    /// make matter (recovery ignores them).
    pub fn drop_durable_records(&mut self, drop: impl Fn(&[u8]) -> bool) {
        let mut kept = Vec::with_capacity(self.bytes.len());
        let mut at = 0;
        while let Some((payload, next)) = read_record(&self.bytes, at) {
            if next > self.durable_len {
                break;
            }
            if !drop(payload) {
                kept.extend_from_slice(&self.bytes[at..next]);
            }
            at = next;
        }
        let durable_len = kept.len() + self.durable_len.saturating_sub(at);
        kept.extend_from_slice(&self.bytes[at..]);
        self.bytes = kept;
        self.durable_len = durable_len;
    }

    /// Drops every durable record but the last one (and keeps every
    /// unsynced byte): a file whose last record alone counts, kept short.
    /// Atomic and durable at once, as [`File::drop_durable_records`].
    pub fn keep_last_durable_record(&mut self) {
        let mut last_start = None;
        let mut at = 0;
        while let Some((_, next)) = read_record(&self.bytes, at) {
            if next > self.durable_len {
                break;
            }
            last_start = Some(at);
            at = next;
        }
        if let Some(start) = last_start {
            self.bytes.drain(..start);
            self.durable_len -= start;
        }
    }

    /// Reads back every intact record, in order, and cuts the file after the
    /// last one: a torn or corrupt tail is dropped (it was never synced, so
    /// nothing acknowledged lived there).
    pub fn recover_records(&mut self) -> Vec<Vec<u8>> {
        let mut records = Vec::new();
        let mut at = 0;
        while let Some((payload, next)) = read_record(&self.bytes, at) {
            records.push(payload.to_vec());
            at = next;
        }
        self.bytes.truncate(at);
        self.durable_len = self.durable_len.min(at);
        records
    }
}

/// The record starting at `at`, and where the next one starts, if intact.
fn read_record(bytes: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let header = bytes.get(at..at + RECORD_HEADER_BYTES)?;
    let len = u32::from_le_bytes(header[0..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(header[4..8].try_into().ok()?);
    let start = at + RECORD_HEADER_BYTES;
    let payload = bytes.get(start..start + len)?;
    (crc32fast::hash(payload) == crc).then_some((payload, start + len))
}

/// A number of records in each of a node's two record files: how many are
/// unsynced, or how many of those a crash keeps (`crash N keep_meta=K
/// keep_log=K`, the model checker's crashes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct FileRecords {
    /// Hard-state records (the meta file).
    pub meta: usize,
    /// Entry records (the log file).
    pub log: usize,
}

impl FileRecords {
    /// None in either file (a crash that keeps nothing unsynced).
    pub const NONE: FileRecords = FileRecords { meta: 0, log: 0 };
}

/// A node's disk: braft's three stores. `meta` holds hard states (the last
/// intact record wins), `log` holds entries (an entry at index i replaces
/// every entry from i on), `snapshot` the latest snapshot, written as a
/// real server writes one: into `snapshot_tmp`, fsync, then renamed over
/// `snapshot` (atomic), so a crash leaves the old snapshot or the new one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Disk {
    /// Term, vote and commit records.
    pub meta: File,
    /// Log entry records.
    pub log: File,
    /// The latest snapshot: one record.
    pub snapshot: File,
    /// A snapshot being written, renamed over `snapshot` once durable;
    /// recovery deletes it.
    pub snapshot_tmp: File,
}

/// Where an fsync issued now would make each file durable up to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SyncPoint {
    meta_len: usize,
    log_len: usize,
    snapshot_tmp_len: usize,
}

impl Disk {
    /// The point an fsync issued now covers.
    #[must_use]
    pub fn sync_point(&self) -> SyncPoint {
        SyncPoint {
            meta_len: self.meta.len(),
            log_len: self.log.len(),
            snapshot_tmp_len: self.snapshot_tmp.len(),
        }
    }

    /// The fsync issued at `point` completed.
    pub fn synced(&mut self, point: SyncPoint) {
        self.meta.synced_to(point.meta_len);
        self.log.synced_to(point.log_len);
        self.snapshot_tmp.synced_to(point.snapshot_tmp_len);
    }

    /// Starts writing a new snapshot: a fresh temporary file holding one
    /// record (not durable until an fsync).
    pub fn write_snapshot_tmp(&mut self, payload: &[u8]) {
        self.snapshot_tmp = File::default();
        self.snapshot_tmp.append_record(payload);
    }

    /// rename(2) of the durable temporary snapshot over the snapshot:
    /// atomic, durable at once (the directory is synced with it).
    ///
    /// # Panics
    ///
    /// If the temporary file is not durable: renaming unsynced bytes into
    /// place is the very bug this order exists to prevent.
    pub fn rename_snapshot_tmp(&mut self) {
        assert!(
            !self.snapshot_tmp.is_empty() && self.snapshot_tmp.unsynced_len() == 0,
            "renaming a snapshot that is not durable"
        );
        self.snapshot = std::mem::take(&mut self.snapshot_tmp);
    }

    /// Power loss on every file.
    pub fn crash(&mut self, torn: bool, rng: &mut impl Rng) {
        self.meta.crash(torn, rng);
        self.log.crash(torn, rng);
        self.snapshot.crash(torn, rng);
        self.snapshot_tmp.crash(torn, rng);
    }

    /// Power loss that keeps the first `kept.meta` unsynced records of the
    /// meta file and the first `kept.log` of the log, losing the rest (each
    /// file tears on its own, as the simulator's torn crash does). A
    /// temporary snapshot is lost whole: recovery deletes it either way.
    pub fn crash_keeping(&mut self, kept: FileRecords) {
        self.meta.crash_keeping(kept.meta);
        self.log.crash_keeping(kept.log);
        self.snapshot.crash_keeping(0);
        self.snapshot_tmp.crash_keeping(0);
    }

    /// The records of the meta and log files not yet durable.
    #[must_use]
    pub fn unsynced_records(&self) -> FileRecords {
        FileRecords {
            meta: self.meta.unsynced_records(),
            log: self.log.unsynced_records(),
        }
    }

    /// Bytes written and not yet durable, over all files.
    #[must_use]
    pub fn unsynced_len(&self) -> usize {
        self.meta.unsynced_len()
            + self.log.unsynced_len()
            + self.snapshot.unsynced_len()
            + self.snapshot_tmp.unsynced_len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn every_torn_crash_leaves_a_torn_tail_and_a_flipped_bit_is_corruption() {
        let mut file = File::default();
        file.append_record(b"durable");
        file.synced_to(file.len());
        file.append_record(b"two");
        file.append_record(b"three");
        assert_eq!(file.check_torn_tail(), Ok(()));
        // Every prefix a torn crash can keep.
        for kept in file.durable_len()..=file.len() {
            let torn = File::from_durable(file.bytes()[..kept].to_vec());
            assert_eq!(torn.check_torn_tail(), Ok(()), "a prefix of {kept} bytes");
        }
        // A bit flipped in a whole record, first or last.
        for at in [RECORD_HEADER_BYTES + 1, file.len() - 1] {
            let mut bytes = file.bytes().to_vec();
            bytes[at] ^= 1;
            let corrupt = File::from_durable(bytes);
            let record = if at < 15 {
                0
            } else {
                file.len() - 5 - RECORD_HEADER_BYTES
            };
            assert_eq!(
                corrupt.check_torn_tail(),
                Err(record),
                "a flip at byte {at}"
            );
        }
    }

    #[test]
    fn a_crash_keeping_k_records_keeps_the_first_k_unsynced_ones() {
        let mut file = File::default();
        file.append_record(b"one");
        file.synced_to(file.len());
        for record in [b"two", b"six", b"ten"] {
            file.append_record(record);
        }
        assert_eq!(file.unsynced_records(), 3);
        let mut kept = file.clone();
        kept.crash_keeping(2);
        assert_eq!(kept.unsynced_records(), 0, "what is kept is durable");
        assert_eq!(
            kept.recover_records(),
            vec![b"one".to_vec(), b"two".to_vec(), b"six".to_vec()]
        );
        let mut lost = file.clone();
        lost.crash_keeping(0);
        assert_eq!(lost.recover_records(), vec![b"one".to_vec()]);
        let mut all = file;
        all.crash_keeping(9);
        assert_eq!(all.recover_records().len(), 4);
    }

    #[test]
    fn unsynced_writes_are_lost_on_crash_and_synced_ones_kept() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut file = File::default();
        file.append_record(b"one");
        file.synced_to(file.len());
        file.append_record(b"two");
        file.crash(false, &mut rng);
        assert_eq!(file.recover_records(), vec![b"one".to_vec()]);
    }

    #[test]
    fn a_torn_tail_is_detected_and_dropped() {
        let mut dropped_some = false;
        for seed in 0..50 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut file = File::default();
            file.append_record(b"durable");
            file.synced_to(file.len());
            file.append_record(b"second record");
            file.append_record(b"third record");
            file.crash(true, &mut rng);
            let records = file.recover_records();
            assert_eq!(records[0], b"durable".to_vec());
            for (got, want) in records
                .iter()
                .skip(1)
                .zip([&b"second record"[..], b"third record"])
            {
                assert_eq!(got.as_slice(), want, "a surviving record is intact");
            }
            dropped_some |= records.len() < 3;
            // Recovery cut the file at the last intact record.
            let again = file.recover_records();
            assert_eq!(again, records);
        }
        assert!(dropped_some, "torn writes lose something on some seed");
    }

    #[test]
    fn dropping_durable_records_keeps_the_rest_and_every_unsynced_byte() {
        let mut file = File::default();
        for record in [b"drop", b"keep", b"drop"] {
            file.append_record(record);
        }
        file.synced_to(file.len());
        file.append_record(b"drop"); // unsynced: never dropped
        file.drop_durable_records(|payload| payload == b"drop");
        assert_eq!(file.unsynced_records(), 1);
        assert_eq!(
            file.clone().recover_records(),
            vec![b"keep".to_vec(), b"drop".to_vec()]
        );
        file.crash_keeping(0);
        assert_eq!(file.recover_records(), vec![b"keep".to_vec()]);
    }

    #[test]
    fn keeping_the_last_durable_record_keeps_what_recovery_reads() {
        let mut file = File::default();
        for record in [b"one", b"two", b"six"] {
            file.append_record(record);
        }
        file.synced_to(file.len());
        file.append_record(b"ten");
        let mut kept = file.clone();
        kept.keep_last_durable_record();
        assert_eq!(kept.unsynced_records(), 1);
        assert_eq!(
            kept.clone().recover_records().last(),
            file.clone().recover_records().last()
        );
        kept.crash_keeping(0);
        assert_eq!(kept.recover_records(), vec![b"six".to_vec()]);
        let mut empty = File::default();
        empty.keep_last_durable_record();
        assert!(empty.is_empty());
    }

    #[test]
    fn a_snapshot_is_renamed_into_place_only_once_durable() {
        let mut disk = Disk::default();
        disk.write_snapshot_tmp(b"old");
        disk.synced(disk.sync_point());
        disk.rename_snapshot_tmp();
        disk.write_snapshot_tmp(b"new");
        let point = disk.sync_point();
        let mut crashed = disk.clone();
        crashed.crash_keeping(FileRecords::NONE);
        assert!(crashed.snapshot_tmp.is_empty());
        assert_eq!(crashed.snapshot.recover_records(), vec![b"old".to_vec()]);
        disk.synced(point);
        disk.rename_snapshot_tmp();
        assert_eq!(disk.snapshot.recover_records(), vec![b"new".to_vec()]);
        assert!(disk.snapshot_tmp.is_empty());
    }

    #[test]
    fn a_corrupt_byte_ends_recovery_there() {
        let mut file = File::default();
        file.append_record(b"good");
        file.append_record(b"bad!");
        let last = file.bytes.len() - 1;
        file.bytes[last] ^= 0xFF;
        assert_eq!(file.recover_records(), vec![b"good".to_vec()]);
    }
}
