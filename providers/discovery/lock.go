package discovery

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/benito-net/benito/internal/atomicfile"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// LockFileName is the lock file's name in the experiment directory.
const LockFileName = ".benito.lock.hcl"

// Lock is the lock file: the provider builds benito init selected.
type Lock struct {
	// Providers maps a provider name to its entry.
	Providers map[string]*Locked
}

// Locked is one provider's lock entry.
type Locked struct {
	Name        string
	Source      string
	Version     string
	Constraints string
	// Hashes are the accepted checksums of the binary, "sha256:HEX".
	Hashes []string
}

type lockFile struct {
	Providers []lockBlock `hcl:"provider,block"`
}

type lockBlock struct {
	Name        string   `hcl:"name,label"`
	Source      string   `hcl:"source"`
	Version     string   `hcl:"version"`
	Constraints string   `hcl:"constraints,optional"`
	Hashes      []string `hcl:"hashes"`
}

// ReadLock reads dir's lock file. A missing file is an empty lock, not an
// error.
func ReadLock(dir string) (*Lock, hcl.Diagnostics) {
	l := &Lock{Providers: map[string]*Locked{}}
	path := filepath.Join(dir, LockFileName)
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return l, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Failed to read the lock file", Detail: err.Error()}}
	}
	f, diags := hclparse.NewParser().ParseHCL(src, path)
	if diags.HasErrors() {
		return l, diags
	}
	var lf lockFile
	if diags := gohcl.DecodeBody(f.Body, nil, &lf); diags.HasErrors() {
		for _, d := range diags {
			d.Detail += fmt.Sprintf(" The lock file is written by benito init: remove %s and run `benito init` to write it afresh.", LockFileName)
		}
		return l, diags
	}
	for _, b := range lf.Providers {
		l.Providers[b.Name] = &Locked{Name: b.Name, Source: b.Source, Version: b.Version, Constraints: b.Constraints, Hashes: b.Hashes}
	}
	return l, nil
}

// Bytes is the lock file's text: providers sorted by name, hashes sorted,
// the same lock always the same bytes.
func (l *Lock) Bytes() []byte {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# This file is maintained by \"benito init\": it pins each third-party\n# provider to the binary that was checked. Do not edit it by hand.\n")}})
	for _, n := range slices.Sorted(maps.Keys(l.Providers)) {
		p := l.Providers[n]
		body.AppendNewline()
		b := body.AppendNewBlock("provider", []string{n}).Body()
		b.SetAttributeValue("source", cty.StringVal(p.Source))
		b.SetAttributeValue("version", cty.StringVal(p.Version))
		if p.Constraints != "" {
			b.SetAttributeValue("constraints", cty.StringVal(p.Constraints))
		}
		hashes := append([]string(nil), p.Hashes...)
		sort.Strings(hashes)
		vals := make([]cty.Value, len(hashes))
		for i, h := range hashes {
			vals[i] = cty.StringVal(h)
		}
		if len(vals) == 0 {
			b.SetAttributeValue("hashes", cty.ListValEmpty(cty.String))
		} else {
			b.SetAttributeValue("hashes", cty.ListVal(vals))
		}
	}
	return hclwrite.Format(f.Bytes())
}

// Write writes the lock file into dir atomically.
func (l *Lock) Write(dir string) error {
	if err := atomicfile.Write(filepath.Join(dir, LockFileName), l.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the lock file: %w", err)
	}
	return nil
}

// Hash is the checksum of the file at path as the lock file records it:
// "sha256:" and the hex SHA-256 of its bytes.
func Hash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// HasLock reports whether dir has a lock file.
func HasLock(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, LockFileName))
	return err == nil
}
