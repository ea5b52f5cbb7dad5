//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/events"
	rpt "github.com/zombietrace/zombietrace/internal/report"
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
	tl := rpt.NewTimeline(out)
	r, err := loadReplay(c, file, "", tl.Record, nil)
	if err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := firstError(tl.Finish(r), out.Flush(), f.Close()); err != nil {
		return fmt.Errorf("report timeline: %w", err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %d processes, %d zombies\n", path, tl.Processes(), tl.Zombies())
	return nil
}
