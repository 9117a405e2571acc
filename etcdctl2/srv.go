package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// srvLookup resolves SRV records, as net.Resolver.LookupSRV does.
type srvLookup func(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)

// discoverSRV finds client endpoints of domain from DNS SRV records: https ones from
// _etcd-client-ssl._tcp.<domain> and http ones from _etcd-client._tcp.<domain> (with
// "-<serviceName>" appended to the service when set). It fails only when both lookups
// fail. Targets keep their trailing dot, as in the reference.
func discoverSRV(ctx context.Context, lookup srvLookup, domain, serviceName string) ([]string, error) {
	var eps []string
	query := func(service, scheme string) error {
		_, addrs, err := lookup(ctx, service, "tcp", domain)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			u := url.URL{Scheme: scheme, Host: net.JoinHostPort(a.Target, strconv.Itoa(int(a.Port)))}
			eps = append(eps, u.String())
		}
		return nil
	}
	errHTTPS := query(srvService("etcd-client-ssl", serviceName), "https")
	errHTTP := query(srvService("etcd-client", serviceName), "http")
	if errHTTPS != nil && errHTTP != nil {
		return nil, fmt.Errorf("dns lookup errors: %s and %s", errHTTPS, errHTTP)
	}
	return eps, nil
}

func srvService(service, name string) string {
	if name != "" {
		return service + "-" + name
	}
	return service
}
