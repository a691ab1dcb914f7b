package app

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// checkAddr returns what is wrong with CAKEGATE_ADDR, or "": it must be a host:port (the
// host may be empty for all interfaces) that net.Listen takes. It does not listen, so
// check-config gives the same answer while cakegate runs on that port.
func checkAddr(addr string) string {
	const hint = "give a listen address like :3000 or 127.0.0.1:3000"
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("CAKEGATE_ADDR=%q is not host:port: %s", addr, hint)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("CAKEGATE_ADDR=%q: the port %q is not a number from 0 to 65535: %s", addr, port, hint)
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		if _, err := net.LookupHost(host); err != nil {
			return fmt.Sprintf("CAKEGATE_ADDR=%q: the host %q is not an address of this machine: %s", addr, host, hint)
		}
	}
	return ""
}

// checkDBPath returns what is wrong with CAKEGATE_DB, or "": its folder must exist and take
// a new file, or the file must exist and be writable. It leaves nothing behind (a probe file
// is removed at once), so check-config creates no database.
func checkDBPath(path string) string {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Sprintf("CAKEGATE_DB=%s is a folder: give the database file's path, like %s", path, filepath.Join(path, defaultDBPath))
	case err == nil:
		// Opening for writing changes nothing, and asks the file system itself (ACLs and
		// read-only mounts included).
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Sprintf("CAKEGATE_DB=%s cannot be written by this user (%v): give it to the user cakegate runs as (chown), or point CAKEGATE_DB elsewhere", path, errors.Unwrap(err))
		}
		f.Close()
		return ""
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("CAKEGATE_DB=%s: %v", path, errors.Unwrap(err))
	}
	dir := filepath.Dir(path)
	di, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("CAKEGATE_DB=%s: the folder %s does not exist: create it, or point CAKEGATE_DB at a file in a folder that does", path, dir)
	case err != nil:
		return fmt.Sprintf("CAKEGATE_DB=%s: %v", path, errors.Unwrap(err))
	case !di.IsDir():
		return fmt.Sprintf("CAKEGATE_DB=%s: %s is not a folder", path, dir)
	}
	// Creating (and removing) a file is the one portable way to know the folder takes one.
	probe, err := os.CreateTemp(dir, ".cakegate-check-*")
	if err != nil {
		return fmt.Sprintf("CAKEGATE_DB=%s: the folder %s does not let this user create the database (%v): give it to the user cakegate runs as, or point CAKEGATE_DB elsewhere", path, dir, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return ""
}
