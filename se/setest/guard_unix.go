//go:build unix

package setest

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapGuarded maps whole pages for lead+n floats between two PROT_NONE pages.
// The slice starts lead floats after the first guard, or ends right at the
// second one when atEnd. Both guards exist either way: the far one costs
// nothing and catches wilder accesses.
func mapGuarded(n, lead int, atEnd bool) *mapping {
	page := os.Getpagesize()
	body := ((lead+n)*4 + page - 1) / page * page
	body = max(body, page)
	mem, err := unix.Mmap(-1, 0, body+2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		panic(fmt.Sprintf("setest: mmap %d bytes: %v", body+2*page, err))
	}
	if err := unix.Mprotect(mem[:page], unix.PROT_NONE); err != nil {
		panic(fmt.Sprintf("setest: mprotect: %v", err))
	}
	if err := unix.Mprotect(mem[page+body:], unix.PROT_NONE); err != nil {
		panic(fmt.Sprintf("setest: mprotect: %v", err))
	}
	all := unsafe.Slice((*float32)(unsafe.Pointer(&mem[page])), body/4)
	lo := lead
	if atEnd {
		lo = len(all) - n
	}
	return &mapping{all: all, lo: lo, n: n, guards: true, free: func() {
		if err := unix.Munmap(mem); err != nil {
			panic(fmt.Sprintf("setest: munmap: %v", err))
		}
	}}
}
