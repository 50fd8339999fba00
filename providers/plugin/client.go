package plugin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/benito-net/benito/internal/logging"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin/proto"
)

// Config says how to start a provider process.
type Config struct {
	Name    string        // provider name, for messages and log tags
	Path    string        // executable
	Args    []string      // arguments (the first-party providers use: benito's own binary, "provider", NAME)
	Env     []string      // extra environment, on top of benito's own
	Logger  hclog.Logger  // where the provider's log lines and stderr go (nil: logging.Default())
	Timeout time.Duration // per call; 0: DefaultApplyTimeout for ApplyResource, DefaultTimeout for the others

	// FirstParty marks benito's own binary serving a built-in provider:
	// it is handed benito's TLS key and serves with benito's certificate
	// instead of making one (mtls.go). Never set it for another binary.
	FirstParty bool
}

// Per-call time limits when Config.Timeout is 0. EnvTimeout, a Go
// duration such as 30s, overrides both and Config.Timeout.
const (
	DefaultTimeout      = 2 * time.Minute
	DefaultApplyTimeout = 10 * time.Minute
	EnvTimeout          = "BENITO_PROVIDER_TIMEOUT"
)

// Start launches the provider, checks its handshake and protocol version,
// and returns it. Close ends the process.
func Start(ctx context.Context, cfg Config) (providers.Provider, error) {
	ps, err := start(ctx, cfg, []string{cfg.Name}, false)
	if err != nil {
		return nil, err
	}
	return ps[cfg.Name], nil
}

// StartSet launches one process serving several providers (one built with
// ServeSet: benito's own binary serves its built-in providers so), and
// returns a provider for each of names. Each call names its provider in
// the call's metadata. The process ends when every one of them is
// closed, and a crash or hang of it ends them all. cfg.Name names the
// process in messages and logs.
func StartSet(ctx context.Context, cfg Config, names []string) (map[string]providers.Provider, error) {
	return start(ctx, cfg, names, true)
}

