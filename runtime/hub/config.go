// Package hub reads timm checkpoints as the Hugging Face Hub lays them out:
// a model folder holding model.safetensors and config.json, found by path
// or, for a repository id such as "timm/seresnet50.a1_in1k", in the local
// Hugging Face cache. config.json says which architecture the weights are
// for and how the model was evaluated (input size, interpolation, crop
// fraction and mode, mean and standard deviation, class names); Config
// holds what segen uses of it and Preprocessing turns it into the
// runtime/imagenet recipe. The package downloads nothing.
package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Config is what segen uses of a timm config.json, resolved the way timm's
// load_model_config_from_path and resolve_data_config resolve it: the
// "pretrained_cfg" object (or, in the older single-object files, the top
// level itself), top-level num_classes, label_names and
// label_descriptions taking precedence, and timm's defaults for what is
// absent.
type Config struct {
	Architecture string // timm's model name, e.g. "seresnet50"
	Tag          string // the pretrained tag, e.g. "a1_in1k"; "" when absent
	NumClasses   int    // 0 when absent

	InputSize      [3]int  // channels, height, width; default 3, 224, 224
	FixedInputSize bool    // the network takes no other size
	Interpolation  string  // "bilinear", "bicubic", ...; default "bicubic"
	CropPct        float64 // default 0.875
	CropMode       string  // "center" (default), "squash" or "border"
	Mean, Std      []float64

	// LabelNames maps class index → label name (an ImageNet synset such as
	// "n01440764"); nil when absent, "" for an index a sparse map skips.
	LabelNames []string
	// LabelDescriptions maps label name → description ("tench, Tinca tinca").
	LabelDescriptions map[string]string
}

// timm's defaults: PretrainedCfg's and resolve_data_config's.
var (
	defaultMean = []float64{0.485, 0.456, 0.406}
	defaultStd  = []float64{0.229, 0.224, 0.225}
)

// maxConfig bounds the size of a config.json read (an ImageNet-21k model's
// label names and descriptions are about 2 MB).
const maxConfig = 32 << 20

// maxLabels bounds the class index a sparse label map may name.
const maxLabels = 1 << 20

// ReadConfig reads a config.json file.
func ReadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfig+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfig {
		return nil, fmt.Errorf("%s: larger than %d MiB; not a model config", path, maxConfig>>20)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// pretrainedCfg is the part of timm's PretrainedCfg segen reads.
type pretrainedCfg struct {
	Architecture      string            `json:"architecture"`
	Tag               string            `json:"tag"`
	NumClasses        *int              `json:"num_classes"`
	InputSize         []int             `json:"input_size"`
	FixedInputSize    bool              `json:"fixed_input_size"`
	Interpolation     string            `json:"interpolation"`
	CropPct           *float64          `json:"crop_pct"`
	CropMode          string            `json:"crop_mode"`
	Mean              []float64         `json:"mean"`
	Std               []float64         `json:"std"`
	LabelNames        json.RawMessage   `json:"label_names"`
	Labels            json.RawMessage   `json:"labels"` // the older name of label_names
	LabelDescriptions map[string]string `json:"label_descriptions"`
}

// top is the top level of a config.json as timm's save_config_for_hf
// writes it.
type top struct {
	Architecture      string                     `json:"architecture"`
	NumClasses        *int                       `json:"num_classes"`
	GlobalPool        string                     `json:"global_pool"`
	ModelArgs         map[string]json.RawMessage `json:"model_args"`
	LabelNames        json.RawMessage            `json:"label_names"`
	LabelDescriptions map[string]string          `json:"label_descriptions"`
	PretrainedCfg     *pretrainedCfg             `json:"pretrained_cfg"`
}

// inertArgs are the model_args (timm.create_model's keyword arguments,
// which config.json may carry) that change nothing at inference: dropout
// and initialisation. Any other changes the network beyond what its name
// says, which segen cannot build, so ParseConfig refuses it rather than
// run another network; num_classes and global_pool are checked by value.
var inertArgs = []string{"drop_rate", "drop_path_rate", "drop_block_rate", "zero_init_last", "num_classes"}

// ParseConfig parses the content of a config.json.
func ParseConfig(data []byte) (*Config, error) {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, errors.New("not a timm config: starts with a UTF-8 byte order mark, which JSON (and timm) refuse; save the file without it")
	}
	var t top
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, jsonError(err)
	}
	if err := checkBuild(t); err != nil {
		return nil, err
	}
	p := t.PretrainedCfg
	if p == nil { // the older layout: one object, "labels" for label_names
		p = new(pretrainedCfg)
		if err := json.Unmarshal(data, p); err != nil {
			return nil, jsonError(err)
		}
		if p.LabelNames == nil {
			p.LabelNames = p.Labels
		}
	} else {
		p.Architecture = t.Architecture
		if t.NumClasses != nil {
			p.NumClasses = t.NumClasses
		}
		if t.LabelNames != nil {
			p.LabelNames = t.LabelNames
		}
		if t.LabelDescriptions != nil {
			p.LabelDescriptions = t.LabelDescriptions
		}
	}
	if p.Architecture == "" {
		return nil, fmt.Errorf("not a timm config: no \"architecture\"")
	}
	c := &Config{
		Architecture:      p.Architecture,
		Tag:               p.Tag,
		InputSize:         [3]int{3, 224, 224},
		FixedInputSize:    p.FixedInputSize,
		Interpolation:     "bicubic",
		CropPct:           0.875,
		CropMode:          "center",
		Mean:              defaultMean,
		Std:               defaultStd,
		LabelDescriptions: p.LabelDescriptions,
	}
	if p.NumClasses != nil {
		switch n := *p.NumClasses; {
		case n < 0:
			return nil, fmt.Errorf("num_classes %d is negative", n)
		case n == 0:
			return nil, errors.New("num_classes 0: a network without a classifier (timm's features-only head); segen runs classifiers")
		}
		c.NumClasses = *p.NumClasses
	}
	if p.InputSize != nil {
		if len(p.InputSize) != 3 || p.InputSize[0] < 1 || p.InputSize[1] < 1 || p.InputSize[2] < 1 {
			return nil, fmt.Errorf("input_size %v: want [channels, height, width], all positive", p.InputSize)
		}
		c.InputSize = [3]int(p.InputSize)
	}
	if p.Interpolation != "" {
		c.Interpolation = p.Interpolation
	}
	if p.CropPct != nil {
		c.CropPct = *p.CropPct
	}
	if p.CropMode != "" {
		c.CropMode = p.CropMode
	}
	if p.Mean != nil {
		c.Mean = p.Mean
	}
	if p.Std != nil {
		c.Std = p.Std
	}
	if p.LabelNames != nil {
		names, err := labelNames(p.LabelNames, c.NumClasses)
		if err != nil {
			return nil, err
		}
		c.LabelNames = names
	}
	return c, nil
}

