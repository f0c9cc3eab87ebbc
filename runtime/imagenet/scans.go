package imagenet

import (
	"fmt"
	"io"
)

// scanLimit passes a JPEG stream through and fails once it has carried
// more than max scans (SOS markers). It follows the stream's structure —
// segments skipped by their length, entropy-coded data up to the next
// marker that is not a restart — so bytes inside a segment (a thumbnail,
// an ICC profile) are never taken for markers.
type scanLimit struct {
	r     io.Reader
	max   int
	scans int
	err   error

	state  scanState
	marker byte // the marker whose segment is being read
	length int  // its length, once both bytes are in
	skip   int  // segment bytes still to pass
}

type scanState int

const (
	betweenSegments scanState = iota // expecting 0xFF
	markerCode                       // after 0xFF: the marker's code
	lengthHigh
	lengthLow
	segment
	entropy   // a scan's entropy-coded data
	entropyFF // 0xFF inside entropy-coded data
)

const sos = 0xda

func (s *scanLimit) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	for _, b := range p[:n] {
		s.step(b)
	}
	if s.scans > s.max {
		s.err = fmt.Errorf("progressive JPEG of more than %d scans", s.max)
		return 0, s.err
	}
	return n, err
}

// step advances the parse by one byte.
func (s *scanLimit) step(b byte) {
	switch s.state {
	case betweenSegments:
		if b == 0xff {
			s.state = markerCode
		}
	case markerCode, entropyFF:
		switch {
		case b == 0xff: // fill byte
		case s.state == entropyFF && (b == 0x00 || 0xd0 <= b && b <= 0xd7):
			s.state = entropy // stuffed 0xFF or a restart marker
		case b == 0x00 || b == 0x01 || 0xd0 <= b && b <= 0xd9:
			s.state = betweenSegments // a marker without a segment
		default:
			s.marker, s.state = b, lengthHigh
		}
	case lengthHigh:
		s.length, s.state = int(b)<<8, lengthLow
	case lengthLow:
		s.skip = s.length + int(b) - 2
		if s.marker == sos {
			s.scans++
		}
		s.state = segment
		if s.skip <= 0 {
			s.endSegment()
		}
	case segment:
		if s.skip--; s.skip <= 0 {
			s.endSegment()
		}
	case entropy:
		if b == 0xff {
			s.state = entropyFF
		}
	}
}

func (s *scanLimit) endSegment() {
	s.state = betweenSegments
	if s.marker == sos {
		s.state = entropy
	}
}