func start(ctx context.Context, cfg Config, names []string, set bool) (map[string]providers.Provider, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = logging.Default()
	}
	timeout, applyTimeout := DefaultTimeout, DefaultApplyTimeout
	if cfg.Timeout > 0 {
		timeout, applyTimeout = cfg.Timeout, cfg.Timeout
	}
	if s := os.Getenv(EnvTimeout); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s=%q is not a duration such as 30s or 15m", EnvTimeout, s)
		}
		timeout, applyTimeout = d, d
	}
	proc := &process{names: names, path: cfg.Path, tail: &tail{}, logger: logger.Named(cfg.Name)}

	tlsConfig, certPEM, err := clientTLS()
	if err != nil {
		return nil, fmt.Errorf("starting provider %q: making benito's TLS certificate: %w", cfg.Name, err)
	}
	// The provider's socket goes in a directory of its own, which Close
	// removes: go-plugin leaves a socket behind whenever a provider dies
	// without closing it (a crash, a kill). benito names the directory and
	// the provider makes it, once it can remove it again on the SIGTERM it
	// gets if benito dies (see serve): made here, it would be left behind
	// by a benito killed before the provider got that far.
	sockDir, err := socketDirName()
	if err != nil {
		return nil, fmt.Errorf("starting provider %q: %w", cfg.Name, err)
	}
	proc.sockDir = sockDir
	cmd := exec.Command(cfg.Path, cfg.Args...)
	// benito's environment, the Config's on top, and what AutoMTLS would
	// send (mtls.go); go-plugin adds its handshake variables.
	env := make([]string, 0, len(os.Environ())+len(cfg.Env)+3)
	for _, kv := range append(os.Environ(), cfg.Env...) {
		if !strings.HasPrefix(kv, envKeyFD+"=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "PLUGIN_CLIENT_CERT="+string(certPEM), envSocketDir+"="+sockDir)
	var keyR *os.File // a first-party provider's copy of benito's key
	if cfg.FirstParty {
		if keyR, err = keyPipe(); err == nil {
			cmd.ExtraFiles = []*os.File{keyR}
			cmd.Env = append(cmd.Env, envKeyFD+"="+strconv.Itoa(keyFD))
			firstPartyTLS(tlsConfig)
		} else {
			// Not fatal: the provider then makes its own certificate, as a
			// third-party one does, only slower to start.
			proc.logger.Debug("cannot hand benito's TLS key to the provider; it will make its own", "error", err)
		}
	}
	// A benito killed outright (SIGKILL, OOM) leaves no orphans: the kernel
	// sends the provider SIGTERM when benito's thread that started it dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	output := &lineLogger{logger: proc.logger, tail: proc.tail}
	proc.pc = goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  handshake(ProtocolVersion),
		VersionedPlugins: map[int]goplugin.PluginSet{ProtocolVersion: {pluginName: &grpcPlugin{}}},
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		TLSConfig:        tlsConfig, // AutoMTLS with one certificate per benito: mtls.go
		SkipHostEnv:      true,      // in cmd.Env already
		Logger:           fixedName{proc.logger},
		Stderr:           proc.tail,
		SyncStdout:       output,
		SyncStderr:       output,
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage))},
	})

	type started struct {
		conn grpc.ClientConnInterface
		err  error
	}
	ch := make(chan started, 1)
	go func() {
		cp, err := proc.pc.Client()
		if keyR != nil {
			keyR.Close() // the provider has its own copy, or is gone
		}
		if err != nil {
			ch <- started{err: err}
			return
		}
		raw, err := cp.Dispense(pluginName)
		if err != nil {
			ch <- started{err: err}
			return
		}
		ch <- started{conn: raw.(grpc.ClientConnInterface)}
	}()
	var conn grpc.ClientConnInterface
	select {
	case <-ctx.Done():
		proc.pc.Kill()
		os.RemoveAll(sockDir)
		return nil, fmt.Errorf("starting provider %q: %w", cfg.Name, ctx.Err())
	case s := <-ch:
		if s.err != nil {
			proc.pc.Kill()
			os.RemoveAll(sockDir)
			return nil, proc.startError(cfg, s.err)
		}
		conn = s.conn
	}
	out := make(map[string]providers.Provider, len(names))
	proc.open = len(names)
	for _, name := range names {
		cc := conn
		if set {
			cc = namedConn{conn, name}
		}
		out[name] = &client{
			name:         name,
			proc:         proc,
			rpc:          proto.NewProviderClient(cc),
			timeout:      timeout,
			applyTimeout: applyTimeout,
		}
	}
	return out, nil
}

var versionMismatch = regexp.MustCompile(`Plugin version: (\d+)`)

func (proc *process) startError(cfg Config, err error) error {
	if m := versionMismatch.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("provider %q (%s) speaks protocol %s; this benito speaks %d: upgrade the provider or benito so that they match", cfg.Name, cfg.Path, m[1], ProtocolVersion)
	}
	msg := fmt.Sprintf("starting provider %q (%s): %v", cfg.Name, cfg.Path, err)
	if t := proc.tail.String(); t != "" {
		msg += "\nIts last output:\n" + t
	}
	return errors.New(msg)
}

// process is a provider process: one provider's, or a set's (StartSet).
type process struct {
	names   []string // the providers it serves
	path    string   // its executable, for messages
	sockDir string   // its socket directory
	pc      *goplugin.Client
	tail    *tail
	logger  hclog.Logger

	// ended, once set, is the end every call of every provider of the
	// process reports: it crashed or hung.
	ended atomic.Pointer[providers.Ended]

	mu   sync.Mutex
	open int // providers not yet closed

	// What the calls in flight are doing, for the message about the
	// process's end.
	flightMu sync.Mutex
	flight   map[uint64]string
	flightN  uint64
}

// fly records a call of provider name in flight, doing ("applying
// vnode.a"), until the returned func is called.
func (proc *process) fly(name, doing string) (landed func()) {
	if len(proc.names) > 1 {
		doing = name + ": " + doing
	}
	proc.flightMu.Lock()
	if proc.flight == nil {
		proc.flight = map[uint64]string{}
	}
	proc.flightN++
	id := proc.flightN
	proc.flight[id] = doing
	proc.flightMu.Unlock()
	return func() {
		proc.flightMu.Lock()
		delete(proc.flight, id)
		proc.flightMu.Unlock()
	}
}

