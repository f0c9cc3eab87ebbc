package setest

import "unsafe"

// Guarded returns a slice of n float32 placed directly against an
// inaccessible page: after its end when atEnd, else before its start. A
// kernel that reads or writes even one element outside the slice on that side
// faults instead of silently touching a neighbour's memory. free releases the
// memory; the slice must not be used afterwards. Where mmap is unavailable
// (non-unix systems) it falls back to a plain allocation without guards.
//
// The fault is fatal unless the goroutine has called
// runtime/debug.SetPanicOnFault(true), as Check does to report it as a
// failure.
func Guarded(n int, atEnd bool) (s []float32, free func()) {
	m := mapGuarded(n, 0, atEnd)
	return m.data(), m.free
}

// mapping is memory between two guard pages (or a plain allocation where
// there are none): all is everything accessible, and the slice handed to a
// kernel is all[lo:lo+n]. The rest of all holds sentinels so writes outside
// the slice but short of a guard page are caught too.
type mapping struct {
	all    []float32
	lo, n  int
	guards bool // whether inaccessible pages surround all
	free   func()
}

func (m *mapping) data() []float32 { return m.all[m.lo : m.lo+m.n : m.lo+m.n] }

// plainMapping is the fallback: a heap allocation with all starting at a
// 64-byte boundary (so lead sets the slice's alignment, as with pages), and
// a cache line after the slice for sentinels.
func plainMapping(n, lead int) *mapping {
	v := make([]float32, 16+lead+n+16)
	skip := int(-uintptr(unsafe.Pointer(unsafe.SliceData(v))) % 64 / 4)
	return &mapping{all: v[skip:], lo: lead, n: n, free: func() {}}
}
