package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkDecode decodes data with decodeSnapState and with json.Unmarshal (the decoder
// Recover used before) and fails unless they agree on accept/reject and, when both accept,
// on the result. It reports whether the hand decoder decided alone (no fallback).
func checkDecode(t testing.TB, data []byte) (fast bool) {
	t.Helper()
	var want snapState
	wantErr := json.Unmarshal(data, &want)
	fastState, fast := decodeSnapFast(data)
	if fast {
		if wantErr != nil {
			t.Fatalf("hand decoder accepted what encoding/json rejects (%v):\n%q", wantErr, data)
		}
		if !reflect.DeepEqual(fastState, want) {
			t.Fatalf("hand decoder result differs from encoding/json for\n%q\n got %+v\nwant %+v", data, fastState, want)
		}
	}
	got, err := decodeSnapState(data)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("decodeSnapState error %v, encoding/json error %v, for\n%q", err, wantErr, data)
	case err != nil && !errors.Is(err, ErrBadSnapshot):
		t.Fatalf("error %v does not wrap ErrBadSnapshot", err)
	case err == nil && !reflect.DeepEqual(got, want):
		t.Fatalf("decodeSnapState result differs from encoding/json for\n%q\n got %+v\nwant %+v", data, got, want)
	}
	return fast
}

