package qmp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Status is QEMU's answer to query-status.
type Status struct {
	// Status is the run state: "running", "paused", "prelaunch",
	// "shutdown", "internal-error", "guest-panicked", ... (QAPI RunState).
	Status  string `json:"status"`
	Running bool   `json:"running"`
}

// QueryStatus asks for the run state of the machine.
func (c *Conn) QueryStatus(ctx context.Context) (Status, error) {
	var s Status
	if err := c.call(ctx, "query-status", nil, &s); err != nil {
		return Status{}, err
	}
	if s.Status == "" {
		return Status{}, fmt.Errorf("qmp: query-status: no status in the answer")
	}
	return s, nil
}

// KVM is QEMU's answer to query-kvm.
type KVM struct {
	Enabled bool `json:"enabled"` // the machine runs on KVM
	Present bool `json:"present"` // this QEMU was built with KVM
}

// QueryKVM asks whether the machine runs on KVM.
func (c *Conn) QueryKVM(ctx context.Context) (KVM, error) {
	var k KVM
	err := c.call(ctx, "query-kvm", nil, &k)
	return k, err
}

// Cont resumes a machine started paused (-S) or stopped.
func (c *Conn) Cont(ctx context.Context) error {
	return c.call(ctx, "cont", nil, nil)
}

// SystemPowerdown asks the guest to power down, as the power button of an
// ACPI machine does; it returns once QEMU has pressed the button, not when
// the guest is down (a SHUTDOWN event says that).
func (c *Conn) SystemPowerdown(ctx context.Context) error {
	return c.call(ctx, "system_powerdown", nil, nil)
}

// Quit ends QEMU at once. QEMU may close the connection before its answer
// arrives; that is success too.
func (c *Conn) Quit(ctx context.Context) error {
	err := c.call(ctx, "quit", nil, nil)
	var qerr *Error
	if err != nil && errors.Is(err, ErrClosed) && !errors.As(err, &qerr) && ctx.Err() == nil {
		return nil
	}
	return err
}

// call executes command and decodes its return into out (unless nil).
func (c *Conn) call(ctx context.Context, command string, args, out any) error {
	ret, err := c.Execute(ctx, command, args)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(ret, out); err != nil {
		return fmt.Errorf("qmp: %s: answer: %w", command, err)
	}
	return nil
}
