//go:build tools

// Package main pins the modules cakegate builds on while the packages that import them are written.
package main

import (
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/robfig/cron/v3"
	_ "github.com/slack-go/slack"
	_ "github.com/slack-go/slack/slackevents"
	_ "github.com/slack-go/slack/socketmode"
	_ "github.com/vektah/gqlparser/v2"
	_ "go.etcd.io/bbolt"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/time/rate"
)
