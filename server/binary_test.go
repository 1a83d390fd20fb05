package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/netcode"
)

// serverBinary builds the real server binary into a directory of the test's.
func serverBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "tickwire")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// binaryServer is the real binary, running on a loopback port.
type binaryServer struct {
	cmd  *exec.Cmd
	addr string

	mu   sync.Mutex // guards log
	log  strings.Builder
	line chan string   // every log line, for waitLog; never blocks the reader (see start)
	done chan struct{} // closed when the log has ended (the process has exited)
}

// startBinary starts the server binary with args on a loopback port, its log sent to the
// test's, and kills it when the test ends if it is still running.
func startBinary(t *testing.T, args ...string) *binaryServer {
	t.Helper()
	bin := serverBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	b := &binaryServer{cmd: cmd, line: make(chan string, 1024), done: make(chan struct{})}

	// The server logs the address it bound; read it, then keep draining its log.
	addrRE := regexp.MustCompile(`msg=listening addr=(127\.0\.0\.1:\d+)`)
	lines := bufio.NewScanner(stderr)
	for b.addr == "" && lines.Scan() {
		t.Log(lines.Text())
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			b.addr = m[1]
		}
	}
	if b.addr == "" {
		t.Fatal("the server never logged its address")
	}
	go func() {
		defer close(b.done)
		for lines.Scan() {
			t.Log(lines.Text())
			b.mu.Lock()
			b.log.WriteString(lines.Text() + "\n")
			b.mu.Unlock()
			select {
			case b.line <- lines.Text():
			default: // nobody is waiting for lines this far on
			}
		}
	}()
	return b
}

// waitLog waits, within a deadline, for a log line that contains s.
func (b *binaryServer) waitLog(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l := <-b.line:
			if strings.Contains(l, s) {
				return
			}
		case <-deadline:
			t.Fatalf("the server never logged %q", s)
		}
	}
}

// wait waits for the process to exit and for its whole log.
func (b *binaryServer) wait() (string, error) {
	<-b.done
	err := b.cmd.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String(), err
}

// TestBinaryExitsCleanlyOnSignal builds the real server binary and, for SIGTERM and SIGINT,
// starts it, connects clients, sends the signal, and checks that every client sees close code
// 1001, that every close handshake completes before the drain deadline, that the final scores
// are logged, and that the process exits 0.
func TestBinaryExitsCleanlyOnSignal(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGTERM", syscall.SIGTERM}, {"SIGINT", syscall.SIGINT}} {
		t.Run(tc.name, func(t *testing.T) { exitsCleanlyOn(t, tc.sig) })
	}
}

func exitsCleanlyOn(t *testing.T, sig syscall.Signal) {
	srv := startBinary(t, "-drain-timeout", "30s")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	names := []string{"a", "b", "c", "d", "e"}
	var clients []*netcode.Client
	for _, name := range names {
		c, err := netcode.Dial(ctx, "ws://"+srv.addr+"/ws", name, netcode.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	if err := srv.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		expectGoingAway(t, fmt.Sprintf("client %d", i), c)
	}
	log, err := srv.wait()
	if err != nil {
		t.Fatalf("server exited with %v, want status 0", err)
	}
	if strings.Contains(log, "drain timeout") {
		t.Error("the drain ran into its deadline, though every client answered the close")
	}
	for _, name := range names {
		if !regexp.MustCompile(`msg="final score" .*name=` + name + ` `).MatchString(log) {
			t.Errorf("no final score for %s", name)
		}
	}
}

// binarySilentClient joins the binary's room, reads its welcome, and then reads nothing: it
// never answers a close.
func binarySilentClient(t *testing.T, srv *binaryServer) *websocket.Conn {
	t.Helper()
	return silentClient(t, &testServer{addr: srv.addr}, "silent")
}

// TestBinaryDropsSilentClientsAtTheDrainDeadline: a client that never answers the close is
// told 1001 and dropped at the drain deadline, and the process still exits 0.
func TestBinaryDropsSilentClientsAtTheDrainDeadline(t *testing.T) {
	srv := startBinary(t, "-drain-timeout", "200ms")
	silent := binarySilentClient(t, srv)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	log, err := srv.wait()
	if err != nil {
		t.Fatalf("server exited with %v, want status 0", err)
	}
	if !strings.Contains(log, "drain timeout") {
		t.Error("no drain timeout logged")
	}
	if code := closeOf(t, silent); code != netcode.CloseGoingAway {
		t.Errorf("the silent client was told %d, want 1001", code)
	}
}

// TestBinarySecondSignalExitsAtOnce: while a silent client holds the drain open (for up to a
// minute), a second SIGTERM ends the process at once, by the signal.
func TestBinarySecondSignalExitsAtOnce(t *testing.T) {
	srv := startBinary(t, "-drain-timeout", "1m")
	binarySilentClient(t, srv)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	srv.waitLog(t, `msg="shutting down"`)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_, err := srv.wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("server exited with %v, want to be ended by the second SIGTERM", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("server exited with %v, want to be ended by SIGTERM", err)
	}
}
