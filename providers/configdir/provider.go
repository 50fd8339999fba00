package configdir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
	"github.com/zclconf/go-cty/cty"
)

// Name is the provider's name in the resource graph and in state.
const Name = contract.ConfigProvider

// Version is the provider's version.
const Version = "0.1.0"

// Provider serves the config directory. The zero value is not usable; call
// New.
type Provider struct {
	schema providers.Schema

	mu   sync.Mutex
	root string // the config root
	dir  string // the experiment's directory

	// fsMu serialises changes to the directory tree: without it, a delete
	// pruning an empty directory races a create about to rename a file
	// into it.
	fsMu sync.Mutex
}

// tmpDir holds files being written; a write killed half-way leaves its
// temporary file there, and Configure clears it.
const tmpDir = ".tmp"

var _ providers.Provider = (*Provider)(nil)

// New returns an unconfigured provider.
func New() *Provider {
	return &Provider{schema: buildSchema()}
}

func buildSchema() providers.Schema {
	return providers.Schema{ResourceTypes: map[string]*providers.ResourceSchema{
		contract.ConfigFile: providers.FromContract(contract.ConfigFile, []string{"path"}, map[string]*providers.Attribute{
			"id": {Type: cty.String, Computed: true, Description: "absolute path of the file"},
		}),
	}}
}

func (p *Provider) GetSchema(context.Context) providers.GetSchemaResponse {
	return providers.GetSchemaResponse{Info: providers.Info{Name: Name, Version: Version}, Schema: p.schema}
}

func (p *Provider) Configure(_ context.Context, req providers.ConfigureRequest) providers.ConfigureResponse {
	root, dir, diags := providers.SiteRoot(req, contract.SiteConfigRoot, contract.DefaultConfigRoot)
	if diags.HasErrors() {
		return providers.ConfigureResponse{Diagnostics: diags}
	}
	p.mu.Lock()
	p.root, p.dir = root, dir
	p.mu.Unlock()
	if err := os.RemoveAll(filepath.Join(p.dir, tmpDir)); err != nil {
		return providers.ConfigureResponse{Diagnostics: providers.Errorf("", "clearing stale temporary files: %v", err)}
	}
	return providers.ConfigureResponse{}
}

func (p *Provider) ValidateResources(_ context.Context, req providers.ValidateResourcesRequest) providers.ValidateResourcesResponse {
	var diags providers.Diagnostics
	for _, r := range req.Resources {
		if r.Type != contract.ConfigFile {
			continue
		}
		pv := r.Config.GetAttr("path")
		if pv.IsKnown() && !pv.IsNull() {
			if err := checkRelPath(pv.AsString()); err != nil {
				diags = append(diags, providers.Diagnostic{Address: r.Address, Attribute: cty.GetAttrPath("path"), Summary: "Invalid config file path", Detail: err.Error()})
			}
		}
	}
	return providers.ValidateResourcesResponse{Diagnostics: diags}
}

func checkRelPath(p string) error {
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") || p == tmpDir || strings.HasPrefix(p, tmpDir+"/") {
		return fmt.Errorf("%q must be a clean relative path inside the experiment's config directory", p)
	}
	return nil
}

func (p *Provider) PlanResources(ctx context.Context, req providers.PlanResourcesRequest) providers.PlanResourcesResponse {
	return p.PlanDefaults(ctx, req).Built(&p.schema, req)
}

// PlanDefaults is PlanResources with its planned values told, not built
// (providers.DefaultPlanner).
func (p *Provider) PlanDefaults(_ context.Context, req providers.PlanResourcesRequest) providers.PlanDefaultsResponse {
	return providers.PlanEachDefault(Name, &p.schema, req, func(c providers.PlanChange) map[string]cty.Value {
		// The id is a path derived from the address (or kept from the
		// prior value), so it is known at plan time.
		return map[string]cty.Value{"id": cty.StringVal(p.pathOf(c.Proposed))}
	})
}

