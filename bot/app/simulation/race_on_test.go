//go:build race

package simulation

// raceEnabled: the race detector slows the simulation tenfold, so under -race the CI seed
// set shrinks to a smoke run; .ci/run runs the full set without it.
const raceEnabled = true
