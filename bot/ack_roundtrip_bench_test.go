package bot_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// BenchmarkAckRoundTrip is one signed `/cakegate request` at a time over loopback, client
// and server on the same core (-cpu 1), the acknowledged work not run: what the
// acknowledgement path itself costs per request beside a bare handler (read the body,
// answer 200), with none of the noise of a concurrent burst. Their ratio is the floor of
// BenchmarkAckLatencyBinary's (bot/app/sandbox).
//
//	go test -run '^$' -bench AckRoundTrip -benchtime 20000x -count 3 -cpu 1 ./bot
func BenchmarkAckRoundTrip(b *testing.B) {
	cakegate, bare := ackOnlyHandlers()
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"cakegate", cakegate}} {
		b.Run(tc.name, func(b *testing.B) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			client := srv.Client()
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				req := ackSignedCommand(b, srv.URL, "https://hooks.slack.test/r", ackCommands["request"])
				b.StartTimer()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// ackOnlyHandlers are cakegate's handler with the acknowledged work not run (only the
// acknowledgement is measured), and the bare handler it is measured against: read the
// body, answer 200.
func ackOnlyHandlers() (cakegate, bare http.Handler) {
	store := commandstest.NewStore()
	svc := &commands.Service{Policy: ackPolicy(), Store: store, Clock: commands.SystemClock{}, Devices: ackDevices{}}
	cakegate = bot.New(bot.Config{
		Service: svc, Slack: slack.New(slacktest.DefaultBotToken), SigningSecret: ackSecret,
		Requests: store, Outbox: store,
		Go: func(func()) {},
	}).Handler(nil)
	bare = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
	return cakegate, bare
}
