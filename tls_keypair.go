package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
)

// keyPairFiles serves a certificate and key from files and reloads them when either file
// changes, so a renewed certificate is used without a restart. A reload that fails (a
// half-written file) keeps the previous pair; the files are loaded once successfully at
// start.
type keyPairFiles struct {
	certFile, keyFile string

	mu    sync.Mutex
	stamp string // sizes and modification times the pair was loaded from
	pair  *tls.Certificate
}

// loadKeyPairFiles loads the pair once, reporting any problem.
func loadKeyPairFiles(certFile, keyFile string) (*keyPairFiles, error) {
	k := &keyPairFiles{certFile: certFile, keyFile: keyFile}
	stamp, err := fileStamp(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load key pair (%s, %s): %w", certFile, keyFile, err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load key pair (%s, %s): %w", certFile, keyFile, err)
	}
	k.stamp, k.pair = stamp, &pair
	return k, nil
}

// current returns the pair, reloading it first if the files changed.
func (k *keyPairFiles) current() *tls.Certificate {
	k.mu.Lock()
	defer k.mu.Unlock()
	stamp, err := fileStamp(k.certFile, k.keyFile)
	if err == nil && stamp != k.stamp {
		if pair, err := tls.LoadX509KeyPair(k.certFile, k.keyFile); err == nil {
			k.stamp, k.pair = stamp, &pair
		}
	}
	return k.pair
}

func (k *keyPairFiles) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return k.current(), nil
}

func (k *keyPairFiles) getClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return k.current(), nil
}

// fileStamp identifies the current content of files by size and modification time.
func fileStamp(paths ...string) (string, error) {
	var s string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		s += fmt.Sprintf("%d/%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return s, nil
}
