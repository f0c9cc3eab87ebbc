package main

import (
	"fmt"
	"path/filepath"

	"github.com/segen/segen/runtime/hub"
	"github.com/segen/segen/runtime/imagenet"
	"github.com/segen/segen/runtime/labels"
)

// noLabels is the -labels value that prints class indices only.
const noLabels = "none"

// labelsHelp is -labels' help text.
const labelsHelp = "`file` of class names, one a line, to print with the top classes, or none for the\n" +
	"class indices only (default: config.json's label_names, else timm's ImageNet names when\n" +
	"the class count is an ImageNet subset's, as timm's infer_imagenet_subset: 1000 for\n" +
	"ImageNet-1k, 11821 for ImageNet-12k, 11221, 21841, 21842, 21843 for the 21k/22k sets)"

// classNames returns the name to print for each of a model's classes, nil
// for none, and where the names came from, for -v: the -labels file
// (none: no names), else the model folder's config.json, else timm's
// names of the ImageNet subset of that many classes.
func classNames(file string, folder *hub.Model, classes int) (names []string, from string, err error) {
	var configured []string
	if folder != nil {
		configured = folder.Config.Labels()
	}
	switch {
	case file == noLabels:
		return nil, "none (-labels none)", nil
	case file != "":
		if names, err = imagenet.LoadLabels(file); err != nil {
			return nil, "", err
		}
		if len(names) != classes {
			return nil, "", fmt.Errorf("%s: %d names for a model of %d classes", file, len(names), classes)
		}
		return names, file, nil
	case configured != nil:
		path := filepath.Join(folder.Dir, hub.ConfigFile)
		if len(configured) != classes {
			return nil, "", fmt.Errorf("%s: %d label names for a model of %d classes", path, len(configured), classes)
		}
		return configured, path + "'s label_names", nil
	}
	if names, subset := labels.ImageNet(classes); names != nil {
		return names, fmt.Sprintf("timm's %s (by the class count, %d)", subset, classes), nil
	}
	return nil, fmt.Sprintf("none: %d classes match no ImageNet subset timm knows (-labels FILE names them)", classes), nil
}
