//go:build linux

package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// normalizeArgs lets flags come after positional arguments (urfave/cli v2
// stops parsing flags at the first positional argument). For each command,
// flags found after a positional argument are moved before it; an unknown
// flag there is an error rather than a silently positional word. Everything
// after "--" is positional; for commands that take a command line (run),
// the first positional argument starts it.
func normalizeArgs(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	// Find the subcommand: the first non-flag argument at the top level.
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		i++
	}
	if i >= len(args) || args[i] == "--" {
		return args, nil
	}
	if args[i] == "help" || args[i] == "h" {
		// urfave/cli's help command: zombietrace help [COMMAND]. Its own
		// message for an unknown one has no "zombietrace:" and exits 3.
		if i+1 < len(args) && app.Command(args[i+1]) == nil {
			return nil, fmt.Errorf("help: unknown command %q (see zombietrace --help)", args[i+1])
		}
		return args, nil
	}
	cmd := app.Command(args[i])
	if cmd == nil {
		return nil, fmt.Errorf("unknown command %q (see zombietrace --help)", args[i])
	}
	rest := args[i+1:]
	// Nested subcommands (none take flags of their own at this level).
	if len(cmd.Subcommands) > 0 && len(rest) > 0 {
		if sub := cmd.Command(rest[0]); sub != nil {
			out, err := reorder(sub, cmd.Name+" "+sub.Name, rest[1:])
			if err != nil {
				return nil, err
			}
			return append(append([]string{}, args[:i+2]...), out...), nil
		}
	}
	out, err := reorder(cmd, cmd.Name, rest)
	if err != nil {
		return nil, err
	}
	return append(append([]string{}, args[:i+1]...), out...), nil
}

// commandLineCommands take a command line after their flags.
var commandLineCommands = map[string]bool{"run": true}

// reorder moves cmd's flags before its positional arguments; name is its
// path for messages ("report explain").
func reorder(cmd *cli.Command, name string, args []string) ([]string, error) {
	takesValue := make(map[string]bool)
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	takesValue["help"], takesValue["h"] = false, false
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if commandLineCommands[cmd.Name] {
				pos = append(pos, args[i:]...)
				break
			}
			pos = append(pos, a)
			continue
		}
		flag := strings.TrimLeft(a, "-")
		hasValue := false
		if j := strings.IndexByte(flag, '='); j >= 0 {
			flag, hasValue = flag[:j], true
		}
		tv, known := takesValue[flag]
		if !known {
			return nil, fmt.Errorf("%s: unknown flag %s (see zombietrace %s --help)", name, a, name)
		}
		flags = append(flags, a)
		if tv && !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("%s: flag %s needs a value", name, a)
			}
			i++
			flags = append(flags, args[i])
		}
	}
	out := append(flags, "--")
	return append(out, pos...), nil
}
