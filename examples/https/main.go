// Command https serves a static site compiled into the program over HTTPS
// (TLS 1.3 only). The certificate comes from tls/cert.pem and tls/key.pem
// when they are present at build time; otherwise a self-signed one is made at
// boot for the names in -hosts, and the log says so.
//
//	gobi run -p 8443:443 ./examples/https -print-cert > cert.pem
//	curl --cacert cert.pem https://localhost:8443/
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"embed"
	"encoding/pem"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

//go:embed site tls
var content embed.FS

func main() {
	addr := flag.String("addr", ":443", "address to listen on")
	hosts := flag.String("hosts", "localhost,127.0.0.1", "names for a generated certificate, comma-separated")
	printCert := flag.Bool("print-cert", false, "print the served certificate (PEM) on stdout, for clients to trust")
	flag.Parse()

	cert, err := certificate(strings.Split(*hosts, ","))
	if err != nil {
		log.Fatalf("https: %v", err)
	}
	if *printCert {
		pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
		fmt.Printf("%s", pemCert)
	}
	site, err := fs.Sub(content, "site")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           http.FileServerFS(site),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Printf("https: serving on %s", *addr)
	log.Fatal(srv.ListenAndServeTLS("", ""))
}

// certificate loads tls/cert.pem and tls/key.pem from the image, or makes a
// self-signed certificate for hosts.
func certificate(hosts []string) (tls.Certificate, error) {
	certPEM, errC := content.ReadFile("tls/cert.pem")
	keyPEM, errK := content.ReadFile("tls/key.pem")
	if errC == nil && errK == nil {
		log.Printf("https: using the certificate compiled into the image (tls/cert.pem)")
		return tls.X509KeyPair(certPEM, keyPEM)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0]},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	fmt.Fprintf(os.Stderr, "https: no tls/cert.pem in the image: generated a self-signed certificate for %s\n", strings.Join(hosts, ", "))
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
