//go:build linux

package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/flame"
	rpt "github.com/zombietrace/zombietrace/internal/report"
)

// flameWeight reads --weight.
func flameWeight(c *cli.Context) (flame.Weight, error) {
	w, err := flame.ParseWeight(c.String("weight"))
	if err != nil {
		return 0, fmt.Errorf("--weight %w", err)
	}
	return w, nil
}

// flameLineage reads --by: the ancestry tracker labelling frames so.
func flameLineage(c *cli.Context) (*flame.Lineage, error) {
	lin, err := flame.NewLineage(c.String("by"))
	if err != nil {
		return nil, fmt.Errorf("--by %w", err)
	}
	return lin, nil
}

func flameFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "by", Value: "comm", Usage: "frames: comm, exe, cmdline, cgroup (the cgroup at the root), or callsite (the parent's fork call stack; record with --stacks)"},
		&cli.StringFlag{Name: "weight", Value: "time", Usage: "width: time (zombie time) or count (zombies)"},
	}
}

// reportFlameArgs reads report flame's -o (its format from the name),
// --weight and --by.
func reportFlameArgs(c *cli.Context) (path string, weight flame.Weight, lin *flame.Lineage, err error) {
	if path, err = outputArg(c); err != nil {
		return "", 0, nil, err
	}
	if _, err := flame.Format(path); err != nil {
		return "", 0, nil, fmt.Errorf("report flame: %w", err)
	}
	if err := jsonRefused(c, "the format comes from -o's extension (.folded, .pb.gz, .svg, .html)"); err != nil {
		return "", 0, nil, err
	}
	if weight, err = flameWeight(c); err != nil {
		return "", 0, nil, fmt.Errorf("report flame: %w", err)
	}
	lin, err = flameLineage(c)
	return path, weight, lin, err
}

func reportFlameAction(c *cli.Context) error {
	file, err := fileArg(c, 1)
	if err != nil {
		return err
	}
	path, weight, lin, err := reportFlameArgs(c)
	if err != nil {
		return err
	}
	seeded := false
	r, err := loadReplay(c, file, "", func(r *rpt.Replay, rec *events.Record) {
		if !seeded {
			seeded = true
			lin.Seed(r.Reader.Procs)
		}
		if r.Keep(rec) || rec.Type == events.RecordFork || rec.Type == events.RecordExec {
			lin.Record(rec)
		}
	}, nil)
	if err != nil {
		return err
	}
	if !seeded {
		lin.Seed(r.Reader.Procs)
	}
	sum := r.Summary()
	lin.Outstanding(sum.Zombies)
	title := fmt.Sprintf("zombie time on %s", r.Reader.Header.Host)
	if err := lin.WriteFile(path, weight, title); err != nil {
		return fmt.Errorf("report flame: %w", err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %d zombies\n", path, lin.Zombies())
	return nil
}
