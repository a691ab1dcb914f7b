package bot

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
)

// MaxBodyBytes bounds what cakegate reads of one request from Slack. Interaction payloads
// carry whole views, so this is generous; anything larger is not from Slack.
const MaxBodyBytes = 1 << 20

// Handler serves Slack's HTTP endpoints (commands, interactions, events) and the health
// checks. ready reports whether the bot can work (database open, dependencies reachable);
// its error names what is not ready, one line each, and /readyz answers it as the body.
func (b *Bot) Handler(ready func() error) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", b.verified(b.serveCommand))
	mux.Handle("POST /slack/interactions", b.verified(b.serveInteraction))
	mux.Handle("POST /slack/events", b.verified(b.serveEvent))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			if err := ready(); err != nil {
				http.Error(w, "not ready:\n"+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		io.WriteString(w, "ready\n")
	})
	return mux
}

// verified reads the body (bounded) and checks Slack's signature before anything parses
// it. A missing or bad signature, or a timestamp more than five minutes off, gets 401 and
// changes nothing.
func (b *Bot) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				b.panicked(PanicHTTP, p)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		if err := b.verify(r.Header, body); err != nil {
			b.log.Warn("refused a request without a valid Slack signature", "path", r.URL.Path, "err", err)
			http.Error(w, "invalid Slack signature", http.StatusUnauthorized)
			return
		}
		b.ackFirst.arrived()
		// Slack's own retries of an event say so, and are deduplicated by event id instead:
		// when the first delivery was refused, the retry is the only one. The header is not
		// signed, so only events, which carry their own id, may use it. A slash command is
		// checked behind its acknowledgement instead, by its trigger id (else this
		// signature): acceptCommand.
		eventRetry := r.URL.Path == "/slack/events" && r.Header.Get("X-Slack-Retry-Num") != ""
		command := r.URL.Path == "/slack/commands"
		if !eventRetry && !command && b.replayedDelivery(signatureKey(r.Header.Get("X-Slack-Signature"))) {
			b.log.Info("dropped a repeated delivery of a signed request", "path", r.URL.Path)
			w.WriteHeader(http.StatusOK)
			return
		}
		next(w, r, body)
	})
}

func (b *Bot) verify(h http.Header, body []byte) error {
	if b.secret == "" {
		return errors.New("no signing secret configured")
	}
	v, err := slack.NewSecretsVerifier(h, b.secret)
	if err != nil {
		return err
	}
	if _, err := v.Write(body); err != nil {
		return err
	}
	return v.Ensure()
}

func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	sc, err := parseSlashCommand(body)
	if err != nil {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	switch err := b.acceptCommand(sc, signatureKey(r.Header.Get("X-Slack-Signature"))); {
	case errors.Is(err, ErrForeign):
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	case err != nil:
		writeEphemeral(w, "cakegate is restarting; try again in a minute.")
		return
	}
	// An empty 200 is the acknowledgement; the answer follows through response_url.
	w.WriteHeader(http.StatusOK)
}

func (b *Bot) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "malformed interaction payload", http.StatusBadRequest)
		return
	}
	ack, err := b.acceptInteraction(cb)
	if errors.Is(err, ErrForeign) {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	if errors.Is(err, ErrShuttingDown) {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ack == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ack)
}

func (b *Bot) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	challenge, err := b.acceptEvent(body)
	if errors.Is(err, errNotTaken) {
		http.Error(w, "not taken; deliver it again", http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if challenge != "" {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, challenge)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func writeEphemeral(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": text})
}
