package process

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// A node's holder does nothing but exist: its namespaces are the node's.
// It used to be sleep(1), which is dynamically linked: starting it maps
// the C library and runs the dynamic loader, whose CPU feature probing
// (cpuid, which traps to the hypervisor in a virtual machine) cost more
// than the node's namespaces and veth together, 0.3-0.5 ms of the 2 ms a
// node took. On amd64 the holder is now a 150-byte static program built
// below, which names itself and then waits for signals forever; it is
// executed from a sealed memfd, so nothing is written to disk. Where that
// cannot run (another architecture, memfd exec forbidden by
// vm.memfd_noexec or a security module), the holder is sleep(1) as before.

// holderName is the holder's command name (comm, what `ps -e`, top and
// pgrep show); its argv[0] names the node.
const holderName = "benito-node"

// holderTitle begins a holder's argv[0], which goes on with the names of
// its experiment and node: "benito-node:EXPERIMENT/NODE".
const holderTitle = holderName + ":"

// holderProgram returns the static holder for GOARCH, or nil.
func holderProgram(goarch string) []byte {
	if goarch != "amd64" {
		return nil
	}
	const base = 0x400000
	const hdr = 64 + 56 // ELF header and one program header
	code := []byte{
		0xb8, 0x9d, 0x00, 0x00, 0x00, // mov eax, 157 (prctl)
		0xbf, 0x0f, 0x00, 0x00, 0x00, // mov edi, 15 (PR_SET_NAME)
		0x48, 0x8d, 0x35, 0x0b, 0x00, 0x00, 0x00, // lea rsi, [rip+11] (the name)
		0x0f, 0x05, // syscall
		0xb8, 0x22, 0x00, 0x00, 0x00, // loop: mov eax, 34 (pause)
		0x0f, 0x05, // syscall
		0xeb, 0xf7, // jmp loop
	}
	code = append(code, holderName+"\x00"...)
	size := uint64(hdr + len(code))
	b := make([]byte, 0, size)
	le := binary.LittleEndian
	// ELF header: 64-bit, little endian, version 1, System V ABI.
	b = append(b, 0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	b = le.AppendUint16(b, 2)        // e_type: ET_EXEC
	b = le.AppendUint16(b, 0x3e)     // e_machine: EM_X86_64
	b = le.AppendUint32(b, 1)        // e_version
	b = le.AppendUint64(b, base+hdr) // e_entry: the code, after the headers
	b = le.AppendUint64(b, 64)       // e_phoff
	b = le.AppendUint64(b, 0)        // e_shoff: no sections
	b = le.AppendUint32(b, 0)        // e_flags
	b = le.AppendUint16(b, 64)       // e_ehsize
	b = le.AppendUint16(b, 56)       // e_phentsize
	b = le.AppendUint16(b, 1)        // e_phnum
	b = le.AppendUint16(b, 64)       // e_shentsize
	b = le.AppendUint16(b, 0)        // e_shnum
	b = le.AppendUint16(b, 0)        // e_shstrndx
	// One PT_LOAD segment, readable and executable: the whole file.
	b = le.AppendUint32(b, 1)      // p_type: PT_LOAD
	b = le.AppendUint32(b, 5)      // p_flags: PF_R|PF_X
	b = le.AppendUint64(b, 0)      // p_offset
	b = le.AppendUint64(b, base)   // p_vaddr
	b = le.AppendUint64(b, base)   // p_paddr
	b = le.AppendUint64(b, size)   // p_filesz
	b = le.AppendUint64(b, size)   // p_memsz
	b = le.AppendUint64(b, 0x1000) // p_align
	return append(b, code...)
}

// holderExec is how holders are started: a program and, for the static
// holder, whether it has worked yet.
type holderExec struct {
	once   sync.Once
	file   *os.File    // the static holder's sealed memfd, open for the provider's life
	path   string      // file as /proc/self/fd/N for execve; "" if none
	failed atomic.Bool // the static holder could not be executed: use sleep
}

var holders holderExec

// program returns the holder to execute and its argv[0]-independent
// arguments: the static holder while it works, else sleep infinity.
func (x *holderExec) program() (path string, args []string, static bool) {
	x.once.Do(func() { x.file, x.path = loadHolder(holderProgram(runtime.GOARCH)) })
	if x.path != "" && !x.failed.Load() {
		return x.path, nil, true
	}
	return sleepPath, []string{"infinity"}, false
}

// loadHolder puts prog in a sealed memfd (close-on-exec), to be kept open
// for the life of the provider, and returns it with its path for execve;
// "" if prog is nil or the memfd cannot be made.
func loadHolder(prog []byte) (*os.File, string) {
	if prog == nil {
		return nil, ""
	}
	const mfdExec = 0x10 // MFD_EXEC (Linux 6.3): executable even where vm.memfd_noexec=1
	flags := unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	fd, err := unix.MemfdCreate(holderName, flags|mfdExec)
	if err == unix.EINVAL { // an older kernel: no MFD_EXEC, and no need for it
		fd, err = unix.MemfdCreate(holderName, flags)
	}
	if err != nil {
		return nil, ""
	}
	f := os.NewFile(uintptr(fd), holderName)
	if _, err := f.Write(prog); err != nil {
		f.Close()
		return nil, ""
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, ""
	}
	return f, "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
}

// startCmd starts the command mk makes for the holder program. If the
// static holder fails to start and sleep(1) then starts, the static holder
// cannot be executed here and is given up for the life of the provider; if
// both fail, the problem is elsewhere (the namespaces, say) and the static
// holder's error is returned.
func (x *holderExec) startCmd(mk func(path string, args []string) *exec.Cmd) (*exec.Cmd, error) {
	path, args, static := x.program()
	cmd := mk(path, args)
	err := cmd.Start()
	if err == nil {
		return cmd, nil
	}
	err = fmt.Errorf("starting the holder process (%s): %w", path, err)
	if !static {
		return nil, err
	}
	cmd = mk(sleepPath, []string{"infinity"})
	if cmd.Start() != nil {
		return nil, err
	}
	x.failed.Store(true) // for the life of the provider
	return cmd, nil
}
