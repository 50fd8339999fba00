package openvz

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// The site keys the provider reads (a site block's keys reach providers
// untouched), after DETER's site.conf: what a container that sets none of
// these is made with.
const (
	SiteTemplate    = "openvz_template"     // the template tarball of a node that names none
	SiteTemplateDir = "openvz_template_dir" // where a template named without a path is: DIR/NAME.tar.gz (DIR,DIR,...: searched in order)
	SiteGuestURL    = "openvz_guest_url"    // DETER's default template: a file:// URL or path (as openvz_template)
	SiteCacheDir    = "openvz_cache_dir"    // where templates are unpacked (default /var/cache/benito/ct-unpacked)
	SiteMemory      = "openvz_memory"       // MiB (default: no limit)
	SiteCPUs        = "openvz_cpus"         // CPUs, such as 1 or 0.5 (default: no limit)
	SiteDiskspace   = "openvz_diskspace"    // such as "2G" (default: no limit)
	SiteStopTimeout = "openvz_stop_timeout" // how long init may take to end (default 10s)
)

// defaultTemplate is the test template scripts/ct-template builds, in
// its default cache: the template of a node when nothing says otherwise.
const defaultTemplate = "/var/cache/benito/ct-template/current/busybox.tar.gz"

// defaultCacheDir is where templates are unpacked.
const defaultCacheDir = "/var/cache/benito/ct-unpacked"

// site is the site's defaults.
type site struct {
	Template, CacheDir string
	TemplateDirs       []string
	// GuestURL is a default template that cannot be used: a URL to
	// download, which benito does not.
	GuestURL    string
	MemoryMiB   int64
	CPUs        float64
	Diskspace   int64
	StopTimeout time.Duration
}

func readSite(m map[string]string) (site, error) {
	s := site{CacheDir: defaultCacheDir, StopTimeout: 10 * time.Second}
	if v := m[SiteTemplate]; v != "" {
		if !filepath.IsAbs(v) {
			return s, fmt.Errorf("site %s = %q: the template tarball must be an absolute path", SiteTemplate, v)
		}
		s.Template = v
	}
	if v := m[SiteGuestURL]; v != "" && s.Template == "" {
		switch p := strings.TrimPrefix(v, "file://"); {
		case filepath.IsAbs(p):
			s.Template = p
		default:
			s.GuestURL = v
		}
	}
	if v := m[SiteTemplateDir]; v != "" {
		for _, d := range strings.Split(v, ",") {
			if d = strings.TrimSpace(d); !filepath.IsAbs(d) {
				return s, fmt.Errorf("site %s = %q: absolute paths, separated by commas", SiteTemplateDir, v)
			}
			s.TemplateDirs = append(s.TemplateDirs, d)
		}
	}
	if v := m[SiteCacheDir]; v != "" {
		if !filepath.IsAbs(v) {
			return s, fmt.Errorf("site %s = %q: must be an absolute path", SiteCacheDir, v)
		}
		s.CacheDir = v
	}
	if v := m[SiteMemory]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < minMemoryMiB {
			return s, fmt.Errorf("site %s = %q: a whole number of MiB, at least %d", SiteMemory, v, minMemoryMiB)
		}
		s.MemoryMiB = n
	}
	if v := m[SiteCPUs]; v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || !validCPUs(n) {
			return s, fmt.Errorf("site %s = %q: a number of CPUs from 0.01 to %d, such as 1 or 0.5", SiteCPUs, v, maxCPUs)
		}
		s.CPUs = n
	}
	if v := m[SiteDiskspace]; v != "" {
		n, err := contract.ParseDiskspace(v)
		if err == nil {
			err = contract.CheckDiskspace(n)
		}
		if err != nil {
			return s, fmt.Errorf("site %s: %v", SiteDiskspace, err)
		}
		s.Diskspace = n
	}
	if v := m[SiteStopTimeout]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return s, fmt.Errorf("site %s = %q: a duration such as \"10s\"", SiteStopTimeout, v)
		}
		s.StopTimeout = d
	}
	return s, nil
}

