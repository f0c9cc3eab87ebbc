package tensor

import "testing"

func TestLayoutRoundTrip(t *testing.T) {
	n, c, h, w := 2, 3, 4, 5
	src := make([]float32, n*c*h*w)
	for i := range src {
		src[i] = float32(i)
	}
	nhwc := make([]float32, len(src))
	NCHWToNHWC(nhwc, src, n, c, h, w)
	// Spot-check one value: sample 1, channel 2, y 3, x 4.
	if got, want := nhwc[((1*h+3)*w+4)*c+2], src[((1*c+2)*h+3)*w+4]; got != want {
		t.Fatalf("NCHWToNHWC: got %v, want %v", got, want)
	}
	back := make([]float32, len(src))
	NHWCToNCHW(back, nhwc, n, c, h, w)
	for i := range src {
		if back[i] != src[i] {
			t.Fatalf("round trip differs at %d: %v != %v", i, back[i], src[i])
		}
	}
}

func TestFrom(t *testing.T) {
	if _, err := From(make([]float32, 6), 2, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := From(make([]float32, 5), 2, 3); err == nil {
		t.Fatal("From accepted 5 values for shape [2 3]")
	}
	if x := New(2, 0, 3); x.Len() != 0 || len(x.Data) != 0 {
		t.Fatalf("New(2,0,3) has %d values", x.Len())
	}
}
