package discovery

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"

	"github.com/benito-net/benito/engine"
	"github.com/benito-net/benito/model"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/providers/plugin"
)

// BinaryPrefix starts the file name of every provider binary:
// benito-provider-NAME.
const BinaryPrefix = "benito-provider-"

// EnvPluginPath is a colon-separated list of extra plugin directories.
const EnvPluginPath = "BENITO_PLUGIN_PATH"

// Dirs returns the plugin directories in search order: DIR/.benito/plugins
// of the experiment directory, ~/.benito/plugins, then the entries of
// BENITO_PLUGIN_PATH in environ. Directories need not exist.
func Dirs(expDir string, environ []string) []string {
	var dirs []string
	if abs, err := filepath.Abs(expDir); err == nil {
		dirs = append(dirs, filepath.Join(abs, ".benito", "plugins"))
	}
	home := lookup(environ, "HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home != "" {
		dirs = append(dirs, filepath.Join(home, ".benito", "plugins"))
	}
	for _, d := range filepath.SplitList(lookup(environ, EnvPluginPath)) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

func lookup(environ []string, key string) string {
	v := ""
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val // the last one wins, as in the shell
		}
	}
	return v
}

// Find returns the first executable benito-provider-NAME in dirs.
func Find(name string, dirs []string) (string, error) {
	for _, d := range dirs {
		p := filepath.Join(d, BinaryPrefix+name)
		st, err := os.Stat(p)
		if err != nil || st.IsDir() {
			continue
		}
		if st.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%s is not executable: chmod +x it", p)
		}
		return p, nil
	}
	return "", fmt.Errorf("no %s%s binary was found in %s. Build or copy the provider there, for example: "+
		"go build -o ~/.benito/plugins/%s%s ./path/to/provider", BinaryPrefix, name, strings.Join(dirs, ", "), BinaryPrefix, name)
}

// Info starts the binary at path, reads its name and version, and ends it.
func Info(ctx context.Context, name, path string) (providers.Info, error) {
	p, err := plugin.Start(ctx, plugin.Config{Name: name, Path: path})
	if err != nil {
		return providers.Info{}, err
	}
	defer p.Close()
	resp := p.GetSchema(ctx)
	if err := resp.Diagnostics.Err(); err != nil {
		return providers.Info{}, err
	}
	return resp.Info, nil
}

// Selected is what Init chose for one provider.
type Selected struct {
	Locked
	Path string
	// Kept is true when the lock entry was already there and still holds.
	Kept bool
}

// InitOptions say where to look and whether to re-select.
type InitOptions struct {
	Dir     string   // the experiment directory, where the lock file lives
	Environ []string // for HOME and BENITO_PLUGIN_PATH
	// Upgrade re-selects every provider, ignoring the lock file.
	Upgrade bool
}

// Init finds, checks and locks every required provider of exp, and writes
// the lock file (also when no provider is required, so a lock entry of a
// provider no longer used goes away). The selections are in name order.
func Init(ctx context.Context, exp *model.Experiment, opts InitOptions) ([]Selected, hcl.Diagnostics) {
	lock, diags := ReadLock(opts.Dir)
	if diags.HasErrors() && !opts.Upgrade {
		return nil, diags
	}
	diags = nil
	dirs := Dirs(opts.Dir, opts.Environ)
	next := &Lock{Providers: map[string]*Locked{}}
	var out []Selected
	for _, rp := range exp.RequiredProviders {
		rng := rp.DeclRange
		fail := func(summary, format string, args ...any) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &rng})
		}
		prev := lock.Providers[rp.Name]
		if prev != nil && (opts.Upgrade || prev.Source != rp.Source || prev.Constraints != rp.Version) {
			prev = nil // selected afresh: the entry does not hold
		}
		path, hash, ok := findLocked(rp.Name, dirs, prev, fail, func(path, hash string) string {
			return fmt.Sprintf("%s is not the build of %s %s that %s records (its checksum is %s). If you meant to change it, run `benito init -upgrade` to select it.",
				path, rp.Name, prev.Version, LockFileName, hash)
		})
		if !ok {
			continue
		}
		if prev != nil {
			next.Providers[rp.Name] = prev
			out = append(out, Selected{Locked: *prev, Path: path, Kept: true})
			continue
		}
		info, err := Info(ctx, rp.Name, path)
		if err != nil {
			fail(fmt.Sprintf("Failed to start provider %q", rp.Name), "%s: %v", path, err)
			continue
		}
		if info.Name != rp.Name {
			fail(fmt.Sprintf("Provider %q is another provider", rp.Name), "%s says it is provider %q, not %q. Rename the binary to %s%s, or fix required_providers.",
				path, info.Name, rp.Name, BinaryPrefix, info.Name)
			continue
		}
		if err := checkVersion(info.Version, rp.Version); err != nil {
			fail(fmt.Sprintf("Provider %q does not satisfy its version constraint", rp.Name), "%s is version %s: %v. Install a version that does, or change the constraint.",
				path, info.Version, err)
			continue
		}
		l := &Locked{Name: rp.Name, Source: rp.Source, Version: info.Version, Constraints: rp.Version, Hashes: []string{hash}}
		next.Providers[rp.Name] = l
		out = append(out, Selected{Locked: *l, Path: path})
	}
	if diags.HasErrors() {
		return out, diags
	}
	if err := next.Write(opts.Dir); err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Failed to write the lock file", Detail: err.Error()})
	}
	return out, diags
}