// Limits of a container's settings.
const (
	minMemoryMiB = 16 // less and a template's init hardly starts
	maxCPUs      = 1024
)

func validCPUs(n float64) bool { return n >= 0.01 && n <= maxCPUs && !math.IsNaN(n) }

// settings are a container's effective settings: its node's, or the
// site's where it sets none.
type settings struct {
	CTID        int64
	Hostname    string
	Template    string // the tarball
	Diskspace   int64  // bytes; 0: no limit
	Init        []string
	Nameservers []string
	MemoryMiB   int64   // 0: no limit
	CPUs        float64 // 0: no limit
}

// containerType is the "container" attribute: the settings a change of
// which takes a new container.
var containerType = cty.Object(map[string]cty.Type{
	"ctid":        cty.Number,
	"template":    cty.String,
	"diskspace":   cty.Number,
	"init":        cty.List(cty.String),
	"nameservers": cty.List(cty.String),
})

// limitsType is the "limits" attribute: what changes in place.
var limitsType = cty.Object(map[string]cty.Type{
	"memory": cty.Number,
	"cpus":   cty.Number,
})

func (s settings) containerValue() cty.Value {
	list := func(ss []string) cty.Value {
		if len(ss) == 0 {
			return cty.ListValEmpty(cty.String)
		}
		vs := make([]cty.Value, len(ss))
		for i, x := range ss {
			vs[i] = cty.StringVal(x)
		}
		return cty.ListVal(vs)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"ctid":        cty.NumberIntVal(s.CTID),
		"template":    cty.StringVal(s.Template),
		"diskspace":   cty.NumberIntVal(s.Diskspace),
		"init":        list(s.Init),
		"nameservers": list(s.Nameservers),
	})
}

// limits are the cgroup limits of st.
func (st settings) limits() daemon.Limits {
	return daemon.Limits{MemoryBytes: uint64(st.MemoryMiB) << 20, CPUs: st.CPUs}
}

func limitsValue(memoryMiB int64, cpus float64) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"memory": cty.NumberIntVal(memoryMiB),
		"cpus":   cty.NumberFloatVal(cpus),
	})
}

// decodeLimits reads a "limits" value; zeros for a null or unknown one.
func decodeLimits(v cty.Value) (memoryMiB int64, cpus float64) {
	if v.IsNull() || !v.IsWhollyKnown() {
		return 0, 0
	}
	m, _ := v.GetAttr("memory").AsBigFloat().Int64()
	c, _ := v.GetAttr("cpus").AsBigFloat().Float64()
	return m, c
}

// derivedCTID is the ctid of a node that sets none: from its name, in
// vzctl's range, the same on every plan.
func derivedCTID(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return contract.MinCTID + int64(h.Sum32())%(contract.MaxCTID-contract.MinCTID+1)
}

