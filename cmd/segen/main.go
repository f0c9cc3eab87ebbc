// Command segen generates Squeeze-and-Excitation kernels specialised for the
// block shapes of a YAML spec, benchmarks them against generic kernels, and
// runs SE-ResNet inference on them.
//
// Usage:
//
//	segen generate -spec FILE -out DIR [-pkg NAME]
//	segen bench [flags]
//	segen run -arch NAME -weights FILE [flags] [IMAGE...]
//	segen isa
//
// Run "segen help COMMAND" for a command's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// command is one subcommand: its name, a one-line summary, and the function
// that parses its own flags from args and runs it.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"generate", "generate a kernel package from a spec", cmdGenerate},
	{"bench", "benchmark specialised against generic kernels", cmdBench},
	{"run", "run SE-ResNet inference on images or a tensor file", cmdRun},
	{"isa", "print the instruction sets this CPU runs", cmdIsa},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		usage(stdout)
		return 0
	case "help":
		if len(rest) == 0 {
			usage(stdout)
			return 0
		}
		name, rest = rest[0], []string{"-h"}
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(rest, stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		}
		fmt.Fprintf(stderr, "segen %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(stderr, "segen: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

// errUsage reports a command line the flag package already complained about.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "segen generates, benchmarks and runs Squeeze-and-Excitation kernels.")
	fmt.Fprintln(w, "\nUsage:\n\n\tsegen COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"segen help COMMAND\" for a command's flags.")
}

// newFlagSet returns a flag set for a subcommand that prints its usage line,
// summary and flags to stderr and reports errors instead of exiting.
func newFlagSet(name, args, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("segen "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: segen %s %s\n\n%s\n\nFlags:\n", name, args, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs, mapping the flag package's errors onto
// errUsage (already reported) and flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}
