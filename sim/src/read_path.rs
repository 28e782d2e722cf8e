//! How a `get` is served (a scenario's `clients ... reads=`, the swarm's
//! `--reads`): the three linearizable paths of Raft thesis §6.4 and one
//! unsafe path kept to show what the linearizability checker catches.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How a node serves a client's `get`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReadPath {
    /// ReadIndex (thesis §6.4): the leader confirms with a heartbeat round
    /// that it still leads, at its commit index; a follower asks the
    /// leader for that index. No log write.
    #[default]
    Index,
    /// Lease reads: the leader serves without a round while its lease
    /// holds (raft-core's `ReadMode::LeaseBased`; with CheckQuorum only,
    /// else a round as `Index`). Safe only while clocks drift within
    /// raft-core's `max_clock_drift_percent`.
    Lease,
    /// Through the log, like a write: an entry, a quorum's fsyncs.
    Log,
    /// The contacted node answers from its own state machine at once,
    /// whatever its role. Unsafe (stale reads): for showing the checker.
    Local,
}

impl ReadPath {
    /// Every path, in the order the names list them.
    pub const ALL: [ReadPath; 4] = [
        ReadPath::Index,
        ReadPath::Lease,
        ReadPath::Log,
        ReadPath::Local,
    ];

    /// The word a scenario and the command line write.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ReadPath::Index => "index",
            ReadPath::Lease => "lease",
            ReadPath::Log => "log",
            ReadPath::Local => "local",
        }
    }

    /// The feature of the Raft under test this path needs, if any.
    #[must_use]
    pub fn needs(self) -> Option<crate::sut::Feature> {
        match self {
            ReadPath::Index => Some(crate::sut::Feature::ReadIndex),
            ReadPath::Lease => Some(crate::sut::Feature::LeaseReads),
            ReadPath::Log | ReadPath::Local => None,
        }
    }

    /// The path `sut` can serve nearest to this one: a lease read falls
    /// back to ReadIndex, ReadIndex to the log.
    #[must_use]
    pub fn within(self, sut: &crate::sut::Sut) -> ReadPath {
        let mut path = self;
        while path.needs().is_some_and(|feature| !sut.supports(feature)) {
            path = match path {
                ReadPath::Lease => ReadPath::Index,
                _ => ReadPath::Log,
            };
        }
        path
    }

    /// Whether a follower serves the read itself (after asking the leader
    /// for the index, or not at all): clients may send gets to any node.
    #[must_use]
    pub fn served_by_followers(self) -> bool {
        matches!(self, ReadPath::Index | ReadPath::Lease | ReadPath::Local)
    }
}

impl fmt::Display for ReadPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ReadPath {
    type Err = String;

    fn from_str(text: &str) -> Result<ReadPath, String> {
        ReadPath::ALL
            .into_iter()
            .find(|path| path.name() == text)
            .ok_or_else(|| format!("`{text}` is not a read path (index, lease, log, local)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_to_its_path() {
        for path in ReadPath::ALL {
            assert_eq!(path.name().parse::<ReadPath>(), Ok(path));
        }
        assert!("fast".parse::<ReadPath>().is_err());
    }
}
