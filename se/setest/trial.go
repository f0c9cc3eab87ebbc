package setest

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"unsafe"

	"github.com/segen/segen/se"
)

// Fill patterns. sentinel fills memory around each slice: a NaN whose
// payload no arithmetic produces, so a kernel that reads it poisons its
// result and one that writes it is caught bit for bit. poison fills outputs
// before each call: finite and far outside any result, so an output the
// kernel forgets to write (or accumulates into) cannot pass, even where the
// reference is NaN.
const (
	sentinel = 0x7fc05e7e
	poison   = -1234.5
)

// buf is one slice of a trial in its guarded mapping.
type buf struct {
	name string
	m    *mapping
	src  []float32 // the input it holds before each call; nil for an output
}

func (b *buf) data() []float32 { return b.m.data() }

// arena holds the buffers of one trial.
type arena struct {
	pl   placement
	bufs []*buf
}

// add maps a slice of n floats as the placement says. An input (src not
// nil) is refilled from src before every call.
func (a *arena) add(name string, n int, src []float32) *buf {
	lead := 0
	if !a.pl.atEnd && a.pl.off > 0 {
		lead = (a.pl.off + len(a.bufs)) % 4
	}
	m := mapGuarded(n, lead, a.pl.atEnd)
	fillBits(m.all[:m.lo], sentinel)
	fillBits(m.all[m.lo+n:], sentinel)
	b := &buf{name: name, m: m, src: src}
	a.bufs = append(a.bufs, b)
	return b
}

func (a *arena) free() {
	for _, b := range a.bufs {
		b.m.free()
	}
}

// reset refills every input and poisons every output.
func (a *arena) reset() {
	for _, b := range a.bufs {
		if b.src != nil {
			copy(b.data(), b.src)
		} else {
			fillBits(b.data(), math.Float32bits(poison))
		}
	}
}

// damage returns what the last call did to memory it must not write: the
// sentinels around every slice, and every slice but out; "" if nothing. It
// restores the sentinels, so one stray write is blamed on one call only.
func (a *arena) damage(out *buf) string {
	msg := ""
	for _, b := range a.bufs {
		m := b.m
		if i := lastDiff(m.all[:m.lo], sentinel); i >= 0 {
			msg = cmp.Or(msg, fmt.Sprintf("wrote %d float(s) before the start of %s", m.lo-i, b.name))
			fillBits(m.all[:m.lo], sentinel)
		}
		if i := firstDiff(m.all[m.lo+m.n:], sentinel); i >= 0 {
			msg = cmp.Or(msg, fmt.Sprintf("wrote %d float(s) past the end of %s", i+1, b.name))
			fillBits(m.all[m.lo+m.n:], sentinel)
		}
		switch {
		case msg != "" || b == out:
		case b.src != nil:
			if i := firstChange(b.data(), b.src); i >= 0 {
				msg = fmt.Sprintf("changed its input %s: [%d] = %v, was %v", b.name, i, b.data()[i], b.src[i])
			}
		default:
			if i := firstDiff(b.data(), math.Float32bits(poison)); i >= 0 {
				msg = fmt.Sprintf("wrote %s[%d] = %v, which is not an output of this call", b.name, i, b.data()[i])
			}
		}
	}
	return msg
}

// where names the slice whose guard page holds addr, for a fault message.
func (a *arena) where(addr uintptr) string {
	page := uintptr(os.Getpagesize())
	for _, b := range a.bufs {
		m := b.m
		if !m.guards {
			continue
		}
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(m.all)))
		hi := lo + uintptr(len(m.all))*4
		start := lo + uintptr(m.lo)*4
		end := start + uintptr(m.n)*4
		switch {
		case lo-page <= addr && addr < lo:
			return fmt.Sprintf(" (%d bytes before the start of %s)", start-addr, b.name)
		case hi <= addr && addr < hi+page:
			return fmt.Sprintf(" (byte %d after the end of %s)", addr-end, b.name)
		}
	}
	return ""
}

