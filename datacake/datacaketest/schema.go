package datacaketest

import (
	_ "embed" // for the schema
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
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

// parsedQueries keeps the validated documents of queries seen before: a client sends the
// same few operations again and again, and parsing and validating each one again cost the
// simulation more than answering it. Only valid documents are kept, and only so many, so a
// fuzz test's endless new queries cannot grow it.
var parsedQueries struct {
	sync.Mutex
	docs map[string]*ast.QueryDocument
}

const maxParsedQueries = 256

// loadQuery parses and validates query against Schema, or returns the document it made for
// the same text before. The document is only read afterwards, so sharing it is safe.
func loadQuery(query string) (*ast.QueryDocument, gqlerror.List) {
	parsedQueries.Lock()
	doc, ok := parsedQueries.docs[query]
	parsedQueries.Unlock()
	if ok {
		return doc, nil
	}
	doc, errs := gqlparser.LoadQueryWithRules(loadSchema(), query, nil)
	if len(errs) > 0 {
		return nil, errs
	}
	parsedQueries.Lock()
	defer parsedQueries.Unlock()
	if parsedQueries.docs == nil {
		parsedQueries.docs = map[string]*ast.QueryDocument{}
	}
	if len(parsedQueries.docs) < maxParsedQueries {
		parsedQueries.docs[query] = doc
	}
	return doc, nil
}
