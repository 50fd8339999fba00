package process

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/benito-net/benito/contract"
)

// TestNoThreadLeftInANode: the threads that make a node's namespaces or
// join its mount namespace end, and none of the process's threads is left
// in a node's namespaces, the main thread included (Go keeps a main
// thread whose goroutine ends locked, in whatever namespaces it was).
func TestNoThreadLeftInANode(t *testing.T) {
	e := newEnv(t)
	want := map[string]string{}
	for _, k := range []string{"net", "uts", "mnt"} {
		want[k], _ = os.Readlink("/proc/self/task/" + fmt.Sprint(os.Getpid()) + "/ns/" + k)
	}
	src, dst := t.TempDir(), t.TempDir()
	for i := range 20 {
		name := fmt.Sprintf("t%d", i)
		e.apply(contract.VNode, "vnode."+name, e.nodeConfig(name, true))
		e.apply(contract.Mount, "mount."+name, mountConfig(name, src, dst, false))
		e.read("vnode." + name)
		e.read("mount." + name)
	}
	// A thread that joined a node's mount namespace cannot leave it (it
	// unshared its file system attributes to get in): its goroutine ends
	// locked, and Go ends the thread, a moment later on a busy machine.
	// None may stay.
	var left []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		left = threadsOutside(t, want)
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, l := range left {
		t.Error(l)
	}
}

// threadsOutside lists the process's threads that are not in the
// namespaces want (by kind).
func threadsOutside(t *testing.T, want map[string]string) []string {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, task := range tasks {
		for k, w := range want {
			if got, err := os.Readlink("/proc/self/task/" + task.Name() + "/ns/" + k); err == nil && got != w {
				out = append(out, fmt.Sprintf("thread %s is in %s, the process's is %s", task.Name(), got, w))
			}
		}
	}
	return out
}
