package qga

import (
	"encoding/json"
	"fmt"
)

// Command names, as QEMU spells them.
const (
	CmdSync          = "guest-sync"
	CmdSyncDelimited = "guest-sync-delimited"
	CmdPing          = "guest-ping"
	CmdInfo          = "guest-info"
	CmdExec          = "guest-exec"
	CmdExecStatus    = "guest-exec-status"
	CmdShutdown      = "guest-shutdown"
)

// Error classes qemu-ga answers with.
const (
	ClassGeneric         = "GenericError"
	ClassCommandNotFound = "CommandNotFound"
)

// Sentinel is the byte that precedes a guest-sync-delimited answer (and that
// a client sends before its request) so that either side can flush a half
// read JSON text. It never occurs in UTF-8 JSON.
const Sentinel = 0xFF

// MaxOutput is how much of each of a guest-exec process's output streams is
// kept, as in qemu-ga (GUEST_EXEC_MAX_OUTPUT); the rest is dropped and the
// status says it was truncated.
const MaxOutput = 16 << 20

// Request is one command: {"execute": NAME, "arguments": {...}, "id": ...}.
type Request struct {
	Execute   string          `json:"execute"`
	Arguments json.RawMessage `json:"arguments,omitempty"`
	ID        json.RawMessage `json:"id,omitempty"`
}

// Response is the answer to one Request: exactly one of Return and Error is
// set. ID echoes the request's id when it had one.
type Response struct {
	Return json.RawMessage `json:"return,omitempty"`
	Error  *Error          `json:"error,omitempty"`
	ID     json.RawMessage `json:"id,omitempty"`
}

// Error is a failed command's answer.
type Error struct {
	Class string `json:"class"`
	Desc  string `json:"desc"`
}

func (e *Error) Error() string { return fmt.Sprintf("guest agent: %s: %s", e.Class, e.Desc) }

// SyncArgs are the arguments of guest-sync and guest-sync-delimited; the
// answer is the id itself.
type SyncArgs struct {
	ID int64 `json:"id"`
}

// Info is guest-info's answer (GuestAgentInfo).
type Info struct {
	Version           string        `json:"version"`
	SupportedCommands []CommandInfo `json:"supported_commands"`
}

// CommandInfo is one entry of Info (GuestAgentCommandInfo).
type CommandInfo struct {
	Name            string `json:"name"`
	Enabled         bool   `json:"enabled"`
	SuccessResponse bool   `json:"success-response"`
}

// ExecArgs are guest-exec's arguments. InputData is sent base64 encoded, as
// the schema wants (encoding/json encodes []byte so). Env, when given,
// replaces the agent's environment; Path is looked up in PATH when it has no
// slash.
type ExecArgs struct {
	Path          string         `json:"path"`
	Arg           []string       `json:"arg,omitempty"`
	Env           []string       `json:"env,omitempty"`
	InputData     []byte         `json:"input-data,omitempty"`
	CaptureOutput *CaptureOutput `json:"capture-output,omitempty"`
}

// Exec is guest-exec's answer (GuestExec).
type Exec struct {
	PID int64 `json:"pid"`
}

// ExecStatusArgs are guest-exec-status's arguments.
type ExecStatusArgs struct {
	PID int64 `json:"pid"`
}

// ExecStatus is guest-exec-status's answer (GuestExecStatus). Exit code,
// signal and output are only present once Exited; after the agent has
// answered an exited status it forgets the pid, as qemu-ga does.
type ExecStatus struct {
	Exited       bool   `json:"exited"`
	ExitCode     *int   `json:"exitcode,omitempty"`
	Signal       *int   `json:"signal,omitempty"`
	OutData      []byte `json:"out-data,omitempty"`
	ErrData      []byte `json:"err-data,omitempty"`
	OutTruncated bool   `json:"out-truncated,omitempty"`
	ErrTruncated bool   `json:"err-truncated,omitempty"`
}

// ShutdownArgs are guest-shutdown's arguments: Mode is "powerdown" (the
// default), "halt" or "reboot". A successful guest-shutdown has no answer.
type ShutdownArgs struct {
	Mode string `json:"mode,omitempty"`
}

// CaptureMode is what guest-exec keeps of a process's output
// (GuestExecCaptureOutputMode).
type CaptureMode string

const (
	CaptureNone      CaptureMode = "none"
	CaptureStdout    CaptureMode = "stdout"
	CaptureStderr    CaptureMode = "stderr"
	CaptureSeparated CaptureMode = "separated"
	CaptureMerged    CaptureMode = "merged"
)

// CaptureOutput is the alternate GuestExecCaptureOutput: a boolean (true
// means separated, false none; what QEMU before 8.0 knows) or a mode.
// Bool-ness is kept so that a value reads back as it was written.
type CaptureOutput struct {
	Mode CaptureMode
	// Bool says the value is the boolean form.
	Bool bool
}

func (c CaptureOutput) MarshalJSON() ([]byte, error) {
	if c.Bool {
		return json.Marshal(c.Mode != CaptureNone)
	}
	return json.Marshal(string(c.Mode))
}

func (c *CaptureOutput) UnmarshalJSON(b []byte) error {
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		c.Bool = true
		c.Mode = CaptureNone
		if on {
			c.Mode = CaptureSeparated
		}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("capture-output: want a boolean or a mode, got %s", b)
	}
	switch m := CaptureMode(s); m {
	case CaptureNone, CaptureStdout, CaptureStderr, CaptureSeparated, CaptureMerged:
		*c = CaptureOutput{Mode: m}
		return nil
	}
	return fmt.Errorf("capture-output: unknown mode %q (want none, stdout, stderr, separated or merged)", s)
}
