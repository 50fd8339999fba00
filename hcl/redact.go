package hcl

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// hiddenText stands for a sensitive value in messages, as in plans.
const hiddenText = "(sensitive value)"

// Redact returns diags with the text of every sensitive variable's value
// (Secrets) replaced by "(sensitive value)"; diags itself is not changed.
// The language's own messages never show a marked value (show); this is
// for the messages that quote a value without knowing it is secret: a
// function's error about an argument it was given unmarked (cty unmarks
// arguments for functions that do not handle marks), a provider's error,
// the output of a failed startup command quoted in one. Load redacts its
// own diagnostics; callers redact those of later stages with the Config.
func (c *Config) Redact(diags hcl.Diagnostics) hcl.Diagnostics {
	if c == nil || len(c.Secrets) == 0 || len(diags) == 0 {
		return diags
	}
	pairs := make([]string, 0, 2*len(c.Secrets))
	for _, s := range c.Secrets {
		pairs = append(pairs, s, hiddenText)
	}
	r := strings.NewReplacer(pairs...)
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		cp := *d
		cp.Summary, cp.Detail = r.Replace(d.Summary), r.Replace(d.Detail)
		out[i] = &cp
	}
	return out
}
