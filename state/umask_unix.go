//go:build unix

package state

import "syscall"

// umask0077 makes files created from now on private, returning the mask to restore.
func umask0077() int { return syscall.Umask(0o077) }

func restoreUmask(old int) { syscall.Umask(old) }
