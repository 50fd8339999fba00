package process

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/benito-net/benito/providers"
	"github.com/moby/sys/mountinfo"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/sys/unix"
)

// A mount resource is a bind mount in its node's mount namespace, made,
// changed and read by a thread that joins it (nodeNS.inMountNS). Process
// nodes share the host's file tree: a mount's source and target are paths
// of the host, which the provider never creates. ValidateResources checks
// them at plan time (mountProblem); apply checks again in the node.

// mountInfo returns the topmost mount at target in the calling thread's
// mount namespace: its mount ID and options, and whether there is one. It
// reads the thread's mountinfo through proc, a descriptor of the host's
// /proc opened before the thread joined the node: in a container's mount
// namespace, /proc is the container's, where the thread is no task.
func mountInfo(proc *os.File, target string) (id int, opts string, ok bool, err error) {
	ms, err := mountsOf(proc)
	if err != nil {
		return 0, "", false, err
	}
	id, opts, ok = topmost(ms, target)
	return id, opts, ok, nil
}

// mountsOf returns the mounts of the calling thread's mount namespace, as
// mountInfo reads them (through proc).
func mountsOf(proc *os.File) ([]*mountinfo.Info, error) {
	fd, err := unix.Openat(int(proc.Fd()), "thread-self/mountinfo", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("reading the node's mounts: %w", err)
	}
	f := os.NewFile(uintptr(fd), "mountinfo")
	defer f.Close()
	return mountinfo.GetMountsFromReader(f, nil)
}

// topmost returns the topmost mount at target among ms (a mount
// namespace's, in mountinfo's order): its mount ID and options, and
// whether there is one.
func topmost(ms []*mountinfo.Info, target string) (id int, opts string, ok bool) {
	for i := len(ms) - 1; i >= 0; i-- { // mounts are listed in the order they were made
		if ms[i].Mountpoint == target {
			return ms[i].ID, ms[i].Options, true
		}
	}
	return 0, "", false
}

// mountPrivate is a mount's private data: the ID of the bind mount it
// made (mountinfo's first field), which tells it from whatever else is
// mounted at its target (the node's copy of a host mount). A mount that
// an earlier release recorded has none (ID 0): the topmost mount at its
// target is taken for it.
type mountPrivate struct {
	ID int `json:"mount_id"`
}

func decodeMountPrivate(b []byte) int {
	var mp mountPrivate
	if len(b) == 0 || json.Unmarshal(b, &mp) != nil || mp.ID <= 0 {
		return 0
	}
	return mp.ID
}

func encodeMountPrivate(id int) []byte {
	b, _ := json.Marshal(mountPrivate{ID: id})
	return b
}

// ours reports whether the topmost mount at a target, of ID id (ok: there
// is one), is the mount recorded with ID recorded (0: recorded by an
// earlier release, which took any mount there for its own).
func ourMount(id int, ok bool, recorded int) bool {
	return ok && (recorded == 0 || id == recorded)
}

// applyMount makes, changes or removes a bind mount; priv is its private
// data (mountPrivate), and what it returns the new one. A create binds
// whatever is at the target already (a mount the node has from the host
// is covered, not taken for the bind), and a delete unmounts only the
// mount it made.
func (p *Provider) applyMount(prior, planned cty.Value, priv []byte) (cty.Value, []byte, error) {
	v := planned
	if planned.IsNull() {
		v = prior
	}
	node, source, target := str(v, "node"), filepath.Clean(str(v, "source")), filepath.Clean(str(v, "target"))
	if target == "/" && !planned.IsNull() {
		return cty.NilVal, nil, fmt.Errorf("node %s cannot mount %s over its root directory (target \"/\"): mount it somewhere below", node, source)
	}
	ns, err := p.findNode(node)
	if err != nil {
		if planned.IsNull() {
			return cty.NilVal, nil, nil // the node is gone, and its mounts with it
		}
		return prior, priv, err
	}
	recorded := decodeMountPrivate(priv)
	if prior.IsNull() {
		recorded = -1 // nothing at the target is the mount's yet
	}
	ro := boolean(planned, "read_only")
	// The source is taken on the host, as a detached copy of its mount
	// (open_tree), and moved onto the target inside the node (move_mount):
	// a container's root is its own, where no path of the host is seen.
	tree, srcDir := -1, false
	if !planned.IsNull() {
		if msg := sourceProblem(node, source, target); msg != "" {
			return cty.NilVal, nil, errors.New(msg)
		}
		tree, err = unix.OpenTree(unix.AT_FDCWD, source, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			return cty.NilVal, nil, fmt.Errorf("taking %s to bind into node %s: %w", source, node, err)
		}
		defer unix.Close(tree)
		// What was taken, whatever is at the source's path by now.
		var st unix.Stat_t
		if err := unix.Fstat(tree, &st); err != nil {
			return cty.NilVal, nil, fmt.Errorf("taking %s to bind into node %s: %w", source, node, err)
		}
		srcDir = st.Mode&unix.S_IFMT == unix.S_IFDIR
	}
	proc, err := os.Open("/proc")
	if err != nil {
		return prior, priv, err
	}
	defer proc.Close()
	newID := 0
	err = ns.inMountNS(func() error {
		id, _, mounted, err := mountInfo(proc, target)
		if err != nil {
			return err
		}
		ours := recorded >= 0 && ourMount(id, mounted, recorded)
		if planned.IsNull() {
			// The node's root is never unmounted: a mount recorded with
			// target "/" (an earlier release allowed it) is gone with
			// the node.
			if ours && target != "/" {
				if err := unix.Unmount(target, 0); err != nil {
					return fmt.Errorf("unmounting %s in node %s: %w", target, node, err)
				}
			}
			return nil
		}
		if !ours {
			if msg := p.targetProblem(node, source, target, srcDir); msg != "" {
				return errors.New(msg)
			}
			if err := unix.MoveMount(tree, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
				return fmt.Errorf("binding %s onto %s in node %s: %w", source, target, node, err)
			}
		}
		if ro || ours {
			flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT)
			if ro {
				flags |= unix.MS_RDONLY
			}
			if err := unix.Mount("", target, "", flags, ""); err != nil {
				return fmt.Errorf("remounting %s in node %s: %w", target, node, err)
			}
		}
		newID, _, _, err = mountInfo(proc, target)
		return err
	})
	switch {
	case err != nil && planned.IsNull():
		return prior, priv, err
	case err != nil:
		return cty.NilVal, nil, err
	case planned.IsNull():
		return cty.NilVal, nil, nil
	}
	return planned, encodeMountPrivate(newID), nil
}

