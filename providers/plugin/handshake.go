package plugin

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
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

// grpcPlugin is go-plugin's view of a provider: impl on the serving side,
// nothing on the calling side.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	impl     providers.Provider
	noStream bool // serve as a provider built before the apply stream (tests)
}

func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.noStream {
		proto.RegisterProviderServer(s, unaryOnly{newServer(p.impl)})
		return nil
	}
	proto.RegisterProviderServer(s, newServer(p.impl))
	return nil
}

// unaryOnly is a server without the apply stream, as a provider built
// before it answers.
type unaryOnly struct{ *server }

func (unaryOnly) ApplyResources(proto.Provider_ApplyResourcesServer) error {
	return status.Error(codes.Unimplemented, "method ApplyResources not implemented")
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return proto.NewProviderClient(conn), nil
}

// Serve serves p to the benito process that started this one, and returns
// when that process ends the connection (after closing p). Run by hand, it
// prints what the binary is for and exits with status 1.
func Serve(p providers.Provider) {
	serve(p, ProtocolVersion, false)
}

func serve(p providers.Provider, version int, noStream bool) {
	removeSocketOnTerm()
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  handshake(version),
		VersionedPlugins: map[int]goplugin.PluginSet{version: {pluginName: &grpcPlugin{impl: p, noStream: noStream}}},
		TLSProvider:      func() (*tls.Config, error) { return serverTLS(), nil },
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage))...)
		},
	})
	if err := p.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "closing the provider:", err)
	}
}

// socketDirPrefix names the directories benito makes for its providers'
// sockets (one per provider process).
const socketDirPrefix = "benito-provider-"

// removeSocketOnTerm makes a SIGTERM (what a provider gets when benito dies
// outright) remove the provider's socket directory before the process
// ends, which go-plugin would leave behind. Only a directory benito made
// for this provider is removed.
func removeSocketOnTerm() {
	dir := os.Getenv(goplugin.EnvUnixSocketDir)
	if dir == "" || !strings.HasPrefix(filepath.Base(dir), socketDirPrefix) {
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	go func() {
		<-ch
		os.RemoveAll(dir)
		os.Exit(143) // 128 + SIGTERM, as if the signal had ended it
	}()
}
