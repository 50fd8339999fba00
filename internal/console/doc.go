// Package console attaches a terminal (or any reader and writer) to a
// QEMU VM's serial console: the unix socket of a socket chardev in server
// mode (-chardev socket,id=console,path=PATH,server=on,wait=off,...
// -serial chardev:console), what `benito console` uses.
//
// What it owns and promises:
//   - Attach copies both ways until the detach key (DetachKey, Ctrl-],
//     0x1d, as telnet and virsh console) is read, the input ends, QEMU
//     closes the connection (the VM stopped), or the context ends; the
//     Ending says which. The detach key is never sent to the guest; the
//     bytes before it in the same read are.
//   - A terminal given as input is in raw mode only while attached, and
//     restored on every way out of Attach (an error, the detach key, the
//     VM closing, a cancelled context).
//   - One client at a time: QEMU's socket chardev accepts no second client
//     while one is attached, and a later connection waits unseen in the
//     kernel's accept queue. Attach asks the kernel (sock_diag, as `ss -x`
//     does) whether QEMU took its connection; one still queued after
//     Options.AcceptWait is an error wrapping ErrBusy, and nothing was
//     sent. Where the kernel cannot tell (no unix_diag), Attach says so
//     through Options.Notice and goes on.
//   - It only connects and copies: which socket is a node's, and whether
//     a recorded path may be trusted, is the caller's to check.
package console
