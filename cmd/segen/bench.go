package main

import (
	"errors"
	"io"
)

// cmdBench is being written in the bench change.
func cmdBench(args []string, stdout, stderr io.Writer) error {
	return errors.New("not built yet")
}
