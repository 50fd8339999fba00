package topdl

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/model"
)

// siteKey says what benito makes of a DETER site.conf key.
type siteKey struct {
	to   string // site block key; "" keeps the key as a comment only
	note string // why, in the comment above it
}

// siteKeys are the keys of DETER's site configuration (documented in the
// containers reference), and benito's own site keys.
var siteKeys = map[string]siteKey{
	// benito's own keys, taken as they are.
	contract.SiteConfigRoot: {contract.SiteConfigRoot, "benito: root of the experiments' config directories"},
	contract.SiteRunRoot:    {contract.SiteRunRoot, "benito: root of the experiments' run directories"},
	model.SiteDefaultType:   {model.SiteDefaultType, "benito: node type of nodes that set none"},
	model.SiteSwitchKind:    {model.SiteSwitchKind, "benito: switch kind of switches that set none"},
	model.SiteVDEPorts:      {model.SiteVDEPorts, "benito: ports a VDE switch starts with"},
	// DETER keys with a meaning on one host, carried through to providers.
	"default_container":   {model.SiteDefaultType, "containerize.py --default-container: node type of nodes that set none"},
	"exec_root":           {"exec_root", "root of the containers software; the other paths may refer to it"},
	"openvz_template_dir": {"openvz_template_dir", "where openvz templates are found (comma-separated, searched in order)"},
	"openvz_guest_url":    {"openvz_guest_url", "default openvz template"},
	"maverick_url":        {"maverick_url", "default qemu image (DETER's legacy name)"},
	// DETER keys benito does not honour (siteIgnored says why).
	"switch_shaping":      {"", "DETER: shape links in the VDE switch; ignored by benito, which shapes each link itself"},
	"switched_containers": {"", "DETER: node types networked with VDE switches; ignored by benito, where every node type plugs into VDE switches and bridges alike"},
	"qemu_host_hw":        {"qemu_host_hw", "DETER hardware for qemu hosts; kept for providers that place nodes on other hosts"},
	"node_log":            {"node_log", "log file of node creation, on the nodes"},
	// DETER keys about the testbed's infrastructure: no meaning here.
	"url_base":        {"", "DETERLab web interface: no meaning for benito"},
	"xmlrpc_server":   {"", "DETERLab experiment creation server: no meaning for benito"},
	"qemu_host_os":    {"", "OS image of DETER's physical qemu hosts: no meaning for benito"},
	"openvz_host_os":  {"", "OS image of DETER's physical openvz hosts: no meaning for benito"},
	"topdl_converter": {"", "ns2 to TopDL converter: benito reads TopDL only"},
	"default_router":  {"", "router to DETER's infrastructure: no meaning for benito"},
	"default_dest":    {"", "network of DETER's infrastructure: no meaning for benito"},
	"backend_server":  {"", "deprecated in DETER"},
	"grandstand_port": {"", "deprecated in DETER"},
}

// siteIgnored are the DETER keys benito could be taken to honour and does
// not: why, and what benito does instead, for a warning at import (the key
// is kept as a comment).
var siteIgnored = map[string]string{
	"switch_shaping": "switch_shaping told DETER to shape the links of switched node types in their VDE switch; benito ignores it. " +
		"benito shapes a link by the capacity, latency and loss set on its switch or interface, for every node type: " +
		"on a VDE switch with a wirefilter between the node and its port, on a bridge with kernel qdiscs (docs/language.md). " +
		"Set those on a switch or interface to shape its links",
	"switched_containers": "switched_containers told DETER which node types to network with VDE switches; benito ignores it. " +
		"Every node type plugs into VDE switches and bridges alike, and each switch has its own kind: " +
		"kind = \"vde\" or \"bridge\" on the switch, or the site's switch_kind (\"vde\" by default) for a switch that sets none. " +
		"Set kind on a switch, or switch_kind in the site block, to choose",
}

type siteEntry struct {
	section, key, value string
	line                int
}

