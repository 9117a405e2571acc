package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sync"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
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
		issuer, serials, err := parseCRL(der)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, serial := range serials {
			revoked[revocationKey(issuer, serial.Bytes())] = true
		}
	}
	return revoked, nil
}

// parseCRL returns the issuer (DER) and revoked serial numbers of one CRL. Version 1
// CRLs, which `openssl ca -gencrl` writes unless told to add extensions, are read too:
// x509.ParseRevocationList accepts version 2 only.
func parseCRL(der []byte) (issuer []byte, serials []*big.Int, err error) {
	rl, err := x509.ParseRevocationList(der)
	if err == nil {
		for _, e := range rl.RevokedCertificateEntries {
			serials = append(serials, e.SerialNumber)
		}
		return rl.RawIssuer, serials, nil
	}
	if issuer, serials, ok := parseCRLv1(der); ok {
		return issuer, serials, nil
	}
	return nil, nil, err
}

// parseCRLv1 reads a CRL whose TBSCertList has no version field (RFC 5280 §5.1):
//
//	SEQUENCE { SEQUENCE { signature AlgorithmIdentifier, issuer Name, thisUpdate Time,
//	  nextUpdate Time OPTIONAL, revokedCertificates SEQUENCE OF SEQUENCE {
//	  userCertificate INTEGER, revocationDate Time, ... } OPTIONAL }, ... }
func parseCRLv1(der []byte) (issuer []byte, serials []*big.Int, ok bool) {
	input := cryptobyte.String(der)
	var crl, tbs, alg, name, revokedList cryptobyte.String
	if !input.ReadASN1(&crl, asn1.SEQUENCE) || !crl.ReadASN1(&tbs, asn1.SEQUENCE) ||
		tbs.PeekASN1Tag(asn1.INTEGER) || // a version: version 2, which failed above
		!tbs.ReadASN1(&alg, asn1.SEQUENCE) || !tbs.ReadASN1Element(&name, asn1.SEQUENCE) ||
		!skipTime(&tbs) {
		return nil, nil, false
	}
	if tbs.PeekASN1Tag(asn1.UTCTime) || tbs.PeekASN1Tag(asn1.GeneralizedTime) {
		skipTime(&tbs) // nextUpdate
	}
	if tbs.PeekASN1Tag(asn1.SEQUENCE) {
		if !tbs.ReadASN1(&revokedList, asn1.SEQUENCE) {
			return nil, nil, false
		}
		for !revokedList.Empty() {
			var entry cryptobyte.String
			serial := new(big.Int)
			if !revokedList.ReadASN1(&entry, asn1.SEQUENCE) || !entry.ReadASN1Integer(serial) {
				return nil, nil, false
			}
			serials = append(serials, serial)
		}
	}
	return name, serials, true
}

// skipTime reads one UTCTime or GeneralizedTime.
func skipTime(s *cryptobyte.String) bool {
	var tag asn1.Tag
	var t cryptobyte.String
	return s.ReadAnyASN1(&t, &tag) && (tag == asn1.UTCTime || tag == asn1.GeneralizedTime)
}

// revocationKey names a certificate: serial numbers are unique per issuer only.
func revocationKey(issuer, serial []byte) string {
	return string(issuer) + "\x00" + string(serial)
}
