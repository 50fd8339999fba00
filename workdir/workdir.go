package workdir

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/engine"
	benitohcl "github.com/benito-net/benito/hcl"
	"github.com/benito-net/benito/internal/logging"
	"github.com/benito-net/benito/lower"
	"github.com/benito-net/benito/plan"
	"github.com/benito-net/benito/providers"
	"github.com/benito-net/benito/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// StateFileName is the state file's name inside an experiment directory.
const StateFileName = "benito.state"

// Options says where the experiment is and how to load it.
type Options struct {
	Dir       string // the experiment directory
	StatePath string // defaults to Dir/benito.state
	Vars      []string
	VarFiles  []string
	Environ   []string
	// Factories start providers by name.
	Factories map[string]providers.Factory
	// Groups start some of them together, in one process (engine.Group).
	Groups []engine.Group
	// Warm starts every group's providers at once, in the background
	// (engine.Warm), so that their start-up (a process, a Go runtime, a
	// TLS handshake) runs while the experiment, its lock and its state
	// load, instead of after them. For the operations that will surely
	// start them: plan and apply. Close releases those no engine took.
	Warm bool
	// LockTimeout is how long to wait for the state lock (0: fail at once).
	LockTimeout time.Duration
}

// Workdir is an opened experiment directory.
type Workdir struct {
	opts   Options
	Config *benitohcl.Config
	state  *state.File

	release []func() // of the warm groups
}

// Open loads the configuration of opts.Dir. The returned Workdir is never
// nil, so that diagnostics can be printed with the source of the files
// that could be read; Close it when done.
func Open(opts Options) (*Workdir, hcl.Diagnostics) {
	if opts.StatePath == "" {
		opts.StatePath = filepath.Join(opts.Dir, StateFileName)
	}
	w := &Workdir{state: state.NewFile(opts.StatePath)}
	if opts.Warm {
		groups := make([]engine.Group, len(opts.Groups))
		for i, g := range opts.Groups {
			var release func()
			groups[i], release = engine.Warm(g, g.Names)
			w.release = append(w.release, release)
		}
		opts.Groups = groups
	}
	w.opts = opts
	t := time.Now()
	cfg, diags := benitohcl.Load(opts.Dir, benitohcl.Options{Vars: opts.Vars, VarFiles: opts.VarFiles, Environ: opts.Environ})
	logging.Default().Debug("configuration loaded", "dir", opts.Dir, "took", time.Since(t))
	if cfg != nil && !diags.HasErrors() {
		// Once evaluated, the configuration is only needed for showing
		// source lines in diagnostics. Keeping the bytes but not the
		// syntax trees frees about as much memory as the source is large
		// times fifty, for the rest of a plan.
		for name, f := range cfg.Files {
			cfg.Files[name] = &hcl.File{Bytes: f.Bytes}
		}
	}
	w.Config = cfg
	return w, diags
}

// OpenState opens only the state of an experiment directory, for commands
// that need no configuration (state list, show).
func OpenState(opts Options) *Workdir {
	if opts.StatePath == "" {
		opts.StatePath = filepath.Join(opts.Dir, StateFileName)
	}
	return &Workdir{opts: opts, state: state.NewFile(opts.StatePath)}
}

// Close closes the providers started by Options.Warm that no engine took.
// Engines close their own providers.
func (w *Workdir) Close() {
	for _, release := range w.release {
		release()
	}
	w.release = nil
}

// Files returns the parsed files, for printing diagnostics with source.
func (w *Workdir) Files() map[string]*hcl.File {
	if w == nil || w.Config == nil {
		return nil
	}
	return w.Config.Files
}

// StatePath returns the path of the experiment's state file.
func (w *Workdir) StatePath() string { return w.state.Path() }

// lock takes the state lock for operation: what it returns is the only way
// to read or write the state.
func (w *Workdir) lock(ctx context.Context, operation string) (*state.Locked, error) {
	if err := os.MkdirAll(filepath.Dir(w.state.Path()), 0o755); err != nil {
		return nil, err
	}
	return w.state.Lock(ctx, operation, w.opts.LockTimeout)
}

