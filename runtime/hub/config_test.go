package hub

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/imagenet"
)

// TestReadConfig reads config.json files written by timm's own
// save_config_for_hf (tools/hub_fixtures.py) and checks them against the
// pretrained cfgs of timm's resnet.py and senet.py.
func TestReadConfig(t *testing.T) {
	cases := []struct {
		dir, arch, tag string
		classes, size  int
		interp         string
		cropPct        float64
		cropMode       string
		mean           float64 // first channel
	}{
		{"seresnet50.a1_in1k", "seresnet50", "a1_in1k", 1000, 224, "bicubic", 0.95, "center", 0.485},
		{"seresnet50.a3_in1k", "seresnet50", "a3_in1k", 1000, 160, "bicubic", 0.95, "center", 0.485},
		{"seresnet50.ra2_in1k", "seresnet50", "ra2_in1k", 1000, 224, "bicubic", 0.875, "center", 0.485},
		{"seresnet152d.ra2_in1k", "seresnet152d", "ra2_in1k", 1000, 256, "bicubic", 0.95, "center", 0.485},
		{"seresnext50_32x4d.racm_in1k", "seresnext50_32x4d", "racm_in1k", 1000, 224, "bicubic", 0.875, "center", 0.485},
		{"seresnextaa201d_32x8d.sw_in12k", "seresnextaa201d_32x8d", "sw_in12k", 11821, 320, "bicubic", 0.95, "center", 0.485},
		{"legacy_seresnet18.in1k", "legacy_seresnet18", "in1k", 1000, 224, "bicubic", 0.875, "center", 0.485},
		{"legacy_senet154.in1k", "legacy_senet154", "in1k", 1000, 224, "bilinear", 0.875, "center", 0.485},
		// The top level's num_classes wins over pretrained_cfg's (1000 here).
		{"resnet18.labels", "resnet18", "a1_in1k", 3, 64, "bicubic", 0.95, "center", 0.485},
		{"seresnet18.squash", "seresnet18", "untrained", 3, 64, "bilinear", 1.0, "squash", 0.5},
		{"resnet18.border", "resnet18", "a1_in1k", 3, 32, "bicubic", 0.9, "border", 0.485},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			got, err := ReadConfig(filepath.Join("../../testdata/hub", c.dir, ConfigFile))
			if err != nil {
				t.Fatal(err)
			}
			want := Config{
				Architecture: c.arch, Tag: c.tag, NumClasses: c.classes,
				InputSize: [3]int{3, c.size, c.size}, Interpolation: c.interp, CropPct: c.cropPct, CropMode: c.cropMode,
			}
			if got.Architecture != want.Architecture || got.Tag != want.Tag || got.NumClasses != want.NumClasses ||
				got.InputSize != want.InputSize || got.Interpolation != want.Interpolation ||
				got.CropPct != want.CropPct || got.CropMode != want.CropMode || got.Mean[0] != c.mean || len(got.Std) != 3 {
				t.Errorf("got %+v\nwant %+v", *got, want)
			}
			if got.FixedInputSize {
				t.Error("fixed_input_size set")
			}
			if c.dir != "resnet18.labels" && got.LabelNames != nil {
				t.Errorf("label names %v in a config without them", got.LabelNames)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	c, err := ReadConfig("../../testdata/hub/resnet18.labels/config.json")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"n01440764", "n01443537", "n01484850"}; !slices.Equal(c.LabelNames, want) {
		t.Errorf("label names %q, want %q", c.LabelNames, want)
	}
	if got := c.Labels(); len(got) != 3 || got[0] != "tench, Tinca tinca" || !strings.HasPrefix(got[2], "great white shark") {
		t.Errorf("labels %q", got)
	}
	// A sparse map, and names without descriptions.
	c, err = ParseConfig([]byte(`{"architecture": "resnet18", "num_classes": 4, "label_names": {"0": "a", "3": "d"},
		"label_descriptions": {"d": "the letter d"}, "pretrained_cfg": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Labels(), []string{"a", "", "", "the letter d"}; !slices.Equal(got, want) {
		t.Errorf("labels %q, want %q", got, want)
	}
}

// TestParseConfigInert: what timm writes beside the recipe, and model_args
// that change nothing at inference, are accepted.
func TestParseConfigInert(t *testing.T) {
	c, err := ParseConfig([]byte(`{"architecture": "resnet50", "num_classes": 2, "num_features": 2048, "global_pool": "avg",
		"model_args": {"drop_rate": 0.2, "drop_path_rate": 0.05, "global_pool": "avg", "in_chans": 3, "num_classes": 2, "zero_init_last": null},
		"label_names": {"0": "a"}, "something_new": {"x": [1, null]},
		"pretrained_cfg": {"tag": "x", "custom_load": false, "test_input_size": [3, 288, 288], "test_crop_pct": 1.0,
		"pool_size": [7, 7], "first_conv": "conv1", "classifier": "fc", "license": "apache-2.0", "notes": null, "origin_url": "u"}}`))
	if err != nil {
		t.Fatal(err)
	}
	// A sparse map names the classes it gives; the others, to num_classes, are "".
	if !slices.Equal(c.LabelNames, []string{"a", ""}) {
		t.Errorf("label names %q, want [a, \"\"]", c.LabelNames)
	}
}

// TestParseConfigLegacy reads the older single-object layout, which timm
// still accepts: no pretrained_cfg, everything at the top, "labels".
func TestParseConfigLegacy(t *testing.T) {
	c, err := ParseConfig([]byte(`{"architecture": "seresnet50", "num_classes": 10, "input_size": [3, 256, 256],
		"interpolation": "bilinear", "crop_pct": 1.0, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25],
		"labels": ["a", "b"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Architecture != "seresnet50" || c.NumClasses != 10 || c.InputSize != [3]int{3, 256, 256} ||
		c.Interpolation != "bilinear" || c.CropPct != 1 || c.CropMode != "center" || c.Std[0] != 0.25 || !slices.Equal(c.LabelNames, []string{"a", "b"}) {
		t.Errorf("got %+v", *c)
	}
}

// TestParseConfigDefaults: what config.json leaves out takes timm's
// defaults (PretrainedCfg and resolve_data_config).
func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig([]byte(`{"architecture": "resnet50", "pretrained_cfg": {"tag": "x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.NumClasses != 0 || c.InputSize != [3]int{3, 224, 224} || c.Interpolation != "bicubic" || c.CropPct != 0.875 ||
		c.CropMode != "center" || !slices.Equal(c.Mean, defaultMean) || !slices.Equal(c.Std, defaultStd) {
		t.Errorf("got %+v", *c)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct{ json, want string }{
		{`[1, 2]`, "not a timm config: the file holds an array, want a JSON object"},
		{`{"pretrained_cfg": {}}`, `no "architecture"`},
		{`{"architecture": "x", "pretrained_cfg": {"input_size": [224, 224]}}`, "input_size [224 224]: want [channels, height, width]"},
		{`{"architecture": "x", "pretrained_cfg": {"input_size": [3, 0, 224]}}`, "all positive"},
		{`{"architecture": "x", "pretrained_cfg": {"crop_pct": "big"}}`, "pretrained_cfg.crop_pct: got a string, want a number"},
		{`{"architecture": "x", "num_classes": "1000", "pretrained_cfg": {}}`, "num_classes: got a string, want an integer"},
		{`{"architecture": "x", "pretrained_cfg": {"input_size": [3, 224.0, 224]}}`, "pretrained_cfg.input_size: got the number 224.0, want an integer"},
		{`{"architecture": "x", "pretrained_cfg": {"mean": "0.5"}}`, "pretrained_cfg.mean: got a string, want a list"},
		{`{"architecture": "x", "pretrained_cfg": [1]}`, "pretrained_cfg: got an array, want an object"},
		{`{"architecture": 5, "pretrained_cfg": {}}`, "architecture: got a number, want a string"},
		{`{"architecture": "x", "interpolation": 3}`, "interpolation: got a number, want a string"}, // the older layout
		{"hello", "not a timm config (a JSON object): invalid character 'h'"},
		{"\xef\xbb\xbf{}", "starts with a UTF-8 byte order mark"},
		{`{"architecture": "x", "pretrained_cfg": {"tag": "a"`, "not a timm config (a JSON object): unexpected end of JSON input"},
		{"", "not a timm config (a JSON object): unexpected end of JSON input"},
		{`{"architecture": "x", "num_classes": 0, "pretrained_cfg": {}}`, "num_classes 0: a network without a classifier"},
		{`{"architecture": "x", "global_pool": "max", "pretrained_cfg": {}}`, `global_pool "max": segen pools by average`},
		{`{"architecture": "resnet50", "model_args": {"act_layer": "silu", "drop_rate": 0.2, "stem_width": 64}, "pretrained_cfg": {}}`,
			`model_args act_layer "silu", stem_width 64: the network differs from timm's resnet50 by name`},
		{`{"architecture": "resnet50", "model_args": {"global_pool": "max"}, "pretrained_cfg": {}}`, `model_args global_pool "max"`},
		{`{"architecture": "x", "num_classes": -1, "pretrained_cfg": {}}`, "num_classes -1 is negative"},
		{`{"architecture": "x", "label_names": 7, "pretrained_cfg": {}}`, "label_names: want a list"},
		{`{"architecture": "x", "num_classes": 2, "label_names": {"2": "c"}, "pretrained_cfg": {}}`, `key "2" is not a class index below 2`},
		{`{"architecture": "x", "label_names": {"99999999999": "c"}, "pretrained_cfg": {}}`, "not a class index below 1048576"},
	}
	for _, c := range cases {
		_, err := ParseConfig([]byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error saying %q", c.json, err, c.want)
		}
	}
}

func TestPreprocessing(t *testing.T) {
	c, err := ReadConfig("../../testdata/hub/seresnet152d.ra2_in1k/config.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Preprocessing()
	if err != nil {
		t.Fatal(err)
	}
	want := imagenet.Config{Size: 256, CropPct: 0.95, Interp: imagenet.Bicubic, Antialias: true, Mean: imagenet.Mean, Std: imagenet.Std, Crop: imagenet.Center}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got.ResizeSide() != 269 { // floor(256 / 0.95)
		t.Errorf("resize side %d, want 269", got.ResizeSide())
	}
	c, err = ReadConfig("../../testdata/hub/seresnet18.squash/config.json")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Preprocessing(); err != nil || got.Crop != imagenet.Squash || got.Interp != imagenet.Bilinear || got.Mean != [3]float32{0.5, 0.5, 0.5} {
		t.Errorf("squash: got %+v, %v", got, err)
	}

	bad := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.InputSize = [3]int{1, 224, 224} }, "1 channels"},
		{func(c *Config) { c.InputSize = [3]int{3, 256, 320} }, "not square"},
		{func(c *Config) { c.Interpolation = "lanczos" }, `interpolation "lanczos": segen resizes with bilinear or bicubic`},
		{func(c *Config) { c.CropMode = "random" }, `crop_mode "random"`},
		{func(c *Config) { c.Mean = []float64{0.5} }, "want 3 values each"},
		{func(c *Config) { c.CropPct = 1.5 }, "crop fraction 1.5"},
		{func(c *Config) { c.CropPct = 1e-300 }, "crop fraction 1e-300 resizes to more than 65536 pixels a side"},
		{func(c *Config) { c.InputSize = [3]int{3, 100000, 100000} }, "crop size 100000 must be between 1 and 2048"},
		{func(c *Config) { c.Std = []float64{1, 0, 1} }, "std [1 0 1]: want 3 positive values"},
		{func(c *Config) { c.Std = []float64{-0.2, 0.2, 0.2} }, "std [-0.2 0.2 0.2]: want 3 positive values"},
	}
	for _, b := range bad {
		c, _ := ParseConfig([]byte(`{"architecture": "x", "pretrained_cfg": {}}`))
		b.edit(c)
		if _, err := c.Preprocessing(); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("got %v, want an error saying %q", err, b.want)
		}
	}
}
