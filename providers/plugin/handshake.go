package plugin

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin/proto"
)

// ProtocolVersion is the version of the provider protocol this package
// speaks (proto/provider_v1.proto).
const ProtocolVersion = 1

// The handshake's magic cookie: not a secret, only a guard against running
// a provider binary by hand, which then says what it is for.
const (
	magicCookieKey   = "BENITO_PROVIDER_PLUGIN"
	magicCookieValue = "8d0f6a1c3e5b47c29e7a41d6b2f0c815"
)

// pluginName is the name the provider is dispensed under.
const pluginName = "provider"

// maxMessage bounds one message on the wire. Batched reads and plans carry
// tens of thousands of values in one message, well past gRPC's 4 MiB
// default.
const maxMessage = 1 << 30

func handshake(version int) goplugin.HandshakeConfig {
	return goplugin.HandshakeConfig{
		ProtocolVersion:  uint(version),
		MagicCookieKey:   magicCookieKey,
		MagicCookieValue: magicCookieValue,
	}
}

// grpcPlugin is go-plugin's view of a provider process: the providers it
// serves on the serving side, nothing on the calling side.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	impls    map[string]providers.Provider
	noStream bool // serve as a provider built before the apply stream (tests)
}

func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	servers := make(map[string]proto.ProviderServer, len(p.impls))
	for name, impl := range p.impls {
		if p.noStream {
			servers[name] = unaryOnly{newServer(name, impl)}
		} else {
			servers[name] = newServer(name, impl)
		}
	}
	if len(servers) == 1 {
		for _, one := range servers {
			proto.RegisterProviderServer(s, one)
		}
		return nil
	}
	proto.RegisterProviderServer(s, &mux{servers: servers})
	return nil
}

// metadataProvider is the gRPC metadata key naming the provider a call is
// for, when one process serves several (ServeSet, StartSet).
const metadataProvider = "benito-provider"

// mux serves several providers: each call goes to the one its metadata
// names.
type mux struct {
	proto.UnimplementedProviderServer
	servers map[string]proto.ProviderServer
}

func (m *mux) pick(ctx context.Context) (proto.ProviderServer, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	names := md.Get(metadataProvider)
	if len(names) != 1 {
		return nil, status.Errorf(codes.InvalidArgument, "this process serves several providers: a call must name one in its %q metadata", metadataProvider)
	}
	s := m.servers[names[0]]
	if s == nil {
		return nil, status.Errorf(codes.NotFound, "this process does not serve provider %q", names[0])
	}
	return s, nil
}

// route hands a unary call to the provider its metadata names.
func route[Req, Resp any](m *mux, ctx context.Context, req Req, call func(proto.ProviderServer, context.Context, Req) (Resp, error)) (Resp, error) {
	s, err := m.pick(ctx)
	if err != nil {
		var none Resp
		return none, err
	}
	return call(s, ctx, req)
}

func (m *mux) GetSchema(ctx context.Context, req *proto.GetSchema_Request) (*proto.GetSchema_Response, error) {
	return route(m, ctx, req, proto.ProviderServer.GetSchema)
}

func (m *mux) Configure(ctx context.Context, req *proto.Configure_Request) (*proto.Configure_Response, error) {
	return route(m, ctx, req, proto.ProviderServer.Configure)
}

func (m *mux) ValidateResources(ctx context.Context, req *proto.ValidateResources_Request) (*proto.ValidateResources_Response, error) {
	return route(m, ctx, req, proto.ProviderServer.ValidateResources)
}

func (m *mux) PlanResources(ctx context.Context, req *proto.PlanResources_Request) (*proto.PlanResources_Response, error) {
	return route(m, ctx, req, proto.ProviderServer.PlanResources)
}

func (m *mux) ApplyResource(ctx context.Context, req *proto.ApplyResource_Request) (*proto.ApplyResource_Response, error) {
	return route(m, ctx, req, proto.ProviderServer.ApplyResource)
}

func (m *mux) ReadResources(ctx context.Context, req *proto.ReadResources_Request) (*proto.ReadResources_Response, error) {
	return route(m, ctx, req, proto.ProviderServer.ReadResources)
}

func (m *mux) ImportResource(ctx context.Context, req *proto.ImportResource_Request) (*proto.ImportResource_Response, error) {
	return route(m, ctx, req, proto.ProviderServer.ImportResource)
}

