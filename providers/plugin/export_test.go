package plugin

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin/proto"
)

// ServeVersion serves p speaking the given protocol version, to test what
// benito says to a provider of another version.
func ServeVersion(p providers.Provider, version int) { serve(p, version, false) }

// ServeUnary serves p without the apply stream, as a provider built
// before it.
func ServeUnary(p providers.Provider) { serve(p, ProtocolVersion, true) }

// BuiltByDefault is how many planned values p, a provider Start or
// StartSet returned, built itself from a by_default answer.
func BuiltByDefault(p providers.Provider) int64 { return p.(*client).byDefault.Load() }

// SetLeaveSocketDir leaves a closed provider's socket directory to the
// provider process (true), as a benito killed just after it ended does.
func SetLeaveSocketDir(leave bool) { leaveSocketDir = leave }

// SetUnaryApply makes ApplyResource calls go unary (true) or on the apply
// stream (false, the default), to compare them.
func SetUnaryApply(unary bool) { unaryApply = unary }

// ServeLying serves p without the apply stream (as ServeUnary), but every
// value it answers ApplyResource and ReadResources with is replaced by
// the bytes of value, as a buggy or hostile provider would send them: to
// test what benito does with them.
func ServeLying(p providers.Provider, value []byte) {
	sockDir, err := makeSocketDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if sockDir != "" {
		defer os.RemoveAll(sockDir)
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  handshake(ProtocolVersion),
		VersionedPlugins: map[int]goplugin.PluginSet{ProtocolVersion: {pluginName: &lyingPlugin{value: value, grpcPlugin: grpcPlugin{impls: map[string]providers.Provider{"": p}}}}},
		TLSProvider:      func() (*tls.Config, error) { return serverTLS(), nil },
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage))...)
		},
	})
}

type lyingPlugin struct {
	grpcPlugin
	value []byte
}

func (p *lyingPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	proto.RegisterProviderServer(s, lying{unaryOnly{newServer("", p.impls[""])}, p.value})
	return nil
}

type lying struct {
	unaryOnly
	value []byte
}

func (l lying) ApplyResource(ctx context.Context, req *proto.ApplyResource_Request) (*proto.ApplyResource_Response, error) {
	resp, err := l.unaryOnly.ApplyResource(ctx, req)
	if resp != nil {
		resp.New = &proto.DynamicValue{Msgpack: l.value}
	}
	return resp, err
}

func (l lying) ReadResources(ctx context.Context, req *proto.ReadResources_Request) (*proto.ReadResources_Response, error) {
	resp, err := l.unaryOnly.ReadResources(ctx, req)
	if resp != nil {
		for _, r := range resp.Resources {
			r.New = &proto.DynamicValue{Msgpack: l.value}
		}
	}
	return resp, err
}
