// Package daemon starts and supervises detached host processes: daemons
// such as vde_switch and vde_plug2tap, and the long-running processes of
// process nodes, which must outlive the provider process that started them.
//
// A Process is identified by its pid together with its start time (field 22
// of /proc/PID/stat), so a recorded Process never mistakes a later process
// that reuses the pid for the one it started: Alive is false and Stop does
// nothing once the original is gone. Processes are started in a session of
// their own (setsid), so they lead a process group, survive the provider's
// exit and get no signals from its terminal; Stop signals the whole group.
//
// A Process is recorded in benito's own pid files (WritePidFile: pid, start
// time, and a tag saying what it was started on). NotStarted tells whether
// a running process is the program benito started for something (by its
// name, user and arguments), for a caller to check before it signals a
// recorded pid that a file outside its control may have named.
//
// A process started with a Group is born in that cgroup, with everything
// it forks (cgroup.go): the unified hierarchy where it is mounted, else a
// v1 one. Kill ends everything in a group and removes it. A Group can
// also limit memory and CPU time (Limits, SetLimits; read back by
// Group.Limits, so a change by hand shows and a change applies in place):
//
//   - On the unified hierarchy (cgroup v2) that has the memory and cpu
//     controllers: memory.max and cpu.max ("QUOTA 100000") of the group,
//     the controllers enabled in cgroup.subtree_control from the root
//     down to its parent.
//   - On a host that mounts those controllers as v1 hierarchies (memory,
//     cpu under /sys/fs/cgroup/*), benito's group being on the unified
//     hierarchy (which then has no controllers) or a v1 one: a group at
//     the same path in each controller's hierarchy (LimitGroups),
//     memory.limit_in_bytes, cpu.cfs_quota_us and cpu.cfs_period_us
//     there. SetLimits makes those groups and moves the group's processes
//     in; a process started in the group later is born in them too, with
//     no window (forked from a thread moved into them first). Kill,
//     Remove and Prune take them with the group.
//   - A controller on neither is refused with the reason (/proc/cgroups:
//     held by a v1 hierarchy that is not mounted, disabled in the kernel).
//
// Limits hold for the processes of the group itself and what they fork,
// not for groups below it. Swap is not limited.
package daemon
