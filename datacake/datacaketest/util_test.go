package datacaketest_test

import (
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// cmpIgnore ignores what the fake makes up: relationship ids and creation times.
func cmpIgnore() []cmp.Option {
	return []cmp.Option{
		cmpopts.IgnoreFields(datacaketest.APIUser{}, "RelationshipID", "Created"),
		cmpopts.IgnoreFields(datacaketest.DeviceGrant{}, "RelationshipID"),
	}
}
