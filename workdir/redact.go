package workdir

import "github.com/hashicorp/hcl/v2"

// Redact masks the text of every sensitive value in diagnostics of the
// stages after loading (hcl.Config.Redact): a provider's error may quote
// a value it was given plain, or the output of a failed startup command.
func (w *Workdir) Redact(diags hcl.Diagnostics) hcl.Diagnostics {
	if w == nil {
		return diags
	}
	return w.Config.Redact(diags)
}
