package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/etcd2/etcd2/members"
	"github.com/etcd2/etcd2/raft"
)

// joinExisting prepares a member started with --initial-cluster-state existing: it asks
// the listed peers for the running cluster's member list, checks that --initial-cluster
// describes exactly that cluster (as `member add` printed it), and adopts the ID the
// cluster gave this member when it was added (SPEC §8.2).
func joinExisting(ctx context.Context, hc *http.Client, ic *members.InitialCluster, name string, advertise []string) (raft.Bootstrap, error) {
	if _, _, _, err := ic.Bootstrap(name, advertise, ""); err != nil {
		return raft.Bootstrap{}, err
	}
	var lastErr error
	for _, n := range ic.Names {
		if n == name {
			continue
		}
		for _, u := range ic.URLs[n] {
			remote, cid, err := fetchMembers(ctx, hc, u)
			if err != nil {
				lastErr = err
				continue
			}
			return matchExisting(ic, name, remote, cid)
		}
	}
	if lastErr == nil {
		lastErr = errors.New("no other member listed in --initial-cluster")
	}
	return raft.Bootstrap{}, fmt.Errorf("cannot fetch cluster info from peer urls: %w", lastErr)
}

// matchExisting assigns the remote members' IDs to the local configuration.
func matchExisting(ic *members.InitialCluster, name string, remote []members.Member, cid members.ID) (raft.Bootstrap, error) {
	if len(remote) != len(ic.Names) {
		return raft.Bootstrap{}, fmt.Errorf("member count is unequal")
	}
	var self members.ID
	for _, n := range ic.Names {
		found := false
		for _, m := range remote {
			if slices.Equal(m.PeerURLs, ic.URLs[n]) {
				found = true
				if n == name {
					self = m.ID
				}
				break
			}
		}
		if !found {
			return raft.Bootstrap{}, fmt.Errorf("unmatched member while checking PeerURLs")
		}
	}
	return raft.Bootstrap{MemberID: self, ClusterID: cid, Members: remote, Existing: true}, nil
}

// fetchMembers reads GET <peerURL>/members with hc (which carries the peer TLS
// configuration).
func fetchMembers(ctx context.Context, hc *http.Client, peerURL string) ([]members.Member, members.ID, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, peerURL+"/members", nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("%s/members answered %s", peerURL, resp.Status)
	}
	cid, err := members.ParseID(resp.Header.Get("X-Etcd-Cluster-Id"))
	if err != nil {
		return nil, 0, fmt.Errorf("%s/members: %w", peerURL, err)
	}
	var pms []peerMember
	if err := json.NewDecoder(resp.Body).Decode(&pms); err != nil {
		return nil, 0, fmt.Errorf("%s/members: %w", peerURL, err)
	}
	ms := make([]members.Member, len(pms))
	for i, p := range pms {
		urls, err := members.NormalizeURLs(p.PeerURLs)
		if err != nil {
			return nil, 0, fmt.Errorf("%s/members: %w", peerURL, err)
		}
		ms[i] = members.Member{ID: members.ID(p.ID), Name: p.Name, PeerURLs: urls, ClientURLs: p.ClientURLs}
	}
	return ms, cid, nil
}
