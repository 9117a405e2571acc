package proxy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// clusterFile is the content of <data-dir>/proxy/cluster, the reference's format: the
// peer URLs the proxy last learned, so that a restarted proxy finds the cluster again
// without its original flags.
type clusterFile struct {
	PeerURLs []string
}

// ReadClusterFile returns the peer URLs saved in path. A missing file is an error that
// satisfies errors.Is(err, fs.ErrNotExist).
func ReadClusterFile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cf clusterFile
	if err := json.Unmarshal(b, &cf); err != nil {
		return nil, fmt.Errorf("proxy: cluster file %s: %w", path, err)
	}
	return cf.PeerURLs, nil
}

// WriteClusterFile saves peerURLs to path atomically: a temporary file, fsync, rename,
// fsync of the directory. A crash leaves the old file or the new one, never a torn one.
func WriteClusterFile(path string, peerURLs []string) error {
	if peerURLs == nil {
		peerURLs = []string{}
	}
	b, err := json.Marshal(clusterFile{PeerURLs: peerURLs})
	if err != nil {
		return err
	}
	tmp := path + ".bak"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
