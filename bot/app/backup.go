package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cakegate/cakegate/state"
)

const backupUsage = "usage: cakegate backup [--force] FILE"

// Backup is `cakegate backup [--force] FILE`: a consistent copy of the database, taken
// while the bot runs if it does. The copy is written beside FILE and renamed into place, so
// FILE is never half written; it is private (0600) like the database. FILE must not exist
// (--force replaces it) and is never the database itself: the rename would put the copy in
// the live file's place, and the running bot would go on writing to a deleted file. With
// CAKEGATE_STORE=etcd the copy is the etcd store read at one revision, written as a bbolt
// file: it opens like any cakegate database, and `cakegate migrate --to etcd` restores it
// into an empty prefix.
func Backup(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 1 && isHelpFlag(args[0]) {
		fmt.Fprintln(stderr, backupUsage)
		return ExitOK
	}
	force := false
	var files []string
	for _, a := range args {
		switch a {
		case "--force", "-force":
			force = true
		default:
			files = append(files, a)
		}
	}
	if len(files) != 1 || len(files[0]) == 0 || files[0][0] == '-' {
		fmt.Fprintln(stderr, backupUsage)
		return ExitFix
	}
	dest := files[0]
	if problem := checkBackupTarget(dest, getenv, force); problem != "" {
		fmt.Fprintln(stderr, "backup:", problem)
		return ExitFix
	}
	dir := filepath.Dir(dest)
	tmp, err := os.CreateTemp(dir, ".cakegate-backup-*")
	if err != nil {
		fmt.Fprintf(stderr, "backup: cannot write in the folder %s (%v): choose a folder the user cakegate runs as can write to\n", dir, errors.Unwrap(err))
		return ExitFix
	}
	defer os.Remove(tmp.Name())
	if storeKind(getenv) == storeEtcd {
		tmp.Close()
		err = backupEtcd(context.Background(), etcdConfig(getenv), tmp.Name(), dest)
	} else if err = tmp.Chmod(0o600); err == nil {
		err = state.BackupFrom(dbPathFrom(getenv), tmp)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), dest)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "backup:", err)
		return exitCodeOf(err)
	}
	fmt.Fprintf(stdout, "backup written to %s\n", dest)
	return ExitOK
}

// checkBackupTarget returns why dest cannot take the backup, or "": it is the live
// database (by name, or the same file by another name or link), a folder, or an existing
// file without force.
func checkBackupTarget(dest string, getenv func(string) string, force bool) string {
	fi, err := os.Stat(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A new name may still be the database's, spelt another way.
	case err != nil:
		return fmt.Sprintf("%s: %v", dest, errors.Unwrap(err))
	case fi.IsDir():
		return fmt.Sprintf("%s is a folder: give the backup's file name, like %s", dest, filepath.Join(dest, "cakegate-backup.db"))
	}
	if storeKind(getenv) != storeEtcd {
		db := dbPathFrom(getenv)
		absDest, absDB := resolvedPath(dest), resolvedPath(db)
		dbi, dberr := os.Stat(db)
		if absDest == absDB || (err == nil && dberr == nil && os.SameFile(fi, dbi)) {
			return fmt.Sprintf("%s is the database itself (CAKEGATE_DB=%s): a backup there would replace the live file, and everything cakegate writes after would be lost. Give another file name, ideally on another disk", dest, db)
		}
		for _, own := range []string{state.ControlPath(db), state.HolderPath(db)} {
			if absDest == resolvedPath(own) {
				return fmt.Sprintf("%s is a file the running cakegate keeps beside its database: give another file name", dest)
			}
		}
	}
	if err == nil && !force {
		return fmt.Sprintf("%s exists: give a new file name, or add --force to replace it", dest)
	}
	return ""
}

// resolvedPath is path made absolute with its folder's symbolic links resolved, so two
// spellings of one place compare equal even when the file does not exist yet.
func resolvedPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return abs
	}
	return filepath.Join(dir, filepath.Base(abs))
}
