package app

import (
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// tokenFile is the Datacake token kept in DATACAKE_TOKEN_FILE, re-read when the file
// changes (its modification time, size or identity: an editor's rewrite, a Kubernetes
// Secret's symlink swap), so the token can be rotated without a restart: write the new
// token to the file, and the next Datacake call uses it. A file that cannot be read or is
// empty keeps the last good token, with a warning.
type tokenFile struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	token string
	seen  os.FileInfo // of the file the token was read from
	// warned is the problem last logged, so a lasting one is logged once.
	warned string
}

// newTokenFile starts from token, already read from path by LoadConfig.
func newTokenFile(path, token string, log *slog.Logger) *tokenFile {
	f := &tokenFile{path: path, log: log, token: token}
	f.seen, _ = os.Stat(path)
	return f
}

// current returns the token in the file now.
func (f *tokenFile) current() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	fi, err := os.Stat(f.path)
	if err != nil {
		f.warn("cannot read DATACAKE_TOKEN_FILE; keeping the token read before", err.Error())
		return f.token
	}
	if f.seen != nil && os.SameFile(fi, f.seen) && fi.ModTime().Equal(f.seen.ModTime()) && fi.Size() == f.seen.Size() {
		return f.token
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		f.warn("cannot read DATACAKE_TOKEN_FILE; keeping the token read before", err.Error())
		return f.token
	}
	token := strings.TrimSpace(string(data))
	if token == "" || strings.ContainsFunc(token, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		// Perhaps half written: keep the old token until the new one is complete.
		f.warn("DATACAKE_TOKEN_FILE is empty or not one line; keeping the token read before", "")
		return f.token
	}
	f.seen, f.warned = fi, ""
	if token != f.token {
		f.token = token
		f.log.Info("DATACAKE_TOKEN_FILE changed; Datacake calls use the new token", "file", f.path, "changed_at", fi.ModTime().UTC().Format(time.RFC3339))
	}
	return f.token
}

func (f *tokenFile) warn(msg, err string) {
	if f.warned == msg+err {
		return
	}
	f.warned = msg + err
	f.log.Warn(msg, "file", f.path, "err", err)
}

// tokenTransport puts the token file's current token on every Datacake request, in place
// of the one the client was built with.
type tokenTransport struct {
	next http.RoundTripper
	file *tokenFile
}

// RoundTrip implements http.RoundTripper.
func (t tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Token "+t.file.current())
	return t.next.RoundTrip(req)
}
