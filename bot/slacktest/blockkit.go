package slacktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits Slack enforces; past any of them it rejects the whole payload.
// Lengths count code points, as Slack does.
const (
	maxMessageBlocks  = 50
	maxViewBlocks     = 100
	maxSectionText    = 3000
	maxSectionFields  = 10
	maxFieldText      = 2000
	maxHeaderText     = 150
	maxButtonText     = 75
	maxButtonValue    = 2000
	maxOptionText     = 75
	maxOptionValue    = 150
	maxOptions        = 100
	maxActionElements = 25
	maxContextElems   = 10
	maxID             = 255 // block_id, action_id, callback_id, external_id
	maxViewTitle      = 24  // modal title, submit and close
	maxPrivateMeta    = 3000
	maxLabel          = 2000
	maxPlaceholder    = 150
	maxURL            = 3000
	maxAltText        = 2000
	maxMarkdownBlock  = 12000
)

// parseBlocks decodes a blocks field, which must be a JSON array.
func parseBlocks(raw string) ([]any, error) {
	var blocks []any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil, fmt.Errorf("[ERROR] blocks must be a JSON array: %v", err)
	}
	return blocks, nil
}

func compact(raw string) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(raw)); err != nil {
		return json.RawMessage(raw)
	}
	return buf.Bytes()
}

// checker collects problems in Slack's "[ERROR] … [json-pointer:…]" wording.
type checker struct {
	problems []string
}

func (c *checker) add(ptr, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf("[ERROR] %s [json-pointer:%s]", fmt.Sprintf(format, args...), ptr))
}

// str checks an optional string field against a length limit and returns it.
func (c *checker) str(ptr string, m map[string]any, key string, limit int, required bool) string {
	v, present := m[key]
	if !present {
		if required {
			c.add(ptr, "missing required field: %s", key)
		}
		return ""
	}
	s, isString := v.(string)
	if !isString {
		c.add(ptr+"/"+key, "must be a string")
		return ""
	}
	if n := utf8.RuneCountInString(s); n > limit {
		c.add(ptr+"/"+key, "must be less than %d characters", limit+1)
	}
	return s
}

// text checks a text composition object. plainOnly is for fields Slack only
// accepts as plain_text (headers, buttons, labels, titles).
func (c *checker) text(ptr string, m map[string]any, key string, limit int, plainOnly, required bool) {
	v, present := m[key]
	if !present || v == nil {
		if required {
			c.add(ptr, "missing required field: %s", key)
		}
		return
	}
	c.textObject(ptr+"/"+key, v, limit, plainOnly)
}

func (c *checker) textObject(ptr string, v any, limit int, plainOnly bool) {
	obj, isObj := v.(map[string]any)
	if !isObj {
		c.add(ptr, "must be a text object")
		return
	}
	switch typ, _ := obj["type"].(string); {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	case plainOnly:
		c.add(ptr+"/type", "must be plain_text")
	default:
		c.add(ptr+"/type", "must be plain_text or mrkdwn")
	}
	if s := c.str(ptr, obj, "text", limit, true); s == "" {
		if _, isString := obj["text"].(string); isString {
			c.add(ptr+"/text", "must be more than 0 characters")
		}
	}
}

func array(v any) ([]any, bool) {
	a, isArray := v.([]any)
	return a, isArray
}

// validateBlocks checks an array of blocks (a message's, a modal's or a Home
// tab's) and every element inside, whatever the block type.
func validateBlocks(blocks []any, maxBlocks int, ptr string) []string {
	c := &checker{}
	if len(blocks) > maxBlocks {
		c.add(ptr, "no more than %d items allowed", maxBlocks)
	}
	seen := map[string]bool{}
	for i, b := range blocks {
		c.block(fmt.Sprintf("%s/%d", ptr, i), b, seen)
	}
	return c.problems
}

