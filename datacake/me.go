package datacake

import "context"

// Me is the user or API user the client's token belongs to.
type Me struct {
	ID        string
	Email     string
	IsAPIUser bool
}

// Me returns who the token belongs to. It is the cheapest way to check a token at start-up:
// a bad one fails with ErrUnauthenticated.
func (c *Client) Me(ctx context.Context) (Me, error) {
	var out struct {
		User *struct {
			ID        string `json:"id"`
			Email     string `json:"email"`
			IsAPIUser bool   `json:"isApiuser"`
		} `json:"user"`
	}
	if _, err := c.do(ctx, opMe, nil, &out); err != nil {
		return Me{}, err
	}
	if out.User == nil {
		// Datacake answers null for an anonymous caller.
		return Me{}, &PermanentError{Op: opMe.Name, Message: "no user for this token", Err: ErrUnauthenticated}
	}
	return Me{ID: out.User.ID, Email: out.User.Email, IsAPIUser: out.User.IsAPIUser}, nil
}
