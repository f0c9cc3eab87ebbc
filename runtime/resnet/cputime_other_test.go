//go:build !unix

package resnet

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
