//go:build !linux

package main

import "errors"

// prioritizeTickThread is not supported outside Linux: the tick runs at the process's priority.
func prioritizeTickThread(int) error {
	return errors.New("-tick-priority is supported on Linux only")
}
