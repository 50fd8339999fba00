// Command benito-provider-hello is an example third-party benito provider,
// written with the SDK alone. It serves one resource type, hello_greeting,
// which writes "<greeting>, <name>!" to a file.
//
// Build it onto benito's plugin path:
//
//	go build -o ~/.benito/plugins/benito-provider-hello ./examples/provider-hello
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/benito-net/benito/providers/sdk"
)

// version is the provider's version, checked against required_providers.
var version = "0.1.0"

func main() { sdk.Serve(provider()) }

func provider() *sdk.Provider {
	return &sdk.Provider{
		Name:    "hello",
		Version: version,
		Resources: map[string]*sdk.Resource{
			"hello_greeting": greeting(),
		},
	}
}

func greeting() *sdk.Resource {
	return &sdk.Resource{
		Description: "A file holding a greeting.",
		Attributes: map[string]*sdk.Attribute{
			"path": {Type: sdk.String, Required: true, ForceNew: true, Description: "absolute path of the file to write",
				Validate: func(v any) error {
					if !filepath.IsAbs(v.(string)) {
						return fmt.Errorf("%q is not an absolute path", v)
					}
					return nil
				}},
			"name":     {Type: sdk.String, Required: true, Description: "who to greet"},
			"greeting": {Type: sdk.String, Optional: true, Default: "Hello", Description: "the greeting word"},
			"content":  {Type: sdk.String, Computed: true, Description: "what the file holds"},
		},
		Create: write,
		Update: write,
		Read: func(ctx context.Context, d *sdk.ResourceData) error {
			b, err := os.ReadFile(d.GetString("path"))
			if errors.Is(err, fs.ErrNotExist) {
				d.SetGone()
				return nil
			}
			if err != nil {
				return err
			}
			// An edited file is drift: content no longer matches what the
			// configuration asks for, so the next plan updates it.
			return d.Set("content", string(b))
		},
		Delete: func(ctx context.Context, d *sdk.ResourceData) error {
			err := os.Remove(d.GetString("path"))
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		},
		CustomizePlan: func(ctx context.Context, d *sdk.PlanData) error {
			// content is known at plan time: show it in the plan.
			return d.Set("content", text(d))
		},
	}
}

func text(d interface{ GetString(string) string }) string {
	return fmt.Sprintf("%s, %s!\n", d.GetString("greeting"), d.GetString("name"))
}

func write(ctx context.Context, d *sdk.ResourceData) error {
	content := text(d)
	if err := os.WriteFile(d.GetString("path"), []byte(content), 0o644); err != nil {
		return &sdk.AttributeError{Attribute: "path", Err: err}
	}
	return d.Set("content", content)
}
