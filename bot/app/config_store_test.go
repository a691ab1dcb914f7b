package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app/apptest"
)

func TestLoadStoreConfig(t *testing.T) {
	cert := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(cert, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	etcd := map[string]string{"CAKEGATE_STORE": "etcd", "CAKEGATE_ETCD_ENDPOINTS": "https://etcd-0:2379, https://etcd-1:2379"}
	tests := []struct {
		name    string
		change  map[string]string
		wantErr string // substring naming the variable; "" for valid
	}{
		{"OKDefaultBbolt", nil, ""},
		{"OKEtcd", etcd, ""},
		{"OKEtcdWithoutADatabaseFolder", map[string]string{"CAKEGATE_DB": "/nonexistent/cakegate.db"}, ""},
		{"ErrBboltFolder", map[string]string{"CAKEGATE_STORE": "bbolt", "CAKEGATE_DB": "/nonexistent/cakegate.db"}, "CAKEGATE_DB"},
		{"OKEtcdTLS", map[string]string{"CAKEGATE_ETCD_CA": cert, "CAKEGATE_ETCD_CERT": cert, "CAKEGATE_ETCD_KEY": cert}, ""},
		{"ErrStore", map[string]string{"CAKEGATE_STORE": "postgres"}, "CAKEGATE_STORE"},
		{"ErrNoEndpoints", map[string]string{"CAKEGATE_ETCD_ENDPOINTS": ""}, "CAKEGATE_ETCD_ENDPOINTS is not set"},
		{"ErrEndpoint", map[string]string{"CAKEGATE_ETCD_ENDPOINTS": "etcd-0:2379"}, "CAKEGATE_ETCD_ENDPOINTS"},
		{"ErrPrefix", map[string]string{"CAKEGATE_ETCD_PREFIX": "cakegate"}, "CAKEGATE_ETCD_PREFIX"},
		{"ErrCertWithoutKey", map[string]string{"CAKEGATE_ETCD_CERT": cert}, "CAKEGATE_ETCD_CERT and CAKEGATE_ETCD_KEY"},
		{"ErrCAMissing", map[string]string{"CAKEGATE_ETCD_CA": "/nonexistent/ca.pem"}, "CAKEGATE_ETCD_CA: cannot read"},
		{"ErrMaxTxnOps", map[string]string{"CAKEGATE_ETCD_MAX_TXN_OPS": "10"}, "CAKEGATE_ETCD_MAX_TXN_OPS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			if tt.name != "OKDefaultBbolt" && tt.name != "ErrStore" && tt.name != "ErrBboltFolder" {
				for k, v := range etcd {
					env[k] = v
				}
			}
			for k, v := range tt.change {
				env[k] = v
			}
			_, err := LoadConfig(apptest.EnvOf(env))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}

	cfg, err := LoadConfig(apptest.EnvOf(func() map[string]string {
		env := validEnv()
		for k, v := range etcd {
			env[k] = v
		}
		return env
	}()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store != "etcd" || !slices.Equal(cfg.Etcd.Endpoints, []string{"https://etcd-0:2379", "https://etcd-1:2379"}) || cfg.Etcd.Prefix != "/cakegate/" {
		t.Fatalf("etcd settings read as %q %v %q", cfg.Store, cfg.Etcd.Endpoints, cfg.Etcd.Prefix)
	}
}
