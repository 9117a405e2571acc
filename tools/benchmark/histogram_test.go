package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketBoundsContainValue(t *testing.T) {
	values := []int64{0, 1, 127, 128, 129, 255, 256, 257, 1000, 4095, 4096, 1e6, 1e9, 1<<62 + 12345, 1<<63 - 1}
	for _, v := range values {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, want in [0,%d)", v, i, numBuckets)
		}
		lo, width := bucketBounds(i)
		if v < lo || v-lo >= width {
			t.Errorf("bucketOf(%d) = %d with bounds [%d, %d+%d), want value inside", v, i, lo, lo, width)
		}
		if v >= subBuckets && float64(width) > float64(lo)/subBuckets {
			t.Errorf("bucket %d width %d, want at most lo/%d = %d", i, width, subBuckets, lo/subBuckets)
		}
	}
}

func TestBucketsAreContiguous(t *testing.T) {
	var next int64
	for i := range numBuckets {
		lo, width := bucketBounds(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, lo, next)
		}
		next = lo + width
	}
}

// exactPercentile is the nearest-rank percentile of a sorted slice.
func exactPercentile(sorted []int64, q float64) int64 {
	rank := int(float64(len(sorted))*q/100 + 0.999999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func TestPercentileSmallExact(t *testing.T) {
	tests := []struct {
		name    string
		samples []int64
		q       float64
		want    time.Duration
	}{
		{name: "empty", samples: nil, q: 50, want: 0},
		{name: "one", samples: []int64{42}, q: 99, want: 42},
		{name: "median of four", samples: []int64{4, 1, 3, 2}, q: 50, want: 2},
		{name: "p90 of ten", samples: []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, q: 90, want: 9},
		{name: "p99 of ten", samples: []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, q: 99, want: 10},
		{name: "p100 is max", samples: []int64{5, 100, 7}, q: 100, want: 100},
		{name: "negative counts as zero", samples: []int64{-5, 3}, q: 50, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHistogram()
			for _, s := range tt.samples {
				h.Record(time.Duration(s))
			}
			if got := h.Percentile(tt.q); got != tt.want {
				t.Errorf("Percentile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestPercentileWithinPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := []struct {
		name string
		gen  func() int64
	}{
		{name: "uniform µs", gen: func() int64 { return rng.Int64N(1_000_000) }},
		{name: "exponential ms", gen: func() int64 { return int64(rng.ExpFloat64() * 2e6) }},
		{name: "bimodal", gen: func() int64 {
			if rng.IntN(10) == 0 {
				return 50e6 + rng.Int64N(1e6)
			}
			return 200e3 + rng.Int64N(50e3)
		}},
		{name: "tiny", gen: func() int64 { return rng.Int64N(300) }},
	}
	for _, d := range dists {
		t.Run(d.name, func(t *testing.T) {
			h := newHistogram()
			samples := make([]int64, 20000)
			for i := range samples {
				samples[i] = d.gen()
				h.Record(time.Duration(samples[i]))
			}
			slices.Sort(samples)
			for _, q := range []float64{1, 50, 90, 99, 99.9, 100} {
				want := exactPercentile(samples, q)
				got := int64(h.Percentile(q))
				diff := got - want
				if diff < 0 {
					diff = -diff
				}
				if float64(diff) > float64(want)/subBuckets+1 {
					t.Errorf("Percentile(%v) = %d, want %d within 1/%d", q, got, want, subBuckets)
				}
			}
			if got, want := int64(h.Max()), samples[len(samples)-1]; got != want {
				t.Errorf("Max() = %d, want %d", got, want)
			}
			if got := h.Count(); got != uint64(len(samples)) {
				t.Errorf("Count() = %d, want %d", got, len(samples))
			}
		})
	}
}

func TestMergeEqualsRecordingAll(t *testing.T) {
	a, b, all := newHistogram(), newHistogram(), newHistogram()
	for i := range 1000 {
		d := time.Duration(i*i) * time.Microsecond
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
		all.Record(d)
	}
	a.Merge(b)
	a.Merge(newHistogram())
	for _, q := range []float64{50, 90, 99} {
		if got, want := a.Percentile(q), all.Percentile(q); got != want {
			t.Errorf("merged Percentile(%v) = %v, want %v", q, got, want)
		}
	}
	if a.Count() != all.Count() || a.Max() != all.Max() || a.Mean() != all.Mean() {
		t.Errorf("merged count/max/mean = %d/%v/%v, want %d/%v/%v",
			a.Count(), a.Max(), a.Mean(), all.Count(), all.Max(), all.Mean())
	}
}
