package main

import (
	"fmt"
	"io"
	"os"
)

// progress reports on stderr what bench is measuring: one line rewritten in
// place with \r on a terminal, plain lines otherwise (a log or a test buffer
// should not fill up with carriage returns).
type progress struct {
	w     io.Writer
	tty   bool
	n     int // steps done
	total int // steps expected; 0 before it is known
	width int // length of the line on screen, to blank it out
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// step announces the next measurement.
func (p *progress) step(what string) {
	p.n++
	p.note(fmt.Sprintf("[%d/%d] %s…", p.n, p.total, what))
}

// note shows a line of progress.
func (p *progress) note(line string) {
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	pad := max(0, p.width-len([]rune(line)))
	fmt.Fprintf(p.w, "\r%s%*s", line, pad, "")
	p.width = len([]rune(line))
}

// done clears the progress line on a terminal.
func (p *progress) done() {
	if p.tty && p.width > 0 {
		fmt.Fprintf(p.w, "\r%*s\r", p.width, "")
		p.width = 0
	}
}
