//! A counterexample as a story a person can follow: each action with the
//! message it moves (who sent what to whom) and what it changed on the
//! node it touched (role, term, commit, log length).

use raft_core::{EntryId, Message, MessageBody, Role};

use super::state::State;
use super::step::Step;
use crate::host::HostState;
use crate::slot::NodeSlot;
use crate::world::{Action, Event};

fn entry(id: EntryId) -> String {
    format!("{}@t{}", id.index.0, id.term.0)
}

/// One message, in words.
#[must_use]
pub fn describe_message(message: &Message) -> String {
    let term = message.term.0;
    match &message.body {
        MessageBody::PreVoteRequest { last_log } => {
            format!(
                "pre-vote request for term {term}, last entry {}",
                entry(*last_log)
            )
        }
        MessageBody::PreVoteResponse { granted } => {
            format!("pre-vote {} (term {term})", granted_or_refused(*granted))
        }
        MessageBody::VoteRequest {
            last_log,
            leader_transfer,
        } => format!(
            "vote request, term {term}, last entry {}{}",
            entry(*last_log),
            if *leader_transfer {
                " (the leader hands over)"
            } else {
                ""
            }
        ),
        MessageBody::VoteResponse { granted } => {
            format!("vote {} (term {term})", granted_or_refused(*granted))
        }
        MessageBody::AppendEntries {
            prev,
            entries,
            commit,
        } => {
            let list: Vec<String> = entries.iter().map(|e| entry(e.id())).collect();
            format!(
                "append, term {term}, after {}: [{}], commit {}",
                entry(*prev),
                list.join(", "),
                commit.0
            )
        }
        MessageBody::AppendResponse {
            index,
            reject: None,
        } => format!("append accepted up to {} (term {term})", index.0),
        MessageBody::AppendResponse {
            index,
            reject: Some(hint),
        } => format!(
            "append rejected at {} (term {term}), retry below {}",
            index.0,
            entry(hint.probe)
        ),
        MessageBody::Heartbeat {
            commit,
            read_round: 0,
        } => {
            format!("heartbeat, term {term}, commit {}", entry(*commit))
        }
        MessageBody::Heartbeat { commit, read_round } => format!(
            "heartbeat, term {term}, commit {}, read round {read_round}",
            entry(*commit)
        ),
        MessageBody::HeartbeatResponse { read_round: 0 } => {
            format!("heartbeat answer (term {term})")
        }
        MessageBody::HeartbeatResponse { read_round } => {
            format!("heartbeat answer to read round {read_round} (term {term})")
        }
        MessageBody::ReadIndex { context } => {
            format!("\"confirm read {context}\" to the leader (term {term})")
        }
        MessageBody::ReadIndexResponse {
            context,
            index: Some(index),
        } => format!("read {context} may be served at {} (term {term})", index.0),
        MessageBody::ReadIndexResponse {
            context,
            index: None,
        } => format!("read {context} refused (term {term})"),
        MessageBody::StaleTerm => format!("\"your term is stale\": term {term}"),
        MessageBody::TimeoutNow => format!("\"campaign now\": the leader hands over (term {term})"),
        MessageBody::InstallSnapshot {
            meta,
            offset,
            data,
            done,
        } => format!(
            "snapshot up to {}, term {term}, bytes {offset}..{}{}",
            entry(meta.last),
            offset + data.len() as u64,
            if *done { " (last chunk)" } else { "" }
        ),
        MessageBody::SnapshotResponse { last, received } => format!(
            "snapshot up to {} received up to byte {received} (term {term})",
            entry(*last)
        ),
    }
}

fn granted_or_refused(granted: bool) -> &'static str {
    if granted { "granted" } else { "refused" }
}

/// What the checkers would call a node's visible state.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Glance {
    up: bool,
    role: Role,
    term: u64,
    commit: u64,
    last: u64,
}

fn glance(state: &State, node: NodeSlot) -> Glance {
    let host = state.world.host(node);
    match host.node().filter(|_| host.state != HostState::Down) {
        Some(raw) => Glance {
            up: true,
            role: raw.role(),
            term: raw.term().0,
            commit: raw.log().committed().0,
            last: raw.log().last_index().0,
        },
        None => Glance {
            up: false,
            role: Role::Follower,
            term: 0,
            commit: 0,
            last: 0,
        },
    }
}

/// The message `step` moves in `before`, in words, if it moves one.
pub(crate) fn moved(before: &State, step: &Step) -> Option<String> {
    let (Action::Event(Event::Deliver(id)) | Action::Drop(id) | Action::Duplicate(id)) =
        step.action(&before.world)?
    else {
        return None;
    };
    let payload = &before.world.net.packet(id)?.payload;
    payload.raft_message().map(describe_message)
}

/// The line of the story for `step`, taken in `before` and leading to `after`.
pub(crate) fn line(before: &State, step: &Step, after: &State) -> String {
    let mut text = step.scenario_line();
    if let Some(message) = moved(before, step) {
        text.push_str(&format!("  [{message}]"));
    }
    let mut changes = Vec::new();
    for node in after.world.nodes() {
        let (was, now) = (glance(before, node), glance(after, node));
        if was == now {
            continue;
        }
        let name = node.to_string();
        if was.up != now.up {
            changes.push(format!(
                "{name} {}",
                if now.up { "boots" } else { "is down" }
            ));
            if !now.up {
                continue;
            }
        }
        if was.role != now.role || was.term != now.term {
            changes.push(format!("{name} is {:?} in term {}", now.role, now.term).to_lowercase());
        }
        if was.commit != now.commit {
            changes.push(format!("{name} commits up to {}", now.commit));
        }
        if was.last != now.last {
            let verb = if now.last < was.last { "cut" } else { "grew" };
            changes.push(format!("{name}'s log {verb} to {} entries", now.last));
        }
    }
    if !changes.is_empty() {
        text.push_str(" -> ");
        text.push_str(&changes.join("; "));
    }
    text
}
