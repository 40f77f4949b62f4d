// Command hello is Gobi's first example: several goroutines wake on timers
// and print, then the program exits with a chosen status, which gobi run
// passes through.
//
//	gobi run ./examples/hello            # exits 3
//	gobi run ./examples/hello -exit 0 -n 5
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"
)

func main() {
	status := flag.Int("exit", 3, "exit with `status`")
	n := flag.Int("n", 3, "start `n` goroutines")
	flag.Parse()

	start := time.Now()
	fmt.Printf("hello from Gobi: %d goroutines\n", *n)
	var wg sync.WaitGroup
	var mu sync.Mutex // keeps each goroutine's line whole
	for i := range *n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			timer := time.NewTimer(time.Duration(i+1) * 20 * time.Millisecond)
			<-timer.C
			mu.Lock()
			defer mu.Unlock()
			fmt.Printf("goroutine %d: timer fired after %v\n", i, time.Since(start).Round(time.Millisecond))
		}()
	}
	wg.Wait()
	fmt.Printf("all %d goroutines done; exiting with status %d\n", *n, *status)
	os.Exit(*status)
}
