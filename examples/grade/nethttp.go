// Go's net/http, as it is used by default (http.Client follows up to ten
// redirects): one request with the method and URL in TEAPOT_GRADE_METHOD
// and TEAPOT_GRADE_URL (a POST carries "teapot"), made TEAPOT_GRADE_REPEAT
// times with one Client; prints each answer's content and exits 1 when
// the library reports an error.
//
//	go build -o target/grade-nethttp examples/grade/nethttp.go
//	teapot grade --client target/grade-nethttp
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	method := os.Getenv("TEAPOT_GRADE_METHOD")
	url := os.Getenv("TEAPOT_GRADE_URL")
	times, err := strconv.Atoi(os.Getenv("TEAPOT_GRADE_REPEAT"))
	if err != nil || times < 1 {
		times = 1
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < times; i++ {
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("teapot")
		}
		req, err := http.NewRequest(method, url, body)
		if err != nil {
			fail(err)
		}
		if os.Getenv("TEAPOT_GRADE_EXPECT") == "100-continue" && body != nil {
			// net/http waits for 100 Continue when asked to.
			req.Header.Set("Expect", "100-continue")
		}
		resp, err := client.Do(req)
		if err != nil {
			fail(err)
		}
		content, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(content)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "error: %v\n", err)
	os.Exit(1)
}
