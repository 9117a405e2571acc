package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkKeysHTTP measures PUT and GET end to end over loopback: client, server, router,
// middleware, parsing, a fake Server applying to a real store, encoding.
func BenchmarkKeysHTTP(b *testing.B) {
	ta := newTestAPI(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	// want 0 accepts any success (setup steps that may repeat).
	do := func(b *testing.B, method, url string, want int) {
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != want && (want != 0 || res.StatusCode >= 300) {
			b.Fatalf("%s %s = %d, want %d", method, url, res.StatusCode, want)
		}
	}
	value := strings.Repeat("v", 64)
	b.Run("PUT", func(b *testing.B) {
		b.ReportAllocs()
		url := ta.http.URL + "/v2/keys/bench/put?value=" + value
		do(b, "PUT", url, 0)
		for b.Loop() {
			do(b, "PUT", url, 200)
		}
	})
	b.Run("GET", func(b *testing.B) {
		do(b, "PUT", ta.http.URL+"/v2/keys/bench/get?value="+value, 0)
		b.ReportAllocs()
		url := ta.http.URL + "/v2/keys/bench/get"
		for b.Loop() {
			do(b, "GET", url, 200)
		}
	})
}

// BenchmarkKeysHandler measures the server side alone (no sockets), so that its
// allocations are visible.
func BenchmarkKeysHandler(b *testing.B) {
	ta := newTestAPI(b)
	value := strings.Repeat("v", 64)
	// want 0 accepts any success (setup steps that may repeat).
	serve := func(b *testing.B, method, target string, want int) {
		w := httptest.NewRecorder()
		ta.handler.ServeHTTP(w, httptest.NewRequest(method, target, nil))
		if w.Code != want && (want != 0 || w.Code >= 300) {
			b.Fatalf("%s %s = %d, want %d", method, target, w.Code, want)
		}
	}
	b.Run("PUT", func(b *testing.B) {
		b.ReportAllocs()
		target := "/v2/keys/bench/put?value=" + value
		serve(b, "PUT", target, 0)
		for b.Loop() {
			serve(b, "PUT", target, 200)
		}
	})
	b.Run("GET", func(b *testing.B) {
		serve(b, "PUT", "/v2/keys/bench/get?value="+value, 0)
		b.ReportAllocs()
		for b.Loop() {
			serve(b, "GET", "/v2/keys/bench/get", 200)
		}
	})
	b.Run("GET-dir-100", func(b *testing.B) {
		for i := range 100 {
			serve(b, "PUT", "/v2/keys/bench/dir/k"+strconv.Itoa(i)+"?value="+value, 0)
		}
		b.ReportAllocs()
		for b.Loop() {
			serve(b, "GET", "/v2/keys/bench/dir?sorted=true", 200)
		}
	})
}
