package datacaketest

import (
	_ "embed" // for the schema
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Schema is the subset of Datacake's GraphQL schema (SDL) that the fake serves. It is
// embedded so that the fake needs no files at run time; tests may load it too.
//
//go:embed testdata/schema.graphql
var Schema string

// loadSchema parses Schema once; it cannot fail unless the embedded file is broken, which
// the package's tests catch.
var loadSchema = sync.OnceValue(func() *ast.Schema {
	return gqlparser.MustLoadSchema(&ast.Source{Name: "schema.graphql", Input: Schema})
})
