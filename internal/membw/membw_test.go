package membw

import (
	"testing"
	"time"
)

// The vector loops must agree with plain Go for every length around their
// block sizes (0…300 covers several AVX-512 blocks plus every tail) and at
// every alignment. Values are small integers, so every order of summation
// gives the exact same float32.
func TestSum(t *testing.T) { eachISA(t, testSum) }

func TestCopy(t *testing.T) { eachISA(t, testCopy) }

// eachISA runs test once with each set of loops the CPU runs.
func eachISA(t *testing.T, test func(t *testing.T)) {
	defer func(v loops) { vec = v }(vec)
	for _, l := range available() {
		vec = l
		t.Run(l.isa.String(), test)
	}
}

func testSum(t *testing.T) {
	buf := make([]float32, 300+8)
	for i := range buf {
		buf[i] = float32(i%7 - 3)
	}
	for off := range 4 {
		for n := 0; n <= 300; n++ {
			x := buf[off : off+n]
			var want float32
			for _, v := range x {
				want += v
			}
			if got := Sum(x); got != want {
				t.Fatalf("%s: Sum(buf[%d:%d]) = %v, want %v", ISA(), off, off+n, got, want)
			}
		}
	}
}

func testCopy(t *testing.T) {
	const guard = -1
	src := make([]float32, 300+8)
	for i := range src {
		src[i] = float32(i + 1)
	}
	dst := make([]float32, len(src)+8)
	for soff := range 4 {
		for doff := range 4 {
			for n := 0; n <= 300; n++ {
				for i := range dst {
					dst[i] = guard
				}
				if got := Copy(dst[doff:doff+n], src[soff:soff+n]); got != n {
					t.Fatalf("Copy returned %d, want %d", got, n)
				}
				for i, v := range dst {
					want := float32(guard)
					if i >= doff && i < doff+n {
						want = src[soff+i-doff]
					}
					if v != want {
						t.Fatalf("%s: Copy n=%d src+%d dst+%d: dst[%d] = %v, want %v", ISA(), n, soff, doff, i, v, want)
					}
				}
			}
		}
	}
}

// Copy copies min(len(dst), len(src)) values, like the builtin.
func TestCopyLengths(t *testing.T) {
	src := make([]float32, 200)
	for i := range src {
		src[i] = float32(i)
	}
	if n := Copy(make([]float32, 150), src); n != 150 {
		t.Errorf("Copy into a shorter dst returned %d, want 150", n)
	}
	if n := Copy(make([]float32, 250), src); n != 200 {
		t.Errorf("Copy from a shorter src returned %d, want 200", n)
	}
}

// Overlapping slices behave as with the builtin copy (memmove).
func TestCopyOverlap(t *testing.T) {
	for _, shift := range []int{-65, -1, 1, 64, 65} {
		a := make([]float32, 400)
		b := make([]float32, 400)
		for i := range a {
			a[i], b[i] = float32(i), float32(i)
		}
		lo, hi := 100, 100+shift
		Copy(a[hi:hi+200], a[lo:lo+200])
		copy(b[hi:hi+200], b[lo:lo+200])
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("shift %d: a[%d] = %v, want %v", shift, i, a[i], b[i])
			}
		}
	}
}

func TestMeasure(t *testing.T) {
	levels := []Level{{"small", 16 << 10, 32 << 10}, {"big", 256 << 10, 0}}
	bws := Measure(levels, time.Millisecond)
	for _, b := range bws {
		if !(b.Read > 0 && b.Copy > 0) {
			t.Errorf("%v: read %v GB/s, copy %v GB/s; want positive", b.Level, b.Read, b.Copy)
		}
	}
	if got := For(bws, 32<<10).Name; got != "small" {
		t.Errorf("For(32K) = %s, want small", got)
	}
	if got := For(bws, 1<<30).Name; got != "big" {
		t.Errorf("For(1G) = %s, want big", got)
	}
}

func TestSize(t *testing.T) {
	for b, want := range map[int64]string{32 << 10: "32K", 1 << 20: "1M", 64 << 20: "64M", 100: "100B", 1536: "1536B"} {
		if got := Size(b); got != want {
			t.Errorf("Size(%d) = %q, want %q", b, got, want)
		}
	}
}

func TestLevels(t *testing.T) {
	got := levelsFor([3]int{48 << 10, 1 << 20, 32 << 20})
	want := []Level{{"L1", 24 << 10, 48 << 10}, {"L2", 512 << 10, 1 << 20}, {"L3", 16 << 20, 32 << 20}, {"DRAM", 64 << 20, 0}}
	if len(got) != len(want) {
		t.Fatalf("levelsFor = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("level %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := levelsFor([3]int{}); got[1].Limit != int64(fallbackCaches[1]) {
		t.Errorf("unknown L2 gives limit %d, want the fallback %d", got[1].Limit, fallbackCaches[1])
	}
	for _, l := range Levels() {
		if l.Bytes <= 0 || (l.Limit != 0 && int64(l.Bytes) > l.Limit) {
			t.Errorf("Levels() has %+v", l)
		}
	}
}

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int{"48K": 48 << 10, "1024K": 1 << 20, "32M": 32 << 20, "512": 512, "": 0, "xK": 0} {
		if got := parseSize(s); got != want {
			t.Errorf("parseSize(%q) = %d, want %d", s, got, want)
		}
	}
}
