package hostnet

import (
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

// vdePort is one port of port/allprint (vdemgmt.ParsePorts).
type vdePort = vdemgmt.Port

// parsePorts reads the output of port/allprint, keyed by port number.
func parsePorts(lines []string) map[int]*vdePort { return vdemgmt.ParsePorts(lines) }
