package datacaketest_test

import (
	"encoding/json"
	"strconv"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cakegate/cakegate/datacake/datacaketest"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func strconvQuote(s string) string { return strconv.Quote(s) }

// cmpIgnore ignores what the fake makes up: relationship ids and creation times.
func cmpIgnore() []cmp.Option {
	return []cmp.Option{
		cmpopts.IgnoreFields(datacaketest.APIUser{}, "RelationshipID", "Created"),
		cmpopts.IgnoreFields(datacaketest.DeviceGrant{}, "RelationshipID"),
	}
}
