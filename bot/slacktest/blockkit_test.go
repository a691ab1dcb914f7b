package slacktest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/slack-go/slack"
)

// long returns n characters of a two-byte letter, so that byte counts and
// character counts differ as they do for real names and emoji.
func long(n int) string { return strings.Repeat("é", n) }

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func options(n, textLen, valueLen int) []*slack.OptionBlockObject {
	var out []*slack.OptionBlockObject
	for i := range n {
		value := fmt.Sprintf("%0*d", valueLen, i)
		out = append(out, slack.NewOptionBlockObject(value, plain(long(textLen)), nil))
	}
	return out
}

func sections(n int) []slack.Block {
	var out []slack.Block
	for range n {
		out = append(out, section("x"))
	}
	return out
}

func post(api *slack.Client, blocks ...slack.Block) error {
	_, _, err := api.PostMessage("C0LIMITS", slack.MsgOptionText("fallback", false), slack.MsgOptionBlocks(blocks...))
	return err
}

func openModal(api *slack.Client, srv *slacktest.Server, view slack.ModalViewRequest) error {
	if view.Type == "" {
		view.Type = slack.VTModal
	}
	if view.Title == nil {
		view.Title = plain("Request access")
	}
	if view.Blocks.BlockSet == nil {
		// Slack requires a blocks array; slack-go sends null for none.
		view.Blocks.BlockSet = []slack.Block{section("Which database?")}
	}
	_, err := api.OpenView(srv.NewTriggerID(alice.ID), view)
	return err
}

// TestBlockKitLimits sends each payload at Slack's limit, which must pass, and
// one past it, which must be refused whole with the reason recorded.
func TestBlockKitLimits(t *testing.T) {
	tests := []struct {
		name    string
		limit   int
		send    func(api *slack.Client, srv *slacktest.Server, n int) error
		code    string
		pointer string
	}{
		{"MessageBlocks", 50, func(api *slack.Client, _ *slacktest.Server, n int) error {
			return post(api, sections(n)...)
		}, "invalid_blocks", "/blocks]"},
		{"SectionText", 3000, func(api *slack.Client, _ *slacktest.Server, n int) error {
			return post(api, section(long(n)))
		}, "invalid_blocks", "/blocks/0/text/text"},
		{"SectionFields", 10, func(api *slack.Client, _ *slacktest.Server, n int) error {
			var fields []*slack.TextBlockObject
			for range n {
				fields = append(fields, plain("f"))
			}
			return post(api, slack.NewSectionBlock(nil, fields, nil))
		}, "invalid_blocks", "/blocks/0/fields"},
		{"HeaderText", 150, func(api *slack.Client, _ *slacktest.Server, n int) error {
			return post(api, slack.NewHeaderBlock(plain(long(n))))
		}, "invalid_blocks", "/blocks/0/text/text"},
		{"ButtonText", 75, func(api *slack.Client, _ *slacktest.Server, n int) error {
			return post(api, slack.NewActionBlock("a", button("go", long(n), "v")))
		}, "invalid_blocks", "/blocks/0/elements/0/text/text"},
		{"ButtonValue", 2000, func(api *slack.Client, _ *slacktest.Server, n int) error {
			return post(api, slack.NewActionBlock("a", button("go", "Go", long(n))))
		}, "invalid_blocks", "/blocks/0/elements/0/value"},
		{"ButtonAccessoryText", 75, func(api *slack.Client, _ *slacktest.Server, n int) error {
			return post(api, slack.NewSectionBlock(plain("t"), nil, slack.NewAccessory(button("go", long(n), "v"))))
		}, "invalid_blocks", "/blocks/0/accessory/text/text"},
		{"OptionText", 75, func(api *slack.Client, _ *slacktest.Server, n int) error {
			sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Pick"), "pick", options(1, n, 3)...)
			return post(api, slack.NewActionBlock("a", sel))
		}, "invalid_blocks", "/blocks/0/elements/0/options/0/text/text"},
		{"OptionValue", 150, func(api *slack.Client, _ *slacktest.Server, n int) error {
			sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Pick"), "pick", options(1, 3, n)...)
			return post(api, slack.NewActionBlock("a", sel))
		}, "invalid_blocks", "/blocks/0/elements/0/options/0/value"},
		{"OptionsPerSelect", 100, func(api *slack.Client, _ *slacktest.Server, n int) error {
			sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Pick"), "pick", options(n, 3, 3)...)
			return post(api, slack.NewActionBlock("a", sel))
		}, "invalid_blocks", "/blocks/0/elements/0/options"},
		{"ActionsElements", 25, func(api *slack.Client, _ *slacktest.Server, n int) error {
			var els []slack.BlockElement
			for i := range n {
				els = append(els, button(fmt.Sprint("b", i), "B", "v"))
			}
			return post(api, slack.NewActionBlock("a", els...))
		}, "invalid_blocks", "/blocks/0/elements]"},
		{"ContextElements", 10, func(api *slack.Client, _ *slacktest.Server, n int) error {
			var els []slack.MixedElement
			for range n {
				els = append(els, plain("c"))
			}
			return post(api, slack.NewContextBlock("c", els...))
		}, "invalid_blocks", "/blocks/0/elements]"},
		{"BlockID", 255, func(api *slack.Client, _ *slacktest.Server, n int) error {
			return post(api, slack.NewDividerBlock(), slack.NewSectionBlock(plain("t"), nil, nil, slack.SectionBlockOptionBlockID(strings.Repeat("b", n))))
		}, "invalid_blocks", "/blocks/1/block_id"},
		{"ActionID", 255, func(api *slack.Client, _ *slacktest.Server, n int) error {
			return post(api, slack.NewActionBlock("a", button(strings.Repeat("a", n), "Go", "v")))
		}, "invalid_blocks", "/blocks/0/elements/0/action_id"},
		{"ModalBlocks", 100, func(api *slack.Client, srv *slacktest.Server, n int) error {
			return openModal(api, srv, slack.ModalViewRequest{Blocks: slack.Blocks{BlockSet: sections(n)}})
		}, "invalid_arguments", "/view/blocks]"},
		{"HomeTabBlocks", 100, func(api *slack.Client, _ *slacktest.Server, n int) error {
			_, err := api.PublishView(alice.ID, slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: sections(n)}}, "")
			return err
		}, "invalid_arguments", "/view/blocks]"},
		{"ModalTitle", 24, func(api *slack.Client, srv *slacktest.Server, n int) error {
			return openModal(api, srv, slack.ModalViewRequest{Title: plain(long(n))})
		}, "invalid_arguments", "/view/title/text"},
		{"ModalSubmit", 24, func(api *slack.Client, srv *slacktest.Server, n int) error {
			return openModal(api, srv, slack.ModalViewRequest{Submit: plain(long(n))})
		}, "invalid_arguments", "/view/submit/text"},
		{"ModalClose", 24, func(api *slack.Client, srv *slacktest.Server, n int) error {
			return openModal(api, srv, slack.ModalViewRequest{Close: plain(long(n))})
		}, "invalid_arguments", "/view/close/text"},
		{"PrivateMetadata", 3000, func(api *slack.Client, srv *slacktest.Server, n int) error {
			return openModal(api, srv, slack.ModalViewRequest{PrivateMetadata: long(n)})
		}, "invalid_arguments", "/view/private_metadata"},
		{"CallbackID", 255, func(api *slack.Client, srv *slacktest.Server, n int) error {
			return openModal(api, srv, slack.ModalViewRequest{CallbackID: strings.Repeat("c", n)})
		}, "invalid_arguments", "/view/callback_id"},
		{"InputElementOptions", 100, func(api *slack.Client, srv *slacktest.Server, n int) error {
			sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Scope"), "scope", options(n, 3, 3)...)
			input := slack.NewInputBlock("scope_block", plain("Scope"), nil, sel)
			return openModal(api, srv, slack.ModalViewRequest{Submit: plain("Ask"), Blocks: slack.Blocks{BlockSet: []slack.Block{input}}})
		}, "invalid_arguments", "/view/blocks/0/element/options"},
	}
	srv := mustStart(t)
	api := client(srv)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.send(api, srv, tc.limit); err != nil {
				t.Fatalf("at the limit (%d): %v", tc.limit, err)
			}
			err := tc.send(api, srv, tc.limit+1)
			if slackErr(err) != tc.code {
				t.Fatalf("past the limit (%d): got %v, want %s", tc.limit+1, err, tc.code)
			}
			calls := srv.Calls()
			last := calls[len(calls)-1]
			if !strings.Contains(strings.Join(last.Problems, "\n"), tc.pointer) {
				t.Fatalf("problems %q do not name %s", last.Problems, tc.pointer)
			}
			if e, isSlack := err.(slack.SlackErrorResponse); !isSlack || len(e.ResponseMetadata.Messages) == 0 {
				t.Fatalf("error %#v carries no response_metadata.messages", err)
			}
		})
	}
}

