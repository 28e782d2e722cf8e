//! `--sut NAME`: which Raft the simulated nodes run (raft-core, or tikv's
//! raft-rs through its adapter), and the pins an implementation cannot
//! honour, refused as usage errors before anything runs.

use sim::read_path::ReadPath;
use sim::sut::{Feature, Sut};

/// Every implementation the command line knows, raft-core first.
pub const SUTS: [Sut; 2] = [Sut::RAFT_CORE, raft_rs_adapter::SUT];

/// Parses a `--sut` name.
pub fn parse_sut(name: &str) -> Result<Sut, String> {
    SUTS.iter()
        .find(|sut| sut.name == name)
        .copied()
        .ok_or_else(|| {
            let names: Vec<&str> = SUTS.iter().map(|sut| sut.name).collect();
            format!("no Raft named `{name}`; one of: {}", names.join(", "))
        })
}

/// Why the pins asked for cannot run on `sut`, if they cannot: a
/// membership plan, a read path, snapshots or raft-core's rule breaks it
/// does not support.
pub fn refuse_pins(
    sut: &Sut,
    membership: Option<bool>,
    reads: Option<ReadPath>,
    snapshots: bool,
    raft_rule_breaks: bool,
) -> Result<(), String> {
    let mut needs = Vec::new();
    if membership == Some(true) {
        needs.push(Feature::Membership);
    }
    if let Some(feature) = reads.and_then(ReadPath::needs) {
        needs.push(feature);
    }
    if snapshots {
        needs.push(Feature::Snapshots);
    }
    if raft_rule_breaks {
        needs.push(Feature::RaftRuleBreaks);
    }
    match needs.into_iter().find_map(|feature| sut.lacks(feature)) {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_unknown_names_say_what_is_known() {
        assert_eq!(parse_sut("raft-core"), Ok(Sut::RAFT_CORE));
        assert_eq!(parse_sut("raft-rs").map(|s| s.name), Ok("raft-rs"));
        let err = parse_sut("etcd").unwrap_err();
        assert!(err.contains("raft-core, raft-rs"), "{err}");
    }

    #[test]
    fn a_pin_the_implementation_lacks_is_refused_with_the_reason() {
        let rs = raft_rs_adapter::SUT;
        let err = refuse_pins(&rs, Some(true), None, false, false).unwrap_err();
        assert!(err.contains("raft-rs does not support membership"), "{err}");
        assert!(refuse_pins(&rs, None, None, false, true).is_err());
        assert!(refuse_pins(&rs, Some(false), Some(ReadPath::Lease), true, false).is_ok());
        assert!(refuse_pins(&Sut::RAFT_CORE, Some(true), None, true, true).is_ok());
    }
}
