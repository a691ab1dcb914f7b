package datacaketest

import (
	"encoding/json"
	"math"
	"slices"
	"sort"
)

// Argument values arrive as gqlparser and encoding/json make them: string, bool, float64,
// int64, json.Number, []any, map[string]any or nil. These helpers read them; a null
// argument counts as absent.

func argString(args map[string]any, name string) (string, bool) {
	s, ok := args[name].(string)
	return s, ok
}

func argBool(args map[string]any, name string) (bool, bool) {
	b, ok := args[name].(bool)
	return b, ok
}

func argInt(args map[string]any, name string) (int, bool) {
	var f float64
	switch v := args[name].(type) {
	case int:
		return v, true
	case int64:
		f = float64(v)
	case float64:
		f = v
	case json.Number:
		n, err := v.Float64()
		if err != nil {
			return 0, false
		}
		f = n
	default:
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	return int(max(min(f, math.MaxInt32), math.MinInt32)), true
}

// argStrings reads a list of strings, skipping null elements; a single string counts as a
// list of one, as GraphQL's input coercion says.
func argStrings(args map[string]any, name string) ([]string, bool) {
	return stringList(args[name])
}

func stringList(v any) ([]string, bool) {
	switch v := v.(type) {
	case string:
		return []string{v}, true
	case []string:
		return v, true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out, true
	}
	return nil, false
}

// argObject reads an input object.
func argObject(args map[string]any, name string) (map[string]any, bool) {
	m, ok := args[name].(map[string]any)
	return m, ok
}

// unsupported returns a NOT_IMPLEMENTED error naming the first argument given that the
// fake does not honour, so that a client relying on it learns so instead of getting
// unfiltered data.
func unsupported(args map[string]any, typ, field string, honoured ...string) error {
	var names []string
	for name, v := range args {
		if v != nil && !slices.Contains(honoured, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return notImplemented(typ, field+"("+names[0]+":)")
}
