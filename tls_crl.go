package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"sync"
)

// errCertificateRevoked is the handshake error for a certificate listed in the CRL file.
var errCertificateRevoked = errors.New("certificate revoked")

// crlChecker refuses certificates listed in a certificate revocation list file
// (--client-crl-file, --peer-crl-file). The file may hold several CRLs, PEM ("X509 CRL")
// or one DER. It is re-read when it changes, so revoking needs no restart; if it cannot
// be read or parsed any more, every certificate is refused until it can.
type crlChecker struct {
	path string

	mu      sync.Mutex
	stamp   string
	revoked map[string]bool // issuer DER + serial bytes
	err     error           // the last reload failed
}

// newCRLChecker loads path, reporting a file that is missing or does not parse.
func newCRLChecker(path string) (*crlChecker, error) {
	c := &crlChecker{path: path}
	stamp, err := fileStamp(path)
	if err != nil {
		return nil, err
	}
	if c.revoked, err = readCRLFile(path); err != nil {
		return nil, err
	}
	c.stamp = stamp
	return c, nil
}

// verify is a tls.Config.VerifyPeerCertificate check of every certificate the peer sent.
func (c *crlChecker) verify(raw [][]byte, _ [][]*x509.Certificate) error {
	revoked, err := c.current()
	if err != nil {
		return err
	}
	for _, der := range raw {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return err
		}
		if revoked[revocationKey(cert.RawIssuer, cert.SerialNumber.Bytes())] {
			return fmt.Errorf("%w: serial %x (%s)", errCertificateRevoked, cert.SerialNumber, cert.Subject)
		}
	}
	return nil
}

func (c *crlChecker) current() (map[string]bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	stamp, err := fileStamp(c.path)
	if err != nil {
		return nil, fmt.Errorf("CRL: %w", err)
	}
	if stamp != c.stamp {
		c.stamp = stamp
		c.revoked, c.err = readCRLFile(c.path)
	}
	if c.err != nil {
		return nil, fmt.Errorf("CRL: %w", c.err)
	}
	return c.revoked, nil
}

// readCRLFile returns the revoked certificates of every CRL in the file.
func readCRLFile(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ders [][]byte
	if bytes.Contains(data, []byte("-----BEGIN")) {
		for {
			var b *pem.Block
			b, data = pem.Decode(data)
			if b == nil {
				break
			}
			if b.Type == "X509 CRL" {
				ders = append(ders, b.Bytes)
			}
		}
		if len(ders) == 0 {
			return nil, fmt.Errorf("%s: no X509 CRL block found", path)
		}
	} else {
		ders = [][]byte{data}
	}
	revoked := map[string]bool{}
	for _, der := range ders {
		rl, err := x509.ParseRevocationList(der)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, e := range rl.RevokedCertificateEntries {
			revoked[revocationKey(rl.RawIssuer, e.SerialNumber.Bytes())] = true
		}
	}
	return revoked, nil
}

// revocationKey names a certificate: serial numbers are unique per issuer only.
func revocationKey(issuer, serial []byte) string {
	return string(issuer) + "\x00" + string(serial)
}
