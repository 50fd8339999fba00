package contract

// Site keys every provider may read from ConfigureRequest.Site, with their
// defaults. The site block's other keys reach providers untouched.
const (
	// SiteConfigRoot is the root of the per-experiment config directories
	// (DETER's config directory): ROOT/EXPERIMENT/.
	SiteConfigRoot = "config_root"
	// SiteRunRoot is the root of the per-experiment run directories
	// (sockets, pid files, logs, namespace pins): ROOT/EXPERIMENT/.
	SiteRunRoot = "run_root"

	DefaultConfigRoot = "/var/lib/benito"
	DefaultRunRoot    = "/run/benito"
)
