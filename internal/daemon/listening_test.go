package daemon

import (
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestListeningFullBacklog: a daemon whose listen backlog is full for a
// moment (many reads asking one vde_switch at once) is still listening.
func TestListeningFullBacklog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 1); err != nil { // vde_switch's is small too
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		// A slow daemon: one connection a millisecond.
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if nfd, _, err := syscall.Accept(fd); err == nil {
				syscall.Close(nfd)
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Listening(path, 15*time.Second); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a listening daemon with a full backlog: %v", err)
	}
}
