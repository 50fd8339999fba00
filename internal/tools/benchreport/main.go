// Command benchreport reruns every figure of docs/benchmarks.md and writes
// the table that document quotes, with the commit, the machine and the
// date. scripts/bench runs it; see there.
//
//	go run ./internal/tools/benchreport -benito BIN [-runs 3] [-only plan,refresh,...] [-quick] [-write docs/benchmarks.md] [-results FILE]
//
// It runs the measuring commands under internal/tools (benchplan,
// benchnodes, benchplugin) and the go test benchmarks, each writing its
// figures to a results file (internal/benchresult; go test's own output
// format for the benchmarks), so that every number in the table comes from
// a run, not from a terminal. A figure it expects and does not get fails
// the run. -quick runs every section's tools at a small size, once, and
// leaves out the go test benchmarks (scripts/test runs those, once each):
// CI runs it so that the report cannot go stale.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/benito-net/benito/internal/benchresult"
)

// sections are the parts of the report, in order.
var sections = []string{"plan", "refresh", "nodes", "plugin", "containers", "vms", "go"}

func main() {
	bin := flag.String("benito", "", "the benito binary to measure (required)")
	runs := flag.Int("runs", 3, "runs of each measurement (medians are reported)")
	only := flag.String("only", "", "comma-separated sections to run ("+strings.Join(sections, ", ")+"); all when empty")
	quick := flag.Bool("quick", false, "every tool at a small size, once, and no go test benchmarks: a check that the report still runs, not a measurement")
	write := flag.String("write", "", "replace the generated table in this markdown file (between its scripts/bench markers)")
	keep := flag.String("results", "", "also keep every run's figures in this file (JSON lines)")
	describe := flag.Bool("machine", false, "print the description of this machine the report's headers give, and exit (for scripts/bench-ab)")
	flag.Parse()
	if *describe {
		fmt.Println(machineDesc())
		return
	}
	if *bin == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: benchreport -benito BIN [-runs N] [-only SECTIONS] [-quick] [-write FILE] [-results FILE]")
		os.Exit(2)
	}
	if *quick && *write != "" {
		fmt.Fprintln(os.Stderr, "benchreport: -quick measures nothing worth writing: it goes without -write")
		os.Exit(2)
	}
	if *write != "" && strings.TrimSpace(output("git", "rev-parse", "--short", "HEAD")) == "" {
		fmt.Fprintln(os.Stderr, "benchreport: the commit measured cannot be read (git rev-parse HEAD failed): run it in the repository, with git installed, to write figures")
		os.Exit(1)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(sections, s) {
			fail(fmt.Errorf("-only: no section %q (sections: %s)", s, strings.Join(sections, ", ")))
		}
		want[s] = true
	}
	abs, err := filepath.Abs(*bin)
	fail(err)
	tmp, err := os.MkdirTemp("", "benito-benchreport-")
	fail(err)
	scratch = tmp
	defer os.RemoveAll(tmp)
	r := &report{bin: abs, tmp: tmp, runs: *runs, quick: *quick, headers: map[string]string{}}
	if *quick {
		r.runs = 1
	}
	var ran []string
	for _, s := range sections {
		if len(want) > 0 && !want[s] {
			continue
		}
		if *quick && (s == "containers" || s == "vms" || s == "go") {
			continue
		}
		r.headers[s] = machine()
		fmt.Fprintf(os.Stderr, "==> %s: %s\n", s, r.headers[s])
		t := time.Now()
		fail(r.section(s))
		ran = append(ran, s)
		fmt.Fprintf(os.Stderr, "    (%s took %s)\n", s, time.Since(t).Round(time.Second))
	}
	if *keep != "" {
		fail(os.WriteFile(*keep, r.raw.Bytes(), 0o644))
	}
	for _, s := range ran {
		out := r.markdown(s)
		fmt.Printf("%s\n%s%s\n\n", beginMark(s), out, endMark(s))
		if *write != "" {
			fail(replaceBlock(*write, s, out))
		}
	}
}

