//! The replicated state machine: a key-value store with list values (put,
//! get, append) and client sessions, so that a retried request is answered
//! from the session table and never applied twice (Raft thesis §6.3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A client session's id.
pub type ClientId = u32;

/// A key of the store. Simulated workloads use a few; a real server's
/// clients, as many as they like (all but [`DIRECT_PROPOSAL_KEY`]).
pub type Key = u32;

/// The key entries proposed straight to a node (bypassing clients: the
/// model checker's and a manual scenario's `propose`) append to: no client
/// reads or writes it, so the history clients judge never sees them.
pub const DIRECT_PROPOSAL_KEY: Key = Key::MAX;

/// One operation on the store. Values are unique per (client, seq), which
/// makes histories checkable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Op {
    /// Replace the key's list with one value.
    Put {
        /// Which key.
        key: Key,
        /// The value.
        value: u64,
    },
    /// Read the key's list.
    Get {
        /// Which key.
        key: Key,
    },
    /// Append a value to the key's list.
    Append {
        /// Which key.
        key: Key,
        /// The value.
        value: u64,
    },
}

impl std::fmt::Display for Op {
    /// The operation as a scenario writes it: `put 0 5`, `get 0`,
    /// `append 0 5`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Put { key, value } => write!(f, "put {key} {value}"),
            Op::Get { key } => write!(f, "get {key}"),
            Op::Append { key, value } => write!(f, "append {key} {value}"),
        }
    }
}

/// What an operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Output {
    /// A write took effect.
    Written,
    /// A read saw this list.
    Read(Vec<u64>),
}

/// What a log entry carries: an operation of one client session.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Command {
    /// The client session.
    pub client: ClientId,
    /// The session's sequence number, one per operation (retries reuse it).
    pub seq: u64,
    /// The operation.
    pub op: Op,
}

impl Command {
    /// The command as entry data.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        bincode::serde::encode_to_vec(self, bincode::config::standard())
            .expect("commands always encode")
    }

    /// The command in entry data, if it is one.
    #[must_use]
    pub fn decode(data: &[u8]) -> Option<Command> {
        bincode::serde::decode_from_slice(data, bincode::config::standard())
            .ok()
            .map(|(command, _)| command)
    }
}

/// A session: the last operation applied and its output.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Session {
    last_seq: u64,
    last_output: Output,
}

/// The store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Kv {
    data: BTreeMap<Key, Vec<u64>>,
    sessions: BTreeMap<ClientId, Session>,
    /// Commands applied (not counting duplicates answered from a session).
    pub applied_commands: u64,
    /// The parts of [`Kv::digest`], kept up to date by every command so
    /// that the digest the checkers take after each applied entry costs
    /// O(1), not O(state). Not in a snapshot: rebuilt from the content on
    /// restore.
    #[serde(skip)]
    digests: Digests,
}

/// A rolling hash per key's list, and order-free sums over keys and
/// sessions: what [`Kv::digest`] combines.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Digests {
    lists: BTreeMap<Key, u64>,
    keys_sum: u64,
    sessions_sum: u64,
}

fn mix(words: [u64; 3]) -> u64 {
    let mut bytes = [0u8; 24];
    for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

/// The rolling hash of a list with `value` appended to one hashed `hash`.
fn roll(hash: u64, value: u64) -> u64 {
    mix([hash, value, 0x6c69_7374])
}

/// The rolling hash of a whole list (the empty list's is 0).
fn list_hash(values: &[u64]) -> u64 {
    values.iter().fold(0, |hash, value| roll(hash, *value))
}

fn output_hash(output: &Output) -> u64 {
    match output {
        Output::Written => 1,
        Output::Read(values) => mix([list_hash(values), 2, 0]),
    }
}

fn session_mix(client: ClientId, session: &Session) -> u64 {
    mix([
        u64::from(client),
        session.last_seq,
        output_hash(&session.last_output),
    ])
}

/// What applying a command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Applied now, with this output.
    Fresh(Output),
    /// Already applied: the session's cached output.
    Duplicate(Output),
    /// An older sequence number than the session's last: the client has
    /// moved on, nothing to answer.
    Stale,
}

/// The first bytes of a store's snapshot: the format and its version, so
/// that foreign or older bytes are refused, never misread.
const SNAPSHOT_MAGIC: &[u8; 8] = b"rsimkv01";

/// The most bytes a store's snapshot may claim when read back (far more
/// than a simulated store holds).
const SNAPSHOT_BYTES_MAX: usize = 256 << 20;

impl Kv {
    /// The store as a snapshot's data (Raft §7): the keys and the session
    /// table together, so that a node restored from it still answers a
    /// retried request once (the MIT 6.824 lab 3B rule) and counts the
    /// commands it applied.
    #[must_use]
    pub fn snapshot(&self) -> Vec<u8> {
        let mut bytes = SNAPSHOT_MAGIC.to_vec();
        bincode::serde::encode_into_std_write(self, &mut bytes, bincode::config::standard())
            .expect("a store always encodes");
        bytes
    }

