// Command fileserver serves one directory over HTTP on a free loopback port, so that the krew
// test can install the plugin the way users do (krew downloads each platform's uri) without
// leaving the machine. It writes its base URL to the file named by -url-file once it listens,
// and exits when its standard input closes, so a test that dies takes it along.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
)

func main() {
	dir := flag.String("dir", ".", "directory to serve")
	urlFile := flag.String("url-file", "", "file to write the base URL to once listening")
	flag.Parse()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	url := fmt.Sprintf("http://%s", ln.Addr())
	if *urlFile != "" {
		// Written to a temporary name and renamed, so a reader never sees half a URL.
		tmp := *urlFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(url+"\n"), 0o644); err != nil {
			log.Fatalf("write url: %v", err)
		}
		if err := os.Rename(tmp, *urlFile); err != nil {
			log.Fatalf("write url: %v", err)
		}
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	log.Fatal(http.Serve(ln, http.FileServer(http.Dir(*dir))))
}
