package bot

// leakShape is a message event, as Slack sends it, that holds a token in one place other
// than its top-level text: JSON is a format string whose %[1]s is the token. The message is
// in leakShapeChannel at TS.
type leakShape struct {
	Name, JSON, TS string
}

// leakShapeChannel is the channel of every leakShape's message.
const leakShapeChannel = "C0GENERAL"

// leakShapes are the places a token can be in a message event besides its text: each was
// missed by the leak scan once.
var leakShapes = []leakShape{
	{"ShareAttachment", `{"type":"message","user":"U0BOB","text":"","ts":"1700000000.000200","channel":"C0GENERAL","channel_type":"channel","event_ts":"1700000000.000200",
		"attachments":[{"is_share":true,"is_msg_unfurl":false,"id":1,"ts":"1699999000.000100","channel_id":"C0OPS","channel_name":"ops",
		"author_id":"U0ALICE","author_name":"alice","author_link":"https://acme.slack.com/team/U0ALICE","author_icon":"https://secure.gravatar.com/avatar/0a1b2c3d4e5f60718293a4b5c6d7e8f9.jpg?s=48",
		"fallback":"[November 14th, 2023 10:13 PM] alice: does this work? %[1]s","text":"does this work? %[1]s","mrkdwn_in":["text"],
		"from_url":"https://acme.slack.com/archives/C0OPS/p1699999000000100","footer":"Posted in #ops"}]}`, "1700000000.000200"},
	{"ShareOfBlocks", `{"type":"message","user":"U0BOB","text":"look","ts":"1700000000.000200","channel":"C0GENERAL",
		"attachments":[{"is_share":true,"fallback":"[November 14th, 2023 10:13 PM] alice:","ts":"1699999000.000100",
		"message_blocks":[{"team":"T0CAKE","channel":"C0OPS","ts":"1699999000.000100","message":{"blocks":[{"type":"rich_text","block_id":"Ab1","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"%[1]s"}]}]}]}}]}]}`, "1700000000.000200"},
	{"SectionText", `{"type":"message","subtype":"bot_message","bot_id":"B0CI","username":"ci","text":"Deploy failed","ts":"1700000000.000300","channel":"C0GENERAL",
		"blocks":[{"type":"header","text":{"type":"plain_text","text":"Deploy failed"}},{"type":"section","block_id":"b1","text":{"type":"mrkdwn","text":"Run it again with DATACAKE_TOKEN=%[1]s"}}]}`, "1700000000.000300"},
	{"SectionFields", `{"type":"message","subtype":"bot_message","bot_id":"B0CI","text":"Deploy failed","ts":"1700000000.000300","channel":"C0GENERAL",
		"blocks":[{"type":"section","fields":[{"type":"mrkdwn","text":"*Environment*\nstaging"},{"type":"plain_text","text":"%[1]s","emoji":true}]}]}`, "1700000000.000300"},
	{"SectionAccessory", `{"type":"message","subtype":"bot_message","bot_id":"B0CI","text":"Deploy failed","ts":"1700000000.000300","channel":"C0GENERAL",
		"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"Retry?"},"accessory":{"type":"button","action_id":"retry","text":{"type":"plain_text","text":"Retry"},"value":"%[1]s"}}]}`, "1700000000.000300"},
	{"ContextElements", `{"type":"message","subtype":"bot_message","bot_id":"B0CI","text":"","ts":"1700000000.000300","channel":"C0GENERAL",
		"blocks":[{"type":"context","elements":[{"type":"image","image_url":"https://ci.example.com/logo.png","alt_text":"ci"},{"type":"mrkdwn","text":"token %[1]s"}]}]}`, "1700000000.000300"},
	{"RichTextSection", `{"type":"message","user":"U0ALICE","text":"see below","ts":"1700000000.000400","channel":"C0GENERAL","client_msg_id":"123e4567-e89b-12d3-a456-426614174000",
		"blocks":[{"type":"rich_text","block_id":"Xy1","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"my token "},{"type":"text","text":"%[1]s","style":{"bold":true,"code":true}}]}]}]}`, "1700000000.000400"},
	{"RichTextList", `{"type":"message","user":"U0ALICE","text":"steps","ts":"1700000000.000400","channel":"C0GENERAL",
		"blocks":[{"type":"rich_text","elements":[{"type":"rich_text_list","style":"ordered","indent":0,"elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"export "},{"type":"emoji","name":"key","unicode":"1f511"},{"type":"text","text":" %[1]s"}]}]}]}]}`, "1700000000.000400"},
	{"RichTextQuote", `{"type":"message","user":"U0ALICE","text":"as he said","ts":"1700000000.000400","channel":"C0GENERAL",
		"blocks":[{"type":"rich_text","elements":[{"type":"rich_text_quote","elements":[{"type":"user","user_id":"U0BOB"},{"type":"text","text":" use %[1]s"}]}]}]}`, "1700000000.000400"},
	{"RichTextPreformatted", `{"type":"message","user":"U0ALICE","text":"why?","ts":"1700000000.000400","channel":"C0GENERAL",
		"blocks":[{"type":"rich_text","elements":[{"type":"rich_text_preformatted","border":0,"elements":[{"type":"text","text":"curl -H 'Authorization: Token %[1]s' https://api.datacake.co/graphql/"}]}]}]}`, "1700000000.000400"},
	{"RichTextLink", `{"type":"message","user":"U0ALICE","text":"this link","ts":"1700000000.000400","channel":"C0GENERAL",
		"blocks":[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"link","url":"https://app.datacake.de/?token=%[1]s","text":"the dashboard"}]}]}]}`, "1700000000.000400"},
	{"AttachmentFields", `{"type":"message","subtype":"bot_message","bot_id":"B0ALERT","text":"","ts":"1700000000.000500","channel":"C0GENERAL",
		"attachments":[{"fallback":"Alert","color":"#ff0000","pretext":"New alert","title":"Boiler offline","title_link":"https://alerts.example.com/1","footer":"alerts","ts":1700000000,
		"fields":[{"title":"Device","value":"SN-1001","short":true},{"title":"Token","value":"%[1]s","short":false}]}]}`, "1700000000.000500"},
	{"AttachmentPretext", `{"type":"message","subtype":"bot_message","bot_id":"B0ALERT","text":"","ts":"1700000000.000500","channel":"C0GENERAL",
		"attachments":[{"fallback":"Alert","pretext":"token: %[1]s"}]}`, "1700000000.000500"},
	{"AttachmentTitleLink", `{"type":"message","subtype":"bot_message","bot_id":"B0ALERT","text":"","ts":"1700000000.000500","channel":"C0GENERAL",
		"attachments":[{"fallback":"Alert","title":"dashboard","title_link":"https://app.datacake.de/?token=%[1]s"}]}`, "1700000000.000500"},
	{"AttachmentFooter", `{"type":"message","subtype":"bot_message","bot_id":"B0ALERT","text":"","ts":"1700000000.000500","channel":"C0GENERAL",
		"attachments":[{"fallback":"Alert","footer":"sent with %[1]s"}]}`, "1700000000.000500"},
	{"AttachmentBlocks", `{"type":"message","subtype":"bot_message","bot_id":"B0ALERT","text":"","ts":"1700000000.000500","channel":"C0GENERAL",
		"attachments":[{"color":"#ff0000","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"token %[1]s"}}]}]}`, "1700000000.000500"},
	{"FilePreview", `{"type":"message","subtype":"file_share","user":"U0ALICE","text":"","upload":false,"display_as_bot":false,"ts":"1700000000.000600","channel":"C0GENERAL",
		"files":[{"id":"F0SNIP","created":1700000000,"timestamp":1700000000,"name":"curl.sh","title":"curl.sh","mimetype":"text/plain","filetype":"shell","pretty_type":"Shell","user":"U0ALICE","mode":"snippet","editable":true,"is_external":false,"external_type":"","size":64,
		"url_private":"https://files.slack.com/files-pri/T0CAKE-F0SNIP/curl.sh","thumb_360":"https://files.slack.com/files-tmb/T0CAKE123-F0SNIP12345-0a1b2c3d4e/curl_360.png",
		"permalink":"https://acme.slack.com/files/U0ALICE/F0SNIP/curl.sh","preview":"curl -H 'Authorization: Token %[1]s'","preview_highlight":"<div>curl</div>","lines":1,"lines_more":0,"preview_is_truncated":false,"is_public":true}]}`, "1700000000.000600"},
	{"FileTitle", `{"type":"message","subtype":"file_share","user":"U0ALICE","text":"","ts":"1700000000.000600","channel":"C0GENERAL",
		"files":[{"id":"F0IMG","name":"screenshot.png","title":"token %[1]s","mimetype":"image/png","filetype":"png","mode":"hosted"}]}`, "1700000000.000600"},
	{"FileName", `{"type":"message","subtype":"file_share","user":"U0ALICE","text":"","ts":"1700000000.000600","channel":"C0GENERAL",
		"files":[{"id":"F0TXT","name":"%[1]s.txt","title":"notes","mimetype":"text/plain","filetype":"text","mode":"hosted"}]}`, "1700000000.000600"},
	{"FileInitialComment", `{"type":"message","subtype":"file_share","user":"U0ALICE","text":"","ts":"1700000000.000600","channel":"C0GENERAL",
		"files":[{"id":"F0IMG","name":"error.png","title":"error.png","mimetype":"image/png","mode":"hosted",
		"initial_comment":{"id":"Fc0COMMENT","created":1700000000,"timestamp":1700000000,"user":"U0ALICE","comment":"fails with %[1]s"}}]}`, "1700000000.000600"},
	{"FilePlainTextPreview", `{"type":"message","subtype":"file_share","user":"U0ALICE","text":"","ts":"1700000000.000600","channel":"C0GENERAL",
		"files":[{"id":"F0MAIL","name":"mail.eml","title":"Your token","mimetype":"text/html","filetype":"email","mode":"email","subject":"Your token",
		"preview_plain_text":"Here it is: %[1]s"}]}`, "1700000000.000600"},
	{"EditBlocks", `{"type":"message","subtype":"message_changed","hidden":true,"channel":"C0GENERAL","channel_type":"channel","ts":"1700000000.000900","event_ts":"1700000000.000900",
		"message":{"type":"message","user":"U0ALICE","text":"my token is in the vault","ts":"1700000000.000700","thread_ts":"1700000000.000100","edited":{"user":"U0ALICE","ts":"1700000000.000900"},
		"blocks":[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"my token is "},{"type":"text","text":"%[1]s","style":{"code":true}}]}]}]},
		"previous_message":{"type":"message","user":"U0ALICE","text":"my token is in the vault","ts":"1700000000.000700"}}`, "1700000000.000700"},
	{"EditAttachments", `{"type":"message","subtype":"message_changed","hidden":true,"channel":"C0GENERAL","ts":"1700000000.000900",
		"message":{"type":"message","subtype":"bot_message","bot_id":"B0CI","text":"Deploy done","ts":"1700000000.000700","edited":{"user":"B0CI","ts":"1700000000.000900"},
		"attachments":[{"fallback":"Deploy done","pretext":"Deploy done","fields":[{"title":"Token","value":"%[1]s"}]}]},
		"previous_message":{"type":"message","subtype":"bot_message","text":"Deploying","ts":"1700000000.000700"}}`, "1700000000.000700"},
	{"EditFiles", `{"type":"message","subtype":"message_changed","hidden":true,"channel":"C0GENERAL","ts":"1700000000.000900",
		"message":{"type":"message","subtype":"file_share","user":"U0ALICE","text":"","ts":"1700000000.000700","edited":{"user":"U0ALICE","ts":"1700000000.000900"},
		"files":[{"id":"F0SNIP","name":"env","title":"env","mode":"snippet","preview":"DATACAKE_TOKEN=%[1]s"}]},
		"previous_message":{"type":"message","user":"U0ALICE","text":"","ts":"1700000000.000700"}}`, "1700000000.000700"},
	// slack-go cannot decode this event (a style it reads as an object is a string, a size it
	// reads as a number is a string): the token in the rest is found all the same.
	{"UndecodableBySlackGo", `{"type":"message","user":"U0ALICE","text":"does this work? %[1]s","ts":"1700000000.001000","channel":"C0GENERAL",
		"blocks":[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"does this work?","style":"bold"}]}]}],
		"files":[{"id":"F0X","name":"x","size":"12"}]}`, "1700000000.001000"},
	// Parts of unexpected shapes are skipped, and the token in the others found.
	{"MalformedParts", `{"type":"message","user":"U0ALICE","text":7,"ts":"1700000000.001100","channel":"C0GENERAL","attachments":"none",
		"blocks":[{"type":"section","text":{"type":"mrkdwn","text":5}},null,{"type":"section","text":{"type":"mrkdwn","text":"%[1]s"}}],
		"files":[5,null,{"title":7,"initial_comment":[1]},{"preview":"%[1]s"}]}`, "1700000000.001100"},
}
