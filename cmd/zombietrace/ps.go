//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/output"
	"github.com/zombietrace/zombietrace/procfs"
	"github.com/zombietrace/zombietrace/tracer"
)

func psCommand() *cli.Command {
	return &cli.Command{
		Name:  "ps",
		Usage: "list the zombies on the host now, with their parents and approximate age",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "one JSON object"},
		},
		Action: psAction,
	}
}

type psZombie struct {
	PID         int    `json:"pid"`
	PPID        int    `json:"ppid"`
	Comm        string `json:"comm"`
	ParentCmd   string `json:"parent_cmd"`
	AgeNS       uint64 `json:"age_ns,omitempty"`
	AgeKnown    bool   `json:"age_known"`
	Waitable    bool   `json:"waitable"` // false: leader exited, threads still run
	ParentCount int    `json:"parent_zombies"`
}

// zombieAges estimates each zombie's age (ns) from the task iterator: the
// scheduler's last run of the task, a lower bound of its exit.
func zombieAges() (map[int]uint64, error) {
	zs, err := tracer.ListZombies()
	if err != nil {
		return map[int]uint64{}, err
	}
	ages := make(map[int]uint64, len(zs))
	now := tracer.BootNow()
	for _, z := range zs {
		if now > z.Time {
			ages[int(z.PID)] = now - z.Time
		}
	}
	return ages, nil
}

func psAction(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return fmt.Errorf("ps: unexpected argument %q", c.Args().First())
	}
	procs, err := procfs.Default.All()
	if err != nil {
		return err
	}
	// Ages come from the task iterator (the scheduler's last run of the task,
	// a lower bound of its exit); without root, /proc gives no exit time.
	ages, ageErr := zombieAges()
	var out []psZombie
	perParent := make(map[int]int)
	for _, p := range procs {
		if p.State != 'Z' {
			continue
		}
		age, known := ages[p.PID]
		out = append(out, psZombie{PID: p.PID, PPID: p.PPID, Comm: p.Comm,
			ParentCmd: procfs.Default.Cmdline(p.PPID), AgeNS: age, AgeKnown: known,
			Waitable: p.Threads <= 1})
		perParent[p.PPID]++
	}
	for i := range out {
		out[i].ParentCount = perParent[out[i].PPID]
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ParentCount != out[j].ParentCount {
			return out[i].ParentCount > out[j].ParentCount
		}
		if out[i].PPID != out[j].PPID {
			return out[i].PPID < out[j].PPID
		}
		return out[i].AgeNS > out[j].AgeNS
	})
	if c.Bool("json") {
		if out == nil {
			out = []psZombie{}
		}
		return json.NewEncoder(os.Stdout).Encode(map[string]any{"zombies": out, "ages_known": ageErr == nil})
	}
	if len(out) == 0 {
		fmt.Println("no zombies")
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PID\tPPID\tCOMM\tAGE\tPARENT HOLDS\tPARENT COMMAND")
	for _, z := range out {
		age := "?"
		if z.AgeKnown {
			age = "~" + output.Dur(z.AgeNS)
		}
		if !z.Waitable {
			age += " (threads still run: not waitable yet)"
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%d\t%s\n", z.PID, z.PPID, z.Comm, age, z.ParentCount, z.ParentCmd)
	}
	tw.Flush()
	if ageErr != nil {
		fmt.Fprintf(os.Stderr, "zombietrace: ages unknown (%v)\n", ageErr)
	}
	return nil
}
