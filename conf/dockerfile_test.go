package conf

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// No docker engine is needed here: these tests check what can be checked
// of conf/Dockerfile without one. Its build stage must run the Makefile's
// static build, and that command, run here, must give a static binary at
// the path the DaemonSet copies.

// goBuild is one `go build` command line.
type goBuild struct {
	env  map[string]string // VAR=value words before the go command
	args []string          // after "build", in order, -o and its value included
	out  string            // value of -o
}

// flags are the arguments other than -o <out> and the packages.
func (g goBuild) flags() []string {
	var f []string
	for i := 0; i < len(g.args); i++ {
		switch a := g.args[i]; {
		case a == "-o":
			i++
		case strings.HasPrefix(a, "-"):
			f = append(f, a)
		}
	}
	slices.Sort(f)
	return f
}

func (g goBuild) pkgs() []string {
	var p []string
	for i := 0; i < len(g.args); i++ {
		switch a := g.args[i]; {
		case a == "-o":
			i++
		case !strings.HasPrefix(a, "-"):
			p = append(p, a)
		}
	}
	return p
}

// parseGoBuild finds `[VAR=value ...] go build ...` in a command's words;
// goCmd are the spellings of the go command ("go", "$(GO)").
func parseGoBuild(words []string, goCmd ...string) (goBuild, bool) {
	for i := 0; i+1 < len(words); i++ {
		if !slices.Contains(goCmd, words[i]) || words[i+1] != "build" {
			continue
		}
		g := goBuild{env: map[string]string{}, args: words[i+2:]}
		for _, w := range words[:i] {
			if k, v, ok := strings.Cut(w, "="); ok {
				g.env[k] = v
			}
		}
		if j := slices.Index(g.args, "-o"); j >= 0 && j+1 < len(g.args) {
			g.out = g.args[j+1]
		}
		return g, true
	}
	return goBuild{}, false
}

// dockerfileBuild returns the Dockerfile's one `go build` command.
func dockerfileBuild(t *testing.T) goBuild {
	t.Helper()
	var found []goBuild
	for _, l := range dockerfileLines(t) {
		if f := strings.Fields(l); strings.EqualFold(f[0], "RUN") {
			if g, ok := parseGoBuild(f[1:], "go"); ok {
				found = append(found, g)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("Dockerfile: %d `go build` commands, want 1", len(found))
	}
	return found[0]
}

// makeBuild returns the `go build` command of the Makefile's build target,
// with $(VAR) expanded from the Makefile's VAR := value lines.
func makeBuild(t *testing.T) goBuild {
	t.Helper()
	b, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	assign := regexp.MustCompile(`^([A-Z_]+)\s*[:?]?=\s*(.*)$`)
	ref := regexp.MustCompile(`\$\(([A-Z_]+)\)`)
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		if m := assign.FindStringSubmatch(l); m != nil {
			vars[m[1]] = ref.ReplaceAllStringFunc(strings.TrimSpace(m[2]), func(r string) string { return vars[r[2:len(r)-1]] })
		}
		if strings.HasPrefix(l, "build:") {
			in = true
			continue
		}
		if in && !strings.HasPrefix(l, "\t") {
			break
		}
		if in {
			if g, ok := parseGoBuild(strings.Fields(l), "$(GO)", "go"); ok {
				g.out = ref.ReplaceAllStringFunc(g.out, func(r string) string { return vars[r[2:len(r)-1]] })
				return g
			}
		}
	}
	t.Fatal("Makefile: no `go build` in the build target")
	return goBuild{}
}

// TestDockerfileBuildMatchesMake: the image is built the way `make build`
// builds (no cgo, -trimpath, ./plugin), cross-compiled for the target
// platform, by a Go at least as new as go.mod asks for.
func TestDockerfileBuildMatchesMake(t *testing.T) {
	d, m := dockerfileBuild(t), makeBuild(t)
	if d.env["CGO_ENABLED"] != "0" || m.env["CGO_ENABLED"] != "0" {
		t.Errorf("CGO_ENABLED: Dockerfile %q, Makefile %q, want 0 in both", d.env["CGO_ENABLED"], m.env["CGO_ENABLED"])
	}
	if !slices.Equal(d.flags(), m.flags()) || !slices.Contains(m.flags(), "-trimpath") {
		t.Errorf("go build flags: Dockerfile %v, Makefile %v, want the same, with -trimpath", d.flags(), m.flags())
	}
	if !slices.Equal(d.pkgs(), m.pkgs()) || !slices.Equal(m.pkgs(), []string{"./plugin"}) {
		t.Errorf("go build packages: Dockerfile %v, Makefile %v, want ./plugin in both", d.pkgs(), m.pkgs())
	}
	if d.env["GOOS"] != "$TARGETOS" || d.env["GOARCH"] != "$TARGETARCH" {
		t.Errorf("Dockerfile: GOOS=%q GOARCH=%q, want $TARGETOS and $TARGETARCH (cross-compiled for the image's platform)", d.env["GOOS"], d.env["GOARCH"])
	}
	for k := range d.env {
		if _, ok := m.env[k]; !ok && k != "GOOS" && k != "GOARCH" {
			t.Errorf("Dockerfile sets %s for go build, the Makefile does not", k)
		}
	}
	if filepath.Base(m.out) != pluginBinaryName || filepath.Base(d.out) != pluginBinaryName {
		t.Errorf("go build -o: Dockerfile %q, Makefile %q, want both named %s", d.out, m.out, pluginBinaryName)
	}

	// The golang image must be at least the go directive of go.mod.
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindSubmatch(gomod)
	var img []string
	for _, l := range dockerfileLines(t) {
		if f := strings.Fields(l); strings.EqualFold(f[0], "FROM") {
			for _, w := range f[1:] {
				if m := regexp.MustCompile(`^golang:(\d+)\.(\d+)`).FindStringSubmatch(w); m != nil {
					img = m
				}
			}
		}
	}
	if want == nil || img == nil {
		t.Fatalf("go directive %q or golang image %q not found", want, img)
	}
	num := func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x*1000 + y }
	if num(img[1], img[2]) < num(string(want[1]), string(want[2])) {
		t.Errorf("Dockerfile builds with golang:%s.%s, go.mod wants go %s.%s", img[1], img[2], want[1], want[2])
	}
}

