package auth

import (
	"testing"

	"github.com/etcd2/etcd2/store"
)

// BenchmarkEnabled is the check every keys request makes.
func BenchmarkEnabled(b *testing.B) {
	for _, tt := range []struct{ name, value string }{{"never used", ""}, {"disabled", "false"}, {"enabled", "true"}} {
		b.Run(tt.name, func(b *testing.B) {
			st := store.New(store.WithNamespaces("/0", "/1"))
			if tt.value != "" {
				if _, err := st.Apply(&store.Command{Op: store.OpSet, Key: enabledKey, Value: tt.value}); err != nil {
					b.Fatal(err)
				}
			}
			s, err := New(Config{Proposer: &applier{st: st}, Reader: st})
			if err != nil {
				b.Fatal(err)
			}
			want := tt.value == "true"
			b.ReportAllocs()
			for b.Loop() {
				if s.Enabled() != want {
					b.Fatal("wrong answer")
				}
			}
		})
	}
}