// decode returns the effective settings of vnode v (known).
func (s site) decode(v cty.Value) (settings, error) {
	var st settings
	name := providers.AttrString(v, "name")
	if c := v.GetAttr("ctid"); !c.IsNull() {
		n, acc := c.AsBigFloat().Int64()
		if acc != 0 || contract.CheckCTID(n) != nil {
			return st, fmt.Errorf("ctid %s: a whole number from %d to %d", c.AsBigFloat().String(), contract.MinCTID, contract.MaxCTID)
		}
		st.CTID = n
	} else {
		st.CTID = derivedCTID(name)
	}
	st.Hostname = name
	if h := providers.AttrString(v, "hostname"); h != "" {
		if err := contract.CheckHostname(h); err != nil {
			return st, err
		}
		st.Hostname = h
	}
	tpl, err := s.template(providers.AttrString(v, "image"))
	if err != nil {
		return st, err
	}
	st.Template = tpl
	st.Diskspace = s.Diskspace
	if d := v.GetAttr("diskspace"); !d.IsNull() {
		n, acc := d.AsBigFloat().Int64()
		if acc != 0 {
			return st, fmt.Errorf("diskspace %s is not a whole number of bytes", d.AsBigFloat().String())
		}
		if err := contract.CheckDiskspace(n); err != nil {
			return st, err
		}
		st.Diskspace = n
	}
	st.Init = []string{"/sbin/init"}
	if l := v.GetAttr("init"); !l.IsNull() && l.LengthInt() > 0 {
		st.Init = nil
		for it := l.ElementIterator(); it.Next(); {
			_, a := it.Element()
			st.Init = append(st.Init, a.AsString())
		}
		if err := contract.CheckInit(st.Init); err != nil {
			return st, err
		}
	}
	if l := v.GetAttr("nameservers"); !l.IsNull() {
		for it := l.ElementIterator(); it.Next(); {
			_, a := it.Element()
			if err := contract.CheckNameserver(a.AsString()); err != nil {
				return st, err
			}
			st.Nameservers = append(st.Nameservers, a.AsString())
		}
	}
	st.MemoryMiB = s.MemoryMiB
	if m := v.GetAttr("memory"); !m.IsNull() {
		n, acc := m.AsBigFloat().Int64()
		if acc != 0 || n < minMemoryMiB {
			return st, fmt.Errorf("memory %s: a whole number of MiB, at least %d", m.AsBigFloat().String(), minMemoryMiB)
		}
		st.MemoryMiB = n
	}
	st.CPUs = s.CPUs
	if c := v.GetAttr("cpus"); !c.IsNull() {
		n, _ := c.AsBigFloat().Float64()
		if !validCPUs(n) {
			return st, fmt.Errorf("cpus %s: a number of CPUs from 0.01 to %d, such as 1 or 0.5", c.AsBigFloat().String(), maxCPUs)
		}
		st.CPUs = n
	}
	return st, nil
}

// template returns the tarball of a node's image (its ostemplate): a path,
// a name in the site's template directory, or with none the site's
// template or benito's test template.
func (s site) template(image string) (string, error) {
	switch {
	case image == "" && s.Template != "":
		return regular(s.Template)
	case image == "" && s.GuestURL != "":
		return "", fmt.Errorf("the site's %s is %q, which benito does not download: download the template and set the site's %s to its path (or the node's ostemplate)", SiteGuestURL, s.GuestURL, SiteTemplate)
	case image == "":
		if _, err := os.Stat(defaultTemplate); err != nil {
			return "", fmt.Errorf("no template: set the node's ostemplate (a tarball of a root file system), or the site's %s; scripts/ct-template builds a small test template at %s", SiteTemplate, defaultTemplate)
		}
		return defaultTemplate, nil
	case filepath.IsAbs(image):
		return regular(filepath.Clean(image))
	case strings.Contains(image, "/"):
		return "", fmt.Errorf("ostemplate %q: an absolute path, or a template's name in the site's %s", image, SiteTemplateDir)
	case len(s.TemplateDirs) == 0:
		return "", fmt.Errorf("ostemplate %q names a template, but the site sets no %s to find it in: set it, or give the tarball's absolute path", image, SiteTemplateDir)
	}
	for _, dir := range s.TemplateDirs {
		for _, ext := range []string{"", ".tar.gz", ".tgz", ".tar"} {
			p := filepath.Join(dir, image+ext)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("ostemplate %q: no %s.tar.gz (nor .tgz, .tar) in the site's %s, %s", image, image, SiteTemplateDir, strings.Join(s.TemplateDirs, ", "))
}

// regular returns tarball when it is a regular file (or a link to one),
// else what it is.
func regular(tarball string) (string, error) {
	fi, err := os.Stat(tarball)
	if err != nil {
		return "", fmt.Errorf("template %s: %w", tarball, unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("template %s is not a file: a template is a tarball of a root file system (docs/openvz.md)", tarball)
	}
	return tarball, nil
}

// unwrap is a path error's reason alone: the message names the path.
func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
