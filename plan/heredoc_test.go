package plan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/benito-net/benito/addrs"
	"github.com/zclconf/go-cty/cty"
)

func TestHeredocCreateAndLineDiff(t *testing.T) {
	ty := cty.Object(map[string]cty.Type{"content": cty.String})
	var lines []string
	for i := 0; i < 20; i++ {
		lines = append(lines, "line "+strings.Repeat("x", i%3))
	}
	before := strings.Join(lines, "\n") + "\n"
	lines[10] = "changed"
	after := strings.Join(lines, "\n") + "\n"
	p := &Plan{Changes: []*Change{
		{Addr: addrs.Resource{Type: "config_file", Name: "new"}, Action: Create, Type: ty,
			Before: cty.NullVal(ty), After: cty.ObjectVal(map[string]cty.Value{"content": cty.StringVal("a\nb\n")})},
		{Addr: addrs.Resource{Type: "config_file", Name: "old"}, Action: Update, Type: ty,
			Before: cty.ObjectVal(map[string]cty.Value{"content": cty.StringVal(before)}),
			After:  cty.ObjectVal(map[string]cty.Value{"content": cty.StringVal(after)})},
	}}
	var buf bytes.Buffer
	if err := RenderHuman(&buf, p, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{
		"      + content = <<-EOT\n            a\n            b\n        EOT\n",
		"      ~ content = <<-EOT\n            # (7 unchanged lines hidden)\n",
		"          - line x\n          + changed\n",
		"            # (6 unchanged lines hidden)\n        EOT\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendering lacks %q:\n%s", want, got)
		}
	}
}
