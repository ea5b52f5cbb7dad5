// Command gospawn starts /bin/true from a named function and waits for it
// late: with frame pointers (Go's default on amd64) its fork call site
// unwinds through the runtime to main.spawnWorkers.
package main

import (
	"os/exec"
	"time"
)

//go:noinline
func spawnWorkers() []*exec.Cmd {
	var cmds []*exec.Cmd
	for i := 0; i < 3; i++ {
		c := exec.Command("/bin/true")
		if err := c.Start(); err != nil {
			panic(err)
		}
		cmds = append(cmds, c)
	}
	return cmds
}

func main() {
	cmds := spawnWorkers()
	time.Sleep(300 * time.Millisecond)
	for _, c := range cmds {
		c.Wait()
	}
}
