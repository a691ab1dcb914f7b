package main

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReleaseBuild builds cakegate as the Dockerfile does (.ci/build: CGO_ENABLED=0,
// -trimpath) and checks what the image relies on: the binary is static (it runs in an
// empty image), it says the version the build recorded, and the Dockerfile really builds
// it that way, runs it as a non-root user and keeps the database on a volume.
func TestReleaseBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dockerfile, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".ci/build /out/cakegate", "\nFROM scratch\n", "\nUSER 65532:65532\n", `VOLUME ["/data"]`, "CAKEGATE_DB=/data/cakegate.db", "GOPROXY=${GOPROXY}"} {
		if !bytes.Contains(dockerfile, []byte(want)) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	if n := strings.Count(string(dockerfile), "\nFROM "); n < 2 {
		t.Errorf("the Dockerfile has %d stages; want a build stage and a runtime stage", n)
	}

	bin := filepath.Join(t.TempDir(), "cakegate")
	if out, err := exec.Command(".ci/build", bin).CombinedOutput(); err != nil {
		t.Fatalf(".ci/build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary needs a dynamic loader: it would not run in an empty image")
		}
	}
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"build\tCGO_ENABLED=0", "build\t-trimpath=true"} {
		if !bytes.Contains(info, []byte(want)) {
			t.Errorf("go version -m lacks %q:\n%s", want, info)
		}
	}
	got, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	// What the build recorded: the module version, else the VCS revision, else nothing.
	want := "dev"
	if m := regexp.MustCompile(`(?m)^\tmod\t\S+\t(\S+)`).FindSubmatch(info); m != nil && string(m[1]) != "(devel)" {
		want = string(m[1])
	} else if m := regexp.MustCompile(`(?m)^\tbuild\tvcs.revision=(\S{12})`).FindSubmatch(info); m != nil {
		want = "dev-" + string(m[1])
	}
	if !strings.HasPrefix(string(got), "cakegate "+want) {
		t.Errorf("cakegate version = %q; the build recorded %q", got, want)
	}

	// A version given to the build wins: what a tagged image says.
	if out, err := exec.Command(".ci/build", bin, "v9.8.7").CombinedOutput(); err != nil {
		t.Fatalf(".ci/build with a version: %v\n%s", err, out)
	}
	if got, _ := exec.Command(bin, "version").Output(); string(got) != "cakegate v9.8.7\n" {
		t.Errorf("cakegate version with VERSION=v9.8.7: %q", got)
	}
}
