package bench

import (
	"encoding/json"

	"github.com/segen/segen/internal/membw"
)

// Schema names the format of KernelResult.JSON; a change of its fields is a
// new version.
const Schema = "segen-bench/2"

// jsonOut is the document KernelResult.JSON writes; segen bench -json's help
// documents it field by field.
type jsonOut struct {
	Schema    string        `json:"schema"`
	Machine   Machine       `json:"machine"`
	Quick     bool          `json:"quick"`
	Count     int           `json:"count"`
	TargetNs  int64         `json:"target_ns"`
	Bandwidth jsonBandwidth `json:"bandwidth"`
	Records   []jsonRecord  `json:"records"`
}

type jsonBandwidth struct {
	ISA    string      `json:"isa"`
	Levels []jsonLevel `json:"levels"`
}

type jsonLevel struct {
	Level      string  `json:"level"`
	Bytes      int     `json:"bytes"`
	LimitBytes int64   `json:"limit_bytes"` // 0: no limit
	Read       float64 `json:"read_gb_per_s"`
	Copy       float64 `json:"copy_gb_per_s"`
}

type jsonRecord struct {
	Block      string    `json:"block"`
	Layout     string    `json:"layout"`
	C          int       `json:"c"`
	H          int       `json:"h"`
	W          int       `json:"w"`
	Hidden     int       `json:"hidden"`
	Op         string    `json:"op"`
	Impl       string    `json:"impl"`
	ISA        string    `json:"isa"`
	Run        int       `json:"run"`
	Iterations int       `json:"iterations"`
	ChunkNs    []float64 `json:"chunk_ns_per_op"`
	NsPerOp    float64   `json:"ns_per_op"`
	BytesPerOp int64     `json:"bytes_per_op"`
	GBPerS     float64   `json:"gb_per_s"`
	WorkingSet int64     `json:"working_set_bytes"`
	BWLevel    string    `json:"bw_level"`
	BWKind     string    `json:"bw_kind"`
	BWGBPerS   float64   `json:"bw_gb_per_s"`
	PctOfBW    float64   `json:"pct_of_bw"`
	Speedup    float64   `json:"speedup_vs_generic"` // 0 when generic was not measured
}

// JSON returns every measurement as an indented JSON document of Schema,
// ending in a newline.
func (r *KernelResult) JSON() ([]byte, error) {
	out := jsonOut{
		Schema:    Schema,
		Machine:   r.Machine,
		Quick:     r.Quick,
		Count:     r.Count,
		TargetNs:  r.Target.Nanoseconds(),
		Bandwidth: jsonBandwidth{ISA: membw.ISA()},
		Records:   []jsonRecord{},
	}
	for _, b := range r.Bandwidth {
		out.Bandwidth.Levels = append(out.Bandwidth.Levels, jsonLevel{b.Name, b.Bytes, b.Limit, b.Read, b.Copy})
	}
	for _, m := range r.Records {
		s := m.Block.Kernel.Shape()
		out.Records = append(out.Records, jsonRecord{
			Block: m.Block.Name, Layout: s.Layout.String(), C: s.C, H: s.H, W: s.W, Hidden: s.Hidden,
			Op: string(m.Op), Impl: m.Impl, ISA: m.ISA, Run: m.Run, Iterations: m.Iterations, ChunkNs: m.ChunkNs(),
			NsPerOp: m.NsPerOp, BytesPerOp: m.Bytes, GBPerS: m.GBPerS(), WorkingSet: m.WorkingSet,
			BWLevel: m.BWLevel, BWKind: m.BWKind, BWGBPerS: m.BWGBPerS, PctOfBW: m.PctOfBW(), Speedup: m.Speedup,
		})
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
