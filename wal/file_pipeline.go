package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"
)

var errPipelineStopped = errors.New("wal: spare segment pipeline stopped")

// filePipeline prepares the next segment in the background: a preallocated spare named
// 0.tmp or 1.tmp, so that cutting a segment only writes its first records and renames the
// spare. Two names suffice: a spare is renamed by the cut that takes it, before the cut
// after it can take the next one.
type filePipeline struct {
	lg    zerolog.Logger
	dir   string
	size  int64
	count int
	filec chan *os.File
	stopc chan struct{}
	donec chan struct{}
	err   error // why run stopped; written before donec is closed
}

// newFilePipeline starts preparing spares in dir. The caller owns the goroutine and must
// call stop.
func newFilePipeline(lg zerolog.Logger, dir string, size int64) *filePipeline {
	fp := &filePipeline{
		lg:    lg,
		dir:   dir,
		size:  size,
		filec: make(chan *os.File),
		stopc: make(chan struct{}),
		donec: make(chan struct{}),
	}
	go fp.run()
	return fp
}

// take returns the next spare, waiting for it to be ready.
func (fp *filePipeline) take() (*os.File, error) {
	select {
	case f := <-fp.filec:
		return f, nil
	case <-fp.donec:
		if fp.err != nil {
			return nil, fp.err
		}
		return nil, errPipelineStopped
	}
}

// stop ends the goroutine and removes the spare it held.
func (fp *filePipeline) stop() {
	close(fp.stopc)
	<-fp.donec
}

func (fp *filePipeline) run() {
	defer close(fp.donec)
	for {
		f, err := fp.alloc()
		if err != nil {
			fp.err = err
			return
		}
		select {
		case fp.filec <- f:
		case <-fp.stopc:
			f.Close()
			if err := os.Remove(f.Name()); err != nil {
				fp.lg.Warn().Err(err).Str("path", f.Name()).Msg("removing spare segment")
			}
			return
		}
	}
}

func (fp *filePipeline) alloc() (*os.File, error) {
	path := filepath.Join(fp.dir, fmt.Sprintf("%d%s", fp.count%2, spareSuffix))
	fp.count++
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, fileMode)
	if err != nil {
		return nil, fmt.Errorf("wal: create spare segment: %w", err)
	}
	if err := preallocate(f, fp.size); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}