func (c *checker) block(ptr string, v any, seenIDs map[string]bool) {
	b, isObj := v.(map[string]any)
	if !isObj {
		c.add(ptr, "must be an object")
		return
	}
	if id := c.str(ptr, b, "block_id", maxID, false); id != "" {
		if seenIDs[id] {
			c.add(ptr+"/block_id", "duplicate block_id: %s", id)
		}
		seenIDs[id] = true
	}
	typ := c.str(ptr, b, "type", maxID, true)
	switch typ {
	case "section":
		c.text(ptr, b, "text", maxSectionText, false, false)
		fields, hasFields := b["fields"]
		if list, isArray := array(fields); isArray {
			if len(list) > maxSectionFields {
				c.add(ptr+"/fields", "no more than %d items allowed", maxSectionFields)
			}
			for i, f := range list {
				c.textObject(fmt.Sprintf("%s/fields/%d", ptr, i), f, maxFieldText, false)
			}
		} else if hasFields {
			c.add(ptr+"/fields", "must be an array")
		}
		if _, hasText := b["text"]; !hasText && !hasFields {
			c.add(ptr, "must provide either text or fields")
		}
		if acc, has := b["accessory"]; has {
			c.element(ptr+"/accessory", acc)
		}
	case "header":
		c.text(ptr, b, "text", maxHeaderText, true, true)
	case "actions":
		c.elements(ptr, b, maxActionElements)
	case "context":
		list, isArray := array(b["elements"])
		if !isArray || len(list) == 0 {
			c.add(ptr, "missing required field: elements")
		}
		if len(list) > maxContextElems {
			c.add(ptr+"/elements", "no more than %d items allowed", maxContextElems)
		}
		for i, e := range list {
			ep := fmt.Sprintf("%s/elements/%d", ptr, i)
			if m, isObj := e.(map[string]any); isObj && m["type"] == "image" {
				c.element(ep, e)
				continue
			}
			c.textObject(ep, e, maxSectionText, false)
		}
	case "input":
		c.text(ptr, b, "label", maxLabel, true, true)
		c.text(ptr, b, "hint", maxLabel, true, false)
		if el, has := b["element"]; has {
			c.element(ptr+"/element", el)
		} else {
			c.add(ptr, "missing required field: element")
		}
	case "image":
		c.str(ptr, b, "image_url", maxURL, false)
		c.str(ptr, b, "alt_text", maxAltText, true)
		c.text(ptr, b, "title", maxAltText, true, false)
	case "markdown":
		c.str(ptr, b, "text", maxMarkdownBlock, true)
	case "":
	default:
		// divider, rich_text, file, video, table and newer types: nothing
		// cakegate relies on is limited there, so they pass unchecked.
	}
}

// elements checks the elements array of an actions block.
func (c *checker) elements(ptr string, b map[string]any, limit int) {
	list, isArray := array(b["elements"])
	if !isArray || len(list) == 0 {
		c.add(ptr, "missing required field: elements")
		return
	}
	if len(list) > limit {
		c.add(ptr+"/elements", "no more than %d items allowed", limit)
	}
	seen := map[string]bool{}
	for i, e := range list {
		ep := fmt.Sprintf("%s/elements/%d", ptr, i)
		c.element(ep, e)
		if m, isObj := e.(map[string]any); isObj {
			if id, _ := m["action_id"].(string); id != "" {
				if seen[id] {
					c.add(ep+"/action_id", "duplicate action_id: %s", id)
				}
				seen[id] = true
			}
		}
	}
}

// element checks an interactive element wherever it sits: accessory, actions
// block, input block.
func (c *checker) element(ptr string, v any) {
	e, isObj := v.(map[string]any)
	if !isObj {
		c.add(ptr, "must be an object")
		return
	}
	c.str(ptr, e, "action_id", maxID, false)
	c.text(ptr, e, "placeholder", maxPlaceholder, true, false)
	if conf, has := e["confirm"].(map[string]any); has {
		c.confirm(ptr+"/confirm", conf)
	}
	switch typ := c.str(ptr, e, "type", maxID, true); typ {
	case "button":
		c.text(ptr, e, "text", maxButtonText, true, true)
		c.str(ptr, e, "value", maxButtonValue, false)
		c.str(ptr, e, "url", maxURL, false)
		if style, has := e["style"]; has && style != "primary" && style != "danger" {
			c.add(ptr+"/style", "must be primary or danger")
		}
	case "static_select", "multi_static_select":
		c.options(ptr, e, maxOptions, true)
		if groups, isArray := array(e["option_groups"]); isArray {
			if len(groups) > maxOptions {
				c.add(ptr+"/option_groups", "no more than %d items allowed", maxOptions)
			}
			for i, g := range groups {
				if gm, isObj := g.(map[string]any); isObj {
					gp := fmt.Sprintf("%s/option_groups/%d", ptr, i)
					c.text(gp, gm, "label", maxOptionText, true, true)
					c.options(gp, gm, maxOptions, true)
				}
			}
		}
	case "overflow":
		c.options(ptr, e, 5, true)
	case "radio_buttons", "checkboxes":
		c.options(ptr, e, 10, false)
	case "plain_text_input":
		c.str(ptr, e, "initial_value", maxSectionText, false)
	case "image":
		c.str(ptr, e, "alt_text", maxAltText, true)
	}
}

