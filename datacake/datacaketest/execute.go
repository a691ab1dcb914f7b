package datacaketest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// execution runs one validated operation against the server's state. s.mu is held
// throughout, so an operation sees and changes the state atomically.
type execution struct {
	s      *Server
	caller *principal
	vars   map[string]any // coerced variables
	drop   bool           // an API user was created and DropAfterCommitNext was armed
	// errs are the errors of fields that answered null without failing the whole
	// operation, as graphene answers a resolver's exception on a nullable field.
	errs gqlerror.List
}

// node is a value of a GraphQL object type: it resolves its fields by name.
// A field's value is nil (null), a scalar, a []string, a node or a []node.
type node interface {
	typeName() string
	field(ex *execution, name string, args map[string]any) (any, error)
}

// fieldError is a GraphQL error raised by a resolver.
type fieldError struct {
	message string
	code    string // extensions.code
	// nulled makes the error null only its own field: the answer then has both data (with
	// the field null) and errors, as graphene gives for an exception in a nullable field.
	nulled bool
}

func (e *fieldError) Error() string { return e.message }

func notAuthorized() error {
	return &fieldError{message: "You do not have permission to perform this action", code: "NOT_AUTHORIZED"}
}

func notFound(format string, args ...any) error {
	return &fieldError{message: fmt.Sprintf(format, args...), code: "NOT_FOUND"}
}

// doesNotExist is what Datacake's Django resolvers answer for an id they cannot find:
// Django's message, no extensions.code, and the field null beside the rest of the data.
func doesNotExist(model string) error {
	return &fieldError{message: model + " matching query does not exist.", nulled: true}
}

func notImplemented(typ, field string) error {
	return &fieldError{message: fmt.Sprintf("datacaketest does not implement %s.%s", typ, field), code: "NOT_IMPLEMENTED"}
}

// execute runs op and returns the JSON answer, and whether to drop it instead.
func (s *Server) execute(caller *principal, op *ast.OperationDefinition, vars map[string]any) (resp []byte, drop bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ex := &execution{s: s, caller: caller, vars: vars}
	var root node
	switch op.Operation {
	case ast.Query:
		root = queryRoot{}
	case ast.Mutation:
		root = mutationRoot{}
	default:
		resp, _ = json.Marshal(map[string]any{"errors": gqlerror.List{gqlerror.Errorf("datacaketest does not implement %s", op.Operation)}, "data": nil})
		return resp, false
	}
	data, err := ex.object(root, op.SelectionSet, nil)
	if err != nil {
		// Datacake answers a permission error with null data; the fake does so for any error.
		var ge *gqlerror.Error
		if !errors.As(err, &ge) {
			ge = gqlerror.Wrap(err)
		}
		resp, _ = json.Marshal(map[string]any{"errors": gqlerror.List{ge}, "data": nil})
		return resp, ex.drop
	}
	answer := map[string]any{"data": data}
	if len(ex.errs) > 0 {
		answer["errors"] = ex.errs
	}
	resp, err = json.Marshal(answer)
	if err != nil {
		resp, _ = json.Marshal(map[string]any{"errors": gqlerror.List{gqlerror.Wrap(err)}, "data": nil})
	}
	return resp, ex.drop
}

// object resolves the selected fields of n, in the order asked for.
func (ex *execution) object(n node, set ast.SelectionSet, path ast.Path) (object, error) {
	fields := ex.collect(set)
	out := make(object, 0, len(fields))
	for _, f := range fields {
		fpath := append(slices.Clip(path), ast.PathName(f.Alias))
		if f.Name == "__typename" {
			out = append(out, member{f.Alias, n.typeName()})
			continue
		}
		args, err := arguments(f, ex.vars)
		var v any
		if err == nil {
			v, err = n.field(ex, f.Name, args)
		}
		if fe, ok := err.(*fieldError); ok && fe.nulled {
			ex.errs = append(ex.errs, located(err, f, fpath))
			out = append(out, member{f.Alias, nil})
			continue
		}
		if err != nil {
			return nil, located(err, f, fpath)
		}
		if v, err = ex.complete(v, f, fpath); err != nil {
			return nil, err
		}
		out = append(out, member{f.Alias, v})
	}
	return out, nil
}

// complete turns a resolved value into JSON-ready data, resolving sub-selections.
func (ex *execution) complete(v any, f *ast.Field, path ast.Path) (any, error) {
	switch v := v.(type) {
	case node:
		return ex.object(v, f.SelectionSet, path)
	case []node:
		out := make([]any, len(v))
		for i, n := range v {
			o, err := ex.object(n, f.SelectionSet, append(slices.Clip(path), ast.PathIndex(i)))
			if err != nil {
				return nil, err
			}
			out[i] = o
		}
		return out, nil
	}
	return v, nil
}

// collect flattens fragments, applies @skip and @include, and merges fields asked for
// twice under one response key, as GraphQL's CollectFields does.
func (ex *execution) collect(set ast.SelectionSet) []*ast.Field {
	var fields []*ast.Field
	index := map[string]int{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				if !ex.included(sel.Directives) {
					continue
				}
				if i, ok := index[sel.Alias]; ok {
					merged := *fields[i]
					merged.SelectionSet = append(slices.Clip(merged.SelectionSet), sel.SelectionSet...)
					fields[i] = &merged
					continue
				}
				index[sel.Alias] = len(fields)
				fields = append(fields, sel)
			case *ast.InlineFragment:
				if ex.included(sel.Directives) {
					walk(sel.SelectionSet)
				}
			case *ast.FragmentSpread:
				if ex.included(sel.Directives) && sel.Definition != nil {
					walk(sel.Definition.SelectionSet)
				}
			}
		}
	}
	walk(set)
	return fields
}

// included applies @skip(if:) and @include(if:).
func (ex *execution) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		cond, ok := d.ArgumentMap(ex.vars)["if"].(bool)
		if !ok {
			continue
		}
		if (d.Name == "skip" && cond) || (d.Name == "include" && !cond) {
			return false
		}
	}
	return true
}

// arguments returns f's arguments with variables substituted. gqlparser panics on a
// literal it cannot convert (an Int beyond 64 bits); that becomes an error here.
func arguments(f *ast.Field, vars map[string]any) (args map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &fieldError{message: fmt.Sprintf("invalid argument: %v", r), code: "BAD_REQUEST"}
		}
	}()
	return f.ArgumentMap(vars), nil
}

// located turns a resolver's error into a GraphQL error with its path and position.
func located(err error, f *ast.Field, path ast.Path) *gqlerror.Error {
	ge := &gqlerror.Error{Message: err.Error(), Path: path}
	if fe, ok := err.(*fieldError); ok && fe.code != "" {
		ge.Extensions = map[string]any{"code": fe.code}
	}
	if f.Position != nil {
		ge.Locations = []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	return ge
}

// member is one key of a JSON object.
type member struct {
	key   string
	value any
}

// object is a JSON object that keeps its keys in the order the query asked for them.
type object []member

// MarshalJSON writes the members in order. Nested objects and lists are written in the same
// pass: a json.Marshal per level would re-read (validate and compact) everything below it, which
// made listing a workspace's API users cost the simulation more than anything cakegate did.
func (o object) MarshalJSON() ([]byte, error) {
	return o.appendJSON(nil)
}

func (o object) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(m.key)
		b = append(append(b, k...), ':')
		var err error
		if b, err = appendJSON(b, m.value); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendJSON writes v, a value complete made: an object, a list of values, or a scalar.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case object:
		return v.appendJSON(b)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	enc, err := json.Marshal(v)
	return append(b, enc...), err
}
