// Package transport carries raft messages between the members of a cluster over HTTP on
// their peer listeners.
//
// Protocol (ours; members only ever talk to members of the same build):
//
//   - Stream. Member B receives messages from member A over one long-lived request that B
//     opens: GET <A's peer URL>/raft/stream/<B's ID in hex>. A answers 200 and then writes
//     frames into the response, flushing after each batch, for as long as the request
//     lives. A frame is an 8-byte big-endian length followed by a marshalled
//     raftpb.Message; a zero length is a keep-alive sent when nothing else was written for
//     a second, so B can tell a quiet stream from a dead one. B reconnects with capped
//     exponential backoff whenever the request ends.
//   - Pipeline. While no stream from A to B is up, A posts batches of the same frames:
//     POST <B's peer URL>/raft/message, answered 204.
//   - Snapshot. MsgSnap goes alone: POST <B's peer URL>/raft/snapshot with body
//     [8-byte length][message with Snapshot.Data removed][8-byte data length][data]. The
//     data is written straight from the message's slice and read into one buffer of
//     exactly its size, so a snapshot is never held twice on either side.
//
// Every request carries X-Etcd-Cluster-Id and X-Raft-From (hex IDs). A request from
// another cluster gets 412 and a Warn log; one from a removed member gets 410.
package transport