// A section's table stands in the document between its two markers, so
// that a section rerun alone (-only) replaces its own table and no other.
func beginMark(section string) string {
	return "<!-- scripts/bench " + section + ": generated, do not edit by hand -->"
}

func endMark(section string) string { return "<!-- scripts/bench " + section + ": end -->" }

// replaceBlock puts a section's table between its markers in the markdown
// file path.
func replaceBlock(path, section, table string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	begin, end := beginMark(section), endMark(section)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s: no table of section %s to replace: put the lines\n%s\n%s\nwhere it goes", path, section, begin, end)
	}
	s = s[:i+len(begin)] + "\n" + table + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}

type report struct {
	bin, tmp string
	runs     int
	quick    bool
	headers  map[string]string // by section: commit, machine, date
	rows     []row
	raw      bytes.Buffer
}

// row is a line of the table.
type row struct {
	section, figure, result, runs, target, met string
}

// sizes are the sections' sizes, full or quick.
func (r *report) size(full, quick int) int {
	if r.quick {
		return quick
	}
	return full
}

func (r *report) section(name string) error {
	switch name {
	case "plan":
		n := r.size(10000, 200)
		big := r.size(25000, 500)
		a, err := r.tool(fmt.Sprintf("plan%d", n), "benchplan", "-nodes", fmt.Sprint(n), "-pair")
		if err != nil {
			return err
		}
		b, err := r.tool(fmt.Sprintf("plan%d", big), "benchplan", "-nodes", fmt.Sprint(big))
		if err != nil {
			return err
		}
		res, bigRes := resources(n), resources(big)
		pw, pr, iw, ir := a.get("plan/plugin/wall"), a.get("plan/plugin/rss"), a.get("plan/inprocess/wall"), a.get("plan/inprocess/rss")
		r.add("plan", fmt.Sprintf("`benito plan`, %s resources, empty state, through the plugin: wall", thousands(res)), pw, "< 1.5 s", pw.Median() < 1.5)
		r.add("plan", "… peak RSS", pr, "< 600 MiB", pr.Median() < 600)
		r.add("plan", "… with the providers in process: wall", iw, "", nil)
		r.add("plan", "… in process: peak RSS", ir, "", nil)
		r.addRatio("plan", "plugin / in process (medians of paired runs)", pw, iw, "< 1.15×", 1.15)
		r.add("plan", "`benito plan -json`, same: wall", a.get("plan/json/wall"), "", nil)
		bw := b.get("plan/plugin/wall")
		r.add("plan", fmt.Sprintf("`benito plan`, %s resources: wall", thousands(bigRes)), bw, "", nil)
		r.add("plan", "… peak RSS", b.get("plan/plugin/rss"), "", nil)
		per := (bw.Median() / float64(bigRes)) / (pw.Median() / float64(res))
		r.rows = append(r.rows, row{"plan", fmt.Sprintf("time per resource, %s against %s", thousands(bigRes), thousands(res)), fmt.Sprintf("**%.2f×**", per), "", "≤ 1.3×", ""})
		if !r.quick {
			r.rows[len(r.rows)-1].met = verdict(per <= 1.3)
		}
		return errors.Join(a.err, b.err)
	case "refresh":
		n := r.size(1000, 20)
		a, err := r.tool(fmt.Sprintf("refresh%d", n), "benchplan", "-nodes", fmt.Sprint(n), "-full")
		if err != nil {
			return err
		}
		r.add("refresh", fmt.Sprintf("`benito apply`, %d process nodes (%s resources) from empty", n, thousands(resources(n))), a.get("apply/wall"), "", nil)
		noop := a.get("noop/wall")
		r.add("refresh", "no-op `benito plan` of them (every resource read back)", noop, "< 0.6 s", noop.Median() < 0.6)
		r.add("refresh", "`benito destroy`", a.get("destroy/wall"), "", nil)
		return a.err
	case "nodes":
		for _, n := range []int{r.size(100, 5), r.size(1000, 10)} {
			args := []string{"-n", fmt.Sprint(n)}
			mininet := n <= 100 && !r.quick
			if _, err := exec.LookPath("mn"); err != nil {
				mininet = false
			}
			bridge, err := r.tool(fmt.Sprintf("bridge%d", n), "benchnodes", append(args, "-mininet="+strconv.FormatBool(mininet))...)
			if err != nil {
				return err
			}
			vde, err := r.tool(fmt.Sprintf("vde%d", n), "benchnodes", append(args, "-vde")...)
			if err != nil {
				return err
			}
			k := func(kind, what string) string { return fmt.Sprintf("nodes/%s/%d/%s", kind, n, what) }
			bt, ft := bridge.get(k("bridge", "benito/total")), bridge.get(k("bridge", "floor/total"))
			vt := vde.get(k("vde", "benito/total"))
			r.add("nodes", fmt.Sprintf("%d process nodes on a bridge: apply", n), bridge.get(k("bridge", "benito/apply")), "", nil)
			r.add("nodes", "… destroy", bridge.get(k("bridge", "benito/destroy")), "", nil)
			r.add("nodes", "… apply + destroy", bt, "", nil)
			r.add("nodes", fmt.Sprintf("the netlink floor, %d namespaces and veths: build + delete", n), ft, "", nil)
			target := ""
			if n == r.size(100, 5) {
				target = "≤ 2×"
			}
			r.addRatio("nodes", fmt.Sprintf("benito on a bridge / floor, %d nodes", n), bt, ft, target, 2)
			if mininet {
				m := bridge.get(k("bridge", "mininet/total"))
				r.add("nodes", fmt.Sprintf("Mininet, %d hosts on a switch: build + stop", n), m, "", nil)
				r.addRatio("nodes", "Mininet / benito", m, bt, "", 0)
			}
			r.add("nodes", fmt.Sprintf("%d process nodes on a VDE switch: apply", n), vde.get(k("vde", "benito/apply")), "", nil)
			r.add("nodes", "… destroy", vde.get(k("vde", "benito/destroy")), "", nil)
			r.add("nodes", "… apply + destroy", vt, "", nil)
			r.addRatio("nodes", fmt.Sprintf("VDE / bridge, %d nodes", n), vt, bt, "≤ 2×", 2)
			if err := errors.Join(bridge.err, vde.err); err != nil {
				return err
			}
		}
		return nil
	case "plugin":
		n := r.size(1000, 20)
		a, err := r.tool(fmt.Sprintf("plugin%d", n), "benchplugin", "-n", fmt.Sprint(n))
		if err != nil {
			return err
		}
		for _, cmd := range []string{"plan", "apply", "destroy"} {
			p, i := a.get("plugin/plugin/"+cmd), a.get("plugin/inprocess/"+cmd)
			r.add("plugin", fmt.Sprintf("`benito %s`, %d process nodes, through the plugin", cmd, n), p, "", nil)
			r.add("plugin", "… in process", i, "", nil)
			target, limit := "", 0.0
			if cmd == "apply" {
				target, limit = "< 1.2×", 1.2
			}
			r.addRatio("plugin", "… plugin / in process", p, i, target, limit)
		}
		return a.err
	case "containers":
		return r.goBench("containers", "./cmd/benito", "^BenchmarkContainers$", "1x")
	case "vms":
		return r.goBench("vms", "./cmd/benito", "^BenchmarkVMBoot$", "1x")
	case "go":
		// Every package's benchmarks but cmd/benito's, the two sections
		// above.
		var pkgs []string
		for _, p := range strings.Fields(output("go", "list", "./...")) {
			if !strings.HasSuffix(p, "/cmd/benito") {
				pkgs = append(pkgs, p)
			}
		}
		return r.goBench("go", strings.Join(pkgs, " "), ".", "")
	}
	return fmt.Errorf("no section %q", name)
}

