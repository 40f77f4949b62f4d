package build

import (
	"debug/elf"
	"strings"
)

// zoneNote is the note gobi build prints when the program loads time zones
// (time.LoadLocation) but its image carries no zone database: the guest
// has no /usr/share/zoneinfo, so every zone but UTC fails with "unknown
// time zone". The database comes with package time/tzdata, which the
// timetzdata build tag also links. It returns "" when there is nothing to
// say or the executable cannot be read (the build itself succeeded).
func zoneNote(exe string) string {
	f, err := elf.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return ""
	}
	var loads, carries bool
	for _, s := range syms {
		switch {
		case s.Name == "time.LoadLocation":
			loads = true
		case strings.HasPrefix(s.Name, "time/tzdata."):
			carries = true
		}
	}
	if !loads || carries {
		return ""
	}
	return "the program loads time zones (time.LoadLocation) but the image has no zone database: import time/tzdata or build with -tags timetzdata"
}
