//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/events"
	rpt "github.com/zombietrace/zombietrace/internal/report"
	"github.com/zombietrace/zombietrace/output"
)

func reportCommand() *cli.Command {
	// json is --json's usage; "" hides it: a view whose output is a file
	// of a fixed format refuses it with a sentence (jsonRefused).
	common := func(json string) []cli.Flag {
		return []cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "start at `T` (RFC 3339 wall time, or an offset from the start like 5s)"},
			&cli.StringFlag{Name: "to", Usage: "end at `T`"},
			&cli.IntFlag{Name: "pid", Aliases: []string{"p"}, Usage: "only `PID` and its descendants"},
			&cli.BoolFlag{Name: "json", Usage: json, Hidden: json == ""},
		}
	}
	summaryFlags := append(common("JSON (the summary line of trace --json)"),
		&cli.BoolFlag{Name: "verify", Usage: "fail unless the summary equals the one the recorder computed live"})
	return &cli.Command{
		Name:      "report",
		Usage:     "analyse a recording (no root needed; FILE - reads standard input)",
		ArgsUsage: "FILE",
		Flags:     summaryFlags,
		Action:    reportSummaryAction,
		Subcommands: []*cli.Command{
			{Name: "explain", Usage: "one process's story: fork, exec, exit, notify, waits, reparenting, reap", ArgsUsage: "PID FILE",
				Flags: common("one JSON object (docs/json.md)"), Action: reportExplainAction, OnUsageError: usageError},
			{Name: "tree", Usage: "the process tree at a moment, zombies marked", ArgsUsage: "FILE",
				Flags: append(common("one JSON object (docs/json.md)"),
					&cli.StringFlag{Name: "at", Usage: "the moment `T` (default: the end)"},
					&cli.BoolFlag{Name: "kernel-threads", Usage: "list kernel threads too (kthreadd, pid 2, and its children)"}),
				Action: reportTreeAction, OnUsageError: usageError},
			{Name: "timeline", Usage: "a Chrome Trace Event / Perfetto JSON timeline", ArgsUsage: "FILE",
				Flags: append(common(""), &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write it to `FILE` (required)"}), Action: reportTimelineAction, OnUsageError: usageError},
			{Name: "flame", Usage: "a flame graph of where the zombie time is in the process tree (.svg, .html, .folded, .pb.gz)", ArgsUsage: "FILE",
				Flags:  append(append(common(""), &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write it to `FILE` (required; the format from the extension)"}), flameFlags()...),
				Action: reportFlameAction, OnUsageError: usageError},
			{Name: "events", Usage: "the record stream, as text or JSON Lines", ArgsUsage: "FILE",
				Flags: append(common("JSON Lines (the same contract as trace --json)"), &cli.StringFlag{Name: "type", Usage: "only records of `TYPE` (fork, exec, exit, reap, reparent, lost)"}), Action: reportEventsAction, OnUsageError: usageError},
		},
	}
}

// jsonRefused is the error of a view that has no JSON form.
func jsonRefused(c *cli.Context, why string) error {
	if !c.Bool("json") {
		return nil
	}
	return fmt.Errorf("%s: --json does not apply: %s", commandPath(c), why)
}

// loadReplay reads FILE ("-": standard input) through the engine over the
// window of --from and --to (or until: tree --at), calling each for every
// record of the window and raw for every event replayed; it prints the
// replay's warnings on stderr.
func loadReplay(c *cli.Context, file string, until string, each func(*rpt.Replay, *events.Record), raw func(*events.Event)) (*rpt.Replay, error) {
	src, name, err := rpt.Open(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", commandPath(c), err)
	}
	defer src.Close()
	pid := c.Int("pid")
	if pid < 0 {
		return nil, fmt.Errorf("%s: --pid %d: not a pid", commandPath(c), pid)
	}
	r, err := rpt.Load(src, name, rpt.Options{From: c.String("from"), To: c.String("to"), At: until, PID: uint32(pid)}, each, raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", commandPath(c), err)
	}
	for _, w := range r.Warnings() {
		fmt.Fprintf(os.Stderr, "zombietrace: warning: %s\n", w)
	}
	return r, nil
}

func fileArg(c *cli.Context, want int) (string, error) {
	if c.Args().Len() != want {
		name := commandPath(c)
		return "", fmt.Errorf("%s: want %d argument(s), got %d (see zombietrace %s --help)", name, want, c.Args().Len(), name)
	}
	return c.Args().Get(want - 1), nil
}

func reportSummaryAction(c *cli.Context) error {
	file, err := fileArg(c, 1)
	if err != nil {
		return err
	}
	var zombieNS rpt.ZombieTimes
	r, err := loadReplay(c, file, "", zombieNS.Record, nil)
	if err != nil {
		return err
	}
	if c.Bool("verify") {
		if err := rpt.Verify(r); err != nil {
			return fmt.Errorf("report --verify: %w", err)
		}
		fmt.Fprintln(os.Stderr, "the summary equals the one the recorder computed live")
	}
	if c.Bool("json") {
		return rpt.WriteSummaryJSON(os.Stdout, r)
	}
	out := bufio.NewWriter(os.Stdout)
	return firstError(rpt.WriteSummaryText(out, r, zombieNS), out.Flush())
}

func reportEventsAction(c *cli.Context) error {
	file, err := fileArg(c, 1)
	if err != nil {
		return err
	}
	stream, err := rpt.NewStream(os.Stdout, c.String("type"), c.Bool("json"))
	if err != nil {
		return fmt.Errorf("report events: %w", err)
	}
	r, err := loadReplay(c, file, "", stream.Record, nil)
	if err != nil {
		stream.Flush() // what came before the failure is still shown
		return err
	}
	return stream.Finish(r)
}

// explain tells one process's story.
func reportExplainAction(c *cli.Context) error {
	if c.Args().Len() != 2 {
		return fmt.Errorf("report explain: want PID FILE")
	}
	pid64, err := strconv.ParseUint(c.Args().Get(0), 10, 32)
	if err != nil || pid64 == 0 {
		return fmt.Errorf("report explain: %q is not a pid", c.Args().Get(0))
	}
	story := rpt.NewStory(uint32(pid64))
	r, err := loadReplay(c, c.Args().Get(1), "", func(_ *rpt.Replay, rec *events.Record) { story.Record(rec) }, story.Event)
	if err != nil {
		return err
	}
	if len(story.Steps) == 0 {
		return fmt.Errorf("report explain: pid %d does not appear in the recording", story.PID)
	}
	story.Finish(r)
	out := bufio.NewWriter(os.Stdout)
	if c.Bool("json") {
		err = rpt.WriteStoryJSON(out, r, story)
	} else {
		err = rpt.WriteStoryText(out, r, story)
	}
	return firstError(err, out.Flush())
}

// tree prints the process tree at --at, from the snapshot and the events.
func reportTreeAction(c *cli.Context) error {
	file, err := fileArg(c, 1)
	if err != nil {
		return err
	}
	r, err := loadReplay(c, file, c.String("at"), nil, nil)
	if err != nil {
		return err
	}
	t := rpt.BuildTree(r, rpt.TreeOptions{KernelThreads: c.Bool("kernel-threads")})
	out := bufio.NewWriter(os.Stdout)
	if c.Bool("json") {
		err = rpt.WriteTreeJSON(out, r, t)
	} else {
		err = rpt.WriteTreeText(out, r, t)
	}
	return firstError(err, out.Flush())
}

// traceEvent is one Chrome Trace Event (ui.perfetto.dev, chrome://tracing).
type traceEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"` // microseconds from the recording's start
	Dur  float64        `json:"dur,omitempty"`
	Pid  uint32         `json:"pid"` // the parent at fork: tracks are grouped by parent
	Tid  uint32         `json:"tid"` // the process
	S    string         `json:"s,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// timeline writes one track per process: a running span, a zombie span and
// the reap as an instant naming the reaper.
func reportTimelineAction(c *cli.Context) error {
	file, err := fileArg(c, 1)
	if err != nil {
		return err
	}
	path, err := outputArg(c)
	if err != nil {
		return err
	}
	if err := jsonRefused(c, "the timeline is JSON already (Chrome Trace Event format)"); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report timeline: %w", err)
	}
	defer f.Close()
	out := bufio.NewWriterSize(f, 64<<10)
	type track struct {
		group   uint32
		comm    string
		started uint64
		exited  uint64
		named   bool
	}
	var (
		base   uint64
		tracks = map[events.Key]*track{}
		groups = map[uint32]bool{}
		first  = true
		werr   error
		named  int // processes
		spans  int // zombie spans
	)
	us := func(t uint64) float64 { return float64(int64(t)-int64(base)) / 1e3 }
	emit := func(te traceEvent) {
		if werr != nil {
			return
		}
		b, err := jsonMarshal(te)
		if err != nil {
			werr = err
			return
		}
		if !first {
			out.WriteString(",\n")
		}
		first = false
		_, werr = out.Write(b)
	}
	out.WriteString(`{"displayTimeUnit":"ms","traceEvents":[` + "\n")
	getTrack := func(rec *events.Record) *track {
		k := events.Key{PID: rec.PID, Start: rec.Start}
		tr := tracks[k]
		if tr == nil {
			tr = &track{group: rec.PPID, comm: rec.Comm, started: base}
			tracks[k] = tr
		}
		if !tr.named {
			tr.named = true
			named++
			emit(traceEvent{Name: "thread_name", Ph: "M", Pid: tr.group, Tid: rec.PID, Args: map[string]any{"name": fmt.Sprintf("%s %d", rec.Comm, rec.PID)}})
			if !groups[tr.group] {
				groups[tr.group] = true
				emit(traceEvent{Name: "process_name", Ph: "M", Pid: tr.group, Args: map[string]any{"name": fmt.Sprintf("children of %d", tr.group)}})
			}
		}
		return tr
	}
	r, err := loadReplay(c, file, "", func(r *rpt.Replay, rec *events.Record) {
		if base == 0 {
			base = r.Reader.Header.StartNS
		}
		if !r.Keep(rec) {
			return
		}
		switch rec.Type {
		case events.RecordFork:
			tr := getTrack(rec)
			tr.started = rec.Time
		case events.RecordExec:
			tr := getTrack(rec)
			tr.comm = rec.Comm
			emit(traceEvent{Name: "exec " + rec.Filename, Cat: "exec", Ph: "i", S: "t", Ts: us(rec.Time), Pid: tr.group, Tid: rec.PID})
		case events.RecordExit:
			tr := getTrack(rec)
			tr.exited = rec.Time
			emit(traceEvent{Name: tr.comm, Cat: "running", Ph: "X", Ts: us(tr.started), Dur: us(rec.Time) - us(tr.started), Pid: tr.group, Tid: rec.PID,
				Args: map[string]any{"exit": output.StatusString(rec.Status)}})
		case events.RecordReparent:
			tr := getTrack(rec)
			emit(traceEvent{Name: fmt.Sprintf("reparented to %d", rec.NewPPID), Cat: "reparent", Ph: "i", S: "t", Ts: us(rec.Time), Pid: tr.group, Tid: rec.PID})
		case events.RecordReap:
			tr := getTrack(rec)
			if rec.ZombieNS > 0 {
				spans++
				emit(traceEvent{Name: "zombie", Cat: "zombie", Ph: "X", Ts: us(rec.Time - rec.ZombieNS), Dur: float64(rec.ZombieNS) / 1e3, Pid: tr.group, Tid: rec.PID,
					Args: map[string]any{"zombie_ms": float64(rec.ZombieNS) / 1e6, "owed_by": rec.PPID}})
			}
			emit(traceEvent{Name: "reaped by " + output.ReaperString(rec), Cat: "reap", Ph: "i", S: "t", Ts: us(rec.Time), Pid: tr.group, Tid: rec.PID,
				Args: map[string]any{"reaped_by": string(rec.ReapedBy), "reaper_pid": rec.ReaperPID, "reaper_comm": rec.ReaperComm, "uncertain": rec.Uncertain}})
			delete(tracks, events.Key{PID: rec.PID, Start: rec.Start})
		}
	}, nil)
	if err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if base == 0 {
		base = r.Reader.Header.StartNS
	}
	// Zombies still outstanding at the end: an open span up to the end.
	sub := r.Subtree()
	for _, v := range r.Engine.Processes() {
		if v.State != events.ProcZombie || sub != nil && !sub.Has(v.PID) && !sub.Has(v.PPID) {
			continue
		}
		spans++
		grp := v.PPID
		if tr := tracks[events.Key{PID: v.PID, Start: v.Start}]; tr != nil {
			grp = tr.group
		}
		emit(traceEvent{Name: "zombie (outstanding)", Cat: "zombie", Ph: "X", Ts: us(v.ZombieSince), Dur: us(r.End) - us(v.ZombieSince), Pid: grp, Tid: v.PID,
			Args: map[string]any{"owed_by": v.PPID, "preexisting": v.Preexisting}})
	}
	out.WriteString("\n]}\n")
	if err := firstError(werr, out.Flush(), f.Close()); err != nil {
		return fmt.Errorf("report timeline: %w", err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %d processes, %d zombies\n", path, named, spans)
	return nil
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