// recorded loads the state (folding in the journal an interrupted apply
// left); nil when nothing has been applied. A state of another experiment
// than the configuration's is refused.
func (w *Workdir) recorded(lk *state.Locked) (*state.State, error) {
	st, err := lk.Load()
	if err != nil {
		return nil, err
	}
	if st != nil && w.Config != nil && w.Config.Experiment != nil && st.Experiment != "" && st.Experiment != w.Config.Experiment.Name {
		// The experiment's name places everything it made on the host;
		// planning under a new name would orphan all of it.
		return nil, fmt.Errorf("the state %s belongs to experiment %q, but the configuration names experiment %q. "+
			"To rename an experiment, destroy it under its old name first; to start a separate experiment, use another directory (or -state)",
			w.state.Path(), st.Experiment, w.Config.Experiment.Name)
	}
	return st, nil
}

// loadState is recorded, with a new empty state when nothing has been
// applied.
func (w *Workdir) loadState(lk *state.Locked) (*state.State, error) {
	st, err := w.recorded(lk)
	if err != nil || st != nil {
		return st, err
	}
	name := ""
	if w.Config != nil && w.Config.Experiment != nil {
		name = w.Config.Experiment.Name
	}
	// No lineage until the state is first written: a plan made now and
	// saved must still match when it is applied, and plans of a new
	// experiment must be byte-identical.
	st = state.New(name)
	st.Lineage = ""
	return st, nil
}

// lostState warns when st is new (nothing recorded) while the state's
// backup exists: the state file was probably deleted, and everything it
// recorded is on the host still, which a plan made now would make again.
func (w *Workdir) lostState(st *state.State) *hcl.Diagnostic {
	if st.Lineage != "" || len(st.Resources) > 0 {
		return nil
	}
	backup := w.state.BackupPath()
	if _, err := os.Stat(backup); err != nil {
		return nil
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "The state is missing, but its backup is not",
		Detail: fmt.Sprintf("There is no state at %s, but its previous version is at %s: if the state was deleted, "+
			"everything it recorded may still be on the host. To restore it, check the backup (benito state list -state %s) and copy it back: cp %s %s. "+
			"Otherwise, benito destroy -sweep removes what the host holds of the experiment.",
			w.state.Path(), backup, backup, backup, w.state.Path()),
	}
}

// Graph lowers the configuration against st, and renames what a state
// of format 1 records under that format's addresses (vnode.h-0) to the
// graph's (vnode.h[0]): lower.UpgradeState.
func (w *Workdir) Graph(st *state.State) (*lower.Graph, hcl.Diagnostics) {
	g, diags := lower.Lower(w.Config.Experiment, st)
	if !diags.HasErrors() {
		lower.UpgradeState(g, st)
	}
	return g, diags
}