// checkBuild refuses a config.json that builds its network other than
// timm builds the architecture by name: model_args that change layers, or
// a global pool other than the average.
func checkBuild(t top) error {
	if t.GlobalPool != "" && t.GlobalPool != "avg" {
		return fmt.Errorf("global_pool %q: segen pools by average (timm's \"avg\") only", t.GlobalPool)
	}
	var changed []string
	for _, k := range slices.Sorted(maps.Keys(t.ModelArgs)) {
		v := string(bytes.TrimSpace(t.ModelArgs[k]))
		switch {
		case slices.Contains(inertArgs, k), v == "null":
		case k == "global_pool" && v == `"avg"`, k == "in_chans" && v == "3":
		default:
			changed = append(changed, k+" "+v)
		}
	}
	if changed != nil {
		return fmt.Errorf("model_args %s: the network differs from timm's %s by name, which is all segen builds (it takes only %s)",
			strings.Join(changed, ", "), t.Architecture, strings.Join(inertArgs, ", "))
	}
	return nil
}

// jsonError says what is wrong with a config.json that does not decode:
// not JSON, or a field of the wrong type, named by its path.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field == "":
		return fmt.Errorf("not a timm config: the file holds %s, want a JSON object", article(te.Value))
	case errors.As(err, &te):
		return fmt.Errorf("%s: got %s, want %s", te.Field, article(te.Value), kind(te.Type))
	}
	return fmt.Errorf("not a timm config (a JSON object): %w", err)
}

// kind names a Go type as the JSON a config.json must hold for it.
func kind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return kind(t.Elem())
	case reflect.Int:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice:
		return "a list"
	}
	return t.String()
}

// article puts "a" or "an" before a JSON kind as encoding/json names it
// ("string", "number 224.5", "array").
func article(v string) string {
	if v == "" {
		return "a value"
	}
	if strings.HasPrefix(v, "number ") {
		return "the " + v
	}
	if strings.IndexAny(v[:1], "aeiou") == 0 {
		return "an " + v
	}
	return "a " + v
}

// labelNames decodes label_names: a list, or a map from class index (a
// JSON string key) to name when some indices have none.
func labelNames(raw json.RawMessage, classes int) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("label_names: want a list of names or a map from class index to name")
	}
	limit := maxLabels
	if classes > 0 {
		limit = classes
	}
	n := classes // a sparse map leaves the last classes nameless too
	for k := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= limit {
			return nil, fmt.Errorf("label_names: key %q is not a class index below %d", k, limit)
		}
		n = max(n, i+1)
	}
	names := make([]string, n)
	for k, v := range m {
		i, _ := strconv.Atoi(k)
		names[i] = v
	}
	return names, nil
}

// Labels returns the name to print for each class: its description when
// config.json gives one, else its label name; nil without label names.
func (c *Config) Labels() []string {
	if c.LabelNames == nil {
		return nil
	}
	out := make([]string, len(c.LabelNames))
	for i, name := range c.LabelNames {
		out[i] = name
		if d, ok := c.LabelDescriptions[name]; ok && d != "" {
			out[i] = d
		}
	}
	return out
}
