package app

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cakegate/cakegate/state"
)

// auditKeyVariable names the file that holds the key of a keyed audit chain.
const auditKeyVariable = "CAKEGATE_AUDIT_KEY_FILE"

// maxAuditKeyFile is the largest key file read: a key is 32 bytes or so, and a bigger file
// is likely the wrong one (a certificate, a log) rather than a key.
const maxAuditKeyFile = 4096

// makeAuditKey is the fix given with every problem of the key file.
func makeAuditKey(file string) string {
	return fmt.Sprintf("head -c 32 /dev/urandom > %s; chmod 600 %s", file, file)
}

// auditKeySetting is CAKEGATE_AUDIT_KEY_FILE as read.
type auditKeySetting struct {
	// Key is the key in File; nil when the variable is unset or the file was refused.
	Key  *state.AuditKey
	File string
	// secrets are the forms the key could take in a log line (as it is, trimmed, hex),
	// for the redactor: nothing logs the key, and if something did, it would not show.
	secrets []string
}

// loadAuditKey reads CAKEGATE_AUDIT_KEY_FILE as serve, check-config, audit verify and
// migrate read it: no key and no problem when it is unset; else the key, or a problem
// that names the variable and the fix. The key is the file's bytes as they are (a trailing
// newline is part of it), so the file is used exactly as written; it must be private
// (others may neither read nor write it, its group may not write it) and hold at least
// state.MinAuditKeyLen bytes.
func loadAuditKey(getenv func(string) string) (auditKeySetting, string) {
	file := strings.TrimSpace(getenv(auditKeyVariable))
	if file == "" {
		return auditKeySetting{}, ""
	}
	refuse := func(format string, args ...any) (auditKeySetting, string) {
		return auditKeySetting{File: file}, fmt.Sprintf(format, args...)
	}
	f, err := os.Open(file)
	if err != nil {
		return refuse("%s: cannot read %s: %v: give the file that holds the audit key, or make one: %s",
			auditKeyVariable, file, errors.Unwrap(err), makeAuditKey(file))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return refuse("%s: cannot read %s: %v", auditKeyVariable, file, err)
	}
	if !fi.Mode().IsRegular() {
		return refuse("%s: %s is not a file: give the file that holds the audit key", auditKeyVariable, file)
	}
	// The group may read the key, so a Kubernetes Secret mounted for the pod's fsGroup
	// (defaultMode 0440) works; anyone else who can read it could rewrite the audit log
	// unnoticed, and anyone who can write it could change the key under cakegate.
	if perm := fi.Mode().Perm(); perm&0o027 != 0 {
		return refuse("%s: %s is open to other users (mode %04o): whoever can read the key can rewrite "+
			"the audit log unnoticed; make it private to cakegate's user: chmod 600 %s", auditKeyVariable, file, perm, file)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxAuditKeyFile+1))
	switch {
	case err != nil:
		return refuse("%s: cannot read %s: %v", auditKeyVariable, file, err)
	case len(b) == 0:
		return refuse("%s: %s is empty: write a key into it: %s", auditKeyVariable, file, makeAuditKey(file))
	case len(b) > maxAuditKeyFile:
		return refuse("%s: %s is larger than %d bytes, too large for a key: is it the right file? "+
			"A key is made with: %s", auditKeyVariable, file, maxAuditKeyFile, makeAuditKey(file))
	case len(b) < state.MinAuditKeyLen:
		return refuse("%s: %s holds %d bytes, too short for a key (at least %d): make a new one: %s",
			auditKeyVariable, file, len(b), state.MinAuditKeyLen, makeAuditKey(file))
	}
	key, err := state.NewAuditKey(b)
	if err != nil {
		return refuse("%s: %s: %v", auditKeyVariable, file, err)
	}
	secrets := []string{string(b), hex.EncodeToString(b)}
	if t := strings.TrimSpace(string(b)); t != string(b) && len(t) >= state.MinAuditKeyLen/2 {
		secrets = append(secrets, t)
	}
	return auditKeySetting{Key: key, File: file, secrets: secrets}, ""
}
