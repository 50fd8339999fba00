package console

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// QEMU's socket chardev serves one client: while one is attached it
// accepts no other, and a later connect succeeds in the kernel (the
// connection waits in the listening socket's accept queue) without QEMU
// ever seeing it until the first client leaves. From the client's side a
// waiting connection and an accepted one on a silent guest look the same,
// so the kernel is asked, through the sock_diag netlink interface that
// `ss -x` uses: the listening socket bound at the path lists, for each
// connection waiting in its queue, the inode of the client's socket
// (UNIX_DIAG_ICONS), which for ours is the inode fstat gives.

// From linux/unix_diag.h and linux/sock_diag.h; x/sys/unix has the
// netlink constants but not these.
const (
	udiagShowVFS   = 0x02
	udiagShowIcons = 0x08

	unixDiagVFS   = 1
	unixDiagIcons = 3

	tcpListen = 10 // the state of a listening socket (TCP_LISTEN)

	reqLen = 24 // struct unix_diag_req
	msgLen = 16 // struct unix_diag_msg
)

// waiting reports whether conn, connected to the listening socket bound
// at path, still waits in that socket's accept queue (the server has not
// accepted it).
func waiting(conn *net.UnixConn, path string) (bool, error) {
	var file unix.Stat_t
	if err := unix.Stat(path, &file); err != nil {
		return false, err
	}
	own, err := socketInode(conn)
	if err != nil {
		return false, err
	}
	nl, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return false, fmt.Errorf("opening a sock_diag netlink socket: %w", err)
	}
	defer unix.Close(nl)

	// The listening socket whose file is path, and its queue.
	listening, queued := false, false
	err = diag(nl, udiagShowVFS|udiagShowIcons, 1<<tcpListen, func(_ uint32, attrs map[uint16][]byte) {
		v := attrs[unixDiagVFS]
		if len(v) < 8 {
			return
		}
		// The kernel's dev_t (major<<20 | minor), not stat's encoding.
		ino, dev := binary.NativeEndian.Uint32(v), binary.NativeEndian.Uint32(v[4:])
		if uint64(ino) != file.Ino || dev>>20 != unix.Major(file.Dev) || dev&0xfffff != unix.Minor(file.Dev) {
			return
		}
		listening = true
		icons := attrs[unixDiagIcons]
		for i := 0; i+4 <= len(icons); i += 4 {
			if binary.NativeEndian.Uint32(icons[i:]) == own {
				queued = true
			}
		}
	})
	if err != nil {
		return false, err
	}
	if !listening {
		return false, fmt.Errorf("no socket listens at %s", path)
	}
	return queued, nil
}

// socketInode is the inode number of conn's socket, the number sock_diag
// reports it by.
func socketInode(conn *net.UnixConn) (uint32, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var st unix.Stat_t
	var serr error
	if err := raw.Control(func(fd uintptr) { serr = unix.Fstat(int(fd), &st) }); err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, serr
	}
	return uint32(st.Ino), nil
}

// diag asks the kernel, on the netlink socket nl, for the attributes show
// of every unix socket in states (a bit mask of TCP states), and calls
// each with every socket's inode and attributes.
func diag(nl int, show uint32, states uint32, each func(ino uint32, attrs map[uint16][]byte)) error {
	req := make([]byte, unix.SizeofNlMsghdr+reqLen)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], 1) // sequence number
	r := req[unix.SizeofNlMsghdr:]
	r[0] = unix.AF_UNIX
	ne.PutUint32(r[4:], states)
	ne.PutUint32(r[12:], show) // inode and cookie 0: every socket
	if err := unix.Sendto(nl, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("asking the kernel about unix sockets: %w", err)
	}
	buf := make([]byte, 1<<16)
	for {
		n, _, err := unix.Recvfrom(nl, buf, 0)
		if err != nil {
			return fmt.Errorf("reading the kernel's answer about unix sockets: %w", err)
		}
		msgs, err := parseNetlink(buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			switch m.typ {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if len(m.data) < 4 {
					return errors.New("a truncated netlink error")
				}
				if code := int32(ne.Uint32(m.data)); code != 0 {
					return fmt.Errorf("the kernel's sock_diag for unix sockets: %w", unix.Errno(-code))
				}
				return nil
			case unix.SOCK_DIAG_BY_FAMILY:
				if len(m.data) < msgLen {
					return errors.New("a truncated unix_diag_msg")
				}
				attrs, err := parseAttrs(m.data[msgLen:])
				if err != nil {
					return err
				}
				each(ne.Uint32(m.data[4:]), attrs)
			}
		}
	}
}

type netlinkMsg struct {
	typ  uint16
	data []byte
}

func parseNetlink(b []byte) ([]netlinkMsg, error) {
	var out []netlinkMsg
	for len(b) >= unix.SizeofNlMsghdr {
		l := int(binary.NativeEndian.Uint32(b))
		if l < unix.SizeofNlMsghdr || l > len(b) {
			return nil, fmt.Errorf("a netlink message of %d bytes in %d", l, len(b))
		}
		out = append(out, netlinkMsg{typ: binary.NativeEndian.Uint16(b[4:]), data: b[unix.SizeofNlMsghdr:l]})
		b = b[min(align4(l), len(b)):]
	}
	return out, nil
}

func parseAttrs(b []byte) (map[uint16][]byte, error) {
	out := map[uint16][]byte{}
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b))
		if l < 4 || l > len(b) {
			return nil, fmt.Errorf("a netlink attribute of %d bytes in %d", l, len(b))
		}
		out[binary.NativeEndian.Uint16(b[2:])] = b[4:l]
		b = b[min(align4(l), len(b)):]
	}
	return out, nil
}

func align4(n int) int { return (n + 3) &^ 3 }