// options checks an element's options (and initial_option[s]).
func (c *checker) options(ptr string, e map[string]any, limit int, plainOnly bool) {
	if list, isArray := array(e["options"]); isArray {
		if len(list) > limit {
			c.add(ptr+"/options", "no more than %d items allowed", limit)
		}
		for i, o := range list {
			c.option(fmt.Sprintf("%s/options/%d", ptr, i), o, plainOnly)
		}
	}
	if o, has := e["initial_option"]; has {
		c.option(ptr+"/initial_option", o, plainOnly)
	}
}

func (c *checker) option(ptr string, v any, plainOnly bool) {
	o, isObj := v.(map[string]any)
	if !isObj {
		c.add(ptr, "must be an object")
		return
	}
	c.text(ptr, o, "text", maxOptionText, plainOnly, true)
	c.str(ptr, o, "value", maxOptionValue, true)
	c.text(ptr, o, "description", maxOptionText, true, false)
	c.str(ptr, o, "url", maxURL, false)
}

func (c *checker) confirm(ptr string, m map[string]any) {
	c.text(ptr, m, "title", 100, true, true)
	c.text(ptr, m, "text", 300, false, true)
	c.text(ptr, m, "confirm", 30, true, true)
	c.text(ptr, m, "deny", 30, true, true)
}

// validateView checks a modal or Home tab view, blocks included. wantType is
// "home" for views.publish and "modal" for views.open and views.push; views.update
// takes either.
func validateView(raw string, wantType string) (map[string]any, json.RawMessage, []string, error) {
	var view map[string]any
	if err := json.Unmarshal([]byte(raw), &view); err != nil || view == nil {
		return nil, nil, nil, errors.New("[ERROR] view must be a JSON object [json-pointer:/view]")
	}
	c := &checker{}
	const ptr = "/view"
	typ := c.str(ptr, view, "type", maxID, true)
	switch {
	case typ != "modal" && typ != "home":
		c.add(ptr+"/type", "must be one of modal, home")
	case wantType != "" && typ != wantType:
		c.add(ptr+"/type", "must be %s", wantType)
	}
	c.str(ptr, view, "callback_id", maxID, false)
	c.str(ptr, view, "external_id", maxID, false)
	c.str(ptr, view, "private_metadata", maxPrivateMeta, false)
	blocks, isArray := array(view["blocks"])
	if !isArray {
		c.add(ptr, "missing required field: blocks")
	}
	if typ == "modal" {
		c.text(ptr, view, "title", maxViewTitle, true, true)
		c.text(ptr, view, "submit", maxViewTitle, true, false)
		c.text(ptr, view, "close", maxViewTitle, true, false)
		if _, hasSubmit := view["submit"]; !hasSubmit && hasInput(blocks) {
			c.add(ptr, "submit is required when blocks contain an input block")
		}
	}
	c.problems = append(c.problems, validateBlocks(blocks, maxViewBlocks, ptr+"/blocks")...)
	rawBlocks, _ := json.Marshal(blocks)
	if !isArray {
		rawBlocks = nil
	}
	return view, rawBlocks, c.problems, nil
}

func hasInput(blocks []any) bool {
	for _, b := range blocks {
		if m, isObj := b.(map[string]any); isObj && m["type"] == "input" {
			return true
		}
	}
	return false
}
