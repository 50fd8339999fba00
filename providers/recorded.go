package providers

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// A value read back from the state or from a saved plan is input, not an
// order: anyone able to write those files could otherwise make a provider,
// which runs as root, act outside the experiment (signal a stranger's
// process, delete the host's devices, remove files anywhere). Before a
// provider acts on a recorded value (Read, Apply with a prior value, Exec)
// it checks that each process, path, device and namespace the value names
// is the experiment's own, and refuses the resource otherwise with a
// RecordedError, reported by RefuseRecorded.

// RecordedError is a recorded value a provider will not act on: the
// attribute that holds it, the value, and what is wrong with it.
type RecordedError struct {
	Attribute cty.Path
	Value     string
	Problem   string // follows the value: "is not inside /run/benito/x"
}

func (e *RecordedError) Error() string {
	return fmt.Sprintf("the recorded %s %q %s", PathString(e.Attribute), e.Value, e.Problem)
}

// Recorded returns a RecordedError for the value of attribute attr (a
// top-level attribute) that problem (formatted with args) describes.
func Recorded(attr, value, problem string, args ...any) error {
	return &RecordedError{Attribute: cty.GetAttrPath(attr), Value: value, Problem: fmt.Sprintf(problem, args...)}
}

// RefuseRecorded returns the diagnostic of err at address: for a
// RecordedError, one that names the attribute and value, says that the
// state or plan was changed outside benito and how to recover; for any
// other error, Errorf's.
func RefuseRecorded(address string, err error) Diagnostics {
	var re *RecordedError
	if !errors.As(err, &re) {
		return Errorf(address, "%v", err)
	}
	return Diagnostics{{
		Severity:  Error,
		Address:   address,
		Attribute: re.Attribute,
		Summary:   fmt.Sprintf("Refused the recorded %s of %s", PathString(re.Attribute), address),
		Detail: fmt.Sprintf("The recorded value %q %s. benito records only what it made itself, so the state (or the saved plan) was edited by hand or by another tool; "+
			"benito did nothing on the host for %s. If the object is this experiment's and only its record is damaged, run `benito state rm %s`, then `benito import %s ID` "+
			"(for the types that can be imported) or remove the object by hand; if it is not this experiment's, `benito state rm %s` makes benito forget it and leaves it alone.",
			re.Value, re.Problem, address, address, address, address),
	}}
}

// PathString writes an attribute path as HCL does: interfaces[0].name.
func PathString(p cty.Path) string {
	var b strings.Builder
	for i, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Name)
		case cty.IndexStep:
			switch {
			case s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull():
				fmt.Fprintf(&b, "[%q]", s.Key.AsString())
			case s.Key.Type() == cty.Number && s.Key.IsKnown() && !s.Key.IsNull():
				fmt.Fprintf(&b, "[%s]", s.Key.AsBigFloat().Text('f', -1))
			default:
				b.WriteString("[?]")
			}
		}
	}
	return b.String()
}

// Inside returns nil when path is a clean absolute path inside directory
// dir (not dir itself) and stays inside it once symbolic links are
// resolved, as far as the path exists; otherwise it says, in words that
// follow the path, what is wrong ("is not inside /run/benito/x"). dir
// need not exist.
func Inside(dir, path string) error {
	if !filepath.IsAbs(path) || filepath.Clean(path) != path {
		return fmt.Errorf("is not a clean absolute path")
	}
	if !strings.HasPrefix(path, dir+string(filepath.Separator)) {
		return fmt.Errorf("is not inside %s", dir)
	}
	rd, err := resolve(dir)
	if err != nil {
		return fmt.Errorf("cannot be checked: %v", err)
	}
	rp, err := resolve(path)
	if err != nil {
		return fmt.Errorf("cannot be checked: %v", err)
	}
	if !strings.HasPrefix(rp, rd+string(filepath.Separator)) {
		return fmt.Errorf("leads out of %s through a symbolic link, to %s", dir, rp)
	}
	return nil
}

// resolve returns path with the symbolic links of its existing part
// resolved: the deepest ancestor that exists goes through
// filepath.EvalSymlinks, and the rest is appended as it is.
func resolve(path string) (string, error) {
	rest := ""
	for p := path; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			r, err := filepath.EvalSymlinks(p)
			if err != nil {
				return "", err
			}
			return filepath.Join(r, rest), nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if p == filepath.Dir(p) {
			return path, nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}
