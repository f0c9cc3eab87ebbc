package main

import (
	"fmt"
	"io"

	"github.com/segen/segen/isa"
)

// cmdIsa prints the instruction sets this CPU and build run, best first,
// one a line: the values SEGEN_ISA can force (CI loops over them).
func cmdIsa(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("isa", "", "Print the instruction sets this CPU and build run, best first, one a line:\nthe values SEGEN_ISA can force.", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	for _, i := range isa.Supported(isa.All...) {
		fmt.Fprintln(stdout, i)
	}
	return nil
}
