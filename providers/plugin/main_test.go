package plugin_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/configdir"
	"github.com/benito-net/benito/providers/plugin"
	"github.com/benito-net/benito/providers/providertest"
	"github.com/benito-net/benito/providers/sdk"
	"github.com/zclconf/go-cty/cty"
)

// envServe, when set, makes the test binary a provider: it serves the
// provider the value names (see serveTestProvider) and exits.
const envServe = "BENITO_PLUGIN_TEST_SERVE"

// envLie is, in hex, the value the "lying" provider answers with.
const envLie = "BENITO_PLUGIN_TEST_LIE"

// envServeProfile, when set, makes the provider write a CPU profile to
// the file it names, with the provider's process id appended.
const envServeProfile = "BENITO_PLUGIN_TEST_CPUPROFILE"

func TestMain(m *testing.M) {
	if mode := os.Getenv(envServe); mode != "" {
		serveTestProvider(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func serveTestProvider(mode string) {
	if path := os.Getenv(envServeProfile); path != "" {
		f, err := os.Create(fmt.Sprintf("%s.%d", path, os.Getpid()))
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	switch mode {
	case "echo":
		plugin.Serve(&echo{stop: make(chan struct{})})
	case "unary":
		plugin.ServeUnary(&echo{stop: make(chan struct{})})
	case "v7":
		plugin.ServeVersion(&echo{stop: make(chan struct{})}, 7)
	case "config":
		plugin.Serve(configdir.New())
	case "roles":
		plugin.Serve(providertest.New(rolesSchema))
	case "memory":
		plugin.Serve(memoryProvider())
	case "strict":
		plugin.Serve(strictProvider())
	case "defaults":
		plugin.Serve(defaulter{&echo{stop: make(chan struct{})}})
	case "sdk":
		p, err := sdk.InProcess(sdkProvider())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		plugin.Serve(p)
	case "benchset":
		plugin.ServeSet(map[string]providers.Provider{contract.ConfigProvider: configdir.New(), contract.HostNetProvider: memoryProvider(), "process": memoryProvider()})
	case "lying":
		lie, err := hex.DecodeString(os.Getenv(envLie))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", envLie, err)
			os.Exit(2)
		}
		plugin.ServeLying(&echo{stop: make(chan struct{})}, lie)
	case "set":
		plugin.ServeSet(map[string]providers.Provider{"echo": &echo{stop: make(chan struct{})}, "config": configdir.New()})
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", envServe, mode)
		os.Exit(2)
	}
}

// testExe is this test binary, which the tests run as their providers.
func testExe(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// start runs this test binary as the provider mode names, closed when the
// test ends.
func start(t testing.TB, name, mode string, timeout time.Duration) providers.Provider {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := plugin.Start(context.Background(), plugin.Config{
		Name: name, Path: exe, Env: []string{envServe + "=" + mode}, Timeout: timeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// rolesSchema marks attributes run-time and generated, which cross the
// protocol as its run_time and generated fields.
var rolesSchema = providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{
	"file": {Attributes: map[string]*providers.Attribute{
		"path":       {Type: cty.String, Required: true},
		"content":    {Type: cty.String, Required: true, Generated: true},
		"writer_pid": {Type: cty.Number, Computed: true, RunTime: true},
		"id":         {Type: cty.String, Computed: true},
	}},
}}

// memoryProvider serves every type lowering makes but config files, in
// memory (providertest), with the contract's attributes and a computed id.
func memoryProvider() *providertest.Provider {
	s := providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{}}
	for _, typ := range contract.Types() {
		if typ == contract.ConfigFile {
			continue
		}
		s.ResourceTypes[typ] = providers.FromContract(typ, nil, map[string]*providers.Attribute{
			"id": {Type: cty.String, Computed: true},
		})
	}
	return providertest.New(s)
}

// echoSchema has an attribute of every kind.
var echoSchema = providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{
	"thing": {
		Version:     3,
		Description: "a thing to echo",
		Exec:        true,
		Attributes: map[string]*providers.Attribute{
			"name":    {Type: cty.String, Required: true, ForceNew: true, Description: "its name"},
			"count":   {Type: cty.Number, Optional: true},
			"on":      {Type: cty.Bool, Optional: true, Computed: true},
			"id":      {Type: cty.String, Computed: true},
			"tags":    {Type: cty.Map(cty.String), Optional: true},
			"ports":   {Type: cty.List(cty.Number), Optional: true},
			"groups":  {Type: cty.Set(cty.String), Optional: true},
			"nested":  {Type: cty.Object(map[string]cty.Type{"a": cty.String, "b": cty.List(cty.Bool)}), Optional: true},
			"anytype": {Type: cty.DynamicPseudoType, Optional: true},
		},
	},
	"other": {Attributes: map[string]*providers.Attribute{"x": {Type: cty.String, Required: true}}},
}}

// echo answers each call with what it was sent, so that a test can see
// that values cross the wire and back unchanged. Special addresses:
// thing.crash panics, thing.hang never answers, thing.block waits for Stop,
// thing.slow answers after a second, thing.wait waits for its context to
// end, and thing.cancelled answers with the number of such calls ended so
// far in its warning's detail. A suffix such as -3 keeps the behaviour.
type echo struct {
	stop      chan struct{}
	stopOnce  sync.Once
	cancelled atomic.Int64
}

// echoPaths are the attribute paths echo's diagnostics and plans carry.
var echoPaths = []cty.Path{
	cty.GetAttrPath("tags").IndexString("k"),
	cty.GetAttrPath("ports").IndexInt(2),
	cty.GetAttrPath("nested").GetAttr("b").IndexInt(0),
}

func (e *echo) GetSchema(context.Context) providers.GetSchemaResponse {
	return providers.GetSchemaResponse{
		Info:        providers.Info{Name: "echo", Version: "1.2.3"},
		Schema:      echoSchema,
		Diagnostics: providers.Diagnostics{{Severity: providers.Warning, Summary: "schema warning", Detail: "detail"}},
	}
}

func (e *echo) Configure(_ context.Context, req providers.ConfigureRequest) providers.ConfigureResponse {
	keys := make([]string, 0, len(req.Site))
	for k := range req.Site {
		keys = append(keys, k+"="+req.Site[k])
	}
	sort.Strings(keys)
	return providers.ConfigureResponse{Diagnostics: providers.Diagnostics{{Severity: providers.Warning, Summary: req.Experiment, Detail: fmt.Sprint(keys)}}}
}

// ValidateResources describes each configuration in a warning, with a
// path.
func (e *echo) ValidateResources(_ context.Context, req providers.ValidateResourcesRequest) providers.ValidateResourcesResponse {
	var diags providers.Diagnostics
	for i, r := range req.Resources {
		diags = append(diags, providers.Diagnostic{Severity: providers.Warning, Summary: r.Type, Detail: r.Config.GoString(), Address: r.Address, Attribute: echoPaths[i%len(echoPaths)]})
	}
	return providers.ValidateResourcesResponse{Diagnostics: diags}
}

// PlanResources plans the prior value, with the proposed value in the
// private data (as its GoString), replacing for every echo path.
func (e *echo) PlanResources(_ context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	resp := providers.PlanResourcesResponse{}
	for _, c := range req.Changes {
		resp.Changes = append(resp.Changes, providers.PlannedChange{
			Planned:         c.Prior,
			PlannedPrivate:  append(append([]byte(nil), c.PriorPrivate...), []byte(" "+c.Proposed.GoString())...),
			RequiresReplace: echoPaths,
		})
	}
	return resp
}

// Sweep answers with the objects it was asked to remove, and a warning
// counting them.
func (e *echo) Sweep(_ context.Context, req providers.SweepRequest) providers.SweepResponse {
	return providers.SweepResponse{Objects: req.Remove, Diagnostics: providers.Diagnostics{{Severity: providers.Warning, Summary: fmt.Sprintf("%d to remove", len(req.Remove))}}}
}

func (e *echo) ApplyResource(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
	base, _, _ := strings.Cut(req.Address, "-") // thing.block-3 blocks too
	switch base {
	case "thing.crash":
		panic("boom: crashing on purpose in " + req.Address)
	case "thing.hang":
		select {}
	case "thing.block":
		<-e.stop
		return providers.ApplyResourceResponse{Diagnostics: providers.Errorf(req.Address, "stopped by Stop")}
	case "thing.slow":
		time.Sleep(time.Second)
	case "thing.wait":
		<-ctx.Done()
		e.cancelled.Add(1)
		return providers.ApplyResourceResponse{Diagnostics: providers.Errorf(req.Address, "cancelled")}
	case "thing.cancelled":
		return providers.ApplyResourceResponse{New: req.Planned, Diagnostics: providers.Diagnostics{{Severity: providers.Warning, Summary: "cancelled", Detail: fmt.Sprint(e.cancelled.Load())}}}
	}
	return providers.ApplyResourceResponse{
		New:         req.Planned,
		Private:     req.PlannedPrivate,
		Diagnostics: providers.Diagnostics{{Severity: providers.Warning, Summary: "prior", Detail: req.Prior.GoString(), Address: req.Address}},
	}
}

func (e *echo) ReadResources(_ context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	resp := providers.ReadResourcesResponse{}
	for _, r := range req.Resources {
		priv := r.Private
		if req.ExistenceOnly {
			priv = []byte("existence only") // tells the test the flag crossed
		}
		resp.Resources = append(resp.Resources, providers.ReadResult{New: r.Current, Private: priv})
	}
	return resp
}

func (e *echo) ImportResource(_ context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	if req.ID == "missing" {
		return providers.ImportResourceResponse{New: cty.NullVal(echoSchema.ResourceTypes[req.Type].ImpliedType())}
	}
	v := cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal(req.ID)})
	return providers.ImportResourceResponse{New: v, Private: []byte(req.Address)}
}

// Exec runs the command on this host (a thing is no node), with the
// thing's name and private data in its environment, as THING and
// PRIVATE: enough to see the value and the streams cross.
func (e *echo) Exec(ctx context.Context, req providers.ExecRequest) providers.ExecResponse {
	if len(req.Args) == 0 {
		return providers.ExecResponse{ExitCode: -1, Diagnostics: providers.Errorf(req.Address, "no command")}
	}
	cmd := exec.Command(req.Args[0], req.Args[1:]...)
	cmd.Env = []string{"THING=" + req.Value.GetAttr("name").AsString(), "PRIVATE=" + string(req.Private)}
	return providers.ExecCommand(ctx, cmd, req)
}

func (e *echo) Stop(context.Context) error {
	e.stopOnce.Do(func() { close(e.stop) })
	return errors.New("stopped on request")
}

func (e *echo) Close() error { return nil }
