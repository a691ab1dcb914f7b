package bot_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
)

// BenchmarkAckHandler is the acknowledgement of one signed `/cakegate request` inside the
// server, with no network and the acknowledged work not run: the CPU and allocations the
// handler adds to what net/http already spends on a request, beside a bare handler that
// reads the body and answers 200.
//
//	go test -run '^$' -bench AckHandler -benchmem -count 3 -cpu 1 ./bot
func BenchmarkAckHandler(b *testing.B) {
	cakegate, bare := ackOnlyHandlers()
	body := slacktest.SlashCommandForm(slack.SlashCommand{
		Command: "/cakegate", Text: ackCommands["request"], UserID: "U0USER0000001", UserName: "ann",
		ChannelID: "C0GENERAL", ChannelName: "general", TeamID: slacktest.DefaultTeamID, TeamDomain: "acme",
		ResponseURL: "https://hooks.slack.com/commands/T0TEAM/1234/abcdef", TriggerID: "1234.5678.abcdef",
		APIAppID: "A0APP",
	})
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"cakegate", cakegate}} {
		b.Run(tc.name, func(b *testing.B) {
			req, err := slacktest.SignedRequest("http://cakegate.test/slack/commands", body, ackSecret, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			rd := bytes.NewReader(body)
			rc := io.NopCloser(rd)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for range b.N {
				rd.Reset(body)
				req.Body = rc // the handler may replace it
				req.Form, req.PostForm = nil, nil
				w.code = 0
				tc.h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("answered %d", w.code)
				}
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(code int) { w.code = code }
