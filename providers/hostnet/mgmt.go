package hostnet

import (
	"strconv"
	"strings"
	"time"

	"github.com/benito-net/benito/internal/vdemgmt"
)

// mgmtTimeout bounds one exchange with a switch's management socket: a
// switch that does not answer within it is treated as not working.
const mgmtTimeout = 5 * time.Second

// dialMgmt connects to the vde_switch management socket (-M) at path and
// reads the banner.
func dialMgmt(path string) (*vdemgmt.Conn, error) {
	return vdemgmt.Dial(path, vdemgmt.PromptSwitch, mgmtTimeout)
}

// showinfo asks the switch for its summary and discards it: a switch that
// answers is working.
func showinfo(c *vdemgmt.Conn) error {
	_, err := c.Do("showinfo")
	return err
}

// vdePort is one port of port/allprint (parsePorts keys them by number).
type vdePort struct {
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
			cur = &vdePort{}
			ports[n] = cur
			continue
		}
		if cur != nil && strings.HasPrefix(strings.TrimSpace(l), "-- endpoint") {
			cur.Endpoints = append(cur.Endpoints, strings.TrimSpace(l))
		}
	}
	return ports
}