// checkVersion reports whether v satisfies constraint ("" accepts any).
func checkVersion(v, constraint string) error {
	ver, err := version.NewVersion(v)
	if err != nil {
		return fmt.Errorf("%q is not a version number", v)
	}
	if constraint == "" {
		return nil
	}
	c, err := version.NewConstraint(constraint)
	if err != nil {
		return fmt.Errorf("%q is not a version constraint", constraint)
	}
	if !c.Check(ver) {
		return fmt.Errorf("the experiment requires %s", constraint)
	}
	return nil
}

// Resolved is a locked provider found on the plugin path.
type Resolved struct {
	Locked
	Path string
}

// Resolve checks every required provider of exp against the lock file in
// dir and finds its binary. It refuses a provider missing from the lock
// file or locked under another source or constraint ("run benito init"),
// and a binary whose checksum the lock does not record ("run benito init
// -upgrade"). builtin reports the providers built into benito, which need
// no lock entry; a vnode type served by neither is reported at its block.
func Resolve(exp *model.Experiment, dir string, environ []string, builtin func(name string) bool) (map[string]*Resolved, hcl.Diagnostics) {
	diags := Check(exp, builtin)
	if len(exp.RequiredProviders) == 0 {
		return nil, diags
	}
	lock, d := ReadLock(dir)
	diags = append(diags, d...)
	if d.HasErrors() {
		return nil, diags
	}
	dirs := Dirs(dir, environ)
	out := map[string]*Resolved{}
	for _, rp := range exp.RequiredProviders {
		rng := rp.DeclRange
		fail := func(summary, format string, args ...any) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &rng})
		}
		l := lock.Providers[rp.Name]
		switch {
		case l == nil:
			fail(fmt.Sprintf("Provider %q is not locked", rp.Name),
				"%s has no entry for provider %q: run `benito init` to find it and lock it.", LockFileName, rp.Name)
			continue
		case l.Source != rp.Source || l.Constraints != rp.Version:
			fail(fmt.Sprintf("Provider %q changed requirements", rp.Name),
				"%s locks %s (source %q, version %q), but the experiment now requires source %q, version %q: run `benito init -upgrade` to select it again.",
				LockFileName, rp.Name, l.Source, l.Constraints, rp.Source, rp.Version)
			continue
		}
		path, _, ok := findLocked(rp.Name, dirs, l, fail, func(path, hash string) string {
			return fmt.Sprintf("The checksum of %s (%s) is not the one %s records for %s %s: the binary was replaced. "+
				"If the new binary is the one you want, run `benito init -upgrade` to lock it.",
				path, hash, LockFileName, rp.Name, l.Version)
		})
		if !ok {
			continue
		}
		out[rp.Name] = &Resolved{Locked: *l, Path: path}
	}
	return out, diags
}

// findLocked finds the binary of provider name in dirs and its checksum
// and, unless locked is nil, checks the checksum against the lock entry,
// for Init and Resolve alike. A failure is reported through fail (a
// checksum the lock does not record with the detail mismatch gives) and
// ok is false.
func findLocked(name string, dirs []string, locked *Locked, fail func(summary, format string, args ...any), mismatch func(path, hash string) string) (path, hash string, ok bool) {
	path, err := Find(name, dirs)
	if err != nil {
		fail(fmt.Sprintf("Provider %q not found", name), "%v", err)
		return "", "", false
	}
	if hash, err = Hash(path); err != nil {
		fail(fmt.Sprintf("Failed to read provider %q", name), "%v", err)
		return "", "", false
	}
	if locked != nil && !slices.Contains(locked.Hashes, hash) {
		fail(fmt.Sprintf("Provider %q does not match the lock file", name), "%s", mismatch(path, hash))
		return "", "", false
	}
	return path, hash, true
}

// Factories starts each resolved provider from its binary, out of process.
func Factories(resolved map[string]*Resolved) map[string]providers.Factory {
	out := make(map[string]providers.Factory, len(resolved))
	for name, r := range resolved {
		out[name] = func() (providers.Provider, error) {
			return plugin.Start(context.Background(), plugin.Config{Name: name, Path: r.Path})
		}
	}
	return out
}

// Check reports vnodes whose type names a provider that is neither built
// in nor required, pointing at the vnode block. (Generic resource blocks
// are checked when the configuration loads.)
func Check(exp *model.Experiment, builtin func(name string) bool) hcl.Diagnostics {
	required := map[string]bool{}
	for _, rp := range exp.RequiredProviders {
		required[rp.Name] = true
	}
	var diags hcl.Diagnostics
	reported := map[hcl.Range]bool{}
	for _, n := range exp.VNodes {
		if builtin(n.Type) || required[n.Type] || reported[n.DeclRange] || knownPlatform(n.Type) {
			continue
		}
		reported[n.DeclRange] = true
		rng := n.DeclRange
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Undeclared provider %q", n.Type),
			Detail: fmt.Sprintf("vnode %q has type %q, which no built-in provider serves. If a third-party provider serves it, add it to the experiment block:\n\n"+
				"  required_providers {\n    %s = { source = \"...\", version = \">= 0.1\" }\n  }", n.Name, n.Type, n.Type),
			Subject: &rng,
		})
	}
	return diags
}

// knownPlatform reports DETER's platforms, which benito's own providers
// serve as they land: a node of one whose provider is missing is not a
// third-party type the experiment forgot to declare (planning says what
// is missing).
func knownPlatform(t string) bool {
	return t == contract.NodeQEMU || t == contract.NodeOpenVZ || t == contract.NodeProcess
}