    /// A digest of the whole store (keys, sessions, count): what the
    /// checkers compare between nodes at each applied index and against a
    /// restored snapshot. O(1): its parts follow every command.
    #[must_use]
    pub fn digest(&self) -> u64 {
        let d = &self.digests;
        mix([d.keys_sum, d.sessions_sum, self.applied_commands])
    }

    /// The digest's parts computed from the content (after a restore).
    fn rebuild_digests(&mut self) {
        let mut digests = Digests::default();
        for (key, values) in &self.data {
            let hash = list_hash(values);
            digests.lists.insert(*key, hash);
            digests.keys_sum = digests
                .keys_sum
                .wrapping_add(mix([u64::from(*key), hash, 0]));
        }
        for (client, session) in &self.sessions {
            digests.sessions_sum = digests
                .sessions_sum
                .wrapping_add(session_mix(*client, session));
        }
        self.digests = digests;
    }

    /// Key `key`'s list now hashes to `hash` (it was written).
    fn key_written(&mut self, key: Key, hash: u64) {
        let d = &mut self.digests;
        if let Some(old) = d.lists.insert(key, hash) {
            d.keys_sum = d.keys_sum.wrapping_sub(mix([u64::from(key), old, 0]));
        }
        d.keys_sum = d.keys_sum.wrapping_add(mix([u64::from(key), hash, 0]));
    }

    /// The store as a snapshot's data without its session table: the
    /// test-only `snapshot-without-sessions` host bug.
    #[must_use]
    pub fn snapshot_without_sessions(&self) -> Vec<u8> {
        Kv {
            sessions: BTreeMap::new(),
            ..self.clone()
        }
        .snapshot()
    }

    /// The store a snapshot's data holds.
    ///
    /// # Errors
    ///
    /// What is wrong with `bytes`: not a store's snapshot (another format
    /// or version), cut short, or with bytes left over.
    pub fn restore(bytes: &[u8]) -> Result<Kv, String> {
        let body = bytes
            .strip_prefix(SNAPSHOT_MAGIC.as_slice())
            .ok_or("not a key-value snapshot (no `rsimkv01` header)")?;
        // The limit bounds what a length prefix may claim, so corrupt bytes
        // cannot ask for a huge allocation before they fail to decode.
        let config = bincode::config::standard().with_limit::<SNAPSHOT_BYTES_MAX>();
        let (mut kv, read): (Kv, usize) = bincode::serde::decode_from_slice(body, config)
            .map_err(|err| format!("a key-value snapshot that does not decode: {err}"))?;
        kv.rebuild_digests();
        if read != body.len() {
            return Err(format!(
                "a key-value snapshot with {} bytes after its end",
                body.len() - read
            ));
        }
        Ok(kv)
    }

    /// The session's cached answer if `seq` was already applied.
    #[must_use]
    pub fn cached(&self, client: ClientId, seq: u64) -> Option<&Output> {
        self.sessions
            .get(&client)
            .filter(|s| s.last_seq == seq)
            .map(|s| &s.last_output)
    }

    /// The key's list now.
    #[must_use]
    pub fn read(&self, key: Key) -> Vec<u64> {
        self.data.get(&key).cloned().unwrap_or_default()
    }

    /// Applies a committed command, at most once per (client, seq).
    pub fn apply(&mut self, command: &Command) -> Applied {
        if let Some(session) = self.sessions.get(&command.client) {
            if command.seq == session.last_seq {
                return Applied::Duplicate(session.last_output.clone());
            }
            if command.seq < session.last_seq {
                return Applied::Stale;
            }
        }
        self.apply_without_sessions(command)
    }