func (p *Provider) ApplyResource(_ context.Context, req providers.ApplyResourceRequest) providers.ApplyResourceResponse {
	rs := p.schema.ResourceTypes[req.Type]
	if rs == nil {
		return providers.ApplyResourceResponse{New: req.Prior, Diagnostics: providers.Errorf(req.Address, "unsupported resource type %q", req.Type)}
	}
	for _, v := range []cty.Value{req.Prior, req.Planned} {
		if err := p.checkRecorded(v); err != nil {
			return providers.ApplyResourceResponse{New: req.Prior, Diagnostics: providers.RefuseRecorded(req.Address, err)}
		}
	}
	p.fsMu.Lock()
	defer p.fsMu.Unlock()
	if req.Planned.IsNull() {
		file := p.pathOf(req.Prior)
		if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return providers.ApplyResourceResponse{New: req.Prior, Diagnostics: providers.Errorf(req.Address, "deleting %s: %v", file, err)}
		}
		p.prune(filepath.Dir(file))
		return providers.ApplyResourceResponse{New: cty.NullVal(rs.ImpliedType())}
	}
	file := p.pathOf(req.Planned)
	newVal := setAttr(req.Planned, "id", cty.StringVal(file))
	if !newVal.IsWhollyKnown() {
		return providers.ApplyResourceResponse{New: req.Prior, Diagnostics: providers.Errorf(req.Address, "planned value has unknown attributes the provider cannot fill in")}
	}
	data := []byte(newVal.GetAttr("content").AsString())
	var err error
	mode := fileMode(req.Planned)
	switch {
	case req.Prior.IsNull() || p.pathOf(req.Prior) != file:
		// A file benito makes must be new: one already there is not the
		// experiment's (the state would know it), and may be anything of
		// the host's (config_root "/", experiment "etc": /etc/hosts).
		err = writeNew(filepath.Join(p.dir, tmpDir), file, data, mode)
	case inPlace[req.Planned.GetAttr("path").AsString()]:
		if err = writeInPlace(file, data, mode); errors.Is(err, fs.ErrNotExist) {
			err = writeNew(filepath.Join(p.dir, tmpDir), file, data, mode) // removed since the refresh
		}
	default:
		err = writeAtomic(filepath.Join(p.dir, tmpDir), file, data, mode)
	}
	if err != nil {
		return providers.ApplyResourceResponse{New: req.Prior, Diagnostics: providers.Errorf(req.Address, "%v", err)}
	}
	if !req.Prior.IsNull() {
		// An update that moves the file (a resource renamed with state mv)
		// must not leave the old one behind.
		if old := p.pathOf(req.Prior); old != file {
			_ = os.Remove(old)
			p.prune(filepath.Dir(old))
		}
	}
	return providers.ApplyResourceResponse{New: newVal}
}

func (p *Provider) ReadResources(_ context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	resp := providers.ReadResourcesResponse{Resources: make([]providers.ReadResult, len(req.Resources))}
	// Each file is checked and read on its own, side by side; the
	// diagnostics keep the request's order.
	diags := make([]providers.Diagnostics, len(req.Resources))
	providers.ForEach(len(req.Resources), func(i int) {
		r := req.Resources[i]
		rs := p.schema.ResourceTypes[r.Type]
		if rs == nil {
			diags[i] = providers.Errorf(r.Address, "unsupported resource type %q", r.Type)
			resp.Resources[i] = providers.ReadResult{New: r.Current, Private: r.Private}
			return
		}
		if err := p.checkRecorded(r.Current); err != nil {
			diags[i] = providers.RefuseRecorded(r.Address, err)
			resp.Resources[i] = providers.ReadResult{New: r.Current, Private: r.Private}
			return
		}
		file := p.pathOf(r.Current)
		data, err := readFile(file)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			resp.Resources[i] = providers.ReadResult{New: cty.NullVal(rs.ImpliedType())}
			return
		case err != nil:
			diags[i] = providers.Errorf(r.Address, "reading %s: %v", file, err)
			resp.Resources[i] = providers.ReadResult{New: r.Current, Private: r.Private}
			return
		}
		v := r.Current
		if cur := r.Current.GetAttr("content"); cur.IsNull() || !cur.IsKnown() || cur.AsString() != string(data) || r.Current.GetAttr("id").IsNull() {
			v = setAttr(r.Current, "content", cty.StringVal(string(data)))
			v = setAttr(v, "id", cty.StringVal(file))
		}
		resp.Resources[i] = providers.ReadResult{New: v, Private: r.Private}
	})
	for _, d := range diags {
		resp.Diagnostics = append(resp.Diagnostics, d...)
	}
	return resp
}

// Exec is not served: no resource type of this provider declares it.
func (p *Provider) Exec(_ context.Context, req providers.ExecRequest) providers.ExecResponse {
	return providers.ExecNotSupported(Name, req)
}

func (p *Provider) Stop(context.Context) error { return nil }
func (p *Provider) Close() error               { return nil }

// pathOf is where a config file lives: where its recorded id says (even
// if benito state mv has given it a new address since), else at its path.
// Call it on values checkRecorded accepted.
func (p *Provider) pathOf(v cty.Value) string {
	if id := providers.AttrString(v, "id"); id != "" {
		return id
	}
	p.mu.Lock()
	dir := p.dir
	p.mu.Unlock()
	return filepath.Join(dir, filepath.FromSlash(v.GetAttr("path").AsString()))
}

