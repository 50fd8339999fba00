package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/configdir"
)

// The engine starts the built-in providers by re-executing benito's own
// binary, which in these tests is the test binary: run that way (go-plugin
// sets its cookie, the arguments are "provider NAME"), the test binary
// serves the provider instead of running the tests. init runs before
// TestMain and the testing flags.
func init() {
	if !providerMode(os.Args) || os.Getenv("BENITO_PROVIDER_PLUGIN") == "" {
		return
	}
	if dir := os.Getenv(envChildMark); dir != "" {
		mark := fmt.Sprintf("%d\n%s", os.Getppid(), strings.Join(os.Args[1:], " "))
		os.WriteFile(filepath.Join(dir, strconv.Itoa(os.Getpid())), []byte(mark), 0o644)
	}
	builtinProviders[crashTestProvider] = newCrashTest
	if at := os.Getenv(envCrashAt); at != "" {
		for name, mk := range builtinProviders {
			builtinProviders[name] = func() providers.Provider { return &crashing{Provider: mk(), at: at} }
		}
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}

// envChildMark names a directory: a built-in provider run by a test
// writes a file there named after its pid, with its parent's pid and its
// arguments, so that a test knows for certain which provider processes
// ran, however short-lived, and whose children they were.
const envChildMark = "BENITO_TEST_CHILD_MARK"

// envCrashAt names a resource address: a built-in provider run by a test
// crashes (panics, as a buggy provider would) when asked to apply it.
const envCrashAt = "BENITO_TEST_PROVIDER_CRASH_AT"

type crashing struct {
	providers.Provider
	at string
}

func (c *crashing) ApplyResource(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
	if req.Address == c.at {
		panic("test provider crashing on purpose at " + req.Address)
	}
	return c.Provider.ApplyResource(ctx, req)
}

// crashTestProvider serves resource blocks of type crashtest_file, which
// are the config directory's files under another name (config_file itself
// is reserved to benito): real files, so that what was applied before a
// crash is still there for the next plan to read.
const crashTestProvider = "crashtest"

const crashTestType = "crashtest_file"

func newCrashTest() providers.Provider { return renamed{configdir.New()} }

type renamed struct{ providers.Provider }

func (r renamed) GetSchema(ctx context.Context) providers.GetSchemaResponse {
	resp := r.Provider.GetSchema(ctx)
	resp.Info = providers.Info{Name: crashTestProvider, Version: "1.0.0"}
	resp.Schema = providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{crashTestType: resp.Schema.ResourceTypes[contract.ConfigFile]}}
	return resp
}

func (r renamed) ValidateResources(ctx context.Context, req providers.ValidateResourcesRequest) providers.ValidateResourcesResponse {
	for i := range req.Resources {
		req.Resources[i].Type = contract.ConfigFile
	}
	return r.Provider.ValidateResources(ctx, req)
}

func (r renamed) PlanResources(ctx context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	for i := range req.Changes {
		req.Changes[i].Type = contract.ConfigFile
	}
	return r.Provider.PlanResources(ctx, req)
}

func (r renamed) ApplyResource(ctx context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
	req.Type = contract.ConfigFile
	return r.Provider.ApplyResource(ctx, req)
}

func (r renamed) ReadResources(ctx context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	for i := range req.Resources {
		req.Resources[i].Type = contract.ConfigFile
	}
	return r.Provider.ReadResources(ctx, req)
}
