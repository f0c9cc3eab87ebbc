package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/segen/segen/runtime/hub"
	"github.com/segen/segen/runtime/imagenet"
	"github.com/segen/segen/runtime/resnet"
	"github.com/segen/segen/runtime/safetensors"
)

// What "segen run" takes from a model folder and from the weights
// themselves; flags given on the command line win over both.

// recipeFlags are the preprocessing flags of "segen run" and which of them
// the command line set.
type recipeFlags struct {
	size             int
	cropPct          float64
	interp, cropMode string
	antialias        bool
	set              map[string]bool
}

// recipe returns the evaluation transform: the model's config.json's
// (when there is a model folder) with the flags the command line set
// applied over it, else the flags' own.
func recipe(model *hub.Model, f recipeFlags) (imagenet.Config, error) {
	// A bad flag is the flag's error, not config.json's.
	if _, err := imagenet.ParseInterp(f.interp); err != nil {
		return imagenet.Config{}, err
	}
	if _, err := imagenet.ParseCropMode(f.cropMode); err != nil {
		return imagenet.Config{}, err
	}
	var c hub.Config
	if model != nil {
		c = *model.Config
	} else { // the flags' defaults are imagenet.Default()
		c = hub.Config{InputSize: [3]int{3, f.size, f.size}, Interpolation: f.interp, CropPct: f.cropPct, CropMode: f.cropMode,
			Mean: []float64{float64(imagenet.Mean[0]), float64(imagenet.Mean[1]), float64(imagenet.Mean[2])},
			Std:  []float64{float64(imagenet.Std[0]), float64(imagenet.Std[1]), float64(imagenet.Std[2])}}
	}
	if f.set["size"] {
		c.InputSize = [3]int{3, f.size, f.size}
	}
	if f.set["crop-pct"] {
		c.CropPct = f.cropPct
	}
	if f.set["interp"] {
		c.Interpolation = f.interp
	}
	if f.set["crop-mode"] {
		c.CropMode = f.cropMode
	}
	r, err := c.Preprocessing()
	if err != nil {
		if model != nil {
			return r, fmt.Errorf("%s: %w", filepath.Join(model.Dir, hub.ConfigFile), err)
		}
		return r, err
	}
	r.Antialias = f.antialias
	return r, nil
}

// loadWeights reads the weights file at path and builds the network: the
// architecture -arch names, else the one config.json names, else the one
// the weights' names and shapes say. It returns the model and the
// architecture, reporting on stderr which and from where when verbose.
func loadWeights(path, arch string, model *hub.Model, opts resnet.Options, verbose bool, stderr io.Writer) (*resnet.Model, string, error) {
	from := "-arch"
	if arch == "" && model != nil {
		arch, from = model.Config.Architecture, filepath.Join(model.Dir, hub.ConfigFile)
		if _, err := resnet.LookupArch(arch); err != nil {
			return nil, "", fmt.Errorf("%s: %w (give -arch to run the weights as another)", from, err)
		}
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	if arch == "" {
		a, err := resnet.Infer(f)
		var amb *resnet.AmbiguousError
		var none *resnet.NoMatchError
		switch {
		case errors.As(err, &amb):
			return nil, "", fmt.Errorf("%s: %w; give -arch NAME, or -model DIR with the model's %s", path, err, hub.ConfigFile)
		case errors.As(err, &none) && inceptionHint(f) != "":
			return nil, "", fmt.Errorf("%s: %w; %s", path, err, inceptionHint(f))
		case err != nil:
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		arch, from = a.Name, "inferred from the weights"
	}
	m, err := resnet.New(arch, f, opts)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if model != nil && model.Config.NumClasses != 0 && model.Config.NumClasses != m.Classes() {
		return nil, "", fmt.Errorf("%s says %d classes, but %s has a classifier of %d",
			filepath.Join(model.Dir, hub.ConfigFile), model.Config.NumClasses, path, m.Classes())
	}
	if verbose {
		fmt.Fprintf(stderr, "architecture %s (%s)\n", arch, from)
	}
	return m, arch, nil
}

// describeModel is the -v line about a model folder: where it is and the
// recipe it brought.
func describeModel(m *hub.Model, r imagenet.Config) string {
	name := m.Dir
	if m.Repo != "" {
		name = m.Repo + " at " + m.Dir
	}
	classes := ""
	if m.Config.NumClasses > 0 {
		classes = fmt.Sprintf(", %d classes", m.Config.NumClasses)
	}
	return fmt.Sprintf("model %s: %s%s; input %d, %s, crop %g (%s), mean %v, std %v",
		name, m.Config.Architecture, classes, r.Size, r.Interp, r.CropPct, r.Crop, r.Mean, r.Std)
}
