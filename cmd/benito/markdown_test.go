package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/benito-net/benito/internal/golden"
	"github.com/benito-net/benito/internal/testenv"
)

// TestQuickstartMarkdownPlan checks the markdown plan of examples/quickstart
// (empty state) against docs/examples/quickstart-plan.md, which the README
// shows, and that show -markdown of the saved plan prints the same.
func TestQuickstartMarkdownPlan(t *testing.T) {
	dir, _, _ := experimentNamed(t, "quickstart", "quickstart")
	planFile := filepath.Join(t.TempDir(), "quickstart.plan")
	r := benito(t, "", "plan", "-markdown", "-refresh=false", "-out", planFile, dir)
	if r.code != 0 {
		t.Fatal(r)
	}
	golden.Check(t, filepath.Join(repoRoot(t), "docs", "examples", "quickstart-plan.md"), []byte(r.stdout))
	if again := benito(t, "", "plan", "-markdown", "-refresh=false", dir); again.stdout != r.stdout {
		t.Errorf("two markdown plans of the same input differ")
	}
	if show := benito(t, "", "show", "-markdown", planFile); show.code != 0 || show.stdout != r.stdout {
		t.Errorf("show -markdown of the saved plan differs from plan -markdown:\n%s", show)
	}

	// The README quotes the plan's summary and table: they must be this
	// plan's, line for line.
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var quoted []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "**Plan:") || strings.HasPrefix(line, "| ") {
			quoted = append(quoted, "> "+line)
		}
	}
	if len(quoted) < 3 {
		t.Fatalf("the quickstart's markdown plan has no summary and table:\n%s", r.stdout)
	}
	want := quoted[0] + "\n>\n" + strings.Join(quoted[1:], "\n")
	if !strings.Contains(string(readme), want) {
		t.Errorf("README.md does not quote the quickstart's markdown plan as it is now; it should hold:\n%s", want)
	}
}

func TestMarkdownFlags(t *testing.T) {
	dir, _, _ := experimentNamed(t, "quickstart", "quickstart")
	planFile := filepath.Join(t.TempDir(), "quickstart.plan")
	if r := benito(t, "", "plan", "-refresh=false", "-out", planFile, dir); r.code != 0 {
		t.Fatal(r)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "-json", "-markdown", dir}, "-json and -markdown choose two output formats: give one of them"},
		{[]string{"show", "-json", "-markdown", planFile}, "-json and -markdown choose two output formats: give one of them"},
		{[]string{"show", "-markdown", dir}, "-markdown shows a saved plan, not a state: give the file of benito plan -out FILE"},
	} {
		r := benito(t, "", tc.args...)
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("benito %s: want exit 1 and %q\n%s", strings.Join(tc.args, " "), tc.want, r)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "benito.state")); err == nil {
		t.Errorf("a refused plan wrote a state")
	}
}

// savedQuickstartPlan saves the quickstart's plan and returns its path and
// its markdown.
func savedQuickstartPlan(t *testing.T) (planFile, markdown string) {
	t.Helper()
	dir, _, _ := experimentNamed(t, "quickstart", "quickstart")
	planFile = filepath.Join(t.TempDir(), "quickstart.plan")
	r := benito(t, "", "plan", "-markdown", "-refresh=false", "-out", planFile, dir)
	if r.code != 0 {
		t.Fatal(r)
	}
	return planFile, r.stdout
}

func prPlan(t *testing.T, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot(t), "scripts", "pr-plan"), args...)
	cmd.Env = append(os.Environ(), "BENITO="+benitoBin)
	cmd.Env = append(cmd.Env, env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// TestPRPlanDryRun: scripts/pr-plan -n prints the comment it would post:
// its marker, then the plan's markdown.
func TestPRPlanDryRun(t *testing.T) {
	planFile, md := savedQuickstartPlan(t)
	out, stderr, err := prPlan(t, []string{"GITHUB_TOKEN="}, "-n", "-i", "quickstart", planFile)
	if err != nil {
		t.Fatalf("pr-plan -n: %v\n%s", err, stderr)
	}
	if want := "<!-- benito-plan: quickstart -->\n\n" + md; out != want {
		t.Errorf("pr-plan -n printed:\n%s\nwant:\n%s", out, want)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "pr-plan: no PLANFILE: save one with benito plan -out PLANFILE first"},
		{[]string{"-n", "missing.plan"}, "pr-plan: missing.plan: no such file"},
		{[]string{"-n", "-i", "a -->", planFile}, "use letters, digits"},
		{[]string{planFile}, "GITHUB_TOKEN is not set"},
	} {
		_, stderr, err := prPlan(t, []string{"GITHUB_TOKEN="}, tc.args...)
		if err == nil || !strings.Contains(stderr, tc.want) {
			t.Errorf("pr-plan %v: want a failure saying %q, got %v:\n%s", tc.args, tc.want, err, stderr)
		}
	}
	if out, _, err := prPlan(t, nil, "-h"); err != nil || !strings.Contains(out, "Usage: scripts/pr-plan [-n] [-i ID] [-p NUMBER] PLANFILE") {
		t.Errorf("pr-plan -h: %v\n%s", err, out)
	}
}

