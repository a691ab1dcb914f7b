package app

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
)

// accessStore is what the access export reads, from a bbolt snapshot or an etcd view.
type accessStore interface {
	commands.Store
	commands.ReviewStore
}

// Access is `cakegate access export [--format csv|json]`: every API user of the workspace,
// what it can do, whose it is, who approved it and when, its end and the last review
// decision on it, for auditors. It asks Datacake for the list and reads the store as it is
// now; it never reads or prints a token.
func Access(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	const usage = "usage: cakegate access export [--format csv|json]"
	if len(args) == 1 && isHelpFlag(args[0]) {
		fmt.Fprintln(stderr, usage)
		return ExitOK
	}
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprintln(stderr, usage)
		return ExitFix
	}
	fs := flag.NewFlagSet("access export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "csv", "csv (one row per API user, with a header) or json (an array)")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || (*format != "csv" && *format != "json") {
		fmt.Fprintln(stderr, usage)
		return usageExit(err)
	}
	// The export asks Datacake, never Slack: Slack's settings may be left out.
	cfg, err := LoadConfig(func(k string) string {
		switch v := getenv(k); {
		case v != "":
			return v
		case k == "SLACK_BOT_TOKEN":
			return "xoxb-not-used-by-the-export"
		case k == "SLACK_SIGNING_SECRET":
			return "not-used-by-the-export"
		}
		return ""
	})
	if err != nil {
		fmt.Fprintln(stderr, "cakegate:", err)
		return exitCodeOf(err)
	}
	// As serve reads it, so a policy serve runs with is one the export reads.
	policy, err := loadPolicy(cfg.PolicyPath)
	if err != nil {
		fmt.Fprintln(stderr, "cakegate:", err)
		return exitCodeOf(err)
	}
	client, err := datacake.New(datacake.Options{URL: cfg.DatacakeAPIURL, Token: cfg.DatacakeToken})
	if err != nil {
		// Only the settings it was given can be wrong here: the URL or the token.
		fmt.Fprintln(stderr, "cakegate:", err)
		return ExitFix
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	return withSnapshot(ctx, getenv, nil, stderr, func(src auditSource) error {
		store, ok := src.(accessStore)
		if !ok {
			return fmt.Errorf("this store cannot be read for an access export")
		}
		svc := &commands.Service{Policy: policy, Store: store, Reviews: store, Datacake: datacakeAdapter{client: client}}
		if inst, ok := src.(interface {
			Installation() (string, time.Time, error)
		}); ok {
			svc.Installation, svc.InstalledAt, _ = inst.Installation()
		}
		entries, err := svc.AccessInventory(ctx)
		if err != nil {
			return err
		}
		if *format == "json" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(entries)
		}
		return writeAccessCSV(stdout, entries)
	})
}

// accessColumns are the CSV export's columns, in order.
var accessColumns = []string{"api_user_id", "name", "class", "created", "workspace_permissions", "devices", "origin", "request", "role", "owner", "approved_by", "approved_at", "ends", "last_review", "last_review_by", "last_review_at"}

// writeAccessCSV writes entries as CSV with a header. A cell that a spreadsheet would run
// as a formula (a name typed in the portal) is quoted with a leading apostrophe.
func writeAccessCSV(w io.Writer, entries []commands.AccessEntry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(accessColumns); err != nil {
		return err
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, e := range entries {
		row := []string{e.APIUserID, e.Name, string(e.Class), at(e.Created), strings.Join(e.WorkspacePermissions, " "),
			strconv.Itoa(e.Devices), e.Origin, e.Request, e.Role, e.Owner, strings.Join(e.ApprovedBy, " "), at(e.ApprovedAt),
			at(e.Ends), e.LastReview, e.LastReviewBy, at(e.LastReviewAt)}
		for i, cell := range row {
			row[i] = noFormula(cell)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// noFormula defuses a cell a spreadsheet would evaluate.
func noFormula(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
