package simulation

import (
	"testing"
	"time"
)

// BenchmarkSimulatedDays runs one seed of 10 simulated days per iteration, on one
// goroutine, and reports simulated days per second of wall time (TestSimulation runs seeds
// side by side, one per core).
func BenchmarkSimulatedDays(b *testing.B) {
	const days = 10
	var steps int
	began := time.Now()
	for i := range b.N {
		res, err := Run(uint64(1000+i), days, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Failure != nil {
			b.Fatal(res.Failure.Error())
		}
		steps += res.Steps
	}
	took := time.Since(began).Seconds()
	b.ReportMetric(float64(days*b.N)/took, "simdays/s")
	b.ReportMetric(float64(steps)/took, "steps/s")
	b.ReportMetric(0, "ns/op")
}