// resources is the size of the generated experiment of n nodes
// (internal/benchexp): ten resources a node, its 110 switches and two
// config files.
func resources(n int) int { return 10*n + 112 }

// results are one tool run's figures.
type results struct {
	tool string
	recs map[string]benchresult.Record
	err  error
}

// get returns a figure, and notes its absence.
func (res *results) get(name string) benchresult.Record {
	rec, ok := res.recs[name]
	if !ok {
		res.err = errors.Join(res.err, fmt.Errorf("%s wrote no figure %q: its output changed, change benchreport with it", res.tool, name))
		rec = benchresult.Record{Name: name, Runs: []float64{math.NaN()}}
	}
	return rec
}

// tool runs the measuring command under internal/tools with its results
// file, its output going to stderr.
func (r *report) tool(id, name string, args ...string) (*results, error) {
	exe := filepath.Join(r.tmp, name)
	if _, err := os.Stat(exe); err != nil {
		if err := run(exec.Command("go", "build", "-o", exe, "./internal/tools/"+name)); err != nil {
			return nil, err
		}
	}
	file := filepath.Join(r.tmp, id+".jsonl")
	args = append([]string{"-benito", r.bin, "-runs", fmt.Sprint(r.runs), "-results", file}, args...)
	if name != "benchnodes" {
		args = append(args, "-name", "benchreport")
	}
	if err := run(exec.Command(exe, args...)); err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	recs, err := benchresult.Read(file)
	if err != nil {
		return nil, err
	}
	b, _ := os.ReadFile(file)
	r.raw.Write(b)
	return &results{tool: name, recs: recs}, nil
}

