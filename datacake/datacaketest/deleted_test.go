package datacaketest_test

import "testing"

func TestDeletedAPIUsersKeepsTheirTokens(t *testing.T) {
	f := newFixture(t)
	mustOK(t, f.URL(), ownerToken, createQuery, createInput("by-api", nil, f.boiler.ID))
	mustOK(t, f.URL(), ownerToken, createQuery, createInput("out-of-band", nil))
	mustOK(t, f.URL(), ownerToken, createQuery, createInput("kept", nil))
	users := f.APIUsers(ws)
	mustOK(t, f.URL(), ownerToken, deleteQuery, map[string]any{"id": users[0].ID})
	f.DeleteAPIUserOutOfBand(users[1].ID)

	deleted := f.DeletedAPIUsers()
	if len(deleted) != 2 {
		t.Fatalf("%d deleted API users, want 2", len(deleted))
	}
	for i, want := range users[:2] {
		if got := deleted[i]; got.ID != want.ID || got.Name != want.Name || got.Token != want.Token || got.Token == "" {
			t.Errorf("deleted[%d] = %+v, want %+v", i, got, want)
		}
	}
	if len(deleted[0].Devices) != 1 || deleted[0].Devices[0].Device != f.boiler.ID {
		t.Errorf("deleted[0].Devices = %+v, want the boiler", deleted[0].Devices)
	}
	if left := f.APIUsers(ws); len(left) != 1 || left[0].Name != "kept" {
		t.Errorf("API users left %+v, want only kept", left)
	}
}
