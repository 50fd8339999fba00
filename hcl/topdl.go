package hcl

import (
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/topdl"
)

// topdlSet is the TopDL files of one Load, read as HCL. Diagnostics and
// source ranges that point into the generated HCL are moved to the XML
// element it was made from.
type topdlSet struct {
	gen map[string]*topdl.HCL // generated file name → the HCL and its line map
}

// genName is the name the HCL made from a TopDL file is parsed under.
func genName(path string) string { return path + "#hcl" }

// parse reads each TopDL file, maps it to HCL and parses that. The
// experiment block is generated (named after the file, with the routing
// of an import) only when no .hcl file declares it: a directory may add
// a site block to a TopDL file and nothing else. types are node
// types served beyond DETER's (the providers the .hcl files require).
// The XML source is added to files, for diagnostics' snippets, and to the
// configuration hash.
func (s *topdlSet) parse(paths []string, withExperiment bool, types []string, h hash.Hash, files map[string]*hcl.File, diags *hcl.Diagnostics) []*hcl.File {
	var out []*hcl.File
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			*diags = append(*diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Failed to read file",
				Detail:   fmt.Sprintf("The TopDL file %q could not be read: %s.", path, err),
			})
			continue
		}
		files[path] = &hcl.File{Bytes: src}
		fmt.Fprintf(h, "topdl %q %d\n", filepath.Base(path), len(src))
		h.Write(src)
		t, tdiags := topdl.Read(path, src, topdl.Options{Types: types})
		*diags = append(*diags, tdiags...)
		if t == nil {
			continue
		}
		// Unformatted: the text is parsed, never shown, and formatting
		// was most of the cost of a large file (planning reads it on
		// every run).
		opts := topdl.HCLOptions{Source: filepath.Base(path), Unformatted: true}
		if withExperiment {
			opts.Name = strings.TrimSuffix(filepath.Base(path), ".xml")
			if !addrs.ValidName(opts.Name) {
				*diags = append(*diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid experiment name",
					Detail: fmt.Sprintf("The experiment is named after its TopDL file, and %q is not a valid name (letters, digits, '_' and '-'). "+
						"Rename the file, for example to %s.xml, or declare the experiment in a .hcl file.", opts.Name, suggestName(opts.Name)),
					Subject: t.Range.Ptr(),
				})
				continue
			}
		}
		gen, gdiags := topdl.ToHCL(t, opts)
		*diags = append(*diags, gdiags...)
		if gen == nil {
			continue
		}
		if s.gen == nil {
			s.gen = map[string]*topdl.HCL{}
		}
		name := genName(path)
		s.gen[name] = gen
		// In pieces, as a large .hcl file is: hclsyntax's lexing of a
		// whole 10,000-node file is slower than everything else here.
		f := parseChunks(gen.Src, name)
		if f == nil {
			// Something did not parse: parse it whole, for exactly the
			// diagnostics of a plain parse.
			var pdiags hcl.Diagnostics
			f, pdiags = hclsyntax.ParseConfig(gen.Src, name, hcl.InitialPos)
			*diags = append(*diags, s.remap(pdiags)...)
			if pdiags.HasErrors() {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// declaresExperiment reports whether one of files has an experiment
// block, read from the syntax alone, as requiredProviderNames reads.
func declaresExperiment(files []*hcl.File) bool {
	for _, f := range files {
		if body, ok := f.Body.(*hclsyntax.Body); ok {
			for _, b := range body.Blocks {
				if b.Type == kindExperiment {
					return true
				}
			}
		}
	}
	return false
}

// requiredProviderNames returns the names the experiment blocks of files
// list in required_providers, read from the syntax alone: the TopDL files
// are read before anything is evaluated, and a node type that one of
// these providers serves must not be refused there (package discovery
// checks later that the type is served). Invalid entries are reported
// when the experiment block is evaluated.
func requiredProviderNames(files []*hcl.File) []string {
	var names []string
	for _, f := range files {
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if b.Type != kindExperiment {
				continue
			}
			for _, rp := range b.Body.Blocks {
				if rp.Type != kindRequiredProviders {
					continue
				}
				for name := range rp.Body.Attributes {
					names = append(names, name)
				}
			}
		}
	}
	return names
}

// remap moves diagnostics about generated HCL to the XML.
func (s *topdlSet) remap(diags hcl.Diagnostics) hcl.Diagnostics {
	if len(s.gen) == 0 {
		return diags
	}
	for _, d := range diags {
		d.Subject = s.rng(d.Subject)
		d.Context = s.rng(d.Context)
	}
	return diags
}

func (s *topdlSet) rng(r *hcl.Range) *hcl.Range {
	if r == nil {
		return nil
	}
	gen := s.gen[r.Filename]
	if gen == nil {
		return r
	}
	if o, ok := gen.Origin(r.Start.Line); ok {
		return &o
	}
	return r
}

// remapModel moves the source ranges of the experiment's parts that were
// made from TopDL to the XML.
func (s *topdlSet) remapModel(exp *model.Experiment) {
	if len(s.gen) == 0 || exp == nil {
		return
	}
	fix := func(r *hcl.Range) { *r = *s.rng(r) }
	fix(&exp.DeclRange)
	for _, sw := range exp.Switches {
		fix(&sw.DeclRange)
	}
	for _, n := range exp.VNodes {
		fix(&n.DeclRange)
		for _, i := range n.Interfaces {
			fix(&i.DeclRange)
		}
		for _, r := range n.Routes {
			fix(&r.DeclRange)
		}
		for _, m := range n.Mounts {
			fix(&m.DeclRange)
		}
	}
	for _, r := range exp.Routes {
		fix(&r.DeclRange)
	}
}
