package main

import (
	"path/filepath"
	"testing"

	"github.com/benito-net/benito/internal/benchexp"
)

// TestPluginPlanIsInProcessPlan: benito's own providers plan the same
// through the plugin (where most planned values are built by benito from
// what the provider tells: providers.DefaultPlanner) as in benito's
// process, byte for byte, human and JSON, for the generated benchmark
// experiment (process nodes, VDE switches, ports, routes, mounts, config
// files) and for the examples with bridges, shaping, containers and
// machines (mixed's machine needs the test guest: without it both fail
// alike).
func TestPluginPlanIsInProcessPlan(t *testing.T) {
	type exp struct {
		name string
		args []string // plan's arguments after the flags
	}
	var exps []exp
	bench := filepath.Join(t.TempDir(), "bench")
	tmp := t.TempDir()
	if err := benchexp.WriteOptions(bench, 40, benchexp.Options{ConfigRoot: filepath.Join(tmp, "config"), RunRoot: filepath.Join(tmp, "run"), MountRoot: filepath.Join(tmp, "mounts")}); err != nil {
		t.Fatal(err)
	}
	exps = append(exps, exp{"bench", []string{bench}})
	for _, ex := range []string{"demo", "shaped-link", "mixed"} {
		dir, rootVar, _ := experimentNamed(t, ex, ex+"-plugin-plan")
		args := []string{dir}
		switch ex {
		case "demo":
			args = []string{"-var", rootVar, dir}
		case "mixed":
			args = []string{"-var", "users=" + t.TempDir(), dir}
		}
		exps = append(exps, exp{ex, args})
	}
	for _, e := range exps {
		t.Run(e.name, func(t *testing.T) {
			for _, format := range [][]string{{"plan", "-no-color"}, {"plan", "-json"}} {
				args := append(append([]string(nil), format...), e.args...)
				var plugin, inProcess result
				t.Run("plugin", func(t *testing.T) { plugin = benito(t, "", args...) })
				t.Run("in process", func(t *testing.T) {
					t.Setenv(envInProcess, "1")
					inProcess = benito(t, "", args...)
				})
				if plugin != inProcess {
					t.Errorf("%v: the plans differ:\nthrough the plugin:\n%s\nin process:\n%s", format, plugin, inProcess)
				}
				if plugin.code != 0 && e.name != "mixed" {
					t.Errorf("%v:\n%s", format, plugin)
				}
			}
		})
	}
}

// TestPluginReplanIsInProcessPlan: after an apply, the plans of the same
// configuration (no changes: every planned value equal to the prior one)
// and of an in-place change are the same through the plugin and in
// process, byte for byte.
func TestPluginReplanIsInProcessPlan(t *testing.T) {
	requireRoot(t)
	dir, v, _, _ := experiment(t, "demo")
	if r := benito(t, "", "apply", "-auto-approve", "-var", v, dir); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	for _, args := range [][]string{
		{"plan", "-no-color", "-var", v, dir},
		{"plan", "-json", "-var", v, dir},
		{"plan", "-no-color", "-var", v, "-var", "latency=50ms", dir},
		{"plan", "-json", "-var", v, "-var", "latency=50ms", dir},
	} {
		var plugin, inProcess result
		t.Run("plugin", func(t *testing.T) { plugin = benito(t, "", args...) })
		t.Run("in process", func(t *testing.T) {
			t.Setenv(envInProcess, "1")
			inProcess = benito(t, "", args...)
		})
		if plugin != inProcess || plugin.code != 0 {
			t.Errorf("%v: the plans differ:\nthrough the plugin:\n%s\nin process:\n%s", args, plugin, inProcess)
		}
	}
	if r := benito(t, "", "plan", "-detailed-exitcode", "-var", v, dir); r.code != 0 {
		t.Errorf("plan after apply, through the plugin: want exit 0 (no changes)\n%s", r)
	}
}
