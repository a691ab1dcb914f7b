// Package apptest holds helpers for the tests of cakegate wired together: reading its
// /metrics as Prometheus does, and collecting its logs.
package apptest

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Scraped is one answer of GET /metrics, parsed.
type Scraped struct {
	// Text is the answer as it came.
	Text   string
	series []series
}

// series is one sample.
type series struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	seriesLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// Scrape reads baseURL/metrics in the text format and parses every sample.
func Scrape(t testing.TB, ctx context.Context, baseURL string) Scraped {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %s, %s:\n%s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	return Parse(t, string(body))
}

// Parse parses a /metrics answer in the text format.
func Parse(t testing.TB, text string) Scraped {
	t.Helper()
	out := Scraped{Text: text}
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := seriesLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a sample line: %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		s := series{name: m[1], labels: map[string]string{}, value: v}
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			s.labels[p[1]] = p[2]
		}
		out.series = append(out.series, s)
	}
	return out
}

// find returns the samples of name whose labels include the given name, value pairs.
func (m Scraped) find(name string, labels ...string) []series {
	var out []series
	for _, s := range m.series {
		if s.name != name {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if s.labels[labels[i]] != labels[i+1] {
				match = false
			}
		}
		if match {
			out = append(out, s)
		}
	}
	return out
}

// Value returns the one sample of name with exactly these labels.
func (m Scraped) Value(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	found := m.find(name, labels...)
	found = slices.DeleteFunc(found, func(s series) bool { return len(s.labels) != len(labels)/2 })
	if len(found) != 1 {
		t.Fatalf("%d samples of %s%v, want 1; scraped:\n%s", len(found), name, labels, m.Text)
	}
	return found[0].value
}

// Want checks the value of one sample.
func (m Scraped) Want(t testing.TB, want float64, name string, labels ...string) {
	t.Helper()
	if got := m.Value(t, name, labels...); got != want {
		t.Errorf("%s%s = %v, want %v", name, fmtLabels(labels), got, want)
	}
}

// Sum adds up every sample of name.
func (m Scraped) Sum(name string) float64 {
	var total float64
	for _, s := range m.find(name) {
		total += s.value
	}
	return total
}

// fmtLabels writes labels as Prometheus does.
func fmtLabels(labels []string) string {
	if len(labels) == 0 {
		return ""
	}
	kv := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		kv[labels[i]] = labels[i+1]
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, kv[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
