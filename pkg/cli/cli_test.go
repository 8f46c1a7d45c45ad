package cli

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// echoCmd is a command that parses one flag through Parse and prints it.
func echoCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vf-offload echo", flag.ContinueOnError)
	word := fs.String("word", "hi", "what to print")
	if code, done := Parse(fs, args, Usage(fs, "usage: vf-offload echo [--word W]\n"), stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		return Fail(stderr, fs.Name(), "unexpected argument "+fs.Arg(0))
	}
	io.WriteString(stdout, *word+"\n")
	return 0
}

func TestRun(t *testing.T) {
	cmds := []Command{
		{Name: "echo", Summary: "print a word", Main: echoCmd},
		{Name: "later", Summary: "a command not built in yet"},
	}
	const hint = "Run '"
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string // each must be contained; "" means the stream must be empty
	}{
		{args: []string{"help"}, stdout: "  echo      print a word\n  later     a command not built in yet\n  help      "},
		{args: []string{"--help"}, stdout: "usage: vf-offload COMMAND [flags]"},
		{args: []string{"-h"}, stdout: "Run 'vf-offload COMMAND --help' for a command's flags."},
		{args: []string{"-help"}, stdout: "usage: vf-offload COMMAND"},
		{args: []string{"echo"}, stdout: "hi\n"},
		{args: []string{"echo", "--word", "ho"}, stdout: "ho\n"},
		{args: []string{"echo", "--help"}, stdout: "usage: vf-offload echo [--word W]\n\nFlags:\n  -word string\n"},
		{args: []string{"echo", "-h"}, stdout: "usage: vf-offload echo"},
		{args: []string{"help", "echo"}, stdout: "usage: vf-offload echo"},
		{args: []string{"echo", "--bogus"}, code: 2,
			stderr: "vf-offload echo: flag provided but not defined: -bogus\nRun 'vf-offload echo --help' for usage.\n"},
		{args: []string{"echo", "--word"}, code: 2, stderr: "vf-offload echo: flag needs an argument: -word\n"},
		{args: []string{"echo", "extra"}, code: 2, stderr: "vf-offload echo: unexpected argument extra\nRun 'vf-offload echo --help'"},
		{args: []string{"bogus"}, code: 2, stderr: "vf-offload: unknown command \"bogus\"\nRun 'vf-offload --help' for usage.\n"},
		{args: []string{"--bogus"}, code: 2, stderr: "vf-offload: unknown flag --bogus\n" + hint},
		{args: []string{"help", "bogus"}, code: 2, stderr: "vf-offload: unknown command \"bogus\"\n"},
		{args: []string{"help", "echo", "later"}, code: 2, stderr: "vf-offload: help takes one command, not \"echo later\"\n"},
		{args: []string{"later"}, code: 1, stderr: "vf-offload later: not built into this binary\n"},
		{args: nil, code: 2, stderr: "usage: vf-offload COMMAND"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb strings.Builder
			code := Run(cmds, tc.args, &out, &errb)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, s := range []struct{ name, got, want string }{{"stdout", out.String(), tc.stdout}, {"stderr", errb.String(), tc.stderr}} {
				if s.want == "" && s.got != "" || !strings.Contains(s.got, s.want) {
					t.Errorf("%s %q, want it to contain %q (empty if that is empty)", s.name, s.got, s.want)
				}
			}
			// A usage error is one line and the hint, not the whole help.
			if tc.code == 2 && tc.args != nil && strings.Count(errb.String(), "\n") != 2 {
				t.Errorf("stderr is not one line and a hint:\n%s", errb.String())
			}
		})
	}
}
