package apptest

// EnvOf is a getenv that reads m: the whole environment of a cakegate under test.
func EnvOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}
