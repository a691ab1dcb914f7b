//go:build !unix

package main

func umask0077() int     { return 0 }
func restoreUmask(_ int) {}