// Engine starts the providers that g and st need.
func (w *Workdir) Engine(ctx context.Context, g *lower.Graph, st *state.State, p *plan.Plan) (*engine.Engine, hcl.Diagnostics) {
	names := map[string]bool{}
	if g != nil {
		for _, r := range g.Resources {
			names[r.Provider] = true
		}
	}
	if st != nil {
		for _, r := range st.Resources {
			names[r.Provider] = true
		}
	}
	if p != nil {
		for _, c := range p.Changes {
			names[c.Provider] = true
			if c.PriorProvider != "" {
				names[c.PriorProvider] = true
			}
		}
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	if diags := w.missingPlatforms(g); diags.HasErrors() {
		return nil, diags
	}
	if diags := w.orphanedProviders(g, st); diags.HasErrors() {
		return nil, diags
	}
	exp, site := "", map[string]string(nil)
	if w.Config != nil && w.Config.Experiment != nil {
		exp, site = w.Config.Experiment.Name, w.Config.Experiment.Site
	} else if st != nil {
		// Without the configuration (benito exec), the providers are
		// configured as the last apply configured them.
		exp, site = st.Experiment, st.Site
	}
	return engine.New(ctx, w.opts.Factories, w.opts.Groups, list, exp, site)
}

// Served returns g without the resources no available provider serves
// (nodes of a platform this build lacks, with their routes, mounts and
// startup), and a warning at the first node of each such type. Validation
// uses it: a configuration is valid even where this host cannot carry it
// out, and planning says so as an error.
func (w *Workdir) Served(g *lower.Graph) (*lower.Graph, hcl.Diagnostics) {
	missing := w.missingPlatforms(g)
	if len(missing) == 0 {
		return g, nil
	}
	for _, d := range missing {
		d.Severity = hcl.DiagWarning
		d.Detail += " The configuration was validated without these nodes; benito plan refuses it."
	}
	kept := make([]*lower.Resource, 0, len(g.Resources))
	for _, r := range g.Resources {
		if w.opts.Factories[r.Provider] != nil {
			kept = append(kept, r)
		}
	}
	return lower.NewGraph(g.Experiment, g.Site, kept), missing
}

// orphanedProviders reports, per provider that only the state still
// needs and that cannot be started (its resources were made with it, and
// the experiment no longer names it in required_providers, or this benito
// lacks it), which resources it holds and how to get rid of them: benito
// cannot destroy what no provider serves.
func (w *Workdir) orphanedProviders(g *lower.Graph, st *state.State) hcl.Diagnostics {
	if st == nil {
		return nil
	}
	inConfig := map[string]bool{}
	if g != nil {
		for _, r := range g.Resources {
			inConfig[r.Provider] = true
		}
	}
	served := w.served()
	held := map[string][]string{}
	for addr, r := range st.Resources {
		if !inConfig[r.Provider] && !served[r.Provider] {
			held[r.Provider] = append(held[r.Provider], addr.String())
		}
	}
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(held)) {
		addrs := held[name]
		sort.Strings(addrs)
		list := strings.Join(addrs, ", ")
		if len(addrs) > 5 {
			list = strings.Join(addrs[:5], ", ") + fmt.Sprintf(" and %d more", len(addrs)-5)
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Provider %q is needed to destroy what it made", name),
			Detail: fmt.Sprintf("The state holds %d resource(s) made by provider %q (%s), and neither the experiment's required_providers nor this build of benito provides it, so nothing can destroy them. "+
				"If it is a third-party provider, add it back to required_providers and run `benito init` and `benito apply` (which destroys them), then remove it; "+
				"next time, run `benito destroy` before removing a provider.",
				len(addrs), name, list),
		})
	}
	return diags
}

// served is the names of the providers this workdir can start, alone
// (Factories) or together (Groups).
func (w *Workdir) served() map[string]bool {
	out := make(map[string]bool, len(w.opts.Factories))
	for name := range w.opts.Factories {
		out[name] = true
	}
	for _, gr := range w.opts.Groups {
		for _, n := range gr.Names {
			out[n] = true
		}
	}
	return out
}

// missingPlatforms reports, at the first node of each type, node types no
// available provider serves, so that the message points at the
// configuration rather than naming a provider the user never wrote.
func (w *Workdir) missingPlatforms(g *lower.Graph) hcl.Diagnostics {
	if g == nil {
		return nil
	}
	var diags hcl.Diagnostics
	served := w.served()
	seen := map[string]bool{}
	for _, r := range g.Resources {
		if r.Addr.Type != contract.VNode || seen[r.Provider] || served[r.Provider] {
			continue
		}
		seen[r.Provider] = true
		rng := r.DeclRange
		var platforms []string
		for name := range served {
			if name != contract.ConfigProvider && name != contract.HostNetProvider {
				platforms = append(platforms, strconv.Quote(name))
			}
		}
		sort.Strings(platforms)
		if len(platforms) == 0 {
			platforms = []string{"(none)"}
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("No provider serves node type %q", r.Provider),
			Detail: fmt.Sprintf("%s has type %q, and no provider for that platform is available. The node types this benito can create are %s. "+
				"Set type on the node (or default_type in the site block), or, for a third-party platform, name its provider in required_providers and run `benito init`.",
				r.Addr, r.Provider, strings.Join(platforms, ", ")),
			Subject: &rng,
		})
	}
	return diags
}

// PlanOptions select what a plan covers.
type PlanOptions = engine.PlanOptions

