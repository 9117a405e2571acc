package stats

import "time"

// rateWindow keeps the last requests (time and size) to compute packet and bandwidth
// rates over the most recent second, like the reference's 200-entry queue.
type rateWindow struct {
	times []time.Time
	sizes []int
	next  int
	n     int
}

const rateWindowLen = 200

func newRateWindow() rateWindow {
	return rateWindow{times: make([]time.Time, rateWindowLen), sizes: make([]int, rateWindowLen)}
}

func (w *rateWindow) add(t time.Time, size int) {
	w.times[w.next], w.sizes[w.next] = t, size
	w.next = (w.next + 1) % rateWindowLen
	if w.n < rateWindowLen {
		w.n++
	}
}

// rate returns packets and bytes per second over the requests of the last second before
// now; zero when there were none.
func (w *rateWindow) rate(now time.Time) (pkgs, bytes float64) {
	var oldest time.Time
	count, total := 0, 0
	for i := 0; i < w.n; i++ {
		j := (w.next - 1 - i + rateWindowLen) % rateWindowLen
		t := w.times[j]
		if now.Sub(t) > time.Second {
			break
		}
		oldest = t
		count++
		total += w.sizes[j]
	}
	if count == 0 {
		return 0, 0
	}
	span := now.Sub(oldest).Seconds()
	if span < 0.001 {
		span = 0.001 // a burst within a millisecond: avoid dividing by ~0
	}
	return float64(count) / span, float64(total) / span
}
