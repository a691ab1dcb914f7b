package slacktest

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// SendAtOnce sends every request at once, as Slack delivers a burst: each on its own
// goroutine, all released together (released, if not nil, is called just before). It returns
// how long each waited for its whole answer, and its error (an answer other than 200 is one).
func SendAtOnce(client *http.Client, reqs []*http.Request, released func()) ([]time.Duration, []error) {
	got := make([]time.Duration, len(reqs))
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Go(func() {
			<-start
			began := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			got[i] = time.Since(began)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("answered %s", resp.Status)
			}
			errs[i] = err
		})
	}
	if released != nil {
		released()
	}
	close(start)
	wg.Wait()
	return got, errs
}
