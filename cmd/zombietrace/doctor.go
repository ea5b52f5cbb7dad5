//go:build linux

package main

import (
	"errors"
	"os"

	"github.com/urfave/cli/v2"
	"github.com/zombietrace/zombietrace/internal/doctor"
	"github.com/zombietrace/zombietrace/tracer"
)

func doctorCommand() *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "check what this kernel allows: BTF, privileges, each BPF program variant, wait mode, limits",
		Description: "Loads every program variant (nothing is attached) and says which one each hook would use,\n" +
			"and why the others do not load. Paste --json into a bug report. Exits 1 when tracing cannot work.",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "one JSON object instead of the table"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return errors.New("doctor: takes no arguments")
			}
			d := tracer.Diagnose()
			write := doctor.WriteText
			if c.Bool("json") {
				write = doctor.WriteJSON
			}
			if err := write(os.Stdout, d); err != nil {
				return err
			}
			if len(d.Problems) > 0 {
				return cli.Exit("", 1)
			}
			return nil
		},
	}
}
