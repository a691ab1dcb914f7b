package datacaketest_test

import (
	"strings"
	"testing"

	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// An API user made out of band is listed like any other and deleted like any other.
func TestAddAPIUserOutOfBand(t *testing.T) {
	f := newFixture(t)
	u := f.AddAPIUserOutOfBand(ws, "ci-uploader")
	if u.ID == "" || u.Token == "" || u.Name != "ci-uploader" {
		t.Fatalf("got %+v", u)
	}
	if got := f.APIUsers(ws); len(got) != 1 || got[0].ID != u.ID {
		t.Fatalf("API users %+v, want the one made out of band", got)
	}
	if data := mustOK(t, f.URL(), ownerToken, deleteQuery, map[string]any{"id": u.ID}); !strings.Contains(data, `"ok":true`) {
		t.Fatalf("delete answered %s", data)
	}
}

// A delete of an unknown id answers ok:false by default, or Django's error when asked.
func TestMissingDeleteAnswer(t *testing.T) {
	f := newFixture(t)
	if data := mustOK(t, f.URL(), ownerToken, deleteQuery, map[string]any{"id": "no-such-user"}); !strings.Contains(data, `"ok":false`) {
		t.Fatalf("default answer %s, want ok:false", data)
	}
	f.AnswerMissingDeletes(datacaketest.MissingDoesNotExist)
	_, b := gql(t, f.URL(), ownerToken, deleteQuery, map[string]any{"id": "no-such-user"})
	r := decode(t, b)
	if len(r.Errors) != 1 || r.Errors[0].Message != "User matching query does not exist." || r.Errors[0].Extensions.Code != "" {
		t.Fatalf("Django answer %s, want the DoesNotExist error without a code", b)
	}
	if string(r.Data) != "null" && !strings.Contains(string(r.Data), `"deleteApiUser":null`) {
		t.Fatalf("Django answer data %s, want null", r.Data)
	}
}

func TestDeletedAPIUsersSince(t *testing.T) {
	f := newFixture(t)
	a := f.AddAPIUserOutOfBand(ws, "a")
	b := f.AddAPIUserOutOfBand(ws, "b")
	f.DeleteAPIUserOutOfBand(a.ID)
	f.DeleteAPIUserOutOfBand(b.ID)
	if got := f.DeletedAPIUsersSince(1); len(got) != 1 || got[0].ID != b.ID || got[0].Token != b.Token {
		t.Fatalf("DeletedAPIUsersSince(1) = %+v, want b", got)
	}
	if got := f.DeletedAPIUsersSince(2); len(got) != 0 {
		t.Fatalf("DeletedAPIUsersSince(2) = %+v, want none", got)
	}
}
