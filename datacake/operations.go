package datacake

// Operation is one GraphQL document the client sends. All of them are listed by Operations,
// so that a test validates each against the schema: a misspelt field fails a unit test
// rather than a call in production.
type Operation struct {
	Name     string // the operation's name in Document, sent as operationName
	Document string
	// repeatable says whether a retry is safe after Datacake may have carried the operation
	// out. Reads and deletes are; a create is not (it would make a second API user).
	repeatable bool
}

var (
	opMe = Operation{Name: "Me", repeatable: true, Document: `
query Me {
  user { id email isApiuser }
}`}

	opWorkspaces = Operation{Name: "Workspaces", repeatable: true, Document: `
query Workspaces {
  allWorkspaces { id name slug }
}`}

	opMyPermissions = Operation{Name: "MyPermissions", repeatable: true, Document: `
query MyPermissions($id: String!) {
  workspace(id: $id) { id myPermissions }
}`}

	// Devices asks for any of the tags (searchTagsAnyAll: any), matching how cakegate's
	// roles scope devices by tag. Unset filters are left out of the variables, which
	// GraphQL treats as absent arguments.
	opDevices = Operation{Name: "Devices", repeatable: true, Document: `
query Devices($ws: String!, $search: String, $tags: [String], $ids: [UUID!]) {
  allDevices(inWorkspace: $ws, searchName: $search, searchTags: $tags, searchTagsAnyAll: any, idIn: $ids) {
    id verboseName serialNumber tags online
  }
}`}

	// SearchDevices pages through a workspace's devices, so a large one is never fetched
	// whole; tags match any of them (overlap), as cakegate's roles scope devices.
	opSearchDevices = Operation{Name: "SearchDevices", repeatable: true, Document: `
query SearchDevices($ws: String!, $search: String, $tags: FilteredDeviceListTagsFilterInput, $page: Int, $size: Int) {
  workspace(id: $ws) {
    devicesFiltered(page: $page, pageSize: $size, search: $search, tags: $tags) {
      total
      devices { id verboseName serialNumber tags online }
    }
  }
}`}

	opDeviceBySerial = Operation{Name: "DeviceBySerial", repeatable: true, Document: `
query DeviceBySerial($ws: String!, $serial: String) {
  workspace(id: $ws) {
    device(serialNumber: $serial) { id verboseName serialNumber tags online }
  }
}`}

	opDeviceTags = Operation{Name: "DeviceTags", repeatable: true, Document: `
query DeviceTags($ws: String!) {
  workspace(id: $ws) { allTags }
}`}

	opAPIUsers = Operation{Name: "WorkspaceApiUsers", repeatable: true, Document: `
query WorkspaceApiUsers($id: String!) {
  workspace(id: $id) {
    id
    apiUserRelationships {
      id permissions
      user { id name created }
      deviceRelationships { id permissions device { id verboseName serialNumber } }
    }
  }
}`}

	opCreateAPIUser = Operation{Name: "NewApiUser", repeatable: false, Document: `
mutation NewApiUser($input: ApiUserInput!) {
  addApiUser(input: $input) { ok apiUser { id name apiKey created } }
}`}

	opDeleteAPIUser = Operation{Name: "DeleteApiUser", repeatable: true, Document: `
mutation DeleteApiUser($id: String!) {
  deleteApiUser(id: $id) { ok }
}`}
)

// Operations returns every operation the client can send.
func Operations() []Operation {
	return []Operation{
		opMe, opWorkspaces, opMyPermissions, opDevices, opSearchDevices, opDeviceBySerial, opDeviceTags,
		opAPIUsers, opCreateAPIUser, opDeleteAPIUser,
	}
}
