package process

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// nsMount runs mount(8) or umount(8) in the node's mount namespace. A Go
// program cannot join a mount namespace itself (it is multi-threaded), so
// this takes nsenter; mounts are few, so the exec is cheap enough.
func (h holder) nsMount(args ...string) error {
	cmd := exec.Command("nsenter", append([]string{"--mount=" + h.nsPath("mnt"), "--"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s in the node: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// mountInfo returns the mount options of the topmost mount at target in
// the holder's mount namespace, and whether there is one.
func (h holder) mountInfo(target string) (opts string, ok bool, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(h.Pid) + "/mountinfo")
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint options ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || unescapeMount(fields[4]) != target {
			continue
		}
		opts, ok = fields[5], true // the last match is the topmost
	}
	return opts, ok, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (p *Provider) applyMount(prior, planned cty.Value) (cty.Value, error) {
	v := planned
	if planned.IsNull() {
		v = prior
	}
	node, source, target := str(v, "node"), filepath.Clean(str(v, "source")), filepath.Clean(str(v, "target"))
	h, err := p.findHolder(node)
	if err != nil {
		if planned.IsNull() {
			return cty.NilVal, nil // the node is gone, and its mounts with it
		}
		return prior, err
	}
	_, mounted, err := h.mountInfo(target)
	if err != nil {
		return prior, err
	}
	if planned.IsNull() {
		if mounted {
			if err := h.nsMount("umount", target); err != nil {
				return prior, err
			}
		}
		return cty.NilVal, nil
	}
	if !mounted {
		src, err := os.Stat(source)
		if err != nil {
			return cty.NilVal, fmt.Errorf("the mount's source %s: %w", source, err)
		}
		// The node sees the host's file tree: its root is the host's.
		dst, err := os.Stat(filepath.Join("/proc", strconv.Itoa(h.Pid), "root", target))
		if err != nil {
			return cty.NilVal, fmt.Errorf("the mount's target %s does not exist in node %s; process nodes share the host's file tree, so benito does not create it: create the directory on the host, or mount somewhere that exists", target, node)
		}
		if src.IsDir() != dst.IsDir() {
			return cty.NilVal, fmt.Errorf("cannot bind %s onto %s: one is a directory, the other is not", source, target)
		}
		if err := h.nsMount("mount", "--bind", source, target); err != nil {
			return cty.NilVal, err
		}
	}
	if ro := boolean(planned, "read_only"); ro || mounted {
		opt := "remount,bind,rw"
		if ro {
			opt = "remount,bind,ro"
		}
		if err := h.nsMount("mount", "-o", opt, target); err != nil {
			return planned, err
		}
	}
	return planned, nil
}

// readMount returns null when the node or the mount is gone, and the
// read_only it shows.
func (p *Provider) readMount(cur cty.Value) (cty.Value, error) {
	h, err := p.findHolder(str(cur, "node"))
	if err != nil {
		return cty.NilVal, nil
	}
	opts, ok, err := h.mountInfo(filepath.Clean(str(cur, "target")))
	if err != nil {
		return cur, err
	}
	if !ok {
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
