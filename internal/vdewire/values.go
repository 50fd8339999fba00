package vdewire

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/benito-net/benito/internal/shaping"
	"github.com/benito-net/benito/internal/vdemgmt"
)

// value is one wirefilter setting: its command-line flag, its management
// command and its value for the L->R direction.
type value struct{ flag, command, value string }

// values renders s in wirefilter's units: delay in milliseconds, loss in
// percent, bandwidth in bytes per second, and buf, the channel's buffer,
// in bytes (0: unbounded).
func values(s shaping.Shaping, buf uint64) []value {
	ms := float64(s.Latency.Round(time.Microsecond)) / float64(time.Millisecond)
	return []value{
		{"d", "delay", strconv.FormatFloat(ms, 'f', -1, 64)},
		{"l", "loss", strconv.FormatFloat(s.Loss, 'f', -1, 64)},
		{"b", "bandwidth", strconv.FormatUint(s.Capacity/8, 10)},
		{"c", "chanbufsize", strconv.FormatUint(buf, 10)},
	}
}

// buffer is the channel's buffer for s. With a bandwidth it is bounded as
// a bridge's token bucket is (shaping.QueueLimit): without a bound
// wirefilter queues whatever an endpoint sends faster than its capacity,
// growing its delay and memory without end. Without a bandwidth nothing
// waits but for the delay, and the buffer stays unbounded (0), as
// wirefilter has it.
func buffer(s shaping.Shaping) uint64 {
	if s.Capacity == 0 {
		return 0
	}
	return shaping.QueueLimit(s.Capacity / 8)
}

// set changes the values of the running wirefilter to w's shaping,
// sending only those that differ.
func (w Wire) set() error {
	c, err := dial(w.Mgmt())
	if err != nil {
		return err
	}
	defer c.Close()
	cur, buf, err := c.read()
	if err != nil {
		return err
	}
	have := values(cur, buf)
	for i, v := range values(w.Shaping, buffer(w.Shaping)) {
		if sameValue(have[i].value, v.value) {
			continue
		}
		if _, err := c.Do(v.command + " LR" + v.value); err != nil {
			return err
		}
	}
	return nil
}

// Read returns the shaping the wirefilter applies now (L->R), as its
// showinfo prints it.
func (w Wire) Read() (shaping.Shaping, error) {
	s, _, err := w.read()
	return s, err
}

// Buffer returns the wirefilter's channel buffer now, in bytes (0:
// unbounded): with a capacity, bounded as a bridge's token bucket is.
func (w Wire) Buffer() (uint64, error) {
	_, buf, err := w.read()
	return buf, err
}

func (w Wire) read() (shaping.Shaping, uint64, error) {
	c, err := dial(w.Mgmt())
	if err != nil {
		return shaping.Shaping{}, 0, err
	}
	defer c.Close()
	return c.read()
}

// Same compares what Read returned with what was asked, allowing for
// wirefilter's units (microseconds, whole bytes per second) and its
// printing values with six significant digits.
func Same(got, want shaping.Shaping) bool {
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-5*math.Max(math.Abs(a), math.Abs(b)) }
	return near(float64(got.Latency), float64(want.Latency.Round(time.Microsecond))) &&
		near(got.Loss, want.Loss) && near(float64(got.Capacity), float64(want.Capacity/8*8))
}

func sameValue(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && math.Abs(x-y) <= 1e-5*math.Max(math.Abs(x), math.Abs(y))
}

// conn is a session on a wirefilter management socket (-M).
type conn struct{ *vdemgmt.Conn }

func dial(path string) (*conn, error) {
	c, err := vdemgmt.Dial(path, vdemgmt.PromptWirefilter, Timeout)
	if err != nil {
		return nil, err
	}
	return &conn{c}, nil
}

// read asks showinfo for the L->R values: the shaping, and the channel's
// buffer in bytes (0: unbounded).
//
//	Loss   L->R 1.5+0U   R->L 0+0U
//	Delay  L->R 50+0U   R->L 0+0U
//	Bandw  L->R 1.25e+06+0U   R->L 0+0U
//	Cap.   L->R 81920+0U   R->L 0+0U
func (c *conn) read() (shaping.Shaping, uint64, error) {
	lines, err := c.Do("showinfo")
	if err != nil {
		return shaping.Shaping{}, 0, err
	}
	var s shaping.Shaping
	var buf uint64
	found := 0
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 3 || f[1] != "L->R" {
			continue
		}
		v, ok := number(f[2])
		if !ok {
			return s, 0, fmt.Errorf("wirefilter showinfo: cannot read %q", l)
		}
		switch f[0] {
		case "Loss":
			s.Loss = v
		case "Delay":
			s.Latency = time.Duration(math.Round(v*1000)) * time.Microsecond
		case "Bandw":
			s.Capacity = uint64(math.Round(v)) * 8
		case "Cap.":
			buf = uint64(math.Round(v))
			continue
		default:
			continue
		}
		found++
	}
	if found != 3 {
		return s, 0, fmt.Errorf("wirefilter showinfo: no loss, delay and bandwidth in %q", lines)
	}
	return s, buf, nil
}

// number reads the mean of a wirefilter value "MEAN+VARIATION[UN]", where
// MEAN may itself hold a '+' in its exponent ("1.25e+06+0U"). What
// wirefilter sets is a finite number, not below 0: anything else is not
// read.
func number(s string) (float64, bool) {
	mean := s
	for i := 0; i < len(s); i++ {
		if s[i] != '+' || (i > 0 && (s[i-1] == 'e' || s[i-1] == 'E')) {
			continue
		}
		mean = s[:i]
		break
	}
	v, err := strconv.ParseFloat(mean, 64)
	return v, err == nil && v >= 0 && !math.IsInf(v, 0)
}
