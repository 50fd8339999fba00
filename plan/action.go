package plan

// Action is what a plan does to one resource.
type Action uint8

const (
	NoOp Action = iota
	Create
	Update
	// DeleteThenCreate replaces a resource by destroying it first: the only
	// way benito replaces, since two copies of a switch or a node cannot
	// share a name on the host.
	DeleteThenCreate
	Delete
)

func (a Action) String() string {
	switch a {
	case NoOp:
		return "no-op"
	case Create:
		return "create"
	case Update:
		return "update"
	case DeleteThenCreate:
		return "delete-then-create"
	case Delete:
		return "delete"
	}
	return "unknown"
}

// IsReplace reports whether the action destroys and re-creates.
func (a Action) IsReplace() bool { return a == DeleteThenCreate }

// Symbol is the marker the human rendering shows for the action.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "  +"
	case Update:
		return "  ~"
	case DeleteThenCreate:
		return "-/+"
	case Delete:
		return "  -"
	}
	return "   "
}

// JSONActions is the action as the JSON format lists it.
func (a Action) JSONActions() []string {
	switch a {
	case Create:
		return []string{"create"}
	case Update:
		return []string{"update"}
	case DeleteThenCreate:
		return []string{"delete", "create"}
	case Delete:
		return []string{"delete"}
	}
	return []string{"no-op"}
}

// Reason says why a resource is replaced or deleted, when that is not
// simply "its configuration changed".
type Reason uint8

const (
	ReasonNone Reason = iota
	// ReasonTainted: a previous apply failed part-way through this resource.
	ReasonTainted
	// ReasonRequiresReplace: an attribute that cannot change in place changed.
	ReasonRequiresReplace
	// ReasonNoConfig: the configuration no longer declares the resource.
	ReasonNoConfig
	// ReasonDestroy: benito destroy.
	ReasonDestroy
	// ReasonProviderChanged: a different provider now serves the resource.
	ReasonProviderChanged
	// ReasonContainerReplaced: the resource lives inside another (a route
	// inside its node) that is created anew.
	ReasonContainerReplaced
	// ReasonReplaceByRequest: the user asked for the replacement with
	// -replace.
	ReasonReplaceByRequest
)

func (r Reason) String() string {
	switch r {
	case ReasonTainted:
		return "tainted"
	case ReasonRequiresReplace:
		return "requires_replace"
	case ReasonNoConfig:
		return "no_config"
	case ReasonDestroy:
		return "destroy"
	case ReasonProviderChanged:
		return "provider_changed"
	case ReasonContainerReplaced:
		return "container_replaced"
	case ReasonReplaceByRequest:
		return "replace_by_request"
	}
	return ""
}
