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
package daemon
