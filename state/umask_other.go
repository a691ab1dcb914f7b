//go:build !unix

package state

func umask0077() int     { return 0 }
func restoreUmask(_ int) {}
