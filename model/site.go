package model

// Site keys benito itself reads, with their defaults. Other keys of a site
// block are carried through to providers untouched.
const (
	SiteConfigRoot  = "config_root"  // root of the per-experiment config directories
	SiteRunRoot     = "run_root"     // root of the per-experiment run directories (sockets, pids)
	SiteDefaultType = "default_type" // node type when a vnode sets none (DETER's default: qemu)
	SiteSwitchKind  = "switch_kind"  // switch kind when a switch sets none
	SiteVDEPorts    = "vde_ports"    // ports a VDE switch starts with
)

// SiteDefaults are the values of the site keys when the configuration does
// not set them.
var SiteDefaults = map[string]string{
	SiteConfigRoot:  "/var/lib/benito",
	SiteRunRoot:     "/run/benito",
	SiteDefaultType: TypeQEMU,
	SiteSwitchKind:  KindVDE,
	SiteVDEPorts:    "32",
}
