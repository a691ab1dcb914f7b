// Package commandstest holds in-memory fakes of the ports commands declares (Store, Journal,
// AuditReader, Datacake, DeviceDirectory, Groups, Clock), a recorder of the tokens shown (Notifier.Show, a
// commands.ShowToken), a manual clock, and a
// policy with people and devices to test against. Tests in any package use these rather
// than writing their own; production code never imports this package.
package commandstest

import "github.com/cakegate/cakegate/commands"

// Each fake implements the port it stands in for.
var (
	_ commands.Store           = (*Store)(nil)
	_ commands.Journal         = (*Store)(nil)
	_ commands.AuditReader     = (*Store)(nil)
	_ commands.Datacake        = (*Datacake)(nil)
	_ commands.DeviceDirectory = Devices(nil)
	_ commands.ShowToken       = (*Notifier)(nil).Show
	_ commands.Groups          = Groups(nil)
	_ commands.Clock           = (*Clock)(nil)
	_ commands.Timers          = (*Clock)(nil)
)
