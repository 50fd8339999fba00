// Package benchexp writes the generated experiments benito's benchmarks
// plan and apply: n nodes, each with two interfaces (one on one of 100
// access switches, one on one of 10 core switches), four routes and two
// mounts. Lowered, each node is ten resources (the node, two ports, four
// routes, two mounts and its route file), so 10,000 nodes make about
// 100,000 resources. The experiment is written out block by block, as an
// import from TopDL would be, not with count.
package benchexp

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// Options are what a generated experiment can vary besides its size.
type Options struct {
	Name       string // the experiment's name; "" is "bench"
	ConfigRoot string // the site's config_root
	RunRoot    string // the site's run_root; "" leaves benito's default
	// MountRoot holds the mounts' sources, MountRoot/users and
	// MountRoot/proj, made by WriteOptions (a plan checks that a mount's
	// source exists); "" mounts /users and /proj, as on a DETER node.
	MountRoot string
}

// Write writes the experiment into dir/main.hcl, its mounts' sources
// under dir/mounts.
func Write(dir string, nodes int, configRoot string) error {
	return WriteOptions(dir, nodes, Options{ConfigRoot: configRoot, MountRoot: filepath.Join(dir, "mounts")})
}

// WriteOptions writes the experiment into dir/main.hcl, as o says.
func WriteOptions(dir string, nodes int, o Options) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "main.hcl"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	name := o.Name
	if name == "" {
		name = "bench"
	}
	fmt.Fprintf(w, "experiment %q {}\n\nsite {\n  config_root  = %q\n  default_type = \"process\"\n", name, o.ConfigRoot)
	if o.RunRoot != "" {
		fmt.Fprintf(w, "  run_root     = %q\n", o.RunRoot)
	}
	fmt.Fprintf(w, "}\n\n")
	users, proj := "/users", "/proj"
	if o.MountRoot != "" {
		users, proj = filepath.Join(o.MountRoot, "users"), filepath.Join(o.MountRoot, "proj")
		for _, d := range []string{users, proj} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
	}
	const access, core = 100, 10
	for i := 0; i < access; i++ {
		fmt.Fprintf(w, "switch \"lan%d\" {\n  subnet = \"10.%d.0.0/16\"\n}\n\n", i, i)
	}
	for i := 0; i < core; i++ {
		fmt.Fprintf(w, "switch \"core%d\" {\n  subnet = \"172.%d.0.0/16\"\n}\n\n", i, 16+i)
	}
	for n := 0; n < nodes; n++ {
		lan, c := n%access, n%core
		host := n/access + 10
		chost := n/core + 10
		fmt.Fprintf(w, `vnode "n%d" {
  interface "eth0" {
    switch      = switch.lan%d
    ip4_address = "10.%d.%d.%d/16"
  }
  interface "eth1" {
    switch      = switch.core%d
    ip4_address = "172.%d.%d.%d/16"
  }
  route {
    destination = "192.168.0.0/16"
    gateway     = "10.%d.0.1"
  }
  route {
    destination = "192.169.0.0/16"
    gateway     = "10.%d.0.1"
  }
  route {
    destination = "172.32.0.0/16"
    gateway     = "172.%d.0.1"
  }
  route {
    destination = "172.33.0.0/16"
    gateway     = "172.%d.0.1"
  }
  mount {
    source = %q
  }
  mount {
    source = %q
  }
}

`, n, lan, lan, host/256, host%256, c, 16+c, chost/256, chost%256, lan, lan, 16+c, 16+c, users, proj)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
