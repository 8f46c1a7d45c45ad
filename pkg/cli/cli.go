// Package cli runs vf-offload's subcommands (`vf-offload doctor`, ...): it
// picks the command, prints the help, and parses each command's flags the
// same way, so that every command answers --help on stdout with exit code 0
// and a bad flag or argument on stderr with exit code 2 and a one-line hint.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// ExitUsage is the exit code of a command line that cannot be run.
const ExitUsage = 2

// Command is one subcommand.
type Command struct {
	Name    string
	Summary string // one line for the help
	// Main runs the command with the arguments after its name and returns
	// the exit code. A nil Main is a command listed but not built in.
	Main func(args []string, stdout, stderr io.Writer) int
}

// Run runs the command that args (the arguments after the program name)
// names, or prints the help: `help`, `--help`, `-h`, or `help COMMAND` for
// the command's own.
func Run(cmds []Command, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		help(cmds, stderr)
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if name != "help" || len(rest) == 0 {
			help(cmds, stdout)
			return 0
		}
		if len(rest) > 1 {
			return Fail(stderr, "vf-offload", fmt.Sprintf("help takes one command, not %q", strings.Join(rest, " ")))
		}
		name, rest = rest[0], []string{"--help"}
	}
	for _, c := range cmds {
		if c.Name != name {
			continue
		}
		if c.Main == nil {
			fmt.Fprintf(stderr, "vf-offload %s: not built into this binary\n", name)
			return 1
		}
		return c.Main(rest, stdout, stderr)
	}
	if strings.HasPrefix(name, "-") {
		return Fail(stderr, "vf-offload", fmt.Sprintf("unknown flag %s", name))
	}
	return Fail(stderr, "vf-offload", fmt.Sprintf("unknown command %q", name))
}

func help(cmds []Command, w io.Writer) {
	fmt.Fprint(w, `usage: vf-offload COMMAND [flags]

vf-offload is a chained CNI plugin: the container runtime (through Multus)
runs it after Kube-OVN with CNI_COMMAND set and no arguments, and it gives
the pod an SR-IOV VF in place of Kube-OVN's veth. Run by hand, it has these
commands:

`)
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-9s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintf(w, "  %-9s %s\n", "help", "this help; help COMMAND: the command's")
	fmt.Fprint(w, "\nRun 'vf-offload COMMAND --help' for a command's flags.\n")
}

// Fail reports a bad command line on stderr, in one line and a hint, and
// returns ExitUsage. cmd is e.g. "vf-offload doctor".
func Fail(stderr io.Writer, cmd, msg string) int {
	fmt.Fprintf(stderr, "%s: %s\n", cmd, msg)
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd)
	return ExitUsage
}

// Parse parses a command's flags from args. usage prints the command's help
// (its text, then fs.PrintDefaults output). With -h or --help it goes to
// stdout; a bad flag is reported on stderr by Fail. done says whether the
// command is finished, with exit code code.
func Parse(fs *flag.FlagSet, args []string, usage func(w io.Writer), stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard) // the flag package's own messages are replaced by Fail's
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		usage(stdout)
		return 0, true
	case err != nil:
		return Fail(stderr, fs.Name(), err.Error()), true
	}
	fs.SetOutput(stderr)
	return 0, false
}

// Usage returns a usage function for Parse: text, then "Flags:" and the
// flags fs defines.
func Usage(fs *flag.FlagSet, text string) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprint(w, text)
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}
