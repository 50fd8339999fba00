// Package vdemgmt speaks the management protocol of VDE's daemons
// (vde_switch -M, wirefilter -M) over their unix sockets.
//
// The protocol is line based: the daemon greets with a banner ending in
// its prompt ("vde$ " for vde_switch, "VDEwf$ " for wirefilter); each
// command line is answered by optional data ("0000 DATA END WITH '.'",
// lines, "."), then a status line "NNNN message" (1000 is success, other
// codes are errno values plus 1000; 9999 ends the session, after
// shutdown), then the prompt again. A session is used by one goroutine
// at a time; every exchange is bounded by the timeout given to Dial.
package vdemgmt

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Prompts of the daemons.
const (
	PromptSwitch     = "vde$ "
	PromptWirefilter = "VDEwf$ "
)

// Errno values the daemons answer with.
const (
	ENXIO      = 6  // no such port
	EEXIST     = 17 // port exists
	EADDRINUSE = 98 // port in use (an endpoint is still connected)
)

// Conn is a session on a management socket.
type Conn struct {
	path    string
	prompt  string
	program string
	timeout time.Duration
	c       net.Conn
	r       *bufio.Reader
}

// Error is a command the daemon refused.
type Error struct {
	Program string // vde_switch or wirefilter
	Command string
	Code    int // status code minus 1000: an errno value
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s refused %q: %s (%d)", e.Program, e.Command, e.Message, e.Code+1000)
}

// IsCode reports whether err is a refusal with the errno code.
func IsCode(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// Dial connects to the management socket at path, whose daemon greets
// with prompt, and reads the banner.
func Dial(path, prompt string, timeout time.Duration) (*Conn, error) {
	program := "vde_switch"
	if prompt == PromptWirefilter {
		program = "wirefilter"
	}
	c, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s's management socket: %w", program, err)
	}
	m := &Conn{path: path, prompt: prompt, program: program, timeout: timeout, c: c, r: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(timeout))
	if err := m.readPrompt(); err != nil {
		c.Close()
		return nil, fmt.Errorf("%s management socket %s: %w", program, path, err)
	}
	return m, nil
}

// Ready reports whether the daemon at path greets with prompt within
// timeout: it dials and hangs up. A daemon starting up makes its socket
// file before it listens on it, so the file alone proves nothing (and a
// connection then is refused).
func Ready(path, prompt string, timeout time.Duration) error {
	c, err := Dial(path, prompt, timeout)
	if err != nil {
		return err
	}
	return c.Close()
}

// Close ends the session.
func (m *Conn) Close() error { return m.c.Close() }

func (m *Conn) readPrompt() error {
	var tail []byte
	for {
		b, err := m.r.ReadByte()
		if err != nil {
			return err
		}
		tail = append(tail, b)
		if len(tail) > len(m.prompt) {
			tail = tail[1:]
		}
		if string(tail) == m.prompt {
			return nil
		}
	}
}

// Do sends one command and returns its data lines. A refusal is an
// *Error; the end of the session after shutdown is not an error.
func (m *Conn) Do(cmd string) ([]string, error) {
	m.c.SetDeadline(time.Now().Add(m.timeout))
	if _, err := m.c.Write([]byte(cmd + "\n")); err != nil {
		return nil, fmt.Errorf("%s management socket %s: %w", m.program, m.path, err)
	}
	var data []string
	inData := false
	for {
		line, err := m.r.ReadString('\n')
		if err != nil {
			if cmd == "shutdown" && strings.HasPrefix(line, "9999") {
				return nil, nil
			}
			return nil, fmt.Errorf("%s management socket %s: %q: %w", m.program, m.path, cmd, err)
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
				return nil, fmt.Errorf("%s management socket %s: %q: %w", m.program, m.path, cmd, err)
			}
			if code != 1000 {
				return data, &Error{Program: m.program, Command: cmd, Code: code - 1000, Message: line[5:]}
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

// Port is one port of vde_switch's port/allprint.
type Port struct {
	Endpoints []string // the "-- endpoint ..." lines, trimmed
}

// ParsePorts reads the output of vde_switch's port/allprint, keyed by port
// number (a port nothing is plugged into has no endpoints):
//
//	Port 0007 untagged_vlan=0000 ACTIVE - NOT Unnamed Allocatable
//	 Current User: root Access Control: (User: NONE - Group: NONE)
//	 IN:  pkts          0          bytes                    0
//	 OUT: pkts          0          bytes                    0
//	  -- endpoint ID 0006 module unix prog   : vde_plug2tap: user=root pid=9792
func ParsePorts(lines []string) map[int]*Port {
	ports := map[int]*Port{}
	var cur *Port
	for _, l := range lines {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "Port" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				cur = nil
				continue
			}
			cur = &Port{}
			ports[n] = cur
			continue
		}
		if cur != nil && strings.HasPrefix(strings.TrimSpace(l), "-- endpoint") {
			cur.Endpoints = append(cur.Endpoints, strings.TrimSpace(l))
		}
	}
	return ports
}

// EndpointProgram is the program an endpoint line of port/allprint names,
// with what the switch says of it ("vde_plug2tap: user=root pid=9792"),
// or the line itself when it names none.
func EndpointProgram(endpoint string) string {
	if _, prog, ok := strings.Cut(endpoint, " prog "); ok {
		return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(prog), ":"))
	}
	return endpoint
}

// ParseHash reads the output of vde_switch's hash/print: the MAC addresses
// the switch has learned on each port, sorted, in net.HardwareAddr's form.
//
//	Hash: 0105 Addr: 02:ec:f7:f9:80:df VLAN 0000 to port: 002  age 1 secs
func ParseHash(lines []string) map[int][]string {
	out := map[int][]string{}
	for _, l := range lines {
		f := strings.Fields(l)
		var mac string
		port := -1
		for i := 0; i+1 < len(f); i++ {
			switch f[i] {
			case "Addr:":
				mac = f[i+1]
			case "port:":
				if n, err := strconv.Atoi(f[i+1]); err == nil {
					port = n
				}
			}
		}
		if hw, err := net.ParseMAC(mac); err == nil && port >= 0 {
			out[port] = append(out[port], hw.String())
		}
	}
	for _, m := range out {
		sort.Strings(m)
	}
	return out
}
