//go:build linux

// Package supervise runs a command as a child subreaper would (like tini):
// it starts the command, forwards signals to it, reaps every orphan of the
// command's tree that it inherits, and reports the command's exit status.
// Once the command has ended, a signal stops what it left behind.
package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zombietrace/zombietrace/internal/procfs"
)

// Options for Start.
type Options struct {
	Argv []string
	User string // run as this user (name or uid); empty: as is
	// Signals, if not nil, is a channel the caller subscribed with Notify
	// before Start (so signals during its own setup are not lost).
	Signals chan os.Signal
	// KillGrace: once the command has ended, the first forwarded signal
	// goes to every process still held; those left get SIGKILL after
	// KillGrace (or at a second signal).
	KillGrace time.Duration
	// ExitWithCommand: Wait returns when the command ends, leaving what it
	// left behind to the system's reaper when this process exits.
	ExitWithCommand bool
}

// Forwarded are the signals passed on to the command.
var Forwarded = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT}

// Notify subscribes ch to SIGCHLD and the forwarded signals (see
// Catchable).
func Notify(ch chan os.Signal) {
	signal.Notify(ch, append([]os.Signal{unix.SIGCHLD}, Catchable(Forwarded...)...)...)
}

// Catchable is sigs without SIGHUP when this process was started with it
// ignored (nohup): catching it would undo nohup, for this process and for
// the command, which would inherit the default action. SIGINT is caught
// even when ignored (in a background job of a non-interactive shell):
// kill -INT stops a tracer in the background, as it does perf or tcpdump.
func Catchable(sigs ...os.Signal) []os.Signal {
	var out []os.Signal
	for _, sig := range sigs {
		if sig != unix.SIGHUP || !signal.Ignored(sig) {
			out = append(out, sig)
		}
	}
	return out
}

// Resolve finds the command's executable, as Start will.
func Resolve(argv []string) (string, error) {
	if len(argv) == 0 {
		return "", errors.New("no command given: use zombietrace run [flags] -- COMMAND [ARGS]")
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return "", fmt.Errorf("command %q: %w", argv[0], err)
	}
	return path, nil
}

// Supervisor owns a started command and the orphans it leaves.
type Supervisor struct {
	pid     int
	opts    Options
	sigs    chan os.Signal
	status  unix.WaitStatus
	exited  bool
	reaped  int // orphans reaped
	started time.Time
}

// Pending returns a forwarded signal already received (during setup), if any.
func Pending(ch chan os.Signal) os.Signal {
	for {
		select {
		case sig := <-ch:
			if sig != unix.SIGCHLD {
				return sig
			}
		default:
			return nil
		}
	}
}

// Start makes this process a child subreaper, then starts the command with
// the caller's stdio. The caller must call Wait.
func Start(opts Options) (*Supervisor, error) {
	path, err := Resolve(opts.Argv)
	if err != nil {
		return nil, err
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("becoming a child subreaper: %w", err)
	}
	attr := &syscall.SysProcAttr{}
	if opts.User != "" {
		cred, err := credential(opts.User)
		if err != nil {
			return nil, err
		}
		attr.Credential = cred
	}
	s := &Supervisor{opts: opts, sigs: opts.Signals, started: time.Now()}
	if s.sigs == nil {
		// Subscribe before the child exists so no SIGCHLD is missed.
		s.sigs = make(chan os.Signal, 16)
		Notify(s.sigs)
	}
	// os.StartProcess and not exec.Cmd: Cmd.Wait would race our wait4(-1)
	// for the command's status.
	p, err := os.StartProcess(path, opts.Argv, &os.ProcAttr{
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys:   attr,
	})
	if err != nil {
		signal.Stop(s.sigs)
		return nil, fmt.Errorf("starting %s: %w", opts.Argv[0], err)
	}
	s.pid = p.Pid
	p.Release()
	return s, nil
}

