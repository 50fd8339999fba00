package qmp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The tests here play a broken or hostile peer, for what a real QEMU does
// not send; everything QEMU does send is tested against QEMU (qmp_test.go).

const greetingLine = `{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}` + "\n"

// peer runs script on the far end of a pipe and returns the near end's
// handshake result.
func peer(t *testing.T, ctx context.Context, script func(r *bufio.Reader, w net.Conn)) (*Conn, error) {
	t.Helper()
	near, far := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer far.Close()
		script(bufio.NewReader(far), far)
	}()
	t.Cleanup(func() {
		near.Close()
		<-done
	})
	c, err := handshake(ctx, near)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// request reads one request and returns its id.
func request(t *testing.T, r *bufio.Reader) (execute, id string) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", ""
	}
	var req struct{ Execute, ID string }
	if err := json.Unmarshal([]byte(line), &req); err != nil {
		t.Errorf("request %q: %v", line, err)
	}
	return req.Execute, req.ID
}

// negotiated greets and accepts qmp_capabilities.
func negotiated(t *testing.T, r *bufio.Reader, w net.Conn) {
	w.Write([]byte(greetingLine))
	_, id := request(t, r)
	w.Write([]byte(`{"return": {}, "id": "` + id + `"}` + "\n"))
}

func TestMalformedGreeting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, tc := range []struct{ name, send, want string }{
		{"not JSON", "hello\n", "not a JSON object"},
		{"broken JSON", "{\"QMP\": \n", "malformed JSON"},
		{"not a greeting", `{"return": {}}` + "\n", "not a QMP greeting"},
		{"cut short", `{"QMP": {`, "ended inside a line"},
		{"too long", "{\"QMP\": \"" + strings.Repeat("x", MaxLine) + "\"}\n", "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := peer(t, ctx, func(r *bufio.Reader, w net.Conn) { w.Write([]byte(tc.send)) })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestEndlessLine: a peer that sends one line without end is cut off at
// MaxLine, having cost about that much memory.
func TestEndlessLine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := peer(t, ctx, func(r *bufio.Reader, w net.Conn) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range 1024 { // 64 MiB if all were read
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("got %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16*MaxLine {
		t.Errorf("allocated %d bytes for a line cut at %d", grew, MaxLine)
	}
}

func TestMalformedAnswers(t *testing.T) {
	for _, tc := range []struct{ name, send, want string }{
		{"unknown id", `{"return": {}, "id": "999"}`, "never sent"},
		{"id not ours", `{"return": {}, "id": "x"}`, "never sent"},
		{"no id", `{"return": {}}`, "without an id"},
		{"numeric id", `{"return": {}, "id": 2}`, "without an id"},
		{"neither", `{"foo": 1}`, "neither an answer nor an event"},
		{"array", `[1]`, "not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := peer(t, ctx, func(r *bufio.Reader, w net.Conn) {
				negotiated(t, r, w)
				request(t, r)
				w.Write([]byte(tc.send + "\n"))
				r.ReadString('\n') // until the client hangs up
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Execute(ctx, "query-status", nil)
			if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrClosed and %q", err, tc.want)
			}
		})
	}
}

// TestSilentPeer: a peer that never answers costs a caller its deadline;
// the connection stays usable, and a late answer to the abandoned id is
// ignored.
func TestSilentPeer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := peer(t, ctx, func(r *bufio.Reader, w net.Conn) {
		negotiated(t, r, w)
		_, late := request(t, r) // not answered in time
		_, id := request(t, r)
		w.Write([]byte(`{"return": {}, "id": "` + late + `"}` + "\n"))
		w.Write([]byte(`{"return": {"status": "running", "running": true}, "id": "` + id + `"}` + "\n"))
		r.ReadString('\n')
	})
	if err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	start := time.Now()
	if _, err := c.Execute(short, "stop", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("deadline of 100ms took %v", d)
	}
	st, err := c.QueryStatus(ctx)
	if err != nil || st.Status != "running" {
		t.Fatalf("after a timeout: %+v, %v", st, err)
	}
}

// TestSilentGreeting: no greeting costs Dial its deadline.
func TestSilentGreeting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := peer(t, ctx, func(r *bufio.Reader, w net.Conn) { r.ReadString('\n') })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

// TestEventsDropped: events nobody reads are dropped, and answers still
// come through.
func TestEventsDropped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	const n = eventBuffer + 10
	c, err := peer(t, ctx, func(r *bufio.Reader, w net.Conn) {
		negotiated(t, r, w)
		_, id := request(t, r)
		for range n {
			w.Write([]byte(`{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}` + "\n"))
		}
		w.Write([]byte(`{"return": {}, "id": "` + id + `"}` + "\n"))
		r.ReadString('\n')
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Execute(ctx, "stop", nil); err != nil {
		t.Fatal(err)
	}
	if got := c.Dropped(); got != n-eventBuffer {
		t.Errorf("dropped %d, want %d", got, n-eventBuffer)
	}
	ev := <-c.Events()
	if ev.Name != "STOP" || !ev.Time.Equal(time.Unix(1, 2000)) {
		t.Errorf("event %+v", ev)
	}
}
