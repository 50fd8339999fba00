package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestOffByDefault(t *testing.T) {
	var buf bytes.Buffer
	l := New(env(nil), &buf)
	l.Error("nobody sees this")
	if buf.Len() != 0 {
		t.Errorf("logged with BENITO_LOG unset: %q", buf.String())
	}
}

func TestLevelAndName(t *testing.T) {
	var buf bytes.Buffer
	l := New(env(map[string]string{EnvLevel: "info"}), &buf)
	l.Debug("hidden")
	l.Named("config").Info("shown")
	out := buf.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, "benito.config: shown") {
		t.Errorf("log:\n%s", out)
	}
}

func TestPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	var buf bytes.Buffer
	New(env(map[string]string{EnvLevel: "DEBUG", EnvPath: path}), &buf).Debug("to the file")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "to the file") || buf.Len() != 0 {
		t.Errorf("file %q, stderr %q", data, buf.String())
	}
}

func TestBadLevel(t *testing.T) {
	var buf bytes.Buffer
	New(env(map[string]string{EnvLevel: "loud"}), &buf).Error("x")
	if got := buf.String(); !strings.Contains(got, `BENITO_LOG="loud" is not a log level`) || strings.Contains(got, "x\n") && strings.Contains(got, "[ERROR]") {
		t.Errorf("stderr: %q", got)
	}
}
