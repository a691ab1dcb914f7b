package datacake

import (
	"encoding/json"
	"time"
)

// dateTime decodes Datacake's DateTime scalar (ISO 8601, as Python writes it). A value that
// does not parse is left zero rather than failing a whole listing over one timestamp.
type dateTime struct{ time.Time }

// layouts are the ISO 8601 forms seen from Python back ends: with or without a zone.
var layouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"}

// UnmarshalJSON accepts a string in any of layouts, or null.
func (d *dateTime) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d.Time = time.Time{}
	if s == nil {
		return nil
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, *s); err == nil {
			d.Time = t
			return nil
		}
	}
	return nil
}
