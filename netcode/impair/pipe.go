package impair

import (
	"context"
	"net"
	"sync"
)

// PipeListener is a net.Listener of in-memory connections: DialContext makes a net.Pipe,
// hands its server end to Accept and returns the client end. With no socket involved, a
// server, a Proxy in front of it and their clients can all run inside a testing/synctest
// bubble, where time is synthetic and moves on only when every goroutine waits, so that the
// delays a Proxy adds are exact.
type PipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

// NewPipeListener returns a listener with no connection yet.
func NewPipeListener() *PipeListener {
	return &PipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for a DialContext and returns the server end of its pipe.
func (l *PipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept and DialContext fail from now on.
func (l *PipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns an empty TCP address: pipes have none.
func (l *PipeListener) Addr() net.Addr { return &net.TCPAddr{} }

// DialContext connects to the listener: it waits until Accept takes the server end, and
// returns the client end. Its signature fits Proxy.Dial.
func (l *PipeListener) DialContext(ctx context.Context) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
