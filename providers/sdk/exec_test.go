package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin"
	"github.com/benito-net/benito/providers/sdk"
	"github.com/benito-net/benito/providers/sdk/sdktest"
	"github.com/zclconf/go-cty/cty"
)

// envServe, when set, makes the test binary serve box() with sdk.Serve, as
// a provider binary built with the SDK does.
const envServe = "BENITO_SDK_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(envServe) != "" {
		sdk.Serve(box())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// box serves box_dir, a directory that commands run in (the "node" of a
// tiny platform), and box_label, which serves no exec.
func box() *sdk.Provider {
	path := map[string]*sdk.Attribute{"path": {Type: sdk.String, Required: true, ForceNew: true}}
	read := func(ctx context.Context, d *sdk.ResourceData) error {
		if _, err := os.Stat(d.GetString("path")); errors.Is(err, fs.ErrNotExist) {
			d.SetGone()
		}
		return nil
	}
	return &sdk.Provider{Name: "box", Version: "1.0.0", Resources: map[string]*sdk.Resource{
		"box_dir": {
			Attributes: path,
			Create:     func(ctx context.Context, d *sdk.ResourceData) error { return os.Mkdir(d.GetString("path"), 0o755) },
			Read:       read,
			Delete:     func(ctx context.Context, d *sdk.ResourceData) error { return os.RemoveAll(d.GetString("path")) },
			Exec: func(ctx context.Context, d *sdk.ResourceData, args []string) (*exec.Cmd, error) {
				dir := d.GetString("path")
				if _, err := os.Stat(dir); err != nil {
					return nil, fmt.Errorf("the box is gone: %v", err)
				}
				cmd := exec.Command(args[0], args[1:]...)
				cmd.Dir, cmd.Env = dir, []string{"BOX=" + filepath.Base(dir)}
				return cmd, nil
			},
		},
		"box_label": {
			Attributes: path,
			Create:     func(context.Context, *sdk.ResourceData) error { return nil },
			Read:       func(context.Context, *sdk.ResourceData) error { return nil },
			Delete:     func(context.Context, *sdk.ResourceData) error { return nil },
		},
	}}
}

// TestExecThroughPlugin serves an SDK provider's Exec from its own process,
// as benito reaches a third-party provider: the schema says which types
// serve it, the author's command runs with the streams apart, on a
// terminal when asked, and the author's errors come back as diagnostics.
func TestExecThroughPlugin(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := plugin.Start(context.Background(), plugin.Config{Name: "box", Path: exe, Env: []string{envServe + "=1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := p.GetSchema(context.Background()).Schema
	if !s.ResourceTypes["box_dir"].Exec || s.ResourceTypes["box_label"].Exec {
		t.Errorf("exec in the schema: box_dir %v, box_label %v; want true, false", s.ResourceTypes["box_dir"].Exec, s.ResourceTypes["box_label"].Exec)
	}
	dir := filepath.Join(t.TempDir(), "b1")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	value := cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(dir)})
	run := func(stdin string, terminal bool, args ...string) (string, string, providers.ExecResponse) {
		var stdout, stderr syncbuf.Buffer
		req := providers.ExecRequest{Address: "box_dir.a", Type: "box_dir", Value: value, Args: args,
			Env: []string{"PATH=" + os.Getenv("PATH"), "BOX=not the provider's"}, Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr}
		if terminal {
			req.Terminal = &providers.WindowSize{Rows: 20, Cols: 60}
		}
		resp := p.Exec(context.Background(), req)
		return stdout.String(), stderr.String(), resp
	}
	out, errOut, resp := run("input", false, "sh", "-c", `pwd; cat; echo " $BOX" >&2; exit 2`)
	if resp.Diagnostics.HasErrors() || resp.ExitCode != 2 || out != dir+"\ninput" || errOut != " b1\n" {
		t.Errorf("exec: exit %d %v, stdout %q, stderr %q", resp.ExitCode, resp.Diagnostics.Err(), out, errOut)
	}
	out, _, resp = run("", true, "sh", "-c", `tty; stty size`)
	if resp.ExitCode != 0 || !strings.HasPrefix(out, "/dev/pts/") || !strings.HasSuffix(out, "\r\n20 60\r\n") {
		t.Errorf("exec on a terminal: exit %d %v, output %q", resp.ExitCode, resp.Diagnostics.Err(), out)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, _, resp = run("", false, "true"); resp.ExitCode != -1 || !strings.Contains(fmt.Sprint(resp.Diagnostics.Err()), "Cannot run the command: the box is gone") {
		t.Errorf("exec in a box that is gone: exit %d, %v", resp.ExitCode, resp.Diagnostics)
	}
}

// TestExecHarness: sdktest runs an author's Exec in process.
func TestExecHarness(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b2")
	h := sdktest.New(t, box(), nil)
	h.Apply("box_dir.a", map[string]any{"path": dir})
	stdout, stderr, code := h.Exec("box_dir.a", "x", "sh", "-c", `cat; echo "$BOX" >&2; kill -KILL $$`)
	if stdout != "x" || stderr != "b2\n" || code != 128+9 {
		t.Errorf("exec: stdout %q, stderr %q, exit %d", stdout, stderr, code)
	}
	h.Apply("box_label.a", map[string]any{"path": dir})
	if _, _, _, err := h.ExecE("box_label.a", "", "true"); err == nil || !strings.Contains(err.Error(), `resource type "box_label" declares no Exec`) {
		t.Errorf("exec in a type without Exec: %v", err)
	}
}