// sourceProblem says what keeps node from binding source, a path of the
// host, or "".
func sourceProblem(node, source, target string) string {
	if _, err := os.Stat(source); err != nil {
		return fmt.Sprintf("Node %q mounts %s at %s, but the source %s does not exist on this host (%v). Create it, or correct the mount's source.", node, source, target, source, unwrapPath(err))
	}
	return ""
}

// targetProblem says what keeps node from binding source (a directory
// or not: srcDir) onto target, seen by the calling thread (in the node),
// or "". A container's missing target is made, in its own root file
// system (a directory, or an empty file for a file), as vzctl makes the
// mount points of its bind mounts; a process node shares the host's file
// tree, where benito makes nothing.
func (p *Provider) targetProblem(node, source, target string, srcDir bool) string {
	if p.ct != nil {
		if _, err := os.Lstat(target); errors.Is(err, os.ErrNotExist) {
			if err := providers.MakeMountPoint(target, srcDir); err != nil {
				return fmt.Sprintf("Node %q mounts %s at %s, and the target could not be made in the node: %v.", node, source, target, err)
			}
		}
	}
	return targetMismatch(node, source, target, target, srcDir)
}

// mountProblem says what keeps node from binding source onto target, or
// "". It checks the paths checkSource and checkTarget, where source and
// target are seen on the host at plan time.
func mountProblem(node, source, target, checkSource, checkTarget string) string {
	src, err := os.Stat(checkSource)
	if err != nil {
		return fmt.Sprintf("Node %q mounts %s at %s, but the source %s does not exist on this host (%v). Create it, or correct the mount's source.", node, source, target, source, unwrapPath(err))
	}
	return targetMismatch(node, source, target, checkTarget, src.IsDir())
}

// targetMismatch says what keeps node from binding source (a directory or
// not: srcDir) onto target, seen at checkTarget, or "".
func targetMismatch(node, source, target, checkTarget string, srcDir bool) string {
	dst, err := os.Stat(checkTarget)
	if err != nil {
		return fmt.Sprintf("Node %q mounts %s at %s, but the target %s does not exist on this host (%v). Process nodes share the host's file tree, so benito does not create it: create it on the host, or mount somewhere that exists.", node, source, target, target, unwrapPath(err))
	}
	if srcDir != dst.IsDir() {
		kind := func(dir bool) string {
			if dir {
				return "a directory"
			}
			return "not a directory"
		}
		return fmt.Sprintf("Node %q cannot bind %s onto %s: the source is %s, the target %s. Bind a directory onto a directory, a file onto a file.", node, source, target, kind(srcDir), kind(dst.IsDir()))
	}
	return ""
}

// unwrapPath returns the error of a failed path operation without the
// operation and path, which the message says already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readMount returns null when the node or the mount is gone (the topmost
// mount at its target is not the one it made), and the read_only it
// shows. reads holds the nodes as the request found them.
func (p *Provider) readMount(cur cty.Value, priv []byte, reads *nodeReads) (cty.Value, error) {
	look := reads.node(str(cur, "node"))
	if _, err := look.pins(); err != nil {
		return cty.NilVal, nil
	}
	ms, err := look.mountTable()
	if err != nil {
		return cur, err
	}
	id, opts, ok := topmost(ms, filepath.Clean(str(cur, "target")))
	if !ourMount(id, ok, decodeMountPrivate(priv)) {
		return cty.NilVal, nil
	}
	ro := false
	for _, o := range strings.Split(opts, ",") {
		ro = ro || o == "ro"
	}
	if ro != boolean(cur, "read_only") {
		return setAttrs(cur, map[string]cty.Value{"read_only": cty.BoolVal(ro)}), nil
	}
	return cur, nil
}