// fakeGitHub serves the part of GitHub's REST API that pr-plan uses: a
// pull request's comments, listed a page at a time, posted and edited.
type fakeGitHub struct {
	t        *testing.T
	mu       sync.Mutex
	comments []ghComment
	posts    int
	patches  int
}

type ghComment struct {
	ID      int    `json:"id"`
	Body    string `json:"body"`
	HTMLURL string `json:"html_url"`
}

func (g *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer test-token" || r.Header.Get("Accept") != "application/vnd.github+json" {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	readBody := func() string {
		var in struct{ Body *string }
		data, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(data, &in); err != nil || in.Body == nil {
			g.t.Errorf("%s %s: body %q is not {\"body\": ...}", r.Method, r.URL.Path, data)
			return ""
		}
		return *in.Body
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/repos/o/r/issues/7/comments":
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if per != 100 || page < 1 {
			g.t.Errorf("listing with per_page=%d page=%d", per, page)
		}
		lo, hi := min(len(g.comments), (page-1)*per), min(len(g.comments), page*per)
		reply(g.comments[lo:hi])
	case r.Method == http.MethodPost && r.URL.Path == "/repos/o/r/issues/7/comments":
		g.posts++
		id := 1000 + len(g.comments)
		c := ghComment{ID: id, Body: readBody(), HTMLURL: fmt.Sprintf("https://github.test/o/r/pull/7#issuecomment-%d", id)}
		g.comments = append(g.comments, c)
		w.WriteHeader(http.StatusCreated)
		reply(c)
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/repos/o/r/issues/comments/"):
		g.patches++
		id, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/repos/o/r/issues/comments/"))
		for i := range g.comments {
			if g.comments[i].ID == id {
				g.comments[i].Body = readBody()
				reply(g.comments[i])
				return
			}
		}
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	default:
		g.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	}
}

// TestPRPlanPosts runs scripts/pr-plan against a local stand-in for
// GitHub's API: the first run posts the comment (after paging through the
// pull request's other comments), the next ones edit it.
func TestPRPlanPosts(t *testing.T) {
	testenv.Command(t, "curl", "curl")
	testenv.Command(t, "jq", "jq")
	planFile, md := savedQuickstartPlan(t)
	gh := &fakeGitHub{t: t}
	for i := range 150 {
		gh.comments = append(gh.comments, ghComment{ID: i + 1, Body: fmt.Sprintf("comment %d", i)})
	}
	srv := httptest.NewServer(gh)
	defer srv.Close()
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request":{"number":7}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"GITHUB_TOKEN=test-token", "GITHUB_REPOSITORY=o/r", "GITHUB_API_URL=" + srv.URL + "/", "GITHUB_EVENT_PATH=" + event}
	want := "<!-- benito-plan: benito -->\n\n" + strings.TrimSuffix(md, "\n")

	out, stderr, err := prPlan(t, env, planFile)
	if err != nil {
		t.Fatalf("pr-plan: %v\n%s", err, stderr)
	}
	if out != "pr-plan: posted https://github.test/o/r/pull/7#issuecomment-1150\n" {
		t.Errorf("pr-plan printed %q", out)
	}
	for range 2 {
		out, stderr, err = prPlan(t, env, "-p", "7", planFile)
		if err != nil {
			t.Fatalf("pr-plan again: %v\n%s", err, stderr)
		}
		if out != "pr-plan: updated https://github.test/o/r/pull/7#issuecomment-1150\n" {
			t.Errorf("pr-plan again printed %q", out)
		}
	}
	gh.mu.Lock()
	posts, patches, comments := gh.posts, gh.patches, gh.comments
	gh.mu.Unlock()
	if posts != 1 || patches != 2 || len(comments) != 151 {
		t.Fatalf("%d posts, %d edits, %d comments; want 1, 2, 151", posts, patches, len(comments))
	}
	if got := comments[150].Body; got != want {
		t.Errorf("the comment:\n%s\nwant:\n%s", got, want)
	}

	// A bad token: the script fails, saying what GitHub answered.
	env[0] = "GITHUB_TOKEN=wrong"
	if _, stderr, err := prPlan(t, env, planFile); err == nil || !strings.Contains(stderr, "Bad credentials") {
		t.Errorf("a refused token: %v\n%s", err, stderr)
	}
}

// TestPRPlanShellcheck: scripts/pr-plan passes shellcheck.
func TestPRPlanShellcheck(t *testing.T) {
	sc := testenv.Command(t, "shellcheck", "shellcheck")
	out, err := exec.Command(sc, filepath.Join(repoRoot(t), "scripts", "pr-plan")).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck scripts/pr-plan: %v\n%s", err, out)
	}
}
