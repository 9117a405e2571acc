package members

import (
	"encoding/json"
	"path"

	"github.com/etcd2/etcd2/store"
)

// Store layout of membership records (the reference's, SPEC §2.10):
//
//	/0/members/<id>/raftAttributes   {"peerURLs":[…]}             written by a committed conf change
//	/0/members/<id>/attributes       {"name":…,"clientURLs":[…]}  published by the member after start
//	/0/removed_members/<id>          ""                           a removed member, never to return
//	/0/version                       "3.4.0"                      the cluster version, set by the leader
const (
	Prefix        = "/0"
	membersDir    = Prefix + "/members"
	removedDir    = Prefix + "/removed_members"
	versionKey    = Prefix + "/version"
	raftAttrsName = "raftAttributes"
	attrsName     = "attributes"
)

type raftAttributes struct {
	PeerURLs []string `json:"peerURLs"`
}

type attributes struct {
	Name       string   `json:"name,omitempty"`
	ClientURLs []string `json:"clientURLs,omitempty"`
}

func memberKey(id ID) string { return path.Join(membersDir, id.String()) }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings always marshal
	}
	return string(b)
}

// AddCommands records a member added by a committed conf change.
func AddCommands(m Member) []*store.Command {
	return []*store.Command{{
		Op:    store.OpCreate,
		Key:   path.Join(memberKey(m.ID), raftAttrsName),
		Value: mustJSON(raftAttributes{PeerURLs: m.PeerURLs}),
	}}
}

// RemoveCommands removes a member's records and marks its ID as removed for good.
func RemoveCommands(id ID) []*store.Command {
	return []*store.Command{
		{Op: store.OpDelete, Key: memberKey(id), Dir: true, Recursive: true},
		{Op: store.OpCreate, Key: path.Join(removedDir, id.String())},
	}
}

// UpdateCommands replaces a member's peer URLs.
func UpdateCommands(m Member) []*store.Command {
	return []*store.Command{{
		Op:    store.OpUpdate,
		Key:   path.Join(memberKey(m.ID), raftAttrsName),
		Value: mustJSON(raftAttributes{PeerURLs: m.PeerURLs}),
	}}
}

// AttributesCommand publishes a member's name and client URLs (a set, proposed by the
// member itself after every start).
func AttributesCommand(id ID, name string, clientURLs []string) *store.Command {
	return &store.Command{
		Op:    store.OpSet,
		Key:   path.Join(memberKey(id), attrsName),
		Value: mustJSON(attributes{Name: name, ClientURLs: clientURLs}),
	}
}

// VersionCommand records the cluster version.
func VersionCommand(v string) *store.Command {
	return &store.Command{Op: store.OpSet, Key: versionKey, Value: v}
}
