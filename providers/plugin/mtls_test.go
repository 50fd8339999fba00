package plugin_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/benito-net/benito/internal/syncbuf"
	"github.com/benito-net/benito/providers/plugin"
)

// envDropKey, set in a provider started by these tests, makes it ignore
// the key benito passes, as a provider built before first-party keys does.
const envDropKey = "BENITO_PLUGIN_TEST_DROP_KEY"

func init() {
	if os.Getenv(envDropKey) != "" {
		os.Unsetenv("BENITO_PROVIDER_KEY_FD")
	}
}

// TestFirstPartyKey: a first-party provider serves with benito's key and
// certificate (it makes none of its own: go-plugin's AutoMTLS logs when it
// does); one that ignores the key, and a third-party one, still connect
// with a certificate of their own.
func TestFirstPartyKey(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		firstParty bool
		env        []string
		ownCert    bool
	}{
		{"first-party", true, nil, false},
		{"first-party-ignoring-the-key", true, []string{envDropKey + "=1"}, true},
		{"third-party", false, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &syncbuf.Buffer{}
			p, err := plugin.Start(context.Background(), plugin.Config{
				Name: "echo", Path: exe, Env: append([]string{envServe + "=echo"}, tc.env...),
				Logger:     hclog.New(&hclog.LoggerOptions{Output: log, Level: hclog.Debug}),
				FirstParty: tc.firstParty,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if resp := p.GetSchema(context.Background()); resp.Info.Name != "echo" {
				t.Fatalf("schema: %+v", resp)
			}
			if got := strings.Contains(log.String(), "configuring server automatic mTLS"); got != tc.ownCert {
				t.Errorf("provider made its own certificate: %v, want %v; log:\n%s", got, tc.ownCert, log.String())
			}
		})
	}
}

// TestKeyNotInherited: benito's key descriptor is not passed on to a
// third-party provider, even if benito's own environment names one.
func TestKeyNotInherited(t *testing.T) {
	t.Setenv("BENITO_PROVIDER_KEY_FD", "3")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	log := &syncbuf.Buffer{}
	p, err := plugin.Start(context.Background(), plugin.Config{
		Name: "echo", Path: exe, Env: []string{envServe + "=echo"},
		Logger: hclog.New(&hclog.LoggerOptions{Output: log, Level: hclog.Debug}),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if resp := p.GetSchema(context.Background()); resp.Info.Name != "echo" {
		t.Fatalf("schema: %+v", resp)
	}
	if !strings.Contains(log.String(), "configuring server automatic mTLS") {
		t.Errorf("a third-party provider did not make its own certificate; log:\n%s", log.String())
	}
	// The variable naming benito's key pipe is not passed on.
	env := childEnviron(t, envServe+"=echo")
	if env == "" {
		t.Fatal("the provider's process was not found")
	}
	if strings.Contains(env, "BENITO_PROVIDER_KEY_FD=") {
		t.Error("a third-party provider inherited BENITO_PROVIDER_KEY_FD")
	}
}

// childEnviron returns the environment (NUL-separated) of this process's
// child whose environment holds marker, or "".
func childEnviron(t *testing.T, marker string) string {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		env, err := os.ReadFile(filepath.Join(filepath.Dir(st), "environ"))
		if err == nil && strings.Contains("\x00"+string(env), "\x00"+marker+"\x00") {
			return string(env)
		}
	}
	return ""
}