// plan makes a plan for the experiment from st, which lk loaded. The
// engine is returned for apply, also when planning failed once it was
// made; the caller closes it. ready, if not nil, is called with the
// engine as soon as its providers are ready, before the plan is made
// (Run looks for what the state does not know meanwhile).
func (w *Workdir) plan(ctx context.Context, st *state.State, opts PlanOptions, ready func(*engine.Engine)) (*plan.Plan, *engine.Engine, hcl.Diagnostics) {
	log := logging.Default()
	t := time.Now()
	g, diags := w.Graph(st)
	if diags.HasErrors() {
		return nil, nil, diags
	}
	log.Debug("configuration lowered", "resources", len(g.Resources), "took", time.Since(t))
	t = time.Now()
	e, d := w.Engine(ctx, g, st, nil)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, nil, diags
	}
	log.Debug("providers ready", "took", time.Since(t))
	if ready != nil {
		ready(e)
	}
	t = time.Now()
	opts.ConfigHash = w.Config.Hash
	opts.Outputs = map[string]cty.Value{}
	for _, o := range w.Config.Experiment.Outputs {
		opts.Outputs[o.Name] = o.Value
	}
	p, d := e.Plan(ctx, g, st, opts)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, e, diags // the caller closes e, after what ready began
	}
	log.Debug("planned", "refresh", !opts.SkipRefresh, "changes", len(p.Changes), "took", time.Since(t))
	p.Dir, _ = filepath.Abs(w.opts.Dir)
	p.Configuration = w.Config.Configuration
	p.Vars = w.opts.Vars
	for _, f := range w.opts.VarFiles {
		abs, _ := filepath.Abs(f)
		p.VarFiles = append(p.VarFiles, abs)
	}
	for _, kv := range w.opts.Environ {
		if strings.HasPrefix(kv, varEnvPrefix) {
			p.VarEnv = append(p.VarEnv, kv)
		}
	}
	sort.Strings(p.VarEnv)
	return p, e, diags
}

// checkPlan refuses a saved plan made against another state or another
// configuration.
func (w *Workdir) checkPlan(p *plan.Plan, st *state.State) error {
	switch {
	case p.Experiment != "" && st.Experiment != "" && p.Experiment != st.Experiment:
		return fmt.Errorf("the saved plan is for experiment %q, but this state is experiment %q", p.Experiment, st.Experiment)
	case p.StateLineage == "" && st.Lineage != "":
		return fmt.Errorf("the state has changed since the plan was made (it was made before anything was applied; the state is now at serial %d): make a new plan with `benito plan -out`", st.Serial)
	case p.StateLineage != st.Lineage:
		return fmt.Errorf("the saved plan was made against a different state (lineage %s, now %s); make a new plan with `benito plan -out`", p.StateLineage, st.Lineage)
	case p.StateSerial != st.Serial:
		return fmt.Errorf("the state has changed since the plan was made (serial %d, now %d): another apply or state command ran; make a new plan with `benito plan -out`", p.StateSerial, st.Serial)
	case w.Config != nil && p.ConfigHash != w.Config.Hash:
		return fmt.Errorf("the configuration has changed since the plan was made (its files or variable values differ); make a new plan with `benito plan -out`")
	}
	return nil
}

// apply carries out p with e, from st, which lk loaded, recording every
// outcome in the state's journal and writing the state when done,
// whatever happened; e's providers are closed meanwhile (e is done with).
func (w *Workdir) apply(ctx context.Context, lk *state.Locked, e *engine.Engine, p *plan.Plan, st *state.State, opts engine.ApplyOptions) (*engine.Result, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	if st.Experiment == "" {
		st.Experiment = p.Experiment
	}
	if st.Lineage == "" {
		st.Lineage = state.New(st.Experiment).Lineage
	}
	j, err := lk.OpenJournal(st)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Failed to open the state journal", Detail: err.Error()})
	}
	t := time.Now()
	next, res, d := e.Apply(ctx, p, st, j, opts)
	diags = append(diags, d...)
	if w.Config != nil && w.Config.Experiment != nil {
		next.Site = w.Config.Experiment.Site
	}
	logging.Default().Debug("applied", "took", time.Since(t))
	// Nothing calls the providers any more: they shut down while the
	// state is written.
	closed := make(chan struct{})
	go func() {
		e.Close()
		close(closed)
	}()
	defer func() { <-closed }()
	t = time.Now()
	defer func() { logging.Default().Debug("state written", "took", time.Since(t)) }()
	if err := lk.Write(next); err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Failed to save the state",
			Detail:   fmt.Sprintf("%v. Every change was recorded in %s as it happened; the next benito command recovers it.", err, lk.File().JournalPath()),
		})
	} else {
		w.releaseOwner(next)
	}
	// Write has folded the journal into the state file; closing it can
	// lose nothing.
	_ = j.Close()
	return res, diags
}

// varEnvPrefix marks environment variables that set experiment variables.
const varEnvPrefix = "BENITO_VAR_"
