// Package dnstest runs a small authoritative DNS server on 127.0.0.1 for tests of SRV
// discovery: SRV and A records from a table, NXDOMAIN for every other name, over UDP
// and TCP on one port.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// SRV is one SRV record: _<service>._tcp.<domain> → target:port. Resolvers order
// records of equal priority at random: give distinct priorities for a fixed order.
type SRV struct {
	Name     string // e.g. "_etcd-server._tcp.etcd2.test."
	Target   string // e.g. "m1.etcd2.test."
	Port     uint16
	Priority uint16
}

// Server answers from its records until the test ends.
type Server struct {
	// Addr is the server's "127.0.0.1:port", for discovery.NewResolver.
	Addr string

	mu  sync.Mutex
	srv map[string][]SRV
	a   map[string][]net.IP
}

// Start serves records for the rest of t. Names are fully qualified (trailing dot).
func Start(t testing.TB, srvs []SRV, a map[string]string) *Server {
	t.Helper()
	s := &Server{srv: map[string][]SRV{}, a: map[string][]net.IP{}}
	for _, r := range srvs {
		s.srv[strings.ToLower(r.Name)] = append(s.srv[strings.ToLower(r.Name)], r)
	}
	for name, ip := range a {
		s.a[strings.ToLower(name)] = append(s.a[strings.ToLower(name)], net.ParseIP(ip))
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = pc.LocalAddr().String()
	servers := []*dns.Server{{PacketConn: pc, Handler: s}}
	// TCP on the same port, for truncated answers; best effort.
	if ln, err := net.Listen("tcp", s.Addr); err == nil {
		servers = append(servers, &dns.Server{Listener: ln, Handler: s})
	}
	for _, srv := range servers {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return s
}

// ServeDNS answers one query.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range req.Question {
		name := strings.ToLower(q.Name)
		srvs, isSRV := s.srv[name]
		ips, isA := s.a[name]
		if !isSRV && !isA {
			m.Rcode = dns.RcodeNameError
			continue
		}
		hdr := func(t uint16) dns.RR_Header {
			return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: 1}
		}
		switch q.Qtype {
		case dns.TypeSRV:
			for _, r := range srvs {
				m.Answer = append(m.Answer, &dns.SRV{Hdr: hdr(dns.TypeSRV), Priority: r.Priority, Weight: 1, Port: r.Port, Target: r.Target})
			}
		case dns.TypeA:
			for _, ip := range ips {
				if ip4 := ip.To4(); ip4 != nil {
					m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: ip4})
				}
			}
		}
		// Any other type (AAAA) of a known name: no records, no error.
	}
	w.WriteMsg(m)
}
