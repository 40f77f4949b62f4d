// Command foreign lives in a module whose go.mod knows nothing of Gobi: the
// end-to-end tests build and run it with an installed gobi command.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	fmt.Printf("hello from a foreign module: %s\n", strings.Join(os.Args[1:], " "))
	os.Exit(4)
}
