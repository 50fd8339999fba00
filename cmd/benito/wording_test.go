package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTerraformWording: where benito means what Terraform means, it says
// it in Terraform's words and exits with Terraform's codes: plan
// -detailed-exitcode is 2 for a change of outputs alone (as Terraform's),
// 0 once nothing changes; apply and destroy with nothing to do still close
// with "Apply complete!" and "Destroy complete!". The experiment is config
// files and an output, under a temporary root: nothing of the host's.
func TestTerraformWording(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "exp")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(value string) {
		t.Helper()
		hcl := fmt.Sprintf(`experiment "wording" {}

site {
  config_root = %q
  run_root    = %q
}

output "x" {
  value = %q
}
`, filepath.Join(tmp, "config"), filepath.Join(tmp, "run"), value)
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(r result, code int, says ...string) {
		t.Helper()
		if r.code != code {
			t.Errorf("exit %d, want %d:\n%s", r.code, code, r)
		}
		for _, s := range says {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("the output lacks %q:\n%s", s, r)
			}
		}
	}
	write("1")
	t.Cleanup(func() { benito(t, "", "destroy", "-auto-approve", dir) })
	expect(benito(t, "", "plan", "-detailed-exitcode", dir), 2, "Plan: 2 to add, 0 to change, 0 to destroy.", "+ content = (generated, ")
	expect(benito(t, "", "apply", "-auto-approve", dir), 0, "Apply complete! Resources: 2 added, 0 changed, 0 destroyed.")

	write("2")
	expect(benito(t, "", "plan", "-detailed-exitcode", dir), 2,
		"Changes to Outputs:\n  ~ x = \"1\" -> \"2\"\n",
		"You can apply this plan to save these new output values to the benito state, without changing any real infrastructure.")
	expect(benito(t, "", "apply", "-auto-approve", dir), 0, "Apply complete! Resources: 0 added, 0 changed, 0 destroyed.", "x = \"2\"")

	noChanges := "No changes. Your infrastructure matches the configuration.\n\nbenito has compared your real infrastructure against your configuration and found no differences, so no changes are needed.\n"
	expect(benito(t, "", "plan", "-detailed-exitcode", dir), 0, noChanges)
	expect(benito(t, "", "apply", "-auto-approve", dir), 0, noChanges, "Apply complete! Resources: 0 added, 0 changed, 0 destroyed.")
	saved := filepath.Join(tmp, "nothing.plan")
	expect(benito(t, "", "plan", "-out", saved, dir), 0, noChanges)
	expect(benito(t, "", "apply", saved), 0, "No changes. Your infrastructure matches the configuration.", "Apply complete! Resources: 0 added, 0 changed, 0 destroyed.")

	expect(benito(t, "", "destroy", "-auto-approve", dir), 0, "Destroy complete! Resources: 2 destroyed.")
	expect(benito(t, "", "destroy", "-auto-approve", dir), 0,
		"No changes. No objects need to be destroyed.\n\nEither you have not created any objects yet or the existing objects were already deleted outside of benito.\n",
		"Destroy complete! Resources: 0 destroyed.")
}
