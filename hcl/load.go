package hcl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/benito-net/benito/model"
)

// Options are the variable values given from outside the configuration.
type Options struct {
	Vars     []string // -var NAME=VALUE, in command-line order
	VarFiles []string // -var-file paths (HCL files of NAME = VALUE), in order
	Environ  []string // os.Environ(); BENITO_VAR_NAME=VALUE entries are variable values
}

// Config is a loaded configuration directory.
type Config struct {
	Dir string
	// Experiment is the evaluated experiment; nil when Load reported errors.
	Experiment *model.Experiment
	// Files holds every parsed file (configuration and variable files, and
	// the text of -var values), keyed by the file names diagnostics use, for
	// hcl.NewDiagnosticTextWriter.
	Files map[string]*hcl.File
	// Hash is the hex SHA-256 of the configuration files' names and
	// contents and of the effective variable values. A saved plan records
	// it, and apply refuses the plan when it changed.
	Hash string
	// Secrets are the values of the variables declared sensitive, each
	// string and number inside them as text, longest first: what a message
	// that did not come through the language (a provider's error, a
	// command's output quoted in one) must not show. Values shorter than
	// MinSecret are left out: masking them would garble every message.
	Secrets []string
	// Configuration is the configuration in Terraform's JSON configuration
	// representation, compact JSON: each resource block's address and its
	// expressions' references, outputs and variables (configuration.go).
	// A plan records it (plan.Plan.Configuration). Set with Experiment.
	Configuration []byte
}

// MinSecret is the length from which a sensitive value is masked in
// messages by its text (Config.Secrets).
const MinSecret = 4

// envPrefix starts the environment variables that set variable values.
const envPrefix = "BENITO_VAR_"

// ConfigFiles returns the configuration files of dir that Load reads: every
// *.hcl file directly inside it whose name does not start with a dot, sorted
// by name.
func ConfigFiles(dir string) ([]string, error) {
	files, _, err := dirFiles(dir)
	return files, err
}

// dirFiles returns the .hcl files (ConfigFiles) and the TopDL files of dir
// from one read of the directory: every *.xml file directly inside it
// whose name does not start with a dot (links to files included), sorted
// by name. (benito fmt leaves the TopDL files alone.)
func dirFiles(dir string) (hcls, xmls []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading configuration directory: %w", err)
	}
	for _, ent := range entries {
		name := ent.Name()
		isHCL, isXML := strings.HasSuffix(name, ".hcl"), strings.HasSuffix(name, ".xml")
		if strings.HasPrefix(name, ".") || !isHCL && !isXML {
			continue
		}
		if ent.IsDir() {
			continue
		}
		if ent.Type()&os.ModeSymlink != 0 {
			// Follow links to files, as editors and dotfile managers make them.
			st, err := os.Stat(filepath.Join(dir, name))
			if err != nil || st.IsDir() {
				continue
			}
		}
		if isHCL {
			hcls = append(hcls, filepath.Join(dir, name))
		} else {
			xmls = append(xmls, filepath.Join(dir, name))
		}
	}
	// ReadDir sorts already; the promise should not rest on it.
	sort.Strings(hcls)
	sort.Strings(xmls)
	return hcls, xmls, nil
}

// Load reads, evaluates and validates the configuration in dir. The Config
// is never nil and its Files are set even when diags has errors, so the
// caller can print them with their source; its Experiment is set only when
// there are no errors.
func Load(dir string, opts Options) (*Config, hcl.Diagnostics) {
	cfg := &Config{Dir: dir, Files: map[string]*hcl.File{}}
	var diags hcl.Diagnostics

	paths, xmls, err := dirFiles(dir)
	if err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration directory",
			Detail:   fmt.Sprintf("%s. Check that the directory exists and is readable.", err),
		})
		return cfg, diags
	}
	tx := &topdlSet{}
	if len(paths) == 0 && len(xmls) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail: fmt.Sprintf("The directory %s holds no .hcl (or TopDL .xml) files. Write the experiment in a file ending in .hcl there "+
				"(for example main.hcl), or run benito in the directory that holds it.", dir),
		})
		return cfg, diags
	}

	parser := hclparse.NewParser()
	done := func() (*Config, hcl.Diagnostics) {
		for name, f := range parser.Files() {
			cfg.Files[name] = f
		}
		diags = tx.remap(diags)
		sortDiagnostics(diags)
		return cfg, cfg.Redact(diags)
	}
	var files []*hcl.File
	h := sha256.New()
	for _, path := range paths {
		f, fdiags := parseFile(parser, path)
		diags = append(diags, fdiags...)
		if f == nil {
			continue
		}
		files = append(files, f)
		fmt.Fprintf(h, "file %q %d\n", filepath.Base(path), len(f.Bytes))
		h.Write(f.Bytes)
	}
	files = append(files, tx.parse(xmls, !declaresExperiment(files), requiredProviderNames(files), h, cfg.Files, &diags)...)

	if diags.HasErrors() {
		// A block that did not parse would come back as a crowd of
		// references to nothing: report the syntax errors alone.
		return done()
	}

	d := &decls{}
	for _, f := range files {
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue // parseFile makes only native bodies
		}
		diags = append(diags, d.collect(body)...)
	}
	diags = append(diags, d.finish(dir)...)

	vals, vdiags := variableValues(parser, d, opts)
	diags = append(diags, vdiags...)
	for name, f := range vals.files {
		parser.AddFile(name, f)
	}
	for _, v := range d.variables {
		if v.value != cty.NilVal {
			ty, err := ctyjson.MarshalType(v.value.Type())
			val, err2 := ctyjson.Marshal(v.value, v.value.Type())
			if err == nil && err2 == nil {
				fmt.Fprintf(h, "var %q %s %s\n", v.name(), ty, val)
			}
		}
	}
	cfg.Hash = hex.EncodeToString(h.Sum(nil))
	cfg.Secrets = secrets(d.variables)

	exp, ediags := evaluate(d)
	diags = append(diags, ediags...)
	tx.remapModel(exp)

	if !diags.HasErrors() {
		cfg.Experiment = exp
		cfg.Configuration = configuration(d)
	}
	return done()
}

// sortDiagnostics puts diagnostics in source order, those without a source
// first, so that output does not depend on evaluation or map order.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
}
