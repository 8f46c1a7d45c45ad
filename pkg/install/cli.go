package install

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/vf-offload/vf-offload/pkg/cli"
)

// DefaultDir is where the DaemonSet (conf/daemonset.yaml) mounts the host's
// /opt/cni/bin.
const DefaultDir = "/host/opt/cni/bin"

const usage = `usage: vf-offload install [--target DIR] [--sleep]

Copies this vf-offload binary into DIR as vf-offload: under a temporary name
in DIR, synced, mode 0755, checked against this binary (size and SHA-256),
then renamed over the old file. A CNI call therefore runs the old binary or
the whole new one, and a vf-offload that is running is replaced without
"text file busy". Prints one line saying what was installed.

Exit status: 0 installed, 1 failed (DIR never holds a partly written
vf-offload nor a temporary file of the installer), 2 bad usage.
`

// Main runs `vf-offload install [--target DIR] [--sleep]` and returns the
// exit code: 0 installed, 1 failed, 2 bad usage. With --sleep it returns
// only after SIGTERM or SIGINT.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vf-offload install", flag.ContinueOnError)
	dir := fs.String("target", DefaultDir, "directory to install into; it must exist (the default is the host's\n/opt/cni/bin as conf/daemonset.yaml mounts it)")
	sleep := fs.Bool("sleep", false, "after installing, stay up until SIGTERM or SIGINT, then exit 0\n(what the DaemonSet's container runs)")
	if code, done := cli.Parse(fs, args, cli.Usage(fs, usage), stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		return cli.Fail(stderr, fs.Name(), fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}

	// Catch SIGTERM before copying: one arriving mid-copy then waits for
	// the copy to finish or to clean up, instead of leaving a temporary
	// file behind.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(stop)

	src, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "vf-offload install: cannot find the running binary: %v\n", err)
		return 1
	}
	r, err := Binary(src, *dir)
	if err != nil {
		fmt.Fprintf(stderr, "vf-offload %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, r)
	if !*sleep {
		return 0
	}
	fmt.Fprintln(stdout, "vf-offload install: sleeping until SIGTERM (--sleep)")
	<-stop
	return 0
}

// String is the line `vf-offload install` prints.
func (r Result) String() string {
	s := fmt.Sprintf("installed %s (%d bytes, sha256 %s)", r.Path, r.Size, r.SHA256)
	switch r.Previous {
	case "":
	case r.SHA256:
		s += ", replacing an identical copy"
	default:
		s += ", replacing a different one (sha256 " + r.Previous + ")"
	}
	return s
}
