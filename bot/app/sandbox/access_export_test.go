package sandbox

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/commands"
)

// TestAccessExport (issue 25): `cakegate access export` lists every API user of the
// workspace, classed, with what it may do, its owner, who approved it and when, its end and
// the last review decision; as JSON and as CSV (a name a spreadsheet would run is defused);
// never a token; and it needs no Slack settings.
func TestAccessExport(t *testing.T) {
	ctx := testContext(t)
	s := startSandbox(t, sandboxOptions{policy: adoptPolicy})
	if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
		t.Fatal(err)
	}
	token, err := s.grantViewer(ctx, 1, "8h")
	if err != nil {
		t.Fatal(err)
	}
	hand := s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, "=HYPERLINK(\"http://evil.example\")")
	legacy := s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, "legacy-export")
	m := s.adoptFromReview(ctx, t, "legacy-export")
	s.mustReviewClick(ctx, t, m, sandboxBob, "keep", "HYPERLINK", "Kept")
	if _, err := s.sendClick(ctx, sandboxAnn, m.Channel, m.TS, "cakegate_review_adopt_"+s.reviewIndex(t, m, "legacy-export")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.waitModal(ctx, sandboxAnn, "cakegate_adopt"); err != nil {
		t.Fatal(err)
	}
	if errs, err := s.submit(ctx, sandboxAnn, adoptForm(sandboxAlice, "7d", "")); err != nil || len(errs) > 0 {
		t.Fatalf("adopt: %v %v", errs, err)
	}

	env := map[string]string{
		"CAKEGATE_DB": s.app.Config().DBPath, "CAKEGATE_CONFIG": s.app.Config().PolicyPath,
		"DATACAKE_TOKEN": sandboxDCToken, "DATACAKE_API_URL": s.datacake.URL(),
	}
	export := func(format string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := app.Access(ctx, []string{"export", "--format", format}, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
			t.Fatalf("access export --format %s: exit %d: %s", format, code, errOut.String())
		}
		if strings.Contains(out.String(), token) || strings.Contains(out.String(), hand.Token) || strings.Contains(out.String(), legacy.Token) {
			t.Fatal("the export shows a token")
		}
		return out.String()
	}
	var entries []commands.AccessEntry
	if err := json.Unmarshal([]byte(export("json")), &entries); err != nil {
		t.Fatal(err)
	}
	by := map[string]commands.AccessEntry{}
	for _, e := range entries {
		by[e.Name] = e
	}
	if len(entries) != 3 {
		t.Fatalf("%d entries, want 3: %+v", len(entries), entries)
	}
	grant := by[s.request(t, ctx, 1).Grant.APIUserName]
	if grant.Class != commands.ClassGrant || grant.Owner != sandboxAlice || grant.Role != "viewer" || strings.Join(grant.ApprovedBy, ",") != sandboxAnn || grant.ApprovedAt.IsZero() || grant.Ends.IsZero() || grant.Devices != 1 {
		t.Errorf("the grant: %+v", grant)
	}
	if e := by["legacy-export"]; e.Class != commands.ClassAdopted || e.Owner != sandboxAlice || e.Request != "R2" || strings.Join(e.ApprovedBy, ",") != sandboxAnn || e.LastReview != "adopted" || e.LastReviewBy != sandboxAnn {
		t.Errorf("the adopted one: %+v", e)
	}
	if e := by[hand.Name]; e.Class != commands.ClassUnmanaged || e.Origin == "" || e.LastReview != "kept" || e.LastReviewBy != sandboxBob || e.Owner != "" {
		t.Errorf("the unmanaged one: %+v", e)
	}

	rows, err := csv.NewReader(strings.NewReader(export("csv"))).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "api_user_id" {
		t.Fatalf("csv: %d rows, %v", len(rows), err)
	}
	for _, row := range rows[1:] {
		if strings.HasPrefix(row[1], "=") {
			t.Errorf("a name a spreadsheet would run as a formula: %q", row[1])
		}
	}
}
