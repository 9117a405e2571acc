package main

import (
	"bufio"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func connOver(stream string) *httpConn {
	return &httpConn{r: bufio.NewReaderSize(strings.NewReader(stream), 64)}
}

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name     string
		stream   string
		want     response
		wantBody string
		wantErr  error // nil: success; else errors.Is target (or any error when errAny)
		errAny   bool
	}{
		{name: "content length", stream: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			want: response{Status: 200}},
		{name: "error body kept", stream: "HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\n\r\nnot found",
			want: response{Status: 404}, wantBody: "not found"},
		{name: "chunked with extension and trailer",
			stream: "HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n",
			want:   response{Status: 500}, wantBody: "abcde"},
		{name: "bare LF lines", stream: "HTTP/1.1 201 Created\nContent-Length: 2\n\nok",
			want: response{Status: 201}},
		{name: "connection close", stream: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
			want: response{Status: 200, Close: true}},
		{name: "HTTP/1.0 read to EOF", stream: "HTTP/1.0 400 Bad\r\n\r\nuntil the end",
			want: response{Status: 400, Close: true}, wantBody: "until the end"},
		{name: "204 has no body", stream: "HTTP/1.1 204 No Content\r\n\r\n", want: response{Status: 204}},
		{name: "garbage status", stream: "SSH-2.0-OpenSSH\r\n\r\n", wantErr: ErrProtocol},
		{name: "bad content length", stream: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", wantErr: ErrProtocol},
		{name: "bad chunk size", stream: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", wantErr: ErrProtocol},
		{name: "header without colon", stream: "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", wantErr: ErrProtocol},
		{name: "line too long", stream: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 100) + "\r\n\r\n", wantErr: ErrProtocol},
		{name: "short body", stream: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", errAny: true},
		{name: "short kept body", stream: "HTTP/1.1 404 NF\r\nContent-Length: 10\r\n\r\nabc", errAny: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := connOver(tt.stream).readResponse()
			switch {
			case tt.errAny || tt.wantErr != nil:
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Errorf("readResponse() error = %v, want %v", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("readResponse() error = %v", err)
			}
			body := string(got.Body)
			if got.Status != tt.want.Status || got.Close != tt.want.Close || body != tt.wantBody {
				t.Errorf("readResponse() = %+v body %q, want %+v body %q", got, body, tt.want, tt.wantBody)
			}
		})
	}
}

func TestReadResponsesBackToBack(t *testing.T) {
	c := connOver("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc" +
		"HTTP/1.1 404 NF\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n" +
		"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
	for i, want := range []int{200, 404, 201} {
		got, err := c.readResponse()
		if err != nil || got.Status != want {
			t.Fatalf("response %d = %d, %v, want %d", i, got.Status, err, want)
		}
	}
}

func TestV2ClientRetriesClosedIdleConnection(t *testing.T) {
	f := newFakeKeys()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	pools := newPools([]string{srv.URL}, 1)
	t.Cleanup(pools[0].closeAll)
	cl := newV2Client(pools, 0, false, 5*time.Second)
	if err := cl.put(t.Context(), "/a", "1"); err != nil {
		t.Fatalf("put: %v", err)
	}
	srv.CloseClientConnections()
	if err := cl.get(t.Context(), "/a"); err != nil {
		t.Errorf("get after the server closed the idle connection: %v, want a retry that succeeds", err)
	}
	if err := cl.get(t.Context(), "/missing"); !errors.Is(err, ErrStatus) || !strings.Contains(err.Error(), "Key not found") {
		t.Errorf("get of a missing key: %v, want ErrStatus with the body", err)
	}
}