// inFlight says what the calls in flight are doing, in the order they
// were sent, as lines for a message.
func (proc *process) inFlight() string {
	proc.flightMu.Lock()
	ids := make([]uint64, 0, len(proc.flight))
	for id := range proc.flight {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	calls := make([]string, len(ids))
	for i, id := range ids {
		calls[i] = proc.flight[id]
	}
	proc.flightMu.Unlock()
	if len(calls) == 0 {
		return ""
	}
	what := "it was done"
	if len(calls) > 1 {
		what = fmt.Sprintf("these %d were done", len(calls))
	}
	return fmt.Sprintf("\n\nIn flight when it ended (benito does not know whether %s):\n  %s", what, strings.Join(calls, "\n  "))
}

// who names the providers the process serves, and its executable, for
// the summary of its end: which of them a crash came from, benito cannot
// tell.
func (proc *process) who() string {
	if len(proc.names) == 1 {
		return fmt.Sprintf("Provider %q (%s)", proc.names[0], proc.path)
	}
	quoted := make([]string, len(proc.names))
	for i, n := range proc.names {
		quoted[i] = strconv.Quote(n)
	}
	slices.Sort(quoted)
	return "Providers " + strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1] + " (one process: " + proc.path + ")"
}

// release closes one of the process's providers; the last one ends it.
func (proc *process) release() {
	proc.mu.Lock()
	proc.open--
	last := proc.open == 0
	proc.mu.Unlock()
	if !last {
		return
	}
	t := time.Now()
	proc.pc.Kill()
	proc.logger.Debug("provider process closed", "took", time.Since(t))
	if proc.sockDir != "" && !leaveSocketDir {
		os.RemoveAll(proc.sockDir)
	}
}

// leaveSocketDir, set by tests, leaves the removal of a closed provider's
// socket directory to the provider, as when benito is killed just after
// the provider ended.
var leaveSocketDir bool

// also names the other providers a process serves, for messages about its
// end ("" for a process of one provider).
func (proc *process) also(name string) string {
	var others []string
	for _, n := range proc.names {
		if n != name {
			others = append(others, fmt.Sprintf("%q", n))
		}
	}
	if len(others) == 0 {
		return ""
	}
	return " (it also served " + strings.Join(others, ", ") + ", which ended with it)"
}

// namedConn sends every call with the name of the provider it is for, to
// a process serving several.
type namedConn struct {
	grpc.ClientConnInterface
	name string
}

func (n namedConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return n.ClientConnInterface.Invoke(metadata.AppendToOutgoingContext(ctx, metadataProvider, n.name), method, args, reply, opts...)
}

func (n namedConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return n.ClientConnInterface.NewStream(metadata.AppendToOutgoingContext(ctx, metadataProvider, n.name), desc, method, opts...)
}

// client is a provider in another process.
type client struct {
	name                  string
	proc                  *process
	rpc                   proto.ProviderClient
	timeout, applyTimeout time.Duration

	// dead, once set, is the end every call reports: the provider was
	// closed. (The end of its process is proc.ended.)
	dead atomic.Pointer[providers.Ended]

	// The apply stream (stream_client.go), opened on the first apply.
	streamMu sync.Mutex
	stream   *applyStream
	noStream bool // the provider does not serve it: applies go unary

	schemaOnce sync.Once
	schema     providers.GetSchemaResponse
	types      types

	// byDefault counts the planned values benito built (by_default
	// answers), for tests.
	byDefault atomic.Int64
}

var _ providers.Provider = (*client)(nil)
var _ providers.ValidatePlanner = (*client)(nil)

// unary makes one unary gRPC call, rpc(ctx, req), with call's time limit
// and its diagnostics for a provider that failed, crashed or hung.
func unary[Req, Resp any](c *client, ctx context.Context, limit time.Duration, address, doing string, rpc func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req) (Resp, providers.Diagnostics) {
	var resp Resp
	d := c.call(ctx, limit, address, doing, func(ctx context.Context) (err error) {
		resp, err = rpc(ctx, req)
		return err
	})
	return resp, d
}

