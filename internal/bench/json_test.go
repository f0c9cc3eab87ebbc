package bench

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestJSON checks the document against the records it comes from.
func TestJSON(t *testing.T) {
	r := synthetic(t)
	data, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema    string  `json:"schema"`
		Machine   Machine `json:"machine"`
		Quick     bool    `json:"quick"`
		Count     int     `json:"count"`
		TargetNs  int64   `json:"target_ns"`
		Bandwidth struct {
			Levels []jsonLevel `json:"levels"`
		} `json:"bandwidth"`
		Records []jsonRecord `json:"records"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != Schema || doc.Machine != r.Machine || !doc.Quick || doc.Count != 3 || doc.TargetNs != 5e6 {
		t.Errorf("header %+v", doc)
	}
	if len(doc.Bandwidth.Levels) != 2 || doc.Bandwidth.Levels[0] != (jsonLevel{"L1", 16 << 10, 32 << 10, 100, 90}) {
		t.Errorf("bandwidth levels %+v", doc.Bandwidth.Levels)
	}
	if len(doc.Records) != len(r.Records) {
		t.Fatalf("%d records, want %d", len(doc.Records), len(r.Records))
	}
	for i, got := range doc.Records {
		m := r.Records[i]
		if got.Block != "basic4_nchw" || got.Layout != "nchw" || got.C != 512 || got.H != 7 || got.Hidden != 32 ||
			got.Impl != m.Impl || got.Run != m.Run || got.NsPerOp != m.NsPerOp || got.GBPerS != m.GBPerS() ||
			got.PctOfBW != m.PctOfBW() || got.Speedup != m.Speedup || len(got.ChunkNs) != 1 || got.ChunkNs[0] != m.NsPerOp {
			t.Errorf("record %d: %+v, from %+v", i, got, *m)
		}
	}
	empty, err := (&KernelResult{}).JSON()
	if err != nil || !bytes.Contains(empty, []byte(`"records": []`)) || !bytes.HasSuffix(empty, []byte("}\n")) {
		t.Errorf("JSON of no measurements: %s, %v", empty, err)
	}
}