func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if _, nerr := strconv.Atoi(name); nerr == nil {
			u, err = user.LookupId(name)
		}
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", name, err)
		}
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if gids, err := u.GroupIds(); err == nil {
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	return cred, nil
}

// PID of the command.
func (s *Supervisor) PID() int { return s.pid }

// Wait forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the command, reaps
// whatever exits, and returns once the command and everything this process
// inherited are gone (with ExitWithCommand: once the command is).
//
// After the command has ended, the first of those signals goes to every
// process this one still holds: all its descendants, whatever their process
// group or session (a background job of a non-interactive shell ignores
// SIGINT). Those left get SIGKILL after KillGrace, or at once at a second
// signal. ctx ending stops forwarding and waiting early.
func (s *Supervisor) Wait(ctx context.Context) (unix.WaitStatus, error) {
	defer signal.Stop(s.sigs)
	tick := time.NewTicker(200 * time.Millisecond) // in case a SIGCHLD coalesced
	defer tick.Stop()
	var grace <-chan time.Time
	stopping, killing := false, false
	for {
		if done, err := s.reap(); err != nil || done {
			return s.status, err
		}
		if s.exited && s.opts.ExitWithCommand {
			return s.status, nil
		}
		if killing {
			// Again each round: a process forks between the listing and
			// the signal, a grandchild's parent dies and it becomes ours.
			if err := signalHeld(unix.SIGKILL); err != nil {
				return s.status, err
			}
		}
		select {
		case <-ctx.Done():
			return s.status, ctx.Err()
		case sig := <-s.sigs:
			if sig != unix.SIGCHLD {
				// Is the command still there to take it?
				if done, err := s.reap(); err != nil || done {
					return s.status, err
				}
				if s.exited && s.opts.ExitWithCommand {
					return s.status, nil
				}
			}
			switch {
			case sig == unix.SIGCHLD:
			case !s.exited:
				_ = unix.Kill(s.pid, sig.(syscall.Signal))
			case !stopping:
				stopping = true
				if err := signalHeld(sig.(syscall.Signal)); err != nil {
					return s.status, err
				}
				t := time.NewTimer(s.opts.KillGrace)
				defer t.Stop()
				grace = t.C
			case !killing:
				killing = true
				tick.Reset(20 * time.Millisecond)
			}
		case <-grace:
			killing = true
			tick.Reset(20 * time.Millisecond)
		case <-tick.C:
		}
	}
}

// signalHeld sends sig to every process this one holds: its descendants.
// Each gets it through a pidfd opened after checking that its pid still
// names the process listed: a grandchild may be reaped by its own parent,
// and its pid reused, in between.
func signalHeld(sig unix.Signal) error {
	procs, err := procfs.Default.Descendants(os.Getpid())
	if err != nil {
		return fmt.Errorf("listing the processes left: %w", err)
	}
	for _, p := range procs[1:] { // [0] is this process
		if p.State == 'Z' {
			continue
		}
		fd, err := unix.PidfdOpen(p.PID, 0)
		if err != nil {
			continue // gone
		}
		if st, err := procfs.Default.Stat(p.PID); err == nil && st.StartTicks == p.StartTicks {
			_ = unix.PidfdSendSignal(fd, sig, nil, 0)
		}
		unix.Close(fd)
	}
	return nil
}

// reap collects every child that has exited; done when none is left.
func (s *Supervisor) reap() (done bool, err error) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG|unix.WALL, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ECHILD):
			return true, nil
		case err != nil:
			return false, fmt.Errorf("wait4: %w", err)
		case pid == 0:
			return false, nil
		case pid == s.pid && (ws.Exited() || ws.Signaled()):
			s.status, s.exited = ws, true
		case pid != s.pid:
			s.reaped++
		}
	}
}

// Orphans is how many inherited processes were reaped.
func (s *Supervisor) Orphans() int { return s.reaped }

// ExitCode is the shell convention for a status: the code, or 128+signal.
func ExitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
