package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socketState is the Socket Mode side of the fake, guarded by Server.mu.
type socketState struct {
	tickets   map[string]bool // one-use tickets from apps.connections.open
	conns     []*socketConn   // connections that got their hello, oldest first
	opened    int             // connections ever opened
	envelopes map[string]*envelope
	upgrader  websocket.Upgrader
}

func (st *socketState) init() {
	st.tickets = map[string]bool{}
	st.envelopes = map[string]*envelope{}
	st.upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
}

// socketConn is one Socket Mode WebSocket. gorilla/websocket allows one writer
// at a time, hence wmu; pings go through WriteControl, which may run alongside.
type socketConn struct {
	ws       *websocket.Conn
	wmu      sync.Mutex
	draining bool // sent a disconnect request; no new envelopes go here
	done     chan struct{}
}

func (c *socketConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

func (s *Server) connectionsOpen(*apiRequest) result {
	ticket := fmt.Sprintf("%08x-%d", uint32(s.nextIDLocked())*2654435761, s.seq)
	s.sock.tickets[ticket] = true
	wsURL := "ws" + strings.TrimPrefix(s.hs.URL, "http") + "/link/?ticket=" + ticket + "&app_id=" + s.cfg.appID
	return ok(map[string]any{"url": wsURL})
}

// serveSocket runs one Socket Mode connection: hello first, pings every
// ping interval, and acks read until the client goes away.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.sock.tickets[ticket]
	delete(s.sock.tickets, ticket)
	closed := s.closed
	s.mu.Unlock()
	if !valid || closed {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.sock.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &socketConn{ws: ws, done: make(chan struct{})}
	defer s.dropConn(c)

	s.mu.Lock()
	hello := map[string]any{
		"type":            "hello",
		"num_connections": len(s.sock.conns) + 1,
		"debug_info":      map[string]any{"host": "applink-slacktest", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": s.cfg.appID},
	}
	s.mu.Unlock()
	if err := c.write(hello); err != nil {
		return
	}
	s.mu.Lock()
	if s.closed {
		// Close ran between the upgrade and here and will not see this one.
		s.mu.Unlock()
		return
	}
	s.sock.conns = append(s.sock.conns, c)
	s.sock.opened++
	s.notifyLocked()
	s.mu.Unlock()

	go s.pingLoop(c)
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		s.receiveAck(data)
	}
}

// pingLoop sends WebSocket pings: slack-go treats a connection without them
// as dead and reconnects.
func (s *Server) pingLoop(c *socketConn) {
	t := time.NewTicker(s.cfg.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second)); err != nil {
				return
			}
		}
	}
}

// dropConn forgets a connection and closes it, once.
func (s *Server) dropConn(c *socketConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.Index(s.sock.conns, c)
	if i >= 0 {
		s.sock.conns = slices.Delete(s.sock.conns, i, i+1)
	}
	select {
	case <-c.done:
	default:
		close(c.done)
		_ = c.ws.Close()
	}
	s.notifyLocked()
}

func (s *Server) closeSockets() {
	s.mu.Lock()
	conns := slices.Clone(s.sock.conns)
	s.mu.Unlock()
	for _, c := range conns {
		s.dropConn(c)
	}
}

// Disconnect drops every Socket Mode connection without a word, as a network
// failure would; slack-go should call apps.connections.open again and reconnect.
func (s *Server) Disconnect() { s.closeSockets() }

// RequestReconnect sends every connection the "disconnect" message Slack sends
// before it recycles a connection (reason "refresh_requested"); slack-go then
// opens a new one and closes the old. No envelope goes to the old one meanwhile.
func (s *Server) RequestReconnect() {
	s.mu.Lock()
	conns := slices.Clone(s.sock.conns)
	for _, c := range conns {
		c.draining = true
	}
	s.mu.Unlock()
	msg := map[string]any{"type": "disconnect", "reason": "refresh_requested", "debug_info": map[string]any{"host": "applink-slacktest"}}
	for _, c := range conns {
		if err := c.write(msg); err != nil {
			s.dropConn(c)
		}
	}
}

// Connections returns how many Socket Mode connections are open now and how
// many were ever opened.
func (s *Server) Connections() (open, everOpened int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sock.conns), s.sock.opened
}

// WaitConnected waits until at least n Socket Mode connections have been
// opened in total and one is open now: WaitConnected(ctx, 1) for the first,
// WaitConnected(ctx, 2) for the reconnect after a Disconnect.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	err := s.WaitFor(ctx, func(s *Server) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.sock.opened >= n && s.liveConnLocked() != nil
	})
	if err != nil {
		return fmt.Errorf("slacktest: waiting for Socket Mode connection %d: %w", n, err)
	}
	return nil
}

// liveConnLocked picks the newest connection that takes envelopes.
func (s *Server) liveConnLocked() *socketConn {
	for i := len(s.sock.conns) - 1; i >= 0; i-- {
		if !s.sock.conns[i].draining {
			return s.sock.conns[i]
		}
	}
	return nil
}

// deliver registers env and writes it to a live connection, waiting for one
// when none is open (the bot may still be connecting).
func (s *Server) deliver(ctx context.Context, env *envelope) error {
	wire, err := json.Marshal(env.wire())
	if err != nil {
		return err
	}
	for {
		var c *socketConn
		err := s.WaitFor(ctx, func(s *Server) bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			c = s.liveConnLocked()
			return c != nil
		})
		if err != nil {
			return fmt.Errorf("slacktest: no Socket Mode connection to send %s envelope: %w", env.Type, err)
		}
		s.mu.Lock()
		env.Sent, env.sentWall = s.now(), time.Now()
		s.sock.envelopes[env.ID] = env
		s.mu.Unlock()
		if err := c.write(json.RawMessage(wire)); err == nil {
			return nil
		}
		// The connection died under us; Slack would try another one.
		s.dropConn(c)
	}
}
