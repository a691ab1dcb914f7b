package app

// version is set at build time
// (-ldflags "-X github.com/cakegate/cakegate/bot/app.version=…").
var version = "dev"

// Version is the running cakegate's version.
func Version() string { return version }
