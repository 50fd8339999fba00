package model

import (
	"path/filepath"

	"github.com/benito-net/benito/contract"
)

// Site keys of the language, with their defaults. The roots every provider
// reads (contract.SiteConfigRoot, contract.SiteRunRoot) are part of the
// provider contract; the other keys of a site block are carried through to
// providers untouched.
const (
	SiteDefaultType = "default_type" // node type when a vnode sets none (DETER's default: qemu)
	SiteSwitchKind  = "switch_kind"  // switch kind when a switch sets none
	SiteVDEPorts    = "vde_ports"    // ports a VDE switch starts with
)

// SiteDefaults are the values of the site keys when the configuration does
// not set them.
var SiteDefaults = map[string]string{
	contract.SiteConfigRoot: contract.DefaultConfigRoot,
	contract.SiteRunRoot:    contract.DefaultRunRoot,
	SiteDefaultType:         contract.NodeQEMU,
	SiteSwitchKind:          contract.KindVDE,
	SiteVDEPorts:            "32",
}

// RunDir is the experiment's run directory: its site's run root (or the
// default one) and its name.
func (e *Experiment) RunDir() string {
	root := e.Site[contract.SiteRunRoot]
	if root == "" {
		root = SiteDefaults[contract.SiteRunRoot]
	}
	return filepath.Join(root, e.Name)
}