// staticELF returns nil when the file is an ELF executable with no program
// interpreter and no shared libraries.
func staticELF(p string) error {
	f, err := elf.Open(p)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			r := prog.Open()
			interp, _ := io.ReadAll(r)
			return fmt.Errorf("%s has a program interpreter (PT_INTERP %q): it is dynamically linked", p, strings.TrimRight(string(interp), "\x00"))
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		return fmt.Errorf("%s needs shared libraries %v", p, libs)
	}
	return nil
}

// TestStaticELFCheck is the control: the check rejects a dynamic binary.
func TestStaticELFCheck(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to use as a dynamically linked control")
	}
	sh, _ = filepath.EvalSymlinks(sh)
	if err := staticELF(sh); err == nil {
		t.Skipf("%s is itself static here; no dynamic control", sh)
	} else {
		t.Logf("control: %v", err)
	}
}

// TestDockerfileBuildIsStatic runs the Dockerfile's build command here (for
// this machine's platform, as TARGETOS/TARGETARCH would be), places the
// result as the final stage's COPY does, and checks that the DaemonSet's
// cp finds a static executable there that answers CNI_COMMAND=VERSION.
func TestDockerfileBuildIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		if goBin = filepath.Join(runtime.GOROOT(), "bin", "go"); !fileExists(goBin) {
			t.Skip("no go command to run the Dockerfile's build with")
		}
	}
	d := dockerfileBuild(t)
	root := t.TempDir()
	buildOut := filepath.Join(root, "build", d.out)
	args := slices.Clone(d.args)
	args[slices.Index(args, "-o")+1] = buildOut
	cmd := exec.Command(goBin, append([]string{"build"}, args...)...)
	cmd.Dir = ".." // WORKDIR /src holds the whole repository (COPY . .)
	cmd.Env = os.Environ()
	for k, v := range d.env {
		v = strings.NewReplacer("$TARGETOS", runtime.GOOS, "$TARGETARCH", runtime.GOARCH).Replace(v)
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s (env %v): %v\n%s", cmd, d.env, err, out)
	}

	// COPY --from=build <d.out> <dst>, then the DaemonSet copies <src>.
	dst := dockerfileFinalBinary(t)
	final := filepath.Join(root, "final", dst)
	data, err := os.ReadFile(buildOut)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(final, data, 0o755); err != nil {
		t.Fatal(err)
	}
	src := installerSource(t)
	bin := filepath.Join(root, "final", src)
	if !fileExists(bin) {
		t.Fatalf("the DaemonSet copies %s, which the image does not have (the binary is at %s)", src, dst)
	}
	if err := staticELF(bin); err != nil {
		t.Errorf("image binary: %v", err)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN || (machine != 0 && f.Machine != machine) {
		t.Errorf("image binary: ELF type %v machine %v, want an executable for %s", f.Type, f.Machine, runtime.GOARCH)
	}
	f.Close()

	// The installer's own check: the binary starts and answers VERSION.
	v := exec.Command(bin)
	v.Env = []string{"CNI_COMMAND=VERSION"}
	v.Stdin = strings.NewReader("")
	out, err := v.Output()
	if err != nil || !strings.Contains(string(out), `"supportedVersions"`) {
		t.Errorf("CNI_COMMAND=VERSION %s: %v\n%s", bin, err, out)
	}
}

// installerSource is the path in the image the DaemonSet's cp reads.
func installerSource(t *testing.T) string {
	t.Helper()
	m := loadManifests(t)
	for _, ds := range m.daemonSets {
		spec := ds.Spec.Template.Spec
		for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
			for _, cmd := range shellCommands(strings.Join(slices.Concat(c.Command, c.Args), "\n")) {
				if cmd[0] == "cp" || cmd[0] == "install" {
					if a := args(cmd); len(a) == 2 {
						return a[0]
					}
				}
			}
		}
	}
	t.Fatal("no DaemonSet container copies the binary")
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
