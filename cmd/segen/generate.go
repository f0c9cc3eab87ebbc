package main

import (
	"errors"
	"io"
)

func cmdGenerate(args []string, stdout, stderr io.Writer) error {
	return errors.New("not built yet")
}
