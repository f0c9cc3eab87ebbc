//go:build !race

package resnet

const raceEnabled = false