// goBench runs go test benchmarks matching pattern in pkg, r.runs times
// (-count), and adds a row per benchmark and unit.
func (r *report) goBench(section, pkg, pattern, benchtime string) error {
	args := []string{"test", "-run", "^$", "-bench", pattern, "-benchmem", "-count", fmt.Sprint(r.runs)}
	if benchtime != "" {
		args = append(args, "-benchtime", benchtime)
	}
	cmd := exec.Command("go", append(args, strings.Fields(pkg)...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	fmt.Fprintf(os.Stderr, "$ go %s\n", strings.Join(cmd.Args[1:], " "))
	if err := cmd.Run(); err != nil {
		os.Stderr.Write(out.Bytes())
		return fmt.Errorf("go test -bench %s: %w", pattern, err)
	}
	os.Stderr.Write(out.Bytes())
	got := parseBench(out.String())
	if len(got) == 0 {
		return fmt.Errorf("go test -bench %s ran no benchmark", pattern)
	}
	for _, b := range got {
		for _, u := range b.units {
			if section != "go" && (u == "ns/op" || u == "B/op" || u == "allocs/op") {
				// The benchmark's own process; its metrics say what
				// the commands it ran took.
				continue
			}
			rec := benchresult.Record{Name: b.name + " " + u, Unit: u, Runs: b.values[u]}
			r.add(section, fmt.Sprintf("`%s` (%s) %s", b.name, b.pkg, u), rec, "", nil)
		}
	}
	return nil
}

// bench is one go test benchmark's lines.
type bench struct {
	pkg, name string
	units     []string // in the order go test printed them
	values    map[string][]float64
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parseBench reads go test's benchmark lines ("BenchmarkX-2  1  123 ns/op
// 45 B/op ..."), each package's after its "pkg:" line.
func parseBench(out string) []*bench {
	var list []*bench
	byName := map[string]*bench{}
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "pkg:" {
			pkg = strings.TrimPrefix(f[1], "github.com/benito-net/benito/")
			continue
		}
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		b := byName[pkg+" "+name]
		if b == nil {
			b = &bench{pkg: pkg, name: name, values: map[string][]float64{}}
			byName[pkg+" "+name] = b
			list = append(list, b)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			u := f[i+1]
			if _, seen := b.values[u]; !seen {
				b.units = append(b.units, u)
			}
			b.values[u] = append(b.values[u], v)
		}
	}
	return list
}

// add adds a row of a figure; met is nil when the figure has no target.
func (r *report) add(section, figure string, rec benchresult.Record, target string, met any) {
	runs := make([]string, len(rec.Runs))
	for i, v := range rec.Runs {
		runs[i] = format(v, rec.Unit)
	}
	m := ""
	if ok, isBool := met.(bool); isBool && !r.quick {
		m = verdict(ok)
	}
	r.rows = append(r.rows, row{section, figure, "**" + format(rec.Median(), rec.Unit) + "**", strings.Join(runs, ", "), target, m})
}

// addRatio adds the ratio of two figures' medians; a limit of 0 has no
// target.
func (r *report) addRatio(section, figure string, a, b benchresult.Record, target string, limit float64) {
	x := a.Median() / b.Median()
	m := ""
	if limit > 0 && target != "" && !r.quick {
		m = verdict(x <= limit)
	}
	r.rows = append(r.rows, row{section, figure, fmt.Sprintf("**%.2f×**", x), "", target, m})
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// format prints a value in its unit, with as many digits as it needs.
func format(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case unit == "s":
		if v < 1 {
			return fmt.Sprintf("%.0f ms", v*1000)
		}
		return fmt.Sprintf("%.2f s", v)
	case unit == "MiB":
		return fmt.Sprintf("%.0f MiB", v)
	case unit == "ns/op":
		d := time.Duration(v)
		switch {
		case d >= time.Second:
			return fmt.Sprintf("%.2f s", d.Seconds())
		case d >= time.Millisecond:
			return fmt.Sprintf("%.1f ms", float64(d)/1e6)
		case d >= time.Microsecond:
			return fmt.Sprintf("%.1f µs", float64(d)/1e3)
		}
		return fmt.Sprintf("%.0f ns", v)
	case unit == "B/op":
		switch {
		case v >= 1<<30:
			return fmt.Sprintf("%.2f GiB", v/(1<<30))
		case v >= 1<<20:
			return fmt.Sprintf("%.1f MiB", v/(1<<20))
		case v >= 1<<10:
			return fmt.Sprintf("%.1f KiB", v/(1<<10))
		}
		return fmt.Sprintf("%.0f B", v)
	case unit == "allocs/op":
		return thousands(int(v))
	}
	return strconv.FormatFloat(v, 'g', 4, 64) + " " + unit
}

// thousands prints n with thousands separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// markdown is a section's report: where and when it ran, then its table.
func (r *report) markdown(section string) string {
	var b strings.Builder
	b.WriteString(r.headers[section] + "\n\n")
	if r.quick {
		b.WriteString("**-quick: every tool at a small size, once. These are not measurements.**\n\n")
	}
	b.WriteString("| figure | median | runs | target | |\n|---|---|---|---|---|\n")
	for _, w := range r.rows {
		if w.section == section {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", w.figure, w.result, w.runs, w.target, w.met)
		}
	}
	return b.String()
}

// machine describes the commit measured and the machine, for the report's
// header.
func machine() string {
	commit := strings.TrimSpace(output("git", "rev-parse", "--short", "HEAD"))
	if strings.TrimSpace(output("git", "status", "--porcelain", "--untracked-files=no")) != "" {
		commit += " with uncommitted changes"
	}
	return fmt.Sprintf("Measured by `scripts/bench` at commit %s on %s; %s as the section began.",
		commit, time.Now().UTC().Format("2006-01-02 15:04 MST"), machineDesc())
}

// machineDesc describes the machine: cores, CPU, memory, kernel, Go, and
// the load average now.
func machineDesc() string {
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.Atoi(f[1])
				mem = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	load := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("machine: %d cores (%s), %s, kernel %s, %s; load average %s",
		runtime.NumCPU(), cpu, mem, strings.TrimSpace(output("uname", "-r")), strings.TrimSpace(output("go", "version")), load)
}

func output(name string, args ...string) string {
	b, _ := exec.Command(name, args...).Output()
	return string(b)
}

// run runs cmd with its output on stderr, echoing the command.
func run(cmd *exec.Cmd) error {
	fmt.Fprintf(os.Stderr, "$ %s\n", strings.Join(cmd.Args, " "))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// scratch is the run's temporary directory (the tools built, their
// results files), removed however the run ends.
var scratch string

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		if scratch != "" {
			os.RemoveAll(scratch)
		}
		os.Exit(1)
	}
}
