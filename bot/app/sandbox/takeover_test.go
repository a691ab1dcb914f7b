package sandbox

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// takeoverPromise is how soon after a replica dies creating a token its requester's Reveal
// works again on another replica (issue 23): a session TTL for etcd to end the dead
// replica's session, the rest for the leader to take the request over.
const takeoverPromise = 10 * time.Second

// takeoverSchedule leaves reconcile on its default schedule (every 15 minutes), so only the
// takeover can bring the request back in time.
const takeoverSchedule = "orphans: report\n"

// TestTakeoverAfterReplicaKilled kills, with SIGKILL, the replica creating the API user of
// a token its requester is revealing, after Datacake made the API user and before the
// replica recorded it: a replica that does not lead, then the leader. With the default
// session TTL, within 10 s of the kill the API user nobody saw is gone and the Reveal button
// works again; a click on another replica then shows a token, with exactly one API user left
// for the request.
//
// go test -run TestTakeoverAfterReplicaKilled -count=10 -v ./bot/app/sandbox | grep takeover:
// gives the numbers in BENCHMARKS.md.
func TestTakeoverAfterReplicaKilled(t *testing.T) {
	for _, leader := range []bool{false, true} {
		name := "non-leader"
		if leader {
			name = "leader"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel() // mostly waits for the killed replica's session to end
			testTakeover(t, leader)
		})
	}
}

func testTakeover(t *testing.T, killLeader bool) {
	c := startClusterWith(t, 3, takeoverSchedule, 0)
	ctx := testContext(t)
	leader := c.nextLeader(ctx, nil).proc
	var victim, front *process // front: a survivor that does not lead
	for _, p := range c.procs {
		switch {
		case p == leader && killLeader, p != leader && !killLeader && victim == nil:
			victim = p
		case p != leader:
			front = p
		}
	}

	// The victim's create reaches Datacake, which makes the API user; the answer never
	// comes back, because the victim dies first.
	reveal := c.revealHeld(ctx, t, front, victim, "takeover test")
	installation, _, _ := c.store.Installation()
	unseen := c.datacake.AddAPIUserOutOfBand(sandboxWorkspace, commands.APIUserName(installation, 1, sandboxAlice))
	// When etcd ends the victim's session, it deletes the victim's registration.
	sessionEnded := make(chan time.Time, 1)
	runs := c.etcd.Client(t).Watch(ctx, c.prefix+"runs/", clientv3.WithPrefix(), clientv3.WithFilterPut())
	go func() {
		for w := range runs {
			if len(w.Events) > 0 {
				sessionEnded <- time.Now()
				return
			}
		}
	}()
	victim.kill(t)
	killed := time.Now()
	victim.cmd.Wait() // its connection to Datacake is closed: the held create is dropped
	c.datacake.Release()

	c.waitRequests(ctx, []commands.RequestID{1}, func(r *commands.Request) bool { return r.State == commands.StateApproved })
	back := time.Since(killed)
	var ended time.Duration
	select {
	case at := <-sessionEnded:
		ended = at.Sub(killed)
	case <-ctx.Done():
		t.Fatal("the victim's session never ended")
	}
	if _, ok := c.datacake.APIUser(unseen.ID); ok {
		t.Fatalf("the API user %s nobody saw outlived its dead replica", unseen.Name)
	}

	// The requester reveals again, on a replica that does not lead.
	c.click(ctx, t, front, sandboxAlice, reveal, "cakegate_reveal")
	done := c.waitRequests(ctx, []commands.RequestID{1}, func(r *commands.Request) bool { return r.State == commands.StateActive })
	revealed := time.Since(killed)
	var live []string
	for _, u := range c.datacake.APIUsers(sandboxWorkspace) {
		if strings.Contains(u.Name, "-r1-") {
			live = append(live, u.ID)
			if bad := tokenOnlyInViewsOf(c.slack, u.Token, sandboxAlice); len(bad) > 0 {
				t.Fatalf("the token left the requester's modal: %v", bad)
			}
		}
	}
	if len(live) != 1 || live[0] != done[0].Grant.APIUserID {
		t.Fatalf("API users of R1 in Datacake: %v; want exactly the grant's %s", live, done[0].Grant.APIUserID)
	}

	var failover time.Duration
	if killLeader {
		// The new leader led before the request came back: its line is logged already,
		// and this reads when the test saw it.
		failover = c.nextLeader(ctx, victim).at.Sub(killed)
	}
	t.Logf("takeover: killed=%s ttl=%v session-ended=%v failover=%v approved-again=%v revealed=%v",
		map[bool]string{true: "leader", false: "non-leader"}[killLeader], app.DefaultSessionTTL, ended.Round(time.Millisecond),
		failover.Round(time.Millisecond), back.Round(time.Millisecond), revealed.Round(time.Millisecond))
	// The promise is the Reveal button working again; the click after it takes what a
	// reveal takes, longer on a loaded machine, and is bounded by the test's context.
	if back > takeoverPromise {
		t.Errorf("Reveal worked again %v after the kill, want within %v", back, takeoverPromise)
	}
}

// TestShutdownKeepsSessionUntilRevealDone: a replica asked to stop (SIGTERM) while it
// creates a token finishes the reveal before its session ends, so the leader, which takes
// over what a replica whose session ended was provisioning, never takes this one from it.
func TestShutdownKeepsSessionUntilRevealDone(t *testing.T) {
	c := startClusterWith(t, 3, takeoverSchedule, 0)
	ctx := testContext(t)
	leader := c.nextLeader(ctx, nil).proc
	var victim *process
	for _, p := range c.procs {
		if p != leader {
			victim = p
		}
	}
	c.revealHeld(ctx, t, victim, victim, "shutdown test")
	client := c.etcd.Client(t)
	before, err := client.Get(ctx, c.prefix+"runs/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	runs := client.Watch(ctx, c.prefix+"runs/", clientv3.WithPrefix(), clientv3.WithFilterPut(), clientv3.WithRev(before.Header.Revision+1))
	victim.killed = true // stopped by the test: not a leader to wait for, not stopped again
	if err := victim.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.datacake.Release()
	if err := victim.cmd.Wait(); err != nil {
		t.Fatalf("the replica did not stop cleanly: %v\n%s", err, victim.logs())
	}

	// The revision at which etcd ended the victim's session, and the request just before.
	var ended int64
	select {
	case w := <-runs:
		if len(w.Events) == 0 {
			t.Fatalf("watch of the sessions: %v", w.Err())
		}
		ended = w.Events[0].Kv.ModRevision
	case <-ctx.Done():
		t.Fatal("the stopped replica's session never ended")
	}
	resp, err := client.Get(ctx, c.prefix+"requests/"+fmt.Sprintf("%020d", 1), clientv3.WithRev(ended-1))
	if err != nil || len(resp.Kvs) == 0 {
		t.Fatalf("read R1 before the session ended: %v", err)
	}
	r, err := state.DecodeRequest(1, resp.Kvs[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != commands.StateActive || r.Grant == nil {
		t.Fatalf("R1 was %s when the stopped replica's session ended, want active: the reveal finished first", r.State)
	}
	if _, ok := c.datacake.APIUser(r.Grant.APIUserID); !ok {
		t.Fatalf("the API user %s of the finished reveal is gone", r.Grant.APIUserID)
	}
}
