package process

import (
	"fmt"
	"os"
	"testing"

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
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		for k, w := range want {
			if got, err := os.Readlink("/proc/self/task/" + task.Name() + "/ns/" + k); err == nil && got != w {
				t.Errorf("thread %s is in %s, the process's is %s", task.Name(), got, w)
			}
		}
	}
}