func TestBlockKitShape(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)

	t.Run("ErrDuplicateBlockID", func(t *testing.T) {
		b := slack.NewSectionBlock(plain("t"), nil, nil, slack.SectionBlockOptionBlockID("same"))
		if err := post(api, b, b); slackErr(err) != "invalid_blocks" {
			t.Fatalf("got %v, want invalid_blocks", err)
		}
	})

	t.Run("ErrEmptySectionText", func(t *testing.T) {
		if err := post(api, section("")); slackErr(err) != "invalid_blocks" {
			t.Fatalf("got %v, want invalid_blocks", err)
		}
	})

	t.Run("ErrMrkdwnHeader", func(t *testing.T) {
		h := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.MarkdownType, "*h*", false, false))
		if err := post(api, h); slackErr(err) != "invalid_blocks" {
			t.Fatalf("got %v, want invalid_blocks", err)
		}
	})

	t.Run("ErrInputWithoutSubmit", func(t *testing.T) {
		input := slack.NewInputBlock("why", plain("Why?"), nil, slack.NewPlainTextInputBlockElement(nil, "why"))
		err := openModal(api, srv, slack.ModalViewRequest{Blocks: slack.Blocks{BlockSet: []slack.Block{input}}})
		if slackErr(err) != "invalid_arguments" {
			t.Fatalf("got %v, want invalid_arguments", err)
		}
	})

	t.Run("RejectedBlocksRecorded", func(t *testing.T) {
		_ = post(api, section(long(3001)))
		c := srv.CallsTo("chat.postMessage")
		if last := c[len(c)-1]; last.Error != "invalid_blocks" || len(last.Blocks) == 0 {
			t.Fatalf("recorded %+v", last)
		}
	})
}
