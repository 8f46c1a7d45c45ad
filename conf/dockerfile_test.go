package conf

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// No container engine is needed here: these tests check what can be
// checked of conf/Dockerfile without one (e2e/image builds and runs it).
// The image is FROM scratch with the Makefile's build in it, so that build
// must give a static binary, and the image's entrypoint must be the
// installer the DaemonSet runs.

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

// image is what conf/Dockerfile makes.
type image struct {
	src        string   // COPY source, relative to the build context
	binary     string   // COPY destination: the binary in the image
	user       string   // USER
	entrypoint []string // ENTRYPOINT, exec form
}

// dockerfileImage reads conf/Dockerfile, which must be one FROM scratch
// stage whose only file is the binary: no RUN (nothing to run it with),
// one COPY, USER, ENTRYPOINT in exec form.
func dockerfileImage(t *testing.T) image {
	t.Helper()
	var img image
	var from []string
	copies := 0
	for _, l := range dockerfileLines(t) {
		f := strings.Fields(l)
		switch strings.ToUpper(f[0]) {
		case "FROM":
			from = append(from, strings.Join(f[1:], " "))
		case "COPY", "ADD":
			copies++
			if strings.ToUpper(f[0]) != "COPY" || len(f) != 3 {
				t.Errorf("Dockerfile: %q, want COPY <binary> <path in the image>", l)
				continue
			}
			img.src, img.binary = f[1], f[2]
		case "USER":
			img.user = strings.Join(f[1:], " ")
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(strings.TrimSpace(l[len(f[0]):])), &img.entrypoint); err != nil {
				t.Errorf("Dockerfile: ENTRYPOINT is not in exec form (a scratch image has no shell): %v", err)
			}
		case "RUN":
			t.Errorf("Dockerfile: %q: a scratch image has nothing to run it with", l)
		}
	}
	if !slices.Equal(from, []string{"scratch"}) {
		t.Errorf("Dockerfile: FROM %q, want one stage FROM scratch (built offline from bin/vf-offload)", from)
	}
	if copies != 1 || img.binary == "" {
		t.Fatalf("Dockerfile: %d COPY/ADD instructions, want one COPY of the binary", copies)
	}
	if path.Base(img.binary) != pluginBinaryName || !path.IsAbs(img.binary) {
		t.Errorf("Dockerfile: binary installed at %q, want an absolute path ending in /%s", img.binary, pluginBinaryName)
	}
	return img
}

// TestDockerfileScratch: the image is the Makefile's static build, run as
// a non-root user, with the installer as entrypoint; docker's context and
// `make image` feed it that file.
func TestDockerfileScratch(t *testing.T) {
	img := dockerfileImage(t)
	m := makeBuild(t)
	if img.src != m.out {
		t.Errorf("Dockerfile copies %q, `make build` writes %q", img.src, m.out)
	}
	if m.env["CGO_ENABLED"] != "0" || !slices.Contains(m.flags(), "-trimpath") || !slices.Equal(m.pkgs(), []string{"./plugin"}) {
		t.Errorf("make build: env %v flags %v packages %v, want CGO_ENABLED=0 (a scratch image has no libc), -trimpath, ./plugin", m.env, m.flags(), m.pkgs())
	}
	uid, gid, _ := strings.Cut(img.user, ":")
	if u, err := strconv.Atoi(uid); err != nil || u == 0 {
		t.Errorf("Dockerfile: USER %q, want a numeric non-root uid (runAsNonRoot can only check a number)", img.user)
	}
	if _, err := strconv.Atoi(gid); err != nil {
		t.Errorf("Dockerfile: USER %q, want a numeric group", img.user)
	}
	if !slices.Equal(img.entrypoint, []string{img.binary, "install"}) {
		t.Errorf("Dockerfile: ENTRYPOINT %q, want [%q \"install\"]", img.entrypoint, img.binary)
	}

	// docker's context: everything ignored but the binary.
	b, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	if want := []string{"*", "!" + img.src}; !slices.Equal(patterns, want) {
		t.Errorf("Dockerfile.dockerignore: %q, want %q (the context is the binary only)", patterns, want)
	}

	// make image: the build, then conf/image.sh on its output.
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`(?m)^image:\s*(.*)\n((?:\t.*\n)+)`).FindSubmatch(mk)
	if rule == nil || !slices.Contains(strings.Fields(string(rule[1])), "build") ||
		!regexp.MustCompile(`(?m)^\tconf/image\.sh \$\(PLUGIN\) \$\(IMAGE\)$`).Match(rule[2]) {
		t.Errorf("Makefile: want `image: build` running `conf/image.sh $(PLUGIN) $(IMAGE)`, got %q", rule)
	}
	sh, err := os.ReadFile("image.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^buildah bud .*--file "\$conf/Dockerfile"`).Match(sh) ||
		!strings.Contains(string(sh), `cp "$bin" "$ctx/`+img.src+`"`) {
		t.Errorf("conf/image.sh: want buildah bud on conf/Dockerfile with the binary copied to %s in the context", img.src)
	}
}

// TestImageBinaryIsStatic runs the Makefile's build command here, as `make
// image` does before building the image, and checks that the file the image
// gets is a static executable for this machine that answers
// CNI_COMMAND=VERSION and has the installer of the entrypoint.
func TestImageBinaryIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		if goBin = filepath.Join(runtime.GOROOT(), "bin", "go"); !fileExists(goBin) {
			t.Skip("no go command to run the Makefile's build with")
		}
	}
	m := makeBuild(t)
	bin := filepath.Join(t.TempDir(), m.out)
	args := slices.Clone(m.args)
	args[slices.Index(args, "-o")+1] = bin
	cmd := exec.Command(goBin, append([]string{"build"}, args...)...)
	cmd.Dir = ".."
	cmd.Env = os.Environ()
	for k, v := range m.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s (env %v): %v\n%s", cmd, m.env, err, out)
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

	v := exec.Command(bin)
	v.Env = []string{"CNI_COMMAND=VERSION"}
	v.Stdin = strings.NewReader("")
	out, err := v.Output()
	if err != nil || !strings.Contains(string(out), `"supportedVersions"`) {
		t.Errorf("CNI_COMMAND=VERSION %s: %v\n%s", bin, err, out)
	}
	img := dockerfileImage(t)
	h := exec.Command(bin, append(img.entrypoint[1:], "--help")...)
	h.Env = []string{}
	out, err = h.Output()
	if err != nil || !strings.HasPrefix(string(out), "usage: vf-offload install") {
		t.Errorf("%s %q --help: %v\n%s", bin, img.entrypoint[1:], err, out)
	}
}

// dockerfileLines returns the instructions of conf/Dockerfile, continuation
// lines joined, comments dropped.
func dockerfileLines(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	var cur string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		if s := strings.TrimSpace(cur + l); s != "" {
			lines = append(lines, s)
		}
		cur = ""
	}
	return lines
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