// ended is why the provider cannot be called any more (closed, or its
// process ended), or nil.
func (c *client) ended() *providers.Ended {
	if d := c.dead.Load(); d != nil {
		return d
	}
	return c.proc.ended.Load()
}

// call runs one gRPC call with the time limit, turning a failure of the
// transport into a diagnostic about the provider and what it was asked
// (doing: "applying port.x").
func (c *client) call(ctx context.Context, limit time.Duration, address, doing string, fn func(context.Context) error) providers.Diagnostics {
	if d := c.ended(); d != nil {
		return c.deadDiag(d, address)
	}
	defer c.proc.fly(c.name, doing)() // after failure has said what was in flight
	cctx, cancel := context.WithTimeout(ctx, limit)
	err := fn(cctx)
	cancel()
	if err == nil {
		return nil
	}
	return c.failure(ctx, err, errors.Is(cctx.Err(), context.DeadlineExceeded), limit, address, doing)
}

// failure turns a failed call into its diagnostic: cancelled by the
// caller, refused by a live provider, or (timedOut: not answered within
// limit) the end of the provider, recorded in proc.ended.
func (c *client) failure(ctx context.Context, err error, timedOut bool, limit time.Duration, address, doing string) providers.Diagnostics {
	if ctx.Err() != nil {
		return providers.Errorf(address, "Provider %q: %s was cancelled", c.name, doing)
	}
	switch status.Code(err) {
	case codes.Unimplemented, codes.ResourceExhausted:
		// The provider is alive and answered: it lacks the call, or the
		// message was too large. Later calls may still work.
		return providers.Errorf(address, "Provider %q: %s failed: %v", c.name, doing, status.Convert(err).Message())
	}
	if d := c.ended(); d != nil {
		// Another call found the provider ended (or Close did).
		return c.inFlightDiag(d, address)
	}
	var d providers.Ended
	pc := c.proc.pc
	if timedOut {
		d = providers.Ended{
			Summary: fmt.Sprintf("Provider %q (%s) did not answer within %s while %s", c.name, c.proc.path, limit, doing),
			Detail:  fmt.Sprintf("benito stopped the provider process%s. %s sets the time limit per call.", c.proc.also(c.name), EnvTimeout),
		}
		// Recorded before the kill, so that the calls the kill breaks
		// report this, not a crash.
		diags, first := c.end(d, address)
		if first {
			pc.Kill()
		}
		return diags
	}
	// The process has likely died; wait briefly for it, so that its last
	// words are in the tail.
	for i := 0; i < 200 && !pc.Exited(); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	// Which call noticed first says nothing of the cause: the summary
	// names the process's providers, the detail every call in flight.
	if pc.Exited() {
		pc.Kill() // release what the client holds
		d = providers.Ended{
			Summary: c.proc.who() + " crashed",
			Detail:  "The provider process exited unexpectedly.",
		}
	} else {
		pc.Kill()
		d = providers.Ended{
			Summary: c.proc.who() + " stopped answering",
			Detail:  fmt.Sprintf("The connection to the provider process failed (%v); benito stopped it.", err),
		}
	}
	diags, _ := c.end(d, address)
	return diags
}

// recorded is said of every end of a provider.
const recorded = " Everything applied before is recorded in the state: run benito plan to see what remains."

// end records d, with what was in flight and the provider's last output,
// as the end of its process, which every later call then reports, and
// returns this call's diagnostic, which carries the whole story. When
// another call recorded an end first, this call reports that one, as in
// flight, and first is false.
func (c *client) end(d providers.Ended, address string) (diags providers.Diagnostics, first bool) {
	d.Detail += recorded + c.proc.inFlight()
	if t := c.proc.tail.String(); t != "" {
		d.Detail += "\n\nIts last output (all of it is in the log: BENITO_LOG=debug):\n" + t
	}
	if !c.proc.ended.CompareAndSwap(nil, &d) {
		return c.inFlightDiag(c.proc.ended.Load(), address), false
	}
	end := c.proc.ended.Load()
	return providers.Diagnostics{{Severity: providers.Error, Summary: end.Summary, Detail: end.Detail, Address: address, Ended: end}}, true
}

