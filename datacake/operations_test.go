package datacake_test

import (
	"slices"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// TestOperationsValidAgainstSchema validates every document the client can send against
// the project's copy of Datacake's schema (datacaketest/testdata/schema.graphql, which the
// fake serves too), so that a misspelt field fails here.
func TestOperationsValidAgainstSchema(t *testing.T) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "datacaketest/testdata/schema.graphql", Input: datacaketest.Schema})
	if err != nil {
		t.Fatalf("load schema: %v", err)
	}
	ops := datacake.Operations()
	if len(ops) == 0 {
		t.Fatal("no operations")
	}
	seen := map[string]bool{}
	for _, op := range ops {
		t.Run(op.Name, func(t *testing.T) {
			if seen[op.Name] {
				t.Fatalf("operation name %s used twice", op.Name)
			}
			seen[op.Name] = true
			doc, errs := gqlparser.LoadQueryWithRules(schema, op.Document, nil)
			if len(errs) > 0 {
				t.Fatalf("invalid against the schema: %v", errs)
			}
			// The client sends Name as operationName; it must pick this document's operation.
			if len(doc.Operations) != 1 || doc.Operations[0].Name != op.Name {
				t.Errorf("document must hold exactly one operation named %s", op.Name)
			}
		})
	}
}

// TestSchemaValidationCatchesTypos shows that the validation above is not vacuous.
func TestSchemaValidationCatchesTypos(t *testing.T) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "schema", Input: datacaketest.Schema})
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{
		`query Me { user { id emial } }`,
		`mutation DeleteApiUser($id: String!) { deleteApiUser(ident: $id) { ok } }`,
		`mutation NewApiUser($input: ApiUserInput) { addApiUser(input: $input) { ok } }`,
	} {
		if _, errs := gqlparser.LoadQueryWithRules(schema, doc, nil); len(errs) == 0 {
			t.Errorf("%s passed validation", doc)
		}
	}
}

// TestEveryCallIsListed drives every method and checks that each operation the fake saw
// is one of Operations, and that every listed operation was used.
func TestEveryCallIsListed(t *testing.T) {
	f := newFixture(t)
	c, _ := newClient(t, f.URL(), ownerToken, nil)
	ctx := t.Context()
	if _, err := c.Me(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Workspaces(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MyPermissions(ctx, ws); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Devices(ctx, ws, datacake.DeviceFilter{Search: "b", Tags: []string{"x"}, IDs: []string{f.pump.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SearchDevices(ctx, ws, datacake.DeviceQuery{Search: "b", Tags: []string{"x"}, Page: 1, PageSize: 10}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.DeviceBySerial(ctx, ws, "SN-B1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeviceTags(ctx, ws); err != nil {
		t.Fatal(err)
	}
	u, err := c.CreateAPIUser(ctx, datacake.CreateAPIUserInput{Workspace: ws, Name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.APIUsers(ctx, ws); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAPIUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, op := range datacake.Operations() {
		listed = append(listed, op.Name)
	}
	used := map[string]bool{}
	for _, call := range f.Calls() {
		if !slices.Contains(listed, call.Operation) {
			t.Errorf("sent %q, which Operations does not list", call.Operation)
		}
		used[call.Operation] = true
	}
	for _, name := range listed {
		if !used[name] {
			t.Errorf("operation %s listed but never sent", name)
		}
	}
}
