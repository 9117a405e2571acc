package discovery

import (
	"net"
	"net/url"
	"strings"
)

// nodesToCluster joins the registrations' values into an initial cluster string and
// checks it as the reference does: every entry name=URL with a valid peer URL
// (ErrInvalidURL), and size distinct names (ErrDuplicateName: two members registered
// under one name). The string is returned even with an error, for the logs.
func nodesToCluster(nodes []*node, size uint64) (string, error) {
	values := make([]string, len(nodes))
	for i, n := range nodes {
		values[i] = n.Value
	}
	cluster := strings.Join(values, ",")
	names, err := clusterNames(cluster)
	if err != nil {
		return cluster, ErrInvalidURL
	}
	if uint64(len(names)) != size {
		return cluster, ErrDuplicateName
	}
	return cluster, nil
}

// clusterNames parses "name=url,…" with the reference's rules (an entry without "=" is a
// name with an empty URL, which is invalid) and returns the distinct names.
func clusterNames(s string) (map[string]bool, error) {
	names := map[string]bool{}
	for _, entry := range strings.Split(s, ",") {
		if entry == "" {
			continue
		}
		name, u, _ := strings.Cut(entry, "=")
		if err := checkPeerURL(u); err != nil {
			return nil, err
		}
		names[name] = true
	}
	return names, nil
}

// checkPeerURL applies the reference's URL rules: scheme http, https, unix or unixs, a
// host:port, no path.
func checkPeerURL(s string) error {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "http", "https", "unix", "unixs":
	default:
		return ErrInvalidURL
	}
	if _, _, err := net.SplitHostPort(u.Host); err != nil {
		return ErrInvalidURL
	}
	if u.Path != "" {
		return ErrInvalidURL
	}
	return nil
}
