package hcl

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigurationReferences(t *testing.T) {
	src := `
experiment "refs" {}

variable "latency" {
  description = "delay"
  default     = "50ms"
}

variable "secret" {
  default   = "hunter22"
  sensitive = true
}

switch "lan" {
  count   = 2
  subnet  = "10.0.${count.index}.0/24"
  latency = var.latency
}

switch "core" {
  subnet = "10.9.0.0/24"
}

vnode "a" {
  startup = "echo <ok> && ${var.secret}"
  interface "eth0" {
    switch      = switch.lan[1]
    ip4_address = cidrhost(switch.lan[1].subnet, 10)
  }
  interface "eth1" {
    switch = "core"
  }
  depends_on = [switch.core]
}

output "a_address" {
  value = vnode.a.interface["eth0"].ip4_address
}
`
	cfg, diags := loadSrc(t, src, Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got map[string]any
	if err := json.Unmarshal(cfg.Configuration, &got); err != nil {
		t.Fatalf("%v\n%s", err, cfg.Configuration)
	}
	want := map[string]any{"root_module": map[string]any{
		"resources": []any{
			map[string]any{
				"address": "switch.core", "mode": "managed", "type": "switch", "name": "core", "schema_version": float64(0),
				"expressions": map[string]any{"subnet": map[string]any{"constant_value": "10.9.0.0/24"}},
			},
			map[string]any{
				"address": "switch.lan", "mode": "managed", "type": "switch", "name": "lan", "schema_version": float64(0),
				"count_expression": map[string]any{"constant_value": float64(2)},
				"expressions": map[string]any{
					"subnet":  map[string]any{"references": []any{"count.index"}},
					"latency": map[string]any{"references": []any{"var.latency"}},
				},
			},
			map[string]any{
				"address": "vnode.a", "mode": "managed", "type": "vnode", "name": "a", "schema_version": float64(0),
				"depends_on": []any{"switch.core"},
				"expressions": map[string]any{
					"startup": map[string]any{"references": []any{"var.secret"}},
					"interface": []any{
						map[string]any{
							"name":        map[string]any{"constant_value": "eth0"},
							"switch":      map[string]any{"references": []any{"switch.lan[1]", "switch.lan"}},
							"ip4_address": map[string]any{"references": []any{"switch.lan[1].subnet", "switch.lan[1]", "switch.lan"}},
						},
						map[string]any{
							"name":   map[string]any{"constant_value": "eth1"},
							"switch": map[string]any{"constant_value": "core"},
						},
					},
				},
			},
		},
		"outputs": map[string]any{"a_address": map[string]any{"expression": map[string]any{"references": []any{
			`vnode.a.interface["eth0"].ip4_address`, `vnode.a.interface["eth0"]`, "vnode.a.interface", "vnode.a",
		}}}},
		"variables": map[string]any{
			"latency": map[string]any{"description": "delay", "default": "50ms"},
			"secret":  map[string]any{"sensitive": true},
		},
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("configuration (-want +got):\n%s\n%s", d, cfg.Configuration)
	}
	again, _ := loadSrc(t, src, Options{})
	if string(again.Configuration) != string(cfg.Configuration) {
		t.Error("two loads give different configurations")
	}
}
