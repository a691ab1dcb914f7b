package state

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The holder file names the process that holds the database's lock, so a second cakegate
// refused the file can say which process to look at: bbolt's lock (flock) says only that
// someone holds it. The file sits beside the database, like the control socket; it is
// written once the lock is held and removed when the store closes, and read only when the
// lock is taken, so a file left by a process that died is never believed: the lock died
// with that process.

// HolderPath is the holder file of the database at dbPath.
func HolderPath(dbPath string) string { return dbPath + ".pid" }

// writeHolder records this process in the holder file of the database at dbPath. It is
// best effort: a folder that takes no new file costs only the pid in a later message.
func writeHolder(dbPath string) {
	line := strconv.Itoa(os.Getpid())
	if len(os.Args) > 0 {
		line += " " + strings.Join(append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...), " ")
	}
	os.WriteFile(HolderPath(dbPath), []byte(line+"\n"), 0o600)
}

// removeHolder removes the holder file if this process wrote it: a file another process
// wrote since (it took the lock after ours was let go) stays.
func removeHolder(dbPath string) {
	if pid, _ := readHolder(dbPath); pid == os.Getpid() {
		os.Remove(HolderPath(dbPath))
	}
}

// readHolder returns the pid and the command line the holder file names; pid is 0 if it
// names none.
func readHolder(dbPath string) (pid int, cmd string) {
	data, err := os.ReadFile(HolderPath(dbPath))
	if err != nil {
		return 0, ""
	}
	first, rest, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	pid, err = strconv.Atoi(first)
	if err != nil || pid <= 0 {
		return 0, ""
	}
	return pid, rest
}

// describeHolder names the process that holds the database at dbPath, for the error a
// second Open returns: " (pid 4242, started as: cakegate serve)", or "" when the holder
// file names none.
func describeHolder(dbPath string) string {
	pid, cmd := readHolder(dbPath)
	switch {
	case pid == 0:
		return ""
	case cmd == "":
		return fmt.Sprintf(" (pid %d)", pid)
	}
	return fmt.Sprintf(" (pid %d, started as: %s)", pid, cmd)
}
