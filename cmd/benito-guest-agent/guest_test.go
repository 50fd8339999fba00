package main

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benito-net/benito/internal/guestconfig"
	"github.com/benito-net/benito/internal/qga"
	"github.com/benito-net/benito/internal/testenv"
)

// TestGuestBoots boots the test guest under TCG with a config share and a
// 9P share, and checks through the guest agent that init applied the
// config, mounted the share and ran the startup command.
func TestGuestBoots(t *testing.T) {
	qemu := testenv.Command(t, "qemu-system-x86_64", "qemu-system-x86")
	kernel, initrd := testenv.GuestImage(t)

	dir := t.TempDir()
	conf, users, expDir := filepath.Join(dir, "conf"), filepath.Join(dir, "users"), filepath.Join(dir, "exp")
	for _, d := range []string{conf, users, expDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(users, "hello"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The experiment's hosts file, which the guest follows.
	expHosts := filepath.Join(expDir, "hosts")
	if err := os.WriteFile(expHosts, []byte("10.9.0.3\tx-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mac, _ := net.ParseMAC("52:54:00:be:00:01")
	node := guestconfig.Node{
		Hostname:   "vm-0",
		Interfaces: []guestconfig.Interface{{MAC: mac, Name: "exp1", MTU: 1400, Addresses: []netip.Prefix{netip.MustParsePrefix("10.9.0.1/24")}}},
		Routes: []guestconfig.Route{
			{Dest: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.9.0.254")},
			{Dest: netip.MustParsePrefix("10.8.0.0/16"), Gateway: netip.MustParseAddr("10.9.0.2")},
		},
		Hosts:   []guestconfig.Host{{Addr: netip.MustParseAddr("10.9.0.2"), Names: []string{"h-0"}}},
		Mounts:  []guestconfig.Mount{{Tag: "users", Path: "/users", ReadOnly: true}},
		Startup: "echo started > /tmp/started",
	}
	if err := node.Write(conf); err != nil {
		t.Fatal(err)
	}

	sock := filepath.Join(dir, "qga.sock")
	console := filepath.Join(dir, "console.log")
	cmd := exec.Command(qemu,
		"-accel", "tcg", "-m", "256", "-nographic", "-no-reboot", "-nodefaults",
		"-serial", "file:"+console,
		"-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=-1 quiet",
		"-device", "virtio-serial",
		"-chardev", "socket,id=qga,path="+sock+",server=on,wait=off",
		"-device", "virtserialport,chardev=qga,name=org.qemu.guest_agent.0",
		"-virtfs", "local,path="+conf+",mount_tag="+guestconfig.Tag+",security_model=none,readonly=on",
		"-virtfs", "local,path="+users+",mount_tag=users,security_model=none,readonly=on",
		"-virtfs", "local,path="+expDir+",mount_tag="+guestconfig.ExperimentTag+",security_model=none,readonly=on",
		// A hub with no other port: the interface exists, its traffic
		// goes nowhere.
		"-netdev", "hubport,id=n0,hubid=0",
		"-device", "virtio-net-pci,netdev=n0,mac="+mac.String(),
	)
	// A file, not a buffer: Wait then has no copying to wait for.
	qemuOut, err := os.Create(filepath.Join(dir, "qemu.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer qemuOut.Close()
	cmd.Stdout, cmd.Stderr = qemuOut, qemuOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed once qemu has been waited for; waitErr is then set.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			said, _ := os.ReadFile(qemuOut.Name())
			b, _ := os.ReadFile(console)
			t.Logf("qemu said: %s\nconsole:\n%s", said, b)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var c *qga.Client
	for c == nil {
		var err error
		if c, err = qga.Dial(ctx, sock); err != nil {
			select {
			case <-ctx.Done():
				t.Fatalf("no agent socket: %v", err)
			case <-exited:
				t.Fatalf("qemu exited: %v", waitErr)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	defer c.Close()
	start := time.Now()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("guest-ping: %v", err)
	}
	t.Logf("guest agent answered %v after qemu's socket appeared", time.Since(start).Round(time.Millisecond))

	run := func(stdin string, argv ...string) string {
		t.Helper()
		var in []byte
		if stdin != "" {
			in = []byte(stdin)
		}
		r, err := c.Exec(ctx, argv, nil, in)
		if err != nil {
			t.Fatalf("exec %q: %v", argv, err)
		}
		if r.ExitCode != 0 {
			t.Fatalf("exec %q: exit %d, signal %d, stderr %q", argv, r.ExitCode, r.Signal, r.Stderr)
		}
		return string(r.Stdout)
	}
	if got := run("", "hostname"); got != "vm-0\n" {
		t.Errorf("hostname %q, want vm-0", got)
	}
	if got := run("", "ip", "-o", "link", "show", "exp1"); !strings.Contains(got, "mtu 1400") || !strings.Contains(got, mac.String()) {
		t.Errorf("interface exp1 (renamed by MAC, MTU 1400):\n%s", got)
	}
	if got := run("", "ip", "-o", "-4", "addr", "show", "exp1"); !strings.Contains(got, "inet 10.9.0.1/24") {
		t.Errorf("addresses lack 10.9.0.1/24:\n%s", got)
	}
	routes := run("", "ip", "route")
	for _, want := range []string{"default via 10.9.0.254", "10.8.0.0/16 via 10.9.0.2"} {
		if !strings.Contains(routes, want) {
			t.Errorf("routes lack %q:\n%s", want, routes)
		}
	}
	if got := run("", "cat", "/etc/hosts"); got != "10.9.0.3\tx-1\n" {
		t.Errorf("/etc/hosts is not the experiment's:\n%s", got)
	}
	// Rewritten in place on the host, as the config provider does: the
	// guest sees the new content.
	f, err := os.OpenFile(expHosts, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("10.9.0.3\tx-1\n10.9.0.4\tx-2\n")
	f.Close()
	if got := run("", "cat", "/etc/hosts"); !strings.Contains(got, "x-2") {
		t.Errorf("/etc/hosts does not follow the experiment's:\n%s", got)
	}
	if got := run("", "cat", "/users/hello"); got != "from the host\n" {
		t.Errorf("/users/hello reads %q", got)
	}
	if got := mountLine(run("", "cat", "/proc/mounts"), "/users"); !strings.HasPrefix(got, "users /users 9p ro,") {
		t.Errorf("/users is mounted as %q, want 9p read-only", got)
	}
	if got := run("in\n", "/bin/sh", "-c", "cat; for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /tmp/started ] && break; sleep 0.2; done; cat /tmp/started"); got != "in\nstarted\n" {
		t.Errorf("stdin echo and startup's file: %q", got)
	}
	r, err := c.Exec(ctx, []string{"/bin/sh", "-c", "echo oops >&2; exit 7"}, nil, nil)
	if err != nil || r.ExitCode != 7 || string(r.Stderr) != "oops\n" {
		t.Errorf("exit 7: %+v, %v", r, err)
	}

	if err := c.Shutdown(ctx, "powerdown"); err != nil {
		t.Fatalf("guest-shutdown: %v", err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("qemu after guest-shutdown: %v", waitErr)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("qemu still runs 30 s after guest-shutdown")
	}
}

func mountLine(mounts, path string) string {
	sc := bufio.NewScanner(strings.NewReader(mounts))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 1 && f[1] == path {
			return sc.Text()
		}
	}
	return ""
}
