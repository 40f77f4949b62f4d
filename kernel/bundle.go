package kernel

// bundleData holds the files gobi build places in the image (memfs bundle
// format). gobi replaces this file through its build overlay; an image built
// without one carries no files.
var bundleData string