// ImportSite reads a DETER site configuration (a Python ConfigParser file:
// [sections], key = value or key: value, continuation lines, # and ;
// comments, %(key)s interpolation from the section and [DEFAULT]) and
// writes it as a site block. Keys with a meaning become entries; the others
// are kept as comments, never dropped. Nothing is returned on errors.
func ImportSite(filename string, src []byte) ([]byte, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	at := func(line int) hcl.Range {
		p := hcl.Pos{Line: line, Column: 1}
		return hcl.Range{Filename: filename, Start: p, End: p}
	}
	sections := map[string]map[string]*siteEntry{}
	var order []*siteEntry
	section := ""
	var last *siteEntry
	for i, raw := range strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n") {
		line := i + 1
		trimmed := strings.TrimSpace(raw)
		switch {
		case trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';':
			last = nil
			continue
		case (raw[0] == ' ' || raw[0] == '\t') && last != nil:
			last.value += "\n" + trimmed // a continuation line
			continue
		case trimmed[0] == '[':
			end := strings.IndexByte(trimmed, ']')
			if end < 0 {
				diags = append(diags, errorAt(at(line), "Malformed section header", "%q has no closing ']'.", trimmed))
				return nil, diags
			}
			section = trimmed[1:end]
			last = nil
			continue
		}
		k := strings.IndexAny(trimmed, "=:")
		if k <= 0 {
			diags = append(diags, errorAt(at(line), "Malformed line", "%q is not a section header, a comment or key = value.", trimmed))
			return nil, diags
		}
		if section == "" {
			diags = append(diags, errorAt(at(line), "Key before any section", "A ConfigParser file starts with a [section] header, such as [containers]."))
			return nil, diags
		}
		e := &siteEntry{section: section, key: strings.ToLower(strings.TrimSpace(trimmed[:k])), value: strings.TrimSpace(trimmed[k+1:]), line: line}
		if sections[section] == nil {
			sections[section] = map[string]*siteEntry{}
		}
		sections[section][e.key] = e
		order = append(order, e)
		last = e
	}

	// Interpolate, as ConfigParser's BasicInterpolation does.
	var interp func(e *siteEntry, v string, depth int) (string, error)
	interp = func(e *siteEntry, v string, depth int) (string, error) {
		if depth > 10 {
			return "", fmt.Errorf("interpolation nested too deep (a key refers to itself?)")
		}
		var b strings.Builder
		for {
			i := strings.IndexByte(v, '%')
			if i < 0 {
				b.WriteString(v)
				return b.String(), nil
			}
			b.WriteString(v[:i])
			v = v[i:]
			switch {
			case strings.HasPrefix(v, "%%"):
				b.WriteByte('%')
				v = v[2:]
			case strings.HasPrefix(v, "%("):
				end := strings.Index(v, ")s")
				if end < 0 {
					return "", fmt.Errorf("%q: write %%(name)s", v)
				}
				name := strings.ToLower(v[2:end])
				ref := sections[e.section][name]
				if ref == nil {
					ref = sections["DEFAULT"][name]
				}
				if ref == nil {
					return "", fmt.Errorf("%%(%s)s refers to a key that section [%s] and [DEFAULT] do not set", name, e.section)
				}
				s, err := interp(ref, ref.value, depth+1)
				if err != nil {
					return "", err
				}
				b.WriteString(s)
				v = v[end+2:]
			default:
				return "", fmt.Errorf("a lone '%%' in %q: write %%%% for a percent sign", v)
			}
		}
	}

	f := hclwrite.NewEmptyFile()
	root := f.Body()
	comment(root, fmt.Sprintf("Imported from DETER site configuration %s by benito import site.", filename))
	blk := root.AppendNewBlock("site", nil)
	b := blk.Body()
	set := map[string]*siteEntry{}
	// Every section's keys, in file order (order was filled line by
	// line); [DEFAULT]'s are every section's, so they are entries too.
	for _, e := range order {
		if sections[e.section][e.key] != e {
			continue // set again later in the same section
		}
		v, err := interp(e, e.value, 0)
		if err != nil {
			diags = append(diags, errorAt(at(e.line), "Invalid interpolation", "[%s] %s: %s.", e.section, e.key, err))
			continue
		}
		k, known := siteKeys[e.key]
		switch {
		case !known:
			comment(b, fmt.Sprintf("[%s] %s = %q (line %d): not a DETER key benito knows; kept as a comment.", e.section, e.key, v, e.line))
			diags = append(diags, warning(at(e.line), "Unknown site key", "%s is not a site.conf key benito knows; it is kept as a comment in the site block.", e.key))
		case k.to == "":
			comment(b, fmt.Sprintf("[%s] %s = %q: %s.", e.section, e.key, v, k.note))
			if why := siteIgnored[e.key]; why != "" {
				diags = append(diags, warning(at(e.line), "Site key ignored", "%s. It is kept as a comment in the site block.", why))
			}
		default:
			if o := set[k.to]; o != nil {
				comment(b, fmt.Sprintf("[%s] %s = %q (line %d) replaces the value of line %d.", e.section, e.key, v, e.line, o.line))
				diags = append(diags, warning(at(e.line), "Site key set twice", "%s is set at line %d and again here; the later value is kept.", k.to, o.line))
			}
			note := k.note
			if e.key != k.to {
				note = fmt.Sprintf("%s (site.conf %s)", note, e.key)
			}
			comment(b, note+".")
			b.SetAttributeValue(k.to, cty.StringVal(v))
			set[k.to] = e
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(f.Bytes()), diags
}
