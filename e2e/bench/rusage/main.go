// Command rusage runs its arguments as a child process with its own stdin,
// stdout, stderr and environment, exits with the child's status, and writes
// the child's ru_maxrss (KiB, decimal) to file descriptor 3.
//
// The bench runs every plugin call through it because a process that the
// bench starts directly would report the bench's own peak RSS: Go starts a
// child sharing the parent's address space until execve (vfork semantics),
// and Linux carries the high-water RSS of the address space a process
// leaves at execve into that process's ru_maxrss. Started from this small
// process instead, the call's ru_maxrss is its own (at least this process's
// couple of MiB).
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rusage command [args...] 3>maxrss")
		os.Exit(2)
	}
	syscall.CloseOnExec(3) // the child does not inherit the report's fd
	out := os.NewFile(3, "maxrss")
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	if ru, ok := sysUsage(cmd); ok && out != nil {
		fmt.Fprintln(out, ru.Maxrss)
		out.Close()
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			os.Exit(128 + int(ws.Signal()))
		}
		os.Exit(ee.ExitCode())
	default:
		fmt.Fprintln(os.Stderr, "rusage:", err)
		os.Exit(127)
	}
}

func sysUsage(cmd *exec.Cmd) (*syscall.Rusage, bool) {
	if cmd.ProcessState == nil {
		return nil, false
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return ru, ok
}