func (m *mux) Sweep(ctx context.Context, req *proto.Sweep_Request) (*proto.Sweep_Response, error) {
	return route(m, ctx, req, proto.ProviderServer.Sweep)
}

func (m *mux) Stop(ctx context.Context, req *proto.Stop_Request) (*proto.Stop_Response, error) {
	return route(m, ctx, req, proto.ProviderServer.Stop)
}

func (m *mux) Exec(stream proto.Provider_ExecServer) error {
	s, err := m.pick(stream.Context())
	if err != nil {
		return err
	}
	return s.Exec(stream)
}

func (m *mux) ApplyResources(stream proto.Provider_ApplyResourcesServer) error {
	s, err := m.pick(stream.Context())
	if err != nil {
		return err
	}
	return s.ApplyResources(stream)
}

// unaryOnly is a server without the apply stream, as a provider built
// before it answers.
type unaryOnly struct{ *server }

func (unaryOnly) ApplyResources(proto.Provider_ApplyResourcesServer) error {
	return status.Error(codes.Unimplemented, "method ApplyResources not implemented")
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return grpc.ClientConnInterface(conn), nil
}

// Serve serves p to the benito process that started this one, and returns
// when that process ends the connection (after closing p). Run by hand, it
// prints what the binary is for and exits with status 1.
func Serve(p providers.Provider) {
	serve(p, ProtocolVersion, false)
}

// ServeSet serves several providers from one process, to StartSet: each
// call names its provider. benito serves its built-in providers so.
func ServeSet(ps map[string]providers.Provider) {
	serveSet(ps, ProtocolVersion, false)
}

func serve(p providers.Provider, version int, noStream bool) {
	serveSet(map[string]providers.Provider{"": p}, version, noStream)
}

func serveSet(ps map[string]providers.Provider, version int, noStream bool) {
	sockDir, err := makeSocketDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The directory this process made goes with it however it ends: on
	// the SIGTERM of a benito that died (makeSocketDir), or here, when
	// benito closed it. benito removes it too once the process has ended,
	// but a benito killed in between would leave it behind.
	defer func() {
		if sockDir != "" {
			os.RemoveAll(sockDir)
		}
	}()
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  handshake(version),
		VersionedPlugins: map[int]goplugin.PluginSet{version: {pluginName: &grpcPlugin{impls: ps, noStream: noStream}}},
		TLSProvider:      func() (*tls.Config, error) { return serverTLS(), nil },
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage))...)
		},
	})
	for _, p := range ps {
		if err := p.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "closing the provider:", err)
		}
	}
}

// socketDirPrefix names the directories benito makes for its providers'
// sockets (one per provider process).
const socketDirPrefix = "benito-provider-"

// envSocketDir names the directory, not yet made, where the provider is to
// make its socket.
const envSocketDir = "BENITO_PROVIDER_SOCKET_DIR"

// socketDirName returns a fresh, unguessable socket directory path under
// the temporary directory, for a provider to make.
func socketDirName() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return filepath.Join(os.TempDir(), socketDirPrefix+hex.EncodeToString(b)), nil
}

// makeSocketDir makes the socket directory benito named for this provider
// (envSocketDir), returns it ("" when benito named none) and tells
// go-plugin to use it, having first made a
// SIGTERM (what a provider gets when benito dies outright) remove it
// before the process ends, which go-plugin would leave behind. The
// directory is made under a lock the signal handler takes too, so that a
// SIGTERM at any moment leaves nothing.
func makeSocketDir() (string, error) {
	dir := os.Getenv(envSocketDir)
	if dir == "" || !strings.HasPrefix(filepath.Base(dir), socketDirPrefix) {
		return "", nil
	}
	var mu sync.Mutex
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	go func() {
		<-ch
		mu.Lock() // held until the exit: the directory is not made after this
		// go-plugin may be making its socket in the directory meanwhile,
		// which fails RemoveAll (directory not empty): again until it is
		// gone. Once it is, no socket can be made in it.
		for range 100 {
			if os.RemoveAll(dir) == nil {
				break
			}
		}
		os.Exit(143) // 128 + SIGTERM, as if the signal had ended it
	}()
	mu.Lock()
	defer mu.Unlock()
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("making the socket directory: %w", err)
	}
	return dir, os.Setenv(goplugin.EnvUnixSocketDir, dir)
}
