package vdemgmt

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/daemon"
	"github.com/benito-net/benito/internal/testenv"
)

// TestSwitchSession runs a real vde_switch and talks to it: data lines,
// a refusal with its errno, and shutdown ending the session.
func TestSwitchSession(t *testing.T) {
	testenv.Command(t, "vde_switch", "vde2")
	dir := t.TempDir()
	mgmt := filepath.Join(dir, "m")
	pidFile := filepath.Join(dir, "pid")
	// -d: a vde_switch in the foreground reads commands from its stdin and
	// ends at its end.
	sw, err := daemon.StartDetached(context.Background(), daemon.Spec{Path: "vde_switch", Args: []string{"-d", "-p", pidFile, "-s", filepath.Join(dir, "ctl"), "-M", mgmt, "-n", "4"}},
		pidFile, 5*time.Second, func() error { return Ready(mgmt, PromptSwitch, time.Second) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sw.Stop(0) })
	c, err := Dial(mgmt, PromptSwitch, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Do("port/create 2"); err != nil {
		t.Fatal(err)
	}
	lines, err := c.Do("port/allprint")
	if err != nil || len(lines) == 0 || !strings.HasPrefix(lines[0], "Port 0002") {
		t.Fatalf("port/allprint: %q, %v", lines, err)
	}
	_, err = c.Do("port/remove 3")
	if !IsCode(err, ENXIO) || !strings.Contains(err.Error(), `vde_switch refused "port/remove 3"`) {
		t.Errorf("removing a port that does not exist: %v", err)
	}
	if _, err := c.Do("shutdown"); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	for deadline := time.Now().Add(5 * time.Second); sw.Alive(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the switch did not shut down")
		}
	}
}

// TestReady: a socket file that is bound but not yet listened on, as a
// starting daemon has for a moment, is not ready; one that greets is.
func TestReady(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mgmt")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	if err := Ready(path, PromptSwitch, time.Second); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("a bound socket nobody listens on: %v", err)
	}
	syscall.Close(fd)
	os.Remove(path)

	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("VDE switch V.2.3.2\n(C) Virtual Square Team\n\n" + PromptSwitch))
			c.Close()
		}
	}()
	if err := Ready(path, PromptSwitch, time.Second); err != nil {
		t.Errorf("a socket that greets: %v", err)
	}
}

// TestParse reads vde_switch 2.3.2's port/allprint and hash/print as the
// switch writes them.
func TestParse(t *testing.T) {
	ports := ParsePorts([]string{
		"Port 0001 untagged_vlan=0000 ACTIVE - NOT Unnamed Allocatable",
		" Current User: root Access Control: (User: NONE - Group: NONE)",
		" IN:  pkts          9          bytes                  754",
		" OUT: pkts          9          bytes                  754",
		"  -- endpoint ID 0006 module unix prog   : vde_plug2tap: user=root pid=14350",
		"Port 0003 untagged_vlan=0000 ACTIVE - NOT Unnamed Allocatable",
		" Current User: root Access Control: (User: NONE - Group: NONE)",
	})
	want := map[int]*Port{1: {Endpoints: []string{"-- endpoint ID 0006 module unix prog   : vde_plug2tap: user=root pid=14350"}}, 3: {}}
	if !reflect.DeepEqual(ports, want) {
		t.Errorf("port/allprint: got %v, want %v", ports, want)
	}
	if got := EndpointProgram(ports[1].Endpoints[0]); got != "vde_plug2tap: user=root pid=14350" {
		t.Errorf("the endpoint's program: %q", got)
	}
	macs := ParseHash([]string{
		"Hash: 0106 Addr: 02:86:63:7b:3a:a9 VLAN 0000 to port: 001  age 0 secs",
		"Hash: 0105 Addr: 02:EC:F7:F9:80:DF VLAN 0000 to port: 002  age 1 secs",
		"Hash: 0107 Addr: 02:00:00:00:00:01 VLAN 0000 to port: 001  age 3 secs",
	})
	wantMACs := map[int][]string{1: {"02:00:00:00:00:01", "02:86:63:7b:3a:a9"}, 2: {"02:ec:f7:f9:80:df"}}
	if !reflect.DeepEqual(macs, wantMACs) {
		t.Errorf("hash/print: got %v, want %v", macs, wantMACs)
	}
}
