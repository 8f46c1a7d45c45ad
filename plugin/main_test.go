package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain makes the test binary vf-offload itself when VFO_RUN_MAIN is
// set: the tests below run it as a child with the arguments and
// environment a user or a runtime gives.
func TestMain(m *testing.M) {
	if os.Getenv("VFO_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// vfOffload runs the program with args and extra environment.
func vfOffload(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append([]string{"VFO_RUN_MAIN=1", "PATH=" + os.Getenv("PATH")}, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run %v: %v", args, err)
	}
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		out, stderr, code := vfOffload(t, nil, args...)
		if code != 0 || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q; want 0 and nothing on stderr", args, code, stderr)
		}
		for _, name := range []string{"doctor", "setup-pf", "install", "help"} {
			if !strings.Contains(out, "\n  "+name+" ") {
				t.Errorf("%v does not list %s:\n%s", args, name, out)
			}
		}
	}
}

func TestEveryCommandHelp(t *testing.T) {
	for _, c := range commands() {
		if c.Main == nil {
			t.Logf("%s: not built in yet", c.Name)
			continue
		}
		for _, args := range [][]string{{c.Name, "--help"}, {c.Name, "-h"}, {"help", c.Name}} {
			out, stderr, code := vfOffload(t, nil, args...)
			if code != 0 || stderr != "" || !strings.HasPrefix(out, "usage: vf-offload "+c.Name) || !strings.Contains(out, "\nFlags:\n") {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", args, code, out, stderr)
			}
		}
		out, stderr, code := vfOffload(t, nil, c.Name, "--no-such-flag")
		want := "vf-offload " + c.Name + ": flag provided but not defined: -no-such-flag\nRun 'vf-offload " + c.Name + " --help' for usage.\n"
		if code != 2 || out != "" || stderr != want {
			t.Errorf("%s --no-such-flag: exit %d, stdout %q, stderr %q; want 2 and %q", c.Name, code, out, stderr, want)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"bogus", "vf-offload: unknown command \"bogus\"\nRun 'vf-offload --help' for usage.\n"},
		{"--bogus", "vf-offload: unknown flag --bogus\nRun 'vf-offload --help' for usage.\n"},
	} {
		out, stderr, code := vfOffload(t, nil, tc.arg)
		if code != 2 || out != "" || stderr != tc.want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2 and %q", tc.arg, code, out, stderr, tc.want)
		}
	}
}

// With CNI_COMMAND set the program is a CNI plugin, whatever the arguments.
func TestCNIUseUnchanged(t *testing.T) {
	for _, args := range [][]string{nil, {"doctor"}, {"--help"}} {
		out, stderr, code := vfOffload(t, []string{"CNI_COMMAND=VERSION"}, args...)
		if code != 0 || !strings.Contains(out, `"supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]`) {
			t.Errorf("CNI_COMMAND=VERSION %v: exit %d, stdout %q, stderr %q", args, code, out, stderr)
		}
	}
	// A verb without its environment is a CNI error on stdout, as libcni reads it.
	out, _, code := vfOffload(t, []string{"CNI_COMMAND=ADD"})
	if code == 0 || !strings.Contains(out, `"code":`) {
		t.Errorf("CNI_COMMAND=ADD without CNI_CONTAINERID etc.: exit %d, stdout %q", code, out)
	}
	// No command and no CNI_COMMAND: the CNI library's "about" line.
	out, stderr, _ := vfOffload(t, nil)
	if out != "" || !strings.Contains(stderr, "vf-offload: SR-IOV VF offload for Kube-OVN") {
		t.Errorf("no arguments: stdout %q, stderr %q", out, stderr)
	}
}