// inFlightDiag is the answer to a call that was in flight when the
// provider ended, through another call or Close: the summary of what
// ended it, without repeating its output.
func (c *client) inFlightDiag(d *providers.Ended, address string) providers.Diagnostics {
	return providers.Diagnostics{{
		Severity: providers.Error,
		Summary:  d.Summary,
		Detail:   "This call was in flight when the provider ended: benito does not know whether it was done." + recorded,
		Address:  address,
		Ended:    d,
	}}
}

// deadDiag is the answer to a call made after the provider ended: the
// summary of what ended it, without repeating its output.
func (c *client) deadDiag(d *providers.Ended, address string) providers.Diagnostics {
	return providers.Diagnostics{{
		Severity: providers.Error,
		Summary:  d.Summary,
		Detail:   "benito did not send this call: the provider had already ended.",
		Address:  address,
		Ended:    d,
		NotSent:  true,
	}}
}

// batch names the resources of a batched call, for messages.
func batch(verb string, addrs func(int) string, n int) string {
	switch n {
	case 0:
		return verb + " no resources"
	case 1:
		return verb + " " + addrs(0)
	default:
		return fmt.Sprintf("%s %d resources (%s, ...)", verb, n, addrs(0))
	}
}

// loadSchema fetches the schema once; every value is encoded against it.
func (c *client) loadSchema(ctx context.Context) providers.Diagnostics {
	var diags providers.Diagnostics
	c.schemaOnce.Do(func() {
		var resp *proto.GetSchema_Response
		resp, diags = unary(c, ctx, c.timeout, "", "reading its schema", c.rpc.GetSchema, &proto.GetSchema_Request{})
		if diags != nil {
			c.schema.Diagnostics = diags
			return
		}
		s, err := schemaFromProto(resp.Schema)
		c.schema = providers.GetSchemaResponse{
			Info:        providers.Info{Name: resp.GetInfo().GetName(), Version: resp.GetInfo().GetVersion()},
			Schema:      s,
			Diagnostics: diagsFromProto(resp.Diagnostics),
		}
		if err != nil {
			c.schema.Diagnostics = append(c.schema.Diagnostics, providers.Errorf("", "Provider %q sent a schema benito cannot read: %v", c.name, err)...)
		}
		c.types = newTypes(s.ResourceTypes)
	})
	if c.schema.Diagnostics.HasErrors() {
		return c.schema.Diagnostics
	}
	return nil
}

func (c *client) resourceType(ctx context.Context, address, typ string) (*resourceType, providers.Diagnostics) {
	if diags := c.loadSchema(ctx); diags != nil {
		return nil, diags
	}
	rs, err := c.types.of(typ)
	if err != nil {
		return nil, providers.Errorf(address, "Provider %q: %v", c.name, err)
	}
	return rs, nil
}

// encode encodes a value to send for address; what names it in the
// diagnostic ("prior value").
func (c *client) encode(codec *typeCodec, v cty.Value, address, what string) (*proto.DynamicValue, providers.Diagnostics) {
	dv, err := codec.encodeValue(v)
	if err != nil {
		return nil, providers.Errorf(address, "Cannot send the %s to provider %q: %v", what, c.name, err)
	}
	return dv, nil
}

// decode decodes a value the provider answered for address. One that does
// not match the schema comes with a diagnostic, and as decodeValue left it.
func (c *client) decode(codec *typeCodec, dv *proto.DynamicValue, address, what string) (cty.Value, providers.Diagnostics) {
	v, err := codec.decodeValue(dv)
	if err != nil {
		return v, providers.Errorf(address, "Provider %q sent a %s that does not match its schema: %v", c.name, what, err)
	}
	return v, nil
}

func (c *client) GetSchema(ctx context.Context) providers.GetSchemaResponse {
	c.loadSchema(ctx)
	return c.schema
}

