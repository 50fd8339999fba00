package providers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/contract"
)

// AttrString returns a string attribute of the object obj, or "" when obj
// is null, lacks the attribute, or the attribute is null or unknown.
func AttrString(obj cty.Value, name string) string {
	v := attr(obj, name)
	if v == cty.NilVal {
		return ""
	}
	return v.AsString()
}

// AttrInt returns a whole-number attribute of obj, or 0 as AttrString
// returns "".
func AttrInt(obj cty.Value, name string) int64 {
	v := attr(obj, name)
	if v == cty.NilVal {
		return 0
	}
	n, _ := v.AsBigFloat().Int64()
	return n
}

// AttrBool returns a bool attribute of obj, or false as AttrString returns
// "".
func AttrBool(obj cty.Value, name string) bool {
	v := attr(obj, name)
	return v != cty.NilVal && v.True()
}

// WithAttrs returns obj with the attributes in set replaced.
func WithAttrs(obj cty.Value, set map[string]cty.Value) cty.Value {
	attrs := obj.AsValueMap()
	for k, v := range set {
		attrs[k] = v
	}
	return cty.ObjectVal(attrs)
}

// attr is obj's attribute name when it is there, known and not null.
func attr(obj cty.Value, name string) cty.Value {
	if obj == cty.NilVal || obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(name) {
		return cty.NilVal
	}
	v := obj.GetAttr(name)
	if v.IsNull() || !v.IsKnown() {
		return cty.NilVal
	}
	return v
}

// SiteRoot returns the experiment's directory under the root the site
// setting key names (config_root, run_root; its default when unset), and
// the cleaned root, or an error diagnostic when the root is not one benito
// may use (contract.CheckRoot: relative, "/", a system directory, also
// once its symbolic links are resolved) or the experiment's name is not a
// single path element. The site and the name may come from a state edited
// by hand (benito exec configures providers from the state): they are
// checked here, not only when the configuration is validated.
func SiteRoot(req ConfigureRequest, key, defaultRoot string) (root, dir string, diags Diagnostics) {
	root = req.Site[key]
	if root == "" {
		root = defaultRoot
	}
	if !filepath.IsAbs(root) {
		return "", "", Errorf("", "%s must be an absolute path, not %q", key, root)
	}
	root = filepath.Clean(root)
	if err := contract.CheckRoot(key, root); err != nil {
		return "", "", Errorf("", "%v", err)
	}
	if resolved, err := resolve(root); err != nil {
		return "", "", Errorf("", "%s %s: %v", key, root, err)
	} else if resolved != root {
		if err := contract.CheckRoot(key, resolved); err != nil {
			return "", "", Errorf("", "%s %s is a symbolic link to %s, and %v", key, root, resolved, err)
		}
	}
	switch e := req.Experiment; {
	case e == "":
		return "", "", Errorf("", "the experiment has no name")
	case e == "." || e == ".." || strings.ContainsAny(e, "/\x00"):
		return "", "", Errorf("", "the experiment's name %q cannot name a directory", e)
	}
	return root, filepath.Join(root, req.Experiment), nil
}

// ExperimentDirs returns the experiment's run and config directories, as
// SiteRoot finds each: what a platform provider is configured with.
func ExperimentDirs(req ConfigureRequest) (runDir, configDir string, diags Diagnostics) {
	if _, runDir, diags = SiteRoot(req, contract.SiteRunRoot, contract.DefaultRunRoot); diags.HasErrors() {
		return "", "", diags
	}
	if _, configDir, diags = SiteRoot(req, contract.SiteConfigRoot, contract.DefaultConfigRoot); diags.HasErrors() {
		return "", "", diags
	}
	return runDir, configDir, nil
}

// dirs orders making directories under the roots, and what is made in
// them right after, against the removal of empty ones when a delete takes
// an experiment's last resource of a kind: without it, a create can see
// its new directory, or a parent of it, removed before it has put
// anything in it.
var dirs sync.RWMutex

// MakeDir makes dir and its parents, and keeps any Prune from removing
// them until release is called: call it once something is in dir (a
// file, a socket). Hold no MakeDir while calling Prune.
func MakeDir(dir string, perm os.FileMode) (release func(), err error) {
	dirs.RLock()
	if err := os.MkdirAll(dir, perm); err != nil {
		dirs.RUnlock()
		return func() {}, err
	}
	return dirs.RUnlock, nil
}

// Prune runs remove, which removes directories that may be empty, while
// no MakeDir holds any.
func Prune(remove func()) {
	dirs.Lock()
	defer dirs.Unlock()
	remove()
}

// PruneRoot removes root, the parent of an experiment directory a delete
// has just removed, when it is one of benito's own default roots
// (/var/lib/benito, /run/benito) and nothing else is in it: destroying the
// last experiment leaves no directory of benito's behind. A root elsewhere
// (set in the site configuration) is the user's, and stays. Call it from
// Prune's remove.
func PruneRoot(root string) {
	if root == contract.DefaultConfigRoot || root == contract.DefaultRunRoot {
		_ = os.Remove(root) // fails, as it should, unless empty
	}
}

// LogTail returns the last lines of the log file at path, or why it cannot
// be read, for an error that says what a program printed before it failed.
func LogTail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// MakeMountPoint makes path, with its parents, for a bind mount to cover:
// a directory when dir, else an empty file (a link there is not
// followed).
func MakeMountPoint(path string, dir bool) error {
	if dir {
		return os.MkdirAll(path, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// SetPropagation gives dir the mount propagation type prop (MS_SHARED,
// MS_PRIVATE), first making it a bind mount of itself if it is not a mount
// point (the kernel then refuses the change with EINVAL), as `ip netns add`
// does for /run/netns. A directory whose mounts are shared has their
// unmounting reach the copies that mount namespaces made later hold
// (slaves of the host's mounts, as a process node's are); on a host whose
// root is private, a mount under a plain directory would live on in every
// such copy.
func SetPropagation(dir string, prop uintptr) error {
	err := syscall.Mount("", dir, "", prop, "")
	if errors.Is(err, syscall.EINVAL) {
		if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("making %s a mount point: %w", dir, err)
		}
		err = syscall.Mount("", dir, "", prop, "")
	}
	if err != nil {
		return fmt.Errorf("setting the propagation of %s: %w", dir, err)
	}
	return nil
}
