package providers

import (
	"cmp"
	"context"
	"io"
	"slices"
	"syscall"

	"github.com/zclconf/go-cty/cty"
)

// Provider is the interface the engine drives. See the package documentation
// for the promises an implementation makes.
type Provider interface {
	// GetSchema returns the resource types this provider serves.
	GetSchema(ctx context.Context) GetSchemaResponse

	// Configure hands the provider the experiment's name and its site
	// defaults. It is called once, before any other call but GetSchema.
	Configure(ctx context.Context, req ConfigureRequest) ConfigureResponse

	// ValidateResources checks configurations without touching the host.
	ValidateResources(ctx context.Context, req ValidateResourcesRequest) ValidateResourcesResponse

	// PlanResources decides, for each resource, the planned new value and
	// which attribute changes force replacement.
	PlanResources(ctx context.Context, req PlanResourcesRequest) PlanResourcesResponse

	// ApplyResource carries out one planned change. ctx is cancelled when the
	// user asks benito to stop at once.
	ApplyResource(ctx context.Context, req ApplyResourceRequest) ApplyResourceResponse

	// ReadResources returns the current value of each resource as it exists
	// on the host (null if it is gone).
	ReadResources(ctx context.Context, req ReadResourcesRequest) ReadResourcesResponse

	// ImportResource reads an existing object of the host, named by an id
	// of the provider's choosing (a device name, a socket path), into a
	// value benito can manage from then on.
	ImportResource(ctx context.Context, req ImportResourceRequest) ImportResourceResponse

	// Exec runs a command inside a resource whose type's schema declares
	// Exec (a node), connected to the request's streams, and returns when
	// the command has ended (or ctx has, which ends the command). It is
	// the only call without a time limit: it lasts as long as the command.
	Exec(ctx context.Context, req ExecRequest) ExecResponse

	// Sweep lists what the provider made on the host for the configured
	// experiment, found from the host alone (by the experiment's mark: a
	// cgroup, a device alias, its directories), not from the state; it
	// first removes the objects req.Remove names. benito compares the
	// list with its state: what the state does not know (its state was
	// lost, or benito died before recording it) is reported, and removed
	// by `benito destroy -sweep`. A provider that makes nothing on the
	// host, or cannot tell what it made, answers with no objects.
	Sweep(ctx context.Context, req SweepRequest) SweepResponse

	// Stop asks the provider to abandon in-flight work as soon as it safely
	// can. It may be called concurrently with ApplyResource.
	Stop(ctx context.Context) error

	// Close releases the provider (for an out-of-process provider: ends the
	// process). No call follows Close.
	Close() error
}

// Factory starts a provider.
type Factory func() (Provider, error)

// GetSchemaResponse answers GetSchema.
type GetSchemaResponse struct {
	// Info names the provider and its version (shown by benito providers,
	// checked against required_providers).
	Info        Info
	Schema      Schema
	Diagnostics Diagnostics
}

// Info describes a provider build.
type Info struct {
	// Name is the provider's short name, as resources name it (process,
	// hostnet, config, hello).
	Name string
	// Version is the provider's semantic version, such as 0.1.0.
	Version string
}

// ConfigureRequest carries what a provider needs to know of the experiment.
type ConfigureRequest struct {
	// Experiment is the experiment's name; providers use it to keep two
	// experiments on one host apart.
	Experiment string
	// Site holds the experiment's site defaults (the old site.conf keys),
	// every value a string.
	Site map[string]string
}

// ConfigureResponse answers Configure.
type ConfigureResponse struct {
	Diagnostics Diagnostics
}

// ValidateResourcesRequest asks for configurations to be checked.
type ValidateResourcesRequest struct {
	Resources []ValidateResource
}

// ValidateResource is one configuration to check, of the schema's
// ConfigType.
type ValidateResource struct {
	Address string
	Type    string
	Config  cty.Value
}

// ValidateResourcesResponse answers ValidateResources. Each diagnostic names
// the Address it belongs to.
type ValidateResourcesResponse struct {
	Diagnostics Diagnostics
}

// PlanResourcesRequest asks for changes to be planned.
type PlanResourcesRequest struct {
	Changes []PlanChange
}

// PlanChange is one resource to plan. Prior is null for a resource that does
// not exist yet; Proposed, the configuration, is of the schema's
// ConfigType (it holds no computed-only attributes) and is null when the
// resource is to be deleted.
type PlanChange struct {
	Address      string
	Type         string
	Prior        cty.Value
	PriorPrivate []byte
	Proposed     cty.Value
}

// PlanResourcesResponse answers PlanResources, one entry per request entry.
type PlanResourcesResponse struct {
	Changes     []PlannedChange
	Diagnostics Diagnostics
}

// PlannedChange is the provider's decision about one resource. Planned may
// hold unknown values for attributes only known after apply.
type PlannedChange struct {
	Planned         cty.Value
	PlannedPrivate  []byte
	RequiresReplace []cty.Path
}

// ApplyResourceRequest asks for one change to be carried out. A null Prior
// creates, a null Planned deletes, two non-null values update in place.
type ApplyResourceRequest struct {
	Address        string
	Type           string
	Prior          cty.Value
	Planned        cty.Value
	PlannedPrivate []byte
}

