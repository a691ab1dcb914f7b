package app

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The module's import rules (docs/development.md → Layout). Calls flow main → bot/app → bot →
// commands → (state, datacake), but commands reaches the store and Datacake only through
// interfaces it declares, so each package stays testable alone and knows nothing of the
// others' technology.
// The rules live here because bot/app is the one package that plugs every other together.

const module = "github.com/cakegate/cakegate"

// importRule says which of the module's packages a package may import: its production files
// in prod, and its tests in addition testOnly. Packages of ours not listed in either are
// refused with why.
type importRule struct {
	prod, testOnly []string
	why            string
}

var importRules = map[string]importRule{
	"commands": {
		testOnly: []string{"commands/commandstest"},
		why:      "commands is the domain and the use cases; it declares the ports it needs and imports no other package of ours",
	},
	"commands/commandstest": {
		prod: []string{"commands"},
		why:  "the fakes of commands' ports need only commands",
	},
	"state": {
		prod:     []string{"commands"},
		testOnly: []string{"commands/commandstest", "state/storetest"},
		why:      "state stores commands' types and needs nothing else of ours",
	},
	"state/etcdstore": {
		prod:     []string{"commands", "state"},
		testOnly: []string{"commands/commandstest", "state/etcdstore/etcdtest", "state/storetest"},
		why:      "the etcd store keeps commands' types in state's records and needs nothing else of ours",
	},
	"state/etcdstore/etcdtest": {
		why: "the embedded etcd server for tests needs nothing of ours",
	},
	"state/storetest": {
		prod: []string{"commands", "state"},
		why:  "the stores' conformance suite speaks the ports of commands and the records of state",
	},
	"datacake": {
		testOnly: []string{"datacake/datacaketest"},
		why:      "datacake is a client of Datacake's API and needs nothing of ours",
	},
	"datacake/datacaketest": {
		why: "the fake Datacake speaks Datacake's API and needs nothing of ours",
	},
	"bot": {
		prod:     []string{"commands"},
		testOnly: []string{"bot/slacktest", "commands/commandstest"},
		why:      "bot is the Slack side of commands; it knows nothing of bbolt or GraphQL, and its tests use only the fakes",
	},
	"bot/slacktest": {
		why: "the fake Slack speaks Slack's API and needs nothing of ours",
	},
	"bot/app": {
		prod:     []string{"bot", "commands", "datacake", "state", "state/etcdstore"},
		testOnly: []string{"bot/app/apptest", "bot/slacktest", "commands/commandstest", "datacake/datacaketest", "state/etcdstore/etcdtest", "state/storetest"},
		why:      "bot/app plugs the real packages together and never links a fake into the binary",
	},
	"bot/app/apptest": {
		why: "the app's test helpers read /metrics and logs and need nothing of ours",
	},
	"bot/app/sandbox": {
		// The one production package that imports fakes: it is `cakegate demo`, the real app
		// against in-process fakes of Slack and Datacake.
		prod:     []string{"bot/app", "commands", "bot/slacktest", "commands/commandstest", "datacake/datacaketest"},
		testOnly: []string{"bot", "bot/app/apptest", "datacake", "state", "state/etcdstore", "state/etcdstore/etcdtest", "state/storetest"},
		why:      "the sandbox reaches cakegate only through what bot/app exports (and commands' domain types)",
	},
	"bot/app/simulation": {
		// A test harness with non-test files (so it can be read and reused): the real app
		// against the fakes, driven by a seed. Nothing imports it.
		prod:     []string{"bot", "bot/app", "bot/slacktest", "commands", "commands/commandstest", "datacake/datacaketest", "state", "state/etcdstore"},
		testOnly: []string{"state/etcdstore/etcdtest"},
		why:      "the simulation drives what bot/app exports against the fakes, and reads the store (bbolt, or etcd for replicas) and the domain types to judge the invariants",
	},
	"": {
		prod: []string{"bot/app", "bot/app/sandbox"},
		why:  "main is the command line: it calls bot/app, and the sandbox for `demo`",
	},
}

// TestImportRules reads the imports of every Go file in the module and checks them against
// importRules.
func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	imports, err := moduleImports(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) < len(importRules) {
		t.Fatalf("found %d packages under %s, want at least the %d with rules", len(imports), root, len(importRules))
	}
	for pkg, files := range imports {
		rule, ok := importRules[pkg]
		if !ok {
			t.Errorf("package %q has no import rule: add one to importRules", displayPkg(pkg))
			continue
		}
		for _, f := range files {
			for _, imp := range f.imports {
				if allowed(rule, imp, f.test) {
					continue
				}
				kind := "it"
				if f.test {
					kind = "its tests"
				}
				t.Errorf("%s imports %s, which %s may not: %s", f.path, imp, kind, rule.why)
			}
		}
	}
}

// TestImportRulesCatchABreach checks the checker on made-up files, so that TestImportRules
// cannot pass by finding nothing.
func TestImportRulesCatchABreach(t *testing.T) {
	tests := []struct {
		pkg, imp string
		test     bool
		want     bool
	}{
		{"commands", "state", false, false},
		{"commands", "commands/commandstest", true, true},
		{"commands", "commands/commandstest", false, false},
		{"bot", "state", true, false},
		{"bot", "commands", false, true},
		{"bot/app", "datacake/datacaketest", false, false},
		{"bot/app", "datacake/datacaketest", true, true},
		{"datacake", "commands", false, false},
		{"state", "datacake", false, false},
		{"bot/app/sandbox", "bot/slacktest", false, true},
		{"bot/app/simulation", "datacake", false, false},
		{"", "bot/app/simulation", false, false},
	}
	for _, tt := range tests {
		if got := allowed(importRules[tt.pkg], tt.imp, tt.test); got != tt.want {
			t.Errorf("%s importing %s (test %v): allowed %v, want %v", tt.pkg, tt.imp, tt.test, got, tt.want)
		}
	}
}

func allowed(rule importRule, imp string, test bool) bool {
	return slices.Contains(rule.prod, imp) || test && slices.Contains(rule.testOnly, imp)
}

func displayPkg(pkg string) string {
	if pkg == "" {
		return "main (the module root)"
	}
	return pkg
}

// goFile is one file's imports of the module's packages, relative to the module ("commands").
type goFile struct {
	path    string
	test    bool
	imports []string
}

// moduleImports reads every Go file under root (skipping testdata and hidden folders) and
// returns them by package folder relative to root ("" for the root).
func moduleImports(root string) (map[string][]goFile, error) {
	out := map[string][]goFile{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, p, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if pkg == "." {
			pkg = ""
		}
		gf := goFile{path: path.Join(pkg, name), test: strings.HasSuffix(name, "_test.go")}
		for _, spec := range f.Imports {
			imp, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return err
			}
			if rest, ok := strings.CutPrefix(imp, module+"/"); ok {
				if rest != pkg { // a package's external tests import the package itself
					gf.imports = append(gf.imports, rest)
				}
			} else if imp == module {
				gf.imports = append(gf.imports, "")
			}
		}
		out[pkg] = append(out[pkg], gf)
		return nil
	})
	return out, err
}
