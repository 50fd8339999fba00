package configdir

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/benito-net/benito/contract"
	"github.com/benito-net/benito/providers"
)

// Sweep lists the files in the experiment's directory (each a config_file
// whose id is its path: the directory is the experiment's mark), after
// removing those req.Remove names. Only regular files inside the
// directory are removed; a name outside it, or of something else, is
// refused with a diagnostic.
func (p *Provider) Sweep(_ context.Context, req providers.SweepRequest) providers.SweepResponse {
	p.mu.Lock()
	dir := p.dir
	p.mu.Unlock()
	var resp providers.SweepResponse
	if dir == "" {
		return resp
	}
	p.fsMu.Lock()
	defer p.fsMu.Unlock()
	for _, o := range req.Remove {
		if o.Type != contract.ConfigFile || o.KeyAttribute != "id" {
			continue
		}
		file := filepath.Clean(o.Key)
		rel, err := filepath.Rel(dir, file)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") || rel == tmpDir || strings.HasPrefix(rel, tmpDir+string(filepath.Separator)) {
			resp.Diagnostics = append(resp.Diagnostics, providers.Errorf("", "not removing %s: it is not a file of the experiment's directory %s", o.Key, dir)...)
			continue
		}
		fi, err := os.Lstat(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil && !fi.Mode().IsRegular() {
			err = errors.New("not a regular file")
		}
		if err == nil {
			err = os.Remove(file)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			resp.Diagnostics = append(resp.Diagnostics, providers.Errorf("", "removing %s: %v", file, err)...)
			continue
		}
		p.prune(filepath.Dir(file))
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path == filepath.Join(dir, tmpDir):
			return filepath.SkipDir
		case d.IsDir():
			return nil
		}
		resp.Objects = append(resp.Objects, providers.HostObject{Type: contract.ConfigFile, KeyAttribute: "id", Key: path, Description: "file " + path})
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		resp.Diagnostics = append(resp.Diagnostics, providers.Errorf("", "listing %s: %v", dir, err)...)
	}
	providers.SortHostObjects(resp.Objects)
	return resp
}
