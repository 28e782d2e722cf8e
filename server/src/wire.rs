//! What travels between servers: length-prefixed frames (tokio-util's
//! `LengthDelimitedCodec`) of bincode, the encoding the simulator's disk
//! already uses. A connection carries one direction only (the sender
//! dials, as etcd's rafthttp streams do): a `Hello` first, then packets.
//!
//! The packets are the simulator's own [`Payload`]s, so a node speaks to
//! its peers in production exactly what it says in the simulator: Raft
//! messages, and the client requests and replies a server forwards to the
//! leader on a client's behalf.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sim::net::Payload;
use tokio_util::codec::LengthDelimitedCodec;

/// The largest frame accepted: an append carries at most
/// `max_size_per_msg_bytes` (1 MiB) of entries and a snapshot chunk 64 KiB,
/// so 64 MiB is a corrupt or hostile length, refused before it is read.
pub const FRAME_BYTES_MAX: usize = 64 << 20;

/// The version of this frame format, checked in every `Hello`.
pub const WIRE_VERSION: u32 = 1;

/// One frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// The first frame on a connection: who dials, and where its peers and
    /// clients reach it (so a node added later is reached without being
    /// named on anyone's command line).
    Hello {
        /// The frame format's version: a peer of another version is refused.
        version: u32,
        /// The sender's raft id.
        node: u64,
        /// Its address for peers.
        raft_addr: String,
        /// Its HTTP address.
        http_addr: String,
    },
    /// A packet from the sender: a Raft message, or a client's request or
    /// reply forwarded (both name their client session).
    Packet(Payload),
}

/// The codec both ends use.
#[must_use]
pub fn codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .max_frame_length(FRAME_BYTES_MAX)
        .new_codec()
}

impl Frame {
    /// The frame's bytes.
    #[must_use]
    pub fn encode(&self) -> Bytes {
        bincode::serde::encode_to_vec(self, bincode::config::standard())
            .expect("frames always encode")
            .into()
    }

    /// The frame in `bytes`.
    ///
    /// # Errors
    /// The bytes are not one whole frame of this format.
    pub fn decode(bytes: &[u8]) -> Result<Frame, String> {
        let config = bincode::config::standard().with_limit::<FRAME_BYTES_MAX>();
        match bincode::serde::decode_from_slice(bytes, config) {
            Ok((frame, used)) if used == bytes.len() => Ok(frame),
            Ok((_, used)) => Err(format!(
                "a frame of {} bytes holds {} bytes of trailing garbage",
                bytes.len(),
                bytes.len() - used
            )),
            Err(err) => Err(format!("not a frame: {err}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft_core::{Message, MessageBody, NodeId, Term};

    #[test]
    fn frames_round_trip_and_garbage_is_refused() {
        let frame = Frame::Packet(Payload::Raft(Message {
            from: NodeId(1),
            to: NodeId(2),
            term: Term(3),
            body: MessageBody::Heartbeat {
                commit: raft_core::EntryId {
                    index: raft_core::LogIndex(4),
                    term: Term(3),
                },
                read_round: 0,
            },
        }));
        let bytes = frame.encode();
        assert_eq!(Frame::decode(&bytes), Ok(frame));
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(Frame::decode(&longer).unwrap_err().contains("trailing"));
        assert!(Frame::decode(&[0xff; 3]).is_err());
        assert!(Frame::decode(&[]).is_err());
    }

    #[test]
    fn the_codec_carries_frames_up_to_its_bound_and_no_larger() {
        use tokio_util::codec::{Decoder, Encoder};
        // Larger than the codec's default bound (8 MiB): a snapshot chunk
        // may be.
        let big = Bytes::from(vec![7u8; 9 << 20]);
        let mut buffer = bytes::BytesMut::new();
        codec().encode(big.clone(), &mut buffer).expect("encodes");
        let decoded = codec().decode(&mut buffer).expect("decodes");
        assert_eq!(decoded.map(bytes::BytesMut::freeze), Some(big));
        let too_big = Bytes::from(vec![0u8; FRAME_BYTES_MAX + 1]);
        assert!(codec().encode(too_big, &mut buffer).is_err());
    }
}
