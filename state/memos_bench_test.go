package state_test

import (
	"testing"

	"github.com/cakegate/cakegate/state/storetest"
)

// BenchmarkRememberBurst: the replay record on the bbolt file, fsync on, as served.
func BenchmarkRememberBurst(b *testing.B) {
	storetest.BenchRememberBurst(b, MustOpen(b))
}
