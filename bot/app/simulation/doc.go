// Package simulation runs the real cakegate (use cases, bbolt store on a temporary file, bot
// handlers, Datacake client, scheduled sweeps) against the fake Slack and the fake Datacake,
// driven by one seeded scheduler on a virtual clock, and checks cakegate's promises after
// every step. It is FoundationDB's way of testing: generated traffic, a named fault model
// chosen by the seed, crashes at named steps with restarts from the database file, clock
// jumps; one seed is one history, so a failure is a seed to replay.
//
// Nothing runs on its own goroutine: the app is built without App.Run, acknowledged work
// runs inline (app.Options.Go), each sweep fires at its schedule's times on the virtual
// clock (App.RunJob), and every call to Slack or Datacake passes the simulation's transport,
// where faults and crash points are injected and the fakes answer in process.
//
// The files: world.go (the fakes, the app, starts and restarts), actions.go (traffic and
// the world's events), faults.go (the named faults and the weather), transport.go (calls,
// faults, crash points, the disk), invariants.go (the promises), model.go (what the
// simulation saw happen), ours.go (cakegate's API user names), knownbugs.go (bugs found
// and not yet fixed), run.go (the loop), seeds.go (seeds side by side).
//
// Run it with go test (see sim_test.go for the flags):
//
//	go test ./bot/app/simulation -run TestSimulation -sim.seeds=200 -sim.days=30
//	go test ./bot/app/simulation -run TestSimulation -sim.seed=17 -v   # replay one seed
package simulation
