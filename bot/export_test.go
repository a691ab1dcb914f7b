package bot

// What the external tests share with the internal ones.
var (
	// LeakShapes are leakShapes, for the tests that send them over both transports.
	LeakShapes = leakShapes
)

// LeakShapeChannel is leakShapeChannel.
const LeakShapeChannel = leakShapeChannel
