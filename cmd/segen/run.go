package main

import (
	"errors"
	"io"
)

// cmdRun is being written in the runtime change.
func cmdRun(args []string, stdout, stderr io.Writer) error {
	return errors.New("not built yet")
}
