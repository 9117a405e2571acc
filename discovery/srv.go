package discovery

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Resolver is what SRV discovery asks of DNS; *net.Resolver has both methods.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// NewResolver returns the system's resolver, or, when server ("host:port") is set, Go's
// resolver with every query sent to that DNS server instead of the ones in
// /etc/resolv.conf. The hosts file is still read first, as for any lookup.
func NewResolver(server string) *net.Resolver {
	if server == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			d := net.Dialer{Timeout: 5 * time.Second}
			return d.DialContext(ctx, network, server)
		},
	}
}

// SRVCluster builds an initial cluster, "name=url,…", from the SRV records of domain
// (SPEC §7.3): _etcd-server-ssl[-<serviceName>]._tcp.<domain> targets become https peer
// URLs and _etcd-server[-<serviceName>]._tcp.<domain> ones http peer URLs. The target
// that resolves to the address and port of one of advertisePeerURLs is this member and
// gets name; the others get generated names ("0", "1", …). Without name (a proxy's
// view) every target gets a generated name and none has to be this member.
//
// The reference 3.4 takes the http records only when their lookup fails, so it cannot
// bootstrap from _etcd-server records alone; we combine both sets, as etcd 3.5 does.
func SRVCluster(ctx context.Context, r Resolver, domain, serviceName, name string, advertisePeerURLs []string) (string, error) {
	self := map[netip.AddrPort]*url.URL{}
	for _, raw := range advertisePeerURLs {
		u, err := url.Parse(raw)
		if err != nil {
			return "", err
		}
		addrs, err := resolveHostPort(ctx, r, u.Host)
		if err != nil {
			return "", err
		}
		for _, a := range addrs {
			self[a] = u
		}
	}
	suffix := ""
	if serviceName != "" {
		suffix = "-" + serviceName
	}
	q := srvQuery{r: r, domain: domain, name: name, self: self}
	foundHTTPS, errHTTPS := q.collect(ctx, "etcd-server-ssl"+suffix, "https")
	foundHTTP, errHTTP := q.collect(ctx, "etcd-server"+suffix, "http")
	if len(q.parts) == 0 {
		// The reference reports the https lookup's error; the http lookup's says more
		// when only http records exist (and all of them failed).
		if foundHTTP && !foundHTTPS || errHTTPS == nil {
			return "", errHTTP
		}
		return "", errHTTPS
	}
	if name != "" && !q.foundSelf {
		return "", fmt.Errorf("cannot find local etcd member %q in SRV records", name)
	}
	return strings.Join(q.parts, ","), nil
}

// srvQuery accumulates the entries of both lookups; generated names are numbered across
// both, so an https and an http target never share one (the reference numbers each
// lookup from 0 and would merge them into one member).
type srvQuery struct {
	r         Resolver
	domain    string
	name      string
	self      map[netip.AddrPort]*url.URL
	parts     []string
	tempName  int
	foundSelf bool
}

// collect adds the targets of one service and reports whether it has records. Targets
// that do not resolve, or that are this member under the wrong scheme, are skipped; the
// last such problem is returned when the service contributed nothing.
func (q *srvQuery) collect(ctx context.Context, service, scheme string) (bool, error) {
	before := len(q.parts)
	_, srvs, err := q.r.LookupSRV(ctx, service, "tcp", q.domain)
	if err != nil {
		return false, fmt.Errorf("error querying DNS SRV records for _%s %w", service, err)
	}
	for _, srv := range srvs {
		port := strconv.Itoa(int(srv.Port))
		addrs, rerr := resolveHostPort(ctx, q.r, net.JoinHostPort(srv.Target, port))
		if rerr != nil {
			err = rerr
			continue
		}
		var selfURL *url.URL
		if q.name != "" {
			for _, a := range addrs {
				if u, ok := q.self[a]; ok {
					selfURL = u
					break
				}
			}
		}
		// SRV targets end in a dot; URLs do not.
		host := net.JoinHostPort(strings.TrimSuffix(srv.Target, "."), port)
		if selfURL != nil && selfURL.Scheme != scheme {
			err = fmt.Errorf("bootstrap at %s from DNS for %s has scheme mismatch with expected peer %s",
				scheme+"://"+host, service, selfURL)
			continue
		}
		n := q.name
		if selfURL == nil {
			n = strconv.Itoa(q.tempName)
			q.tempName++
		} else {
			q.foundSelf = true
		}
		q.parts = append(q.parts, n+"="+scheme+"://"+host)
	}
	if len(q.parts) == before && err != nil {
		return true, fmt.Errorf("error querying DNS SRV records for _%s %w", service, err)
	}
	return true, nil
}

// resolveHostPort resolves "host:port" to every address of host with that port.
func resolveHostPort(ctx context.Context, r Resolver, hostport string) ([]netip.AddrPort, error) {
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("bad port in %q", hostport)
	}
	var ips []netip.Addr
	if ip, perr := netip.ParseAddr(host); perr == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = r.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, err
	}
	out := make([]netip.AddrPort, len(ips))
	for i, ip := range ips {
		out[i] = netip.AddrPortFrom(ip.Unmap(), uint16(port))
	}
	return out, nil
}
