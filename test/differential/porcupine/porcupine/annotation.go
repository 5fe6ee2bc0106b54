package porcupine

// Annotation is copied from Porcupine's visualization.go (the rest of that file, the
// HTML visualization, is not vendored): checker.go's LinearizationInfo refers to it.
type Annotation struct {
	ClientId        int
	Tag             string
	Start           int64
	End             int64
	Description     string
	Details         string
	TextColor       string
	BackgroundColor string
	_               struct{} // disallow positional literals, for extensibility
}
