//! Trace records written for people: the tail of a violation report, one
//! line per event.

use std::fmt;

use super::{TraceEvent, What};

/// How many blocked links a trace line lists before it only counts them.
const LINKS_SHOWN: usize = 12;

impl fmt::Display for What {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let packet =
            |f: &mut fmt::Formatter<'_>, verb: &str, from, to, msg: &str, term: &Option<u64>| {
                let term = term.map(|t| format!(" t{t}")).unwrap_or_default();
                write!(f, "{verb}{from} -> {to} {msg}{term}")
            };
        match self {
            What::Deliver {
                from,
                to,
                msg,
                term,
                ..
            } => packet(f, "", from, to, msg, term),
            What::Drop {
                from,
                to,
                msg,
                term,
                ..
            } => packet(f, "drop ", from, to, msg, term),
            What::Duplicate {
                from,
                to,
                msg,
                term,
                ..
            } => packet(f, "duplicate ", from, to, msg, term),
            What::Vanished { packet } => write!(f, "packet {packet} no longer in flight"),
            What::Tick { node } => write!(f, "tick n{node}"),
            What::Synced { node } => write!(f, "fsync done n{node}"),
            What::ClientWake { client } => write!(f, "client c{client} wakes"),
            What::Crash { node } => write!(f, "crash n{node}"),
            What::CrashKeeping {
                node,
                meta_records,
                log_records,
            } => write!(
                f,
                "crash n{node} keeping {meta_records} meta and {log_records} log records"
            ),
            What::Restart { node } => write!(f, "restart n{node}"),
            What::Pause { node } => write!(f, "pause n{node}"),
            What::Resume { node } => write!(f, "resume n{node}"),
            What::Block { links } => write_links(f, links),
            What::Heal => write!(f, "heal"),
            What::Noise {
                drop_percent,
                dup_percent,
                delay_min_ns,
                delay_max_ns,
                tail_percent,
            } => write!(
                f,
                "net drop={drop_percent}% dup={dup_percent}% delay={delay_min_ns}ns..{delay_max_ns}ns tail={tail_percent}%"
            ),
            What::Torn { on } => write!(f, "disk torn={}", on_off(*on)),
            What::Disk {
                node,
                fsync_ns,
                torn,
            } => write_disk(f, *node, *fsync_ns, *torn),
            What::Skew { node, factor } => write!(f, "skew n{node} {factor}"),
            What::Workload { on } => write!(f, "clients {}", on_off(*on)),
            What::Campaign { node } => write!(f, "campaign n{node}"),
            What::Heartbeat { node } => write!(f, "heartbeat n{node}"),
            What::CheckQuorum { node } => write!(f, "check-quorum n{node}"),
            What::TickNow { node } => write!(f, "tick n{node} (by hand)"),
            What::Compact { node } => write!(f, "compact n{node}"),
            What::Propose { node, count } => write!(f, "propose {count} on n{node}"),
            What::ClientOp { client, op, via } => {
                write!(f, "client c{client} starts `{op}` via n{via}")
            }
            What::ConfChange { node, change } => write!(f, "{change} (asked of n{node})"),
            What::TransferLeader { node, to } => {
                write!(f, "transfer-leader {to} (asked of n{node})")
            }
            What::Membership { op } => write!(f, "{op}"),
            What::AdminWake => write!(f, "the operator retries"),
            What::Send(sent) => {
                let verb = format!("send ({:?}) ", sent.fate).to_lowercase();
                packet(f, &verb, &sent.from, &sent.to, &sent.msg, &sent.term)
            }
            What::Node(n) => write!(
                f,
                "n{} {:?} {} term {} commit {} applied {}",
                n.node,
                n.process,
                n.role.as_deref().unwrap_or("-"),
                n.term,
                n.commit,
                n.applied
            ),
            What::Invoke(op) => write!(f, "client c{} invokes `{}`", op.client, op.op),
            What::Op(op) => write!(f, "client c{} `{}`: {}", op.client, op.op, op.outcome),
        }
    }
}

/// `block n1->n2 n1->n3 ...`, the first [`LINKS_SHOWN`] links.
fn write_links(f: &mut fmt::Formatter<'_>, links: &[[u64; 2]]) -> fmt::Result {
    write!(f, "block")?;
    for [from, to] in links.iter().take(LINKS_SHOWN) {
        write!(f, " n{from}->n{to}")?;
    }
    if links.len() > LINKS_SHOWN {
        write!(f, " ... ({} links)", links.len())?;
    }
    Ok(())
}

/// `disk n2 latency=1ns..5ns torn=on`, the settings that changed.
fn write_disk(
    f: &mut fmt::Formatter<'_>,
    node: u64,
    fsync_ns: Option<[u64; 2]>,
    torn: Option<bool>,
) -> fmt::Result {
    write!(f, "disk n{node}")?;
    if let Some([low, high]) = fsync_ns {
        write!(f, " latency={low}ns..{high}ns")?;
    }
    if let Some(on) = torn {
        write!(f, " torn={}", on_off(on))?;
    }
    Ok(())
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.time_ns as f64 / 1e6;
        write!(f, "{ms:>12.3}ms  {}", self.what)
    }
}
