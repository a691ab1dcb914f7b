package commands

import (
	"reflect"
	"testing"
	"time"
)

// TestCloneSharesNothing fills every field of a Request (every pointer set, every list with
// an element, every string and number non-zero), clones it, and checks the copy equals the
// original and shares no memory with it. A field added to Request or its parts that Clone
// does not copy deeply fails here, by name.
func TestCloneSharesNothing(t *testing.T) {
	var r Request
	fill(t, reflect.ValueOf(&r).Elem(), "Request")
	c := r.Clone()
	if !reflect.DeepEqual(&r, c) {
		t.Fatalf("the clone differs:\n%+v\n%+v", r, *c)
	}
	shared(t, reflect.ValueOf(r), reflect.ValueOf(*c), "Request")

	// Nil and empty lists stay what they were: a store that hands out clones of what it
	// decoded must hand out exactly what a fresh decoding gives.
	empty := Request{Devices: []Device{}, Approvals: []Approval{}, WorkspacePermissions: []string{}}
	if c := empty.Clone(); c.Devices == nil || c.Approvals == nil || c.WorkspacePermissions == nil || c.DevicePermissions != nil {
		t.Fatalf("clone of empty and nil lists: %+v", c)
	}
}

// fill sets every field reachable from v to something not zero.
func fill(t *testing.T, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				t.Fatalf("%s.%s is unexported: Clone and this test cannot see it", path, f.Name)
			}
			fill(t, v.Field(i), path+"."+f.Name)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0), path+"[0]")
	case reflect.Map:
		t.Fatalf("%s is a map: teach Clone and this test to copy it", path)
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(7)
	case reflect.Uint64, reflect.Uint32, reflect.Uint:
		v.SetUint(7)
	case reflect.Bool:
		v.SetBool(true)
	default:
		t.Fatalf("%s: fill does not know %s", path, v.Kind())
	}
}

// shared fails if a and b (equal values) share a pointer or a list's memory.
func shared(t *testing.T, a, b reflect.Value, path string) {
	switch a.Kind() {
	case reflect.Struct:
		if a.Type() == reflect.TypeOf(time.Time{}) {
			return // a value; its *Location is shared on purpose
		}
		for i := range a.NumField() {
			shared(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
		}
	case reflect.Pointer:
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares the pointer", path)
			return
		}
		shared(t, a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares the list", path)
			return
		}
		for i := range a.Len() {
			shared(t, a.Index(i), b.Index(i), path+"[i]")
		}
	}
}