func TestSnapDecodeTable(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "snapshot.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	const (
		fast     = "fast"     // the hand decoder decides and accepts
		fallback = "fallback" // encoding/json decides and accepts
		reject   = "reject"   // rejected (by whichever decoder)
	)
	node := func(fields string) string { return `{"version":1,"index":9,"nodes":[` + fields + `]}` }
	tests := []struct {
		name, data, want string
	}{
		{"golden", string(golden), fast},
		{"minimal", `{"version":1,"index":0,"nodes":[{"key":"/","dir":true}]}`, fast},
		{"empty object", `{}`, fast},
		{"whitespace everywhere", " \t\r\n{ \"version\" :\n1 , \"nodes\"\t: [ { \"key\" : \"/\" , \"dir\" : true } ,\r{\"key\":\"/a\"} ] , \"history\" : [ ] } \n", fast},
		{"fields in any order", node(`{"created":3,"modified":4,"value":"v","key":"/a","ttl":-5,"expire":6,"hasValue":true,"dir":false}`), fast},
		{"top-level keys in any order", `{"history":[],"nodes":[{"key":"/"}],"stats":{"setsSuccess":2},"index":3,"version":1}`, fast},
		{"unknown keys skipped", `{"x":{"a":[1,-2.5e+3,true,false,null,"s\"",{}],"b":{}},"nodes":[{"key":"/","y":[[]],"z":"\u00e9"}],"version":1,"w":-0.0E-0}`, fast},
		{"null fields leave zero", node(`{"key":null,"value":null,"dir":null,"expire":null,"ttl":null,"hasValue":null,"modified":null,"created":null}`), fast},
		{"null after a value keeps it", node(`{"key":"/a","key":null,"dir":true,"dir":null,"created":5,"created":null}`), fast},
		{"duplicate fields: last wins", node(`{"key":"/a","key":"/b","dir":true,"dir":false,"ttl":1,"ttl":2}`), fast},
		{"null node element", node(`null,{"key":"/"},null`), fast},
		{"nodes null", `{"version":1,"nodes":null}`, fast},
		{"nodes empty", `{"version":1,"nodes":[]}`, fast},
		{"escapes", node(`{"key":"\"\\\/\b\f\n\r\t\u00e9\u2028\ud83d\ude00\u0000x"}`), fast},
		{"lone high surrogate", node(`{"key":"a\ud800b"}`), fast},
		{"lone low surrogate", node(`{"key":"a\udc00"}`), fast},
		{"high surrogate then letter escape", node(`{"key":"\ud800\u0041"}`), fast},
		{"two high surrogates", node(`{"key":"\ud800\ud800\udc00"}`), fast},
		{"surrogate at the end", node(`{"key":"\ud83d"}`), fast},
		{"invalid UTF-8 bytes", node("{\"key\":\"a\xffb\xc3\",\"value\":\"\xed\xa0\x80 \xf4\x90\x80\x80\"}"), fast},
		{"invalid UTF-8 after escape", node("{\"key\":\"\\n\xff\xfe long enough to use whole words \xe2\x82\"}"), fast},
		{"literal U+FFFD", node(`{"key":"` + "\ufffd" + `"}`), fast},
		{"unicode", node(`{"key":"/日本/😀/é","value":"` + strings.Repeat("ü", 40) + `"}`), fast},
		{"DEL byte", node("{\"key\":\"\x7f\"}"), fast},
		{"int64 extremes", node(`{"expire":9223372036854775807,"ttl":-9223372036854775808}`), fast},
		{"uint64 max", node(`{"modified":18446744073709551615,"created":0}`), fast},
		{"minus zero", node(`{"expire":-0}`), fast},
		{"int64 overflow", node(`{"expire":9223372036854775808}`), reject},
		{"int64 underflow", node(`{"ttl":-9223372036854775809}`), reject},
		{"uint64 overflow", node(`{"modified":18446744073709551616}`), reject},
		{"negative uint", node(`{"created":-1}`), reject},
		{"fraction", node(`{"created":1.0}`), reject},
		{"exponent", node(`{"created":1e3}`), reject},
		{"leading zero", node(`{"created":01}`), reject},
		{"plus sign", node(`{"created":+1}`), reject},
		{"bare minus", node(`{"expire":-}`), reject},
		{"string for number", node(`{"created":"1"}`), reject},
		{"number for string", node(`{"key":1}`), reject},
		{"string for bool", node(`{"dir":"true"}`), reject},
		{"object for string", node(`{"key":{}}`), reject},
		{"array node", node(`[]`), reject},
		{"number node", node(`1`), reject},
		{"nodes object", `{"version":1,"nodes":{}}`, reject},
		{"nodes string", `{"version":1,"nodes":"x"}`, reject},
		{"index string", `{"version":1,"index":"1","nodes":[]}`, reject},
		{"version float", `{"version":1.5,"nodes":[]}`, reject},
		{"stats wrong type", `{"stats":[]}`, reject},
		{"history wrong type", `{"history":{}}`, reject},
		{"bad history event", `{"history":[{"node":"x"}]}`, reject},
		{"trailing garbage", `{"version":1}x`, reject},
		{"two documents", `{} {}`, reject},
		{"trailing comma in object", `{"version":1,}`, reject},
		{"trailing comma in nodes", node(`{"key":"/"},`), reject},
		{"trailing comma in node", node(`{"key":"/",}`), reject},
		{"trailing comma in skipped value", `{"x":[1,]}`, reject},
		{"missing colon", `{"version" 1}`, reject},
		{"missing comma", node(`{"key":"/" "dir":true}`), reject},
		{"single quotes", `{'version':1}`, reject},
		{"raw control character", node("{\"key\":\"a\x01\"}"), reject},
		{"raw newline in skipped string", "{\"x\":\"a\nb\"}", reject},
		{"escaped apostrophe", node(`{"key":"\'"}`), reject},
		{"unknown escape", node(`{"key":"\x41"}`), reject},
		{"short unicode escape", node(`{"key":"\u12"}`), reject},
		{"bad hex in unicode escape", node(`{"key":"\u12g4"}`), reject},
		{"bad second half of a pair", node(`{"key":"\ud800\u12g4"}`), reject},
		{"unterminated string", node(`{"key":"abc`), reject},
		{"truthy literal", node(`{"dir":tru}`), reject},
		{"literal with tail", node(`{"dir":truex}`), reject},
		{"null with tail", node(`{"key":nullx}`), reject},
		{"NaN", `{"x":NaN}`, reject},
		{"byte order mark", "\xef\xbb\xbf{}", reject},
		{"empty", ``, reject},
		{"only space", ` `, reject},
		{"top-level array", `[]`, reject},
		{"top-level string", `"x"`, reject},
		{"top-level null", `null`, fallback},
		{"capitalised top-level key", `{"Nodes":[{"key":"/"}],"VERSION":1}`, fallback},
		{"capitalised node key", node(`{"KEY":"/","Dir":true,"hasvalue":true}`), fallback},
		{"escaped key name", `{"nod\u0065s":[{"key":"/"}]}`, fallback},
		{"non-ASCII key name", `{"nodeſ":[]}`, fallback},
		{"Kelvin sign key name", node(`{"` + "\u212aey" + `":"/"}`), fallback},
		{"duplicate nodes", `{"nodes":[{"key":"/a","dir":true},{"key":"/b"}],"nodes":[{"key":"/c"}]}`, fallback},
		{"duplicate nodes with null", `{"nodes":[{"key":"/a"}],"nodes":null}`, fallback},
		{"duplicate history reuses elements", `{"history":[{"action":"set","refresh":true}],"history":[{"action":"get"}]}`, fast},
		{"duplicate stats merge", `{"stats":{"setsSuccess":1},"stats":{"setsFail":2}}`, fast},
		{"duplicate version", `{"version":2,"version":1}`, fast},
		{"version null", `{"version":1,"version":null}`, fast},
		{"deep unknown value", `{"x":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`, fallback},
		{"too deep for encoding/json", `{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, reject},
		// 10001 levels in the document, but only 9999 in the history value on its own.
		{"deep history", `{"history":[{"x":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}]}`, reject},
		{"deep history within the limit", `{"history":[{"x":` + strings.Repeat("[", 9997) + strings.Repeat("]", 9997) + `}]}`, fallback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.data)
			gotFast := checkDecode(t, data)
			_, err := decodeSnapState(data)
			var got string
			switch {
			case err != nil:
				got = reject
			case gotFast:
				got = fast
			default:
				got = fallback
			}
			if got != tt.want {
				t.Errorf("decoded by %s, want %s (err %v)", got, tt.want, err)
			}
		})
	}
}

// Every prefix of a snapshot, and every single-byte change of it, is decoded as
// encoding/json decodes it.
func TestSnapDecodeTruncatedAndMutated(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "snapshot.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(golden) {
		checkDecode(t, golden[:i])
	}
	r := rand.New(rand.NewPCG(1, 2))
	special := []byte("\"\\{}[],: \t\n0123456789-+.eEtrufalsn\x00\x1f\x7f\xff\xc3ux")
	for range 20000 {
		data := bytes.Clone(golden)
		for range 1 + r.IntN(3) {
			i := r.IntN(len(data))
			c := special[r.IntN(len(special))]
			switch r.IntN(3) {
			case 0:
				data[i] = c
			case 1:
				data = append(data[:i], data[i+1:]...)
			default:
				data = append(data[:i], append([]byte{c}, data[i:]...)...)
			}
		}
		checkDecode(t, data)
	}
}

// snapAlphabet is what random key segments and values are made of: escapes, quotes,
// control characters, HTML characters, line separators, non-ASCII and invalid UTF-8.
var snapAlphabet = []string{"a", "b", "_", "é", "日本", "😀", "\"", "\\", "/", "\x01", "\x1f", "\n",
	"\t", "<&>", "\u2028", "\u2029", "\ufffd", "\xff", "\xed\xa0\x80", "\x00", " ", "\x7f", "{\"j\":1}"}

func randomSnapText(r *rand.Rand, maxParts int) string {
	var b strings.Builder
	for range r.IntN(maxParts + 1) {
		b.WriteString(snapAlphabet[r.IntN(len(snapAlphabet))])
	}
	return b.String()
}

// randomSnapStore applies random commands to a store with a random history size:
// files and directories at random depth, hidden keys, empty values, TTLs, refreshes,
// updates, deletes and expiry sweeps.
func randomSnapStore(t testing.TB, r *rand.Rand) *Store {
	s, clk := newTestStore(WithHistorySize(1 + r.IntN(40)))
	var keys []string
	for range r.IntN(120) {
		var key string
		if len(keys) > 0 && r.IntN(3) == 0 {
			key = keys[r.IntN(len(keys))]
		} else {
			key = "/1"
			for range 1 + r.IntN(3) {
				seg := randomSnapText(r, 4)
				if r.IntN(5) == 0 {
					seg = "_" + seg
				}
				key += "/" + seg
			}
		}
		c := Command{Key: key, Value: randomSnapText(r, 6)}
		switch r.IntN(8) {
		case 0, 1, 2:
			c.Op = OpSet
		case 3:
			c.Op, c.Dir, c.Value = OpSet, true, ""
		case 4:
			c.Op, c.Unique = OpCreate, r.IntN(2) == 0
		case 5:
			c.Op, c.Refresh, c.Value = OpUpdate, r.IntN(2) == 0, ""
		case 6:
			c.Op, c.Recursive = OpDelete, true
		default:
			c.Op, c.Time = OpExpire, clk.exp(uint64(r.IntN(5)))
		}
		if c.Op != OpExpire && r.IntN(3) == 0 {
			c.Expiration = clk.exp(uint64(1 + r.IntN(10)))
		}
		if _, err := s.Apply(&c); err == nil && c.Op != OpExpire {
			keys = append(keys, key)
		}
		clk.Advance(time.Second)
	}
	return s
}

// Saved snapshots of random stores are decoded by the hand decoder alone, to exactly what
// encoding/json makes of them, and recover into the same store. The same holds for the
// states re-encoded by encoding/json (other escapes) and indented (other spacing).
func TestSnapDecodeRandomStores(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 99))
		s := randomSnapStore(t, r)
		snap, err := s.Save()
		if err != nil {
			t.Fatal(err)
		}
		if !checkDecode(t, snap) {
			t.Fatalf("seed %d: a saved snapshot was not decoded by the hand decoder:\n%q", seed, snap)
		}
		var st snapState
		if err := json.Unmarshal(snap, &st); err != nil {
			t.Fatal(err)
		}
		marshalled, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		indented, err := json.MarshalIndent(st, " ", "\t")
		if err != nil {
			t.Fatal(err)
		}
		for _, data := range [][]byte{marshalled, indented} {
			if !checkDecode(t, data) {
				t.Fatalf("seed %d: re-encoded state not decoded by the hand decoder:\n%s", seed, data)
			}
		}
		restored, _ := newTestStore(WithHistorySize(64))
		if err := restored.Recover(snap); err != nil {
			t.Fatalf("seed %d: Recover = %v", seed, err)
		}
		// Random stores keep at most 40 events, so the restored one saves the same bytes.
		if again, _ := restored.Save(); !bytes.Equal(again, snap) {
			t.Fatalf("seed %d: recovered store saves differently", seed)
		}
	}
}

// Random strings, written as JSON strings by Save's encoder, by encoding/json, and as
// raw bytes (whatever they contain), decode as encoding/json decodes them.
func TestSnapDecodeStrings(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	escapes := []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0041`, `\u00e9`, `\ud83d`, `\ude00`,
		`\ud83d\ude00`, `\uDBFF\uDFFF`, `\uffff`, `\u0000`, `\u12`, `\x`, `\'`, `\`}
	for range 5000 {
		s := randomSnapText(r, 30)
		tokens := [][]byte{appendSnapString(nil, s), appendJSONString(nil, s)}
		if m, err := json.Marshal(s); err == nil {
			tokens = append(tokens, m)
		}
		raw := []byte{'"'}
		for range r.IntN(12) {
			if r.IntN(2) == 0 {
				raw = append(raw, escapes[r.IntN(len(escapes))]...)
			} else {
				raw = append(raw, snapAlphabet[r.IntN(len(snapAlphabet))]...)
			}
		}
		tokens = append(tokens, append(raw, '"'))
		for _, tok := range tokens {
			doc := append(append([]byte(`{"nodes":[{"value":`), tok...), `}]}`...)
			checkDecode(t, doc)
		}
	}
}

func FuzzRecoverDecode(f *testing.F) {
	golden, _ := goldenStore(&testing.T{}).Save()
	f.Add(golden)
	f.Add([]byte(`{"version":1,"index":0,"nodes":[{"key":"/","dir":true}]}`))
	f.Add([]byte(`{"nodes":[{"key":"\ud800\u0041\ud83d\ude00\"\\\/\b\f\n\r\t","value":"` + "\xff\xc3" + `"}]}`))
	f.Add([]byte(`{"nodes":[null,{"expire":-0,"ttl":-9223372036854775808,"modified":18446744073709551615}],"x":[{"a":1.5e-3}]}`))
	f.Add([]byte(`{"Nodes":[],"nodes":[{"KEY":"/"}],"history":[{"action":"set","node":{"key":"/a"}}],"stats":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
		s, _ := newTestStore()
		if err := s.Recover(data); err != nil && !errors.Is(err, ErrBadSnapshot) {
			t.Fatalf("Recover error %v does not wrap ErrBadSnapshot", err)
		}
	})
}

// recoverBenchStore is a store of n files with 256-byte values, 1000 per directory.
func recoverBenchStore(b testing.TB, n int) *Store {
	s, _ := newTestStore()
	value := strings.Repeat("v", 256)
	for i := range n {
		c := Command{Op: OpSet, Key: benchKey(i), Value: value}
		if _, err := s.Apply(&c); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkRecover100k(b *testing.B) {
	snap, err := recoverBenchStore(b, 100_000).Save()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(snap)))
	r, _ := newTestStore()
	for b.Loop() {
		if err := r.Recover(snap); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapDecode100k compares decoding alone: the hand decoder and encoding/json.
func BenchmarkSnapDecode100k(b *testing.B) {
	snap, err := recoverBenchStore(b, 100_000).Save()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(snap)))
		for b.Loop() {
			if _, ok := decodeSnapFast(snap); !ok {
				b.Fatal("fell back")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(snap)))
		for b.Loop() {
			var st snapState
			if err := json.Unmarshal(snap, &st); err != nil {
				b.Fatal(err)
			}
		}
	})
}
