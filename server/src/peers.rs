//! The real network between servers: one TCP connection per direction and
//! peer (the sender dials; a `Hello` names it), frames of the simulator's
//! packets (see [`crate::wire`]).
//!
//! Each peer has a bounded queue drained by a task that dials, sends and
//! redials after a failure or when the peer closes the connection. A full
//! queue drops the packet, as the simulator's lossy network does: Raft
//! retransmits, and a peer that is down must not grow a sender's memory. Received frames go to the node
//! loop's bounded channel; a full channel slows the connection's reader
//! (TCP's own back-pressure), never the loop.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use sim::net::Payload;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, FramedWrite};

use crate::wire::{Frame, WIRE_VERSION, codec};

/// Packets queued for one peer at most; more are dropped.
pub const PEER_QUEUE_MAX: usize = 4096;
/// How long a dial may take, and the pause before redialing.
const DIAL_TIMEOUT: Duration = Duration::from_secs(1);
const REDIAL_PAUSE: Duration = Duration::from_millis(100);

/// What a peer connection hands the node loop.
#[derive(Debug)]
pub enum Incoming {
    /// A peer dialed us and said who it is and where it listens.
    Hello {
        /// Its raft id.
        node: u64,
        /// Its address for peers.
        raft_addr: String,
        /// Its HTTP address.
        http_addr: String,
    },
    /// A packet from peer `from`.
    Packet {
        /// The sender's raft id.
        from: u64,
        /// The content.
        payload: Payload,
    },
}

/// One peer as this node knows it.
#[derive(Debug)]
struct Peer {
    raft_addr: String,
    http_addr: Option<String>,
    queue: mpsc::Sender<Bytes>,
}

/// The peers this node sends to, by raft id.
#[derive(Debug)]
pub struct Peers {
    hello: Bytes,
    peers: BTreeMap<u64, Peer>,
}

impl Peers {
    /// Peers at `addresses` (raft id → address), to whom this node
    /// introduces itself as `me` at `raft_addr` and `http_addr`.
    #[must_use]
    pub fn new(
        me: u64,
        raft_addr: &str,
        http_addr: &str,
        addresses: &BTreeMap<u64, String>,
    ) -> Peers {
        let hello = Frame::Hello {
            version: WIRE_VERSION,
            node: me,
            raft_addr: raft_addr.to_owned(),
            http_addr: http_addr.to_owned(),
        }
        .encode();
        let mut peers = Peers {
            hello,
            peers: BTreeMap::new(),
        };
        for (&id, addr) in addresses.iter().filter(|(id, _)| **id != me) {
            peers.learn(id, addr, None);
        }
        peers
    }

    /// Records what a peer said of itself: a new peer, or one that moved,
    /// gets a new dialer.
    pub fn learn(&mut self, id: u64, raft_addr: &str, http_addr: Option<&str>) {
        if let Some(peer) = self.peers.get_mut(&id) {
            if http_addr.is_some() {
                peer.http_addr = http_addr.map(str::to_owned);
            }
            if peer.raft_addr == raft_addr {
                return;
            }
        }
        let (queue, rx) = mpsc::channel(PEER_QUEUE_MAX);
        tokio::spawn(dial(raft_addr.to_owned(), self.hello.clone(), rx));
        self.peers.insert(
            id,
            Peer {
                raft_addr: raft_addr.to_owned(),
                http_addr: http_addr.map(str::to_owned),
                queue,
            },
        );
    }

    /// Sends `payload` to peer `to`; dropped if the peer is unknown or its
    /// queue is full (Raft retransmits).
    pub fn send(&self, to: u64, payload: Payload) {
        if let Some(peer) = self.peers.get(&to) {
            let _dropped_when_full = peer.queue.try_send(Frame::Packet(payload).encode());
        }
    }

    /// Peer `id`'s HTTP address, once it said.
    #[must_use]
    pub fn http_addr(&self, id: u64) -> Option<&str> {
        self.peers.get(&id).and_then(|p| p.http_addr.as_deref())
    }

    /// Every known peer: id, raft address, HTTP address.
    pub fn known(&self) -> impl Iterator<Item = (u64, &str, Option<&str>)> {
        self.peers
            .iter()
            .map(|(id, p)| (*id, p.raft_addr.as_str(), p.http_addr.as_deref()))
    }
}

/// Keeps a connection to `addr` open and drains `queue` into it: dial,
/// say hello, send; after any failure, pause and dial again. Ends when
/// the peer is forgotten (its queue's sender dropped).
async fn dial(addr: String, hello: Bytes, mut queue: mpsc::Receiver<Bytes>) {
    loop {
        let connected = tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(&addr)).await;
        let Ok(Ok(stream)) = connected else {
            if queue.is_closed() {
                return;
            }
            tokio::time::sleep(REDIAL_PAUSE).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (mut from_peer, to_peer) = stream.into_split();
        let mut framed = FramedWrite::new(to_peer, codec());
        if framed.send(hello.clone()).await.is_err() {
            tokio::time::sleep(REDIAL_PAUSE).await;
            continue;
        }
        loop {
            // The peer never writes on this connection: a read that ends
            // means it closed (it stopped, or restarted). Redial at once,
            // even with nothing to send, so a restarted peer hears our
            // hello (and learns our addresses) without waiting for traffic.
            let mut probe = [0u8; 1];
            let frame = tokio::select! {
                frame = queue.recv() => frame,
                _closed = from_peer.read(&mut probe) => break,
            };
            let Some(frame) = frame else {
                return;
            };
            // Send what else is queued in the same write.
            let mut batch = vec![frame];
            while batch.len() < 256 {
                match queue.try_recv() {
                    Ok(frame) => batch.push(frame),
                    Err(_) => break,
                }
            }
            let mut failed = false;
            for frame in batch {
                if framed.feed(frame).await.is_err() {
                    failed = true;
                    break;
                }
            }
            if failed || SinkExt::<Bytes>::flush(&mut framed).await.is_err() {
                break;
            }
        }
        tokio::time::sleep(REDIAL_PAUSE).await;
    }
}

/// Accepts peers' connections on `listener` and hands what they send to
/// `to_loop`, each connection's frames in order.
pub async fn accept(listener: TcpListener, to_loop: mpsc::Sender<Incoming>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(REDIAL_PAUSE).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(read_peer(stream, to_loop.clone()));
    }
}

/// Reads one peer's connection: a `Hello` of this wire version first, then
/// packets. Anything else ends the connection (the peer redials).
async fn read_peer(stream: TcpStream, to_loop: mpsc::Sender<Incoming>) {
    let mut frames = FramedRead::new(stream, codec());
    let Some(Ok(first)) = frames.next().await else {
        return;
    };
    let from = match Frame::decode(&first) {
        Ok(Frame::Hello {
            version: WIRE_VERSION,
            node,
            raft_addr,
            http_addr,
        }) => {
            let hello = Incoming::Hello {
                node,
                raft_addr,
                http_addr,
            };
            if to_loop.send(hello).await.is_err() {
                return;
            }
            node
        }
        Ok(Frame::Hello { version, node, .. }) => {
            eprintln!(
                "refused node {node}'s connection: wire version {version}, this is {WIRE_VERSION}"
            );
            return;
        }
        Ok(Frame::Packet(_)) | Err(_) => return,
    };
    while let Some(Ok(bytes)) = frames.next().await {
        let Ok(Frame::Packet(payload)) = Frame::decode(&bytes) else {
            return;
        };
        if to_loop
            .send(Incoming::Packet { from, payload })
            .await
            .is_err()
        {
            return;
        }
    }
}