func (c *client) Configure(ctx context.Context, req providers.ConfigureRequest) providers.ConfigureResponse {
	resp, d := unary(c, ctx, c.timeout, "", "configuring it", c.rpc.Configure, &proto.Configure_Request{Experiment: req.Experiment, Site: req.Site})
	if d != nil {
		return providers.ConfigureResponse{Diagnostics: d}
	}
	return providers.ConfigureResponse{Diagnostics: diagsFromProto(resp.Diagnostics)}
}

func (c *client) ValidateResources(ctx context.Context, req providers.ValidateResourcesRequest) providers.ValidateResourcesResponse {
	in := &proto.ValidateResources_Request{Resources: make([]*proto.ValidateResources_Resource, len(req.Resources))}
	for i, r := range req.Resources {
		rs, d := c.resourceType(ctx, r.Address, r.Type)
		if d != nil {
			return providers.ValidateResourcesResponse{Diagnostics: d}
		}
		cfg, d := c.encode(rs.config, r.Config, r.Address, "configuration")
		if d != nil {
			return providers.ValidateResourcesResponse{Diagnostics: d}
		}
		in.Resources[i] = &proto.ValidateResources_Resource{Address: r.Address, Type: r.Type, Config: cfg}
	}
	doing := batch("validating", func(i int) string { return req.Resources[i].Address }, len(req.Resources))
	resp, d := unary(c, ctx, c.timeout, "", doing, c.rpc.ValidateResources, in)
	if d != nil {
		return providers.ValidateResourcesResponse{Diagnostics: d}
	}
	return providers.ValidateResourcesResponse{Diagnostics: diagsFromProto(resp.Diagnostics)}
}

func (c *client) PlanResources(ctx context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	return c.planResources(ctx, req, false)
}

// ValidateAndPlanResources validates and plans in one round trip: the
// provider's side validates the configurations it decoded for planning.
func (c *client) ValidateAndPlanResources(ctx context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	return c.planResources(ctx, req, true)
}

func (c *client) planResources(ctx context.Context, req providers.PlanResourcesRequest, validate bool) providers.PlanResourcesResponse {
	in := &proto.PlanResources_Request{Changes: make([]*proto.PlanResources_Change, len(req.Changes)), Validate: validate, Defaults: true}
	schemas := make([]*resourceType, len(req.Changes))
	for i, ch := range req.Changes {
		rs, d := c.resourceType(ctx, ch.Address, ch.Type)
		if d != nil {
			return providers.PlanResourcesResponse{Diagnostics: d}
		}
		schemas[i] = rs
		prior, d := c.encode(rs.implied, ch.Prior, ch.Address, "prior value")
		if d != nil {
			return providers.PlanResourcesResponse{Diagnostics: d}
		}
		proposed, d := c.encode(rs.config, ch.Proposed, ch.Address, "proposed value")
		if d != nil {
			return providers.PlanResourcesResponse{Diagnostics: d}
		}
		in.Changes[i] = &proto.PlanResources_Change{Address: ch.Address, Type: ch.Type, Prior: prior, PriorPrivate: ch.PriorPrivate, Proposed: proposed}
	}
	verb := "planning"
	if validate {
		verb = "validating and planning"
	}
	doing := batch(verb, func(i int) string { return req.Changes[i].Address }, len(req.Changes))
	resp, d := unary(c, ctx, c.timeout, "", doing, c.rpc.PlanResources, in)
	if d != nil {
		return providers.PlanResourcesResponse{Diagnostics: d}
	}
	out := providers.PlanResourcesResponse{Diagnostics: diagsFromProto(resp.Diagnostics)}
	if len(resp.Changes) > 0 {
		out.Changes = make([]providers.PlannedChange, len(resp.Changes))
	}
	for i, pc := range resp.Changes {
		if i >= len(schemas) {
			break // a long answer is the engine's to report
		}
		var planned cty.Value
		var d providers.Diagnostics
		if pc.ByDefault {
			c.byDefault.Add(1)
			var err error
			if planned, err = schemas[i].fromDefault(req.Changes[i], pc); err != nil {
				d = providers.Errorf(req.Changes[i].Address, "Provider %q sent a planned value that does not match its schema: %v", c.name, err)
			}
		} else {
			planned, d = c.decode(schemas[i].implied, pc.Planned, req.Changes[i].Address, "planned value")
		}
		out.Diagnostics = append(out.Diagnostics, d...)
		out.Changes[i] = providers.PlannedChange{Planned: planned, PlannedPrivate: pc.PlannedPrivate, RequiresReplace: pathsFromProto(pc.RequiresReplace)}
	}
	return out
}

