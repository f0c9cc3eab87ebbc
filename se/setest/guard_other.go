//go:build !unix

package setest

// mapGuarded falls back to a plain allocation: without mmap there are no
// guard pages, and only the sentinels around the slice catch stray writes.
func mapGuarded(n, lead int, atEnd bool) *mapping {
	return plainMapping(n, lead)
}
