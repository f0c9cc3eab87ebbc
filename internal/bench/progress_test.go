package bench

import (
	"bytes"
	"testing"
)

// TestProgress checks plain lines off a terminal and one line rewritten in
// place on one, and that a nil Progress reports nothing.
func TestProgress(t *testing.T) {
	var plain bytes.Buffer
	p := NewProgress(&plain)
	p.expect(2)
	p.Note("starting")
	p.Step("a")
	p.Step("b")
	p.Done()
	if want := "starting\n[1/2] a…\n[2/2] b…\n"; plain.String() != want {
		t.Errorf("progress %q, want %q", plain.String(), want)
	}

	var tty bytes.Buffer
	p = &Progress{w: &tty, tty: true}
	p.Note("a long line")
	p.Note("short")
	p.Done()
	if want := "\ra long line\rshort      \r     \r"; tty.String() != want { // the padding blanked the rest
		t.Errorf("progress on a terminal %q, want %q", tty.String(), want)
	}

	var none *Progress
	none.expect(1)
	none.Step("x")
	none.Note("x")
	none.Done()
}
