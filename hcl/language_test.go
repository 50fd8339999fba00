package hcl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestLanguageDocumented: every block and attribute of the language has a
// summary or description, a type, a default unless required, and an
// example that parses as that attribute; nested blocks' examples decode
// with their schema.
func TestLanguageDocumented(t *testing.T) {
	var walk func(path string, b *BlockSpec)
	walk = func(path string, b *BlockSpec) {
		path += b.Type
		if b.Summary == "" || b.Example == "" {
			t.Errorf("%s: no summary or no example", path)
		}
		f, diags := hclsyntax.ParseConfig([]byte(b.Example), path, hcl.InitialPos)
		if diags.HasErrors() {
			t.Errorf("%s: the example does not parse: %v", path, diags)
		} else if blocks := f.Body.(*hclsyntax.Body).Blocks; len(blocks) != 1 || blocks[0].Type != b.Type || len(blocks[0].Labels) != len(b.Labels) {
			t.Errorf("%s: the example is not one %s block with %d labels:\n%s", path, b.Type, len(b.Labels), b.Example)
		} else if !b.Open {
			if _, diags := compile(b.schema()).decode(blocks[0].Body); diags.HasErrors() {
				t.Errorf("%s: the example does not decode: %v", path, diags)
			}
		}
		for _, a := range b.Attributes {
			where := path + "." + a.Name
			if a.Type == "" || a.Description == "" || a.Example == "" || (a.Default == "") != a.Required {
				t.Errorf("%s: type %q, default %q (required %v), description %q, example %q", where, a.Type, a.Default, a.Required, a.Description, a.Example)
			}
			f, diags := hclsyntax.ParseConfig([]byte(a.Example), where, hcl.InitialPos)
			if diags.HasErrors() {
				t.Errorf("%s: the example does not parse: %v", where, diags)
				continue
			}
			attrs := f.Body.(*hclsyntax.Body).Attributes
			placeholder := b.Open && strings.ToUpper(a.Name) == a.Name
			if len(attrs) != 1 || attrs[a.Name] == nil && !placeholder {
				t.Errorf("%s: the example is not one %s attribute: %s", where, a.Name, a.Example)
			}
		}
		for _, nb := range b.Blocks {
			walk(path+" ", nb)
		}
	}
	for _, b := range Language() {
		walk("", b)
	}
}

// TestLanguageExamples: the top-level blocks' examples, together, are a
// valid experiment.
func TestLanguageExamples(t *testing.T) {
	dir := t.TempDir()
	var src []string
	for _, b := range Language() {
		src = append(src, b.Example)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(strings.Join(src, "\n\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load(dir, Options{})
	if diags.HasErrors() {
		t.Fatalf("the examples of docs/language.md do not load: %v\n%s", diags, strings.Join(src, "\n\n"))
	}
	exp := cfg.Experiment
	if len(exp.VNodes) != 1 || len(exp.Switches) != 1 || len(exp.Resources) != 1 || len(exp.Taps) != 1 || len(exp.Routes) != 1 || len(exp.Outputs) != 1 {
		t.Errorf("the examples made %d vnodes, %d switches, %d resources, %d taps, %d routes, %d outputs; want one of each",
			len(exp.VNodes), len(exp.Switches), len(exp.Resources), len(exp.Taps), len(exp.Routes), len(exp.Outputs))
	}
}
