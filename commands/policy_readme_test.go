package commands_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// TestReadmeListsEveryPolicyKey: the README's policy reference is what operators write their
// policy from, so every key the parser accepts must appear in it.
func TestReadmeListsEveryPolicyKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Skipf("no README beside the module: %v", err)
	}
	_, ref, ok := strings.Cut(string(data), "## Policy file reference")
	if !ok {
		t.Fatal("the README has no policy file reference")
	}
	ref, _, _ = strings.Cut(ref, "\n## ")
	for where, keys := range commands.PolicyKeys {
		for _, key := range keys {
			if !strings.Contains(ref, " "+key+":") && !strings.Contains(ref, "\n"+key+":") && !strings.Contains(ref, "{"+key+":") {
				t.Errorf("the README's policy reference does not list the %s key %q", where, key)
			}
		}
	}
}