// ApplyResourceResponse answers ApplyResource. New is the resource's value
// after the change (null after a delete). When a create fails part-way, New
// holds what was made, and the engine records it as tainted.
type ApplyResourceResponse struct {
	New         cty.Value
	Private     []byte
	Diagnostics Diagnostics
}

// ReadResourcesRequest asks for the current values of resources.
type ReadResourcesRequest struct {
	Resources []ReadResource
	// ExistenceOnly says benito only needs to know which resources still
	// exist (the refresh before a destroy): a provider may answer Current
	// unchanged for one that exists, without reading its attributes.
	ExistenceOnly bool
}

// ReadResource is one resource to read back, as benito last recorded it.
type ReadResource struct {
	Address string
	Type    string
	Current cty.Value
	Private []byte
}

// ReadResourcesResponse answers ReadResources, one entry per request entry.
type ReadResourcesResponse struct {
	Resources   []ReadResult
	Diagnostics Diagnostics
}

// ReadResult is the value read back; New is null when the resource is gone.
type ReadResult struct {
	New     cty.Value
	Private []byte
}

// ImportResourceRequest names an existing object to bring under benito's
// management.
type ImportResourceRequest struct {
	Address string
	Type    string
	ID      string
}

// ImportResourceResponse answers ImportResource. New is null when no object
// has that id.
type ImportResourceResponse struct {
	New         cty.Value
	Private     []byte
	Diagnostics Diagnostics
}

// ExecRequest asks for a command to run inside a resource (benito exec
// NODE -- COMMAND).
type ExecRequest struct {
	Address string
	Type    string
	// Value and Private are the resource as the state records it (Value
	// of the type's ImpliedType): what tells the provider where the node
	// is, such as its holder process.
	Value   cty.Value
	Private []byte

	// Args is the command and its arguments, Args[0] looked up on the
	// PATH inside the node. Env is its environment (KEY=VALUE), to which
	// the provider may add variables of its own.
	Args []string
	Env  []string

	// Stdin is read for the command's input until it ends (nil: no
	// input). Stdout and Stderr receive the command's output, possibly
	// at the same time (nil: discarded). A provider may leave a Read of
	// Stdin in progress when Exec returns; what it reads then is dropped.
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Terminal, when not nil, asks for the command to run on a
	// pseudo-terminal of that size, as its controlling terminal: Stdin is
	// what the user types, Stdout what the terminal shows, and Stderr is
	// not used. Resize carries the later sizes of the user's terminal.
	Terminal *WindowSize
	Resize   <-chan WindowSize

	// Signals carries the signals benito received while the command ran
	// (interrupt, quit, terminate, hang-up), for the provider to send to
	// the command (on a terminal: to its foreground process group).
	Signals <-chan syscall.Signal
}

// SweepRequest asks what the provider made on the host for the
// experiment, after removing the objects of Remove.
type SweepRequest struct {
	// Remove lists objects, as an earlier Sweep of this experiment
	// returned them, to remove first (everything of each: processes,
	// devices, mounts, files). An object already gone is no error.
	Remove []HostObject
}

// SweepResponse answers Sweep.
type SweepResponse struct {
	// Objects is what is on the host now (after the removals), sorted by
	// Type, then Key.
	Objects     []HostObject
	Diagnostics Diagnostics
}

// HostObject is something a provider made on the host for the
// experiment: everything of one resource that is there (a node's
// namespaces, processes and files; a switch's daemon and socket).
type HostObject struct {
	// Type, KeyAttribute and Key name the resource it belongs to: the
	// state knows the object when it records a resource served by this
	// provider whose attribute KeyAttribute is the string Key (a node's
	// "name", a VDE switch's "socket"); Type is the resource type it
	// most likely is (a bridge device may be a switch's or a bridge's:
	// both name it in "device"). An object with an empty KeyAttribute
	// belongs to the experiment as a whole (a directory all its nodes
	// share): the state knows it while it records any resource served
	// by this provider.
	Type, KeyAttribute, Key string
	// Description says what is there, for people: "node h-0: its
	// namespaces' pins, 3 processes in cgroup /benito/...".
	Description string
}

// SortHostObjects sorts objs as SweepResponse.Objects are: by Type, then
// Key, then KeyAttribute.
func SortHostObjects(objs []HostObject) {
	slices.SortFunc(objs, func(a, b HostObject) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Key, b.Key), cmp.Compare(a.KeyAttribute, b.KeyAttribute))
	})
}

// WindowSize is a terminal's size in characters.
type WindowSize struct {
	Rows, Cols uint16
}

// ExecResponse answers Exec: how the command ended. Diagnostics with an
// error say that it did not run at all (the node is not running, say), and
// then ExitCode is -1.
type ExecResponse struct {
	// ExitCode is the command's exit status, or -1 when a signal ended it.
	ExitCode int
	// Signal is the signal that ended the command (Linux numbering); 0
	// when it exited.
	Signal      syscall.Signal
	Diagnostics Diagnostics
}
