package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// This file builds, starts and stops the server processes (the real tickwire binary and the
// floor server) and reads their CPU time and memory from /proc.

// rootModule is the module path whose go.mod marks the repository root.
const rootModule = "github.com/tickwire/tickwire"

// findRepo walks up from dir to the directory whose go.mod declares rootModule, so the bench
// runs from the repository root or from any folder below it.
func findRepo(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && modulePath(b) == rootModule {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("bench: no go.mod of %s in %s or above it; pass -repo", rootModule, dir)
		}
	}
}

// modulePath returns the path on the module line of a go.mod file.
func modulePath(gomod []byte) string {
	for line := range strings.Lines(string(gomod)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// goBuild runs `go build [flags] -o out pkg` in dir.
func goBuild(ctx context.Context, dir, out, pkg string, flags []string) error {
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("bench: go %s (in %s): %w\n%s", strings.Join(args, " "), dir, err, strings.TrimSpace(outb.String()))
	}
	return nil
}

// helpMentions runs bin -h and reports whether its usage names flag (such as "-view-radius"),
// so that the bench passes only the flags a server build knows.
func helpMentions(ctx context.Context, bin, flag string) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, bin, "-h").CombinedOutput()
	return regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(flag) + `\b`).Match(out)
}

// serverProc is a running server process.
type serverProc struct {
	cmd    *exec.Cmd
	pid    int
	addr   string        // the address it listens on, from its "listening" log line
	exited chan struct{} // closed when the process has exited
	err    error         // Wait's error; read after exited is closed
	log    *tailBuffer   // its stderr's last lines
}

// listeningRE finds the bound address in the server's log line (slog text format:
// `... msg=listening addr=127.0.0.1:PORT ...`).
var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServer starts bin with args, under `taskset -c cpus` when cpus is set, and waits (up
// to timeout) for the line that says where it listens.
func startServer(ctx context.Context, bin string, args []string, cpus string, timeout time.Duration) (*serverProc, error) {
	name := bin
	if cpus != "" {
		taskset, err := exec.LookPath("taskset")
		if err != nil {
			return nil, fmt.Errorf("bench: -server-cpus needs taskset (util-linux): %w", err)
		}
		// taskset sets the affinity and then execs the server: the pid stays the server's.
		args = append([]string{"-c", cpus, bin}, args...)
		name = taskset
	}
	cmd := exec.Command(name, args...)
	// If the bench dies, the kernel ends the server too: the tool never leaves one behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting %s: %w", bin, err)
	}
	p := &serverProc{cmd: cmd, pid: cmd.Process.Pid, exited: make(chan struct{}), log: newTailBuffer(40)}
	found := make(chan string, 1)
	go p.readLog(stderr, found)
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case p.addr = <-found:
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("bench: %s exited before listening (%v):\n%s", filepath.Base(bin), p.err, p.log)
	case <-timer.C:
		p.stop(time.Second)
		return nil, fmt.Errorf("bench: %s did not log its address within %v:\n%s", filepath.Base(bin), timeout, p.log)
	case <-ctx.Done():
		p.stop(time.Second)
		return nil, ctx.Err()
	}
}

// readLog keeps the last lines of the server's log and reports the listening address once. It
// reads until the pipe closes, so the server never blocks on a full pipe.
func (p *serverProc) readLog(r io.Reader, found chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		p.log.add(line)
		if m := listeningRE.FindStringSubmatch(line); m != nil && !sent {
			found <- m[1]
			sent = true
		}
	}
}

// stop asks the server to shut down (SIGTERM), waits up to grace, then kills it. It returns
// the process's exit error, if any, besides being killed.
func (p *serverProc) stop(grace time.Duration) error {
	select {
	case <-p.exited:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.exited:
		return p.err
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("bench: server did not stop within %v after SIGTERM; killed", grace)
	}
}

// tailBuffer keeps the last lines written to it.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
	max   int
}

func newTailBuffer(n int) *tailBuffer { return &tailBuffer{max: n} }

func (t *tailBuffer) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == t.max {
		t.lines = append(t.lines[:0], t.lines[1:]...)
	}
	t.lines = append(t.lines, line)
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// procSample is a process's CPU time and resident memory at one moment.
type procSample struct {
	at  time.Time
	cpu time.Duration // user + system time since the process started
	rss uint64        // bytes
}

// clockTick is the unit of the CPU times in /proc/PID/stat: USER_HZ, 100 on every Linux
// architecture Go supports (`getconf CLK_TCK`), so the bench does not need cgo for sysconf.
const clockTick = 10 * time.Millisecond

// readProc reads /proc/PID/stat (utime, stime) and /proc/PID/status (VmRSS). pid "self"
// reads the bench itself.
func readProc(pid string) (procSample, error) {
	s := procSample{at: time.Now()}
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return s, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, errors.New("bench: malformed /proc/" + pid + "/stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 { // f[0] is field 3 (state); utime and stime are fields 14 and 15
		return s, errors.New("bench: short /proc/" + pid + "/stat")
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return s, fmt.Errorf("bench: /proc/%s/stat: %w", pid, err)
	}
	s.cpu = time.Duration(utime+stime) * clockTick
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return s, err
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) >= 1 {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				if err != nil {
					return s, fmt.Errorf("bench: /proc/%s/status VmRSS: %w", pid, err)
				}
				s.rss = kb << 10
			}
		}
	}
	return s, nil
}

// cores is the CPU used between two samples, in cores (1.0 is one core busy all the time).
func cores(a, b procSample) float64 {
	wall := b.at.Sub(a.at)
	if wall <= 0 {
		return 0
	}
	return float64(b.cpu-a.cpu) / float64(wall)
}

// readMachineBusy returns the CPU time all processes on the machine have used since boot
// (every state of /proc/stat's cpu line but idle and iowait).
func readMachineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, errors.New("bench: malformed /proc/stat")
	}
	var busy uint64
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: /proc/stat: %w", err)
		}
		if i == 3 || i == 4 || i >= 8 { // idle, iowait; guest time is already in user
			continue
		}
		busy += n
	}
	return time.Duration(busy) * clockTick, nil
}
