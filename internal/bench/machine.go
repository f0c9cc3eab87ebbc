package bench

import (
	"bufio"
	"os"
	"runtime"
	"strings"

	"github.com/segen/segen/isa"
)

// Machine describes where the numbers come from; the JSON records it as is.
type Machine struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPU       string `json:"cpu"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	SegenISA  string `json:"segen_isa"` // the SEGEN_ISA environment variable, "" if unset
}

// ThisMachine describes the machine the program runs on.
func ThisMachine() Machine {
	return Machine{
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		CPU:       cpuModel(),
		CPUs:      runtime.NumCPU(),
		GoVersion: runtime.Version(),
		SegenISA:  isa.Override(),
	}
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
