package hostnet

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// mgmtTimeout bounds one exchange with a switch's management socket: a
// switch that does not answer within it is treated as not working.
const mgmtTimeout = 5 * time.Second

// mgmtConn is a session on a vde_switch management socket (-M). The
// protocol is line based: the switch greets with a banner ending in the
// prompt "vde$ "; each command line is answered by optional data ("0000
// DATA END WITH '.'", lines, "."), then a status line "NNNN message"
// (1000 is success, other codes are errno values plus 1000), then the
// prompt again.
type mgmtConn struct {
	path string
	c    net.Conn
	r    *bufio.Reader
}

// mgmtError is a command the switch refused.
type mgmtError struct {
	Command string
	Code    int // status code minus 1000: an errno value
	Message string
}

func (e *mgmtError) Error() string {
	return fmt.Sprintf("vde_switch refused %q: %s (%d)", e.Command, e.Message, e.Code+1000)
}

// Errnos vde_switch answers with.
const (
	mgmtENXIO  = 6  // no such port
	mgmtEEXIST = 17 // port exists
)

func isMgmtCode(err error, code int) bool {
	var me *mgmtError
	return errors.As(err, &me) && me.Code == code
}

// dialMgmt connects to the management socket at path and reads the banner.
func dialMgmt(path string) (*mgmtConn, error) {
	c, err := net.DialTimeout("unix", path, mgmtTimeout)
	if err != nil {
		return nil, fmt.Errorf("connecting to the switch's management socket: %w", err)
	}
	m := &mgmtConn{path: path, c: c, r: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(mgmtTimeout))
	if err := m.readPrompt(); err != nil {
		c.Close()
		return nil, fmt.Errorf("management socket %s: %w", path, err)
	}
	return m, nil
}

func (m *mgmtConn) Close() error { return m.c.Close() }

// readPrompt reads up to and including the prompt "vde$ ".
func (m *mgmtConn) readPrompt() error {
	const prompt = "vde$ "
	var tail []byte
	for {
		b, err := m.r.ReadByte()
		if err != nil {
			return err
		}
		tail = append(tail, b)
		if len(tail) > len(prompt) {
			tail = tail[1:]
		}
		if string(tail) == prompt {
			return nil
		}
	}
}

// Do sends one command and returns its data lines.
func (m *mgmtConn) Do(cmd string) ([]string, error) {
	m.c.SetDeadline(time.Now().Add(mgmtTimeout))
	if _, err := m.c.Write([]byte(cmd + "\n")); err != nil {
		return nil, fmt.Errorf("management socket %s: %w", m.path, err)
	}
	var data []string
	inData := false
	for {
		line, err := m.r.ReadString('\n')
		if err != nil {
			if cmd == "shutdown" && strings.HasPrefix(line, "9999") {
				return nil, nil
			}
			return nil, fmt.Errorf("management socket %s: %q: %w", m.path, cmd, err)
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case inData && line == ".":
			inData = false
		case inData:
			data = append(data, line)
		case strings.HasPrefix(line, "0000 "):
			inData = true
		case len(line) >= 5 && line[4] == ' ' && isDigits(line[:4]):
			code, _ := strconv.Atoi(line[:4])
			if code == 9999 { // END OF SESSION: shutdown
				return data, nil
			}
			if err := m.readPrompt(); err != nil {
				return nil, fmt.Errorf("management socket %s: %q: %w", m.path, cmd, err)
			}
			if code != 1000 {
				return data, &mgmtError{Command: cmd, Code: code - 1000, Message: line[5:]}
			}
			return data, nil
		}
	}
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// vdePort is one port of port/allprint.
type vdePort struct {
	Number    int
	Active    bool
	Endpoints []string // the "-- endpoint ..." lines, trimmed
}

// parsePorts reads the output of port/allprint:
//
//	Port 0007 untagged_vlan=0000 ACTIVE - NOT Unnamed Allocatable
//	 Current User: root Access Control: (User: NONE - Group: NONE)
//	 IN:  pkts          0          bytes                    0
//	 OUT: pkts          0          bytes                    0
//	  -- endpoint ID 0006 module unix prog   : vde_plug2tap: user=root pid=9792
func parsePorts(lines []string) map[int]*vdePort {
	ports := map[int]*vdePort{}
	var cur *vdePort
	for _, l := range lines {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "Port" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				cur = nil
				continue
			}
			cur = &vdePort{Number: n, Active: len(f) >= 4 && f[3] == "ACTIVE"}
			ports[n] = cur
			continue
		}
		if cur != nil && strings.HasPrefix(strings.TrimSpace(l), "-- endpoint") {
			cur.Endpoints = append(cur.Endpoints, strings.TrimSpace(l))
		}
	}
	return ports
}
