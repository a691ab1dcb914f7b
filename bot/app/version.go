package app

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
)

// version may be set at build time
// (-ldflags "-X github.com/cakegate/cakegate/bot/app.version=v1.2.3"); it wins over what
// the build recorded.
var version = ""

// Version is the running cakegate's version: the -ldflags version if one was set, else the
// module version the build recorded (a tag such as v0.2.0 for `go install …@v0.2.0`, or
// the pseudo-version a `go build` in a git checkout stamps, with +dirty for local changes),
// else the VCS revision, else "dev". So a plain build reports something true.
func Version() string {
	if version != "" {
		return version
	}
	return buildVersion()
}

var buildVersion = sync.OnceValue(func() string {
	info, _ := debug.ReadBuildInfo()
	return versionFrom(info)
})

// versionFrom reads a version from what the Go toolchain recorded in the binary.
func versionFrom(info *debug.BuildInfo) string {
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "-dirty"
	}
	return "dev-" + rev
}

// VersionCommand is `cakegate version [--json]`: the version as one line, or as a JSON
// object for scripts ({"version": "v0.3.0", "go": "go1.26.0"}).
func VersionCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the version as a JSON object")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: cakegate version [--json]")
		return usageExit(err)
	}
	if !*asJSON {
		fmt.Fprintln(stdout, "cakegate", Version())
		return ExitOK
	}
	json.NewEncoder(stdout).Encode(struct {
		Version string `json:"version"`
		Go      string `json:"go"`
	}{Version(), runtime.Version()})
	return ExitOK
}
