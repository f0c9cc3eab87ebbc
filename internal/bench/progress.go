package bench

import (
	"fmt"
	"io"
	"os"
)

// Progress reports on a writer (stderr) what is being measured: one line
// rewritten in place with \r on a terminal, plain lines otherwise (a log or
// a test buffer should not fill up with carriage returns). A nil *Progress
// reports nothing.
type Progress struct {
	w     io.Writer
	tty   bool
	n     int // steps done
	total int // steps expected; 0 before it is known
	width int // length of the line on screen, to blank it out
}

// NewProgress returns a Progress that writes to w.
func NewProgress(w io.Writer) *Progress {
	p := &Progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// expect sets the number of steps to come, which Step counts up to.
func (p *Progress) expect(total int) {
	if p != nil {
		p.total = total
	}
}

// Step announces the next of the steps expected: "[n/total] what…".
func (p *Progress) Step(what string) {
	if p == nil {
		return
	}
	p.n++
	p.Note(fmt.Sprintf("[%d/%d] %s…", p.n, p.total, what))
}

// Note shows a line of progress.
func (p *Progress) Note(line string) {
	if p == nil {
		return
	}
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	pad := max(0, p.width-len([]rune(line)))
	fmt.Fprintf(p.w, "\r%s%*s", line, pad, "")
	p.width = len([]rune(line))
}

// Done clears the progress line on a terminal, before the results are
// printed.
func (p *Progress) Done() {
	if p != nil && p.tty && p.width > 0 {
		fmt.Fprintf(p.w, "\r%*s\r", p.width, "")
		p.width = 0
	}
}
