package workdir

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// hiddenText replaces a sensitive value in messages, as in plans.
const hiddenText = "(sensitive value)"

// Redact returns diags with the text of every sensitive variable's value
// (Config.Secrets) replaced by "(sensitive value)". The language's own
// messages never show a sensitive value (cty's marks say which values are);
// this is for those that do not come through it: a provider's error, which
// may quote a value it was given plain or the output of a failed startup
// command. diags itself is not changed.
func (w *Workdir) Redact(diags hcl.Diagnostics) hcl.Diagnostics {
	if w == nil || w.Config == nil || len(w.Config.Secrets) == 0 || len(diags) == 0 {
		return diags
	}
	pairs := make([]string, 0, 2*len(w.Config.Secrets))
	for _, s := range w.Config.Secrets {
		pairs = append(pairs, s, hiddenText)
	}
	r := strings.NewReplacer(pairs...)
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		c := *d
		c.Summary, c.Detail = r.Replace(d.Summary), r.Replace(d.Detail)
		out[i] = &c
	}
	return out
}
