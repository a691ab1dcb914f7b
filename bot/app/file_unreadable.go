package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// unreadableFile says why the file at path could not be read (err) and how to fix it.
// A file this user may not read is the usual case in a container: the image runs as user
// 65532, while a token file is often owned by root or the deploying user with mode 0600.
func unreadableFile(path string, err error) string {
	if !errors.Is(err, fs.ErrPermission) {
		return fmt.Sprintf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	fi, serr := os.Stat(path)
	owner := ""
	if uid, ok := fileOwner(fi); serr == nil && ok {
		owner = fmt.Sprintf(", and the file is owned by user %d with mode %04o", uid, fi.Mode().Perm())
	}
	return fmt.Sprintf("cannot read %s: cakegate runs as user %d%s. Give this user read access: chown %d %s, "+
		"or make it group-readable (chmod 0640) by a group this user is in; in Kubernetes, mount the secret with "+
		"defaultMode: 0440 and set the pod's securityContext.fsGroup (65532 for cakegate's image)",
		path, os.Getuid(), owner, os.Getuid(), path)
}
