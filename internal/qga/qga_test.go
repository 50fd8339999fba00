package qga

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// serve runs a Server on one end of a pipe and returns a Client on the
// other; both end with the test.
func serve(t *testing.T) (*Client, *Server) {
	t.Helper()
	host, guest := net.Pipe()
	srv := NewServer("test")
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), guest) }()
	c := NewClient(host)
	t.Cleanup(func() {
		c.Close()
		guest.Close()
		<-done
	})
	return c, srv
}

// exchange writes request texts to a Server and returns what it wrote back.
func exchange(t *testing.T, in string) string {
	t.Helper()
	var out bytes.Buffer
	rw := struct {
		io.Reader
		io.Writer
	}{strings.NewReader(in), &out}
	if err := NewServer("9.9.9").Serve(context.Background(), rw); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	return out.String()
}

// TestServerWire checks the Server's answers, byte for byte, against QEMU's
// schema (qga/qapi-schema.json) and the examples of its reference.
func TestServerWire(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"sync, as in QEMU's reference", `{ "execute": "guest-sync", "arguments": { "id": 123456 } }`,
			`{"return":123456}` + "\n"},
		{"sync-delimited answers after 0xFF", "\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":42}}",
			"\xff{\"return\":42}\n"},
		{"ping returns an empty object", `{"execute":"guest-ping"}`, `{"return":{}}` + "\n"},
		{"id is echoed", `{"execute":"guest-ping","id":"a1"}`, `{"return":{},"id":"a1"}` + "\n"},
		{"unknown command", `{"execute":"guest-fstrim"}`,
			`{"error":{"class":"CommandNotFound","desc":"The command guest-fstrim has not been found"}}` + "\n"},
		{"missing argument", `{"execute":"guest-exec-status","arguments":{}}`,
			`{"error":{"class":"GenericError","desc":"Parameter 'pid' is missing"}}` + "\n"},
		{"unknown pid", `{"execute":"guest-exec-status","arguments":{"pid":1}}`,
			`{"error":{"class":"GenericError","desc":"Invalid parameter 'pid'"}}` + "\n"},
		{"not a command", `{"hello":1}`,
			`{"error":{"class":"GenericError","desc":"Expecting a JSON object with member 'execute'"}}` + "\n"},
		{"0xFF drops a half text", "{\"execute\":\"guest-pi\xff{\"execute\":\"guest-ping\"}", `{"return":{}}` + "\n"},
		{"texts over several lines, braces in strings", "{\"execute\":\n \"guest-sync\", \"id\": \"}{\",\n\"arguments\":{\"id\":1}}\n\n",
			`{"return":1,"id":"}{"}` + "\n"},
		{"shutdown without a handler", `{"execute":"guest-shutdown","arguments":{"mode":"halt"}}`,
			`{"error":{"class":"GenericError","desc":"guest-shutdown is not supported here"}}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, exchange(t, tt.in)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTypesWire checks the encoding of arguments and answers against the
// schema's member names and types.
func TestTypesWire(t *testing.T) {
	zero, nine := 0, 9
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"exec, boolean capture", ExecArgs{Path: "/bin/sh", Arg: []string{"-c", "cat"}, Env: []string{"A=1"},
			InputData: []byte("hi\n"), CaptureOutput: &CaptureOutput{Mode: CaptureSeparated, Bool: true}},
			`{"path":"/bin/sh","arg":["-c","cat"],"env":["A=1"],"input-data":"aGkK","capture-output":true}`},
		{"exec, mode capture", ExecArgs{Path: "ls", CaptureOutput: &CaptureOutput{Mode: CaptureMerged}},
			`{"path":"ls","capture-output":"merged"}`},
		{"running", ExecStatus{}, `{"exited":false}`},
		{"exited", ExecStatus{Exited: true, ExitCode: &zero, OutData: []byte("ok\n"), ErrTruncated: true},
			`{"exited":true,"exitcode":0,"out-data":"b2sK","err-truncated":true}`},
		{"killed", ExecStatus{Exited: true, Signal: &nine}, `{"exited":true,"signal":9}`},
		{"info", Info{Version: "1", SupportedCommands: []CommandInfo{{Name: "guest-ping", Enabled: true, SuccessResponse: true}}},
			`{"version":"1","supported_commands":[{"name":"guest-ping","enabled":true,"success-response":true}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(b)); diff != "" {
				t.Errorf("JSON (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCaptureOutputDecode(t *testing.T) {
	tests := []struct {
		in   string
		want CaptureOutput
		err  bool
	}{
		{`true`, CaptureOutput{Mode: CaptureSeparated, Bool: true}, false},
		{`false`, CaptureOutput{Mode: CaptureNone, Bool: true}, false},
		{`"stderr"`, CaptureOutput{Mode: CaptureStderr}, false},
		{`"both"`, CaptureOutput{}, true},
		{`1`, CaptureOutput{}, true},
	}
	for _, tt := range tests {
		var got CaptureOutput
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.err {
			t.Errorf("%s: error %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); !tt.err && diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestClientExec(t *testing.T) {
	c, _ := serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	tests := []struct {
		name  string
		argv  []string
		env   []string
		stdin string
		want  Result
	}{
		{"stdin to stdout", []string{"cat"}, nil, "hello\n", Result{Stdout: []byte("hello\n")}},
		{"stderr and exit code", []string{"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, nil, "",
			Result{Stdout: []byte("out\n"), Stderr: []byte("err\n"), ExitCode: 3}},
		{"env replaces the environment", []string{"/bin/sh", "-c", "echo $X${HOME}"}, []string{"X=y"}, "",
			Result{Stdout: []byte("y\n")}},
		{"killed by a signal", []string{"/bin/sh", "-c", "kill -9 $$"}, nil, "", Result{ExitCode: -1, Signal: 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdin []byte
			if tt.stdin != "" {
				stdin = []byte(tt.stdin)
			}
			got, err := c.Exec(ctx, tt.argv, tt.env, stdin)
			if err != nil {
				t.Fatalf("Exec: %v", err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClientExecTruncates(t *testing.T) {
	c, _ := serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got, err := c.Exec(ctx, []string{"head", "-c", "17000000", "/dev/zero"}, nil, nil)
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if len(got.Stdout) != MaxOutput || !got.Truncated || got.ExitCode != 0 {
		t.Errorf("got %d bytes, truncated %v, exit %d; want %d bytes, truncated, exit 0",
			len(got.Stdout), got.Truncated, got.ExitCode, MaxOutput)
	}
}

func TestClientErrors(t *testing.T) {
	c, _ := serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Exec(ctx, []string{"/no/such/program"}, nil, nil)
	var qe *Error
	if !errors.As(err, &qe) || qe.Class != ClassGeneric || !strings.Contains(qe.Desc, "/no/such/program") {
		t.Errorf("Exec of a missing program: %v, want a GenericError naming it", err)
	}
	err = c.Call(ctx, "guest-fstrim", nil, nil)
	if !errors.As(err, &qe) || qe.Class != ClassCommandNotFound {
		t.Errorf("unknown command: %v, want CommandNotFound", err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ci := range info.SupportedCommands {
		names = append(names, ci.Name)
	}
	if diff := cmp.Diff(commands, names); diff != "" {
		t.Errorf("guest-info commands (-want +got):\n%s", diff)
	}
}

func TestClientShutdown(t *testing.T) {
	c, srv := serve(t)
	modes := make(chan string, 1)
	srv.Shutdown = func(mode string) error { modes <- mode; return nil }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx, "halt"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := <-modes; got != "halt" {
		t.Errorf("shutdown mode %q, want halt", got)
	}
	// No answer came; the next call still gets its own.
	if err := c.Ping(ctx); err != nil {
		t.Errorf("Ping after Shutdown: %v", err)
	}
}

// TestClientSkipsStaleAnswers: a client that connects after another left
// an answer unread must not take it for its own.
func TestClientSkipsStaleAnswers(t *testing.T) {
	host, guest := socketPair(t)
	// A stale answer and half a text wait in the socket before the client
	// sends anything.
	if _, err := guest.Write([]byte(`{"return":{"pid":77}}` + "\n" + `{"return":`)); err != nil {
		t.Fatal(err)
	}
	go NewServer("t").Serve(context.Background(), guest)
	c := NewClient(host)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var pid int64 = -1
	if err := c.Call(ctx, CmdSync, SyncArgs{ID: 5}, &pid); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if pid != 5 {
		t.Errorf("guest-sync answered %d, want 5", pid)
	}
}

// socketPair returns two connected unix sockets, which buffer as a
// virtio-serial channel does (net.Pipe does not).
func socketPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	return conns[0], conns[1]
}

func TestClientContext(t *testing.T) {
	host, guest := net.Pipe()
	defer guest.Close()
	go func() { // an agent that reads and never answers
		b := make([]byte, 4096)
		for {
			if _, err := guest.Read(b); err != nil {
				return
			}
		}
	}()
	c := NewClient(host)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := c.Ping(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ping of a silent agent: %v, want the context's deadline", err)
	}
}

// TestClientSyncLost: an agent that drops the first sync it is sent (it
// was closing the port for the client before) is synced all the same:
// the sync is sent again, with a new id, and the first's answer, were it
// to come, is skipped.
func TestClientSyncLost(t *testing.T) {
	host, guest := socketPair(t)
	go func() {
		// The agent reads the first request and drops it, then serves.
		r := newTexts(guest)
		if _, err := r.next(); err != nil {
			return
		}
		NewServer("t").Serve(context.Background(), struct {
			io.Reader
			io.Writer
		}{r.r, guest})
	}()
	c := NewClient(host)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping after a lost sync: %v", err)
	}
	if d := time.Since(start); d < syncRetry || d > 3*syncRetry {
		t.Errorf("Ping took %v, want about one sync retry (%v)", d, syncRetry)
	}
}
