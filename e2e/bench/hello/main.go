// Command hello is the bench's reference for the cost of starting a Go
// program: it prints one line and exits. The bench builds it the way `make
// build` builds vf-offload (static, -trimpath) and times both in one run.
package main

import "fmt"

func main() { fmt.Println("hello, world") }
