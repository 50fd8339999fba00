package plugin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"os"
	"strconv"
	"sync"
	"time"
)

// benito's side of the mutual TLS with its providers. go-plugin's AutoMTLS
// makes a new P-521 key and certificate for every provider started (about
// 5 ms of CPU each, and P-521 signatures are slow to check in the TLS
// handshake); benito makes one P-256 certificate per process instead and
// hands it to each provider exactly as AutoMTLS does (PLUGIN_CLIENT_CERT),
// so that a provider, whatever go-plugin it was built with, answers with
// its own certificate and trusts only benito's.

var clientCert struct {
	once   sync.Once
	cert   tls.Certificate
	pem    []byte
	keyPEM []byte // the private key, PKCS #8, for benito's own providers
	err    error
}

// clientTLS returns the TLS configuration for one provider's connection
// and the PEM certificate to send it.
func clientTLS() (*tls.Config, []byte, error) {
	c := &clientCert
	c.once.Do(func() { c.cert, c.pem, c.keyPEM, c.err = generateCert() })
	if c.err != nil {
		return nil, nil, c.err
	}
	// go-plugin adds the provider's certificate as the one trusted root
	// to this configuration: one per provider.
	return &tls.Config{
		Certificates: []tls.Certificate{c.cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
		ServerName:   "localhost",
	}, c.pem, nil
}

// generateCert makes a self-signed certificate for localhost, for both
// client and server authentication, as go-plugin's AutoMTLS does but with
// a P-256 key.
func generateCert() (cert tls.Certificate, certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	const host = "localhost"
	template := &x509.Certificate{
		Subject:               pkix.Name{CommonName: host, Organization: []string{"benito"}},
		DNSNames:              []string{host},
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		SerialNumber:          sn,
		NotBefore:             time.Now().Add(-30 * time.Second),
		NotAfter:              time.Now().Add(262980 * time.Hour),
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, certPEM, keyPEM, nil
}

// Benito's own providers (Config.FirstParty) need not make a key at all:
// benito hands them its key through a pipe they inherit (never the
// environment, never a file), and they serve with benito's own
// certificate, which benito trusts as the provider's (RootCAs) and the
// provider trusts as the only client (ClientCAs). The trust argument is
// AutoMTLS's: only a process holding the private key can complete the
// handshake on either side, and the key exists only in benito and in the
// children it started from its own binary, which are benito. A
// third-party provider is given no key and answers with a certificate of
// its own, as under AutoMTLS; so does a first-party one that cannot read
// the key (go-plugin then trusts the certificate it sends instead).

// envKeyFD names the file descriptor a first-party provider reads benito's
// key from.
const envKeyFD = "BENITO_PROVIDER_KEY_FD"

// keyFD is that descriptor in the child: the first of exec.Cmd.ExtraFiles.
const keyFD = 3

// keyPipe returns the read end of a pipe that holds benito's private key,
// for a first-party provider to inherit; the caller closes it once the
// provider has started.
func keyPipe() (*os.File, error) {
	c := &clientCert
	if c.err != nil || c.keyPEM == nil {
		return nil, errors.New("benito's key is not made")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	// The key is far smaller than a pipe's buffer: the write cannot block.
	_, err = w.Write(c.keyPEM)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// firstPartyTLS makes cfg, the client TLS configuration of a first-party
// provider, trust benito's certificate as the provider's (the provider
// serves with it): it sets cfg.RootCAs.
func firstPartyTLS(cfg *tls.Config) {
	pool := x509.NewCertPool()
	pool.AddCert(clientCert.cert.Leaf)
	cfg.RootCAs = pool
}

// serverTLS is the provider's side: the server configuration made from
// the key benito passed (envKeyFD) and its certificate (PLUGIN_CLIENT_CERT),
// or nil when benito passed no key or it is unusable, in which case
// go-plugin's AutoMTLS makes a certificate as for any provider. The
// descriptor is closed and the variable removed, so that nothing the
// provider starts inherits either.
func serverTLS() *tls.Config {
	fd := os.Getenv(envKeyFD)
	if fd == "" {
		return nil
	}
	os.Unsetenv(envKeyFD)
	if fd != strconv.Itoa(keyFD) {
		return nil
	}
	f := os.NewFile(keyFD, "benito-key")
	if f == nil {
		return nil
	}
	keyPEM, err := io.ReadAll(io.LimitReader(f, 1<<16))
	f.Close()
	if err != nil {
		return nil
	}
	certPEM := []byte(os.Getenv("PLUGIN_CLIENT_CERT"))
	cert, err := tls.X509KeyPair(certPEM, keyPEM) // also checks they match
	if err != nil {
		return nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		return nil
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		RootCAs:      pool,
		MinVersion:   tls.VersionTLS12,
		ServerName:   "localhost",
	}
}
