package main

import (
	"bufio"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/tickwire/tickwire/netcode"
)

// TestBinaryExitsCleanlyOnSignal builds the real server binary, and for SIGTERM and SIGINT
// starts it, connects clients, sends the signal, and checks that every client sees close code
// 1001 and the process exits 0.
func TestBinaryExitsCleanlyOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "tickwire")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGTERM", syscall.SIGTERM}, {"SIGINT", syscall.SIGINT}} {
		t.Run(tc.name, func(t *testing.T) { exitsCleanlyOn(t, bin, tc.sig) })
	}
}

func exitsCleanlyOn(t *testing.T, bin string, sig syscall.Signal) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0", "-drain-timeout", "3s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// The server logs the address it bound; read it, then keep draining its log.
	addrRE := regexp.MustCompile(`msg=listening addr=(127\.0\.0\.1:\d+)`)
	lines := bufio.NewScanner(stderr)
	addr := ""
	for addr == "" && lines.Scan() {
		t.Log(lines.Text())
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatal("the server never logged its address")
	}
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		for lines.Scan() {
			t.Log(lines.Text())
		}
	}()

	var clients []*netcode.Client
	for _, name := range []string{"a", "b", "c"} {
		c, err := netcode.Dial(ctx, "ws://"+addr+"/ws", name, netcode.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		for err = nil; err == nil; _, err = c.Next() {
		}
		if code := netcode.CloseCodeOf(err); code != netcode.CloseGoingAway {
			t.Errorf("client %d: %v, want close 1001", i, err)
		}
	}
	<-logDone
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) || err != nil {
		t.Fatalf("server exited with %v, want status 0", err)
	}
}