// checkRecorded returns a providers.RecordedError when v, a value read
// back from the state or a saved plan (null is fine), names a file outside
// the experiment's config directory: a path that is not clean and
// relative, or an id that is not inside the directory, also once symbolic
// links are resolved. (A recorded id with "../" in it made benito print
// and delete files anywhere.)
func (p *Provider) checkRecorded(v cty.Value) error {
	if v == cty.NilVal || v.IsNull() {
		return nil
	}
	p.mu.Lock()
	dir := p.dir
	p.mu.Unlock()
	rel := providers.AttrString(v, "path")
	if err := checkRelPath(rel); err != nil {
		return providers.Recorded("path", rel, "is not a clean relative path inside the experiment's config directory")
	}
	if err := providers.Inside(dir, filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
		return providers.Recorded("path", rel, "%v", err)
	}
	id := providers.AttrString(v, "id")
	if id == "" {
		return nil
	}
	if err := providers.Inside(dir, id); err != nil {
		return providers.Recorded("id", id, "%v (this experiment's config directory; if config_root changed since the file was made, set it back to destroy what was made under it)", err)
	}
	if r, _ := filepath.Rel(dir, id); checkRelPath(filepath.ToSlash(r)) != nil {
		return providers.Recorded("id", id, "is not a file benito makes in %s", dir)
	}
	return nil
}

// prune removes dir and its parents up to the config root while they are
// empty, so that destroying an experiment leaves no directory behind (the
// root too, when it is benito's default one: providers.PruneRoot).
func (p *Provider) prune(dir string) {
	p.mu.Lock()
	root := p.root
	p.mu.Unlock()
	for dir != root && strings.HasPrefix(dir, root+string(filepath.Separator)) {
		if dir == p.dir {
			_ = os.Remove(filepath.Join(dir, tmpDir))
		}
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
	if dir == root {
		providers.Prune(func() { providers.PruneRoot(root) })
	}
}

func setAttr(obj cty.Value, name string, v cty.Value) cty.Value {
	attrs := obj.AsValueMap()
	attrs[name] = v
	return cty.ObjectVal(attrs)
}

// writeAtomic writes data to file through a temporary file in tmpDir and
// a rename, so a reader (or a crash) never sees half a file.
func writeAtomic(tmpDir, file string, data []byte, mode os.FileMode) error {
	return writeThrough(tmpDir, file, data, mode, os.Rename)
}

// writeNew is writeAtomic for a file that must not exist yet: the
// temporary file is linked to its name, which fails when the name is
// taken, and nothing is written then.
func writeNew(tmpDir, file string, data []byte, mode os.FileMode) error {
	err := writeThrough(tmpDir, file, data, mode, os.Link)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists, and benito did not make it (the state does not record it): benito does not overwrite files it did not make. "+
			"If it is left from this experiment (its state was lost), remove it and apply again; otherwise choose another config_root or experiment name", file)
	}
	return err
}

// writeThrough writes data to a temporary file in tmpDir and gives it its
// name with place (a rename, or a link).
func writeThrough(tmpDir, file string, data []byte, mode os.FileMode, place func(tmp, file string) error) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(tmpDir, "write-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return place(tmp.Name(), file)
}

// fileMode is the mode of a config file: readable by everyone, as DETER's
// tools in the nodes expect, unless its content holds a sensitive value
// (attribute sensitive), which only root may read.
func fileMode(v cty.Value) os.FileMode {
	if s := v.GetAttr("sensitive"); !s.IsNull() && s.IsKnown() && s.True() {
		return 0o600
	}
	return 0o644
}

// inPlace names the files nodes see through a bind mount (hosts, bound
// over every node's /etc/hosts). A bind holds the file's inode, so a file
// replaced by a rename would go unseen: these are rewritten in place, as
// Docker rewrites the hosts files it binds into containers.
var inPlace = map[string]bool{"hosts": true}

// writeInPlace writes data into file, which exists, keeping its inode. A
// reader never sees it empty: the new content is written over the old
// from the start, then the file is cut to its length; one that reads
// during the write may see part of each, which a reader of hosts (a name
// lookup) would retry past. A symbolic link is not followed.
func writeInPlace(file string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(file, os.O_WRONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	// The mode first: content that turned secret is never readable by
	// all, not even for the time of the write.
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readFile reads file, not following a symbolic link.
func readFile(file string) ([]byte, error) {
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// ImportResource is not supported: there is nothing outside benito to adopt.
func (p *Provider) ImportResource(_ context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	return providers.ImportResourceResponse{Diagnostics: providers.Errorf(req.Address, "Resources of type %q cannot be imported", req.Type)}
}
