package members

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrBootstrap wraps every reason the initial cluster flags cannot work. Messages after
// the prefix are the reference's.
var ErrBootstrap = errors.New("members: bad initial cluster")

// InitialCluster is a parsed --initial-cluster: names in first-appearance order, each with
// its normalized, sorted peer URLs. A name may appear several times (multi-URL members).
type InitialCluster struct {
	Names []string
	URLs  map[string][]string
	raw   string
}

// ParseInitialCluster parses "name=url,name=url,…".
func ParseInitialCluster(s string) (*InitialCluster, error) {
	ic := &InitialCluster{URLs: map[string][]string{}, raw: s}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, u, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%w: error setting up initial cluster: %q is not of the form name=url", ErrBootstrap, part)
		}
		if _, seen := ic.URLs[name]; !seen {
			ic.Names = append(ic.Names, name)
		}
		ic.URLs[name] = append(ic.URLs[name], u)
	}
	if len(ic.Names) == 0 {
		return nil, fmt.Errorf("%w: error setting up initial cluster: empty --initial-cluster", ErrBootstrap)
	}
	seen := map[string]bool{}
	for _, name := range ic.Names {
		urls, err := NormalizeURLs(ic.URLs[name])
		if err != nil {
			return nil, fmt.Errorf("%w: error setting up initial cluster: %v", ErrBootstrap, err)
		}
		for _, u := range urls {
			if seen[u] {
				return nil, fmt.Errorf("%w: initial cluster %s has duplicate url", ErrBootstrap, s)
			}
			seen[u] = true
		}
		ic.URLs[name] = urls
	}
	return ic, nil
}

// Bootstrap computes the members of a new cluster and this member's place in it after
// the checks of SPEC §8.2: name listed, advertised peer URLs equal to the listed ones.
func (ic *InitialCluster) Bootstrap(name string, advertisePeerURLs []string, token string) (self ID, clusterID ID, ms []Member, err error) {
	listed, ok := ic.URLs[name]
	if !ok {
		return 0, 0, nil, fmt.Errorf("%w: couldn't find local name %q in the initial cluster configuration", ErrBootstrap, name)
	}
	adv, err := NormalizeURLs(advertisePeerURLs)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("%w: %v", ErrBootstrap, err)
	}
	if !slices.Equal(adv, listed) {
		return 0, 0, nil, fmt.Errorf("%w: --initial-cluster has %s=%s but missing from --initial-advertise-peer-urls=%s (resolved urls: %q != %q)",
			ErrBootstrap, name, strings.Join(listed, ","), strings.Join(advertisePeerURLs, ","),
			strings.Join(adv, ","), strings.Join(listed, ","))
	}
	ids := make([]ID, 0, len(ic.Names))
	for _, n := range ic.Names {
		m := Member{ID: MemberID(ic.URLs[n], token, nil), Name: n, PeerURLs: ic.URLs[n]}
		ms = append(ms, m)
		ids = append(ids, m.ID)
		if n == name {
			self = m.ID
		}
	}
	slices.SortFunc(ms, func(a, b Member) int { return compareID(a.ID, b.ID) })
	return self, ClusterID(ids), ms, nil
}

func compareID(a, b ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
