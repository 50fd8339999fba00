package plan

import (
	"encoding/json"
	"slices"
	"sort"

	"github.com/benito-net/benito/addrs"
	"github.com/benito-net/benito/state"
	"github.com/zclconf/go-cty/cty"
)

// The versions of the JSON plan format (docs/json-plan.md) and of saved
// plan files. Each changes in its major part when a reader would misread
// the new output.
const (
	// FormatVersion is the JSON format's "format_version": the version of
	// Terraform's JSON plan representation that the format is a superset
	// of, so that Terraform's tools (hashicorp/terraform-json, which
	// accepts ">= 0.1, < 2.0") read it.
	FormatVersion = "1.2"
	// BenitoFormatVersion is the JSON format's "benito_format_version":
	// the version of benito's own contract for it, the fields Terraform's
	// format does not have included.
	BenitoFormatVersion = "3.0"
	// FileFormatVersion is the version of saved plan files (WriteFile).
	FileFormatVersion = "2.2"
)

// Change is the planned change of one resource.
type Change struct {
	Addr     addrs.Resource
	Provider string
	Action   Action
	Reason   Reason

	// Before is the resource's refreshed value (null for a create); After
	// its planned value (null for a delete), which may hold unknown values
	// for attributes known only after apply. Both conform to Type.
	Before cty.Value
	After  cty.Value
	Type   cty.Type // the resource schema's implied type

	// BeforeSensitive and AfterSensitive name, sorted, the attributes of
	// Before and After whose value is derived from a sensitive variable:
	// as recorded in the state for Before (and as configured now, so that
	// the old value of an attribute now declared secret is not shown
	// either), from the configuration's marks for After. Renderings show
	// them as (sensitive value); Before and After themselves hold the
	// plain values, which providers are given.
	BeforeSensitive []string
	AfterSensitive  []string

	// Private is the provider's planned private data, handed back when the
	// create or update is applied; PriorPrivate is the recorded one, handed
	// back when the resource is deleted (alone or as half of a replace).
	Private      []byte
	PriorPrivate []byte

	// PriorProvider and PriorType are set when a different provider now
	// serves the resource: the old provider deletes Before (of PriorType),
	// the new one creates After.
	PriorProvider string
	PriorType     cty.Type

	// RequiresReplace lists the attributes whose change forces replacement.
	RequiresReplace []cty.Path

	// Dependencies are the resources this one depends on: from the
	// configuration for creates and updates, from the state for deletes.
	Dependencies []addrs.Resource

	// RunTime and Generated name, sorted, the resource schema's run-time
	// attributes (a pid, a start time: the text plan neither shows nor
	// counts them, and the engine does not compare them) and its
	// generated ones (a file's content: the text plan shows a line count
	// and a short diff). They come from the schema
	// (providers.Attribute.RunTime, Generated); the JSON rendering ignores
	// them and shows every value.
	RunTime   []string
	Generated []string
}

// Drift is a difference between the recorded state and what a refresh read
// back from the host, made outside benito. After is null when the resource
// is gone.
type Drift struct {
	Addr     addrs.Resource
	Provider string
	Before   cty.Value
	After    cty.Value
	Type     cty.Type
	// Sensitive names the attributes the state records as sensitive.
	Sensitive []string
	// RunTime and Generated are as in Change.
	RunTime   []string
	Generated []string
}

// Output is an output value of the experiment. Before is null for an output
// that is new; After is null for one removed from the configuration.
type Output struct {
	Name   string
	Before cty.Value
	After  cty.Value
	// Sensitive: the output is declared sensitive (now, or when it was
	// recorded); its values are never shown.
	Sensitive bool
}

// Plan is the full plan for one experiment.
type Plan struct {
	Experiment string

	// Destroy is set for plans made by `benito destroy` / `plan -destroy`.
	Destroy bool
	// Targets, when not empty, restricted the plan (-target).
	Targets []addrs.Resource

	// Changes holds one entry per resource in configuration or state,
	// no-ops included, sorted by address.
	Changes []*Change
	// Drift holds what the refresh found changed outside benito, sorted.
	Drift []*Drift
	// Outputs holds the output values, sorted by name.
	Outputs []*Output

	// StateLineage and StateSerial identify the state the plan was made
	// against; ConfigHash the configuration. A saved plan is applied only
	// while all three still match.
	StateLineage string
	StateSerial  uint64
	ConfigHash   string

	// Dir is the experiment directory (absolute) and Vars, VarFiles and
	// VarEnv the variable settings the plan was made with (-var,
	// -var-file, BENITO_VAR_*), so that applying a saved plan reloads the
	// same configuration and can check its hash.
	Dir      string
	Vars     []string
	VarFiles []string
	VarEnv   []string

	// Prior is the refreshed state the plan was made against; apply starts
	// from it, so what the refresh learned is recorded too.
	Prior *state.State

	// Configuration is the configuration the plan was made from, in
	// Terraform's JSON configuration representation (compact JSON, as
	// hcl.Config.Configuration makes it): every resource block's address
	// and its expressions' references. The JSON rendering shows it as
	// "configuration"; nil when not recorded.
	Configuration json.RawMessage
}

// Counts returns the number of resources to add, change and destroy, as the
// summary line shows them (a replace counts as one add and one destroy).
func (p *Plan) Counts() (add, change, destroy int) {
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			add++
		case Update:
			change++
		case Delete:
			destroy++
		case DeleteThenCreate:
			add++
			destroy++
		}
	}
	return add, change, destroy
}

// OutputsChanged reports whether any output value changes.
func (p *Plan) OutputsChanged() bool {
	for _, o := range p.Outputs {
		if !valuesEqual(o.Before, o.After) {
			return true
		}
	}
	return false
}

// HasChanges reports whether applying the plan would change anything.
func (p *Plan) HasChanges() bool {
	for _, c := range p.Changes {
		if c.Action != NoOp {
			return true
		}
	}
	return p.OutputsChanged()
}

// Sort puts Changes, Drift and Outputs in their canonical order.
func (p *Plan) Sort() {
	slices.SortFunc(p.Changes, func(a, b *Change) int { return a.Addr.Compare(b.Addr) })
	slices.SortFunc(p.Drift, func(a, b *Drift) int { return a.Addr.Compare(b.Addr) })
	sort.Slice(p.Outputs, func(i, j int) bool { return p.Outputs[i].Name < p.Outputs[j].Name })
}

// valuesEqual compares two values, treating two nulls of any type as equal
// and any unknown as a difference.
func valuesEqual(a, b cty.Value) bool {
	if a == cty.NilVal || b == cty.NilVal {
		return a == cty.NilVal && b == cty.NilVal || (a != cty.NilVal && a.IsNull()) || (b != cty.NilVal && b.IsNull())
	}
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	if !a.IsWhollyKnown() || !b.IsWhollyKnown() {
		return false
	}
	return a.Equals(b).True()
}
