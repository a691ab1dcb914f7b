package datacaketest_test

import (
	"net/http"
	"testing"

	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// A delete of an unknown API user is answered as Datacake's Django resolvers do when asked:
// the field null, Django's message, no extensions.code.
func TestMissingDeleteAnswersAsDjango(t *testing.T) {
	f := newFixture(t)
	f.AnswerMissingDeletes(datacaketest.MissingDoesNotExist)
	status, b := gql(t, f.URL(), ownerToken, deleteQuery, map[string]any{"id": "no-such-user"})
	r := decode(t, b)
	if status != http.StatusOK || len(r.Errors) != 1 || string(r.Data) != `{"deleteApiUser":null}` {
		t.Fatalf("status %d, body %s; want 200 with data.deleteApiUser null and one error", status, b)
	}
	if e := r.Errors[0]; e.Message != "User matching query does not exist." || e.Extensions.Code != "" {
		t.Errorf("error %+v, want Django's message and no code", e)
	}

	f.AnswerMissingDeletes(datacaketest.MissingOKFalse)
	if got := mustOK(t, f.URL(), ownerToken, deleteQuery, map[string]any{"id": "no-such-user"}); got != `{"deleteApiUser":{"ok":false}}` {
		t.Errorf("ok:false answer: got %s", got)
	}
}