func (c *client) ApplyResource(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
	rs, d := c.resourceType(ctx, req.Address, req.Type)
	if d != nil {
		return providers.ApplyResourceResponse{Diagnostics: d}
	}
	ty := rs.implied
	prior, d := c.encode(ty, req.Prior, req.Address, "prior value")
	if d != nil {
		return providers.ApplyResourceResponse{Diagnostics: d}
	}
	planned, d := c.encode(ty, req.Planned, req.Address, "planned value")
	if d != nil {
		return providers.ApplyResourceResponse{Diagnostics: d}
	}
	doing := "updating " + req.Address
	switch {
	case req.Prior.IsNull():
		doing = "creating " + req.Address
	case req.Planned.IsNull():
		doing = "destroying " + req.Address
	}
	resp, d := c.apply(ctx, &proto.ApplyResource_Request{
		Address: req.Address, Type: req.Type, Prior: prior, Planned: planned, PlannedPrivate: req.PlannedPrivate,
	}, doing)
	if d != nil {
		return providers.ApplyResourceResponse{Diagnostics: d}
	}
	nv, d := c.decode(ty, resp.New, req.Address, "new value")
	return providers.ApplyResourceResponse{New: nv, Private: resp.Private, Diagnostics: append(diagsFromProto(resp.Diagnostics), d...)}
}

func (c *client) ReadResources(ctx context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	in := &proto.ReadResources_Request{Resources: make([]*proto.ReadResources_Resource, len(req.Resources)), ExistenceOnly: req.ExistenceOnly}
	schemas := make([]*resourceType, len(req.Resources))
	for i, r := range req.Resources {
		rs, d := c.resourceType(ctx, r.Address, r.Type)
		if d != nil {
			return providers.ReadResourcesResponse{Diagnostics: d}
		}
		schemas[i] = rs
		cur, d := c.encode(rs.implied, r.Current, r.Address, "current value")
		if d != nil {
			return providers.ReadResourcesResponse{Diagnostics: d}
		}
		in.Resources[i] = &proto.ReadResources_Resource{Address: r.Address, Type: r.Type, Current: cur, Private: r.Private}
	}
	doing := batch("reading", func(i int) string { return req.Resources[i].Address }, len(req.Resources))
	resp, d := unary(c, ctx, c.timeout, "", doing, c.rpc.ReadResources, in)
	if d != nil {
		return providers.ReadResourcesResponse{Diagnostics: d}
	}
	out := providers.ReadResourcesResponse{Diagnostics: diagsFromProto(resp.Diagnostics)}
	if len(resp.Resources) > 0 {
		out.Resources = make([]providers.ReadResult, len(resp.Resources))
	}
	for i, r := range resp.Resources {
		if i >= len(schemas) {
			break
		}
		nv, d := c.decode(schemas[i].implied, r.New, req.Resources[i].Address, "value read")
		out.Diagnostics = append(out.Diagnostics, d...)
		out.Resources[i] = providers.ReadResult{New: nv, Private: r.Private}
	}
	return out
}

func (c *client) ImportResource(ctx context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	rs, d := c.resourceType(ctx, req.Address, req.Type)
	if d != nil {
		return providers.ImportResourceResponse{Diagnostics: d}
	}
	resp, d := unary(c, ctx, c.applyTimeout, req.Address, "importing "+req.Address, c.rpc.ImportResource, &proto.ImportResource_Request{Address: req.Address, Type: req.Type, Id: req.ID})
	if d != nil {
		return providers.ImportResourceResponse{Diagnostics: d}
	}
	nv, d := c.decode(rs.implied, resp.New, req.Address, "imported value")
	return providers.ImportResourceResponse{New: nv, Private: resp.Private, Diagnostics: append(diagsFromProto(resp.Diagnostics), d...)}
}