// trial runs every method, plain and in place, on the first t.n samples of
// d with every slice placed as t.pl says, and checks each result.
func (c *checker) trial(d *dataset, t trial) {
	s, n := c.s, t.n
	size, C := s.Size(), s.C
	a := &arena{pl: t.pl}
	defer a.free()
	// x comes first so that it gets the placement's offset exactly.
	x := a.add("x", n*size, d.x[:n*size])
	res := a.add("res", n*size, d.res[:n*size])
	z := a.add("z", n*C, d.z[:n*C])
	g := a.add("s", n*C, d.s[:n*C])
	dst := a.add("dst", n*size, nil)
	zOut := a.add("z (output)", n*C, nil)
	sOut := a.add("s (output)", n*C, nil)
	p := &se.Params{
		W1: a.add("W1", len(d.p.W1), d.p.W1).data(),
		W2: a.add("W2", len(d.p.W2), d.p.W2).data(),
	}
	if s.Bias {
		p.B1 = a.add("B1", len(d.p.B1), d.p.B1).data()
		p.B2 = a.add("B2", len(d.p.B2), d.p.B2).data()
	}

	ctx := fmt.Sprintf("batch %d, %v", n, t.pl)
	if t.special {
		ctx += ", NaN/Inf inputs"
	}
	want := func(op se.Op) []float32 { return d.want[op][:len(d.want[op])/d.n*n] }
	k := c.k
	X, R, Z, G, D, ZO, SO := x.data(), res.data(), z.data(), g.data(), dst.data(), zOut.data(), sOut.data()
	for _, cl := range []struct {
		op    se.Op
		alias string
		out   *buf
		f     func()
	}{
		{se.Squeeze, "", zOut, func() { k.Squeeze(ZO, X) }},
		{se.Excite, "", sOut, func() { k.Excite(SO, Z, p) }},
		{se.Excite, "s = z", z, func() { k.Excite(Z, Z, p) }},
		{se.Scale, "", dst, func() { k.Scale(D, X, G) }},
		{se.Scale, "dst = x", x, func() { k.Scale(X, X, G) }},
		{se.ScaleAddReLU, "", dst, func() { k.ScaleAddReLU(D, X, G, R) }},
		{se.ScaleAddReLU, "dst = x", x, func() { k.ScaleAddReLU(X, X, G, R) }},
		{se.ScaleAddReLU, "dst = res", res, func() { k.ScaleAddReLU(R, X, G, R) }},
		{se.Forward, "", dst, func() { k.Forward(D, X, p) }},
		{se.Forward, "dst = x", x, func() { k.Forward(X, X, p) }},
		{se.ForwardAddReLU, "", dst, func() { k.ForwardAddReLU(D, X, R, p) }},
		{se.ForwardAddReLU, "dst = x", x, func() { k.ForwardAddReLU(X, X, R, p) }},
		{se.ForwardAddReLU, "dst = res", res, func() { k.ForwardAddReLU(R, X, R, p) }},
	} {
		if c.budget[cl.op] <= 0 {
			continue
		}
		where := ctx
		if cl.alias != "" {
			where += ", " + cl.alias
		}
		a.reset()
		panicked := protect(a, cl.f)
		damaged := a.damage(cl.out) // also repairs the sentinels after a panic
		if msg := cmp.Or(panicked, damaged); msg != "" {
			c.errorf(cl.op, "(%s): %s", where, msg)
			continue
		}
		got := cl.out.data()
		msg := ""
		if cl.op == se.Squeeze && d.spans != nil {
			msg = c.compareSpans(got, want(cl.op), d.spans[:len(got)])
		} else {
			msg = c.compare(cl.op, got, want(cl.op), d.atol[cl.op])
		}
		if msg != "" {
			c.errorf(cl.op, "(%s): %s", where, msg)
		}
	}
}

// protect runs f and returns a description of its panic, or "". A memory
// fault (a panic with an Addr, thanks to SetPanicOnFault) is named by the
// slice whose guard page it hit.
func protect(a *arena, f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("panicked: %v", r)
			if e, ok := r.(interface{ Addr() uintptr }); ok && a != nil {
				msg += a.where(e.Addr())
			}
		}
	}()
	f()
	return ""
}