    /// Applies a command whether or not its session saw it already: the
    /// test-only `no-dedup` host bug (a retry applied twice).
    pub fn apply_without_sessions(&mut self, command: &Command) -> Applied {
        let output = match &command.op {
            Op::Put { key, value } => {
                self.data.insert(*key, vec![*value]);
                self.key_written(*key, roll(0, *value));
                Output::Written
            }
            Op::Append { key, value } => {
                self.data.entry(*key).or_default().push(*value);
                let before = self.digests.lists.get(key).copied().unwrap_or(0);
                self.key_written(*key, roll(before, *value));
                Output::Written
            }
            Op::Get { key } => Output::Read(self.read(*key)),
        };
        self.applied_commands += 1;
        let session = Session {
            last_seq: command.seq,
            last_output: output.clone(),
        };
        let added = session_mix(command.client, &session);
        let d = &mut self.digests;
        if let Some(old) = self.sessions.insert(command.client, session) {
            d.sessions_sum = d
                .sessions_sum
                .wrapping_sub(session_mix(command.client, &old));
        }
        d.sessions_sum = d.sessions_sum.wrapping_add(added);
        Applied::Fresh(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(client: ClientId, seq: u64, op: Op) -> Command {
        Command { client, seq, op }
    }

    #[test]
    fn a_retried_command_is_answered_from_the_session_not_applied_twice() {
        let mut kv = Kv::default();
        let append = cmd(1, 1, Op::Append { key: 0, value: 7 });
        assert_eq!(kv.apply(&append), Applied::Fresh(Output::Written));
        assert_eq!(kv.apply(&append), Applied::Duplicate(Output::Written));
        let read = kv.apply(&cmd(2, 1, Op::Get { key: 0 }));
        assert_eq!(read, Applied::Fresh(Output::Read(vec![7])), "appended once");
        assert_eq!(kv.apply(&cmd(1, 0, Op::Get { key: 0 })), Applied::Stale);
    }

    #[test]
    fn put_replaces_and_append_extends() {
        let mut kv = Kv::default();
        kv.apply(&cmd(1, 1, Op::Append { key: 3, value: 1 }));
        kv.apply(&cmd(1, 2, Op::Put { key: 3, value: 2 }));
        kv.apply(&cmd(1, 3, Op::Append { key: 3, value: 4 }));
        let read = kv.apply(&cmd(1, 4, Op::Get { key: 3 }));
        assert_eq!(read, Applied::Fresh(Output::Read(vec![2, 4])));
    }

    #[test]
    fn commands_round_trip_and_garbage_is_not_a_command() {
        let c = cmd(9, 4, Op::Put { key: 1, value: 99 });
        assert_eq!(Command::decode(&c.encode()), Some(c));
        assert_eq!(Command::decode(&[0xFF, 0xFF, 0xFF]), None);
    }

    #[test]
    fn a_store_restored_from_its_snapshot_answers_a_retry_once() {
        let mut kv = Kv::default();
        let append = cmd(1, 1, Op::Append { key: 0, value: 7 });
        kv.apply(&append);
        kv.apply(&cmd(2, 1, Op::Put { key: 1, value: 9 }));
        let mut restored = Kv::restore(&kv.snapshot()).expect("round trip");
        assert_eq!(restored, kv);
        assert_eq!(
            restored.apply(&append),
            Applied::Duplicate(Output::Written),
            "the session table came along"
        );
        assert_eq!(restored.read(0), vec![7], "applied once");
        assert_eq!(restored.applied_commands, 2);
    }

    #[test]
    fn bytes_that_are_not_a_store_snapshot_are_refused() {
        let snapshot = Kv::default().snapshot();
        assert!(
            Kv::restore(b"")
                .unwrap_err()
                .contains("not a key-value snapshot")
        );
        assert!(
            Kv::restore(b"rsimkv02\0")
                .unwrap_err()
                .contains("not a key-value snapshot")
        );
        let mut kv = Kv::default();
        kv.apply(&cmd(1, 1, Op::Append { key: 0, value: 7 }));
        let full = kv.snapshot();
        let cut = &full[..full.len() - 1];
        assert!(Kv::restore(cut).unwrap_err().contains("does not decode"));
        let mut longer = snapshot.clone();
        longer.push(0);
        assert!(Kv::restore(&longer).unwrap_err().contains("after its end"));
    }

    /// The digest kept up to date command by command is the one computed
    /// from the content, as a restored store computes it; and stores that
    /// differ in a key, a session or the count differ in it.
    #[test]
    fn the_running_digest_is_the_digest_of_the_content() {
        let mut kv = Kv::default();
        let mut digests = vec![kv.digest()];
        let ops = [
            cmd(1, 1, Op::Append { key: 0, value: 7 }),
            cmd(1, 2, Op::Append { key: 0, value: 8 }),
            cmd(2, 1, Op::Put { key: 1, value: 9 }),
            cmd(2, 2, Op::Get { key: 0 }),
            cmd(1, 3, Op::Put { key: 0, value: 1 }),
            cmd(3, 1, Op::Get { key: 5 }),
        ];
        for op in &ops {
            kv.apply(op);
            let restored = Kv::restore(&kv.snapshot()).expect("round trip");
            assert_eq!(restored.digest(), kv.digest(), "after {op:?}");
            assert_eq!(restored, kv);
            digests.push(kv.digest());
        }
        let mut distinct = digests.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), digests.len(), "every command changed it");
        let without_sessions = Kv::restore(&kv.snapshot_without_sessions()).expect("decodes");
        assert_ne!(without_sessions.digest(), kv.digest());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_after_the_header_never_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let mut bytes = SNAPSHOT_MAGIC.to_vec();
            bytes.extend(body);
            let _ = Kv::restore(&bytes);
        }
    }
}