// Sweep asks the provider what it made on the host. A provider built
// before the call answers Unimplemented: it made nothing it can find.
func (c *client) Sweep(ctx context.Context, req providers.SweepRequest) providers.SweepResponse {
	var resp *proto.Sweep_Response
	d := c.call(ctx, c.applyTimeout, "", "sweeping the host", func(ctx context.Context) (err error) {
		resp, err = c.rpc.Sweep(ctx, &proto.Sweep_Request{Remove: hostObjectsToProto(req.Remove)})
		if status.Code(err) == codes.Unimplemented {
			resp, err = &proto.Sweep_Response{}, nil
		}
		return err
	})
	if d != nil {
		return providers.SweepResponse{Diagnostics: d}
	}
	return providers.SweepResponse{Objects: hostObjectsFromProto(resp.Objects), Diagnostics: diagsFromProto(resp.Diagnostics)}
}

// Stop asks the provider to abandon in-flight work. A provider that has
// already ended has nothing to stop.
func (c *client) Stop(ctx context.Context) error {
	if c.ended() != nil {
		return nil
	}
	resp, d := unary(c, ctx, c.timeout, "", "stopping", c.rpc.Stop, &proto.Stop_Request{})
	if d != nil {
		return d.Err()
	}
	if resp.Error != "" {
		return fmt.Errorf("provider %q: %s", c.name, resp.Error)
	}
	return nil
}

// Close ends the provider (and its process, once every provider the
// process serves is closed); later calls fail at once.
func (c *client) Close() error {
	if !c.dead.CompareAndSwap(nil, &providers.Ended{
		Summary: fmt.Sprintf("Provider %q was called after it was closed", c.name),
		Detail:  "This is a bug in benito.",
	}) {
		return nil // closed already
	}
	c.closeStream()
	c.proc.release()
	return nil
}

// fixedName keeps go-plugin from naming the provider's log lines after the
// executable (every first-party provider is "benito"): the logger is
// already named after the provider.
type fixedName struct{ hclog.Logger }

func (f fixedName) Named(string) hclog.Logger { return f }

// tail keeps the last lines a provider wrote that are not structured log
// entries (those are in the log): a panic, a message before dying.
type tail struct {
	mu    sync.Mutex
	lines []string
	part  []byte
}

const (
	tailLines    = 200 // kept
	excerptLines = 8   // shown
)

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, b...)
	for {
		i := strings.IndexByte(string(t.part), '\n')
		if i < 0 {
			break
		}
		t.add(string(t.part[:i]))
		t.part = t.part[i+1:]
	}
	return len(b), nil
}

func (t *tail) add(line string) {
	line = strings.TrimRight(line, "\r")
	if strings.HasPrefix(line, `{"@`) || strings.TrimSpace(line) == "" {
		return
	}
	if len(t.lines) == tailLines {
		copy(t.lines, t.lines[1:])
		t.lines = t.lines[:tailLines-1]
	}
	t.lines = append(t.lines, line)
}

// String returns the excerpt worth showing: from the last panic or fatal
// error on, its first lines (what failed, and where); otherwise the last
// lines.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if len(t.part) > 0 {
		lines = append(lines[:len(lines):len(lines)], string(t.part))
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "panic: ") || strings.HasPrefix(lines[i], "fatal error: ") {
			lines = lines[i:min(len(lines), i+excerptLines)]
			break
		}
	}
	if len(lines) > excerptLines {
		lines = lines[len(lines)-excerptLines:]
	}
	if len(lines) == 0 {
		return ""
	}
	return "  " + strings.Join(lines, "\n  ")
}

// lineLogger logs what the provider writes to its stdout and stderr (the
// Go variables, which go-plugin forwards), and keeps the tail.
type lineLogger struct {
	logger hclog.Logger
	tail   *tail
}

func (l *lineLogger) Write(b []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		l.logger.Debug(line)
	}
	return l.tail.Write(b)
}
