package main

import (
	"math"
	"math/bits"
	"time"
)

// The histogram is log-linear, like HdrHistogram with two significant binary digits more:
// values below 2^subBits nanoseconds have a bucket each, and every larger power-of-two
// range is cut into 2^subBits equal buckets. A bucket's width is then at most 1/128 of its
// lower bound, so a percentile read back as the bucket's midpoint is within 1/256 of a
// sample that fell into it, whatever the scale, in a fixed 58 KiB per histogram.
const (
	subBits    = 7
	subBuckets = 1 << subBits
	// numBuckets covers every non-negative int64: exponents subBits..62 after the exact range.
	numBuckets = subBuckets + (63-subBits)*subBuckets
)

// histogram records durations and answers percentile queries. The zero value is not
// usable; call newHistogram. It is not safe for concurrent use: each client records into
// its own and the runner merges them.
type histogram struct {
	counts []uint64
	total  uint64
	min    int64
	max    int64
	sum    float64
}

func newHistogram() *histogram {
	return &histogram{counts: make([]uint64, numBuckets), min: math.MaxInt64}
}

// bucketOf maps a non-negative value to its bucket index.
func bucketOf(v int64) int {
	if v < subBuckets {
		return int(v)
	}
	exp := bits.Len64(uint64(v)) - 1 // v >= 2^exp, exp >= subBits
	shift := exp - subBits
	sub := int(v>>shift) - subBuckets
	return subBuckets + (exp-subBits)*subBuckets + sub
}

// bucketBounds returns the lowest value of bucket i and its width.
func bucketBounds(i int) (lo, width int64) {
	if i < subBuckets {
		return int64(i), 1
	}
	exp := (i-subBuckets)/subBuckets + subBits
	sub := int64((i - subBuckets) % subBuckets)
	shift := exp - subBits
	return (subBuckets + sub) << shift, 1 << shift
}

// Record adds one sample; negative durations count as zero.
func (h *histogram) Record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketOf(v)]++
	h.total++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// Merge adds every sample of o to h.
func (h *histogram) Merge(o *histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count returns the number of samples.
func (h *histogram) Count() uint64 { return h.total }

// Max returns the largest sample exactly (0 when empty).
func (h *histogram) Max() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.max)
}

// Mean returns the arithmetic mean of the samples (0 when empty).
func (h *histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.total))
}

// Percentile returns the nearest-rank q-th percentile (0 < q <= 100): the smallest sample
// with at least q% of the samples at or below it, to the histogram's precision. An empty
// histogram answers 0.
func (h *histogram) Percentile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q / 100 * float64(h.total)))
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen < rank {
			continue
		}
		lo, width := bucketBounds(i)
		mid := lo + (width-1)/2
		// The exact extremes are known; never report past them.
		return time.Duration(min(max(mid, h.min), h.max))
	}
	return time.Duration(h.max)
}
