package qmp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"testing"
	"time"
)

// FuzzAnswer: whatever a peer sends after negotiation, in answer to one
// command, and then hangs up, Execute returns (no panic, no hang) with an
// answer that is valid JSON, QEMU's error, or an error of a closed
// connection. $ID in the input stands for the command's id.
func FuzzAnswer(f *testing.F) {
	for _, seed := range []string{
		`{"return": {"status": "running", "running": true}, "id": "$ID"}` + "\n",
		`{"error": {"class": "GenericError", "desc": "no"}, "id": "$ID"}` + "\n",
		`{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}` + "\n" + `{"return": {}, "id": "$ID"}` + "\n",
		`{"return": {}, "id": "7"}` + "\n",
		`{"return": {}}` + "\n",
		`{"return": null, "id": "$ID"}` + "\n",
		`{"error": null, "return": 1, "id": "$ID"}` + "\n",
		"\n\n",
		`{"return": {}, "id": "$ID"` + "\n",
		"\x00\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		near, far := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer far.Close()
			r := bufio.NewReader(far)
			far.Write([]byte(greetingLine))
			for range 2 {
				line, err := r.ReadBytes('\n')
				if err != nil {
					return
				}
				var req struct{ Execute, ID string }
				json.Unmarshal(line, &req)
				if req.Execute == "qmp_capabilities" {
					far.Write([]byte(`{"return": {}, "id": "` + req.ID + `"}` + "\n"))
					continue
				}
				far.Write(bytes.ReplaceAll(input, []byte("$ID"), []byte(req.ID)))
				return
			}
		}()
		defer func() { near.Close(); <-done }()
		c, err := handshake(ctx, near)
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		defer c.Close()
		ret, err := c.Execute(ctx, "query-status", nil)
		var qerr *Error
		switch {
		case err == nil:
			if !json.Valid(ret) {
				t.Fatalf("answer %q is not JSON", ret)
			}
		case errors.As(err, &qerr), errors.Is(err, ErrClosed):
		default:
			t.Fatalf("Execute: %v", err)
		}
	})
}
